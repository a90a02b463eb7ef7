# SPDX-License-Identifier: GPL-2.0
# tcpcrypt on an AF_XDP datapath: one Makefile, everything built into build/.
#
#   make              build everything (binaries in build/bin/)
#   make check        build and run every test; T=name runs one test
#   make check SANITIZE=1   unit tests under ASan and UBSan
#   make fuzz         run every fuzzer (FUZZ_SECONDS each)
#   make bench        benchmarks, ratios against baselines measured in the same run
#   make demo         two hosts in network namespaces, tcpcryptd on each
#   make deps         install the Debian packages needed (also done by check/demo)

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
# Debian puts bpftool in /usr/sbin, which a normal user's PATH may lack.
BPFTOOL  ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
DEPS     ?= scripts/deps.sh
Q        := $(if $(V),,@)

# ---- dependencies first ----
# Entry points that may install packages (check, demo, bench, fuzz, build)
# run `deps` and then build in a sub-make, so pkg-config is asked only once
# the packages exist. Any other goal that compiles checks first and stops
# with one line instead of a wall of compiler and linker errors.
ENTRY_GOALS := deps build check unit demo bench fuzz clean help
BUILD_GOALS := $(filter-out $(ENTRY_GOALS),$(or $(MAKECMDGOALS),all))
ifneq ($(BUILD_GOALS),)
ifneq ($(wildcard $(BUILD)),)
ifeq ($(shell test -w $(BUILD) && echo ok),)
$(error $(BUILD)/ is not writable by you (made by sudo?): sudo make clean, or make BUILD=elsewhere)
endif
endif
MISSING := $(shell $(DEPS) --missing 2>/dev/null)
ifneq ($(MISSING),)
$(error missing build dependencies: $(MISSING); install them with: sudo make deps)
endif
endif

ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
PKGS     := libbpf libxdp libcrypto libpcap
# Evaluated once, on first use (recipes run after their prerequisites), not
# when the Makefile is read.
PKG_CFLAGS  = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS    = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
CMOCKA_LIBS = $(eval CMOCKA_LIBS := $(shell pkg-config --libs cmocka))$(CMOCKA_LIBS)
CRYPTO_LIBS = $(eval CRYPTO_LIBS := $(shell pkg-config --libs libcrypto))$(CRYPTO_LIBS)

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -MMD -MP \
	    -I$(BUILD)/include -Ibpf -Ilib -Iuserspace -Iselftests/unit
CFLAGS   += $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lelf -lz -lpthread

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
# The usual hardening (not under the sanitizers, which bring their own checks).
HARDEN_CFLAGS  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
OBJ      := $(BUILD)/san
BINDIR   := $(BUILD)/san/bin
LIBDIR   := $(BUILD)/san/lib
TESTDIR  := $(BUILD)/san/tests
CFLAGS   += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
else
CFLAGS   += $(HARDEN_CFLAGS)
LDFLAGS  += $(HARDEN_LDFLAGS)
OBJ      := $(BUILD)/obj
BINDIR   := $(BUILD)/bin
LIBDIR   := $(BUILD)/lib
TESTDIR  := $(BUILD)/tests
endif

BPF_CFLAGS := -O2 -g -mcpu=v3 -target bpf -Wall -Werror -Wno-unused-function \
	      -I$(ARCH_INC) -Ibpf

