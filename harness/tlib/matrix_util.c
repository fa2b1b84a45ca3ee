// SPDX-License-Identifier: MIT
/*
 * matrix_util.c - the runtime-matrix tests' library (see matrix_util.h): run the matrix runner,
 * re-derive every verdict of a row from the raw trace and /proc, drive a fixture directly.
 */
#define _GNU_SOURCE
#include "matrix_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "tap.h"
#include "tlib.h"
#include "trace_lib.h"

/* The scratch directory, removed at exit (also after a bail). */
static char mx_tmp_at_exit[PATH_MAX];

static void mx_rm_tmp(void)
{
	if (mx_tmp_at_exit[0])
		tlab_rm_rf(mx_tmp_at_exit);
	mx_tmp_at_exit[0] = 0;
}

/*
 * Find the build dir and the repository root; bail on missing parts of ours. Returns 1 when BPF
 * tracing can run, else 0 with the reason in why (the caller skips).
 */
int mx_setup(struct mx *m, char *why, size_t whylen)
{
	char path[PATH_MAX + 64];
	const char *env = getenv("CLOEXEC_LAB_BUILD");

	memset(m, 0, sizeof(*m));
	if (env && *env) {
		if (!realpath(env, m->build))
			bail("failed to resolve CLOEXEC_LAB_BUILD=%s: %s", env, strerror(errno));
	} else {
		/* Tests live in BUILD/t. */
		snprintf(path, sizeof(path), "%s/..", lab_exe_dir());
		if (!realpath(path, m->build))
			bail("failed to resolve the build directory: %s", strerror(errno));
	}
	/* The root is the nearest parent of the build dir that holds the runner. */
	snprintf(m->root, sizeof(m->root), "%s", m->build);
	for (;;) {
		char *slash;

		snprintf(path, sizeof(path), "%s/fixtures/run_matrix.py", m->root);
		if (access(path, R_OK) == 0)
			break;
		slash = strrchr(m->root, '/');
		if (!slash || slash == m->root)
			bail("failed to find fixtures/run_matrix.py above %s", m->build);
		*slash = 0;
	}
	if (!lab_bpf_usable(why, whylen))
		return 0;
	snprintf(path, sizeof(path), "%s/cloexec-trace", m->build);
	if (access(path, X_OK) != 0)
		bail("%s is missing: build it with make", path);
	if (access("/usr/bin/python3", X_OK) != 0) {
		snprintf(why, whylen, "/usr/bin/python3 is missing (the matrix runner needs it)");
		return 0;
	}
	snprintf(m->tmp, sizeof(m->tmp), "/tmp/cloexec-matrix-test.XXXXXX");
	if (!mkdtemp(m->tmp))
		bail("failed to create a temporary directory: %s", strerror(errno));
	snprintf(mx_tmp_at_exit, sizeof(mx_tmp_at_exit), "%s", m->tmp);
	atexit(mx_rm_tmp);
	return 1;
}

void mx_begin(struct mx *m, unsigned timeout_s)
{
	char why[256];

	lab_clean_fds(0);
	tap_timeout(timeout_s);
	if (!mx_setup(m, why, sizeof(why)))
		skip_all("BPF tracing cannot run here: %s", why);
	plan_lazy();
}

void mx_cleanup(struct mx *m)
{
	json_decref(m->doc);
	m->doc = NULL;
	mx_rm_tmp();
}

/*
 * Run the matrix runner for the comma-separated runtimes in only, with the tracer given (NULL:
 * our build's) and extra runner arguments (NULL-terminated, or NULL). Returns the runner's exit
 * status (0 agree, 1 disagreement/error, 3 environment) and leaves the parsed JSON in m->doc.
 */
