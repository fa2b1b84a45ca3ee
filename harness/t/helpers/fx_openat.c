// SPDX-License-Identifier: MIT
/*
 * fx_openat - truth: a regular file opened without O_CLOEXEC is never
 * close-on-exec (leaked into fx_child), with openat() and with the legacy open()
 * syscall; opened with O_CLOEXEC it is atomic (not leaked). The file is
 * fx_child's own binary, so its path is known.
 */
#define _GNU_SOURCE
#include "fx_common.h"

int main(int argc, char **argv)
{
	int a, b, c;

	fx_init(argc, argv);
	a = openat(AT_FDCWD, fx_child_path, O_RDONLY);
	if (a < 0)
		fx_die("open %s", fx_child_path);
	fx_report("plain", a);
	b = openat(AT_FDCWD, fx_child_path, O_RDONLY | O_CLOEXEC);
	if (b < 0)
		fx_die("open %s with O_CLOEXEC", fx_child_path);
	fx_report("cloexec", b);
#ifdef SYS_open
	c = (int)syscall(SYS_open, fx_child_path, O_RDONLY, 0);
	if (c < 0)
		fx_die("open(2) %s", fx_child_path);
	fx_report("legacy_open", c);
#else
	(void)c;
#endif
	return fx_done(fx_fork_exec("child") ? 1 : 0);
}