# ---- sources, found by directory so a new file needs no Makefile edit ----
BPF_SRCS    := $(wildcard bpf/*.bpf.c) $(wildcard selftests/progs/*.bpf.c)
BPF_OBJS    := $(patsubst %.bpf.c,$(BUILD)/bpf/%.bpf.o,$(notdir $(BPF_SRCS)))
SKELS       := $(patsubst %.bpf.c,$(BUILD)/include/%.skel.h,$(notdir $(BPF_SRCS)))

CORE_SRCS   := $(wildcard lib/core/*.c)
CORE_OBJS   := $(CORE_SRCS:%.c=$(OBJ)/%.o)
CORE_LIB    := $(OBJ)/libtccore.a

ENGINE_SRCS := $(wildcard lib/engine/*.c)
ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(OBJ)/%.o)
ENGINE_LIB  := $(OBJ)/libtcengine.a

LIBTC_SRCS  := $(wildcard lib/tcpcrypt/*.c)
LIBTC_OBJS  := $(LIBTC_SRCS:%.c=$(OBJ)/%.o)
LIBTC_LIB   := $(LIBDIR)/libtcpcrypt.a
# the shared library for applications: soname libtcpcrypt.so.0
LIBTC_SOVER := 0
LIBTC_VER   := 0.1.0
LIBTC_SO    := $(LIBDIR)/libtcpcrypt.so.$(LIBTC_VER)
LIBTC_SO_LINKS := $(LIBDIR)/libtcpcrypt.so.$(LIBTC_SOVER) $(LIBDIR)/libtcpcrypt.so
LIBTC_PIC   := $(LIBTC_SRCS:%.c=$(OBJ)/pic/%.o)

COMMON_SRCS := $(wildcard userspace/common/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(OBJ)/%.o)
COMMON_LIB  := $(OBJ)/libtccommon.a

# binary name : source directory
BINS := tcpcryptd:userspace/tcpcryptd \
	tcpcrypt-loader:tools/loader \
	tcnetstat:tools/tcnetstat \
	tcpcrypt-vectors:tools/vectors
BIN_NAMES := $(foreach b,$(BINS),$(firstword $(subst :, ,$(b))))

# examples: one binary per tools/examples/*.c
EXAMPLE_SRCS := $(wildcard tools/examples/*.c)
EXAMPLES     := $(patsubst tools/examples/%.c,$(BINDIR)/%,$(EXAMPLE_SRCS))

# unit tests (cmocka): one binary per selftests/unit/test_*.c
UNIT_SRCS   := $(wildcard selftests/unit/test_*.c)
UNIT_BINS   := $(patsubst selftests/unit/%.c,$(OBJ)/tests/%,$(UNIT_SRCS))

# test helpers (C programs the netns tests drive)
TOOL_SRCS   := $(wildcard selftests/tools/*.c)
TEST_TOOLS  := $(patsubst selftests/tools/%.c,$(TESTDIR)/%,$(TOOL_SRCS))

# fuzzers: one libFuzzer binary per selftests/fuzz/fuzz_*.c
FUZZ_SRCS   := $(wildcard selftests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst selftests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_FLAGS  := -O1 -g -std=gnu11 -D_GNU_SOURCE -Ilib -Iuserspace -Ibpf -Iselftests/unit \
	       -fsanitize=fuzzer,address,undefined
# sources a fuzzer needs beyond the core and the engine: FUZZ_EXTRA_<fuzzer name>
FUZZ_EXTRA_fuzz_policy := userspace/common/policy_parse.c
FUZZ_EXTRA_fuzz_flow   := userspace/common/sockdiag.c userspace/common/log.c
FUZZ_SECONDS ?= 600

.PHONY: all bins bpf tests fuzzers build check unit fuzz bench demo deps clean install uninstall
.DEFAULT_GOAL := all
.SECONDARY:

all: bpf bins tests

bpf: $(BPF_OBJS) $(SKELS)
bins: $(addprefix $(BINDIR)/,$(BIN_NAMES)) $(EXAMPLES) $(LIBTC_LIB) $(LIBTC_SO_LINKS)
tests: $(UNIT_BINS) $(TEST_TOOLS)
fuzzers: $(FUZZ_BINS)

# ---- BPF ----
vpath %.bpf.c bpf selftests/progs

$(BUILD)/bpf/%.bpf.o: %.bpf.c | $(BUILD)/bpf
	@echo "  BPF      $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/include
	@echo "  SKEL     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# ---- userspace ----
# Every userspace object may include a skeleton: build them first.
$(OBJ)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(ENGINE_LIB): $(ENGINE_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(COMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBTC_LIB): $(LIBTC_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OBJ)/pic/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	@echo "  CC -fPIC $@"
	$(Q)$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(LIBTC_SO): $(LIBTC_PIC) lib/tcpcrypt/libtcpcrypt.map
	@mkdir -p $(@D)
	@echo "  LD       $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libtcpcrypt.so.$(LIBTC_SOVER) \
		-Wl,--version-script=lib/tcpcrypt/libtcpcrypt.map -Wl,-z,defs \
		-o $@ $(LIBTC_PIC) $(CRYPTO_LIBS)

$(LIBTC_SO_LINKS): $(LIBTC_SO)
	$(Q)ln -sf $(notdir $<) $@

define BIN_RULE
$(BINDIR)/$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard $(2)/*.c)) $(LIBTC_LIB) $(COMMON_LIB) $(ENGINE_LIB) $(CORE_LIB)
	@mkdir -p $$(@D)
	@echo "  LD       $$@"
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach b,$(BINS),$(eval $(call BIN_RULE,$(firstword $(subst :, ,$(b))),$(lastword $(subst :, ,$(b))))))

# examples are applications: libtcpcrypt.so (found next to bin/ through the rpath) and OpenSSL only
$(BINDIR)/%: $(OBJ)/tools/examples/%.o $(LIBTC_SO_LINKS)
	@mkdir -p $(@D)
	@echo "  LD       $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< -L$(LIBDIR) -ltcpcrypt -Wl,-rpath,'$$ORIGIN/../lib' \
		$(CRYPTO_LIBS)

$(OBJ)/tests/%: $(OBJ)/selftests/unit/%.o $(LIBTC_LIB) $(COMMON_LIB) $(ENGINE_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD       $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(TESTDIR)/%: $(OBJ)/selftests/tools/%.o $(LIBTC_LIB) $(COMMON_LIB) $(ENGINE_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD       $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- fuzzers: clang, the core rebuilt with the fuzzer's instrumentation ----
.SECONDEXPANSION:
$(BUILD)/fuzz/%: selftests/fuzz/%.c $(CORE_SRCS) $(ENGINE_SRCS) \
		 $(wildcard lib/core/*.h lib/engine/*.h) \
		 $(wildcard selftests/unit/unit/*.h userspace/common/*.h) $$(FUZZ_EXTRA_$$*) \
		 $(wildcard userspace/tcpcryptd/*.[ch])
	@mkdir -p $(@D)
	@echo "  FUZZ     $@"
	$(Q)$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRCS) $(ENGINE_SRCS) $(FUZZ_EXTRA_$*) \
		$(CRYPTO_LIBS)

# ---- entry points ----
# Each installs what is missing, then builds in a sub-make (see above).
deps:
	$(Q)$(DEPS)

build: deps
	$(Q)$(MAKE) --no-print-directory all

# The netns tests always use the plain build; SANITIZE=1 adds sanitized
# unit tests, which the runner then takes from build/san.
check: deps
	$(Q)$(MAKE) --no-print-directory all fuzzers SANITIZE=
ifeq ($(SANITIZE),1)
	$(Q)$(MAKE) --no-print-directory tests SANITIZE=1
endif
	$(Q)BUILD=$(BUILD) OBJ=$(OBJ) selftests/run.sh $(T)

unit: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)BUILD=$(BUILD) OBJ=$(OBJ) selftests/run.sh --unit

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzzers SANITIZE=
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) selftests/fuzz/run.sh

bench: build
	$(Q)BUILD=$(BUILD) selftests/bench/run.sh

demo: build
	$(Q)BUILD=$(BUILD) scripts/demo.sh

$(BUILD)/bpf $(BUILD)/include:
	$(Q)mkdir -p $@

clean:
	$(Q)rm -rf $(BUILD)

# ---- install: make install [PREFIX=/usr/local] [DESTDIR=staging] ----
PREFIX         ?= /usr/local
bindir         ?= $(PREFIX)/bin
sbindir        ?= $(PREFIX)/sbin
libdir         ?= $(PREFIX)/lib
includedir     ?= $(PREFIX)/include
mandir         ?= $(PREFIX)/share/man
pkgconfigdir   ?= $(libdir)/pkgconfig
systemdunitdir ?= $(PREFIX)/lib/systemd/system
bashcompdir    ?= $(PREFIX)/share/bash-completion/completions
SBIN_TOOLS     := tcpcryptd tcpcrypt-loader tcnetstat
BIN_TOOLS      := tcpcrypt-vectors $(notdir $(EXAMPLES))
LIBTC_MAN_LINKS := tcpcrypt_getsockopt tcpcrypt_setsockopt tcpcrypt_wait_session \
		   tcpcrypt_sas tcpcrypt_sas_fd tcpcrypt_tep_name tcpcrypt_aead_name tcpcrypt_daemons
D := $(DESTDIR)

install: bins
	@echo "  INSTALL  $(if $(D),$(D) ,)$(PREFIX)"
	$(Q)install -d $(D)$(sbindir) $(D)$(bindir) $(D)$(libdir) $(D)$(includedir)/tcpcrypt \
		$(D)$(pkgconfigdir) $(D)$(mandir)/man3 $(D)$(mandir)/man8 \
		$(D)$(systemdunitdir) $(D)$(bashcompdir)
	$(Q)install -m 755 $(addprefix $(BINDIR)/,$(SBIN_TOOLS)) $(D)$(sbindir)/
	$(Q)install -m 755 $(addprefix $(BINDIR)/,$(BIN_TOOLS)) $(D)$(bindir)/
	$(Q)install -m 755 $(LIBTC_SO) $(D)$(libdir)/
	$(Q)ln -sf libtcpcrypt.so.$(LIBTC_VER) $(D)$(libdir)/libtcpcrypt.so.$(LIBTC_SOVER)
	$(Q)ln -sf libtcpcrypt.so.$(LIBTC_SOVER) $(D)$(libdir)/libtcpcrypt.so
	$(Q)install -m 644 lib/tcpcrypt/tcpcrypt.h $(D)$(includedir)/tcpcrypt/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(libdir)|; s|@INCLUDEDIR@|$(includedir)|' \
		-e 's|@VERSION@|$(LIBTC_VER)|' dist/libtcpcrypt.pc.in >$(D)$(pkgconfigdir)/libtcpcrypt.pc
	$(Q)install -m 644 $(wildcard docs/man/*.8) $(D)$(mandir)/man8/
	$(Q)install -m 644 $(wildcard docs/man/*.3) $(D)$(mandir)/man3/
	$(Q)for f in $(LIBTC_MAN_LINKS); do echo ".so man3/libtcpcrypt.3" >$(D)$(mandir)/man3/$$f.3; done
	$(Q)sed -e 's|@SBINDIR@|$(sbindir)|g' 'dist/tcpcryptd@.service.in' \
		>'$(D)$(systemdunitdir)/tcpcryptd@.service'
	$(Q)install -m 644 $(wildcard dist/bash-completion/*) $(D)$(bashcompdir)/
	$(Q)if [ -z "$(D)" ] && [ "$$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	$(Q)rm -f $(addprefix $(D)$(sbindir)/,$(SBIN_TOOLS)) $(addprefix $(D)$(bindir)/,$(BIN_TOOLS)) \
		$(D)$(libdir)/libtcpcrypt.so* $(D)$(includedir)/tcpcrypt/tcpcrypt.h \
		$(D)$(pkgconfigdir)/libtcpcrypt.pc '$(D)$(systemdunitdir)/tcpcryptd@.service' \
		$(addprefix $(D)$(mandir)/man8/,$(notdir $(wildcard docs/man/*.8))) \
		$(addprefix $(D)$(mandir)/man3/,$(notdir $(wildcard docs/man/*.3))) \
		$(patsubst %,$(D)$(mandir)/man3/%.3,$(LIBTC_MAN_LINKS)) \
		$(addprefix $(D)$(bashcompdir)/,$(notdir $(wildcard dist/bash-completion/*)))
	$(Q)rmdir $(D)$(includedir)/tcpcrypt 2>/dev/null || true

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
