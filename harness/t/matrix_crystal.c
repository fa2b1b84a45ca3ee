// SPDX-License-Identifier: MIT
/*
 * matrix_crystal.c - the Crystal fixture of the runtime matrix under cloexec-trace.
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
	return mx_main_plain("crystal", 80);
}
