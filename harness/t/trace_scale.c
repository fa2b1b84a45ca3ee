// SPDX-License-Identifier: MIT
/*
 * trace_scale - the real cloexec-trace on fx_many_fds: 3000 atomic fds, then one
 * plain socket() at fd >= 3000 that is the only fd leaked into fx_child. The exec
 * scan must reach it, every one of the 3000 creations must be counted in the kernel
 * (no record each: atomic), and no record may be lost.
 *
 * Then the burst: fx_many_fds N plain execs fx_child with N + 1 fds made without the flag,
 * 20,000 where the fd limit allows (else as many as it does, said in a diag): every one is
 * reported leaked at the exec, none of the records is lost at the default ring size.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#include <sys/resource.h>

/* The highest number of fds a process may have here: RLIMIT_NOFILE's hard limit, fs.nr_open. */
static long fd_ceiling(void)
{
	struct rlimit rl;
	long nr_open = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");

	if (f) {
		if (fscanf(f, "%ld", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return nr_open;
	if (nr_open > 0 && (rlim_t)nr_open < rl.rlim_max)
		return nr_open;
	return rl.rlim_max > 1L << 30 ? 1L << 30 : (long)rl.rlim_max;
}

/* An exec with (up to) 20,000 leaked fds: all reported, nothing lost. */
static void test_burst(void)
{
	long want = fd_ceiling() - 4; /* fds 3 .. ceiling - 2: fx_child needs one to list them */
	char nbuf[32];
	const char *args[] = {nbuf, "plain", NULL};
	/* no stacks: 20,000 unwound creation stacks are not what the burst is about (and take
	 * minutes in a TCG guest); the exec's 20,000 records are */
	const char *const topts[] = {"--no-stacks", NULL};
	struct tl_opts o = {.timeout_ms = 240000, .topts = topts};
	const json_t *sum, *ex[2];
	struct tl_run r;
	int nex;

	if (want > 20000)
		want = 20000;
	if (want < 20000)
		diag("burst: the fd limit here allows %ld leaked fds, not 20,000", want);
	snprintf(nbuf, sizeof(nbuf), "%ld", want - 1); /* N fills + the leak at the top */
	if (tl_run(&r, &o, "fx_many_fds", args) < 0)
		bail("the traced fx_many_fds %s plain run did not finish", nbuf);
	sum = tl_last(&r, "summary");
	is_int(r.done_rc, 0, "burst: the fixture's child exec'd and the fixture finished");
	is_int(tj_int(sum, "lost", -1), 0, "burst: no record lost at the default ring size");
	is_int(tl_count(&r, "lost"), 0, "burst: no lost record");
	nex = tl_exec_recs(&r, tl_child_pid(&r), NULL, ex, 2);
	if (is_int(nex, 1, "burst: one exec record for the child"))
		is_int((long long)tj_len(json_object_get(ex[0], "inherited")), want,
		       "burst: the exec record lists the %ld inherited fds", want);
	is_int(tj_int(sum, "leaked", -1), want, "burst: summary leaked = %ld", want);
	is_int(r.nchildren ? r.children[0].n : -1, want, "burst: fx_child held %ld fds >= 3 itself",
	       want);
	tl_free(&r);
}

int main(void)
{
	const struct tl_case *tc = NULL;
	struct tl_opts o = {0};
	const struct tl_fact *leak;
	struct tl_run r;
	int dups = 0, atomic = 0, pid;

	tl_start(300);
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
	cmp_int(tj_int(tl_last(&r, "summary"), "atomic_counted", -1),
		">=", r.fill_to - r.fill_from + 1, "the kernel counted every filled fd (%d)",
		r.fill_to - r.fill_from + 1);
	tl_free(&r);
	test_burst();
	return done_testing();
}
