// SPDX-License-Identifier: MIT
/*
 * bench_smoke.c - a short real run of build/cloexec-bench covering every group
 * of bench/pairs.txt (spawn only at fds:16 and fds:1024), 3 repetitions with
 * random interleaving, then checks of the Google Benchmark JSON it wrote
 * (context, per-repetition and aggregate rows, real_time > 0, names match the
 * pairs file, no failed run; the tracer runs must run as root with BTF) and of
 * bench/pairs.py on it (--validate, the analysis and its pairs JSON, bad input);
 * the <variant>@before runs once each with --before (the same tracer).
 * Also the tool's CLI: --help with EXAMPLES, exit 2 on an unknown argument, a filter that
 * selects nothing or a bad format, a --before that is not a program, exit 3 on an output
 * file it cannot write. Then cloexec-load very briefly (every figure, with --before; the
 * build once more on a tree of its own with --build-dir) and bench/goals.py on it all.
 */
#define _GNU_SOURCE
#include "tjson.h"
#include "lab.h"
#include "tlib.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define REPS   3
/* bounds for a hang, not speed tests (the smoke run is ~1 min of CPU; more at load 9) */
#define RUN_TIMEOUT_MS 300000
#define FILTER                                                                                     \
	"--benchmark_filter=^(socket_|accept_|pipe/|dup3/|dupfd/|openat/|trace_|"                  \
	"spawn_(fork|posix)/[^/]+/fds:(16|1024)/)"

#define MAX_GROUPS   64
#define MAX_VARIANTS 16

static struct group {
	char name[64];
	char variant[MAX_VARIANTS][64]; /* [0] is the baseline */
	int nvariants;
	char args[16][64]; /* distinct args seen in the run */
	int nargs;
	int seen[MAX_VARIANTS];
} groups[MAX_GROUPS];
static int ngroups;

static char tmpdir[] = "/tmp/bench_smoke.XXXXXX";

/* The directory part of a path ("." when it has none); a static buffer. */
static const char *dirname_of(const char *path)
{
	static char d[PATH_MAX];
	const char *sl = strrchr(path, '/');

	snprintf(d, sizeof(d), "%.*s", sl ? (int)(sl - path) : 1, sl ? path : ".");
	return d;
}

static json_t *load_json(const char *path)
{
	char err[160];
	size_t len = 0;
	char *text = lab_read_file(path, &len);
	json_t *j;

	if (!text) {
		diag("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	j = tj_parse(text, len, err, sizeof(err));
	if (!j)
		diag("%s does not parse: %s", path, err);
	free(text);
	return j;
}

static void show_file(const char *path, int max_lines)
{
	FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return;
	while (max_lines-- > 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		diag("  %s", line);
	}
	fclose(f);
}

/* bench/pairs.txt: from the working directory, else above the build root. */
static int find_pairs(char *path, size_t len)
{
	char b[PATH_MAX];

	snprintf(path, len, "bench/pairs.txt");
	if (access(path, R_OK) == 0)
		return 0;
	if (!lab_build_path("", b, sizeof(b)))
		return -1;
	for (int up = 1; up <= 3; up++) {
		char *slash;

		while (strlen(b) > 1 && b[strlen(b) - 1] == '/')
			b[strlen(b) - 1] = 0;
		slash = strrchr(b, '/');
		if (!slash)
			return -1;
		*slash = 0;
		snprintf(path, len, "%s/bench/pairs.txt", b);
		if (access(path, R_OK) == 0)
			return 0;
	}
	return -1;
}

static int read_pairs(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && ngroups < MAX_GROUPS) {
		struct group *g = &groups[ngroups];
		char *save = NULL, *w;

		line[strcspn(line, "#\n")] = 0;
		w = strtok_r(line, " \t", &save);
		if (!w)
			continue;
		snprintf(g->name, sizeof(g->name), "%s", w);
		while ((w = strtok_r(NULL, " \t", &save)) && g->nvariants < MAX_VARIANTS)
			snprintf(g->variant[g->nvariants++], sizeof(g->variant[0]), "%s", w);
		if (g->nvariants >= 2)
			ngroups++;
	}
	fclose(f);
	return ngroups;
}

static struct group *find_group(const char *name, size_t len)
{
	for (int i = 0; i < ngroups; i++)
		if (strlen(groups[i].name) == len && !strncmp(groups[i].name, name, len))
			return &groups[i];
	return NULL;
}

/* Split run_name into group and variant; record args. 0 when both are in the pairs file. */
static int check_name(const char *run_name, char *why, size_t whylen, int mark)
{
	const char *s1 = strchr(run_name, '/'), *s2;
	struct group *g;
	char args[256] = "";

	if (!s1) {
		snprintf(why, whylen, "%s is not <group>/<variant>", run_name);
		return -1;
	}
	g = find_group(run_name, (size_t)(s1 - run_name));
	if (!g) {
		snprintf(why, whylen, "group of %s is not in pairs.txt", run_name);
		return -1;
	}
	s2 = strchr(s1 + 1, '/');
	for (int v = 0; v < g->nvariants; v++) {
		size_t vl = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);

		if (strlen(g->variant[v]) == vl && !strncmp(g->variant[v], s1 + 1, vl)) {
			if (!mark)
				return 0;
			g->seen[v] = 1;
			/* args: the rest without the time type */
			if (s2) {
				char rest[256], *save = NULL, *w;

				snprintf(rest, sizeof(rest), "%s", s2 + 1);
				for (w = strtok_r(rest, "/", &save); w;
				     w = strtok_r(NULL, "/", &save)) {
					if (!strcmp(w, "real_time") || !strcmp(w, "manual_time"))
						continue;
					if (args[0])
						strncat(args, "/", sizeof(args) - strlen(args) - 1);
					strncat(args, w, sizeof(args) - strlen(args) - 1);
				}
			}
			for (int a = 0; a < g->nargs; a++)
				if (!strcmp(g->args[a], args))
					return 0;
			if (g->nargs < 16)
				snprintf(g->args[g->nargs++], sizeof(g->args[0]), "%s", args);
			return 0;
		}
	}
	snprintf(why, whylen, "variant of %s is not in pairs.txt", run_name);
	return -1;
}

