// SPDX-License-Identifier: MIT
/*
 * repro_accept - an accepted connection inherited by a child: after the parent closes it the
 * peer sees no EOF until the child exits (accept vs accept+fcntl vs accept4), IPv4 and IPv6.
 * Each scenario runs through the shared engine (harness/repro) and is checked
 * four ways: outcome vs what the child holds, the strategy's meaning, release
 * after the child exits, port/path free (see harness/repro/tapdrive.c).
 */
#define _GNU_SOURCE
#include "lab.h"
#include "repro.h"
#include "tap.h"

int main(void)
{
	struct repro_tally t = { 0 };
	char why[512];

	tap_timeout(120);
	lab_clean_fds(0);
	if (repro_init(why, sizeof(why)) < 0)
		bail("%s", why);
	plan_lazy();
	repro_tap("tcp4-accepted", NULL, NULL, &t);
	repro_tap("tcp6-accepted", NULL, NULL, &t);
	repro_tap_finish(&t, 1);
	return done_testing();
}
