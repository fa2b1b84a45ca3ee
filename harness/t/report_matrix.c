// SPDX-License-Identifier: MIT
/*
 * report_matrix - the report's runtime matrix (results/report.py) on a real matrix run: the
 * runner traces java (a helper that closes what it inherited), crystal (a leak) and
 * go-extrafiles-seed (a hand-over), then the report is built from its matrix.json. Each row that
 * ran must show its CI gate as the tracer's exit beside the expected one, and the fate of what
 * each program exec'd below the server inherited, with the verdicts of the trace: java's
 * jspawnhelper fds `helper, closed_before_exec`, not marked as a leak; crystal's sleep `leaked`,
 * marked; the seed's Go child `passed`. SKIPs without BPF; a runtime that is not installed
 * skips its checks.
 */
#define _GNU_SOURCE
#include "matrix_util.h"
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
	mx_cleanup(&m);
	return done_testing();
}
