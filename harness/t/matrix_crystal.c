// SPDX-License-Identifier: MIT
/*
 * matrix_python.c - the Crystal fixture of the runtime matrix under cloexec-trace.
 *
 * No verdict is typed in: the truth is whatever this Crystal does. The test checks that the
 * tracer, the child's /proc/PID/fd and the rebind tell the same story (matrix_util.h), that the
 * runner's cells are the trace's records, and that nothing counts as passed when no hand-over
 * was declared (any inherited socket must be `leaked`).
 */
#define _GNU_SOURCE
#include "matrix_util.h"

int main(void)
{
	char why[256];
	struct mx m;
	struct mx_trace t;
	const struct json *row;

	lab_clean_fds(0);
	tap_timeout(90);
	if (!mx_setup(&m, why, sizeof(why)))
		skip_all("BPF tracing cannot run here: %s", why);
	plan_lazy();
	mx_run(&m, "crystal", 80);
	row = mx_row(&m, "crystal");
	if (mx_check_row(row, "crystal", &t)) {
		is_int(json_len(json_get(row, "passed")), 0, "crystal: nothing counts as passed");
		is_int(t.passed_any, 0, "crystal: the trace marks no inherited fd of any exec "
		       "passed");
		ok(json_get_str(row, "version", NULL) != NULL, "crystal: the version is recorded (%s)",
		   json_get_str(row, "version", "?"));
		ok(strcmp(json_get_str(row, "spawn", ""), "") != 0,
		   "crystal: the spawn method is known (%s)", json_get_str(row, "spawn", "?"));
	}
	mx_cleanup(&m);
	return done_testing();
}
