// SPDX-License-Identifier: MIT
/*
 * trace.c - the tracer's overhead on the traced program: socket()+close() with
 *   trace_socket/untraced   no tracer running
 *   trace_socket/filtered   build/cloexec-trace attached to an unrelated idle process
 *                           (BPF programs run on our syscalls but filter them out)
 *   trace_socket/traced     build/cloexec-trace -p <our pid> (every socket recorded)
 * The tracer writes its JSON to an unlinked temporary file (--json -o) and says
 * "ready" on a pipe (--ready-fd) once it is attached; timing starts only then, and
 * nothing but the tracer itself runs beside the timed loop. After the run the
 * tracer is stopped and its summary record (the file's last line) gives the label
 * fd_events=N (summary.fds: many when traced, 0 when filtered out, a check that the
 * tracer really was attached or really filtered) and lost=N (records dropped).
 * Needs root and kernel BTF, else the run is skipped with the reason.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "json.h"
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACER_START_TIMEOUT_MS 30000
#define TRACER_STOP_TIMEOUT_MS	10000
#define TRACE_ITERATIONS	20000
#define READY_FD		3 /* the fd the tracer gets for --ready-fd */

enum trace_mode { T_NONE, T_FILTERED, T_TRACED };

struct trace_case {
	const char *name;
	enum trace_mode mode;
};

struct tracer {
	pid_t tracer, idle;
	int idle_w; /* write end that keeps the idle process blocked */
	int out;    /* the tracer's -o file, already unlinked */
};

/* bpf/SCHEMA.md's version, which the summary record must carry ("v"). */
#define TRACE_SCHEMA 2

/* The tracer's summary record, the last line of its -o file. */
struct trace_summary {
	long long fds, lost;
};

static int read_summary(int fd, struct trace_summary *sum)
{
	char buf[4096], err[128];
	struct json *j;
	struct stat st;
	off_t off;
	ssize_t r;
	char *line;
	int ok;

	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return -1;
	off = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
	r = pread(fd, buf, sizeof(buf) - 1, off);
	if (r <= 0)
		return -1;
	while (r > 0 && buf[r - 1] == '\n')
		r--;
	buf[r] = 0;
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	j = json_parse(line, strlen(line), err, sizeof(err));
	if (!j)
		return -1;
	ok = !strcmp(json_get_str(j, "type", ""), "summary") &&
	     json_get_int(j, "v", -1) == TRACE_SCHEMA;
	sum->fds = json_get_int(j, "fds", -1);
	sum->lost = json_get_int(j, "lost", -1);
	json_free(j);
	return ok && sum->fds >= 0 && sum->lost >= 0 ? 0 : -1;
}

/*
 * Stop and reap everything; fills *sum from the tracer's summary (0), or says
 * in why what went wrong (-1).
 */
static int tracer_stop(struct tracer *t, struct trace_summary *sum, char *why, size_t len)
{
	int st = -1, ret = -1;

	if (t->tracer > 0) {
		kill(t->tracer, SIGINT);
		if (lab_wait_timeout(t->tracer, &st, TRACER_STOP_TIMEOUT_MS) < 0) {
			lab_kill_reap(t->tracer);
			st = -1;
		}
	}
	/* exit 0 or 1 (findings): the trace ended normally and wrote its summary */
	if (t->out >= 0 && sum) {
		if (st < 0)
			snprintf(why, len, "cloexec-trace did not stop within %d ms of SIGINT",
				 TRACER_STOP_TIMEOUT_MS);
		else if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
			snprintf(why, len, "cloexec-trace ended with %s %d",
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		else if ((ret = read_summary(t->out, sum)) < 0)
			snprintf(why, len, "cloexec-trace's output does not end with a summary");
	}
	if (t->out >= 0)
		close(t->out);
	if (t->idle_w >= 0)
		close(t->idle_w);
	if (t->idle > 0 && lab_wait_timeout(t->idle, &st, TRACER_STOP_TIMEOUT_MS) < 0)
		lab_kill_reap(t->idle);
	t->tracer = t->idle = 0;
	t->idle_w = t->out = -1;
	return ret;
}

/* In the tracer's child: fd becomes exactly fd want (FD_CLOEXEC clear); the copy is cloexec. */
static int move_fd(int fd, int want)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 16);

	return hi < 0 || dup2(hi, want) < 0 ? -1 : 0;
}

