// SPDX-License-Identifier: MIT
/*
 * load.c - cloexec-load: the tracer's long runs, which Google Benchmark's model (many short
 * repetitions of one loop) does not fit; each writes JSON rows (schema cloexec-load/1,
 * results/FORMATS.md) that bench/goals.py reads beside cloexec-bench's JSON. Every run traces
 * a process tree we fork (cloexec-trace -p ROOT, ROOT blocked on a pipe until the tracer says
 * "ready"), or runs it under the floor (cloexec-floor) or under nothing, so each figure has
 * its floor from the same run:
 *   churn      producers creating and closing fds with O_CLOEXEC as fast as they can for the
 *              whole duration: records lost by the kernel counter (pass: 0), and the rate
 *              under the tracer against the rate under the floor and untraced
 *   rate       fds created without the flag (each a record a verdict needs) at a paced rate:
 *              the producers' capacity under the floor, then a search over rates in short runs,
 *              then the best rate held for the whole duration with 0 lost
 *   build      the project's own C sources compiled by make -j2, untraced / floor / traced,
 *              interleaved in random order per round: wall time per build
 *   footprint  the tracer's max RSS (wait4) and its output bytes, text and JSON, per 1M fd
 *              creations (atomic, and without the flag); the floor loader's RSS beside it
 * The tracer's JSON (and text) go to pipes read by threads here (tracerctl.h): a 60 s run
 * writes gigabytes today, and no disk is involved. Progress lines go to stderr.
 */
#define _GNU_SOURCE
#include "lab.h"
#include "tracerctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL	      "cloexec-load"
#define EX_FAIL	      1
#define EX_USAGE      2
#define EX_ENV	      3
#define MAX_PRODUCERS 16
#define DUP_TARGET_FD 100
#define TICK_NS	      1000000ULL /* paced producers: one batch per ms */
#define HELD_SHARE    0.97	 /* a paced run reached its target at 97% of it */

enum op { OP_DUP3_CLOEXEC, OP_DUP3_PLAIN };
static const char *const op_names[] = {"dup3_cloexec", "dup3_plain"};

static struct {
	int quick;
	double duration, short_s;
	int producers, rounds;
	long long fp_fds;
	int build_max;
	const char *out, *src, *build_set;
	unsigned figures;
} opt = {.duration = 60, .short_s = 5, .producers = 2, .rounds = 5, .fp_fds = 1000000};

enum { F_CHURN = 1, F_RATE = 2, F_BUILD = 4, F_FOOTPRINT = 8 };

static volatile sig_atomic_t stop_sig;

/* --- JSON output: a growing text of rows ------------------------------------------------- */

static char *rows;
static size_t rows_len, rows_cap;
static int nrows;

static void out_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(rows + rows_len, rows_cap - rows_len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < rows_cap - rows_len)
			break;
		rows_cap = rows_cap * 2 + (size_t)n + 4096;
		rows = realloc(rows, rows_cap);
		if (!rows) {
			fprintf(stderr, "%s: failed to allocate: %s\n", TOOL, strerror(errno));
			exit(EX_FAIL);
		}
	}
	rows_len += (size_t)n;
}

/* A JSON string (the values here are host names, paths and messages). */
static void out_str(const char *s)
{
	out_add("\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out_add("\\%c", c);
		else if (c < 0x20)
			out_add("\\u%04x", c);
		else
			out_add("%c", c);
	}
	out_add("\"");
}

/* kernel.bpf_stats_enabled: when 1, every BPF program run also pays its run-time accounting */
static int bpf_stats(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void loadavg(double la[3])
{
	FILE *f = fopen("/proc/loadavg", "re");

	la[0] = la[1] = la[2] = -1;
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
			la[0] = la[1] = la[2] = -1;
		fclose(f);
	}
}

/* Starts a row: {"figure":..., "loadavg":[...] (the rest is added by the caller, then "}"). */
static void row_begin(const char *figure, const char *config)
{
	double la[3];

	loadavg(la);
	out_add("%s\n  {\"figure\":\"%s\",\"config\":\"%s\",\"loadavg\":[%.2f,%.2f,%.2f],"
		"\"bpf_stats_enabled\":%d",
		nrows++ ? "," : "", figure, config, la[0], la[1], la[2], bpf_stats());
}

