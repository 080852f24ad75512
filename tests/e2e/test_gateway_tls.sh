#!/usr/bin/env bash
# test_gateway_tls.sh — the gateway over TLS (GATEWAY_TLS_CERT/KEY): it
# speaks HTTP/1.1 even to a client that offers HTTP/2 (h2o would read an
# HTTP/2 stream's body before anything judged its head), judges each head
# before the body as on plain text (an oversized Content-Length is 413 at
# once, a missing credential 401), and serves what is allowed.
# Needs BIN_DIR, NATS (VX_NATS_SERVICE_URL, VX_NATS_USERS_DIR) and
# ENVELOPE_MASTER_KEY from tests/run-all.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() {
    echo "FAIL: $*" >&2
    [[ -z ${dir:-} ]] || tail -n 20 "$dir/gateway.log" >&2 || true
    exit 1
}
dir=$(mktemp -d /tmp/vx-gateway-tls.XXXXXX)
gw=
cleanup() {
    [[ -z $gw ]] || { kill "$gw" 2>/dev/null || true; wait "$gw" 2>/dev/null || true; }
    rm -rf "$dir"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/tls.key" -out "$dir/tls.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || fail "openssl could not make a certificate"

port=$((10000 + RANDOM % 10000))
env NATS_URL="${VX_NATS_SERVICE_URL:?run through tests/run-all.sh}" NATS_USER=gateway \
    NATS_PASSWORD="$(<"${VX_NATS_USERS_DIR:?}/gateway")" GATEWAY_PORT="$port" GATEWAY_TLS_CERT="$dir/tls.pem" \
    GATEWAY_TLS_KEY="$dir/tls.key" JWT_SECRET=tls-test-jwt-secret-with-enough-entropy VAPI_WEBHOOK_SECRET=tls-test-vapi-secret \
    GATEWAY_READY_SERVICES= "$BIN_DIR/gateway" >"$dir/gateway.log" 2>&1 &
gw=$!
base=https://127.0.0.1:$port
for _ in $(seq 1 100); do
    curl -s --cacert "$dir/tls.pem" "$base/health" >/dev/null 2>&1 && break
    kill -0 "$gw" 2>/dev/null || fail "the gateway exited at start"
    sleep 0.1
done

# HTTP/2 offered, HTTP/1.1 spoken.
out=$(curl -s --cacert "$dir/tls.pem" --http2 -o /dev/null -w '%{http_code} %{http_version}' "$base/health") || true
[[ $out == "200 1.1" ]] || fail "GET /health over TLS with HTTP/2 offered: got '$out', want '200 1.1'"

# An oversized body announced by Content-Length: 413 before any of it is sent.
head_only() { # <request head> — sends only the head over TLS, prints the status line
    printf '%b' "$1" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "$dir/tls.pem" 2>/dev/null |
        head -n 1 | tr -d '\r'
}
line=$(head_only "POST /api/vapi/webhook HTTP/1.1\r\nHost: x\r\nx-vapi-secret: tls-test-vapi-secret\r\nContent-Type: application/json\r\nContent-Length: 4194304\r\n\r\n")
[[ $line == "HTTP/1.1 413"* ]] || fail "oversized Content-Length over TLS: got '$line', want 413 before the body"
# No credentials: 401 before the body.
line=$(head_only "POST /api/vapi/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
[[ $line == "HTTP/1.1 401"* ]] || fail "no credentials over TLS: got '$line', want 401 before the body"
# A plain-text request to the TLS port is no request at all.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)
[[ $code != 200 ]] || fail "plain HTTP was served on the TLS port"
echo "ok: TLS speaks HTTP/1.1, judges heads before bodies"
