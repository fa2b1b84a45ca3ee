// SPDX-License-Identifier: MIT
/*
 * matrix_others.c - the remaining runtime fixtures of the matrix under cloexec-trace: Node.js,
 * Ruby, Perl, Java, Rust, PHP, Tcl, Lua. As for Python: no verdict is typed in; for each
 * installed runtime the tracer, the child's /proc/PID/fd and the rebind must agree
 * (matrix_util.h), and with no hand-over declared nothing may count as passed. A runtime that
 * is not installed is skipped with the reason.
 *
 * Java with its default launch mechanism (JDK 17: POSIX_SPAWN through jspawnhelper) also gets
 * the rule it shows: the program exec'd on the way to sleep inherits the listener, the
 * connection and more, and closes all of it before it execs sleep, which holds nothing. In the
 * trace every fd that program inherited is `helper` with fate `closed_before_exec` (as the
 * summary counts), sleep inherits nothing, and the tracer exits 0 (helper is not in the
 * default --fail-on): the CI gate the row expects.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

static void check_java(const json_t *row)
{
	struct mx_trace t;

	if (!mx_check_row(row, "java", &t)) {
		skip(7, "java is not installed");
		return;
	}
	cmp_int(t.helper_inh, ">=", 2,
		"java: the program between the JVM and sleep inherited the sockets and more (%d)",
		t.helper_inh);
	is_int(t.helper_helper, t.helper_inh, "java: every fd it inherited is helper");
	is_int(t.helper_closed_before_exec, t.helper_inh,
	       "java: each closed before it exec'd sleep (closed_before_exec)");
	is_int(t.summary_helper, t.helper_helper, "java: the summary counts them as helper");
	is_int(t.child_listener + t.child_conn, 0, "java: sleep inherits neither socket");
	is_int(tj_int(row, "tracer_exit", -1), 0, "java: the tracer exits 0 (CI gate)");
	ok(tj_bool(row, "ci_gate_agrees", 0), "java: the CI gate is the expected one");
}

int main(void)
{
	static const char *const rows[] = {"node", "ruby", "perl", "java",
					   "rust", "php",  "tcl",  "lua"};
	struct mx m;

	mx_begin(&m, 170);
	mx_run(&m, "node,ruby,perl,java,rust,php,tcl,lua", 160);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		mx_check_plain(mx_row(&m, rows[i]), rows[i]);
	check_java(mx_row(&m, "java"));
	mx_cleanup(&m);
	return done_testing();
}
