// SPDX-License-Identifier: MIT
/*
 * ct_opts.c - cloexec-trace's options (getopt_long), --help and the checks of -p PID.
 * The --fail-on words, their help and the default come from ct_fail_kinds[] (ct_decide.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct_decide.h"
#include "ct_opts.h"
#include "ct_stack.h"

struct opts opt = {.linger_ms = 1000,
		   .fate_wait_ms = 1000,
		   .ready_fd = -1,
		   .findings_exit = EX_FINDING,
		   .stack_depth = CT_STACK_DEPTH_DEFAULT,
		   .stack_bytes = CT_STACK_BYTES_DEFAULT};

static const char usage_head[] =
    "Usage: " TOOL " [OPTIONS] [-- CMD [ARGS...]]\n"
    "Trace close-on-exec correctness: which fds a process tree creates without O_CLOEXEC,\n"
    "sets it late (a race window), and which fds survive exec (leaked or passed).\n"
    "\n"
    "Scope: -- CMD ARGS traces CMD and all its descendants; -p PID an existing process and\n"
    "its future descendants; neither: the whole system until Ctrl-C or --timeout.\n"
    "\n"
    "Options:\n"
    "  -j, --json             JSON Lines on stdout (schema: bpf/SCHEMA.md, version 2)\n"
    "  -o, --output FILE      write the JSON Lines to FILE (human lines stay on stdout)\n"
    "      --sarif FILE       also write the findings as a SARIF 2.1.0 log to FILE (code\n"
    "                         scanning: each at the source line of the call that made it)\n"
    "      --junit FILE       also write the findings as JUnit XML to FILE (CI test reports:\n"
    "                         a testcase per program that exec'd, a failure per finding)\n"
    "  -p, --pid PID          trace PID and its future descendants\n";

static const char usage_tail[] =
    "  -a, --allow FD         an fd number that may be inherited across exec (repeatable)\n"
    "  -A, --allow-comm COMM  a program allowed to inherit fds: the comm or file name it execs\n"
    "                         as (never the program that execs it; repeatable)\n"
    "  -l, --linger MS        after CMD (or PID) exits, wait at most MS for its descendants\n"
    "                         (1000)\n"
    "      --fate-wait MS     hold an exec record at most MS for what its program does with\n"
    "                         the fds it inherited (1000); a fate known later is a record of\n"
    "                         its own; output is in time order, so MS bounds its delay\n"
    "  -t, --timeout SEC      stop the whole trace after SEC seconds (kills CMD: exit 124)\n"
    "  -r, --ring-kb KB       ring buffer size in KiB, a power of two, 4 to 1048576 (8192)\n"
    "      --keep-fds         CMD inherits the fds >= 3 we were started with (e.g. a make\n"
    "                         jobserver's), reported as passed (reason caller); default:\n"
    "                         they are closed at CMD's exec, so CMD starts clean\n"
    "      --stack-depth N    frames of the user stack kept for each fd made without\n"
    "                         close-on-exec, past libc's (1 to 64; 16)\n"
    "      --stack-bytes N    bytes of user stack the kernel copies per stack, a multiple of\n"
    "                         512 from 512 to 16384 (8192): fewer cost less, and reach fewer\n"
    "                         frames (16 frames took 1.7 KB in C, 3.2 in Crystal, 7 in PHP)\n"
    "      --no-stacks        take no stacks (and no file mappings): findings say no place\n"
    "      --ready-fd N       once tracing is live, write \"ready\\n\" to fd N (>= 3) and close\n"
    "                         it (the start record is also written only then)\n"
    "      --all-fds          a record (and a line) for every fd, also the ones made with\n"
    "                         the flag set (atomic); default: the kernel counts those (in\n"
    "                         the summary) and sends records only for what a verdict needs\n"
    "  -q, --quiet            text lines for findings only: no atomic fds, no execs that\n"
    "                         inherited nothing (JSON and the summary are unchanged)\n"
    "  -v, --verbose          diagnostics on stderr (twice: libbpf debug output)\n"
    "  -h, --help             this help\n"
    "  -V, --version          print the version\n"
    "\n"
    "Exit status, the first row that applies (the summary's exit_reason says which):\n"
    "  2        usage: a bad option, a missing command after --\n"
    "  3        environment: not root, no kernel BTF, an output file that could not be\n"
    "           opened or written (one line names it)\n"
    "  127, 126 CMD was not found (127), or found but could not be run (126)\n"
    "  128+N    signal N ended the trace (130 SIGINT, 143 SIGTERM; CMD got it too)\n"
    "  124      --timeout ended the trace of -- CMD (CMD was killed)\n"
    "  N        CMD exited with status N (not 0)\n"
    "  128+N    CMD was killed by signal N (e.g. 139 for SIGSEGV)\n"
    "  1        findings of a --fail-on kind (--findings-exit N: N instead)\n"
    "  0        clean: no such findings, and CMD (if any) exited 0\n"
    "With -p PID or system-wide, --timeout and PID's end are the planned end: 0 or the\n"
    "findings status (PID is not our child: its own exit status is not reported).\n"
    "\n"
    "EXAMPLES\n"
    "  sudo " TOOL " -- ./server --port 8080\n"
    "      trace a server and everything it spawns; text lines and a summary\n"
    "  sudo " TOOL " --json -- python3 app.py > trace.jsonl\n"
    "      JSON Lines for machines\n"
    "  sudo " TOOL " -o trace.jsonl --fail-on leaked,late -- make test\n"
    "      CI gate: make's own status when it fails, else 1 on any leaked fd or late\n"
    "      cloexec, else 0; JSON kept in a file\n"
    "  sudo " TOOL " --junit cloexec.xml --sarif cloexec.sarif -- make check\n"
    "      the findings for a CI server's test report and for code scanning\n"
    "  sudo " TOOL " --allow 3 -- ./supervisor\n"
    "      fd 3 is passed on purpose wherever the supervisor's tree execs\n"
    "  sudo " TOOL " --fail-on leaked,helper,lost -- java -jar app.jar\n"
    "      also fail on fds that reach a trampoline (jspawnhelper) which closes them\n"
    "  sudo " TOOL " -p 1234 --timeout 60\n"
    "      watch a running process and its children for a minute\n"
    "  sudo " TOOL " --timeout 10 -o trace.jsonl\n"
    "      the whole system for ten seconds\n"
    "  sudo " TOOL " --sarif leaks.sarif -- ./server --port 8080\n"
    "      each finding with the stack of the call that made the fd, as SARIF for code\n"
    "      scanning (build with -g for file:line)\n"
    "  sudo " TOOL " -q --timeout 30\n"
    "      a live system: only late/never fds, leaks at exec and races, then a summary\n"
    "  " TOOL " -p 1234 -o trace.jsonl --ready-fd 3 3>ready.fifo   (as root)\n"
    "      a script reads \"ready\" from ready.fifo, then starts the workload (no sleep);\n"
    "      sudo closes fds >= 3, so under sudo wait for the start record instead\n";

/* The --fail-on words, comma-separated, of the kinds in mask (all kinds: ~0u). */
static void fail_words(char *buf, size_t len, unsigned mask)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < ct_n_fail_kinds && n < len; i++)
		if (mask & ct_fail_kinds[i].bit)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
					      ct_fail_kinds[i].name);
}

