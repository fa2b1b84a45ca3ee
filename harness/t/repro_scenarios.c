// SPDX-License-Identifier: MIT
/*
 * repro_scenarios - the port-reuse bug and its relatives on the real kernel, one row per kind
 * of resource: TCP listeners keep the port while a child holds them (IPv4, IPv6; SO_REUSEADDR
 * does not help; with SO_REUSEPORT the rebind works and the child takes connections meant for
 * the new listener), an accepted connection gives the peer no EOF, a UDP port and an AF_UNIX
 * path stay taken, an fd received over SCM_RIGHTS leaks unless MSG_CMSG_CLOEXEC, and
 * intentional passing done right (Go's ExtraFiles, LISTEN_FDS) gives the child fd 3 and
 * nothing else. Each scenario runs through the shared engine (harness/repro) and is checked
 * four ways: outcome vs what the child holds, the strategy's meaning, release after the child
 * exits, port/path free (harness/repro/tapdrive.c); each row ends with "both directions were
 * exercised" (where it can) and "nothing left behind".
 */
#define _GNU_SOURCE
#include "lab.h"
#include "repro.h"
#include "tap.h"

static const struct rcase {
	const char *what;   /* what the row shows */
	const char *groups; /* comma-separated scenario groups (cloexec-repro --list) */
	int want_both;	    /* some runs leak and some do not */
} rcases[] = {
    {
	.what = "TCP listeners keep their port",
	.groups = "tcp4-listener,tcp6-listener,tcp4-reuseaddr,tcp4-reuseport",
	.want_both = 1,
    },
    {
	.what = "an inherited accepted connection gives the peer no EOF",
	.groups = "tcp4-accepted,tcp6-accepted",
	.want_both = 1,
    },
    {
	.what = "a UDP port and an AF_UNIX path stay taken",
	.groups = "udp4-socket,unix-listener",
	.want_both = 1,
    },
    {
	.what = "an fd received over SCM_RIGHTS",
	.groups = "scm-rights",
	.want_both = 1,
    },
    {
	.what = "intentional passing: the listener at fd 3 and nothing else",
	.groups = "pass-fd3",
    },
};

int main(void)
{
	char why[512];

	tap_timeout(300);
	lab_clean_fds(0);
	if (repro_init(why, sizeof(why)) < 0)
		bail("%s", why);
	plan_lazy();
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		struct repro_tally t = {0};

		note("%s (%s)", rcases[i].what, rcases[i].groups);
		repro_tap(rcases[i].groups, NULL, NULL, &t);
		repro_tap_finish(&t, rcases[i].want_both);
	}
	return done_testing();
}
