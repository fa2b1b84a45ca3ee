# SPDX-License-Identifier: MIT
#
# cloexec-lab - top-level build. Everything generated goes under $(BUILD).
# Each area adds its own rules in <area>/module.mk; this file holds the shared
# toolchain setup, the generic rules and the user-facing targets.
#
#   make            build everything        make test     build + run all TAP tests
#   make run        the main job (report)   make help     list targets and switches
#   make install    PREFIX=, DESTDIR=       make deb      the Debian package (debian/)

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
# CPPFLAGS (e.g. dpkg-buildflags' -D_FORTIFY_SOURCE=2) apply to every C and C++ compile.
CFLAGS   += $(CPPFLAGS)
CXXFLAGS += $(CPPFLAGS)
LDLIBS   += -lpthread -ljansson
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS   += $(SANFLAGS)
CXXFLAGS += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
endif
# libbpf is linked statically (libbpf.a from libbpf-dev), as libbpf-tools do: the tracer runs with
# any system libbpf or none. Its own dependencies (libelf, zlib) stay shared libraries.
LIBBPF_A    ?= $(realpath $(shell $(CC) -print-file-name=libbpf.a 2>/dev/null))
LIBBPF_LIBS  = $(if $(wildcard $(LIBBPF_A)),$(LIBBPF_A),$(error libbpf.a not found \
	($(CC) -print-file-name=libbpf.a): install libbpf-dev, or pass LIBBPF_A=path)) -lelf -lz
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -MMD -MP \
	-I$(BUILD) -Ibpf -idirafter /usr/include/$(shell uname -m)-linux-gnu

