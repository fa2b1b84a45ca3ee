// SPDX-License-Identifier: MIT
/*
 * create.c - the loop shared by the fd-creation benchmarks (see create.h).
 * Before timing, one fd from the variant is checked for FD_CLOEXEC, so a
 * variant that does not do its job fails instead of looking fast.
 */
#define _GNU_SOURCE
#include "create.h"
#include "bench.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

void bench_create(gb_state *s, void *user)
{
	const struct create_case *c = user;
	uint64_t n = 0;
	int fds[2], k;

	/* Check the variant does what it claims, outside the timed region. */
	k = c->make(c, fds);
	if (k < 0) {
		int err = errno;

		if (err == EAFNOSUPPORT || err == EPROTONOSUPPORT)
			bench_env_skip(s, "%s: %s", c->what, "address family not supported here");
		else
			bench_fail(s, c->what, err);
		return;
	}
	for (int i = 0; i < k; i++) {
		int cl = bench_is_cloexec(fds[i]);

		close(fds[i]);
		if (cl != 1) {
			gb_skip_with_error(s, "variant left the fd without FD_CLOEXEC");
			return;
		}
	}

	while (gb_keep_running_batch(s, &n)) {
		for (uint64_t i = 0; i < n; i++) {
			k = c->make(c, fds);
			if (k < 0) {
				bench_fail(s, c->what, errno);
				return;
			}
			close(fds[0]);
			if (k > 1)
				close(fds[1]);
		}
	}
	gb_set_items_processed(s, (int64_t)gb_iterations_done(s));
}
