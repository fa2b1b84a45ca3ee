// SPDX-License-Identifier: MIT
/*
 * trace_sarif - cloexec-trace --sarif FILE on the real kernel: the log validates against the
 * SARIF 2.1.0 JSON schema (scripts/sarif-schema.sh fetches it from the npm registry into
 * build/sarif/, scripts/sarif-validate.py checks it with python3-jsonschema), and its results
 * point where the fixture fx_stack (built -g) made the fd: the leaked and the never result at
 * the @socket line of fx_stack.c, with open_listener in the stack, the leak's message naming
 * the program it leaked into; an atomic fd whose flag was cleared at the @clear line; levels
 * follow --fail-on; without stacks the log still validates. The validator is shown to fail on
 * a broken log. SKIPs when the schema cannot be fetched (no npm or registry: the reason is
 * printed) or BPF cannot run.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

/*
 * SRCDIR: the source tree, passed by harness/t/module.mk. Compiled without it (cloexec-load's
 * build figure compiles every C source of the tree with its own flags), the current directory.
 */
#ifndef SRCDIR
#define SRCDIR "."
#endif
#define FX_SRC SRCDIR "/harness/t/helpers/fx_stack.c"

static char schema[PATH_MAX + 32], dir[64];
static int line_socket, line_clear;

static int marker_line(const char *marker)
{
	char line[512];
	FILE *f = fopen(FX_SRC, "re");
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker) && !strstr(line, "marker")) {
			fclose(f);
			return n;
		}
	}
	if (f)
		fclose(f);
	bail("no %s in %s", marker, FX_SRC);
}

/* The schema into build/sarif (fetched once); SKIP when it cannot be had. */
static void get_schema(void)
{
	char sdir[PATH_MAX], log[128], *text;
	char *argv[] = {"/bin/bash", SRCDIR "/scripts/sarif-schema.sh", sdir, NULL};
	int code;

	lab_build_path("sarif", sdir, sizeof(sdir));
	snprintf(log, sizeof(log), "%s/schema.log", dir);
	code = tlab_run(argv, log, log, 660000);
	text = lab_read_file(log, NULL);
	if (code == 4)
		skip_all("the SARIF 2.1.0 schema could not be fetched: %s", text ? text : "?");
	if (code != 0)
		bail("scripts/sarif-schema.sh failed (exit %d): %s", code, text ? text : "");
	free(text);
	snprintf(schema, sizeof(schema), "%s/sarif-2.1.0.json", sdir);
}

/* scripts/sarif-validate.py's exit code for path; its output in out. */
static int validate(const char *path, char **out)
{
	char log[128];
	char *argv[] = {"/usr/bin/python3", SRCDIR "/scripts/sarif-validate.py", schema,
			(char *)path, NULL};
	int code;

	snprintf(log, sizeof(log), "%s/validate.log", dir);
	code = tlab_run(argv, log, log, 120000);
	*out = lab_read_file(log, NULL);
	return code;
}

static json_t *read_json_file(const char *path)
{
	char err[128], *text = lab_read_file(path, NULL);
	json_t *j = text ? tj_parse(text, strlen(text), err, sizeof(err)) : NULL;

	if (text && !j)
		diag("%s: %s", path, err);
	free(text);
	return j;
}

/* Trace fx_stack MODE with --sarif into DIR/NAME.sarif (and extra options); the parsed log. */
static json_t *sarif_of(const char *name, const char *mode, const char *extra, char *path,
			size_t len)
{
	const char *topts[] = {"--sarif", path, extra, NULL};
	const char *args[] = {mode, NULL};
	struct tl_opts o = {.topts = topts};
	struct tl_run r;

	snprintf(path, len, "%s/%s.sarif", dir, name);
	if (tl_run(&r, &o, "fx_stack", args) < 0 || r.exit_code != 1) {
		tl_diag_run(&r, name);
		bail("%s: the traced run failed (exit %d)", name, r.exit_code);
	}
	tl_free(&r);
	return read_json_file(path);
}

static const json_t *run0(const json_t *log)
{
	return tj_at(json_object_get(log, "runs"), 0);
}

static const json_t *result(const json_t *log, const char *rule)
{
	const json_t *rs = json_object_get(run0(log), "results");

	for (size_t i = 0; i < json_array_size(rs); i++)
		if (!strcmp(tj_str(json_array_get(rs, i), "ruleId", ""), rule))
			return json_array_get(rs, i);
	return NULL;
}

/* The location's file as an absolute file: URI (a relative one resolved against SRCROOT). */
static void location_uri(const json_t *log, const json_t *res, char *buf, size_t len)
{
	const json_t *al = json_object_get(
	    json_object_get(tj_at(json_object_get(res, "locations"), 0), "physicalLocation"),
	    "artifactLocation");
	const char *uri = tj_str(al, "uri", ""), *base = tj_str(al, "uriBaseId", NULL);
	const json_t *bases = json_object_get(run0(log), "originalUriBaseIds");

	if (base)
		snprintf(buf, len, "%s%s", tj_str(json_object_get(bases, base), "uri", "?"), uri);
	else
		snprintf(buf, len, "%s", uri);
}

static int start_line(const json_t *res)
{
	const json_t *loc = tj_at(json_object_get(res, "locations"), 0);
	const json_t *pl = json_object_get(loc, "physicalLocation");

	return (int)tj_int(json_object_get(pl, "region"), "startLine", -1);
}

