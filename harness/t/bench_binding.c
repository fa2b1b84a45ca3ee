// SPDX-License-Identifier: MIT
/*
 * bench_binding.c - tests of the C binding to Google Benchmark (bench/gbench.h)
 * through the real library: C benchmarks are registered and run in this
 * process, their JSON output is read back, and what the functions saw is
 * compared with what the library reported: iterations happen and are counted
 * exactly (batches never overshoot), pause/resume excludes time, manual time is
 * honoured, counters appear in the JSON, skip-with-error is reported as an
 * error, arguments and thread counts reach the function, bad flags give 2.
 */
#define _GNU_SOURCE
#include "gbench.h"
#include "tjson.h"
#include "lab.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH_CAP   7
#define WAIT_NS	    1000000ULL /* the region paused (or not) in the pause test */
#define MANUAL_S    0.0025     /* the time each manual-time iteration reports */
#define FIXED_ITERS 123

/* What the functions saw; written by benchmark threads, read after gb_run. */
static struct {
	uint64_t loop_iters, done, max; /* last call of bm_count */
	int overshoot, bad_batch, calls;
	unsigned args_seen; /* bit 0: (3,40), bit 1: (5,60) */
	int bad_args;
	unsigned thread_mask2; /* thread indices seen with 2 threads */
	int threads_seen_max;
	uint64_t fixed_loop, single_loop;
} seen;

/*
 * Sleep ns. A sleep, not a spin: a spin that uses up its time slice on a loaded
 * machine gets the task preempted at the next syscall, which is the library's
 * CPU-clock read inside ResumeTiming, i.e. inside the timed window.
 */
static void wait_ns(unsigned long long ns)
{
	unsigned long long end = lab_now_ns() + ns, now;

	while ((now = lab_now_ns()) < end) {
		struct timespec ts = {.tv_sec = (time_t)((end - now) / 1000000000ULL),
				      .tv_nsec = (long)((end - now) % 1000000000ULL)};

		nanosleep(&ts, NULL);
	}
}

static void bm_count(gb_state *s, void *user)
{
	uint64_t n = BATCH_CAP, total = 0;
	volatile int sink = 0;

	(void)user;
	while (gb_keep_running_batch(s, &n)) {
		if (n == 0 || n > BATCH_CAP)
			seen.bad_batch = 1;
		for (uint64_t i = 0; i < n; i++)
			sink += (int)i;
		total += n;
		n = BATCH_CAP;
	}
	seen.calls++;
	seen.loop_iters = total;
	seen.done = gb_iterations_done(s);
	seen.max = gb_max_iterations(s);
	if (seen.done != total)
		seen.overshoot = 1;
}

/* Each iteration waits WAIT_NS with the timer paused (user != NULL) or running. */
static void bm_pause(gb_state *s, void *user)
{
	uint64_t n = 1;

	while (gb_keep_running_batch(s, &n)) {
		if (user) {
			gb_pause(s);
			wait_ns(WAIT_NS);
			gb_resume(s);
		} else {
			wait_ns(WAIT_NS);
		}
		n = 1;
	}
}

static void bm_manual(gb_state *s, void *user)
{
	uint64_t n = 1;

	(void)user;
	while (gb_keep_running_batch(s, &n)) {
		gb_set_iteration_time(s, MANUAL_S);
		n = 1;
	}
}

static void bm_counters(gb_state *s, void *user)
{
	uint64_t n = 0, total = 0;

	(void)user;
	while (gb_keep_running_batch(s, &n))
		total += n;
	gb_counter_set(s, "answer", 42, GB_COUNTER_DEFAULT);
	gb_counter_set(s, "per_iter", 3.0 * (double)total, GB_COUNTER_AVG_ITERATIONS);
	gb_set_items_processed(s, (int64_t)total);
}

static void bm_error(gb_state *s, void *user)
{
	uint64_t n = 0;

	(void)user;
	gb_skip_with_error(s, "deliberate failure");
	while (gb_keep_running_batch(s, &n))
		;
}

