// SPDX-License-Identifier: MIT
/*
 * socket.c - socket() with close-on-exec four ways, for AF_INET, AF_INET6 and
 * AF_UNIX stream sockets, with 1 and 2 threads: SOCK_CLOEXEC (atomic),
 * socket()+fcntl(F_SETFD), socket()+F_GETFD+F_SETFD (keeps other flags),
 * socket()+ioctl(FIOCLEX). Each iteration creates and closes one socket.
 * The fd table is pre-grown in main() before any thread starts.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "families.h"
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail_close(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

static int mk_atomic(const struct create_case *c, int fds[2])
{
	fds[0] = socket(c->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fds[0] < 0 ? -1 : 1;
}

static int mk_fcntl(const struct create_case *c, int fds[2])
{
	fds[0] = socket(c->family, SOCK_STREAM, 0);
	if (fds[0] < 0)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0)
		return fail_close(fds[0]);
	return 1;
}

static int mk_getset(const struct create_case *c, int fds[2])
{
	int fl;

	fds[0] = socket(c->family, SOCK_STREAM, 0);
	if (fds[0] < 0)
		return -1;
	fl = fcntl(fds[0], F_GETFD);
	if (fl < 0 || fcntl(fds[0], F_SETFD, fl | FD_CLOEXEC) < 0)
		return fail_close(fds[0]);
	return 1;
}

static int mk_fioclex(const struct create_case *c, int fds[2])
{
	fds[0] = socket(c->family, SOCK_STREAM, 0);
	if (fds[0] < 0)
		return -1;
	if (ioctl(fds[0], FIOCLEX) < 0)
		return fail_close(fds[0]);
	return 1;
}

static const struct {
	const char *group;
	int family;
} families[] = {
    {"socket_inet", AF_INET},
    {"socket_inet6", AF_INET6},
    {"socket_unix", AF_UNIX},
};

static const struct {
	const char *variant;
	int (*make)(const struct create_case *c, int fds[2]);
} variants[] = {
    {"socket+fcntl", mk_fcntl},
    {"SOCK_CLOEXEC", mk_atomic},
    {"socket+getfd+setfd", mk_getset},
    {"FIOCLEX", mk_fioclex},
};

#define NF (sizeof(families) / sizeof(families[0]))
#define NV (sizeof(variants) / sizeof(variants[0]))

static struct create_case cases[NF * NV];
static char names[NF * NV][64];

void bench_register_socket(void)
{
	for (size_t f = 0; f < NF; f++) {
		for (size_t v = 0; v < NV; v++) {
			struct create_case *c = &cases[f * NV + v];
			char *name = names[f * NV + v];
			gb_bench *b;

			snprintf(name, sizeof(names[0]), "%s/%s", families[f].group,
				 variants[v].variant);
			c->name = name;
			c->make = variants[v].make;
			c->family = families[f].family;
			c->what = "socket";
			b = gb_register(name, bench_create, c);
			if (!b)
				continue;
			gb_use_real_time(b);
			gb_threads(b, 1);
			gb_threads(b, 2);
		}
	}
}
