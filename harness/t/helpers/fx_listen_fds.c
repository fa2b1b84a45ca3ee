// SPDX-License-Identifier: MIT
/*
 * fx_listen_fds MODE [parent] - Go-style socket passing. The listener and every other fd
 * are SOCK_CLOEXEC; in the forked child the listener is dup2'd onto fd 3 (without cloexec)
 * before exec of fx_child: the child made fd 3 inheritable itself, a hand-over (the tracer's
 * reason "child") whatever the environment says. With "parent" the dup2 onto fd 3 (and 4) is
 * made in the parent before the fork instead, and the child inherits it unchanged: only the
 * environment can declare it then. Truth per MODE, in the parent variant:
 *   pass      LISTEN_FDS=1, LISTEN_PID=<child's own pid>: fd 3 is passed, not leaked
 *   noenv     no LISTEN_FDS/LISTEN_PID: fd 3 is leaked
 *   nopid     LISTEN_FDS=1 and no LISTEN_PID (sd_listen_fds returns 0): fd 3 is leaked
 *   wrongpid  LISTEN_FDS=1 but LISTEN_PID=<the parent's pid>: fd 3 is leaked
 *   extra     as pass, plus a second socket dup2'd to fd 4, outside LISTEN_FDS=1: fd 3
 *             passed, fd 4 leaked
 * Malformed variables (sd_listen_fds rejects them and passes nothing): fd 3 is leaked
 *   badpid    LISTEN_FDS=1, LISTEN_PID=<child's pid>x
 *   badfds    LISTEN_FDS=1x, LISTEN_PID=<child's pid>
 *   hugefds   LISTEN_FDS=2147483647 (more than INT_MAX - 3), LISTEN_PID=<child's pid>
 *   dupenv    LISTEN_PID=<child's pid>, LISTEN_FDS=0, then LISTEN_FDS=1 again: getenv()
 *             returns the first, so nothing is passed: fd 3 is leaked
 */
#define _GNU_SOURCE
#include "fx_common.h"

extern char **environ;

static void usage(void)
{
	fprintf(stderr, "fx_listen_fds: usage: fx_listen_fds "
			"pass|noenv|nopid|wrongpid|extra|badpid|badfds|hugefds|dupenv [parent] "
			"[--hold]\n");
	exit(2);
}

/* The listener onto fd 3 and the other socket onto fd 4, without the flag (in this process). */
static void hand(int l, int o)
{
	if (dup2(l, 3) != 3)
		fx_die("dup2 the listener onto fd 3");
	fx_report("fd3", 3);
	if (o >= 0) {
		if (dup2(o, 4) != 4)
			fx_die("dup2 onto fd 4");
		fx_report("fd4", 4);
	}
}

/* The child's environment as MODE says, then exec fx_child. */
static void __attribute__((noreturn)) exec_child(const char *mode)
{
	char v[32];

	if (!strcmp(mode, "dupenv")) {
		char pidv[40];
		char *envp[] = {pidv, "LISTEN_FDS=0", "LISTEN_FDS=1", NULL};

		snprintf(pidv, sizeof(pidv), "LISTEN_PID=%d", (int)getpid());
		execve(fx_child_path, fx_child_argv(), envp);
		_exit(127);
	}
	if (strcmp(mode, "noenv") && strcmp(mode, "nopid")) {
		snprintf(v, sizeof(v), "%d%s",
			 strcmp(mode, "wrongpid") ? (int)getpid() : (int)getppid(),
			 strcmp(mode, "badpid") ? "" : "x");
		setenv("LISTEN_PID", v, 1);
	}
	if (strcmp(mode, "noenv"))
		setenv("LISTEN_FDS",
		       !strcmp(mode, "badfds")	  ? "1x"
		       : !strcmp(mode, "hugefds") ? "2147483647"
						  : "1",
		       1);
	execve(fx_child_path, fx_child_argv(), environ);
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *mode;
	pid_t pid;
	int l, o = -1, in_parent;

	argc = fx_init(argc, argv);
	if (argc != 2 && (argc != 3 || strcmp(argv[2], "parent")))
		usage();
	mode = argv[1];
	in_parent = argc == 3;
	if (strcmp(mode, "pass") && strcmp(mode, "noenv") && strcmp(mode, "nopid") &&
	    strcmp(mode, "wrongpid") && strcmp(mode, "extra") && strcmp(mode, "badpid") &&
	    strcmp(mode, "badfds") && strcmp(mode, "hugefds") && strcmp(mode, "dupenv"))
		usage();
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	/* Keep fds 3 and 4 free so dup2 really creates new fds there. */
	l = fx_listener_high();
	fx_report("listener", l);
	if (!strcmp(mode, "extra")) {
		o = fx_tcp(SOCK_CLOEXEC, 1);
		fx_report("other", o);
	}
	if (in_parent)
		hand(l, o);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		if (!in_parent)
			hand(l, o);
		exec_child(mode);
	}
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
