// SPDX-License-Identifier: MIT
/*
 * repro_race - the cloexec race on the real kernel: one thread creates sockets
 * with socket()+fcntl(F_SETFD) while this thread forks and execs a helper that
 * reports its fds. Within a bounded run the non-atomic way leaks (some children
 * hold a socket); SOCK_CLOEXEC never leaks over the same number of spawns.
 * A run without a leak is extended (bounded) and then reported as a failure
 * with its numbers: it is a real race and must show on a multi-core machine.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "repro.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#define SPAWNS	2000
#define MAX_MS	15000
#define RETRIES 2

int main(void)
{
	struct repro_race r[2];
	char why[512];
	long cpus;
	int left;

	tap_timeout(170);
	lab_clean_fds(0);
	if (repro_init(why, sizeof(why)) < 0)
		bail("%s", why);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 2)
		skip_all("one CPU online: the creating thread and the forking thread never run at "
			 "the same time, so the window cannot be hit reliably");
	plan(9);
	repro_race_compare(SPAWNS, MAX_MS, RETRIES, r);
	for (int i = 0; i < 2; i++)
		note("%s: %d leaks in %d spawns (%.3f%%), %lld sockets created, %lld ms; %s",
		     r[i].strategy, r[i].leaks, r[i].spawns, 100.0 * r[i].rate, r[i].sockets,
		     r[i].duration_ms, r[i].detail);
	ok(!r[0].error, "socket+fcntl run completed (%s)", r[0].detail);
	cmp_int(r[0].spawns, ">=", 100, "socket+fcntl: enough spawns to mean something");
	cmp_int(r[0].sockets, ">", r[0].spawns, "the creating thread really ran during the spawns");
	cmp_int(r[0].leaks, ">", 0,
		"socket+fcntl leaks: %d of %d children held a socket (rate %.4f) within %d ms",
		r[0].leaks, r[0].spawns, r[0].rate, (int)r[0].duration_ms);
	ok(!r[1].error, "SOCK_CLOEXEC run completed (%s)", r[1].detail);
	is_int(r[1].spawns, r[0].spawns, "SOCK_CLOEXEC ran the same number of spawns");
	cmp_int(r[1].sockets, ">", r[1].spawns,
		"the creating thread really ran during the SOCK_CLOEXEC spawns too");
	is_int(r[1].leaks, 0,
	       "SOCK_CLOEXEC never leaks: 0 of %d children held a socket "
	       "(%lld sockets created meanwhile)",
	       r[1].spawns, r[1].sockets);
	left = repro_leftovers(why, sizeof(why));
	ok(left == 0, "nothing left behind (no child, no socket)%s%s", left ? ": " : "", why);
	return done_testing();
}
