/* SPDX-License-Identifier: MIT */
/*
 * lab.h - helpers shared by the harness tests and tools: a clean fd baseline,
 * bounded waits on children (pidfd + poll, no sleeps), /proc fd inspection,
 * and the checks that decide whether a BPF test can run.
 */
#ifndef CLOEXEC_LAB_LAB_H
#define CLOEXEC_LAB_LAB_H

#include <stddef.h>
#include <sys/types.h>

struct rusage;

/*
 * Close every fd >= 3 the caller inherited (shells and CI runners leak some,
 * e.g. /dev/null at fd 10). Call first thing in main(). Returns how many were
 * open; lists them in diag lines when verbose is set.
 */
int lab_clean_fds(int verbose);

/*
 * Wait for pid to exit for at most timeout_ms. Returns 0 and fills *status
 * when it exited, -1 with errno=ETIMEDOUT when it did not (the child is left
 * running), -1 with errno set on other errors.
 */
int lab_wait_timeout(pid_t pid, int *status, int timeout_ms);
/* The same, also filling *ru (NULL: not wanted) with the child's resource usage (wait4). */
int lab_wait4_timeout(pid_t pid, int *status, struct rusage *ru, int timeout_ms);
/* Mark every fd >= 3 close-on-exec (close_range, else a loop up to the fd limit); 0 or -1. */
int lab_cloexec_all(void);
/* SIGKILL and reap; safe on an already-reaped pid (returns -1). */
int lab_kill_reap(pid_t pid);

/* Fill fds[] with the open fd numbers of pid (sorted); returns count or -1. */
int lab_proc_fds(pid_t pid, int *fds, int max);
/*
 * Call fn(fd, target, arg) for each open fd >= min_fd of pid, in order (target "?" when it
 * cannot be read), until fn returns non-zero. Returns how many fds fn saw, or -1.
 */
int lab_each_fd(pid_t pid, int min_fd, int (*fn)(int fd, const char *target, void *arg), void *arg);
/* readlink /proc/PID/fd/FD into buf; returns length or -1. */
int lab_fd_target(pid_t pid, int fd, char *buf, size_t len);
/* Whether pid holds an fd whose target is exactly the given string. */
int lab_proc_holds(pid_t pid, const char *target);
/* "socket:[INODE]" of our own fd, or "" on error. */
const char *lab_fd_identity(int fd, char *buf, size_t len);

/* The local port of a bound socket (host order), or -1. */
int lab_local_port(int fd);

/*
 * Whether BPF tracing can run here: root (or CAP_BPF+CAP_PERFMON) and kernel
 * BTF. Returns 1 when it can; else 0 with a one-sentence reason in why.
 */
int lab_bpf_usable(char *why, size_t len);

/* The directory holding the running executable (build/..., for sibling tools). */
const char *lab_exe_dir(void);
/* Path of a built tool relative to the build root, e.g. "cloexec-trace". */
const char *lab_build_path(const char *rel, char *buf, size_t len);

/*
 * Read a whole file (regular, pipe or /proc) into a NUL-terminated malloc'd buffer; NULL with
 * errno on error. *len (if given) gets the byte count.
 */
char *lab_read_file(const char *path, size_t *len);

/* Monotonic clock in nanoseconds. */
unsigned long long lab_now_ns(void);

#endif