static void print_usage(void)
{
	char dflt[128];

	fail_words(dflt, sizeof(dflt), ct_fail_default());
	fputs(usage_head, stdout);
	printf("  -f, --fail-on LIST     findings that fail the run, exit 1 (default: %s):\n",
	       dflt);
	for (int i = 0; i < ct_n_fail_kinds; i++)
		printf("                           %-7s %s\n", ct_fail_kinds[i].name,
		       ct_fail_kinds[i].help);
	printf("                           %-7s %s\n", "all", "every kind above");
	printf("                           %-7s %s\n", "none", "no finding fails the run");
	fputs("      --findings-exit N  the exit status for findings of a --fail-on kind, 1 to\n"
	      "                         255 (1); CMD's own failure comes first (see below)\n",
	      stdout);
	fputs(usage_tail, stdout);
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", TOOL);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EX_USAGE);
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("invalid %s '%s'", what, s);
	return v;
}

static unsigned parse_fail_word(const char *tok)
{
	char words[128];

	for (int i = 0; i < ct_n_fail_kinds; i++)
		if (!strcmp(tok, ct_fail_kinds[i].name))
			return ct_fail_kinds[i].bit;
	if (!strcmp(tok, "all"))
		return ct_fail_all();
	if (!strcmp(tok, "none"))
		return 0;
	fail_words(words, sizeof(words), ~0u);
	usage_error("invalid --fail-on value '%s' (%s,all,none)", tok, words);
}

