# Voxanne — build, test and run.
#
#   make            build everything (release variant)
#   make test       install what is missing, check formatting, build, and run
#                   unit, integration and end-to-end tests (release and ASan/UBSan)
#   make run        run the whole suite locally (NATS + PostgreSQL started for you)
#   make bench      run the benchmarks in tests/bench
#   make fuzz       run every libFuzzer harness in tests/fuzz (FUZZ_SECONDS each, default 30)
#   make format     reformat the sources with the checked-in .clang-format
#
# VARIANT=release|asan selects the build folder build/$(VARIANT).

VARIANT ?= release
B := build/$(VARIANT)

PKGS := libh2o-evloop libnats libpq libcjson libcurl openssl libprotobuf-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wstrict-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -fno-omit-frame-pointer $(WARN)
ifeq ($(VARIANT),asan)
OPT_CFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
OPT_LDFLAGS := -fsanitize=address,undefined
else
OPT_CFLAGS := -O2
OPT_LDFLAGS :=
endif
CFLAGS := $(BASE_CFLAGS) $(OPT_CFLAGS) -DH2O_USE_LIBUV=0 -Ilibcommon -I$(B)/gen -Itests/support $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -lm

PROTOS := $(wildcard proto/voxanne/v1/*.proto)
GEN_C := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)

COMMON_SRC := $(wildcard libcommon/*.c)
COMMON_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(COMMON_SRC)) $(GEN_C:.c=.o)
COMMON_LIB := $(B)/lib/libvxcommon.a

# A program is a services/<name>/ folder with a main.c.
PROGRAMS := $(notdir $(patsubst %/main.c,%,$(wildcard services/*/main.c)))
BINS := $(addprefix $(B)/bin/,$(PROGRAMS))

SUPPORT_SRC := $(wildcard tests/support/*.c)
SUPPORT_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(SUPPORT_SRC))
FAKES := $(addprefix $(B)/bin/,$(notdir $(basename $(wildcard tests/fakes/*.c))))
# tests/unit/*.c test libcommon; tests/unit/<service>/*.c test that service's modules.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/*.c tests/unit/*/*.c))
# tests/integration/<service>/*.c may also call that service's modules directly.
INTEG_TESTS := $(patsubst tests/integration/%.c,$(B)/tests/integration/%,$(wildcard tests/integration/*.c tests/integration/*/*.c))
E2E_TESTS := $(patsubst tests/e2e/%.c,$(B)/tests/e2e/%,$(wildcard tests/e2e/*.c))
BENCHES := $(patsubst tests/bench/%.c,$(B)/tests/bench/%,$(wildcard tests/bench/*.c))

.PHONY: all build asan test unit deps format format-check run bench fuzz clean
.SECONDARY:

all build: $(BINS) $(FAKES)

tests-build: $(BINS) $(FAKES) $(UNIT_TESTS) $(INTEG_TESTS) $(E2E_TESTS) $(BENCHES)

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

$(COMMON_LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# One program per services/<name>/ folder: main.c plus an archive of the
# service's other modules, which unit tests link against too.
define program_rule
$(B)/lib/libsvc-$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(filter-out services/$(1)/main.c,$(wildcard services/$(1)/*.c)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/bin/$(1): $(B)/obj/services/$(1)/main.o $(B)/lib/libsvc-$(1).a $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT_LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(B)/bin/%: $(B)/obj/tests/fakes/%.o $(SUPPORT_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(LDLIBS)

define service_unit_rule
$(B)/obj/tests/unit/$(1)/%.o: CFLAGS += -Iservices/$(1)
$(B)/tests/unit/$(1)/%: $(B)/obj/tests/unit/$(1)/%.o $(B)/lib/libsvc-$(1).a $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT_LDFLAGS) -o $$@ $$^ $$(LDLIBS) -lcmocka
endef
$(foreach p,$(PROGRAMS),$(eval $(call service_unit_rule,$(p))))
define service_integration_rule
$(B)/obj/tests/integration/$(1)/%.o: CFLAGS += -Iservices/$(1)
$(B)/tests/integration/$(1)/%: $(B)/obj/tests/integration/$(1)/%.o $(SUPPORT_OBJ) $(B)/lib/libsvc-$(1).a $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT_LDFLAGS) -o $$@ $$^ $$(LDLIBS) -lcmocka
endef
$(foreach p,$(PROGRAMS),$(eval $(call service_integration_rule,$(p))))
$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tests/integration/%: $(B)/obj/tests/integration/%.o $(SUPPORT_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(B)/tests/e2e/%: $(B)/obj/tests/e2e/%.o $(SUPPORT_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(B)/tests/bench/%: $(B)/obj/tests/bench/%.o $(SUPPORT_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPT_LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@deploy/local/deps.sh

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format: ok"

unit: tests-build
	@tests/run-unit.sh $(B)

test: deps
	$(MAKE) format-check
	$(MAKE) VARIANT=release tests-build
	$(MAKE) VARIANT=asan tests-build
	tests/run-all.sh build/release build/asan
	tests/fuzz/run.sh 5

run: deps
	$(MAKE) VARIANT=release build
	deploy/local/run.sh build/release

bench: deps
	$(MAKE) VARIANT=release tests-build
	tests/bench/run.sh build/release

FUZZ_SECONDS ?= 30
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