static void row_tracer(const struct tc_result *r, enum tc_kind k)
{
	if (k == TC_NONE)
		return;
	out_add(",\"maxrss_kb\":%ld", r->ru.ru_maxrss);
	if (k != TC_TRACER)
		return;
	out_add(",\"tracer\":{\"fds\":%lld,\"atomic\":%lld,\"never\":%lld,\"late\":%lld,"
		"\"lost\":%lld,\"records\":%lld,\"json_bytes\":%llu,\"text_bytes\":%llu,"
		"\"exit\":%d}",
		r->sum.fds, r->sum.atomic, r->sum.never, r->sum.late, r->sum.lost, r->sum.records,
		(unsigned long long)r->json_bytes, (unsigned long long)r->text_bytes,
		r->status >= 0 && WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1);
}

/* --- one run: a process tree we fork, under nothing, the floor or the tracer -------------- */

struct trial {
	enum tc_kind kind;
	enum op op;
	int producers;
	double seconds;		 /* producers stop after this long ... */
	long long max_fds;	 /* ... or after this many fds in all (0: no limit) */
	double rate;		 /* fds per second in all, paced; 0: as fast as they can */
	const char *const *argv; /* instead of producers: ROOT execs this (the build) */
	const char *chdir_to;
	int text; /* also count the tracer's text output (footprint) */
};

struct trial_out {
	long long fds; /* what the producers created */
	double wall_s; /* "go" to ROOT reaped */
	double cpu_s;  /* ROOT and its reaped descendants (wait4) */
	int root_status;
	struct tc_result res;
};

struct shared {
	long long done[MAX_PRODUCERS];
	double secs[MAX_PRODUCERS];
};

static double now_s(void)
{
	return (double)lab_now_ns() / 1e9;
}

static void one_op(enum op op, int nul)
{
	if (dup3(nul, DUP_TARGET_FD, op == OP_DUP3_CLOEXEC ? O_CLOEXEC : 0) >= 0)
		close(DUP_TARGET_FD);
}

/* A producer: unpaced (rate 0) or paced in 1 ms batches, catching up at most 4 batches. */
static void produce(const struct trial *tr, int idx, int nul, struct shared *sh)
{
	double rate = tr->rate / tr->producers;
	long long limit = tr->max_fds ? tr->max_fds / tr->producers : LLONG_MAX, done = 0;
	unsigned long long t0 = lab_now_ns(), end = t0 + (unsigned long long)(tr->seconds * 1e9);
	unsigned long long t = t0, next = t0;

	if (rate <= 0) {
		while (done < limit && t < end) {
			long long n = limit - done < 1024 ? limit - done : 1024;

			for (long long i = 0; i < n; i++)
				one_op(tr->op, nul);
			done += n;
			t = lab_now_ns();
		}
	} else {
		long long cap = (long long)(rate * 4 * TICK_NS / 1e9) + 1;

		while (done < limit && t < end) {
			long long due = (long long)(rate * (double)(t - t0) / 1e9) + 1,
				  n = due - done;
			struct timespec ts;

			if (n > cap)
				n = cap;
			if (n > limit - done)
				n = limit - done;
			for (long long i = 0; i < n; i++)
				one_op(tr->op, nul);
			done += n > 0 ? n : 0;
			next += TICK_NS;
			t = lab_now_ns();
			if (next > t) {
				ts.tv_sec = (time_t)(next / 1000000000ULL);
				ts.tv_nsec = (long)(next % 1000000000ULL);
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
				       EINTR)
					;
				t = lab_now_ns();
			} else {
				next = t; /* behind: no burst to make up for the past */
			}
		}
	}
	sh->done[idx] = done;
	sh->secs[idx] = (double)(lab_now_ns() - t0) / 1e9;
}

/* ROOT: waits for "go", then forks the producers (or execs the command) and waits for them. */
static void root_main(const struct trial *tr, int go, int nul, struct shared *sh)
{
	pid_t kids[MAX_PRODUCERS];
	char b;
	int bad = 0;

	ssize_t r;

	/* dies with us; and runs nothing unless told "go" (EOF: we are gone or gave up) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	do
		r = read(go, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(125);
	if (tr->argv) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (tr->chdir_to && chdir(tr->chdir_to) < 0)
			_exit(126);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			_exit(126);
		/* stderr stays ours: a failing build says why */
		execvp(tr->argv[0], (char *const *)tr->argv);
		_exit(127);
	}
	for (int i = 1; i < tr->producers; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			produce(tr, i, nul, sh);
			_exit(0);
		}
		if (kids[i] < 0)
			bad = 1;
	}
	produce(tr, 0, nul, sh);
	for (int i = 1; i < tr->producers; i++) {
		int st;

		if (kids[i] > 0 &&
		    (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st)))
			bad = 1;
	}
	_exit(bad);
}

