// SPDX-License-Identifier: MIT
/*
 * trace_create - the real cloexec-trace on the truth fixtures of topic "create"
 * (fd creation: socket/accept/dup/pipe/open/socketpair/SCM_RIGHTS, each verdict and its fate at
 * exec). Every fd record, the exec'd child's inherited list (exactly, by inode), the summary and
 * the exit code are checked against the table in trace_lib.h, and the inherited list against what
 * the child saw itself. Twice: by default (atomic fds counted in the kernel, no record) and with
 * --all-fds (a record for every fd, the atomic ones checked as every other).
 */
#define _GNU_SOURCE
#include "trace_lib.h"

int main(void)
{
	tl_start(240);
	plan_lazy();
	static const char *const all[] = {"--all-fds", NULL};

	tl_run_topic("create");
	tl_run_topic_with("create", all);
	return done_testing();
}
