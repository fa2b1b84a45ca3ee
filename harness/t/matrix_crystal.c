// SPDX-License-Identifier: MIT
/*
 * matrix_crystal.c - the Crystal fixtures of the runtime matrix under cloexec-trace: Debian's
 * Crystal as it is (crystal), and the same toolchain with the upstream SOCK_CLOEXEC fix reopened
 * into its stdlib (crystal-fixed).
 *
 * No verdict of the runtime is typed in for crystal: the truth is whatever this Crystal does.
 * The test checks that the tracer, the child's /proc/PID/fd and the rebind tell the same story
 * (matrix_util.h), that the runner's cells are the trace's records, that nothing counts as
 * passed when no hand-over was declared, and that the CI gate (the tracer's exit code) is the
 * one the row expects for this version (1 for Crystal <= 1.12: its sockets leak into sleep).
 * crystal-fixed is fixed by its own code, so its verdicts are asserted: the listener `atomic`,
 * the connection made by accept4 `atomic`, nothing inherited by sleep, the rebind ok, exit 0.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

/* The CI gate: the tracer's exit code, equal to the row's expectation for its version. */
static void check_gate(const json_t *row, const char *name)
{
	ok(tj_int(row, "ci_gate_expected", -1) >= 0, "%s: the row expects a CI gate (%s)", name,
	   tj_str(row, "ci_gate_why", "none"));
	is_int(tj_int(row, "tracer_exit", -1), tj_int(row, "ci_gate_expected", -2),
	       "%s: the tracer exits %lld as expected for %s", name,
	       tj_int(row, "ci_gate_expected", -1), tj_str(row, "version", "?"));
}

int main(void)
{
	const json_t *row;
	struct mx_trace t;
	struct mx m;

	mx_begin(&m, 100);
	mx_run(&m, "crystal,crystal-fixed", 90);

	row = mx_row(&m, "crystal");
	mx_check_plain(row, "crystal");
	if (strcmp(tj_str(row, "status", ""), "not-installed"))
		check_gate(row, "crystal");
	else
		skip(2, "crystal is not installed");

	row = mx_row(&m, "crystal-fixed");
	if (mx_check_row(row, "crystal-fixed", &t)) {
		is_str(t.socket_verdict, "atomic", "crystal-fixed: the listener is atomic");
		is_str(t.accept_syscall, "accept4",
		       "crystal-fixed: the connection comes from accept4");
		is_str(t.accept_verdict, "atomic", "crystal-fixed: and is atomic");
		is_int(t.child_listener + t.child_conn, 0,
		       "crystal-fixed: sleep inherits neither socket");
		is_str(tj_str(row, "rebind", ""), "ok", "crystal-fixed: the rebind works");
		is_int(tj_int(row, "tracer_exit", -1), 0, "crystal-fixed: the tracer exits 0");
		check_gate(row, "crystal-fixed");
	} else {
		skip(8, "crystal-fixed did not run");
	}
	mx_cleanup(&m);
	return done_testing();
}
