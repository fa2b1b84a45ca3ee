/* SPDX-License-Identifier: MIT */
/*
 * ct_decide.h - every verdict cloexec-trace gives, each decided in one function that returns an
 * enum and fills the statistics (ct_decide.c). Names for the enums live in the renderers only.
 *
 *   fd at creation:      ct_fd_verdict()     atomic | late | never   (counted by decide_fd_final)
 *   fd at exec:          decide_inherit()    leaked | passed, with the reason (LISTEN_FDS,
 *                                            --allow, --allow-comm, child, caller; untracked)
 *   what became of it:   decide_fate()       closed_before_exec | closed | held_at_exit |
 *                                            held_at_end | passed_on
 *   the final verdict:   decide_inherit_final()  leaked | helper | passed (counted)
 *   race:                decide_race()       a copy taken inside a late fd's window was exec'd
 *   how a child was made: ct_spawn_of()      fork | vfork | posix_spawn | clone | clone3 | thread
 *   LISTEN_PID:          ct_listen_pid_match()
 *   exit code:           ct_exit_code()      from the --fail-on table ct_fail_kinds[]
 */
#ifndef CLOEXEC_TRACE_DECIDE_H
#define CLOEXEC_TRACE_DECIDE_H

#include "ct_model.h"

enum ct_fd_verdict {
	CT_FD_ATOMIC, /* the kernel's bit was set at the creating syscall's exit */
	CT_FD_LATE,   /* set afterwards: a window in which a fork+exec leaks it */
	CT_FD_NEVER,  /* never set while the creator held it */
};

enum ct_inherit {
	CT_INH_LEAKED,
	CT_INH_PASSED,
	CT_INH_HELPER, /* leaked into a program that closed it before it exec'd again */
};

/* Why an inherited fd is what it is. */
enum ct_reason {
	CT_REASON_NONE,	      /* leaked, creator known */
	CT_REASON_LISTEN_FDS, /* passed: LISTEN_FDS (+ LISTEN_PID) declares it */
	CT_REASON_ALLOW,      /* passed: --allow FD */
	CT_REASON_ALLOW_COMM, /* passed: --allow-comm COMM */
	CT_REASON_CALLER,     /* passed: --keep-fds, our caller gave it */
	CT_REASON_UNTRACKED,  /* leaked, created before tracing started */
	CT_REASON_CHILD,      /* passed: the exec'ing process made it inheritable itself */
};

/* What the program that inherited an fd did with it (every copy: fork's, dup's). */
enum ct_fate {
	CT_FATE_OPEN,		    /* not known yet */
	CT_FATE_CLOSED_BEFORE_EXEC, /* closed (or set close-on-exec) before it exec'd again */
	CT_FATE_CLOSED,		    /* closed, and it exited or ran on without exec'ing */
	CT_FATE_HELD_AT_EXIT,	    /* its process exited holding it */
	CT_FATE_HELD_AT_END,	    /* still held when the trace ended */
	CT_FATE_PASSED_ON,	    /* carried into another exec (its own or a fork child's) */
};

enum ct_race {
	CT_RACE_NONE,
	CT_RACE_YES,
	CT_RACE_PENDING, /* the bit is not set yet: keep the witness until it is */
};

enum ct_spawn {
	CT_SPAWN_UNKNOWN, /* null */
	CT_SPAWN_FORK,	  /* any clone without CLONE_VM/CLONE_FILES */
	CT_SPAWN_VFORK,
	CT_SPAWN_POSIX_SPAWN, /* clone/clone3 with CLONE_VM|CLONE_VFORK */
	CT_SPAWN_CLONE,
	CT_SPAWN_CLONE3,
	CT_SPAWN_THREAD, /* exec from a non-leader thread */
};

enum ct_tristate {
	CT_NULL,
	CT_FALSE,
	CT_TRUE,
};

