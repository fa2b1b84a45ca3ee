// SPDX-License-Identifier: MIT
/*
 * trace_fate - what the program that received an fd at exec did with it, and the `helper`
 * verdict, on trampolines (fx_tramp: the fixture forks, the child execs a helper, which does
 * something with what it inherited and execs fx_child) and on a hand-over carried further
 * (fx_reexec carry). For each case, checked against what the fixture does by construction:
 *   - the helper's exec record: every inherited fd's verdict (leaked, helper, passed), reason,
 *     fate (closed_before_exec, closed, held_at_exit, passed_on with the pid that got it);
 *   - fx_child's exec record: what it inherited, all leaked, and fx_child's own view of it;
 *   - the summary (leaked, helper, passed), the exit code with the default --fail-on and with
 *     --fail-on helper / all, the same with --fate-wait 0 (the exit code does not depend on
 *     whether the fate came in the exec record or after it), records in t_ns order.
 * Both directions: a helper that closes is `helper` (not in the default --fail-on); one that
 * keeps, dups, forks a child holding it, or closes it but never execs, leaks (exit 1); a
 * hand-over (reason child) stays passed and what its program passes on leaks.
 * Then a fate that becomes known after its exec record was written (--fate-wait 0, the helper
 * held on a pipe until the test has read its exec record): the exec record says "open", a fate
 * record follows with the final verdict, in JSON and in text; and a program still holding its
 * fds when the trace ends (held_at_end).
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#include <sys/prctl.h>

struct fate_case {
	const char *name;
	const char *fixture;
	const char *args[3];
	const char *topts[4]; /* tracer options */
	int exit_want;
	int helper_fds;		    /* fds >= 3 the helper inherits */
	const char *helper_verdict; /* leaked|helper|passed, each of them */
	const char *helper_reason;  /* child, or NULL (null) */
	const char *helper_fate;    /* what the helper did with them */
	int child_fds;		    /* fds >= 3 fx_child inherits (all leaked); -1: no fx_child */
	int leaked, helper, passed; /* the summary's counts */
};

/* clang-format off */
static const struct fate_case cases[] = {
	{"a helper closes what it inherited, then execs", "fx_tramp", {"leak", "close"}, {NULL},
	 0, 3, "helper", NULL, "closed_before_exec", 0, 0, 3, 0},
	{"a helper sets close-on-exec on what it inherited, then execs", "fx_tramp",
	 {"leak", "cloexec"}, {NULL}, 0, 3, "helper", NULL, "closed_before_exec", 0, 0, 3, 0},
	{"--fail-on helper: a helper that closes", "fx_tramp", {"leak", "close"},
	 {"--fail-on", "helper"}, 1, 3, "helper", NULL, "closed_before_exec", 0, 0, 3, 0},
	{"--fail-on all: a helper that closes", "fx_tramp", {"leak", "close"},
	 {"--fail-on", "all"}, 1, 3, "helper", NULL, "closed_before_exec", 0, 0, 3, 0},
	{"--fate-wait 0: a helper that closes", "fx_tramp", {"leak", "close"},
	 {"--fate-wait", "0"}, 0, 3, "helper", NULL, "closed_before_exec", 0, 0, 3, 0},
	{"a helper that does not close (a trampoline that keeps)", "fx_tramp", {"leak", "keep"},
	 {NULL}, 1, 3, "leaked", NULL, "passed_on", 3, 6, 0, 0},
	{"a helper that moves them to new numbers", "fx_tramp", {"leak", "dup"}, {NULL},
	 1, 3, "leaked", NULL, "passed_on", 3, 6, 0, 0},
	{"a helper that forks a child holding them", "fx_tramp", {"leak", "fork"}, {NULL},
	 1, 3, "leaked", NULL, "passed_on", 3, 6, 0, 0},
	{"a helper that closes them and runs on without exec", "fx_tramp", {"leak", "forkclose"},
	 {NULL}, 1, 3, "leaked", NULL, "closed", 0, 3, 0, 0},
	{"a helper that exits holding them", "fx_tramp", {"leak", "hold"}, {NULL},
	 1, 3, "leaked", NULL, "held_at_exit", -1, 3, 0, 0},
	{"a hand-over whose program closes it, then execs", "fx_tramp", {"hand", "close"}, {NULL},
	 0, 1, "passed", "child", "closed_before_exec", 0, 0, 0, 1},
	{"a hand-over whose program execs again holding it", "fx_tramp", {"hand", "keep"},
	 {NULL}, 1, 1, "passed", "child", "passed_on", 1, 1, 0, 1},
	{"a hand-over whose program forks a grandchild holding it", "fx_tramp", {"hand", "fork"},
	 {NULL}, 1, 1, "passed", "child", "passed_on", 1, 1, 0, 1},
	{"a hand-over whose program re-execs itself, then execs holding it", "fx_reexec",
	 {"carry"}, {NULL}, 1, 1, "passed", "child", "passed_on", 1, 1, 0, 1},
};
/* clang-format on */

