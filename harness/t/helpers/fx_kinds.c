// SPDX-License-Identifier: MIT
/*
 * fx_kinds - truth: one never-cloexec fd of each socket kind, all leaked into
 * fx_child: a UDP socket on 127.0.0.1, a TCP listener on [::1] (inet6), a unix
 * stream listener bound to a path, and a netlink socket.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <linux/netlink.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/fx_kinds.XXXXXX";
	int u, t6, us, nl, rc;

	fx_init(argc, argv);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) < 0)
		fx_die("bind a UDP socket");
	fx_report("udp", u);
	t6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (t6 < 0 || bind(t6, (struct sockaddr *)&a6, sizeof(a6)) < 0 || listen(t6, 4) < 0)
		fx_die("listen on [::1]:0");
	fx_report("tcp6", t6);
	if (!mkdtemp(dir))
		fx_die("create a directory for the unix socket");
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/sock", dir);
	us = socket(AF_UNIX, SOCK_STREAM, 0);
	if (us < 0 || bind(us, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(us, 4) < 0)
		fx_die("listen on %s", un.sun_path);
	fx_report("unix", us);
	nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (nl < 0)
		fx_die("create a netlink socket");
	fx_report("netlink", nl);
	rc = fx_fork_exec("child") ? 1 : 0;
	unlink(un.sun_path);
	rmdir(dir);
	return fx_done(rc);
}
