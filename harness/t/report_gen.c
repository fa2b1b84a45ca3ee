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
 * the pairs and verdicts must match those recomputed from the raw rows. The report opens
 * with its findings (before any table or chart, the machine table last), and they follow
 * the inputs: missing ones are named with their make target, the largest saving is the one
 * the .pairs.json holds, and a pairs file or kernels file changed on purpose changes them.
 */
#define _GNU_SOURCE
#include "report_lib.h"
#include "tjson.h"

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

/*
 * The saving the findings must lead with, from a .pairs.json: each group's largest saving
 * whose CI lies above zero, then the largest of those in % of the baseline; as "group
 * [args]: candidate instead of baseline saves" into buf ("" when no saving is significant).
 */
static void top_saving(const json_t *doc, char *buf, size_t len)
{
	const json_t *pairs = json_object_get(doc, "pairs"), *best = NULL;
	double best_pct = -1e300;

	buf[0] = '\0';
	for (size_t i = 0; i < tj_len(pairs); i++) {
		const json_t *p = tj_at(pairs, i), *ci = json_object_get(p, "ci95_ns");
		double save = tj_num(p, "saving_ns", 0), pct = tj_num(p, "saving_pct", 0);
		int group_best = 1;

		if (!tj_bool(p, "significant", 0) || tj_vnum(tj_at(ci, 0), 0) <= 0)
			continue;
		/* only the group's largest saving in ns stands for the group */
		for (size_t j = 0; j < tj_len(pairs); j++) {
			const json_t *q = tj_at(pairs, j);

			if (j != i && tj_bool(q, "significant", 0) &&
			    tj_vnum(tj_at(json_object_get(q, "ci95_ns"), 0), 0) > 0 &&
			    !strcmp(tj_str(q, "group", ""), tj_str(p, "group", "")) &&
			    tj_num(q, "saving_ns", 0) > save)
				group_best = 0;
		}
		if (group_best && pct > best_pct) {
			best_pct = pct;
			best = p;
		}
	}
	if (best)
		snprintf(buf, len, "%s%s%s: %s instead of %s saves", tj_str(best, "group", ""),
			 *tj_str(best, "args", "") ? " " : "", tj_str(best, "args", ""),
			 tj_str(best, "candidate", ""), tj_str(best, "baseline", ""));
}

/* Whether the savings finding's first item is want. */
static int leads(const char *finding, const char *want)
{
	const char *p = strstr(finding, "95% CI: ");

	return p && !strncmp(p + 8, want, strlen(want));
}

/* The report built from the smoke run with these pairs and kernels files: its report.md. */
static char *report_with(const char *script, const char *empty, const char *smoke,
			 const char *pairs, const char *kernels, const char *out, const char *err)
{
	char *argv[] = {
	    PYTHON,	   (char *)script, "--results",	  (char *)empty, "--bench",
	    (char *)smoke, "--pairs",	   (char *)pairs, "--kernels",	 (char *)kernels,
	    "--out",	   (char *)out,	   "-q",	  NULL};
	char md[PATH_MAX + 16];
	int rc;

	mkdir(out, 0700);
	rc = tlab_run(argv, NULL, err, 50000);
	if (rc != 0) {
		char *e = lab_read_file(err, NULL);

		diag("report.py exit %d: %s", rc, e ? e : "(no stderr)");
		free(e);
		return NULL;
	}
	snprintf(md, sizeof(md), "%s/report.md", out);
	return lab_read_file(md, NULL);
}

/*
 * The findings follow the inputs: the largest saving of the run's .pairs.json leads; a copy
 * in which one pair becomes a 90% saving with its CI above zero makes that pair lead, and one
 * without any significant pair makes no claim. A kernels file with a failed test and a skipped
 * kernel is said so.
 */
