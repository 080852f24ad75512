#!/usr/bin/env bash
# run.sh <build dir> — the whole suite on this machine, no Docker: NATS with
# JetStream and a local PostgreSQL (unless NATS_URL / DATABASE_URL point at
# servers of yours), migrations, every service and the gateway. Ctrl-C
# (SIGINT/SIGTERM) stops everything it started.
#
# State lives in $VOXANNE_STATE_DIR (default <checkout>/.run). Its `env` file
# is what a second shell needs — `. .run/env`, or deploy/local/demo.sh, or
# voxctl, which reads it by itself:
#   DATABASE_URL, ADMIN_DATABASE_URL, NATS_URL   written by infra.sh start
#   GATEWAY_URL, JWT_SECRET, VAPI_WEBHOOK_SECRET, METRICS_TOKEN  appended below, between
#                                                 "# >>> run.sh" and "# <<< run.sh"
# The section is replaced on every start (infra.sh rewrites the file anyway),
# and the file is mode 0600: it holds the (development) secrets.
# GATEWAY_PORT (default 8080) picks the gateway's port.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
state=${VOXANNE_STATE_DIR:-$PWD/.run}
mkdir -p "$state/logs"
chmod 755 "$state"
export GATEWAY_PORT=${GATEWAY_PORT:-8080}
export GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT

# One run.sh per state folder: a second one would find the same servers and,
# on its way out, stop them under the first. fd 8 is closed for every server
# started below, so only this shell holds the lock.
exec 8>"$state/.run.lock"
if ! flock -n 8; then
    echo "run.sh: another run.sh is using $state (stop it first, or set VOXANNE_STATE_DIR)" >&2
    exit 1
fi

# shellcheck source=deploy/local/suite.sh
. deploy/local/suite.sh
# stop_all <exit status>: stops the services, then the infrastructure.
stop_all() {
    trap - INT TERM EXIT
    echo
    echo "stopping…"
    suite_stop
    [[ -n ${VOXANNE_KEEP_INFRA:-} ]] || deploy/local/infra.sh stop "$state" 8>&- || true
    exit "$1"
}
# From here on, whatever happens, what was started is stopped: Ctrl-C or
# SIGTERM is a normal stop (status 0), a failing step keeps its status.
trap 'stop_all 0' INT TERM
trap 'stop_all $?' EXIT

deploy/local/infra.sh start "$state" 8>&-
# shellcheck disable=SC1091
. "$state/env"

# Development secrets: generated once per state folder.
if [[ ! -f $state/secrets ]]; then
    (
        umask 077
        {
            echo "export DEV_VAPI_WEBHOOK_SECRET=$(openssl rand -hex 16)"
            echo "export DEV_JWT_SECRET=$(openssl rand -hex 32)"
        } >"$state/secrets"
    )
fi
# Secrets newer than the file an older run.sh wrote are added to it: the
# gateway's envelope master key, the operator's /metrics token.
if ! grep -q DEV_ENVELOPE_MASTER_KEY "$state/secrets"; then
    (umask 077 && echo "export DEV_ENVELOPE_MASTER_KEY=$(openssl rand -hex 32)" >>"$state/secrets")
fi
if ! grep -q DEV_METRICS_TOKEN "$state/secrets"; then
    (umask 077 && echo "export DEV_METRICS_TOKEN=$(openssl rand -hex 16)" >>"$state/secrets")
fi
# credential-vault's key, kept with the state: the credentials stored in
# this folder's database are sealed with it.
if ! grep -q DEV_ENCRYPTION_KEY "$state/secrets"; then
    (umask 077 && echo "DEV_ENCRYPTION_KEY=$(openssl rand -hex 32)" >>"$state/secrets")
fi
# shellcheck disable=SC1091
. "$state/secrets"
export VAPI_WEBHOOK_SECRET=${VAPI_WEBHOOK_SECRET:-$DEV_VAPI_WEBHOOK_SECRET}
export JWT_SECRET=${JWT_SECRET:-$DEV_JWT_SECRET}
export ENVELOPE_MASTER_KEY=${ENVELOPE_MASTER_KEY:-$DEV_ENVELOPE_MASTER_KEY}
export METRICS_TOKEN=${METRICS_TOKEN:-$DEV_METRICS_TOKEN}
# Not exported: suite_start hands it to credential-vault alone.
VAULT_ENCRYPTION_KEY=${ENCRYPTION_KEY:-$DEV_ENCRYPTION_KEY}
export GATEWAY_READY_SERVICES=${GATEWAY_READY_SERVICES:-ingest,dashboard,tools,integrations,kb}
export MIGRATIONS_DIR=$PWD/migrations

# Appends this run's section to the env file infra.sh wrote, replacing the
# previous one; the result is written aside (0600) and renamed into place.
write_run_env() {
    local env_file=$state/env tmp
    tmp=$(mktemp "$state/env.XXXXXX")
    sed '/^# >>> run\.sh/,/^# <<< run\.sh/d' "$env_file" >"$tmp"
    {
        echo "# >>> run.sh: the running suite (replaced by each start of deploy/local/run.sh)"
        printf 'export GATEWAY_URL=%q\n' "$GATEWAY_URL"
        echo "# Development-only secrets (generated in $state/secrets unless exported before make run):"
        echo "# for this machine's suite only, never for a deployment. Keep this file private (mode 0600)."
        printf 'export JWT_SECRET=%q\n' "$JWT_SECRET"
        printf 'export VAPI_WEBHOOK_SECRET=%q\n' "$VAPI_WEBHOOK_SECRET"
        printf 'export METRICS_TOKEN=%q\n' "$METRICS_TOKEN"
        echo "# <<< run.sh"
    } >>"$tmp"
    chmod 600 "$tmp"
    mv -f "$tmp" "$env_file"
}
write_run_env

"$build/bin/voxctl" migrate

suite_start "$build" "$state/logs" 8>&-
suite_wait_ready "$GATEWAY_PORT" || echo "(continuing: see $state/logs/)" >&2

cat <<INFO

Voxanne is running.
  gateway              $GATEWAY_URL   (/health, /ready; /metrics with METRICS_TOKEN)
  DATABASE_URL         $DATABASE_URL
  NATS_URL             $NATS_URL
  JWT_SECRET, VAPI_WEBHOOK_SECRET, METRICS_TOKEN   development secrets, in $state/env
  logs                 $state/logs/

  In another shell:  deploy/local/demo.sh     (a first request, end to end)
                     . ${state#"$PWD"/}/env   (these settings; voxctl reads them by itself)
Press Ctrl-C to stop.
INFO
# Runs until Ctrl-C, or until a service exits on its own (then everything stops).
wait -n || true
echo "a service exited on its own; see $state/logs/" >&2
stop_all 1