static void check_run_json(const char *path, int bpf_ok)
{
	json_t *doc = load_json(path);
	const json_t *ctx, *rows;
	int bad_rows = 0, bad_names = 0, failed = 0, trace_rows = 0, trace_errors = 0;
	int iter_rows = 0, agg_rows = 0, wrong_reps = 0, tcp_rows = 0, time_wait = 0;
	int env_skips = 0, bad_events = 0;
	char why[300];

	if (!ok(doc != NULL, "cloexec-bench wrote JSON that parses")) {
		skip(15, "no JSON");
		return;
	}
	ctx = json_object_get(doc, "context");
	ok(json_is_object(ctx) && json_object_get(ctx, "date") &&
	       json_object_get(ctx, "host_name") && json_object_get(ctx, "num_cpus"),
	   "the JSON has a context with date, host_name, num_cpus");
	ok(tj_str(ctx, "kernel", NULL) && tj_str(ctx, "cpu", NULL),
	   "the context carries the kernel and cpu added by cloexec-bench");
	rows = json_object_get(doc, "benchmarks");
	cmp_int((long long)tj_len(rows), ">", 0, "the JSON has benchmark rows");
	for (size_t i = 0; i < tj_len(rows); i++) {
		const json_t *r = tj_at(rows, i);
		const char *rn = tj_str(r, "run_name", ""), *rt = tj_str(r, "run_type", "");
		int is_trace = !strncmp(rn, "trace_", 6);

		if (check_name(rn, why, sizeof(why), 1) < 0) {
			if (bad_names++ < 5)
				diag("%s", why);
		}
		if (tj_int(r, "repetitions", 0) != REPS)
			wrong_reps++;
		if (!strcmp(rt, "aggregate")) {
			agg_rows++;
			continue;
		}
		if (strcmp(rt, "iteration")) {
			if (bad_rows++ < 5)
				diag("row %zu: run_type '%s'", i, rt);
			continue;
		}
		iter_rows++;
		trace_rows += is_trace;
		if (tj_bool(r, "error_occurred", 0)) {
			const char *msg = tj_str(r, "error_message", "");

			if (is_trace)
				trace_errors++;
			/*
			 * "skipped: ..." is the environment (no IPv6, not root): allowed,
			 * except for the tracer runs where BPF works (checked below).
			 */
			if (!strncmp(msg, "skipped:", 8)) {
				if (env_skips++ < 5)
					diag("%s skipped by the environment: %s", rn, msg + 9);
			} else if (failed++ < 5) {
				diag("%s failed: %s", rn, msg);
			}
			continue;
		}
		if (is_trace && (strstr(rn, "/traced/") || strstr(rn, "/traced_stack/") ||
				 strstr(rn, "/filtered/"))) {
			long long ev = -1, lost = -1, iters = tj_int(r, "iterations", 0);
			int traced = strstr(rn, "/filtered/") == NULL;
			const char *lbl = tj_str(r, "label", "");

			/*
			 * traced: each socket of ours recorded (or lost); filtered: none; and
			 * the tracer's own CPU and RSS
			 */
			if (sscanf(lbl, "fd_events=%lld lost=%lld", &ev, &lost) != 2 || lost < 0 ||
			    (traced ? ev + lost < iters : ev != 0) ||
			    !strstr(lbl, "tracer_cpu_us=") || !strstr(lbl, "tracer_maxrss_kb=")) {
				if (bad_events++ < 5)
					diag("%s: label '%s', want fd_events %s", rn,
					     tj_str(r, "label", ""),
					     traced ? "+ lost >= iterations" : "= 0");
			}
		}
		if (!strncmp(rn, "accept_tcp/", 11)) {
			tcp_rows++;
			time_wait += strcmp(tj_str(r, "label", ""), "time_wait=0") != 0;
		}
		if (tj_num(r, "real_time", 0) <= 0 || tj_int(r, "iterations", 0) < 1 ||
		    tj_int(r, "repetition_index", -1) < 0) {
			if (bad_rows++ < 5)
				diag("%s: real_time %g iterations %lld", rn,
				     tj_num(r, "real_time", 0), tj_int(r, "iterations", 0));
		}
	}
	is_int(bad_names, 0, "every benchmark name is <group>/<variant> of bench/pairs.txt");
	is_int(bad_rows, 0, "every row is an iteration (real_time > 0) or an aggregate row");
	is_int(wrong_reps, 0, "every row reports %d repetitions", REPS);
	cmp_int(iter_rows, ">=", REPS * 2, "per-repetition rows are kept (%d)", iter_rows);
	cmp_int(agg_rows, ">", 0, "aggregate rows are present (%d)", agg_rows);
	is_int(failed, 0, "no benchmark run failed");
	cmp_int(tcp_rows, ">", 0, "the TCP accept runs ran");
	is_int(time_wait, 0,
	       "TCP accept clients reset: no TIME_WAIT left on the listener's port (label)");
	{
		int missing = 0;

		for (int g = 0; g < ngroups; g++)
			for (int v = 0; v < groups[g].nvariants; v++)
				if (!groups[g].seen[v] &&
				    !strstr(groups[g].variant[v], "@before") && missing++ < 5)
					diag("no rows for %s/%s", groups[g].name,
					     groups[g].variant[v]);
		is_int(missing, 0,
		       "the filter covered every group and variant of bench/pairs.txt (those with "
		       "@before: the --before run)");
	}
	cmp_int(trace_rows, ">", 0, "the tracer-overhead runs are in the run");
	if (bpf_ok) {
		is_int(trace_errors, 0,
		       "as root with BTF, the tracer runs ran (cloexec-trace attached)");
		is_int(bad_events, 0,
		       "the tracer recorded each of our fds when traced and none when filtered; "
		       "the label has its CPU and RSS");
	} else {
		skip(2, "tracer runs cannot run here (not root or no BTF): they were skipped");
	}
	json_decref(doc);
}

