// SPDX-License-Identifier: MIT
/*
 * report_gen - the report generator (results/report.py) on real benchmark output:
 * a smoke run of build/cloexec-bench (two small paired groups and one group that
 * varies the fd count, 9 repetitions, random interleaving), then the report built
 * from it. Checks that both files are written, name every benchmark run, carry
 * SVG charts (written beside the Markdown, inline in the HTML), that the HTML
 * loads nothing from anywhere, that missing inputs are named with the make target
 * that produces them, and that a corrupt input is one error line, exit 2, with
 * nothing written. With the .pairs.json that bench/pairs.py writes beside the run,
 * the pairs and verdicts must match those recomputed from the raw rows.
 */
#define _GNU_SOURCE
#include "report_lib.h"

static char tmp[] = "/tmp/cloexec-report-gen-XXXXXX";

/* Every benchmark of the run: its group and variant appear in both documents. */
static void check_names(const char *listing, const char *md, const char *page)
{
	char *copy = strdup(listing), *save = NULL;
	int missing = 0, total = 0;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char group[128], variant[128];
		char *s1 = strchr(l, '/'), *s2;

		if (!s1)
			continue;
		snprintf(group, sizeof(group), "%.*s", (int)(s1 - l), l);
		s2 = strchr(s1 + 1, '/');
		snprintf(variant, sizeof(variant), "%.*s",
			 (int)(s2 ? s2 - s1 - 1 : (long)strlen(s1 + 1)), s1 + 1);
		total++;
		if (!strstr(md, group) || !strstr(md, variant) || !strstr(page, variant)) {
			diag("benchmark %s (group %s, variant %s) is not in the report", l, group,
			     variant);
			missing++;
		}
	}
	free(copy);
	ok(total > 0 && missing == 0, "all %d benchmarks of the smoke run are named in the report",
	   total);
}

/* The HTML must open with no network: nothing loaded from a URL, no scripts. */
static void check_self_contained(const char *page)
{
	static const char *const banned[] = {"http://", "https://", "<script", "<link",	   " src=",
					     "@import", "url(http", "url(//",  "href=\"//"};
	int bad = 0;

	for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++) {
		if (strcasestr(page, banned[i])) {
			diag("report.html contains \"%s\"", banned[i]);
			bad++;
		}
	}
	ok(!bad, "report.html is self-contained (no URLs, scripts, links or external sources)");
	ok(strstr(page, "<style>") != NULL, "report.html carries its CSS inline");
}

/*
 * The savings table of a report as "group|args|baseline|candidate|significant" lines:
 * the pairing and the verdict, without the numbers (their last digit may round
 * differently when one side comes from a file with rounded values).
 */
static char *savings_rows(const char *md)
{
	const char *t = md ? strstr(md, "| group | args | baseline | candidate |") : NULL;
	char *out = calloc(1, t ? strlen(t) + 1 : 1);
	size_t off = 0;

	if (!t || !out)
		return out;
	for (const char *l = t; *l == '|';) {
		const char *end = strchr(l, '\n'), *c = l;
		int cell = 0;

		if (!end)
			break;
		/* Cells 1-4, then the last one. */
		for (; c < end && cell < 5; c++)
			cell += *c == '|';
		memcpy(out + off, l, (size_t)(c - l));
		off += (size_t)(c - l);
		for (c = end - 1; c > l && *c != '|'; c--)
			;
		for (c--; c > l && *c != '|'; c--)
			;
		memcpy(out + off, c, (size_t)(end - c));
		off += (size_t)(end - c);
		out[off++] = '\n';
		l = end + 1;
	}
	out[off] = '\0';
	return out;
}

