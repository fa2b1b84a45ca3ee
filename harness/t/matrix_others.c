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

int main(void)
{
	return mx_main_plain("node,ruby,perl,java,rust,php,tcl,lua", 160);
}