static int expected_pairs(void)
{
	int n = 0;

	for (int g = 0; g < ngroups; g++)
		n += groups[g].nargs * (groups[g].nvariants - 1);
	return n;
}

static void check_pairs_json(const char *path)
{
	json_t *doc = load_json(path);
	const json_t *pairs;
	int bad = 0, claims = 0;

	if (!ok(doc != NULL, "pairs.py wrote a pairs JSON that parses")) {
		skip(5, "no pairs JSON");
		return;
	}
	is_str(tj_str(doc, "schema", ""), "cloexec-pairs/1", "its schema is cloexec-pairs/1");
	ok(json_is_object(json_object_get(doc, "host")), "it carries a host object");
	pairs = json_object_get(doc, "pairs");
	/* Pairs whose runs were skipped by the environment are listed under "skipped". */
	is_int((long long)tj_len(pairs) + (long long)tj_len(json_object_get(doc, "skipped")),
	       expected_pairs(), "one pair (or skipped entry) per candidate and argument set");
	for (size_t i = 0; i < tj_len(pairs); i++) {
		const json_t *p = tj_at(pairs, i), *ci = json_object_get(p, "ci95_ns");
		struct group *g =
		    find_group(tj_str(p, "group", ""), strlen(tj_str(p, "group", "")));
		double lo = tj_vnum(tj_at(ci, 0), 1), hi = tj_vnum(tj_at(ci, 1), -1);
		double bm = tj_num(p, "baseline_median_ns", -1);
		double cm = tj_num(p, "candidate_median_ns", -1);
		double sv = tj_num(p, "saving_ns", 1e18);
		int sig = tj_bool(p, "significant", -1);

		claims += sig == 1;
		if (!g || strcmp(tj_str(p, "baseline", ""), g->variant[0]) || tj_len(ci) != 2 ||
		    lo > hi || bm <= 0 || cm <= 0 || sv < bm - cm - 0.01 || sv > bm - cm + 0.01 ||
		    sig == -1 || (sig == 1 && lo <= 0 && hi >= 0)) {
			if (bad++ < 5)
				diag("pair %zu (%s/%s vs %s) is inconsistent", i,
				     tj_str(p, "group", "?"), tj_str(p, "candidate", "?"),
				     tj_str(p, "baseline", "?"));
		}
	}
	is_int(bad, 0,
	       "every pair names its group's baseline, saving = difference of medians, "
	       "CI ordered, significant only when the CI excludes 0");
	/* 3 against 3 repetitions cannot reach 95%: no claim may be made. */
	is_int(claims, 0, "with %d repetitions no saving is claimed", REPS);
	json_decref(doc);
}