int mx_run_args(struct mx *m, const char *only, const char *tracer, const char *const extra[],
		int timeout_s)
{
	char runner[PATH_MAX + 32], json_path[PATH_MAX + 32], traces[PATH_MAX + 32];
	char logp[PATH_MAX + 32], err[160], *text;
	char *argv[64];
	size_t len;
	int rc, n = 0;

	snprintf(runner, sizeof(runner), "%s/fixtures/run_matrix.py", m->root);
	snprintf(json_path, sizeof(json_path), "%s/matrix.json", m->tmp);
	snprintf(traces, sizeof(traces), "%s/traces", m->tmp);
	snprintf(logp, sizeof(logp), "%s/runner.log", m->tmp);
	for (const char *a[] = {"/usr/bin/python3", runner, "--build", m->build, "--only", only,
				"--json", json_path, "--keep-traces", traces, NULL},
			**p = a;
	     *p; p++)
		argv[n++] = (char *)*p;
	if (tracer) {
		argv[n++] = "--tracer";
		argv[n++] = (char *)tracer;
	}
	for (int i = 0; extra && extra[i]; i++) {
		if (n >= 63)
			bail("too many runner arguments");
		argv[n++] = (char *)extra[i];
	}
	argv[n] = NULL;
	/* The runner's report goes to a log, shown as diagnostics when it fails; on a timeout
	 * it gets SIGTERM first and then kills its fixtures and tracer on the way out. */
	rc = tlab_run(argv, logp, logp, timeout_s * 1000);
	if (rc == TLAB_TIMEOUT)
		bail("run_matrix.py --only %s did not finish within %d s", only, timeout_s);
	if (rc < 0)
		bail("failed to run %s: %s", runner, strerror(errno));
	if (rc != 0 && !m->expect_fail) {
		char *log = lab_read_file(logp, NULL), *line, *save = NULL;

		for (line = log ? strtok_r(log, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save))
			diag("run_matrix: %s", line);
		free(log);
	}
	text = lab_read_file(json_path, &len);
	if (!text)
		bail("run_matrix.py wrote no %s (exit status %d)", json_path, rc < 128 ? rc : -1);
	json_decref(m->doc);
	m->doc = tj_parse(text, len, err, sizeof(err));
	free(text);
	if (!m->doc)
		bail("run_matrix.py wrote bad JSON: %s", err);
	return rc;
}

/* The same with our own build's tracer. */
int mx_run(struct mx *m, const char *only, int timeout_s)
{
	return mx_run_args(m, only, NULL, NULL, timeout_s);
}

/* The matrix row for a runtime, or NULL. */
const json_t *mx_row(const struct mx *m, const char *name)
{
	const json_t *rows = json_object_get(m->doc, "runtimes");

	for (size_t i = 0; i < tj_len(rows); i++)
		if (!strcmp(tj_str(tj_at(rows, i), "runtime", ""), name))
			return tj_at(rows, i);
	return NULL;
}

/* Whether a JSON array of strings holds s. */
int mx_has(const json_t *arr, const char *s)
{
	for (size_t i = 0; i < tj_len(arr); i++)
		if (!strcmp(tj_vstr(tj_at(arr, i), ""), s))
			return 1;
	return 0;
}

/* "socket:[123]" -> 123, else -1. */
long long mx_ino(const char *identity)
{
	long long v;

	return sscanf(identity, "socket:[%lld]", &v) == 1 ? v : -1;
}

/* Whether pid (as a decimal string key) is a member name of the object obs.child. */
static int mx_is_final(const json_t *child, long long pid)
{
	char key[32];

	snprintf(key, sizeof(key), "%lld", pid);
	return json_object_get(child, key) != NULL;
}

/* Whether r is the last exec record (by t_ns) of its pid among recs. */
static int mx_last_exec_of_pid(json_t **recs, size_t n, const json_t *r)
{
	long long pid = tj_int(r, "pid", -1), t = tj_int(r, "t_ns", 0);

	for (size_t i = 0; i < n; i++)
		if (recs[i] != r && !strcmp(tj_str(recs[i], "type", ""), "exec") &&
		    tj_int(recs[i], "pid", -2) == pid && tj_int(recs[i], "t_ns", 0) > t)
			return 0;
	return 1;
}

