#!/usr/bin/env bash
# run.sh <build dir> — benchmarks, printing their figures (never pass/fail):
#   webhook: real end-of-call-report bodies POSTed to the gateway by wrk at
#   1, 10 and 100 connections — reports acknowledged per second (durable on
#   JetStream) with p50/p99 — then how fast webhook-ingest drains them into
#   PostgreSQL (rows per second).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
duration=${BENCH_SECONDS:-10}
state=$(mktemp -d /tmp/voxanne-bench.XXXXXX)
chmod 755 "$state"
# shellcheck source=deploy/local/suite.sh
. deploy/local/suite.sh
cleanup() {
    suite_stop
    deploy/local/infra.sh stop "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap cleanup EXIT

deploy/local/infra.sh start "$state" >/dev/null
# shellcheck disable=SC1091
. "$state/env"
export MIGRATIONS_DIR=$PWD/migrations JWT_SECRET=bench-jwt-secret VAPI_WEBHOOK_SECRET=bench-vapi-secret LOG_LEVEL=warn
export GATEWAY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/bin/voxctl" migrate >/dev/null
org=$("$build/bin/voxctl" org create --name "Bench Clinic")
assistant=$(python3 -c 'import uuid; print(uuid.uuid4())')
"$build/bin/voxctl" agent create --org "$org" --assistant-id "$assistant" >/dev/null

suite_start "$build" "$state/logs"
suite_wait_ready "$GATEWAY_PORT"

count_rows() { psql "$ADMIN_DATABASE_URL" -Atqc "SELECT count(*) FROM call_logs"; }

echo "webhook path (POST /api/vapi/webhook, end-of-call-report ~6 KB, ${duration}s each, 2 wrk threads)"
for conns in 1 10 100; do
    threads=$((conns < 2 ? 1 : 2))
    out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s tests/bench/webhook.lua \
        "http://127.0.0.1:$GATEWAY_PORT/api/vapi/webhook" -- \
        "$PWD/tests/fixtures/vapi/end-of-call-report.json" "$assistant" "$VAPI_WEBHOOK_SECRET")
    echo "  connections=$conns $(echo "$out" | grep '^BENCH' | sed 's/^BENCH //')"
done

# Ingest throughput: how quickly the stream backlog becomes rows.
acked=$(curl -s "http://127.0.0.1:$GATEWAY_PORT/metrics" |
    awk -F' ' '/requests_total\{route="vapi.webhook",code="2xx"\}/ {print $2}')
start_rows=$(count_rows)
start_ns=$(date +%s%N)
while :; do
    rows=$(count_rows)
    [[ $rows -ge $acked ]] && break
    if (( ($(date +%s%N) - start_ns) / 1000000000 > 300 )); then echo "  ingest did not catch up in 300 s"; break; fi
    sleep 0.5
done
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
drained=$((rows - start_rows))
echo "ingest: $rows of $acked acknowledged reports stored; the $drained left when the load stopped took ${elapsed_ms} ms" \
    "($((drained * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1))) rows/s with the machine to itself)"
