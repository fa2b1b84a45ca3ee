// SPDX-License-Identifier: MIT
/*
 * load_main.c - cloexec-load: the tracer's long runs, which Google Benchmark's model (many short
 * repetitions of one loop) does not fit; each writes JSON rows (schema cloexec-load/1,
 * results/FORMATS.md) that bench/goals.py reads beside cloexec-bench's JSON. Every run traces
 * a process tree we fork (cloexec-trace -p ROOT, ROOT blocked on a pipe until the tracer says
 * "ready"), or runs it under the floor (cloexec-floor) or under nothing, so each figure has
 * its floor from the same run (load_run.c); with --before PATH the tracer runs again beside,
 * as config "before" (main's tracer: a before/after in one run). The figures:
 *   churn      2 producers creating and closing fds as fast as they can for the whole
 *              duration, with the flag (dup3_cloexec) and without it (dup3_plain): records
 *              lost (pass: 0), the summary exact, the rate against the floor and untraced
 *   procs      the same work in many short processes: the summary's counts still add up
 *   rate       (on request) fds without the flag at a paced rate, --no-stacks: the highest
 *              rate of records held with 0 lost
 *   build      a C build (the project's own sources, or --build-dir DIR --build-cmd CMD),
 *              untraced / floor / traced, interleaved in random order per round
 *   footprint  the tracer's max RSS (wait4), its output bytes, text and JSON, and the stacks
 *              it unwound per 1M fd creations from one call site (atomic, and without the
 *              flag); the floor loader's RSS beside it
 * (load_figs.c, load_build.c). The tracer's JSON (and text) go to pipes read by threads
 * (tracerctl.h): a 60 s run writes gigabytes with some tracers, and no disk is involved. Every
 * tracer row has the tracer's CPU seconds per traced second and its max RSS. Progress lines
 * go to stderr. This file: the command line and main; load.c is the ground (options, names,
 * the JSON rows), load_run.c one run, load_figs.c and load_build.c the figures.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "lab.h"
#include "load.h"
#include "load_build.h"
#include "load_figs.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_FAIL 1
#define EX_ENV	3

static const char usage_text[] =
    "Usage: " TOOL " [OPTIONS] [FIGURE...]\n"
    "The tracer's long runs, each beside its floor (an empty tp_btf/sys_exit program) and an\n"
    "untraced run: FIGURE is churn, procs, build, footprint (the default: these four) or rate.\n"
    "Writes JSON (schema cloexec-load/1, results/FORMATS.md); bench/goals.py reads it with\n"
    "the benchmark JSON and says whether each goal is met. Needs root and kernel BTF.\n"
    "\n"
    "Options:\n"
    "  -o, --out FILE         write the JSON to FILE (default: stdout)\n"
    "  -d, --duration SEC     sustained runs: each churn under the tracer, the rate held (60)\n"
    "  -s, --short SEC        the rate search's runs (5)\n"
    "      --procs-s SEC      the procs run (10)\n"
    "  -P, --producers N      producer processes, and make -jN for the build (2)\n"
    "  -r, --rounds N         build rounds, each untraced, floor and traced in a random order\n"
    "                         (8; >= 6 for a 95% interval of the per-round ratio)\n"
    "      --src DIR          the tree whose C sources the build compiles (.; git ls-files)\n"
    "      --build-set SET    all (every C source) or tools (bench, bpf, harness) (all)\n"
    "      --build-max N      compile at most N of them (a smoke test)\n"
    "      --build-dir DIR    build this tree instead, with --build-cmd, cleaned before each\n"
    "      --build-cmd CMD    build by sh -c CMD in DIR (e.g. 'make -j2')\n"
    "      --clean-cmd CMD    sh -c CMD in DIR before each build, untimed (make clean)\n"
    "      --fds N            fd creations per footprint run (1000000)\n"
    "      --tracer PATH      the tracer (build/cloexec-trace; env CLOEXEC_BENCH_TRACER)\n"
    "      --before PATH      also run each tracer run with this tracer, config \"before\"\n"
    "                         (main's tracer: a before/after in one run; CLOEXEC_BENCH_BEFORE)\n"
    "  -q, --quick            short runs: duration 5, short 1, procs 2, 6 rounds of 24 of the\n"
    "                         tools' sources, 200000 fds (options given after it still apply)\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 every run ran (also when a goal is not met, and when BPF cannot run here:\n"
    "the JSON then says \"skipped\" and why), 1 a run failed, 2 usage, 3 the output cannot be\n"
    "written.\n"
    "\n"
    "EXAMPLES\n"
    "  " TOOL " -o load.json                 (as root) the default figures, 60 s runs\n"
    "  " TOOL " --quick -o load.json churn   5 s churns only\n"
    "  " TOOL " -r 12 build -o build.json    the traced build, 12 interleaved rounds\n"
    "  " TOOL " build --build-dir ~/lua --build-cmd 'make -j2' --before OLD/cloexec-trace\n"
    "  /usr/bin/python3 bench/goals.py --load load.json results/bench/latest.json\n";

static void on_signal(int sig)
{
	stop_sig = sig;
}

/* A tracer named on the command line or in the environment: an absolute path, or exit 2. */
static const char *tracer_path(const char *v, const char *what)
{
	static char bufs[2][PATH_MAX];
	static int n;
	char why[PATH_MAX + 64];

	if (!v || !*v)
		return NULL;
	if (tc_check_program(v, why, sizeof(why)) < 0 || !realpath(v, bufs[n & 1]))
		cli_usage_error("invalid %s: %s", what, why);
	return bufs[n++ & 1];
}

