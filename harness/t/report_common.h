/* SPDX-License-Identifier: MIT */
/*
 * report_common.h - helpers shared by the report_* tests (header only, static):
 * find the source tree (the results scripts), run a command with its output in files
 * and a time limit, read files, pick a small benchmark filter from the real
 * cloexec-bench's list, run the smoke benchmark, remove a temp tree.
 */
#ifndef CLOEXEC_LAB_REPORT_COMMON_H
#define CLOEXEC_LAB_REPORT_COMMON_H

#include "lab.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RC_TIMEOUT (-2)
#define PYTHON "/usr/bin/python3"

/* The source tree: the directory holding results/report.py (cwd, else above the build). */
static const char *rc_src_dir(void)
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

/*
 * Run argv with stdin /dev/null and stdout/stderr into files (NULL: /dev/null).
 * Returns the exit status, 128+signal when killed, RC_TIMEOUT after timeout_ms
 * (the child is killed and reaped), -1 when it could not start.
 */
static int rc_run(char *const argv[], const char *out, const char *err, int timeout_ms)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		/* Everything above 2 was opened by us and must not reach the program. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	tap_track_child(pid);
	if (lab_wait_timeout(pid, &status, timeout_ms) < 0) {
		int was_timeout = errno == ETIMEDOUT;

		lab_kill_reap(pid);
		tap_untrack_child(pid);
		return was_timeout ? RC_TIMEOUT : -1;
	}
	tap_untrack_child(pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int rc_count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static int rc_count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int rc_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int rc_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rc_rm_rf(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, rc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path of the built cloexec-bench; bails when it is missing (a build failure, not a skip). */
static const char *rc_bench_path(void)
{
	static char path[PATH_MAX];

	lab_build_path("cloexec-bench", path, sizeof(path));
	if (access(path, X_OK) != 0)
		bail("cloexec-bench is not built at %s (run make)", path);
	return path;
}

struct rc_group {
	char name[64];
	int benches;	/* benchmarks listed in the group */
	int variants;	/* distinct variants */
	int numeric;	/* some benchmark has a numeric argument (name:N or N), not threads */
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

/*
 * A filter regex for a short smoke run, chosen from what the binary lists (so it
 * follows the benchmarks, whatever their names): the `plain` groups with the fewest
 * benchmarks that have >= 2 variants, plus, when want_scaling, the smallest group
 * that varies a numeric argument (the spawn-vs-fd-count kind). Env
 * CLOEXEC_LAB_REPORT_FILTER overrides. Returns 0, or -1 when nothing fits.
 */
static int rc_pick_filter(const char *bench, const char *tmpdir, int plain, int want_scaling,
			  char *filter, size_t len)
{
	static struct rc_group g[64];
	char list[PATH_MAX], line[512];
	char *argv[] = { (char *)bench, "--benchmark_list_tests=true", NULL };
	const char *env = getenv("CLOEXEC_LAB_REPORT_FILTER");
	int ng = 0, rc;
	FILE *f;

	if (env && *env) {
		snprintf(filter, len, "%s", env);
		return 0;
	}
	snprintf(list, sizeof(list), "%s/list.txt", tmpdir);
	rc = rc_run(argv, list, NULL, 20000);
	if (rc != 0) {
		diag("cloexec-bench --benchmark_list_tests exited %d", rc);
		return -1;
	}
	f = fopen(list, "re");
	if (!f)
		return -1;
	memset(g, 0, sizeof(g));
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *s1, *s2;
		int i;

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
		int v;
		for (v = 0; v < g[i].variants && v < 16 && strcmp(g[i].seen[v], s1); v++)
			;
		if (v == g[i].variants && v < 16)
			snprintf(g[i].seen[g[i].variants++], 64, "%.63s", s1);
	}
	fclose(f);

	int used[64] = { 0 }, picked = 0;
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
static int rc_smoke(const char *bench, const char *filter, int reps, const char *min_time,
		    const char *out_json, const char *err)
{
	char f[600], r[64], o[PATH_MAX + 32], m[64];
	char *argv[] = { (char *)bench, f, m, r,
			 "--benchmark_enable_random_interleaving=true",
			 "--benchmark_out_format=json", o, NULL };

	snprintf(f, sizeof(f), "--benchmark_filter=%s", filter);
	snprintf(r, sizeof(r), "--benchmark_repetitions=%d", reps);
	snprintf(m, sizeof(m), "--benchmark_min_time=%s", min_time);
	snprintf(o, sizeof(o), "--benchmark_out=%s", out_json);
	return rc_run(argv, NULL, err, 40000);
}

#endif
