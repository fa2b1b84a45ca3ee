/* SPDX-License-Identifier: MIT */
/*
 * tlib.h - the test library (build/harness/tlib/libtlab.a), beside liblab: helpers that the
 * tests in harness/t share. One helper each: count the lines of a text, run a program under a
 * time limit with its output in files, write a file, remove a scratch tree.
 */
#ifndef CLOEXEC_LAB_TLIB_H
#define CLOEXEC_LAB_TLIB_H

#include <stddef.h>

/* tlab_run(): the program was killed after its time limit. */
#define TLAB_TIMEOUT (-2)

/* The number of newline-terminated lines in s (NULL: 0). */
int tlab_count_lines(const char *s);

/*
 * Run argv[0] (a path) with stdin /dev/null, stdout and stderr into the files out and err (NULL:
 * /dev/null; the same name: one file for both) and no other fd open, for at most timeout_ms.
 * Returns its exit code, 128+signal when a signal ended it, TLAB_TIMEOUT when it ran too long (then
 * it got SIGTERM, and SIGKILL 5 s later, and is reaped), -1 when it could not start.
 */
int tlab_run(char *const argv[], const char *out, const char *err, int timeout_ms);

/* Write text to path (created or truncated, 0644); bails when it cannot. */
void tlab_write_file(const char *path, const char *text);

/* Remove dir and everything below it (NULL or "" is fine). */
void tlab_rm_rf(const char *dir);

#endif
