// SPDX-License-Identifier: MIT
/*
 * fx_thread_churn N - truth: three threads share one fd table and reuse each
 * other's fd numbers all the time. Each makes and closes N unix sockets: one
 * without FD_CLOEXEC (never), one with SOCK_CLOEXEC (atomic), one with
 * fcntl(F_SETFD) right after socket() (late). All are closed before fx_child
 * runs, so it inherits nothing. A tracer that confuses a reused number with an
 * older fd (a close seen after the next fd's creation) misclassifies some.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <pthread.h>

static int n_iter;

static void *churn(void *arg)
{
	long mode = (long)arg;

	for (int i = 0; i < n_iter; i++) {
		int s = socket(AF_UNIX, SOCK_DGRAM | (mode == 1 ? SOCK_CLOEXEC : 0), 0);

		if (s < 0)
			fx_die("create a unix socket");
		if (mode == 2 && fcntl(s, F_SETFD, FD_CLOEXEC) < 0)
			fx_die("set FD_CLOEXEC");
		close(s);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[3];

	fx_init(argc, argv);
	n_iter = argc > 1 ? atoi(argv[1]) : 0;
	if (n_iter <= 0)
		n_iter = 2000;
	for (long m = 0; m < 3; m++) {
		errno = pthread_create(&t[m], NULL, churn, (void *)m);
		if (errno)
			fx_die("create a thread");
	}
	for (int m = 0; m < 3; m++)
		pthread_join(t[m], NULL);
	printf("fx churn n=%d\n", n_iter);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
