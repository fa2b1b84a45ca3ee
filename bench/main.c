// SPDX-License-Identifier: MIT
/*
 * main.c - cloexec-bench: benchmarks of the ways to get a close-on-exec fd
 * (atomic flags vs a later fcntl/ioctl), of spawning with many open fds, and of
 * the tracer's overhead, run through Google Benchmark. Prepares the process
 * (clean fd baseline, RLIMIT_NOFILE raised, fd table pre-grown so no run pays
 * for expand_files), registers every family, and hands over to the library.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "families.h"
#include "lab.h"
#include "lab_version.h" /* CLOEXEC_LAB_VERSION, generated in the build directory */
#include "tracerctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The fd table grows to hold this many fds before any benchmark runs. */
#define BENCH_PREGROW_FDS 32768

static void usage(FILE *f)
{
	fprintf(
	    f, "Usage: cloexec-bench [--tracer PATH] [--before PATH] [--benchmark_* flags]\n"
	       "\n"
	       "Benchmarks of close-on-exec strategies through Google Benchmark. Names are\n"
	       "<group>/<variant>[/args]; bench/pairs.txt names each group's baseline.\n"
	       "Families: socket_{inet,inet6,unix}, accept_{tcp,unix}, pipe, dup3, dupfd, openat,\n"
	       "spawn_{fork,posix} (args: fds:N open fds), trace_{getppid,socket,dup3,dup3_plain,\n"
	       "socket_plain}: untraced, under the floor (build/bench/cloexec-floor), filtered or\n"
	       "traced by build/cloexec-trace with the options each variant names (need root).\n"
	       "\n"
	       "Options (all of Google Benchmark's flags are accepted):\n"
	       "  --tracer PATH                      the tracer of the trace_* groups (default\n"
	       "                                     build/cloexec-trace; CLOEXEC_BENCH_TRACER)\n"
	       "  --before PATH                      also every traced variant with this tracer,\n"
	       "                                     named <variant>@before, interleaved with the\n"
	       "                                     rest: before/after in one run (or\n"
	       "                                     CLOEXEC_BENCH_BEFORE)\n"
	       "  --benchmark_list_tests=true        list the benchmark names and exit\n"
	       "  --benchmark_filter=REGEX           run only matching benchmarks\n"
	       "  --benchmark_min_time=SECONDS       minimum time per repetition (default 0.5)\n"
	       "  --benchmark_repetitions=N          repetitions (use >= 9 for the pair analysis)\n"
	       "  --benchmark_enable_random_interleaving=true\n"
	       "  --benchmark_out=FILE --benchmark_out_format=json\n"
	       "  -V, --version                      print the version\n"
	       "  -h, --help                         this text\n"
	       "\n"
	       "Exit status: 0 every run ran or was skipped for the environment (not root, no\n"
	       "IPv6: named on stderr), 1 a run failed, 2 usage (also: the filter matches no\n"
	       "benchmark or is not a regex, a --tracer or --before that is not an executable),\n"
	       "3 the --benchmark_out file cannot be written.\n"
	       "\n"
	       "EXAMPLES\n"
	       "  cloexec-bench --benchmark_filter='^socket_inet/' --benchmark_min_time=0.2\n"
	       "  cloexec-bench --benchmark_filter='^spawn_' --benchmark_repetitions=9 \\\n"
	       "      --benchmark_enable_random_interleaving=true --benchmark_out=spawn.json \\\n"
	       "      --benchmark_out_format=json\n"
	       "  /usr/bin/python3 bench/pairs.py --pairs bench/pairs.txt spawn.json\n"
	       "  cloexec-bench --benchmark_filter='^trace_' --before OLD/cloexec-trace\n"
	       "  make bench QUICK=1        (the whole set, short; see bench/README.md)\n");
}

/* Raise the soft fd limit to the hard one: spawn runs hold up to 16k fds. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		bench_nofile = 1024;
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;

		rl.rlim_cur = want > 1048576 ? 1048576 : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	bench_nofile = rl.rlim_cur == RLIM_INFINITY ? 1048576 : (long)rl.rlim_cur;
}

/*
 * Grow the fd table once, now, while single-threaded: the kernel never shrinks
 * it, so later runs (threads included) never pay for expand_files.
 */
static void pregrow_fd_table(void)
{
	long top = bench_nofile - 1 < BENCH_PREGROW_FDS ? bench_nofile - 1 : BENCH_PREGROW_FDS;
	int fd;

	if (top <= 3)
		return;
	fd = fcntl(0, F_DUPFD_CLOEXEC, (int)top);
	if (fd < 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (nul < 0)
			return;
		fd = fcntl(nul, F_DUPFD_CLOEXEC, (int)top);
		close(nul);
	}
	if (fd >= 0)
		close(fd);
}

static void add_host_context(void)
{
	struct utsname u;
	char line[256], cpu[256] = "unknown";
	FILE *f;

	if (uname(&u) == 0) {
		gb_add_context("kernel", u.release);
		gb_add_context("hostname", u.nodename);
	}
	f = fopen("/proc/cpuinfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');

			if (strncmp(line, "model name", 10) == 0 && c) {
				snprintf(cpu, sizeof(cpu), "%s", c + 2);
				cpu[strcspn(cpu, "\n")] = 0;
				break;
			}
		}
		fclose(f);
	}
	gb_add_context("cpu", cpu);
	snprintf(line, sizeof(line), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	gb_add_context("cores", line);
	snprintf(line, sizeof(line), "%ld", bench_nofile);
	gb_add_context("rlimit_nofile", line);
	/* when 1, every BPF program run also pays its run-time accounting: the floor grows */
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			gb_add_context("bpf_stats_enabled", line);
		}
		fclose(f);
	}
}

