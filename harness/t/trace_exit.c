// SPDX-License-Identifier: MIT
/*
 * trace_exit - cloexec-trace's exit status, one case per row of its table (README "Exit
 * status"), on the real kernel: CMD exiting 5, CMD killed by SIGSEGV, a clean run, a leak, a
 * leak under --fail-on none, CMD's failure under --fail-on none, CMD's failure and a leak at once
 * (CMD's status comes first), --findings-exit; a trace ended by SIGTERM and by SIGINT while its
 * command runs (143, 130), --timeout with -- CMD (124), and -p PID with --timeout (its planned
 * end: 0). Each says its row in the summary (exit_reason). An interrupted trace still writes
 * every output whole: the JSON Lines end with the summary, the SARIF log validates against the
 * SARIF 2.1.0 schema, the JUnit report against Jenkins' JUnit schema, both with the leak that
 * happened before the signal. The JUnit report of a leaking fixture validates and names the fd;
 * the one of a clean run has no failure. The schemas come from scripts/sarif-schema.sh and
 * scripts/junit-schema.sh (npm registry, sha256-pinned); their checks SKIP when they cannot be
 * fetched. No sleeps: the command says "go" on the tracer's stdout once its leak is done, then
 * blocks reading a pipe the test holds open.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

/* A shell command that leaks fd 7 (/etc/passwd) into /bin/true. */
#define LEAK "exec 7</etc/passwd; /bin/true"

static char tmp[64], sarif_schema[PATH_MAX + 32], junit_schema[PATH_MAX + 32];
static const char *no_sarif, *no_junit; /* why a schema is missing (checks SKIP) */

struct row {
	const char *name;      /* reads as a sentence */
	const char *topts[6];  /* tracer options */
	const char *script;    /* sh -c SCRIPT */
	int want;	       /* exit status */
	const char *reason;    /* summary.exit_reason */
	int cmd_exit;	       /* summary.cmd_exit */
	const char *failed_on; /* summary.failed_on, joined */
};

static const struct row rows[] = {
    {"CMD exits 5", {NULL}, "exit 5", 5, "cmd_exit", 5, ""},
    {"CMD is killed by SIGSEGV",
     {NULL},
     "ulimit -c 0; kill -SEGV $$",
     128 + SIGSEGV,
     "cmd_signal",
     -SIGSEGV,
     ""},
    {"a clean run", {NULL}, "/bin/true", 0, "clean", 0, ""},
    {"a leak", {NULL}, LEAK, 1, "findings", 0, "leaked"},
    {"a leak under --fail-on none", {"--fail-on", "none", NULL}, LEAK, 0, "clean", 0, ""},
    {"CMD's failure under --fail-on none",
     {"--fail-on", "none", NULL},
     "exit 5",
     5,
     "cmd_exit",
     5,
     ""},
    {"CMD's failure and a leak", {NULL}, LEAK "; exit 3", 3, "cmd_exit", 3, "leaked"},
    {"a leak with --findings-exit 42",
     {"--findings-exit", "42", NULL},
     LEAK,
     42,
     "findings",
     0,
     "leaked"},
};

static void join(const json_t *a, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < tj_len(a) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
				      tj_vstr(tj_at(a, i), "?"));
}

