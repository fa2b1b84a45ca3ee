// SPDX-License-Identifier: MIT
/*
 * trace_run.c - running a truth fixture with or without the tracer, reading what it and the
 * tracer said, and looking things up in it (see trace_lib.h).
 */
#define _GNU_SOURCE
#include "trace_lib.h"

#include <arpa/inet.h>

#define TL_GROW(arr, n)                                                                            \
	do {                                                                                       \
		if (((n) & ((n)-1)) == 0) {                                                        \
			void *p_ = realloc((arr), sizeof(*(arr)) * (size_t)((n) ? 2 * (n) : 1));   \
			if (!p_)                                                                   \
				bail("out of memory");                                             \
			(arr) = p_;                                                                \
		}                                                                                  \
	} while (0)

static const char *tl_kv(const char *line, const char *key, char *buf, size_t len)
{
	char pat[40];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p || !len)
		return NULL;
	p += strlen(pat);
	/* path and target are last and may hold spaces: they run to the end of the line. */
	int rest = !strcmp(key, "path") || !strcmp(key, "target");

	while (p[n] && (p[n] != ' ' || rest) && p[n] != '\n' && n + 1 < len) {
		buf[n] = p[n];
		n++;
	}
	buf[n] = '\0';
	return buf;
}

static long long tl_kvi(const char *line, const char *key, long long def)
{
	char b[32];

	return tl_kv(line, key, b, sizeof(b)) ? strtoll(b, NULL, 10) : def;
}

static void tl_snapshot(struct tl_run *r, int pid)
{
	int fds[64], n = lab_proc_fds(pid, fds, 64);

	r->proc_pid = pid;
	r->proc_n = 0;
	for (int i = 0; i < n && r->proc_n < 64; i++) {
		if (fds[i] < 3)
			continue;
		r->proc_fd[r->proc_n] = fds[i];
		if (lab_fd_target(pid, fds[i], r->proc_target[r->proc_n], 256) < 0)
			strcpy(r->proc_target[r->proc_n], "?");
		r->proc_n++;
	}
	if (n < 0)
		r->proc_n = -1;
}

void tl_line(struct tl_run *r, const char *line, int *hold_w)
{
	if (strncmp(line, "fx fd ", 6) == 0) {
		struct tl_fact *f;

		TL_GROW(r->facts, r->nfacts);
		f = &r->facts[r->nfacts++];
		memset(f, 0, sizeof(*f));
		tl_kv(line, "role", f->role, sizeof(f->role));
		f->pid = (int)tl_kvi(line, "pid", -1);
		f->fd = (int)tl_kvi(line, "fd", -1);
		f->ino = (unsigned long long)tl_kvi(line, "ino", 0);
		f->cloexec = (int)tl_kvi(line, "cloexec", -1);
		f->port = (int)tl_kvi(line, "port", -1);
		tl_kv(line, "kind", f->kind, sizeof(f->kind));
		tl_kv(line, "family", f->family, sizeof(f->family));
		tl_kv(line, "type", f->type, sizeof(f->type));
		tl_kv(line, "path", f->path, sizeof(f->path));
	} else if (strncmp(line, "fx exec ", 8) == 0) {
		TL_GROW(r->execs, r->nexecs);
		memset(&r->execs[r->nexecs], 0, sizeof(r->execs[0]));
		tl_kv(line, "role", r->execs[r->nexecs].role, sizeof(r->execs[0].role));
		r->execs[r->nexecs++].pid = (int)tl_kvi(line, "pid", -1);
	} else if (strncmp(line, "fx held ", 8) == 0) {
		TL_GROW(r->held, r->nheld);
		r->held[r->nheld].pid = (int)tl_kvi(line, "pid", -1);
		r->held[r->nheld].fd = (int)tl_kvi(line, "fd", -1);
		if (!tl_kv(line, "target", r->held[r->nheld].target, 256))
			r->held[r->nheld].target[0] = '\0';
		r->nheld++;
	} else if (strncmp(line, "fx child ", 9) == 0) {
		int pid = (int)tl_kvi(line, "pid", -1);

		TL_GROW(r->children, r->nchildren);
		memset(&r->children[r->nchildren], 0, sizeof(r->children[0]));
		r->children[r->nchildren].pid = pid;
		r->children[r->nchildren++].n = (int)tl_kvi(line, "nheld", -1);
		/* The first held child: look at its fds from outside, then let it go. */
		if (*hold_w >= 0 && strstr(line, " hold")) {
			tl_snapshot(r, pid);
			close(*hold_w);
			*hold_w = -1;
		}
	} else if (strncmp(line, "fx racefork ", 12) == 0) {
		TL_GROW(r->raceforks, r->nraceforks);
		memset(&r->raceforks[r->nraceforks], 0, sizeof(r->raceforks[0]));
		r->raceforks[r->nraceforks].pid = (int)tl_kvi(line, "pid", -1);
		r->raceforks[r->nraceforks].fd = (int)tl_kvi(line, "fd", -1);
		r->raceforks[r->nraceforks++].ino = (unsigned long long)tl_kvi(line, "ino", 0);
	} else if (strncmp(line, "fx stray ", 9) == 0) {
		if (!r->nstrays++)
			snprintf(r->stray, sizeof(r->stray), "%.200s", line + 9);
	} else if (strncmp(line, "fx done ", 8) == 0) {
		r->done_rc = (int)tl_kvi(line, "rc", -1);
		r->t_done = (unsigned long long)tl_kvi(line, "t", 0);
	} else if (strncmp(line, "fx start ", 9) == 0) {
		r->t_start = (unsigned long long)tl_kvi(line, "t", 0);
	} else if (strncmp(line, "fx span ", 8) == 0 && r->nspans < 8) {
		struct tl_span *sp = &r->spans[r->nspans++];

		tl_kv(line, "role", sp->role, sizeof(sp->role));
		sp->t0 = (unsigned long long)tl_kvi(line, "t0", 0);
		sp->t1 = (unsigned long long)tl_kvi(line, "t1", 0);
	} else if (strncmp(line, "fx race ", 8) == 0) {
		r->race_forks = (int)tl_kvi(line, "forks", -1);
		r->race_races = (int)tl_kvi(line, "races", -1);
		r->race_sockets = (unsigned long)tl_kvi(line, "sockets", 0);
	} else if (strncmp(line, "fx filled ", 10) == 0) {
		r->fill_from = (int)tl_kvi(line, "from", -1);
		r->fill_to = (int)tl_kvi(line, "to", -1);
	} else if (strncmp(line, "fx ", 3) != 0) {
		size_t l = strlen(r->other);

		snprintf(r->other + l, sizeof(r->other) - l, "%.1000s\n", line);
	}
}

