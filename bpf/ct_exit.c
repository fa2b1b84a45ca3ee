// SPDX-License-Identifier: MIT
/*
 * ct_exit.c - the exit status: the first row of the table that applies (README "Exit status",
 * bpf/SCHEMA.md, --help). Usage (2) and environment (3) errors, and a command that cannot be
 * run (127, 126), end the run before a trace; an output file that cannot be written makes it 3
 * after (cloexec_trace.c). With -- CMD the wrappers' conventions hold (strace, time, timeout,
 * valgrind): a signal that ends the trace is 128+N, --timeout 124, CMD's failure is its own
 * status or 128+N for its signal, and only then do findings give --findings-exit (1), so a
 * failing command never passes and findings never pass. With -p PID and system-wide,
 * --timeout and PID's end are the planned end.
 */
#include <limits.h>
#include <string.h>

#include "ct_exit.h"
#include "ct_opts.h"

int ct_exit_status(const struct ct_exit_in *in, enum ct_exit_reason *why)
{
	int st = in->cmd ? in->cmd_status : INT_MIN;

	if (in->stop_sig) {
		*why = CT_EXIT_SIGNAL;
		return EX_SIGBASE + in->stop_sig;
	}
	if (in->cmd && in->timed_out) {
		*why = CT_EXIT_TIMEOUT;
		return EX_TIMEOUT;
	}
	if (st != INT_MIN && st > 0) {
		*why = CT_EXIT_CMD_EXIT;
		return st;
	}
	if (st != INT_MIN && st < 0) {
		*why = CT_EXIT_CMD_SIGNAL;
		return EX_SIGBASE - st;
	}
	*why = in->found ? CT_EXIT_FINDINGS : CT_EXIT_CLEAN;
	return in->found ? in->findings_exit : EX_OK;
}

unsigned ct_found_kinds(const struct ct_stats *st, unsigned fail_on)
{
	unsigned m = 0;

	for (int i = 0; i < ct_n_fail_kinds; i++) {
		unsigned long n;

		memcpy(&n, (const char *)st + ct_fail_kinds[i].counter, sizeof(n));
		if ((fail_on & ct_fail_kinds[i].bit) && n)
			m |= ct_fail_kinds[i].bit;
	}
	return m;
}

unsigned ct_kind_bit(const char *name)
{
	for (int i = 0; i < ct_n_fail_kinds; i++)
		if (!strcmp(ct_fail_kinds[i].name, name))
			return ct_fail_kinds[i].bit;
	return 0;
}