/* The JSON Lines of a trace file; *n records (NULL when the file cannot be read). */
static json_t **mx_load_recs(const char *path, size_t *n)
{
	char *text, *line, *save = NULL;
	json_t **recs = NULL;
	size_t len, cap = 0;

	*n = 0;
	text = lab_read_file(path, &len);
	if (!text)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *r = tj_parse(line, strlen(line), NULL, 0);

		if (!r)
			continue;
		if (*n == cap) {
			json_t **nr = realloc(recs, (cap = cap ? 2 * cap : 256) * sizeof(*recs));

			if (!nr)
				bail("failed to allocate: %s", strerror(errno));
			recs = nr;
		}
		recs[(*n)++] = r;
	}
	free(text);
	if (recs)
		tl_apply_fates(recs, (int)*n); /* late fates into their exec records */
	return recs ? recs : calloc(1, sizeof(*recs));
}

/* The spawn of the first exec record of pid (the final child's own start). */
static void mx_first_spawn(json_t **recs, size_t n, long long pid, struct mx_trace *t)
{
	for (size_t j = 0; j < n; j++) {
		const json_t *x = recs[j];
		long long xt = tj_int(x, "t_ns", 0);

		if (!strcmp(tj_str(x, "type", ""), "exec") && tj_int(x, "pid", -2) == pid &&
		    (!t->child_spawn[0] || xt < t->child_spawn_t)) {
			t->child_spawn_t = xt;
			snprintf(t->child_spawn, sizeof(t->child_spawn), "%s",
				 tj_str(x, "spawn", "(null)"));
		}
	}
}

/* What a final child held at its last exec r: the listener (at fd 3?), the connection. */
static void mx_child_exec(const json_t *r, long long li, long long ci, struct mx_trace *t)
{
	const json_t *inh = json_object_get(r, "inherited");

	t->child_execs++;
	for (size_t i = 0; i < tj_len(inh); i++) {
		const json_t *e = tj_at(inh, i);
		long long eino = tj_int(e, "ino", -2);
		const char *v = tj_str(e, "verdict", "");
		int fd3 = tj_int(e, "fd", -1) == 3;

		if (eino == li) {
			t->child_listener = 1;
			if (strcmp(t->child_listener_verdict, "leaked"))
				snprintf(t->child_listener_verdict,
					 sizeof(t->child_listener_verdict), "%s", v);
			snprintf(t->child_listener_fate, sizeof(t->child_listener_fate), "%s",
				 tj_str(e, "fate", ""));
		}
		if (eino == li && fd3) {
			snprintf(t->listener_fd3_verdict, sizeof(t->listener_fd3_verdict), "%s", v);
			snprintf(t->listener_fd3_reason, sizeof(t->listener_fd3_reason), "%s",
				 tj_str(e, "reason", ""));
		} else if (!strcmp(v, "passed")) {
			t->other_passed++;
		}
		if (eino == ci)
			t->child_conn = 1;
	}
}

/* An exec on the way to the final child: what it inherited, and the listener at fd 3. */
static void mx_helper_exec(const json_t *r, long long li, struct mx_trace *t)
{
	const json_t *inh = json_object_get(r, "inherited");

	t->helper_execs++;
	for (size_t i = 0; i < tj_len(inh); i++) {
		const json_t *e = tj_at(inh, i);

		t->helper_inh++;
		t->helper_helper += !strcmp(tj_str(e, "verdict", ""), "helper");
		t->helper_closed_before_exec +=
		    !strcmp(tj_str(e, "fate", ""), "closed_before_exec");
		if (tj_int(e, "ino", -2) == li && tj_int(e, "fd", -1) == 3) {
			snprintf(t->helper_fd3_verdict, sizeof(t->helper_fd3_verdict), "%s",
				 tj_str(e, "verdict", ""));
			snprintf(t->helper_fd3_reason, sizeof(t->helper_fd3_reason), "%s",
				 tj_str(e, "reason", ""));
			snprintf(t->helper_fd3_fate, sizeof(t->helper_fd3_fate), "%s",
				 tj_str(e, "fate", ""));
		}
	}
}

