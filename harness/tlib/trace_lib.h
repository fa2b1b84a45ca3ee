/* SPDX-License-Identifier: MIT */
/*
 * trace_lib.h - the tracer tests' library (harness/t/trace_*.c; code in trace_run.c,
 * trace_cases.c and trace_check.c of the test library).
 *
 * tl_run() runs a truth fixture (harness/t/helpers/fx_*.c), either directly or
 * under `cloexec-trace --json -o FILE [OPTS] -- fixture ARGS`, collects the
 * fixture's fact lines (see fx_common.h), the tracer's JSON Lines, its exit
 * status and stderr, and optionally a snapshot of the exec'd child's /proc/PID/fd
 * while it blocks (--hold).
 *
 * The truth table tl_cases[] says, per fixture and per fd it creates, what the
 * kernel did (cloexec bit at creation) and what the tracer must report (syscall,
 * kind, verdict, fate at exec). tl_check_case() asserts all of it; the topics
 * split it over the trace_* test programs. trace_fixtures runs the same table
 * without the tracer to prove the fixtures themselves.
 */
#ifndef CLOEXEC_LAB_TRACE_LIB_H
#define CLOEXEC_LAB_TRACE_LIB_H

#include "tjson.h"
#include "lab.h"
#include "tap.h"
#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The tracer's output schema (bpf/SCHEMA.md): every record's "v". */
#define TL_SCHEMA 2

/* ---- what a fixture reported ---------------------------------------------------------- */

struct tl_fact { /* fx fd ... */
	char role[32];
	int pid, fd, cloexec, port;
	unsigned long long ino;
	char kind[16];
	char family[16], type[16]; /* sockets */
	char path[256];
};

struct tl_held { /* fx held ... (from fx_child) */
	int pid, fd;
	char target[256];
};

struct tl_pidrole { /* fx exec ... / fx child ... / fx racefork ... */
	char role[32];
	int pid, n, fd;
	unsigned long long ino;
};

struct tl_span {
	char role[32];
	unsigned long long t0, t1;
};

struct tl_run {
	/* the fixture's facts */
	struct tl_fact *facts;
	int nfacts;
	struct tl_pidrole *execs, *children, *raceforks;
	int nexecs, nchildren, nraceforks;
	struct tl_held *held;
	int nheld;
	int nstrays;
	char stray[256];
	int done_rc;			    /* -1: no "fx done" line */
	unsigned long long t_start, t_done; /* fx start / fx done, CLOCK_MONOTONIC ns */
	struct tl_span spans[8];
	int nspans;
	int race_forks, race_races;
	unsigned long race_sockets;
	int fill_from, fill_to; /* fx filled ... (fx_many_fds) */
	int all_fds;		/* the tracer ran with --all-fds (a record for atomic fds too) */
	char other[65536];	/* stdout lines that are not facts (the tracer's text output) */
	/* the tracer (or the fixture when run alone) */
	int status;	/* wait status */
	int exit_code;	/* WEXITSTATUS, or 128+signal, or -1 on timeout */
	char err[4096]; /* its stderr */
	json_t **recs;	/* JSON Lines, in order */
	int nrecs;
	int bad_lines; /* lines that did not parse, or lack "v":TL_SCHEMA / "type" */
	char bad[512];
	int stray_fates; /* fate records that settle no inherited entry */
	/* /proc/PID/fd of the held child */
	int proc_pid, proc_n;
	int proc_fd[64];
	char proc_target[64][256];
	char dir[64]; /* temporary directory */
};

struct tl_opts {
	int direct;		  /* run the fixture without the tracer */
	int hold;		  /* --hold: snapshot /proc of the first held child */
	const char *const *topts; /* extra tracer options (before --), NULL-terminated */
	const char *const *wrap;  /* run the tracer under this command (e.g. setpriv ...) */
	int timeout_ms;		  /* whole run (default 60000) */
	int no_json;		  /* do not pass --json -o FILE (e.g. text output tests) */
	int text_and_json;	  /* pass -o FILE only: text on stdout and JSON in the file */
	const char *cmd;	  /* run this command instead of the fixture (unchecked) */
};

/* ---- running a fixture ------------------------------------------------------------------ */

/*
 * Run fixture (a name under t/helpers) with its args, as the options say. Fills r;
 * returns 0, or -1 (with a diag) when the run could not be made or timed out.
 */
int tl_run(struct tl_run *r, const struct tl_opts *o, const char *fixture,
	   const char *const *fargs);
void tl_free(struct tl_run *r);
/* One line of fixture output into r (hold_w: the --hold pipe, closed at the held child). */
void tl_line(struct tl_run *r, const char *line, int *hold_w);
/*
 * The JSON Lines in path into r->recs; then each fate record is applied to the inherited entry
 * it settles (same pid, exec_t_ns = the exec's t_ns, fd, ino): its verdict and fate fields
 * replace the entry's, which gets "fate_record": true (the fate records stay in r->recs).
 * Returns nothing; fate records that match no entry are counted in r->stray_fates.
 */
