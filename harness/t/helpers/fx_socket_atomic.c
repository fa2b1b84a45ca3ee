// SPDX-License-Identifier: MIT
/*
 * fx_socket_atomic - truth: socket(SOCK_CLOEXEC) is atomic, for a TCP listener
 * and a UDP socket; neither survives the exec of fx_child.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s, u;

	fx_init(argc, argv);
	s = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("tcp", s);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) < 0)
		fx_die("bind a UDP socket");
	fx_report("udp", u);
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
