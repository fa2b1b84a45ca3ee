/* SPDX-License-Identifier: MIT */
/*
 * ct_stack.h - where an fd was made: the user stack of the syscall, unwound and named in user
 * space with elfutils (libdwfl), at the moment its record arrives.
 *
 * The kernel sends, on records of fds made without close-on-exec (and of calls that cleared the
 * flag), the user registers and a copy of the stack memory above the stack pointer
 * (struct ct_stack_tail), and MAP records of every executable file mapping of a traced process
 * (exec's program and interpreter, the loader's mmap of each library). ct_aspace.c keeps those
 * address spaces per process (fork shares, exec replaces, exit drops); ct_stack.c unwinds the
 * copy with the DWARF CFI of the mapped files (.eh_frame/.debug_frame: no frame pointers
 * needed), names each frame (function from DWARF or the symbol table, file:line from the line
 * table, build id, module) and keeps the result, so it stays right after the process exec'd or
 * exited. Frames of libc and the dynamic loader before the first frame of the caller are
 * marked folded: the first frame shown is the code that made the call.
 *
 * The record pump calls ct_stack_observe() for every record as it arrives, and the model takes
 * the stack of an FD or SETFD record with ct_stack_take().
 */
#ifndef CLOEXEC_TRACE_STACK_H
#define CLOEXEC_TRACE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include "cloexec_trace.h"

#define CT_STACK_DEPTH_DEFAULT 16 /* frames after the folded libc/loader frames */
#define CT_STACK_DEPTH_MAX     64
#define CT_STACK_BYTES_DEFAULT 8192 /* bytes of user stack the kernel copies per stack */

/* One frame, innermost first. Strings are NULL when unknown. */
struct ct_frame {
	uint64_t addr;	     /* the pc (for callers: the return address) */
	uint64_t offset;     /* the address in the module's ELF (addr2line -e module) */
	bool has_offset;     /* offset is known (a mapped file holds addr) */
	bool offset_is_file; /* offset is a file offset: the module's ELF could not be read */
	bool system;	     /* in libc or the dynamic loader */
	bool folded;	     /* a system frame before the caller's first frame */
	bool inlined;	     /* function is inlined at this pc (named from DWARF) */
	char *module;	     /* path of the mapped file */
	char *build_id;	     /* hex */
	char *function;	     /* DWARF name (inlined) or ELF symbol */
	char *file;	     /* source file, from the line table */
	int line;	     /* 0: unknown */
};

/* Which call a stack is of. */
enum ct_stack_of {
	CT_STACK_OF_CREATION, /* the call that made the fd */
	CT_STACK_OF_CLEAR,    /* the call that cleared the close-on-exec flag of an atomic fd */
};

struct ct_stack {
	int refs;
	enum ct_stack_of of;
	bool truncated;	   /* more frames than the depth */
	const char *error; /* why there are no frames (or no more): a constant string, or NULL */
	int n;
	struct ct_frame f[];
};

struct ct_stack_stats {
	unsigned long taken;   /* records that carried a stack */
	unsigned long skipped; /* records whose stack the kernel did not take (ring busy) */
	unsigned long unwound; /* stacks unwound (the others came from the cache) */
	unsigned long frames;  /* frames named */
};

extern struct ct_stack_stats ct_stack_stats;

/* Stacks on with at most depth frames past the folded ones (0: stacks off). */
void ct_stack_init(int depth);
bool ct_stack_on(void);

/*
 * Every record as it arrives (tail, len: what follows struct ct_event in the ring buffer
 * record): MAP, FORK and EXIT keep the address spaces; an FD or SETFD record with a stack is
 * unwound and named now, while its address space is the one the call ran in.
 */
void ct_stack_observe(const struct ct_event *ev, const void *tail, size_t len);

/*
 * The stack of an FD or SETFD record (one reference, the caller's), NULL when the record had
 * none (stacks off, an atomic fd). A stack the kernel skipped has n == 0 and an error. The
 * stack of an FD record is of the creation, of a SETFD record of the clear.
 */
struct ct_stack *ct_stack_take(const struct ct_event *ev);
struct ct_stack *ct_stack_ref(struct ct_stack *s);
void ct_stack_put(struct ct_stack *s);

/* The first frame that is not folded (the caller), or NULL. */
const struct ct_frame *ct_stack_caller(const struct ct_stack *s);
/* The innermost frame outside libc and the loader that has a source line, or NULL. */
const struct ct_frame *ct_stack_source(const struct ct_stack *s);

/* Words for the enum (renderers). */
const char *ct_stack_of_name(enum ct_stack_of of);

/*
 * A process whose exec we did not see (-p PID, a system-wide trace): its address space from
 * /proc/PID/maps, now. Returns false when it cannot be read.
 */
bool ct_stack_read_proc(pid_t pid);

/* Drop stacks nobody took that are older than now - 2 s (all: every one, and the caches). */
void ct_stack_prune(uint64_t now, bool all);

#endif
