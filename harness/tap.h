/* SPDX-License-Identifier: MIT */
/*
 * tap.h - a small Test Anything Protocol producer for C tests.
 *
 * One TAP stream per process tree: the process that calls plan()/plan_lazy()
 * owns the stream and prints the summary at exit; forked children that exit
 * do not (they must not call ok() either: report results to the parent
 * through a pipe or the exit status).
 *
 *   plan(3);                         or plan_lazy(); ... done_testing();
 *   ok(x == 1, "x is one");
 *   is_int(got, 4, "four sockets were leaked");
 *   is_str(s, "atomic", "fd 3 is classified atomic");
 *   skip(2, "needs IPv6");           skip_all("not root");
 *   skip_begin("no record"); ...checks...; skip_end();
 *   diag("value %d", v);             bail("cannot fork: %s", strerror(errno));
 */
#ifndef CLOEXEC_LAB_TAP_H
#define CLOEXEC_LAB_TAP_H

#include <stdarg.h>

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define TAP_NORETURN	 __attribute__((noreturn))

/* Declare the number of tests up front. */
void plan(int n);
/* No plan up front: the plan line is printed by done_testing() or at exit. */
void plan_lazy(void);
/* Nothing to run here: prints "1..0 # SKIP reason" and exits 0. */
void skip_all(const char *fmt, ...) TAP_PRINTF(1, 2) TAP_NORETURN;

/* Each returns its verdict (1 pass, 0 fail) so callers can add diagnostics. */
int ok(int pass, const char *fmt, ...) TAP_PRINTF(2, 3);
int is_int(long long got, long long want, const char *fmt, ...) TAP_PRINTF(3, 4);
int is_str(const char *got, const char *want, const char *fmt, ...) TAP_PRINTF(3, 4);
/* Passes when got compares to want with op: one of < <= == != >= >. */
int cmp_int(long long got, const char *op, long long want, const char *fmt, ...) TAP_PRINTF(4, 5);

/* Record n skipped tests with a reason. */
void skip(int n, const char *fmt, ...) TAP_PRINTF(2, 3);
/*
 * Until skip_end(), every check reports "ok N # SKIP reason" without looking at its
 * condition: a group of checks whose subject is missing skips exactly as many checks as
 * it has. skip_end() without skip_begin() does nothing.
 */
void skip_begin(const char *fmt, ...) TAP_PRINTF(1, 2);
void skip_end(void);
/* Mark the next test as TODO (expected to fail); NULL clears it. */
void todo(const char *reason);

/* A "# ..." line on stderr (never interferes with the TAP stream). */
void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
/* A "# ..." line on stdout (part of the stream, for verbose output). */
void note(const char *fmt, ...) TAP_PRINTF(1, 2);
/* "Bail out! reason" and exit 255: the whole run stops. */
void bail(const char *fmt, ...) TAP_PRINTF(1, 2) TAP_NORETURN;

/* For a lazy plan: print "1..N" now. Returns the exit status exit() would use. */
int done_testing(void);
/* The exit status so far: 0 all passed, else number failed (max 254). */
int exit_status(void);
/* Number of tests run/failed so far. */
int tap_tests_run(void);
int tap_tests_failed(void);

/*
 * Bound the whole test: after seconds, print "Bail out! timeout" (naming the
 * test), kill the process group's children the test registered via
 * tap_track_child(), and exit.
 */
void tap_timeout(unsigned seconds);
/* Remember a child pid so a timeout or bail kills and reaps it. */
void tap_track_child(int pid);
void tap_untrack_child(int pid);

#endif
