#!/usr/bin/env bash
# run.sh <build dir> — benchmarks, printing their figures (never pass/fail):
#   tools: real Vapi tool-calls bodies (lookupCaller, transferCall,
#   checkAvailability) POSTed to the gateway by wrk at 1, 10 and 100
#   connections (after a warm-up), answered by tool-router from PostgreSQL:
#   requests/s, p50/p99; then the same path for a tool that does not exist
#   (no database work): the ceiling of the transport itself.
#   webhook: real end-of-call-report bodies POSTed to the gateway by wrk at
#   1, 10 and 100 connections — reports acknowledged per second (durable on
#   JetStream) with p50/p99 — then how fast webhook-ingest drains them into
#   PostgreSQL (rows per second); then, side by side in the same run, the
#   baseline (tests/bench/express-baseline: Express + node-postgres storing
#   the same report with the same mapping, installed from npm and started
#   here) at the same connections; then the machine's ceilings, each stage
#   alone (bench_ceilings: JetStream publish, PostgreSQL batch insert).
#   envelope: the gateway's signature on a request, signed and verified.
#   vault: a service's credential get from credential-vault over NATS,
#   uncached and cached, p50/p99.
#   dashboard: one org seeded with 1,000,000 calls over a year and 100,000
#   contacts (tests/bench/dashboard_seed.sql, timed), then the dashboard's
#   reads through the gateway with an owner's token by wrk at 100
#   connections: the calls list (first page, a deep page by cursor), the
#   calls stats (30 and 365 days), the contacts search (a name substring, a
#   number prefix) — requests/s, p50/p99. Last in a full run, so its million
#   rows weigh on no figure above.
#   toolsync: tool-sync against tests/fakes/vapi_api: agent saves (PUT
#   /api/agent) through the gateway by wrk at 10 connections over
#   BENCH_TOOLSYNC_ORGS orgs (default 100) — saves answered per second,
#   p50/p99 (the save never waits on Vapi) — then the time from a save's
#   commit to its org's assistant in sync at Vapi, p50/p99/max over one save
#   of each org made at once (a burst, so it includes the queue), and how
#   many Vapi calls and tool creations that took.
#   embed: rag-search's built-in embedder (USE lite, bench_embed) alone, before
#   any server starts: µs per query (a short question) and per chunk (~500
#   characters), p50/p99, wall and CPU time, one core; the loaded model's
#   memory and load time.
#   rag: rag-search's recall (MedQuAD, the clinic paraphrase set: BM25,
#   dense, fused), search latency at 10,000 and 100,000 chunks and memory
#   (bench_rag), then getKnowledgeBase through the gateway at 1, 10 and 100
#   connections, the clinic paraphrase set's questions in turn.
# BENCH_SECONDS sets each run's length (default 10); BENCH_ONLY=tools|webhook|vault|dashboard|toolsync|embed|rag runs one part;
# BENCH_NATS_REPLICAS=3 runs NATS as a three-server cluster with the VAPI stream R3;
# BENCH_NATS_PERMISSIONS=off runs NATS without the suite's users (to measure their cost);
# BENCH_PG_STATEMENTS=1 prints where PostgreSQL's time went during the drain.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
duration=${BENCH_SECONDS:-10}
# The built-in embedder needs no server: measured first, on a quiet machine.
if [[ ${BENCH_ONLY:-embed} == embed && -x $build/tests/bench/bench_embed ]]; then
    "$build/tests/bench/bench_embed"
    [[ -z ${BENCH_ONLY:-} ]] || exit 0
