#!/usr/bin/env bash
# infra.sh — the local infrastructure for `make run` and the tests: one
# PostgreSQL 15 cluster and one nats-server (JetStream), both kept in a state
# folder, plus a sourceable <state_dir>/env that tells programs where they are.
#
#   infra.sh start <state_dir>      start what is missing, write <state_dir>/env
#   infra.sh stop <state_dir>       stop what start started (idempotent)
#   infra.sh pg-stop|pg-start <state_dir>       only PostgreSQL (same port, same data)
#   infra.sh nats-stop|nats-start <state_dir>   only NATS (same port, same store)
#
# Design:
# - DATABASE_URL / NATS_URL already in the environment mean "use that server":
#   nothing is started for it and the URL is copied into the env file
#   (ADMIN_DATABASE_URL then defaults to DATABASE_URL).
# - The cluster lives in <state_dir>/pg/{data,sock,postgres.log}: trust auth on
#   127.0.0.1 and the unix socket only, superuser `voxanne`, database `voxanne`,
#   roles voxanne_app (NOLOGIN NOBYPASSRLS) and voxanne_svc (LOGIN, member of
#   voxanne_app) that the services use, so row-level security applies to them.
#   PostgreSQL refuses to run as root, so as root it runs as the system user
#   `voxanne` (created if missing) through runuser.
# - NATS lives in <state_dir>/nats/{nats.conf,nats.pid,nats.log,jetstream/}.
#   It runs with the suite's users and permissions (deploy/nats/users.conf,
#   copied in at each start); each user's password is generated once into
#   <state_dir>/nats/users/<user> (0600). The env file names that folder
#   (VX_NATS_USERS_DIR): run.sh gives each program its own, the tests too.
# - Ports are picked at random in 20000–40000, checked free, and kept in the
#   config files so pg-start / nats-start come back on the same ones.
# - start is idempotent: a second call reuses the cluster and servers that run.
# - Quiet on success but for one summary line; on failure a clear message and
#   the tail of the server's log on stderr.
set -euo pipefail

PROG=infra.sh
RUN_AS=voxanne
# Below the kernel's ephemeral range (32768-60999 by default), where outgoing
# connections take their local ports: a port picked there can be taken by any
# client between our check and the server's bind.
PORT_MIN=20000
PORT_MAX=40000
if read -r eph_low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && ((eph_low - 1 < PORT_MAX)); then
    PORT_MAX=$((eph_low - 1))
fi

die() {
    echo "$PROG: error: $*" >&2
    exit 1
}

usage() {
    echo "usage: $PROG start|stop|pg-start|pg-stop|nats-start|nats-stop <state_dir>" >&2
    exit 2
}

# Prints the last lines of a log file to stderr, if it exists.
log_tail() {
    local file=$1
    if [[ -r $file ]]; then
        echo "---- last lines of $file ----" >&2
        tail -n 25 "$file" >&2 || true
        echo "----" >&2
    fi
}

# ---------------------------------------------------------------- ports

# True when nothing listens on 127.0.0.1:$1 (and nothing answers a connect).
port_free() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -z $(ss -Htln "sport = :$port" 2>/dev/null) ]] || return 1
    fi
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Prints a free port in [PORT_MIN, PORT_MAX] that is not one of the arguments.
pick_port() {
    local port taken i
    for ((i = 0; i < 200; i++)); do
        port=$((PORT_MIN + (RANDOM * 32768 + RANDOM) % (PORT_MAX - PORT_MIN + 1)))
        for taken in "$@"; do
            [[ $port == "$taken" ]] && continue 2
        done
        if port_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    die "no free TCP port found in $PORT_MIN-$PORT_MAX"
}

# ---------------------------------------------------------------- paths

init_paths() {
    local dir=$1
    STATE=$(cd "$dir" && pwd -P)
    PG_DIR=$STATE/pg
    PGDATA_DIR=$PG_DIR/data
    PG_LOG=$PG_DIR/postgres.log
    PG_SOCK=$PG_DIR/sock
    NATS_DIR=$STATE/nats
    NATS_CONF=$NATS_DIR/nats.conf
    NATS_PID=$NATS_DIR/nats.pid
    NATS_LOG=$NATS_DIR/nats.log
    NATS_USERS_DIR=$NATS_DIR/users
    ENV_FILE=$STATE/env
}