/* A row of cloexec-load's JSON: figure, config and (when given) phase. */
static const json_t *load_row(const json_t *rows, const char *fig, const char *cfg,
			      const char *phase)
{
	for (size_t i = 0; i < tj_len(rows); i++) {
		const json_t *r = tj_at(rows, i);

		if (!strcmp(tj_str(r, "figure", ""), fig) &&
		    (!cfg || !strcmp(tj_str(r, "config", ""), cfg)) &&
		    (!phase || !strcmp(tj_str(r, "phase", ""), phase)))
			return r;
	}
	return NULL;
}

/* The tracer counted every fd the producers made or lost it, and wrote its summary. */
static int counted_all(const json_t *r)
{
	const json_t *t = json_object_get(r, "tracer");

	return r && tj_int(r, "fds", 0) > 0 && json_is_object(json_object_get(t, "summary")) &&
	       tj_int(t, "fds", -1) + tj_int(t, "lost", 0) >= tj_int(r, "fds", 0) &&
	       tj_num(r, "prog_cpu_per_traced_s", -1) >= 0 && tj_int(r, "maxrss_kb", 0) > 0;
}

/* cloexec-load's long runs, very short (they cannot rot); no timed checks. */
static void check_load(const char *path, int bpf_ok)
{
	json_t *doc = load_json(path);
	const json_t *rows = json_object_get(doc, "rows"), *r;
	static const char *const ops[] = {"dup3_cloexec", "dup3_plain"};
	int churn_ok = 1;

	if (!ok(doc && !strcmp(tj_str(doc, "schema", ""), "cloexec-load/1"),
		"cloexec-load wrote JSON of schema cloexec-load/1")) {
		skip(7, "no load JSON");
		json_decref(doc);
		return;
	}
	if (!bpf_ok) {
		ok(tj_str(doc, "skipped", NULL) != NULL, "without BPF it says why it skipped");
		skip(6, "the long runs need root and BTF");
		json_decref(doc);
		return;
	}
	for (int o = 0; o < 2; o++) {
		int cfgs = 0;

		for (size_t i = 0; i < tj_len(rows); i++) {
			r = tj_at(rows, i);
			if (strcmp(tj_str(r, "figure", ""), "churn") ||
			    strcmp(tj_str(r, "op", ""), ops[o]))
				continue;
			cfgs |= !strcmp(tj_str(r, "config", ""), "untraced") ? 1
				: !strcmp(tj_str(r, "config", ""), "floor")  ? 2
									     : 0;
			if (!strcmp(tj_str(r, "phase", ""), "sustained")) {
				cfgs |= !strcmp(tj_str(r, "config", ""), "tracer") ? 4 : 8;
				if (!counted_all(r)) {
					churn_ok = 0;
					diag("churn %s %s: the tracer's count or summary is wrong",
					     ops[o], tj_str(r, "config", ""));
				}
			}
		}
		if (cfgs != 15) {
			churn_ok = 0;
			diag("churn %s: configurations seen %#x (want untraced, floor, tracer, "
			     "before)",
			     ops[o], cfgs);
		}
	}
	ok(churn_ok,
	   "churn with and without the flag: untraced, floor, tracer and before rows; the "
	   "tracers counted every fd (or lost it), with their summary, CPU and RSS");
	ok(counted_all(load_row(rows, "procs", "tracer", NULL)) &&
	       counted_all(load_row(rows, "procs", "before", NULL)) &&
	       tj_int(load_row(rows, "procs", "tracer", NULL), "processes", 0) > 0,
	   "procs: short processes under both tracers, every fd counted (or lost)");
	r = load_row(rows, "rate", "tracer", "result");
	ok(r && json_object_get(r, "held_per_s") && load_row(rows, "rate", "floor", "capacity"),
	   "rate: the producers' capacity under the floor and a result row");
	r = load_row(rows, "build", "tracer", NULL);
	{
		const json_t *found = json_object_get(json_object_get(r, "tracer"), "found");

		ok(r && load_row(rows, "build", "untraced", NULL) &&
		       load_row(rows, "build", "floor", NULL) &&
		       load_row(rows, "build", "before", NULL) && tj_num(r, "wall_s", 0) > 0 &&
		       tj_num(r, "end_s", 0) >= tj_num(r, "wall_s", 0) &&
		       tj_int(json_object_get(r, "tracer"), "fds", 0) > 0 &&
		       json_is_object(found) &&
		       tj_int(found, "with_stack", -1) <= tj_int(found, "findings", -1),
		   "build: one build per configuration, the traced one seen by the tracer, its "
		   "findings scanned for their stacks");
	}
	r = load_row(rows, "footprint", "tracer", NULL);
	ok(r && tj_num(r, "json_bytes_per_1m", -1) >= 0 && tj_int(r, "maxrss_kb", 0) > 0 &&
	       load_row(rows, "footprint", "before", NULL) &&
	       tj_int(load_row(rows, "footprint", "floor", NULL), "maxrss_kb", 0) > 0,
	   "footprint: the tracers' RSS and output bytes, and the floor loader's RSS");
	{
		int unwound = 0;

		for (size_t i = 0; i < tj_len(rows); i++) {
			const json_t *x = tj_at(rows, i);

			if (!strcmp(tj_str(x, "figure", ""), "footprint") &&
			    !strcmp(tj_str(x, "op", ""), "dup3_plain") &&
			    !strcmp(tj_str(x, "config", ""), "tracer"))
				unwound = json_is_integer(json_object_get(
				    json_object_get(
					json_object_get(json_object_get(x, "tracer"), "summary"),
					"stacks"),
				    "unwound"));
		}
		ok(unwound, "footprint without the flag: the summary says how many stacks were "
			    "unwound (figure 5c)");
	}
	json_decref(doc);
}

