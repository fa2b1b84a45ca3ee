// SPDX-License-Identifier: MIT
/*
 * trace_pid - the tracer's other scopes and its ready signal, without sleeps:
 *   -p PID     a fixture (fx_wait_go) blocks on a pipe; the tracer attaches to it with
 *              --ready-fd; once "ready" arrives (the start record is in the file by then)
 *              the test releases the fixture, which makes a leaky socket and execs fx_child:
 *              the fd record, the exec record (leaked, creator known), summary, exit 1;
 *   -p PID     of a process that does not exist, or of a zombie: exit 2, one line;
 *   -- alone   ("--" and no command) is a usage error, not a system-wide trace;
 *   system     --timeout 2 with no pid or command while the test runs fx_socket_plain:
 *              the fixture's leak is found among whatever else the system did;
 *   -- CMD     --ready-fd with a command: "ready" arrives and the command does not
 *              inherit the ready fd.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#define READY_MS 20000 /* bound on attach */

/* A tracer run started by hand (tl_run always adds "-- fixture"). */
struct tr {
	pid_t pid;
	int ready_r; /* read end of the ready pipe, -1 if none */
	char dir[64], json[128], out[128], err[128];
};

/* Start cloexec-trace with args; with ready, its fd 3 is the write end of a pipe. */
static void tr_start(struct tr *t, const char *const *args, int ready)
{
	const char *argv[32];
	char tracer[PATH_MAX];
	int argc = 0, rp[2] = {-1, -1};

	snprintf(t->dir, sizeof(t->dir), "/tmp/cloexec-trace-pid.XXXXXX");
	if (!mkdtemp(t->dir))
		bail("failed to create a temporary directory: %s", strerror(errno));
	snprintf(t->json, sizeof(t->json), "%s/out.jsonl", t->dir);
	snprintf(t->out, sizeof(t->out), "%s/stdout", t->dir);
	snprintf(t->err, sizeof(t->err), "%s/stderr", t->dir);
	argv[argc++] = tl_path("cloexec-trace", tracer, sizeof(tracer));
	for (; *args && argc < 30; args++)
		argv[argc++] = strcmp(*args, "@JSON") ? *args : t->json;
	argv[argc] = NULL;
	if (ready && pipe2(rp, O_CLOEXEC) < 0)
		bail("failed to create a pipe: %s", strerror(errno));
	t->pid = fork();
	if (t->pid < 0)
		bail("failed to fork: %s", strerror(errno));
	if (t->pid == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int o = open(t->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(t->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0 || (ready && dup2(rp[1], 3) < 0))
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	tap_track_child(t->pid);
	if (ready)
		close(rp[1]);
	t->ready_r = rp[0];
}

/* Wait (bounded) for the ready line. Returns 1 on "ready\n", 0 on EOF/timeout/other. */
static int tr_ready(struct tr *t, char *got, size_t len)
{
	unsigned long long end = lab_now_ns() + READY_MS * 1000000ULL;
	size_t have = 0;

	got[0] = '\0';
	while (have < len - 1 && !strchr(got, '\n')) {
		struct pollfd p = {.fd = t->ready_r, .events = POLLIN};
		long long left = (long long)(end - lab_now_ns()) / 1000000LL;
		ssize_t n;

		if (lab_now_ns() >= end || poll(&p, 1, (int)(left > 0 ? left : 0)) == 0) {
			diag("no ready line within %d ms", READY_MS);
			return 0;
		}
		n = read(t->ready_r, got + have, len - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		got[have] = '\0';
	}
	return strcmp(got, "ready\n") == 0;
}

/* Whether the tracer closed the ready fd after the line (EOF within the bound). */
static int tr_ready_eof(struct tr *t)
{
	struct pollfd p = {.fd = t->ready_r, .events = POLLIN};
	char c;

	return poll(&p, 1, READY_MS) == 1 && read(t->ready_r, &c, 1) == 0;
}

/* Wait for the tracer's exit (bounded); fill r with its JSON and stderr. Returns its exit code
 * or -1 when it had to be killed. */
static int tr_finish(struct tr *t, struct tl_run *r, int timeout_ms, struct tl_run *facts)
{
	int st, code = -1;

	if (lab_wait_timeout(t->pid, &st, timeout_ms) < 0) {
		diag("the tracer did not exit within %d ms: killing it", timeout_ms);
		lab_kill_reap(t->pid);
	} else {
		code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	tap_untrack_child(t->pid);
	if (t->ready_r >= 0)
		close(t->ready_r);
	t->ready_r = -1;
	memset(r, 0, sizeof(*r));
	r->exit_code = code;
	{
		int e = open(t->err, O_RDONLY | O_CLOEXEC);

		if (e >= 0) {
			ssize_t n = read(e, r->err, sizeof(r->err) - 1);

			r->err[n > 0 ? n : 0] = '\0';
			close(e);
		}
	}
	tl_read_json(r, t->json);
	if (facts) { /* the command's fact lines, on the tracer's stdout */
		FILE *f = fopen(t->out, "re");
		char line[4096];
		int hold = -1;

		memset(facts, 0, sizeof(*facts));
		facts->done_rc = -1;
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			tl_line(facts, line, &hold);
		}
		if (f)
			fclose(f);
	}
	if (getenv("CLOEXEC_LAB_KEEP")) {
		diag("tracer output kept in %s", t->dir);
	} else {
		unlink(t->json);
		unlink(t->out);
		unlink(t->err);
		rmdir(t->dir);
	}
	return code;
}

/* Read fixture lines from fd into r until EOF, or until a line starting with stop. */
static int read_facts(int fd, struct tl_run *r, const char *stop, int timeout_ms)
{
	static char buf[65536];
	static size_t have;
	unsigned long long end = lab_now_ns() + (unsigned long long)timeout_ms * 1000000ULL;
	int hold = -1;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = (long long)(end - lab_now_ns()) / 1000000LL;
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', have)) != NULL) {
			int hit;

			*nl = '\0';
			hit = stop && strncmp(buf, stop, strlen(stop)) == 0;
			tl_line(r, buf, &hold);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			if (hit)
				return 0;
		}
		if (lab_now_ns() >= end || poll(&p, 1, (int)(left > 0 ? left : 0)) == 0) {
			diag("the fixture's output did not %s within %d ms",
			     stop ? "arrive" : "end", timeout_ms);
			return -1;
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			have = 0;
			return stop ? -1 : 0;
		}
		have += (size_t)n;
		if (have == sizeof(buf))
			have = 0; /* an overlong line: drop it */
	}
}

static const json_t *exec_of(const struct tl_run *r, int pid)
{
	const json_t *ex[2];

	return tl_exec_recs(r, pid, NULL, ex, 2) == 1 ? ex[0] : NULL;
}

/* The leak every scope must find: fx_socket_plain's fd 3 in the exec'd fx_child. */
static void check_leak(const char *scope, const struct tl_run *facts, const struct tl_run *r)
{
	const struct tl_fact *f = tl_fact(facts, "sock");
	int child = tl_child_pid(facts);
	const json_t *j, *x, *it, *cr;

	if (!ok(f != NULL && child > 0, "%s: the fixture reported its socket and its child",
		scope)) {
		skip(10, "no facts");
		return;
	}
	j = tl_fd_rec(r, f->pid, f->fd, f->ino, NULL);
	ok(j != NULL, "%s: an fd record for pid %d fd %d ino %llu", scope, f->pid, f->fd, f->ino);
	is_str(tj_str(j, "syscall", ""), "socket", "%s: the socket was made by socket()", scope);
	is_str(tj_str(j, "verdict", ""), "never", "%s: the socket is never cloexec", scope);
	is_int(tj_bool(j, "cloexec_at_creation", -1), 0, "%s: cloexec_at_creation is false", scope);
	x = exec_of(r, child);
	ok(x != NULL, "%s: one exec record for the child pid %d", scope, child);
	ok(tl_basename_is(tj_str(x, "filename", ""), "fx_child"),
	   "%s: the child exec'd fx_child (%s)", scope, tj_str(x, "filename", ""));
	is_int(tj_int(x, "ppid", -1), f->pid, "%s: the exec's ppid is the fixture", scope);
	it = tl_inherited(x, f->fd);
	is_int(tj_int(it, "ino", -1), (long long)f->ino,
	       "%s: fd %d is inherited, the fixture's inode", scope, f->fd);
	is_str(tj_str(it, "verdict", ""), "leaked", "%s: inherited fd %d is leaked", scope, f->fd);
	cr = json_object_get(it, "creator");
	is_int(tj_int(cr, "pid", -1), f->pid, "%s: its creator is the fixture (pid %d)", scope,
	       f->pid);
}

static void test_pid(void)
{
	char fxp[PATH_MAX], pidbuf[16], got[64];
	const char *args[] = {"--json", "-o", "@JSON", "-p", pidbuf, "--ready-fd", "3", NULL};
	int go[2], out[2], st, failed = tap_tests_failed();
	struct tl_run facts, r;
	const json_t *sum, *start;
	struct tr t;
	pid_t fx;

	memset(&facts, 0, sizeof(facts));
	facts.done_rc = -1;
	tl_path("t/helpers/fx_wait_go", fxp, sizeof(fxp));
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		bail("failed to create a pipe: %s", strerror(errno));
	fx = fork();
	if (fx < 0)
		bail("failed to fork: %s", strerror(errno));
	if (fx == 0) {
		if (dup2(go[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(125);
		execl(fxp, fxp, (char *)NULL);
		_exit(127);
	}
	tap_track_child(fx);
	close(go[0]);
	close(out[1]);
	/* the fixture is set up and blocked on its stdin */
	if (read_facts(out[0], &facts, "fx wait ", READY_MS) < 0)
		bail("fx_wait_go did not start");
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)fx);
	tr_start(&t, args, 1);
	if (!ok(tr_ready(&t, got, sizeof(got)), "-p: the tracer writes \"ready\" on --ready-fd"))
		diag("got '%s'", got);
	ok(tr_ready_eof(&t), "-p: and then closes the ready fd");
	/* SCHEMA.md: the start record is written and flushed before ready */
	{
		struct tl_run early;

		memset(&early, 0, sizeof(early));
		tl_read_json(&early, t.json);
		start = early.nrecs ? early.recs[0] : NULL;
		is_str(tj_str(start, "type", ""), "start",
		       "-p: the start record is in the file when ready arrives");
		is_str(tj_str(start, "scope", ""), "pid", "-p: the scope is pid");
		is_int(tj_int(start, "pid", -1), fx, "-p: start names the pid");
		tl_free(&early);
	}
	/* release the fixture: it makes a leaky socket and execs fx_child */
	if (write(go[1], "g", 1) != 1)
		bail("failed to release the fixture: %s", strerror(errno));
	close(go[1]);
	if (read_facts(out[0], &facts, NULL, READY_MS) < 0)
		diag("the fixture's output was cut short");
	close(out[0]);
	if (lab_wait_timeout(fx, &st, READY_MS) < 0)
		lab_kill_reap(fx);
	tap_untrack_child(fx);
	is_int(facts.done_rc, 0, "-p: the fixture finished cleanly");
	is_int(facts.nstrays, 0, "-p: the fixture inherited no fds >= 3");

	/* the tracer ends by itself once the pid and its descendants are gone */
	is_int(tr_finish(&t, &r, 30000, NULL), 1, "-p: the tracer exits 1 (a leak)");
	is_int(r.bad_lines, 0, "-p: every output line is valid JSON");
	check_leak("-p", &facts, &r);
	sum = tl_last(&r, "summary");
	ok(r.nrecs && r.recs[r.nrecs - 1] == sum, "-p: the last record is the summary");
	is_int(tj_int(sum, "leaked", -1), 1, "-p: the summary counts one leak");
	is_int(tj_int(sum, "execs", -1), 1, "-p: and one exec");
	is_int(tj_int(sum, "lost", -1), 0, "-p: nothing lost");
	is_int(tj_int(sum, "exit_code", -1), 1, "-p: summary exit_code is 1");
	ok(!json_object_get(sum, "cmd_exit"), "-p: no cmd_exit (no command)");
	is_int(tj_bool(sum, "timed_out", -1), 0, "-p: not timed out");
	/*
	 * The scope: the pid's tree only. Its processes are the fixture, fx_child and, under
	 * sanitizers, their runtime's helper clones (same comm, files opened without cloexec):
	 * anything else named otherwise came from outside the tree.
	 */
	for (int i = 0, nev = 0, socks = 0, outside = 0; i <= r.nrecs; i++) {
		const json_t *j = i < r.nrecs ? r.recs[i] : NULL;
		const char *comm = tj_str(j, "comm", "");

		if (i == r.nrecs) {
			is_int(socks, 1, "-p: the fixture made one socket after attach");
			is_int(tj_int(sum, "never", -1), nev,
			       "-p: summary never = never fd records (%d)", nev);
			is_int(outside, 0, "-p: no records of processes outside the pid's tree");
			break;
		}
		if (!tl_is(j, "fd") && !tl_is(j, "exec"))
			continue;
		nev += tl_is(j, "fd") && !strcmp(tj_str(j, "verdict", ""), "never");
		socks += tl_is(j, "fd") && tj_int(j, "pid", -1) == fx &&
			 !strcmp(tj_str(j, "syscall", ""), "socket");
		if (strcmp(comm, "fx_wait_go") && strcmp(comm, "fx_child")) {
			outside++;
			diag("a record of pid %lld (%s)", tj_int(j, "pid", -1), comm);
		}
	}
	if (tap_tests_failed() != failed)
		tl_diag_run(&r, "-p");
	tl_free(&r);
	tl_free(&facts);
}

static void test_pid_missing(void)
{
	char pidbuf[16];
	const char *args[] = {"-p", pidbuf, NULL};
	struct tl_run r;
	struct tr t;
	int st;
	pid_t gone = fork();

	/* a pid that existed a moment ago and was reaped */
	if (gone < 0)
		bail("failed to fork: %s", strerror(errno));
	if (gone == 0)
		_exit(0);
	if (lab_wait_timeout(gone, &st, 10000) < 0)
		bail("a child that exits at once did not");
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)gone);
	tr_start(&t, args, 0);
	is_int(tr_finish(&t, &r, 20000, NULL), 2, "-p on a pid that does not exist exits 2");
	if (!is_int(tlab_count_lines(r.err), 1, "-p on a missing pid: exactly one line on stderr"))
		diag("stderr: %s", r.err);
	ok(strncmp(r.err, "cloexec-trace: ", 15) == 0 && strstr(r.err, pidbuf),
	   "-p on a missing pid: the line names the tool and the pid (%.*s)",
	   (int)strcspn(r.err, "\n"), r.err);
	tl_free(&r);

	/* a zombie (exited, not reaped): kill(pid, 0) works, but it will never exit again */
	gone = fork();
	if (gone < 0)
		bail("failed to fork: %s", strerror(errno));
	if (gone == 0)
		_exit(0);
	tap_track_child(gone);
	{
		siginfo_t si;

		while (waitid(P_PID, (id_t)gone, &si, WEXITED | WNOWAIT) < 0)
			if (errno != EINTR)
				bail("failed to wait for a child: %s", strerror(errno));
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)gone);
	tr_start(&t, args, 0);
	is_int(tr_finish(&t, &r, 20000, NULL), 2, "-p on a zombie exits 2 (it never ends)");
	if (!is_int(tlab_count_lines(r.err), 1, "-p on a zombie: exactly one line on stderr"))
		diag("stderr: %s", r.err);
	ok(strstr(r.err, pidbuf) != NULL, "-p on a zombie: the line names the pid (%.*s)",
	   (int)strcspn(r.err, "\n"), r.err);
	tl_free(&r);
	lab_wait_timeout(gone, &st, 10000);
	tap_untrack_child(gone);
}