fi
state=$(mktemp -d /tmp/voxanne-bench.XXXXXX)
chmod 755 "$state"
# shellcheck source=deploy/local/suite.sh
. deploy/local/suite.sh
cleanup() {
    suite_stop
    tests/bench/nats_cluster.sh stop "$state" 2>/dev/null || true
    deploy/local/infra.sh stop "$state" >/dev/null 2>&1 || true
    # BENCH_KEEP_LOGS=<dir>: the services' logs of this run are kept there.
    [[ -z ${BENCH_KEEP_LOGS:-} ]] || cp -r "$state/logs" "$BENCH_KEEP_LOGS" 2>/dev/null || true
    [[ -z ${BENCH_KEEP_LOGS:-} || ! -d $state/nats-cluster ]] || cp -r "$state/nats-cluster" "$BENCH_KEEP_LOGS/" 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT

deploy/local/infra.sh start "$state" >/dev/null
# BENCH_NATS_PERMISSIONS=off: the same suite on a NATS without users and
# permissions (what they cost the server per message; never a deployment).
if [[ ${BENCH_NATS_PERMISSIONS:-on} == off ]]; then
    sed -i '/^include .\/users.conf$/d' "$state/nats/nats.conf"
    deploy/local/infra.sh nats-stop "$state" >/dev/null
    deploy/local/infra.sh nats-start "$state" >/dev/null
fi
# BENCH_PG_STATEMENTS=1: pg_stat_statements on, and the statements that took
# PostgreSQL's time during the standing-start drain printed after it.
if [[ -n ${BENCH_PG_STATEMENTS:-} ]]; then
    echo "shared_preload_libraries = 'pg_stat_statements'" >>"$state/pg/data/voxanne.conf"
    deploy/local/infra.sh pg-stop "$state" >/dev/null
    deploy/local/infra.sh pg-start "$state" >/dev/null
fi
# shellcheck disable=SC1091
. "$state/env"
[[ -z ${BENCH_PG_STATEMENTS:-} ]] || psql "$ADMIN_DATABASE_URL" -qc "CREATE EXTENSION pg_stat_statements"
# BENCH_NATS_REPLICAS=3: the same suite on a three-server JetStream cluster,
# the VAPI stream replicated: a PubAck (and so the gateway's 200) then means
# a majority holds the report (tests/bench/nats_cluster.sh says why).
if [[ ${BENCH_NATS_REPLICAS:-1} == 3 ]]; then
    deploy/local/infra.sh nats-stop "$state" >/dev/null
    NATS_URL=$(tests/bench/nats_cluster.sh start "$state")
    # Replicated streams take a while to be placed at start.
    export NATS_URL VAPI_STREAM_REPLICAS=3 SUITE_READY_WAIT_S=60
    echo "NATS: a three-server cluster, the VAPI stream R3"
fi
# The admin user's URL(s), for the benchmark's own clients.
admin_nats_url() { sed "s#nats://#nats://admin:$(<"$VX_NATS_USERS_DIR/admin")@#g" <<<"$NATS_URL"; }
export MIGRATIONS_DIR=$PWD/migrations JWT_SECRET=bench-jwt-secret-with-32-bytes-at-least VAPI_WEBHOOK_SECRET=bench-vapi-secret LOG_LEVEL=warn
ENVELOPE_MASTER_KEY=$(openssl rand -hex 32)
export ENVELOPE_MASTER_KEY
VAULT_ENCRYPTION_KEY=$(openssl rand -hex 32)
# A free port below infra.sh's range (20000-40000), so the two never pick the same one.
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
GATEWAY_PORT=$(free_port) || { echo "bench: no free TCP port" >&2; exit 1; }
export GATEWAY_PORT
"$build/bin/voxctl" migrate >/dev/null
org=$("$build/bin/voxctl" org create --name "Bench Clinic")
assistant=$(cat /proc/sys/kernel/random/uuid)
"$build/bin/voxctl" agent create --org "$org" --assistant-id "$assistant" >/dev/null

suite_start "$build" "$state/logs"
suite_wait_ready "$GATEWAY_PORT"

count_rows() { psql "$ADMIN_DATABASE_URL" -Atqc "SELECT count(*) FROM call_logs"; }
url="http://127.0.0.1:$GATEWAY_PORT/api/vapi/webhook"

# wrk_run <connections> <script> <args…>: one line of figures.
wrk_run() {
    local conns=$1 script=$2
    shift 2
    local threads=$((conns < 2 ? 1 : 2))
    wrk -t"$threads" -c"$conns" -d"${duration}s" ${wrk_timeout:+--timeout "$wrk_timeout"} --latency -s "$script" \
        "${target_url:-$url}" -- "$@" | grep '^BENCH' | sed 's/^BENCH //'
}

# What the gateway's envelope signature costs, on its own (no servers involved).
[[ -n ${BENCH_ONLY:-} || ! -x $build/tests/bench/bench_envelope ]] || "$build/tests/bench/bench_envelope"

# A credential read as a service makes it, uncached then cached (BENCH_ONLY=vault alone).
if [[ ${BENCH_ONLY:-vault} == vault && -x $build/tests/bench/bench_vault ]]; then
    NATS_URL=$(admin_nats_url) "$build/tests/bench/bench_vault" "$ADMIN_DATABASE_URL" 2000
fi

# bench_tool <tool> <arguments JSON>: a 3 s warm-up at 100 connections
# (not reported: caches, prepared plans and worker connections are cold at
# first; without it checkAvailability's p99 at 1 connection read ~75 ms
# instead of ~1.6 ms), then 1, 10 and 100.
bench_tool() {
    local tool=$1 args=$2 conns measured=$duration
    duration=3
    wrk_run 100 tests/bench/tools.lua "$tool" "$assistant" "$VAPI_WEBHOOK_SECRET" "$args" >/dev/null
    duration=$measured
    for conns in 1 10 100; do
        printf '  %-17s connections=%s %s\n' "$tool" "$conns" \
            "$(wrk_run "$conns" tests/bench/tools.lua "$tool" "$assistant" "$VAPI_WEBHOOK_SECRET" "$args")"
    done
}

if [[ ${BENCH_ONLY:-tools} == tools && -x $build/bin/tool-router ]]; then
    # A clinic with hours every day, a buffer, a transfer number and 1,000 contacts.
    psql "$ADMIN_DATABASE_URL" -qc "
        INSERT INTO org_settings (org_id, timezone, slot_minutes, buffer_minutes) VALUES ('$org', 'America/New_York', 30, 10);
        INSERT INTO business_hours (org_id, weekday, opens, closes) SELECT '$org', d, '09:00', '17:00' FROM generate_series(0, 6) d;
        INSERT INTO integration_settings (org_id, transfer_phone_number, transfer_departments)
            VALUES ('$org', '+15551110000', '{\"billing\": \"+15551110001\"}');
        INSERT INTO contacts (org_id, first_name, last_name, phone, email)
            SELECT '$org', 'First' || i, 'Last' || i, '+1555' || lpad(i::text, 7, '0'), 'p' || i || '@example.com'
            FROM generate_series(1, 1000) i;" >/dev/null
    day=$(psql "$ADMIN_DATABASE_URL" -Atqc "SELECT ((now() AT TIME ZONE 'America/New_York')::date + 3)::text")
    echo "tool calls through the gateway (POST /api/vapi/webhook, ${duration}s each after a warm-up)"
    bench_tool lookupCaller '{"searchKey":"+15550000500","searchType":"phone"}'
    bench_tool transferCall '{"summary":"billing question","department":"billing"}'
    bench_tool checkAvailability "{\"date\":\"$day\"}"
    # The path's own ceiling: a tool that does not exist is answered by
    # tool-router without the database (HTTP → gateway → NATS → tool-router → back).
    echo "transport only: an unknown tool, answered without the database"
    bench_tool noSuchTool '{}'
fi
# rag-search (BENCH_ONLY=rag alone): recall, latency and memory in process
# (bench_rag, see its header), then getKnowledgeBase through the gateway at
# 1, 10 and 100 connections for an org whose knowledge base is the clinic's
# (tests/bench/data/clinic_kb.md, uploaded through the owner's route and
# embedded first).
if [[ ${BENCH_ONLY:-rag} == rag && -x $build/tests/bench/bench_rag ]]; then
    # Short runs (BENCH_SECONDS < 5, as tests/e2e/test_make_targets.sh makes
    # them) measure a slice: 300 MedQuAD answers, 50 questions, no 100,000.
    if ((duration < 5)); then
        export BENCH_RAG_MEDQUAD_DOCS=${BENCH_RAG_MEDQUAD_DOCS:-300} BENCH_RAG_QUESTIONS=${BENCH_RAG_QUESTIONS:-50}
        export BENCH_RAG_LARGE=${BENCH_RAG_LARGE:-0}
    fi
    echo "rag-search in process (bench_rag; MedQuAD: ${BENCH_RAG_QUESTIONS:-1000} questions)"
    MEDQUAD=${MEDQUAD:-$PWD/../shared/data/medquad/medquad_answered.jsonl.gz} "$build/tests/bench/bench_rag"
    token=$("$build/bin/voxctl" token --org "$org" --role owner --ttl 3600)
    base="http://127.0.0.1:$GATEWAY_PORT"
    doc=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: text/markdown' \
        --data-binary @tests/bench/data/clinic_kb.md "$base/api/knowledge-base/documents?title=Clinic" |
        sed -n 's/^{ *"id" *: *"\([0-9a-f-]*\)".*/\1/p')
    [[ -n $doc ]] || { echo "bench: the clinic's knowledge base could not be uploaded" >&2; exit 1; }
    ready=""
    for ((i = 0; i < 300; i++)); do
        curl -fsS -H "Authorization: Bearer $token" "$base/api/knowledge-base/documents/$doc" | grep -Eq '"status" *: *"ready"' &&
            ready=1 && break
        sleep 0.2
    done
    [[ -n $ready ]] || echo "bench: the clinic's knowledge base is not embedded after 60 s: keywords only below"
    # The 178 questions of the clinic paraphrase set, in turn: each request
    # embeds a different question (nothing is cached), 6 to 20 words.
    cut -f1 tests/bench/data/clinic_questions.tsv | sed 's/[\\"]/\\&/g; s/.*/{"query":"&"}/' >"$state/kb_questions.jsonl"
    echo "getKnowledgeBase through the gateway (the clinic's knowledge base embedded; its $(wc -l <"$state/kb_questions.jsonl")" \
        "paraphrase questions in turn; ${duration}s each after a warm-up)"
    bench_tool getKnowledgeBase "@$state/kb_questions.jsonl"
