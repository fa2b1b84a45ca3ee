/* SPDX-License-Identifier: MIT */
/*
 * gbench.h - a thin C binding to Google Benchmark (libbenchmark 1.7.1).
 *
 * Register C functions as benchmarks, then hand control to the library:
 *
 *	static void bm_pipe2(gb_state *s, void *user)
 *	{
 *		uint64_t n = 0;		// 0: let the library pick the batch size
 *
 *		while (gb_keep_running_batch(s, &n))
 *			for (uint64_t i = 0; i < n; i++)
 *				do_one();
 *	}
 *
 *	gb_bench *b = gb_register("pipe/pipe2", bm_pipe2, NULL);
 *	gb_use_real_time(b);
 *	return gb_main(argc, argv);
 *
 * The batched loop means the C++ side is entered once per batch, not once per
 * iteration. The C loop must run exactly *n iterations per successful call; the
 * library's iteration count is then exact (a batch never overshoots).
 * Calls on a gb_bench return it, so they chain: gb_threads(gb_arg(b, 1), 2).
 */
#ifndef CLOEXEC_LAB_GBENCH_H
#define CLOEXEC_LAB_GBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define GB_NOEXCEPT noexcept
extern "C" {
#else
#define GB_NOEXCEPT
#endif

typedef struct gb_state gb_state; /* benchmark::State of one running thread */
typedef struct gb_bench gb_bench; /* benchmark::internal::Benchmark (a family) */
typedef void (*gb_fn)(gb_state *s, void *user);

/* Counter flags (benchmark::Counter::Flags), may be or-ed. */
enum {
	GB_COUNTER_DEFAULT = 0,
	GB_COUNTER_RATE = 1 << 0,	    /* divided by the elapsed time */
	GB_COUNTER_AVG_THREADS = 1 << 1,    /* divided by the number of threads */
	GB_COUNTER_ITER_INVARIANT = 1 << 2, /* multiplied by the iterations */
	GB_COUNTER_AVG_ITERATIONS = 1 << 3, /* divided by the iterations */
};

/* Time units for reports (benchmark::TimeUnit). */
enum gb_unit { GB_NS, GB_US, GB_MS, GB_S };

/* --- registration (before gb_main) ------------------------------------------------------ */

/* Register fn under name ("group/variant"); user is passed through. NULL on error. */
gb_bench *gb_register(const char *name, gb_fn fn, void *user) GB_NOEXCEPT;
/* Add one run with a single argument (read with gb_range(s, 0)). */
gb_bench *gb_arg(gb_bench *b, int64_t a) GB_NOEXCEPT;
/* Add one run with n arguments. */
gb_bench *gb_args(gb_bench *b, const int64_t *a, size_t n) GB_NOEXCEPT;
/* Name the arguments in the benchmark name ("fds:16" instead of "16"). */
gb_bench *gb_arg_name(gb_bench *b, const char *name) GB_NOEXCEPT;
/* Add a run with this many threads (call several times for several counts). */
gb_bench *gb_threads(gb_bench *b, int n) GB_NOEXCEPT;
/* Iteration count and reported time come from wall time (default: CPU time). */
gb_bench *gb_use_real_time(gb_bench *b) GB_NOEXCEPT;
/* Time comes only from gb_set_iteration_time(). */
gb_bench *gb_use_manual_time(gb_bench *b) GB_NOEXCEPT;
/* Minimum time per repetition in seconds (adds "/min_time:" to the name). */
gb_bench *gb_min_time(gb_bench *b, double seconds) GB_NOEXCEPT;
/* Fixed iteration count (adds "/iterations:" to the name). */
gb_bench *gb_iterations(gb_bench *b, uint64_t n) GB_NOEXCEPT;
/* Report in this unit. */
gb_bench *gb_unit(gb_bench *b, enum gb_unit u) GB_NOEXCEPT;

/* --- inside a benchmark function -------------------------------------------------------- */

/*
 * Start the next batch. On entry *n is the largest batch the caller can run (0:
 * no limit); on return it is the number of iterations to run now (>= 1). Returns
 * 0 when the benchmark is done (or after gb_skip_with_error): leave the loop.
 */
int gb_keep_running_batch(gb_state *s, uint64_t *n) GB_NOEXCEPT;
/* One iteration at a time (KeepRunning); simpler but one C++ call per iteration. */
int gb_keep_running(gb_state *s) GB_NOEXCEPT;
/* Exclude a region from the timing (expensive: use once per batch, not per iteration). */
void gb_pause(gb_state *s) GB_NOEXCEPT;
void gb_resume(gb_state *s) GB_NOEXCEPT;
/* With gb_use_manual_time: the time of the current iteration (or batch) in seconds. */
void gb_set_iteration_time(gb_state *s, double seconds) GB_NOEXCEPT;
/* Set (or replace) a user counter; it appears in the JSON row under name. */
void gb_counter_set(gb_state *s, const char *name, double value, int flags) GB_NOEXCEPT;
/* Report the run as failed with msg; then return from the function. */
void gb_skip_with_error(gb_state *s, const char *msg) GB_NOEXCEPT;
/* printf-style gb_skip_with_error. */
void gb_skip_with_errorf(gb_state *s, const char *fmt, ...) GB_NOEXCEPT
    __attribute__((format(printf, 2, 3)));
int gb_error_occurred(const gb_state *s) GB_NOEXCEPT;
/* The i-th argument of this run. */
int64_t gb_range(const gb_state *s, size_t i) GB_NOEXCEPT;
int gb_thread_index(const gb_state *s) GB_NOEXCEPT;
int gb_threads_count(const gb_state *s) GB_NOEXCEPT;
/* Iterations completed so far, and the planned total for this thread. */
uint64_t gb_iterations_done(const gb_state *s) GB_NOEXCEPT;
uint64_t gb_max_iterations(const gb_state *s) GB_NOEXCEPT;
void gb_set_items_processed(gb_state *s, int64_t items) GB_NOEXCEPT;
/* A label shown beside the run (e.g. "tracer missing"). */
void gb_set_label(gb_state *s, const char *label) GB_NOEXCEPT;

/* --- running ---------------------------------------------------------------------------- */

/* Add a key=value pair to the JSON "context" (before gb_main). */
void gb_add_context(const char *key, const char *value) GB_NOEXCEPT;
/*
 * Initialize (consumes --benchmark_* flags), reject unknown arguments (returns
 * 2), run the benchmarks selected by --benchmark_filter, Shutdown. Returns 0
 * when everything ran, 1 when a run reported an error, 2 on bad arguments or
 * when no benchmark ran (a filter that matches nothing or is not a regex).
 */
int gb_main(int argc, char **argv) GB_NOEXCEPT;
/*
 * Like gb_main but leaves unknown arguments in argv (for a tool with its own
 * options): Initialize only, updates *argc. Call gb_run() afterwards.
 */
void gb_initialize(int *argc, char **argv) GB_NOEXCEPT;
/* Run and Shutdown; returns like gb_main (2: no benchmark ran). */
int gb_run(void) GB_NOEXCEPT;
/* Number of gb_skip_with_error calls during the last gb_run (all threads). */
long gb_error_count(void) GB_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
