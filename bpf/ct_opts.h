/* SPDX-License-Identifier: MIT */
/*
 * ct_opts.h - cloexec-trace's command line: the options, parsed once by parse_args().
 */
#ifndef CLOEXEC_TRACE_OPTS_H
#define CLOEXEC_TRACE_OPTS_H

#include <stdbool.h>
#include <sys/types.h>

#define TOOL	"cloexec-trace"
#define VERSION "0.1"

/* Exit codes */
#define EX_OK	   0
#define EX_FINDING 1
#define EX_USAGE   2
#define EX_ENV	   3
/* with -- CMD (the conventions of timeout(1), env(1) and shells) */
#define EX_TIMEOUT 124 /* --timeout ended the trace of CMD */
#define EX_NOEXEC  126 /* CMD was found but could not be run */
#define EX_NOCMD   127 /* CMD was not found */
#define EX_SIGBASE 128 /* + N: signal N ended CMD, or the trace */

#define MAX_ALLOW 64

struct opts {
	bool json;
	const char *output;
	pid_t pid;
	unsigned fail_on; /* bits of ct_fail_kinds[] */
	int allow_fd[MAX_ALLOW];
	int n_allow_fd;
	const char *allow_comm[MAX_ALLOW];
	int n_allow_comm;
	long linger_ms;
	long fate_wait_ms; /* --fate-wait: an exec record waits at most this long for fates */
	long timeout_s;
	long ring_kb;
	int verbose;
	bool quiet;	   /* text: leave out atomic fds and execs that inherited nothing */
	int ready_fd;	   /* --ready-fd: "ready\n" once attached, then closed; -1: none */
	bool keep_fds;	   /* --keep-fds: CMD inherits our caller's fds, reported as passed */
	bool all_fds;	   /* --all-fds: a record for every fd (atomic ones too), not a count */
	int stack_depth;   /* --stack-depth: frames per stack; 0: --no-stacks */
	long stack_bytes;  /* --stack-bytes: user stack copied per stack */
	const char *sarif; /* --sarif FILE: a SARIF 2.1.0 log of the findings */
	const char *junit; /* --junit FILE: the findings as JUnit XML */
	int findings_exit; /* --findings-exit N: the exit status for findings (1) */
	char **cmd;
};

extern struct opts opt;

/* Parse argv into opt; exits 2 with one line on a usage error, 0 after --help/--version. */
void parse_args(int argc, char **argv);

/* The field fmt scans (e.g. "Tgid: %d") from /proc/PID/status into out ("self" for us). */
bool proc_status(const char *pid, const char *fmt, void *out);

/* Whether process pid has ended: no such process, or a zombie. */
bool pid_gone(pid_t pid);

#endif
