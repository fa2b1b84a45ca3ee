// SPDX-License-Identifier: MIT
/*
 * fx_fioclex - truth: socket() then ioctl(FIOCLEX) is late (set by ioctl) and
 * does not survive the exec of fx_child.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sys/ioctl.h>

int main(int argc, char **argv)
{
	unsigned long long t0;
	int s;

	fx_init(argc, argv);
	t0 = lab_now_ns();
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	if (ioctl(s, FIOCLEX) < 0)
		fx_die("set the close-on-exec bit with FIOCLEX");
	fx_span("sock", t0, lab_now_ns());
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
