// SPDX-License-Identifier: MIT
/*
 * repro_tcp - TCP listeners (IPv4, IPv6) inherited by a child keep the port: rebind gives
 * EADDRINUSE exactly when the child holds the listener; SO_REUSEADDR does not help;
 * with SO_REUSEPORT the rebind works and the child takes connections meant for the
 * new listener.
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
	repro_tap("tcp4-listener", NULL, NULL, &t);
	repro_tap("tcp6-listener", NULL, NULL, &t);
	repro_tap("tcp4-reuseaddr", NULL, NULL, &t);
	repro_tap("tcp4-reuseport", NULL, NULL, &t);
	repro_tap_finish(&t, 1);
	return done_testing();
}
