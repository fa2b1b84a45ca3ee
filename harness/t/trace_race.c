// SPDX-License-Identifier: MIT
/*
 * trace_race - the real cloexec-trace on fx_race: one thread loops
 * socket()+fcntl(F_SETFD) while another forks and execs fx_child. Each forked
 * child looked, before its exec, for an fd open without FD_CLOEXEC: that is the
 * truth of which forks landed in a window. The tracer must emit exactly one
 * `race` record per such child (matching fd, inode and pids), none for the
 * others, list the socket as leaked (created late) in the child's exec record,
 * classify every churned socket as late, and lose no record. Then fx_thread_churn:
 * threads reusing each other's fd numbers, each socket keeps its own verdict.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

/*
 * fx_thread_churn: three threads reuse each other's fd numbers; every socket keeps its own
 * verdict (never, atomic, late), none is inherited, nothing is lost.
 */
static void test_thread_churn(void)
{
	const char *args[] = {"3000", NULL};
	struct tl_opts o = {.timeout_ms = 60000};
	long long n[3] = {0, 0, 0}, other = 0, bad_late = 0;
	const char *const verdicts[] = {"never", "atomic", "late"};
	const json_t *ex[2], *sum;
	int fixture_pid = -1;
	struct tl_run r;

	if (tl_run(&r, &o, "fx_thread_churn", args) < 0)
		bail("the traced fx_thread_churn run did not finish");
	is_int(r.done_rc, 0, "churn: the fixture finished cleanly under the tracer");
	is_int(r.bad_lines, 0, "churn: every output line is JSON with \"v\":1 and a type");
	for (int i = 0; i < r.nrecs; i++) {
		const json_t *j = r.recs[i];
		const char *v = tj_str(j, "verdict", "");
		int k;

		if (tl_is(j, "start"))
			fixture_pid = (int)tj_int(j, "pid", -1);
		if (!tl_is(j, "fd") || tj_int(j, "pid", -1) != fixture_pid ||
		    strcmp(tj_str(j, "kind", ""), "unix"))
			continue;
		for (k = 0; k < 3 && strcmp(v, verdicts[k]); k++)
			;
		if (k == 3)
			other++;
		else
			n[k]++;
		if (k == 2 &&
		    (tj_int(j, "late_ns", -1) <= 0 || strcmp(tj_str(j, "set_by", ""), "fcntl")))
			bad_late++;
	}
	/* the atomic ones are counted in the kernel, without a record each */
	for (int k = 0; k < 3; k += 2)
		is_int(n[k], 3000, "churn: 3000 unix sockets are %s", verdicts[k]);
	is_int(n[1], 0, "churn: no record for the atomic unix sockets");
	cmp_int(tj_int(tl_last(&r, "summary"), "atomic_counted", -1), ">=", 3000,
		"churn: the kernel counted the 3000 atomic unix sockets");
	is_int(other, 0, "churn: no unix socket has another verdict");
	is_int(bad_late, 0, "churn: every late one has late_ns > 0 and set_by fcntl");
	if (is_int(tl_exec_recs(&r, tl_child_pid(&r), NULL, ex, 2), 1,
		   "churn: one exec record for the child"))
		is_int((long long)tj_len(json_object_get(ex[0], "inherited")), 0,
		       "churn: the child inherited nothing");
	sum = tl_last(&r, "summary");
	is_int(tj_int(sum, "lost", -1), 0, "churn: no records were lost");
	is_int(tj_int(sum, "races", -1), 0, "churn: no races");
	is_int(r.exit_code, 0, "churn: the tracer exits 0");
	if (tap_tests_failed())
		tl_diag_run(&r, "churn");
	tl_free(&r);
}