/*
 * Start the tracer on target (our pid or an idle child) and wait for its "ready"
 * line. Its JSON goes to an unlinked temporary file it reaches as /dev/fd/4; its
 * stderr is ours, so a failure says why.
 */
static int tracer_start(gb_state *s, struct tracer *t, enum trace_mode mode, const char *path)
{
	int ready[2] = {-1, -1}, idle[2] = {-1, -1};
	char pidbuf[32], outname[4200], fdarg[16], line[16] = "";
	const char *tmp = getenv("TMPDIR");
	pid_t target = getpid();
	struct pollfd p;
	ssize_t r = 0;
	int pr, err;

	t->tracer = t->idle = 0;
	t->idle_w = t->out = -1;
	snprintf(outname, sizeof(outname), "%s/cloexec-bench-trace.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	t->out = mkostemp(outname, O_CLOEXEC);
	if (t->out < 0)
		goto fail_errno;
	unlink(outname);
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
		idle[0] = idle[1] = -1;
		target = t->idle;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)target);
	snprintf(fdarg, sizeof(fdarg), "%d", READY_FD);
	if (pipe2(ready, O_CLOEXEC) < 0)
		goto fail_errno;

	t->tracer = fork();
	if (t->tracer < 0)
		goto fail_errno;
	if (t->tracer == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (bench_cloexec_all() < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
		    move_fd(ready[1], READY_FD) < 0 || move_fd(t->out, READY_FD + 1) < 0)
			_exit(3);
		execl(path, path, "--json", "-o", "/dev/fd/4", "--ready-fd", fdarg, "-p", pidbuf,
		      (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	ready[1] = -1;

	/* "ready\n", or EOF when the tracer failed before tracing */
	p = (struct pollfd){.fd = ready[0], .events = POLLIN};
	do
		pr = poll(&p, 1, TRACER_START_TIMEOUT_MS);
	while (pr < 0 && errno == EINTR);
	if (pr > 0) {
		do
			r = read(ready[0], line, sizeof(line) - 1);
		while (r < 0 && errno == EINTR);
	}
	close(ready[0]);
	if (pr <= 0 || r != 6 || memcmp(line, "ready\n", 6)) {
		int st;

		if (pr > 0 && lab_wait_timeout(t->tracer, &st, TRACER_STOP_TIMEOUT_MS) == 0) {
			t->tracer = 0;
			gb_skip_with_errorf(s, "cloexec-trace exited before it was ready (%s %d)",
					    WIFEXITED(st) ? "exit" : "signal",
					    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		} else {
			gb_skip_with_errorf(s, "cloexec-trace was not ready within %d ms",
					    pr > 0 ? TRACER_STOP_TIMEOUT_MS
						   : TRACER_START_TIMEOUT_MS);
		}
		tracer_stop(t, NULL, NULL, 0);
		return -1;
	}
	return 0;

fail_errno:
	err = errno;
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (idle[i] >= 0)
			close(idle[i]);
	}
	tracer_stop(t, NULL, NULL, 0);
	bench_fail(s, "start tracer", err);
	return -1;
}

static void bm_trace(gb_state *s, void *user)
{
	const struct trace_case *c = user;
	struct tracer t = {.idle_w = -1, .out = -1};
	struct trace_summary sum;
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
		char label[64], why[128];

		/*
		 * What the tracer recorded of our sockets: one each when traced, none
		 * when filtered out. A label, not a counter: a counter that is 0 in
		 * every repetition gives cv = NaN in the JSON.
		 */
		if (tracer_stop(&t, &sum, why, sizeof(why)) < 0) {
			gb_skip_with_error(s, why);
			return;
		}
		snprintf(label, sizeof(label), "fd_events=%lld lost=%lld", sum.fds, sum.lost);
		gb_set_label(s, label);
	}
	return;
out:
	if (c->mode != T_NONE)
		tracer_stop(&t, NULL, NULL, 0);
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
