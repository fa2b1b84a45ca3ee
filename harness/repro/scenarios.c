// SPDX-License-Identifier: MIT
/*
 * scenarios.c - the scenario tables and the engine that runs one row against
 * the real kernel (see repro.h). Every step checks its syscall; a failure of
 * the harness itself is reported as an error, never as a kernel outcome.
 */
#define _GNU_SOURCE
#include "repro.h"
#include "lab.h"
#include "tap.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SPAWN_BIT(i) (1u << (i))
/* Indexes into repro_spawns[]. */
enum { SP_FORK, SP_VFORK, SP_PSPAWN, SP_CLOSE_RANGE, SP_CLOSEFROM, SP_PSPAWN_CLOSEFROM };

const struct repro_spawn repro_spawns[] = {
    [SP_FORK] = {"fork-exec", 0, "fork() then execve()"},
    [SP_VFORK] = {"vfork-exec", 0, "vfork() then execve()"},
    [SP_PSPAWN] = {"posix-spawn", 0, "posix_spawn() (glibc: clone3 CLONE_VM|CLONE_VFORK)"},
    [SP_CLOSE_RANGE] = {"fork-close-range", 1,
			"fork(), close_range(3, ~0U, CLOSE_RANGE_CLOEXEC), execve()"},
    [SP_CLOSEFROM] = {"fork-closefrom", 1, "fork(), closefrom(3), execve()"},
    [SP_PSPAWN_CLOSEFROM] = {"posix-spawn-closefrom", 1,
			     "posix_spawn() + posix_spawn_file_actions_addclosefrom_np(3)"},
    {NULL, 0, NULL},
};

#define SPAWNS_ALL 0u
#define SPAWNS_FEW (SPAWN_BIT(SP_FORK) | SPAWN_BIT(SP_PSPAWN) | SPAWN_BIT(SP_CLOSE_RANGE))

const struct repro_group repro_groups[] = {
    {"tcp4-listener", RK_REBIND, RS_LISTENER, AF_INET, SOCK_STREAM, 0, 0, SPAWNS_ALL,
     "TCP/IPv4 listener; parent closes it and rebinds 127.0.0.1:PORT"},
    {"tcp6-listener", RK_REBIND, RS_LISTENER, AF_INET6, SOCK_STREAM, 0, 0, SPAWNS_ALL,
     "TCP/IPv6 listener; parent closes it and rebinds [::1]:PORT"},
    {"tcp4-reuseaddr", RK_REBIND, RS_LISTENER, AF_INET, SOCK_STREAM, 1, 0, SPAWNS_FEW,
     "as tcp4-listener with SO_REUSEADDR on both sockets (does not help)"},
    {"tcp4-reuseport", RK_REUSEPORT, RS_LISTENER, AF_INET, SOCK_STREAM, 0, 1, SPAWNS_FEW,
     "SO_REUSEPORT on both: rebind works, the child can accept connections"},
    {"tcp4-accepted", RK_ACCEPTED, RS_ACCEPT, AF_INET, SOCK_STREAM, 0, 0, SPAWNS_ALL,
     "accepted TCP connection; parent closes it: does the peer see EOF?"},
    {"tcp6-accepted", RK_ACCEPTED, RS_ACCEPT, AF_INET6, SOCK_STREAM, 0, 0, SPAWNS_FEW,
     "accepted TCP/IPv6 connection; parent closes it: does the peer see EOF?"},
    {"udp4-socket", RK_REBIND, RS_LISTENER, AF_INET, SOCK_DGRAM, 0, 0, SPAWNS_ALL,
     "bound UDP/IPv4 socket; parent closes it and rebinds the port"},
    {"unix-listener", RK_UNIX, RS_LISTENER, AF_UNIX, SOCK_STREAM, 0, 0, SPAWNS_ALL,
     "AF_UNIX path listener; parent closes it: is the path still connectable?"},
    {"scm-rights", RK_REBIND, RS_SCM, AF_INET, SOCK_STREAM, 0, 0, SPAWNS_ALL,
     "TCP listener received over SCM_RIGHTS; parent closes it and rebinds"},
    {"pass-fd3", RK_PASS, RS_PASS, AF_INET, SOCK_STREAM, 0, 0, SPAWN_BIT(SP_FORK),
     "intentional passing: listener at fd 3, everything else cloexec; child serves"},
    {NULL, 0, 0, 0, 0, 0, 0, 0, NULL},
};

const struct repro_strategy repro_strategies[] = {
    {"plain", RS_LISTENER, 0, "socket() without any flag"},
    {"fcntl", RS_LISTENER, 1, "socket() then fcntl(F_SETFD, FD_CLOEXEC)"},
    {"getfd-setfd", RS_LISTENER, 1, "socket() then fcntl(F_GETFD) | FD_CLOEXEC, F_SETFD"},
    {"fioclex", RS_LISTENER, 1, "socket() then ioctl(FIOCLEX)"},
    {"sock-cloexec", RS_LISTENER, 1, "socket(SOCK_CLOEXEC): atomic"},
    {"accept", RS_ACCEPT, 0, "accept() (glibc: the plain accept syscall)"},
    {"accept+fcntl", RS_ACCEPT, 1, "accept() then fcntl(F_SETFD, FD_CLOEXEC)"},
    {"accept4-cloexec", RS_ACCEPT, 1, "accept4(SOCK_CLOEXEC): atomic"},
    {"recvmsg", RS_SCM, 0, "recvmsg() of SCM_RIGHTS without MSG_CMSG_CLOEXEC"},
    {"recvmsg-cmsg-cloexec", RS_SCM, 1, "recvmsg(MSG_CMSG_CLOEXEC): atomic"},
    {"extrafiles", RS_PASS, 1, "Go ExtraFiles: dup2 the listener to fd 3 in the child"},
    {"listen-fds", RS_PASS, 1, "systemd: fd 3 plus LISTEN_FDS=1 LISTEN_PID=<child>"},
    {"leaky-decoy", RS_PASS, 0,
     "negative control: extrafiles, but another socket is left inheritable (must be seen)"},
    {NULL, 0, 0, NULL},
};