int main(void)
{
	const char *args[] = {"2000", "3", "20000", NULL};
	struct tl_opts o = {.timeout_ms = 90000};
	int fixture_pid = -1, nsock = 0, nlate = 0, late_ns_ok = 1, matched = 0, spurious = 0;
	int leaked_ok = 1, clean_ok = 1;
	const json_t *sum;
	struct tl_run r;

	tl_start(150);
	plan_lazy();
	if (tl_run(&r, &o, "fx_race", args) < 0)
		bail("the traced fx_race run did not finish");
	is_int(r.done_rc, 0, "race: the fixture finished cleanly under the tracer");
	is_int(r.nstrays, 0, "race: the tracer leaks no fd >= 3 into the command");
	is_int(r.bad_lines, 0, "race: every output line is JSON with \"v\":1 and a type");
	note("race: %d forks, %d caught in the window, %lu sockets churned", r.race_forks,
	     r.race_races, r.race_sockets);
	if (r.race_races < 1)
		diag("race: no fork landed in a window this time: only the negative checks apply");
	is_int(r.exit_code, r.race_races > 0 ? 1 : 0, "race: the tracer exits %d",
	       r.race_races > 0 ? 1 : 0);

	/* Every churned socket is late (the fixture's pid made them). */
	for (int i = 0; i < r.nrecs; i++) {
		const json_t *j = r.recs[i];

		if (tl_is(j, "start"))
			fixture_pid = (int)tj_int(j, "pid", -1);
		if (!tl_is(j, "fd") || tj_int(j, "pid", -1) != fixture_pid ||
		    strcmp(tj_str(j, "syscall", ""), "socket"))
			continue;
		nsock++;
		if (!strcmp(tj_str(j, "verdict", ""), "late")) {
			nlate++;
			late_ns_ok &= tj_int(j, "late_ns", -1) > 0;
		}
	}
	is_int(nsock, (long long)r.race_sockets, "race: one fd record per churned socket (%lu)",
	       r.race_sockets);
	is_int(nlate, nsock, "race: every churned socket is late");
	ok(late_ns_ok, "race: every late socket has late_ns > 0");

	/* One race record per caught child, matching the child's own truth. */
	for (int k = 0; k < r.nraceforks; k++) {
		int found = 0;

		for (int i = 0; i < r.nrecs; i++) {
			const json_t *j = r.recs[i];

			if (!tl_is(j, "race") || tj_int(j, "exec_pid", -1) != r.raceforks[k].pid)
				continue;
			found++;
			is_int(tj_int(j, "ino", -1), (long long)r.raceforks[k].ino,
			       "race: record for child %d names the socket's inode",
			       r.raceforks[k].pid);
			is_int(tj_int(j, "fd", -1), r.raceforks[k].fd,
			       "race: record for child %d names fd %d", r.raceforks[k].pid,
			       r.raceforks[k].fd);
			is_int(tj_int(j, "creator_pid", -1), fixture_pid,
			       "race: the socket's creator is the fixture");
			is_int(tj_int(j, "fork_child", -1), r.raceforks[k].pid,
			       "race: the fork child is %d", r.raceforks[k].pid);
			cmp_int(tj_int(j, "window_ns", -1), ">", 0, "race: window_ns > 0");
		}
		is_int(found, 1, "race: exactly one race record for caught child %d",
		       r.raceforks[k].pid);
		matched += found == 1;
	}
	for (int i = 0; i < r.nrecs; i++) {
		const json_t *j = r.recs[i];
		int racy = 0;

		if (!tl_is(j, "race"))
			continue;
		for (int k = 0; k < r.nraceforks; k++)
			racy |= tj_int(j, "exec_pid", -1) == r.raceforks[k].pid;
		if (!racy) {
			spurious++;
			diag("race record for exec_pid %lld, whose fork held no late fd",
			     tj_int(j, "exec_pid", -1));
		}
	}
	is_int(spurious, 0, "race: no race record for a child that held nothing");
	is_int(tl_count(&r, "race"), r.nraceforks, "race: %d race records in all", r.nraceforks);

	/* The exec records: the caught children leak the late socket, the others nothing. */
	for (int c = 0; c < r.nchildren; c++) {
		const json_t *ex[2];
		int pid = r.children[c].pid, k, n = tl_exec_recs(&r, pid, NULL, ex, 2);

		for (k = 0; k < r.nraceforks && r.raceforks[k].pid != pid; k++)
			;
		if (n != 1) {
			clean_ok = 0;
			diag("child %d has %d exec records", pid, n);
			continue;
		}
		if (k == r.nraceforks) {
			if (tj_len(json_object_get(ex[0], "inherited")) != 0) {
				clean_ok = 0;
				diag("child %d held nothing but the tracer lists %zu fds", pid,
				     tj_len(json_object_get(ex[0], "inherited")));
			}
		} else {
			const json_t *it = tl_inherited(ex[0], r.raceforks[k].fd);

			/* SCHEMA.md: an exec record waits for its creators' final verdicts. */
			if (!it || tj_len(json_object_get(ex[0], "inherited")) != 1 ||
			    strcmp(tj_str(it, "verdict", ""), "leaked") ||
			    tj_int(it, "ino", -1) != (long long)r.raceforks[k].ino ||
			    !json_is_null(json_object_get(it, "reason")) ||
			    strcmp(tj_str(json_object_get(it, "creator"), "verdict", ""), "late")) {
				leaked_ok = 0;
				diag("child %d: fd %d is not listed as a leaked socket created by "
				     "the churn (listed %zu, verdict %s, ino %lld, creator %s)",
				     pid, r.raceforks[k].fd,
				     tj_len(json_object_get(ex[0], "inherited")),
				     tj_str(it, "verdict", "-"), tj_int(it, "ino", -1),
				     tj_str(json_object_get(it, "creator"), "verdict", "-"));
			}
		}
	}
	ok(leaked_ok,
	   "race: each caught child's exec lists the churned socket, leaked, created late");
	ok(clean_ok, "race: every other child's exec inherited nothing");

	sum = tl_last(&r, "summary");
	is_int(tj_int(sum, "races", -1), r.nraceforks, "race: summary races = %d", r.nraceforks);
	is_int(tj_int(sum, "lost", -1), 0, "race: no records were lost");
	is_int(tj_int(sum, "late", -1), nlate, "race: summary late = %d", nlate);
	if (tap_tests_failed())
		tl_diag_run(&r, "race");
	(void)matched;
	tl_free(&r);
	test_thread_churn();
	return done_testing();
}
