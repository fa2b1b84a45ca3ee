// SPDX-License-Identifier: MIT
/*
 * tapdrive.c - the checks every repro_* test makes, per scenario, on the facts
 * repro_run() observed (the same facts the tool prints):
 *   1. the mechanism: the kernel's outcome is the one implied by what the
 *      child's /proc/PID/fd holds (in both directions: held -> busy, not
 *      held -> free);
 *   2. the meaning: inheritable strategies reach the child through a plain
 *      spawn, cloexec ones and the mitigations keep it out (and the parent's
 *      FD_CLOEXEC bit is what the strategy says), and no other fd of the
 *      harness reaches the child;
 *   3. until the child exits: after it is killed the resource is released;
 *   4. the port (or path) is free at the end.
 */
#define _GNU_SOURCE
#include "repro.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int repro_tap(const char *group, const char *strategy, const char *spawn, struct repro_tally *t)
{
	static struct repro_scenario sc[512];
	struct repro_result r;
	int n = repro_select(group, strategy, spawn, sc, 512);

	if (n < 0)
		bail("repro: %s", repro_select_error());
	if (n == 0)
		bail("repro: no scenario for group=%s strategy=%s spawn=%s", group ? group : "all",
		     strategy ? strategy : "all", spawn ? spawn : "all");
	for (int i = 0; i < n; i++) {
		const char *id = sc[i].id;

		repro_run(&sc[i], &r);
		if (r.skipped) {
			skip(4, "%s: %s", id, r.detail);
			t->skipped++;
			continue;
		}
		if (r.error) {
			ok(0, "%s: the scenario ran (%s)", id, r.detail);
			t->errors++;
			continue;
		}
		t->ran++;
		if (r.child_held)
			t->held++;
		else
			t->not_held++;
		if (!r.pass)
			t->failed++;
		is_str(r.observed, r.expected, "%s: %s, as the child %s (%s)", id, r.observed,
		       r.child_held ? "holds the socket" : "does not hold the socket", r.detail);
		if (sc[i].group->kind == RK_PASS && sc[i].strategy->sets_cloexec)
			ok(r.meaning_ok,
			   "%s: the child holds the listener at fd 3 and nothing else "
			   "(held fd %d, %d other fd(s))",
			   id, r.held_fd, r.child_extra);
		else if (sc[i].group->kind == RK_PASS)
			ok(r.meaning_ok,
			   "%s: the inheritable decoy is seen in the child besides fd 3 "
			   "(held fd %d, %d other fd(s))",
			   id, r.held_fd, r.child_extra);
		else
			ok(r.meaning_ok && r.extra_ok,
			   "%s: %s + %s %s the socket to the child (parent FD_CLOEXEC=%d) and "
			   "nothing else (%d other fd(s))",
			   id, sc[i].strategy->name, sc[i].spawn->name,
			   r.leak_expected ? "leaks" : "does not leak", r.parent_cloexec,
			   r.child_extra);
		is_str(r.after, r.after_expected, "%s: after the child was killed: %s", id,
		       r.after_expected);
		ok(r.port_free, "%s: the port or path is free at the end", id);
	}
	return n;
}

void repro_tap_finish(const struct repro_tally *t, int want_both)
{
	char why[512];

	if (want_both && t->ran)
		ok(t->held > 0 && t->not_held > 0,
		   "both directions were exercised: %d run(s) with the socket in the child, %d "
		   "without",
		   t->held, t->not_held);
	int left = repro_leftovers(why, sizeof(why));

	if (repro_leftover_notes()[0])
		diag("%s", repro_leftover_notes());

	ok(left == 0, "nothing left behind (no child, socket, port or path)%s%s", left ? ": " : "",
	   why);
}