/* The exec records of the program named base, in order; how many. */
static int execs_of(const struct tl_run *r, const char *base, const json_t **out, int max)
{
	int n = 0;

	for (int i = 0; i < r->nrecs; i++)
		if (tl_is(r->recs[i], "exec") &&
		    tl_basename_is(tj_str(r->recs[i], "filename", ""), base)) {
			if (n < max)
				out[n] = r->recs[i];
			n++;
		}
	return n;
}

/* Where record j is in the output. */
static int rec_index(const struct tl_run *r, const json_t *j)
{
	for (int i = 0; i < r->nrecs; i++)
		if (r->recs[i] == j)
			return i;
	return -1;
}

/* The helper's exec: each inherited fd as the case says; passed_on names fx_child's pid. */
static void check_helper(const struct fate_case *fc, const json_t *hx, const json_t *cx)
{
	const json_t *inh = json_object_get(hx, "inherited");
	const char *why = fc->helper_reason ? fc->helper_reason : "null";
	int bad = 0;

	is_int((long long)tj_len(inh), fc->helper_fds, "%s: the helper inherited %d fds", fc->name,
	       fc->helper_fds);
	for (size_t k = 0; k < tj_len(inh); k++) {
		const json_t *it = tj_at(inh, k);
		const json_t *rs = json_object_get(it, "reason");
		const char *reason = json_is_null(rs) ? "null" : tj_vstr(rs, "?");
		long long fpid = tj_int(it, "fate_pid", -1);

		if (strcmp(tj_str(it, "verdict", ""), fc->helper_verdict) || strcmp(reason, why) ||
		    strcmp(tj_str(it, "fate", ""), fc->helper_fate) ||
		    tj_int(it, "fate_ns", -1) < 0 ||
		    (!strcmp(fc->helper_fate, "passed_on") && fpid != tj_int(cx, "pid", -2))) {
			bad++;
			diag("helper fd %lld: %s, reason %s, fate %s after %lld ns (pid %lld)",
			     tj_int(it, "fd", -1), tj_str(it, "verdict", "?"), reason,
			     tj_str(it, "fate", "?"), tj_int(it, "fate_ns", -1), fpid);
		}
	}
	is_int(bad, 0, "%s: each is %s%s%s, fate %s%s", fc->name, fc->helper_verdict,
	       fc->helper_reason ? " by " : "", fc->helper_reason ? fc->helper_reason : "",
	       fc->helper_fate, !strcmp(fc->helper_fate, "passed_on") ? " to fx_child's pid" : "");
}

/* fx_child's exec: all leaked, as many as it saw itself. */
static void check_target(const struct fate_case *fc, const struct tl_run *r, const json_t *cx)
{
	const json_t *inh = json_object_get(cx, "inherited");
	int leaked = 0, held = 0;

	for (size_t k = 0; k < tj_len(inh); k++)
		leaked += !strcmp(tj_str(tj_at(inh, k), "verdict", ""), "leaked");
	for (int h = 0; h < r->nheld; h++)
		held += r->held[h].pid == tj_int(cx, "pid", -1);
	is_int((long long)tj_len(inh), fc->child_fds, "%s: fx_child inherited %d fds", fc->name,
	       fc->child_fds);
	is_int(leaked, fc->child_fds, "%s: all of them leaked", fc->name);
	is_int(held, fc->child_fds, "%s: fx_child saw %d fds itself", fc->name, fc->child_fds);
}

