// SPDX-License-Identifier: MIT
/*
 * fx_pipe - truth: both ends of pipe() are never close-on-exec (leaked into
 * fx_child); both ends of pipe2(O_CLOEXEC) are atomic (not leaked).
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int p[2], q[2];

	fx_init(argc, argv);
	if (pipe(p) < 0)
		fx_die("create a pipe");
	fx_report("pipe_r", p[0]);
	fx_report("pipe_w", p[1]);
	if (pipe2(q, O_CLOEXEC) < 0)
		fx_die("create a pipe with O_CLOEXEC");
	fx_report("pipe2_r", q[0]);
	fx_report("pipe2_w", q[1]);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
