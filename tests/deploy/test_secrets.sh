#!/usr/bin/env bash
# test_secrets.sh — deploy/secrets.sh makes what the deployments need: a
# password for every NATS user, a master key, and per-service keys that are
# exactly what voxctl (libcommon/vx_envelope) derives from that master, so
# the gateway's signatures verify in each service. Needs BIN_DIR (voxctl).
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
voxctl=${BIN_DIR:?run through tests/run-all.sh}/voxctl

out=$(deploy/secrets.sh)
value() { sed -n "s/^$1=//p" <<<"$out"; }

for user in $(sed -n 's/^ *user: *\([a-z0-9_-]*\) *$/\1/p' deploy/nats/users.conf); do
    name=${user^^}
    pw=$(value "VX_NATS_PASSWORD_${name//-/_}")
    [[ $pw =~ ^vx[0-9a-f]{48}$ ]] || fail "no usable NATS password for $user: '$pw'"
done
master=$(value ENVELOPE_MASTER_KEY)
[[ $master =~ ^[0-9a-f]{64}$ ]] || fail "ENVELOPE_MASTER_KEY is not 64 hex digits"
# Every program that serves gateway requests (as tests/deploy/test_manifests.sh
# finds them: it calls vx_rpc_serve, vx_rpc_worker_start or
# vx_rpc_require_envelope_key), and webhook-ingest, which has its key too.
mapfile -t served < <({
    echo webhook-ingest
    for dir in services/*/; do
        if grep -rqE 'vx_rpc_serve\(|vx_rpc_worker_start|vx_rpc_require_envelope_key' "$dir" --include='*.c'; then
            basename "$dir"
        fi
    done
} | sort -u)
for program in "${served[@]}"; do
    name=${program^^}
    want=$(ENVELOPE_MASTER_KEY=$master "$voxctl" envelope-key --program "$program")
    got=$(value "ENVELOPE_KEY_${name//-/_}")
    [[ $got == "$want" ]] || fail "ENVELOPE_KEY_${name//-/_} is not voxctl's key for $program"
done
echo "ok: envelope keys of ${served[*]} are voxctl's"
want=$(ENVELOPE_MASTER_KEY=$master "$voxctl" org-hint-key)
[[ $(value ORG_HINT_KEY) == "$want" ]] || fail "ORG_HINT_KEY is not voxctl's"
[[ $(value ENCRYPTION_KEY) =~ ^[0-9a-f]{64}$ ]] || fail "ENCRYPTION_KEY is not 64 hex digits"
[[ $(value ENCRYPTION_KEY) != "$master" ]] || fail "ENCRYPTION_KEY is the envelope master key"
# Fresh each time, never a fixed value.
[[ $(deploy/secrets.sh | sed -n 's/^ENVELOPE_MASTER_KEY=//p') != "$master" ]] || fail "two runs gave the same master key"
# The kubectl form carries the same names.
k8s=$(deploy/secrets.sh --k8s)
[[ $(grep -c '^--from-literal=[A-Z0-9_]*=.' <<<"$k8s") -eq $(grep -c . <<<"$out") ]] || fail "--k8s does not give one --from-literal per secret"
# voxctl refuses what it cannot do.
if "$voxctl" envelope-key --program gateway >/dev/null 2>&1; then fail "voxctl gave the gateway an envelope key"; fi
if ENVELOPE_MASTER_KEY=short "$voxctl" envelope-key --program tool-router >/dev/null 2>&1; then
    fail "voxctl accepted a malformed master key"
fi
echo "ok: secrets.sh and voxctl agree"
