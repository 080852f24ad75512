#!/usr/bin/env bash
# test_readme_demo: the README's first request, as a newcomer runs it.
#
#  1. README.md's "A first request" shows exactly the lines of
#     deploy/local/demo.sh marked "# README", in order (so they cannot drift).
#  2. deploy/local/run.sh starts the suite the way `make run` does — its own
#     PostgreSQL and NATS in a fresh state folder, nothing inherited from the
#     test runner's environment (no DATABASE_URL, NATS_URL, secrets) — on a
#     free GATEWAY_PORT, and writes a 0600 env file with everything a second
#     shell needs.
#  3. deploy/local/demo.sh, run in a fresh shell (env -i: HOME, PATH and
#     VOXANNE_STATE_DIR only), succeeds and lists the call it posted; a second
#     run, from the checkout, succeeds as well (fresh ids every run).
#  4. voxctl, given only VOXANNE_STATE_DIR, reads its settings from that env
#     file (DATABASE_URL, JWT_SECRET) and prints no secret.
#  5. SIGTERM stops run.sh with status 0, and nothing is left running: no
#     process has a file or its working directory in the state folder. The
#     trap stops and removes everything even when a step fails.
#
# Run by tests/run-all.sh (cwd = checkout, BIN_DIR set); needs
# build/release (what `make run` runs). Takes about 10 s (most of it starting
# PostgreSQL and NATS).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=build/release
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# ------------------------------------------------------------ 1. README ↔ demo.sh

