// SPDX-License-Identifier: MIT
/*
 * trace_exec - the real cloexec-trace on the truth fixtures of topic "exec"
 * (exec from a non-leader thread, vfork, posix_spawn, through a shell): every
 * fd record, the exec'd child's inherited list (exactly, by inode), the summary
 * and the exit code are checked against the table in trace_lib.h. Then an
 * independent observation: fx_child blocks (--hold) while the test reads its
 * /proc/PID/fd, which must list exactly the fds the tracer says it inherited.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

static void check_proc(const char *fixture, const char *const *args)
{
	struct tl_opts o = {.hold = 1};
	const json_t *ex[4];
	struct tl_run r;
	int child, n, agree = 1;

	if (tl_run(&r, &o, fixture, args) < 0)
		bail("%s --hold under the tracer did not finish", fixture);
	child = tl_child_pid(&r);
	if (!is_int(r.proc_pid, child, "%s: /proc of the exec'd child %d was read while it lived",
		    fixture, child) ||
	    !cmp_int(r.proc_n, ">", 0, "%s: the child holds fds >= 3 in /proc", fixture)) {
		tl_diag_run(&r, fixture);
		tl_free(&r);
		return;
	}
	n = tl_exec_recs(&r, child, fixture, ex, 4);
	if (!cmp_int(n, ">=", 1, "%s: the tracer saw the child's exec", fixture)) {
		tl_free(&r);
		return;
	}
	/* /proc/PID/fd, seen from outside, against the last exec's inherited list. */
	for (int p = 0; p < r.proc_n; p++) {
		const json_t *it = tl_inherited(ex[n - 1], r.proc_fd[p]);
		char want[64];

		snprintf(want, sizeof(want), "socket:[%lld]", tj_int(it, "ino", -1));
		if (!it || (strncmp(r.proc_target[p], "socket:", 7) == 0 &&
			    strcmp(r.proc_target[p], want) != 0)) {
			agree = 0;
			diag("/proc/%d/fd/%d -> %s; the tracer has %s", child, r.proc_fd[p],
			     r.proc_target[p], it ? want : "nothing");
		}
	}
	ok(agree, "%s: every fd in /proc/%d/fd is in the tracer's inherited list", fixture, child);
	is_int((long long)tj_len(json_object_get(ex[n - 1], "inherited")), r.proc_n,
	       "%s: the tracer lists as many fds as /proc shows (%d)", fixture, r.proc_n);
	tl_free(&r);
}

int main(void)
{
	const char *extra[] = {"extra", NULL};

	tl_start(120);
	plan_lazy();
	tl_run_topic("exec");
	check_proc("fx_dupfd", NULL);
	check_proc("fx_shell", NULL);
	check_proc("fx_listen_fds", extra);
	return done_testing();
}
