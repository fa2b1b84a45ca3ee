// SPDX-License-Identifier: MIT
/*
 * gbench.cc - the C binding to Google Benchmark declared in gbench.h. The only
 * C++ in the project: each C call maps onto one library call; gb_state and
 * gb_bench are the library's State and Benchmark objects seen as opaque types.
 * No exception may cross into C: every entry point is noexcept and the library
 * itself reports errors through its own checks.
 */
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

namespace
{

std::atomic<long> g_errors{0};
/* The name of the benchmark this thread runs, for error messages. */
thread_local const char *t_name = "";

inline benchmark::State *S(gb_state *s)
{
	return reinterpret_cast<benchmark::State *>(s);
}

inline const benchmark::State *S(const gb_state *s)
{
	return reinterpret_cast<const benchmark::State *>(s);
}

inline benchmark::internal::Benchmark *B(gb_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

inline gb_bench *C(benchmark::internal::Benchmark *b)
{
	return reinterpret_cast<gb_bench *>(b);
}

} // namespace

extern "C" {

gb_bench *gb_register(const char *name, gb_fn fn, void *user) noexcept
{
	if (!name || !fn)
		return nullptr;
	try {
		auto *b = benchmark::RegisterBenchmark(
		    name, [fn, user, nm = std::string(name)](benchmark::State &st) {
			    t_name = nm.c_str();
			    fn(reinterpret_cast<gb_state *>(&st), user);
			    t_name = "";
		    });
		return C(b);
	} catch (...) {
		return nullptr;
	}
}

gb_bench *gb_arg(gb_bench *b, int64_t a) noexcept
{
	B(b)->Arg(a);
	return b;
}

gb_bench *gb_args(gb_bench *b, const int64_t *a, size_t n) noexcept
{
	B(b)->Args(std::vector<int64_t>(a, a + n));
	return b;
}

gb_bench *gb_arg_name(gb_bench *b, const char *name) noexcept
{
	B(b)->ArgName(name);
	return b;
}

gb_bench *gb_threads(gb_bench *b, int n) noexcept
{
	B(b)->Threads(n);
	return b;
}

gb_bench *gb_use_real_time(gb_bench *b) noexcept
{
	B(b)->UseRealTime();
	return b;
}

gb_bench *gb_use_manual_time(gb_bench *b) noexcept
{
	B(b)->UseManualTime();
	return b;
}

gb_bench *gb_min_time(gb_bench *b, double seconds) noexcept
{
	B(b)->MinTime(seconds);
	return b;
}

gb_bench *gb_iterations(gb_bench *b, uint64_t n) noexcept
{
	B(b)->Iterations(static_cast<benchmark::IterationCount>(n));
	return b;
}

gb_bench *gb_unit(gb_bench *b, enum gb_unit u) noexcept
{
	static const benchmark::TimeUnit map[] = {benchmark::kNanosecond, benchmark::kMicrosecond,
						  benchmark::kMillisecond, benchmark::kSecond};

	if (u >= GB_NS && u <= GB_S)
		B(b)->Unit(map[u]);
	return b;
}

int gb_keep_running_batch(gb_state *s, uint64_t *n) noexcept
{
	benchmark::State *st = S(s);
	/*
	 * Before the first call iterations() is 0, so the first batch is capped
	 * by max_iterations; later batches by what is left. Asking for no more
	 * than is left means the library never counts iterations we did not run.
	 */
	uint64_t left = static_cast<uint64_t>(st->max_iterations - st->iterations());
	uint64_t want = (*n == 0 || *n > left) ? left : *n;

	if (want == 0)
		want = 1; /* done: the library answers false and finishes the timing */
	if (!st->KeepRunningBatch(static_cast<benchmark::IterationCount>(want)))
		return 0;
	*n = want;
	return 1;
}

int gb_keep_running(gb_state *s) noexcept
{
	return S(s)->KeepRunning();
}

void gb_pause(gb_state *s) noexcept
{
	S(s)->PauseTiming();
}

void gb_resume(gb_state *s) noexcept
{
	S(s)->ResumeTiming();
}

void gb_set_iteration_time(gb_state *s, double seconds) noexcept
{
	S(s)->SetIterationTime(seconds);
}

void gb_counter_set(gb_state *s, const char *name, double value, int flags) noexcept
{
	try {
		S(s)->counters[name] =
		    benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
	} catch (...) {
	}
}

void gb_skip_with_error(gb_state *s, const char *msg) noexcept
{
	benchmark::State *st = S(s);

	if (st->error_occurred())
		return;
	g_errors.fetch_add(1);
	fprintf(stderr, "%s: %s\n", t_name, msg);
	/*
	 * The library requires every repetition of a benchmark to report the same
	 * iteration count (ComputeStats aborts otherwise). A run that fails after
	 * its loop started reports max_iterations; one that fails before would
	 * report 0, so start the loop first (one iteration, not run).
	 */
	if (st->iterations() == 0)
		st->KeepRunningBatch(1);
	st->SkipWithError(msg);
}

void gb_skip_with_errorf(gb_state *s, const char *fmt, ...) noexcept
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gb_skip_with_error(s, buf);
}

int gb_error_occurred(const gb_state *s) noexcept
{
	return S(s)->error_occurred();
}

int64_t gb_range(const gb_state *s, size_t i) noexcept
{
	return S(s)->range(i);
}

int gb_thread_index(const gb_state *s) noexcept
{
	return S(s)->thread_index();
}

int gb_threads_count(const gb_state *s) noexcept
{
	return S(s)->threads();
}

uint64_t gb_iterations_done(const gb_state *s) noexcept
{
	return static_cast<uint64_t>(S(s)->iterations());
}

uint64_t gb_max_iterations(const gb_state *s) noexcept
{
	return static_cast<uint64_t>(S(s)->max_iterations);
}

void gb_set_items_processed(gb_state *s, int64_t items) noexcept
{
	S(s)->SetItemsProcessed(items);
}

void gb_set_label(gb_state *s, const char *label) noexcept
{
	try {
		S(s)->SetLabel(label);
	} catch (...) {
	}
}

void gb_add_context(const char *key, const char *value) noexcept
{
	try {
		benchmark::AddCustomContext(key, value);
	} catch (...) {
	}
}

void gb_initialize(int *argc, char **argv) noexcept
{
	benchmark::Initialize(argc, argv);
}

int gb_run(void) noexcept
{
	size_t ran;

	try {
		g_errors.store(0);
		/* 0: the filter matched nothing or did not compile (the library said which) */
		ran = benchmark::RunSpecifiedBenchmarks();
		benchmark::Shutdown();
	} catch (...) {
		return 1;
	}
	if (ran == 0)
		return 2;
	return g_errors.load() ? 1 : 0;
}

long gb_error_count(void) noexcept
{
	return g_errors.load();
}

int gb_main(int argc, char **argv) noexcept
{
	gb_initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	return gb_run();
}

} // extern "C"