/* Whether a frame of the result's stack is function fn. */
static int stack_has(const json_t *res, const char *fn)
{
	const json_t *fr = json_object_get(tj_at(json_object_get(res, "stacks"), 0), "frames");

	for (size_t i = 0; i < json_array_size(fr); i++) {
		const json_t *ll = json_object_get(
		    json_object_get(json_array_get(fr, i), "location"), "logicalLocations");

		if (!strcmp(tj_str(tj_at(ll, 0), "fullyQualifiedName", ""), fn))
			return 1;
	}
	return 0;
}

static void check_valid(const char *name, const char *path)
{
	char *out = NULL;
	int code = validate(path, &out);

	if (!is_int(code, 0, "%s: the log validates against the SARIF 2.1.0 schema", name))
		diag("%s", out ? out : "");
	free(out);
}

static void test_plain(void)
{
	char path[192], uri[PATH_MAX], want[PATH_MAX];
	const json_t *leak, *never, *rules;
	json_t *log = sarif_of("plain", "plain", NULL, path, sizeof(path));

	check_valid("plain", path);
	is_str(tj_str(log, "version", ""), "2.1.0", "plain: version 2.1.0");
	rules =
	    json_object_get(json_object_get(json_object_get(run0(log), "tool"), "driver"), "rules");
	is_int((long long)json_array_size(rules), 5, "plain: five rules");
	is_str(tj_str(tj_at(rules, 0), "id", ""), "leaked", "plain: rule 0 is leaked");
	is_str(tj_str(tj_at(rules, 4), "id", ""), "helper", "plain: rule 4 is helper");
	leak = result(log, "leaked");
	never = result(log, "never");
	ok(leak && never, "plain: a leaked and a never result");
	is_str(tj_str(leak, "level", ""), "error", "plain: leaked is an error (in --fail-on)");
	is_str(tj_str(never, "level", ""), "warning", "plain: never is a warning (not in it)");
	ok(strstr(tj_str(json_object_get(leak, "message"), "text", ""), "leaked into ") &&
	       strstr(tj_str(json_object_get(leak, "message"), "text", ""), "/fx_child") != NULL,
	   "plain: the message says it leaked into fx_child (%s)",
	   tj_str(json_object_get(leak, "message"), "text", ""));
	location_uri(log, leak, uri, sizeof(uri));
	snprintf(want, sizeof(want), "file://%s", FX_SRC);
	is_str(uri, want, "plain: the leak's location is fx_stack.c");
	is_int(start_line(leak), line_socket, "plain: at the line of the socket() call");
	is_int(start_line(never), line_socket, "plain: the never result at the same line");
	ok(stack_has(leak, "open_listener") && stack_has(leak, "main"),
	   "plain: its stack has open_listener and main");
	json_decref(log);
}

static void test_clear_and_levels(void)
{
	char path[192];
	json_t *log = sarif_of("clear", "clear", NULL, path, sizeof(path));
	const json_t *leak = result(log, "leaked");

	check_valid("clear", path);
	is_int(start_line(leak), line_clear, "clear: the leak points at the fcntl that cleared it");
	ok(strstr(tj_str(json_object_get(tj_at(json_object_get(leak, "stacks"), 0), "message"),
			 "text", ""),
		  "cleared") != NULL,
	   "clear: its stack is said to be of the clear");
	ok(!result(log, "never"), "clear: no never result for the atomic fd");
	json_decref(log);
	log = sarif_of("all", "plain", "--fail-on=all", path, sizeof(path));
	is_str(tj_str(result(log, "never"), "level", ""), "error",
	       "--fail-on all: never is an error too");
	json_decref(log);
}

static void test_nostacks_and_broken(void)
{
	char path[192], broken[192], *out = NULL, *text;
	json_t *log = sarif_of("nostacks", "plain", "--no-stacks", path, sizeof(path));
	FILE *f;

	check_valid("--no-stacks", path);
	is_int((long long)json_array_size(json_object_get(result(log, "leaked"), "locations")), 0,
	       "--no-stacks: the leak has no location, and the log is still valid");
	json_decref(log);
	/* the validator can fail: the same log with a version SARIF does not have */
	text = lab_read_file(path, NULL);
	snprintf(broken, sizeof(broken), "%s/broken.sarif", dir);
	f = fopen(broken, "we");
	if (!text || !f || !strstr(text, "\"version\":\"2.1.0\""))
		bail("cannot write %s", broken);
	memcpy(strstr(text, "\"version\":\"2.1.0\""), "\"version\":\"2.0.9\"", 17);
	fputs(text, f);
	fclose(f);
	free(text);
	is_int(validate(broken, &out), 1, "a log with version 2.0.9 does not validate");
	free(out);
}

int main(void)
{
	tl_start(900);
	plan_lazy();
	snprintf(dir, sizeof(dir), "/tmp/cloexec-sarif.XXXXXX");
	if (!mkdtemp(dir))
		bail("failed to create a temporary directory: %s", strerror(errno));
	get_schema();
	line_socket = marker_line("@socket");
	line_clear = marker_line("@clear");
	test_plain();
	test_clear_and_levels();
	test_nostacks_and_broken();
	if (getenv("CLOEXEC_LAB_KEEP"))
		diag("logs kept in %s", dir);
	else
		tlab_rm_rf(dir);
	return done_testing();
}
