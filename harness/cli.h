/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the small parts of a tool's command line that cloexec-floor, cloexec-load and
 * cloexec-trace share: a usage error is one line on stderr, "<tool>: <what> (<hint>)", and
 * exit status 2; numbers are parsed whole and within their range or refused that way; and
 * getopt_long's two complaints (a missing value, an unknown option) read the same in every
 * tool. For getopt_long with opterr = 0 and an optstring that starts with ':' (or "+:").
 *
 *   cli_init("cloexec-load", "try --help");
 *   opt.rounds = (int)cli_parse_num(optarg, 1, 1000, "--rounds");
 *   default: cli_bad_option(c, argv);
 */
#ifndef CLOEXEC_LAB_CLI_H
#define CLOEXEC_LAB_CLI_H

/* The exit status of a usage error (also of the tools' own, checked after parsing). */
#define CLI_EX_USAGE 2

/*
 * The tool's name that opens every message and the hint that closes it ("try --help"):
 * call before the others. Until then: the program's name and "try --help".
 */
void cli_init(const char *tool, const char *hint);

/* "<tool>: <fmt...> (<hint>)" on stderr, then exit(CLI_EX_USAGE). */
void cli_usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* s as a decimal integer in [min, max], else the usage error "invalid <what> '<s>'". */
long cli_parse_num(const char *s, long min, long max, const char *what);
/* s as a number (strtod: 2.5, 1e6) in [min, max], NaN refused, else the same usage error. */
double cli_parse_double(const char *s, double min, double max, const char *what);

/*
 * getopt_long's answer c that no case took: ':' is "option '<opt>' needs a value", anything
 * else "unknown option '-x'" or "unknown option '<word>'"; a usage error either way.
 */
void cli_bad_option(int c, char **argv) __attribute__((noreturn));

#endif