/* The <variant>@before runs: once each, with the same tracer as --before. */
static void check_before(const char *bench, const char *dir, int bpf_ok)
{
	char tracer[PATH_MAX], js[PATH_MAX + 16], outarg[PATH_MAX + 32], o[PATH_MAX + 8];
	char e[PATH_MAX + 8];
	char *argv[] = {(char *)bench,
			"--before",
			tracer,
			"--benchmark_filter=@before",
			"--benchmark_repetitions=1",
			"--benchmark_out_format=json",
			outarg,
			NULL};
	json_t *doc;
	int st, runs = 0, bad = 0, want = 0;

	lab_build_path("cloexec-trace", tracer, sizeof(tracer));
	snprintf(js, sizeof(js), "%s/before.json", dir);
	snprintf(o, sizeof(o), "%s/before.out", dir);
	snprintf(e, sizeof(e), "%s/before.err", dir);
	snprintf(outarg, sizeof(outarg), "--benchmark_out=%s", js);
	for (int g = 0; g < ngroups; g++)
		for (int v = 0; v < groups[g].nvariants; v++)
			want += strstr(groups[g].variant[v], "@before") != NULL;
	st = tlab_run(argv, o, e, RUN_TIMEOUT_MS);
	if (!ok(st == 0, "cloexec-bench --before runs every <variant>@before (exit %d)", st))
		show_file(e, 10);
	doc = load_json(js);
	for (size_t i = 0; doc && i < tj_len(json_object_get(doc, "benchmarks")); i++) {
		const json_t *r = tj_at(json_object_get(doc, "benchmarks"), i);

		if (strcmp(tj_str(r, "run_type", ""), "iteration"))
			continue;
		runs++;
		if (check_name(tj_str(r, "run_name", ""), NULL, 0, 1) < 0 ||
		    (bpf_ok && (tj_bool(r, "error_occurred", 0) ||
				!strstr(tj_str(r, "label", ""), "tracer_cpu_us="))))
			bad++;
	}
	is_int(runs, want, "one row per @before variant of bench/pairs.txt");
	if (bpf_ok)
		is_int(bad, 0, "each ran with the other tracer and says what it cost");
	else
		skip(1, "the tracer runs need root and BTF");
	ok(doc && !strcmp(tj_str(json_object_get(doc, "context"), "tracer_before", ""), tracer),
	   "the context names the tracer compared with");
	json_decref(doc);
	unlink(js);
	unlink(o);
	unlink(e);
}

