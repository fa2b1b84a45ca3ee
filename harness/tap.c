// SPDX-License-Identifier: MIT
/*
 * tap.c - the TAP producer behind tap.h.
 *
 * Output goes through unbuffered writes so that fork() never duplicates a
 * half-written buffer. The planning process (pid recorded at plan time) is the
 * only one that prints the trailing plan and the failure summary.
 */
#define _GNU_SOURCE
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int planned = -1; /* -1 no plan yet, -2 lazy, else n */
static int run, failed;
static pid_t owner;
static const char *todo_reason;
static char skip_reason[1024]; /* between skip_begin() and skip_end() */
static int done;

#define MAX_TRACKED 64
static volatile pid_t tracked[MAX_TRACKED];
static const char *timeout_name = "test";

static void out_v(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = 0;

	if (prefix)
		n = snprintf(buf, sizeof(buf), "%s", prefix);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line keeps lines whole even when children write too. */
	for (char *p = buf; n > 0;) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (int)w;
	}
}

static void out(int fd, const char *prefix, const char *fmt, ...) TAP_PRINTF(3, 4);
static void out(int fd, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_v(fd, prefix, fmt, ap);
	va_end(ap);
}

static void kill_tracked(void)
{
	for (int i = 0; i < MAX_TRACKED; i++) {
		pid_t p = tracked[i];
		if (p > 0) {
			kill(p, SIGKILL);
			waitpid(p, NULL, 0);
			tracked[i] = 0;
		}
	}
}

static void at_exit(void)
{
	if (getpid() != owner || done)
		return;
	done = 1;
	kill_tracked();
	if (planned == -2)
		out(1, NULL, "1..%d", run);
	if (planned >= 0 && run != planned)
		out(2, NULL, "# Looks like you planned %d tests but ran %d.", planned, run);
	if (failed)
		out(2, NULL, "# Looks like you failed %d test%s of %d.", failed,
		    failed == 1 ? "" : "s", run);
}

static void start(int n)
{
	if (planned != -1)
		bail("plan declared twice");
	planned = n;
	owner = getpid();
	/* A test name for the timeout message. */
	timeout_name = program_invocation_short_name;
	atexit(at_exit);
}

void plan(int n)
{
	start(n);
	out(1, NULL, "1..%d", n);
}

void plan_lazy(void)
{
	start(-2);
}

void skip_all(const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	out(1, NULL, "1..0 # SKIP %s", reason);
	done = 1;
	exit(0);
}

static int report(int pass, const char *fmt, va_list ap)
{
	char name[2048];

	if (planned == -1)
		plan_lazy();
	vsnprintf(name, sizeof(name), fmt, ap);
	run++;
	if (skip_reason[0]) {
		/* the check was not made: its subject is missing */
		out(1, NULL, "ok %d # SKIP %s", run, skip_reason);
		return 1;
	}
	if (!pass && !todo_reason)
		failed++;
	if (todo_reason)
		out(1, NULL, "%sok %d - %s # TODO %s", pass ? "" : "not ", run, name, todo_reason);
	else
		out(1, NULL, "%sok %d - %s", pass ? "" : "not ", run, name);
	if (!pass)
		out(2, NULL, "#   Failed %stest '%s'", todo_reason ? "(TODO) " : "", name);
	return pass;
}

int ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pass = report(!!pass, fmt, ap);
	va_end(ap);
	return pass;
}

int is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int pass;

	va_start(ap, fmt);
	pass = report(got == want, fmt, ap);
	va_end(ap);
	if (!pass)
		out(2, NULL, "#          got: %lld\n#     expected: %lld", got, want);
	return pass;
}

int is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int pass;

	if (got && want)
		pass = strcmp(got, want) == 0;
	else
		pass = got == want;
	va_start(ap, fmt);
	pass = report(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		out(2, NULL, "#          got: %s%s%s\n#     expected: %s%s%s", got ? "'" : "",
		    got ? got : "NULL", got ? "'" : "", want ? "'" : "", want ? want : "NULL",
		    want ? "'" : "");
	return pass;
}

int cmp_int(long long got, const char *op, long long want, const char *fmt, ...)
{
	va_list ap;
	int pass, known = 1;

	if (!strcmp(op, "<"))
		pass = got < want;
	else if (!strcmp(op, "<="))
		pass = got <= want;
	else if (!strcmp(op, "==") || !strcmp(op, "="))
		pass = got == want;
	else if (!strcmp(op, "!="))
		pass = got != want;
	else if (!strcmp(op, ">="))
		pass = got >= want;
	else if (!strcmp(op, ">"))
		pass = got > want;
	else
		pass = known = 0;
	va_start(ap, fmt);
	pass = report(pass, fmt, ap);
	va_end(ap);
	if (!known)
		out(2, NULL, "#     unknown operator '%s'", op);
	else if (!pass)
		out(2, NULL, "#     %lld\n#         %s\n#     %lld", got, op, want);
	return pass;
}

void skip(int n, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	if (planned == -1)
		plan_lazy();
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n; i++)
		out(1, NULL, "ok %d # SKIP %s", ++run, reason);
}

void skip_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	if (!skip_reason[0])
		snprintf(skip_reason, sizeof(skip_reason), "skipped");
}

void skip_end(void)
{
	skip_reason[0] = '\0';
}

void todo(const char *reason)
{
	todo_reason = reason;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_v(2, "# ", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_v(1, "# ", fmt, ap);
	va_end(ap);
}

void bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_v(1, "Bail out! ", fmt, ap);
	va_end(ap);
	kill_tracked();
	done = 1;
	exit(255);
}

int exit_status(void)
{
	return failed > 254 ? 254 : failed;
}

int done_testing(void)
{
	if (getpid() == owner && !done) {
		done = 1;
		if (planned == -2)
			out(1, NULL, "1..%d", run);
		else if (planned >= 0 && run != planned)
			out(2, NULL, "# Looks like you planned %d tests but ran %d.", planned, run);
		if (failed)
			out(2, NULL, "# Looks like you failed %d test%s of %d.", failed,
			    failed == 1 ? "" : "s", run);
	}
	if (planned >= 0 && run != planned)
		return 255;
	return exit_status();
}

int tap_tests_run(void)
{
	return run;
}

int tap_tests_failed(void)
{
	return failed;
}

static void on_alarm(int sig)
{
	static const char msg[] = "Bail out! timeout: the test ran past its time limit\n";
	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] > 0)
			kill(tracked[i], SIGKILL);
	/* Take the whole process group down with us (children we lost track of). */
	signal(SIGTERM, SIG_IGN);
	if (getpgrp() == getpid())
		kill(0, SIGTERM);
	_exit(255);
}

void tap_timeout(unsigned seconds)
{
	struct sigaction sa = {.sa_handler = on_alarm};

	(void)timeout_name;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

void tap_track_child(int pid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == 0) {
			tracked[i] = pid;
			return;
		}
}

void tap_untrack_child(int pid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}