void tl_read_json(struct tl_run *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return;
	while ((n = getline(&line, &cap, f)) > 0) {
		char err[128];
		json_t *j;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		j = tj_parse(line, (size_t)n, err, sizeof(err));
		if (!j || tj_int(j, "v", -1) != TL_SCHEMA || !tj_str(j, "type", NULL)) {
			if (!r->bad_lines++)
				snprintf(r->bad, sizeof(r->bad), "%.100s: %.300s",
					 j ? "no v:2/type" : err, line);
			json_decref(j);
			continue;
		}
		TL_GROW(r->recs, r->nrecs);
		r->recs[r->nrecs++] = j;
	}
	free(line);
	fclose(f);
	r->stray_fates = tl_apply_fates(r->recs, r->nrecs);
}

/* The inherited entry of exec record e that fate record f settles, or NULL. */
static json_t *tl_fate_target(json_t *e, const json_t *f)
{
	json_t *inh = json_object_get(e, "inherited");

	if (!tl_is(e, "exec") || tj_int(e, "pid", -1) != tj_int(f, "pid", -2) ||
	    tj_int(e, "t_ns", -1) != tj_int(f, "exec_t_ns", -2))
		return NULL;
	for (size_t k = 0; k < json_array_size(inh); k++) {
		json_t *it = json_array_get(inh, k);

		if (tj_int(it, "fd", -1) == tj_int(f, "fd", -2) &&
		    tj_int(it, "ino", -1) == tj_int(f, "ino", -2))
			return it;
	}
	return NULL;
}

int tl_apply_fates(json_t **recs, int n)
{
	static const char *const keys[] = {"verdict", "reason", "fate", "fate_ns", "fate_pid"};
	int stray = 0;

	for (int i = 0; i < n; i++) {
		json_t *it = NULL;

		if (!tl_is(recs[i], "fate"))
			continue;
		for (int k = 0; k < n && !it; k++)
			it = tl_fate_target(recs[k], recs[i]);
		if (!it) {
			stray++;
			continue;
		}
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			json_t *v = json_object_get(recs[i], keys[k]);

			if (v)
				json_object_set(it, keys[k], v);
		}
		json_object_set_new(it, "fate_record", json_true());
	}
	return stray;
}