static int run_trial(const struct trial *tr, struct trial_out *o, char *why, size_t len)
{
	/*
	 * Non-atomic producers (the rate, the footprint of dup3_plain) run the tracer without
	 * stacks: those figures are the records' (issue 13); the cost of a stack on each such
	 * record is measured beside the record by cloexec-bench (trace_*_plain/traced_stack).
	 * The rest (atomic churn, the build) run the tracer as users do.
	 */
	static const char *const json_only[] = {"--json", "--fail-on", "none", NULL};
	static const char *const both[] = {"--fail-on", "none", NULL};
	static const char *const json_only_ns[] = {"--json", "--fail-on", "none", "--no-stacks",
						   NULL};
	static const char *const both_ns[] = {"--fail-on", "none", "--no-stacks", NULL};
	int ns = tr->op == OP_DUP3_PLAIN && !tr->argv;
	struct tc_sink json, text;
	struct tc t;
	struct tc_opts to = {.kind = tr->kind,
			     .json = &json,
			     .text = tr->text ? &text : NULL,
			     .extra =
				 tr->text ? (ns ? both_ns : both) : (ns ? json_only_ns : json_only),
			     .self_exit_ms = 10000};
	struct shared *sh;
	struct rusage ru;
	int go[2], nul, st = 0, ret = -1;
	pid_t root;
	double t0;
	int bound_ms = (int)((tr->seconds + 120) * 1000);

	memset(o, 0, sizeof(*o));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(why, len, "failed to map shared counters: %s", strerror(errno));
		return -1;
	}
	memset(sh, 0, sizeof(*sh));
	/* everything ROOT needs exists before tracing: the tree's only fds are the work's */
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0 || pipe2(go, O_CLOEXEC) < 0) {
		snprintf(why, len, "failed to open /dev/null or a pipe: %s", strerror(errno));
		if (nul >= 0)
			close(nul);
		munmap(sh, sizeof(*sh));
		return -1;
	}
	root = fork();
	if (root < 0) {
		snprintf(why, len, "failed to fork: %s", strerror(errno));
		goto out;
	}
	if (root == 0) {
		close(go[1]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		root_main(tr, go[0], nul, sh);
	}
	close(go[0]);
	go[0] = -1;
	to.target = root;
	if (tc_start(&t, &to, why, len) < 0) {
		close(go[1]);
		go[1] = -1;
		lab_kill_reap(root);
		goto out;
	}
	t0 = now_s();
	if (write(go[1], "x", 1) != 1) {
		snprintf(why, len, "failed to start the workload: %s", strerror(errno));
		lab_kill_reap(root);
		tc_stop(&t, NULL, NULL, 0);
		goto out;
	}
	close(go[1]);
	go[1] = -1;
	/* bounded: the work's own length and two minutes more */
	{
		int pfd = (int)syscall(SYS_pidfd_open, root, 0), pr = 1;

		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};

			do
				pr = poll(&p, 1, bound_ms);
			while (pr < 0 && errno == EINTR && !stop_sig);
			close(pfd);
		}
		if (pr == 0 || stop_sig) {
			snprintf(why, len,
				 stop_sig ? "interrupted"
					  : "the workload did not end "
					    "within %d s",
				 bound_ms / 1000);
			lab_kill_reap(root);
			tc_stop(&t, NULL, NULL, 0);
			goto out;
		}
		while (wait4(root, &st, 0, &ru) < 0 && errno == EINTR)
			;
	}
	o->wall_s = now_s() - t0;
	o->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	o->root_status = st;
	for (int i = 0; i < tr->producers && !tr->argv; i++)
		o->fds += sh->done[i];
	if (tc_stop(&t, &o->res, why, len) < 0)
		goto out;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(why, len, "the workload ended with %s %d",
			 WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		goto out;
	}
	ret = 0;
out:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	close(nul);
	munmap(sh, sizeof(*sh));
	return ret;
}

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s failed: %s\n", TOOL, what, why);
}

static int errors;

/* --- churn: atomic fds as fast as the producers can, for the whole duration --------------- */

static void churn_row(enum tc_kind k, const char *phase, const struct trial *tr,
		      const struct trial_out *o)
{
	row_begin("churn", tc_kind_name(k));
	out_add(",\"phase\":\"%s\",\"op\":\"%s\",\"producers\":%d,\"duration_s\":%.3f,"
		"\"fds\":%lld,\"rate_per_s\":%.1f",
		phase, op_names[tr->op], tr->producers, o->wall_s, o->fds,
		o->wall_s > 0 ? (double)o->fds / o->wall_s : 0);
	row_tracer(&o->res, k);
	out_add("}");
}

