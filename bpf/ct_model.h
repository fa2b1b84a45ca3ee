/* SPDX-License-Identifier: MIT */
/*
 * ct_model.h - cloexec-trace's model of what the kernel did: fd creations, fd tables (keyed by
 * files_struct, so a reused fd number is never confused with an older fd), processes and an
 * index of recent creations by inode. The model only holds facts; it decides nothing and
 * prints nothing. An fd whose fate became known (closed, exec'd away, its process gone, end of
 * trace) is marked final and put on the closed list, which the record pump (ct_events.c) drains
 * into the decisions (ct_decide.c).
 *
 * An fd inherited at an exec is followed in the program that received it (struct heir): every
 * copy of it (the fd itself, a fork's copy, a dup onto fd >= 3) is a holder, and what each holder
 * did (closed it before its process exec'd again, closed it and never exec'd, held it to exit or
 * to the end of the trace, carried it into another exec) is recorded. When nothing can change
 * any more, the heir goes on the settled list for the decisions (decide_fate).
 */
#ifndef CLOEXEC_TRACE_MODEL_H
#define CLOEXEC_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "cloexec_trace.h"

struct ct_stack; /* ct_stack.h */

/* What set the cloexec bit of a late fd. */
enum ct_set_by {
	CT_SET_FCNTL,	    /* fcntl(F_SETFD) */
	CT_SET_IOCTL,	    /* ioctl(FIOCLEX) */
	CT_SET_CLOSE_RANGE, /* close_range(CLOSE_RANGE_CLOEXEC) */
};

/* A copy of a creation's fd taken while its cloexec bit was clear: a fork, or an exec. */
struct witness {
	uint32_t exec_pid;
	uint32_t fork_child;
	uint64_t fork_t;
	uint64_t exec_t;
	bool waited; /* exec'd before the bit was known set: kept until it was (decide_race) */
};

/* One fd-creating syscall, as the kernel reported it, and what happened to the fd since. */
struct creation {
	int refs;
	bool shared; /* the table had another process (CLONE_FILES) when the fd was made */
	uint32_t pid, tid;
	char comm[CT_COMM_LEN + 1];
	uint16_t sc, kind, family, stype, proto;
	int fd;
	uint64_t t_ns, ino, files, mode;
	bool coe_at;		/* the kernel's close_on_exec bit at the creating syscall's exit */
	bool req;		/* the caller's flags asked for it */
	bool late;		/* the bit was set later in the creator's table */
	bool final;		/* the fd left the creator's table: its verdict is final */
	bool cleared_after_set; /* late, then cleared again */
	bool counted;		/* made atomic and counted in the kernel: no verdict of its own */
	uint64_t late_ns, set_t, closed_t;
	enum ct_set_by set_by;
	unsigned redundant;
	char *name;	   /* path or socket name, "" if none */
	struct witness *w; /* copies that exec'd before the bit was known set */
	int nw, capw;
	struct ct_stack *stack;	      /* user stack of the creating call (NULL: none taken) */
	struct ct_stack *clear_stack; /* of the first call that cleared the flag after it was set */
};

struct heir;

/* An open fd in one table. */
struct entry {
	struct creation *c; /* NULL: an fd we did not see created */
	uint64_t ino;
	bool open;
	bool coe;
	bool via_fork;	   /* copied out of the creator's table by a fork */
	bool cleared_here; /* cloexec explicitly cleared in this table */
	uint32_t fork_child;
	uint64_t fork_t;
	/* the bit went from set to clear in this table (F_SETFD, FIONCLEX): by whom, when */
	uint32_t cleared_by; /* tgid; 0: not cleared here */
	bool cleared_shared; /* the table had another process then */
	uint64_t cleared_t;
	struct heir *h; /* inherited at an exec (or a copy of such an fd): followed */
};

#define MAX_ANC 6

/* A fork that copied an fd table: out of which table, when, into which child. */
struct ancestor {
	uint64_t files;
	uint64_t fork_t;
	uint32_t child;
};

struct table {
	uint64_t files;
	int users;	   /* processes using it (CLONE_FILES shares it) */
	uint32_t owner;	   /* the process whose fork (or unshare) made it; 0: unknown */
	uint64_t copied_t; /* the latest fork that copied it (0: none) */
	int nheirs;	   /* entries with a heir (dups of them are followed too) */
	struct entry *e;
	int cap;
	struct ancestor anc[MAX_ANC]; /* the forks this table descends from, nearest first */
	int nanc;
	struct table *next;
};

struct exec_fd {
	struct ct_event ev;
};

/* A copy of an inherited fd that a process closed while running its current image. */
struct closed_copy {
	struct heir *h;
	uint64_t t;
};

/*
 * An fd that survived an exec (fd >= 3), followed in the program that received it. Facts only:
 * the times of what its holders did (0: never happened); decide_fate() reads them.
 */
