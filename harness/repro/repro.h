/* SPDX-License-Identifier: MIT */
/*
 * repro.h - the scenario engine behind cloexec-repro and the repro_* tests.
 *
 * A scenario is one row of a table: a group (what is inherited and how the
 * outcome is observed), a creation strategy (how the fd got or did not get its
 * close-on-exec flag) and a spawn method (how the child was started). Running a
 * scenario spawns the long-running helper build/cloexec-repro-child, reads the
 * child's /proc/PID/fd to see whether it holds the subject socket, then closes
 * the parent's copy and observes what the kernel does (rebind errno, peer EOF,
 * connectable path, stolen connections). The expected outcome is derived from
 * what the child was seen to hold, never typed in per row; separately the
 * strategy's meaning (inheritable strategies leak through a plain spawn,
 * cloexec ones and the mitigations do not) is checked against the same fact.
 *
 * The tool and the tests call the same functions, so the tests assert exactly
 * what the tool reports.
 */
#ifndef CLOEXEC_LAB_REPRO_H
#define CLOEXEC_LAB_REPRO_H

#include <stdio.h>
#include <sys/types.h>

/* What the subject is and how the outcome is observed. */
enum repro_kind {
	RK_REBIND,    /* TCP/UDP socket: close, rebind same address and port */
	RK_REUSEPORT, /* TCP listener with SO_REUSEPORT: rebind works, child may steal */
	RK_ACCEPTED,  /* accepted connection: does the peer see EOF after close? */
	RK_UNIX,      /* AF_UNIX path listener: is the path still connectable? */
	RK_PASS,      /* intentional passing at fd 3: child serves, holds nothing else */
};

/* Which family of strategies a group uses. */
enum repro_subject {
	RS_LISTENER, /* socket() + optional flagging */
	RS_ACCEPT,   /* accept()/accept4() on a cloexec listener */
	RS_SCM,	     /* received over SCM_RIGHTS */
	RS_PASS,     /* intentional passing */
};

struct repro_group {
	const char *name;
	enum repro_kind kind;
	enum repro_subject subject;
	int family; /* AF_INET, AF_INET6, AF_UNIX */
	int type;   /* SOCK_STREAM, SOCK_DGRAM */
	int reuseaddr, reuseport;
	unsigned spawns;  /* bit i set: repro_spawns[i] applies; 0: all */
	const char *what; /* one line for --list */
};

struct repro_strategy {
	const char *name;
	enum repro_subject subject;
	int sets_cloexec; /* the strategy's meaning: the fd ends up close-on-exec */
	const char *what;
};

struct repro_spawn {
	const char *name;
	int mitigates; /* closes/flags every fd >= 3 in the child before exec */
	const char *what;
};

struct repro_scenario {
	const struct repro_group *group;
	const struct repro_strategy *strategy;
	const struct repro_spawn *spawn;
	char id[96]; /* group/spawn/strategy */
};

/* Observed facts of one run. */
struct repro_result {
	int skipped; /* the environment cannot run it (e.g. no IPv6); see detail */
	int error;   /* the run itself failed (not a finding about the kernel) */
	pid_t child;
	char ident[48];	    /* "socket:[INO]" of the subject in the parent */
	int parent_cloexec; /* FD_CLOEXEC on the parent's subject right before spawning */
	int port;
	int child_held;	   /* the child's /proc/PID/fd shows ident */
	int held_fd;	   /* at which fd (or -1) */
	int child_extra;   /* other fds >= 3 in the child (besides the held one) */
	int leak_expected; /* the strategy/spawn meaning: the child should hold it */
	char expected[32]; /* derived from child_held */
	char observed[32];
	char after[32]; /* outcome after the child was killed */
	char after_expected[32];
	int stolen, served_parent; /* RK_REUSEPORT: connections taken by the child / parent */
	int mechanism_ok;	   /* observed == expected */
	int meaning_ok;		   /* child_held == leak_expected (and for RK_PASS: no extra fds) */
	int extra_ok;		   /* no other fd >= 3 reached the child (RK_PASS: in meaning_ok) */
	int after_ok;		   /* after == after_expected */
	int port_free;		   /* at the end the port (or unix path) is free again */
	int pass;		   /* all of the above */
	char detail[256];
};

