// SPDX-License-Identifier: MIT
/*
 * floor.c - cloexec-floor: loads and attaches bench/floor.bpf.c (an empty tp_btf/sys_exit
 * program) and keeps it attached until SIGINT/SIGTERM or --timeout, so benchmarks can measure
 * the floor of any syscall tracer in the same run as the tracer itself. Same start protocol
 * as cloexec-trace: --ready-fd N gets "ready\n" once the program is attached, then N is
 * closed (EOF without "ready" means it failed; its stderr says why). libbpf is linked in
 * statically, as for the tracer.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "floor.skel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOOL   "cloexec-floor"
#define EX_OK  0
#define EX_ENV 3

static volatile sig_atomic_t stop_sig;

static const char usage_text[] =
    "Usage: " TOOL " [--ready-fd N] [--timeout SEC]\n"
    "Attach an empty tp_btf/sys_exit BPF program (the floor of any syscall tracer) and keep\n"
    "it attached until SIGINT or SIGTERM (or --timeout). Benchmarks compare the tracer's cost\n"
    "with this one, measured in the same run.\n"
    "\n"
    "Options:\n"
    "      --ready-fd N       once attached, write \"ready\\n\" to fd N (>= 3) and close it\n"
    "  -t, --timeout SEC      detach and exit after SEC seconds\n"
    "  -v, --verbose          libbpf diagnostics on stderr\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 detached after a signal or the timeout, 2 usage, 3 environment (not root,\n"
    "no kernel BTF, the program does not load or attach).\n"
    "\n"
    "EXAMPLES\n"
    "  " TOOL " --timeout 10 &      (as root) every syscall pays the floor for 10 s\n"
    "  " TOOL " --ready-fd 3 3>ready.fifo\n"
    "      a script reads \"ready\" from ready.fifo, then starts its workload\n";

static int verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (!verbose && level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"ready-fd", required_argument, NULL, 'R'},
	    {"timeout", required_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	struct floor_bpf *skel = NULL;
	long timeout_s = 0, ready_fd = -1;
	struct timespec deadline;
	int c, err, code = EX_ENV;

	cli_init(TOOL, "try --help");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'R':
			ready_fd = cli_parse_num(optarg, 3, INT_MAX, "--ready-fd (an fd >= 3)");
			if (fcntl((int)ready_fd, F_SETFD, FD_CLOEXEC) < 0)
				cli_usage_error(
				    "invalid --ready-fd %ld (not an open file descriptor)",
				    ready_fd);
			break;
		case 't':
			timeout_s = cli_parse_num(optarg, 1, 86400 * 365, "--timeout seconds");
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		default:
			cli_bad_option(c, argv);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	libbpf_set_print(libbpf_print);

	/* open -> load -> attach, each checked */
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "%s: failed to open BPF object: %s\n", TOOL, strerror(errno));
		goto cleanup;
	}
	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "%s: failed to load BPF program: %s\n", TOOL, strerror(-err));
		goto cleanup;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "%s: failed to attach BPF program: %s\n", TOOL, strerror(-err));
		goto cleanup;
	}
	if (ready_fd >= 0) {
		if (write((int)ready_fd, "ready\n", 6) != 6 && verbose)
			fprintf(stderr, "%s: failed to write to --ready-fd %ld: %s\n", TOOL,
				ready_fd, strerror(errno));
		close((int)ready_fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s ? timeout_s : 86400L * 365;
	/* sleep until a signal or the deadline; the program needs nothing from us meanwhile */
	while (!stop_sig &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
		;
	code = EX_OK;

cleanup:
	floor_bpf__destroy(skel);
	return code;
}
