// SPDX-License-Identifier: MIT
/*
 * ct_junit.c - the JUnit XML report (--junit FILE, ct_junit.h): testcases are kept by program
 * name in first-seen order, each with its findings, and the whole report is written at the end
 * of the trace, in the dialect of the Jenkins JUnit schema (junit-4.xsd: <testsuites>, one
 * <testsuite> with <properties>, <testcase>s with <error>/<failure>/<system-out>), which
 * scripts/junit-schema.sh fetches for the tests. Text is UTF-8; bytes that XML 1.0 cannot carry
 * (control bytes, invalid UTF-8) are written as \xNN, so any comm or path gives a valid file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ct_decide.h"
#include "ct_junit.h"
#include "ct_names.h"
#include "ct_opts.h"
#include "ct_out.h"

#define JUNIT_BUCKETS 4096

struct jfinding {
	char *kind, *message, *detail;
	bool failing;
};

struct jcase {
	char *name;
	struct jfinding *f;
	int n, cap, nfail;
	struct jcase *next; /* hash chain */
};

static struct {
	FILE *f;
	char *suite;	  /* the suite's name: the scope */
	char stamp[32];	  /* when the trace started, ISO 8601 */
	struct jcase **c; /* testcases in first-seen order */
	int n, cap;
	struct jcase *bucket[JUNIT_BUCKETS];
} junit;

bool ct_junit_on(void)
{
	return junit.f != NULL;
}

/* "cloexec-trace -- make check", "cloexec-trace -p 1234", "cloexec-trace (system-wide)" */
static char *suite_name(void)
{
	struct sbuf b = {0};

	sb_puts(&b, TOOL);
	if (opt.cmd) {
		sb_puts(&b, " --");
		for (char **a = opt.cmd; *a; a++)
			sb_printf(&b, " %s", *a);
	} else if (opt.pid) {
		sb_printf(&b, " -p %d", (int)opt.pid);
	} else {
		sb_puts(&b, " (system-wide)");
	}
	return b.p;
}

bool ct_junit_open(const char *path)
{
	time_t now = time(NULL);
	struct tm tm;

	junit.f = fopen(path, "we");
	if (!junit.f)
		return false;
	junit.suite = suite_name();
	if (localtime_r(&now, &tm))
		strftime(junit.stamp, sizeof(junit.stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	return true;
}

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % JUNIT_BUCKETS;
}

/* The testcase of program, made when it is new. */
static struct jcase *testcase(const char *program)
{
	unsigned h = hash(program);
	struct jcase *t;

	for (t = junit.bucket[h]; t; t = t->next)
		if (!strcmp(t->name, program))
			return t;
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(program);
	t->next = junit.bucket[h];
	junit.bucket[h] = t;
	if (junit.n == junit.cap) {
		junit.cap = junit.cap ? 2 * junit.cap : 64;
		junit.c = xrealloc(junit.c, (size_t)junit.cap * sizeof(*junit.c));
	}
	junit.c[junit.n++] = t;
	return t;
}

void ct_junit_program(const char *program)
{
	if (junit.f)
		testcase(program);
}

void ct_junit_add(const struct ct_junit_finding *f)
{
	struct jcase *t;
	struct jfinding *j;

	if (!junit.f)
		return;
	t = testcase(f->program);
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 4;
		t->f = xrealloc(t->f, (size_t)t->cap * sizeof(*t->f));
	}
	j = &t->f[t->n++];
	j->kind = xstrdup(f->kind);
	j->message = xstrdup(f->message);
	j->detail = xstrdup(f->detail ? f->detail : "");
	j->failing = f->failing;
	t->nfail += f->failing;
}

/* ---- XML ---------------------------------------------------------------------------------- */

/*
 * Length of the UTF-8 sequence at s if it is a character XML 1.0 allows (tab, newline, return,
 * U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF), else 0.
 */
static int xml_char_len(const unsigned char *s)
{
	unsigned cp;
	int n;

	if (s[0] < 0x80)
		return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ? 1 : 0;
	n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!n)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* s escaped for XML text (attr: for an attribute value, where newlines and tabs are kept). */
static void xml_str(struct sbuf *b, const char *str, bool attr)
{
	const unsigned char *s = (const unsigned char *)str;

	while (s && *s) {
		int n = xml_char_len(s);

		if (!n) {
			sb_printf(b, "\\x%02x", *s++);
			continue;
		}
		switch (*s) {
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '"':
			sb_puts(b, attr ? "&quot;" : "\"");
			break;
		case '\n':
		case '\t':
		case '\r':
			if (attr)
				sb_printf(b, "&#%d;", *s);
			else
				sb_putc(b, (char)*s);
			break;
		default:
			for (int i = 0; i < n; i++)
				sb_putc(b, (char)s[i]);
		}
		s += n;
	}
}

static void xml_attr(struct sbuf *b, const char *name, const char *value)
{
	sb_printf(b, " %s=\"", name);
	xml_str(b, value, true);
	sb_putc(b, '"');
}

static void xml_property(struct sbuf *b, const char *name, const char *value)
{
	sb_puts(b, "      <property");
	xml_attr(b, "name", name);
	xml_attr(b, "value", value);
	sb_puts(b, "/>\n");
}

/* <failure>s of the findings that fail, then the others as lines of <system-out>. */
static void xml_findings(struct sbuf *b, const struct jcase *t)
{
	bool out = false;

	for (int i = 0; i < t->n; i++) {
		if (!t->f[i].failing)
			continue;
		sb_puts(b, "      <failure");
		xml_attr(b, "type", t->f[i].kind);
		xml_attr(b, "message", t->f[i].message);
		sb_puts(b, ">");
		xml_str(b, t->f[i].detail, false);
		sb_puts(b, "</failure>\n");
	}
	for (int i = 0; i < t->n; i++) {
		if (t->f[i].failing)
			continue;
		if (!out)
			sb_puts(b, "      <system-out>findings not in --fail-on:\n");
		out = true;
		sb_printf(b, "%s: ", t->f[i].kind);
		xml_str(b, t->f[i].message, false);
		sb_putc(b, '\n');
	}
	if (out)
		sb_puts(b, "</system-out>\n");
}