static void test_rows(void)
{
	static const char *const sh_args[] = {"-c", NULL, NULL};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		const char *args[] = {sh_args[0], w->script, NULL};
		struct tl_opts o = {.topts = w->topts[0] ? w->topts : NULL, .cmd = "/bin/sh"};
		int failed = tap_tests_failed();
		const json_t *sum;
		char got[64];
		struct tl_run r;

		if (tl_run(&r, &o, "fx_socket_plain", args) < 0)
			bail("%s: the traced run did not finish", w->name);
		is_int(r.exit_code, w->want, "%s: the tracer exits %d", w->name, w->want);
		sum = tl_last(&r, "summary");
		ok(sum && r.recs[r.nrecs - 1] == sum, "%s: the last record is the summary",
		   w->name);
		is_int(tj_int(sum, "exit_code", -1), w->want, "%s: summary exit_code %d", w->name,
		       w->want);
		is_str(tj_str(sum, "exit_reason", ""), w->reason, "%s: summary exit_reason %s",
		       w->name, w->reason);
		is_int(tj_int(sum, "cmd_exit", -999), w->cmd_exit, "%s: summary cmd_exit %d",
		       w->name, w->cmd_exit);
		join(json_object_get(sum, "failed_on"), got, sizeof(got));
		is_str(got, w->failed_on, "%s: summary failed_on [%s]", w->name, w->failed_on);
		if (tap_tests_failed() != failed)
			tl_diag_run(&r, w->name);
		tl_free(&r);
	}
}

/* ---- schemas ------------------------------------------------------------------------------ */

/* Fetch a schema with script into build/DIR/FILE; NULL, or why it could not be had. */
static const char *get_schema(const char *script, const char *dir, const char *file, char *path,
			      size_t len)
{
	static char why[2][512];
	static int k;
	char sdir[PATH_MAX], log[128], *text;
	char *argv[] = {"/bin/bash", (char *)script, sdir, NULL};
	int code;

	lab_build_path(dir, sdir, sizeof(sdir));
	snprintf(path, len, "%s/%s", sdir, file);
	snprintf(log, sizeof(log), "%s/schema.log", tmp);
	code = tlab_run(argv, log, log, 660000);
	text = lab_read_file(log, NULL);
	if (code == 0) {
		free(text);
		return NULL;
	}
	if (code != 4)
		bail("%s failed (exit %d): %s", script, code, text ? text : "");
	snprintf(why[k & 1], sizeof(why[0]), "%s", text ? text : "?");
	free(text);
	return why[k++ & 1];
}

/* Whether the JUnit file validates (xmllint), and its text into *xml. */
static int junit_valid(const char *path, char **xml, const char *name)
{
	char *argv[] = {"/usr/bin/xmllint", "--noout",	  "--schema",
			junit_schema,	    (char *)path, NULL};
	char log[128], *text;
	int code;

	snprintf(log, sizeof(log), "%s/xmllint.log", tmp);
	code = tlab_run(argv, log, log, 60000);
	text = lab_read_file(log, NULL);
	if (code != 0)
		diag("%s: xmllint: %.600s", name, text ? text : "?");
	free(text);
	*xml = lab_read_file(path, NULL);
	return code == 0;
}

static int sarif_valid(const char *path, const char *name)
{
	char *argv[] = {"/usr/bin/python3", SRCDIR "/scripts/sarif-validate.py", sarif_schema,
			(char *)path, NULL};
	char log[128], *text;
	int code;

	snprintf(log, sizeof(log), "%s/sarif.log", tmp);
	code = tlab_run(argv, log, log, 120000);
	text = lab_read_file(log, NULL);
	if (code != 0)
		diag("%s: %.600s", name, text ? text : "?");
	free(text);
	return code == 0;
}

/* ---- the JUnit report of a leak and of a clean run --------------------------------------- */

