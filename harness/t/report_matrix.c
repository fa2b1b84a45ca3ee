// SPDX-License-Identifier: MIT
/*
 * report_matrix - the report's runtime matrix (results/report.py) on a real matrix run: the
 * runner traces java (a helper that closes what it inherited), crystal (a leak) and
 * go-extrafiles-seed (a hand-over), then the report is built from its matrix.json. Each row that
 * ran must show its CI gate as the tracer's exit beside the expected one, and the fate of what
 * each program exec'd below the server inherited, with the verdicts of the trace: java's
 * jspawnhelper fds `helper, closed_before_exec`, not marked as a leak; crystal's sleep `leaked`,
 * marked; the seed's Go child `passed`. The report opens with findings derived from the rows:
 * crystal leaks its listener and connection to sleep and fails the CI gate, java's helper and
 * the seed's hand-over are not leaks and pass it; a copy of the matrix in which crystal's
 * leaks become hand-overs (exit 0) and java's helper leaks (exit 1) turns the findings round.
 * SKIPs without BPF; a runtime that is not installed skips its checks.
 */
#define _GNU_SOURCE
#include "matrix_util.h"
#include "report_lib.h"
#include "tlib.h"

/* The matrix table's row (<tr>...</tr>) whose first cell is name, into buf ("" if none). */
static void html_row(const char *page, const char *name, char *buf, size_t len)
{
	const char *table = page ? strstr(page, "<th>fate of inherited fds</th>") : NULL;
	char first[128];
	const char *p, *end;

	buf[0] = 0;
	snprintf(first, sizeof(first), "<tr><td>%s</td>", name);
	p = table ? strstr(table, first) : NULL;
	end = p ? strstr(p, "</tr>") : NULL;
	if (p && end)
		snprintf(buf, len, "%.*s", (int)(end - p), p);
}

/* The HTML cell of row that holds text: whether it is marked as bad. */
static int cell_bad(const char *row, const char *text)
{
	const char *p = strstr(row, text), *td;

	if (!p)
		return -1;
	for (td = p; td > row && strncmp(td, "<td", 3); td--)
		;
	return !strncmp(td, "<td class=\"bad\"", 15);
}

static void check_row(const json_t *r, const char *page, const char *fate, int fate_bad)
{
	const char *name = tj_str(r, "runtime", "?");
	char row[8192], gate[64];

	if (strcmp(tj_str(r, "status", ""), "ok")) {
		skip(4, "%s did not run: %s", name, tj_str(r, "reason", ""));
		return;
	}
	html_row(page, name, row, sizeof(row));
	ok(row[0] != 0, "%s: the report's matrix has its row", name);
	snprintf(gate, sizeof(gate), "%lld (expected %lld)", tj_int(r, "ci_gate", -1),
		 tj_int(r, "ci_gate_expected", -1));
	ok(strstr(row, gate) != NULL, "%s: the CI gate cell says %s", name, gate);
	ok(strstr(row, fate) != NULL, "%s: the fate cell shows '%s'", name, fate);
	is_int(cell_bad(row, fate), fate_bad, "%s: the fate cell is %smarked as a leak", name,
	       fate_bad ? "" : "not ");
}

/* report.py on a matrix file into out; its report.md, NULL (diagnosed) when it failed. */
static char *report_md(const char *script, const char *mj, const char *out, const char *err)
{
	char *argv[] = {PYTHON,	 (char *)script, "--matrix", (char *)mj,  "--repro",
			"none",	 "--bench",	 "none",     "--kernels", "none",
			"--out", (char *)out,	 "-q",	     NULL};
	char md[PATH_MAX + 64];
	int rc = tlab_run(argv, NULL, err, 60000);

	if (rc != 0) {
		char *e = lab_read_file(err, NULL);

		diag("report.py exit %d: %s", rc, e ? e : "(no stderr)");
		free(e);
		return NULL;
	}
	snprintf(md, sizeof(md), "%.*s/report.md", PATH_MAX, out);
	return lab_read_file(md, NULL);
}

/* Whether the runtime ran in this matrix (else its finding checks are skipped). */
static int ran(const json_t *r)
{
	return r && !strcmp(tj_str(r, "status", ""), "ok");
}

/*
 * The findings of the real run: crystal's leak with what went to which program, the gate
 * per runtime as the rows have it, java's helper and the seed's hand-over among the not-leaks.
 */