static void check_findings_follow(const char *script, const char *tmp, const char *empty,
				  const char *smoke, const char *pairs_p, const char *err)
{
	char e[256], want[512], got[4096], path[PATH_MAX + 32], out[PATH_MAX + 32];
	json_t *doc = tj_load_file(pairs_p, e, sizeof(e)), *pairs, *p;
	char *md;

	if (!ok(doc != NULL, "the smoke run's .pairs.json parses (%s)", doc ? "ok" : e))
		return;
	top_saving(doc, want, sizeof(want));
	snprintf(out, sizeof(out), "%s/out-f1", tmp);
	md = report_with(script, empty, smoke, pairs_p, "none", out, err);
	rc_finding(md, "Largest savings", got, sizeof(got));
	if (*want)
		ok(leads(got, want),
		   "the savings finding leads with the .pairs.json's largest significant saving "
		   "(%s)",
		   want);
	else
		ok(strstr(got, "no saving is claimed") != NULL,
		   "no pair of the smoke run is significant: the savings finding claims none");
	if (!*want || !strstr(got, want))
		diag("finding: %s", got);
	free(md);

	/* One pair, the last, made a 90% saving with its 95% CI above zero, the only one claimed.
	 */
	pairs = json_object_get(doc, "pairs");
	p = tj_at(pairs, tj_len(pairs) - 1);
	for (size_t i = 0; i + 1 < tj_len(pairs); i++)
		json_object_set_new(tj_at(pairs, i), "significant", json_false());
	if (!ok(p != NULL, "the smoke run has pairs to change")) {
		json_decref(doc);
		return;
	}
	{
		double base = tj_num(p, "baseline_median_ns", 0);

		json_object_set_new(p, "saving_ns", json_real(0.9 * base));
		json_object_set_new(p, "candidate_median_ns", json_real(0.1 * base));
		json_object_set_new(p, "saving_pct", json_real(90.0));
		json_object_set_new(p, "ci95_ns", json_pack("[ff]", 0.85 * base, 0.95 * base));
		json_object_set_new(p, "significant", json_true());
	}
	snprintf(path, sizeof(path), "%s/flip.pairs.json", tmp);
	json_dump_file(doc, path, 0);
	snprintf(want, sizeof(want), "%s%s%s: %s instead of %s saves", tj_str(p, "group", ""),
		 *tj_str(p, "args", "") ? " " : "", tj_str(p, "args", ""),
		 tj_str(p, "candidate", ""), tj_str(p, "baseline", ""));
	/* ... and a kernels file: one kernel with a failed test, one skipped */
	char kpath[PATH_MAX + 32];

	snprintf(kpath, sizeof(kpath), "%s/kernels.json", tmp);
	tlab_write_file(
	    kpath, "{\"schema\":\"cloexec-kernels/1\",\"host\":{\"date\":\"2026-01-02T03:04:05Z\","
		   "\"commit\":\"abc1234\"},\"seconds\":9,\"kernels\":["
		   "{\"spec\":\"6.1\",\"kind\":\"guest\",\"release\":\"6.1.0-99-amd64\","
		   "\"accel\":\"tcg\",\"status\":\"ran\",\"tests\":["
		   "{\"name\":\"trace_create\",\"status\":\"pass\",\"planned\":3,\"run\":3,"
		   "\"failed\":0},{\"name\":\"trace_exec\",\"status\":\"fail\",\"planned\":3,"
		   "\"run\":3,\"failed\":1}]},{\"spec\":\"6.12\",\"kind\":\"guest\","
		   "\"status\":\"skip\",\"reason\":\"no such package here\",\"tests\":[]}]}");
	snprintf(out, sizeof(out), "%s/out-f2", tmp);
	md = report_with(script, empty, smoke, path, kpath, out, err);
	rc_finding(md, "Largest savings", got, sizeof(got));
	snprintf(e, sizeof(e), " 1 of %zu pairs significant", tj_len(pairs));
	ok(leads(got, want) && strstr(got, "(90%)") && strstr(got, e),
	   "a pair changed into the only significant one, a 90%% saving, leads the savings "
	   "finding (%s)",
	   want);
	if (!strstr(got, want))
		diag("finding: %s", got);
	rc_finding(md, "Kernels", got, sizeof(got));
	ok(strstr(got, "6.1.0-99-amd64 (guest, tcg): 1 of 2 test files pass, FAIL trace_exec") &&
	       strstr(got, "6.12 (guest, ?) skipped: no such package here") &&
	       strstr(got, "2026-01-02T03:04:05Z"),
	   "the kernels finding names the failed test file and the skipped kernel with its reason");
	if (!strstr(got, "FAIL trace_exec"))
		diag("finding: %s", got);
	free(md);

	/* No pair significant: no saving is claimed. */
	for (size_t i = 0; i < tj_len(pairs); i++)
		json_object_set_new(tj_at(pairs, i), "significant", json_false());
	json_dump_file(doc, path, 0);
	snprintf(out, sizeof(out), "%s/out-f3", tmp);
	md = report_with(script, empty, smoke, path, "none", out, err);
	rc_finding(md, "Largest savings", got, sizeof(got));
	ok(strstr(got, "no saving is claimed") && strstr(got, " 0 of "),
	   "with no significant pair the savings finding claims none");
	if (!strstr(got, "no saving is claimed"))
		diag("finding: %s", got);
	free(md);
	json_decref(doc);
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
	   "machine facts (kernel, library versions) are in the report");
	ok(strstr(md, miss_r) && strstr(md, "make repro") && strstr(md, miss_m) &&
	       strstr(md, "make matrix"),
	   "missing inputs are named with the make target that produces them");
	rc_check_findings_first(md, page, "the smoke run's report");
	{
		struct {
			const char *label, *file, *target;
		} miss[] = {{"Leaks", miss_m, "`make matrix`"},
			    {"CI gate", miss_m, "`make matrix`"},
			    {"Reproduction", miss_r, "`make repro`"},
			    {"Kernels", "kernels.json is missing", "`make test-kernels`"}};
		char f[4096];

		for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
			rc_finding(md, miss[i].label, f, sizeof(f));
			ok(strstr(f, miss[i].file) && strstr(f, miss[i].target),
			   "the %s finding names its missing input and %s", miss[i].label,
			   miss[i].target);
			if (!strstr(f, miss[i].target))
				diag("finding: '%s'", f);
		}
		rc_finding(md, "Tracer cost per call", f, sizeof(f));
		ok(strstr(f, "not measured (no trace_dup3_plain/floor") != NULL,
		   "a run without the trace_* groups: the tracer-cost finding says each figure is "
		   "not measured and why");
		if (!strstr(f, "not measured"))
			diag("finding: '%s'", f);
	}

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
			skip(9, "%s is not there: no .pairs.json to read", pairs_py);
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
			snprintf(p3, sizeof(p3), "%s/smoke.pairs.json", tmp);
			check_findings_follow(script, tmp, empty, smoke, p3, err);
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
