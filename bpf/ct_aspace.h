/* SPDX-License-Identifier: MIT */
/*
 * ct_aspace.h - the address spaces of traced processes, for unwinding their stacks (ct_stack.c):
 * which file is mapped where, from the kernel's MAP records (exec's program and interpreter,
 * each PROT_EXEC mmap) or from /proc/PID/maps for a process whose exec we did not see. Fork
 * shares the parent's (copied when one of them maps more), exec replaces it, exit drops it. Each
 * address space has a libdwfl session (Dwfl) of its mapped ELF files, made when a stack needs it.
 */
#ifndef CLOEXEC_TRACE_ASPACE_H
#define CLOEXEC_TRACE_ASPACE_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#include "cloexec_trace.h"

/* One mapped file. */
struct ct_mapping {
	uint64_t start, end, pgoff; /* as mapped: [start, end) holds file offset pgoff at start */
	uint64_t ino;
	char *path;
	bool elf;	 /* path is the mapped file (same inode) and an ELF: lo, hi, bias hold */
	bool system;	 /* libc or the dynamic loader (by its DT_SONAME) */
	uint64_t lo, hi; /* the module's address range (all its PT_LOAD segments) */
	uint64_t bias;	 /* load bias: address = ELF address + bias */
};

struct ct_aspace {
	int refs;
	uint64_t id; /* unique: keys of the stack cache */
	struct ct_mapping *m;
	int n, cap;
	Dwfl *dwfl;    /* NULL until a stack needs it */
	int reported;  /* m[0..reported) are in dwfl */
	uint64_t used; /* when dwfl was last used (LRU of open sessions) */
};

/* MAP, FORK and EXIT records. */
void aspace_observe(const struct ct_event *ev);
/* The address space of process tgid, NULL if none is known. */
struct ct_aspace *aspace_of(uint32_t tgid);
/* The mapping that holds addr, or NULL. */
const struct ct_mapping *aspace_find(const struct ct_aspace *as, uint64_t addr);
/* as's libdwfl session with every mapping reported (NULL: none could be made). */
Dwfl *aspace_dwfl(struct ct_aspace *as, void *thread_arg);
/* tgid's address space from /proc/PID/maps, replacing what we had; when it cannot be read, an
 * empty one (its stacks say the mappings are unknown, and /proc is not asked again). */
bool aspace_read_proc(uint32_t tgid);
/* Every address space and open session: gone. */
void aspace_free_all(void);

/* libdwfl's thread callbacks (ct_stack.c): the captured registers and stack memory. */
extern const Dwfl_Thread_Callbacks ct_unwind_callbacks;

#endif