/* An external tree for the build figure: a makefile of two objects and its clean. */
static void check_external_build(const char *loader, const char *dir, int bpf_ok)
{
	char tree[PATH_MAX], mk[PATH_MAX + 16], src[PATH_MAX + 16], lj[PATH_MAX + 16];
	char o[PATH_MAX + 16], e[PATH_MAX + 16];
	char *argv[] = {(char *)loader,
			"-r",
			"1",
			"--build-dir",
			tree,
			"--build-cmd",
			"make -s",
			"--clean-cmd",
			"rm -f a.o b.o",
			"-o",
			lj,
			"build",
			NULL};
	char *bad[] = {(char *)loader, "--build-dir", tree, "build", NULL};
	json_t *doc;
	const json_t *r;
	int st;

	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(mk, sizeof(mk), "%s/Makefile", tree);
	snprintf(src, sizeof(src), "%s/a.c", tree);
	snprintf(lj, sizeof(lj), "%s/ext.json", dir);
	snprintf(o, sizeof(o), "%s/ext.out", dir);
	snprintf(e, sizeof(e), "%s/ext.err", dir);
	mkdir(tree, 0755);
	tlab_write_file(mk, "all: a.o b.o\na.o: a.c\n\tcc -O2 -c a.c -o a.o\n"
			    "b.o: a.c\n\tcc -O2 -c a.c -o b.o\n");
	tlab_write_file(src, "int f(int x) { return x * 2; }\n");
	st = tlab_run(argv, o, e, 60000);
	if (!ok(st == 0, "cloexec-load build --build-dir DIR --build-cmd CMD exits 0 (got %d)", st))
		show_file(e, 20);
	doc = load_json(lj);
	r = load_row(json_object_get(doc, "rows"), "build", "untraced", NULL);
	if (bpf_ok)
		ok(r && !strcmp(tj_str(r, "command", ""), "make -s") &&
		       json_is_null(json_object_get(r, "sources")) &&
		       load_row(json_object_get(doc, "rows"), "build", "tracer", NULL),
		   "its rows name the command, have no source count and a traced build");
	else
		skip(1, "the build figure needs root and BTF");
	json_decref(doc);
	st = tlab_run(bad, o, e, 10000);
	{
		char *text = lab_read_file(e, NULL);

		ok(st == 2 && text && tlab_count_lines(text) == 1,
		   "--build-dir without --build-cmd exits 2 with one line");
		free(text);
	}
	{
		char rm[PATH_MAX + 32];

		snprintf(rm, sizeof(rm), "rm -rf '%s'", tree);
		if (system(rm) != 0)
			diag("failed to remove %s", tree);
	}
	unlink(lj);
	unlink(o);
	unlink(e);
}

