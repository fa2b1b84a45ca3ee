// SPDX-License-Identifier: MIT
/*
 * fx_many_fds [N] - truth: with N (default 3000) atomic fds open, one plain
 * socket() lands at fd >= N and is the only fd leaked into fx_child. Raises
 * RLIMIT_NOFILE as needed.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sys/resource.h>

int main(int argc, char **argv)
{
	struct rlimit rl;
	int n = 3000, base, s;

	argc = fx_init(argc, argv);
	if (argc > 1)
		n = atoi(argv[1]);
	if (n < 1 || n > 1000000) {
		fprintf(stderr, "fx_many_fds: usage: fx_many_fds [N] (1..1000000)\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fx_die("read RLIMIT_NOFILE");
	if (rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = (rlim_t)n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fx_die("raise RLIMIT_NOFILE to %d", n + 64);
	}
	base = fx_tcp(SOCK_CLOEXEC, 0);
	fx_report("base", base);
	/* Fill fds up to n (each an atomic copy); the leak goes above them. */
	for (int fd = base + 1; fd < n + 3; fd++)
		if (fcntl(base, F_DUPFD_CLOEXEC, fd) != fd)
			fx_die("fill fd %d", fd);
	printf("fx filled from=%d to=%d\n", base + 1, n + 2);
	s = fx_tcp(0, 1);
	fx_report("leak", s);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