static void fig_churn(void)
{
	/*
	 * The rates the tracer's is compared with: untraced and under the floor, three short
	 * runs each, interleaved (one disturbed run does not make the reference), then the
	 * sustained run under the tracer.
	 */
	double ref = (opt.duration < 10 ? opt.duration : 10) / 3;
	enum tc_kind kinds[] = {TC_NONE, TC_FLOOR, TC_NONE, TC_FLOOR, TC_NONE, TC_FLOOR, TC_TRACER};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !stop_sig; i++) {
		int sustained = kinds[i] == TC_TRACER;
		struct trial tr = {.kind = kinds[i],
				   .op = OP_DUP3_CLOEXEC,
				   .producers = opt.producers,
				   .seconds = sustained ? opt.duration : ref};
		struct trial_out o;
		char why[300];

		fprintf(stderr, "load: churn, %s, %d producers, %g s ...\n", tc_kind_name(kinds[i]),
			tr.producers, tr.seconds);
		if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
			fail("churn", why);
			errors++;
			continue;
		}
		churn_row(kinds[i], sustained ? "sustained" : "reference", &tr, &o);
		fprintf(stderr, "load: churn, %s: %lld fds in %.1f s (%.0f/s)",
			tc_kind_name(kinds[i]), o.fds, o.wall_s, (double)o.fds / o.wall_s);
		if (sustained)
			fprintf(stderr, ", tracer counted %lld, lost %lld, max RSS %ld KiB",
				o.res.sum.fds, o.res.sum.lost, o.res.ru.ru_maxrss);
		fprintf(stderr, "\n");
	}
}

/* --- rate: the highest paced rate of non-atomic fds held with 0 lost ---------------------- */

/*
 * One rate run: 2 producers creating fds without the flag, paced at rate (0: as fast as they
 * can). Held: the tracer lost nothing; the figure is the rate achieved (the producers may not
 * reach the target: tracing slows them, and so does a busy machine). -1 when the run failed.
 */
static int rate_run(const char *phase, enum tc_kind k, double rate, double seconds, int *held,
		    double *achieved)
{
	struct trial tr = {.kind = k,
			   .op = OP_DUP3_PLAIN,
			   .producers = opt.producers,
			   .seconds = seconds,
			   .rate = rate};
	struct trial_out o;
	char why[300], tgt[32] = "max";
	int reached;

	if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
		fail("rate", why);
		errors++;
		return -1;
	}
	*achieved = o.wall_s > 0 ? (double)o.fds / o.wall_s : 0;
	*held = k != TC_TRACER || o.res.sum.lost == 0;
	reached = rate <= 0 || *achieved >= HELD_SHARE * rate;
	row_begin("rate", tc_kind_name(k));
	out_add(",\"phase\":\"%s\",\"op\":\"%s\",\"producers\":%d,\"target_per_s\":", phase,
		op_names[tr.op], tr.producers);
	out_add(rate > 0 ? "%.0f" : "null", rate);
	out_add(",\"duration_s\":%.3f,\"fds\":%lld,\"achieved_per_s\":%.1f,\"held\":%s,"
		"\"reached\":%s",
		o.wall_s, o.fds, *achieved, *held ? "true" : "false", reached ? "true" : "false");
	row_tracer(&o.res, k);
	out_add("}");
	if (rate > 0)
		snprintf(tgt, sizeof(tgt), "%.0f", rate);
	fprintf(stderr, "load: rate %-8s %-8s target %9s/s, %5.1f s: %.0f/s%s", phase,
		tc_kind_name(k), tgt, o.wall_s, *achieved,
		reached ? "" : " (the producers did not reach the target)");
	if (k == TC_TRACER)
		fprintf(stderr, ", lost %lld%s", o.res.sum.lost, *held ? "" : ": not held");
	fprintf(stderr, "\n");
	return 0;
}

