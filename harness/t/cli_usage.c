// SPDX-License-Identifier: MIT
/*
 * cli_usage - the command line's shared usage errors and number parsing (harness/cli.h), as
 * the tools use them: each case runs in a child with stderr on a pipe, and the child's exit
 * status and its one line are compared with what the tools print (cloexec-floor,
 * cloexec-load, cloexec-trace's "see --help").
 */
#define _GNU_SOURCE
#include "cli.h"
#include "lab.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum what { NUM, DBL, OPT, ERR };

struct tcase {
	const char *name;
	enum what what;
	const char *hint;	 /* cli_init's; NULL: the default */
	const char *arg;	 /* NUM, DBL: the text; OPT: the one argument after the name */
	double min, max;	 /* NUM, DBL */
	double value;		 /* the value parsed when stderr_want is NULL */
	const char *stderr_want; /* the usage error's line; NULL: none, exit 0 */
};

static const struct tcase tcases[] = {
    {"a number in range", NUM, NULL, "42", 1, 100, 42, NULL},
    {"the range's ends are in it", NUM, NULL, "100", 1, 100, 100, NULL},
    {"below the range", NUM, NULL, "0", 1, 100, 0, "tool: invalid --n '0' (try --help)\n"},
    {"above the range", NUM, NULL, "101", 1, 100, 0, "tool: invalid --n '101' (try --help)\n"},
    {"trailing junk", NUM, NULL, "3x", 1, 100, 0, "tool: invalid --n '3x' (try --help)\n"},
    {"an empty value", NUM, NULL, "", 1, 100, 0, "tool: invalid --n '' (try --help)\n"},
    {"a long's overflow", NUM, NULL, "99999999999999999999", 1, 100, 0,
     "tool: invalid --n '99999999999999999999' (try --help)\n"},
    {"not a decimal integer", NUM, NULL, "2.5", 1, 100, 0,
     "tool: invalid --n '2.5' (try --help)\n"},
    {"another hint", NUM, "see --help", "-1", 0, 100, 0, "tool: invalid --n '-1' (see --help)\n"},
    {"a fraction", DBL, NULL, "2.5", 0.1, 10, 2.5, NULL},
    {"an exponent", DBL, NULL, "1e3", 1, 1e6, 1000, NULL},
    {"NaN is refused", DBL, NULL, "nan", 0.1, 10, 0, "tool: invalid --n 'nan' (try --help)\n"},
    {"a number below the range", DBL, NULL, "0.01", 0.1, 10, 0,
     "tool: invalid --n '0.01' (try --help)\n"},
    {"an unknown long option", OPT, NULL, "--bogus", 0, 0, 0,
     "tool: unknown option '--bogus' (try --help)\n"},
    {"an unknown short option", OPT, NULL, "-Z", 0, 0, 0,
     "tool: unknown option '-Z' (try --help)\n"},
    {"a missing value", OPT, NULL, "--n", 0, 0, 0,
     "tool: option '--n' needs a value (try --help)\n"},
    {"a tool's own error", ERR, "see --help", "no command after '--'", 0, 0, 0,
     "tool: no command after '--' (see --help)\n"},
};

/* In the child: what the case does; exit 0 with the value when nothing was refused. */
static void run_case(const struct tcase *t)
{
	static const struct option lo[] = {{"n", required_argument, NULL, 'n'}, {0}};
	char *argv[] = {(char *)"tool", (char *)t->arg, NULL};
	int c;

	cli_init("tool", t->hint);
	switch (t->what) {
	case NUM:
		printf("%ld", cli_parse_num(t->arg, (long)t->min, (long)t->max, "--n"));
		break;
	case DBL:
		printf("%.17g", cli_parse_double(t->arg, t->min, t->max, "--n"));
		break;
	case OPT:
		opterr = 0;
		while ((c = getopt_long(2, argv, ":n:", lo, NULL)) != -1)
			cli_bad_option(c, argv);
		break;
	case ERR:
		cli_usage_error("%s", t->arg);
	}
	exit(0);
}

static void check(const struct tcase *t)
{
	int out[2], err[2], status = -1;
	char obuf[128] = "", ebuf[256] = "";
	ssize_t n;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		bail("failed to make a pipe: %s", strerror(errno));
	fflush(NULL); /* nothing of the stream goes out twice */
	pid = fork();
	if (pid < 0)
		bail("failed to fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		run_case(t);
	}
	close(out[1]);
	close(err[1]);
	n = read(out[0], obuf, sizeof(obuf) - 1);
	obuf[n > 0 ? n : 0] = 0;
	n = read(err[0], ebuf, sizeof(ebuf) - 1);
	ebuf[n > 0 ? n : 0] = 0;
	close(out[0]);
	close(err[0]);
	if (lab_wait_timeout(pid, &status, 10000) < 0)
		lab_kill_reap(pid);
	if (t->stderr_want) {
		is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, CLI_EX_USAGE,
		       "%s: exit status 2 (usage)", t->name);
		is_str(ebuf, t->stderr_want, "%s: one line naming the value", t->name);
	} else {
		is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0, "%s: accepted", t->name);
		ok(strtod(obuf, NULL) == t->value && !*ebuf, "%s: parsed as %g (got '%s')", t->name,
		   t->value, obuf);
	}
}

int main(void)
{
	lab_clean_fds(0);
	tap_timeout(60);
	plan((int)(2 * sizeof(tcases) / sizeof(tcases[0])));
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++)
		check(&tcases[i]);
	return exit_status();
}
