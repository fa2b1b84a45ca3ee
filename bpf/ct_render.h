/* SPDX-License-Identifier: MIT */
/*
 * ct_render.h - cloexec-trace's output: JSON Lines (ct_json.c, bpf/SCHEMA.md) and aligned text
 * lines (ct_text.c), both from the same decided records. Renderers only read what they are
 * given: they change no model state and no counter. render_*() (ct_out.c) writes a record to
 * every output that is on.
 */
#ifndef CLOEXEC_TRACE_RENDER_H
#define CLOEXEC_TRACE_RENDER_H

#include <stdio.h>
#include <sys/types.h>

#include "ct_decide.h"
#include "ct_exit.h"
#include "ct_out.h"

/* Where the output goes. */
struct ct_outputs {
	FILE *json;	 /* JSON Lines sink, or NULL */
	bool human;	 /* text lines on stdout */
	bool line_flush; /* stdout is shared with the traced command: write whole lines */
	uint64_t t0_ns;	 /* start, CLOCK_MONOTONIC: text times are relative to it */
};

extern struct ct_outputs ct_out;

enum ct_scope {
	CT_SCOPE_COMMAND,
	CT_SCOPE_PID,
	CT_SCOPE_SYSTEM,
};

struct ct_start {
	enum ct_scope scope;
	pid_t target; /* 0: none */
	const char *kernel;
	unsigned fail_on;
	long fate_wait_ms;
};

struct ct_summary {
	const struct ct_stats *st;
	int code;
	enum ct_exit_reason reason;
	int signal;	    /* CT_EXIT_SIGNAL: the signal that ended the trace */
	unsigned failed_on; /* the --fail-on kinds that were found (bits of ct_fail_kinds[]) */
	bool timed_out;
	int cmd_status; /* -- CMD: exit code or -signal; INT_MIN: not reaped */
};

/*
 * Every output that is on. t: the record's time (t_ns), when its content became known: an fd's
 * verdict final, a race seen (bpf/SCHEMA.md).
 */
void render_start(const struct ct_start *s);
void render_fd(const struct creation *c, enum ct_fd_verdict v, uint64_t t);
void render_race(const struct creation *c, const struct witness *w, uint64_t t);
void render_exec(const struct ct_exec_report *o);
void render_fate(const struct ct_inherited *it);
void render_lost(unsigned long lost);
void render_summary(const struct ct_summary *s);

/* JSON Lines, into b (one object, no newline). */
void json_start(struct sbuf *b, const struct ct_start *s);
void json_fd(struct sbuf *b, const struct creation *c, enum ct_fd_verdict v, uint64_t t);
void json_race(struct sbuf *b, const struct creation *c, const struct witness *w, uint64_t t);
void json_exec(struct sbuf *b, const struct ct_exec_report *o);
void json_fate(struct sbuf *b, const struct ct_inherited *it);
void json_lost(struct sbuf *b, unsigned long lost);
void json_summary(struct sbuf *b, const struct ct_summary *s);

/* Text lines, on stdout (the summary: on stderr with -v and no text output). */
void text_header(void);
void text_fd(const struct creation *c, enum ct_fd_verdict v, uint64_t t);
void text_race(const struct creation *c, const struct witness *w, uint64_t t);
void text_exec(const struct ct_exec_report *o);
void text_fate(const struct ct_inherited *it);
void text_summary(const struct ct_summary *s, FILE *f);

/* Output errors: the first failed write is kept and reported at the end (exit 3). */
void out_note_error(void);
void out_flush(FILE *f);
int out_error(void);

#endif
