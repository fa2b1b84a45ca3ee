// SPDX-License-Identifier: MIT
/*
 * cli.c - cli.h's usage errors and number parsing: the words and exit status every tool's
 * command line shares (the tool's own checks stay in the tool).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *cli_tool;
static const char *cli_hint = "try --help";

void cli_init(const char *tool, const char *hint)
{
	cli_tool = tool;
	if (hint)
		cli_hint = hint;
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_tool ? cli_tool : program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", cli_hint);
	exit(CLI_EX_USAGE);
}

long cli_parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		cli_usage_error("invalid %s '%s'", what, s);
	return v;
}

double cli_parse_double(const char *s, double min, double max, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		cli_usage_error("invalid %s '%s'", what, s);
	return v;
}

void cli_bad_option(int c, char **argv)
{
	if (c == ':')
		cli_usage_error("option '%s' needs a value", argv[optind - 1]);
	if (optopt)
		cli_usage_error("unknown option '-%c'", optopt);
	cli_usage_error("unknown option '%s'", argv[optind - 1]);
}
