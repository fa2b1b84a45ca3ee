// SPDX-License-Identifier: MIT
/*
 * fx_child_close - truth: a forked child may clean up before exec. Two plain
 * sockets (fds 3 and 4, never cloexec in the parent) are not inherited by
 * fx_child because the forked child closes fd 3 and sets FD_CLOEXEC on its own
 * copy of fd 4. The parent's fds stay never (the child's table is its own).
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	pid_t pid;
	int a, b;

	fx_init(argc, argv);
	a = fx_tcp(0, 1);
	fx_report("closed", a);
	b = fx_tcp(0, 1);
	fx_report("set_in_child", b);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		if (close(a) < 0 || fcntl(b, F_SETFD, FD_CLOEXEC) < 0)
			_exit(126);
		execv(fx_child_path, fx_child_argv());
		_exit(127);
	}
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
