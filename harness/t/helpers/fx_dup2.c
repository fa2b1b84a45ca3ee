// SPDX-License-Identifier: MIT
/*
 * fx_dup2 - truth: dup2() of a SOCK_CLOEXEC socket onto fd 7 makes a new fd 7
 * that is never close-on-exec (dup2 clears the flag): fd 7 is leaked into
 * fx_child, the original (atomic) is not.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int s;

	fx_init(argc, argv);
	s = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("orig", s);
	if (dup2(s, 7) != 7)
		fx_die("dup2 onto fd 7");
	fx_report("dup7", 7);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
