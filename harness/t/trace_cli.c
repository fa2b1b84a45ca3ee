// SPDX-License-Identifier: MIT
/*
 * trace_cli - the tracer's command line against the truth fixtures: the exit
 * code under --fail-on variations (and the start record's fail_on list), --allow
 * FD and --allow-comm turning a leak into a pass (and only the named fd or
 * program), bad options (malformed --fail-on lists: trailing comma, empty or unknown
 * items; bad --ready-fd) exiting 2 with one line, a missing command exiting 127 and
 * one that cannot be run 126 (as timeout(1) and env(1) say), the text output, output
 * that cannot be opened or written (exit 3, one line naming the file), and an
 * unprivileged run exiting 3 with one sentence.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#include <pwd.h>

struct fail_case {
	const char *fixture;
	const char *fail_on; /* NULL: default */
	int exit_want;
	const char *list; /* the start record's fail_on, joined with ',' */
};

static const struct fail_case fail_cases[] = {
    {"fx_socket_late", NULL, 0, "leaked,lost"},
    {"fx_socket_late", "late", 1, "late"},
    {"fx_socket_late", "leaked,late", 1, "leaked,late"},
    {"fx_socket_late", "never", 0, "never"},
    {"fx_socket_plain", "never", 1, "never"},
    {"fx_socket_plain", "none", 0, ""},
    {"fx_socket_plain", "race", 0, "race"},
    {"fx_socket_atomic", "all", 0, NULL},
    {"fx_socket_plain", "all", 1, NULL},
    {"fx_socket_plain", "lost", 0, "lost"},
    {"fx_socket_plain", "helper", 0, "helper"},
    {"fx_socket_late", "leaked,helper", 0, "leaked,helper"},
};

static void join_list(const json_t *a, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < tj_len(a); i++)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "," : "",
				      tj_vstr(tj_at(a, i), "?"));
}

static void test_fail_on(void)
{
	for (size_t i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++) {
		const struct fail_case *fc = &fail_cases[i];
		const char *topts[] = {"--fail-on", fc->fail_on, NULL};
		struct tl_opts o = {.topts = fc->fail_on ? topts : NULL};
		const char *name = fc->fail_on ? fc->fail_on : "(default)";
		char got[128];
		struct tl_run r;

		int want = fc->exit_want, noise = 0;

		if (tl_run(&r, &o, fc->fixture, NULL) < 0)
			bail("%s under --fail-on %s did not finish", fc->fixture, name);
		/* A never-cloexec fd the fixture did not make itself (a sanitizer runtime
		 * opens files without O_CLOEXEC) is a real finding for never/all. */
		for (int k = 0; k < r.nrecs; k++) {
			const json_t *j = r.recs[k];
			int mine = 0;

			if (!tl_is(j, "fd") || strcmp(tj_str(j, "verdict", ""), "never"))
				continue;
			for (int f = 0; f < r.nfacts; f++)
				mine |= tj_int(j, "pid", -1) == r.facts[f].pid &&
					tj_int(j, "fd", -1) == r.facts[f].fd;
			noise += !mine;
		}
		if (noise && fc->fail_on &&
		    (!strcmp(fc->fail_on, "never") || !strcmp(fc->fail_on, "all"))) {
			note("--fail-on %s: %d never-cloexec fds not made by the fixture itself "
			     "(runtime): expecting exit 1",
			     name, noise);
			want = 1;
		}
		if (!is_int(r.exit_code, want, "--fail-on %s on %s exits %d", name, fc->fixture,
			    want))
			tl_diag_run(&r, name);
		is_int(tj_int(tl_last(&r, "summary"), "exit_code", -1), want,
		       "--fail-on %s on %s: summary exit_code is %d", name, fc->fixture, want);
		join_list(json_object_get(r.nrecs ? r.recs[0] : NULL, "fail_on"), got, sizeof(got));
		if (fc->list)
			is_str(got, fc->list, "--fail-on %s: the start record lists [%s]", name,
			       fc->list);
		else
			ok(strstr(got, "leaked") && strstr(got, "late") && strstr(got, "never") &&
			       strstr(got, "race") && strstr(got, "lost") && strstr(got, "helper"),
			   "--fail-on all: the start record lists every finding (%s)", got);
		tl_free(&r);
	}
}

struct allow_case {
	const char *opt, *val;
	const char *verdict; /* of fd 3 in fx_child's exec */
	const char *reason;
	int exit_want;
};