struct heir {
	int refs;
	uint32_t pid; /* the process that exec'd holding it */
	int fd;
	uint64_t ino, exec_t;
	int holders; /* open entries that are it or a copy of it */
	int pending; /* copies closed by a process that has neither exec'd nor exited since */
	uint64_t closed_exec_t;	  /* latest close of a copy whose process then exec'd (or that exec
				   * closed: the bit was set) */
	uint64_t closed_t;	  /* latest close of a copy whose process exited (or ran to the end)
				   * without exec'ing again */
	uint64_t exit_t;	  /* a process exited holding a copy (the latest) */
	uint64_t end_t;		  /* the trace ended with a copy open */
	uint64_t passed_t;	  /* a copy survived another exec (the first) */
	uint32_t passed_pid;	  /* ...of this process */
	bool settled;		  /* nothing can change any more: on the settled list */
	void *watch;		  /* the decided record waiting for this fate (ct_events.c) */
	struct heir *prev, *next; /* heirs not settled yet */
};

/* How an open entry left its table. */
enum ct_drop {
	CT_DROP_CLOSE, /* close, dup2/dup3 onto it, close_range: by process pid */
	CT_DROP_EXEC,  /* exec closed it (close-on-exec) */
	CT_DROP_EXIT,  /* the table went away with the last process using it */
};

struct proc {
	uint32_t tgid, ppid;
	uint64_t files;
	char comm[CT_COMM_LEN + 1];
	bool alive, counted, have_spawn;
	bool launching; /* the tracer's child before its exec of CMD */
	bool forked;	/* we saw the fork that made it (or made it ourselves: CMD) */
	uint64_t fork_t;
	unsigned execs;		    /* execs since that fork */
	struct closed_copy *closed; /* copies of inherited fds it closed in its current image */
	int nclosed, capclosed;
	uint16_t spawn_sc;
	uint8_t spawn_flags;
	uint64_t clone_flags;
	/* pending exec: header + fds until EXEC_END */
	bool in_exec;
	struct ct_event exec_hdr;
	struct exec_fd *xfd;
	int nxfd, capxfd;
	struct proc *next;
};

/* Allocation that cannot fail: out of memory is an environment error (exit 3). */
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t sz);
char *xstrdup(const char *s);

extern uint64_t model_last_ts; /* time of the latest record */
extern uint64_t model_ev_ts;   /* time of the record being applied (or of the end) */

/* Creations and the inode index. */
struct creation *creation_new(const struct ct_event *ev, const char *name);
void creation_put(struct creation *c);
void creation_add_witness(struct creation *c, const struct witness *w);
/* The stack of the call that made c's fd inheritable: the clear of a flag that was set, else
 * the creation. NULL: none. */
const struct ct_stack *creation_stack(const struct creation *c);
struct creation *ino_find(uint64_t ino, int fd, uint64_t files, uint64_t t);
void ino_prune(uint64_t now, bool all);

/* Fd tables. */
struct table *table_find(uint64_t files);
struct table *table_new(uint64_t files);
struct entry *table_slot(struct table *t, int fd);
struct entry *table_get(struct table *t, int fd);
struct table *table_copy(struct table *src, uint64_t files, uint64_t fork_t, uint32_t child);
void table_unuse(struct table *t);
/* The fd at e left table t (how, by process pid, at time ts). */
void entry_drop(struct table *t, struct entry *e, enum ct_drop how, uint32_t pid, uint64_t ts);
void model_finalize_open(void);
/* The open entry in t other than skip that holds inode ino and is followed (a heir), or NULL. */
struct entry *table_heir_of(struct table *t, uint64_t ino, const struct entry *skip);

/* Processes. */
struct proc *proc_find(uint32_t tgid);
struct proc *proc_get(uint32_t tgid);
void proc_free(struct proc *p);
struct table *touch(const struct ct_event *ev, struct proc **pp);
void proc_add_exec_fd(struct proc *p, const struct ct_event *ev);
void proc_exec_survivors(struct proc *p, struct table *old, const bool *keep);

/* Creations whose fate became known, in order; the caller owns one reference. */
struct creation *model_take_closed(void);

/* Heirs: an inherited fd (one reference, the caller's), linked to the entries that hold it. */
struct heir *heir_new(uint32_t pid, int fd, uint64_t ino, uint64_t exec_t);
void heir_put(struct heir *h);
/* e (in table t) holds h from now on (a heir it held before lets go of it: it was carried on). */
void entry_link(struct table *t, struct entry *e, struct heir *h);
/* A copy of h survived the exec of process pid at time t. */
void heir_passed(struct heir *h, uint32_t pid, uint64_t t);
/* p exec'd (exec) or ended (!exec) at t: the copies it closed before are settled so. */
void proc_settle_closes(struct proc *p, bool exec, uint64_t t);
/* The end of the trace at t: copies still open are held at the end; every heir settles. */
void model_end_heirs(uint64_t t);
/* Heirs that settled, in order; the caller owns one reference. */
struct heir *model_take_settled(void);

/* With --keep-fds: the inodes of the fds our caller gave us, which CMD inherits on purpose. */
void caller_fds_note(int skip_fd);
bool caller_fd(uint64_t ino);

#endif
