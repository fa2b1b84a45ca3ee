// SPDX-License-Identifier: MIT
/*
 * fx_posix_spawn - truth: a plain socket() is leaked into fx_child started with
 * posix_spawn() (glibc: clone3(CLONE_VM|CLONE_VFORK) then execve).
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <spawn.h>

extern char **environ;

int main(int argc, char **argv)
{
	pid_t pid;
	int s;

	fx_init(argc, argv);
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	fflush(stdout);
	errno = posix_spawn(&pid, fx_child_path, NULL, NULL, fx_child_argv(), environ);
	if (errno)
		fx_die("posix_spawn %s", fx_child_path);
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