/* One record of the trace: the listener's and the connection's verdicts, passes, execs. */
static void mx_trace_rec(json_t **recs, size_t n, const json_t *r, const json_t *child,
			 long long li, long long ci, struct mx_trace *t)
{
	const char *type = tj_str(r, "type", "");
	long long ino = tj_int(r, "ino", -2);
	const json_t *inh = json_object_get(r, "inherited");

	if (!strcmp(type, "fd") && ino == li && !strcmp(tj_str(r, "syscall", ""), "socket"))
		snprintf(t->socket_verdict, sizeof(t->socket_verdict), "%s",
			 tj_str(r, "verdict", "?"));
	if (!strcmp(type, "fd") && ino == ci && !strncmp(tj_str(r, "syscall", ""), "accept", 6)) {
		snprintf(t->accept_syscall, sizeof(t->accept_syscall), "%s",
			 tj_str(r, "syscall", "?"));
		snprintf(t->accept_verdict, sizeof(t->accept_verdict), "%s",
			 tj_str(r, "verdict", "?"));
	}
	if (!strcmp(type, "summary")) {
		t->has_summary = 1;
		t->summary_helper = tj_int(r, "helper", -1);
		t->summary_leaked = tj_int(r, "leaked", -1);
	}
	if (strcmp(type, "exec"))
		return;
	for (size_t i = 0; i < tj_len(inh); i++)
		t->passed_any += !strcmp(tj_str(tj_at(inh, i), "verdict", ""), "passed");
	/* What each final child held at its last exec (earlier ones were helpers). */
	if (mx_is_final(child, tj_int(r, "pid", -1)) && mx_last_exec_of_pid(recs, n, r)) {
		mx_first_spawn(recs, n, tj_int(r, "pid", -1), t);
		mx_child_exec(r, li, ci, t);
	} else {
		mx_helper_exec(r, li, t);
	}
}

static int mx_read_trace(const char *path, const json_t *row, struct mx_trace *t)
{
	const json_t *obs = json_object_get(row, "observed");
	long long li = mx_ino(tj_str(obs, "listener", "")), ci = mx_ino(tj_str(obs, "conn", ""));
	json_t **recs;
	size_t n;

	memset(t, 0, sizeof(*t));
	recs = mx_load_recs(path, &n);
	if (!recs)
		return -1;
	t->records = (int)n;
	for (size_t k = 0; k < n; k++)
		mx_trace_rec(recs, n, recs[k], json_object_get(obs, "child"), li, ci, t);
	for (size_t k = 0; k < n; k++)
		json_decref(recs[k]);
	free(recs);
	return 0;
}

/* Whether any final child's /proc/PID/fd (as recorded by the runner) held name. */
int mx_proc_child_holds(const json_t *row, const char *name)
{
	const json_t *child = json_object_get(json_object_get(row, "observed"), "child");

	for (size_t i = 0; i < tj_len(child); i++)
		if (mx_has(json_object_get(tj_at(child, i), "sockets"), name))
			return 1;
	return 0;
}

/* Whether a final child's /proc/PID/fd (as recorded by the runner) held name at fd. */
int mx_proc_child_holds_at(const json_t *row, const char *name, long long fd)
{
	const json_t *child = json_object_get(json_object_get(row, "observed"), "child");

	for (size_t i = 0; i < tj_len(child); i++) {
		const json_t *fds = json_object_get(json_object_get(tj_at(child, i), "fds"), name);

		for (size_t k = 0; k < tj_len(fds); k++)
			if (tj_vint(tj_at(fds, k), -1) == fd)
				return 1;
	}
	return 0;
}

/* Whether the server itself still held its listener after closing it (a lazy close). */
static int mx_server_holds(const json_t *row)
{
	const json_t *obs = json_object_get(row, "observed");
	const json_t *h = json_object_get(obs, "listener_holders");
	long long server = tj_int(obs, "server_pid", -1);

	for (size_t i = 0; i < tj_len(h); i++)
		if (tj_vint(tj_at(h, i), -2) == server)
			return 1;
	return 0;
}

/* Whether the trace says a helper that was still alive at observation inherited the listener. */
static int mx_live_helper_inherited(const json_t *row)
{
	const json_t *helpers = json_object_get(row, "helpers");
	const json_t *live = json_object_get(json_object_get(row, "observed"), "helpers");

	for (size_t i = 0; i < tj_len(helpers); i++) {
		const json_t *h = tj_at(helpers, i);
		char key[32];

		snprintf(key, sizeof(key), "%lld", tj_int(h, "pid", -1));
		if (json_object_get(live, key) &&
		    mx_has(json_object_get(h, "inherited"), "listener"))
			return 1;
	}
	return 0;
}

