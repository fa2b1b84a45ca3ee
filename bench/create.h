/* SPDX-License-Identifier: MIT */
/*
 * create.h - the shared loop of the "create a close-on-exec fd" benchmarks
 * (socket, pipe, dup3, dupfd, openat): each variant is a make() that returns
 * its new fds with FD_CLOEXEC set; the loop creates and closes, so every
 * variant does the same work apart from how the flag gets set.
 */
#ifndef CLOEXEC_LAB_BENCH_CREATE_H
#define CLOEXEC_LAB_BENCH_CREATE_H

#include "gbench.h"

struct create_case {
	const char *name; /* "socket_inet/SOCK_CLOEXEC" */
	/* Create fds (1 or 2) into fds[]; return how many, or -1 with errno. */
	int (*make)(const struct create_case *c, int fds[2]);
	int family;	  /* socket families */
	int src;	  /* dup sources: the fd to duplicate */
	int target;	  /* dup3/dup2: the fd number to duplicate onto */
	const char *what; /* the syscall named in errors */
};

/* The benchmark function: user is a struct create_case. */
void bench_create(gb_state *s, void *user);

#endif