/* The tables. */
extern const struct repro_group repro_groups[];
extern const struct repro_strategy repro_strategies[];
extern const struct repro_spawn repro_spawns[];

/*
 * Make the process fit to run scenarios: fds 0-2 open, SIGPIPE ignored, the
 * helper binary located. Returns 0, or -1 with a reason in why (the helper is
 * missing: a build problem).
 */
int repro_init(char *why, size_t len);
/* Path of build/cloexec-repro-child (after repro_init). */
const char *repro_child_path(void);

/*
 * Fill out[] with every scenario whose group/strategy/spawn match the filters
 * (NULL or "" or "all" matches everything; comma-separated lists allowed).
 * Returns the number of matches (at most max), or -1 if a filter names
 * something unknown.
 */
int repro_select(const char *group, const char *strategy, const char *spawn,
		 struct repro_scenario *out, int max);
/* After repro_select() returned -1: "unknown <kind> '<name>'". */
const char *repro_select_error(void);

/* Run one scenario. Always kills and reaps its child and closes its fds. */
void repro_run(const struct repro_scenario *sc, struct repro_result *r);

/*
 * Leftover check after a batch: returns the number of problems (a child of
 * ours still alive or unreaped, an open socket in this process, a port or
 * path used by the scenarios still taken) and describes the first in why.
 */
int repro_leftovers(char *why, size_t len);
/*
 * What the last repro_leftovers() saw but did not count: a port a scenario
 * freed (checked right then) that another program has bound since.
 */
const char *repro_leftover_notes(void);

/* --- the race ----------------------------------------------------------------------------- */

struct repro_race {
	const char *strategy; /* "socket+fcntl" or "SOCK_CLOEXEC" */
	int atomic;
	int spawns;	   /* children forked, exec'd and read back */
	long long sockets; /* sockets created by the other thread meanwhile */
	int leaks;	   /* children that held a socket at fd >= 3 */
	double rate;	   /* leaks / spawns */
	long long duration_ms;
	int stopped_by_time; /* the time bound ended the run before max_spawns */
	int error;
	char detail[256]; /* first leak seen, or the error */
};

/*
 * One thread creates sockets (socket()+fcntl(F_SETFD) when !atomic, else
 * SOCK_CLOEXEC) and closes them in a loop; this thread forks and execs the
 * helper in "list" mode max_spawns times or until max_ms passed, and counts
 * the children that got a socket.
 */
void repro_race_run(int atomic, int max_spawns, int max_ms, struct repro_race *r);

/*
 * Both strategies: socket+fcntl first (out[0]); when it saw no leak, extended
 * up to retries times with twice the bounds each; then SOCK_CLOEXEC (out[1])
 * over the same number of spawns.
 */
void repro_race_compare(int spawns, int max_ms, int retries, struct repro_race out[2]);

/* --- TAP (tests) ------------------------------------------------------------------------- */

struct repro_tally {
	int ran, skipped, errors, failed, held, not_held;
};

/* Run the selection and emit the four checks per scenario (see tapdrive.c). */
int repro_tap(const char *group, const char *strategy, const char *spawn, struct repro_tally *t);
/* The closing checks: both outcomes seen (when want_both), nothing left behind. */
void repro_tap_finish(const struct repro_tally *t, int want_both);

/*
 * Read from fd into buf (NUL-terminated) for at most ms: one line without its
 * newline (line set), or everything up to EOF. Returns the length, or -1 with
 * errno (ETIMEDOUT; EPIPE for EOF before the end of a line).
 */
int repro_read_until(int fd, char *buf, size_t len, int ms, int line);

/* snprintf that may truncate (silences -Wformat-truncation on purpose) and its appending form. */
void repro_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void repro_cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- output ------------------------------------------------------------------------------- */

/* The readable aligned table. */
void repro_print_table(FILE *f, const struct repro_scenario *sc, const struct repro_result *res,
		       int n);
void repro_print_race(FILE *f, const struct repro_race *r, int n);
/* Whether the JSON file can be written (checked before a long run). Returns 0 or -1 with errno. */
int repro_json_writable(const char *path);
/* results/repro.json per results/FORMATS.md. Returns 0 or -1 with errno. */
int repro_write_json(const char *path, const char *commit, const struct repro_scenario *sc,
		     const struct repro_result *res, int n, const struct repro_race *race,
		     int nrace);

#endif
