/* SPDX-License-Identifier: MIT */
/*
 * fx_common.h - shared code of the truth fixtures (harness/t/helpers/fx_*.c).
 *
 * A fixture does one fd operation whose close-on-exec outcome is known by
 * construction, then spawns build/t/helpers/fx_child so an exec sees what
 * survived. It reports what it did on stdout, one line per fact, for the
 * trace_* tests to match against the tracer's records:
 *
 *   fx stray fd=N target=T                 an fd >= 3 the fixture inherited (a leak
 *                                          into the traced command; then closed)
 *   fx fd role=R pid=P fd=N ino=I kind=K cloexec=0|1 [family=F type=T] [port=N] [path=P]
 *                                          an fd it created; cloexec is the kernel's
 *                                          bit read with F_GETFD right after creation;
 *                                          family/type for sockets (SCHEMA.md names),
 *                                          port for inet sockets, path (last, may hold
 *                                          spaces) for files, anonymous inodes (as
 *                                          /proc shows them), named FIFOs and unix
 *                                          sockets bound to a path
 *   fx start t=NS                          the fixture started (CLOCK_MONOTONIC ns)
 *   fx span role=R t0=NS t1=NS             R was created after t0 and made cloexec before t1
 *   fx exec role=R pid=P                   pid P is about to exec fx_child
 *   fx held pid=P fd=N target=T            (from fx_child) an fd >= 3 it holds
 *   fx child pid=P nheld=N [hold]          (from fx_child) end of its list
 *   fx done rc=N t=NS                      the fixture finished
 *
 * Every fixture accepts --hold anywhere in argv: fx_child then blocks reading
 * stdin until EOF, so a test can look at /proc/PID/fd while it lives.
 */
#ifndef CLOEXEC_LAB_FX_COMMON_H
#define CLOEXEC_LAB_FX_COMMON_H

#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int fx_hold;
static char fx_child_path[PATH_MAX];
static const char *fx_name = "fx";

/* Environment failure: one line, exit 3. */
static inline void __attribute__((noreturn, format(printf, 1, 2))) fx_die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "%s: failed to ", fx_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(3);
}

/* One "fx stray" line: an fd >= 3 the fixture inherited. */
static inline int fx_say_stray(int fd, const char *target, void *arg)
{
	(void)arg;
	printf("fx stray fd=%d target=%s\n", fd, target);
	return 0;
}

/* Report inherited fds (a tracer must not leak its own into the command), close them,
 * read --hold, find fx_child beside us. Returns argc without --hold. */
static inline int fx_init(int argc, char **argv)
{
	int out = 1;

	fx_name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	lab_each_fd(getpid(), 3, fx_say_stray, NULL);
	printf("fx start t=%llu\n", lab_now_ns());
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		lab_clean_fds(0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hold") == 0)
			fx_hold = 1;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	snprintf(fx_child_path, sizeof(fx_child_path), "%s/fx_child", lab_exe_dir());
	if (access(fx_child_path, X_OK) != 0)
		fx_die("find %s", fx_child_path);
	return out;
}

/* Socket family and type names as in bpf/SCHEMA.md ("" for non-sockets). */
static inline void fx_sock_names(int fd, const char **fam, const char **type)
{
	int dom = -1, t = -1;
	socklen_t l = sizeof(int);

	*fam = *type = "";
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0)
		return;
	l = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l);
	*fam = dom == AF_INET	   ? "inet"
	       : dom == AF_INET6   ? "inet6"
	       : dom == AF_UNIX	   ? "unix"
	       : dom == AF_NETLINK ? "netlink"
				   : "other";
	*type = t == SOCK_STREAM      ? "stream"
		: t == SOCK_DGRAM     ? "dgram"
		: t == SOCK_SEQPACKET ? "seqpacket"
		: t == SOCK_RAW	      ? "raw"
				      : "other";
}

static inline const char *fx_kind(int fd)
{
	struct stat st;
	int dom = 0, type = 0;
	socklen_t l = sizeof(int);

	if (fstat(fd, &st) < 0)
		return "?";
	if (S_ISFIFO(st.st_mode))
		return "pipe";
	if (S_ISREG(st.st_mode))
		return "file";
	if (!S_ISSOCK(st.st_mode))
		return "other";
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l);
	l = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l);
	if (dom == AF_INET || dom == AF_INET6)
		return type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ? "udp" : "other_socket";
	if (dom == AF_UNIX)
		return "unix";
	if (dom == AF_NETLINK)
		return "netlink";
	return "other_socket";
}

