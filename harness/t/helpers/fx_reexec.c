// SPDX-License-Identifier: MIT
/*
 * fx_reexec MODE - truth: what a process makes inheritable after it has exec'd once (it runs a
 * program: a shell's `exec 3<file`, a chain-loader) is no longer set-up between fork and exec.
 * The fixture forks; the child execs this program again (`fx_reexec --stage2 MODE`, same pid),
 * and that second image execs fx_child. MODE:
 *   own    the second image makes a SOCK_CLOEXEC listener and dup2s it onto fd 3, then execs
 *          fx_child, which holds it: made inheritable by a process that had exec'd already
 *          (leaked; the hand-over window ends at the first exec after the fork)
 *   carry  the forked child dup2s the parent's SOCK_CLOEXEC listener onto fd 3 before its
 *          first exec (passed to the second image, reason child); the second image execs
 *          fx_child with fd 3 unchanged, which is a trampoline that does not close: fx_child
 *          holds it (leaked), and the second image's fd 3 was passed on
 */
#define _GNU_SOURCE
#include "fx_common.h"

/* The second image: no fx_init (it would close fd 3), fx_child beside us. */
static int stage2(const char *mode, int hold)
{
	char *argv[3] = {fx_child_path, hold ? "--hold" : NULL, NULL};

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(fx_child_path, sizeof(fx_child_path), "%s/fx_child", lab_exe_dir());
	if (!strcmp(mode, "own")) {
		int l = fx_listener_high();

		fx_report("listener", l);
		if (dup2(l, 3) != 3)
			fx_die("dup2 the listener onto fd 3");
		fx_report("fd3", 3);
	}
	fflush(stdout);
	execv(fx_child_path, argv);
	fx_die("exec %s", fx_child_path);
}

int main(int argc, char **argv)
{
	const char *mode;
	int l = -1;

	if (argc >= 3 && !strcmp(argv[1], "--stage2"))
		return stage2(argv[2], argc > 3 && !strcmp(argv[3], "--hold"));
	argc = fx_init(argc, argv);
	mode = argc == 2 ? argv[1] : "";
	if (strcmp(mode, "own") && strcmp(mode, "carry")) {
		fprintf(stderr, "fx_reexec: usage: fx_reexec own|carry [--hold]\n");
		return 2;
	}
	if (!strcmp(mode, "carry")) {
		l = fx_listener_high();
		fx_report("listener", l);
	}
	return fx_fork_reexec("fx_reexec", "--stage2", mode, l, "child");
}
