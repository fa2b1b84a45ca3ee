// SPDX-License-Identifier: MIT
/*
 * bench.c - bench.h's helpers, shared by every benchmark file of cloexec-bench: the two
 * ways a run is skipped (a failure, or an environment that cannot run it, counted apart),
 * the FD_CLOEXEC bit read back, and the fd limit main() raised.
 */
#include "bench.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

long bench_nofile;
static long env_skips;

void bench_fail(gb_state *s, const char *what, int err)
{
	gb_skip_with_errorf(s, "%s: %s", what, strerror(err));
}

void bench_env_skip(gb_state *s, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&env_skips, 1, __ATOMIC_RELAXED);
	gb_skip_with_errorf(s, "skipped: %s", buf);
}

long bench_env_skips(void)
{
	return __atomic_load_n(&env_skips, __ATOMIC_RELAXED);
}

int bench_is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -1;
	return (fl & FD_CLOEXEC) ? 1 : 0;
}
