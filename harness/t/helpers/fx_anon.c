// SPDX-License-Identifier: MIT
/*
 * fx_anon - truth: fds made by the other fd-creating calls, each once without its
 * close-on-exec flag (never, leaked into fx_child) and once with it (atomic, not
 * leaked): eventfd, epoll_create1, timerfd_create, signalfd, inotify_init1 and
 * memfd_create.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

static void check(const char *role, int fd)
{
	if (fd < 0)
		fx_die("create the %s fd", role);
	fx_report(role, fd);
}

int main(int argc, char **argv)
{
	sigset_t mask;

	fx_init(argc, argv);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	check("eventfd", eventfd(0, 0));
	check("eventfd_c", eventfd(0, EFD_CLOEXEC));
	check("epoll", epoll_create1(0));
	check("epoll_c", epoll_create1(EPOLL_CLOEXEC));
	check("timerfd", timerfd_create(CLOCK_MONOTONIC, 0));
	check("timerfd_c", timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
	check("signalfd", signalfd(-1, &mask, 0));
	check("signalfd_c", signalfd(-1, &mask, SFD_CLOEXEC));
	check("inotify", inotify_init1(0));
	check("inotify_c", inotify_init1(IN_CLOEXEC));
	check("memfd", memfd_create("fx_anon", 0));
	check("memfd_c", memfd_create("fx_anon_c", MFD_CLOEXEC));
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
