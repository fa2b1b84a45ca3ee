// SPDX-License-Identifier: MIT
/*
 * fx_stack MODE [--hold] - truth for the tracer's stacks: fds made at known source lines, in
 * functions that are never inlined, in a binary built -O2 -g without frame pointers. The lines
 * a stack must name carry a marker comment (@socket, @clear) that the tests look up in this
 * file. Modes:
 *   plain  open_listener() makes a listening socket without SOCK_CLOEXEC, fork+exec fx_child
 *   deep   the same through six more calls (deep1 .. deep6): the depth limit cuts them
 *   clear  open_atomic() makes it with SOCK_CLOEXEC, clear_flag() clears the flag: the stack
 *          of an inherited atomic fd is the clear's
 *   exec   open_listener(), then this process execs fx_child itself (the image is replaced)
 *   wait-* the same after one byte on stdin ("fx wait" says it is blocked): for -p
 * The build also makes fx_stack_nodebug (strip --strip-debug: symbols, no lines) and
 * fx_stack_stripped (strip --strip-all: no symbols either), the same code.
 */
#define _GNU_SOURCE
#include "fx_common.h"

/* Each function its own frame: not inlined, not cloned (f.constprop.0), no tail calls (the
 * barrier after each call). */
#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

static int NOINLINE open_listener(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s = socket(AF_INET, SOCK_STREAM, 0); /* @socket */

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
		fx_die("listen on 127.0.0.1");
	__asm__ volatile("" ::: "memory"); /* keep the call a call, not a tail call */
	return s;
}

static int NOINLINE open_atomic(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		fx_die("socket");
	__asm__ volatile("" ::: "memory");
	return s;
}

static void NOINLINE clear_flag(int s)
{
	if (fcntl(s, F_SETFD, 0) < 0) /* @clear */
		fx_die("fcntl F_SETFD 0");
	__asm__ volatile("" ::: "memory");
}

/* A chain of calls above open_listener, for --stack-depth. */
#define DEEP(n, next)                                                                              \
	static int NOINLINE deep##n(int k)                                                         \
	{                                                                                          \
		int s = next(k + 1);                                                               \
		__asm__ volatile("" ::: "memory");                                                 \
		return s;                                                                          \
	}
static int NOINLINE deep0(int k)
{
	int s = open_listener();

	(void)k;
	__asm__ volatile("" ::: "memory");
	return s;
}
DEEP(1, deep0)
DEEP(2, deep1)
DEEP(3, deep2)
DEEP(4, deep3)
DEEP(5, deep4)
DEEP(6, deep5)

static void wait_go(void)
{
	ssize_t n;
	char c;

	printf("fx wait pid=%d\n", (int)getpid());
	fflush(stdout);
	while ((n = read(0, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		fx_die("stdin closed before the go byte");
}

int main(int argc, char **argv)
{
	const char *mode;
	int s;

	argc = fx_init(argc, argv);
	mode = argc > 1 ? argv[1] : "plain";
	if (!strncmp(mode, "wait-", 5)) {
		wait_go();
		mode += 5;
	}
	if (!strcmp(mode, "clear")) {
		s = open_atomic();
		clear_flag(s);
	} else if (!strcmp(mode, "deep")) {
		s = deep6(0);
	} else {
		s = open_listener();
	}
	fx_report("sock", s);
	if (!strcmp(mode, "exec")) {
		fflush(stdout);
		execv(fx_child_path, fx_child_argv());
		fx_die("exec %s", fx_child_path);
	}
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
