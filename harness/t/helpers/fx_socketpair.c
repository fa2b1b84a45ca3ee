// SPDX-License-Identifier: MIT
/*
 * fx_socketpair - truth: both ends of socketpair(AF_UNIX) are never
 * close-on-exec (leaked into fx_child); both ends of a SOCK_CLOEXEC pair are
 * atomic (not leaked).
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int p[2], q[2];

	fx_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
		fx_die("create a socket pair");
	fx_report("pair_a", p[0]);
	fx_report("pair_b", p[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, q) < 0)
		fx_die("create a SOCK_CLOEXEC socket pair");
	fx_report("cpair_a", q[0]);
	fx_report("cpair_b", q[1]);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