static void run_case(const struct fate_case *fc)
{
	const char *const *topts = fc->topts[0] ? fc->topts : NULL;
	struct tl_opts o = {.topts = topts};
	const json_t *hx[2], *cx[2], *sum;
	int failed = tap_tests_failed(), nh, nc;
	struct tl_run r;

	if (tl_run(&r, &o, fc->fixture, fc->args) < 0)
		bail("%s: the traced run did not finish", fc->name);
	is_int(r.exit_code, fc->exit_want, "%s: the tracer exits %d", fc->name, fc->exit_want);
	is_int(r.bad_lines, 0, "%s: every line is a v%d record", fc->name, TL_SCHEMA);
	is_int(r.done_rc, 0, "%s: the fixture finished cleanly", fc->name);
	tl_check_order(&r, fc->name);
	nh = execs_of(&r, fc->fixture, hx, 2);
	nc = execs_of(&r, "fx_child", cx, 2);
	if (!is_int(nh, 1, "%s: one exec record of the helper", fc->name))
		skip_begin("no helper exec");
	check_helper(fc, nh == 1 ? hx[0] : NULL, nc == 1 ? cx[0] : NULL);
	skip_end();
	if (fc->child_fds < 0) {
		is_int(nc, 0, "%s: no fx_child", fc->name);
	} else {
		if (!is_int(nc, 1, "%s: one exec record of fx_child", fc->name))
			skip_begin("no fx_child exec");
		check_target(fc, &r, nc == 1 ? cx[0] : NULL);
		ok(nh == 1 && nc == 1 && rec_index(&r, hx[0]) < rec_index(&r, cx[0]) &&
		       tj_int(hx[0], "t_ns", 0) < tj_int(cx[0], "t_ns", 0),
		   "%s: the helper's exec record comes before fx_child's", fc->name);
		skip_end();
	}
	sum = tl_last(&r, "summary");
	is_int(tj_int(sum, "leaked", -1), fc->leaked, "%s: summary leaked = %d", fc->name,
	       fc->leaked);
	is_int(tj_int(sum, "helper", -1), fc->helper, "%s: summary helper = %d", fc->name,
	       fc->helper);
	is_int(tj_int(sum, "passed", -1), fc->passed, "%s: summary passed = %d", fc->name,
	       fc->passed);
	is_int(tj_int(sum, "exit_code", -1), r.exit_code, "%s: summary exit_code = the exit status",
	       fc->name);
	if (tap_tests_failed() != failed)
		tl_diag_run(&r, fc->name);
	tl_free(&r);
}

/* The truth without the tracer: what fx_child holds (fx_tramp keep/dup/fork hold 3). */
static void check_truth(const struct fate_case *fc)
{
	struct tl_opts o = {.direct = 1};
	struct tl_run r;

	if (tl_run(&r, &o, fc->fixture, fc->args) < 0)
		bail("%s: the fixture alone did not finish", fc->name);
	is_int(r.done_rc, 0, "%s (no tracer): the fixture finished cleanly", fc->name);
	is_int(r.nstrays, 0, "%s (no tracer): the fixture inherited no fds >= 3", fc->name);
	is_int(r.nheld, fc->child_fds < 0 ? 0 : fc->child_fds,
	       "%s (no tracer): fx_child holds %d fds", fc->name,
	       fc->child_fds < 0 ? 0 : fc->child_fds);
	tl_free(&r);
}

/* A traced run with stdin and stdout as pipes (the fixture's stdin is ours to close). */
struct live {
	pid_t pid;
	int in_w, out_r;
	char err[128], dir[64];
	char *out;
	size_t nout, cap;
};