#define READY_MS    5000
#define NO_EOF_MS   1000  /* how long the peer waits before calling it "no EOF" */
#define EOF_MS	    3000  /* an EOF that must come arrives within this */
#define STEAL_CONNS 32	  /* at most this many connections in the SO_REUSEPORT scenario */
#define SERVE_MS    10000 /* a connection is served by one of the two within this (busy machine) */

static char child_path[PATH_MAX];

/* What this process used, for repro_leftovers(). */
struct used {
	int family, type, port;
	char dir[PATH_MAX];
};
static struct used used[512];
static int nused;
/* The children this engine spawned (pids), and notes of the last leftover check. */
static pid_t spawned[1024];
static int nspawned;
static char leftover_notes[512];

const char *repro_leftover_notes(void)
{
	return leftover_notes;
}

const char *repro_child_path(void)
{
	return child_path;
}

int repro_init(char *why, size_t len)
{
	struct sigaction sa = {.sa_handler = SIG_IGN};

	/* A closed 0-2 would let a subject socket land there, outside the fd >= 3 view. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
			repro_fmt(why, len, "failed to open /dev/null at fd %d: %s", fd,
				  strerror(errno));
			return -1;
		}
	sigaction(SIGPIPE, &sa, NULL);
	lab_build_path("cloexec-repro-child", child_path, sizeof(child_path));
	if (access(child_path, X_OK) != 0) {
		repro_fmt(why, len, "helper %s is not built (%s): run make", child_path,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* --- selection ---------------------------------------------------------------------------- */

static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list || !*list || !strcmp(list, "all"))
		return 1;
	for (const char *p = list; p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);

		if (l == n && !strncmp(p, name, n))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

static char select_error[128];

const char *repro_select_error(void)
{
	return select_error;
}

/* Every name in list must be one of names[]; else the first unknown one goes to select_error. */
static int list_known(const char *what, const char *list, const char *const *names, int count)
{
	if (!list || !*list || !strcmp(list, "all"))
		return 1;
	for (const char *p = list; p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		int found = 0;

		for (int i = 0; i < count; i++)
			if (strlen(names[i]) == l && !strncmp(p, names[i], l))
				found = 1;
		if (!found) {
			repro_fmt(select_error, sizeof(select_error), "unknown %s '%.*s'", what,
				  (int)l, p);
			return 0;
		}
		p = c ? c + 1 : NULL;
	}
	return 1;
}

int repro_select(const char *group, const char *strategy, const char *spawn,
		 struct repro_scenario *out, int max)
{
	const char *names[64];
	int n = 0, k;

	for (k = 0; repro_groups[k].name; k++)
		names[k] = repro_groups[k].name;
	if (!list_known("group", group, names, k))
		return -1;
	for (k = 0; repro_strategies[k].name; k++)
		names[k] = repro_strategies[k].name;
	if (!list_known("strategy", strategy, names, k))
		return -1;
	for (k = 0; repro_spawns[k].name; k++)
		names[k] = repro_spawns[k].name;
	if (!list_known("spawn method", spawn, names, k))
		return -1;

	for (const struct repro_group *g = repro_groups; g->name; g++) {
		if (!in_list(group, g->name))
			continue;
		for (int s = 0; repro_spawns[s].name; s++) {
			if (g->spawns && !(g->spawns & SPAWN_BIT(s)))
				continue;
			if (!in_list(spawn, repro_spawns[s].name))
				continue;
			for (const struct repro_strategy *st = repro_strategies; st->name; st++) {
				if (st->subject != g->subject || !in_list(strategy, st->name))
					continue;
				if (n < max) {
					out[n].group = g;
					out[n].strategy = st;
					out[n].spawn = &repro_spawns[s];
					repro_fmt(out[n].id, sizeof(out[n].id), "%s/%s/%s", g->name,
						  repro_spawns[s].name, st->name);
				}
				n++;
			}
		}
	}
	return n < max ? n : max;
}

/* --- small helpers ------------------------------------------------------------------------ */

static const char *errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "ok";

	return s ? s : "E?";
}

static void close_abort(int fd)
{
	struct linger lg = {1, 0};

	if (fd < 0)
		return;
	/* RST instead of FIN: no TIME_WAIT is left on either port. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void loopback(int family, int port, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((unsigned short)port);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((unsigned short)port);
		*sl = sizeof(*a);
	}
}

static void set_reuse(int fd, int reuseaddr, int reuseport)
{
	int one = 1;

	if (reuseaddr)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
}

/*
 * Bind (and listen, for streams) a fresh socket to the loopback address and
 * port. Returns the new fd (when keep) or 0 on success, else -errno.
 */
static int try_bind(int family, int type, int port, int reuseaddr, int reuseport, int keep)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, type | SOCK_CLOEXEC, 0), e = 0;

	if (fd < 0)
		return -errno;
	set_reuse(fd, reuseaddr, reuseport);
	loopback(family, port, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (type == SOCK_STREAM && listen(fd, 16) < 0))
		e = errno;
	if (e || !keep) {
		close(fd);
		return -e;
	}
	return fd;
}

