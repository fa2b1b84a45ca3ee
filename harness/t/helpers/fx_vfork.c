// SPDX-License-Identifier: MIT
/*
 * fx_vfork - truth: a plain socket() is leaked into fx_child started with
 * vfork()+execve().
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	char **cargv;
	pid_t pid;
	int s;

	fx_init(argc, argv);
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	cargv = fx_child_argv();
	fflush(stdout);
	pid = vfork();
	if (pid < 0)
		fx_die("vfork");
	if (pid == 0) {
		execv(fx_child_path, cargv);
		_exit(127);
	}
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
