// SPDX-License-Identifier: MIT
/*
 * repro_scm_rights - an fd received over SCM_RIGHTS with and without MSG_CMSG_CLOEXEC: only
 * the flagged one stays out of the child.
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
	repro_tap("scm-rights", NULL, NULL, &t);
	repro_tap_finish(&t, 1);
	return done_testing();
}
