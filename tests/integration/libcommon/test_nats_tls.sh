#!/usr/bin/env bash
# test_nats_tls.sh — NATS over TLS (libcommon/vx_nats: NATS_TLS_CA): a
# service given the CA connects to a TLS-only nats-server as its own user
# and serves; one without the CA (an unverifiable server), or with plain
# nats://, never gets on the bus. A nats-server of its own, with the suite's
# users (deploy/nats/users.conf), a fresh CA and server certificate.
# Needs BIN_DIR (dashboard-api), DATABASE_URL, ENVELOPE_MASTER_KEY (tests/run-all.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
fail() {
    echo "FAIL: $*" >&2
    [[ -z ${dir:-} ]] || tail -n 20 "$dir"/*.log >&2 || true
    exit 1
}
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
dir=$(mktemp -d /tmp/vx-nats-tls.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

# A CA and a certificate for 127.0.0.1 signed by it (P-256: quick to make).
(
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 \
        -subj /CN=voxanne-test-ca 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
        -subj /CN=127.0.0.1 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile ext.cnf 2>/dev/null
) || fail "openssl could not make the test certificates"

port=$((20000 + RANDOM % 10000))
mport=$((port + 1))
cp deploy/nats/users.conf "$dir/users.conf"
cat >"$dir/nats.conf" <<EOF
listen: 127.0.0.1:$port
http: 127.0.0.1:$mport
tls {
  cert_file: "$dir/server.pem"
  key_file: "$dir/server.key"
}
include ./users.conf
EOF
# Every user of the permissions gets a password (nats-server refuses to start otherwise).
passwords=()
for user in $(sed -n 's/^ *user: *\([a-z0-9_-]*\) *$/\1/p' deploy/nats/users.conf); do
    name=${user^^}
    passwords+=("VX_NATS_PASSWORD_${name//-/_}=vx$(openssl rand -hex 12)")
done
env "${passwords[@]}" "$nats_server" -c "$dir/nats.conf" >"$dir/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$mport/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$mport/healthz" >/dev/null || fail "nats-server with TLS did not start"
password_of() { printf '%s\n' "${passwords[@]}" | sed -n "s/^VX_NATS_PASSWORD_$1=//p"; }

key=$(ENVELOPE_MASTER_KEY=${ENVELOPE_MASTER_KEY:?run through tests/run-all.sh} "$BIN_DIR/voxctl" envelope-key --program dashboard-api)
# start_dashboard <log> <url> [K=V…]: dashboard-api as its own user on url.
start_dashboard() {
    local log=$1 url=$2
    shift 2
    env -u ENVELOPE_MASTER_KEY NATS_URL="$url" NATS_USER=dashboard-api NATS_PASSWORD="$(password_of DASHBOARD_API)" \
        ENVELOPE_KEY="$key" "$@" "$BIN_DIR/dashboard-api" >"$dir/$log.log" 2>&1 &
    pids+=($!)
}
# The connections nats-server has, as it describes them.
connz() { curl -fs "http://127.0.0.1:$mport/connz?auth=1"; }

# Verifies the server with the CA: connected, over TLS, as itself.
start_dashboard trusted "tls://127.0.0.1:$port" NATS_TLS_CA="$dir/ca.pem"
ok=
for _ in $(seq 1 100); do
    if connz | grep -q '"authorized_user": *"dashboard-api"'; then
        ok=1
        break
    fi
    sleep 0.1
done
[[ -n $ok ]] || fail "dashboard-api with NATS_TLS_CA did not connect"
connz | grep -q '"tls_version": *"1\.[23]"' || fail "the connection is not TLS"
for _ in $(seq 1 50); do
    grep -q 'dashboard-api serving' "$dir/trusted.log" && break
    sleep 0.1
done
grep -q 'dashboard-api serving' "$dir/trusted.log" || fail "dashboard-api did not start serving over TLS"
first=$(connz | grep -c '"authorized_user": *"dashboard-api"')

# Without the CA the server cannot be verified; plain nats:// is refused by a TLS-only server.
start_dashboard untrusted "tls://127.0.0.1:$port"
start_dashboard plain "nats://127.0.0.1:$port"
sleep 2
[[ $(connz | grep -c '"authorized_user": *"dashboard-api"') -eq $first ]] ||
    fail "a dashboard-api that cannot verify the server (or speaks plain text) got on the bus"
! grep -q 'dashboard-api serving' "$dir/untrusted.log" || fail "dashboard-api served without a verified server"
! grep -q 'dashboard-api serving' "$dir/plain.log" || fail "dashboard-api served over plain text to a TLS-only server"
# A malformed TLS setting is a configuration error (exit 2), said at start.
status=0
env NATS_URL="tls://127.0.0.1:$port" NATS_TLS_CERT="$dir/server.pem" ENVELOPE_KEY="$key" NATS_USER=dashboard-api \
    NATS_PASSWORD=x timeout 10 "$BIN_DIR/dashboard-api" >"$dir/halfcert.log" 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "NATS_TLS_CERT without NATS_TLS_KEY: exit $status, want 2"
echo "ok: TLS to NATS verified, unverifiable and plain connections refused"