const char *tl_path(const char *rel, char *buf, size_t len)
{
	lab_build_path(rel, buf, len);
	if (access(buf, X_OK) != 0)
		bail("%s is missing: build failure (run make)", buf);
	return buf;
}

/*
 * Run fixture (a name under t/helpers) with its args, as the options say. Fills r;
 * returns 0, or -1 (with a diag) when the run could not be made or timed out.
 */
/* The tracer's (or the fixture's) command line for a run, into argv (at most 63 entries). */
static void tl_argv(const struct tl_opts *o, const char *fixture, const char *const *fargs,
		    const char *json_path, char *tracer, char *fx, const char **argv)
{
	char rel[128];
	int argc = 0;

	snprintf(rel, sizeof(rel), "t/helpers/%s", fixture);
	if (o->cmd)
		snprintf(fx, PATH_MAX, "%s", o->cmd);
	else
		tl_path(rel, fx, PATH_MAX);
	for (const char *const *w = o->wrap; w && *w; w++)
		argv[argc++] = *w;
	if (!o->direct) {
		argv[argc++] = tl_path("cloexec-trace", tracer, PATH_MAX);
		if (o->text_and_json) {
			argv[argc++] = "-o";
			argv[argc++] = json_path;
		} else if (!o->no_json) {
			argv[argc++] = "--json";
			argv[argc++] = "-o";
			argv[argc++] = json_path;
		}
		for (const char *const *t = o->topts; t && *t && argc < 40; t++)
			argv[argc++] = *t;
		argv[argc++] = "--";
	}
	argv[argc++] = fx;
	for (const char *const *a = fargs; a && *a && argc < 60; a++)
		argv[argc++] = *a;
	if (o->hold)
		argv[argc++] = "--hold";
	argv[argc] = NULL;
}

/*
 * Read the fixture's lines from fd until EOF (every process of the run closed stdout) or
 * t_end. Returns 0, or -1 when the time ran out.
 */
static int tl_collect(struct tl_run *r, int fd, int *hold_w, unsigned long long t_end,
		      const char *fixture, int timeout_ms)
{
	static char buf[65536];
	size_t have = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = (long long)(t_end - lab_now_ns()) / 1000000LL;
		ssize_t n;
		char *nl;

		if (lab_now_ns() >= t_end || poll(&p, 1, (int)(left > 0 ? left : 0)) == 0) {
			diag("%s: no EOF on stdout within %d ms: killing it", fixture, timeout_ms);
			return -1;
		}
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			tl_line(r, buf, hold_w);
			memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
			have -= (size_t)(nl + 1 - buf);
		}
		if (have == sizeof(buf) - 1)
			have = 0; /* an overlong line: drop it */
	}
}

/* A run that timed out: kill it, and what its command left in our process group. */
static void tl_kill_run(pid_t pid)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;

	lab_kill_reap(pid);
	/* The tracer's command and its children are in our process group (see tl_begin): take
	 * them down too, sparing ourselves. */
	if (getpgrp() == getpid()) {
		sigaction(SIGTERM, &ign, &old);
		kill(0, SIGTERM);
		sigaction(SIGTERM, &old, NULL);
	}
}

