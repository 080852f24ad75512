#!/usr/bin/env bash
# check_arch.sh <tree> [<build dir>…] — fails when a module reaches where the
# architecture says it must not (docs/conventions.md, "Boundaries"):
#
#   1. a service includes another service's header (services talk over NATS,
#      never through each other's code);
#   2. libcommon includes a service header (libcommon is below every service);
#   3. the gateway's binary needs libpq, in any build given (release *and*
#      sanitizer builds: those link without --as-needed, so a stray -lpq
#      shows there) — the gateway owns no database;
#   4. anything outside the credential vault calls vx_aead_open (only the
#      vault decrypts credentials): in the sources, and in the objects of
#      every build given.
#   5. pdf-text, which parses untrusted PDFs, needs a library of the network
#      or the database (libpq, libnats, libcurl, OpenSSL, h2o, cJSON,
#      protobuf-c), or a program other than pdf-text needs poppler (a PDF is
#      only ever parsed in pdf-text's process), in any build given.
#
# A quoted include is resolved as the compiler would for that file: its own
# folder, then its service's root (the service's include path), libcommon and
# the generated protobuf headers. An include that resolves nowhere there but
# names a file of another service is a violation. Every finding is printed;
# the exit status is 1 when there is any. tests/arch/test_check_arch.sh plants
# each kind of violation in a copy of the tree and checks it is caught.
set -uo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 <tree> [<build dir>...]" >&2; exit 2; }
tree=$(cd "$1" && pwd) || exit 2
shift
found=0

violation() {
    echo "check-arch: $*" >&2
    found=1
}

# Prints the quoted includes of a file, one per line.
quoted_includes() {
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# True when the file exists and lies under the folder (both absolute).
inside() {
    local file=$1 folder=$2
    [[ -f $file ]] && [[ $(realpath -m "$file") == "$folder"/* ]]
}

# Every service's files by path relative to its folder and by basename,
# mapped to the services that hold them ("gateway tool-router").
declare -A OWNERS=()
while IFS= read -r file; do
    rel=${file#"$tree"/services/}
    svc=${rel%%/*}
    rel=${rel#*/}
    OWNERS[$rel]+=" $svc"
    [[ $rel == */* ]] && OWNERS[$(basename "$rel")]+=" $svc"
done < <(find "$tree/services" -name '*.h' | sort)

# Which other service (not $2) holds a header named like the include.
foreign_owner() {
    local inc=$1 self=$2 svc
    for svc in ${OWNERS[$inc]:-} ${OWNERS[$(basename "$inc")]:-}; do
        [[ $tree/services/$svc == "$self" ]] && continue
        echo "$svc"
        return 0
    done
    return 1
}

# 1. services include only their own headers, libcommon's and the generated ones.
for svc in "$tree"/services/*/; do
    svc=${svc%/}
    while IFS= read -r file; do
        dir=$(dirname "$file")
        while IFS= read -r inc; do
            [[ $inc == voxanne/* ]] && continue
            if inside "$dir/$inc" "$svc" || inside "$svc/$inc" "$svc" || [[ -f $tree/libcommon/$inc ]]; then
                continue
            fi
            if owner=$(foreign_owner "$inc" "$svc"); then
                violation "${file#"$tree"/} includes \"$inc\", a header of service $owner"
            elif [[ -f $dir/$inc ]]; then
                violation "${file#"$tree"/} includes \"$inc\", which is outside its service"
            fi
        done < <(quoted_includes "$file")
    done < <(find "$svc" -name '*.[ch]' | sort)
done

# 2. libcommon includes only libcommon and the generated headers.
while IFS= read -r file; do
    while IFS= read -r inc; do
        [[ $inc == voxanne/* ]] && continue
        inside "$tree/libcommon/$inc" "$tree/libcommon" && continue
        if owner=$(foreign_owner "$inc" ""); then
            violation "${file#"$tree"/} includes \"$inc\", a header of service $owner (libcommon is below every service)"
        else
            violation "${file#"$tree"/} includes \"$inc\", which is not in libcommon"
        fi
    done < <(quoted_includes "$file")
done < <(find "$tree/libcommon" -name '*.[ch]' | sort)

# 3. and 4. in each build given.
for build in "$@"; do
    gateway=$build/bin/gateway
    if [[ ! -x $gateway ]]; then
        violation "$gateway is not built (build it before make check-arch)"
    elif readelf -d "$gateway" | grep -q 'NEEDED.*libpq'; then
        violation "$gateway needs libpq: the gateway owns no database"
    fi
    # nm prints "<object>:" before each object's symbols (-A: on every line).
    while IFS= read -r obj; do
        violation "${obj#"$build"/} calls vx_aead_open: only credential-vault decrypts"
    done < <(find "$build/obj" -name '*.o' ! -path '*/obj/services/credential-vault/*' ! -path '*/obj/tests/*' \
        ! -name vx_aead.o -print0 2>/dev/null | xargs -0 -r nm -A -u 2>/dev/null | awk '$NF == "vx_aead_open" { sub(/:.*/, "", $1); print $1 }')
done

# 5. pdf-text alone with poppler, and poppler only in pdf-text.
for build in "$@"; do
    pdf=$build/bin/pdf-text
    if [[ ! -x $pdf ]]; then
        violation "$pdf is not built (build it before make check-arch)"
    else
        while IFS= read -r so; do
            violation "$pdf needs $so: pdf-text reaches no network and no database"
        done < <(readelf -d "$pdf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
            grep -E '^lib(pq|nats|curl|ssl|crypto|h2o|cjson|protobuf-c)[.-]')
    fi
    for prog in "$build"/bin/*; do
        [[ -x $prog && $(basename "$prog") != pdf-text ]] || continue
        if readelf -d "$prog" 2>/dev/null | grep -q 'NEEDED.*libpoppler'; then
            violation "$prog needs poppler: only pdf-text parses PDFs"
        fi
    done
done

# 4. in the sources too (a call behind a macro still names the function).
while IFS= read -r hit; do
    violation "$hit: only credential-vault may call vx_aead_open"
done < <(cd "$tree" && grep -rnw vx_aead_open services libcommon --include='*.[ch]' |
    grep -v '^services/credential-vault/' | grep -v '^libcommon/vx_aead\.[ch]:')

[[ $found -eq 0 ]] && echo "check-arch: ok"
exit $found