static const char *signame(int sig)
{
	static char buf[16];
	const char *n = sigabbrev_np(sig);

	if (!n)
		return "?";
	snprintf(buf, sizeof(buf), "SIG%s", n);
	return buf;
}

/* The "trace" testcase: how the run itself ended. Returns 2: error, 1: failure, 0: passed. */
static int xml_trace_case(struct sbuf *b, const struct ct_junit_end *e)
{
	char msg[160];
	int st = e->cmd_status, res = 0;

	sb_printf(b, "    <testcase name=\"trace\" classname=\"%s\" time=\"%.3f\">\n", TOOL,
		  e->seconds);
	if (e->signal || (opt.cmd && e->timed_out)) {
		if (e->signal)
			snprintf(msg, sizeof(msg),
				 "the trace was ended by %s: its results cover it up to then",
				 signame(e->signal));
		else
			snprintf(msg, sizeof(msg),
				 "--timeout ended the trace and killed the command: its results "
				 "cover it up to then");
		sb_printf(b, "      <error type=\"%s\"", e->signal ? "signal" : "timeout");
		xml_attr(b, "message", msg);
		sb_puts(b, "/>\n");
		res = 2;
	}
	if (st != INT_MIN && st != 0 && !res) {
		if (st > 0)
			snprintf(msg, sizeof(msg), "the command exited with status %d", st);
		else
			snprintf(msg, sizeof(msg), "the command was killed by %s", signame(-st));
		sb_puts(b, "      <failure type=\"command\"");
		xml_attr(b, "message", msg);
		sb_puts(b, "/>\n");
		res = 1;
	}
	if (e->lost && e->lost_fails) {
		snprintf(msg, sizeof(msg),
			 "%lu records lost (ring buffer full): results incomplete", e->lost);
		sb_puts(b, "      <failure type=\"lost\"");
		xml_attr(b, "message", msg);
		sb_puts(b, "/>\n");
		res = res ? res : 1;
	}
	sb_puts(b, "    </testcase>\n");
	return res;
}

static void xml_properties(struct sbuf *b, const struct ct_junit_end *e)
{
	char v[64];

	sb_puts(b, "    <properties>\n");
	xml_property(b, "tool", TOOL " " VERSION);
	snprintf(v, sizeof(v), "%d", e->code);
	xml_property(b, "exit_code", v);
	xml_property(b, "exit_reason", exit_reason_name(e->reason));
	if (e->cmd_status != INT_MIN) {
		snprintf(v, sizeof(v), "%d", e->cmd_status);
		xml_property(b, "cmd_exit", v);
	}
	if (e->signal)
		xml_property(b, "signal", signame(e->signal));
	xml_property(b, "timed_out", e->timed_out ? "true" : "false");
	snprintf(v, sizeof(v), "%lu", e->lost);
	xml_property(b, "lost", v);
	sb_puts(b, "    </properties>\n");
}

/* The whole report into b. */
static void xml_report(struct sbuf *b, const struct ct_junit_end *e)
{
	struct sbuf cases = {0};
	char host[256] = "localhost";
	int failures = 0, errors = 0, trace;

	gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < junit.n; i++) {
		const struct jcase *t = junit.c[i];

		sb_printf(&cases, "    <testcase classname=\"%s\"", TOOL);
		xml_attr(&cases, "name", t->name);
		sb_puts(&cases, ">\n");
		xml_findings(&cases, t);
		sb_puts(&cases, "    </testcase>\n");
		failures += t->nfail > 0;
	}
	trace = xml_trace_case(&cases, e);
	failures += trace == 1;
	errors += trace == 2;
	sb_printf(b,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<testsuites name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
		  "time=\"%.3f\">\n  <testsuite",
		  TOOL, junit.n + 1, failures, errors, e->seconds);
	xml_attr(b, "name", junit.suite);
	sb_printf(b,
		  " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"0\" time=\"%.3f\" "
		  "timestamp=\"%s\" id=\"0\" package=\"%s\"",
		  junit.n + 1, failures, errors, e->seconds, junit.stamp, TOOL);
	xml_attr(b, "hostname", host);
	sb_puts(b, ">\n");
	xml_properties(b, e);
	sb_puts(b, cases.p ? cases.p : "");
	sb_puts(b, "  </testsuite>\n</testsuites>\n");
	sb_free(&cases);
}

int ct_junit_close(const struct ct_junit_end *end)
{
	struct sbuf b = {0};
	int err = 0;

	if (!junit.f)
		return 0;
	xml_report(&b, end);
	errno = 0;
	if (fwrite(b.p, 1, b.len, junit.f) != b.len || fflush(junit.f) || ferror(junit.f))
		err = errno ? errno : EIO;
	if (fclose(junit.f) && !err)
		err = errno ? errno : EIO;
	junit.f = NULL;
	sb_free(&b);
	for (int i = 0; i < junit.n; i++) {
		struct jcase *t = junit.c[i];

		for (int k = 0; k < t->n; k++) {
			free(t->f[k].kind);
			free(t->f[k].message);
			free(t->f[k].detail);
		}
		free(t->f);
		free(t->name);
		free(t);
	}
	free(junit.c);
	free(junit.suite);
	memset(&junit, 0, sizeof(junit));
	return err;
}