/* "--" with no command must not fall back to tracing the whole system. */
static void test_empty_command(void)
{
	const char *args[] = {"--json", "-o", "@JSON", "--timeout", "5", "--", NULL};
	struct tl_run r;
	struct tr t;

	tr_start(&t, args, 0);
	is_int(tr_finish(&t, &r, 20000, NULL), 2, "'--' without a command exits 2 (usage)");
	if (!is_int(tlab_count_lines(r.err), 1, "'--' without a command: one line on stderr"))
		diag("stderr: %s", r.err);
	is_int(r.nrecs, 0, "'--' without a command: no trace was started");
	tl_free(&r);
}

static void test_system(void)
{
	/*
	 * --no-stacks: the scope is the subject. With stacks, every fd made without the flag on the
	 * whole machine is unwound (~4 ms of CPU each): on a busy machine (other builds, guests)
	 * the trace did not end within 30 s of its --timeout.
	 */
	const char *args[] = {"--json",	     "-o",	   "@JSON", "--timeout", "2",
			      "--no-stacks", "--ready-fd", "3",	    NULL};
	struct tl_opts o = {.direct = 1, .timeout_ms = 20000};
	int failed = tap_tests_failed();
	const json_t *sum, *start;
	struct tl_run facts, r;
	char got[64];
	struct tr t;

	tr_start(&t, args, 1);
	if (!ok(tr_ready(&t, got, sizeof(got)), "system: the tracer writes \"ready\"")) {
		diag("got '%s'", got);
		tr_finish(&t, &r, 20000, NULL);
		tl_diag_run(&r, "system");
		tl_free(&r);
		return;
	}
	/* the fixture runs untraced by us, seen by the system-wide tracer */
	if (tl_run(&facts, &o, "fx_socket_plain", NULL) < 0)
		bail("fx_socket_plain did not finish");
	is_int(facts.done_rc, 0, "system: the fixture finished cleanly");
	/* --timeout 2 ends it; the bound leaves room for a loaded machine */
	is_int(tr_finish(&t, &r, 90000, NULL), 1,
	       "system: the tracer exits 1 (the fixture's leak)");
	is_int(r.bad_lines, 0, "system: every output line is valid JSON");
	start = r.nrecs ? r.recs[0] : NULL;
	is_str(tj_str(start, "type", ""), "start", "system: the first record is start");
	is_str(tj_str(start, "scope", ""), "system", "system: the scope is system");
	ok(json_is_null(json_object_get(start, "pid")), "system: start has pid null");
	check_leak("system", &facts, &r);
	sum = tl_last(&r, "summary");
	ok(r.nrecs && r.recs[r.nrecs - 1] == sum, "system: the last record is the summary");
	is_int(tj_bool(sum, "timed_out", -1), 1, "system: --timeout ended the trace");
	cmp_int(tj_int(sum, "leaked", -1), ">=", 1, "system: the summary counts the leak");
	is_int(tj_int(sum, "exit_code", -1), 1, "system: summary exit_code is 1");
	if (tj_int(sum, "lost", 0) > 0)
		note("system: %lld records lost (busy machine)", tj_int(sum, "lost", 0));
	if (tap_tests_failed() != failed)
		tl_diag_run(&r, "system");
	tl_free(&r);
	tl_free(&facts);
}

