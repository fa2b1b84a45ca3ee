/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the ground of cloexec-bench, below every benchmark file (bench.c): failures
 * reported through bench_fail (a real failure) or bench_env_skip (the environment lacks
 * something: not root, no IPv6, tracer not built) so main() can pick the exit code, the fd
 * flag read back, and the fd limit main() set. The families' registrations, what main()
 * wires, are in families.h.
 */
#ifndef CLOEXEC_LAB_BENCH_H
#define CLOEXEC_LAB_BENCH_H

#include "gbench.h"

/* Skip the current run as failed: "<what>: <strerror(err)>". */
void bench_fail(gb_state *s, const char *what, int err);
/* Skip the current run because the environment cannot run it; counted apart. */
void bench_env_skip(gb_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Number of environment skips so far (main compares with the binding's errors). */
long bench_env_skips(void);

/* Whether fd has FD_CLOEXEC set (1), not (0), or cannot be read (-1). */
int bench_is_cloexec(int fd);

/*
 * With this variable in its environment cloexec-bench only counts the fds >= 3 it
 * was started with and exits with that number (at most 125): how the spawn
 * benchmarks check that a child was left none.
 */
#define BENCH_COUNT_FDS_ENV "CLOEXEC_BENCH_COUNT_FDS"

/* The fd limit main() raised RLIMIT_NOFILE to. */
extern long bench_nofile;

#endif
