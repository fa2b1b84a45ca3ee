// SPDX-License-Identifier: MIT
/*
 * fx_fionclex - truth: a SOCK_CLOEXEC socket (cloexec at creation) whose bit is
 * then cleared with ioctl(FIONCLEX) is leaked into fx_child.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <sys/ioctl.h>

int main(int argc, char **argv)
{
	int s;

	fx_init(argc, argv);
	s = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("sock", s);
	if (ioctl(s, FIONCLEX) < 0)
		fx_die("clear the close-on-exec bit with FIONCLEX");
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