static const struct allow_case allow_cases[] = {
    {"--allow", "3", "passed", "--allow", 0},
    {"--allow", "4", "leaked", NULL, 1},
    {"--allow-comm", "fx_child", "passed", "--allow-comm", 0},
    {"--allow-comm", "sleep", "leaked", NULL, 1},
    /* the program that execs fx_child (the old comm) is not the one that receives the fd */
    {"--allow-comm", "fx_socket_plain", "leaked", NULL, 1},
};

static void test_allow(void)
{
	for (size_t i = 0; i < sizeof(allow_cases) / sizeof(allow_cases[0]); i++) {
		const struct allow_case *ac = &allow_cases[i];
		const char *topts[] = {ac->opt, ac->val, NULL};
		struct tl_opts o = {.topts = topts};
		const struct tl_fact *f;
		const json_t *ex[2], *it, *sum;
		int n, failed = tap_tests_failed();
		struct tl_run r;

		if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
			bail("fx_socket_plain under %s %s did not finish", ac->opt, ac->val);
		f = tl_fact(&r, "sock");
		is_int(f ? f->fd : -1, 3, "%s %s: the fixture's socket is fd 3", ac->opt, ac->val);
		n = tl_exec_recs(&r, tl_child_pid(&r), NULL, ex, 2);
		is_int(n, 1, "%s %s: one exec of fx_child", ac->opt, ac->val);
		it = n == 1 ? tl_inherited(ex[0], 3) : NULL;
		is_str(tj_str(it, "verdict", ""), ac->verdict, "%s %s: fd 3 is %s", ac->opt,
		       ac->val, ac->verdict);
		if (ac->reason)
			is_str(tj_str(it, "reason", ""), ac->reason, "%s %s: the reason is %s",
			       ac->opt, ac->val, ac->reason);
		is_int(r.exit_code, ac->exit_want, "%s %s: the tracer exits %d", ac->opt, ac->val,
		       ac->exit_want);
		sum = tl_last(&r, "summary");
		is_int(tj_int(sum, ac->reason ? "passed" : "leaked", -1), 1,
		       "%s %s: the summary counts one %s fd", ac->opt, ac->val, ac->verdict);
		is_int(tj_int(sum, ac->reason ? "leaked" : "passed", -1), 0,
		       "%s %s: and nothing else", ac->opt, ac->val);
		if (tap_tests_failed() != failed)
			tl_diag_run(&r, ac->opt);
		tl_free(&r);
	}
}

/*
 * The tracer is run by a caller that leaks fd 9 into it (as shells and CI runners do). By default
 * CMD starts from a clean baseline: no exec below it holds fd 9. With --keep-fds CMD inherits it
 * and every exec that still holds it reports it passed, reason "caller".
 */
static void test_keep_fds(void)
{
	static const char *const wrap[] = {"/bin/sh", "-c", "exec 9</dev/null; exec \"$0\" \"$@\"",
					   NULL};
	static const char *const fargs[] = {"-c", "/bin/true; :", NULL};

	for (int keep = 0; keep <= 1; keep++) {
		const char *topts[] = {"--keep-fds", NULL};
		struct tl_opts o = {.wrap = wrap, .cmd = "/bin/sh", .topts = keep ? topts : NULL};
		const char *name = keep ? "--keep-fds" : "default";
		const json_t *ex = NULL, *it;
		int failed = tap_tests_failed();
		struct tl_run r;

		if (tl_run(&r, &o, "fx_socket_plain", fargs) < 0)
			bail("sh -c under the tracer (%s) did not finish", name);
		for (int i = 0; i < r.nrecs; i++)
			if (tl_is(r.recs[i], "exec") &&
			    tl_basename_is(tj_str(r.recs[i], "filename", ""), "true"))
				ex = r.recs[i];
		ok(ex != NULL, "%s: the exec of true is recorded", name);
		it = tl_inherited(ex, 9);
		if (keep) {
			is_str(tj_str(it, "verdict", ""), "passed",
			       "--keep-fds: the caller's fd 9 reaches true and is passed");
			is_str(tj_str(it, "reason", ""), "caller",
			       "--keep-fds: the reason is caller");
		} else {
			ok(it == NULL,
			   "default: the caller's fd 9 does not reach true (clean baseline)");
		}
		is_int(tj_int(tl_last(&r, "summary"), "leaked", -1), 0,
		       "%s: nothing is counted leaked", name);
		is_int(r.exit_code, 0, "%s: the tracer exits 0", name);
		if (tap_tests_failed() != failed)
			tl_diag_run(&r, name);
		tl_free(&r);
	}
}

