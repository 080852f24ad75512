#!/bin/sh
# Installs clang and its libFuzzer runtime once (make fuzz builds the
# harnesses with VARIANT=fuzz, which compiles with clang).
set -eu
have_fuzzer_rt() {
    command -v clang >/dev/null 2>&1 &&
        printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
        clang -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1
}
have_fuzzer_rt && exit 0
echo "fuzz: installing clang and libclang-rt-14-dev" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
have_fuzzer_rt || { echo "fuzz: clang still cannot build libFuzzer targets" >&2; exit 1; }
