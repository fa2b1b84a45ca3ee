# SPDX-License-Identifier: MIT
#
# cloexec-lab - top-level build. Everything generated goes under $(BUILD).
# Each area adds its own rules in <area>/module.mk; this file holds the shared
# toolchain setup, the generic rules and the user-facing targets.
#
#   make            build everything        make test     build + run all TAP tests
#   make run        the main job (report)   make help     list targets and switches

BUILD     ?= build
CC        ?= cc
CXX       ?= c++
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PYTHON    ?= /usr/bin/python3
PROVE     ?= prove
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')
VMLINUX_H ?=
SANITIZE  ?=
QUICK     ?=
J         ?= 1
KERNELS   ?=
NPROC     := $(shell nproc 2>/dev/null || echo 2)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -MMD -MP -Iharness -I$(BUILD)
CXXFLAGS ?= -O2 -g
CXXFLAGS += $(WARN) -std=c++17 -MMD -MP -I$(BUILD)
LDLIBS   += -lpthread
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS   += $(SANFLAGS)
CXXFLAGS += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
endif
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -MMD -MP \
	-I$(BUILD) -Ibpf -idirafter /usr/include/$(shell uname -m)-linux-gnu

# Filled in by the module.mk files.
BINS    :=
TESTS   :=
HELPERS :=
CLEAN   :=

.PHONY: all deps test test-only test-kernels asan ubsan run bench matrix report compare repro clean \
	help format
.DEFAULT_GOAL := all

# --- shared library for tests and tools -------------------------------------------------------
LIBLAB := $(BUILD)/harness/liblab.a
$(BUILD)/harness/%.o: harness/%.c | $(BUILD)/.build-root
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -c $< -o $@
$(LIBLAB): $(patsubst harness/%.c,$(BUILD)/harness/%.o,$(wildcard harness/*.c))
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# Marks the build root, so tools find their siblings (lab_build_path).
$(BUILD)/.build-root:
	$(Q)mkdir -p $(BUILD) && touch $@

# --- BPF: vmlinux.h, objects, skeletons --------------------------------------------------------
$(BUILD)/vmlinux.h: | $(BUILD)/.build-root
	$(call msg,GEN,$@)
ifneq ($(VMLINUX_H),)
	$(Q)cp $(VMLINUX_H) $@
else
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "make: no kernel BTF at /sys/kernel/btf/vmlinux; pass VMLINUX_H=path/to/vmlinux.h" >&2; exit 2; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@
endif

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -MF $(BUILD)/bpf/$*.bpf.d -MT $@ -c $< -o $@.tmp.o && \
		$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# --- tests: every harness/t/*.c is one TAP program ---------------------------------------------
TEST_SRCS   := $(wildcard harness/t/*.c)
TESTS       += $(patsubst harness/t/%.c,$(BUILD)/t/%,$(TEST_SRCS))
HELPER_SRCS := $(wildcard harness/t/helpers/*.c)
HELPERS     += $(patsubst harness/t/helpers/%.c,$(BUILD)/t/helpers/%,$(HELPER_SRCS))

$(BUILD)/t/%: harness/t/%.c $(LIBLAB)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) $(TEST_CFLAGS_$*) $< -o $@ $(LDFLAGS) $(LIBLAB) $(TEST_LDLIBS_$*) $(LDLIBS)

$(BUILD)/t/helpers/%: harness/t/helpers/%.c $(LIBLAB)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LIBLAB) $(HELPER_LDLIBS_$*) $(LDLIBS)

include $(sort $(wildcard */module.mk */*/module.mk))

all: $(BINS) $(TESTS) $(HELPERS)

# --- user-facing targets -----------------------------------------------------------------------
deps:
	$(Q)bash scripts/deps.sh

# Tests: deps (when missing, as root), build, then prove over every test.
test:
	$(Q)bash scripts/deps.sh --soft
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all
	$(Q)$(MAKE) --no-print-directory test-only

test-only:
	$(Q)bash scripts/run-tests.sh $(BUILD) $(J)

# The BPF tests on other kernels, each booted in a qemu guest (scripts/guest/test_kernels.py):
# KERNELS= a list of series (6.1, 6.12), Debian kernel packages, vmlinuz paths or "host".
test-kernels:
	$(Q)bash scripts/deps.sh --soft
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all
	$(Q)CLOEXEC_LAB_BUILD=$(abspath $(BUILD)) KERNELS="$(KERNELS)" \
		$(PROVE) -v --timer --exec '' scripts/guest/test_kernels.py </dev/null

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=address,undefined all
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=address,undefined test-only

ubsan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/ubsan SANITIZE=undefined all
	$(Q)UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/ubsan SANITIZE=undefined test-only

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD) $(CLEAN)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h' '*.cc')

help:
	@echo "cloexec-lab: close-on-exec tests, tracer, benchmarks and report"
	@echo ""
	@echo "Main job and tests:"
	@echo "  make run          deps, build, reproduce, runtime matrix, benchmarks, report (QUICK=1: short)"
	@echo "  make test         deps, build, then every TAP test in harness/t under prove"
	@echo "  make test-kernels the BPF tests in qemu guests booted with Debian 12's kernels"
	@echo "                    (6.1, 6.12) and on this kernel; KERNELS=\"6.1 host\" to choose"
	@echo ""
	@echo "Parts:"
	@echo "  make deps         install missing Debian packages (as root; else prints the command)"
	@echo "  make / make all   build tools, BPF objects, skeletons, tests into $(BUILD)/"
	@echo "  make repro        run the port-reuse and race scenarios, write results/repro.json"
	@echo "  make matrix       trace every runtime fixture, write results/matrix.{json,md}"
	@echo "  make bench        full Google Benchmark run into results/bench/ (not a test)"
	@echo "  make report       results/report.md and results/report.html from the latest runs"
	@echo "  make compare BASE=a.json NEW=b.json [THRESHOLD=0.05]  fail on a significant slowdown"
	@echo "  make asan|ubsan   build into $(BUILD)/asan|ubsan and run the tests under sanitizers"
	@echo "  make clean        remove $(BUILD)/"
	@echo ""
	@echo "Switches: V=1 (show commands)  J=2 (parallel tests)  QUICK=1  SANITIZE=address,undefined"
	@echo "          VMLINUX_H=path (instead of the running kernel's BTF)  BUILD=dir"
	@echo "          KERNELS=\"6.1 6.12 host\" (test-kernels: series, linux-image-* packages,"
	@echo "          vmlinuz paths, host)  GUEST_TIMEOUT=s  GUEST_ACCEL=auto|kvm|tcg  GUEST_TESTS=a,b"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
