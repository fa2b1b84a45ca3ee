// SPDX-License-Identifier: MIT
/*
 * repro_tool - build/cloexec-repro from the outside: --help with EXAMPLES,
 * --list, usage errors (exit 2, one line), the table, --tap, and the JSON
 * file (schema cloexec-repro/1 with host info), which must report what the
 * engine observes in-process for the same selection.
 */
#define _GNU_SOURCE
#include "tjson.h"
#include "lab.h"
#include "repro.h"
#include "tap.h"
#include "tlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/repro_tool.XXXXXX";
static char tool[PATH_MAX];

struct run {
	int status; /* exit code, or -1 */
	char out[65536], err[4096];
};

/* Run the tool with args (NULL-terminated), stdout/stderr into files, bounded. */
static void run_tool(struct run *r, const char *const *args)
{
	char *argv[16], out[PATH_MAX], err[PATH_MAX], *text;
	int n = 0;

	argv[n++] = tool;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	r->status = tlab_run(argv, out, err, 60000);
	if (r->status < 0 || r->status > 127)
		r->status = -1; /* timed out or killed: not an exit code */
	text = lab_read_file(out, NULL);
	snprintf(r->out, sizeof(r->out), "%s", text ? text : "");
	free(text);
	text = lab_read_file(err, NULL);
	snprintf(r->err, sizeof(r->err), "%s", text ? text : "");
	free(text);
	unlink(out);
	unlink(err);
}

static json_t *load_json(const char *path)
{
	static char buf[1 << 20];
	char err[160];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	json_t *j;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return NULL;
	j = tj_parse(buf, (size_t)n, err, sizeof(err));
	if (!j)
		diag("bad JSON in %s: %s", path, err);
	return j;
}

