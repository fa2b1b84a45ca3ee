// SPDX-License-Identifier: MIT
/*
 * cloexec-repro - reproduce, on the running kernel, the bug where a spawned
 * child inherits a socket and keeps the port busy, and show which creation
 * strategies and spawn methods prevent it; then measure the race between
 * socket()+fcntl(F_SETFD) and a concurrent fork+exec.
 *
 * Prints an aligned table (or TAP with --tap), optionally writes JSON
 * (results/FORMATS.md, schema cloexec-repro/1). Exit status: 0 every scenario
 * behaved as its mechanism says, 1 a contradiction (or SOCK_CLOEXEC leaked in
 * the race), 2 usage, 3 environment (helper missing, a scenario could not run,
 * the JSON file not writable).
 */
#define _GNU_SOURCE
#include "repro.h"
#include "lab.h"
#include "lab_version.h" /* CLOEXEC_LAB_VERSION, generated in the build directory */
#include "tap.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCENARIOS 512

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cloexec-repro [OPTION]...\n"
		"Reproduce port reuse through inherited sockets and the cloexec race.\n"
		"\n"
		"  -g, --group LIST       run only these groups (comma-separated; see --list)\n"
		"  -s, --strategy LIST    only these creation strategies\n"
		"  -m, --spawn LIST       only these spawn methods\n"
		"  -j, --json FILE        also write the results as JSON (schema cloexec-repro/1)\n"
		"  -r, --race-spawns N    spawns per race run (default 2000; 0: no race; default\n"
		"                         0 when --group/--strategy/--spawn select scenarios)\n"
		"      --race-ms MS       time bound per race run (default 20000)\n"
		"      --no-scenarios     only the race\n"
		"  -c, --commit ID        commit id for the JSON host record (default:\n"
		"                         $CLOEXEC_LAB_COMMIT or \"unknown\")\n"
		"  -t, --tap              print TAP instead of the table\n"
		"  -l, --list             list groups, strategies and spawn methods, then exit\n"
		"  -V, --version          print the version\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 all outcomes match their mechanism, 1 a contradiction, 2 usage,\n"
		"3 environment (helper not built, a scenario could not run, JSON not writable).\n"
		"\n"
		"EXAMPLES\n"
		"  cloexec-repro                                 every scenario and the race\n"
		"  cloexec-repro -g tcp4-listener -m fork-exec   one group, one spawn method\n"
		"  cloexec-repro -g tcp4-reuseport -s plain      the child takes connections\n"
		"  cloexec-repro --no-scenarios -r 5000          only the race, 5000 spawns\n"
		"  cloexec-repro --json results/repro.json       what `make repro` runs\n");
}

