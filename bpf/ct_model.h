/* SPDX-License-Identifier: MIT */
/*
 * ct_model.h - cloexec-trace's model of what the kernel did: fd creations, fd tables (keyed by
 * files_struct, so a reused fd number is never confused with an older fd), processes and an
 * index of recent creations by inode. The model only holds facts; it decides nothing and
 * prints nothing. An fd whose fate became known (closed, exec'd away, its process gone, end of
 * trace) is marked final and put on the closed list, which the record pump (ct_events.c) drains
 * into the decisions (ct_decide.c).
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
	uint64_t late_ns, set_t, closed_t;
	enum ct_set_by set_by;
	unsigned redundant;
	char *name;	   /* path or socket name, "" if none */
	struct witness *w; /* copies that exec'd before the bit was known set */
	int nw, capw;
	struct ct_stack *stack;	      /* user stack of the creating call (NULL: none taken) */
	struct ct_stack *clear_stack; /* of the first call that cleared the flag after it was set */
};

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
	int users;
	struct entry *e;
	int cap;
	struct ancestor anc[MAX_ANC]; /* the forks this table descends from, nearest first */
	int nanc;
	struct table *next;
};

struct exec_fd {
	struct ct_event ev;
};

struct proc {
	uint32_t tgid, ppid;
	uint64_t files;
	char comm[CT_COMM_LEN + 1];
	bool alive, counted, have_spawn;
	bool launching; /* the tracer's child before its exec of CMD */
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
void entry_drop(struct table *t, struct entry *e);
void model_finalize_open(void);

/* Processes. */
struct proc *proc_find(uint32_t tgid);
struct proc *proc_get(uint32_t tgid);
void proc_free(struct proc *p);
struct table *touch(const struct ct_event *ev, struct proc **pp);
void proc_add_exec_fd(struct proc *p, const struct ct_event *ev);
void proc_exec_survivors(struct proc *p, struct table *old, const bool *keep);

/* Creations whose fate became known, in order; the caller owns one reference. */
struct creation *model_take_closed(void);

/* With --keep-fds: the inodes of the fds our caller gave us, which CMD inherits on purpose. */
void caller_fds_note(int skip_fd);
bool caller_fd(uint64_t ino);

#endif
