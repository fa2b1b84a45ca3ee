// SPDX-License-Identifier: MIT
/*
 * tlib.c - the tests' shared helpers (see tlib.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "tap.h"
#include "tlib.h"

int tlab_count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* In the child: stdin /dev/null, stdout/stderr into the files, nothing else open, exec. */
static void __attribute__((noreturn))
run_child(char *const argv[], const char *out, const char *err)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* the same file for both: one open file description, so they do not overwrite */
	int e = out && err && !strcmp(out, err)
		    ? o
		    : open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
		_exit(126);
	/* Everything above 2 was opened by us and must not reach the program. */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execv(argv[0], argv);
	_exit(127);
}

int tlab_run(char *const argv[], const char *out, const char *err, int timeout_ms)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		run_child(argv, out, err);
	tap_track_child(pid);
	if (lab_wait_timeout(pid, &status, timeout_ms) < 0) {
		int was_timeout = errno == ETIMEDOUT;

		/* SIGTERM first: a runner then takes down what it started on the way out. */
		kill(pid, SIGTERM);
		if (lab_wait_timeout(pid, NULL, 5000) < 0)
			lab_kill_reap(pid);
		tap_untrack_child(pid);
		if (was_timeout)
			diag("%s ran longer than %d ms: killed", argv[0], timeout_ms);
		return was_timeout ? TLAB_TIMEOUT : -1;
	}
	tap_untrack_child(pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

void tlab_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		bail("failed to write %s: %s", path, strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void tlab_rm_rf(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