static void fig_rate(void)
{
	double cap = 0, unpaced = 0, lo = 0, hi, r, got = 0, best = 0;
	int held = 0, ok, lost_once = 0;

	/* what the producers create with the floor loaded, then unpaced under the tracer */
	if (rate_run("capacity", TC_FLOOR, 0, opt.short_s, &ok, &cap) < 0 ||
	    rate_run("capacity", TC_TRACER, 0, opt.short_s, &ok, &unpaced) < 0)
		return;
	if (ok) {
		/* nothing lost as fast as the producers can go: hold that for the whole time */
		lo = 0;
	} else {
		/* bisection on the paced rate below the unpaced one, to within 10% */
		hi = unpaced;
		r = hi / 2;
		for (int trial = 0; trial < 10 && !stop_sig && r >= 1000; trial++) {
			if (rate_run("search", TC_TRACER, r, opt.short_s, &ok, &got) < 0)
				return;
			if (ok)
				lo = r;
			else
				hi = r;
			if (lo > 0 && hi / lo < 1.1)
				break;
			r = lo > 0 ? (lo + hi) / 2 : hi / 2;
		}
		if (lo == 0)
			goto result;
	}
	/*
	 * The best rate for the whole duration; when it loses records (a long run meets what
	 * a short one did not: a stall of the reader, a model that grows), 0.6 times it, twice
	 * at most: a lower bound in at most three long runs.
	 */
	r = lo;
	for (int retry = 0; retry < 3 && !stop_sig; retry++) {
		if (rate_run("hold", TC_TRACER, r, opt.duration, &held, &got) < 0)
			return;
		if (held) {
			best = got;
			break;
		}
		lost_once = 1;
		if (r == 0)
			r = got; /* unpaced lost this time: pace below what it reached */
		r *= 0.6;
	}
result:
	row_begin("rate", "tracer");
	out_add(",\"phase\":\"result\",\"op\":\"%s\",\"producers\":%d,\"held_per_s\":%.0f,"
		"\"duration_s\":%.3f,\"capacity_floor_per_s\":%.0f,\"unpaced_per_s\":%.0f,"
		"\"limit\":\"%s\"}",
		op_names[OP_DUP3_PLAIN], opt.producers, best, opt.duration, cap, unpaced,
		lo == 0 && best > 0 && !lost_once ? "producers" : "lost");
	fprintf(stderr,
		"load: rate result: %.0f/s held for %g s with 0 lost (limit: %s; unpaced under the "
		"tracer %.0f/s, under the floor %.0f/s)\n",
		best, opt.duration,
		lo == 0 && best > 0 && !lost_once ? "the producers' speed under the tracer"
						  : "records lost",
		unpaced, cap);
}

/* --- build: make -j2 of the project's C sources, interleaved configurations -------------- */

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The C sources (git ls-files, else none): the tools' only with set "tools". */
static int list_sources(const char *src, char ***out)
{
	char cmd[PATH_MAX + 128], line[PATH_MAX];
	int n = 0, cap = 0;
	char **v = NULL;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "git -C '%s' ls-files -- '*.c' '*.h' 2>/dev/null", src);
	p = popen(cmd, "re");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (n == cap) {
			cap = cap * 2 + 64;
			v = realloc(v, sizeof(*v) * (size_t)cap);
			if (!v)
				break;
		}
		v[n++] = strdup(line);
	}
	pclose(p);
	*out = v;
	return v ? n : -1;
}

