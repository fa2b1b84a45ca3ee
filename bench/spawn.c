// SPDX-License-Identifier: MIT
/*
 * spawn.c - the cost of spawning a child that must not inherit our fds, as the
 * number of open fds grows (args fds:16 .. fds:16384):
 *   spawn_fork/close-loop   fds inheritable; the child closes 3..maxfd one by one
 *   spawn_fork/close_range  fds inheritable; the child calls close_range(3, ~0U, 0)
 *   spawn_fork/cloexec      all fds FD_CLOEXEC; the kernel closes them at exec
 *   spawn_posix/addclosefrom  posix_spawn + posix_spawn_file_actions_addclosefrom_np(3)
 *   spawn_posix/cloexec       posix_spawn with all fds FD_CLOEXEC
 * The child execs build/bench/exit0 (static, exits at once); each iteration
 * waits for it. The open fds are dups of /dev/null, made before the timing.
 * Before timing, one spawn of the variant execs this program in its fd-counting
 * mode: a variant whose child still holds fds fails instead of looking fast.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "families.h"
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

extern char **environ;

enum spawn_variant { S_LOOP, S_CLOSE_RANGE, S_FORK_CLOEXEC, S_ADDCLOSEFROM, S_POSIX_CLOEXEC };

struct spawn_case {
	const char *name;
	enum spawn_variant v;
};

static char exit0_path[4096];

/* Open n fds (dups of one /dev/null) into fds[]; returns the highest or -1. */
static int open_fds(int *fds, int n, int cloexec)
{
	int maxfd = -1;

	fds[0] = open("/dev/null", O_RDONLY | (cloexec ? O_CLOEXEC : 0));
	if (fds[0] < 0)
		return -1;
	maxfd = fds[0];
	for (int i = 1; i < n; i++) {
		fds[i] = fcntl(fds[0], cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
		if (fds[i] < 0)
			return -1;
		if (fds[i] > maxfd)
			maxfd = fds[i];
	}
	return maxfd;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Spawn path with argv {path} and envp the way variant v does it. */
static pid_t spawn_one(enum spawn_variant v, int maxfd, const posix_spawn_file_actions_t *fa,
		       char *path, char **envp)
{
	char *argv[] = {path, NULL};
	pid_t pid;
	int err;

	switch (v) {
	case S_ADDCLOSEFROM:
	case S_POSIX_CLOEXEC:
		err = posix_spawn(&pid, path, v == S_ADDCLOSEFROM ? fa : NULL, NULL, argv, envp);
		if (err) {
			errno = err;
			return -1;
		}
		return pid;
	default:
		break;
	}
	pid = fork();
	if (pid != 0)
		return pid;
	/* Child: only async-signal-safe calls from here. */
	if (v == S_LOOP) {
		for (int fd = 3; fd <= maxfd; fd++)
			close(fd);
	} else if (v == S_CLOSE_RANGE) {
		if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
			_exit(126);
	}
	execve(path, argv, envp);
	_exit(127);
}

/*
 * Untimed, once per run: the variant really leaves the exec'd child without our
 * fds. The child is this program in its fd-counting mode (bench.h), which exits
 * with the number of fds >= 3 it holds.
 */
static int check_variant(gb_state *s, const struct spawn_case *c, int maxfd,
			 const posix_spawn_file_actions_t *fa)
{
	char self[] = "/proc/self/exe", env[] = BENCH_COUNT_FDS_ENV "=1";
	char *envp[] = {env, NULL};
	pid_t pid = spawn_one(c->v, maxfd, fa, self, envp);
	int st;

	if (pid < 0) {
		bench_fail(s, "spawn", errno);
		return -1;
	}
	if (lab_wait_timeout(pid, &st, 10000) < 0) {
		lab_kill_reap(pid);
		gb_skip_with_errorf(s, "the fd-counting child did not exit within 10 s");
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 125) {
		gb_skip_with_errorf(s, "the fd-counting child failed (status 0x%x)", st);
		return -1;
	}
	if (WEXITSTATUS(st) != 0) {
		gb_skip_with_errorf(s, "variant left %d of our fds open in the exec'd child",
				    WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

static void bm_spawn(gb_state *s, void *user)
{
	const struct spawn_case *c = user;
	int nfds = (int)gb_range(s, 0);
	int cloexec = c->v == S_FORK_CLOEXEC || c->v == S_POSIX_CLOEXEC;
	posix_spawn_file_actions_t fa;
	int *fds, maxfd, st, err;
	uint64_t n = 0;

	if (nfds + 64 > bench_nofile) {
		bench_env_skip(s, "needs %d fds, RLIMIT_NOFILE is %ld", nfds + 64, bench_nofile);
		return;
	}
	if (!lab_build_path("bench/exit0", exit0_path, sizeof(exit0_path)) ||
	    access(exit0_path, X_OK) < 0) {
		gb_skip_with_errorf(
		    s, "cloexec-bench: failed to find bench/exit0 (%s): build it with make",
		    exit0_path);
		return;
	}
	err = posix_spawn_file_actions_init(&fa);
	if (!err)
		err = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (err) {
		bench_fail(s, "posix_spawn_file_actions", err);
		return;
	}
	fds = malloc(sizeof(*fds) * (size_t)nfds);
	if (!fds) {
		bench_fail(s, "malloc", ENOMEM);
		posix_spawn_file_actions_destroy(&fa);
		return;
	}
	for (int i = 0; i < nfds; i++)
		fds[i] = -1;
	/* the library's --benchmark_out file is an ofstream opened without O_CLOEXEC: no child
	 * we exec may get it */
	if (lab_cloexec_all() < 0) {
		bench_fail(s, "close_range(CLOSE_RANGE_CLOEXEC)", errno);
		goto out;
	}
	maxfd = open_fds(fds, nfds, cloexec);
	if (maxfd < 0) {
		bench_fail(s, "open fds", errno);
		goto out;
	}
	if (check_variant(s, c, maxfd, &fa) < 0)
		goto out;

	while (gb_keep_running_batch(s, &n)) {
		for (uint64_t i = 0; i < n; i++) {
			pid_t pid = spawn_one(c->v, maxfd, &fa, exit0_path, environ);

			if (pid < 0) {
				bench_fail(s, "spawn", errno);
				goto out;
			}
			while (waitpid(pid, &st, 0) < 0) {
				if (errno != EINTR) {
					bench_fail(s, "waitpid", errno);
					goto out;
				}
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				gb_skip_with_errorf(s, "child did not exit 0 (status 0x%x)", st);
				goto out;
			}
		}
	}
	gb_counter_set(s, "fds", nfds, GB_COUNTER_DEFAULT);
out:
	close_fds(fds, nfds);
	free(fds);
	posix_spawn_file_actions_destroy(&fa);
}

static const struct spawn_case cases[] = {
    {"spawn_fork/close-loop", S_LOOP},	      {"spawn_fork/close_range", S_CLOSE_RANGE},
    {"spawn_fork/cloexec", S_FORK_CLOEXEC},   {"spawn_posix/addclosefrom", S_ADDCLOSEFROM},
    {"spawn_posix/cloexec", S_POSIX_CLOEXEC},
};

void bench_register_spawn(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gb_bench *b = gb_register(cases[i].name, bm_spawn, (void *)&cases[i]);

		if (!b)
			continue;
		gb_arg_name(b, "fds");
		for (int64_t n = 16; n <= 16384; n *= 4)
			gb_arg(b, n);
		gb_use_real_time(b);
		gb_unit(b, GB_US);
	}
}
