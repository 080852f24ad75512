# shellcheck shell=bash
# suite.sh — sourced by run.sh and the benchmarks: the list of programs that
# make up the suite, started in the order that lets the gateway come up last.
# Adding a service means adding it to SUITE_SERVICES, nowhere else.

SUITE_SERVICES=(webhook-ingest dashboard-api tool-router credential-vault tool-sync rag-search gateway)
SUITE_PIDS=()
# The checkout this file is in (rag-search's model is fetched into its build/).
SUITE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# suite_start <build dir> <log dir>: starts every program in the background,
# appending to <log dir>/<program>.log; their pids are in SUITE_PIDS.
# - On the NATS infra.sh started (VX_NATS_USERS_DIR) each program connects as
#   its own user, with the permissions deploy/nats/users.conf gives it.
# - The gateway signs what it forwards with ENVELOPE_MASTER_KEY (from the
#   caller's environment); every other program gets only its own key
#   (voxctl envelope-key), never the master, and the key of the org hints
#   tool-router signs into calls (voxctl org-hint-key).
# - Only credential-vault gets the credentials' key: VAULT_ENCRYPTION_KEY
#   (else ENCRYPTION_KEY) as its ENCRYPTION_KEY, with ENCRYPTION_KEY_PREVIOUS
#   when a rotation is under way. Every other program runs without either.
# - rag-search reads its built-in embedding model from RAG_MODEL_DIR: the
#   caller's, else the folder the Makefile fetches into this checkout
#   (build/models/use-lite-v1, shared by every build variant). It runs
#   pdf-text from beside its own executable, <build dir>/bin/pdf-text.
suite_start() {
    local build=$1 logs=$2 svc
    for svc in "${SUITE_SERVICES[@]}"; do
        suite_start_one "$build" "$logs" "$svc"
    done
}

# suite_start_one <build dir> <log dir> <program>: starts one of them as
# suite_start does (its pid in SUITE_PIDS and SUITE_PID_OF[<program>]).
declare -A SUITE_PID_OF=()
suite_start_one() {
    local build=$1 logs=$2 svc=$3
    local -a identity=()
    mkdir -p "$logs"
    if [[ -n ${VX_NATS_USERS_DIR:-} && -r $VX_NATS_USERS_DIR/$svc ]]; then
        identity=(NATS_USER="$svc" NATS_PASSWORD="$(<"$VX_NATS_USERS_DIR/$svc")")
    fi
    if [[ $svc != gateway ]]; then
        identity=(-u ENVELOPE_MASTER_KEY "${identity[@]}"
            ENVELOPE_KEY="$("$build/bin/voxctl" envelope-key --program "$svc" 2>/dev/null || true)"
            ORG_HINT_KEY="$("$build/bin/voxctl" org-hint-key 2>/dev/null || true)")
    fi
    if [[ $svc == credential-vault ]]; then
        identity+=(ENCRYPTION_KEY="${VAULT_ENCRYPTION_KEY:-${ENCRYPTION_KEY:-}}")
    else
        identity=(-u ENCRYPTION_KEY -u ENCRYPTION_KEY_PREVIOUS "${identity[@]}")
    fi
    if [[ $svc == rag-search ]]; then
        identity+=(RAG_MODEL_DIR="${RAG_MODEL_DIR:-$SUITE_ROOT/build/models/use-lite-v1}")
    fi
    env "${identity[@]}" "$build/bin/$svc" >>"$logs/$svc.log" 2>&1 &
    SUITE_PIDS+=($!)
    SUITE_PID_OF[$svc]=$!
}

# suite_stop_one <program>: SIGTERM to one of them, then waits for it.
suite_stop_one() {
    local pid=${SUITE_PID_OF[$1]:-}
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# suite_wait_ready <port>: waits up to SUITE_READY_WAIT_S (default 10) seconds
# for the gateway's /ready; fails after.
suite_wait_ready() {
    local port=$1
    for _ in $(seq 1 $((${SUITE_READY_WAIT_S:-10} * 10))); do
        curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the suite did not become ready in ${SUITE_READY_WAIT_S:-10} s" >&2
    return 1
}

# suite_stop: SIGTERM to every program, then waits for each to finish.
suite_stop() {
    local pid
    for pid in "${SUITE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SUITE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SUITE_PIDS=()
}
