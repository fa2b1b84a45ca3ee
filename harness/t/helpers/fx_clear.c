// SPDX-License-Identifier: MIT
/*
 * fx_clear MODE - truth: a listener's close-on-exec bit cleared on purpose, by the forked child
 * before its exec (Python's pass_fds, posix_spawn's adddup2 of an fd onto itself) or by the
 * parent before the fork. MODE:
 *   child-fcntl  SOCK_CLOEXEC, the child clears it with fcntl(F_SETFD, 0): fx_child holds it
 *                (the child made it inheritable itself: passed, reason child)
 *   child-ioctl  the same with ioctl(FIONCLEX)
 *   parent       SOCK_CLOEXEC, the parent clears it with fcntl(F_SETFD, 0) and forks: fx_child
 *                holds it, inherited unchanged (leaked)
 *   redundant    a plain socket() (no flag), the child calls fcntl(F_SETFD, 0) on it: the bit
 *                was clear already, the child made nothing inheritable (leaked)
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sys/ioctl.h>

static void clear(int s, int ioctl_way)
{
	if (ioctl_way ? ioctl(s, FIONCLEX) : fcntl(s, F_SETFD, 0))
		_exit(126);
}

int main(int argc, char **argv)
{
	const char *mode;
	pid_t pid;
	int s;

	argc = fx_init(argc, argv);
	mode = argc == 2 ? argv[1] : "";
	if (strcmp(mode, "child-fcntl") && strcmp(mode, "child-ioctl") && strcmp(mode, "parent") &&
	    strcmp(mode, "redundant")) {
		fprintf(stderr,
			"fx_clear: usage: fx_clear child-fcntl|child-ioctl|parent|redundant "
			"[--hold]\n");
		return 2;
	}
	s = fx_tcp(strcmp(mode, "redundant") ? SOCK_CLOEXEC : 0, 1);
	fx_report("sock", s);
	if (!strcmp(mode, "parent"))
		clear(s, 0);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		if (strcmp(mode, "parent"))
			clear(s, !strcmp(mode, "child-ioctl"));
		execv(fx_child_path, fx_child_argv());
		_exit(127);
	}
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