/* Bad command lines: exit 2, exactly one line on stderr, the command never runs. */
static const char *const bad_opts[][4] = {
    {"--bogus", NULL},
    {"--fail-on", "bogus", NULL},
    {"--fail-on", "leaked,", NULL}, /* a trailing comma: an empty item */
    {"--fail-on", ",leaked", NULL},
    {"--fail-on", "leaked,,late", NULL},
    {"--fail-on", ",", NULL},
    {"--fail-on", "", NULL},
    {"--fail-on", "leaked,bogus", NULL}, /* one unknown item spoils the list */
    {"--fail-on", "leaked, late", NULL},
    {"--fail-on", "LEAKED", NULL},
    {"--ring-kb", "4194304", NULL}, /* 4 GiB: the map size would overflow */
    {"--ring-kb", "12", NULL},	    /* not a power of two */
    {"--ring-kb", "2", NULL},
    {"--ready-fd", "2", NULL}, /* the caller's stderr */
    {"--ready-fd", "x", NULL},
    {"--ready-fd", "1000000", NULL}, /* not an open fd */
    {"--allow", "x", NULL},
    {"--allow", "-1", NULL},
    {"--allow", "99999999999", NULL},
    {"--linger", "abc", NULL},
    {"--fate-wait", "-1", NULL},
    {"--fate-wait", "1s", NULL},
    {"--fail-on", "helpers", NULL},
    {"--timeout", "-5", NULL},
    {"-p", "notapid", NULL},
    {"-p", "1", NULL}, /* a pid and a command together */
    {"-Z", NULL},
};

static void test_bad_options(void)
{
	for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		struct tl_opts o = {.topts = bad_opts[i], .timeout_ms = 20000};
		char desc[128];
		struct tl_run r;

		if (bad_opts[i][1])
			snprintf(desc, sizeof(desc), "%s \"%s\"", bad_opts[i][0], bad_opts[i][1]);
		else
			snprintf(desc, sizeof(desc), "%s", bad_opts[i][0]);
		if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
			bail("cloexec-trace %s did not finish", desc);
		is_int(r.exit_code, 2, "'%s' exits 2 (usage)", desc);
		if (!is_int(tlab_count_lines(r.err), 1, "'%s' prints exactly one line on stderr",
			    desc))
			diag("stderr: %s", r.err);
		ok(strncmp(r.err, "cloexec-trace: ", 15) == 0,
		   "'%s': the line names the tool (%.*s)", desc, (int)strcspn(r.err, "\n"), r.err);
		is_int(r.nfacts + r.nexecs, 0, "'%s': the command did not run", desc);
		tl_free(&r);
	}
}

/* A command that cannot run: 127 (not found) or 126 (not runnable), one line, no records. */
static void test_bad_command(void)
{
	static const struct {
		const char *cmd, *what;
		int want;
	} bc[] = {
	    {"/nonexistent/cloexec-lab-no-such-program", "a missing command", 127},
	    {"/etc/passwd", "a command that is not executable", 126},
	};

	for (size_t i = 0; i < sizeof(bc) / sizeof(bc[0]); i++) {
		struct tl_opts o = {.cmd = bc[i].cmd, .timeout_ms = 20000};
		struct tl_run r;

		if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
			bail("the run of %s did not finish", bc[i].what);
		is_int(r.exit_code, bc[i].want, "%s exits %d", bc[i].what, bc[i].want);
		if (!is_int(tlab_count_lines(r.err), 1, "%s prints exactly one line on stderr",
			    bc[i].what))
			diag("stderr: %s", r.err);
		ok(strstr(r.err, bc[i].cmd) != NULL, "%s: the line names the command (%.*s)",
		   bc[i].what, (int)strcspn(r.err, "\n"), r.err);
		is_int(tl_count(&r, "fd") + tl_count(&r, "exec"), 0,
		       "%s gives no fd or exec records", bc[i].what);
		tl_free(&r);
	}
}

/*
 * Output that cannot be written (a full disk) or opened (no such directory), for each output
 * file: exit 3, one line naming the file, not a silent exit 0/1.
 */
