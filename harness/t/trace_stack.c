// SPDX-License-Identifier: MIT
/*
 * trace_stack - where the tracer says an fd was made: the user stack of the creating syscall,
 * on the real kernel, against fx_stack (built -O2 -g, no frame pointers), whose calls carry
 * marker comments (@socket, @clear) that this test looks up in the fixture's source:
 *   - the fd record and the inherited entry name open_listener() at the @socket line; libc's
 *     socket() is the folded first frame; every frame has address, module, build id, offset;
 *     the text output says "created at open_listener (...fx_stack.c:N)" under both lines;
 *   - a process that exited before the tracer read its records (the tracer is stopped with
 *     SIGSTOP from before the fd is made until the process is gone), and a process whose image
 *     exec replaced before then: still the fixture's function and line;
 *   - an atomic fd whose flag was cleared: the stack is of the clear (fcntl at @clear);
 *   - stripped copies: symbols without lines (strip --strip-debug), and module + offset +
 *     build id (strip --strip-all) that are the unstripped binary's open_listener;
 *   - --stack-depth 3 keeps three frames past libc's and says it cut; --no-stacks takes none
 *     and changes no verdict; bad --stack-depth values are usage errors.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#include <sys/syscall.h>

/*
 * SRCDIR: the source tree, passed by harness/t/module.mk. Compiled without it (cloexec-load's
 * build figure compiles every C source of the tree with its own flags), the current directory.
 */
#ifndef SRCDIR
#define SRCDIR "."
#endif
#define FX_SRC SRCDIR "/harness/t/helpers/fx_stack.c"

static int line_socket, line_clear;

/* The line of fx_stack.c that holds marker. */
static int marker_line(const char *marker)
{
	char line[512];
	FILE *f = fopen(FX_SRC, "re");
	int n = 0;

	if (!f)
		bail("failed to open %s: %s", FX_SRC, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker) && !strstr(line, "marker")) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	bail("no %s in %s", marker, FX_SRC);
}

static const json_t *frames_of(const json_t *rec)
{
	return json_object_get(json_object_get(rec, "stack"), "frames");
}

