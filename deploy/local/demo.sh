#!/usr/bin/env bash
# demo.sh — the README's first request, end to end, against the suite that
# `make run` runs in another shell: an organization, its agent, a dashboard
# token, Vapi's end-of-call report through the webhook, and the call as the
# dashboard API lists it.
#
# It needs nothing from the shell it runs in: the settings come from the env
# file make run wrote (.run/env, or $VOXANNE_STATE_DIR/env). Each run uses a
# fresh call id and assistant id in place of the fixture's, so it can run
# again and again against the same database.
#
# The lines ending in "# README" are the commands README.md's "A first
# request" shows, in order; tests/e2e/test_readme_demo.sh fails when the two
# differ. Everything else here checks and explains.
set -euo pipefail
cd "$(dirname "$0")/../.."

STEP="starting"
# step <what>: names the step that runs next (printed, and repeated if it fails).
step() {
    STEP=$1
    echo "== $1"
}
die() {
    echo "demo.sh: error: $*" >&2
    exit 1
}
trap 'echo "demo.sh: FAILED: $STEP" >&2' ERR

state=${VOXANNE_STATE_DIR:-.run}
[[ -r $state/env ]] || die "no $state/env: start the suite first — \`make run\` in another shell — then run this again"
[[ -x build/release/bin/voxctl ]] || die "build/release/bin/voxctl is missing: \`make run\` builds it"

step "the settings make run wrote ($state/env)"
# shellcheck disable=SC1091
. "${VOXANNE_STATE_DIR:-.run}/env" # README
export PATH="$PWD/build/release/bin:$PATH" # README
for name in DATABASE_URL GATEWAY_URL JWT_SECRET VAPI_WEBHOOK_SECRET; do
    [[ -n ${!name:-} ]] || die "$state/env does not set $name: restart \`make run\` (an older run.sh, or infra.sh alone, wrote it)"
done
curl -fsS -o /dev/null "$GATEWAY_URL/ready" 2>/dev/null ||
    die "the gateway at $GATEWAY_URL is not ready: is \`make run\` still running? (logs: $state/logs/)"
echo "gateway $GATEWAY_URL is ready"

# The fixture is a real end-of-call report; its ids are replaced by fresh ones below.
FIXTURE=tests/fixtures/vapi/end-of-call-report.json # README
FIXTURE_ASSISTANT_ID=9f8e7d6c-5b4a-4f3e-8d2c-1b0a9f8e7d6c # README
FIXTURE_CALL_ID=5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d # README
if ! grep -q "\"assistantId\": *\"$FIXTURE_ASSISTANT_ID\"" "$FIXTURE" || ! grep -q "\"id\": *\"$FIXTURE_CALL_ID\"" "$FIXTURE"; then
    die "$FIXTURE no longer has call id $FIXTURE_CALL_ID and assistant id $FIXTURE_ASSISTANT_ID: update FIXTURE_*_ID in $0"
fi
REPORT=$(mktemp) # README
trap 'rm -f "$REPORT"' EXIT

step "create an organization (voxctl org create; prints its id)"
ORG=$(voxctl org create --name "Demo Clinic") # README
echo "$ORG"

step "create its agent: the Vapi assistant id is how a report finds its organization (prints the agent's id)"
ASSISTANT_ID="demo-$ORG" # README
voxctl agent create --org "$ORG" --assistant-id "$ASSISTANT_ID" # README

step "mint a dashboard token for the organization (signed with JWT_SECRET)"
TOKEN=$(voxctl token --org "$ORG") # README
echo "(a JWT of ${#TOKEN} characters)"

step "POST the end-of-call report to the Vapi webhook (x-vapi-secret: VAPI_WEBHOOK_SECRET)"
CALL_ID=$(cat /proc/sys/kernel/random/uuid) # README
sed -e "s/$FIXTURE_ASSISTANT_ID/$ASSISTANT_ID/g" -e "s/$FIXTURE_CALL_ID/$CALL_ID/g" "$FIXTURE" >"$REPORT" # README
curl -sS --fail-with-body -w '\n' -H "x-vapi-secret: $VAPI_WEBHOOK_SECRET" -H "Content-Type: application/json" --data-binary @"$REPORT" "$GATEWAY_URL/api/vapi/webhook" # README

step "wait for webhook-ingest to store call $CALL_ID (GET /api/calls, up to 10 s)"
stored=
for _ in $(seq 1 50); do
    calls=$(curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" "$GATEWAY_URL/api/calls")
    if [[ $calls == *"\"vapi_call_id\":\"$CALL_ID\""* ]]; then
        stored=1
        break
    fi
    sleep 0.2
done
[[ -n $stored ]] ||
    die "call $CALL_ID did not appear in GET /api/calls within 10 s (last answer: $calls); see webhook-ingest's log in $state/logs/ (a parked report names its reason in the parked_messages table)"

step "the organization's calls, as the dashboard sees them (GET /api/calls)"
curl -sS --fail-with-body -w '\n' -H "Authorization: Bearer $TOKEN" "$GATEWAY_URL/api/calls" # README

echo "demo.sh: OK: call $CALL_ID was stored for organization $ORG"