struct ct_stats {
	unsigned long fds, atomic, late, never, execs, leaked, passed, helper, races, lost, events;
	unsigned long out_of_order;   /* records that reached the reader too late for their place */
	unsigned long atomic_counted; /* of atomic: counted in the kernel, without a record */
	unsigned long atomic_by_sc[CT_SC_MAX]; /* ...by the syscall that made them */
};

extern struct ct_stats ct_stats;

/* One kind of finding that --fail-on can name: the single table behind the option. */
struct ct_fail_kind {
	const char *name;
	unsigned bit;
	size_t counter; /* offsetof(struct ct_stats, ...) */
	bool dflt;	/* in the default set */
	const char *help;
};

extern const struct ct_fail_kind ct_fail_kinds[];
extern const int ct_n_fail_kinds;
unsigned ct_fail_default(void);
unsigned ct_fail_all(void);

/*
 * An inherited fd of an exec, decided. Held by the exec record and by its heir's watch until
 * the fate is known; when the exec record is written before that, a fate record follows.
 */
struct ct_inherited {
	int refs;
	struct ct_event x; /* the EXEC_FD record */
	struct creation *c;
	enum ct_inherit verdict; /* final once fate is not CT_FATE_OPEN */
	enum ct_reason reason;
	char *path;
	uint32_t pid; /* the receiving program: pid, comm, exec time */
	char comm[CT_COMM_LEN + 1];
	uint64_t exec_t;
	struct heir *h; /* followed; NULL once its fate is known */
	enum ct_fate fate;
	uint64_t fate_t;   /* when it became known */
	uint64_t fate_ns;  /* after how long (from the exec) the deciding event happened */
	uint32_t fate_pid; /* passed_on: the process whose exec got it */
	bool written;	   /* its exec record is out: the fate goes in a record of its own */
};

/* An exec record, decided, waiting for its creators' verdicts to be final. */
struct ct_exec_report {
	struct ct_event h;
	char comm[CT_COMM_LEN + 1], old_comm[CT_COMM_LEN + 1], fname[CT_NAME_LEN + 1];
	enum ct_spawn spawn;
	uint32_t ppid;
	int listen_fds; /* -1: null */
	enum ct_tristate listen_pid_match;
	int n;
	struct ct_inherited **it;
};

/* What the exec'ing process was and what it became, for decide_inherit(). */
struct ct_exec_ctx {
	uint32_t tgid;
	int listen_fds;
	uint32_t listen_pid;
	const char *comm, *fname; /* what it became (comm, file name) */
	bool forked;		  /* we saw its fork (or made it: CMD) */
	uint64_t fork_t;
	unsigned prior_execs; /* execs since that fork, before this one */
	bool own_table;	      /* its fd table was made by its fork for it and not shared at exec */
};

/* How one inherited fd came to be in the exec'ing process's table without the flag. */
struct ct_inh_origin {
	int fd;
	uint64_t ino;
	const struct creation *c; /* NULL: not seen created */
	uint64_t table;		  /* the exec'ing process's table (files_struct) */
	uint32_t cleared_by;	  /* who cleared the bit in this table (1 -> 0); 0: nobody */
	uint64_t cleared_t;
	bool cleared_shared; /* the table had another process then */
};

enum ct_fd_verdict ct_fd_verdict(const struct creation *c);
enum ct_fd_verdict decide_fd_final(const struct creation *c);
enum ct_inherit decide_inherit(const struct ct_exec_ctx *x, const struct ct_inh_origin *o,
			       enum ct_reason *reason);
enum ct_fate decide_fate(const struct heir *h, uint64_t *at, uint32_t *pid);
enum ct_inherit decide_inherit_final(enum ct_inherit v, enum ct_fate f);
void ct_count_exec(const struct ct_exec_report *o);
enum ct_race decide_race(const struct creation *c, const struct witness *w);
enum ct_spawn ct_spawn_of(const struct proc *p, bool thread);
enum ct_tristate ct_listen_pid_match(int listen_fds, uint32_t listen_pid, uint32_t tgid);
int ct_exit_code(const struct ct_stats *st, unsigned fail_on);

#endif
