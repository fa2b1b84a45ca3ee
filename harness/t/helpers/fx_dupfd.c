// SPDX-License-Identifier: MIT
/*
 * fx_dupfd - truth: copies of a SOCK_CLOEXEC socket made with fcntl(F_DUPFD) and
 * dup() are never close-on-exec (leaked into fx_child); copies made with
 * fcntl(F_DUPFD_CLOEXEC) and dup3(O_CLOEXEC) are atomic (not leaked).
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int s, d;

	fx_init(argc, argv);
	s = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("orig", s);
	if ((d = fcntl(s, F_DUPFD, 10)) < 0)
		fx_die("F_DUPFD");
	fx_report("dupfd", d);
	if ((d = fcntl(s, F_DUPFD_CLOEXEC, 20)) < 0)
		fx_die("F_DUPFD_CLOEXEC");
	fx_report("dupfd_cloexec", d);
	if ((d = dup(s)) < 0)
		fx_die("dup");
	fx_report("dup", d);
	if ((d = dup3(s, 30, O_CLOEXEC)) < 0)
		fx_die("dup3");
	fx_report("dup3_cloexec", d);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