static void note_used(int family, int type, int port, const char *dir)
{
	if (nused >= (int)(sizeof(used) / sizeof(used[0])))
		return;
	used[nused].family = family;
	used[nused].type = type;
	used[nused].port = port;
	repro_fmt(used[nused].dir, sizeof(used[nused].dir), "%s", dir ? dir : "");
	nused++;
}

int repro_read_until(int fd, char *buf, size_t len, int ms, int line)
{
	unsigned long long end = lab_now_ns() + (unsigned long long)ms * 1000000ULL;
	size_t n = 0;

	while (n + 1 < len) {
		long long left = (long long)(end - lab_now_ns()) / 1000000LL;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;
		int pr = left > 0 ? poll(&p, 1, (int)left) : 0;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			errno = pr ? errno : ETIMEDOUT;
			return -1;
		}
		/* A line is read byte by byte: what follows it is not ours to take. */
		r = read(fd, buf + n, line ? 1 : len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (line) {
				errno = EPIPE;
				return -1;
			}
			break;
		}
		if (line && buf[n] == '\n')
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return (int)n;
}

static int read_line(int fd, char *buf, size_t len, int ms)
{
	return repro_read_until(fd, buf, len, ms, 1);
}

static int send_line(int fd, const char *s)
{
	size_t n = strlen(s);

	return write(fd, s, n) == (ssize_t)n ? 0 : -1;
}

/* --- subjects ----------------------------------------------------------------------------- */

struct ctx {
	int subject; /* the fd under test in the parent */
	int peer;    /* RK_ACCEPTED: the client end */
	int decoy;   /* RK_PASS: a cloexec socket that must not reach the child */
	int pusher;  /* RK_PASS: keeps fd 3 taken while the listener is made */
	int port;
	char dir[PATH_MAX], path[PATH_MAX + 8]; /* RK_UNIX */
};

/* Create a socket the way the strategy says. */
static int strategy_socket(const struct repro_strategy *st, int family, int type)
{
	int fd, fl;

	if (!strcmp(st->name, "sock-cloexec"))
		return socket(family, type | SOCK_CLOEXEC, 0);
	fd = socket(family, type, 0);
	if (fd < 0)
		return -1;
	if (!strcmp(st->name, "fcntl")) {
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			goto fail;
	} else if (!strcmp(st->name, "getfd-setfd")) {
		fl = fcntl(fd, F_GETFD);
		if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
			goto fail;
	} else if (!strcmp(st->name, "fioclex")) {
		if (ioctl(fd, FIOCLEX) < 0)
			goto fail;
	}
	return fd;
fail:
	fl = errno;
	close(fd);
	errno = fl;
	return -1;
}

/* The cloexec listener behind accepted, received and passed subjects (not itself a subject). */
static const struct repro_strategy helper_listener = {"sock-cloexec", RS_LISTENER, 1, ""};

/* A bound (and for streams listening) socket on loopback port 0, or the unix path. */
static int make_bound(const struct repro_group *g, const struct repro_strategy *st, struct ctx *c,
		      struct repro_result *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	fd = strategy_socket(st, g->family, g->type);
	if (fd < 0) {
		if (errno == EAFNOSUPPORT) {
			r->skipped = 1;
			repro_fmt(r->detail, sizeof(r->detail), "no %s sockets here: %s",
				  g->family == AF_INET6 ? "IPv6" : "such", strerror(errno));
		} else {
			repro_fmt(r->detail, sizeof(r->detail), "failed to create socket: %s",
				  strerror(errno));
		}
		return -1;
	}
	set_reuse(fd, g->reuseaddr, g->reuseport);
	if (g->family == AF_UNIX) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};

		repro_fmt(c->dir, sizeof(c->dir), "/tmp/cloexec-repro.XXXXXX");
		if (!mkdtemp(c->dir)) {
			repro_fmt(r->detail, sizeof(r->detail), "failed to mkdtemp: %s",
				  strerror(errno));
			c->dir[0] = '\0';
			close(fd);
			return -1;
		}
		repro_fmt(c->path, sizeof(c->path), "%s/sock", c->dir);
		repro_fmt(un.sun_path, sizeof(un.sun_path), "%s", c->path);
		note_used(AF_UNIX, SOCK_STREAM, 0, c->dir);
		if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(fd, 16) < 0) {
			repro_fmt(r->detail, sizeof(r->detail), "failed to bind %s: %s", c->path,
				  strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}
	loopback(g->family, 0, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (g->type == SOCK_STREAM && listen(fd, 16) < 0)) {
		if (g->family == AF_INET6 && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)) {
			r->skipped = 1;
			repro_fmt(r->detail, sizeof(r->detail), "no IPv6 loopback here (::1): %s",
				  strerror(errno));
		} else {
			repro_fmt(r->detail, sizeof(r->detail), "failed to bind loopback: %s",
				  strerror(errno));
		}
		close(fd);
		return -1;
	}
	c->port = lab_local_port(fd);
	note_used(g->family, g->type, c->port, NULL);
	return fd;
}