/* --ready-fd with -- CMD: ready arrives, the command does not inherit the fd. */
static void test_cmd_ready(void)
{
	char fxp[PATH_MAX], got[64];
	const char *args[] = {"--json", "-o", "@JSON", "--ready-fd", "3", "--", fxp, NULL};
	const char *topts[] = {"--ready-fd", "1", NULL};
	struct tl_opts o = {.topts = topts, .timeout_ms = 20000};
	struct tl_run r, facts;
	struct tr t;

	tl_path("t/helpers/fx_socket_plain", fxp, sizeof(fxp));
	tr_start(&t, args, 1);
	ok(tr_ready(&t, got, sizeof(got)), "-- CMD: the tracer writes \"ready\"");
	is_int(tr_finish(&t, &r, 30000, &facts), 1, "-- CMD with --ready-fd: the leak exits 1");
	is_int(facts.done_rc, 0, "-- CMD with --ready-fd: the fixture ran");
	if (!is_int(facts.nstrays, 0, "-- CMD: the command did not inherit the ready fd"))
		diag("first stray: %s", facts.stray);
	check_leak("-- CMD", &facts, &r);
	tl_free(&r);
	tl_free(&facts);

	/* a usage error: EOF on the ready fd without the line, exit 2, one line */
	{
		const char *twice[] = {"--ready-fd", "3", "--ready-fd", "3", "--", fxp, NULL};

		tr_start(&t, twice, 1);
		ok(!tr_ready(&t, got, sizeof(got)) && !got[0],
		   "--ready-fd twice: EOF on the ready fd, no line ('%s')", got);
		is_int(tr_finish(&t, &r, 20000, &facts), 2, "--ready-fd twice exits 2 (usage)");
		is_int(tlab_count_lines(r.err), 1, "--ready-fd twice: one line on stderr (%.*s)",
		       (int)strcspn(r.err, "\n"), r.err);
		is_int(facts.nfacts, 0, "--ready-fd twice: the command did not run");
		tl_free(&r);
		tl_free(&facts);
	}

	/* fds 0-2 are the caller's streams: refused */
	if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
		bail("--ready-fd 1 did not finish");
	is_int(r.exit_code, 2, "--ready-fd 1 exits 2 (usage)");
	is_int(tlab_count_lines(r.err), 1, "--ready-fd 1: one line on stderr");
	is_int(r.nfacts, 0, "--ready-fd 1: the command did not run");
	tl_free(&r);
}

int main(void)
{
	tl_start(150);
	plan_lazy();
	test_pid();
	test_pid_missing();
	test_empty_command();
	test_system();
	test_cmd_ready();
	return done_testing();
}
