// SPDX-License-Identifier: MIT
/*
 * fx_fifo - truth: a named FIFO opened without O_CLOEXEC is never close-on-exec
 * and leaks into fx_child; opened with O_CLOEXEC it is atomic. It is a pipe by
 * kind, but unlike pipe() it has a path, which /proc shows (and so must the
 * tracer). The FIFO lives in a fresh directory under /tmp, removed at the end.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	char dir[] = "/tmp/fx_fifo.XXXXXX", path[64];
	int a, b, rc;

	fx_init(argc, argv);
	if (!mkdtemp(dir))
		fx_die("create a directory under /tmp");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) < 0)
		fx_die("mkfifo %s", path);
	/* O_RDWR: Linux opens a FIFO for both ends at once without blocking */
	a = open(path, O_RDWR);
	if (a < 0)
		fx_die("open %s", path);
	fx_report("fifo", a);
	b = open(path, O_RDWR | O_CLOEXEC);
	if (b < 0)
		fx_die("open %s with O_CLOEXEC", path);
	fx_report("fifo_c", b);
	rc = fx_fork_exec("child") ? 1 : 0;
	unlink(path);
	rmdir(dir);
	return fx_done(rc);
}
