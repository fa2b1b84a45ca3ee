// SPDX-License-Identifier: MIT
/*
 * trace_scale - the real cloexec-trace on fx_many_fds: 3000 atomic fds, then one
 * plain socket() at fd >= 3000 that is the only fd leaked into fx_child. The exec
 * scan must reach it, every one of the 3000 creations must be counted in the kernel
 * (no record each: atomic), and no record may be lost.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

int main(void)
{
	const struct tl_case *tc = NULL;
	struct tl_opts o = {0};
	const struct tl_fact *leak;
	struct tl_run r;
	int dups = 0, atomic = 0, pid;

	tl_start(120);
	plan_lazy();
	for (int i = 0; i < tl_ncases; i++)
		if (!strcmp(tl_cases[i].topic, "scale"))
			tc = &tl_cases[i];
	if (!tc)
		bail("no scale case in the table");
	if (tl_run(&r, &o, tc->fixture, tc->args) < 0)
		bail("the traced fx_many_fds run did not finish");
	tl_check_case(&r, tc);

	leak = tl_fact(&r, "leak");
	cmp_int(leak ? leak->fd : -1, ">=", 3000, "the leaked socket sits at fd >= 3000");
	pid = leak ? leak->pid : -1;
	for (int i = 0; i < r.nrecs; i++) {
		const json_t *j = r.recs[i];
		long long fd = tj_int(j, "fd", -1);

		if (!tl_is(j, "fd") || tj_int(j, "pid", -1) != pid || fd < r.fill_from ||
		    fd > r.fill_to || strcmp(tj_str(j, "syscall", ""), "fcntl_dupfd_cloexec"))
			continue;
		dups++;
		atomic += !strcmp(tj_str(j, "verdict", ""), "atomic");
	}
	cmp_int(r.fill_to - r.fill_from + 1, ">=", 2990, "the fixture filled ~3000 fds (%d..%d)",
		r.fill_from, r.fill_to);
	is_int(dups, 0, "no fd record for the filled fds (atomic: counted in the kernel)");
	is_int(atomic, 0, "no atomic fd record");
	cmp_int(tj_int(tl_last(&r, "summary"), "atomic_counted", -1), ">=",
		r.fill_to - r.fill_from + 1, "the kernel counted every filled fd (%d)",
		r.fill_to - r.fill_from + 1);
	tl_free(&r);
	return done_testing();
}