find_pgbin() {
    if [[ -n ${PGBIN:-} ]]; then
        :
    elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        PGBIN=/usr/lib/postgresql/15/bin
    elif command -v initdb >/dev/null 2>&1; then
        PGBIN=$(dirname "$(readlink -f "$(command -v initdb)")")
    else
        die "PostgreSQL server binaries not found (install postgresql-15, or set PGBIN)"
    fi
    [[ -x $PGBIN/pg_ctl && -x $PGBIN/postgres && -x $PGBIN/psql ]] || die "incomplete PostgreSQL install in $PGBIN"
}

# ---------------------------------------------------------------- PostgreSQL

# Runs a command as the cluster's owner: ourselves, or `voxanne` when we are root.
# From / (the owner may not be allowed into our cwd) and without the lock's fd,
# which a long-lived server would otherwise keep held.
as_pg_user() {
    if [[ $(id -u) == 0 ]]; then
        (cd / && runuser -u "$RUN_AS" -- "$@" 9>&-)
    else
        (cd / && "$@" 9>&-)
    fi
}

ensure_run_as_user() {
    [[ $(id -u) == 0 ]] || return 0
    if ! id -u "$RUN_AS" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            --comment "Voxanne local PostgreSQL" "$RUN_AS" ||
            die "could not create the system user $RUN_AS (PostgreSQL cannot run as root)"
    fi
}

# The port recorded in the cluster's configuration (empty when there is none).
pg_configured_port() {
    [[ -r $PGDATA_DIR/voxanne.conf ]] || return 0
    sed -n 's/^port = \([0-9]*\)$/\1/p' "$PGDATA_DIR/voxanne.conf"
}

pg_write_config() {
    local port=$1
    local conf
    conf=$(
        cat <<EOF
# Written by deploy/local/infra.sh; included from postgresql.conf.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_SOCK'
max_connections = 200
shared_buffers = 64MB
dynamic_shared_memory_type = posix
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
log_checkpoints = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    )
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    as_pg_user sh -c 'cat > "$1"' sh "$PGDATA_DIR/voxanne.conf" <<<"$conf"
}

pg_running() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] && as_pg_user "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

