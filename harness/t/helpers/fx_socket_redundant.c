// SPDX-License-Identifier: MIT
/*
 * fx_socket_redundant - truth: socket(SOCK_CLOEXEC) followed by F_SETFD (and, on
 * a second socket, F_SETFD then FIOCLEX) is atomic, not late: the extra calls are
 * redundant (1 and 2 of them). Neither fd survives the exec of fx_child.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sys/ioctl.h>

int main(int argc, char **argv)
{
	int a, b;

	fx_init(argc, argv);
	a = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("once", a);
	if (fcntl(a, F_SETFD, FD_CLOEXEC) < 0)
		fx_die("set FD_CLOEXEC");
	b = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("twice", b);
	if (fcntl(b, F_SETFD, fcntl(b, F_GETFD) | FD_CLOEXEC) < 0 || ioctl(b, FIOCLEX) < 0)
		fx_die("set FD_CLOEXEC twice");
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
