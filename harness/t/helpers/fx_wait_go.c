// SPDX-License-Identifier: MIT
/*
 * fx_wait_go - truth for `cloexec-trace -p PID`: the fixture starts first and blocks
 * reading one byte from stdin (the test attaches the tracer to it meanwhile), then
 * does what fx_socket_plain does: socket() without SOCK_CLOEXEC, a listening TCP
 * socket that leaks into the fork+exec'd fx_child. "fx wait" says it is blocked.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	ssize_t n;
	char c;
	int s;

	fx_init(argc, argv);
	printf("fx wait pid=%d\n", (int)getpid());
	fflush(stdout);
	while ((n = read(0, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		fprintf(stderr, "%s: stdin closed before the go byte\n", fx_name);
		return fx_done(1);
	}
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