int main(void)
{
	char bench[PATH_MAX], pairs[PATH_MAX], out[PATH_MAX], err[PATH_MAX], js[PATH_MAX];
	char outarg[PATH_MAX + 32], pj[PATH_MAX], pjarg[PATH_MAX + 8], bad[PATH_MAX];
	char why[200];
	int st, bpf_ok, have_py;

	lab_clean_fds(0);
	tap_timeout(600);
	/* the trace_* runs: 2000 fds each instead of 20000 (their shape is checked, not their
	 * figures) */
	setenv("CLOEXEC_BENCH_TRACE_ITERS", "2000", 1);
	plan_lazy();

	if (!lab_build_path("cloexec-bench", bench, sizeof(bench)) || access(bench, X_OK) < 0)
		bail("bench_smoke: %s is not built (run make)", bench);
	if (find_pairs(pairs, sizeof(pairs)) < 0 || read_pairs(pairs) <= 0)
		bail("bench_smoke: cannot read bench/pairs.txt");
	if (!mkdtemp(tmpdir))
		bail("bench_smoke: failed to create a temporary directory: %s", strerror(errno));
	snprintf(out, sizeof(out), "%s/stdout", tmpdir);
	snprintf(err, sizeof(err), "%s/stderr", tmpdir);
	snprintf(js, sizeof(js), "%s/run.json", tmpdir);
	snprintf(pj, sizeof(pj), "%s/run.pairs.json", tmpdir);
	snprintf(bad, sizeof(bad), "%s/bad.json", tmpdir);
	snprintf(outarg, sizeof(outarg), "--benchmark_out=%s", js);
	snprintf(pjarg, sizeof(pjarg), "%s", pj);
	bpf_ok = lab_bpf_usable(why, sizeof(why));
	if (!bpf_ok)
		diag("tracer runs will be skipped: %s", why);

	/* The CLI. */
	{
		char *argv[] = {bench, "--help", NULL};
		char *text;

		st = tlab_run(argv, out, err, 10000);
		text = lab_read_file(out, NULL);
		ok(st == 0 && text && strstr(text, "EXAMPLES"),
		   "cloexec-bench --help exits 0 and shows EXAMPLES");
		free(text);
	}
	{
		char *argv[] = {bench, "--no-such-option", NULL};
		char *text;

		st = tlab_run(argv, out, err, 10000);
		text = lab_read_file(err, NULL);
		ok(st == 2 && text && !strncmp(text, "cloexec-bench: ", 15) &&
		       tlab_count_lines(text) == 1,
		   "an unknown argument exits 2 with one line naming the tool");
		free(text);
	}
	/* Bad flag values the library alone would get wrong (exit 0 or 1). */
	{
		static const struct {
			const char *arg;
			int code;
			const char *what;
		} bad_cli[] = {
		    {"--benchmark_filter=^no_such_group/", 2, "a filter that matches nothing"},
		    {"--benchmark_filter=[", 2, "a filter that is not a regex"},
		    {"--benchmark_out_format=xml", 2, "an unknown --benchmark_out_format"},
		    {"--benchmark_out=/nonexistent-dir/x.json", 3,
		     "a --benchmark_out that cannot be written"},
		    {"--before=/nonexistent/cloexec-trace", 2, "a --before that is not a program"},
		};

		for (size_t i = 0; i < sizeof(bad_cli) / sizeof(bad_cli[0]); i++) {
			char arg[128];
			char *argv[] = {bench, arg, NULL};
			char *text;

			snprintf(arg, sizeof(arg), "%s", bad_cli[i].arg);
			st = tlab_run(argv, out, err, 10000);
			text = lab_read_file(err, NULL);
			ok(st == bad_cli[i].code && text && tlab_count_lines(text) == 1,
			   "%s exits %d with one line", bad_cli[i].what, bad_cli[i].code);
			if (text && tlab_count_lines(text) != 1)
				diag("stderr: %s", text);
			free(text);
		}
	}

	/* Every registered benchmark is named in the pairs file. */
	{
		char *argv[] = {bench, "--benchmark_list_tests=true", NULL};
		char *text, *save = NULL, *line;
		int n = 0, bad_list = 0;

		st = tlab_run(argv, out, err, 10000);
		text = lab_read_file(out, NULL);
		for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			n++;
			if (check_name(line, why, sizeof(why), 0) < 0 && bad_list++ < 5)
				diag("%s", why);
		}
		free(text);
		ok(st == 0 && n > 0, "--benchmark_list_tests lists the benchmarks (%d)", n);
		is_int(bad_list, 0, "every registered benchmark is <group>/<variant> of pairs.txt");
	}

	/* The smoke run. */
	{
		char *argv[] = {bench,
				FILTER,
				"--benchmark_min_time=0.005",
				"--benchmark_repetitions=3",
				"--benchmark_enable_random_interleaving=true",
				"--benchmark_report_aggregates_only=false",
				"--benchmark_out_format=json",
				outarg,
				NULL};

		st = tlab_run(argv, out, err, RUN_TIMEOUT_MS);
		if (!ok(st == 0, "the smoke run of cloexec-bench exits 0 (exit %d)", st))
			show_file(err, 20);
	}
	check_run_json(js, bpf_ok);
	check_before(bench, tmpdir, bpf_ok);

	/* pairs.py on it. */
	have_py = access(PYTHON, X_OK) == 0;
	if (!have_py) {
		/* the checks below: validate, analyse + table, check_pairs_json (6), 4 bad inputs
		 */
		skip(13, "%s is not installed (scripts/deps.sh installs it)", PYTHON);
	} else {
		char script[PATH_MAX];

		snprintf(script, sizeof(script), "%.*s/pairs.py",
			 (int)(strrchr(pairs, '/') - pairs), pairs);
		{
			char *argv[] = {PYTHON,	      script, "--validate", "--require-all",
					"--min-reps", "3",    "--pairs",    pairs,
					js,	      NULL};

			st = tlab_run(argv, out, err, 20000);
			if (!ok(st == 0, "pairs.py --validate accepts the run's shape"))
				show_file(err, 10);
		}
		{
			char *argv[] = {PYTHON, script, "--pairs", pairs, "--out", pjarg, js, NULL};
			char *text;

			st = tlab_run(argv, out, err, 20000);
			if (!ok(st == 0, "pairs.py analyses the run"))
				show_file(err, 10);
			text = lab_read_file(out, NULL);
			ok(text && strstr(text, "saving %") && strstr(text, "95% CI"),
			   "its table shows the saving in %% and the 95%% CI");
			free(text);
		}
		check_pairs_json(pj);
		/* Bad input: one line, distinct exit codes. */
		{
			char *argv[] = {PYTHON, script, "--pairs", pairs, bad, NULL};
			char *text;

			tlab_write_file(bad, "{\"benchmarks\": [");
			st = tlab_run(argv, out, err, 20000);
			text = lab_read_file(err, NULL);
			ok(st == 1 && text && strstr(text, "not JSON") &&
			       tlab_count_lines(text) == 1,
			   "pairs.py on truncated JSON exits 1 with one line");
			free(text);
		}
		{
			char *argv[] = {PYTHON, script, "--pairs", pairs, "/nonexistent/run.json",
					NULL};

			st = tlab_run(argv, out, err, 20000);
			ok(st == 3, "pairs.py on a missing file exits 3");
		}
		{
			char *argv[] = {PYTHON, script, "--validate", "--pairs", pairs, bad, NULL};

			tlab_write_file(
			    bad, "{\"context\": {}, \"benchmarks\": [{\"name\": \"nogroup\"}]}");
			st = tlab_run(argv, out, err, 20000);
			ok(st == 1, "pairs.py --validate rejects JSON of the wrong shape");
		}
		{
			char *argv[] = {PYTHON, script, "--validate", "--pairs", pairs, bad, NULL};

			tlab_write_file(bad, "{\"context\": {}, \"benchmarks\": [{\"cv\": NaN}]}");
			st = tlab_run(argv, out, err, 20000);
			ok(st == 1, "pairs.py --validate rejects NaN (not JSON)");
		}
	}

	/* cloexec-load, very briefly, and bench/goals.py on both files. */
	{
		char loader[PATH_MAX], lj[PATH_MAX], src[PATH_MAX], goals[PATH_MAX];
		char tracer[PATH_MAX];
		char *argv[] = {loader,	     "--quick", "-d",	    "0.3",   "-s",	    "0.2",
				"--procs-s", "0.3",	"-r",	    "1",     "--build-max", "2",
				"--fds",     "2000",	"--before", tracer,  "--src",	    src,
				"-o",	     lj,	"churn",    "procs", "rate",	    "build",
				"footprint", NULL};

		lab_build_path("cloexec-trace", tracer, sizeof(tracer));

		/* the tree above bench/pairs.txt: its C sources are what the build compiles */
		snprintf(src, sizeof(src), "%s", dirname_of(pairs));
		snprintf(src, sizeof(src), "%s", dirname_of(src));
		snprintf(lj, sizeof(lj), "%s/load.json", tmpdir);
		if (!lab_build_path("bench/cloexec-load", loader, sizeof(loader)))
			bail("bench_smoke: cannot find cloexec-load");
		st = tlab_run(argv, out, err, 240000);
		if (!ok(st == 0, "cloexec-load's short runs exit 0 (got %d)", st))
			show_file(err, 60);
		check_load(lj, bpf_ok);
		check_external_build(loader, tmpdir, bpf_ok);
		snprintf(goals, sizeof(goals), "%s/goals.py", dirname_of(pairs));
		if (have_py) {
			char *gargv[] = {PYTHON, goals, "--load", lj, js, NULL};
			char *text;

			st = tlab_run(gargv, out, err, 20000);
			text = lab_read_file(out, NULL);
			if (!ok(st == 0 && text && strstr(text, "trace_dup3_plain/traced") &&
				    strstr(text, "churn/dup3_plain") && strstr(text, "before:") &&
				    strstr(text, "goal"),
				"goals.py reads both files and prints each figure with its goal "
				"and "
				"the tracer compared with"))
				show_file(err, 10);
			free(text);
		} else {
			skip(1, "%s is not installed", PYTHON);
		}
		unlink(lj);
	}

	unlink(out);
	unlink(err);
	unlink(js);
	unlink(pj);
	unlink(bad);
	rmdir(tmpdir);
	return done_testing();
}