script_lines=$(grep -E '[[:space:]]# README$' deploy/local/demo.sh | sed -E 's/[[:space:]]+# README$//; s/^[[:space:]]+//')
[[ -n $script_lines ]] || fail "deploy/local/demo.sh has no line marked '# README'"
# The fenced sh block that follows the marker comment inside "## A first request".
readme_lines=$(awk '
    /^## / { in_section = ($0 == "## A first request") }
    in_section && /^<!-- The lines of deploy\/local\/demo.sh/ { armed = 1; next }
    armed && !inside && /^```sh$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside && NF > 0 { print }
' README.md)
[[ -n $readme_lines ]] || fail "README.md: no sh block after the demo.sh marker comment in '## A first request'"
if [[ $readme_lines != "$script_lines" ]]; then
    echo "README.md's block and deploy/local/demo.sh's '# README' lines differ (< README, > script):" >&2
    diff <(echo "$readme_lines") <(echo "$script_lines") >&2 || true
    fail "README.md and deploy/local/demo.sh drifted apart"
fi
# The section tells how to run it.
section=$(awk '/^## / { s = ($0 == "## A first request") } s' README.md)
# shellcheck disable=SC2016 # backquotes meant literally
[[ $section == *'`make run` in one shell'* ]] || fail "README.md's first request no longer says to start \`make run\` first"
grep -qx 'deploy/local/demo.sh' <<<"$section" || fail "README.md's first request no longer shows the command deploy/local/demo.sh"
echo "ok: README.md shows demo.sh's $(wc -l <<<"$script_lines") commands, in order"

# ------------------------------------------------------------ 2. make run, from scratch

for prog in voxctl gateway webhook-ingest dashboard-api tool-router; do
    [[ -x $build/bin/$prog ]] || fail "$build/bin/$prog is missing: make VARIANT=release build"
done

# A free port outside infra.sh's range (20000-40000), so the two never pick the same one.
free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((10000 + RANDOM % 10000))
        [[ -z $(ss -Htln "sport = :$port" 2>/dev/null) ]] || continue
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        echo "$port"
        return 0
    done
    return 1
}
port=$(free_port) || fail "no free TCP port"

# PostgreSQL runs as the unprivileged user voxanne when we are root: the state
# folder must be reachable by it.
state=$(mktemp -d /tmp/vx-readme-demo.XXXXXX)
chmod 755 "$state"
run_log=$(mktemp /tmp/vx-readme-demo-run.XXXXXX)
run_pid=

# Every process that has a file or its working directory inside the state folder
# (find matches the links' targets itself: no process per descriptor).
processes_in_state() {
    { find /proc/[0-9]*/fd /proc/[0-9]*/cwd -maxdepth 1 \( -lname "$state" -o -lname "$state/*" \) 2>/dev/null || true; } |
        sed -E 's|^/proc/([0-9]+)/.*|\1|' | sort -u | { grep -vx "$$" || true; }
}

cleanup() {
    local status=$? i pids
    trap - EXIT
    if [[ -n $run_pid ]] && kill -0 "$run_pid" 2>/dev/null; then
        kill -TERM "$run_pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
            kill -0 "$run_pid" 2>/dev/null || break
            sleep 0.1
        done
        # run.sh leads its own process group (setsid): what is left of it goes.
        kill -KILL -- "-$run_pid" 2>/dev/null || true
        wait "$run_pid" 2>/dev/null || true
    fi
    deploy/local/infra.sh stop "$state" >/dev/null 2>&1 || true
    pids=$(processes_in_state)
    if [[ -n $pids ]]; then
        echo "FAIL: still running in $state after the stop:" >&2
        for pid in $pids; do
            echo "  $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
            kill -KILL "$pid" 2>/dev/null || true
        done
        status=1
    fi
    if [[ $status != 0 ]]; then
        echo "---- run.sh output ----" >&2
        cat "$run_log" >&2 || true
        for log in "$state"/logs/*.log; do
            [[ -f $log ]] || continue
            echo "---- last lines of $log ----" >&2
            tail -n 15 "$log" >&2
        done
    fi
    rm -rf "$state" "$run_log"
    exit "$status"
}
trap cleanup EXIT

started=$(date +%s%N)
# env -i: nothing of the runner's environment (DATABASE_URL, NATS_URL, JWT_SECRET, …).
env -i HOME="${HOME:-/root}" PATH="$PATH" VOXANNE_STATE_DIR="$state" GATEWAY_PORT="$port" \
    setsid bash deploy/local/run.sh "$build" >"$run_log" 2>&1 &
run_pid=$!

ready=
for ((i = 0; i < 600; i++)); do
    kill -0 "$run_pid" 2>/dev/null || fail "run.sh exited before the gateway was ready"
    if grep -q '^Voxanne is running' "$run_log" && curl -fs -o /dev/null "http://127.0.0.1:$port/ready"; then
        ready=1
        break
    fi
    sleep 0.1
done
[[ -n $ready ]] || fail "the gateway on port $port was not ready within 60 s"
echo "ok: run.sh ready on port $port in $((($(date +%s%N) - started) / 1000000)) ms"

env_file=$state/env
[[ $(stat -c %a "$env_file") == 600 ]] || fail "$env_file has mode $(stat -c %a "$env_file"), not 600"
for name in DATABASE_URL ADMIN_DATABASE_URL NATS_URL GATEWAY_URL JWT_SECRET VAPI_WEBHOOK_SECRET; do
    grep -q "^export $name=." "$env_file" || fail "$env_file does not set $name"
done
grep -qx "export GATEWAY_URL=http://127.0.0.1:$port" "$env_file" || fail "$env_file: GATEWAY_URL is not http://127.0.0.1:$port"
grep -qi '^#.*development-only' "$env_file" || fail "$env_file does not mark its secrets as development-only"
jwt_secret=$(sed -n 's/^export JWT_SECRET=//p' "$env_file")
webhook_secret=$(sed -n 's/^export VAPI_WEBHOOK_SECRET=//p' "$env_file")
[[ ${#jwt_secret} -ge 32 && ${#webhook_secret} -ge 16 ]] || fail "the development secrets in $env_file are too short"
if grep -qF -e "$jwt_secret" -e "$webhook_secret" "$run_log"; then
    fail "run.sh printed a secret"
fi
echo "ok: $env_file (0600) sets everything a second shell needs"

# ------------------------------------------------------------ 3. the demo, in a fresh shell

# run_demo <dir>: runs demo.sh from dir in a shell that inherits nothing but HOME, PATH, VOXANNE_STATE_DIR.
run_demo() {
    local dir=$1 out t0 call
    t0=$(date +%s%N)
    if ! out=$(cd "$dir" && env -i HOME="${HOME:-/root}" PATH="$PATH" VOXANNE_STATE_DIR="$state" \
        bash "$root/deploy/local/demo.sh" 2>&1); then
        echo "$out" >&2
        fail "deploy/local/demo.sh failed (run from $dir)"
    fi
    call=$(sed -n 's/^demo\.sh: OK: call \([0-9a-f-]*\) was stored for organization \([0-9a-f-]*\)$/\1 \2/p' <<<"$out")
    [[ -n $call ]] || {
        echo "$out" >&2
        fail "demo.sh did not end with its OK line"
    }
    grep -q "^{\"calls\":\[.*\"vapi_call_id\":\"${call% *}\".*\"status\":\"completed\"" <<<"$out" || {
        echo "$out" >&2
        fail "demo.sh's output does not list call ${call% *} as completed"
    }
    if grep -qF -e "$jwt_secret" -e "$webhook_secret" <<<"$out"; then
        fail "demo.sh printed a secret"
    fi
    echo "ok: demo.sh from $dir: call ${call% *} listed ($((($(date +%s%N) - t0) / 1000000)) ms)" >&2
    echo "$call"
}
first=$(run_demo /)
second=$(run_demo "$root")
[[ ${first% *} != "${second% *}" ]] || fail "two demo runs used the same call id"
org=${second#* }

# ------------------------------------------------------------ 4. voxctl reads the env file by itself

out=$(cd / && env -i VOXANNE_STATE_DIR="$state" "$root/$build/bin/voxctl" org create --name "Env file org" 2>"$state/voxctl.err") ||
    fail "voxctl org create with only VOXANNE_STATE_DIR failed: $(cat "$state/voxctl.err")"
[[ $out =~ ^[0-9a-f-]{36}$ ]] || fail "voxctl org create printed '$out', not an id"
grep -q "note: DATABASE_URL, ADMIN_DATABASE_URL, JWT_SECRET from $state/env" "$state/voxctl.err" ||
    fail "voxctl did not say where its settings came from: $(cat "$state/voxctl.err")"
token=$(env -i VOXANNE_STATE_DIR="$state" "$root/$build/bin/voxctl" token --org "$org" 2>"$state/voxctl.err") ||
    fail "voxctl token with only VOXANNE_STATE_DIR failed: $(cat "$state/voxctl.err")"
if grep -qF -e "$jwt_secret" -e "$webhook_secret" "$state/voxctl.err" || grep -qF "$jwt_secret" <<<"$token"; then
    fail "voxctl printed a secret"
fi
rm -f "$state/voxctl.err"
calls=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/calls") ||
    fail "the gateway refused the token voxctl signed with the env file's JWT_SECRET"
[[ $calls == *"\"vapi_call_id\":\"${second% *}\""* ]] || fail "GET /api/calls with voxctl's token does not list the demo's call"
echo "ok: voxctl took DATABASE_URL and JWT_SECRET from the env file; the gateway accepts its token"

# ------------------------------------------------------------ 5. stop

kill -TERM "$run_pid"
status=0
wait "$run_pid" || status=$?
run_pid=
[[ $status == 0 ]] || fail "run.sh exited with status $status after SIGTERM"
grep -q '^infra: stopped' "$run_log" || fail "run.sh did not stop its infrastructure"
left=$(processes_in_state)
[[ -z $left ]] || fail "processes still in $state after run.sh stopped: $left"
echo "ok: SIGTERM stopped run.sh (status 0), its services, PostgreSQL and NATS"