fi
# The dashboard at a million calls in one org (see the top). The gateway's
# per-org and per-IP budgets (default 3000 a minute, bursts of 300) would
# answer most of this load 429: it is restarted with them raised to their
# maximum, still on, and the output says so.
dashboard_bench() {
    local calls=${BENCH_DASHBOARD_CALLS:-1000000} contacts=${BENCH_DASHBOARD_CONTACTS:-100000}
    local dorg dassistant token base cursor start_ns label path measured=$duration
    dorg=$("$build/bin/voxctl" org create --name "Bench Dashboard Clinic")
    dassistant=$(cat /proc/sys/kernel/random/uuid)
    "$build/bin/voxctl" agent create --org "$dorg" --assistant-id "$dassistant" >/dev/null
    echo "dashboard: one org, $calls calls over the last year and $contacts contacts (tests/bench/dashboard_seed.sql)"
    start_ns=$(date +%s%N)
    psql "$ADMIN_DATABASE_URL" -q -v org="$dorg" -v assistant="$dassistant" -v contacts="$contacts" -v calls="$calls" \
        -f tests/bench/dashboard_seed.sql >/dev/null
    echo "  seeded in $((($(date +%s%N) - start_ns) / 1000000)) ms (set-based inserts, call_logs' indexes rebuilt, VACUUM ANALYZE)"
    suite_stop_one gateway
    GATEWAY_RATE_ORG_PER_MIN=6000000 GATEWAY_RATE_ORG_BURST=1000000 GATEWAY_RATE_IP_PER_MIN=6000000 \
        GATEWAY_RATE_IP_BURST=1000000 suite_start_one "$build" "$state/logs" gateway
    suite_wait_ready "$GATEWAY_PORT"
    echo "  rate limits raised for this run: GATEWAY_RATE_ORG_PER_MIN and GATEWAY_RATE_IP_PER_MIN 6000000," \
        "bursts 1000000 (defaults 3000 and 300); dashboard-api with ${DASHBOARD_WORKERS:-2} workers"
    token=$("$build/bin/voxctl" token --org "$dorg" --role owner --ttl 3600)
    base="http://127.0.0.1:$GATEWAY_PORT"
    # A deep page: the calls after the newest one of half a year ago (~500,000 newer).
    cursor=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/calls?limit=1&to=$(date -u -d '182 days ago' +%F)" |
        sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')
    [[ -n $cursor ]] || { echo "  no cursor from GET /api/calls: see $state/logs" >&2; return 1; }
    # wrk waits up to 10 s for an answer (its default, 2 s, would drop the
    # slow ones from the percentiles); the gateway answers 504 after 5 s.
    # After 100 connections, requests still queued at dashboard-api would
    # delay the next route's figures: 6 s for them to pass their deadline
    # (then refused unread, vx_rpc.h).
    echo "  GET through the gateway, ${duration}s each after a 3 s warm-up (not reported): 1 connection (one request's" \
        "cost), then 100 (the issue's load; a non-2xx is the gateway's 504 for a request that waited over 5 s)"
    local wrk_timeout=10s conns
    while read -r label path; do
        duration=3
        target_url="$base$path" wrk_run 1 tests/bench/dashboard.lua "$token" >/dev/null
        duration=$measured
        for conns in 1 100; do
            printf '  %-24s connections=%-3s %s\n' "$label" "$conns" \
                "$(target_url="$base$path" wrk_run "$conns" tests/bench/dashboard.lua "$token")"
        done
        sleep 6
    done <<ROUTES
calls-list-page-1 /api/calls
calls-list-deep-cursor /api/calls?cursor=$cursor
calls-stats-30-days /api/calls/stats
calls-stats-365-days /api/calls/stats?from=$(date -u -d '364 days ago' +%F)&to=$(date -u +%F)
contacts-search-name /api/contacts?q=gonz
contacts-search-phone /api/contacts?q=%2B1415
ROUTES
}
if [[ ${BENCH_ONLY:-} == dashboard ]]; then
    dashboard_bench
    exit 0
