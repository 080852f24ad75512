#!/usr/bin/env bash
# test_manifests: docker-compose.yml, deploy/k8s/*.yaml and
# deploy/docker/Dockerfile checked as far as they can be without a Docker
# engine or a cluster:
#
#  - every program a container of ours runs (command:, CMD) is a program the
#    build produces (in $BIN_DIR) and the image copies; the image copies every
#    program and nothing else; every voxctl subcommand used exists; every
#    service (a program with a NATS user in deploy/nats/users.conf) runs in
#    compose and in the Kubernetes manifests;
#  - rag-search: the image holds its built-in model where it looks by default
#    (embed/factory.c), made readable by all, and pdf-text beside it;
#  - every environment variable set for a program is one its code reads
#    (getenv / vx_config_* names in services/<program>/ and libcommon/), and
#    every variable it requires is set for it (by the manifest or the image);
#  - the paths they reference exist: COPY sources, the build context and
#    Dockerfile, bind-mounted files; named volumes are declared; the
#    gateway's published port is the one it listens on;
#  - the runtime and build packages of the Dockerfile provide the shared
#    libraries and pkg-config modules the build uses (on a Debian host of the
#    image's release);
#  - NATS, run with the compose command and config (local nats-server), has
#    JetStream and a max_payload of at least 12 MB;
#  - the migrate command as written works the way the image runs it: voxctl
#    outside any checkout, the working directory /, MIGRATIONS_DIR as the
#    Dockerfile sets it (pointed at the repo's migrations), only the
#    manifest's variables — against the test database, where it must be a
#    no-op success; and without MIGRATIONS_DIR it fails, saying why.
#
# Run by tests/run-all.sh (cwd = checkout; BIN_DIR, DATABASE_URL and
# ADMIN_DATABASE_URL of the test database in the environment). bash, grep,
# awk and sed only. Takes about 5 s. TEST_COMPOSE_FILE, TEST_K8S_DIR and
# TEST_DOCKERFILE point it at other files (e.g. an older version). The
# image's build/release/ is looked for in $BIN_DIR's build folder, so another
# variant's build stands for it (BIN_DIR=build/<other>/bin).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
BIN_DIR=${BIN_DIR:-$root/build/release/bin}
compose_file=${TEST_COMPOSE_FILE:-docker-compose.yml}
k8s_dir=${TEST_K8S_DIR:-deploy/k8s}
dockerfile=${TEST_DOCKERFILE:-deploy/docker/Dockerfile}

problems=0
bad() {
    echo "FAIL: $*" >&2
    problems=$((problems + 1))
}
ok() { echo "ok: $*"; }

