// SPDX-License-Identifier: MIT
/*
 * repro_spawn - the spawn-method view: inheritable (plain) listeners of every
 * kind through fork+exec, vfork+exec and posix_spawn reach the child; the
 * mitigations in the child (close_range(CLOSE_RANGE_CLOEXEC), closefrom(3),
 * posix_spawn_file_actions_addclosefrom_np) keep every one of them out.
 * Per scenario the usual four checks (harness/repro/tapdrive.c), then one
 * statement per spawn method over all its runs.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "repro.h"
#include "tap.h"

#include <string.h>

int main(void)
{
	static const char *const groups = "tcp4-listener,tcp6-listener,udp4-socket,unix-listener";
	struct repro_tally all = {0};
	char why[512];
	int passing = 0, mitigating = 0; /* methods whose scenarios ran and held what they must */

	tap_timeout(120);
	lab_clean_fds(0);
	if (repro_init(why, sizeof(why)) < 0)
		bail("%s", why);
	plan_lazy();
	for (const struct repro_spawn *sp = repro_spawns; sp->name; sp++) {
		struct repro_tally t = {0};

		repro_tap(groups, "plain", sp->name, &t);
		if (!t.ran && !t.errors && t.skipped)
			skip(1, "%s: every scenario was skipped (see above)", sp->name);
		else if (sp->mitigates)
			mitigating +=
			    ok(t.ran > 0 && t.held == 0,
			       "%s keeps every inheritable socket out of the child (%d of "
			       "%d held one)",
			       sp->name, t.held, t.ran);
		else
			passing += ok(t.ran > 0 && t.held == t.ran,
				      "%s passes every inheritable socket to the child (%d of %d "
				      "held one)",
				      sp->name, t.held, t.ran);
		all.ran += t.ran;
		all.held += t.held;
		all.not_held += t.not_held;
	}
	/* what ran, not what the table lists: a method whose scenarios all skipped counts not */
	cmp_int(passing, ">=", 3,
		"fork, vfork and posix_spawn ran and passed the sockets on (%d methods)", passing);
	cmp_int(mitigating, ">=", 3, "three mitigations ran and kept the sockets out (%d methods)",
		mitigating);
	repro_tap_finish(&all, 1);
	return done_testing();
}
