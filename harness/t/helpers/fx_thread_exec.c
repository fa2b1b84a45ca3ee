// SPDX-License-Identifier: MIT
/*
 * fx_thread_exec - truth: a plain socket() is leaked when a non-leader thread
 * calls execve(fx_child): the kernel makes the thread the leader, so the exec is
 * seen under the process's pid (the tgid), holding the socket.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <pthread.h>

static void *exec_thread(void *arg)
{
	(void)arg;
	printf("fx exec role=child pid=%d tid=%d\n", (int)getpid(), (int)gettid());
	fflush(stdout);
	execv(fx_child_path, fx_child_argv());
	fx_die("exec %s from a thread", fx_child_path);
}

int main(int argc, char **argv)
{
	pthread_t t;
	int s;

	fx_init(argc, argv);
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	/* fx done is printed before: after the exec nothing of ours runs. */
	fx_done(0);
	errno = pthread_create(&t, NULL, exec_thread, NULL);
	if (errno)
		fx_die("start the exec thread");
	pthread_join(t, NULL);
	return 1;
}