# The version of the tools (cloexec-trace --version), of the man pages and of the Debian package
# (debian/changelog: harness/t/dist_deb.sh checks that they agree).
VERSION := $(shell sed -n 's/^\#define VERSION[[:space:]]*"\(.*\)"/\1/p' bpf/*.c bpf/*.h 2>/dev/null | head -n1)
# cloexec-repro --version and cloexec-bench --version print the same VERSION: their main objects
# get it as CLOEXEC_LAB_VERSION and rebuild when the file that defines it changes.
VERSION_SRC := $(shell grep -l '^\#define VERSION' bpf/*.c bpf/*.h 2>/dev/null | head -n1)
$(BUILD)/repro/cloexec-repro.o $(BUILD)/bench/main.o: CFLAGS += -DCLOEXEC_LAB_VERSION='"$(VERSION)"'
$(BUILD)/repro/cloexec-repro.o $(BUILD)/bench/main.o: $(VERSION_SRC)

# make install: GNU-style directories under PREFIX, all below DESTDIR (staging, packaging).
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
SBINDIR        ?= $(PREFIX)/sbin
LIBEXECDIR     ?= $(PREFIX)/libexec
PKGLIBEXECDIR  ?= $(LIBEXECDIR)/cloexec-lab
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
DOCDIR         ?= $(DATADIR)/doc/cloexec-lab
COMPLETIONSDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR        ?=
INSTALL        ?= install

# Filled in by the module.mk files.
BINS    :=
TESTS   :=
HELPERS :=
DOCS    :=
CLEAN   :=

.PHONY: all deps test test-only test-kernels asan ubsan run bench matrix report compare repro \
	clean help format tools install uninstall deb lint
.DEFAULT_GOAL := all

# --- shared library for tests and tools -------------------------------------------------------
LIBLAB := $(BUILD)/harness/liblab.a
$(BUILD)/harness/%.o: harness/%.c | $(BUILD)/.build-root
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -c $< -o $@
$(LIBLAB): $(patsubst harness/%.c,$(BUILD)/harness/%.o,$(wildcard harness/*.c))
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# The test library (harness/tlib: run a fixture under the tracer, the truth table and its
# checks, the matrix checks, shared helpers), linked into every test before liblab.
LIBTLAB := $(BUILD)/harness/tlib/libtlab.a
$(LIBTLAB): $(patsubst harness/tlib/%.c,$(BUILD)/harness/tlib/%.o,$(wildcard harness/tlib/*.c))
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

$(BUILD)/t/%: harness/t/%.c $(LIBTLAB) $(LIBLAB)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Iharness/tlib $(TEST_CFLAGS_$*) $< -o $@ $(LDFLAGS) \
		$(LIBTLAB) $(LIBLAB) $(TEST_LDLIBS_$*) $(LDLIBS)

$(BUILD)/t/helpers/%: harness/t/helpers/%.c $(LIBLAB)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LIBLAB) $(HELPER_LDLIBS_$*) $(LDLIBS)

include $(sort $(wildcard */module.mk */*/module.mk))

# The tracer embeds libbpf.a: relink it when libbpf-dev changes.
$(BUILD)/cloexec-trace: $(wildcard $(LIBBPF_A))

all: $(BINS) $(TESTS) $(HELPERS) $(DOCS)

# --- install, uninstall, Debian package --------------------------------------------------------
# Layout: cloexec-trace in sbin (it needs root); cloexec-repro and cloexec-bench live in
# PKGLIBEXECDIR beside the helpers they run (they find them next to their own executable,
# lab_build_path()), with relative links to them in BINDIR; PKGLIBEXECDIR/cloexec-trace links
# to the tracer and PKGLIBEXECDIR/bench/cloexec-floor is the floor, for cloexec-bench's trace_*
# runs. Not installed: what only `make bench` runs in the source tree (cloexec-load, the
# analysis bench/pairs.py and bench/goals.py): they write the report's inputs under results/.
INSTALL_BINS := $(BUILD)/cloexec-trace $(BUILD)/cloexec-repro $(BUILD)/cloexec-repro-child \
	$(BUILD)/cloexec-bench $(BUILD)/bench/exit0 $(BUILD)/bench/cloexec-floor
INSTALL_MAN  := $(patsubst man/%.scd,$(BUILD)/man/%,$(wildcard man/*.scd))
relpath = $(shell realpath -m -s --relative-to='$(1)' '$(2)')

# Only what `make install` installs (the Debian package builds this, not the tests).
tools: $(INSTALL_BINS) $(INSTALL_MAN)

install: tools
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d '$(DESTDIR)$(SBINDIR)' '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(PKGLIBEXECDIR)/bench' \
		'$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(MANDIR)/man8' '$(DESTDIR)$(COMPLETIONSDIR)' \
		'$(DESTDIR)$(DOCDIR)'
	$(Q)$(INSTALL) -m 0755 $(BUILD)/cloexec-trace '$(DESTDIR)$(SBINDIR)/cloexec-trace'
	$(Q)$(INSTALL) -m 0755 $(BUILD)/cloexec-repro $(BUILD)/cloexec-repro-child $(BUILD)/cloexec-bench \
		'$(DESTDIR)$(PKGLIBEXECDIR)/'
	$(Q)$(INSTALL) -m 0755 $(BUILD)/bench/exit0 '$(DESTDIR)$(PKGLIBEXECDIR)/bench/exit0'
	$(Q)$(INSTALL) -m 0755 $(BUILD)/bench/cloexec-floor '$(DESTDIR)$(PKGLIBEXECDIR)/bench/cloexec-floor'
	$(Q)ln -sfn '$(call relpath,$(PKGLIBEXECDIR),$(SBINDIR)/cloexec-trace)' \
		'$(DESTDIR)$(PKGLIBEXECDIR)/cloexec-trace'
	$(Q)for t in cloexec-repro cloexec-bench; do \
		ln -sfn "$(call relpath,$(BINDIR),$(PKGLIBEXECDIR))/$$t" '$(DESTDIR)$(BINDIR)'/$$t || exit 1; \
	done
	$(Q)$(INSTALL) -m 0644 $(filter %.1,$(INSTALL_MAN)) '$(DESTDIR)$(MANDIR)/man1/'
	$(Q)$(INSTALL) -m 0644 $(filter %.8,$(INSTALL_MAN)) '$(DESTDIR)$(MANDIR)/man8/'
	$(Q)$(INSTALL) -m 0644 completion/cloexec-trace '$(DESTDIR)$(COMPLETIONSDIR)/cloexec-trace'
	$(Q)$(INSTALL) -m 0644 bpf/SCHEMA.md '$(DESTDIR)$(DOCDIR)/SCHEMA.md'

# Removes exactly what install put there, and the directories that are ours alone.
uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -f '$(DESTDIR)$(SBINDIR)/cloexec-trace' '$(DESTDIR)$(BINDIR)/cloexec-repro' \
		'$(DESTDIR)$(BINDIR)/cloexec-bench' '$(DESTDIR)$(PKGLIBEXECDIR)/cloexec-trace' \
		'$(DESTDIR)$(PKGLIBEXECDIR)/cloexec-repro' '$(DESTDIR)$(PKGLIBEXECDIR)/cloexec-repro-child' \
		'$(DESTDIR)$(PKGLIBEXECDIR)/cloexec-bench' '$(DESTDIR)$(PKGLIBEXECDIR)/bench/exit0' \
		'$(DESTDIR)$(PKGLIBEXECDIR)/bench/cloexec-floor' \
		$(patsubst $(BUILD)/man/%,'$(DESTDIR)$(MANDIR)/man1/%',$(filter %.1,$(INSTALL_MAN))) \
		$(patsubst $(BUILD)/man/%,'$(DESTDIR)$(MANDIR)/man8/%',$(filter %.8,$(INSTALL_MAN))) \
		'$(DESTDIR)$(COMPLETIONSDIR)/cloexec-trace' '$(DESTDIR)$(DOCDIR)/SCHEMA.md'
	$(Q)for d in '$(DESTDIR)$(PKGLIBEXECDIR)/bench' '$(DESTDIR)$(PKGLIBEXECDIR)' '$(DESTDIR)$(DOCDIR)'; do \
		[ ! -d "$$d" ] || rmdir "$$d" || exit 1; \
	done

# The Debian package (debian/, debhelper), built by dpkg-buildpackage from a copy of the tree in
# $(BUILD)/deb/, checked by lintian; the .deb and the other artefacts land in $(BUILD)/deb/.
deb:
	$(Q)VMLINUX_H='$(if $(VMLINUX_H),$(abspath $(VMLINUX_H)))' bash scripts/build-deb.sh '$(BUILD)'

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

# clang-format clean, and the tracer's user side within its size limits (scripts/lint.sh).
lint:
	$(Q)bash scripts/lint.sh

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
	@echo "  make bench        full Google Benchmark run into results/bench/ (not a test), then the"
	@echo "                    tracer's long runs and its goals against the floor (BENCH_LOAD=: none;"
	@echo "                    BENCH_FILTER=regex, BENCH_REPS=N; see bench/README.md)"
	@echo "  make report       results/report.md and results/report.html from the latest runs,"
	@echo "                    opening with the findings (leaks, CI gate, savings, tracer cost, kernels)"
	@echo "  make compare BASE=a.json NEW=b.json [THRESHOLD=0.05]  fail on a significant slowdown"
	@echo "  make asan|ubsan   build into $(BUILD)/asan|ubsan and run the tests under sanitizers"
	@echo "  make lint         clang-format check of every source, size limits of bpf/'s user side"
	@echo "  make format       clang-format every source in place"
	@echo "  make clean        remove $(BUILD)/"
	@echo ""
	@echo "Install and package:"
	@echo "  make man          the man pages (scdoc) -> $(BUILD)/man/"
	@echo "  make tools        only the installed programs and man pages (what install installs)"
	@echo "  make install      cloexec-trace (sbin), cloexec-repro, cloexec-bench, man pages, bash"
	@echo "                    completion under PREFIX=$(PREFIX) (DESTDIR=dir to stage)"
	@echo "  make uninstall    remove what make install installed (same PREFIX, DESTDIR)"
	@echo "  make deb          Debian package with dpkg-buildpackage + lintian -> $(BUILD)/deb/*.deb"
	@echo ""
	@echo "Switches: V=1 (show commands)  J=2 (parallel tests)  QUICK=1  SANITIZE=address,undefined"
	@echo "          VMLINUX_H=path (instead of the running kernel's BTF)  BUILD=dir"
	@echo "          PREFIX=/usr/local DESTDIR= (install; also BINDIR, SBINDIR, LIBEXECDIR, MANDIR...)"
	@echo "          MATRIX_CHECK_GATE=0 (make matrix: report a CI gate other than expected, do not fail)"
	@echo "make test also writes JUnit XML: $(BUILD)/test-results/junit.xml"
	@echo "          KERNELS=\"6.1 6.12 host\" (test-kernels: series, linux-image-* packages,"
	@echo "          vmlinuz paths, host)  GUEST_TIMEOUT=s  GUEST_ACCEL=auto|kvm|tcg  GUEST_TESTS=a,b"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