pg_init_cluster() {
    ensure_run_as_user
    mkdir -p "$PG_SOCK"
    # The unprivileged owner must be able to reach its folder.
    chmod o+x "$STATE"
    if [[ $(id -u) == 0 ]]; then
        chown -R "$RUN_AS": "$PG_DIR"
        as_pg_user test -w "$PG_DIR" ||
            die "user $RUN_AS cannot write $PG_DIR: a parent folder is not searchable by others; use a state dir such as /tmp/voxanne"
    fi
    local sock_len=$((${#PG_SOCK} + 18))
    ((sock_len <= 107)) || die "socket path $PG_SOCK is too long for a unix socket: choose a shorter state dir"
    if ! as_pg_user "$PGBIN/initdb" -D "$PGDATA_DIR" -U voxanne --auth=trust -E UTF8 --no-locale \
        --no-sync >"$PG_DIR/initdb.log" 2>&1; then
        log_tail "$PG_DIR/initdb.log"
        die "initdb failed for $PGDATA_DIR"
    fi
    # Trust, but only on the socket and loopback.
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    as_pg_user sh -c 'cat > "$1"' sh "$PGDATA_DIR/pg_hba.conf" <<'EOF'
# Written by deploy/local/infra.sh: a local development/test cluster.
local   all  all                 trust
host    all  all  127.0.0.1/32   trust
EOF
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    as_pg_user sh -c 'echo "include '"'"'voxanne.conf'"'"'" >> "$1"' sh "$PGDATA_DIR/postgresql.conf"
    local port
    port=$(pick_port) || exit 1
    pg_write_config "$port"
}

# Starts the cluster on its configured port; with pick_new=1 a port that
# turns out to be taken is replaced by another free one (a few times).
pg_start_server() {
    local pick_new=${1:-0}
    local attempt port new
    for attempt in 1 2 3 4 5; do
        port=$(pg_configured_port)
        [[ -n $port ]] || die "no port configured in $PGDATA_DIR/voxanne.conf"
        if ! port_free "$port"; then
            if [[ $pick_new == 1 ]]; then
                new=$(pick_port "$port") || exit 1
                pg_write_config "$new"
                continue
            fi
            die "PostgreSQL port $port is taken by another program"
        fi
        if as_pg_user "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 -s start >/dev/null 2>"$PG_DIR/pg_ctl.err"; then
            pg_wait_ready
            return 0
        fi
        if [[ $pick_new == 1 ]] && grep -q 'could not bind\|Address already in use' "$PG_LOG" 2>/dev/null; then
            new=$(pick_port "$port") || exit 1
            pg_write_config "$new"
            continue
        fi
        cat "$PG_DIR/pg_ctl.err" >&2 || true
        log_tail "$PG_LOG"
        die "PostgreSQL did not start (data $PGDATA_DIR, port $port)"
    done
    log_tail "$PG_LOG"
    die "PostgreSQL could not bind a free port after $attempt attempts"
}

pg_wait_ready() {
    local port i
    port=$(pg_configured_port)
    for ((i = 0; i < 100; i++)); do
        if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U voxanne; then
            return 0
        fi
        sleep 0.1
    done
    log_tail "$PG_LOG"
    die "PostgreSQL on 127.0.0.1:$port does not accept connections"
}

# Runs SQL as the cluster superuser through the unix socket.
pg_psql() {
    local db=$1
    shift
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$(pg_configured_port)" -U voxanne -d "$db" "$@"
}

pg_bootstrap() {
    local out
    if ! out=$(pg_psql postgres -At -c "SELECT 1 FROM pg_database WHERE datname = 'voxanne'" 2>&1); then
        echo "$out" >&2
        die "cannot query the new cluster"
    fi
    if [[ $out != 1 ]]; then
        pg_psql postgres -c 'CREATE DATABASE voxanne' >/dev/null || die "CREATE DATABASE voxanne failed"
    fi
    pg_psql voxanne >/dev/null <<'EOF' || die "creating the roles voxanne_app/voxanne_svc failed"
SET client_min_messages = warning;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_app') THEN
        CREATE ROLE voxanne_app NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'voxanne_svc') THEN
        CREATE ROLE voxanne_svc LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT;
    END IF;
END
$$;
ALTER ROLE voxanne_svc LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT;
GRANT voxanne_app TO voxanne_svc;
EOF
}

pg_up() {
    find_pgbin
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
        rm -rf "$PGDATA_DIR"
        pg_init_cluster
    fi
    if ! pg_running; then
        pg_start_server 1
    fi
    pg_wait_ready
    pg_bootstrap
}

pg_down() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || return 0
    find_pgbin
    pg_running || return 0
    if ! as_pg_user "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 -s stop >/dev/null 2>"$PG_DIR/pg_ctl.err"; then
        cat "$PG_DIR/pg_ctl.err" >&2 || true
        log_tail "$PG_LOG"
        die "PostgreSQL did not stop (data $PGDATA_DIR)"
    fi
}

# ---------------------------------------------------------------- NATS

nats_bin() {
    NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || true)}
    [[ -n $NATS_SERVER && -x $NATS_SERVER ]] || die "nats-server not found (install nats-server, or set NATS_SERVER)"
}

nats_conf_value() {
    [[ -r $NATS_CONF ]] || return 0
    sed -n "s/^$1: 127\.0\.0\.1:\([0-9]*\)$/\1/p" "$NATS_CONF"
}

