// SPDX-License-Identifier: MIT
/*
 * accept.c - accepting a connection with close-on-exec three ways, on loopback
 * TCP and AF_UNIX stream sockets: accept4(SOCK_CLOEXEC), accept()+fcntl(F_SETFD),
 * accept()+F_GETFD+F_SETFD.
 *
 * Batches: with the timer paused, the previous batch is torn down (clients
 * close first with SO_LINGER {1,0}, i.e. an RST, so no TIME_WAIT builds up) and
 * the backlog is filled with up to ACCEPT_BATCH connected clients; then only
 * the accepts are timed.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "families.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ACCEPT_BATCH   64
#define ACCEPT_BACKLOG 256

enum accept_variant { A_FCNTL, A_ACCEPT4, A_GETSET };

struct accept_case {
	const char *name;
	int family;
	enum accept_variant v;
};

struct listener {
	int fd;
	struct sockaddr_storage addr;
	socklen_t alen;
};

static int listener_open(struct listener *l, int family)
{
	static unsigned long seq;

	memset(l, 0, sizeof(*l));
	l->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&l->addr;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = 0; /* the kernel picks the port */
		l->alen = sizeof(*in);
	} else {
		struct sockaddr_un *un = (struct sockaddr_un *)&l->addr;
		int len;

		/* Abstract name: nothing to clean up in the file system. */
		un->sun_family = AF_UNIX;
		len = snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1, "cloexec-bench-%d-%lu",
			       (int)getpid(), __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
		l->alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	}
	if (bind(l->fd, (struct sockaddr *)&l->addr, l->alen) < 0 ||
	    listen(l->fd, ACCEPT_BACKLOG) < 0)
		goto fail;
	l->alen = sizeof(l->addr);
	if (getsockname(l->fd, (struct sockaddr *)&l->addr, &l->alen) < 0)
		goto fail;
	return 0;
fail:;
	int err = errno;

	close(l->fd);
	errno = err;
	return -1;
}

/* One connected client; TCP clients reset on close (no TIME_WAIT). */
static int client_connect(const struct listener *l)
{
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (l->addr.ss_family == AF_INET) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&l->addr, l->alen) < 0)
		goto fail;
	return fd;
fail:;
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

static inline int do_accept(int lfd, enum accept_variant v)
{
	int fd, fl;

	switch (v) {
	case A_ACCEPT4:
		return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	case A_FCNTL:
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			goto fail;
		return fd;
	case A_GETSET:
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return -1;
		fl = fcntl(fd, F_GETFD);
		if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
			goto fail;
		return fd;
	}
	errno = EINVAL;
	return -1;
fail:;
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

/* Loopback TCP sockets in TIME_WAIT to or from port (IPv4, /proc/net/tcp). */
static int count_time_wait(int port)
{
	FILE *f = fopen("/proc/net/tcp", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned laddr, lport, raddr, rport, st;

		/* Addresses are in network order as hex words: 127.0.0.1 is 0100007F here. */
		if (sscanf(line, " %*d: %x:%x %x:%x %x", &laddr, &lport, &raddr, &rport, &st) ==
			5 &&
		    st == 0x06 && laddr == htonl(INADDR_LOOPBACK) && raddr == laddr &&
		    ((int)lport == port || (int)rport == port))
			n++;
	}
	fclose(f);
	return n;
}

static void close_all(int *fds, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static void bm_accept(gb_state *s, void *user)
{
	const struct accept_case *c = user;
	int clients[ACCEPT_BATCH], conns[ACCEPT_BATCH];
	struct listener l;
	uint64_t n = ACCEPT_BATCH, prev = 0;
	int fd, cl;

	for (int i = 0; i < ACCEPT_BATCH; i++)
		clients[i] = conns[i] = -1;
	if (listener_open(&l, c->family) < 0) {
		bench_fail(s, "listen", errno);
		return;
	}
	/* The variant must really set the flag (checked once, untimed). */
	clients[0] = client_connect(&l);
	if (clients[0] < 0) {
		bench_fail(s, "connect", errno);
		goto out;
	}
	fd = do_accept(l.fd, c->v);
	if (fd < 0) {
		bench_fail(s, "accept", errno);
		goto out;
	}
	cl = bench_is_cloexec(fd);
	close(clients[0]);
	clients[0] = -1;
	close(fd);
	if (cl != 1) {
		gb_skip_with_error(s, "variant left the fd without FD_CLOEXEC");
		goto out;
	}

	while (gb_keep_running_batch(s, &n)) {
		gb_pause(s);
		close_all(clients, prev); /* RST first, then the server side */
		close_all(conns, prev);
		for (uint64_t i = 0; i < n; i++) {
			clients[i] = client_connect(&l);
			if (clients[i] < 0) {
				prev = i;
				bench_fail(s, "connect", errno);
				goto out;
			}
		}
		gb_resume(s);
		for (uint64_t i = 0; i < n; i++) {
			conns[i] = do_accept(l.fd, c->v);
			if (conns[i] < 0) {
				prev = n;
				bench_fail(s, "accept", errno);
				goto out;
			}
		}
		prev = n;
		n = ACCEPT_BATCH;
	}
	gb_set_items_processed(s, (int64_t)gb_iterations_done(s));
	close_all(clients, ACCEPT_BATCH);
	close_all(conns, ACCEPT_BATCH);
	/*
	 * Clients reset their connections: none may linger in TIME_WAIT. Shown as
	 * a label: a counter that is 0 in every repetition makes the library write
	 * cv = 0/0 = NaN, which is not JSON.
	 */
	if (c->family == AF_INET) {
		char label[48];

		snprintf(label, sizeof(label), "time_wait=%d",
			 count_time_wait(ntohs(((struct sockaddr_in *)&l.addr)->sin_port)));
		gb_set_label(s, label);
	}
out:
	close_all(clients, ACCEPT_BATCH);
	close_all(conns, ACCEPT_BATCH);
	close(l.fd);
}

static const struct accept_case cases[] = {
    {"accept_tcp/accept+fcntl", AF_INET, A_FCNTL},
    {"accept_tcp/accept4", AF_INET, A_ACCEPT4},
    {"accept_tcp/accept+getfd+setfd", AF_INET, A_GETSET},
    {"accept_unix/accept+fcntl", AF_UNIX, A_FCNTL},
    {"accept_unix/accept4", AF_UNIX, A_ACCEPT4},
    {"accept_unix/accept+getfd+setfd", AF_UNIX, A_GETSET},
};

void bench_register_accept(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gb_bench *b = gb_register(cases[i].name, bm_accept, (void *)&cases[i]);

		if (b)
			gb_use_real_time(b);
	}
}
