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

int main(int argc, char **argv)
{
	int fds[4096], n, held = 0, hold = argc > 1 && strcmp(argv[1], "--hold") == 0;
	char out[8192];
	size_t len = 0;

	n = lab_proc_fds(getpid(), fds, 4096);
	/* One write per line: lines from several processes on one pipe never interleave. */
	for (int i = 0; i < n; i++) {
		char t[PATH_MAX];

		if (fds[i] < 3)
			continue;
		if (lab_fd_target(getpid(), fds[i], t, sizeof(t)) < 0)
			strcpy(t, "?");
		len = (size_t)snprintf(out, sizeof(out), "fx held pid=%d fd=%d target=%s\n",
				       (int)getpid(), fds[i], t);
		if (write(1, out, len) < 0)
			return 3;
		held++;
	}
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
