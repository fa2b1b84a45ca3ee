// SPDX-License-Identifier: MIT
/*
 * matrix_c.c - the C (glibc) fixtures of the runtime matrix.
 *
 * First, without tracer or runner: drive build/fixtures/c/server in each variant and observe the
 * child's /proc/PID/fd and the rebind from here. Then run fixtures/run_matrix.py for the three C
 * rows under cloexec-trace and check that tracer, /proc and rebind agree (matrix_util.h), and
 * that the trace classifies what the C code does by construction: plain socket()/accept()
 * are `never` and leak into a fork+exec child; SOCK_CLOEXEC/accept4 are `atomic` and nothing
 * leaks; socket()+fcntl is `late`, a second F_SETFD on an accept4(SOCK_CLOEXEC) socket is
 * redundant; fork() is `fork` and posix_spawnp() `posix_spawn` (SCHEMA.md). Last, the
 * cross-check must be able to fail: with a tracer that forgets inherited fds, the runner must
 * exit 1 and say it disagrees.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

#include <errno.h>
#include <sys/stat.h>

static const struct {
	const char *variant, *row;
	int leaks;
} cases[] = {
    {"plain", "c-plain", 1},
    {"cloexec", "c-cloexec", 0},
    {"posix-spawn", "c-posix-spawn", 0},
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

/* The checks of a row of part 2 after mx_check_row's 10 (one more where it leaks). */
static int row_checks(int i)
{
	return 10 + cases[i].leaks;
}

/* Every check of parts 2 and 3: the runner's exit code, each row, the forgetful tracer. */
static int runner_checks(void)
{
	int n = 1 + 3;

	for (int i = 0; i < NCASES; i++)
		n += 10 + row_checks(i);
	return n;
}

