// SPDX-License-Identifier: MIT
/*
 * report_lib.c - the report_* tests' library (see report_lib.h).
 */
#define _GNU_SOURCE
#include "report_lib.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "tap.h"
#include "tlib.h"

/* The source tree: the directory holding results/report.py (cwd, else above the build). */
const char *rc_src_dir(void)
{
	static char dir[PATH_MAX];
	char probe[PATH_MAX + 32];

	if (dir[0])
		return dir;
	if (getcwd(dir, sizeof(dir))) {
		snprintf(probe, sizeof(probe), "%s/results/report.py", dir);
		if (access(probe, R_OK) == 0)
			return dir;
	}
	snprintf(dir, sizeof(dir), "%s", lab_exe_dir());
	for (int up = 0; up < 5; up++) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir)
			break;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/results/report.py", dir);
		if (access(probe, R_OK) == 0)
			return dir;
	}
	dir[0] = '\0';
	return NULL;
}

int rc_count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int rc_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Path of the built cloexec-bench; bails when it is missing (a build failure, not a skip). */
const char *rc_bench_path(void)
{
	static char path[PATH_MAX];

	lab_build_path("cloexec-bench", path, sizeof(path));
	if (access(path, X_OK) != 0)
		bail("cloexec-bench is not built at %s (run make)", path);
	return path;
}

struct rc_group {
	char name[64];
	int benches;  /* benchmarks listed in the group */
	int variants; /* distinct variants */
	int numeric;  /* some benchmark has a numeric argument (name:N or N), not threads */
	char seen[16][64];
};

static int rc_numeric_arg(const char *args)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", args);
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *colon = strrchr(c, ':'), *end;
		const char *v = colon ? colon + 1 : c;

		if (colon && (!strncmp(c, "threads:", 8) || !strncmp(c, "repeats:", 8) ||
			      !strncmp(c, "iterations:", 11) || !strncmp(c, "min_time:", 9)))
			continue;
		if (*v && (strtol(v, &end, 10), *end == '\0'))
			return 1;
	}
	return 0;
}

/* The groups of cloexec-bench's list (group/variant/args per line), at most 64. */
static int rc_read_groups(FILE *f, struct rc_group *g)
{
	char line[512];
	int ng = 0;

	memset(g, 0, 64 * sizeof(*g));
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *s1, *s2;
		int i, v;

		if (nl)
			*nl = '\0';
		s1 = strchr(line, '/');
		if (!s1 || s1 - line >= 63)
			continue;
		*s1++ = '\0';
		s2 = strchr(s1, '/');
		if (s2)
			*s2++ = '\0';
		for (i = 0; i < ng && strcmp(g[i].name, line); i++)
			;
		if (i == ng) {
			if (ng == 64)
				continue;
			snprintf(g[ng++].name, sizeof(g[0].name), "%.63s", line);
		}
		g[i].benches++;
		if (s2 && rc_numeric_arg(s2))
			g[i].numeric = 1;
		for (v = 0; v < g[i].variants && v < 16 && strcmp(g[i].seen[v], s1); v++)
			;
		if (v == g[i].variants && v < 16)
			snprintf(g[i].seen[g[i].variants++], 64, "%.63s", s1);
	}
	return ng;
}

/*
 * A filter regex for a short smoke run, chosen from what the binary lists (so it
 * follows the benchmarks, whatever their names): the `plain` groups with the fewest
 * benchmarks that have >= 2 variants, plus, when want_scaling, the smallest group
 * that varies a numeric argument (the spawn-vs-fd-count kind). Env
 * CLOEXEC_LAB_REPORT_FILTER overrides. Returns 0, or -1 when nothing fits.
 */
int rc_pick_filter(const char *bench, const char *tmpdir, int plain, int want_scaling, char *filter,
		   size_t len)
{
	static struct rc_group g[64];
	char list[PATH_MAX];
	char *argv[] = {(char *)bench, "--benchmark_list_tests=true", NULL};
	const char *env = getenv("CLOEXEC_LAB_REPORT_FILTER");
	int ng = 0, rc;
	FILE *f;

	if (env && *env) {
		snprintf(filter, len, "%s", env);
		return 0;
	}
	snprintf(list, sizeof(list), "%s/list.txt", tmpdir);
	rc = tlab_run(argv, list, NULL, 20000);
	if (rc != 0) {
		diag("cloexec-bench --benchmark_list_tests exited %d", rc);
		return -1;
	}
	f = fopen(list, "re");
	if (!f)
		return -1;
	ng = rc_read_groups(f, g);
	fclose(f);

	int used[64] = {0}, picked = 0;
	size_t off = (size_t)snprintf(filter, len, "^(");

	for (int want = 0; want < plain + (want_scaling ? 1 : 0); want++) {
		int scaling = want >= plain, best = -1;

		for (int i = 0; i < ng; i++) {
			if (used[i] || g[i].variants < 2 || g[i].numeric != scaling)
				continue;
			if (best < 0 || g[i].benches < g[best].benches)
				best = i;
		}
		if (best < 0)
			continue;
		used[best] = 1;
		if (picked++ && off + 1 < len)
			filter[off++] = '|';
		/* Escape regex metacharacters so the name matches itself only. */
		for (const char *c = g[best].name; *c && off + 3 < len; c++) {
			if (strchr(".*+?()[]{}|^$\\", *c))
				filter[off++] = '\\';
			filter[off++] = *c;
		}
		filter[off] = '\0';
	}
	if (!picked || off + 3 >= len)
		return -1;
	snprintf(filter + off, len - off, ")/");
	return 0;
}

