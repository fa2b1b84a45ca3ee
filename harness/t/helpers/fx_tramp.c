// SPDX-License-Identifier: MIT
/*
 * fx_tramp HOW WHAT - truth: a trampoline between a spawner and its target (as Java's
 * jspawnhelper), and what it does with the fds it inherited. The fixture forks; the child execs
 * this program as the helper (`fx_tramp --helper WHAT`, comm fx_tramp), which then does WHAT.
 * HOW, what the helper inherits:
 *   leak   a plain socket() listener (fd 3) and a pipe() (fds 4, 5), all without the flag, made
 *          by the fixture and inherited unchanged (leaked into the helper)
 *   hand   the fixture's SOCK_CLOEXEC listener, dup2'd onto fd 3 by the forked child before
 *          its exec (passed to the helper, reason child)
 * WHAT, the helper:
 *   close      closes every fd >= 3, then execs fx_child (which holds nothing)
 *   cloexec    sets FD_CLOEXEC on them (F_SETFD), then execs fx_child (which holds nothing)
 *   keep       execs fx_child at once: fx_child holds them all
 *   dup        moves each to a new number >= 20 (F_DUPFD, no flag) and closes the old one, then
 *              execs fx_child: fx_child holds the copies
 *   fork       forks a grandchild that execs fx_child holding them, waits, exits
 *   forkclose  closes them, then forks a grandchild that execs fx_child (holding nothing)
 *   hold       exits holding them, without an exec
 *   slow       reads stdin to its end first (the test decides when), then as close
 * Facts: "fx exec role=helper pid=P" (the helper's pid; fx_child has the same pid for close,
 * cloexec, keep, dup and slow) and "fx exec role=grandchild pid=G" for fork and forkclose.
 */
#define _GNU_SOURCE
#include "fx_common.h"

static const char *const whats[] = {"close", "cloexec",	  "keep", "dup",
				    "fork",  "forkclose", "hold", "slow"};

static void helper_exec(void)
{
	fflush(stdout);
	execv(fx_child_path, fx_child_argv());
	fx_die("exec %s", fx_child_path);
}

static void close_all(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		fx_die("close_range");
}

/* The helper: no fx_init (it would close what it inherited). */
static int helper(const char *what)
{
	char b[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(fx_child_path, sizeof(fx_child_path), "%s/fx_child", lab_exe_dir());
	if (!strcmp(what, "slow"))
		while (read(0, b, sizeof(b)) > 0)
			;
	if (!strcmp(what, "close") || !strcmp(what, "slow")) {
		close_all();
	} else if (!strcmp(what, "cloexec")) {
		for (int fd = 3; fd < 32; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC); /* EBADF for the fds it does not have */
	} else if (!strcmp(what, "dup")) {
		for (int fd = 3; fd < 20; fd++)
			if (fcntl(fd, F_GETFD) >= 0 && (fcntl(fd, F_DUPFD, 20) < 0 || close(fd)))
				fx_die("move fd %d", fd);
	} else if (!strcmp(what, "fork")) {
		return fx_fork_exec("grandchild") ? 1 : 0;
	} else if (!strcmp(what, "forkclose")) {
		close_all();
		return fx_fork_exec("grandchild") ? 1 : 0;
	} else if (!strcmp(what, "hold")) {
		return 0;
	}
	helper_exec();
	return 1;
}

static void usage(void)
{
	fprintf(stderr, "fx_tramp: usage: fx_tramp leak|hand "
			"close|cloexec|keep|dup|fork|forkclose|hold|slow [--hold]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int l = -1, p[2], known = 0;
	const char *what;

	if (argc >= 3 && !strcmp(argv[1], "--helper")) {
		fx_hold = argc > 3 && !strcmp(argv[3], "--hold");
		return helper(argv[2]);
	}
	argc = fx_init(argc, argv);
	if (argc != 3 || (strcmp(argv[1], "leak") && strcmp(argv[1], "hand")))
		usage();
	what = argv[2];
	for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
		known |= !strcmp(what, whats[i]);
	if (!known)
		usage();
	if (!strcmp(argv[1], "leak")) {
		fx_report("sock", fx_tcp(0, 1));
		if (pipe(p) < 0)
			fx_die("create a pipe");
		fx_report("pipe_r", p[0]);
		fx_report("pipe_w", p[1]);
	} else {
		l = fx_listener_high();
		fx_report("listener", l);
	}
	return fx_fork_reexec("fx_tramp", "--helper", what, l, "helper");
}