static void test_junit(void)
{
	static const struct {
		const char *fixture, *name;
		int leaks;
	} jc[] = {
	    {"fx_socket_plain", "a leaking fixture", 1},
	    {"fx_socket_atomic", "a clean run", 0},
	};

	for (size_t i = 0; i < sizeof(jc) / sizeof(jc[0]); i++) {
		char path[128], *xml = NULL, want[64];
		const char *topts[] = {"--junit", path, NULL};
		struct tl_opts o = {.topts = topts};
		struct tl_run r;

		snprintf(path, sizeof(path), "%s/junit-%zu.xml", tmp, i);
		if (tl_run(&r, &o, jc[i].fixture, NULL) < 0)
			bail("%s: the traced run with --junit did not finish", jc[i].name);
		is_int(r.exit_code, jc[i].leaks, "--junit, %s: the tracer exits %d", jc[i].name,
		       jc[i].leaks);
		if (no_junit)
			skip(1, "no JUnit schema: %s", no_junit);
		else
			ok(junit_valid(path, &xml, jc[i].name),
			   "--junit, %s: the report validates against Jenkins' JUnit schema",
			   jc[i].name);
		if (!xml)
			xml = lab_read_file(path, NULL);
		if (jc[i].leaks) {
			ok(xml && strstr(xml, "<failure type=\"leaked\" message=\"fd 3 (tcp"),
			   "--junit, %s: a failure for the leaked fd 3", jc[i].name);
			ok(xml && strstr(xml, "fd: 3\nkind: tcp\n") &&
			       strstr(xml, "verdict: leaked") &&
			       strstr(xml, "created at fx_tcp (harness/t/helpers/fx_common.h:"),
			   "--junit, %s: its text names the fd, kind, verdict and where it was "
			   "made",
			   jc[i].name);
			snprintf(want, sizeof(want), "/t/helpers/fx_child\">");
			ok(xml && strstr(xml, want),
			   "--junit, %s: the testcase of the program it leaked into (fx_child)",
			   jc[i].name);
			ok(xml && strstr(xml, "failures=\"1\" errors=\"0\""),
			   "--junit, %s: the suite counts one failed testcase", jc[i].name);
		} else {
			ok(xml && !strstr(xml, "<failure") && !strstr(xml, "<error") &&
			       strstr(xml, "failures=\"0\" errors=\"0\""),
			   "--junit, %s: no failure and no error", jc[i].name);
			ok(xml && strstr(xml, "name=\"trace\""),
			   "--junit, %s: the trace's own testcase is there", jc[i].name);
		}
		if (!xml)
			diag("%s: no report at %s", jc[i].name, path);
		free(xml);
		tl_free(&r);
	}
}

/* ---- traces ended by a signal or --timeout ---------------------------------------------- */

struct live {
	pid_t pid;
	int in_w, out_r; /* CMD's stdin (held open), the tracer's stdout */
	char json[128], sarif[128], junit[128], err[128];
};

/* Start the tracer with every output on, over sh -c script; CMD's stdin is a pipe we hold. */
static void live_start(struct live *l, const char *const *topts, const char *script)
{
	char tracer[PATH_MAX];
	const char *argv[24];
	int argc = 0, in[2], out[2];

	snprintf(l->json, sizeof(l->json), "%s/live.jsonl", tmp);
	snprintf(l->sarif, sizeof(l->sarif), "%s/live.sarif", tmp);
	snprintf(l->junit, sizeof(l->junit), "%s/live.xml", tmp);
	snprintf(l->err, sizeof(l->err), "%s/live.err", tmp);
	argv[argc++] = tl_path("cloexec-trace", tracer, sizeof(tracer));
	for (const char *a[] = {"--json", "-o", l->json, "--sarif", l->sarif, "--junit", l->junit,
				"-q", NULL},
			**p = a;
	     *p; p++)
		argv[argc++] = *p;
	for (; topts && *topts; topts++)
		argv[argc++] = *topts;
	argv[argc++] = "--";
	argv[argc++] = "/bin/sh";
	argv[argc++] = "-c";
	argv[argc++] = script;
	argv[argc] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		bail("failed to create a pipe: %s", strerror(errno));
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
}

