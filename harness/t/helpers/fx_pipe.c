// SPDX-License-Identifier: MIT
/*
 * fx_pipe - truth: both ends of pipe(2) and of pipe2(flags 0) are never
 * close-on-exec (leaked into fx_child); both ends of pipe2(O_CLOEXEC) are atomic
 * (not leaked). Raw syscalls, because glibc's pipe() is pipe2(fds, 0).
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int p[2], q[2], c[2];

	fx_init(argc, argv);
#ifdef SYS_pipe
	if (syscall(SYS_pipe, p) < 0)
		fx_die("create a pipe");
	fx_report("pipe_r", p[0]);
	fx_report("pipe_w", p[1]);
#else
	(void)p;
#endif
	if (syscall(SYS_pipe2, q, 0) < 0)
		fx_die("create a pipe with pipe2");
	fx_report("pipe2_r", q[0]);
	fx_report("pipe2_w", q[1]);
	if (syscall(SYS_pipe2, c, O_CLOEXEC) < 0)
		fx_die("create a pipe with O_CLOEXEC");
	fx_report("cpipe_r", c[0]);
	fx_report("cpipe_w", c[1]);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
