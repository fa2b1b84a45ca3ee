// SPDX-License-Identifier: MIT
/*
 * race.c - the cloexec race, observed: one thread creates sockets and flags
 * them close-on-exec (non-atomically with socket()+fcntl(F_SETFD), or
 * atomically with SOCK_CLOEXEC) and closes them, in a tight loop; the calling
 * thread forks and execs cloexec-repro-child in "list" mode, which reports the
 * fds >= 3 it got. A child that got a socket is a leak: the fork landed between
 * socket() and fcntl(). Bounded by a number of spawns and by time.
 */
#define _GNU_SOURCE
#include "repro.h"
#include "lab.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define LIST_MS 5000 /* a lister reports and exits within this */

struct creator {
	int atomic;
	int stop;    /* __atomic: set by the spawning thread */
	int running; /* __atomic: set by the creating thread */
	long long sockets;
	int error;
};

static void *creator_main(void *arg)
{
	struct creator *c = arg;

	__atomic_store_n(&c->running, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		int fd = socket(AF_INET, SOCK_STREAM | (c->atomic ? SOCK_CLOEXEC : 0), 0);

		if (fd < 0) {
			__atomic_store_n(&c->error, errno, __ATOMIC_RELEASE);
			break;
		}
		if (!c->atomic)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
		close(fd);
		c->sockets++;
	}
	return NULL;
}

/* Any fd >= 3 without FD_CLOEXEC in this process would spoil the count. */
static int inheritable_fd(char *what, size_t len)
{
	int fds[4096], n = lab_proc_fds(getpid(), fds, 4096);

	for (int i = 0; i < n; i++) {
		int fl = fcntl(fds[i], F_GETFD);

		if (fds[i] >= 3 && fl >= 0 && !(fl & FD_CLOEXEC)) {
			char t[256];

			if (lab_fd_target(getpid(), fds[i], t, sizeof(t)) < 0)
				t[0] = '\0';
			repro_fmt(what, len, "fd %d -> %s", fds[i], t);
			return 1;
		}
	}
	return 0;
}

/* Fork+exec the lister; returns the number of sockets it reported, or -1. */
static int spawn_list(const char *path, char *first, size_t firstlen)
{
	char *argv[] = {(char *)"cloexec-repro-child", (char *)"list", NULL};
	char buf[4096];
	int p[2], sockets = 0, st, n, e;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (dup2(p[1], 1) < 0)
			_exit(126);
		execve(path, argv, environ);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	tap_track_child(pid);
	/* Read the report until EOF, bounded: a lister that hangs must not hang the run. */
	n = repro_read_until(p[0], buf, sizeof(buf), LIST_MS, 0);
	e = errno;
	close(p[0]);
	if (n < 0 || lab_wait_timeout(pid, &st, LIST_MS) < 0)
		lab_kill_reap(pid);
	tap_untrack_child(pid);
	if (n < 0 || !strstr(buf, "end\n")) {
		errno = n < 0 ? e : EPROTO;
		return -1;
	}
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		int fd;
		char t[128];

		if (sscanf(l, "%d %127s", &fd, t) == 2 && !strncmp(t, "socket:", 7)) {
			if (!sockets && first[0] == '\0')
				repro_fmt(first, firstlen, "fd %d -> %s", fd, t);
			sockets++;
		}
	}
	return sockets;
}

void repro_race_run(int atomic, int max_spawns, int max_ms, struct repro_race *r)
{
	struct creator c = {.atomic = atomic};
	unsigned long long t0, limit = (unsigned long long)max_ms * 1000000ULL;
	char what[300], first[160] = "";
	pthread_t th;
	int e;

	memset(r, 0, sizeof(*r));
	r->atomic = atomic;
	r->strategy = atomic ? "SOCK_CLOEXEC" : "socket+fcntl";
	if (inheritable_fd(what, sizeof(what))) {
		r->error = 1;
		repro_fmt(r->detail, sizeof(r->detail),
			  "this process has an inheritable fd (%s): the count would be wrong",
			  what);
		return;
	}
	e = pthread_create(&th, NULL, creator_main, &c);
	if (e) {
		r->error = 1;
		repro_fmt(r->detail, sizeof(r->detail), "failed to create thread: %s", strerror(e));
		return;
	}
	while (!__atomic_load_n(&c.running, __ATOMIC_ACQUIRE))
		sched_yield();
	t0 = lab_now_ns();
	while (r->spawns < max_spawns && lab_now_ns() - t0 < limit &&
	       !__atomic_load_n(&c.error, __ATOMIC_ACQUIRE)) {
		int s = spawn_list(repro_child_path(), first, sizeof(first));

		if (s < 0) {
			r->error = 1;
			repro_fmt(r->detail, sizeof(r->detail),
				  "failed to get a report from the lister %s: %s",
				  repro_child_path(), strerror(errno));
			break;
		}
		r->spawns++;
		if (s > 0)
			r->leaks++;
	}
	r->stopped_by_time = r->spawns < max_spawns && !r->error;
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	r->duration_ms = (long long)((lab_now_ns() - t0) / 1000000ULL);
	r->sockets = c.sockets;
	if (c.error && !r->error) {
		r->error = 1;
		repro_fmt(r->detail, sizeof(r->detail), "failed to create socket: %s",
			  strerror(c.error));
	}
	r->rate = r->spawns ? (double)r->leaks / r->spawns : 0.0;
	if (!r->error)
		repro_fmt(r->detail, sizeof(r->detail), "%s%s", r->leaks ? "first leak: " : "",
			  r->leaks ? first : "no child got a socket");
}

void repro_race_compare(int spawns, int max_ms, int retries, struct repro_race out[2])
{
	struct repro_race more;

	/* Non-atomic first; a run that saw no leak is extended (bounded), never passed off. */
	repro_race_run(0, spawns, max_ms, &out[0]);
	for (int t = 0; t < retries && !out[0].error && out[0].leaks == 0; t++) {
		repro_race_run(0, spawns * 2, max_ms * 2, &more);
		if (more.error) {
			out[0].error = 1;
			repro_fmt(out[0].detail, sizeof(out[0].detail), "%s", more.detail);
			break;
		}
		out[0].spawns += more.spawns;
		out[0].sockets += more.sockets;
		out[0].leaks += more.leaks;
		out[0].duration_ms += more.duration_ms;
		out[0].stopped_by_time |= more.stopped_by_time;
		repro_fmt(out[0].detail, sizeof(out[0].detail), "%s (after %d extension%s)",
			  more.detail, t + 1, t ? "s" : "");
	}
	out[0].rate = out[0].spawns ? (double)out[0].leaks / out[0].spawns : 0.0;
	if (out[0].error) {
		memset(&out[1], 0, sizeof(out[1]));
		out[1].strategy = "SOCK_CLOEXEC";
		out[1].atomic = 1;
		out[1].error = 1;
		repro_fmt(out[1].detail, sizeof(out[1].detail),
			  "not run: the non-atomic run failed");
		return;
	}
	/* The same number of spawns with SOCK_CLOEXEC; the time bound only guards a hang. */
	repro_race_run(1, out[0].spawns, max_ms * 4, &out[1]);
}