/*
 * The flags the library mishandles: an unknown report format prints its usage and
 * exits 0, an --benchmark_out it cannot open exits 1 (like a failed run). Checked
 * first: one line and exit 2 (usage) or 3 (the output cannot be written).
 */
static int check_flag(const char *arg)
{
	static const char *const fmt_flags[] = {"--benchmark_format=", "--benchmark_out_format="};
	const char *out = "--benchmark_out=";
	int fd;

	for (size_t i = 0; i < sizeof(fmt_flags) / sizeof(fmt_flags[0]); i++) {
		const char *v = arg + strlen(fmt_flags[i]);

		if (strncmp(arg, fmt_flags[i], strlen(fmt_flags[i])) != 0)
			continue;
		if (strcmp(v, "json") && strcmp(v, "console") && strcmp(v, "csv")) {
			fprintf(stderr,
				"cloexec-bench: invalid format in '%s' (json, console or csv)\n",
				arg);
			return 2;
		}
	}
	if (strncmp(arg, out, strlen(out)) != 0)
		return 0;
	/* Leave the file as it was: the library creates or truncates it when the run starts. */
	out = arg + strlen(out);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		unlink(out);
	else if (errno == EEXIST)
		fd = open(out, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cloexec-bench: failed to open %s: %s\n", out, strerror(errno));
		return 3;
	}
	close(fd);
	return 0;
}

/* The fd-counting mode (bench.h): the number of inherited fds >= 3, at most 125. */
static int count_inherited_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 126;
	while ((e = readdir(d)))
		if (atoi(e->d_name) >= 3 && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n > 125 ? 125 : n;
}

/*
 * --tracer PATH / --before PATH (or --tracer=PATH), else the environment: the program, made
 * absolute, in buf; NULL when none was given. Exits 2 when it is not an executable file. The
 * option's words are removed from argv (the library sees only its own flags).
 */
static const char *tracer_option(int *argc, char **argv, const char *opt, const char *env,
				 char *buf, size_t len)
{
	const char *v = getenv(env);
	size_t ol = strlen(opt);
	char why[PATH_MAX + 64];

	for (int i = 1; i < *argc; i++) {
		int words = 0;

		if (!strcmp(argv[i], opt)) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "cloexec-bench: %s needs a path (try --help)\n",
					opt);
				exit(2);
			}
			v = argv[i + 1];
			words = 2;
		} else if (!strncmp(argv[i], opt, ol) && argv[i][ol] == '=') {
			v = argv[i] + ol + 1;
			words = 1;
		}
		if (words) {
			memmove(&argv[i], &argv[i + words],
				sizeof(char *) * (size_t)(*argc - i - words + 1));
			*argc -= words;
			i--;
		}
	}
	if (!v || !*v)
		return NULL;
	if (tc_check_program(v, why, sizeof(why)) < 0 || !realpath(v, buf)) {
		fprintf(stderr, "cloexec-bench: invalid %s: %s\n", opt, why);
		exit(2);
	}
	(void)len;
	return buf;
}

int main(int argc, char **argv)
{
	static char tracer_buf[PATH_MAX], before_buf[PATH_MAX];
	const char *tracer, *before;
	long errors;
	int rc;

	if (getenv(BENCH_COUNT_FDS_ENV))
		return count_inherited_fds();
	lab_clean_fds(0);
	tracer = tracer_option(&argc, argv, "--tracer", "CLOEXEC_BENCH_TRACER", tracer_buf,
			       sizeof(tracer_buf));
	before = tracer_option(&argc, argv, "--before", "CLOEXEC_BENCH_BEFORE", before_buf,
			       sizeof(before_buf));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("cloexec-bench %s\n", CLOEXEC_LAB_VERSION);
			return 0;
		}
		if (strncmp(argv[i], "--benchmark_", 12) != 0) {
			fprintf(stderr, "cloexec-bench: unknown argument '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
		rc = check_flag(argv[i]);
		if (rc)
			return rc;
	}
	raise_nofile();
	pregrow_fd_table();
	add_host_context();
	{
		char def[PATH_MAX];

		gb_add_context("tracer", tracer ? tracer : tc_path(TC_TRACER, def, sizeof(def)));
		if (before)
			gb_add_context("tracer_before", before);
	}

	bench_register_socket();
	bench_register_accept();
	bench_register_fdops();
	bench_register_spawn();
	bench_register_trace(tracer, before);

	gb_initialize(&argc, argv);
	if (argc > 1) {
		fprintf(stderr, "cloexec-bench: unknown argument '%s' (try --help)\n", argv[1]);
		return 2;
	}
	rc = gb_run();
	if (rc == 2)
		return 2; /* no benchmark ran: the library said why (filter) */
	errors = gb_error_count();
	if (rc != 0 && (errors == 0 || errors > bench_env_skips())) {
		fprintf(stderr, "cloexec-bench: %ld run(s) failed\n", errors - bench_env_skips());
		return 1;
	}
	if (bench_env_skips())
		fprintf(stderr, "cloexec-bench: %ld run(s) skipped by the environment\n",
			bench_env_skips());
	return 0;
}