fi
toolsync_bench() {
    local n=${BENCH_TOOLSYNC_ORGS:-100} key=bench-vapi-private-key fake_port fake_pid i
    fake_port=$(free_port)
    VAPI_API_FAKE_PORT=$fake_port VAPI_API_FAKE_KEY=$key "$build/tests/fakes/vapi_api" >"$state/logs/vapi_api.log" 2>&1 &
    fake_pid=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$fake_port/_fake/state" >/dev/null 2>&1 && break
        sleep 0.1
    done
    suite_stop_one tool-sync
    VAPI_API_BASE_URL=http://127.0.0.1:$fake_port VAPI_PRIVATE_KEY=$key PUBLIC_BASE_URL=https://bench.example \
        suite_start_one "$build" "$state/logs" tool-sync
    suite_stop_one gateway
    GATEWAY_RATE_ORG_PER_MIN=6000000 GATEWAY_RATE_ORG_BURST=1000000 GATEWAY_RATE_IP_PER_MIN=6000000 \
        GATEWAY_RATE_IP_BURST=1000000 suite_start_one "$build" "$state/logs" gateway
    suite_wait_ready "$GATEWAY_PORT"
    local tokens=$state/toolsync-tokens orgs=()
    : >"$tokens"
    for ((i = 0; i < n; i++)); do
        orgs+=("$("$build/bin/voxctl" org create --name "Sync Bench $i")")
        "$build/bin/voxctl" token --org "${orgs[i]}" --role owner --ttl 3600 >>"$tokens"
    done
    local base="http://127.0.0.1:$GATEWAY_PORT"
    echo "toolsync: $n orgs, tool-sync with ${TOOL_SYNC_WORKERS:-2} workers against tests/fakes/vapi_api;" \
        "gateway rate limits raised as for the dashboard bench"
    printf '  PUT /api/agent connections=10 %s\n' "$(target_url="$base/api/agent" wrk_run 10 tests/bench/toolsync.lua "$tokens")"
    # Let the saves above settle, then one save per org at once: commit to in sync.
    local behind="SELECT count(*) FROM agent_sync WHERE desired_version > synced_version"
    for _ in $(seq 1 600); do
        [[ $(psql "$ADMIN_DATABASE_URL" -Atqc "$behind") == 0 ]] && break
        sleep 0.5
    done
    local calls_before
    calls_before=$(curl -fs "http://127.0.0.1:$fake_port/_fake/state" | grep -oE '"succeeded":\{([^{}]|\{id\})*\}' | head -1)
    local start_ns
    start_ns=$(date +%s%N)
    local pids=()
    while read -r token; do
        curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
            --data '{"name":"Burst"}' "$base/api/agent" &
        pids+=($!)
    done <"$tokens"
    wait "${pids[@]}"
    echo "  $n saves (one per org, at once) answered in $((($(date +%s%N) - start_ns) / 1000000)) ms"
    for _ in $(seq 1 1200); do
        [[ $(psql "$ADMIN_DATABASE_URL" -Atqc "$behind") == 0 ]] && break
        sleep 0.5
    done
    psql "$ADMIN_DATABASE_URL" -Atqc "
        SELECT '  save committed -> assistant in sync at Vapi: p50_ms=' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1)
            || ' p99_ms=' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1)
            || ' max_ms=' || round(max(ms)::numeric, 1) || ' orgs=' || count(*)
        FROM (SELECT extract(epoch FROM y.updated_at - c.updated_at) * 1000 AS ms
              FROM agent_sync y JOIN agent_config c USING (org_id) JOIN organizations o ON o.id = c.org_id
              WHERE o.name LIKE 'Sync Bench %' AND y.state = 'synced') t"
    echo "  Vapi calls (fake): $(curl -fs "http://127.0.0.1:$fake_port/_fake/state" |
        grep -oE '"succeeded":\{([^{}]|\{id\})*\}' | head -1); before the burst: ${calls_before:-none}"
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
}
if [[ ${BENCH_ONLY:-} == toolsync ]]; then
    toolsync_bench
    exit 0
