// SPDX-License-Identifier: MIT
/*
 * fx_spawn_dup MODE - truth: posix_spawn with a file action that hands the listener (made with
 * SOCK_CLOEXEC) to fx_child at fd 3, done by glibc in the spawned child before its exec:
 *   dup2   the listener at fd 10, posix_spawn_file_actions_adddup2(10, 3): the child dup2s it
 *   same   the listener at fd 3 itself, adddup2(3, 3): the child clears its close-on-exec bit
 * Either way fx_child holds the listener at fd 3, made inheritable by the spawned child
 * (passed, reason child); the spawner's own copy keeps the flag. glibc's child cannot print
 * facts: for dup2 the spawner reports the child's fd 3 (role fd3, the listener's identity).
 */
#define _GNU_SOURCE
#include "fx_common.h"

#include <spawn.h>

extern char **environ;

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	const char *mode;
	int l, at, e;
	pid_t pid;

	argc = fx_init(argc, argv);
	mode = argc == 2 ? argv[1] : "";
	if (strcmp(mode, "dup2") && strcmp(mode, "same")) {
		fprintf(stderr, "fx_spawn_dup: usage: fx_spawn_dup dup2|same [--hold]\n");
		return 2;
	}
	l = fx_tcp(SOCK_CLOEXEC, 1);
	at = strcmp(mode, "same") ? 10 : 3;
	if (l != at) {
		int m = fcntl(l, F_DUPFD_CLOEXEC, at);

		if (m != at)
			fx_die("move the listener to fd %d", at);
		close(l);
		l = m;
	}
	fx_report("listener", l);
	if (posix_spawn_file_actions_init(&fa) || posix_spawn_file_actions_adddup2(&fa, l, 3))
		fx_die("set up the file actions");
	fflush(stdout);
	e = posix_spawn(&pid, fx_child_path, &fa, NULL, fx_child_argv(), environ);
	if (e) {
		errno = e;
		fx_die("posix_spawn %s", fx_child_path);
	}
	posix_spawn_file_actions_destroy(&fa);
	/* glibc's child made fd 3 and cannot report it: its facts are the listener's, no flag */
	if (l != 3) {
		struct stat st;

		if (fstat(l, &st) < 0)
			fx_die("inspect the listener");
		printf("fx fd role=fd3 pid=%d fd=3 ino=%llu kind=tcp cloexec=0 family=inet "
		       "type=stream port=%d\n",
		       (int)pid, (unsigned long long)st.st_ino, lab_local_port(l));
	}
	printf("fx exec role=child pid=%d\n", (int)pid);
	return fx_done(fx_wait(pid) ? 1 : 0);
}
