// SPDX-License-Identifier: MIT
/*
 * cloexec-repro-child - the long-running child of the repro scenarios.
 *
 * Its control channel is stdin/stdout (one socket, placed at fds 0 and 1 by
 * the spawner), so it adds nothing at fd >= 3 to what the child inherited.
 *
 *   hold   print "ready pid=N listen_fds=S listen_pid=S" on stdout, then obey
 *          commands from stdin, one per line:
 *            serve FD   accept connections on FD, write "served by pid N" to
 *                       each and close it (abortively: no TIME_WAIT), until
 *                       "stop" arrives; then print "served K P1 P2 ...", the
 *                       peers' ports
 *            exit       exit 0 (so does EOF on stdin)
 *   list   print "FD TARGET" for every open fd >= 3, then "end", and exit
 *          (the race: which fds did this exec get?)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	for (char *p = buf; n > 0;) {
		ssize_t w = write(1, p, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(3);
		p += w;
		n -= (int)w;
	}
}

/* Read one line from stdin (no stdio buffering: the fd is shared with the parent's view). */
static int get_line(char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		char c;
		ssize_t r = read(0, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? (int)n : -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return (int)n;
}

/* The peer's port of an accepted connection (v4 or v6). */
static int peer_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

#define SERVE_PORTS 64 /* peer ports listed at "stop" (the parent makes at most 32) */

static void serve(int lfd)
{
	int served = 0, ports[SERVE_PORTS];

	for (;;) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
		char line[128];

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			say("error poll %d\n", errno);
			return;
		}
		if (p[0].revents & (POLLERR | POLLNVAL)) {
			say("error listener\n");
			return;
		}
		if (p[0].revents & POLLIN) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			int c;

			memset(&ss, 0, sizeof(ss));
			c = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (c >= 0) {
				char msg[64];
				struct linger lg = {1, 0};
				int n =
				    snprintf(msg, sizeof(msg), "served by pid %d\n", (int)getpid());

				if (served < SERVE_PORTS)
					ports[served] = peer_port(&ss);
				served++;
				if (write(c, msg, (size_t)n) != n)
					say("error write %d\n", errno);
				setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				close(c);
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			if (get_line(line, sizeof(line)) < 0)
				exit(0);
			if (strcmp(line, "stop") == 0) {
				char list[SERVE_PORTS * 7 + 1] = "";
				size_t n = 0;

				for (int i = 0; i < served && i < SERVE_PORTS; i++)
					n += (size_t)snprintf(list + n, sizeof(list) - n, " %d",
							      ports[i]);
				say("served %d%s\n", served, list);
				return;
			}
		}
	}
}

static int do_hold(void)
{
	const char *lf = getenv("LISTEN_FDS"), *lp = getenv("LISTEN_PID");
	char line[128];

	say("ready pid=%d listen_fds=%s listen_pid=%s\n", (int)getpid(), lf ? lf : "-",
	    lp ? lp : "-");
	while (get_line(line, sizeof(line)) >= 0) {
		int fd;

		if (strcmp(line, "exit") == 0)
			return 0;
		if (sscanf(line, "serve %d", &fd) == 1)
			serve(fd);
		else
			say("error unknown command\n");
	}
	return 0;
}

static int do_list(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d) {
		say("error opendir %d\n", errno);
		return 3;
	}
	while ((de = readdir(d)) != NULL) {
		char path[64], t[256];
		int fd = atoi(de->d_name);
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd < 3 || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, t, sizeof(t) - 1);
		if (n < 0)
			continue;
		t[n] = '\0';
		say("%d %s\n", fd, t);
	}
	closedir(d);
	say("end\n");
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "hold") == 0)
		return do_hold();
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return do_list();
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: cloexec-repro-child hold|list\n"
		       "  The helper spawned by cloexec-repro; stdin/stdout are its control.\n"
		       "EXAMPLES\n"
		       "  echo exit | cloexec-repro-child hold\n"
		       "  cloexec-repro-child list 3</dev/null\n");
		return 0;
	}
	fprintf(stderr, "cloexec-repro-child: usage: cloexec-repro-child hold|list\n");
	return 2;
}