fi
[[ ${BENCH_ONLY:-webhook} == webhook ]] || exit 0

echo "webhook path (POST /api/vapi/webhook, end-of-call-report ~6 KB, ${duration}s each)"
acked=0
start_rows=$(count_rows)
for conns in 1 10 100; do
    line=$(wrk_run "$conns" tests/bench/webhook.lua "$PWD/tests/fixtures/vapi/end-of-call-report.json" "$assistant" \
        "$VAPI_WEBHOOK_SECRET")
    echo "  connections=$conns $line"
    acked=$((acked + $(echo "$line" | sed -n 's/.*reports_acknowledged=\([0-9]*\).*/\1/p')))
done

# Ingest throughput: how quickly the stream backlog becomes rows.
acked=$((acked + start_rows))
drain_from=$(count_rows)
start_ns=$(date +%s%N)
while :; do
    rows=$(count_rows)
    [[ $rows -ge $acked ]] && break
    if (( ($(date +%s%N) - start_ns) / 1000000000 > 300 )); then echo "  ingest did not catch up in 300 s"; break; fi
    sleep 0.5
done
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
drained=$((rows - drain_from))
echo "ingest: $rows rows for $acked reports wrk counted as acknowledged (wrk does not count replies still in flight when it stops); the $drained left when the load stopped took ${elapsed_ms} ms" \
    "($((drained * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1))) rows/s with the machine to itself)"

