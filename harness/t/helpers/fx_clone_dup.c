// SPDX-License-Identifier: MIT
/*
 * fx_clone_dup - truth: a child made with clone(CLONE_FILES) shares the parent's fd table; it
 * dup2s the parent's SOCK_CLOEXEC listener onto fd 3 (no flag) and execs fx_child, which holds
 * it. The dup2 happened in a table that is not the child's alone: the parent holds the same fd 3
 * (and any later child of the parent inherits it), so it is no hand-over of the child's: leaked.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sched.h>
#include <signal.h>

static int listener;

static int child_main(void *arg)
{
	(void)arg;
	if (dup2(listener, 3) != 3)
		_exit(126);
	fx_report("fd3", 3);
	execv(fx_child_path, fx_child_argv());
	_exit(127);
}

int main(int argc, char **argv)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	pid_t pid;

	fx_init(argc, argv);
	listener = fx_listener_high();
	fx_report("listener", listener);
	fflush(stdout);
	pid = clone(child_main, stack + sizeof(stack), CLONE_FILES | SIGCHLD, NULL);
	if (pid < 0)
		fx_die("clone(CLONE_FILES)");
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
