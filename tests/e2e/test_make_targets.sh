#!/usr/bin/env bash
# test_make_targets.sh — the README's make targets that no other test runs,
# run as a newcomer would (`make test` itself runs format-check, check-arch
# and fuzz; test_readme_demo.sh runs what `make run` runs):
#   make unit   builds and runs the unit tests only, and says how many passed;
#   make bench  (one second per run) prints a figure line for every tool and
#               for the webhook path (ours and the Express baseline's), mostly
#               answered, the ingest drains and the machine's ceilings, and
#               rag-search's recall, latency and getKnowledgeBase figures.
# Each starts its own NATS and PostgreSQL, as from a fresh shell: the test
# infrastructure's URLs are removed from their environment. Run by
# tests/run-all.sh from the checkout; takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
logs=$(mktemp -d /tmp/vx-make-targets.XXXXXX)
trap 'rm -rf "$logs"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
fresh() {
    env -u DATABASE_URL -u ADMIN_DATABASE_URL -u NATS_URL -u VX_STATE_DIR VX_TEST_LOGS="$logs/unit-logs" "$@"
}

fresh make unit >"$logs/unit.out" 2>&1 || {
    tail -n 30 "$logs/unit.out" >&2
    fail "make unit failed"
}
grep -Eq '^passed: [1-9][0-9]*, failed: 0$' "$logs/unit.out" || fail "make unit did not report its tests: $(tail -n 3 "$logs/unit.out")"
grep -Eq '^(ok|FAIL) +build/[a-z]+/tests/(integration|e2e)/' "$logs/unit.out" && fail "make unit ran integration or end-to-end tests"
echo "ok: make unit — $(grep -E '^passed:' "$logs/unit.out")"

fresh env BENCH_SECONDS=1 BENCH_CEILING_N=2000 make bench >"$logs/bench.out" 2>&1 || {
    tail -n 30 "$logs/bench.out" >&2
    fail "make bench failed"
}
# A figure line per tool and connection count, mostly answered 2xx: a bench
# figures, it does not judge, but a route that no longer answers must show.
for tool in lookupCaller transferCall checkAvailability noSuchTool; do
    n=$(awk -v tool="$tool" '$1 == tool && $2 ~ /^connections=(1|10|100)$/ {
            split($3, r, "="); split($4, e, "=");
            if (r[2] > 0 && e[2] * 2 < r[2]) ok++ } END { print ok + 0 }' "$logs/bench.out")
    [[ $n -eq 3 ]] || fail "make bench: expected 3 answered figure lines for $tool, got $n: $(grep "$tool" "$logs/bench.out")"
done
n=$(awk '$1 ~ /^connections=(1|10|100)$/ && $2 ~ /^reports_acknowledged=/ {
        split($2, r, "="); split($3, e, "=");
        if (r[2] > 0 && e[2] * 2 < r[2]) ok++ } END { print ok + 0 }' "$logs/bench.out")
# Ours, then the Express baseline's, at 1, 10 and 100 connections.
[[ $n -eq 6 ]] || fail "make bench: expected 6 acknowledged webhook figure lines (ours and the baseline's), got $n"
grep -q '^baseline: Express' "$logs/bench.out" || fail "make bench: no baseline"
grep -q '^ingest: ' "$logs/bench.out" || fail "make bench: no ingest drain figure"
grep -Eq '^ingest drain from a standing start: [0-9]+ reports' "$logs/bench.out" || fail "make bench: no standing-start drain figure"
grep -Eq '^  jetstream alone: [0-9]+ publishes' "$logs/bench.out" || fail "make bench: no JetStream ceiling"
grep -Eq '^  postgres alone: [0-9]+ rows' "$logs/bench.out" || fail "make bench: no PostgreSQL ceiling"
for what in uncached cached; do
    grep -Eq "^  vault get $what .* failed=0$" "$logs/bench.out" || fail "make bench: no vault $what figure without failures"
done
# rag-search: recall tables for both sets, a search latency, getKnowledgeBase answered.
grep -Eq '^  BM25 +recall@1 [0-9.]+  recall@5 [0-9.]+$' "$logs/bench.out" || fail "make bench: no rag-search recall figures"
grep -Eq '^search, [0-9]+ chunks .* search alone p50 [0-9.]+ ms' "$logs/bench.out" || fail "make bench: no rag-search latency figure"
n=$(grep -cE '^  getKnowledgeBase +connections=[0-9]+ requests=[1-9][0-9]* non2xx=0 ' "$logs/bench.out")
[[ $n -eq 3 ]] || fail "make bench: expected 3 answered getKnowledgeBase figure lines, got $n"
echo "ok: make bench printed every figure"
