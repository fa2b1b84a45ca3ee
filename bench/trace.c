// SPDX-License-Identifier: MIT
/*
 * trace.c - the tracer's overhead on the traced program: socket()+close() with
 *   trace_socket/untraced   no tracer running
 *   trace_socket/filtered   build/cloexec-trace attached to an unrelated idle process
 *                           (BPF programs run on our syscalls but filter them out)
 *   trace_socket/traced     build/cloexec-trace -p <our pid> (every socket recorded)
 * The tracer's JSON output goes to a drain process (a fork of ours) that tells
 * us when the tracer's "start" line arrived, then discards the rest, so the
 * tracer never blocks on a full pipe and we stay single-threaded. Timing starts
 * only after the start line; needs root and kernel BTF, else the run is
 * skipped with the reason. The label fd_events=N is how many fd records the
 * tracer printed: many when traced, 0 when filtered out (a check the tracer
 * really was attached, or really filtered).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACER_START_TIMEOUT_MS 30000
#define TRACER_STOP_TIMEOUT_MS	10000
#define TRACE_ITERATIONS	20000

enum trace_mode { T_NONE, T_FILTERED, T_TRACED };

struct trace_case {
	const char *name;
	enum trace_mode mode;
};

struct tracer {
	pid_t tracer, drain, idle;
	int idle_w; /* write end that keeps the idle process blocked */
	int ready;  /* from the drain: "1" at the start line, then the fd-event count */
};

/*
 * The drain: reads the tracer's JSON Lines, writes "1" to ready when the
 * "start" line arrives, counts the "fd" records, and writes the count (a long
 * long) to ready at end of file, so the run can show the tracer really saw it.
 */
static void __attribute__((noreturn)) drain_main(int in, int ready)
{
	char buf[8192], line[512];
	long long fd_events = 0;
	size_t ll = 0;
	int started = 0;
	ssize_t r;

	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (ll <
				    sizeof(line) - 1) /* the type comes first: a prefix will do */
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = 0;
			ll = 0;
			if (!started && strstr(line, "\"type\":\"start\"")) {
				if (write(ready, "1", 1) != 1)
					_exit(1);
				started = 1;
			} else if (started && strstr(line, "\"type\":\"fd\"")) {
				fd_events++;
			}
		}
	}
	if (started && write(ready, &fd_events, sizeof(fd_events)) != sizeof(fd_events))
		_exit(1);
	_exit(started ? 0 : 2);
}

/* Stop and reap everything; returns the fd records the tracer printed, or -1. */
static long long tracer_stop(struct tracer *t)
{
	long long fd_events = -1;
	int st;

	if (t->tracer > 0) {
		kill(t->tracer, SIGINT);
		if (lab_wait_timeout(t->tracer, &st, TRACER_STOP_TIMEOUT_MS) < 0)
			lab_kill_reap(t->tracer);
	}
	if (t->drain > 0 && lab_wait_timeout(t->drain, &st, TRACER_STOP_TIMEOUT_MS) < 0)
		lab_kill_reap(t->drain);
	/* The drain has exited: its count, if any, is in the pipe already. */
	if (t->ready >= 0) {
		struct pollfd p = {.fd = t->ready, .events = POLLIN};

		if (poll(&p, 1, 0) == 1 &&
		    read(t->ready, &fd_events, sizeof(fd_events)) != sizeof(fd_events))
			fd_events = -1;
		close(t->ready);
	}
	if (t->idle_w >= 0)
		close(t->idle_w);
	if (t->idle > 0 && lab_wait_timeout(t->idle, &st, TRACER_STOP_TIMEOUT_MS) < 0)
		lab_kill_reap(t->idle);
	t->tracer = t->drain = t->idle = 0;
	t->idle_w = t->ready = -1;
	return fd_events;
}