/* The first frame that is not folded (the caller). */
static const json_t *caller(const json_t *rec)
{
	const json_t *fr = frames_of(rec);

	for (size_t i = 0; i < json_array_size(fr); i++)
		if (!tj_bool(json_array_get(fr, i), "folded", 0))
			return json_array_get(fr, i);
	return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* The socket record of the fixture's "sock" fact in run r. */
static const json_t *sock_rec(const struct tl_run *r)
{
	const struct tl_fact *f = tl_fact(r, "sock");

	return f ? tl_fd_rec(r, f->pid, f->fd, f->ino, NULL) : NULL;
}

/* created_at of rec is function at fx_stack.c:line. */
static void check_at(const char *name, const json_t *rec, const char *function, int line)
{
	const json_t *at = json_object_get(rec, "created_at");

	if (!is_str(tj_str(at, "function", NULL), function, "%s: created_at names %s()", name,
		    function)) {
		char *dump = json_dumps(json_object_get(rec, "stack"), JSON_COMPACT);

		diag("%s: the record's stack: %.3000s", name, dump ? dump : "none");
		free(dump);
	}
	ok(ends_with(tj_str(at, "file", ""), "/harness/t/helpers/fx_stack.c"),
	   "%s: in fx_stack.c (%s)", name, tj_str(at, "file", ""));
	is_int(tj_int(at, "line", -1), line, "%s: at the marked line", name);
}

static int run(struct tl_run *r, const char *fixture, const char *mode, const char *const *topts,
	       int text)
{
	const char *args[] = {mode, NULL};
	struct tl_opts o = {.topts = topts, .text_and_json = text};

	if (tl_run(r, &o, fixture, args) < 0) {
		tl_diag_run(r, fixture);
		return -1;
	}
	return 0;
}

static void test_plain(void)
{
	const json_t *rec, *fr, *f0, *c, *x, *it;
	const struct tl_fact *f;
	struct tl_run r;
	char want[256];

	if (run(&r, "fx_stack", "plain", NULL, 1) < 0)
		bail("fx_stack plain did not run");
	f = tl_fact(&r, "sock");
	rec = sock_rec(&r);
	ok(rec != NULL, "plain: the socket has an fd record");
	is_str(tj_str(json_object_get(rec, "stack"), "of", ""), "creation",
	       "plain: its stack is of the creation");
	fr = frames_of(rec);
	f0 = json_array_get(fr, 0);
	ok(tj_bool(f0, "folded", 0) && strstr(tj_str(f0, "module", ""), "libc.so"),
	   "plain: frame 0 is libc's socket(), folded (%s in %s)", tj_str(f0, "function", ""),
	   tj_str(f0, "module", ""));
	check_at("plain", rec, "open_listener", line_socket);
	c = caller(rec);
	ok(ends_with(tj_str(c, "module", ""), "/t/helpers/fx_stack"),
	   "plain: the caller's module is the fixture");
	is_int((long long)strlen(tj_str(c, "build_id", "")), 40, "plain: with a build id");
	ok(!strncmp(tj_str(c, "address", ""), "0x", 2) &&
	       !strncmp(tj_str(c, "offset", ""), "0x", 2),
	   "plain: and its address and offset, in hex");
	is_str(tj_str(json_array_get(fr, 2), "function", ""), "main", "plain: main() called it");
	x = f ? tl_last(&r, "exec") : NULL;
	it = tl_inherited(x, f ? f->fd : -1);
	is_str(tj_str(it, "verdict", ""), "leaked", "plain: the child inherited it, leaked");
	check_at("plain, inherited entry", it, "open_listener", line_socket);
	snprintf(want, sizeof(want), "created at open_listener (%s:%d)\n",
		 "harness/t/helpers/fx_stack.c", line_socket);
	ok(strstr(r.other, want) != NULL, "plain: the text output says '%.*s'",
	   (int)strlen(want) - 1, want);
	cmp_int(tj_int(json_object_get(tl_last(&r, "summary"), "stacks"), "taken", -1), ">=", 1,
		"plain: the summary counts the stacks taken");
	tl_free(&r);
}

/* ---- the tracer stopped while the fixture runs -------------------------------------------- */

struct stopped {
	pid_t tracer;
	int in_w, out_r, ready_r;
	char dir[64], json[128], err[128];
};

static void stopped_spawn(struct stopped *s, const char *mode)
{
	char tracer[PATH_MAX], fx[PATH_MAX];
	int in[2], out[2], rd[2];
	const char *argv[] = {tl_path("cloexec-trace", tracer, sizeof(tracer)),
			      "--json",
			      "-o",
			      s->json,
			      "--ready-fd",
			      "3",
			      "--",
			      tl_path("t/helpers/fx_stack", fx, sizeof(fx)),
			      mode,
			      strstr(mode, "exec") ? "--hold" : NULL,
			      NULL};

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(rd, O_CLOEXEC))
		bail("failed to create a pipe: %s", strerror(errno));
	s->tracer = fork();
	if (s->tracer < 0)
		bail("failed to fork: %s", strerror(errno));
	if (s->tracer == 0) {
		int e = open(s->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (e < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(e, 2) < 0 ||
		    dup2(rd[1], 3) < 0)
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	tap_track_child(s->tracer);
	close(in[0]);
	close(out[1]);
	close(rd[1]);
	s->in_w = in[1];
	s->out_r = out[0];
	s->ready_r = rd[0];
}

/* Read from fd (bounded) until a line starting with want; fixture lines go into r. */
static int read_until(int fd, struct tl_run *r, const char *want)
{
	static char buf[8192];
	static size_t have;
	unsigned long long end = lab_now_ns() + 30000000000ULL;
	int hold = -1;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', have))) {
			int hit;

			*nl = 0;
			hit = want && !strncmp(buf, want, strlen(want));
			if (r)
				tl_line(r, buf, &hold);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			if (hit)
				return 0;
		}
		if (lab_now_ns() >= end || poll(&p, 1, 1000) < 0)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			have = 0;
			return want ? -1 : 0;
		}
		have += (size_t)n;
	}
}

