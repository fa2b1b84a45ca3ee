// SPDX-License-Identifier: MIT
/*
 * matrix_others.c - the remaining runtime fixtures of the matrix under cloexec-trace: Node.js,
 * Ruby, Perl, Java, Rust, PHP, Tcl, Lua. As for Python: no verdict is typed in; for each
 * installed runtime the tracer, the child's /proc/PID/fd and the rebind must agree
 * (matrix_util.h), and with no hand-over declared nothing may count as passed. A runtime that
 * is not installed is skipped with the reason.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

static const char *const names[] = { "node", "ruby", "perl", "java", "rust", "php", "tcl", "lua" };
#define NNAMES (int)(sizeof(names) / sizeof(names[0]))

int main(void)
{
	char why[256];
	struct mx m;
	struct mx_trace t;

	lab_clean_fds(0);
	tap_timeout(170);
	if (!mx_setup(&m, why, sizeof(why)))
		skip_all("BPF tracing cannot run here: %s", why);
	plan_lazy();
	mx_run(&m, "node,ruby,perl,java,rust,php,tcl,lua", 160);
	for (int i = 0; i < NNAMES; i++) {
		const struct json *row = mx_row(&m, names[i]);

		if (!mx_check_row(row, names[i], &t)) {
			skip(2, "%s is not installed", names[i]);
			continue;
		}
		is_int(json_len(json_get(row, "passed")), 0, "%s: nothing counts as passed",
		       names[i]);
		is_int(t.passed_any, 0, "%s: the trace marks no inherited fd of any exec passed",
		       names[i]);
	}
	mx_cleanup(&m);
	return done_testing();
}