/* Whether the line "go" came on the tracer's stdout (CMD's) within 20 s. */
static int live_go(struct live *l)
{
	unsigned long long end = lab_now_ns() + 20000000000ULL;
	char buf[4096];
	size_t have = 0;

	while (have < sizeof(buf) - 1) {
		struct pollfd p = {.fd = l->out_r, .events = POLLIN};
		long long left = (long long)(end - lab_now_ns()) / 1000000LL;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return 0;
		n = read(l->out_r, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		if (!strncmp(buf, "go\n", 3) || strstr(buf, "\ngo\n"))
			return 1;
	}
	return 0;
}

/* Wait for the tracer (bounded): its exit status, or -1 when it had to be killed. */
static int live_finish(struct live *l, int timeout_ms)
{
	int st, code = -1;

	if (lab_wait_timeout(l->pid, &st, timeout_ms) < 0) {
		diag("the tracer did not exit within %d ms: killing it", timeout_ms);
		lab_kill_reap(l->pid);
	} else {
		code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	tap_untrack_child(l->pid);
	close(l->in_w);
	close(l->out_r);
	return code;
}

/* What an interrupted trace wrote: every file whole, the leak in each, the row it ended in. */
static void check_outputs(const char *name, int code, const char *reason, int cmd_exit,
			  const char *junit_error)
{
	struct tl_run r;
	const json_t *sum;
	char *xml = NULL, *sarif, path[128];
	int failed = tap_tests_failed();

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/live.jsonl", tmp);
	tl_read_json(&r, path);
	is_int(r.bad_lines, 0, "%s: every JSON line is valid", name);
	sum = tl_last(&r, "summary");
	ok(r.nrecs > 1 && tl_is(r.recs[0], "start") && r.recs[r.nrecs - 1] == sum,
	   "%s: the JSON Lines run from start to the summary", name);
	is_int(tj_int(sum, "exit_code", -1), code, "%s: summary exit_code %d", name, code);
	is_str(tj_str(sum, "exit_reason", ""), reason, "%s: summary exit_reason %s", name, reason);
	is_int(tj_int(sum, "cmd_exit", -999), cmd_exit, "%s: summary cmd_exit %d", name, cmd_exit);
	is_int(tj_int(sum, "leaked", -1), 1, "%s: the summary counts the leak before the end",
	       name);
	{
		snprintf(path, sizeof(path), "%s/live.sarif", tmp);
		sarif = lab_read_file(path, NULL);
		if (no_sarif)
			skip(1, "no SARIF schema: %s", no_sarif);
		else
			ok(sarif_valid(path, name), "%s: the SARIF log validates", name);
		ok(sarif && strstr(sarif, "\"ruleId\":\"leaked\"") &&
		       strstr(sarif, "\"executionSuccessful\":false"),
		   "%s: the SARIF log has the leak and says the run was cut short", name);
		free(sarif);
		snprintf(path, sizeof(path), "%s/live.xml", tmp);
		if (no_junit)
			skip(1, "no JUnit schema: %s", no_junit);
		else
			ok(junit_valid(path, &xml, name), "%s: the JUnit report validates", name);
		if (!xml)
			xml = lab_read_file(path, NULL);
	}
	ok(xml && strstr(xml, "<failure type=\"leaked\" message=\"fd 7 (file /etc/passwd)"),
	   "%s: the JUnit report has the leak of fd 7", name);
	ok(xml && strstr(xml, junit_error), "%s: and the trace's %s", name, junit_error);
	free(xml);
	if (tap_tests_failed() != failed)
		tl_diag_run(&r, name);
	tl_free(&r);
}

static void test_interrupted(void)
{
	static const struct {
		const char *name;
		int sig; /* sent to the tracer; 0: --timeout 1 ends it */
		int want, cmd_exit;
		const char *reason, *junit_error;
	} ic[] = {
	    {"SIGTERM'd trace", SIGTERM, 128 + SIGTERM, -SIGTERM, "signal",
	     "<error type=\"signal\""},
	    {"SIGINT'd trace", SIGINT, 128 + SIGINT, -SIGINT, "signal", "<error type=\"signal\""},
	    {"--timeout with -- CMD", 0, 124, -SIGKILL, "timeout", "<error type=\"timeout\""},
	};

	for (size_t i = 0; i < sizeof(ic) / sizeof(ic[0]); i++) {
		const char *timeout[] = {"--timeout", "1", NULL};
		struct live l;
		int code;

		live_start(&l, ic[i].sig ? NULL : timeout, LEAK "; echo go; read x");
		if (!ok(live_go(&l), "%s: the command did its leak and said go", ic[i].name)) {
			kill(l.pid, SIGKILL);
			live_finish(&l, 20000);
			continue;
		}
		if (ic[i].sig)
			kill(l.pid, ic[i].sig);
		code = live_finish(&l, 30000);
		is_int(code, ic[i].want, "%s: the tracer exits %d", ic[i].name, ic[i].want);
		check_outputs(ic[i].name, ic[i].want, ic[i].reason, ic[i].cmd_exit,
			      ic[i].junit_error);
	}
}

/* -p PID with --timeout: the planned end, not an interruption (0 without findings). */
static void test_pid_timeout(void)
{
	int in[2], st, code = -1;
	char tracer[PATH_MAX], pidbuf[16], json[128];
	const char *argv[] = {tracer, "--json", "-o", json, "--timeout", "1", "-p", pidbuf, NULL};
	struct tl_run r;
	const json_t *sum;
	pid_t target, t;

	tl_path("cloexec-trace", tracer, sizeof(tracer));
	snprintf(json, sizeof(json), "%s/pid.jsonl", tmp);
	if (pipe2(in, O_CLOEXEC) < 0)
		bail("failed to create a pipe: %s", strerror(errno));
	target = fork();
	if (target == 0) {
		char c;

		close(in[1]);
		_exit(read(in[0], &c, 1) < 0 ? 1 : 0); /* blocks until the test closes in[1] */
	}
	tap_track_child(target);
	close(in[0]);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)target);
	t = fork();
	if (t == 0) {
		int n = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (n < 0 || dup2(n, 0) < 0 || dup2(n, 1) < 0)
			_exit(125);
		execv(tracer, (char *const *)argv);
		_exit(127);
	}
	tap_track_child(t);
	if (lab_wait_timeout(t, &st, 30000) < 0)
		lab_kill_reap(t);
	else
		code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	tap_untrack_child(t);
	close(in[1]);
	lab_wait_timeout(target, &st, 10000);
	tap_untrack_child(target);
	is_int(code, 0, "-p PID --timeout 1: the planned end, exit 0 (nothing found)");
	memset(&r, 0, sizeof(r));
	tl_read_json(&r, json);
	sum = tl_last(&r, "summary");
	ok(tj_bool(sum, "timed_out", 0), "-p PID --timeout 1: the summary says timed_out");
	is_str(tj_str(sum, "exit_reason", ""), "clean", "-p PID --timeout 1: exit_reason clean");
	ok(!json_object_get(sum, "cmd_exit"), "-p PID --timeout 1: no cmd_exit");
	tl_free(&r);
}

int main(void)
{
	tl_start(300);
	plan_lazy();
	snprintf(tmp, sizeof(tmp), "/tmp/cloexec-trace-exit.XXXXXX");
	if (!mkdtemp(tmp))
		bail("failed to create a temporary directory: %s", strerror(errno));
	no_sarif = get_schema(SRCDIR "/scripts/sarif-schema.sh", "sarif", "sarif-2.1.0.json",
			      sarif_schema, sizeof(sarif_schema));
	no_junit = get_schema(SRCDIR "/scripts/junit-schema.sh", "junit", "jenkins-junit.xsd",
			      junit_schema, sizeof(junit_schema));
	if (no_sarif)
		note("the SARIF checks SKIP: %s", no_sarif);
	if (no_junit)
		note("the JUnit schema checks SKIP: %s", no_junit);
	test_rows();
	test_junit();
	test_interrupted();
	test_pid_timeout();
	if (getenv("CLOEXEC_LAB_KEEP"))
		diag("output kept in %s", tmp);
	else
		tlab_rm_rf(tmp);
	return done_testing();
}