/* Print the facts of an fd this process just created. */
static inline void fx_report_pid(const char *role, int fd, pid_t pid)
{
	struct stat st;
	int flags = fcntl(fd, F_GETFD);
	const char *kind = fx_kind(fd);
	char line[PATH_MAX + 256];
	int n;

	if (flags < 0 || fstat(fd, &st) < 0)
		fx_die("inspect fd %d (%s)", fd, role);
	n = snprintf(line, sizeof(line), "fx fd role=%s pid=%d fd=%d ino=%llu kind=%s cloexec=%d",
		     role, (int)pid, fd, (unsigned long long)st.st_ino, kind,
		     (flags & FD_CLOEXEC) ? 1 : 0);
	if (strcmp(kind, "pipe") && strcmp(kind, "file") && strcmp(kind, "other")) {
		const char *fam, *type;

		fx_sock_names(fd, &fam, &type);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " family=%s type=%s", fam, type);
	}
	if (strcmp(kind, "tcp") == 0 || strcmp(kind, "udp") == 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " port=%d", lab_local_port(fd));
	if (strcmp(kind, "unix") == 0) {
		struct sockaddr_un un;
		socklen_t sl = sizeof(un);

		if (getsockname(fd, (struct sockaddr *)&un, &sl) == 0 &&
		    sl > offsetof(struct sockaddr_un, sun_path) && un.sun_path[0])
			n += snprintf(line + n, sizeof(line) - (size_t)n, " path=%.*s",
				      (int)(sl - offsetof(struct sockaddr_un, sun_path)),
				      un.sun_path);
	}
	if (strcmp(kind, "file") == 0 || strcmp(kind, "other") == 0 || strcmp(kind, "pipe") == 0) {
		char t[PATH_MAX];

		/* pipes: only a named FIFO has a path ("pipe:[ino]" otherwise) */
		if (lab_fd_target(getpid(), fd, t, sizeof(t)) >= 0 &&
		    (strcmp(kind, "pipe") || t[0] == '/'))
			n += snprintf(line + n, sizeof(line) - (size_t)n, " path=%s", t);
	}
	/* One write: lines from several processes on one pipe never interleave. */
	snprintf(line + n, sizeof(line) - (size_t)n, "\n");
	fflush(stdout);
	if (write(1, line, strlen(line)) < 0)
		fx_die("write the report");
}

static inline void fx_report(const char *role, int fd)
{
	fx_report_pid(role, fd, getpid());
}

/* A TCP socket on 127.0.0.1 with a port picked by the kernel; listening if asked. */
static inline int fx_tcp(int type_flags, int do_listen)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s = socket(AF_INET, SOCK_STREAM | type_flags, 0);

	if (s < 0)
		fx_die("create a TCP socket");
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		fx_die("bind 127.0.0.1:0");
	if (do_listen && listen(s, 16) < 0)
		fx_die("listen");
	return s;
}

/*
 * A listening SOCK_CLOEXEC TCP socket at fd 10 or above (moved there with F_DUPFD_CLOEXEC, the
 * creation the truth table names), so that fds 3 and 4 stay free for a dup2 onto them.
 */
static inline int fx_listener_high(void)
{
	int l = fx_tcp(SOCK_CLOEXEC, 1), m;

	if (l >= 10)
		return l;
	m = fcntl(l, F_DUPFD_CLOEXEC, 10);
	if (m < 0)
		fx_die("move the listener above fd 10");
	close(l);
	return m;
}

/* argv for fx_child: [path, "--hold"?, NULL]. */
static inline char **fx_child_argv(void)
{
	static char *argv[3];

	argv[0] = fx_child_path;
	argv[1] = fx_hold ? "--hold" : NULL;
	argv[2] = NULL;
	return argv;
}

/* Wait for a child we spawned; complain unless it exited 0. */
static inline int fx_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fx_die("wait for child %d", (int)pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: child %d ended with status 0x%x\n", fx_name, (int)pid, st);
		return -1;
	}
	return 0;
}

/* fork, exec fx_child in the child, report and wait. Returns 0 when it exited 0. */
static inline int fx_fork_exec(const char *role)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		execv(fx_child_path, fx_child_argv());
		_exit(127);
	}
	printf("fx exec role=%s pid=%d\n", role, (int)pid);
	return fx_wait(pid);
}

/* CLOCK_MONOTONIC bounds of one role's window (before creation, after the flag was set). */
static inline void fx_span(const char *role, unsigned long long t0, unsigned long long t1)
{
	printf("fx span role=%s t0=%llu t1=%llu\n", role, t0, t1);
}

static inline int fx_done(int rc)
{
	printf("fx done rc=%d t=%llu\n", rc, lab_now_ns());
	fflush(stdout);
	return rc;
}

/*
 * Fork; the child (when hand >= 0: after dup2'ing fd hand onto fd 3 itself, the hand-over the
 * fixture reports as role fd3) execs this fixture again, as `NAME FLAG ARG [--hold]`, a second
 * image of it in the same pid. Report the child's pid as role, wait; fx_done's exit code.
 */
static inline int fx_fork_reexec(const char *name, const char *flag, const char *arg, int hand,
				 const char *role)
{
	char self[PATH_MAX];
	pid_t pid;

	snprintf(self, sizeof(self), "%s/%s", lab_exe_dir(), name);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fx_die("fork");
	if (pid == 0) {
		if (hand >= 0) {
			if (dup2(hand, 3) != 3)
				_exit(126);
			fx_report("fd3", 3);
		}
		execl(self, self, flag, arg, fx_hold ? "--hold" : NULL, (char *)NULL);
		_exit(127);
	}
	printf("fx exec role=%s pid=%d\n", role, (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}

#endif