/* cloexec-trace [--json] --fate-wait 0 -- FIXTURE ARGS (fargs: the fixture's name, its args). */
static void live_start(struct live *l, int json, const char *const *fargs)
{
	char tracer[PATH_MAX], fx[PATH_MAX], rel[128];
	const char *argv[16];
	int in[2], out[2], n = 0;

	snprintf(l->dir, sizeof(l->dir), "/tmp/cloexec-trace-fate.XXXXXX");
	if (!mkdtemp(l->dir))
		bail("failed to create a temporary directory: %s", strerror(errno));
	snprintf(l->err, sizeof(l->err), "%s/stderr", l->dir);
	argv[n++] = tl_path("cloexec-trace", tracer, sizeof(tracer));
	if (json)
		argv[n++] = "--json";
	argv[n++] = "--fate-wait";
	argv[n++] = "0";
	argv[n++] = "--";
	snprintf(rel, sizeof(rel), "t/helpers/%s", fargs[0]);
	argv[n++] = tl_path(rel, fx, sizeof(fx));
	for (int i = 1; fargs[i] && n < 15; i++)
		argv[n++] = fargs[i];
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		bail("failed to create pipes: %s", strerror(errno));
	l->pid = fork();
	if (l->pid < 0)
		bail("failed to fork: %s", strerror(errno));
	if (l->pid == 0) {
		int e = open(l->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (e < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(e, 2) < 0)
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	tap_track_child(l->pid);
	close(in[0]);
	close(out[1]);
	l->in_w = in[1];
	l->out_r = out[0];
	l->out = NULL;
	l->nout = l->cap = 0;
}

/* Read the tracer's stdout until it holds want (or EOF, or the bound): 1 when it does. */
static int live_wait(struct live *l, const char *want, int timeout_ms)
{
	unsigned long long end = lab_now_ns() + (unsigned long long)timeout_ms * 1000000ULL;

	for (;;) {
		struct pollfd p = {.fd = l->out_r, .events = POLLIN};
		long long left = (long long)(end - lab_now_ns()) / 1000000LL;
		char buf[4096];
		ssize_t n;

		if (want && l->out && strstr(l->out, want))
			return 1;
		if (lab_now_ns() >= end || poll(&p, 1, (int)(left > 0 ? left : 0)) == 0)
			return 0;
		n = read(l->out_r, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return !want;
		if (l->nout + (size_t)n + 1 > l->cap) {
			l->cap = (l->nout + (size_t)n + 1) * 2;
			l->out = realloc(l->out, l->cap);
			if (!l->out)
				bail("out of memory");
		}
		memcpy(l->out + l->nout, buf, (size_t)n);
		l->nout += (size_t)n;
		l->out[l->nout] = 0;
	}
}

/* The tracer's exit status (-1: it had to be killed). */
static int live_reap(struct live *l)
{
	int st, code = -1;

	if (lab_wait_timeout(l->pid, &st, 30000) < 0)
		lab_kill_reap(l->pid);
	else
		code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	tap_untrack_child(l->pid);
	return code;
}

/* Release the fixture (EOF on its stdin), read the output to its end, reap the tracer. */
static int live_finish(struct live *l)
{
	int code;

	close(l->in_w);
	if (!live_wait(l, NULL, 30000))
		diag("the tracer's output did not end in time");
	close(l->out_r);
	code = live_reap(l);
	unlink(l->err);
	rmdir(l->dir);
	return code;
}

/* Every JSON line of s into r (the fixture's "fx" lines are left out). */
static void parse_lines(struct tl_run *r, char *s)
{
	char *save = NULL;
	int hold = -1;

	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j;

		if (line[0] != '{') {
			tl_line(r, line, &hold);
			continue;
		}
		j = tj_parse(line, strlen(line), NULL, 0);
		if (!j)
			continue;
		r->recs = realloc(r->recs, sizeof(*r->recs) * (size_t)(r->nrecs + 1));
		if (!r->recs)
			bail("out of memory");
		r->recs[r->nrecs++] = j;
	}
	r->stray_fates = tl_apply_fates(r->recs, r->nrecs);
}

/* The JSON case: the exec record says "open", three fate records follow, each a helper. */
static void slow_json(void)
{
	const char *name = "a fate known after its exec record (JSON)";
	const json_t *hx[2], *sum;
	struct live l;
	struct tl_run r;
	int code, nh, fates = 0, opened = 0, after = 0;

	memset(&r, 0, sizeof(r));
	r.done_rc = -1;
	live_start(&l, 1, (const char *const[]){"fx_tramp", "leak", "slow", NULL});
	/* the helper blocks on stdin until we have seen its exec record */
	ok(live_wait(&l, "\"filename\":\"", 30000) &&
	       live_wait(&l, "fx_tramp\",\"old_comm\"", 30000),
	   "%s: the helper's exec record is written while the helper still holds its fds", name);
	code = live_finish(&l);
	parse_lines(&r, l.out ? l.out : (char[]){0});
	is_int(code, 0, "%s: the tracer exits 0", name);
	tl_check_order(&r, name);
	nh = execs_of(&r, "fx_tramp", hx, 2);
	if (!is_int(nh, 1, "%s: one exec record of the helper", name))
		skip_begin("no helper exec");
	for (size_t k = 0; nh == 1 && k < tj_len(json_object_get(hx[0], "inherited")); k++) {
		const json_t *it = tj_at(json_object_get(hx[0], "inherited"), k);

		opened += tj_bool(it, "fate_record", 0);
		after += !strcmp(tj_str(it, "verdict", ""), "helper") &&
			 !strcmp(tj_str(it, "fate", ""), "closed_before_exec");
	}
	for (int i = 0; i < r.nrecs; i++)
		if (tl_is(r.recs[i], "fate")) {
			fates++;
			ok(tj_int(r.recs[i], "t_ns", 0) > tj_int(r.recs[i], "exec_t_ns", 0) &&
			       rec_index(&r, r.recs[i]) > rec_index(&r, nh == 1 ? hx[0] : NULL),
			   "%s: fate record %d comes after its exec record", name, fates);
		}
	is_int(opened, 3,
	       "%s: each of the helper's 3 fds was open in its exec record and settled "
	       "by a fate record",
	       name);
	is_int(after, 3, "%s: the fate records make them helper, closed_before_exec", name);
	skip_end();
	is_int(fates, 3, "%s: three fate records", name);
	sum = tl_last(&r, "summary");
	is_int(tj_int(sum, "helper", -1), 3, "%s: summary helper = 3", name);
	is_int(tj_int(sum, "leaked", -1), 0, "%s: summary leaked = 0", name);
	if (tap_tests_failed())
		diag("%s: output: %.2000s", name, l.out ? l.out : "");
	free(l.out);
	tl_free(&r);
}

/* The text case: the inherit lines say "fate open", fate lines follow with the verdict. */
static void slow_text(void)
{
	const char *name = "a fate known after its exec record (text)";
	struct live l;
	int code;

	live_start(&l, 0, (const char *const[]){"fx_tramp", "leak", "slow", NULL});
	ok(live_wait(&l, " exec ", 30000) && live_wait(&l, "-> fate open leaked\n", 30000),
	   "%s: the helper's inherit lines say the fate is open", name);
	code = live_finish(&l);
	is_int(code, 0, "%s: the tracer exits 0", name);
	ok(l.out && strstr(l.out, " fate ") && strstr(l.out, "-> closed_before_exec after ") &&
	       strstr(l.out, " ms helper\n"),
	   "%s: fate lines say closed_before_exec, helper", name);
	ok(l.out && strstr(l.out, " 0 leaked, 3 helper, "), "%s: the summary counts 3 helper",
	   name);
	if (tap_tests_failed())
		diag("%s: output: %.2000s", name, l.out ? l.out : "");
	free(l.out);
}

/*
 * A program that still holds what it inherited when the trace ends (SIGINT to the tracer, which
 * ends CMD; fx_child, held on our pipe, lives on): its exec record said "open", the fate record
 * says held_at_end, leaked; the exit status is 130 (SIGINT ended the trace: it comes before the
 * findings), and the summary lists the leak in failed_on. fx_child is reparented to us
 * (subreaper) and reaped once released.
 */
static void held_at_end(void)
{
	const char *name = "a program still holding its fds when the trace ends";
	const json_t *cx[2], *it;
	struct live l;
	struct tl_run r;
	int code, child = -1, st;

	memset(&r, 0, sizeof(r));
	r.done_rc = -1;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		bail("failed to become a subreaper: %s", strerror(errno));
	live_start(&l, 1, (const char *const[]){"fx_socket_plain", "--hold", NULL});
	ok(live_wait(&l, "fx_child\",\"old_comm\"", 30000),
	   "%s: fx_child's exec record is written while fx_child holds the socket", name);
	kill(l.pid, SIGINT);
	ok(live_wait(&l, "\"type\":\"summary\"", 30000), "%s: the trace ends with a summary", name);
	code = live_reap(&l);
	close(l.in_w); /* now fx_child may go */
	if (!live_wait(&l, NULL, 30000))
		diag("the output did not end in time");
	close(l.out_r);
	unlink(l.err);
	rmdir(l.dir);
	parse_lines(&r, l.out ? l.out : (char[]){0});
	if (execs_of(&r, "fx_child", cx, 2) == 1)
		child = (int)tj_int(cx[0], "pid", -1);
	if (child > 0 && lab_wait_timeout(child, &st, 30000) < 0)
		lab_kill_reap(child);
	is_int(code, 128 + SIGINT, "%s: the tracer exits 130 (SIGINT ended the trace)", name);
	is_str(tj_str(tl_last(&r, "summary"), "exit_reason", ""), "signal",
	       "%s: the summary's exit_reason is signal", name);
	is_str(tj_vstr(tj_at(json_object_get(tl_last(&r, "summary"), "failed_on"), 0), ""),
	       "leaked", "%s: and its failed_on lists the leak, held to the end", name);
	tl_check_order(&r, name);
	it = child > 0 ? tl_inherited(cx[0], 3) : NULL;
	is_str(tj_str(it, "fate", ""), "held_at_end", "%s: fd 3's fate is held_at_end", name);
	ok(tj_bool(it, "fate_record", 0), "%s: it came in a fate record, after the exec record",
	   name);
	is_str(tj_str(it, "verdict", ""), "leaked", "%s: fd 3 is leaked", name);
	if (tap_tests_failed())
		diag("%s: output: %.2000s", name, l.out ? l.out : "");
	free(l.out);
	tl_free(&r);
}

int main(void)
{
	tl_start(180);
	plan_lazy();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].topts[0])
			check_truth(&cases[i]);
		run_case(&cases[i]);
	}
	slow_json();
	slow_text();
	held_at_end();
	return done_testing();
}