/*
 * The checks every runtime must pass (10 tests, fewer when the row has no trace): the row ran,
 * the trace is complete, and the tracer, the child's /proc and the rebind tell the same story.
 * Returns 1 when the row ran, 0 when it was skipped (runtime not installed).
 */
int mx_check_row(const json_t *row, const char *name, struct mx_trace *t)
{
	const char *status = tj_str(row, "status", "(missing)");
	const json_t *obs = json_object_get(row, "observed");
	int busy, held, tl, pl;

	memset(t, 0, sizeof(*t));
	if (!row)
		bail("the matrix has no row for %s", name);
	if (!strcmp(status, "not-installed")) {
		skip(10, "%s is not installed: %s", name, tj_str(row, "reason", ""));
		return 0;
	}
	if (!is_str(status, "ok", "%s: the fixture ran to the end", name))
		diag("%s: %s", name, tj_str(row, "reason", ""));
	if (!ok(tj_bool(row, "tracer_agrees", 0),
		"%s: the runner found the tracer in "
		"agreement with /proc and the rebind",
		name)) {
		const json_t *d = json_object_get(row, "disagreements");

		for (size_t i = 0; i < tj_len(d); i++)
			diag("%s: %s", name, tj_vstr(tj_at(d, i), ""));
	}
	if (mx_read_trace(tj_str(row, "trace", ""), row, t) < 0) {
		ok(0, "%s: the trace %s is readable", name, tj_str(row, "trace", "(none)"));
		skip_begin("no trace");
	} else {
		ok(t->records > 0 && t->has_summary, "%s: the trace has %d records and a summary",
		   name, t->records);
	}

	/* Rebind vs /proc: only a live holder of the listener keeps the port busy. */
	busy = !strcmp(tj_str(row, "rebind", ""), "EADDRINUSE");
	held = tj_len(json_object_get(obs, "listener_holders")) > 0;
	is_int(busy, held, "%s: rebind %s <=> the listener is %sheld by a live process", name,
	       tj_str(row, "rebind", "?"), held ? "" : "not ");

	/* Trace vs /proc, re-read from the raw trace. */
	ok(t->child_execs > 0, "%s: the trace has the exec of the final child", name);
	tl = t->child_listener;
	pl = mx_proc_child_holds(row, "listener");
	is_int(tl, pl, "%s: trace and /proc agree the child %s the listener", name,
	       pl ? "holds" : "does not hold");
	is_int(t->child_conn, mx_proc_child_holds(row, "conn"),
	       "%s: trace and /proc agree on the connection in the child", name);
	is_int(busy, tl || mx_live_helper_inherited(row) || mx_server_holds(row),
	       "%s: rebind %s <=> the trace says a "
	       "process still alive (child or helper) inherited the listener",
	       name, tj_str(row, "rebind", "?"));

	/* The runner's cells are the trace's records. */
	is_str(tj_str(row, "socket", "(null)"),
	       t->socket_verdict[0] ? t->socket_verdict : "(no record)",
	       "%s: the socket cell is the trace's verdict for the listener", name);
	is_str(tj_str(json_object_get(row, "accept"), "verdict", "(null)"),
	       t->accept_verdict[0] ? t->accept_verdict : "(no record)",
	       "%s: the accept cell is the trace's verdict for the connection", name);
	skip_end();
	return 1;
}

/* Read one line from fd within timeout_ms; returns length or -1. */
static int mx_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;

		if (poll(&p, 1, timeout_ms) <= 0 || read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return (int)n;
}

/* Pick a port the kernel considers free (bind :0), for the fixture to listen on. */
static int mx_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		bail("failed to bind port 0: %s", strerror(errno));
	port = lab_local_port(fd);
	close(fd);
	return port;
}

/*
 * Start argv (with the port appended), connect, follow the protocol to REBIND, and observe the
 * child's /proc/PID/fd. Kills and reaps everything before returning. 0 ok, -1 on a protocol
 * failure, -2 when the fixture did not listen (the port may have been taken: retry).
 */