int main(void)
{
	char why[256], server[PATH_MAX + 32];
	struct mx m;
	struct mx_trace t;
	int usable, rc;

	lab_clean_fds(0);
	tap_timeout(150);
	plan_lazy();
	usable = mx_setup(&m, why, sizeof(why));
	snprintf(server, sizeof(server), "%s/fixtures/c/server", m.build);
	if (access(server, X_OK) != 0)
		bail("%s is missing: build it with make", server);

	/* 1. Direct observation, no tracer. */
	for (int i = 0; i < NCASES; i++) {
		char *argv[] = {server, (char *)cases[i].variant, NULL};
		struct mx_direct d;
		int r = -2;

		/* A new port when another process took ours between pick and bind. */
		for (int attempt = 0; attempt < 3 && r == -2; attempt++)
			r = mx_drive(argv, &d);
		if (r < 0) {
			ok(0, "direct %s: the fixture followed the protocol", cases[i].variant);
			skip(3, "direct %s: no observation", cases[i].variant);
			continue;
		}
		ok(d.listener[0] != 0, "direct %s: the server's listener is %s", cases[i].variant,
		   d.listener);
		is_int(d.child_holds_listener, cases[i].leaks,
		       "direct %s: child %d %s the listener", cases[i].variant, (int)d.child,
		       cases[i].leaks ? "holds" : "does not hold");
		is_str(d.rebind, cases[i].leaks ? "EADDRINUSE" : "ok",
		       "direct %s: the rebind result", cases[i].variant);
	}

	if (!usable) {
		skip(runner_checks(), "BPF tracing cannot run here: %s", why);
		return done_testing();
	}

	/* 2. Through the runner, under the tracer. */
	rc = mx_run(&m, "c-plain,c-cloexec,c-posix-spawn", 120);
	is_int(rc, 0, "run_matrix.py exits 0 for the C rows (all agree)");
	for (int i = 0; i < NCASES; i++) {
		const json_t *row = mx_row(&m, cases[i].row);
		const json_t *acc = json_object_get(row, "accept");
		const char *name = cases[i].row;

		if (!mx_check_row(row, name, &t)) {
			skip(row_checks(i), "%s did not run", name);
			continue;
		}
		/* What the C code does by construction, as the tracer must see it. */
		is_str(tj_str(row, "socket", ""),
		       i == 0	? "never"
		       : i == 1 ? "atomic"
				: "late",
		       "%s: the listener's close-on-exec verdict", name);
		is_str(tj_str(acc, "syscall", ""), i == 0 ? "accept" : "accept4",
		       "%s: the accept syscall", name);
		is_str(tj_str(acc, "verdict", ""), i == 0 ? "never" : "atomic",
		       "%s: the accepted socket's verdict", name);
		is_int(mx_has(json_object_get(row, "child_inherited"), "listener"), cases[i].leaks,
		       "%s: the child inherited the listener", name);
		is_int(mx_has(json_object_get(row, "child_inherited"), "conn"), cases[i].leaks,
		       "%s: the child inherited the connection", name);
		is_str(tj_str(row, "rebind", ""), cases[i].leaks ? "EADDRINUSE" : "ok",
		       "%s: the rebind result", name);
		if (cases[i].leaks)
			is_str(t.child_listener_verdict, "leaked",
			       "%s: the listener is leaked, not "
			       "passed",
			       name);
		is_int(tj_len(json_object_get(row, "passed")), 0, "%s: nothing counts as passed",
		       name);
		is_int(t.passed_any, 0, "%s: the trace marks no inherited fd of any exec passed",
		       name);
		if (i == 2) {
			cmp_int(tj_int(row, "redundant_fcntl", -1), ">=", 1,
				"%s: the second F_SETFD on the accepted socket is redundant", name);
			/* glibc's posix_spawn is clone3(CLONE_VM|CLONE_VFORK): SCHEMA.md's
			 * posix_spawn */
			is_str(tj_str(row, "spawn", ""), "posix_spawn",
			       "%s: posix_spawnp() is classified as posix_spawn", name);
		} else {
			is_int(tj_int(row, "redundant_fcntl", -1), 0, "%s: no redundant F_SETFD",
			       name);
			is_str(tj_str(row, "spawn", ""), "fork",
			       "%s: fork()+execvp is classified as fork", name);
		}
	}

	/*
	 * 3. The cross-check can fail: a tracer that forgets what the child inherited (the real
	 * one, with every exec record's inherited[] emptied) must be caught on c-plain.
	 */
	{
		char liar[PATH_MAX + 32];
		FILE *f;

		snprintf(liar, sizeof(liar), "%s/forgetful-tracer", m.tmp);
		f = fopen(liar, "we");
		if (!f)
			bail("failed to create %s: %s", liar, strerror(errno));
		fprintf(f,
			"#!/bin/sh\n"
			"# the real tracer, then every exec record loses its inherited fds\n"
			"out=; prev=\n"
			"for a in \"$@\"; do [ \"$prev\" = -o ] && out=$a; prev=$a; done\n"
			"'%s/cloexec-trace' \"$@\"; rc=$?\n"
			"sed -i '/\"type\":\"exec\"/s/\"inherited\":\\[.*\\]}$/\"inherited\":[]}/' "
			"\"$out\"\n"
			"exit $rc\n",
			m.build);
		fclose(f);
		if (chmod(liar, 0755) < 0)
			bail("failed to chmod %s: %s", liar, strerror(errno));
		m.expect_fail = 1;
		rc = mx_run_args(&m, "c-plain", liar, NULL, 60);
		m.expect_fail = 0;
		is_int(rc, 1, "run_matrix.py exits 1 when the tracer misses the leak");
		ok(!tj_bool(mx_row(&m, "c-plain"), "tracer_agrees", 1),
		   "c-plain with a forgetful tracer: the row says tracer_agrees false");
		ok(tj_len(json_object_get(mx_row(&m, "c-plain"), "disagreements")) > 0,
		   "c-plain with a forgetful tracer: the row lists the disagreements");
	}
	mx_cleanup(&m);
	return done_testing();
}