static void fig_build(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], mk[PATH_MAX + 16], objs[PATH_MAX + 16], build_root[PATH_MAX];
	char src[PATH_MAX], jobs[16], why[300];
	char **files = NULL;
	int n, ncomp = 0;
	FILE *f;
	enum tc_kind order[3] = {TC_NONE, TC_FLOOR, TC_TRACER};

	if (!realpath(opt.src, src) || !is_dir(src)) {
		fail("build", "--src is not a directory");
		errors++;
		return;
	}
	n = list_sources(src, &files);
	if (n <= 0) {
		fprintf(stderr, "%s: build failed: no C sources in %s (git ls-files; pass --src)\n",
			TOOL, src);
		errors++;
		return;
	}
	lab_build_path("", build_root, sizeof(build_root));
	snprintf(dir, sizeof(dir), "%s/cloexec-load-build.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fail("build", strerror(errno));
		errors++;
		return;
	}
	snprintf(mk, sizeof(mk), "%s/build.mk", dir);
	snprintf(objs, sizeof(objs), "%s/o", dir);
	f = fopen(mk, "we");
	if (!f) {
		fail("build", strerror(errno));
		errors++;
		rmdir(dir);
		return;
	}
	/*
	 * The project's own flags and include directories (every directory with a header, the
	 * build root's generated headers); one object per C source, no link.
	 */
	fprintf(f, "# generated by cloexec-load: the C sources of %s\n", src);
	/* SRCDIR: what harness/t/module.mk gives the tests that read their fixtures' sources */
	fprintf(f,
		"CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -DSRCDIR='\"%s\"' -I%s -I%s/bpf "
		"-I%s/bench",
		src, build_root, build_root, build_root);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(files[i]), dl;
		int seen = 0;

		if (l < 2 || strcmp(files[i] + l - 2, ".h"))
			continue;
		/* the header's directory, once: an earlier header in the same directory */
		dl = strrchr(files[i], '/') ? (size_t)(strrchr(files[i], '/') - files[i]) : 0;
		for (int j = 0; j < i && !seen; j++) {
			size_t lj = strlen(files[j]);
			const char *sl = strrchr(files[j], '/');

			seen = lj > 2 && !strcmp(files[j] + lj - 2, ".h") &&
			       (sl ? (size_t)(sl - files[j]) : 0) == dl &&
			       !strncmp(files[j], files[i], dl);
		}
		if (!seen)
			fprintf(f, " -I%s/%.*s", src, (int)dl, files[i]);
	}
	fprintf(f, "\nall:");
	for (int i = 0; i < n; i++) {
		size_t l = strlen(files[i]);
		int tools =
		    !strncmp(files[i], "bench/", 6) || !strncmp(files[i], "bpf/", 4) ||
		    (!strncmp(files[i], "harness/", 8) && strncmp(files[i], "harness/t/", 10));

		if (l < 2 || strcmp(files[i] + l - 2, ".c") || strstr(files[i], ".bpf.c") ||
		    (!strcmp(opt.build_set, "tools") && !tools) ||
		    (opt.build_max && ncomp >= opt.build_max))
			continue;
		fprintf(f, " o/%d.o", i);
		ncomp++;
	}
	fprintf(f, "\n");
	for (int i = 0; i < n; i++) {
		size_t l = strlen(files[i]);

		if (l >= 2 && !strcmp(files[i] + l - 2, ".c") && !strstr(files[i], ".bpf.c"))
			fprintf(f, "o/%d.o: %s/%s\n\t$(CC) $(CFLAGS) -c $< -o $@\n", i, src,
				files[i]);
	}
	fclose(f);
	snprintf(jobs, sizeof(jobs), "-j%d", opt.producers);
	{
		const char *argv[] = {"make", "-s", "--no-print-directory", "-f", mk, jobs, NULL};
		unsigned seed = (unsigned)lab_now_ns();

		fprintf(stderr, "load: build, %d C sources of %s, make %s, %d rounds x 3 ...\n",
			ncomp, src, jobs, opt.rounds);
		/* round 0: warm-up (page cache, the compiler's own files), not recorded */
		for (int round = 0; round <= opt.rounds && !stop_sig; round++) {
			/* each round the three configurations in a random order */
			for (int i = 2; i > 0; i--) {
				int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
				enum tc_kind x = order[i];

				order[i] = order[j];
				order[j] = x;
			}
			for (int c = 0; c < 3 && !stop_sig; c++) {
				struct trial tr = {.kind = round ? order[c] : TC_NONE,
						   .producers = 1,
						   .seconds = 1800,
						   .argv = argv,
						   .chdir_to = dir};
				struct trial_out o;
				char rm[2 * PATH_MAX + 64];

				snprintf(rm, sizeof(rm), "rm -rf '%s' && mkdir '%s'", objs, objs);
				if (system(rm) != 0) {
					fail("build", "cannot empty the object directory");
					errors++;
					goto out;
				}
				if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
					fail("build", why);
					errors++;
					goto out;
				}
				if (!round) {
					fprintf(stderr, "load: build warm-up: %.2f s\n", o.wall_s);
					break;
				}
				row_begin("build", tc_kind_name(tr.kind));
				out_add(",\"round\":%d,\"sources\":%d,\"jobs\":%d,\"wall_s\":%.4f,"
					"\"cpu_s\":%.3f",
					round, ncomp, opt.producers, o.wall_s, o.cpu_s);
				row_tracer(&o.res, tr.kind);
				out_add("}");
				fprintf(stderr, "load: build round %d %-8s %.2f s\n", round,
					tc_kind_name(tr.kind), o.wall_s);
			}
		}
	}
out : {
	char rm[PATH_MAX + 16];

	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "%s: failed to remove %s\n", TOOL, dir);
}
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

/* --- footprint: RSS and output bytes per 1M fd creations ---------------------------------- */

