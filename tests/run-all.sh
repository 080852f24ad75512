#!/usr/bin/env bash
# run-all.sh [--only unit] [--filter REGEX] <build dir>… — runs every test of each build variant against one
# local NATS + PostgreSQL started for the run (see deploy/local/infra.sh):
# unit tests, then integration tests (one service as a real process), then
# end-to-end tests (the whole suite through the gateway). Prints a summary and
# fails if any test failed. Service logs are in build/test-logs/.
set -uo pipefail
cd "$(dirname "$0")/.."

# --filter REGEX runs only the tests whose path matches (grep -E): one test,
# or one service's, against fresh infrastructure while working on it.
only="" filter=""
while [[ ${1:-} == --* ]]; do
    case $1 in
    --only) only=$2 ;;
    --filter) filter=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
[[ $# -ge 1 ]] || { echo "usage: $0 [--only unit] [--filter REGEX] <build dir>..." >&2; exit 2; }
state=$(mktemp -d /tmp/voxanne-test.XXXXXX)
chmod 755 "$state"
cleanup() {
    deploy/local/infra.sh stop "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap cleanup EXIT

deploy/local/infra.sh start "$state" || exit 1
# shellcheck disable=SC1091
. "$state/env"
export VX_STATE_DIR=$state MIGRATIONS_DIR=$PWD/migrations
# NATS runs with the suite's users: the programs a test starts connect as
# their own (tests/support/vt.c), the tests' own clients as admin.
export VX_NATS_SERVICE_URL=$NATS_URL
NATS_URL="nats://admin:$(<"$VX_NATS_USERS_DIR/admin")@${NATS_URL#nats://}"
export NATS_URL
# The gateway signs what it forwards; each service started gets its own key
# derived from this one (tests/support/vt.c), as `voxctl envelope-key` makes.
ENVELOPE_MASTER_KEY=$(openssl rand -hex 32)
export ENVELOPE_MASTER_KEY
export JWT_SECRET=test-jwt-secret-with-enough-entropy
# rag-search's built-in embedder reads the model the Makefile fetched (build/models).
export RAG_MODEL_DIR=$PWD/build/models/use-lite-v1
export LOG_LEVEL=${LOG_LEVEL:-info}
"$1/bin/voxctl" migrate >/dev/null || { echo "migrations failed" >&2; exit 1; }

# VX_TEST_LOGS: a run started from inside another (tests/e2e/test_make_targets.sh)
# keeps its logs apart instead of wiping the outer run's.
logs=${VX_TEST_LOGS:-build/test-logs}
rm -rf "$logs" && mkdir -p "$logs"
failed=()
passed=0
run() {
    local t=$1 started elapsed
    [[ -z $filter ]] || grep -qE -- "$filter" <<<"$t" || return 0
    started=$(date +%s%N)
    if "$t" >"$logs/$(echo "$t" | tr / _).out" 2>&1; then
        passed=$((passed + 1))
        elapsed=$((($(date +%s%N) - started) / 1000000))
        printf 'ok    %-60s %6d ms\n' "$t" "$elapsed"
    else
        failed+=("$t")
        printf 'FAIL  %s\n' "$t"
        tail -n 40 "$logs/$(echo "$t" | tr / _).out" | sed 's/^/      /'
    fi
}

for variant in "$@"; do
    export BIN_DIR=$PWD/$variant/bin FAKES_DIR=$PWD/$variant/tests/fakes VOXCTL=$PWD/$variant/bin/voxctl
    # A test may run its long form only once, in the release build (tool-sync's 30 s outage).
    VX_TEST_VARIANT=$(basename "$variant")
    export VX_TEST_VARIANT
    # Leaks and undefined behaviour fail the run, in tests and in the services they start.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
    # Data races fail the run too (build/tsan: the services and their process tests).
    export TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp
    echo "== $variant"
    for t in $(find "$variant/tests/unit" -type f -perm -u+x 2>/dev/null | sort); do run "$t"; done
    [[ $only == unit ]] && continue
    for t in $(find "$variant/tests/integration" -type f -perm -u+x 2>/dev/null | sort); do run "$t"; done
    for t in $(find "$variant/tests/e2e" -type f -perm -u+x 2>/dev/null | sort); do run "$t"; done
done

# Shell tests (tests/**/test_*.sh) drive programs and scripts as a user would
# (the README's example, the deployment manifests): run once, against the
# first variant's binaries.
if [[ $only != unit ]]; then
    export BIN_DIR=$PWD/$1/bin FAKES_DIR=$PWD/$1/tests/fakes VOXCTL=$PWD/$1/bin/voxctl
    echo "== scripts"
    for t in $(find tests -name 'test_*.sh' -type f | sort); do run "$t"; done
fi

echo
echo "passed: $passed, failed: ${#failed[@]}"
[[ ${#failed[@]} -eq 0 ]]
