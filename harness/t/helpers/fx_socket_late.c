// SPDX-License-Identifier: MIT
/*
 * fx_socket_late - truth: socket() then fcntl(F_SETFD, FD_CLOEXEC) is late
 * (a window existed) but the fd does not survive the exec of fx_child.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	unsigned long long t0;
	int s;

	fx_init(argc, argv);
	t0 = lab_now_ns();
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	if (fcntl(s, F_SETFD, FD_CLOEXEC) < 0)
		fx_die("set FD_CLOEXEC");
	fx_span("sock", t0, lab_now_ns());
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
