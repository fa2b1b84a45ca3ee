/* SPDX-License-Identifier: MIT */
/*
 * ct_sarif.h - cloexec-trace's SARIF 2.1.0 log (--sarif FILE): one run, the tool with a rule
 * per kind of finding, and one result per finding, located at the innermost frame outside libc
 * and the loader that has a source line (code scanning annotates that line), with the whole
 * user stack as the result's stack. ct_sarif.c writes it from findings given in this form;
 * ct_sarif_feed.c makes them from the tracer's records.
 */
#ifndef CLOEXEC_TRACE_SARIF_H
#define CLOEXEC_TRACE_SARIF_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_stack.h"

/* The rules: one per kind of finding (the --fail-on words). */
enum ct_sarif_rule {
	CT_SARIF_LEAKED, /* an fd survived exec into a program that was not meant to get it */
	CT_SARIF_LATE,	 /* close-on-exec set after creation: a race window */
	CT_SARIF_NEVER,	 /* made without close-on-exec and never given it */
	CT_SARIF_RACE,	 /* a fork+exec landed inside a late fd's window */
	CT_SARIF_HELPER, /* leaked into a program that closed it before its own exec */
	CT_SARIF_NRULES
};

/* One finding. The strings and the stack are copied (referenced) by ct_sarif_add. */
struct ct_sarif_finding {
	enum ct_sarif_rule rule;
	bool error;	     /* a kind in --fail-on: level "error" (else its default) */
	const char *message; /* one or two sentences: what, where, into which program */
	const struct ct_stack
	    *stack; /* where the fd was made (or its flag cleared); NULL: unknown */
	int fd;
	uint32_t pid;	       /* the process that made the fd */
	const char *comm;      /* its comm */
	const char *syscall;   /* the call that made it */
	uint32_t exec_pid;     /* leaked/helper/race: the process that exec'd holding it; 0: none */
	const char *exec_file; /* and the program it became; NULL: none */
};

/* The run's end, for the invocation object. */
struct ct_sarif_end {
	int exit_code;
	unsigned long lost;	     /* records the kernel could not queue */
	unsigned long stack_skipped; /* stacks the kernel did not take */
	bool timed_out;
	int signal;    /* the signal that ended the trace; 0: none */
	bool complete; /* the trace ran to its planned end (not a signal, not CMD's --timeout) */
};

/* Open FILE for the log now (an error: false, errno set), with the command line. */
bool ct_sarif_open(const char *path, int argc, char **argv);
bool ct_sarif_on(void);
void ct_sarif_add(const struct ct_sarif_finding *f);
/* Write the log and close it: 0, or an errno. */
int ct_sarif_close(const struct ct_sarif_end *end);

/* The rule's id ("leaked", ...), for tests and the feed. */
const char *ct_sarif_rule_id(enum ct_sarif_rule r);

#endif