nats_pid() {
    local pid
    [[ -r $NATS_PID ]] || return 1
    pid=$(tr -dc '0-9' <"$NATS_PID")
    [[ -n $pid ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid that is not our server does not count.
    [[ $(readlink -f "/proc/$pid/exe" 2>/dev/null) == *nats-server* ]] || return 1
    echo "$pid"
}

# VX_NATS_PROF_PORT=<port>: nats-server also serves Go's pprof there (how the
# bench's drain was found spending 75% of the server in reply tracking:
# curl "http://127.0.0.1:<port>/debug/pprof/profile?seconds=10").
nats_write_config() {
    local port=$1 mport=$2
    mkdir -p "$NATS_DIR"
    cat >"$NATS_CONF" <<EOF
# Written by deploy/local/infra.sh.
listen: 127.0.0.1:$port
http: 127.0.0.1:$mport
max_payload: 12MB
pid_file: "$NATS_PID"
${VX_NATS_PROF_PORT:+prof_port: $VX_NATS_PROF_PORT}
jetstream {
  store_dir: "$NATS_DIR"
}
include ./users.conf
EOF
}

USERS_CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")/../nats" && pwd)/users.conf

# The users deploy/nats/users.conf defines.
nats_users() {
    sed -n 's/^ *user: *\([a-z0-9_-]*\) *$/\1/p' "$USERS_CONF"
}

# Copies the permissions in and makes sure every user has a password; prints
# VX_NATS_PASSWORD_<USER>=<password> lines for nats-server's environment.
nats_prepare_users() {
    local user file
    [[ -r $USERS_CONF ]] || die "no $USERS_CONF"
    cp "$USERS_CONF" "$NATS_DIR/users.conf"
    (umask 077 && mkdir -p "$NATS_USERS_DIR")
    for user in $(nats_users); do
        file=$NATS_USERS_DIR/$user
        if [[ ! -s $file ]]; then
            # nats-server reads the variable as a config value: a leading
            # letter keeps it a string (a leading digit would be a number).
            (umask 077 && printf 'vx%s\n' "$(openssl rand -hex 24)" >"$file.tmp" && mv -f "$file.tmp" "$file") ||
                die "cannot write a NATS password into $file"
        fi
        user=${user^^}
        printf 'VX_NATS_PASSWORD_%s=%s\n' "${user//-/_}" "$(<"$file")"
    done
}

# True when the monitoring port reports a healthy server with JetStream.
nats_healthy() {
    local mport=$1 reply
    reply=$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/127.0.0.1/$mport" || exit 1
        printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        timeout 2 cat <&3
    ) || return 1
    [[ $reply == *" 200 "* ]]
}

