// SPDX-License-Identifier: MIT
/*
 * fdops.c - the other fd-creating calls, atomic flag vs a later fcntl:
 * pipe2(O_CLOEXEC) vs pipe()+2x fcntl, dup3(O_CLOEXEC) vs dup2()+fcntl,
 * fcntl(F_DUPFD_CLOEXEC) vs dup()+fcntl, openat(O_CLOEXEC) vs openat()+fcntl.
 * Each iteration creates and closes; sources are /dev/null.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "families.h"
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int setfd(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int fail_close2(int a, int b)
{
	int err = errno;

	close(a);
	if (b >= 0)
		close(b);
	errno = err;
	return -1;
}

static int mk_pipe2(const struct create_case *c, int fds[2])
{
	(void)c;
	return pipe2(fds, O_CLOEXEC) < 0 ? -1 : 2;
}

static int mk_pipe_fcntl(const struct create_case *c, int fds[2])
{
	(void)c;
	if (pipe(fds) < 0)
		return -1;
	if (setfd(fds[0]) < 0 || setfd(fds[1]) < 0)
		return fail_close2(fds[0], fds[1]);
	return 2;
}

static int mk_dup3(const struct create_case *c, int fds[2])
{
	fds[0] = dup3(c->src, c->target, O_CLOEXEC);
	return fds[0] < 0 ? -1 : 1;
}

static int mk_dup2_fcntl(const struct create_case *c, int fds[2])
{
	fds[0] = dup2(c->src, c->target);
	if (fds[0] < 0)
		return -1;
	if (setfd(fds[0]) < 0)
		return fail_close2(fds[0], -1);
	return 1;
}

static int mk_dupfd_cloexec(const struct create_case *c, int fds[2])
{
	fds[0] = fcntl(c->src, F_DUPFD_CLOEXEC, 0);
	return fds[0] < 0 ? -1 : 1;
}

static int mk_dup_fcntl(const struct create_case *c, int fds[2])
{
	fds[0] = dup(c->src);
	if (fds[0] < 0)
		return -1;
	if (setfd(fds[0]) < 0)
		return fail_close2(fds[0], -1);
	return 1;
}

static int mk_openat_cloexec(const struct create_case *c, int fds[2])
{
	(void)c;
	fds[0] = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
	return fds[0] < 0 ? -1 : 1;
}

static int mk_openat_fcntl(const struct create_case *c, int fds[2])
{
	(void)c;
	fds[0] = openat(AT_FDCWD, "/dev/null", O_RDONLY);
	if (fds[0] < 0)
		return -1;
	if (setfd(fds[0]) < 0)
		return fail_close2(fds[0], -1);
	return 1;
}

static struct create_case cases[] = {
    {.name = "pipe/pipe+fcntl", .make = mk_pipe_fcntl, .what = "pipe"},
    {.name = "pipe/pipe2", .make = mk_pipe2, .what = "pipe2"},
    {.name = "dup3/dup2+fcntl", .make = mk_dup2_fcntl, .what = "dup2"},
    {.name = "dup3/dup3", .make = mk_dup3, .what = "dup3"},
    {.name = "dupfd/dup+fcntl", .make = mk_dup_fcntl, .what = "dup"},
    {.name = "dupfd/F_DUPFD_CLOEXEC", .make = mk_dupfd_cloexec, .what = "fcntl(F_DUPFD_CLOEXEC)"},
    {.name = "openat/openat+fcntl", .make = mk_openat_fcntl, .what = "openat"},
    {.name = "openat/O_CLOEXEC", .make = mk_openat_cloexec, .what = "openat"},
};

void bench_register_fdops(void)
{
	/*
	 * The dup source lives for the whole process. The dup3/dup2 target is a
	 * fixed number well above the low fds other runs allocate (fds are given
	 * lowest-first) and inside the pre-grown table; each iteration closes it.
	 */
	int src = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int target = bench_nofile > 1100 ? 1000 : (int)bench_nofile - 8;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gb_bench *b;

		cases[i].src = src;
		cases[i].target = target;
		b = gb_register(cases[i].name, bench_create, &cases[i]);
		if (b)
			gb_use_real_time(b);
	}
}
