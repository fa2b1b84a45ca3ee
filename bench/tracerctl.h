/* SPDX-License-Identifier: MIT */
/*
 * tracerctl.h - start and stop the BPF programs a benchmark runs beside: cloexec-trace
 * (-p PID, JSON to a file or a pipe, --ready-fd) or cloexec-floor (the empty tp_btf/sys_exit
 * program, the floor of any syscall tracer). Both say "ready" on a pipe once attached, so
 * timing starts only then; stopping is SIGINT and a bounded wait4, which also gives the
 * program's rusage (max RSS, CPU). The tracer's summary record (its JSON's last line) gives
 * what it counted and lost; it is also kept as it was written, for readers that want more of
 * it. Which tracer runs is the caller's choice (tc_opts.path: main's tracer beside this one).
 * Shared by cloexec-bench (bench/trace.c) and cloexec-load (bench/load*.c); no Google
 * Benchmark here. Errors come back as one sentence in why.
 */
#ifndef CLOEXEC_LAB_TRACERCTL_H
#define CLOEXEC_LAB_TRACERCTL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

enum tc_kind { TC_NONE, TC_FLOOR, TC_TRACER };

/* The tracer's summary record (bpf/SCHEMA.md, version 2 or later); -1 where a field is absent. */
struct tc_summary {
	long long v, fds, atomic, late, never, execs, lost, records;
	/* summary.stacks.taken, .skipped, .unwound (-1: stacks off, or not in this version) */
	long long stacks, stacks_skipped, stacks_unwound;
};

/*
 * A reader thread that drains a pipe as fast as it fills: counts the bytes and keeps the
 * last bytes (the summary line is the JSON's last line), so a long trace needs no disk.
 */
#define TC_TAIL 8192

/*
 * With scan set (before tc_start), the sink also reads the JSON Lines it drains: a finding is a
 * record that tells a user to fix something (an fd record of an fd made without the flag, a
 * site record, a race, an exec record with a leaked fd), and it should carry its creation's
 * stack (at least one frame) with file:line where debug information exists.
 */
struct tc_scan {
	uint64_t lines, findings, with_stack, with_line;
};

struct tc_sink {
	int rfd;
	pthread_t th;
	int running;
	uint64_t bytes;
	char tail[TC_TAIL + 1]; /* + a NUL */
	size_t tail_len;
	int scan;	      /* count findings (tc_scan); set before tc_sink_open */
	struct tc_scan found; /* valid after tc_sink_close */
	char *line;	      /* scan: the line being read */
	size_t line_len, line_cap;
};

struct tc_opts {
	enum tc_kind kind;
	const char *path;	  /* the program to run; NULL: tc_path(kind) */
	pid_t target;		  /* TC_TRACER: -p target */
	const char *const *extra; /* more tracer arguments (NULL-terminated), or NULL */
	struct tc_sink *json;	  /* TC_TRACER: JSON into this sink; NULL: an unlinked temp file */
	struct tc_sink *text;	  /* the program's stdout into this sink; NULL: /dev/null */
	/*
	 * tc_stop first waits this long for the tracer to end by itself (its -p target is gone)
	 * before it sends SIGINT: a signal that interrupts the tracer's write to a full pipe
	 * makes it fail ("failed to write output: Interrupted system call", exit 3).
	 */
	int self_exit_ms;
};

struct tc {
	enum tc_kind kind;
	pid_t pid;
	int out; /* the JSON temp file (TC_TRACER without a json sink), else -1 */
	struct tc_sink *json, *text;
	double start_s;	    /* fork to "ready" */
	double ready_cpu_s; /* the program's CPU time when it said "ready" (its start-up) */
	int self_exit_ms;
};

struct tc_result {
	int status;	  /* wait status */
	struct rusage ru; /* of the program (ru_maxrss in KiB) */
	int have_summary; /* TC_TRACER: 1 when the summary was read */
	struct tc_summary sum;
	char summary[TC_TAIL + 1];	 /* the summary line as written ("" when none) */
	uint64_t json_bytes, text_bytes; /* what the sinks or the temp file received */
	double cpu_s;			 /* user + system CPU of the program (wait4) */
	double startup_cpu_s;		 /* of which before "ready" */
	struct tc_scan found;		 /* the JSON sink's scan (when it had scan set) */
};

/* Path of the program of kind k (build/cloexec-trace, build/bench/cloexec-floor). */
const char *tc_path(enum tc_kind k, char *buf, size_t len);
/*
 * A tracer named by the user (--tracer PATH): one line in why when it is not an executable
 * file. 0 when it is.
 */
int tc_check_program(const char *path, char *why, size_t len);
/* CPU seconds (user + system) a live process of ours has used so far, all its threads; -1. */
double tc_proc_cpu_s(pid_t pid);
/* "untraced", "floor", "tracer". */
const char *tc_kind_name(enum tc_kind k);

/*
 * Start the program and wait for its "ready" line (30 s at most). 0 when attached; -1 with
 * why filled (and everything reaped) when not. TC_NONE starts nothing.
 */
int tc_start(struct tc *t, const struct tc_opts *o, char *why, size_t len);
/*
 * SIGINT, wait (10 s, then SIGKILL), drain the sinks, read the summary (TC_TRACER). 0 when the
 * program ended normally (the tracer: exit 0 or 1, with a summary); -1 with why. r may be NULL.
 */
int tc_stop(struct tc *t, struct tc_result *r, char *why, size_t len);

/* Sinks: tc_sink_open gives the write end (O_CLOEXEC) to hand to a child. */
int tc_sink_open(struct tc_sink *s, int *wfd);
/* Join the reader (the write ends must be closed); 0 or -1 with errno. */
int tc_sink_close(struct tc_sink *s);

/* Parse one summary line; 0 when it is a summary record. */
int tc_parse_summary(const char *line, struct tc_summary *sum);

#endif
