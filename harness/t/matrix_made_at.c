// SPDX-License-Identifier: MIT
/*
 * matrix_made_at.c - where the runtime matrix says each leaking listener was made (the row's
 * socket_made_at, from the user stack of the listener's socket() record):
 *   - c-plain and c-posix-spawn: fixtures/c/server.c at the line of its socket() call (the
 *     @socket marker), in listen_on();
 *   - crystal: Crystal's own socket creation, Crystal::System::Socket#create_handle, with its
 *     source line in the stdlib (the line the upstream fix changed);
 *   - php and lua: a C function of the interpreter or of LuaSocket. Debian ships them without
 *     debug info, so the name comes from the module's dynamic symbols: the test reads the
 *     module's symbol table (nm -D) and checks that the named symbol holds the frame's offset,
 *     rather than typing a name in.
 * Each cell is also checked against the raw trace: the listener's socket() record's own
 * created_at. Rows of runtimes that are not installed SKIP.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

#include <stdio.h>
#include <stdlib.h>

static const json_t *made(const json_t *row)
{
	return json_object_get(row, "socket_made_at");
}

/* The listener's socket() record in the row's raw trace: its created_at function. */
static int trace_agrees(const json_t *row)
{
	const char *path = tj_str(row, "trace", NULL), *want = tj_str(made(row), "function", NULL);
	long long ino = mx_ino(tj_str(json_object_get(row, "observed"), "listener", ""));
	char line[1 << 16], err[128];
	FILE *f = path ? fopen(path, "re") : NULL;
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f)) {
		json_t *j = tj_parse(line, strlen(line), err, sizeof(err));

		if (j && !strcmp(tj_str(j, "type", ""), "fd") && tj_int(j, "ino", -1) == ino &&
		    !strcmp(tj_str(j, "syscall", ""), "socket"))
			found =
			    want &&
			    !strcmp(tj_str(json_object_get(j, "created_at"), "function", ""), want);
		json_decref(j);
	}
	if (f)
		fclose(f);
	return found;
}

static int ran(const json_t *row, const char *name)
{
	if (!row || !strcmp(tj_str(row, "status", ""), "not-installed")) {
		skip(1, "%s: not installed", name);
		return 0;
	}
	ok(made(row) != NULL, "%s: the row says where its listener was made (%s)", name,
	   tj_str(made(row), "text", "nothing"));
	ok(trace_agrees(row), "%s: the same function as the trace's socket() record", name);
	return 1;
}

static int marker_line(const char *path, const char *marker)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker)) {
			fclose(f);
			return n;
		}
	}
	if (f)
		fclose(f);
	bail("no %s in %s", marker, path);
}

static void check_c(const struct mx *m, const char *name)
{
	const json_t *row = mx_row(m, name);
	char src[PATH_MAX + 32];

	snprintf(src, sizeof(src), "%s/fixtures/c/server.c", m->root);
	if (!ran(row, name))
		return;
	is_str(tj_str(made(row), "function", NULL), "listen_on", "%s: in listen_on()", name);
	is_str(tj_str(made(row), "file", NULL), src, "%s: in fixtures/c/server.c", name);
	is_int(tj_int(made(row), "line", -1), marker_line(src, "@socket"),
	       "%s: at the line of its socket() call", name);
}

/* Whether module's dynamic symbol fn holds address off (nm -D -S: value and size). */
static int symbol_holds(const char *module, const char *fn, unsigned long long off)
{
	char cmd[PATH_MAX + 64], line[1024];
	int hit = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -D -S --defined-only '%s' 2>/dev/null", module);
	p = popen(cmd, "re");
	while (p && fgets(line, sizeof(line), p)) {
		unsigned long long v, sz;
		char type, name[512];

		if (sscanf(line, "%llx %llx %c %511s", &v, &sz, &type, name) == 4 &&
		    !strcmp(name, fn) && v <= off && off < v + sz)
			hit = 1;
	}
	if (p)
		pclose(p);
	return hit;
}

static void check_named(const struct mx *m, const char *name, const char *module_part)
{
	const json_t *row = mx_row(m, name), *at;
	const char *fn, *mod;

	if (!ran(row, name))
		return;
	at = made(row);
	fn = tj_str(at, "function", NULL);
	mod = tj_str(at, "module", "");
	ok(fn != NULL, "%s: the C function is named (%s)", name, fn);
	ok(strstr(mod, module_part) != NULL, "%s: in %s (%s)", name, module_part, mod);
	/* a return address: the call is the byte before it */
	ok(fn && symbol_holds(mod, fn, strtoull(tj_str(at, "offset", "0"), NULL, 16) - 1),
	   "%s: %s's dynamic symbol %s holds the frame's offset %s", name, mod, fn,
	   tj_str(at, "offset", "?"));
	ok(strstr(tj_str(at, "text", ""), "no debug info") != NULL,
	   "%s: the cell says there is no debug info for a line", name);
}

int main(void)
{
	const json_t *row;
	char why[256];
	struct mx m;

	lab_clean_fds(0);
	tap_timeout(250);
	if (!mx_setup(&m, why, sizeof(why)))
		skip_all("BPF tracing cannot run here: %s", why);
	plan_lazy();
	mx_run(&m, "c-plain,c-posix-spawn,crystal,php,lua", 240);
	check_c(&m, "c-plain");
	check_c(&m, "c-posix-spawn");
	row = mx_row(&m, "crystal");
	if (ran(row, "crystal")) {
		ok(strstr(tj_str(made(row), "function", ""),
			  "Crystal::System::Socket#create_handle") != NULL,
		   "crystal: made in Crystal::System::Socket#create_handle (%s)",
		   tj_str(made(row), "function", ""));
		ok(strstr(tj_str(made(row), "file", ""), "/crystal/system/unix/socket.cr") !=
			   NULL &&
		       tj_int(made(row), "line", 0) > 0,
		   "crystal: with its line in the stdlib (%s:%lld)", tj_str(made(row), "file", ""),
		   tj_int(made(row), "line", 0));
	}
	check_named(&m, "php", "/php");
	check_named(&m, "lua", "socket");
	mx_cleanup(&m);
	return done_testing();
}