static void check_findings(struct mx *m, const char *md, const char *what, int flipped)
{
	const json_t *cr = mx_row(m, "crystal"), *jv = mx_row(m, "java"),
		     *seed = mx_row(m, "go-extrafiles-seed");
	char leaks[4096], gate[4096], notl[4096], want[256];

	rc_finding(md, "Leaks", leaks, sizeof(leaks));
	rc_finding(md, "CI gate", gate, sizeof(gate));
	rc_finding(md, "Not leaks", notl, sizeof(notl));
	if (!ran(cr) || !ran(jv)) {
		skip(4, "crystal or java did not run here");
	} else if (!flipped) {
		ok(strstr(leaks, "crystal (Crystal ") &&
		       strstr(leaks, "listener and conn to sleep"),
		   "%s: the leaks finding says crystal leaks listener and conn to sleep", what);
		ok(!strstr(leaks, "java") &&
		       strstr(notl, "java: jspawnhelper closed listener, conn"),
		   "%s: java is no leak: its jspawnhelper closed listener and conn (helper)", what);
		snprintf(want, sizeof(want), "crystal (exit %lld)", tj_int(cr, "ci_gate", -1));
		ok(strstr(gate, "fails ") && strstr(gate, want) && tj_int(cr, "ci_gate", -1) == 1,
		   "%s: the CI gate finding: the tracer fails crystal (%s)", what, want);
		ok(strstr(gate, "passes ") && strstr(strstr(gate, "passes "), "java") &&
		       tj_int(jv, "ci_gate", -1) == 0,
		   "%s: ... and passes java", what);
	} else {
		ok(!strstr(leaks, "crystal") && strstr(notl, "crystal: listener and conn to sleep"),
		   "%s: crystal's fds marked passed: crystal is among the hand-overs, not the "
		   "leaks",
		   what);
		ok(strstr(leaks, "java (") && strstr(leaks, "to jspawnhelper"),
		   "%s: java's helper fds marked leaked: the leaks finding names java and "
		   "jspawnhelper",
		   what);
		ok(strstr(gate, "fails java (exit 1)") && !strstr(gate, "crystal (exit"),
		   "%s: the CI gate finding now fails java and not crystal", what);
		ok(strstr(gate, "passes ") && strstr(strstr(gate, "passes "), "crystal"),
		   "%s: ... and passes crystal", what);
	}
	if (!ran(seed))
		skip(1, "go-extrafiles-seed did not run here");
	else
		ok(strstr(notl, "go-extrafiles-seed: listener to server") && !strstr(leaks, "seed"),
		   "%s: the seed's hand-over is among the not-leaks: listener to server", what);
	note("%s: Leaks: %s", what, leaks);
	note("%s: CI gate: %s", what, gate);
}

/* A copy of the run's matrix with crystal's leaks made hand-overs and java's helper fds leaks. */
static void flip(const struct mx *m, const char *path)
{
	json_t *doc = json_deep_copy(m->doc), *rows = json_object_get(doc, "runtimes");

	for (size_t i = 0; i < tj_len(rows); i++) {
		json_t *r = tj_at(rows, i), *fates = json_object_get(r, "fates");
		const char *name = tj_str(r, "runtime", "");
		const char *from = !strcmp(name, "crystal") ? "leaked" : "helper";
		const char *to = !strcmp(name, "crystal") ? "passed" : "leaked";

		if (strcmp(name, "crystal") && strcmp(name, "java"))
			continue;
		for (size_t k = 0; k < tj_len(fates); k++)
			if (!strcmp(tj_str(tj_at(fates, k), "verdict", ""), from))
				json_object_set_new(tj_at(fates, k), "verdict", json_string(to));
		json_object_set_new(r, "ci_gate", json_integer(!strcmp(name, "java")));
		json_object_set_new(r, "ci_gate_expected", json_integer(!strcmp(name, "java")));
	}
	json_dump_file(doc, path, 0);
	json_decref(doc);
}

int main(void)
{
	char script[PATH_MAX + 32], mj[PATH_MAX + 32], out[PATH_MAX + 32];
	char page_p[PATH_MAX + 64], err[PATH_MAX + 32];
	char *page;
	struct mx m;
	int rc;

	mx_begin(&m, 120);
	mx_run(&m, "java,crystal,go-extrafiles-seed", 100);
	snprintf(script, sizeof(script), "%s/results/report.py", m.root);
	snprintf(mj, sizeof(mj), "%s/matrix.json", m.tmp);
	snprintf(out, sizeof(out), "%s/report", m.tmp);
	snprintf(err, sizeof(err), "%s/report.err", m.tmp);
	{
		char *argv[] = {"/usr/bin/python3", script, "--matrix", mj,  "--repro", "none",
				"--bench",	    "none", "--out",	out, "-q",	NULL};

		rc = tlab_run(argv, NULL, err, 60000);
	}
	if (!is_int(rc, 0, "report.py builds a report from the matrix run")) {
		char *e = lab_read_file(err, NULL);

		diag("report.py: %s", e ? e : "(no stderr)");
		free(e);
	}
	snprintf(page_p, sizeof(page_p), "%s/report.html", out);
	page = lab_read_file(page_p, NULL);
	ok(page && strstr(page, "<th>fate of inherited fds</th>") &&
	       strstr(page, "<th>CI gate</th>"),
	   "the matrix table has the columns fate of inherited fds and CI gate");
	check_row(mx_row(&m, "java"), page, "helper, closed_before_exec", 0);
	check_row(mx_row(&m, "crystal"), page, "leaked, held_at_exit", 1);
	check_row(mx_row(&m, "go-extrafiles-seed"), page, "listener (passed, ", 0);
	free(page);
	{
		char md_p[PATH_MAX + 64], flipped[PATH_MAX + 32], out2[PATH_MAX + 32];
		char *md;

		snprintf(md_p, sizeof(md_p), "%s/report.md", out);
		md = lab_read_file(md_p, NULL);
		page = lab_read_file(page_p, NULL);
		rc_check_findings_first(md, page, "the matrix run's report");
		check_findings(&m, md, "the matrix run", 0);
		free(md);
		free(page);
		snprintf(flipped, sizeof(flipped), "%s/flipped.json", m.tmp);
		snprintf(out2, sizeof(out2), "%s/report-flipped", m.tmp);
		flip(&m, flipped);
		md = report_md(script, flipped, out2, err);
		ok(md != NULL, "report.py builds a report from the flipped matrix");
		check_findings(&m, md, "the flipped matrix", 1);
		free(md);
	}
	mx_cleanup(&m);
	return done_testing();
}
