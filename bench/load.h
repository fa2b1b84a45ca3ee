/* SPDX-License-Identifier: MIT */
/*
 * load.h - the ground of cloexec-load (load.c), what every file of it uses: the options, the
 * configurations a run is measured under (untraced, the floor, the tracer, the tracer to
 * compare with), what one run is asked and gives (struct trial, struct trial_out: the run
 * itself is load_run.h's) and the JSON rows. Above it: load_run.c, the figures (load_figs.h:
 * churn, procs, rate, footprint; load_build.h: build), and load_main.c, which wires them.
 */
#ifndef CLOEXEC_LAB_LOAD_H
#define CLOEXEC_LAB_LOAD_H

#include "tracerctl.h"

#include <signal.h>
#include <stdint.h>

#define TOOL	      "cloexec-load"
#define MAX_PRODUCERS 16

/* What a run is measured under; the names are the rows' "config". */
enum cfg { CFG_UNTRACED, CFG_FLOOR, CFG_TRACER, CFG_BEFORE, CFG_N };
const char *cfg_name(enum cfg c);
enum tc_kind cfg_kind(enum cfg c);

enum op { OP_DUP3_CLOEXEC, OP_DUP3_PLAIN };
extern const char *const op_names[];

enum { F_CHURN = 1, F_RATE = 2, F_BUILD = 4, F_FOOTPRINT = 8, F_PROCS = 16 };

struct load_opts {
	int quick;
	double duration, short_s, procs_s;
	int producers, rounds;
	long long fp_fds;
	int build_max;
	const char *out, *src, *build_set;
	const char *build_dir, *build_cmd, *clean_cmd; /* an external tree (--build-dir) */
	const char *tracer, *before;		       /* NULL: build/cloexec-trace; none */
	unsigned figures;
};
extern struct load_opts opt;
extern volatile sig_atomic_t stop_sig;
extern int errors;

/* --- one run ------------------------------------------------------------------------------ */

struct trial {
	enum cfg cfg;
	enum op op;
	int producers;
	double seconds;		 /* producers stop after this long ... */
	long long max_fds;	 /* ... or after this many fds in all (0: no limit) */
	double rate;		 /* fds per second in all, paced; 0: as fast as they can */
	int procs;		 /* each producer forks a short process per PROCS_FDS fds */
	const char *const *argv; /* instead of producers: ROOT execs this (the build) */
	const char *chdir_to;
	int text;      /* also count the tracer's text output (footprint) */
	int no_stacks; /* the tracer with --no-stacks (the rate figure) */
	int scan;      /* count the findings in the tracer's JSON (tc_scan) */
};

/* fds per short process of a procs run: half with the flag, half without */
#define PROCS_FDS 200

struct trial_out {
	long long fds;	     /* what the producers created */
	long long processes; /* the short processes of a procs run */
	double wall_s;	     /* "go" to ROOT reaped */
	double end_s;	     /* "go" to the program beside it stopped (the tracer: all written) */
	double cpu_s;	     /* ROOT and its reaped descendants (wait4) */
	int root_status;
	struct tc_result res;
};

/* "<tool>: <what> failed: <why>" on stderr (the caller counts it in errors). */
void fail(const char *what, const char *why);

/* --- JSON rows ----------------------------------------------------------------------------- */

/* The JSON opens: {"schema":..,"host":{..},"settings":{..} (the options as they were given). */
void out_host_block(void);
void out_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_str(const char *s);
/* Starts a row {"figure":..,"config":..,"loadavg":[..] (the caller adds the rest, then "}"). */
void row_begin(const char *figure, const char *config);
/* The program's rusage and, for a tracer, its summary and cost per traced second. */
void row_tracer(const struct trial_out *o, enum cfg c);

/* The text so far to --out (through FILE.tmp, renamed) or stdout; 0, or -1 said on stderr. */
int out_write(void);

/* The tracer configurations of this run: tracer, and before when --before was given. */
int tracer_cfgs(enum cfg out[2]);

#endif
