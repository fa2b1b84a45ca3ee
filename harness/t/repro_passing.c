// SPDX-License-Identifier: MIT
/*
 * repro_passing - intentional passing done right: the Go ExtraFiles pattern and systemd's
 * LISTEN_FDS/LISTEN_PID. The child holds the listener at fd 3 and nothing else and
 * serves a connection on it.
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

	tap_timeout(60);
	lab_clean_fds(0);
	if (repro_init(why, sizeof(why)) < 0)
		bail("%s", why);
	plan_lazy();
	repro_tap("pass-fd3", NULL, NULL, &t);
	repro_tap_finish(&t, 0);
	return done_testing();
}
