# suite.sh — sourced by run.sh and the benchmarks: the list of programs that
# make up the suite, started in the order that lets the gateway come up last.
# Adding a service means adding it to SUITE_SERVICES, nowhere else.

SUITE_SERVICES=(webhook-ingest dashboard-api tool-router gateway)
SUITE_PIDS=()

# suite_start <build dir> <log dir>: starts every program in the background,
# appending to <log dir>/<program>.log; their pids are in SUITE_PIDS.
suite_start() {
    local build=$1 logs=$2 svc
    mkdir -p "$logs"
    for svc in "${SUITE_SERVICES[@]}"; do
        "$build/bin/$svc" >>"$logs/$svc.log" 2>&1 &
        SUITE_PIDS+=($!)
    done
}

# suite_wait_ready <port>: waits up to 10 s for the gateway's /ready; fails after.
suite_wait_ready() {
    local port=$1
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the suite did not become ready in 10 s" >&2
    return 1
}

# suite_stop: SIGTERM to every program, then waits for each to finish.
suite_stop() {
    local pid
    for pid in "${SUITE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SUITE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SUITE_PIDS=()
}
