// SPDX-License-Identifier: MIT
/*
 * trace.c - what tracing costs the programs it runs beside, each next to the floor of any
 * syscall tracer (build/bench/cloexec-floor: an empty tp_btf/sys_exit program) measured in
 * the same run. Variants (the second part of each name) and the tracer's options:
 *   untraced        no BPF program loaded by us
 *   floor           cloexec-floor attached: every syscall pays the empty program
 *   filtered        cloexec-trace -p <an idle child>: its programs run on our syscalls and
 *                   filter them out (we are not in the traced tree)
 *   traced          cloexec-trace -p <our pid>, the default options (stacks on): how users run it
 *   traced_nostack  the same with --no-stacks
 *   allfds_nostack  --all-fds --no-stacks: every fd a record that reaches user space
 *   allfds          --all-fds (stacks on): every fd a record with its user stack; the
 *                   difference to allfds_nostack is the kernel side of taking a stack
 *   <variant>@before  the same variant run with another tracer binary (--before PATH: main's
 *                   tracer), interleaved with the rest, against the same floor
 * Groups (the work of one iteration):
 *   trace_getppid       getppid()                          untraced floor filtered
 *   trace_socket        socket(SOCK_CLOEXEC) + close       untraced floor filtered traced
 *   trace_dup3          dup3(O_CLOEXEC) + close            untraced floor traced
 *   trace_dup3_plain    dup3(0) + close (fd without flag)  untraced floor traced traced_nostack
 *                                                          allfds_nostack allfds
 *   trace_socket_plain  socket() + close (without flag)    the same as trace_dup3_plain
 * The plain fds are closed before any fork or exec could carry them: harmless, so the tracer
 * may count them in the kernel (traced), unless --all-fds makes each a record.
 * The program writes its JSON to an unlinked temporary file and says "ready" on a pipe once
 * attached (tracerctl.h); timing starts only then. Each run is a fixed number of iterations,
 * so the program starts once per repetition; for the traced groups few enough that the
 * records fit the tracer's ring buffer. After the run the tracer is stopped and its summary
 * gives the label "fd_events=N lost=M records=R" (summary.fds, .lost, .records), then
 * "stacks=N skipped=N unwound=N" when it has stacks, then "tracer_cpu_us=N tracer_maxrss_kb=N"
 * (its CPU from "ready" to its exit, wait4's max RSS): one fd per iteration when traced, 0
 * when filtered (the smoke test checks it; bench/goals.py does not count a traced figure whose
 * records were lost). Needs root and kernel BTF, else the run is skipped with the reason.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "families.h"
#include "lab.h"
#include "tracerctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DUP_TARGET_FD 100 /* dup3 onto this fd (grown table: no expand_files) */

enum trace_mode {
	T_UNTRACED,
	T_FLOOR,
	T_FILTERED,
	T_TRACED,
	T_TRACED_NOSTACK,
	T_ALLFDS_NOSTACK,
	T_ALLFDS
};
enum trace_work { W_GETPPID, W_SOCKET, W_SOCKET_PLAIN, W_DUP3, W_DUP3_PLAIN };

struct trace_case {
	char name[80];
	enum trace_mode mode;
	enum trace_work work;
	uint64_t iterations;
	const char *tracer; /* the tracer binary (NULL: build/cloexec-trace) */
};

/* The tracer's options per mode (after -o FILE, before -p PID). */
static const char *const *mode_args(enum trace_mode m)
{
	static const char *const nostack[] = {"--no-stacks", NULL};
	static const char *const allfds[] = {"--all-fds", NULL};
	static const char *const allfds_nostack[] = {"--all-fds", "--no-stacks", NULL};

	return m == T_TRACED_NOSTACK   ? nostack
	       : m == T_ALLFDS	       ? allfds
	       : m == T_ALLFDS_NOSTACK ? allfds_nostack
				       : NULL;
}

