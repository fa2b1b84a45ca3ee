// SPDX-License-Identifier: MIT
/*
 * trace_fixtures - the truth fixtures proved without the tracer: each one runs
 * alone and must report the close-on-exec bit the table in trace_lib.h expects
 * at creation, and its exec'd fx_child must hold exactly the fds the table says
 * survive exec (seen from inside by fx_child, and from outside in /proc/PID/fd
 * while it blocks). The race fixture must catch forks in the window, and each
 * caught child must hold the socket. Needs no privilege.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

static void check_hold(void)
{
	const struct tl_case *tc = NULL;
	struct tl_opts o = {.direct = 1, .hold = 1};
	struct tl_run r;
	int agree = 1, child;

	for (int i = 0; i < tl_ncases; i++)
		if (!strcmp(tl_cases[i].fixture, "fx_dupfd"))
			tc = &tl_cases[i];
	if (!tc)
		bail("no fx_dupfd case in the table");
	if (tl_run(&r, &o, tc->fixture, tc->args) < 0)
		bail("fx_dupfd --hold did not finish");
	child = tl_child_pid(&r);
	is_int(r.proc_pid, child, "--hold: /proc of the exec'd child %d was read while it lived",
	       child);
	/* /proc/PID/fd from outside = fx_child's own list from inside. */
	for (int h = 0; h < r.nheld; h++) {
		int found = 0;

		for (int p = 0; p < r.proc_n; p++)
			if (r.proc_fd[p] == r.held[h].fd &&
			    !strcmp(r.proc_target[p], r.held[h].target))
				found = 1;
		agree &= found;
	}
	ok(agree && r.proc_n == r.nheld && r.nheld == 2,
	   "--hold: /proc/%d/fd shows the same %d fds as fx_child reported (%d)", child, r.proc_n,
	   r.nheld);
	tl_check_truth(&r, tc);
	tl_free(&r);
}

static void check_race(void)
{
	const char *args[] = {"3000", "3", "20000", NULL};
	struct tl_opts o = {.direct = 1};
	struct tl_run r;
	int held_ok = 1, clean_ok = 1;

	if (tl_run(&r, &o, "fx_race", args) < 0)
		bail("fx_race did not finish");
	is_int(r.done_rc, 0, "race: the fixture finished cleanly");
	is_int(r.nexecs, r.race_forks, "race: one exec line per fork (%d)", r.race_forks);
	is_int(r.nchildren, r.race_forks, "race: every forked child exec'd fx_child");
	is_int(r.nraceforks, r.race_races, "race: each caught fork reported itself");
	cmp_int(r.race_races, ">=", 1, "race: the window was hit at least once in %d forks",
		r.race_forks);
	for (int c = 0; c < r.nchildren; c++) {
		int pid = r.children[c].pid, racy = -1;

		for (int k = 0; k < r.nraceforks; k++)
			if (r.raceforks[k].pid == pid)
				racy = k;
		if (racy < 0) {
			clean_ok &= r.children[c].n == 0;
			continue;
		}
		for (int h = 0; h < r.nheld; h++) {
			char t[64];

			if (r.held[h].pid != pid)
				continue;
			snprintf(t, sizeof(t), "socket:[%llu]", r.raceforks[racy].ino);
			held_ok &=
			    r.held[h].fd == r.raceforks[racy].fd && !strcmp(r.held[h].target, t);
		}
		held_ok &= r.children[c].n == 1;
	}
	ok(held_ok, "race: every caught child holds exactly the socket it saw before exec");
	ok(clean_ok, "race: every other child holds nothing");
	tl_free(&r);
}

int main(void)
{
	char p[PATH_MAX];

	tl_begin(60);
	tl_path("t/helpers/fx_child", p, sizeof(p));
	plan_lazy();
	for (int i = 0; i < tl_ncases; i++) {
		const struct tl_case *tc = &tl_cases[i];
		struct tl_opts o = {.direct = 1};
		struct tl_run r;

		if (tl_run(&r, &o, tc->fixture, tc->args) < 0)
			ok(0, "%s: the fixture finished in time", tc->name);
		else
			tl_check_truth(&r, tc);
		tl_free(&r);
	}
	check_hold();
	check_race();
	return done_testing();
}
