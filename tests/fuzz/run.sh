#!/bin/sh
# Builds and runs the libFuzzer harnesses in tests/fuzz.
#
#   tests/fuzz/run.sh [seconds]     (default 10 seconds per harness)
#
# Each harness is built with clang -fsanitize=fuzzer,address,undefined,
# linking the libcommon sources it needs directly, and run for the given
# time with -max_len=8192. New inputs are kept in build/fuzz/corpus/<harness>/
# so later runs start from what earlier runs found; the checked-in seeds in
# tests/fuzz/seeds/<harness>/ are read too. Exits non-zero on the first
# crash, leak or sanitizer report (libFuzzer writes the input to build/fuzz/).
set -eu

SECONDS_PER_HARNESS="${1:-10}"
case "$SECONDS_PER_HARNESS" in
'' | *[!0-9]*)
    echo "usage: $0 [seconds]" >&2
    exit 2
    ;;
esac

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/build/fuzz"
CC="${FUZZ_CC:-clang}"

# clang and its runtime (libclang_rt.fuzzer) are needed; install them once.
have_fuzzer_rt() {
    command -v "$CC" >/dev/null 2>&1 &&
        printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
        "$CC" -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1
}
if ! have_fuzzer_rt; then
    echo "fuzz: installing clang and libclang-rt-14-dev" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq clang libclang-rt-14-dev
    have_fuzzer_rt || { echo "fuzz: $CC still cannot build libFuzzer targets" >&2; exit 1; }
fi

LIBCOMMON="vx_jwt.c vx_crypto.c vx_validate.c vx_buf.c vx_time.c vx_json.c"
SRCS=""
for f in $LIBCOMMON; do SRCS="$SRCS $ROOT/libcommon/$f"; done
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CJSON_CFLAGS="$(pkg-config --cflags libcjson 2>/dev/null || true)"

mkdir -p "$OUT"
for harness in fuzz_jwt fuzz_json_time; do
    echo "fuzz: building $harness" >&2
    # shellcheck disable=SC2086 # word splitting of the flag and source lists is intended
    "$CC" $CFLAGS -I"$ROOT/libcommon" $CJSON_CFLAGS -o "$OUT/$harness" "$ROOT/tests/fuzz/$harness.c" $SRCS -lcjson -lcrypto -lm
done

for harness in fuzz_jwt fuzz_json_time; do
    corpus="$OUT/corpus/$harness"
    seeds="$ROOT/tests/fuzz/seeds/$harness"
    mkdir -p "$corpus"
    echo "fuzz: running $harness for ${SECONDS_PER_HARNESS}s" >&2
    (cd "$OUT" && "./$harness" -max_total_time="$SECONDS_PER_HARNESS" -max_len=8192 -print_final_stats=1 "$corpus" "$seeds")
done
echo "fuzz: ok" >&2