/* Wait (bounded) until process pid has exited: a pidfd polls readable then. */
static int wait_gone(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;

	if (fd < 0)
		return errno == ESRCH ? 0 : -1;
	rc = poll(&p, 1, 30000) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

/*
 * fx_stack wait-MODE under the tracer, stopped (SIGSTOP) from before the fixture makes its fd
 * until after it exited (mode plain) or exec'd fx_child (mode exec). Returns 0 with r filled.
 */
static int run_stopped(struct tl_run *r, const char *mode)
{
	struct stopped s = {0};
	char line[64] = "", wmode[32];
	int st, rc = -1;

	memset(r, 0, sizeof(*r));
	r->done_rc = -1;
	snprintf(s.dir, sizeof(s.dir), "/tmp/cloexec-stack.XXXXXX");
	if (!mkdtemp(s.dir))
		bail("failed to create a temporary directory: %s", strerror(errno));
	snprintf(s.json, sizeof(s.json), "%s/out.jsonl", s.dir);
	snprintf(s.err, sizeof(s.err), "%s/stderr", s.dir);
	snprintf(wmode, sizeof(wmode), "wait-%s", mode);
	stopped_spawn(&s, wmode);
	if (read(s.ready_r, line, sizeof(line) - 1) <= 0 || strcmp(line, "ready\n") ||
	    read_until(s.out_r, r, "fx wait") < 0) {
		diag("the tracer did not get ready, or the fixture did not wait");
		goto out;
	}
	/* stopped before the fixture makes its fd: no record of it is read until SIGCONT */
	if (kill(s.tracer, SIGSTOP) || waitpid(s.tracer, &st, WUNTRACED) != s.tracer ||
	    !WIFSTOPPED(st) || write(s.in_w, "g", 1) != 1)
		goto out;
	if (!strcmp(mode, "exec")) {
		if (read_until(s.out_r, r, "fx child ") < 0) /* fx_child runs: the image is new */
			goto out;
	} else if (read_until(s.out_r, r, "fx done") < 0 || !tl_fact(r, "sock") ||
		   wait_gone(tl_fact(r, "sock")->pid) < 0) {
		goto out;
	}
	rc = 0;
out:
	kill(s.tracer, SIGCONT);
	close(s.in_w); /* EOF: a holding fx_child exits */
	read_until(s.out_r, r, NULL);
	if (lab_wait_timeout(s.tracer, &st, 30000) < 0) {
		lab_kill_reap(s.tracer);
		rc = -1;
	}
	tap_untrack_child(s.tracer);
	r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	tl_read_json(r, s.json);
	close(s.out_r);
	close(s.ready_r);
	tlab_rm_rf(s.dir);
	return rc;
}

static void test_gone(void)
{
	struct tl_run r;

	ok(run_stopped(&r, "plain") == 0, "exited: the fixture was gone before the tracer read on");
	check_at("exited before its records were read", sock_rec(&r), "open_listener", line_socket);
	tl_free(&r);
	ok(run_stopped(&r, "exec") == 0, "exec: fx_child replaced the fixture before the tracer "
					 "read on");
	check_at("exec replaced the image", sock_rec(&r), "open_listener", line_socket);
	ok(ends_with(tj_str(caller(sock_rec(&r)), "module", ""), "/t/helpers/fx_stack"),
	   "exec: the frame's module is the old image, not fx_child");
	tl_free(&r);
}

static void test_clear(void)
{
	const json_t *x, *it;
	struct tl_run r;

	if (run(&r, "fx_stack", "clear", NULL, 1) < 0)
		bail("fx_stack clear did not run");
	x = tl_last(&r, "exec");
	it = tl_inherited(x, tl_fact(&r, "sock") ? tl_fact(&r, "sock")->fd : -1);
	is_str(tj_str(json_object_get(it, "creator"), "verdict", ""), "atomic",
	       "clear: the fd was made atomic");
	is_str(tj_str(it, "verdict", ""), "leaked", "clear: and leaked after its flag was cleared");
	is_str(tj_str(json_object_get(it, "stack"), "of", ""), "clear",
	       "clear: the stack is of the call that cleared the flag");
	check_at("clear", it, "clear_flag", line_clear);
	ok(strstr(r.other, "flag cleared at clear_flag (") != NULL,
	   "clear: the text output says 'flag cleared at clear_flag (...)'");
	tl_free(&r);
}

/* Stripped copies: the same code, so the same offsets and build id as the unstripped run. */
static void test_stripped(void)
{
	const json_t *full, *nodbg, *bare;
	struct tl_run a, b, c;

	if (run(&a, "fx_stack", "plain", NULL, 0) < 0 ||
	    run(&b, "fx_stack_nodebug", "plain", NULL, 0) ||
	    run(&c, "fx_stack_stripped", "plain", NULL, 0))
		bail("fx_stack and its stripped copies did not run");
	full = caller(sock_rec(&a));
	nodbg = caller(sock_rec(&b));
	bare = caller(sock_rec(&c));
	is_str(tj_str(nodbg, "function", NULL), "open_listener",
	       "strip --strip-debug: the function still has its name (.symtab)");
	ok(json_is_null(json_object_get(nodbg, "file")) &&
	       json_is_null(json_object_get(nodbg, "line")),
	   "strip --strip-debug: no file:line, said as null");
	is_str(tj_str(json_object_get(sock_rec(&b), "created_at"), "function", NULL),
	       "open_listener", "strip --strip-debug: created_at names it");
	ok(json_is_null(json_object_get(bare, "function")),
	   "strip --strip-all: no name for the static function");
	ok(ends_with(tj_str(bare, "module", ""), "/fx_stack_stripped"),
	   "strip --strip-all: its module (%s)", tj_str(bare, "module", ""));
	is_str(tj_str(bare, "build_id", NULL), tj_str(full, "build_id", "?"),
	       "strip --strip-all: the build id of the unstripped binary");
	is_str(tj_str(bare, "offset", NULL), tj_str(full, "offset", "?"),
	       "strip --strip-all: the offset where the unstripped binary has open_listener");
	ok(json_is_null(json_object_get(json_object_get(sock_rec(&c), "created_at"), "function")),
	   "strip --strip-all: created_at says no function rather than a wrong one");
	tl_free(&a);
	tl_free(&b);
	tl_free(&c);
}

static void test_depth(void)
{
	const char *depth3[] = {"--stack-depth", "3", NULL};
	const json_t *st, *fr;
	struct tl_run r;
	int shown = 0;

	if (run(&r, "fx_stack", "deep", depth3, 0) < 0)
		bail("fx_stack deep did not run");
	st = json_object_get(sock_rec(&r), "stack");
	fr = json_object_get(st, "frames");
	for (size_t i = 0; i < json_array_size(fr); i++)
		shown += !tj_bool(json_array_get(fr, i), "folded", 0);
	is_int(shown, 3, "--stack-depth 3: three frames past libc's");
	is_int(tj_bool(st, "truncated", 0), 1, "--stack-depth 3: the stack says it was cut");
	is_str(tj_str(json_array_get(fr, (size_t)json_array_size(fr) - 1), "function", ""), "deep1",
	       "--stack-depth 3: open_listener, deep0, deep1");
	tl_free(&r);
	if (run(&r, "fx_stack", "deep", NULL, 0) < 0)
		bail("fx_stack deep did not run");
	fr = frames_of(sock_rec(&r));
	ok(json_array_size(fr) >= 9 &&
	       !tj_bool(json_object_get(sock_rec(&r), "stack"), "truncated", 1),
	   "the default depth reaches main through deep6 (%zu frames)", json_array_size(fr));
	tl_free(&r);
}

static void test_off(void)
{
	const char *off[] = {"--no-stacks", NULL};
	const json_t *rec, *x, *sum;
	struct tl_run r;
	int with = 0;

	if (run(&r, "fx_stack", "plain", off, 1) < 0)
		bail("fx_stack plain did not run");
	for (int i = 0; i < r.nrecs; i++)
		with += json_object_get(r.recs[i], "stack") != NULL ||
			json_object_get(r.recs[i], "created_at") != NULL;
	is_int(with, 0, "--no-stacks: no record has a stack");
	rec = sock_rec(&r);
	is_str(tj_str(rec, "verdict", ""), "never", "--no-stacks: the verdict is the same");
	x = tl_last(&r, "exec");
	is_str(tj_str(tl_inherited(x, tl_fact(&r, "sock") ? tl_fact(&r, "sock")->fd : -1),
		      "verdict", ""),
	       "leaked", "--no-stacks: the leak is the same");
	sum = tl_last(&r, "summary");
	ok(!json_object_get(sum, "stacks"), "--no-stacks: the summary counts no stacks");
	is_int(r.exit_code, 1, "--no-stacks: exit 1, as with stacks");
	ok(!strstr(r.other, "created at"), "--no-stacks: the text says no place");
	tl_free(&r);
}

static void test_usage(void)
{
	static const char *const bad[][2] = {
	    {"--stack-depth", "0"},	{"--stack-depth", "65"},  {"--stack-depth", "x"},
	    {"--stack-depth", ""},	{"--stack-bytes", "511"}, {"--stack-bytes", "1000"},
	    {"--stack-bytes", "16896"}, {"--stack-bytes", "8k"},
	};
	char tracer[PATH_MAX], err[256];

	tl_path("cloexec-trace", tracer, sizeof(tracer));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {tracer, (char *)bad[i][0], (char *)bad[i][1],
				"--",	"/bin/true",	   NULL};
		char *e;
		int code;

		snprintf(err, sizeof(err), "/tmp/cloexec-stack-usage.%d", (int)getpid());
		code = tlab_run(argv, NULL, err, 30000);
		e = lab_read_file(err, NULL);
		unlink(err);
		is_int(code, 2, "%s '%s' is a usage error (exit 2)", bad[i][0], bad[i][1]);
		is_int(tlab_count_lines(e), 1, "%s '%s': one line on stderr", bad[i][0], bad[i][1]);
		free(e);
	}
}

int main(void)
{
	tl_start(240);
	plan_lazy();
	line_socket = marker_line("@socket");
	line_clear = marker_line("@clear");
	test_plain();
	test_gone();
	test_clear();
	test_stripped();
	test_depth();
	test_off();
	test_usage();
	return done_testing();
}