nats_start_server() {
    local port mport i pid
    nats_bin
    port=$(nats_conf_value listen)
    mport=$(nats_conf_value http)
    [[ -n $port && -n $mport ]] || die "no NATS configuration in $NATS_CONF"
    port_free "$port" || die "NATS port $port is taken by another program"
    port_free "$mport" || die "NATS monitoring port $mport is taken by another program"
    rm -f "$NATS_PID"
    local -a passwords
    mapfile -t passwords < <(nats_prepare_users)
    [[ ${#passwords[@]} -gt 0 ]] || die "no NATS users in $USERS_CONF"
    # The passwords reach nats-server through its environment only, never a file it reads.
    env "${passwords[@]}" setsid "$NATS_SERVER" -c "$NATS_CONF" -js </dev/null >>"$NATS_LOG" 2>&1 9>&- &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log_tail "$NATS_LOG"
            die "nats-server exited at start (config $NATS_CONF)"
        fi
        if nats_healthy "$mport" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    log_tail "$NATS_LOG"
    kill "$pid" 2>/dev/null || true
    die "nats-server on 127.0.0.1:$port did not become ready"
}

nats_up() {
    local port mport
    nats_pid >/dev/null && return 0
    if [[ -z $(nats_conf_value listen) ]]; then
        port=$(pick_port "$(pg_configured_port)") || exit 1
        mport=$(pick_port "$port" "$(pg_configured_port)") || exit 1
        nats_write_config "$port" "$mport"
    fi
    nats_start_server
}

nats_down() {
    local pid i
    pid=$(nats_pid) || {
        rm -f "$NATS_PID"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || {
            rm -f "$NATS_PID"
            return 0
        }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$NATS_PID"
}

# ---------------------------------------------------------------- env file

# One `export NAME=value` line, value quoted for the shell.
env_line() {
    printf 'export %s=%q\n' "$1" "$2"
}

# Reads a variable from an existing env file without sourcing it into our shell.
env_file_value() {
    [[ -r $ENV_FILE ]] || return 0
    (
        set +u
        # shellcheck disable=SC1090
        . "$ENV_FILE" >/dev/null 2>&1 || true
        printf '%s' "${!1:-}"
    )
}

write_env() {
    local db_url=$1 admin_url=$2 nats_url=$3 pg_managed=$4 nats_managed=$5
    local tmp=$ENV_FILE.tmp.$$ run_as
    run_as=$(id -un)
    [[ $(id -u) != 0 ]] || run_as=$RUN_AS
    {
        echo "# Written by deploy/local/infra.sh start $STATE — source it: . $ENV_FILE"
        env_line DATABASE_URL "$db_url"
        env_line ADMIN_DATABASE_URL "$admin_url"
        env_line NATS_URL "$nats_url"
        env_line VX_INFRA_STATE "$STATE"
        env_line VX_PG_MANAGED "$pg_managed"
        env_line VX_NATS_MANAGED "$nats_managed"
        if [[ $pg_managed == 1 ]]; then
            env_line VX_PGDATA "$PGDATA_DIR"
            env_line VX_PG_PORT "$(pg_configured_port)"
            env_line VX_PG_SOCKDIR "$PG_SOCK"
            env_line VX_PG_LOG "$PG_LOG"
            env_line VX_PGBIN "$PGBIN"
            env_line VX_PG_RUN_AS "$run_as"
        fi
        if [[ $nats_managed == 1 ]]; then
            env_line VX_NATS_PORT "$(nats_conf_value listen)"
            env_line VX_NATS_MONITOR_PORT "$(nats_conf_value http)"
            env_line VX_NATS_STORE "$NATS_DIR"
            env_line VX_NATS_USERS_DIR "$NATS_USERS_DIR"
        fi
    } >"$tmp"
    mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    local db_url admin_url nats_url pg_managed=0 nats_managed=0 summary
    # A URL that is the one we wrote earlier (the env file was sourced) is ours to manage.
    if [[ -n ${DATABASE_URL:-} && $(env_file_value VX_PG_MANAGED) == 1 &&
        $DATABASE_URL == "$(env_file_value DATABASE_URL)" ]]; then
        unset DATABASE_URL ADMIN_DATABASE_URL
    fi
    if [[ -n ${NATS_URL:-} && $(env_file_value VX_NATS_MANAGED) == 1 && $NATS_URL == "$(env_file_value NATS_URL)" ]]; then
        unset NATS_URL
    fi

    if [[ -n ${DATABASE_URL:-} ]]; then
        db_url=$DATABASE_URL
        admin_url=${ADMIN_DATABASE_URL:-$DATABASE_URL}
        summary="postgres: given DATABASE_URL"
    else
        pg_up
        pg_managed=1
        local port
        port=$(pg_configured_port)
        db_url="postgresql://voxanne_svc@127.0.0.1:$port/voxanne"
        admin_url="postgresql://voxanne@127.0.0.1:$port/voxanne"
        summary="postgres 127.0.0.1:$port"
    fi

    if [[ -n ${NATS_URL:-} ]]; then
        nats_url=$NATS_URL
        summary+=", nats: given NATS_URL"
    else
        nats_up
        nats_managed=1
        nats_url="nats://127.0.0.1:$(nats_conf_value listen)"
        summary+=", nats 127.0.0.1:$(nats_conf_value listen) (JetStream)"
    fi

    write_env "$db_url" "$admin_url" "$nats_url" "$pg_managed" "$nats_managed"
    echo "infra: $summary; env in $ENV_FILE"
}

cmd_stop() {
    nats_down
    pg_down
    echo "infra: stopped ($STATE)"
}

cmd_pg_start() {
    [[ -f $PGDATA_DIR/PG_VERSION ]] || die "no PostgreSQL cluster in $PGDATA_DIR (run: $PROG start $STATE)"
    find_pgbin
    pg_running || pg_start_server 0
    pg_wait_ready
    echo "infra: postgres 127.0.0.1:$(pg_configured_port) started"
}

cmd_pg_stop() {
    pg_down
    echo "infra: postgres stopped"
}

cmd_nats_start() {
    [[ -r $NATS_CONF ]] || die "no NATS configuration in $NATS_DIR (run: $PROG start $STATE)"
    nats_pid >/dev/null || nats_start_server
    echo "infra: nats 127.0.0.1:$(nats_conf_value listen) started"
}

cmd_nats_stop() {
    nats_down
    echo "infra: nats stopped"
}

main() {
    [[ $# == 2 && -n $2 ]] || usage
    local cmd=$1
    case $cmd in
    start | stop | pg-start | pg-stop | nats-start | nats-stop) ;;
    *) usage ;;
    esac
    if [[ ! -d $2 ]]; then
        case $cmd in
        start) mkdir -p "$2" ;;
        stop | pg-stop | nats-stop)
            echo "infra: nothing to stop ($2 does not exist)"
            exit 0
            ;;
        *) die "$2 does not exist (run: $PROG start $2)" ;;
        esac
    fi
    init_paths "$2"
    # One infra.sh at a time per state dir.
    exec 9>"$STATE/.infra.lock"
    flock -w 120 9 || die "another $PROG holds $STATE/.infra.lock"
    case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    pg-start) cmd_pg_start ;;
    pg-stop) cmd_pg_stop ;;
    nats-start) cmd_nats_start ;;
    nats-stop) cmd_nats_stop ;;
    esac
}

main "$@"