/* An idle child for the filtered runs: blocked on a pipe until we close its write end. */
static pid_t idle_start(int *wfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char b;

		close(p[1]);
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void idle_stop(pid_t pid, int wfd)
{
	int st;

	if (wfd >= 0)
		close(wfd);
	if (pid > 0 && lab_wait_timeout(pid, &st, 10000) < 0)
		lab_kill_reap(pid);
}

/* One untimed iteration's fd has the flag the variant promises (atomic: set, plain: clear). */
static int check_work(gb_state *s, enum trace_work w, int nul)
{
	int fd = -1, want = w == W_SOCKET || w == W_DUP3;

	if (w == W_GETPPID)
		return 0;
	if (w == W_SOCKET || w == W_SOCKET_PLAIN)
		fd = socket(AF_INET, SOCK_STREAM | (w == W_SOCKET ? SOCK_CLOEXEC : 0), 0);
	else
		fd = dup3(nul, DUP_TARGET_FD, w == W_DUP3 ? O_CLOEXEC : 0);
	if (fd < 0) {
		bench_fail(s, w == W_DUP3 || w == W_DUP3_PLAIN ? "dup3" : "socket", errno);
		return -1;
	}
	if (bench_is_cloexec(fd) != want) {
		gb_skip_with_errorf(s, "fd %d has FD_CLOEXEC %s, expected %s", fd,
				    want ? "clear" : "set", want ? "set" : "clear");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * What the tracer recorded of our fds: one each when traced, none when filtered out; and what
 * it cost itself. A label, not a counter: a counter that is 0 in every repetition gives
 * cv = NaN in the JSON.
 */
static void set_label(gb_state *s, const struct tc_result *res)
{
	char label[256];
	size_t n;

	snprintf(label, sizeof(label), "fd_events=%lld lost=%lld records=%lld", res->sum.fds,
		 res->sum.lost, res->sum.records);
	n = strlen(label);
	if (res->sum.stacks >= 0)
		snprintf(label + n, sizeof(label) - n, " stacks=%lld skipped=%lld unwound=%lld",
			 res->sum.stacks, res->sum.stacks_skipped, res->sum.stacks_unwound);
	n = strlen(label);
	/* from "ready" to its exit: the traced loop and the drain after it, not its start-up */
	if (res->cpu_s >= 0 && res->startup_cpu_s >= 0)
		snprintf(label + n, sizeof(label) - n, " tracer_cpu_us=%.0f tracer_maxrss_kb=%ld",
			 (res->cpu_s - res->startup_cpu_s) * 1e6, res->ru.ru_maxrss);
	gb_set_label(s, label);
}

static void bm_trace(gb_state *s, void *user)
{
	const struct trace_case *c = user;
	struct tc t = {.out = -1};
	struct tc_opts o = {.kind = TC_NONE};
	struct tc_result res;
	pid_t idle = 0;
	int idle_w = -1, nul;
	char why[300];
	uint64_t n = 0;

	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0) {
		bench_fail(s, "open /dev/null", errno);
		return;
	}
	if (check_work(s, c->work, nul) < 0)
		goto out_nul;
	if (c->mode != T_UNTRACED) {
		if (!lab_bpf_usable(why, sizeof(why))) {
			bench_env_skip(s, "%s", why);
			goto out_nul;
		}
		o.kind = c->mode == T_FLOOR ? TC_FLOOR : TC_TRACER;
		o.extra = mode_args(c->mode);
		if (o.kind == TC_TRACER)
			o.path = c->tracer;
		/*
		 * The floor loader lives in the build tree (make install does not install it
		 * yet): an installed cloexec-bench skips these runs, a build tree has it.
		 */
		if (o.kind == TC_FLOOR && access(tc_path(TC_FLOOR, why, sizeof(why)), X_OK) < 0) {
			bench_env_skip(s, "%s not found (built by make in the source tree)", why);
			goto out_nul;
		}
		o.target = getpid();
		if (c->mode == T_FILTERED) {
			idle = idle_start(&idle_w);
			if (idle < 0) {
				bench_fail(s, "fork an idle process", errno);
				goto out_nul;
			}
			o.target = idle;
		}
		/* the program gets no fd of ours but its pipes (tracerctl.c) */
		if (tc_start(&t, &o, why, sizeof(why)) < 0) {
			gb_skip_with_error(s, why);
			goto out;
		}
	}
	while (gb_keep_running_batch(s, &n)) {
		for (uint64_t i = 0; i < n; i++) {
			int fd;

			switch (c->work) {
			case W_GETPPID:
				syscall(SYS_getppid); /* the syscall itself, never a cached value */
				continue;
			case W_SOCKET:
			case W_SOCKET_PLAIN:
				fd = socket(AF_INET,
					    SOCK_STREAM | (c->work == W_SOCKET ? SOCK_CLOEXEC : 0),
					    0);
				break;
			default:
				fd = dup3(nul, DUP_TARGET_FD, c->work == W_DUP3 ? O_CLOEXEC : 0);
				break;
			}
			if (fd < 0) {
				bench_fail(s, c->work >= W_DUP3 ? "dup3" : "socket", errno);
				tc_stop(&t, NULL, NULL, 0);
				goto out;
			}
			close(fd);
		}
	}
	gb_set_items_processed(s, (int64_t)gb_iterations_done(s));
	if (tc_stop(&t, &res, why, sizeof(why)) < 0) {
		gb_skip_with_error(s, why);
		goto out;
	}
	if (o.kind == TC_TRACER)
		set_label(s, &res);
out:
	idle_stop(idle, idle_w);
out_nul:
	close(nul);
}

/*
 * Iterations per run: enough for tens of ms; for fds without the flag at most 20000 (with
 * --all-fds, or with a tracer that does not count harmless fds in the kernel, one record
 * each, about 7 MiB: the tracer's 8 MiB ring holds a whole run even if its reader stalls).
 * Atomic fds are counted in the kernel (no record): 100000, so that a run is long enough
 * (20-170 ms) for an interval that decides 30 ns.
 */
#define IT_SYSCALL   200000
#define IT_FD	     20000
#define IT_FD_ATOMIC 100000

/* The groups, the work of one iteration, and their variants. */
static const struct {
	const char *group;
	enum trace_work work;
	uint64_t iterations;
	enum trace_mode modes[8];
	int nmodes;
} groups[] = {
    {"trace_getppid", W_GETPPID, IT_SYSCALL, {T_UNTRACED, T_FLOOR, T_FILTERED}, 3},
    {"trace_socket", W_SOCKET, IT_FD_ATOMIC, {T_UNTRACED, T_FLOOR, T_FILTERED, T_TRACED}, 4},
    {"trace_dup3", W_DUP3, IT_FD_ATOMIC, {T_UNTRACED, T_FLOOR, T_TRACED}, 3},
    {"trace_dup3_plain",
     W_DUP3_PLAIN,
     IT_FD,
     {T_UNTRACED, T_FLOOR, T_TRACED, T_TRACED_NOSTACK, T_ALLFDS_NOSTACK, T_ALLFDS},
     6},
    {"trace_socket_plain",
     W_SOCKET_PLAIN,
     IT_FD,
     {T_UNTRACED, T_FLOOR, T_TRACED, T_TRACED_NOSTACK, T_ALLFDS_NOSTACK, T_ALLFDS},
     6},
};

static const char *const mode_names[] = {"untraced",	   "floor",	     "filtered", "traced",
					 "traced_nostack", "allfds_nostack", "allfds"};

static struct trace_case cases[64];
static size_t ncases;

static void add_case(const char *group, enum trace_work w, uint64_t it, enum trace_mode m,
		     const char *tracer, const char *suffix)
{
	struct trace_case *c;

	if (ncases >= sizeof(cases) / sizeof(cases[0]))
		return;
	c = &cases[ncases++];
	snprintf(c->name, sizeof(c->name), "%s/%s%s", group, mode_names[m], suffix);
	c->mode = m;
	c->work = w;
	c->iterations = it;
	c->tracer = tracer;
}

/*
 * CLOEXEC_BENCH_TRACE_ITERS=N: N iterations per run of fds without the flag (5 N atomic, 10 N
 * getppid) instead of 20000: a shorter smoke test (harness/t/bench_smoke.c); a figure wants
 * the default.
 */
static uint64_t iterations_of(uint64_t it)
{
	const char *e = getenv("CLOEXEC_BENCH_TRACE_ITERS");
	long long n = e ? atoll(e) : 0;

	if (n < 100 || n > IT_FD)
		return it;
	return it == IT_SYSCALL	    ? (uint64_t)n * 10
	       : it == IT_FD_ATOMIC ? (uint64_t)n * 5
				    : (uint64_t)n;
}

void bench_register_trace(const char *tracer, const char *before)
{
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (int i = 0; i < groups[g].nmodes; i++) {
			enum trace_mode m = groups[g].modes[i];

			uint64_t it = iterations_of(groups[g].iterations);

			add_case(groups[g].group, groups[g].work, it, m, tracer, "");
			if (before && m >= T_FILTERED)
				add_case(groups[g].group, groups[g].work, it, m, before, "@before");
		}
	}
	for (size_t i = 0; i < ncases; i++) {
		gb_bench *b = gb_register(cases[i].name, bm_trace, &cases[i]);

		if (!b)
			continue;
		/*
		 * A fixed count: the library's iteration-count search would start the
		 * program once per probe; this way once per repetition.
		 */
		gb_iterations(b, cases[i].iterations);
		gb_use_real_time(b);
	}
}
