// SPDX-License-Identifier: MIT
/*
 * fx_many_fds [N [plain]] - truth: with N (default 3000) atomic fds open, one plain
 * socket() lands at fd >= N and is the only fd leaked into fx_child. With "plain"
 * every fd is made without the flag (the base socket and F_DUPFD copies of it): all
 * N + 1 are leaked, the exec's burst of records (trace_scale). Raises RLIMIT_NOFILE
 * as needed, up to its hard limit.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sys/resource.h>

int main(int argc, char **argv)
{
	struct rlimit rl;
	int n = 3000, base, s, plain;

	argc = fx_init(argc, argv);
	plain = argc > 2 && !strcmp(argv[2], "plain");
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
		if (rl.rlim_max < rl.rlim_cur && rl.rlim_max >= (rlim_t)n + 4)
			rl.rlim_cur = rl.rlim_max; /* enough for fds 0..n+3 */
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fx_die("raise RLIMIT_NOFILE to %d", n + 64);
	}
	base = fx_tcp(plain ? 0 : SOCK_CLOEXEC, 0);
	fx_report("base", base);
	/* Fill fds up to n (each an atomic copy, or a plain one); the leak goes above them. */
	for (int fd = base + 1; fd < n + 3; fd++)
		if (fcntl(base, plain ? F_DUPFD : F_DUPFD_CLOEXEC, fd) != fd)
			fx_die("fill fd %d", fd);
	printf("fx filled from=%d to=%d\n", base + 1, n + 2);
	s = fx_tcp(0, 1);
	fx_report("leak", s);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