/* Start the tracer on target (our pid or an idle child) and wait for its start line. */
static int tracer_start(gb_state *s, struct tracer *t, enum trace_mode mode, const char *path)
{
	int out[2] = {-1, -1}, ready[2] = {-1, -1}, idle[2] = {-1, -1};
	char pidbuf[32];
	pid_t target = getpid();
	struct pollfd p;
	int pr;
	char c;

	t->tracer = t->drain = t->idle = 0;
	t->idle_w = t->ready = -1;
	if (mode == T_FILTERED) {
		if (pipe2(idle, O_CLOEXEC) < 0)
			goto fail_errno;
		t->idle = fork();
		if (t->idle < 0)
			goto fail_errno;
		if (t->idle == 0) {
			char b;

			close(idle[1]);
			while (read(idle[0], &b, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		close(idle[0]);
		t->idle_w = idle[1];
		target = t->idle;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)target);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		goto fail_errno;

	t->tracer = fork();
	if (t->tracer < 0)
		goto fail_errno;
	if (t->tracer == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (dup2(out[1], 1) < 0 || (nul >= 0 && dup2(nul, 2) < 0) ||
		    (nul >= 0 && dup2(nul, 0) < 0))
			_exit(3);
		execl(path, path, "--json", "-p", pidbuf, (char *)NULL);
		_exit(127);
	}
	t->drain = fork();
	if (t->drain < 0)
		goto fail_errno;
	if (t->drain == 0) {
		close(out[1]);
		close(ready[0]);
		drain_main(out[0], ready[1]);
	}
	close(out[0]);
	close(out[1]);
	close(ready[1]);
	out[0] = out[1] = ready[1] = -1;

	p = (struct pollfd){.fd = ready[0], .events = POLLIN};
	do
		pr = poll(&p, 1, TRACER_START_TIMEOUT_MS);
	while (pr < 0 && errno == EINTR);
	if (pr <= 0 || read(ready[0], &c, 1) != 1) {
		int st;

		close(ready[0]);
		if (lab_wait_timeout(t->tracer, &st, 0) == 0) {
			t->tracer = 0;
			gb_skip_with_errorf(
			    s, "cloexec-trace exited before its start line (status 0x%x)", st);
		} else {
			gb_skip_with_errorf(s, "cloexec-trace printed no start line within %d ms",
					    TRACER_START_TIMEOUT_MS);
		}
		tracer_stop(t);
		return -1;
	}
	t->ready = ready[0];
	return 0;

fail_errno:;
	int err = errno;

	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	if (idle[0] >= 0 && t->idle <= 0)
		close(idle[0]);
	if (idle[1] >= 0 && t->idle_w < 0)
		close(idle[1]);
	tracer_stop(t);
	bench_fail(s, "start tracer", err);
	return -1;
}

static void bm_trace(gb_state *s, void *user)
{
	const struct trace_case *c = user;
	struct tracer t = {.idle_w = -1, .ready = -1};
	long long fd_events;
	char path[4096];
	uint64_t n = 0;

	if (c->mode != T_NONE) {
		char why[200];

		if (!lab_bpf_usable(why, sizeof(why))) {
			bench_env_skip(s, "%s", why);
			return;
		}
		if (!lab_build_path("cloexec-trace", path, sizeof(path)) ||
		    access(path, X_OK) < 0) {
			gb_skip_with_errorf(s, "failed to find %s: build it with make", path);
			return;
		}
		if (tracer_start(s, &t, c->mode, path) < 0)
			return;
	}
	while (gb_keep_running_batch(s, &n)) {
		for (uint64_t i = 0; i < n; i++) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0) {
				bench_fail(s, "socket", errno);
				goto out;
			}
			close(fd);
		}
	}
	gb_set_items_processed(s, (int64_t)gb_iterations_done(s));
	if (c->mode != T_NONE) {
		char label[48];

		/*
		 * What the tracer printed about our sockets: many when traced, none
		 * when filtered out. A label, not a counter: a counter that is 0 in
		 * every repetition gives cv = NaN in the JSON.
		 */
		fd_events = tracer_stop(&t);
		snprintf(label, sizeof(label), "fd_events=%lld", fd_events);
		gb_set_label(s, label);
	}
	return;
out:
	if (c->mode != T_NONE)
		tracer_stop(&t);
}

static const struct trace_case cases[] = {
    {"trace_socket/untraced", T_NONE},
    {"trace_socket/filtered", T_FILTERED},
    {"trace_socket/traced", T_TRACED},
};

void bench_register_trace(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gb_bench *b = gb_register(cases[i].name, bm_trace, (void *)&cases[i]);

		if (!b)
			continue;
		/*
		 * A fixed count: the library's iteration-count search would start the
		 * tracer once per probe; this way once per repetition.
		 */
		gb_iterations(b, TRACE_ITERATIONS);
		gb_use_real_time(b);
	}
}
