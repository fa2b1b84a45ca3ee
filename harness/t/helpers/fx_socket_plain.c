// SPDX-License-Identifier: MIT
/*
 * fx_socket_plain - truth: socket() without SOCK_CLOEXEC is never close-on-exec;
 * the listening TCP socket is leaked into the fork+exec'd fx_child.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int s;

	fx_init(argc, argv);
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
