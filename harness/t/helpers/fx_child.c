// SPDX-License-Identifier: MIT
/*
 * fx_child [--hold] - the program the truth fixtures exec. It lists the fds >= 3
 * it inherited (the independent observation of what survived exec), then exits
 * at once, or with --hold blocks reading stdin until EOF so a test can inspect
 * /proc/PID/fd while it lives. Linked statically when possible, so the dynamic
 * loader adds no fd records of its own.
 */
#define _GNU_SOURCE
#include "lab.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One "fx held" line per fd, one write each: lines from several processes never interleave. */
static int say_held(int fd, const char *target, void *failed)
{
	char out[PATH_MAX + 64];
	size_t len = (size_t)snprintf(out, sizeof(out), "fx held pid=%d fd=%d target=%s\n",
				      (int)getpid(), fd, target);

	if (write(1, out, len) < 0)
		*(int *)failed = 1;
	return *(int *)failed;
}

int main(int argc, char **argv)
{
	int failed = 0, held, hold = argc > 1 && strcmp(argv[1], "--hold") == 0;
	char out[256];
	size_t len;

	held = lab_each_fd(getpid(), 3, say_held, &failed);
	if (failed)
		return 3;
	len = (size_t)snprintf(out, sizeof(out), "fx child pid=%d nheld=%d%s\n", (int)getpid(),
			       held, hold ? " hold" : "");
	if (write(1, out, len) < 0)
		return 3;
	if (hold) {
		char b[256];

		while (read(0, b, sizeof(b)) > 0)
			;
	}
	return 0;
}
