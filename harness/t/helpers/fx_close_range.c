// SPDX-License-Identifier: MIT
/*
 * fx_close_range - truth: socket() then close_range(fd, fd, CLOSE_RANGE_CLOEXEC)
 * is late (set by close_range) and not leaked; a file made with creat() is never
 * close-on-exec (leaked); one opened with openat2(O_CLOEXEC) is atomic.
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <linux/close_range.h>
#include <linux/openat2.h>

int main(int argc, char **argv)
{
	unsigned long long t0;
	char dir[] = "/tmp/fx_close_range.XXXXXX", path[64];
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	int s, c, o2, rc;

	fx_init(argc, argv);
	t0 = lab_now_ns();
	s = fx_tcp(0, 1);
	fx_report("sock", s);
	if (syscall(SYS_close_range, (unsigned)s, (unsigned)s, CLOSE_RANGE_CLOEXEC) < 0)
		fx_die("set close-on-exec with close_range");
	fx_span("sock", t0, lab_now_ns());
	if (!mkdtemp(dir))
		fx_die("create a directory");
	snprintf(path, sizeof(path), "%s/file", dir);
	c = creat(path, 0600);
	if (c < 0)
		fx_die("creat %s", path);
	fx_report("creat", c);
	o2 = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (o2 < 0)
		fx_die("openat2 %s", path);
	fx_report("openat2", o2);
	rc = fx_fork_exec("child") ? 1 : 0;
	unlink(path);
	rmdir(dir);
	return fx_done(rc);
}