static unsigned parse_fail_on(const char *s)
{
	char *dup = strdup(s), *save = NULL, *tok;
	unsigned m = 0;

	if (!dup) {
		fprintf(stderr, "%s: failed to parse --fail-on: %s\n", TOOL, strerror(errno));
		exit(EX_ENV);
	}
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		usage_error("invalid --fail-on list '%s' (an empty item)", s);
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		m |= parse_fail_word(tok);
	free(dup);
	return m;
}

bool proc_status(const char *pid, const char *fmt, void *out)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, fmt, out) == 1;
	fclose(f);
	return found;
}

/* The thread group (process) of a thread id, from /proc; the id itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char id[16];
	pid_t tgid = tid;

	snprintf(id, sizeof(id), "%d", (int)tid);
	if (!proc_status(id, "Tgid: %d", &tgid))
		return tid;
	return tgid > 0 ? tgid : tid;
}

/*
 * Whether process pid has ended: no such process, or a zombie (exited, not yet reaped by its
 * parent: kill(pid, 0) still succeeds, but no exit record will ever come for it). A leader
 * thread that exited shows as a zombie too while other threads run: those count as alive.
 */
bool pid_gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	int fd, threads = 0;
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kill(pid, 0) && errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return kill(pid, 0) && errno == ESRCH;
	buf[n] = '\0';
	/* "pid (comm) S ...": the comm may hold ')' and spaces, the state follows the last ')' */
	rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || (rp[2] != 'Z' && rp[2] != 'X'))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return true;
	while ((d = readdir(dir)) && threads < 2)
		threads += d->d_name[0] != '.';
	closedir(dir);
	return threads < 2;
}

/* --ready-fd N: one only (a second fd would wait in vain), ours only (CMD must not get it). */
static void set_ready_fd(const char *arg)
{
	if (opt.ready_fd >= 0)
		usage_error("--ready-fd given more than once");
	opt.ready_fd = (int)parse_num(arg, 3, INT_MAX, "--ready-fd (an fd >= 3)");
	if (fcntl(opt.ready_fd, F_SETFD, FD_CLOEXEC) < 0)
		usage_error("invalid --ready-fd %d (not an open file descriptor)", opt.ready_fd);
}

/* --ring-kb: at most 1 GiB, as the ring is locked memory and 4 GiB overflows the map size */
static void set_ring_kb(const char *arg)
{
	opt.ring_kb = parse_num(arg, 4, 1L << 20, "--ring-kb size (4 to 1048576)");
	if (opt.ring_kb & (opt.ring_kb - 1))
		usage_error("invalid --ring-kb size '%s' (a power of two)", arg);
}

