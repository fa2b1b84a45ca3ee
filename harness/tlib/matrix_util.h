/* SPDX-License-Identifier: MIT */
/*
 * matrix_util.h - the runtime-matrix tests' library (harness/t/matrix_*.c; code in matrix_util.c
 * of the test library).
 *
 * mx_setup() checks what the tests need (BPF usable: else SKIP; our tracer and runner built:
 * else bail). mx_run() runs fixtures/run_matrix.py for some runtimes with the tracer, keeps the
 * traces, and parses the matrix JSON (mx_run_args(): another tracer, more runner arguments).
 * mx_check_row() then re-derives every verdict from the raw observation and the raw trace instead
 * of trusting the runner's own "tracer_agrees":
 *   - the rebind failed  <=> some process still held the listener (from /proc)
 *   - the tracer says the final child inherited the listener/connection
 *     <=> the child's /proc/PID/fd held it
 *   - the runner's socket/accept cells are the verdicts of the trace records with those inodes.
 * mx_drive() runs a fixture directly, without tracer or runner, and observes it from C.
 */
#ifndef CLOEXEC_LAB_MATRIX_UTIL_H
#define CLOEXEC_LAB_MATRIX_UTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "tjson.h"
#include "lab.h"
#include "tap.h"

struct mx {
	char build[PATH_MAX]; /* absolute build directory */
	char root[PATH_MAX];  /* repository root (holds fixtures/run_matrix.py) */
	char tmp[PATH_MAX];   /* scratch directory, removed by mx_cleanup */
	json_t *doc;	      /* the parsed matrix JSON */
	int expect_fail;      /* the next run is expected to fail: do not echo its log */
};

/* Facts re-read from the raw trace (JSON Lines) for one row. */
struct mx_trace {
	int records;
	char socket_verdict[16]; /* verdict of the socket() record with the listener's ino */
	char accept_syscall[16]; /* syscall of the accept record with the connection's ino */
	char accept_verdict[16];
	int child_execs;    /* exec records of the observed final child pids */
	int child_listener; /* the final child's last exec inherited the listener */
	int child_conn;
	char child_listener_verdict[16]; /* leaked|passed; leaked when any copy of it leaked */
	char listener_fd3_verdict[16];	 /* the child's entry for the listener at fd 3, if any */
	char listener_fd3_reason[16];	 /* why it was passed: LISTEN_FDS|--allow|child|... */
	int other_passed;     /* the child's passed entries other than the listener at fd 3 */
	char child_spawn[16]; /* spawn of the first exec of a final child pid */
	long long child_spawn_t;
	int passed_any; /* passed entries in any exec record of the trace */
	int has_summary;
	/* the execs on the way to the final child (a shell, jspawnhelper, a Go child): every exec
	 * record but the last of each final child pid, with their fates applied (fate records) */
	int helper_execs;
	int helper_inh;		       /* fds they inherited */
	int helper_helper;	       /* ... with the final verdict helper */
	int helper_closed_before_exec; /* ... whose fate is closed_before_exec */
	char helper_fd3_verdict[16];   /* a helper's entry for the listener at fd 3, if any */
	char helper_fd3_reason[16];
	char helper_fd3_fate[24];
	char child_listener_fate[24];		  /* the final child's listener entry's fate */
	long long summary_helper, summary_leaked; /* the trace's summary */
};

/* --- driving a fixture directly (no tracer, no runner) ---------------------------------- */

struct mx_direct {
	pid_t server, child;
	char listener[64]; /* socket:[ino] of the server's listener */
	int child_holds_listener;
	char rebind[256];
};

/*
 * Find the build dir and the repository root; bail on missing parts of ours. Returns 1 when BPF
 * tracing can run, else 0 with the reason in why (the caller skips).
 */
int mx_setup(struct mx *m, char *why, size_t whylen);
/*
 * The start of a matrix test: clean fds, bounded by timeout_s, mx_setup (SKIP all with the
 * reason when BPF tracing cannot run), plan_lazy.
 */
void mx_begin(struct mx *m, unsigned timeout_s);
void mx_cleanup(struct mx *m);
/*
 * Run the matrix runner for the comma-separated runtimes in only, with the tracer given (NULL:
 * our build's) and extra runner arguments (NULL-terminated, or NULL). Returns the runner's exit
 * status (0 agree, 1 disagreement/error, 3 environment) and leaves the parsed JSON in m->doc.
 */
int mx_run_args(struct mx *m, const char *only, const char *tracer, const char *const extra[],
		int timeout_s);
/* The same with our own build's tracer. */
int mx_run(struct mx *m, const char *only, int timeout_s);
/* The matrix row for a runtime, or NULL. */
const json_t *mx_row(const struct mx *m, const char *name);
/* Whether a JSON array of strings holds s. */
int mx_has(const json_t *arr, const char *s);
/* "socket:[123]" -> 123, else -1. */
long long mx_ino(const char *identity);
/* Whether any final child's /proc/PID/fd (as recorded by the runner) held name (at fd). */
int mx_proc_child_holds(const json_t *row, const char *name);
int mx_proc_child_holds_at(const json_t *row, const char *name, long long fd);
/*
 * The checks every runtime must pass (10 tests): the row ran, the trace is complete, and the
 * tracer, the child's /proc and the rebind tell the same story. Returns 1 when the row ran, 0
 * when it was skipped (runtime not installed).
 */
int mx_check_row(const json_t *row, const char *name, struct mx_trace *t);
/*
 * Start argv (with the port appended), connect, follow the protocol to REBIND, and observe the
 * child's /proc/PID/fd. Kills and reaps everything before returning. 0 ok, -1 on a protocol
 * failure, -2 when the fixture did not listen (the port may have been taken: retry).
 */
int mx_drive(char *const argv_in[], struct mx_direct *d);
/*
 * A row with no hand-over declared: mx_check_row, then nothing may count as passed in the row
 * or in any exec record of its trace, and the version and spawn method are known (14 tests).
 */
void mx_check_plain(const json_t *row, const char *name);
/*
 * The whole test for runtimes with no hand-over: run the rows (comma-separated names) in one
 * runner call bounded by timeout_s, then check each (mx_check_row, nothing passed, version and
 * spawn method known).
 */
int mx_main_plain(const char *rows, int timeout_s);

#endif
