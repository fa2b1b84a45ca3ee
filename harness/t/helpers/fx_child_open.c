// SPDX-License-Identifier: MIT
/*
 * fx_child_open - truth: fds a forked child makes before its exec without choosing their number
 * are no hand-over: it opens a file (fx_child itself) without O_CLOEXEC (it lands on fd 3, the
 * lowest free) and dup()s the parent's SOCK_CLOEXEC listener (the lowest free again, fd 4; dup
 * clears the flag), then execs fx_child, which holds both. Only a dup onto a number the child chose
 * (dup2, dup3, F_DUPFD) or a cleared flag is a hand-over; a call that makes an fd without the flag
 * by default is how fds leak: both are leaked.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	pid_t pid;
	int m;

	fx_init(argc, argv);
	m = fx_listener_high();
	fx_report("listener", m);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		int f = open(fx_child_path, O_RDONLY), d;

		if (f != 3)
			_exit(126);
		fx_report("opened", f);
		d = dup(m);
		if (d != 4)
			_exit(126);
		fx_report("duped", d);
		execv(fx_child_path, fx_child_argv());
		_exit(127);
	}
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
