#!/usr/bin/env bash
# secrets.sh [--k8s] — prints a fresh set of the suite's bus secrets, one
# NAME=value a line: an .env file for docker-compose.yml, or (--k8s) the
# --from-literal arguments of `kubectl create secret generic voxanne`.
#
#   VX_NATS_PASSWORD_<USER>   one per user of deploy/nats/users.conf: nats-server
#                             reads them, each program gets its own as NATS_PASSWORD
#   ENVELOPE_MASTER_KEY       the gateway's: it signs every request it forwards
#   ENVELOPE_KEY_<PROGRAM>    each service's own key, derived from the master
#                             (what `voxctl envelope-key --program <p>` prints)
#   ORG_HINT_KEY              tool-router signs org ids into calls with it,
#                             webhook-ingest checks them (`voxctl org-hint-key`)
#   ENCRYPTION_KEY            credential-vault's alone: it seals every org's
#                             provider credentials. Losing it loses them all;
#                             replacing it is a rotation (README: voxctl vault rotate)
#
# The services never see the master key, only their own. Keep the output as
# you keep any secret (the compose .env: mode 0600). JWT_SECRET,
# VAPI_WEBHOOK_SECRET and the database passwords are chosen separately.
# tests/deploy/test_secrets.sh checks the derived keys equal voxctl's.
set -euo pipefail
cd "$(dirname "$0")/.."
format=env
[[ ${1:-} != --k8s ]] || format=k8s

# key_for <master hex> <name>: HMAC-SHA256(master, "voxanne-envelope-key-v1:" name)
# in hex, as libcommon/vx_envelope derives it.
key_for() {
    printf '%s' "voxanne-envelope-key-v1:$2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -r | cut -d' ' -f1
}
say() {
    if [[ $format == k8s ]]; then
        printf -- "--from-literal=%s=%s\n" "$1" "$2"
    else
        printf '%s=%s\n' "$1" "$2"
    fi
}

# A leading letter: nats-server reads the value as a config value (a leading
# digit would make it a number).
for user in $(sed -n 's/^ *user: *\([a-z0-9_-]*\) *$/\1/p' deploy/nats/users.conf); do
    name=${user^^}
    say "VX_NATS_PASSWORD_${name//-/_}" "vx$(openssl rand -hex 24)"
done
master=$(openssl rand -hex 32)
say ENVELOPE_MASTER_KEY "$master"
# The programs that serve gateway requests, and the service name their key is for
# (libcommon/vx_envelope.c, vx_envelope_program_service).
for pair in tool-router:tools dashboard-api:dashboard webhook-ingest:ingest credential-vault:integrations rag-search:kb; do
    program=${pair%%:*}
    name=${program^^}
    say "ENVELOPE_KEY_${name//-/_}" "$(key_for "$master" "${pair#*:}")"
done
say ORG_HINT_KEY "$(key_for "$master" org-hint)"
say ENCRYPTION_KEY "$(openssl rand -hex 32)"
