// SPDX-License-Identifier: MIT
/*
 * matrix_probes.c - the runtime matrix on server shapes that are no runtime's idiom but that a
 * program we have not seen may have (fixtures/probes/server.py, run through run_matrix.py --add):
 *
 *   bgshell   the child starts through `sh -c 'sleep 30 &'` and is reparented away from the
 *             server: the runner must still find it, and the shell shows as a helper
 *   probe     the runtime runs another program before listening: the spawn cell must be the
 *             spawn of the final child, not of that program
 *   resetfd   F_SETFD on a listener: counted redundant exactly when the listener was atomic
 *   handdup   the listener handed over at fd 3 by the spawned child (posix_spawn's adddup2;
 *             LISTEN_FDS=1 without LISTEN_PID declares nothing) and a copy the server made
 *             inheritable: fd 3 is passed (reason child), the copy is leaked, the row says both
 *   slowexec  the server does not wait for the child's exec, so its rebind can lose to the
 *             child's copy between fork and exec: the runner must not blame the tracer, and must
 *             fail the row (the observation contradicts itself) rather than pass it
 *
 * The checks follow from what each probe does by construction, plus the agreement checks every
 * row gets (matrix_util.h).
 */
#define _GNU_SOURCE
#include "matrix_util.h"

static const char *const modes[] = {"bgshell", "probe", "resetfd", "handdup", "slowexec"};
#define NMODES (int)(sizeof(modes) / sizeof(modes[0]))

int main(void)
{
	char server[PATH_MAX + 32], add[NMODES][PATH_MAX + 96];
	const char *extra[2 * NMODES + 1];
	const json_t *row;
	struct mx m;
	struct mx_trace t;
	int rc;

	mx_begin(&m, 120);
	snprintf(server, sizeof(server), "%s/fixtures/probes/server.py", m.root);
	if (access(server, R_OK) != 0)
		bail("%s is missing", server);
	for (int i = 0; i < NMODES; i++) {
		snprintf(add[i], sizeof(add[i]), "probe-%s=/usr/bin/python3 %s %s", modes[i],
			 server, modes[i]);
		extra[2 * i] = "--add";
		extra[2 * i + 1] = add[i];
	}
	extra[2 * NMODES] = NULL;
	m.expect_fail = 1;
	rc = mx_run_args(&m, "none", NULL, extra, 100);
	m.expect_fail = 0;

	row = mx_row(&m, "probe-bgshell");
	if (mx_check_row(row, "probe-bgshell", &t)) {
		ok(mx_proc_child_holds(row, "listener"),
		   "probe-bgshell: the reparented child was "
		   "found, and /proc shows it holding the inheritable listener");
		ok(mx_has(json_object_get(row, "leaked"), "listener"),
		   "probe-bgshell: the row names the listener leaked");
		ok(tj_len(json_object_get(row, "helpers")) >= 1 &&
		       mx_has(
			   json_object_get(tj_at(json_object_get(row, "helpers"), 0), "inherited"),
			   "listener"),
		   "probe-bgshell: the shell is a helper that inherited the listener");
	} else {
		skip(3, "probe-bgshell did not run");
	}

	row = mx_row(&m, "probe-probe");
	if (mx_check_row(row, "probe-probe", &t)) {
		is_str(tj_str(row, "spawn", "(null)"), t.child_spawn,
		       "probe-probe: the spawn cell is how the final child was spawned");
		cmp_int(tj_len(json_object_get(row, "helpers")), ">=", 1,
			"probe-probe: the program run at start-up is listed as a helper");
	} else {
		skip(2, "probe-probe did not run");
	}

	row = mx_row(&m, "probe-resetfd");
	if (mx_check_row(row, "probe-resetfd", &t))
		is_int(
		    tj_int(row, "redundant_fcntl", 0) >= 1,
		    !strcmp(tj_str(row, "socket", ""), "atomic"),
		    "probe-resetfd: the F_SETFD is redundant exactly when the listener was atomic "
		    "(%s)",
		    tj_str(row, "socket", "?"));
	else
		skip(1, "probe-resetfd did not run");

	row = mx_row(&m, "probe-handdup");
	if (mx_check_row(row, "probe-handdup", &t)) {
		const json_t *fds = json_object_get(
		    tj_at(json_object_get(json_object_get(row, "observed"), "child"), 0), "fds");

		is_int(tj_len(json_object_get(fds, "listener")), 2,
		       "probe-handdup: /proc shows the listener at two fds of the child");
		is_str(t.listener_fd3_verdict, "passed", "probe-handdup: fd 3 is passed");
		is_str(t.listener_fd3_reason, "child",
		       "probe-handdup: because the spawned child dup'd it onto fd 3");
		is_str(t.child_listener_verdict, "leaked", "probe-handdup: the copy is leaked");
		is_int(t.other_passed, 0, "probe-handdup: nothing but fd 3 is passed");
		ok(mx_has(json_object_get(row, "passed"), "listener") &&
		       mx_has(json_object_get(row, "leaked"), "listener"),
		   "probe-handdup: the row names the listener both passed and leaked");
	} else {
		skip(6, "probe-handdup did not run");
	}

	row = mx_row(&m, "probe-slowexec");
	if (!row)
		bail("the matrix has no row for probe-slowexec");
	/*
	 * The rebind races the child's exec; when the child happened to exec first, the rebind
	 * is ok and the row is consistent.
	 */
	if (!strcmp(tj_str(row, "rebind", ""), "EADDRINUSE")) {
		is_int(rc, 1, "run_matrix.py exits 1 (the slowexec row is an error)");
		is_str(
		    tj_str(row, "status", ""), "error",
		    "probe-slowexec: a rebind lost to a child between fork and exec is an error");
		ok(strstr(tj_str(row, "reason", ""), "contradicts itself") != NULL,
		   "probe-slowexec: the reason says the observation contradicts itself (%s)",
		   tj_str(row, "reason", ""));
	} else {
		is_int(rc, 0, "run_matrix.py exits 0 (every row consistent)");
		skip(2, "probe-slowexec: the child exec'd before the rebind (rebind %s)",
		     tj_str(row, "rebind", "?"));
	}
	ok(tj_bool(row, "tracer_agrees", 0),
	   "probe-slowexec: the tracer is not blamed for the observation");
	mx_cleanup(&m);
	return done_testing();
}
