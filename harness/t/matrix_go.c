// SPDX-License-Identifier: MIT
/*
 * matrix_go.c - the Go fixtures of the runtime matrix under cloexec-trace: plain exec.Command,
 * and the ExtraFiles hand-over of the listener to a child at fd 3.
 *
 * For both: tracer, /proc and rebind agree (matrix_util.h). For the hand-over, the child must
 * really serve a connection on the passed listener (an observation), the tracer must count the
 * listener `passed` (the runner declares fd 3 of the child program intended), and any other
 * socket the child inherited must still be `leaked`.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

int main(void)
{
	char why[256];
	struct mx m;
	struct mx_trace t;
	const json_t *row;

	lab_clean_fds(0);
	tap_timeout(90);
	if (!mx_setup(&m, why, sizeof(why)))
		skip_all("BPF tracing cannot run here: %s", why);
	plan_lazy();
	mx_run(&m, "go,go-extrafiles", 80);

	mx_check_plain(mx_row(&m, "go"), "go");

	row = mx_row(&m, "go-extrafiles");
	if (mx_check_row(row, "go-extrafiles", &t)) {
		ok(!strncmp(tj_str(row, "handover", ""), "SERVED ", 7),
		   "go-extrafiles: the child served a connection on the passed listener (%s)",
		   tj_str(row, "handover", "nothing"));
		ok(mx_proc_child_holds_at(row, "listener", 3),
		   "go-extrafiles: /proc shows the listener at fd 3 of the child");
		is_str(t.listener_fd3_verdict, "passed",
		       "go-extrafiles: the trace counts the listener at fd 3 as passed");
		is_str(t.listener_fd3_reason, "LISTEN_FDS",
		       "go-extrafiles: passed because the child's environment declares it "
		       "(LISTEN_FDS=1), not by a tracer option");
		ok(mx_has(json_object_get(row, "passed"), "listener"),
		   "go-extrafiles: the passed column names the listener");
		is_int(t.other_passed, 0,
		       "go-extrafiles: nothing else counts as passed (no other "
		       "fd, not the listener at another fd)");
		is_int(t.passed_any, 1, "go-extrafiles: one passed entry in the whole trace");
		is_str(tj_str(row, "rebind", ""), "EADDRINUSE",
		       "go-extrafiles: the passed listener keeps the port busy");
	} else {
		skip(8, "go-extrafiles did not run");
	}
	mx_cleanup(&m);
	return done_testing();
}