tmp=$(mktemp -d /tmp/vx-manifests.XXXXXX)
nats_pid=
cleanup() {
    if [[ -n $nats_pid ]]; then
        kill "$nats_pid" 2>/dev/null || true
        wait "$nats_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------ helpers

# Flattens the block-style YAML the manifests use into "<doc>\t<path>\t<value>"
# lines: mappings become dotted paths, list items their index
# (spec.template.spec.containers.0.image), flow values ([...], {...}) and
# scalars stay as written. Block scalars (| >) come out as "!unsupported".
yaml_flatten() {
    awk '
    function path(   p, i) {
        p = ""
        for (i = 1; i <= depth; i++) p = p (i > 1 ? "." : "") key[i]
        return p
    }
    function push(k, at) { depth++; key[depth] = k; ind[depth] = at }
    BEGIN { doc = 0; depth = 0; OFS = "\t" }
    /^---[ \t]*$/ { doc++; depth = 0; next }
    /^[ \t]*(#.*)?$/ { next }
    {
        line = $0
        sub(/[ \t]+#.*$/, "", line)
        match(line, /^ */)
        at = RLENGTH
        rest = substr(line, at + 1)
        while (depth > 0 && ind[depth] >= at) depth--
        while (rest ~ /^-( |$)/) {
            p = doc SUBSEP path()
            push(items[p]++, at)
            rest = substr(rest, 2)
            match(rest, /^ */)
            at += 1 + RLENGTH
            rest = substr(rest, RLENGTH + 1)
        }
        if (rest == "") next
        if (match(rest, /^[^:{}\[\]"'"'"' ][^:{}\[\]"'"'"']*:( |$)/) || match(rest, /^"[^"]*":( |$)/)) {
            k = substr(rest, 1, RLENGTH)
            sub(/:( )?$/, "", k)
            gsub(/^"|"$/, "", k)
            v = substr(rest, RLENGTH + 1)
            sub(/^[ \t]+/, "", v)
            sub(/[ \t]+$/, "", v)
            push(k, at)
            if (v ~ /^[|>][-+0-9]*$/) print doc, path(), "!unsupported"
            else if (v != "") print doc, path(), v
        } else {
            sub(/[ \t]+$/, "", rest)
            print doc, path(), rest
        }
    }' "$1"
}

# The elements of a flow sequence ["a", "b"] (or a bare scalar), one a line.
flow_items() {
    local s=$1
    s=${s#[}
    s=${s%]}
    tr ',' '\n' <<<"$s" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//; s/^"(.*)"$/\1/; s/^'"'"'(.*)'"'"'$/\1/' | sed '/^$/d'
}

# The variables the code of a program reads: all-caps names passed as the
# first argument of a call (getenv, vx_config_*, wrappers) in its sources and libcommon.
# (Filled once for every program below; note that grep -q never reads from a
# pipe here: it would stop reading early and, under pipefail, fail the writer.)
declare -A reads_cache=()
reads_of() { echo "${reads_cache[$1]:-}"; }
reads_var() { grep -qx -- "$2" <<<"${reads_cache[$1]:-}"; }

# What a program needs set, one requirement a line ("A|B": either will do).
# Names passed to vx_config_require, plus DATABASE_URL / NATS_URL wherever they
# are read (their built-in default, localhost, is no server in a container);
# the gateway refuses to start without a Vapi secret (services/gateway/main.c);
# every program on the bus connects as its own NATS user (deploy/nats/users.conf);
# a program that serves gateway requests (vx_rpc) needs its ENVELOPE_KEY, one
# that reads org hints ORG_HINT_KEY (both exit 2 without);
# voxctl's needs depend on the subcommand.
required_of() {
    local prog=$1 sub=${2:-}
    if [[ $prog == voxctl ]]; then
        case $sub in
        migrate) printf '%s\n' 'ADMIN_DATABASE_URL|DATABASE_URL' MIGRATIONS_DIR ;;
        org | agent) echo DATABASE_URL ;;
        token) echo JWT_SECRET ;;
        esac
        return 0
    fi
    {
        { grep -rhoE 'vx_config_require\("[A-Z0-9_]+"' "services/$prog" --include='*.c' || true; } | sed -E 's/.*\("//; s/"$//'
        reads_of "$prog" | grep -xE 'DATABASE_URL|NATS_URL' || true
        if reads_var "$prog" NATS_URL; then printf '%s\n' NATS_USER NATS_PASSWORD; fi
        if grep -rqE 'vx_rpc_serve\(|vx_rpc_worker_start|vx_rpc_require_envelope_key' "services/$prog" --include='*.c'; then
            echo ENVELOPE_KEY
        fi
        if grep -rq 'vx_vapi_require_org_hint_key' "services/$prog" --include='*.c'; then echo ORG_HINT_KEY; fi
    } | sort -u
    [[ $prog != gateway ]] || echo 'VAPI_WEBHOOK_SECRET|VAPI_WEBHOOK_HMAC_SECRET'
}