static void test_output_error(void)
{
	static const struct {
		const char *opt, *file, *verb;
	} oc[] = {
	    {"-o", "/dev/full", "write"},
	    {"--sarif", "/dev/full", "write"},
	    {"--junit", "/dev/full", "write"},
	    {"-o", "/nonexistent/cloexec-lab/t.jsonl", "open"},
	    {"--sarif", "/nonexistent/cloexec-lab/t.sarif", "open"},
	    {"--junit", "/nonexistent/cloexec-lab/t.xml", "open"},
	};

	if (access("/dev/full", W_OK) != 0) {
		skip(3 * (int)(sizeof(oc) / sizeof(oc[0])), "no writable /dev/full");
		return;
	}
	for (size_t i = 0; i < sizeof(oc) / sizeof(oc[0]); i++) {
		const char *topts[] = {"--json", oc[i].opt, oc[i].file, NULL};
		struct tl_opts o = {.topts = topts, .no_json = 1, .timeout_ms = 20000};
		char want[160];
		struct tl_run r;

		if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
			bail("the run with %s %s did not finish", oc[i].opt, oc[i].file);
		is_int(r.exit_code, 3, "%s %s: the tracer exits 3 (output lost)", oc[i].opt,
		       oc[i].file);
		if (!is_int(tlab_count_lines(r.err), 1, "%s %s: exactly one line on stderr",
			    oc[i].opt, oc[i].file))
			diag("stderr: %s", r.err);
		snprintf(want, sizeof(want), "cloexec-trace: failed to %s %s: ", oc[i].verb,
			 oc[i].file);
		ok(strncmp(r.err, want, strlen(want)) == 0,
		   "%s %s: the line says the file failed (%.*s)", oc[i].opt, oc[i].file,
		   (int)strcspn(r.err, "\n"), r.err);
		tl_free(&r);
	}
}

/* The text summary line the JSON summary record s stands for. */
static void summary_line(const json_t *s, char *buf, size_t len)
{
	snprintf(buf, len,
		 "summary: %lld fds (%lld atomic, %lld late, %lld never), %lld execs, %lld leaked, "
		 "%lld helper, %lld passed, %lld races, %lld lost%s -> exit %lld (%s)",
		 tj_int(s, "fds", -1), tj_int(s, "atomic", -1), tj_int(s, "late", -1),
		 tj_int(s, "never", -1), tj_int(s, "execs", -1), tj_int(s, "leaked", -1),
		 tj_int(s, "helper", -1), tj_int(s, "passed", -1), tj_int(s, "races", -1),
		 tj_int(s, "lost", -1), tj_bool(s, "timed_out", 0) ? ", timed out" : "",
		 tj_int(s, "exit_code", -1), tj_str(s, "exit_reason", "?"));
}

/* The last line of s (without its newline) into buf. */
static void last_line(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);
	const char *p;

	while (n && s[n - 1] == '\n')
		n--;
	for (p = s + n; p > s && p[-1] != '\n'; p--)
		;
	snprintf(buf, len, "%.*s", (int)(s + n - p), p);
}

/* Whether the TIME column (the first, seconds since the start) never goes back. */
static int times_in_order(const char *s)
{
	double prev = 0, t;
	int n = 0;

	for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (sscanf(p, "%lf ", &t) != 1 || !strchr("0123456789", *p))
			continue;
		if (t < prev) {
			diag("TIME %.6f after %.6f: %.80s", t, prev, p);
			return 0;
		}
		prev = t;
		n++;
	}
	return n > 0;
}

