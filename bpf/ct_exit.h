/* SPDX-License-Identifier: MIT */
/*
 * ct_exit.h - cloexec-trace's exit status (ct_exit.c): the table of README, SCHEMA.md and
 * --help, decided in one function from how the trace and the command ended and what was found.
 */
#ifndef CLOEXEC_TRACE_EXIT_H
#define CLOEXEC_TRACE_EXIT_H

#include <stdbool.h>

#include "ct_decide.h"

/* Which row of the exit-status table set the exit status (the first that applies). */
enum ct_exit_reason {
	CT_EXIT_CLEAN,	    /* 0 */
	CT_EXIT_FINDINGS,   /* --findings-exit (1): a --fail-on kind was found */
	CT_EXIT_CMD_EXIT,   /* CMD's own exit status, not 0 */
	CT_EXIT_CMD_SIGNAL, /* 128+N: CMD was killed by signal N */
	CT_EXIT_SIGNAL,	    /* 128+N: signal N (SIGINT, SIGTERM) ended the trace */
	CT_EXIT_TIMEOUT,    /* 124: --timeout ended a trace of -- CMD */
	CT_EXIT_OUTPUT,	    /* 3: an output file could not be written */
};

/* How the run ended. */
struct ct_exit_in {
	bool cmd;	   /* a trace of -- CMD */
	int cmd_status;	   /* CMD's exit code or -signal; INT_MIN: not reaped */
	int stop_sig;	   /* the signal that ended the trace; 0: none */
	bool timed_out;	   /* --timeout ended it */
	unsigned found;	   /* the --fail-on kinds found (ct_found_kinds) */
	int findings_exit; /* --findings-exit */
};

int ct_exit_status(const struct ct_exit_in *in, enum ct_exit_reason *why);
/* The --fail-on kinds of fail_on that were counted (bits of ct_fail_kinds[]). */
unsigned ct_found_kinds(const struct ct_stats *st, unsigned fail_on);
/* The bit of a --fail-on word (0: none). */
unsigned ct_kind_bit(const char *name);

#endif
