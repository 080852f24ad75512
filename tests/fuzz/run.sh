#!/bin/sh
# Runs the libFuzzer harnesses that `make VARIANT=fuzz fuzz-build` built.
#
#   tests/fuzz/run.sh <build dir> [seconds]     (default 10 seconds per harness)
#
# Harnesses are tests/fuzz/<dir>/fuzz_<name>.c, built into <build dir>/fuzz/<dir>/
# against libcommon and the service's own modules (see the Makefile), with
# -fsanitize=fuzzer,address,undefined. Each runs for the given time with
# inputs up to 64 KiB. New inputs are kept in build/fuzz/corpus/<name>/ so
# later runs start from what earlier runs found; the checked-in seeds in
# tests/fuzz/seeds/<name>/ are read too. Exits non-zero on the first crash,
# leak or sanitizer report (libFuzzer writes the input to build/fuzz/).
set -eu

[ $# -ge 1 ] || { echo "usage: $0 <build dir> [seconds]" >&2; exit 2; }
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$(cd "$1" && pwd)"
SECONDS_PER_HARNESS="${2:-10}"
case "$SECONDS_PER_HARNESS" in
'' | *[!0-9]*)
    echo "usage: $0 <build dir> [seconds]" >&2
    exit 2
    ;;
esac

OUT="$ROOT/build/fuzz"
mkdir -p "$OUT"
found=0
for harness in $(find "$BUILD/fuzz" -type f -name 'fuzz_*' -perm -u+x | sort); do
    found=1
    name="$(basename "$harness")"
    corpus="$OUT/corpus/$name"
    seeds="$ROOT/tests/fuzz/seeds/$name"
    mkdir -p "$corpus" "$seeds"
    echo "fuzz: running $name for ${SECONDS_PER_HARNESS}s" >&2
    (cd "$OUT" && "$harness" -max_total_time="$SECONDS_PER_HARNESS" -max_len=65536 -print_final_stats=1 "$corpus" "$seeds" \
        >"$OUT/$name.log" 2>&1) || { tail -n 40 "$OUT/$name.log" >&2; exit 1; }
done
[ "$found" -eq 1 ] || { echo "fuzz: no harness in $BUILD/fuzz" >&2; exit 1; }
echo "fuzz: ok" >&2