static unsigned figure_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned bit;
	} f[] = {{"churn", F_CHURN},
		 {"procs", F_PROCS},
		 {"rate", F_RATE},
		 {"build", F_BUILD},
		 {"footprint", F_FOOTPRINT}};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(name, f[i].name))
			return f[i].bit;
	cli_usage_error("unknown figure '%s' (churn, procs, rate, build, footprint)", name);
	return 0;
}

static void quick(void)
{
	opt.quick = 1;
	opt.duration = 5;
	opt.short_s = 1;
	opt.procs_s = 2;
	opt.rounds = 6;
	opt.build_set = "tools";
	opt.build_max = 24;
	opt.fp_fds = 200000;
}

static const struct option long_opts[] = {
    {"out", required_argument, NULL, 'o'},
    {"duration", required_argument, NULL, 'd'},
    {"short", required_argument, NULL, 's'},
    {"procs-s", required_argument, NULL, 'p'},
    {"producers", required_argument, NULL, 'P'},
    {"rounds", required_argument, NULL, 'r'},
    {"src", required_argument, NULL, 'S'},
    {"build-set", required_argument, NULL, 'B'},
    {"fds", required_argument, NULL, 'F'},
    {"build-max", required_argument, NULL, 'M'},
    {"build-dir", required_argument, NULL, 'D'},
    {"build-cmd", required_argument, NULL, 'C'},
    {"clean-cmd", required_argument, NULL, 'K'},
    {"tracer", required_argument, NULL, 'T'},
    {"before", required_argument, NULL, 'b'},
    {"quick", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

static void parse_args(int argc, char **argv)
{
	const char *tracer = getenv("CLOEXEC_BENCH_TRACER"),
		   *before = getenv("CLOEXEC_BENCH_BEFORE");
	int c;

	cli_init(TOOL, "try --help");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:s:P:r:qh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opt.out = optarg;
			break;
		case 'd':
			opt.duration = cli_parse_double(optarg, 0.1, 86400, "--duration seconds");
			break;
		case 's':
			opt.short_s = cli_parse_double(optarg, 0.1, 3600, "--short seconds");
			break;
		case 'p':
			opt.procs_s = cli_parse_double(optarg, 0.1, 86400, "--procs-s seconds");
			break;
		case 'P':
			opt.producers = (int)cli_parse_double(optarg, 1, MAX_PRODUCERS,
							      "--producers (1 to 16)");
			break;
		case 'r':
			opt.rounds = (int)cli_parse_double(optarg, 1, 1000, "--rounds");
			break;
		case 'S':
			opt.src = optarg;
			break;
		case 'B':
			if (strcmp(optarg, "all") && strcmp(optarg, "tools"))
				cli_usage_error("invalid --build-set '%s' (all or tools)", optarg);
			opt.build_set = optarg;
			break;
		case 'M':
			opt.build_max = (int)cli_parse_double(optarg, 1, 1e6, "--build-max");
			break;
		case 'D':
			opt.build_dir = optarg;
			break;
		case 'C':
			opt.build_cmd = optarg;
			break;
		case 'K':
			opt.clean_cmd = optarg;
			break;
		case 'F':
			opt.fp_fds = (long long)cli_parse_double(optarg, 1000, 1e9, "--fds");
			break;
		case 'T':
			tracer = optarg;
			break;
		case 'b':
			before = optarg;
			break;
		case 'q':
			quick();
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			cli_bad_option(c, argv);
		}
	}
	if (!opt.build_dir != !opt.build_cmd)
		cli_usage_error("--build-dir and --build-cmd go together");
	if (opt.clean_cmd && !opt.build_dir)
		cli_usage_error("--clean-cmd needs --build-dir and --build-cmd");
	opt.tracer = tracer_path(tracer, "--tracer");
	opt.before = tracer_path(before, "--before");
	for (int i = optind; i < argc; i++)
		opt.figures |= figure_bit(argv[i]);
	if (!opt.figures)
		opt.figures = F_CHURN | F_PROCS | F_BUILD | F_FOOTPRINT;
}

static void run_figures(void)
{
	if (opt.figures & F_CHURN)
		fig_churn(OP_DUP3_CLOEXEC);
	if ((opt.figures & F_CHURN) && !stop_sig)
		fig_churn(OP_DUP3_PLAIN);
	if ((opt.figures & F_PROCS) && !stop_sig)
		fig_procs();
	if ((opt.figures & F_RATE) && !stop_sig)
		fig_rate();
	if ((opt.figures & F_BUILD) && !stop_sig)
		fig_build();
	if ((opt.figures & F_FOOTPRINT) && !stop_sig)
		fig_footprint();
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	char why[200];

	lab_clean_fds(0);
	opt.src = ".";
	opt.build_set = "all";
	parse_args(argc, argv);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	out_host_block();
	out_add(",\"rows\":[");
	if (!lab_bpf_usable(why, sizeof(why))) {
		fprintf(stderr, "%s: skipped: %s\n", TOOL, why);
	} else {
		run_figures();
		why[0] = 0;
	}
	out_add("\n ]");
	if (why[0]) {
		out_add(",\"skipped\":");
		out_str(why);
	}
	out_add("}\n");
	if (out_write() < 0)
		return EX_ENV;
	if (stop_sig)
		return 130;
	return errors ? EX_FAIL : 0;
}
