// SPDX-License-Identifier: MIT
/*
 * fx_race [MAX_FORKS [WANT [MAX_MS]]] - the socket()+fcntl(F_SETFD) race. One
 * thread loops socket(); fcntl(F_SETFD, FD_CLOEXEC); close() while the main
 * thread forks and execs fx_child, until WANT (default 3) children were caught
 * in the window, MAX_FORKS (default 3000) forks, or MAX_MS (default 20000) ms.
 *
 * Truth: each forked child checks, before its exec, every fd for one that is
 * open without FD_CLOEXEC (only the churn socket can be one). Such a child
 * reports `fx racefork pid=P fd=N ino=I` and then holds that socket across
 * the exec (a race the tracer must report); the others hold nothing.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_int stop;
static unsigned long churned;

static void *churn(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			fx_die("create a socket in the churn loop");
		if (fcntl(s, F_SETFD, FD_CLOEXEC) < 0)
			fx_die("set FD_CLOEXEC in the churn loop");
		close(s);
		churned++;
	}
	return NULL;
}

/* In the forked child: is any fd open without FD_CLOEXEC? Report it. */
static int child_check(int report_fd)
{
	for (int fd = 3; fd < 1024; fd++) {
		int fl = fcntl(fd, F_GETFD);
		struct stat st;
		char line[128];
		int n;

		if (fl < 0 || (fl & FD_CLOEXEC) || fstat(fd, &st) < 0)
			continue;
		n = snprintf(line, sizeof(line), "fx racefork pid=%d fd=%d ino=%llu\n",
			     (int)getpid(), fd, (unsigned long long)st.st_ino);
		if (write(1, line, (size_t)n) < 0 || write(report_fd, "r", 1) < 0)
			_exit(3);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int max_forks = 3000, want = 3, max_ms = 20000, forks = 0, races = 0, rp[2], rc = 0;
	unsigned long long t0;
	pthread_t t;

	argc = fx_init(argc, argv);
	if (argc > 1)
		max_forks = atoi(argv[1]);
	if (argc > 2)
		want = atoi(argv[2]);
	if (argc > 3)
		max_ms = atoi(argv[3]);
	if (argc > 4 || max_forks < 1 || want < 1 || max_ms < 1) {
		fprintf(stderr, "fx_race: usage: fx_race [MAX_FORKS [WANT [MAX_MS]]]\n");
		return 2;
	}
	if (pipe2(rp, O_CLOEXEC | O_NONBLOCK) < 0)
		fx_die("create the report pipe");
	errno = pthread_create(&t, NULL, churn, NULL);
	if (errno)
		fx_die("start the churn thread");
	t0 = lab_now_ns();
	while (forks < max_forks && races < want && lab_now_ns() - t0 < max_ms * 1000000ULL) {
		pid_t pid;
		char b[16];
		ssize_t r;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			fx_die("fork");
		if (pid == 0) {
			child_check(rp[1]);
			execv(fx_child_path, fx_child_argv());
			_exit(127);
		}
		forks++;
		printf("fx exec role=child pid=%d\n", (int)pid);
		if (fx_wait(pid))
			rc = 1;
		while ((r = read(rp[0], b, sizeof(b))) > 0)
			races += (int)r;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("fx race forks=%d races=%d sockets=%lu ms=%llu\n", forks, races, churned,
	       (lab_now_ns() - t0) / 1000000ULL);
	return fx_done(rc);
}