# The programs the build makes: one per services/<name>/main.c.
mapfile -t programs < <(for m in services/*/main.c; do basename "$(dirname "$m")"; done)
for prog in "${programs[@]}"; do
    [[ -x $BIN_DIR/$prog ]] || bad "the build did not produce $BIN_DIR/$prog"
done
for prog in "${programs[@]}"; do
    reads_cache[$prog]=$({ grep -rhoE '[A-Za-z_]+\("[A-Z][A-Z0-9_]{2,}"' "services/$prog" libcommon --include='*.c' || true; } |
        sed -E 's/.*\("//; s/"$//' | sort -u)
done
program_list=$(printf '%s\n' "${programs[@]}")
is_program() { grep -qx -- "$1" <<<"$program_list"; }

# ------------------------------------------------------------ Dockerfile

[[ -f $dockerfile ]] || {
    bad "$dockerfile does not exist"
    exit 1
}
# Instructions one a line (continuations joined), comments dropped.
mapfile -t instructions < <(awk '
    /^[ \t]*#/ { next }
    { line = line $0 }
    /\\$/ { sub(/\\$/, "", line); next }
    { if (line ~ /[^ \t]/) print line; line = "" }' "$dockerfile")

# Where a build-stage path is in this checkout: the image's release build
# (build/release/...) is the build under test, $BIN_DIR's folder (make run-all
# passes build/release; another variant's folder, built with the same
# Makefile, stands for it); anything else (build/models/..., migrations/) as is.
build_under_test=$(dirname "$BIN_DIR")
host_of_build_path() {
    if [[ $1 == build/release/* ]]; then
        echo "$build_under_test/${1#build/release/}"
    else
        echo "$root/$1"
    fi
}

declare -A image_bin=() # program -> build-stage path it is copied from
declare -A image_bin_dir=() # program -> the image's folder it is copied to
declare -A image_env=() # name -> value (final stage)
declare -A copy_map=()  # final-stage destination -> build-stage source
image_cmd=
stage=0
build_workdir=/
build_apt=
runtime_apt=
from_image=
for ins in "${instructions[@]}"; do
    read -r op args <<<"$ins"
    case ${op^^} in
    FROM)
        # What the image is, is what the last stage makes.
        stage=$((stage + 1))
        from_image=${args%% *}
        image_bin=()
        image_bin_dir=()
        image_env=()
        copy_map=()
        image_cmd=
        ;;
    WORKDIR)
        [[ $stage != 1 ]] || build_workdir=$args
        ;;
    RUN)
        if [[ $args == *"apt-get install"* ]]; then
            pkgs=$(sed -E 's/.*apt-get install//; s/&&.*//' <<<"$args" | tr ' ' '\n' | sed '/^-/d; /^$/d')
            if [[ $stage == 1 ]]; then build_apt=$pkgs; else runtime_apt=$pkgs; fi
        fi
        if [[ $args =~ (^|[[:space:]])make[[:space:]]+(.*) ]]; then
            read -ra make_args <<<"${BASH_REMATCH[2]%%&&*}"
            make -n -C "$root" "${make_args[@]}" >/dev/null 2>&1 || bad "$dockerfile: 'make ${make_args[*]}' is not a target of the Makefile"
        fi
        ;;
    COPY)
        read -ra words <<<"$args"
        from=
        srcs=()
        for w in "${words[@]}"; do
            case $w in
            --from=*) from=${w#--from=} ;;
            --*) ;;
            *) srcs+=("$w") ;;
            esac
        done
        dest=${srcs[-1]}
        unset 'srcs[-1]'
        for src in "${srcs[@]}"; do
            if [[ -z $from ]]; then
                # From the build context: the checkout (docker-compose.yml: context .).
                [[ -e $root/$src ]] || bad "$dockerfile: COPY source $src does not exist"
                continue
            fi
            # From the build stage: a path under its WORKDIR, i.e. in the checkout after the build.
            rel=${src#"$build_workdir"/}
            [[ $rel != "$src" ]] || bad "$dockerfile: COPY --from=$from $src is not under the build stage's WORKDIR $build_workdir"
            host=$(host_of_build_path "$rel")
            [[ -e $host ]] || bad "$dockerfile: COPY --from=$from $src: $rel is not produced by the build (looked for ${host#"$root"/})"
            if [[ $rel == build/*/bin/ || $rel == build/*/bin ]]; then
                for f in "${host%/}"/*; do
                    image_bin[${f##*/}]=${rel%/}/${f##*/}
                    image_bin_dir[${f##*/}]=${dest%/}
                done
            elif [[ $rel == build/*/bin/* ]]; then
                image_bin[${rel##*/}]=$rel
                # Several sources: dest is a folder; one: a folder when it ends in /.
                if [[ ${#srcs[@]} -gt 1 || $dest == */ ]]; then
                    image_bin_dir[${rel##*/}]=${dest%/}
                else
                    image_bin_dir[${rel##*/}]=$(dirname "$dest")
                fi
            fi
            copy_map[$dest]=$host
        done
        ;;
    ENV)
        for kv in $args; do image_env[${kv%%=*}]=${kv#*=}; done
        ;;
    CMD | ENTRYPOINT)
        [[ ${op^^} == CMD ]] || bad "$dockerfile: ENTRYPOINT is not expected (the container's command picks the program)"
        image_cmd=$args
        ;;
    esac
done
for prog in "${programs[@]}"; do
    [[ -n ${image_bin[$prog]:-} ]] || bad "$dockerfile: the image does not copy the program $prog"
done
for f in "${!image_bin[@]}"; do
    is_program "$f" || bad "$dockerfile: the image copies $f, which is not a program (services/*/main.c)"
done
for name in "${!image_env[@]}"; do
    found=
    for prog in "${programs[@]}"; do reads_var "$prog" "$name" && found=1; done
    [[ -n $found ]] || bad "$dockerfile: ENV $name is read by no program"
done
[[ -n $image_cmd ]] || bad "$dockerfile: no CMD"
default_prog=$(flow_items "$image_cmd" | sed -n 1p)
is_program "$default_prog" || bad "$dockerfile: CMD runs $default_prog, not a program"

# Maps a path inside the image to the checkout, through the final stage's COPYs.
image_path_on_host() {
    local p=$1 dest
    for dest in "${!copy_map[@]}"; do
        if [[ $p == "${dest%/}" || $p == "${dest%/}"/* ]]; then
            echo "${copy_map[$dest]%/}${p#"${dest%/}"}"
            return 0
        fi
    done
    return 1
}
if [[ -n ${image_env[MIGRATIONS_DIR]:-} ]]; then
    mig_host=$(image_path_on_host "${image_env[MIGRATIONS_DIR]}") ||
        bad "$dockerfile: MIGRATIONS_DIR=${image_env[MIGRATIONS_DIR]} is not a folder the image copies"
fi

# rag-search: its built-in embedder's default model folder (embed/factory.c,
# used when RAG_MODEL_DIR is unset) is in the image with the files it reads,
# readable by the image's user (the build stage makes them so: npm's tarball
# has them 0640); and pdf-text, which it runs from beside its own executable
# (ingest/pdf.c) unless RAG_PDF_PROGRAM is set, is in the same folder.
if is_program rag-search; then
    model_default=$(sed -nE 's/^#define RAG_MODEL_DIR_DEFAULT "([^"]+)"/\1/p' services/rag-search/embed/factory.c)
    if [[ -z $model_default ]]; then
        bad "services/rag-search/embed/factory.c: no RAG_MODEL_DIR_DEFAULT found (this test reads it)"
    elif ! model_host=$(image_path_on_host "$model_default"); then
        bad "$dockerfile: rag-search's default model folder $model_default is not a folder the image copies"
    else
        for f in model.json vocab.json LICENSE; do
            [[ -f $model_host/$f ]] || bad "$dockerfile: $model_default (here ${model_host#"$root"/}) has no $f"
        done
        ls "$model_host"/group1-shard* >/dev/null 2>&1 || bad "$dockerfile: $model_default (here ${model_host#"$root"/}) has no weight shards"
        grep -qE '^RUN .*chmod -R a\+rX [^&]*build/models/' < <(printf '%s\n' "${instructions[@]}") ||
            bad "$dockerfile: the model's files are not made readable by all (npm's tarball has them 0640; the programs run as an unprivileged user)"
        ok "$dockerfile: rag-search's built-in model is at $model_default"
    fi
    if is_program pdf-text; then
        [[ ${image_bin_dir[pdf-text]:-} == "${image_bin_dir[rag-search]:-}" ]] ||
            bad "$dockerfile: pdf-text is copied to ${image_bin_dir[pdf-text]:-nowhere}, not beside rag-search (${image_bin_dir[rag-search]:-nowhere}), where rag-search looks for it"
    fi
fi

# Packages, on a host of the image's Debian release only (names differ elsewhere).
# shellcheck disable=SC1091
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [[ -n $codename && $from_image == "debian:$codename"* ]] && command -v dpkg >/dev/null && command -v readelf >/dev/null; then
    # Each shared library a program links directly (NEEDED), and the file it resolves to.
    ld_cache=$(ldconfig -p)
    declare -A needed_by=() so_file=()
    for prog in "${programs[@]}"; do
        for so in $(readelf -d "$BIN_DIR/$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            needed_by[$so]+=" $prog"
        done
    done
    for so in "${!needed_by[@]}"; do
        file=$(awk -v so="$so" '$1 == so && !found { print $NF; found = 1 }' <<<"$ld_cache")
        [[ -z $file ]] || so_file[$so]=$(readlink -f "$file")
    done
    mapfile -t modules < <(sed -n 's/^PKGS[A-Za-z0-9_-]*[[:space:]]*:=//p' Makefile | tr -s '[:space:]' '\n' | sed '/^$/d' | sort -u)
    declare -A pc_file=()
    for mod in "${modules[@]}"; do pc_file[$mod]=$(pkg-config --variable=pcfiledir "$mod" 2>/dev/null)/$mod.pc; done
    protoc=$(readlink -f "$(command -v protoc-c)")
    # file -> package, from dpkg's file lists in one pass (dpkg -S takes a
    # second a file here); a file may be listed under /usr/lib or /lib (merged /usr).
    declare -A owner=()
    # shellcheck disable=SC2062 # the patterns come from stdin; the glob is the files
    while IFS= read -r hit; do
        pkg=${hit%%:/*}
        pkg=${pkg##*/}
        pkg=${pkg%.list}
        f=/${hit#*:/}
        owner[${f#/usr}]=${pkg%%:*}
    done < <(printf '%s\n' "${so_file[@]}" "${pc_file[@]}" "$protoc" | sed 'p; s|^/usr/|/|' | sort -u |
        grep -HxF -f - /var/lib/dpkg/info/*.list 2>/dev/null || true)
    pkg_of() { echo "${owner[${1#/usr}]:-}"; }
    # Runtime: the package of every shared library a program links directly.
    for so in "${!so_file[@]}"; do
        pkg=$(pkg_of "${so_file[$so]}")
        [[ -z $pkg || $pkg == libc6 ]] && continue
        grep -qx "$pkg" <<<"$runtime_apt" || bad "$dockerfile:${needed_by[$so]} need $so from $pkg, which the runtime stage does not install"
    done
    # Build: the package of every pkg-config module the Makefile uses, and protoc-c.
    for mod in "${modules[@]}"; do
        pkg=$(pkg_of "${pc_file[$mod]}")
        [[ -n $pkg ]] || continue
        grep -qx "$pkg" <<<"$build_apt" || bad "$dockerfile: the build needs pkg-config module $mod from $pkg, which the build stage does not install"
    done
    pkg=$(pkg_of "$protoc")
    [[ -z $pkg ]] || grep -qx "$pkg" <<<"$build_apt" || bad "$dockerfile: the build needs protoc-c from $pkg"
    ok "$dockerfile's packages provide the libraries of the programs ($codename host)"
else
    echo "skip: package check (host is not Debian $codename of $from_image, or no dpkg/readelf)"
fi
ok "$dockerfile: copies ${#image_bin[@]} programs, sets ${!image_env[*]}, runs $default_prog by default"

# ------------------------------------------------------------ containers

# check_container <where> <program> <args (newline-separated)> <env names (newline-separated)>
# <secret-ish names, for the message>: the checks every container of ours gets.
migrate_runs=()
declare -A runs_in=() # program -> the manifests that run it (" compose k8s")
check_container() {
    local where=$1 prog=$2 args=$3 names=$4 sub req alt name set_names
    case $where in
    "$compose_file:"*) runs_in[$prog]+=" compose" ;;
    *) runs_in[$prog]+=" k8s" ;;
    esac
    if ! is_program "$prog"; then
        bad "$where runs '$prog', which is not a program the build produces"
        return
    fi
    [[ -n ${image_bin[$prog]:-} ]] || bad "$where runs $prog, which the image does not contain"
    sub=$(head -n 1 <<<"$args")
    if [[ $prog == voxctl ]]; then
        mapfile -t argv <<<"$args"
        if ! "$BIN_DIR/voxctl" "${argv[@]}" --help >/dev/null 2>&1; then
            bad "$where: 'voxctl ${argv[*]}' is not a voxctl command (voxctl ${argv[*]} --help fails)"
        fi
        [[ $sub != migrate ]] || migrate_runs+=("$where|$names")
    elif [[ -n $args ]]; then
        bad "$where: $prog takes no arguments, got: $(tr '\n' ' ' <<<"$args")"
    fi
    for name in $names; do
        reads_var "$prog" "$name" || bad "$where sets $name, which $prog does not read"
    done
    set_names=$(printf '%s\n' "$names" "${!image_env[@]}")
    while read -r req; do
        [[ -n $req ]] || continue
        local met=
        IFS='|' read -ra alt <<<"$req"
        for name in "${alt[@]}"; do grep -qx "$name" <<<"$set_names" && met=1; done
        [[ -n $met ]] || bad "$where: $prog needs ${req//|/ or } set, and it is not"
    done < <(required_of "$prog" "$sub")
}

# ------------------------------------------------------------ docker-compose.yml

compose=$(yaml_flatten "$compose_file")
! grep -q $'\t!unsupported$' <<<"$compose" || bad "$compose_file: block scalars (| >) are not understood by this test"
# Read once: path -> value, and the paths in file order.
declare -A C=()
c_paths=()
while IFS=$'\t' read -r _ p v; do
    C[$p]=$v
    c_paths+=("$p")
done <<<"$compose"
cval() { echo "${C[$1]:-}"; }
# The keys directly below a path, in file order.
ckeys() {
    local p k seen=" "
    for p in "${c_paths[@]}"; do
        [[ $p == "$1".* ]] || continue
        k=${p#"$1".}
        k=${k%%.*}
        [[ $seen == *" $k "* ]] && continue
        seen+="$k "
        echo "$k"
    done
}
# The path of the mapping anchored &name.
anchor_path() {
    local p
    for p in "${c_paths[@]}"; do
        if [[ ${C[$p]} == "&$1" || ${C[$p]} == "&$1 "* ]]; then
            echo "$p"
            return
        fi
    done
}
# A service's key, as YAML merge (<<: *anchor) gives it: its own, else the anchor's.
ckey_path() {
    local svc=$1 key=$2 merge
    if [[ -n $(cval "services.$svc.$key") || -n $(ckeys "services.$svc.$key") ]]; then
        echo "services.$svc.$key"
        return
    fi
    merge=$(cval "services.$svc.<<")
    if [[ $merge == \** ]]; then
        echo "$(anchor_path "${merge#\*}").$key"
    else
        echo "services.$svc.$key"
    fi
}

declared_volumes=$(ckeys volumes)
mapfile -t services < <(ckeys services)
for svc in "${services[@]}"; do
    where="$compose_file: $svc"
    image=$(cval "$(ckey_path "$svc" image)")
    build=$(cval "$(ckey_path "$svc" build)")
    [[ -n $(ckeys "$(ckey_path "$svc" env_file)") || -n $(cval "$(ckey_path "$svc" env_file)") ]] &&
        bad "$where: env_file is not checked by this test; use environment:"
    # Volumes: bind mounts must exist, named volumes be declared.
    vpath=$(ckey_path "$svc" volumes)
    for v in $(ckeys "$vpath"); do
        spec=$(cval "$vpath.$v")
        src=${spec%%:*}
        if [[ $src == ./* || $src == /* ]]; then
            [[ -e $root/${src#./} ]] || bad "$where mounts $src, which does not exist"
        else
            grep -qx "$src" <<<"$declared_volumes" || bad "$where uses volume $src, not declared under volumes:"
        fi
    done
    if [[ -n $build ]]; then
        ctx=$(sed -nE 's/.*context:[[:space:]]*([^,}[:space:]]+).*/\1/p' <<<"$build")
        df=$(sed -nE 's/.*dockerfile:[[:space:]]*([^,}[:space:]]+).*/\1/p' <<<"$build")
        [[ -d $root/${ctx:-.} ]] || bad "$where: build context ${ctx:-.} does not exist"
        [[ -f $root/${ctx:-.}/${df:-Dockerfile} ]] || bad "$where: ${ctx:-.}/${df:-Dockerfile} does not exist"
        [[ -n ${TEST_DOCKERFILE:-} || $root/${ctx:-.}/${df:-Dockerfile} -ef $dockerfile ]] ||
            bad "$where builds from ${ctx:-.}/${df:-Dockerfile}, not $dockerfile"
    fi
    cmd=$(cval "$(ckey_path "$svc" command)")
    epath=$(ckey_path "$svc" environment)
    env_names=$(ckeys "$epath")
    if [[ $image != voxanne* && -z $build ]]; then
        # Someone else's image (nats, postgres): what we give it must be used.
        if [[ $image == postgres* ]]; then
            for name in $env_names; do
                [[ $name == POSTGRES_* || $name == PG* ]] && continue
                used=
                for v in $(ckeys "$vpath"); do
                    spec=$(cval "$vpath.$v")
                    [[ ${spec%%:*} == ./* ]] && grep -q "$name" "$root/${spec%%:*}" 2>/dev/null && used=1
                done
                [[ -n $used ]] || bad "$where sets $name, which no mounted init script reads"
            done
        fi
        if [[ $image == nats* ]]; then
            nats_cmd=$cmd
            nats_vpath=$vpath
            nats_env=$env_names
            # Every user of the permissions must get its password, and only those.
            nats_users=$(sed -n 's/^ *user: *\([a-z0-9_-]*\) *$/\1/p' "$root/deploy/nats/users.conf")
            want_env=$(for u in $nats_users; do
                u=${u^^}
                echo "VX_NATS_PASSWORD_${u//-/_}"
            done | sort)
            [[ $(sort <<<"$env_names") == "$want_env" ]] ||
                bad "$where: its environment should be the passwords of deploy/nats/users.conf's users: $(tr '\n' ' ' <<<"$want_env")"
        fi
        continue
    fi
    [[ -n $cmd ]] || cmd=$image_cmd
    prog=$(flow_items "$cmd" | sed -n 1p)
    args=$(flow_items "$cmd" | tail -n +2)
    for name in $env_names; do
        [[ -n $(cval "$epath.$name") ]] || bad "$where sets $name to nothing"
    done
    check_container "$where" "$prog" "$args" "$env_names"
    # The published port must be the one the gateway listens on.
    if [[ $prog == gateway ]]; then
        port=$(cval "$epath.GATEWAY_PORT")
        published=$(cval "$(ckey_path "$svc" ports)")
        [[ $published == *":${port:-8080}\""* || $published == *":${port:-8080}]"* ]] ||
            bad "$where publishes $published, but the gateway listens on ${port:-8080}"
    fi
done
ok "$compose_file: ${#services[@]} services checked"

# NATS as compose runs it: the local nats-server with the same arguments and
# config (container paths mapped to the checkout and a temporary store).
if [[ -n ${nats_cmd:-} ]] && command -v nats-server >/dev/null; then
    mapfile -t nargs < <(flow_items "$nats_cmd")
    declare -A mounts=()
    for v in $(ckeys "$nats_vpath"); do
        spec=$(cval "$nats_vpath.$v")
        IFS=: read -r msrc mdst _ <<<"$spec"
        if [[ $msrc == ./* ]]; then mounts[$mdst]=$root/${msrc#./}; else mounts[$mdst]=$tmp/volume-$msrc; fi
        [[ $msrc == ./* ]] || mkdir -p "$tmp/volume-$msrc"
    done
    for i in "${!nargs[@]}"; do
        a=${nargs[$i]}
        [[ -n ${mounts[$a]:-} ]] || continue
        # Files mounted next to it (an include ./users.conf) sit next to the copy too.
        for mdst in "${!mounts[@]}"; do
            [[ $(dirname "$mdst") == "$(dirname "$a")" && -f ${mounts[$mdst]} ]] && cp "${mounts[$mdst]}" "$tmp/$(basename "$mdst")"
        done
        # A mounted config file: copied with the container's paths mapped too.
        sed_args=()
        for mdst in "${!mounts[@]}"; do sed_args+=(-e "s|\"$mdst\"|\"${mounts[$mdst]}\"|g"); done
        sed "${sed_args[@]}" "${mounts[$a]}" >"$tmp/nats-$i.conf"
        nargs[i]=$tmp/nats-$i.conf
    done
    np=$((10000 + RANDOM % 10000))
    nm=$((np + 1))
    # The passwords compose gives it (any values will do here).
    nats_env_args=()
    for name in ${nats_env:-}; do nats_env_args+=("$name=vxtestpassword"); done
    env "${nats_env_args[@]}" nats-server "${nargs[@]}" -a 127.0.0.1 -p "$np" -m "$nm" >"$tmp/nats.log" 2>&1 &
    nats_pid=$!
    varz=
    for ((i = 0; i < 50; i++)); do
        kill -0 "$nats_pid" 2>/dev/null || break
        varz=$(curl -fs "http://127.0.0.1:$nm/varz" 2>/dev/null) && break
        sleep 0.1
    done
    if [[ -z $varz ]]; then
        bad "$compose_file: nats-server ${nats_cmd} does not start: $(head -n 1 "$tmp/nats.log")"
    else
        payload=$(sed -nE 's/.*"max_payload": *([0-9]+).*/\1/p' <<<"$varz" | sed -n 1p)
        ((${payload:-0} >= 12 * 1024 * 1024)) || bad "$compose_file: NATS max_payload is ${payload:-unknown}, below the 12 MB the gateway's envelopes need (deploy/local/infra.sh runs 12MB)"
        jsz=$(curl -fs "http://127.0.0.1:$nm/jsz" || true)
        [[ $jsz == *'"config"'* ]] || bad "$compose_file: NATS runs without JetStream"
        ok "$compose_file: nats-server $(tr '\n' ' ' < <(flow_items "$nats_cmd"))starts with JetStream, max_payload $payload"
    fi
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
    nats_pid=
else
    echo "skip: NATS command check (no nats service, or no local nats-server)"
fi

# ------------------------------------------------------------ Kubernetes

shopt -s nullglob
k8s_files=("$k8s_dir"/*.yaml "$k8s_dir"/*.yml)
[[ ${#k8s_files[@]} -gt 0 ]] || bad "no manifests in $k8s_dir"
for f in "${k8s_files[@]}"; do
    # The Secret's keys, from the kubectl command documented at the top of the file.
    secret_keys=$({ grep -oE -- '--from-literal=[A-Z_][A-Z0-9_]*=' "$f" || true; } | sed -E 's/--from-literal=//; s/=$//' | sort -u)
    flat=$(yaml_flatten "$f")
    ! grep -q $'\t!unsupported$' <<<"$flat" || bad "$f: block scalars (| >) are not understood by this test"
    declare -A K=()
    k_paths=()
    while IFS=$'\t' read -r d p v; do
        K[$d:$p]=$v
        k_paths+=("$d:$p")
    done <<<"$flat"
    # doc<TAB>container path prefix, for every container.
    containers=$(awk -F'\t' 'match($2, /^.*\.containers\.[0-9]+\./) { p = substr($2, 1, RLENGTH - 1); if (!seen[$1 SUBSEP p]++) print $1 "\t" p }' <<<"$flat")
    n=0
    while IFS=$'\t' read -r doc prefix; do
        [[ -n $prefix ]] || continue
        n=$((n + 1))
        kval() { echo "${K[$doc:$prefix.$1]:-}"; }
        kpaths() {
            local p
            for p in "${k_paths[@]}"; do
                [[ $p == "$doc:$prefix.$1".* ]] && printf '%s\t%s\n' "${p#*:}" "${K[$p]}"
            done
            return 0
        }
        name=$(kval name)
        where="$f: container $name"
        image=$(kval image)
        [[ $image == voxanne* ]] || continue
        cmd=$(kval command)
        [[ -n $cmd ]] || cmd=$image_cmd
        prog=$(flow_items "$cmd" | sed -n 1p)
        args=$( (
            flow_items "$cmd" | tail -n +2
            [[ -z $(kval args) ]] || flow_items "$(kval args)"
        ))
        # env: a flow list [{ name: X, ... }, ...], items { name: X, ... }, or block items with a name: key.
        env_names=$( (
            kval env | { grep -oE '(\[|,) *\{ *name: *[A-Za-z_][A-Za-z0-9_]*' || true; } | sed -E 's/.*name: *//'
            kpaths env | awk -F'\t' '
                $2 ~ /^\{/ { if (match($2, /name: *[A-Za-z_][A-Za-z0-9_]*/)) { s = substr($2, RSTART, RLENGTH); sub(/name: */, "", s); print s } next }
                $1 ~ /\.env\.[0-9]+\.name$/ { print $2 }'
        ) | sort -u)
        for key in $( (kval env; kpaths env) | { grep -oE 'key: *[A-Za-z_][A-Za-z0-9_]*' || true; } | sed -E 's/key: *//'); do
            grep -qx "$key" <<<"$secret_keys" || bad "$where reads Secret key $key, which the Secret (documented in $f) does not have"
        done
        # envFrom: every key of the Secret.
        env_from="$(kpaths envFrom)$(kval envFrom)"
        if [[ -n $env_from ]]; then
            [[ $env_from != *configMapRef* ]] || bad "$where: envFrom configMapRef is not checked by this test"
            [[ -n $secret_keys ]] || bad "$where: envFrom takes a Secret whose keys $f does not document (kubectl create secret … --from-literal=KEY=…)"
            env_names=$(printf '%s\n' "$env_names" "$secret_keys" | sed '/^$/d' | sort -u)
        fi
        check_container "$where" "$prog" "$args" "$env_names"
        if [[ $prog == gateway ]]; then
            gport=$( (kval env; kpaths env) | sed -nE 's/.*name: *GATEWAY_PORT, *value: *"?([0-9]+).*/\1/p')
            for k in ports readinessProbe livenessProbe; do
                v=$(kval "$k")
                [[ -z $v || $v == *"ort: ${gport:-8080}"* ]] || bad "$where: $k uses another port than the gateway's ${gport:-8080}: $v"
            done
        fi
    done <<<"$containers"
    ok "$f: $n containers checked"
done

# ------------------------------------------------------------ every service deployed

# A program with its own NATS user (deploy/nats/users.conf) is a service of
# the suite: compose and the Kubernetes manifests each run it. (voxctl is the
# operator's, pdf-text rag-search's child: neither has a user.)
while read -r user; do
    is_program "$user" || continue
    [[ ${runs_in[$user]:-} == *" compose"* ]] || bad "$compose_file does not run $user (a service: deploy/nats/users.conf has its user)"
    [[ ${runs_in[$user]:-} == *" k8s"* ]] || bad "$k8s_dir does not run $user (a service: deploy/nats/users.conf has its user)"
done < <(sed -n 's/^ *user: *\([a-z0-9_-]*\) *$/\1/p' deploy/nats/users.conf)

# ------------------------------------------------------------ migrate, as the image runs it

if [[ -z ${ADMIN_DATABASE_URL:-}${DATABASE_URL:-} ]]; then
    bad "ADMIN_DATABASE_URL / DATABASE_URL of the test database are not set: cannot run the migrate command"
elif [[ -z ${mig_host:-} ]]; then
    bad "$dockerfile sets no MIGRATIONS_DIR the migrate command could use"
else
    # voxctl as in the image: outside any checkout (no fallback to one's migrations or .run/env).
    mkdir -p "$tmp/usr-local-bin"
    cp "$BIN_DIR/voxctl" "$tmp/usr-local-bin/voxctl"
    for run in "${migrate_runs[@]}"; do
        where=${run%%|*}
        names=${run#*|}
        envs=(PATH=/usr/bin:/bin "MIGRATIONS_DIR=$mig_host")
        for name in $names; do
            case $name in
            ADMIN_DATABASE_URL) envs+=("ADMIN_DATABASE_URL=${ADMIN_DATABASE_URL:-$DATABASE_URL}") ;;
            DATABASE_URL) envs+=("DATABASE_URL=${DATABASE_URL:-$ADMIN_DATABASE_URL}") ;;
            esac
        done
        if ! out=$(cd / && env -i "${envs[@]}" "$tmp/usr-local-bin/voxctl" migrate 2>&1); then
            bad "$where: 'voxctl migrate' with MIGRATIONS_DIR=${image_env[MIGRATIONS_DIR]} (here $mig_host), from /, failed: $out"
            continue
        fi
        grep -qF "migrate: migrations from $mig_host (MIGRATIONS_DIR)" <<<"$out" || bad "$where: voxctl migrate did not use MIGRATIONS_DIR: $out"
        grep -q '^migrate: 0 applied' <<<"$out" || bad "$where: voxctl migrate was not a no-op on the migrated test database: $out"
        ok "$where: voxctl migrate from / with MIGRATIONS_DIR and $(tr ' ' ',' <<<"${names//$'\n'/ }"): $(tail -n 1 <<<"$out")"
    done
    [[ ${#migrate_runs[@]} -gt 0 ]] || bad "no manifest runs voxctl migrate"
    # Without MIGRATIONS_DIR, from /, it cannot find the folder — and says so.
    status=0
    out=$(cd / && env -i PATH=/usr/bin:/bin "ADMIN_DATABASE_URL=${ADMIN_DATABASE_URL:-$DATABASE_URL}" \
        "$tmp/usr-local-bin/voxctl" migrate 2>&1) || status=$?
    [[ $status == 2 && $out == *"no migrations folder"* && $out == *MIGRATIONS_DIR* ]] ||
        bad "voxctl migrate without MIGRATIONS_DIR, from /: expected exit 2 and a message naming MIGRATIONS_DIR, got $status: $out"
fi

if ((problems > 0)); then
    echo "$problems problem(s) in the deployment files" >&2
    exit 1
fi
echo "ok: the deployment files hold together"
