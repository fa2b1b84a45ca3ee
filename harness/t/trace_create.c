// SPDX-License-Identifier: MIT
/*
 * trace_create - the real cloexec-trace on the truth fixtures of topic "create"
 * (fd creation: socket/accept/dup/pipe/open/socketpair/SCM_RIGHTS, each verdict and its fate at
 * exec). Every fd record, the exec'd child's inherited list (exactly, by inode), the summary and
 * the exit code are checked against the table in trace_lib.h, and the inherited list against what
 * the child saw itself.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

int main(void)
{
	tl_start(120);
	plan_lazy();
	tl_run_topic("create");
	return done_testing();
}
