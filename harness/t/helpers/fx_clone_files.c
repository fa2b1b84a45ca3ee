// SPDX-License-Identifier: MIT
/*
 * fx_clone_files - truth: a child made with clone(CLONE_FILES) shares the
 * parent's fd table and execs fx_child while the parent's socket has no
 * FD_CLOEXEC yet (exec unshares the table: the kernel copies it then); only
 * after the child is gone does the parent set FD_CLOEXEC. So the socket is
 * late and the child's exec landed inside its window, every time: one race.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sched.h>
#include <signal.h>

static int go[2];

static int child_main(void *arg)
{
	char c;

	(void)arg;
	if (read(go[0], &c, 1) != 1)
		_exit(126);
	execv(fx_child_path, fx_child_argv());
	_exit(127);
}

int main(int argc, char **argv)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	unsigned long long t0;
	pid_t pid;
	int s, rc;

	fx_init(argc, argv);
	if (pipe2(go, O_CLOEXEC) < 0)
		fx_die("create a pipe");
	t0 = lab_now_ns();
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	fflush(stdout);
	pid = clone(child_main, stack + sizeof(stack), CLONE_FILES | SIGCHLD, NULL);
	if (pid < 0)
		fx_die("clone(CLONE_FILES)");
	printf("fx exec role=child pid=%d\n", (int)pid);
	fflush(stdout);
	if (write(go[1], "g", 1) != 1)
		fx_die("release the child");
	rc = fx_wait(pid);
	if (fcntl(s, F_SETFD, FD_CLOEXEC) < 0)
		fx_die("set FD_CLOEXEC");
	fx_span("sock", t0, lab_now_ns());
	return fx_done(rc ? 1 : 0);
}
