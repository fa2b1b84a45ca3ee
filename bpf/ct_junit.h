/* SPDX-License-Identifier: MIT */
/*
 * ct_junit.h - cloexec-trace's findings as JUnit XML (--junit FILE), the test report format CI
 * servers read (Jenkins, GitLab's artifacts:reports:junit): one <testsuite> for the trace, a
 * <testcase> per program that exec'd (by the file name it exec'd), a <failure> per finding of a
 * --fail-on kind (fd, kind, verdict, reason, where the fd was made); findings of other kinds
 * are listed in the testcase's <system-out>, so a run that exits 0 has no failure. One more
 * testcase, "trace", stands for the run itself: an <error> when a signal or --timeout cut it
 * short, a <failure> when CMD failed or records were lost under --fail-on lost. ct_junit.c
 * writes the file from findings in this form; ct_junit_feed.c makes them from the records.
 */
#ifndef CLOEXEC_TRACE_JUNIT_H
#define CLOEXEC_TRACE_JUNIT_H

#include <stdbool.h>
#include <stdint.h>

/* One finding. The strings are copied. */
struct ct_junit_finding {
	const char *program; /* its testcase: the program it belongs to */
	const char *kind;    /* leaked, late, never, race, helper: the --fail-on word */
	bool failing;	     /* the kind is in --fail-on: a <failure> (else a line of system-out) */
	const char *message; /* one line: what, made where, into which program */
	const char *detail;  /* the failure's text: fd, kind, verdict, reason, created at, stack */
};

/* How the run ended, for the "trace" testcase and the suite's properties. */
struct ct_junit_end {
	int code;	    /* the exit status */
	int reason;	    /* enum ct_exit_reason (ct_render.h) */
	int signal;	    /* the signal that ended the trace; 0: none */
	int cmd_status;	    /* -- CMD: exit code or -signal; INT_MIN: none */
	bool timed_out;	    /* --timeout ended the trace */
	unsigned long lost; /* records lost */
	bool lost_fails;    /* lost is in --fail-on */
	double seconds;	    /* how long the trace ran */
};

/* Open FILE now (an error: false, errno set); the suite is named after the scope (opt). */
bool ct_junit_open(const char *path);
bool ct_junit_on(void);
/* A program exec'd: its testcase exists from now on (passing unless a finding fails it). */
void ct_junit_program(const char *program);
void ct_junit_add(const struct ct_junit_finding *f);
/* Write the report and close the file: 0, or an errno. */
int ct_junit_close(const struct ct_junit_end *end);

#endif