static void bm_args(gb_state *s, void *user)
{
	int64_t a = gb_range(s, 0), b = gb_range(s, 1);
	uint64_t n = 0;

	(void)user;
	if (a == 3 && b == 40)
		__atomic_or_fetch(&seen.args_seen, 1u, __ATOMIC_RELAXED);
	else if (a == 5 && b == 60)
		__atomic_or_fetch(&seen.args_seen, 2u, __ATOMIC_RELAXED);
	else
		seen.bad_args = 1;
	while (gb_keep_running_batch(s, &n))
		;
}

static void bm_threads(gb_state *s, void *user)
{
	int t = gb_threads_count(s), i = gb_thread_index(s);
	uint64_t n = 0;

	(void)user;
	if (t == 2 && i >= 0 && i < 2)
		__atomic_or_fetch(&seen.thread_mask2, 1u << i, __ATOMIC_RELAXED);
	if (t > __atomic_load_n(&seen.threads_seen_max, __ATOMIC_RELAXED))
		__atomic_store_n(&seen.threads_seen_max, t, __ATOMIC_RELAXED);
	while (gb_keep_running_batch(s, &n))
		;
}

static void bm_fixed(gb_state *s, void *user)
{
	uint64_t n = 0, total = 0;

	(void)user;
	while (gb_keep_running_batch(s, &n))
		total += n;
	seen.fixed_loop = total;
}

static void bm_plain(gb_state *s, void *user)
{
	uint64_t n = 0;

	(void)user;
	while (gb_keep_running_batch(s, &n))
		;
}

/* The one-iteration-at-a-time loop, a label, and a unit/min_time set at registration. */
static void bm_single(gb_state *s, void *user)
{
	uint64_t total = 0;

	(void)user;
	while (gb_keep_running(s))
		total++;
	seen.single_loop = total;
	gb_set_label(s, "hello from C");
}

/* The iteration row whose run_name is name, or NULL. */
static const json_t *row(const json_t *doc, const char *name)
{
	const json_t *rows = json_object_get(doc, "benchmarks");

	for (size_t i = 0; i < tj_len(rows); i++) {
		const json_t *r = tj_at(rows, i);

		if (!strcmp(tj_str(r, "run_name", ""), name) &&
		    !strcmp(tj_str(r, "run_type", ""), "iteration"))
			return r;
	}
	return NULL;
}

/* Run gb_main with stdout (the library's console report) sent to /dev/null. */
static int run_quiet(int argc, char **argv)
{
	int saved, nul, rc;

	fflush(stdout);
	saved = dup(1);
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || nul < 0 || dup2(nul, 1) < 0)
		bail("bench_binding: failed to redirect stdout: %s", strerror(errno));
	close(nul);
	rc = gb_main(argc, argv);
	fflush(stdout);
	if (dup2(saved, 1) < 0)
		bail("bench_binding: failed to restore stdout: %s", strerror(errno));
	close(saved);
	return rc;
}

/* Fails before its loop in one repetition out of three, like a setup that fails once. */
static void bm_flaky(gb_state *s, void *user)
{
	static int calls;
	uint64_t n = 0;

	(void)user;
	if (calls++ == 1) {
		gb_skip_with_error(s, "setup failed once");
		return;
	}
	while (gb_keep_running_batch(s, &n))
		;
}

/*
 * gb_main with flags a1 (and a2) in a child, which registers its own two
 * benchmarks (the library initialises once per process); its wait status or -1.
 */
static int child_gb_main(char *a1, char *a2)
{
	int st = 0;
	pid_t pid = fork();

	if (pid < 0)
		bail("bench_binding: failed to fork: %s", strerror(errno));
	if (pid == 0) {
		char a0[] = "bench_binding";
		char *argv[] = {a0, a1, a2, NULL};
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		gb_register("child/plain", bm_plain, NULL);
		gb_iterations(gb_register("flaky/once", bm_flaky, NULL), 10);
		_exit(gb_main(a2 ? 3 : 2, argv));
	}
	tap_track_child(pid);
	if (lab_wait_timeout(pid, &st, 20000) < 0) {
		lab_kill_reap(pid);
		st = -1;
	}
	tap_untrack_child(pid);
	return st;
}