# The drain alone: webhook-ingest stopped, a backlog of reports built up,
# then started again — rows per second from a standing start, the machine
# to itself (the figure the load above mixes with the gateway's work).
suite_stop_one webhook-ingest
drain_from=$(count_rows)
line=$(wrk_run 50 tests/bench/webhook.lua "$PWD/tests/fixtures/vapi/end-of-call-report.json" "$assistant" "$VAPI_WEBHOOK_SECRET")
queued=$(echo "$line" | sed -n 's/.*reports_acknowledged=\([0-9]*\).*/\1/p')
[[ -z ${BENCH_PG_STATEMENTS:-} ]] || psql "$ADMIN_DATABASE_URL" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
LOG_LEVEL=${BENCH_INGEST_LOG_LEVEL:-$LOG_LEVEL} suite_start_one "$build" "$state/logs" webhook-ingest
start_ns=$(date +%s%N)
while :; do
    rows=$(count_rows)
    [[ $rows -ge $((drain_from + queued)) ]] && break
    if (( ($(date +%s%N) - start_ns) / 1000000000 > 300 )); then echo "  ingest did not catch up in 300 s"; break; fi
    sleep 0.5
done
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "ingest drain from a standing start: $((rows - drain_from)) reports in ${elapsed_ms} ms" \
    "($(((rows - drain_from) * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1))) rows/s, analytics and contacts included)"
