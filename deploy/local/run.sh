#!/usr/bin/env bash
# run.sh <build dir> — the whole suite on this machine, no Docker: NATS with
# JetStream and a local PostgreSQL (unless NATS_URL / DATABASE_URL point at
# servers of yours), migrations, every service and the gateway. Ctrl-C
# (SIGINT/SIGTERM) stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
state=${VOXANNE_STATE_DIR:-$PWD/.run}
mkdir -p "$state/logs"
chmod 755 "$state"

deploy/local/infra.sh start "$state"
# shellcheck disable=SC1091
. "$state/env"

# Development secrets: generated once per state folder, never printed elsewhere.
if [[ ! -f $state/secrets ]]; then
    umask 077
    {
        echo "export DEV_VAPI_WEBHOOK_SECRET=$(openssl rand -hex 16)"
        echo "export DEV_JWT_SECRET=$(openssl rand -hex 32)"
    } >"$state/secrets"
fi
# shellcheck disable=SC1091
. "$state/secrets"
export VAPI_WEBHOOK_SECRET=${VAPI_WEBHOOK_SECRET:-$DEV_VAPI_WEBHOOK_SECRET}
export JWT_SECRET=${JWT_SECRET:-$DEV_JWT_SECRET}
export GATEWAY_PORT=${GATEWAY_PORT:-8080}
export MIGRATIONS_DIR=$PWD/migrations

"$build/bin/voxctl" migrate

# shellcheck source=deploy/local/suite.sh
. deploy/local/suite.sh
stop_all() {
    trap - INT TERM EXIT
    echo
    echo "stopping…"
    suite_stop
    [[ -n ${VOXANNE_KEEP_INFRA:-} ]] || deploy/local/infra.sh stop "$state"
    exit 0
}
trap stop_all INT TERM EXIT

suite_start "$build" "$state/logs"
suite_wait_ready "$GATEWAY_PORT" || echo "(continuing: see $state/logs/)" >&2

cat <<INFO

Voxanne is running.
  gateway              http://127.0.0.1:$GATEWAY_PORT   (/health, /ready, /metrics)
  DATABASE_URL         $DATABASE_URL
  NATS_URL             $NATS_URL
  VAPI_WEBHOOK_SECRET  $VAPI_WEBHOOK_SECRET   (development secret)
  JWT_SECRET           $JWT_SECRET   (development secret)
  logs                 $state/logs/

  Try:  ORG=\$($build/bin/voxctl org create --name "Demo Clinic")
        $build/bin/voxctl token --org \$ORG
Press Ctrl-C to stop.
INFO
# Runs until Ctrl-C, or until a service exits on its own (then everything stops).
wait -n || true
echo "a service exited on its own; see $state/logs/" >&2
stop_all