static void fig_footprint(void)
{
	/* paced (one producer, 250k/s) so that no record is lost and every fd reaches the output */
	const double rate = 250000;
	enum op ops[] = {OP_DUP3_CLOEXEC, OP_DUP3_PLAIN};
	char why[300];

	for (size_t i = 0; i < 2 && !stop_sig; i++) {
		struct trial tr = {.kind = TC_TRACER,
				   .op = ops[i],
				   .producers = 1,
				   .seconds = 3600,
				   .max_fds = opt.fp_fds,
				   .rate = rate,
				   .text = 1};
		struct trial_out o;
		double per = o.fds = 0;

		fprintf(stderr, "load: footprint, %s, %lld fds ...\n", op_names[ops[i]],
			opt.fp_fds);
		if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
			fail("footprint", why);
			errors++;
			continue;
		}
		per = o.fds > 0 ? 1e6 / (double)o.fds : 0;
		row_begin("footprint", "tracer");
		out_add(",\"op\":\"%s\",\"fds\":%lld,\"duration_s\":%.3f,"
			"\"json_bytes_per_1m\":%.0f,\"text_bytes_per_1m\":%.0f",
			op_names[ops[i]], o.fds, o.wall_s, (double)o.res.json_bytes * per,
			(double)o.res.text_bytes * per);
		row_tracer(&o.res, TC_TRACER);
		out_add("}");
		fprintf(stderr,
			"load: footprint, %s: max RSS %ld KiB, per 1M fds: JSON %.1f MB, text %.1f "
			"MB, lost %lld\n",
			op_names[ops[i]], o.res.ru.ru_maxrss, (double)o.res.json_bytes * per / 1e6,
			(double)o.res.text_bytes * per / 1e6, o.res.sum.lost);
	}
	/* the floor: what a loader with one empty program holds */
	{
		struct trial tr = {.kind = TC_FLOOR,
				   .op = OP_DUP3_CLOEXEC,
				   .producers = 1,
				   .seconds = 1,
				   .max_fds = 1000};
		struct trial_out o;

		if (run_trial(&tr, &o, why, sizeof(why)) < 0) {
			fail("footprint", why);
			errors++;
			return;
		}
		row_begin("footprint", "floor");
		out_add(",\"op\":\"%s\",\"fds\":%lld,\"duration_s\":%.3f", op_names[tr.op], o.fds,
			o.wall_s);
		row_tracer(&o.res, TC_FLOOR);
		out_add("}");
		fprintf(stderr, "load: footprint, floor loader: max RSS %ld KiB\n",
			o.res.ru.ru_maxrss);
	}
}

/* --- main ----------------------------------------------------------------------------------- */

static const char usage_text[] =
    "Usage: " TOOL " [OPTIONS] [FIGURE...]\n"
    "The tracer's long runs, each beside its floor (an empty tp_btf/sys_exit program) and an\n"
    "untraced run: FIGURE is churn, rate, build or footprint (default: all four). Writes JSON\n"
    "(schema cloexec-load/1, results/FORMATS.md); bench/goals.py reads it with the\n"
    "benchmark JSON and says whether each goal is met. Needs root and kernel BTF.\n"
    "\n"
    "Options:\n"
    "  -o, --out FILE         write the JSON to FILE (default: stdout)\n"
    "  -d, --duration SEC     sustained runs: churn under the tracer, the rate held (60)\n"
    "  -s, --short SEC        the rate search's runs (5)\n"
    "  -P, --producers N      producer processes, and make -jN for the build (2)\n"
    "  -r, --rounds N         build rounds, each untraced, floor and traced (5; >= 4 for a\n"
    "                         95% interval)\n"
    "      --src DIR          the tree whose C sources the build compiles (.; git ls-files)\n"
    "      --build-set SET    all (every C source) or tools (bench, bpf, harness) (all)\n"
    "      --build-max N      compile at most N of them (a smoke test)\n"
    "      --fds N            fd creations per footprint run (1000000)\n"
    "  -q, --quick            short runs: duration 5, short 1, 4 rounds of the tools' sources,\n"
    "                         200000 fds (options given after it still apply)\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 every run ran (also when a goal is not met, and when BPF cannot run here:\n"
    "the JSON then says \"skipped\" and why), 1 a run failed, 2 usage, 3 the output cannot be\n"
    "written.\n"
    "\n"
    "EXAMPLES\n"
    "  " TOOL " -o load.json                 (as root) every figure, 60 s sustained runs\n"
    "  " TOOL " --quick -o load.json churn   a 5 s churn only\n"
    "  " TOOL " -r 8 build -o build.json     the traced build, 8 interleaved rounds\n"
    "  /usr/bin/python3 bench/goals.py --load load.json results/bench/latest.json\n";

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", TOOL);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(EX_USAGE);
}

