# SPDX-License-Identifier: MIT
#
# bench/module.mk - the benchmarks: a C binding to Google Benchmark (gbench.h/.cc),
# the benchmarks in C (bench/*.c -> build/cloexec-bench), a static do-nothing
# program they exec (build/bench/exit0), the floor of any syscall tracer (an empty
# tp_btf/sys_exit program: bench/floor.bpf.c, loaded by build/bench/cloexec-floor),
# the long runs (build/bench/cloexec-load), `make bench` and the binding's tests.
#
#   make bench            full run (>= 9 repetitions, random interleaving; 60 s load runs)
#   make bench QUICK=1    short run (5 repetitions, 5 s load runs)
#   make bench BENCH_FILTER=socket_ BENCH_LOAD=   only matching benchmarks, no load runs
#   make bench BENCH_BEFORE=../before/build/cloexec-trace   before/after in one run

BENCH_LIBS   := -lbenchmark -lstdc++ -lpthread -lm
BENCH_GB_OBJ := $(BUILD)/bench/gbench.o
# Not part of cloexec-bench: the exit0 program, the floor's BPF side and loader, cloexec-load.
BENCH_OWN    := bench/exit0.c bench/floor.c $(wildcard bench/load*.c) $(wildcard bench/*.bpf.c)
BENCH_SRCS   := $(filter-out $(BENCH_OWN),$(wildcard bench/*.c))
BENCH_OBJS   := $(patsubst bench/%.c,$(BUILD)/bench/%.o,$(BENCH_SRCS))
BENCH_BIN    := $(BUILD)/cloexec-bench
BENCH_EXIT0  := $(BUILD)/bench/exit0
BENCH_FLOOR  := $(BUILD)/bench/cloexec-floor
BENCH_LOADER := $(BUILD)/bench/cloexec-load

BINS += $(BENCH_BIN) $(BENCH_EXIT0) $(BENCH_FLOOR) $(BENCH_LOADER)

$(BENCH_GB_OBJ): bench/gbench.cc | $(BUILD)/.build-root
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D) && $(CXX) $(CXXFLAGS) -Ibench -c $< -o $@

$(BUILD)/bench/%.o: bench/%.c | $(BUILD)/.build-root
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Ibench -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJS) $(BENCH_GB_OBJ) $(LIBLAB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(BENCH_OBJS) $(BENCH_GB_OBJ) -o $@ $(LIBLAB) $(BENCH_LIBS) $(LDLIBS)

# The program the spawn benchmarks exec: static, no libc start-up, exits at once, so the
# measured cost is fork/exec and the fd table, not the dynamic loader. Never sanitized.
$(BENCH_EXIT0): bench/exit0.c | $(BUILD)/.build-root
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D) && $(CC) -O2 -Wall -Wextra -Werror -static -nostdlib -fno-stack-protector \
		-fno-pie -no-pie $< -o $@

# The floor: bench/floor.bpf.c -> object -> skeleton, like the top Makefile's bpf/ rules
# (shortest stem: floor.bpf.o takes this rule, not the %.o one above).
$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -MF $(BUILD)/bench/$*.bpf.d -MT $@ -c $< -o $@.tmp.o && \
		$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
$(BUILD)/bench/floor.o: $(BUILD)/bench/floor.skel.h
$(BUILD)/bench/floor.o: CFLAGS += -I$(BUILD)/bench

# libbpf linked statically, as for the tracer (LIBBPF_LIBS, top Makefile); relinked when it changes.
# liblab gives it the command line's usage errors and number parsing (harness/cli.h).
$(BENCH_FLOOR): $(BUILD)/bench/floor.o $(LIBLAB) $(wildcard $(LIBBPF_A))
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(BUILD)/bench/floor.o -o $@ $(LIBLAB) $(LIBBPF_LIBS) $(LDLIBS)

# The long runs (sustained load, record rate, a traced build, footprint): JSON rows.
BENCH_LOAD_OBJS := $(patsubst bench/%.c,$(BUILD)/bench/%.o,$(wildcard bench/load*.c)) \
	$(BUILD)/bench/tracerctl.o
$(BENCH_LOADER): $(BENCH_LOAD_OBJS) $(LIBLAB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(BENCH_LOAD_OBJS) -o $@ $(LIBLAB) -lm $(LDLIBS)

# Tests of the binding and the smoke run link the binding object and the C++ runtime.
TEST_CFLAGS_bench_binding := -Ibench
TEST_LDLIBS_bench_binding := $(BENCH_GB_OBJ) $(BENCH_LIBS)
$(BUILD)/t/bench_binding: $(BENCH_GB_OBJ)
$(BUILD)/t/bench_smoke: $(BENCH_BIN) $(BENCH_EXIT0) $(BENCH_FLOOR) $(BENCH_LOADER)

# --- make bench --------------------------------------------------------------------------------
BENCH_REPS    ?= $(if $(QUICK),5,12)
BENCH_MINTIME ?= $(if $(QUICK),0.02,0.2)
BENCH_FILTER  ?= .
BENCH_OUTDIR  ?= results/bench
# The long runs of cloexec-load (empty: none; rate on request). QUICK: 5 s instead of 60 s.
BENCH_LOAD    ?= churn procs build footprint
BENCH_LOAD_ARGS ?= $(if $(QUICK),--quick)
# The tracer measured (default build/cloexec-trace) and one to compare with in the same run
# (main's tracer, say: every traced variant again as <variant>@before, each load run's config
# "before"); the build figure on another tree: BENCH_BUILD_DIR, BENCH_BUILD_CMD (make -j2),
# BENCH_CLEAN_CMD (make clean).
BENCH_TRACER  ?=
BENCH_BEFORE  ?=
BENCH_BUILD_DIR ?=
BENCH_BUILD_CMD ?= make -j2
BENCH_CLEAN_CMD ?= make clean
BENCH_TRACERS = $(if $(BENCH_TRACER),--tracer '$(BENCH_TRACER)') \
	$(if $(BENCH_BEFORE),--before '$(BENCH_BEFORE)')
BENCH_BUILD_ARGS = $(if $(BENCH_BUILD_DIR),--build-dir '$(BENCH_BUILD_DIR)' \
	--build-cmd '$(BENCH_BUILD_CMD)' --clean-cmd '$(BENCH_CLEAN_CMD)')

bench: $(BENCH_BIN) $(BENCH_EXIT0) $(BENCH_FLOOR) $(BENCH_LOADER)
	$(Q)$(PYTHON) bench/pairs.py --check-pairs bench/pairs.txt
	$(Q)mkdir -p $(BENCH_OUTDIR); t0=$$(date +%s); \
	commit=$$(git rev-parse --short HEAD 2>/dev/null || echo nocommit); \
	stem=$$(date -u +%Y%m%d-%H%M%S)-$$commit-$$(hostname -s); \
	out=$(BENCH_OUTDIR)/$$stem.json; \
	echo "bench: writing $$out (repetitions=$(BENCH_REPS), min_time=$(BENCH_MINTIME)s; load: $$(cat /proc/loadavg))"; \
	CLOEXEC_LAB_BUILD=$(abspath $(BUILD)) $(BENCH_BIN) $(BENCH_TRACERS) \
		--benchmark_filter='$(BENCH_FILTER)' \
		--benchmark_repetitions=$(BENCH_REPS) --benchmark_min_time=$(BENCH_MINTIME) \
		--benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=false \
		--benchmark_display_aggregates_only=true \
		--benchmark_context=commit=$$commit \
		--benchmark_out_format=json --benchmark_out=$$out.tmp; rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 1 ]; then rm -f $$out.tmp; exit $$rc; fi; \
	mv $$out.tmp $$out && ln -sf $$stem.json $(BENCH_OUTDIR)/latest.json || exit 1; \
	$(PYTHON) bench/pairs.py --pairs bench/pairs.txt $$out > $(BENCH_OUTDIR)/$$stem.pairs.txt; \
	prc=$$?; cat $(BENCH_OUTDIR)/$$stem.pairs.txt; [ $$prc -eq 0 ] || exit $$prc; \
	ln -sf $$stem.pairs.json $(BENCH_OUTDIR)/latest.pairs.json && \
	ln -sf $$stem.pairs.txt $(BENCH_OUTDIR)/latest.pairs.txt || exit 1; \
	load=; if [ -n "$(strip $(BENCH_LOAD))" ]; then \
		load=$(BENCH_OUTDIR)/$$stem.load.json; \
		echo "bench: the long runs ($(BENCH_LOAD)) -> $$load (load: $$(cat /proc/loadavg))"; \
		CLOEXEC_LAB_BUILD=$(abspath $(BUILD)) $(BENCH_LOADER) $(BENCH_LOAD_ARGS) --src . \
			$(BENCH_TRACERS) $(BENCH_BUILD_ARGS) -o $$load $(BENCH_LOAD); lrc=$$?; \
		[ $$lrc -eq 0 ] || [ $$lrc -eq 1 ] || exit $$lrc; [ $$rc -ne 0 ] || rc=$$lrc; \
		ln -sf $$stem.load.json $(BENCH_OUTDIR)/latest.load.json || exit 1; \
	fi; \
	echo "bench: the tracer's goals against the floor (bench/goals.py; load: $$(cat /proc/loadavg))"; \
	$(PYTHON) bench/goals.py $$out $${load:+--load $$load} --out $(BENCH_OUTDIR)/$$stem.goals.json \
		> $(BENCH_OUTDIR)/$$stem.goals.txt; grc=$$?; cat $(BENCH_OUTDIR)/$$stem.goals.txt; \
	[ $$grc -eq 0 ] || exit $$grc; \
	$(PYTHON) bench/goals.py --markdown $$out $${load:+--load $$load} \
		> $(BENCH_OUTDIR)/$$stem.goals.md || exit $$?; \
	ln -sf $$stem.goals.json $(BENCH_OUTDIR)/latest.goals.json && \
	ln -sf $$stem.goals.txt $(BENCH_OUTDIR)/latest.goals.txt && \
	ln -sf $$stem.goals.md $(BENCH_OUTDIR)/latest.goals.md && \
	echo "bench: done in $$(( $$(date +%s) - t0 )) s (load: $$(cat /proc/loadavg))" && exit $$rc