static void list(void)
{
	printf("groups:\n");
	for (const struct repro_group *g = repro_groups; g->name; g++)
		printf("  %-16s %s\n", g->name, g->what);
	printf("strategies:\n");
	for (const struct repro_strategy *s = repro_strategies; s->name; s++)
		printf("  %-21s %s%s\n", s->name, s->what,
		       s->subject == RS_ACCEPT ? " [tcp*-accepted]"
		       : s->subject == RS_SCM  ? " [scm-rights]"
		       : s->subject == RS_PASS ? " [pass-fd3]"
					       : "");
	printf("spawn methods:\n");
	for (const struct repro_spawn *s = repro_spawns; s->name; s++)
		printf("  %-22s %s%s\n", s->name, s->what, s->mitigates ? " (mitigation)" : "");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"group", required_argument, NULL, 'g'},
	    {"strategy", required_argument, NULL, 's'},
	    {"spawn", required_argument, NULL, 'm'},
	    {"json", required_argument, NULL, 'j'},
	    {"race-spawns", required_argument, NULL, 'r'},
	    {"race-ms", required_argument, NULL, 'R'},
	    {"no-scenarios", no_argument, NULL, 'N'},
	    {"commit", required_argument, NULL, 'c'},
	    {"tap", no_argument, NULL, 't'},
	    {"list", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *group = NULL, *strategy = NULL, *spawn = NULL, *json = NULL;
	const char *commit = getenv("CLOEXEC_LAB_COMMIT");
	int race_spawns = -1, race_ms = 20000, no_scen = 0, tap = 0, o, n = 0, rc = 0;
	static struct repro_scenario sc[MAX_SCENARIOS];
	static struct repro_result res[MAX_SCENARIOS];
	struct repro_race race[2];
	int nrace = 0, bad = 0, env = 0;
	char why[512];

	lab_clean_fds(0);
	opterr = 0; /* one line of our own instead of getopt's */
	while ((o = getopt_long(argc, argv, ":g:s:m:j:r:c:tlhV", opts, NULL)) != -1) {
		switch (o) {
		case 'g':
			group = optarg;
			break;
		case 's':
			strategy = optarg;
			break;
		case 'm':
			spawn = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'r':
			if (parse_int(optarg, 0, 1000000, &race_spawns) < 0) {
				fprintf(stderr,
					"cloexec-repro: bad --race-spawns '%s' (0..1000000)\n",
					optarg);
				return 2;
			}
			break;
		case 'R':
			if (parse_int(optarg, 1, 3600000, &race_ms) < 0) {
				fprintf(stderr, "cloexec-repro: bad --race-ms '%s' (1..3600000)\n",
					optarg);
				return 2;
			}
			break;
		case 'N':
			no_scen = 1;
			break;
		case 'c':
			commit = optarg;
			break;
		case 't':
			tap = 1;
			break;
		case 'l':
			list();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cloexec-repro %s\n", CLOEXEC_LAB_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"cloexec-repro: option '%s' needs an argument (try --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			/* A long option is named as given; optopt names a short one even in -tx. */
			if (!optopt || !strncmp(argv[optind - 1], "--", 2))
				fprintf(stderr, "cloexec-repro: bad option '%s' (try --help)\n",
					argv[optind - 1]);
			else
				fprintf(stderr,
					"cloexec-repro: unknown option '-%c' (try --help)\n",
					optopt);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cloexec-repro: unexpected argument '%s' (try --help)\n",
			argv[optind]);
		return 2;
	}
	if (!no_scen) {
		n = repro_select(group, strategy, spawn, sc, MAX_SCENARIOS);
		if (n < 0) {
			fprintf(stderr, "cloexec-repro: %s (see --list)\n", repro_select_error());
			return 2;
		}
		if (n == 0) {
			fprintf(stderr, "cloexec-repro: no scenario matches that selection "
					"(see --list)\n");
			return 2;
		}
	}
	if (json && repro_json_writable(json) < 0) {
		fprintf(stderr, "cloexec-repro: failed to write %s: %s\n", json, strerror(errno));
		return 3;
	}
	if (race_spawns < 0)
		race_spawns = (group || strategy || spawn) ? 0 : 2000;
	if (repro_init(why, sizeof(why)) < 0) {
		fprintf(stderr, "cloexec-repro: %s\n", why);
		return 3;
	}

	if (tap)
		plan_lazy();
	for (int i = 0; i < n; i++) {
		repro_run(&sc[i], &res[i]);
		if (res[i].skipped || res[i].error)
			env += res[i].error;
		else if (!res[i].pass)
			bad++;
		if (!tap)
			continue;
		if (res[i].skipped)
			skip(1, "%s: %s", sc[i].id, res[i].detail);
		else
			ok(res[i].pass, "%s: expected %s, observed %s (%s)", sc[i].id,
			   res[i].expected, res[i].observed, res[i].detail);
	}
	if (n && repro_leftovers(why, sizeof(why))) {
		fprintf(stderr, "cloexec-repro: left behind: %s\n", why);
		bad++;
	}
	if (race_spawns > 0) {
		repro_race_compare(race_spawns, race_ms, 2, race);
		nrace = 2;
		env += race[0].error || race[1].error;
		if (!race[1].error && race[1].leaks > 0)
			bad++;
		if (tap) {
			ok(!race[0].error && race[0].leaks > 0,
			   "race socket+fcntl: %d leaks in %d spawns", race[0].leaks,
			   race[0].spawns);
			ok(!race[1].error && race[1].leaks == 0,
			   "race SOCK_CLOEXEC: %d leaks in %d spawns", race[1].leaks,
			   race[1].spawns);
		}
	}
	if (!tap) {
		if (n)
			repro_print_table(stdout, sc, res, n);
		if (nrace) {
			if (n)
				printf("\n");
			repro_print_race(stdout, race, nrace);
			if (!race[0].error && race[0].leaks == 0)
				printf("note: socket+fcntl did not leak within %d spawns: "
				       "the race was not reproduced this time\n",
				       race[0].spawns);
		}
		printf("\n%d scenario(s) and %d race run(s): %d contradicted their mechanism, "
		       "%d could not run\n",
		       n, nrace, bad, env);
	}
	if (json && repro_write_json(json, commit, sc, res, n, race, nrace) < 0) {
		fprintf(stderr, "cloexec-repro: failed to write %s: %s\n", json, strerror(errno));
		return 3;
	}
	if (bad)
		rc = 1;
	else if (env)
		rc = 3;
	if (tap)
		done_testing();
	return rc;
}