if [[ -n ${BENCH_PG_STATEMENTS:-} ]]; then
    echo "  PostgreSQL's time during that drain, by statement (pg_stat_statements):"
    psql "$ADMIN_DATABASE_URL" -qAtF ' ' -c "SELECT round(total_exec_time)::bigint || ' ms', calls || ' calls',
        round((total_exec_time / calls)::numeric, 2) || ' ms each', rows || ' rows', left(regexp_replace(query, '\s+', ' ', 'g'), 90)
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10" | sed 's/^/    /'
fi

# The baseline, side by side: Express + node-postgres (npm), same report, same mapping.
node_dir=build/express-baseline
if [[ ! -d $node_dir/node_modules ]] || ! cmp -s tests/bench/express-baseline/package.json "$node_dir/package.json"; then
    mkdir -p "$node_dir"
    cp tests/bench/express-baseline/package.json "$node_dir/"
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
node_port=$(free_port)
NODE_PATH=$PWD/$node_dir/node_modules PORT=$node_port DATABASE_URL=$DATABASE_URL VAPI_WEBHOOK_SECRET=$VAPI_WEBHOOK_SECRET \
    node tests/bench/express-baseline/server.js >"$state/logs/express-baseline.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$node_port") 2>/dev/null && break
    sleep 0.1
done
echo "baseline: Express + node-postgres (tests/bench/express-baseline), the same reports, 200 after COMMIT"
for conns in 1 10 100; do
    line=$(target_url="http://127.0.0.1:$node_port/api/vapi/webhook" wrk_run "$conns" tests/bench/webhook.lua \
        "$PWD/tests/fixtures/vapi/end-of-call-report.json" "$assistant" "$VAPI_WEBHOOK_SECRET")
    echo "  connections=$conns $line"
done
kill "$node_pid" 2>/dev/null || true
wait "$node_pid" 2>/dev/null || true

# The machine's ceilings, each stage alone.
NATS_URL=$(admin_nats_url) "$build/tests/bench/bench_ceilings" \
    "$ADMIN_DATABASE_URL" tests/fixtures/vapi/end-of-call-report.json "${BENCH_CEILING_N:-20000}"

[[ -n ${BENCH_ONLY:-} ]] || toolsync_bench
[[ -n ${BENCH_ONLY:-} ]] || dashboard_bench