void tl_read_json(struct tl_run *r, const char *path);
/* The same on records already read (e.g. by another reader). */
int tl_apply_fates(json_t **recs, int n);
/* The built program rel (e.g. "cloexec-trace") into buf; bails when it is missing. */
const char *tl_path(const char *rel, char *buf, size_t len);
/* Print the tracer's stderr (and the first bad line) once, when something failed. */
void tl_diag_run(const struct tl_run *r, const char *name);

/* ---- lookups ------------------------------------------------------------------------- */

const struct tl_fact *tl_fact(const struct tl_run *r, const char *role);
int tl_is(const json_t *j, const char *type);
int tl_count(const struct tl_run *r, const char *type);
/* The fd record of (pid, fd, ino); with several (fd reuse: the same socket at the same number
 * again), the first made by syscall sc (NULL: any), else the first. */
const json_t *tl_fd_rec(const struct tl_run *r, int pid, int fd, unsigned long long ino,
			const char *sc);
/* Whether path's last component is name. */
int tl_basename_is(const char *path, const char *name);
/* The exec records of pid, in order, except execs of the program named skip (the fixture's own
 * start, which has the same pid when it execs from a thread); returns how many. */
int tl_exec_recs(const struct tl_run *r, int pid, const char *skip, const json_t **out, int max);
const json_t *tl_last(const struct tl_run *r, const char *type);
/* The inherited entry for fd in an exec record. */
const json_t *tl_inherited(const json_t *exec, int fd);
/* Whether s is one of the '|'-separated alternatives in alts. */
int tl_one_of(const char *s, const char *alts);
/* Whether local is "[addr]:port" with addr the IPv6 loopback in any valid spelling. */
int tl_is_local6(const char *local, int port);
/* What /proc shows for an fd of the given fact. */
void tl_target(const struct tl_fact *f, char *buf, size_t len);
/* The pid whose exec(s) of fx_child the case is about. */
int tl_child_pid(const struct tl_run *r);

/* ---- the truth table ----------------------------------------------------------------- */

#define TL_MAXW 16

/* One fd a fixture creates: what the kernel did and what the tracer must say. */
struct tl_want {
	const char *role;
	const char *syscall; /* the tracer's "syscall" */
	const char *kind;    /* the tracer's "kind" (and the fixture's own view) */
	int cloexec;	     /* the kernel's bit at creation (cloexec_at_creation) */
	int requested;	     /* requested_cloexec */
	const char *verdict; /* atomic|late|never; NULL: set at creation, cleared later */
	const char *set_by;  /* for late: fcntl|ioctl|close_range */
	int redundant;	     /* redundant_setfd */
	const char *at_exec; /* leaked|passed, or NULL: must not be inherited */
	const char *reason;  /* for passed */
	int listen;	     /* a listening TCP socket */
	int in_child;	     /* created in the forked child (pid = exec pid) */
	const char *family;  /* sockets: a family the fixture must report (e.g. inet6) */
};

struct tl_case {
	const char *topic; /* create|exec|passing|scale */
	const char *name;  /* reads as a sentence: "<name>: ..." */
	const char *fixture;
	const char *args[4];
	int exit_want;		/* the tracer's exit code with the default --fail-on */
	int execs;		/* exec records of the child pid (2: through a shell); 0: 1 */
	const char *spawn;	/* accepted "spawn" values ('|'-separated), NULL: not asserted */
	const char *listen_fds; /* the exec's listen_fds as JSON: "1"; NULL: null */
	const char *listen_pid_match; /* "true", "false"; NULL: null */
	struct tl_want w[TL_MAXW];
};

extern const struct tl_case tl_cases[];
extern const int tl_ncases;

/* The number of fds a case lists, and of exec records it wants. */
int tl_nwant(const struct tl_case *tc);
int tl_nexecs(const struct tl_case *tc);

/*
 * Truth checks (no tracer needed): the fixture ran cleanly, the kernel's bit at
 * creation is what the table says, and fx_child holds exactly the fds the table
 * says survive exec. Returns the number of failed checks.
 */
int tl_check_truth(const struct tl_run *r, const struct tl_case *tc);
/*
 * The tracer's records against the truth: every fd record, the exec record(s) of
 * the child and their inherited list (exactly), the summary and the exit code.
 */
int tl_check_case(const struct tl_run *r, const struct tl_case *tc);
/* The records are in t_ns order, none counted out of order, every fate record applies. */
void tl_check_order(const struct tl_run *r, const char *name);

/*
 * Start of every trace test: bounded in time, clean fds, and leader of its own process
 * group, so a timeout (tap's alarm, or tl_run's) takes down the tracer's command and
 * every child it left, not only the processes the test knows.
 */
void tl_begin(unsigned timeout_s);
/* Common start of a trace test: tl_begin, BPF usable or SKIP, tracer built. */
void tl_start(unsigned timeout_s);
/* Run every case of a topic under the tracer and check it (with these tracer options). */
void tl_run_topic(const char *topic);
void tl_run_topic_with(const char *topic, const char *const *topts);

#endif