/* A bad flag, or a filter that selects nothing, must give 2. */
static void test_bad_flag(void)
{
	char bad[] = "--benchmark_no_such_flag=1", none[] = "--benchmark_filter=^no_such_bench$",
	     badre[] = "--benchmark_filter=[";
	int st;

	st = child_gb_main(bad, NULL);
	ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
	   "an unknown --benchmark_ flag makes gb_main return 2 (status 0x%x)", st);
	st = child_gb_main(none, NULL);
	ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
	   "a filter that matches no benchmark makes gb_main return 2 (status 0x%x)", st);
	st = child_gb_main(badre, NULL);
	ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
	   "a filter that is not a regex makes gb_main return 2 (status 0x%x)", st);
}

/*
 * The library aborts when the repetitions of one benchmark report different
 * iteration counts; a run that fails before its loop must not cause that.
 */
static void test_flaky_error(void)
{
	char filter[] = "--benchmark_filter=^flaky/", reps[] = "--benchmark_repetitions=3";
	int st = child_gb_main(filter, reps);

	ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	   "one repetition failing before its loop is reported (exit 1), no abort (status 0x%x)",
	   st);
}

int main(void)
{
	char dir[] = "/tmp/bench_binding.XXXXXX", out[256], outarg[300];
	const json_t *r, *r2;
	json_t *doc;
	char err[160], *text;
	size_t len = 0;
	int rc;

	lab_clean_fds(0);
	tap_timeout(60);
	plan_lazy();

	test_bad_flag();
	test_flaky_error();

	/* 50 ms: even a preempted first probe leaves the library room to grow the count. */
	gb_min_time(gb_use_real_time(gb_register("bind/count", bm_count, NULL)), 0.05);
	gb_iterations(gb_use_real_time(gb_register("bind/pause", bm_pause, "pause")), 200);
	gb_iterations(gb_use_real_time(gb_register("bind/nopause", bm_pause, NULL)), 200);
	gb_use_manual_time(gb_register("bind/manual", bm_manual, NULL));
	gb_register("bind/counters", bm_counters, NULL);
	gb_register("bind/error", bm_error, NULL);
	{
		const int64_t a1[] = {3, 40}, a2[] = {5, 60};
		gb_bench *b = gb_register("bind/args", bm_args, NULL);

		gb_args(gb_args(b, a1, 2), a2, 2);
	}
	gb_arg(gb_arg_name(gb_register("bind/named", bm_plain, NULL), "fds"), 16);
	gb_min_time(gb_unit(gb_register("bind/single", bm_single, NULL), GB_US), 0.01);
	gb_threads(gb_threads(gb_register("bind/threads", bm_threads, NULL), 1), 2);
	gb_iterations(gb_register("bind/fixed", bm_fixed, NULL), FIXED_ITERS);
	ok(gb_register(NULL, bm_fixed, NULL) == NULL, "gb_register refuses a NULL name");

	if (!mkdtemp(dir))
		bail("bench_binding: failed to create a temporary directory: %s", strerror(errno));
	snprintf(out, sizeof(out), "%s/out.json", dir);
	snprintf(outarg, sizeof(outarg), "--benchmark_out=%s", out);
	{
		char a0[] = "bench_binding", a1[] = "--benchmark_min_time=0.01",
		     a2[] = "--benchmark_out_format=json", a3[] = "--benchmark_filter=^bind/";
		char *argv[] = {a0, a1, a2, a3, outarg, NULL};

		rc = run_quiet(5, argv);
	}
	is_int(rc, 1, "gb_main returns 1 when a run skipped with an error");
	cmp_int(gb_error_count(), ">=", 1, "gb_error_count counts the skip-with-error calls");

	text = lab_read_file(out, &len);
	unlink(out);
	rmdir(dir);
	if (!text)
		bail("bench_binding: failed to read the JSON output %s", out);
	doc = tj_parse(text, len, err, sizeof(err));
	free(text);
	if (!doc)
		bail("bench_binding: the library's JSON does not parse: %s", err);
	ok(json_is_object(json_object_get(doc, "context")), "the JSON has a context object");

	/* Iterations happen and are counted exactly. */
	r = row(doc, "bind/count/min_time:0.050/real_time");
	ok(r != NULL, "bind/count has an iteration row");
	cmp_int(tj_int(r, "iterations", 0), ">", 1, "bind/count ran more than one iteration");
	is_int(tj_int(r, "iterations", 0), (long long)seen.loop_iters,
	       "the reported iterations equal the iterations the C loop ran");
	is_int((long long)seen.done, (long long)seen.max,
	       "the C loop ran exactly max_iterations (no overshoot)");
	ok(!seen.overshoot, "no call ran more iterations than the library counted");
	ok(!seen.bad_batch, "every batch was between 1 and the requested cap (%d)", BATCH_CAP);
	cmp_int(seen.calls, ">=", 2, "the library probed the iteration count in several calls");

	/* Pause/resume excludes time: compare with the same wait unpaused. */
	r = row(doc, "bind/pause/iterations:200/real_time");
	r2 = row(doc, "bind/nopause/iterations:200/real_time");
	ok(r && r2, "pause and nopause rows exist");
	if (r && r2) {
		double tp = tj_num(r, "real_time", -1);
		double tn = tj_num(r2, "real_time", -1);

		is_str(tj_str(r, "time_unit", ""), "ns", "the default unit is ns");
		cmp_int((long long)tn, ">=", (long long)WAIT_NS,
			"unpaused: the %llu ns wait is in the time (%.0f ns)", WAIT_NS, tn);
		cmp_int((long long)tp, "<", (long long)(WAIT_NS / 4),
			"paused: the %llu ns wait is excluded (%.0f ns)", WAIT_NS, tp);
	}

	/* Manual time. */
	r = row(doc, "bind/manual/manual_time");
	ok(r != NULL, "bind/manual has a row named .../manual_time");
	{
		double t = tj_num(r, "real_time", -1);

		ok(fabs(t - MANUAL_S * 1e9) < MANUAL_S * 1e9 * 1e-6,
		   "manual time is what the function set: %.1f ns, want %.1f", t, MANUAL_S * 1e9);
	}

	/* Counters. */
	r = row(doc, "bind/counters");
	is_int(tj_int(r, "answer", -1), 42, "a default counter appears with its value");
	ok(fabs(tj_num(r, "per_iter", -1) - 3.0) < 1e-9,
	   "an average-per-iteration counter is divided by the iterations (%g)",
	   tj_num(r, "per_iter", -1));
	cmp_int((long long)tj_num(r, "items_per_second", 0), ">", 0,
		"gb_set_items_processed gives items_per_second");

	/* Skip with error. */
	r = row(doc, "bind/error");
	ok(tj_bool(r, "error_occurred", 0), "a skipped run is reported with error_occurred");
	is_str(tj_str(r, "error_message", ""), "deliberate failure",
	       "the error message is the one given");

	/* Arguments and threads. */
	ok(row(doc, "bind/args/3/40") && row(doc, "bind/args/5/60"),
	   "one row per argument set (bind/args/3/40 and bind/args/5/60)");
	is_int(seen.args_seen, 3, "the function saw both argument sets through gb_range");
	ok(!seen.bad_args, "no other argument values reached the function");
	ok(row(doc, "bind/named/fds:16") != NULL,
	   "gb_arg_name names the argument (bind/named/fds:16)");
	r = row(doc, "bind/threads/threads:2");
	is_int(tj_int(r, "threads", 0), 2, "the threads:2 row reports 2 threads");
	ok(row(doc, "bind/threads/threads:1") != NULL, "the threads:1 row exists");
	is_int(seen.thread_mask2, 3, "with 2 threads, thread indices 0 and 1 both ran");
	is_int(seen.threads_seen_max, 2, "gb_threads_count reported 2");

	/* Fixed iterations. */
	r = row(doc, "bind/fixed/iterations:123");
	is_int(tj_int(r, "iterations", 0), FIXED_ITERS, "gb_iterations fixes the count");
	is_int((long long)seen.fixed_loop, FIXED_ITERS, "and the C loop ran exactly that many");

	/* One at a time, label, unit, min_time. */
	r = row(doc, "bind/single/min_time:0.010");
	ok(r != NULL, "gb_min_time shows in the name (bind/single/min_time:0.010)");
	is_int(tj_int(r, "iterations", 0), (long long)seen.single_loop,
	       "gb_keep_running counts one iteration per call");
	is_str(tj_str(r, "label", ""), "hello from C", "gb_set_label sets the row's label");
	is_str(tj_str(r, "time_unit", ""), "us", "gb_unit(GB_US) reports in us");

	json_decref(doc);
	return done_testing();
}