/* One option c with its value arg (NULL for flags). */
static void parse_one(int c, const char *arg, char **argv)
{
	switch (c) {
	case 'j':
		opt.json = true;
		break;
	case 'o':
		if (!*arg)
			usage_error("empty --output file name");
		opt.output = arg;
		break;
	case 'p':
		opt.pid = (pid_t)parse_num(arg, 1, INT_MAX, "pid");
		break;
	case 'f':
		opt.fail_on = parse_fail_on(arg);
		break;
	case 'a':
		if (opt.n_allow_fd == MAX_ALLOW)
			usage_error("too many --allow options (max %d)", MAX_ALLOW);
		opt.allow_fd[opt.n_allow_fd++] = (int)parse_num(arg, 0, INT_MAX, "fd");
		break;
	case 'A':
		if (opt.n_allow_comm == MAX_ALLOW)
			usage_error("too many --allow-comm options (max %d)", MAX_ALLOW);
		if (!*arg)
			usage_error("empty --allow-comm value");
		opt.allow_comm[opt.n_allow_comm++] = arg;
		break;
	case 'l':
		opt.linger_ms = parse_num(arg, 0, 86400000, "--linger milliseconds");
		break;
	case 'W':
		opt.fate_wait_ms = parse_num(arg, 0, 86400000, "--fate-wait milliseconds");
		break;
	case 't':
		opt.timeout_s = parse_num(arg, 1, 86400 * 365, "--timeout seconds");
		break;
	case 'r':
		set_ring_kb(arg);
		break;
	case 'v':
		opt.verbose++;
		break;
	case 'K':
		opt.keep_fds = true;
		break;
	case 'q':
		opt.quiet = true;
		break;
	case 'X':
		opt.all_fds = true;
		break;
	case 'R':
		set_ready_fd(arg);
		break;
	case 'D':
		opt.stack_depth =
		    (int)parse_num(arg, 1, CT_STACK_DEPTH_MAX, "--stack-depth (1 to 64)");
		break;
	case 'S':
		opt.stack_depth = 0;
		break;
	case 'B':
		opt.stack_bytes = parse_num(arg, 512, CT_STACK_MAX, "--stack-bytes (512 to 16384)");
		if (opt.stack_bytes % 512)
			usage_error("invalid --stack-bytes '%s' (a multiple of 512)", arg);
		break;
	case 'F':
		if (!*arg)
			usage_error("empty --sarif file name");
		opt.sarif = arg;
		break;
	case 'U':
		if (!*arg)
			usage_error("empty --junit file name");
		opt.junit = arg;
		break;
	case 'E':
		opt.findings_exit =
		    (int)parse_num(arg, 1, 255, "--findings-exit status (1 to 255)");
		break;
	case 'h':
		print_usage();
		exit(EX_OK);
	case 'V':
		printf("%s %s\n", TOOL, VERSION);
		exit(EX_OK);
	case ':':
		usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		if (optopt)
			usage_error("unknown option '-%c'", optopt);
		usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

/* What the options say together: a command or a pid, and whether the pid is there. */
static void check_scope(int argc, char **argv)
{
	if (optind < argc)
		opt.cmd = &argv[optind];
	/* "--" with nothing after it: a command that went missing, not a system-wide trace */
	else if (optind > 1 && !strcmp(argv[optind - 1], "--"))
		usage_error("no command after '--'");
	if (opt.keep_fds && !opt.cmd)
		usage_error("--keep-fds applies to -- CMD only");
	if (opt.cmd && opt.pid)
		usage_error("use either -p PID or -- CMD, not both");
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH)
		usage_error("no process with pid %d", (int)opt.pid);
	if (opt.pid && pid_gone(opt.pid))
		usage_error("process %d has already exited (a zombie)", (int)opt.pid);
	if (opt.pid)
		opt.pid = tgid_of(opt.pid); /* a thread id names its process */
}

void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"output", required_argument, NULL, 'o'},
	    {"pid", required_argument, NULL, 'p'},
	    {"fail-on", required_argument, NULL, 'f'},
	    {"allow", required_argument, NULL, 'a'},
	    {"allow-comm", required_argument, NULL, 'A'},
	    {"linger", required_argument, NULL, 'l'},
	    {"timeout", required_argument, NULL, 't'},
	    {"ring-kb", required_argument, NULL, 'r'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"ready-fd", required_argument, NULL, 'R'},
	    {"keep-fds", no_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {"stack-depth", required_argument, NULL, 'D'},
	    {"no-stacks", no_argument, NULL, 'S'},
	    {"stack-bytes", required_argument, NULL, 'B'},
	    {"sarif", required_argument, NULL, 'F'},
	    {"version", no_argument, NULL, 'V'},
	    {"fate-wait", required_argument, NULL, 'W'},
	    {"all-fds", no_argument, NULL, 'X'},
	    {"junit", required_argument, NULL, 'U'},
	    {"findings-exit", required_argument, NULL, 'E'},
	    {0},
	};
	int c;

	opt.fail_on = ct_fail_default();
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jo:p:f:a:A:l:t:r:vqhV", lo, NULL)) != -1) {
		/* "--allow-comm -- CMD": the option lacks its value, "--" is not one */
		if (optarg && !strcmp(optarg, "--"))
			usage_error("option '%s' needs a value", argv[optind - 2]);
		parse_one(c, optarg, argv);
	}
	check_scope(argc, argv);
}
