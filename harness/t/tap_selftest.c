// SPDX-License-Identifier: MIT
/*
 * tap_selftest - the TAP producer checked from outside: run the tap_demo helper
 * in each mode and compare its stdout and exit status with what TAP requires.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "tap.h"
#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct tcase {
	const char *mode;
	const char *stdout_want;
	int exit_want;
	const char *stderr_has; /* a substring stderr must hold; NULL: stderr must be empty */
};

static const struct tcase tcases[] = {
    {.mode = "plan", .stdout_want = "1..3\nok 1 - first\nok 2 - second\nok 3 - third\n"},
    {.mode = "fail",
     .stdout_want = "1..3\nnot ok 1 - zero is false\nnot ok 2 - five is seven\n"
		    "not ok 3 - x is NULL\n",
     .exit_want = 3,
     .stderr_has = "#          got: 5\n#     expected: 7"},
    {.mode = "lazy",
     .stdout_want = "ok 1 - a\nok 2 - three below four\nok 3 # SKIP not here\n"
		    "ok 4 # SKIP not here\n1..4\n"},
    {.mode = "skipall", .stdout_want = "1..0 # SKIP no root\n"},
    {.mode = "fork", .stdout_want = "ok 1 - before fork\nok 2 - after fork\n1..2\n"},
    /* a bail ends the stream: no plan complaint, no summary after it */
    {.mode = "bail", .stdout_want = "1..2\nok 1 - one\nBail out! cannot go on\n", .exit_want = 255},
    {.mode = "short",
     .stdout_want = "1..3\nok 1 - only one\n",
     .exit_want = 255,
     .stderr_has = "planned 3 tests but ran 1"},
    {.mode = "todo",
     .stdout_want = "1..2\nnot ok 1 - known bug # TODO not yet\nok 2 - fine\n",
     .stderr_has = "Failed (TODO) test 'known bug'"},
    /* the alarm ends the test at once: the bail line only */
    {.mode = "timeout",
     .stdout_want = "1..1\nBail out! timeout: the test ran past its time limit\n",
     .exit_want = 255},
    /* the failing checks inside a skipped group are neither run nor reported as failed */
    {.mode = "skipgroup",
     .stdout_want = "ok 1 - before\nok 2 # SKIP no subject\nok 3 # SKIP no subject\n"
		    "ok 4 - after\n1..4\n"},
};

int main(void)
{
	char demo[PATH_MAX], dir[] = "/tmp/tap_selftest.XXXXXX", out[64], err[64];

	lab_clean_fds(0);
	tap_timeout(60);
	lab_build_path("t/helpers/tap_demo", demo, sizeof(demo));
	if (access(demo, X_OK) != 0)
		bail("helper %s is missing: build with make", demo);
	plan((int)(sizeof(tcases) / sizeof(tcases[0])) * 3);

	if (!mkdtemp(dir))
		bail("failed to create a temporary directory: %s", strerror(errno));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *tc = &tcases[i];
		char *argv[] = {demo, (char *)tc->mode, NULL}, *o, *e;
		char obuf[4096], ebuf[4096];
		int rc = tlab_run(argv, out, err, 10000);

		o = lab_read_file(out, NULL);
		e = lab_read_file(err, NULL);
		snprintf(obuf, sizeof(obuf), "%s", o ? o : "");
		snprintf(ebuf, sizeof(ebuf), "%s", e ? e : "");
		free(o);
		free(e);
		is_str(obuf, tc->stdout_want, "mode %s: stdout is the expected TAP stream",
		       tc->mode);
		is_int(rc, tc->exit_want, "mode %s: exit status is %d", tc->mode, tc->exit_want);
		if (tc->stderr_has)
			ok(strstr(ebuf, tc->stderr_has) != NULL, "mode %s: stderr says '%s'",
			   tc->mode, tc->stderr_has);
		else
			is_str(ebuf, "", "mode %s: stderr is empty (no failure, no summary)",
			       tc->mode);
	}
	tlab_rm_rf(dir);
	return exit_status();
}
