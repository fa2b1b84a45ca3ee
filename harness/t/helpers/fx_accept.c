// SPDX-License-Identifier: MIT
/*
 * fx_accept - truth: accept() returns a never-cloexec connection (leaked into
 * fx_child), accept4(SOCK_CLOEXEC) an atomic one (not leaked). The listener and
 * both clients are SOCK_CLOEXEC (atomic).
 */
#define _GNU_SOURCE
#include "fx_common.h"

static int client(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((unsigned short)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		fx_die("connect to 127.0.0.1:%d", port);
	return c;
}

int main(int argc, char **argv)
{
	int l, c1, c2, a1, a2;

	fx_init(argc, argv);
	l = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("listener", l);
	c1 = client(lab_local_port(l));
	fx_report("client1", c1);
	a1 = accept(l, NULL, NULL);
	if (a1 < 0)
		fx_die("accept");
	fx_report("accepted", a1);
	c2 = client(lab_local_port(l));
	fx_report("client2", c2);
	a2 = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a2 < 0)
		fx_die("accept4");
	fx_report("accepted4", a2);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