/* A smoke run of the real benchmark binary: JSON with per-repetition rows. */
int rc_smoke(const char *bench, const char *filter, int reps, const char *min_time,
	     const char *out_json, const char *err)
{
	char f[600], r[64], o[PATH_MAX + 32], m[64];
	char *argv[] = {(char *)bench,
			f,
			m,
			r,
			"--benchmark_enable_random_interleaving=true",
			"--benchmark_out_format=json",
			o,
			NULL};

	snprintf(f, sizeof(f), "--benchmark_filter=%s", filter);
	snprintf(r, sizeof(r), "--benchmark_repetitions=%d", reps);
	snprintf(m, sizeof(m), "--benchmark_min_time=%s", min_time);
	snprintf(o, sizeof(o), "--benchmark_out=%s", out_json);
	return tlab_run(argv, NULL, err, 40000);
}

static char *rc_tmp; /* the scratch directory rc_begin made, removed at exit */

static void rc_cleanup(void)
{
	tlab_rm_rf(rc_tmp);
}

const char *rc_begin(const char *script_name, char *script, size_t slen, char *tmp, int plain,
		     int scaling, char *filter, size_t flen)
{
	const char *bench;

	if (!rc_src_dir())
		bail("cannot find results/%s from %s or the build directory", script_name,
		     lab_exe_dir());
	snprintf(script, slen, "%s/results/%s", rc_src_dir(), script_name);
	if (access(PYTHON, X_OK) != 0)
		skip_all("%s is not installed (make deps)", PYTHON);
	bench = rc_bench_path();
	if (!mkdtemp(tmp))
		bail("failed to create a temp dir: %s", strerror(errno));
	rc_tmp = tmp;
	atexit(rc_cleanup);
	if (rc_pick_filter(bench, tmp, plain, scaling, filter, flen) < 0)
		bail("cannot pick benchmark groups from cloexec-bench --benchmark_list_tests");
	note("smoke filter: %s", filter);
	return bench;
}

int rc_finding(const char *md, const char *label, char *buf, size_t len)
{
	char key[160];
	const char *sec = md ? strstr(md, "\n## Findings\n") : NULL, *end, *p;

	buf[0] = '\0';
	if (!sec)
		return -1;
	end = strstr(sec + 1, "\n## ");
	snprintf(key, sizeof(key), "\n- **%s:** ", label);
	p = strstr(sec, key);
	if (!p || (end && p > end))
		return -1;
	p += strlen(key);
	snprintf(buf, len, "%.*s", (int)(strcspn(p, "\n")), p);
	return 0;
}

/* Offset of needle in hay, or the length of hay when it is not there. */
static size_t rc_at(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	return p ? (size_t)(p - hay) : strlen(hay);
}

void rc_check_findings_first(const char *md, const char *page, const char *what)
{
	const char *first_h2 = md ? strstr(md, "\n## ") : NULL;
	const char *last_h2 = NULL;
	size_t sec;

	if (!md || !page) {
		skip(4, "%s: no report to check", what);
		return;
	}
	ok(first_h2 && !strncmp(first_h2, "\n## Findings\n", 13),
	   "%s: report.md's first section is Findings", what);
	sec = rc_at(md, "\n## Findings\n");
	ok(sec < rc_at(md, "\n| ") && sec < rc_at(md, "]("),
	   "%s: report.md's findings come before any table or chart", what);
	sec = rc_at(page, "<section id=\"findings\">");
	ok(sec < strlen(page) && sec < rc_at(page, "<table") && sec < rc_at(page, "<figure"),
	   "%s: report.html opens with <section id=\"findings\"> before any table or chart", what);
	for (const char *p = md; (p = strstr(p, "\n## ")); p++)
		last_h2 = p;
	ok(last_h2 && !strncmp(last_h2, "\n## Machine and versions\n", 25),
	   "%s: the machine and version table is the last section", what);
}
