// SPDX-License-Identifier: MIT
/*
 * fx_shell - truth: a plain socket() is inherited through two execs, first
 * /bin/sh, then (via `sh -c 'exec fx_child'`) fx_child in the same process.
 * Both execs hold it (leaked).
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	char cmd[PATH_MAX + 64];
	pid_t pid;
	int s;

	fx_init(argc, argv);
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	snprintf(cmd, sizeof(cmd), "exec '%s'%s", fx_child_path, fx_hold ? " --hold" : "");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	printf("fx exec role=shell pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