static void check_host(const json_t *j)
{
	const json_t *h = json_object_get(j, "host");
	static const char *const keys[] = {"hostname", "kernel", "cpu", "date", "commit"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ok(json_is_string(json_object_get(h, keys[i])) &&
		       json_string_length(json_object_get(h, keys[i])) > 0,
		   "host.%s is a non-empty string", keys[i]);
	cmp_int(tj_int(h, "cores", 0), ">=", 1, "host.cores is a count");
}

int main(void)
{
	static struct run r;
	static struct repro_scenario sc[16];
	struct repro_result res;
	char why[512], json[PATH_MAX];
	json_t *j;
	int n, matched = 0;

	tap_timeout(150);
	lab_clean_fds(0);
	if (repro_init(why, sizeof(why)) < 0)
		bail("%s", why);
	lab_build_path("cloexec-repro", tool, sizeof(tool));
	if (access(tool, X_OK) != 0)
		bail("%s is not built: run make", tool);
	if (!mkdtemp(dir))
		bail("failed to mkdtemp: %s", strerror(errno));
	plan_lazy();

	run_tool(&r, (const char *const[]){"--help", NULL});
	is_int(r.status, 0, "--help exits 0");
	ok(strstr(r.out, "EXAMPLES") && strstr(r.out, "--json"),
	   "--help shows options and EXAMPLES");

	run_tool(&r, (const char *const[]){"--list", NULL});
	is_int(r.status, 0, "--list exits 0");
	n = 0;
	for (const struct repro_group *g = repro_groups; g->name; g++)
		n += strstr(r.out, g->name) != NULL;
	ok(n > 0 && !repro_groups[n].name, "--list names every group (%d)", n);

	/* Each bad command line, and what its one error line must name. */
	static const char *const bad[][4] = {
	    {"--group", "no-such-group", NULL, "unknown group 'no-such-group'"},
	    {"-m", "fork-exec,nope", NULL, "unknown spawn method 'nope'"},
	    {"--race-spawns", "many", NULL, "'many'"},
	    {"--bogus", NULL, NULL, "'--bogus'"},
	    {"--tap=1", NULL, NULL, "'--tap=1'"},
	    {"-tx", NULL, NULL, "'-x'"},
	    {"stray-argument", NULL, NULL, "'stray-argument'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_tool(&r, bad[i]);
		is_int(r.status, 2, "usage error '%s' exits 2", bad[i][0]);
		ok(!strncmp(r.err, "cloexec-repro: ", 15) && tlab_count_lines(r.err) == 1 &&
		       strstr(r.err, bad[i][3]),
		   "usage error '%s' says so in one line on stderr naming %s", bad[i][0],
		   bad[i][3]);
	}

	/* An unwritable JSON path is refused before any scenario runs. */
	snprintf(json, sizeof(json), "%s/no-such-dir/repro.json", dir);
	run_tool(&r, (const char *const[]){"-g", "tcp4-listener", "--json", json, NULL});
	is_int(r.status, 3, "an unwritable --json file exits 3");
	ok(!strncmp(r.err, "cloexec-repro: failed to write ", 31) && tlab_count_lines(r.err) == 1 &&
	       !strstr(r.out, "scenario"),
	   "and says so in one line before running anything");

	/* The table and the JSON for one group, compared with the engine run here. */
	snprintf(json, sizeof(json), "%s/repro.json", dir);
	run_tool(&r, (const char *const[]){"-g", "tcp4-listener,unix-listener", "-m", "fork-exec",
					   "--json", json, NULL});
	is_int(r.status, 0, "tcp4-listener and unix-listener via fork-exec: no contradiction");
	ok(strstr(r.out, "scenario") && strstr(r.out, "expected") && strstr(r.out, "observed") &&
	       strstr(r.out, "why"),
	   "the table has its header");
	ok(strstr(r.out, "EADDRINUSE") && strstr(r.out, "connectable"),
	   "the table shows the busy port and the connectable path");
	j = load_json(json);
	ok(j != NULL, "the JSON file parses");
	is_str(tj_str(j, "schema", ""), "cloexec-repro/1", "schema is cloexec-repro/1");
	check_host(j);
	n = repro_select("tcp4-listener,unix-listener", NULL, "fork-exec", sc, 16);
	is_int((long long)tj_len(json_object_get(j, "scenarios")), n, "one JSON row per scenario");
	for (int i = 0; i < n; i++) {
		repro_run(&sc[i], &res);
		for (size_t k = 0; k < tj_len(json_object_get(j, "scenarios")); k++) {
			const json_t *row = tj_at(json_object_get(j, "scenarios"), k);

			if (strcmp(tj_str(row, "id", ""), sc[i].id))
				continue;
			matched++;
			ok(!strcmp(tj_str(row, "observed", ""), res.observed) &&
			       !strcmp(tj_str(row, "expected", ""), res.expected) &&
			       tj_bool(row, "child_held", -1) == res.child_held &&
			       tj_bool(row, "pass", -1) == res.pass,
			   "%s: the tool reports what the engine observes (%s, held=%d)", sc[i].id,
			   res.observed, res.child_held);
		}
	}
	is_int(matched, n, "every scenario id is in the JSON");
	json_decref(j);

	/* TAP mode and the race rows. */
	run_tool(&r, (const char *const[]){"-g", "scm-rights", "-m", "fork-exec", "--tap", NULL});
	is_int(r.status, 0, "--tap exits 0");
	ok(!strncmp(r.out, "ok 1 - scm-rights/fork-exec/", 28) && strstr(r.out, "\n1..2\n"),
	   "--tap prints one TAP line per scenario and a plan");
	run_tool(&r, (const char *const[]){"--no-scenarios", "--race-spawns", "300", "--json", json,
					   NULL});
	ok(r.status == 0 && strstr(r.out, "socket+fcntl") && strstr(r.out, "SOCK_CLOEXEC"),
	   "--no-scenarios runs only the race and prints both rows (exit %d)", r.status);
	j = load_json(json);
	ok(j && tj_len(json_object_get(j, "race")) == 2 &&
	       tj_len(json_object_get(j, "scenarios")) == 0,
	   "race-only JSON has two race rows and no scenarios");
	is_str(tj_str(tj_at(json_object_get(j, "race"), 0), "strategy", ""), "socket+fcntl",
	       "race row 0 is socket+fcntl");
	is_int(tj_int(tj_at(json_object_get(j, "race"), 1), "leaks", -1), 0,
	       "race row 1 (SOCK_CLOEXEC) has no leaks");
	cmp_int(tj_int(tj_at(json_object_get(j, "race"), 1), "spawns", 0),
		"==", tj_int(tj_at(json_object_get(j, "race"), 0), "spawns", -1),
		"both race rows ran the same number of spawns");
	json_decref(j);
	unlink(json);
	rmdir(dir);

	n = repro_leftovers(why, sizeof(why));
	ok(n == 0, "nothing left behind%s%s", n ? ": " : "", why);
	return done_testing();
}
