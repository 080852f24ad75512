#!/usr/bin/env bash
# test_check_arch.sh — make check-arch passes on this tree and catches each
# kind of violation when it is planted in a copy: a service including
# another's header (by name and by relative path), libcommon including a
# service header, a source outside the vault calling vx_aead_open, a gateway
# binary that needs libpq, an object outside the vault that calls
# vx_aead_open, a pdf-text that needs libpq, a program besides pdf-text that
# needs poppler. Run by tests/run-all.sh (BIN_DIR names the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(dirname "${BIN_DIR:?run through tests/run-all.sh}")
check=tests/arch/check_arch.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect_caught <what> <pattern> <args…>: check_arch must fail and say pattern.
expect_caught() {
    local what=$1 pattern=$2
    shift 2
    local out
    if out=$("$check" "$@" 2>&1); then
        fail "$what was not caught"
    fi
    grep -q -- "$pattern" <<<"$out" || fail "$what: expected '$pattern' in: $out"
    echo "caught: $what"
}

fresh_copy() {
    rm -rf "$work/tree"
    mkdir -p "$work/tree"
    cp -r services libcommon "$work/tree/"
}

"$check" . "$build" || fail "check-arch fails on this tree"
fresh_copy
"$check" "$work/tree" || fail "check-arch fails on an unmodified copy"

fresh_copy
sed -i '0,/#include/s//#include "webhook.h"\n#include/' "$work/tree/services/dashboard-api/calls.c"
expect_caught "a service including another's header by name" 'calls.c includes "webhook.h", a header of service gateway' "$work/tree"

fresh_copy
sed -i '0,/#include/s//#include "..\/gateway\/webhook.h"\n#include/' "$work/tree/services/dashboard-api/calls.c"
expect_caught "a service including another's header by path" 'includes "../gateway/webhook.h"' "$work/tree"

fresh_copy
sed -i '0,/#include/s//#include "router.h"\n#include/' "$work/tree/libcommon/vx_buf.c"
expect_caught "libcommon including a service header" 'vx_buf.c includes "router.h", a header of service' "$work/tree"

fresh_copy
echo 'int peek(void) { return vx_aead_open(0, 0, 0, 0, 0, 0); }' >>"$work/tree/services/tool-router/main.c"
expect_caught "a call of vx_aead_open outside the vault" 'only credential-vault may call vx_aead_open' "$work/tree"

fresh_copy
mkdir -p "$work/build/bin" "$work/build/obj/services/gateway"
echo 'int main(void) { return 0; }' | cc -x c - -o "$work/build/bin/pdf-text"
echo 'int main(void) { return 0; }' | cc -x c - -o "$work/build/bin/gateway" -Wl,--no-as-needed -lpq
expect_caught "a gateway that needs libpq" 'needs libpq' "$work/tree" "$work/build"

echo 'int main(void) { return 0; }' | cc -x c - -o "$work/build/bin/gateway"
printf 'int vx_aead_open(void);\nint peek(void) { return vx_aead_open(); }\n' |
    cc -x c -c - -o "$work/build/obj/services/gateway/peek.o"
expect_caught "an object outside the vault that calls vx_aead_open" 'peek.o calls vx_aead_open' "$work/tree" "$work/build"
rm "$work/build/obj/services/gateway/peek.o"

echo 'int main(void) { return 0; }' | cc -x c - -o "$work/build/bin/pdf-text" -Wl,--no-as-needed -lpq
expect_caught "a pdf-text that needs libpq" 'pdf-text needs libpq.so.5: pdf-text reaches no network' "$work/tree" "$work/build"
echo 'int main(void) { return 0; }' | cc -x c - -o "$work/build/bin/pdf-text"

echo 'int main(void) { return 0; }' | cc -x c - -o "$work/build/bin/gateway" -Wl,--no-as-needed -lpoppler-glib
expect_caught "a program besides pdf-text that needs poppler" 'gateway needs poppler: only pdf-text parses PDFs' "$work/tree" "$work/build"
echo "ok"
