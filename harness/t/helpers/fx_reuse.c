// SPDX-License-Identifier: MIT
/*
 * fx_reuse - truth: closed fds are not inherited and a reused fd number is a new
 * fd. A plain socket() at fd 3 is closed, then fd 3 is reused by an atomic
 * SOCK_CLOEXEC socket; a plain socket() at fd 4 is closed with close_range().
 * Nothing survives the exec of fx_child, although two fds were never cloexec.
 * The atomic socket is also dup2'd onto stdin (fd 0): SCHEMA.md gives fds 0-2
 * no fd record and does not list them at exec.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int a, b, c;

	fx_init(argc, argv);
	a = fx_tcp(0, 1);
	fx_report("first", a);
	close(a);
	b = fx_tcp(SOCK_CLOEXEC, 1);
	fx_report("reused", b);
	if (b != a) {
		errno = EBADF;
		fx_die("reuse fd %d (got %d)", a, b);
	}
	c = fx_tcp(0, 0);
	fx_report("ranged", c);
	if (syscall(SYS_close_range, (unsigned)c, (unsigned)c, 0U) < 0)
		fx_die("close fd %d with close_range", c);
	if (dup2(b, 0) != 0)
		fx_die("dup2 onto stdin");
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
