// SPDX-License-Identifier: MIT
/*
 * load_run.c - one run of cloexec-load (load_run.h): a process tree we fork (ROOT, blocked on a
 * pipe until the program beside it says "ready"), run under nothing, the floor or a tracer
 * (cloexec-trace -p ROOT, its JSON and text into pipes that threads drain: tracerctl.h). ROOT
 * then runs producers that create and close fds (unpaced, or paced in 1 ms batches; or, for a
 * procs run, a short process per PROCS_FDS fds) or execs a command (the build), and the run
 * ends when ROOT is reaped: its wall and CPU time, what the producers made, the tracer's
 * rusage and summary.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "load.h"
#include "load_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DUP_TARGET_FD 100
#define TICK_NS	      1000000ULL /* paced producers: one batch per ms */

struct shared {
	long long done[MAX_PRODUCERS];
	long long procs[MAX_PRODUCERS];
	double secs[MAX_PRODUCERS];
};

static double now_s(void)
{
	return (double)lab_now_ns() / 1e9;
}

static void one_op(enum op op, int nul)
{
	if (dup3(nul, DUP_TARGET_FD, op == OP_DUP3_CLOEXEC ? O_CLOEXEC : 0) >= 0)
		close(DUP_TARGET_FD);
}

/* Short processes, one after another: each makes PROCS_FDS fds, half of them with the flag. */
static void produce_procs(const struct trial *tr, int idx, int nul, struct shared *sh)
{
	unsigned long long end = lab_now_ns() + (unsigned long long)(tr->seconds * 1e9);
	long long done = 0, n = 0;

	while (lab_now_ns() < end) {
		pid_t c = fork();
		int st;

		if (c == 0) {
			for (int i = 0; i < PROCS_FDS / 2; i++) {
				one_op(OP_DUP3_CLOEXEC, nul);
				one_op(OP_DUP3_PLAIN, nul);
			}
			_exit(0);
		}
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			break;
		done += PROCS_FDS;
		n++;
	}
	sh->done[idx] = done;
	sh->procs[idx] = n;
}

/* A producer: unpaced (rate 0) or paced in 1 ms batches, catching up at most 4 batches. */
static void produce(const struct trial *tr, int idx, int nul, struct shared *sh)
{
	double rate = tr->rate / tr->producers;
	long long limit = tr->max_fds ? tr->max_fds / tr->producers : LLONG_MAX, done = 0;
	unsigned long long t0 = lab_now_ns(), end = t0 + (unsigned long long)(tr->seconds * 1e9);
	unsigned long long t = t0, next = t0;

	if (tr->procs) {
		produce_procs(tr, idx, nul, sh);
		return;
	}
	if (rate <= 0) {
		while (done < limit && t < end) {
			long long n = limit - done < 1024 ? limit - done : 1024;

			for (long long i = 0; i < n; i++)
				one_op(tr->op, nul);
			done += n;
			t = lab_now_ns();
		}
	} else {
		long long cap = (long long)(rate * 4 * TICK_NS / 1e9) + 1;

		while (done < limit && t < end) {
			long long due = (long long)(rate * (double)(t - t0) / 1e9) + 1,
				  n = due - done;
			struct timespec ts;

			if (n > cap)
				n = cap;
			if (n > limit - done)
				n = limit - done;
			for (long long i = 0; i < n; i++)
				one_op(tr->op, nul);
			done += n > 0 ? n : 0;
			next += TICK_NS;
			t = lab_now_ns();
			if (next > t) {
				ts.tv_sec = (time_t)(next / 1000000000ULL);
				ts.tv_nsec = (long)(next % 1000000000ULL);
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
				       EINTR)
					;
				t = lab_now_ns();
			} else {
				next = t; /* behind: no burst to make up for the past */
			}
		}
	}
	sh->done[idx] = done;
	sh->secs[idx] = (double)(lab_now_ns() - t0) / 1e9;
}

/* ROOT: waits for "go", then forks the producers (or execs the command) and waits for them. */
static void root_main(const struct trial *tr, int go, int nul, struct shared *sh)
{
	pid_t kids[MAX_PRODUCERS];
	char b;
	int bad = 0;

	ssize_t r;

	/* dies with us; and runs nothing unless told "go" (EOF: we are gone or gave up) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	do
		r = read(go, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(125);
	if (tr->argv) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (tr->chdir_to && chdir(tr->chdir_to) < 0)
			_exit(126);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			_exit(126);
		/* stderr stays ours: a failing build says why */
		execvp(tr->argv[0], (char *const *)tr->argv);
		_exit(127);
	}
	for (int i = 1; i < tr->producers; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			produce(tr, i, nul, sh);
			_exit(0);
		}
		if (kids[i] < 0)
			bad = 1;
	}
	produce(tr, 0, nul, sh);
	for (int i = 1; i < tr->producers; i++) {
		int st;

		if (kids[i] > 0 &&
		    (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st)))
			bad = 1;
	}
	_exit(bad);
}

