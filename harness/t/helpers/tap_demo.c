// SPDX-License-Identifier: MIT
/*
 * tap_demo MODE - exercises tap.c in one mode so tap_selftest can check the
 * exact stream and exit status (a TAP library cannot test itself in-process).
 */
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (!strcmp(m, "plan")) {
		plan(3);
		ok(1, "first");
		is_int(2, 2, "second");
		is_str("a", "a", "third");
		return exit_status();
	}
	if (!strcmp(m, "fail")) {
		plan(3);
		ok(0, "zero is false");
		is_int(5, 7, "five is seven");
		is_str("x", NULL, "x is NULL");
		return exit_status();
	}
	if (!strcmp(m, "lazy")) {
		plan_lazy();
		ok(1, "a");
		cmp_int(3, "<", 4, "three below four");
		skip(2, "not here");
		return done_testing();
	}
	if (!strcmp(m, "skipall"))
		skip_all("no root");
	if (!strcmp(m, "fork")) {
		plan_lazy();
		ok(1, "before fork");
		pid_t p = fork();
		if (p == 0)
			exit(0); /* runs atexit: must print nothing */
		waitpid(p, NULL, 0);
		ok(1, "after fork");
		return done_testing();
	}
	if (!strcmp(m, "bail")) {
		plan(2);
		ok(1, "one");
		bail("cannot go on");
	}
	if (!strcmp(m, "short")) {
		plan(3);
		ok(1, "only one");
		return done_testing();
	}
	if (!strcmp(m, "todo")) {
		plan(2);
		todo("not yet");
		ok(0, "known bug");
		todo(NULL);
		ok(1, "fine");
		return exit_status();
	}
	if (!strcmp(m, "skipgroup")) {
		plan_lazy();
		ok(1, "before");
		skip_begin("no subject");
		ok(0, "not run");
		is_int(1, 2, "not run either");
		skip_end();
		ok(1, "after");
		return done_testing();
	}
	if (!strcmp(m, "timeout")) {
		plan(1);
		tap_timeout(1);
		pause();
	}
	return 2;
}