static double parse_double(const char *s, double min, double max, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		usage_error("invalid %s '%s'", what, s);
	return v;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void host_block(void)
{
	struct utsname u;
	char line[256], cpu[256] = "unknown", date[64], commit[64] = "";
	time_t now = time(NULL);
	FILE *f;
	int stats = -1;

	uname(&u);
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			snprintf(cpu, sizeof(cpu), "%s", c + 2);
			cpu[strcspn(cpu, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	stats = bpf_stats();
	f = popen("git rev-parse --short HEAD 2>/dev/null", "re");
	if (f) {
		if (fgets(commit, sizeof(commit), f))
			commit[strcspn(commit, "\n")] = 0;
		pclose(f);
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	out_add("{\"schema\":\"cloexec-load/1\",\"host\":{\"hostname\":");
	out_str(u.nodename);
	out_add(",\"kernel\":");
	out_str(u.release);
	out_add(",\"cpu\":");
	out_str(cpu);
	out_add(",\"cores\":%ld,\"date\":\"%s\",\"commit\":", sysconf(_SC_NPROCESSORS_ONLN), date);
	if (*commit)
		out_str(commit);
	else
		out_add("null");
	/* an enabled bpf_stats adds the run-time accounting to every BPF program run (the floor) */
	out_add("},\"settings\":{\"quick\":%s,\"duration_s\":%g,\"short_s\":%g,\"producers\":%d,"
		"\"rounds\":%d,\"build_set\":\"%s\",\"footprint_fds\":%lld,"
		"\"bpf_stats_enabled\":%d}",
		opt.quick ? "true" : "false", opt.duration, opt.short_s, opt.producers, opt.rounds,
		opt.build_set, opt.fp_fds, stats);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"duration", required_argument, NULL, 'd'},
	    {"short", required_argument, NULL, 's'},
	    {"producers", required_argument, NULL, 'P'},
	    {"rounds", required_argument, NULL, 'r'},
	    {"src", required_argument, NULL, 'S'},
	    {"build-set", required_argument, NULL, 'B'},
	    {"fds", required_argument, NULL, 'F'},
	    {"build-max", required_argument, NULL, 'M'},
	    {"quick", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	char why[200];
	int c;

	lab_clean_fds(0);
	opt.src = ".";
	opt.build_set = "all";
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:s:P:r:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			opt.out = optarg;
			break;
		case 'd':
			opt.duration = parse_double(optarg, 0.1, 86400, "--duration seconds");
			break;
		case 's':
			opt.short_s = parse_double(optarg, 0.1, 3600, "--short seconds");
			break;
		case 'P':
			opt.producers =
			    (int)parse_double(optarg, 1, MAX_PRODUCERS, "--producers (1 to 16)");
			break;
		case 'r':
			opt.rounds = (int)parse_double(optarg, 1, 1000, "--rounds");
			break;
		case 'S':
			opt.src = optarg;
			break;
		case 'B':
			if (strcmp(optarg, "all") && strcmp(optarg, "tools"))
				usage_error("invalid --build-set '%s' (all or tools)", optarg);
			opt.build_set = optarg;
			break;
		case 'M':
			opt.build_max = (int)parse_double(optarg, 1, 1e6, "--build-max");
			break;
		case 'F':
			opt.fp_fds = (long long)parse_double(optarg, 1000, 1e9, "--fds");
			break;
		case 'q':
			opt.quick = 1;
			opt.duration = 5;
			opt.short_s = 1;
			opt.rounds = 4;
			opt.build_set = "tools";
			opt.fp_fds = 200000;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "churn"))
			opt.figures |= F_CHURN;
		else if (!strcmp(argv[i], "rate"))
			opt.figures |= F_RATE;
		else if (!strcmp(argv[i], "build"))
			opt.figures |= F_BUILD;
		else if (!strcmp(argv[i], "footprint"))
			opt.figures |= F_FOOTPRINT;
		else
			usage_error("unknown figure '%s' (churn, rate, build, footprint)", argv[i]);
	}
	if (!opt.figures)
		opt.figures = F_CHURN | F_RATE | F_BUILD | F_FOOTPRINT;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	host_block();
	out_add(",\"rows\":[");
	if (!lab_bpf_usable(why, sizeof(why))) {
		fprintf(stderr, "%s: skipped: %s\n", TOOL, why);
	} else {
		if (opt.figures & F_CHURN)
			fig_churn();
		if ((opt.figures & F_RATE) && !stop_sig)
			fig_rate();
		if ((opt.figures & F_BUILD) && !stop_sig)
			fig_build();
		if ((opt.figures & F_FOOTPRINT) && !stop_sig)
			fig_footprint();
		why[0] = 0;
	}
	out_add("\n ]");
	if (why[0]) {
		out_add(",\"skipped\":");
		out_str(why);
	}
	out_add("}\n");

	if (opt.out) {
		char tmp[PATH_MAX];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", opt.out);
		f = fopen(tmp, "we");
		if (!f || fwrite(rows, 1, rows_len, f) != rows_len || fclose(f) != 0 ||
		    rename(tmp, opt.out) < 0) {
			fprintf(stderr, "%s: failed to write %s: %s\n", TOOL, opt.out,
				strerror(errno));
			unlink(tmp);
			return EX_ENV;
		}
	} else if (fwrite(rows, 1, rows_len, stdout) != rows_len || fflush(stdout) != 0) {
		fprintf(stderr, "%s: failed to write the JSON: %s\n", TOOL, strerror(errno));
		return EX_ENV;
	}
	if (stop_sig)
		return 130;
	return errors ? EX_FAIL : 0;
}