int mx_drive(char *const argv_in[], struct mx_direct *d)
{
	int in[2], out[2], cfd = -1, rc = -1, port = mx_free_port(), n = 0, fds[256], nfds;
	char line[256], portstr[16], *argv[16];
	struct sockaddr_in sa = {.sin_family = AF_INET};

	memset(d, 0, sizeof(*d));
	while (argv_in[n] && n < 14) {
		argv[n] = argv_in[n];
		n++;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	argv[n++] = portstr;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		bail("failed to create pipes: %s", strerror(errno));
	d->server = fork();
	if (d->server < 0)
		bail("failed to fork: %s", strerror(errno));
	if (d->server == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	tap_track_child(d->server);
	close(in[0]);
	close(out[1]);
	if (mx_line(out[0], line, sizeof(line), 10000) < 0 || strncmp(line, "LISTEN ", 7)) {
		diag("%s: no LISTEN line on port %d", argv[0], port);
		rc = -2;
		goto out;
	}
	/* The server's only socket now is its listener. */
	nfds = lab_proc_fds(d->server, fds, 256);
	for (int i = 0; i < nfds; i++) {
		char t[64];

		if (lab_fd_target(d->server, fds[i], t, sizeof(t)) > 0 && !strncmp(t, "socket:", 7))
			snprintf(d->listener, sizeof(d->listener), "%s", t);
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		diag("failed to connect to port %d: %s", port, strerror(errno));
		goto out;
	}
	while (mx_line(out[0], line, sizeof(line), 10000) >= 0) {
		if (!strncmp(line, "CHILD ", 6))
			d->child = atoi(line + 6);
		if (!strncmp(line, "REBIND ", 7)) {
			snprintf(d->rebind, sizeof(d->rebind), "%s", line + 7);
			break;
		}
	}
	if (!d->rebind[0] || d->child <= 0) {
		diag("%s: no CHILD/REBIND lines", argv[0]);
		goto out;
	}
	d->child_holds_listener = d->listener[0] && lab_proc_holds(d->child, d->listener) > 0;
	rc = 0;
out:
	/* The child is the server's: kill it first (the server reaps it or init does). */
	if (d->child > 0)
		kill(d->child, SIGKILL);
	if (write(in[1], "quit\n", 5) < 0)
		diag("failed to tell the fixture to quit: %s", strerror(errno));
	close(in[1]);
	if (lab_wait_timeout(d->server, NULL, 5000) < 0)
		lab_kill_reap(d->server);
	tap_untrack_child(d->server);
	close(out[0]);
	if (cfd >= 0)
		close(cfd);
	return rc;
}

/*
 * A row with no hand-over declared. The truth is whatever the runtime does, so no verdict is
 * typed in: the shared checks (mx_check_row: tracer, /proc and rebind agree), then nothing may
 * count as passed in the row or in any exec record of its trace, and the version and spawn
 * method are known. A runtime that is not installed is skipped with the reason.
 */
void mx_check_plain(const json_t *row, const char *name)
{
	struct mx_trace t;

	if (!mx_check_row(row, name, &t)) {
		skip(4, "%s is not installed", name);
		return;
	}
	is_int(tj_len(json_object_get(row, "passed")), 0, "%s: nothing counts as passed", name);
	is_int(t.passed_any, 0, "%s: the trace marks no inherited fd of any exec passed", name);
	ok(tj_str(row, "version", NULL) != NULL, "%s: the version is recorded (%s)", name,
	   tj_str(row, "version", "?"));
	ok(strcmp(tj_str(row, "spawn", ""), "") != 0, "%s: the spawn method is known (%s)", name,
	   tj_str(row, "spawn", "?"));
}

/*
 * The whole test for runtimes with no hand-over: run the rows (comma-separated names) in one
 * runner call bounded by timeout_s, then mx_check_plain() each.
 */
int mx_main_plain(const char *rows, int timeout_s)
{
	char names[256], *name, *save = NULL;
	struct mx m;

	mx_begin(&m, (unsigned)timeout_s + 10);
	mx_run(&m, rows, timeout_s);
	snprintf(names, sizeof(names), "%s", rows);
	for (name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save))
		mx_check_plain(mx_row(&m, name), name);
	mx_cleanup(&m);
	return done_testing();
}