static int make_accepted(const struct repro_group *g, const struct repro_strategy *st,
			 struct ctx *c, struct repro_result *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int l, fd = -1;

	l = make_bound(g, &helper_listener, c, r);
	if (l < 0)
		return -1;
	c->peer = socket(g->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	loopback(g->family, c->port, &ss, &sl);
	if (c->peer < 0 || connect(c->peer, (struct sockaddr *)&ss, sl) < 0) {
		repro_fmt(r->detail, sizeof(r->detail), "failed to connect: %s", strerror(errno));
		goto out;
	}
	if (!strcmp(st->name, "accept4-cloexec")) {
		fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	} else {
		fd = accept(l, NULL, NULL);
		if (fd >= 0 && !strcmp(st->name, "accept+fcntl") &&
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		repro_fmt(r->detail, sizeof(r->detail), "failed to accept: %s", strerror(errno));
out:
	close(l);
	return fd;
}

static int make_received(const struct repro_group *g, const struct repro_strategy *st,
			 struct ctx *c, struct repro_result *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int sp[2], l, fd = -1;

	l = make_bound(g, &helper_listener, c, r);
	if (l < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		repro_fmt(r->detail, sizeof(r->detail), "failed to socketpair: %s",
			  strerror(errno));
		close(l);
		return -1;
	}
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &l, sizeof(int));
	if (sendmsg(sp[0], &mh, 0) != 1) {
		repro_fmt(r->detail, sizeof(r->detail), "failed to sendmsg: %s", strerror(errno));
		goto out;
	}
	/* The sender's copy goes away: only the received one keeps the port. */
	close(l);
	l = -1;
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	if (recvmsg(sp[1], &mh, strcmp(st->name, "recvmsg") ? MSG_CMSG_CLOEXEC : 0) != 1) {
		repro_fmt(r->detail, sizeof(r->detail), "failed to recvmsg: %s", strerror(errno));
		goto out;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		repro_fmt(r->detail, sizeof(r->detail), "failed to receive an fd: no SCM_RIGHTS");
		goto out;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
out:
	if (l >= 0)
		close(l);
	close(sp[0]);
	close(sp[1]);
	return fd;
}

/* --- spawning ----------------------------------------------------------------------------- */

struct spawn_req {
	int method;	/* index into repro_spawns */
	int ctl;	/* becomes the child's stdin and stdout */
	int pass_fd;	/* RK_PASS: becomes fd 3, or -1 */
	int listen_fds; /* RK_PASS: set LISTEN_FDS/LISTEN_PID */
};

/* In the child (after fork or vfork): only async-signal-safe calls, then exec. */
static void __attribute__((noreturn)) child_exec(const struct spawn_req *q, char **envp)
{
	char *argv[] = {(char *)"cloexec-repro-child", (char *)"hold", NULL};

	if (dup2(q->ctl, 0) < 0 || dup2(q->ctl, 1) < 0)
		_exit(126);
	if (q->pass_fd >= 0) {
		/* dup2 clears FD_CLOEXEC on the copy; at fd 3 already, clear it by hand. */
		if (q->pass_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(q->pass_fd, 3) < 0)
			_exit(126);
	}
	if (q->method == SP_CLOSE_RANGE &&
	    close_range(q->pass_fd >= 0 ? 4 : 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		_exit(126);
	if (q->method == SP_CLOSEFROM)
		closefrom(q->pass_fd >= 0 ? 4 : 3);
	execve(child_path, argv, envp);
	_exit(127);
}

static pid_t do_spawn(const struct spawn_req *q, char *err, size_t errlen)
{
	char *argv[] = {(char *)"cloexec-repro-child", (char *)"hold", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int e;

	switch (q->method) {
	case SP_FORK:
	case SP_CLOSE_RANGE:
	case SP_CLOSEFROM:
		pid = fork();
		if (pid == 0) {
			if (q->listen_fds) {
				/* systemd's protocol: the pid is only known in the child. */
				char pidbuf[32];

				repro_fmt(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
				if (setenv("LISTEN_FDS", "1", 1) < 0 ||
				    setenv("LISTEN_PID", pidbuf, 1) < 0)
					_exit(126);
			}
			child_exec(q, environ);
		}
		break;
	case SP_VFORK:
		pid = vfork();
		if (pid == 0)
			child_exec(q, environ);
		break;
	case SP_PSPAWN:
	case SP_PSPAWN_CLOSEFROM:
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, q->ctl, 0);
		posix_spawn_file_actions_adddup2(&fa, q->ctl, 1);
		if (q->method == SP_PSPAWN_CLOSEFROM) {
#if __GLIBC_PREREQ(2, 34)
			posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#else
			posix_spawn_file_actions_destroy(&fa);
			repro_fmt(err, errlen,
				  "posix_spawn_file_actions_addclosefrom_np needs glibc "
				  "2.34");
			errno = ENOSYS;
			return -1;
#endif
		}
		e = posix_spawn(&pid, child_path, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (e) {
			repro_fmt(err, errlen, "failed to posix_spawn: %s", strerror(e));
			errno = e;
			return -1;
		}
		return pid;
	default:
		repro_fmt(err, errlen, "failed to spawn: unknown method %d", q->method);
		return -1;
	}
	if (pid < 0)
		repro_fmt(err, errlen, "failed to %s: %s", q->method == SP_VFORK ? "vfork" : "fork",
			  strerror(errno));
	return pid;
}

/* --- one run ------------------------------------------------------------------------------ */

static int inspect_child(pid_t pid, struct repro_result *r, char *extra, size_t extralen)
{
	int fds[1024], n = lab_proc_fds(pid, fds, 1024);

	if (n < 0)
		return -1;
	r->child_held = 0;
	r->held_fd = -1;
	r->child_extra = 0;
	extra[0] = '\0';
	for (int i = 0; i < n; i++) {
		char t[PATH_MAX];

		if (fds[i] < 3 || lab_fd_target(pid, fds[i], t, sizeof(t)) < 0)
			continue;
		if (!strcmp(t, r->ident)) {
			r->child_held = 1;
			r->held_fd = fds[i];
		} else {
			if (!r->child_extra)
				repro_fmt(extra, extralen, "fd %d -> %s", fds[i], t);
			r->child_extra++;
		}
	}
	return 0;
}

static void unix_connect(const char *path, char *out, size_t len)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	repro_fmt(un.sun_path, sizeof(un.sun_path), "%s", path);
	if (fd < 0) {
		repro_fmt(out, len, "error");
		return;
	}
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0)
		repro_fmt(out, len, "connectable");
	else
		repro_fmt(out, len, "%s", errname(errno));
	close(fd);
}

/* EOF, RST or nothing on the peer within ms. */
static void peer_state(int peer, int ms, char *out, size_t len)
{
	struct pollfd p = {.fd = peer, .events = POLLIN};
	char b[64];
	ssize_t n;
	int pr;

	do
		pr = poll(&p, 1, ms);
	while (pr < 0 && errno == EINTR);
	if (pr == 0) {
		repro_fmt(out, len, "no-EOF");
		return;
	}
	n = recv(peer, b, sizeof(b), MSG_DONTWAIT);
	if (n == 0)
		repro_fmt(out, len, "EOF");
	else if (n > 0)
		repro_fmt(out, len, "data");
	else
		repro_fmt(out, len, "%s", errname(errno));
}

/* Connect to the loopback port; returns the fd or -1. */
static int connect_to(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	loopback(family, port, &ss, &sl);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The port of a socket address (v4 or v6), 0 if neither. */
static int sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	return getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 ? sa_port(&ss) : 0;
}

enum { SERVED_ERROR = -1, SERVED_PARENT = 1, SERVED_CHILD = 2 };

/*
 * Who served our connection c (from local port port): the new listener nl (accept4 returned a
 * connection from that port: the parent's), or the child (c got "served by pid CHILD"). A
 * connection from another port in nl's queue is not ours: accepted, dropped, still waiting.
 */
static int served_by(int nl, int c, int port, pid_t child, struct repro_result *r, int i)
{
	unsigned long long end = lab_now_ns() + (unsigned long long)SERVE_MS * 1000000ULL;
	char want[64], b[64];

	repro_fmt(want, sizeof(want), "served by pid %d\n", (int)child);
	for (;;) {
		struct pollfd p[2] = {{.fd = nl, .events = POLLIN}, {.fd = c, .events = POLLIN}};
		long long left = (long long)(end - lab_now_ns()) / 1000000LL;
		struct sockaddr_storage peer;
		socklen_t sl = sizeof(peer);
		int pr, a;
		ssize_t n;

		pr = left > 0 ? poll(p, 2, (int)left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			repro_fmt(r->detail, sizeof(r->detail),
				  "failed to see connection %d (port %d) served by anyone", i,
				  port);
			return SERVED_ERROR;
		}
		if (p[0].revents & POLLIN) {
			memset(&peer, 0, sizeof(peer));
			a = accept4(nl, (struct sockaddr *)&peer, &sl, SOCK_CLOEXEC);
			if (a >= 0)
				close_abort(a);
			if (a >= 0 && sa_port(&peer) == port)
				return SERVED_PARENT;
			continue; /* not ours */
		}
		n = recv(c, b, sizeof(b) - 1, MSG_DONTWAIT);
		b[n > 0 ? n : 0] = '\0';
		if (n > 0 && !strcmp(b, want))
			return SERVED_CHILD;
		repro_fmt(r->detail, sizeof(r->detail),
			  "connection %d (port %d) ended without the child's answer (%s)", i, port,
			  n < 0 ? errname(errno)
			  : n	? "other data"
				: "EOF");
		return SERVED_ERROR;
	}
}

/* Whether the child's line "served K P1 P2 ..." names exactly the ports in mine[0..n). */
static int child_agrees(const char *line, const int *mine, int n, const int *ours, int nours,
			struct repro_result *r)
{
	int k = -1, got = 0, off = 0, port;

	if (sscanf(line, "served %d%n", &k, &off) != 1 || k < 0) {
		repro_fmt(r->detail, sizeof(r->detail), "the child's answer '%.60s' has no count",
			  line);
		return 0;
	}
	for (const char *p = line + off; sscanf(p, " %d%n", &port, &off) == 1; p += off) {
		int in_mine = 0, is_ours = 0;

		for (int i = 0; i < n; i++)
			in_mine |= mine[i] == port;
		for (int i = 0; i < nours; i++)
			is_ours |= ours[i] == port;
		if (!is_ours)
			continue; /* someone else's connection to the port: not ours to count */
		if (!in_mine) {
			repro_fmt(
			    r->detail, sizeof(r->detail),
			    "the child served port %d, which the parent saw served by the new "
			    "listener",
			    port);
			return 0;
		}
		got++;
	}
	if (got != n)
		repro_fmt(r->detail, sizeof(r->detail),
			  "the child names %d of the %d connections it answered (line '%.60s')",
			  got, n, line);
	return got == n;
}

/*
 * SO_REUSEPORT: rebind with a new listener, then connect repeatedly; each connection lands in
 * one listener of the group, the new one (the parent accepts it: the peer's port is ours) or
 * the inherited one (the child, told to serve, answers with its pid). At "stop" the child
 * lists the peer ports it served: child and parent must agree port by port.
 */
static void reuseport_steal(const struct repro_group *g, int ctl, struct repro_result *r)
{
	char line[512];
	int nl = try_bind(g->family, g->type, r->port, g->reuseaddr, g->reuseport, 1);
	int ours[STEAL_CONNS], mine[STEAL_CONNS], nours = 0, nmine = 0;

	if (nl < 0) {
		repro_fmt(r->observed, sizeof(r->observed), "%s", errname(-nl));
		return;
	}
	if (r->child_held) {
		repro_fmt(line, sizeof(line), "serve %d\n", r->held_fd);
		send_line(ctl, line);
	}
	for (int i = 0; i < STEAL_CONNS; i++) {
		int c = connect_to(g->family, r->port), who;

		if (c < 0) {
			r->error = 1;
			repro_fmt(r->detail, sizeof(r->detail), "failed to connect: %s",
				  strerror(errno));
			break;
		}
		ours[nours] = local_port(c);
		who = served_by(nl, c, ours[nours], r->child, r, i);
		close_abort(c);
		if (who == SERVED_ERROR) {
			r->error = 1;
			break;
		}
		if (who == SERVED_PARENT)
			r->served_parent++;
		else
			mine[nmine++] = ours[nours];
		nours++;
		if (nmine && r->served_parent && i >= 7)
			break;
	}
	r->stolen = nmine;
	if (r->child_held) {
		send_line(ctl, "stop\n");
		if (read_line(ctl, line, sizeof(line), EOF_MS) < 0) {
			if (!r->error)
				repro_fmt(r->detail, sizeof(r->detail),
					  "failed to get the child's list of served connections");
			r->error = 1;
		} else if (!r->error && !child_agrees(line, mine, nmine, ours, nours, r)) {
			r->error = 1;
		}
	} else if (nmine && !r->error) {
		/* nobody else holds the group: an answer from the child means a copy we missed */
		r->error = 1;
		repro_fmt(r->detail, sizeof(r->detail),
			  "%d connection(s) answered by the child, which holds no listener", nmine);
	}
	close(nl);
	if (!r->error)
		repro_fmt(r->observed, sizeof(r->observed), "%s", r->stolen ? "ok+stolen" : "ok");
}

/* RK_PASS: the child serves one connection on fd 3 and names itself. */
static void pass_serve(const struct repro_group *g, int ctl, struct repro_result *r)
{
	char line[128], b[64] = "", want[64];
	int c;

	send_line(ctl, "serve 3\n");
	c = connect_to(g->family, r->port);
	if (c < 0) {
		repro_fmt(r->observed, sizeof(r->observed), "%s", errname(errno));
	} else {
		struct pollfd p = {.fd = c, .events = POLLIN};
		ssize_t n = 0;

		if (poll(&p, 1, EOF_MS) > 0)
			n = recv(c, b, sizeof(b) - 1, 0);
		b[n > 0 ? n : 0] = '\0';
		repro_fmt(want, sizeof(want), "served by pid %d\n", (int)r->child);
		repro_fmt(r->observed, sizeof(r->observed), "%s",
			  !strcmp(b, want) ? "served-on-fd3" : "not-served");
		close_abort(c);
	}
	send_line(ctl, "stop\n");
	read_line(ctl, line, sizeof(line), EOF_MS);
}

static void expected_for(const struct repro_group *g, int held, struct repro_result *r)
{
	const char *e = "", *a = "ok";

	switch (g->kind) {
	case RK_REBIND:
		e = held ? "EADDRINUSE" : "ok";
		break;
	case RK_REUSEPORT:
		e = held ? "ok+stolen" : "ok";
		break;
	case RK_ACCEPTED:
		e = held ? "no-EOF" : "EOF";
		a = "EOF";
		break;
	case RK_UNIX:
		e = held ? "connectable" : "ECONNREFUSED";
		a = "ECONNREFUSED";
		break;
	case RK_PASS:
		e = held ? "served-on-fd3" : "ECONNREFUSED";
		break;
	}
	repro_fmt(r->expected, sizeof(r->expected), "%s", e);
	repro_fmt(r->after_expected, sizeof(r->after_expected), "%s", a);
}

void repro_run(const struct repro_scenario *sc, struct repro_result *r)
{
	const struct repro_group *g = sc->group;
	const struct repro_strategy *st = sc->strategy;
	struct ctx c = {.subject = -1, .peer = -1, .decoy = -1, .pusher = -1};
	struct spawn_req q = {.pass_fd = -1};
	char line[160], extra[PATH_MAX + 32], err[160] = "";
	int ctl[2] = {-1, -1}, lp = 0, e, reaped = 0;

	memset(r, 0, sizeof(*r));
	r->held_fd = -1;
	r->child = -1;

	/* 1. The subject, made the strategy's way. */
	if (st->subject == RS_ACCEPT)
		c.subject = make_accepted(g, st, &c, r);
	else if (st->subject == RS_SCM)
		c.subject = make_received(g, st, &c, r);
	else if (st->subject == RS_PASS) {
		/*
		 * A cloexec socket first, so the listener is not at fd 3 already (dup2 does
		 * the work); a decoy after it, which must not reach the child unless the
		 * negative control leaves it inheritable.
		 */
		c.pusher = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		c.subject = make_bound(g, &helper_listener, &c, r);
		c.decoy = socket(AF_INET, SOCK_DGRAM | (st->sets_cloexec ? SOCK_CLOEXEC : 0), 0);
	} else
		c.subject = make_bound(g, st, &c, r);
	if (c.subject < 0) {
		r->error = !r->skipped;
		goto cleanup;
	}
	r->port = c.port;
	lab_fd_identity(c.subject, r->ident, sizeof(r->ident));
	r->parent_cloexec = (fcntl(c.subject, F_GETFD) & FD_CLOEXEC) != 0;

	/* 2. The child, with the control socket at its stdin/stdout. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
		r->error = 1;
		repro_fmt(r->detail, sizeof(r->detail), "failed to socketpair: %s",
			  strerror(errno));
		goto cleanup;
	}
	q.method = (int)(sc->spawn - repro_spawns);
	q.ctl = ctl[1];
	if (st->subject == RS_PASS) {
		q.pass_fd = c.subject;
		q.listen_fds = !strcmp(st->name, "listen-fds");
	}
	r->child = do_spawn(&q, err, sizeof(err));
	e = errno;
	close(ctl[1]);
	ctl[1] = -1;
	if (r->child < 0) {
		r->skipped = e == ENOSYS;
		r->error = !r->skipped;
		repro_fmt(r->detail, sizeof(r->detail), "%s", err);
		goto cleanup;
	}
	tap_track_child(r->child);
	if (nspawned < (int)(sizeof(spawned) / sizeof(spawned[0])))
		spawned[nspawned++] = r->child;
	if (read_line(ctl[0], line, sizeof(line), READY_MS) < 0 || strncmp(line, "ready ", 6)) {
		r->error = 1;
		repro_fmt(r->detail, sizeof(r->detail), "failed to get ready from child %d",
			  (int)r->child);
		goto cleanup;
	}
	if (q.listen_fds) {
		char want[80];

		repro_fmt(want, sizeof(want), "listen_fds=1 listen_pid=%d", (int)r->child);
		lp = strstr(line, want) != NULL;
	}

	/* 3. The proof: what the child's fd table holds. */
	if (inspect_child(r->child, r, extra, sizeof(extra)) < 0) {
		/* e.g. procfs mounted with hidepid, or no /proc at all */
		r->skipped = 1;
		repro_fmt(r->detail, sizeof(r->detail), "cannot read /proc/%d/fd: %s",
			  (int)r->child, strerror(errno));
		goto cleanup;
	}
	expected_for(g, r->child_held, r);

	/* 4. The parent lets go of the subject; what does the kernel say? */
	close(c.subject);
	c.subject = -1;
	if (c.decoy >= 0)
		close(c.decoy);
	c.decoy = -1;
	if (c.pusher >= 0)
		close(c.pusher);
	c.pusher = -1;
	switch (g->kind) {
	case RK_REBIND:
		e = try_bind(g->family, g->type, c.port, g->reuseaddr, g->reuseport, 0);
		repro_fmt(r->observed, sizeof(r->observed), "%s", errname(-e));
		break;
	case RK_REUSEPORT:
		reuseport_steal(g, ctl[0], r);
		break;
	case RK_ACCEPTED:
		peer_state(c.peer, NO_EOF_MS, r->observed, sizeof(r->observed));
		break;
	case RK_UNIX:
		unix_connect(c.path, r->observed, sizeof(r->observed));
		break;
	case RK_PASS:
		pass_serve(g, ctl[0], r);
		break;
	}
	if (r->error)
		goto cleanup;

	/* 5. Until the child exits: kill it, then the resource must be free. */
	lab_kill_reap(r->child);
	tap_untrack_child(r->child);
	reaped = 1;
	switch (g->kind) {
	case RK_REBIND:
	case RK_REUSEPORT:
	case RK_PASS:
		e = try_bind(g->family, g->type, c.port, g->reuseaddr, g->reuseport, 0);
		repro_fmt(r->after, sizeof(r->after), "%s", errname(-e));
		break;
	case RK_ACCEPTED:
		peer_state(c.peer, EOF_MS, r->after, sizeof(r->after));
		break;
	case RK_UNIX:
		unix_connect(c.path, r->after, sizeof(r->after));
		break;
	}

	/* 6. Verdicts: the mechanism, the strategy's meaning, the release. */
	r->mechanism_ok = !strcmp(r->observed, r->expected);
	if (st->subject == RS_PASS) {
		r->leak_expected = 1;
		/* Nothing else reaches the child, unless the control left its decoy inheritable. */
		r->meaning_ok = r->child_held && r->held_fd == 3 &&
				r->child_extra == (st->sets_cloexec ? 0 : 1) &&
				(!q.listen_fds || lp);
	} else {
		r->leak_expected = !st->sets_cloexec && !sc->spawn->mitigates;
		r->meaning_ok =
		    r->child_held == r->leak_expected && r->parent_cloexec == st->sets_cloexec;
	}
	/* The harness itself must not leak into the child: only the subject may be there. */
	r->extra_ok = st->subject == RS_PASS || r->child_extra == 0;
	r->after_ok = !strcmp(r->after, r->after_expected);
	if (r->child_held)
		repro_fmt(r->detail, sizeof(r->detail), "child %d holds %s at fd %d", (int)r->child,
			  r->ident, r->held_fd);
	else
		repro_fmt(r->detail, sizeof(r->detail), "child %d has no %s (parent fd cloexec=%d)",
			  (int)r->child, r->ident, r->parent_cloexec);
	if (r->child_extra) {
		repro_cat(r->detail, sizeof(r->detail), "; also %d other fd(s): %s", r->child_extra,
			  extra);
	}
	if (g->kind == RK_REUSEPORT) {
		repro_cat(r->detail, sizeof(r->detail),
			  "; new listener bound, child took %d and parent %d connection(s)",
			  r->stolen, r->served_parent);
	}
	if (q.listen_fds) {
		repro_cat(r->detail, sizeof(r->detail), "; child saw LISTEN_PID=%s",
			  lp ? "its pid" : "something else");
	}

cleanup:
	/* Never signal a reaped pid again: it may belong to someone else by now. */
	if (r->child > 0 && !reaped) {
		lab_kill_reap(r->child);
		tap_untrack_child(r->child);
	}
	if (ctl[0] >= 0)
		close(ctl[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	if (c.subject >= 0)
		close(c.subject);
	if (c.decoy >= 0)
		close(c.decoy);
	if (c.pusher >= 0)
		close(c.pusher);
	close_abort(c.peer);
	if (c.path[0])
		unlink(c.path);
	if (c.dir[0]) {
		r->port_free = rmdir(c.dir) == 0;
	} else if (c.port > 0) {
		e = try_bind(g->family, g->type, c.port, 0, 0, 0);
		r->port_free = e == 0;
		if (e && !r->error && !r->skipped) {
			repro_cat(r->detail, sizeof(r->detail), "; port %d still taken: %s", c.port,
				  errname(-e));
		}
	}
	r->pass = !r->error && !r->skipped && r->mechanism_ok && r->meaning_ok && r->extra_ok &&
		  r->after_ok && r->port_free;
}

/* --- leftovers ---------------------------------------------------------------------------- */

/* Inodes of sockets bound to port in /proc/net/<proto> (TIME_WAIT has inode 0: skipped). */
static int port_inodes(const char *proto, int port, unsigned long *ino, int max)
{
	char path[64], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/net/%s", proto);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		char local[128];
		unsigned lport, st;
		unsigned long inode;

		if (sscanf(line, " %*d: %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &st,
			   &inode) != 3)
			continue;
		char *colon = strrchr(local, ':');

		if (!colon || sscanf(colon + 1, "%x", &lport) != 1 || (int)lport != port || !inode)
			continue;
		ino[n++] = inode;
	}
	fclose(f);
	return n;
}

/*
 * Who holds a socket on port now: the pid (or 0) and a description. Only
 * processes this engine spawned count as ours: a port freed by a scenario may
 * legitimately be handed to another program by a later bind(0) or connect().
 */
static pid_t port_holder(const struct used *u, char *who, size_t len)
{
	const char *proto = u->type == SOCK_DGRAM ? (u->family == AF_INET6 ? "udp6" : "udp")
						  : (u->family == AF_INET6 ? "tcp6" : "tcp");
	unsigned long ino[16];
	int n = port_inodes(proto, u->port, ino, 16);
	DIR *d;
	struct dirent *de;

	repro_fmt(who, len, "%s",
		  n ? "a socket no process holds" : "a TIME_WAIT or unlisted socket");
	if (!n || !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);
		int fds[1024], k;

		if (pid <= 0)
			continue;
		k = lab_proc_fds(pid, fds, 1024);
		for (int i = 0; i < k; i++) {
			char t[64], want[64], comm[64] = "?", cpath[64];
			FILE *cf;

			if (lab_fd_target(pid, fds[i], t, sizeof(t)) < 0)
				continue;
			for (int j = 0; j < n; j++) {
				snprintf(want, sizeof(want), "socket:[%lu]", ino[j]);
				if (strcmp(t, want))
					continue;
				snprintf(cpath, sizeof(cpath), "/proc/%d/comm", (int)pid);
				if ((cf = fopen(cpath, "re"))) {
					if (fgets(comm, sizeof(comm), cf))
						comm[strcspn(comm, "\n")] = '\0';
					fclose(cf);
				}
				repro_fmt(who, len, "pid %d (%s) via %s", (int)pid, comm, t);
				closedir(d);
				return pid;
			}
		}
	}
	closedir(d);
	return 0;
}

static int spawned_by_us(pid_t pid)
{
	for (int i = 0; i < nspawned; i++)
		if (spawned[i] == pid)
			return 1;
	return 0;
}

int repro_leftovers(char *why, size_t len)
{
	int problems = 0, st, fds[4096], n;
	pid_t p;

	why[0] = '\0';
	leftover_notes[0] = '\0';
#define PROBLEM(...)                                                                               \
	do {                                                                                       \
		if (!problems++)                                                                   \
			repro_fmt(why, len, __VA_ARGS__);                                          \
	} while (0)
	p = waitpid(-1, &st, WNOHANG);
	if (p > 0)
		PROBLEM("child %d was left unreaped", (int)p);
	else if (p == 0)
		PROBLEM("a child of ours is still running");
	n = lab_proc_fds(getpid(), fds, 4096);
	for (int i = 0; i < n; i++) {
		char t[PATH_MAX];

		if (fds[i] >= 3 && lab_fd_target(getpid(), fds[i], t, sizeof(t)) >= 0 &&
		    !strncmp(t, "socket:", 7))
			PROBLEM("this process still has %s open at fd %d", t, fds[i]);
	}
	for (int i = 0; i < nused; i++) {
		if (used[i].dir[0]) {
			if (access(used[i].dir, F_OK) == 0)
				PROBLEM("directory %s was left behind", used[i].dir);
			continue;
		}
		int e = try_bind(used[i].family, used[i].type, used[i].port, 0, 0, 0);
		char who[160];
		pid_t holder;

		if (!e)
			continue;
		holder = port_holder(&used[i], who, sizeof(who));
		if (holder > 0 && !spawned_by_us(holder) && holder != getpid()) {
			/* Reused by someone else after the scenario freed it (checked then). */
			repro_cat(leftover_notes, sizeof(leftover_notes),
				  "%sport %d now taken by %s, not ours",
				  leftover_notes[0] ? "; " : "", used[i].port, who);
			continue;
		}
		if (holder <= 0 && e != -EADDRINUSE)
			PROBLEM("port %d is not bindable: %s", used[i].port, errname(-e));
		else if (holder <= 0) {
			repro_cat(leftover_notes, sizeof(leftover_notes),
				  "%sport %d busy with %s (not a process of ours)",
				  leftover_notes[0] ? "; " : "", used[i].port, who);
			continue;
		}
		PROBLEM("port %d (%s/%s) is still taken by %s", used[i].port,
			used[i].family == AF_INET6 ? "ipv6" : "ipv4",
			used[i].type == SOCK_DGRAM ? "udp" : "tcp", who);
	}
#undef PROBLEM
	return problems;
}