int main(void)
{
	char src[PATH_MAX], script[PATH_MAX + 32], filter[512], smoke[PATH_MAX], err[PATH_MAX];
	char out[PATH_MAX], md_p[PATH_MAX + 16], html_p[PATH_MAX + 16], listing_p[PATH_MAX];
	char miss_r[PATH_MAX + 32], miss_m[PATH_MAX + 32], bad_p[PATH_MAX], out2[PATH_MAX];
	char empty[PATH_MAX], nofile[PATH_MAX + 32];
	const char *bench;
	int rc;

	tap_timeout(75);
	lab_clean_fds(0);
	plan_lazy();

	bench = rc_begin("report.py", script, sizeof(script), tmp, 2, 1, filter, sizeof(filter));
	snprintf(src, sizeof(src), "%s", rc_src_dir());
	snprintf(smoke, sizeof(smoke), "%s/smoke.json", tmp);
	snprintf(err, sizeof(err), "%s/bench.err", tmp);
	rc = rc_smoke(bench, filter, 9, "0.01", smoke, err);
	if (!ok(rc == 0 || rc == 1, "cloexec-bench smoke run finished (exit %d)", rc) ||
	    !rc_exists(smoke)) {
		char *e = lab_read_file(err, NULL);

		diag("cloexec-bench stderr: %s", e ? e : "(none)");
		free(e);
		bail("no smoke output to build a report from");
	}
	/* The benchmarks that ran, for the name check. */
	snprintf(listing_p, sizeof(listing_p), "%s/ran.txt", tmp);
	{
		char f[600];
		char *argv[] = {(char *)bench, f, "--benchmark_list_tests=true", NULL};

		snprintf(f, sizeof(f), "--benchmark_filter=%s", filter);
		rc = tlab_run(argv, listing_p, NULL, 20000);
		is_int(rc, 0, "cloexec-bench lists the smoke benchmarks");
	}

	/* 2. The report from it; repro and matrix inputs do not exist. */
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(empty, sizeof(empty), "%s/empty", tmp);
	snprintf(miss_r, sizeof(miss_r), "%s/repro.json", empty);
	snprintf(miss_m, sizeof(miss_m), "%s/matrix.json", empty);
	{
		char *argv[] = {PYTHON, script,	 "--results", empty, "--bench",
				smoke,	"--out", out,	      NULL};

		mkdir(out, 0700);
		mkdir(empty, 0700);
		rc = tlab_run(argv, NULL, err, 50000);
	}
	if (!is_int(rc, 0, "report.py builds a report from the smoke run")) {
		char *e = lab_read_file(err, NULL);

		diag("report.py stderr: %s", e ? e : "(none)");
		free(e);
	}
	snprintf(md_p, sizeof(md_p), "%s/report.md", out);
	snprintf(html_p, sizeof(html_p), "%s/report.html", out);
	char *md = lab_read_file(md_p, NULL), *page = lab_read_file(html_p, NULL),
	     *ran = lab_read_file(listing_p, NULL);

	ok(md && *md, "report.md is written");
	ok(page && *page, "report.html is written");
	if (!md || !page || !ran)
		bail("no report to check");
	check_names(ran, md, page);

	/* Charts: referenced from the Markdown, present beside it, inline in the HTML. */
	int refs = rc_count(md, "](charts/"), files_ok = 0;

	cmp_int(refs, ">=", 3, "report.md references charts (per group, savings, fd scaling)");
	for (const char *p = md; (p = strstr(p, "](charts/")); p++) {
		char name[256], path[PATH_MAX + 300];
		const char *end = strchr(p + 2, ')');

		if (!end)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 2), p + 2);
		snprintf(path, sizeof(path), "%s/%s", out, name);
		char *svg = lab_read_file(path, NULL);

		if (svg && strstr(svg, "<svg") && strstr(svg, "</svg>"))
			files_ok++;
		else
			diag("chart %s is missing or not SVG", path);
		free(svg);
	}
	is_int(files_ok, refs, "every referenced chart exists as an SVG file beside the report");
	is_int(rc_count(page, "<svg"), refs, "report.html inlines the same number of SVG charts");
	check_self_contained(page);
	ok(strstr(md, "Spawn cost vs number of open fds") && strstr(md, "](charts/scaling-") &&
	       strstr(page, "(log scale)"),
	   "the fd-scaling section has a chart with a log-scale axis");
	ok(strstr(md, "95% CI") && strstr(md, "significant"),
	   "the savings table has confidence intervals and a significance column");
	ok(strstr(md, "kernel") && strstr(md, "Google Benchmark"),
	   "machine facts (kernel, library versions) are at the top");
	ok(strstr(md, miss_r) && strstr(md, "make repro") && strstr(md, miss_m) &&
	       strstr(md, "make matrix"),
	   "missing inputs are named with the make target that produces them");

	/* 3. A corrupt input: one line naming it, exit 2, the previous report untouched. */
	snprintf(bad_p, sizeof(bad_p), "%s/corrupt.json", tmp);
	tlab_write_file(bad_p, "{\"benchmarks\": [ {\"name\": \"x\", \"real_time\": 1.0,");
	snprintf(nofile, sizeof(nofile), "%s/no-such-file.json", tmp);
	struct tcase {
		const char *what;
		const char *flag;
		const char *file;
	} cases[] = {{"a truncated benchmark JSON", "--bench", bad_p},
		     {"a truncated repro JSON", "--repro", bad_p},
		     {"a truncated matrix JSON", "--matrix", bad_p},
		     {"a named repro file that does not exist", "--repro", nofile},
		     {"a named benchmark file that does not exist", "--bench", nofile}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = {PYTHON,	 script, "--results", empty, "--bench", smoke,
				"--out", out,	 NULL,	      NULL,  NULL};

		/* The case's flag names the bad file (replacing --bench, or added). */
		if (!strcmp(cases[i].flag, "--bench")) {
			argv[5] = (char *)cases[i].file;
		} else {
			argv[8] = (char *)cases[i].flag;
			argv[9] = (char *)cases[i].file;
		}
		rc = tlab_run(argv, NULL, err, 30000);
		char *e = lab_read_file(err, NULL), *md2 = lab_read_file(md_p, NULL);

		is_int(rc, 2, "%s: exit status 2", cases[i].what);
		is_int(tlab_count_lines(e), 1, "%s: exactly one error line", cases[i].what);
		ok(e && strstr(e, cases[i].file), "%s: the error names the file", cases[i].what);
		ok(md2 && !strcmp(md2, md), "%s: the existing report.md is left as it was",
		   cases[i].what);
		if (e && tlab_count_lines(e) != 1)
			diag("stderr was: %s", e);
		free(e);
		free(md2);
	}
	/*
	 * 4. The same run with the .pairs.json that bench/pairs.py (what make bench runs)
	 * writes beside it: the report takes the pairs from that file, and an independent
	 * implementation must pair the same benchmarks and reach the same verdicts as the
	 * recomputation from the raw rows above.
	 */
	{
		char pairs_py[PATH_MAX + 32], spec[PATH_MAX + 32], out3[PATH_MAX],
		    p3[PATH_MAX + 16];
		char *argv[] = {PYTHON, pairs_py, "--pairs", spec, smoke, NULL};
		char *argv3[] = {PYTHON,  script, "--results",	  empty, "--bench", smoke,
				 "--out", out3,	  "--pairs-spec", spec,	 NULL};

		snprintf(pairs_py, sizeof(pairs_py), "%s/bench/pairs.py", src);
		snprintf(spec, sizeof(spec), "%s/bench/pairs.txt", src);
		snprintf(out3, sizeof(out3), "%s/out3", tmp);
		snprintf(p3, sizeof(p3), "%s/report.md", out3);
		mkdir(out3, 0700);
		if (access(pairs_py, R_OK) != 0) {
			skip(3, "%s is not there: no .pairs.json to read", pairs_py);
		} else {
			rc = tlab_run(argv, NULL, err, 20000);
			is_int(rc, 0, "bench/pairs.py writes the .pairs.json beside the smoke run");
			rc = tlab_run(argv3, NULL, err, 50000);
			char *md3 = lab_read_file(p3, NULL), *want = savings_rows(md),
			     *got = savings_rows(md3);

			ok(rc == 0 && md3 && strstr(md3, "smoke.pairs.json (written by make bench"),
			   "the report reads the pairs from the .pairs.json beside the run");
			ok(want && got && *want && !strcmp(want, got),
			   "the pairs and verdicts from .pairs.json match those recomputed from "
			   "the rows");
			if (!want || !got || strcmp(want, got))
				diag("recomputed:\n%s\nfrom .pairs.json:\n%s", want ? want : "",
				     got ? got : "");
			free(md3);
			free(want);
			free(got);
		}
	}

	/* Into an empty directory: nothing at all is created. */
	snprintf(out2, sizeof(out2), "%s/out2", tmp);
	mkdir(out2, 0700);
	{
		char *argv[] = {PYTHON, script, "--bench", bad_p, "--out", out2, NULL};
		char p2[PATH_MAX + 16];

		rc = tlab_run(argv, NULL, err, 30000);
		is_int(rc, 2, "a corrupt input into an empty directory: exit 2");
		snprintf(p2, sizeof(p2), "%s/report.md", out2);
		ok(access(p2, F_OK) != 0, "a corrupt input: no report.md is written");
		snprintf(p2, sizeof(p2), "%s/report.html", out2);
		ok(access(p2, F_OK) != 0, "a corrupt input: no report.html is written");
	}

	free(md);
	free(page);
	free(ran);
	return done_testing();
}
