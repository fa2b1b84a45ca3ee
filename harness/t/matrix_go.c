// SPDX-License-Identifier: MIT
/*
 * matrix_go.c - the Go fixtures of the runtime matrix under cloexec-trace: plain exec.Command,
 * the ExtraFiles hand-over of the listener to a child at fd 3 (go-extrafiles, with LISTEN_FDS=1
 * and no LISTEN_PID), and the seeds' pattern (go-extrafiles-seed: ExtraFiles to a re-exec of
 * the same binary told only LISTENER_FD=3, which serves on it and spawns sleep) with its
 * counter-test (go-extrafiles-noclose: the child keeps fd 3 open, so sleep holds it).
 *
 * For all: tracer, /proc and rebind agree (matrix_util.h). For the hand-overs, the child must
 * really serve a connection on the passed listener (an observation); the trace must count the
 * listener at fd 3 `passed` for the reason `child` (Go's child dup3s it onto fd 3 between fork
 * and exec; LISTEN_FDS without LISTEN_PID declares nothing, as sd_listen_fds(3) says), nothing
 * else may count as passed, and what the child then leaks to sleep must be `leaked`: the seed's
 * CI gate is 0, noclose's 1, each as the row expects.
 */
#define _GNU_SOURCE
#include "matrix_util.h"
#include "trace_lib.h"

/* The hand-over went through: the child served on the listener it got at fd 3. */
static void check_served(const json_t *row, const char *name)
{
	ok(!strncmp(tj_str(row, "handover", ""), "SERVED ", 7),
	   "%s: the child served a connection on the passed listener (%s)", name,
	   tj_str(row, "handover", "nothing"));
	is_str(tj_str(row, "rebind", ""), "EADDRINUSE",
	       "%s: the passed listener keeps the port busy", name);
}

/* The CI gate is the tracer's exit code, and the one the row expects. */
static void check_gate(const json_t *row, const char *name, int want)
{
	is_int(tj_int(row, "tracer_exit", -1), want, "%s: the tracer exits %d (CI gate)", name,
	       want);
	ok(tj_bool(row, "ci_gate_agrees", 0), "%s: the CI gate is the expected one (%lld)", name,
	   tj_int(row, "ci_gate_expected", -1));
}

static void check_extrafiles(const json_t *row)
{
	const char *name = "go-extrafiles";
	struct mx_trace t;

	if (!mx_check_row(row, name, &t)) {
		skip(9, "%s did not run", name);
		return;
	}
	check_served(row, name);
	ok(mx_proc_child_holds_at(row, "listener", 3), "%s: /proc shows the listener at fd 3",
	   name);
	is_str(t.listener_fd3_verdict, "passed", "%s: the listener at fd 3 is passed", name);
	is_str(t.listener_fd3_reason, "child",
	       "%s: passed because the child dup'd it onto fd 3 itself (LISTEN_FDS without "
	       "LISTEN_PID declares nothing)",
	       name);
	is_int(t.other_passed, 0, "%s: nothing else counts as passed", name);
	is_int(t.passed_any, 1, "%s: one passed entry in the whole trace", name);
	check_gate(row, name, 0);
}

/* The seed and noclose rows: the Go child is a helper that got fd 3; sleep is the target. */
static void check_seed(const json_t *row, const char *name, int noclose)
{
	struct mx_trace t;

	if (!mx_check_row(row, name, &t)) {
		skip(10, "%s did not run", name);
		return;
	}
	check_served(row, name);
	is_str(t.helper_fd3_verdict, "passed",
	       "%s: the Go child's listener at fd 3 is passed (no LISTEN_FDS, only LISTENER_FD=3)",
	       name);
	is_str(t.helper_fd3_reason, "child", "%s: for the reason child (its own dup3)", name);
	/* the seed's child serves on a copy of fd 3 until it ends (closed, or killed holding it) */
	ok(tl_one_of(t.helper_fd3_fate, noclose ? "passed_on" : "closed|held_at_exit"),
	   "%s: the Go child %s (%s)", name,
	   noclose ? "passed fd 3 on to sleep" : "kept fd 3 (as its listener's copy) to itself",
	   t.helper_fd3_fate);
	is_int(t.child_listener, noclose, "%s: sleep %s the listener", name,
	       noclose ? "inherited" : "did not inherit");
	if (noclose)
		is_str(t.child_listener_verdict, "leaked",
		       "%s: the listener is leaked to sleep, the grandchild of the hand-over",
		       name);
	else
		is_int(t.child_conn, 0, "%s: sleep did not inherit the connection either", name);
	is_int(t.passed_any, 1, "%s: one passed entry in the whole trace", name);
	check_gate(row, name, noclose);
}

int main(void)
{
	struct mx m;

	mx_begin(&m, 120);
	mx_run(&m, "go,go-extrafiles,go-extrafiles-seed,go-extrafiles-noclose", 110);
	mx_check_plain(mx_row(&m, "go"), "go");
	check_extrafiles(mx_row(&m, "go-extrafiles"));
	check_seed(mx_row(&m, "go-extrafiles-seed"), "go-extrafiles-seed", 0);
	check_seed(mx_row(&m, "go-extrafiles-noclose"), "go-extrafiles-noclose", 1);
	mx_cleanup(&m);
	return done_testing();
}
