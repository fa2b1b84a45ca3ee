// SPDX-License-Identifier: MIT
/*
 * trace_passing - the real cloexec-trace on the truth fixtures of topic "passing"
 * (socket passing: LISTEN_FDS/LISTEN_PID make fd 3 passed, and only when they match). Every fd
 * record, the exec'd child's inherited list (exactly, by inode), the summary and the exit code are
 * checked against the table in trace_lib.h, and the inherited list against what the child saw
 * itself.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

int main(void)
{
	tl_start(120);
	plan_lazy();
	tl_run_topic("passing");
	return done_testing();
}