/*
 * The tracer's options: JSON on the sink (and, with text, its text on stdout), never a
 * failing exit for findings (a run's findings are not the question here), and otherwise the
 * defaults users run (stacks on), but where the trial asks for --no-stacks (the rate figure).
 */
static void tracer_args(const struct trial *tr, const char *argv[8])
{
	int n = 0;

	if (!tr->text)
		argv[n++] = "--json";
	argv[n++] = "--fail-on";
	argv[n++] = "none";
	if (tr->no_stacks)
		argv[n++] = "--no-stacks";
	argv[n] = NULL;
}

/* Waits for ROOT, bounded: the work's own length and two minutes more. 0, or -1 with why. */
static int wait_root(pid_t root, double seconds, int *st, struct rusage *ru, char *why, size_t len)
{
	int bound_ms = (int)((seconds + 120) * 1000);
	int pfd = (int)syscall(SYS_pidfd_open, root, 0), pr = 1;

	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};

		do
			pr = poll(&p, 1, bound_ms);
		while (pr < 0 && errno == EINTR && !stop_sig);
		close(pfd);
	}
	if (pr == 0 || stop_sig) {
		if (stop_sig)
			snprintf(why, len, "interrupted");
		else
			snprintf(why, len, "the workload did not end within %d s", bound_ms / 1000);
		return -1;
	}
	while (wait4(root, st, 0, ru) < 0 && errno == EINTR)
		;
	return 0;
}

int run_trial(const struct trial *tr, struct trial_out *o, char *why, size_t len)
{
	const char *targs[8];
	struct tc_sink json = {.scan = tr->scan}, text;
	struct tc t;
	struct tc_opts to = {.kind = cfg_kind(tr->cfg),
			     .path = tr->cfg == CFG_BEFORE ? opt.before : opt.tracer,
			     .json = &json,
			     .text = tr->text ? &text : NULL,
			     .extra = targs,
			     /*
			      * the tracer ends by itself once ROOT is gone, when it has written
			      * everything: that time is part of the figures (a build's end), so
			      * it gets as long as the work had, and two minutes more
			      */
			     .self_exit_ms = (int)((tr->seconds + 120) * 1000)};
	struct shared *sh;
	struct rusage ru;
	int go[2], nul, st = 0, ret = -1;
	pid_t root;
	double t0;

	tracer_args(tr, targs);
	memset(o, 0, sizeof(*o));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(why, len, "failed to map shared counters: %s", strerror(errno));
		return -1;
	}
	memset(sh, 0, sizeof(*sh));
	/* everything ROOT needs exists before tracing: the tree's only fds are the work's */
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0 || pipe2(go, O_CLOEXEC) < 0) {
		snprintf(why, len, "failed to open /dev/null or a pipe: %s", strerror(errno));
		if (nul >= 0)
			close(nul);
		munmap(sh, sizeof(*sh));
		return -1;
	}
	root = fork();
	if (root < 0) {
		snprintf(why, len, "failed to fork: %s", strerror(errno));
		goto out;
	}
	if (root == 0) {
		close(go[1]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		root_main(tr, go[0], nul, sh);
	}
	close(go[0]);
	go[0] = -1;
	to.target = root;
	if (tc_start(&t, &to, why, len) < 0) {
		close(go[1]);
		go[1] = -1;
		lab_kill_reap(root);
		goto out;
	}
	t0 = now_s();
	if (write(go[1], "x", 1) != 1) {
		snprintf(why, len, "failed to start the workload: %s", strerror(errno));
		lab_kill_reap(root);
		tc_stop(&t, NULL, NULL, 0);
		goto out;
	}
	close(go[1]);
	go[1] = -1;
	if (wait_root(root, tr->seconds, &st, &ru, why, len) < 0) {
		lab_kill_reap(root);
		tc_stop(&t, NULL, NULL, 0);
		goto out;
	}
	o->wall_s = now_s() - t0;
	o->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	o->root_status = st;
	for (int i = 0; i < tr->producers && !tr->argv; i++) {
		o->fds += sh->done[i];
		o->processes += sh->procs[i];
	}
	if (tc_stop(&t, &o->res, why, len) < 0)
		goto out;
	o->end_s = now_s() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(why, len, "the workload ended with %s %d",
			 WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		goto out;
	}
	ret = 0;
out:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	close(nul);
	munmap(sh, sizeof(*sh));
	return ret;
}