/* How many lines of s start with prefix. */
static int lines_starting(const char *s, const char *prefix)
{
	int n = 0;

	for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

/* "cloexec-trace VERSION\n" with the version the start record of a JSON run names. */
static void version_of_start(char *buf, size_t len)
{
	struct tl_opts o = {0};
	const char *v;
	struct tl_run r;

	if (tl_run(&r, &o, "fx_socket_atomic", NULL) < 0)
		bail("the run of fx_socket_atomic did not finish");
	v = tj_str(r.nrecs ? r.recs[0] : NULL, "version", "");
	ok(v[0] >= '0' && v[0] <= '9' && strchr(v, '.'), "the start record names a version (%s)",
	   v);
	snprintf(buf, len, "cloexec-trace %s\n", v);
	tl_free(&r);
}

static void test_text_and_info(void)
{
	char version_line[64];
	struct tl_opts o = {.no_json = 1};
	const char *help[] = {"--help", NULL}, *ver[] = {"--version", NULL};
	int failed = tap_tests_failed();
	char want[512], got[512];
	struct tl_run r;

	/* Human output with the JSON in a file (-o): the leak, and the summary line on stdout is
	 * the JSON summary's, last; same exit code. */
	o.text_and_json = 1;
	if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
		bail("the text-mode run did not finish");
	o.text_and_json = 0;
	is_int(r.exit_code, 1, "text mode: a leak exits 1");
	ok(strstr(r.other, "leaked") != NULL, "text mode: stdout names the leak");
	summary_line(tl_last(&r, "summary"), want, sizeof(want));
	last_line(r.other, got, sizeof(got));
	is_str(got, want,
	       "text mode: the last line on stdout is the summary, with the JSON's counts");
	is_int(lines_starting(r.other, "summary: "), 1, "text mode: one summary line");
	ok(times_in_order(r.other), "text mode: the lines are in TIME order");
	if (tap_tests_failed() != failed)
		diag("text output: %.1000s", r.other);
	tl_free(&r);

	/* -q: the findings only (fx_accept makes atomic fds and leaks an accepted one). */
	for (int quiet = 0; quiet < 2; quiet++) {
		const char *q[] = {"-q", NULL}, *all[] = {"--all-fds", NULL};

		failed = tap_tests_failed();
		o.topts = quiet ? q : all;
		if (tl_run(&r, &o, "fx_accept", NULL) < 0)
			bail("the text-mode run of fx_accept did not finish");
		is_int(r.exit_code, 1, "text mode%s: the accepted socket's leak exits 1",
		       quiet ? " -q" : "");
		ok(strstr(r.other, " inherit ") &&
		       strstr(r.other, " never -> held_at_exit after ") &&
		       strstr(r.other, " ms leaked\n") && strstr(r.other, "summary: "),
		   "text mode%s: the inherit line of the leak and the summary are shown",
		   quiet ? " -q" : "");
		ok((strstr(r.other, " atomic\n") == NULL) == quiet,
		   "text mode%s: fd lines with verdict atomic are %s", quiet ? " -q" : " --all-fds",
		   quiet ? "left out" : "shown");
		if (tap_tests_failed() != failed)
			diag("text output: %.1500s", r.other);
		tl_free(&r);
	}

	o.topts = help;
	if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
		bail("--help did not finish");
	is_int(r.exit_code, 0, "--help exits 0");
	ok(strstr(r.other, "EXAMPLES") != NULL, "--help shows EXAMPLES");
	tl_free(&r);
	version_of_start(version_line, sizeof(version_line));
	o.topts = ver;
	if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
		bail("--version did not finish");
	is_int(r.exit_code, 0, "--version exits 0");
	is_str(r.other, version_line,
	       "--version prints the tool and the version of the start record");
	tl_free(&r);
}

static void test_unprivileged(void)
{
	const char *wrap[] = {"/usr/bin/setpriv", "--reuid=65534",   "--regid=65534",
			      "--clear-groups",	  "--inh-caps=-all", NULL};
	struct tl_opts o = {.wrap = wrap, .no_json = 1, .timeout_ms = 20000};
	char tracer[PATH_MAX];
	struct tl_run r;

	if (access(wrap[0], X_OK) != 0) {
		skip(4, "no %s to drop privileges", wrap[0]);
		return;
	}
	/* nobody must be able to run the binary itself, or the check means nothing. */
	lab_build_path("cloexec-trace", tracer, sizeof(tracer));
	if (tl_run(&r, &o, "fx_socket_plain", NULL) < 0)
		bail("the unprivileged run did not finish");
	if (r.exit_code == 126 || r.exit_code == 127) {
		tl_free(&r);
		skip(4, "uid 65534 cannot execute %s (directory permissions)", tracer);
		return;
	}
	is_int(r.exit_code, 3, "unprivileged: the tracer exits 3 (environment)");
	if (!is_int(tlab_count_lines(r.err), 1, "unprivileged: exactly one line on stderr"))
		diag("stderr: %s", r.err);
	is_str(r.err,
	       "cloexec-trace: needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; run "
	       "it with sudo\n",
	       "unprivileged: one sentence naming the tool and what it needs");
	is_int(r.nfacts + r.nexecs, 0, "unprivileged: the command did not run");
	tl_free(&r);
}

int main(void)
{
	tl_start(150);
	plan_lazy();
	test_bad_options();
	test_fail_on();
	test_allow();
	test_keep_fds();
	test_bad_command();
	test_output_error();
	test_text_and_info();
	test_unprivileged();
	return done_testing();
}