/* Start argv with stdin (in, or /dev/null), stdout into out_w and stderr into err_path. */
static pid_t tl_spawn(const char **argv, int in, int out_w, const char *err_path)
{
	pid_t pid = fork();

	if (pid < 0)
		bail("failed to fork: %s", strerror(errno));
	if (pid == 0) {
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int i0 = in >= 0 ? in : open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (e < 0 || i0 < 0 || dup2(i0, 0) < 0 || dup2(out_w, 1) < 0 || dup2(e, 2) < 0)
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	tap_track_child(pid);
	return pid;
}

/* The tracer's stderr and JSON into r; the temporary files removed (unless kept). */
static void tl_gather(struct tl_run *r, const char *fixture, const char *json_path,
		      const char *err_path)
{
	char *err = lab_read_file(err_path, NULL);

	snprintf(r->err, sizeof(r->err), "%s", err ? err : "");
	free(err);
	tl_read_json(r, json_path);
	if (getenv("CLOEXEC_LAB_KEEP")) {
		diag("%s: output kept in %s", fixture, r->dir);
	} else {
		unlink(json_path);
		unlink(err_path);
		rmdir(r->dir);
	}
}

int tl_run(struct tl_run *r, const struct tl_opts *o, const char *fixture, const char *const *fargs)
{
	char tracer[PATH_MAX], fx[PATH_MAX], json_path[128], err_path[128];
	int out[2], in[2] = {-1, -1}, hold_w = -1, rc, timeout_ms;
	unsigned long long t_end;
	const char *argv[64];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->done_rc = -1;
	r->race_forks = r->race_races = -1;
	r->proc_n = -1;
	timeout_ms = o->timeout_ms ? o->timeout_ms : 60000;
	snprintf(r->dir, sizeof(r->dir), "/tmp/cloexec-trace-test.XXXXXX");
	if (!mkdtemp(r->dir))
		bail("failed to create a temporary directory: %s", strerror(errno));
	snprintf(json_path, sizeof(json_path), "%s/out.jsonl", r->dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", r->dir);
	for (const char *const *t = o->topts; t && *t; t++)
		r->all_fds |= !strcmp(*t, "--all-fds");
	tl_argv(o, fixture, fargs, json_path, tracer, fx, argv);
	if (pipe2(out, O_CLOEXEC) < 0 || (o->hold && pipe2(in, O_CLOEXEC) < 0))
		bail("failed to create a pipe: %s", strerror(errno));
	pid = tl_spawn(argv, in[0], out[1], err_path);
	close(out[1]);
	if (o->hold) {
		close(in[0]);
		hold_w = in[1];
	}
	t_end = lab_now_ns() + (unsigned long long)timeout_ms * 1000000ULL;
	rc = tl_collect(r, out[0], &hold_w, t_end, fixture, timeout_ms);
	close(out[0]);
	if (hold_w >= 0)
		close(hold_w);
	if (rc == 0) {
		long long left = (long long)(t_end - lab_now_ns()) / 1000000LL;

		if (lab_wait_timeout(pid, &r->status, (int)(left > 1000 ? left : 1000)) < 0) {
			diag("%s: did not exit in time: killing it", fixture);
			rc = -1;
		}
	}
	if (rc < 0) {
		tl_kill_run(pid);
		r->exit_code = -1;
	} else {
		r->exit_code =
		    WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
	}
	tap_untrack_child(pid);
	tl_gather(r, fixture, json_path, err_path);
	return rc;
}

void tl_free(struct tl_run *r)
{
	for (int i = 0; i < r->nrecs; i++)
		json_decref(r->recs[i]);
	free(r->recs);
	free(r->facts);
	free(r->execs);
	free(r->children);
	free(r->raceforks);
	free(r->held);
	memset(r, 0, sizeof(*r));
}

/* ---- lookups ------------------------------------------------------------------------- */

const struct tl_fact *tl_fact(const struct tl_run *r, const char *role)
{
	for (int i = 0; i < r->nfacts; i++)
		if (strcmp(r->facts[i].role, role) == 0)
			return &r->facts[i];
	return NULL;
}

int tl_is(const json_t *j, const char *type)
{
	return strcmp(tj_str(j, "type", ""), type) == 0;
}

int tl_count(const struct tl_run *r, const char *type)
{
	int n = 0;

	for (int i = 0; i < r->nrecs; i++)
		n += tl_is(r->recs[i], type);
	return n;
}

/* The fd record of (pid, fd, ino); with several (fd reuse), the first made by syscall sc (any
 * when sc is NULL), else the first. */
const json_t *tl_fd_rec(const struct tl_run *r, int pid, int fd, unsigned long long ino,
			const char *sc)
{
	const json_t *first = NULL;

	for (int i = 0; i < r->nrecs; i++) {
		const json_t *j = r->recs[i];

		if (!tl_is(j, "fd") || tj_int(j, "pid", -1) != pid || tj_int(j, "fd", -1) != fd ||
		    (unsigned long long)tj_int(j, "ino", -1) != ino)
			continue;
		if (!sc || !strcmp(tj_str(j, "syscall", ""), sc))
			return j;
		if (!first)
			first = j;
	}
	return first;
}

/* Whether path's last component is name. */
int tl_basename_is(const char *path, const char *name)
{
	const char *b = strrchr(path, '/');

	return strcmp(b ? b + 1 : path, name) == 0;
}

/* The exec records of pid, in order, except execs of the program named skip (the
 * fixture's own start, which has the same pid when it execs from a thread). */
int tl_exec_recs(const struct tl_run *r, int pid, const char *skip, const json_t **out, int max)
{
	int n = 0;

	for (int i = 0; i < r->nrecs; i++)
		if (tl_is(r->recs[i], "exec") && tj_int(r->recs[i], "pid", -1) == pid &&
		    !(skip && tl_basename_is(tj_str(r->recs[i], "filename", ""), skip))) {
			if (n < max)
				out[n] = r->recs[i];
			n++;
		}
	return n;
}

const json_t *tl_last(const struct tl_run *r, const char *type)
{
	for (int i = r->nrecs - 1; i >= 0; i--)
		if (tl_is(r->recs[i], type))
			return r->recs[i];
	return NULL;
}

/* The inherited entry for fd in an exec record. */
const json_t *tl_inherited(const json_t *exec, int fd)
{
	const json_t *inh = json_object_get(exec, "inherited");

	for (size_t i = 0; i < tj_len(inh); i++)
		if (tj_int(tj_at(inh, i), "fd", -1) == fd)
			return tj_at(inh, i);
	return NULL;
}

/* Whether s is one of the '|'-separated alternatives in alts. */
int tl_one_of(const char *s, const char *alts)
{
	size_t n = strlen(s);

	if (!s[0])
		return 0;
	for (const char *p = alts; p && *p;) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && strncmp(p, s, n) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Whether local is "[addr]:port" with addr the IPv6 loopback in any valid spelling. */
int tl_is_local6(const char *local, int port)
{
	struct in6_addr a;
	const char *close = strchr(local, ']');
	char addr[64];

	if (local[0] != '[' || !close || (size_t)(close - local) >= sizeof(addr) ||
	    close[1] != ':' || atoi(close + 2) != port)
		return 0;
	snprintf(addr, sizeof(addr), "%.*s", (int)(close - local - 1), local + 1);
	return inet_pton(AF_INET6, addr, &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a);
}

/* What /proc shows for an fd of the given fact. */
void tl_target(const struct tl_fact *f, char *buf, size_t len)
{
	if (strcmp(f->kind, "file") == 0 || strcmp(f->kind, "other") == 0)
		snprintf(buf, len, "%s", f->path);
	else if (strcmp(f->kind, "pipe") == 0 && f->path[0])
		snprintf(buf, len, "%s", f->path); /* a named FIFO */
	else if (strcmp(f->kind, "pipe") == 0)
		snprintf(buf, len, "pipe:[%llu]", f->ino);
	else
		snprintf(buf, len, "socket:[%llu]", f->ino);
}

/* Print the tracer's stderr (and the first bad line) once, when something failed. */
void tl_diag_run(const struct tl_run *r, const char *name)
{
	diag("%s: exit %d, %d JSON records, stderr: %.600s", name, r->exit_code, r->nrecs,
	     r->err[0] ? r->err : "(empty)");
	if (r->bad_lines)
		diag("%s: %d bad JSON lines, first: %s", name, r->bad_lines, r->bad);
}

int tl_child_pid(const struct tl_run *r)
{
	return r->nexecs ? r->execs[r->nexecs - 1].pid : -1;
}

/*
 * Start of every trace test: bounded in time, clean fds, and leader of its own process
 * group, so a timeout (tap's alarm, or tl_run's) takes down the tracer's command and
 * every child it left, not only the processes the test knows.
 */
void tl_begin(unsigned timeout_s)
{
	lab_clean_fds(0);
	tap_timeout(timeout_s);
	if (getpgrp() != getpid() && setpgid(0, 0) < 0)
		diag("cannot lead a process group (%s): a timeout may leave processes behind",
		     strerror(errno));
}

/* Common start of a trace test: tl_begin, BPF usable or SKIP, tracer built. */
void tl_start(unsigned timeout_s)
{
	char why[256], p[PATH_MAX];

	tl_begin(timeout_s);
	if (!lab_bpf_usable(why, sizeof(why)))
		skip_all("%s", why);
	tl_path("cloexec-trace", p, sizeof(p));
	tl_path("t/helpers/fx_child", p, sizeof(p));
}

/* Run every case of a topic under the tracer and check it. */
void tl_run_topic_with(const char *topic, const char *const *topts)
{
	for (int i = 0; i < tl_ncases; i++) {
		const struct tl_case *tc = &tl_cases[i];
		struct tl_opts o = {.topts = topts};
		struct tl_run r;

		if (strcmp(tc->topic, topic))
			continue;
		if (tl_run(&r, &o, tc->fixture, tc->args) < 0) {
			ok(0, "%s: the traced run finished in time", tc->name);
			tl_diag_run(&r, tc->name);
		} else {
			tl_check_case(&r, tc);
		}
		tl_free(&r);
	}
}

void tl_run_topic(const char *topic)
{
	tl_run_topic_with(topic, NULL);
}
