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

CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CJSON_CFLAGS="$(pkg-config --cflags libcjson 2>/dev/null || true)"
HARNESSES="$(cd "$ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')"

# Each harness names the sources it links, one "fuzz-source:" comment line
# each; the folders of those sources are its include path.
mkdir -p "$OUT"
for harness in $HARNESSES; do
    srcs="$(sed -n 's/^.*fuzz-source: *//p' "$ROOT/tests/fuzz/$harness.c")"
    [ -n "$srcs" ] || { echo "fuzz: $harness.c has no fuzz-source lines" >&2; exit 1; }
    paths=""
    incs="-I$ROOT/libcommon"
    for f in $srcs; do
        paths="$paths $ROOT/$f"
        incs="$incs -I$ROOT/$(dirname "$f")"
    done
    echo "fuzz: building $harness" >&2
    # shellcheck disable=SC2086 # word splitting of the flag and source lists is intended
    "$CC" $CFLAGS $incs $CJSON_CFLAGS -o "$OUT/$harness" "$ROOT/tests/fuzz/$harness.c" $paths -lcjson -lcrypto -lm
done

for harness in $HARNESSES; do
    corpus="$OUT/corpus/$harness"
    seeds="$ROOT/tests/fuzz/seeds/$harness"
    mkdir -p "$corpus" "$seeds"
    echo "fuzz: running $harness for ${SECONDS_PER_HARNESS}s" >&2
    (cd "$OUT" && "./$harness" -max_total_time="$SECONDS_PER_HARNESS" -max_len=65536 -print_final_stats=1 "$corpus" "$seeds" \
        >"$OUT/$harness.log" 2>&1) || { tail -n 40 "$OUT/$harness.log" >&2; exit 1; }
done
echo "fuzz: ok" >&2
