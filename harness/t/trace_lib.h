/* SPDX-License-Identifier: MIT */
/*
 * trace_lib.h - shared code of the tracer tests (harness/t/trace_*.c).
 *
 * tl_run() runs a truth fixture (harness/t/helpers/fx_*.c), either directly or
 * under `cloexec-trace --json -o FILE [OPTS] -- fixture ARGS`, collects the
 * fixture's fact lines (see fx_common.h), the tracer's JSON Lines (parsed with
 * harness/json.h), its exit status and stderr, and optionally a snapshot of the
 * exec'd child's /proc/PID/fd while it blocks (--hold).
 *
 * The truth table tl_cases[] says, per fixture and per fd it creates, what the
 * kernel did (cloexec bit at creation) and what the tracer must report (syscall,
 * kind, verdict, fate at exec). tl_check_case() asserts all of it; the topics
 * split it over the trace_* test programs. trace_fixtures runs the same table
 * without the tracer to prove the fixtures themselves.
 */
#ifndef CLOEXEC_LAB_TRACE_LIB_H
#define CLOEXEC_LAB_TRACE_LIB_H

#include "json.h"
#include "lab.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- what a fixture reported ---------------------------------------------------------- */

struct tl_fact { /* fx fd ... */
	char role[32];
	int pid, fd, cloexec, port;
	unsigned long long ino;
	char kind[16];
	char family[16], type[16]; /* sockets */
	char path[256];
};

struct tl_held { /* fx held ... (from fx_child) */
	int pid, fd;
	char target[256];
};

struct tl_pidrole { /* fx exec ... / fx child ... / fx racefork ... */
	char role[32];
	int pid, n, fd;
	unsigned long long ino;
};

struct tl_run {
	/* the fixture's facts */
	struct tl_fact *facts;
	int nfacts;
	struct tl_pidrole *execs, *children, *raceforks;
	int nexecs, nchildren, nraceforks;
	struct tl_held *held;
	int nheld;
	int nstrays;
	char stray[256];
	int done_rc;			    /* -1: no "fx done" line */
	unsigned long long t_start, t_done; /* fx start / fx done, CLOCK_MONOTONIC ns */
	struct tl_span {
		char role[32];
		unsigned long long t0, t1;
	} spans[8];
	int nspans;
	int race_forks, race_races;
	unsigned long race_sockets;
	int fill_from, fill_to; /* fx filled ... (fx_many_fds) */
	char other[65536];	/* stdout lines that are not facts (the tracer's text output) */
	/* the tracer (or the fixture when run alone) */
	int status;	    /* wait status */
	int exit_code;	    /* WEXITSTATUS, or 128+signal, or -1 on timeout */
	char err[4096];	    /* its stderr */
	struct json **recs; /* JSON Lines, in order */
	int nrecs;
	int bad_lines; /* lines that did not parse, or lack "v":1 / "type" */
	char bad[512];
	/* /proc/PID/fd of the held child */
	int proc_pid, proc_n;
	int proc_fd[64];
	char proc_target[64][256];
	char dir[64]; /* temporary directory */
};

struct tl_opts {
	int direct;		  /* run the fixture without the tracer */
	int hold;		  /* --hold: snapshot /proc of the first held child */
	const char *const *topts; /* extra tracer options (before --), NULL-terminated */
	const char *const *wrap;  /* run the tracer under this command (e.g. setpriv ...) */
	int timeout_ms;		  /* whole run (default 60000) */
	int no_json;		  /* do not pass --json -o FILE (e.g. text output tests) */
	const char *cmd;	  /* run this command instead of the fixture (unchecked) */
};

#define TL_GROW(arr, n)                                                                            \
	do {                                                                                       \
		if (((n) & ((n)-1)) == 0) {                                                        \
			void *p_ = realloc((arr), sizeof(*(arr)) * (size_t)((n) ? 2 * (n) : 1));   \
			if (!p_)                                                                   \
				bail("out of memory");                                             \
			(arr) = p_;                                                                \
		}                                                                                  \
	} while (0)

static inline const char *tl_kv(const char *line, const char *key, char *buf, size_t len)
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

static inline long long tl_kvi(const char *line, const char *key, long long def)
{
	char b[32];

	return tl_kv(line, key, b, sizeof(b)) ? strtoll(b, NULL, 10) : def;
}

static inline void tl_snapshot(struct tl_run *r, int pid)
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

static inline void tl_line(struct tl_run *r, const char *line, int *hold_w)
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

static inline void tl_read_json(struct tl_run *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return;
	while ((n = getline(&line, &cap, f)) > 0) {
		char err[128];
		struct json *j;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		j = json_parse(line, (size_t)n, err, sizeof(err));
		if (!j || json_get_int(j, "v", -1) != 1 || !json_get_str(j, "type", NULL)) {
			if (!r->bad_lines++)
				snprintf(r->bad, sizeof(r->bad), "%.100s: %.300s",
					 j ? "no v:1/type" : err, line);
			json_free(j);
			continue;
		}
		TL_GROW(r->recs, r->nrecs);
		r->recs[r->nrecs++] = j;
	}
	free(line);
	fclose(f);
}

static inline const char *tl_path(const char *rel, char *buf, size_t len)
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
static inline int tl_run(struct tl_run *r, const struct tl_opts *o, const char *fixture,
			 const char *const *fargs)
{
	char tracer[PATH_MAX], fx[PATH_MAX], rel[128], json_path[128], err_path[128];
	const char *argv[64];
	int argc = 0, out[2], in[2] = {-1, -1}, hold_w = -1, rc = 0, timeout_ms;
	char buf[65536];
	size_t have = 0;
	unsigned long long t_end;
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
	snprintf(rel, sizeof(rel), "t/helpers/%s", fixture);
	if (o->cmd)
		snprintf(fx, sizeof(fx), "%s", o->cmd);
	else
		tl_path(rel, fx, sizeof(fx));
	for (const char *const *w = o->wrap; w && *w; w++)
		argv[argc++] = *w;
	if (!o->direct) {
		argv[argc++] = tl_path("cloexec-trace", tracer, sizeof(tracer));
		if (!o->no_json) {
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

	if (pipe2(out, O_CLOEXEC) < 0 || (o->hold && pipe2(in, O_CLOEXEC) < 0))
		bail("failed to create a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		bail("failed to fork: %s", strerror(errno));
	if (pid == 0) {
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int i0 = o->hold ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (e < 0 || i0 < 0 || dup2(i0, 0) < 0 || dup2(out[1], 1) < 0 || dup2(e, 2) < 0)
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	tap_track_child(pid);
	close(out[1]);
	if (o->hold) {
		close(in[0]);
		hold_w = in[1];
	}
	/* Read the facts until EOF (every process of the run closed stdout). */
	t_end = lab_now_ns() + (unsigned long long)timeout_ms * 1000000ULL;
	for (;;) {
		struct pollfd p = {.fd = out[0], .events = POLLIN};
		long long left = (long long)(t_end - lab_now_ns()) / 1000000LL;
		ssize_t n;
		char *nl;

		if (lab_now_ns() >= t_end || poll(&p, 1, (int)(left > 0 ? left : 0)) == 0) {
			diag("%s: no EOF on stdout within %d ms: killing it", fixture, timeout_ms);
			rc = -1;
			break;
		}
		n = read(out[0], buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			tl_line(r, buf, &hold_w);
			memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
			have -= (size_t)(nl + 1 - buf);
		}
		if (have == sizeof(buf) - 1)
			have = 0; /* an overlong line: drop it */
	}
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
		struct sigaction ign = {.sa_handler = SIG_IGN}, old;

		lab_kill_reap(pid);
		/* The tracer's command and its children are in our process group (see
		 * tl_begin): take them down too, sparing ourselves. */
		if (getpgrp() == getpid()) {
			sigaction(SIGTERM, &ign, &old);
			kill(0, SIGTERM);
			sigaction(SIGTERM, &old, NULL);
		}
		r->exit_code = -1;
	} else {
		r->exit_code =
		    WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
	}
	tap_untrack_child(pid);
	{
		int e = open(err_path, O_RDONLY | O_CLOEXEC);

		if (e >= 0) {
			ssize_t n = read(e, r->err, sizeof(r->err) - 1);

			r->err[n > 0 ? n : 0] = '\0';
			close(e);
		}
	}
	tl_read_json(r, json_path);
	if (getenv("CLOEXEC_LAB_KEEP")) {
		diag("%s: output kept in %s", fixture, r->dir);
	} else {
		unlink(json_path);
		unlink(err_path);
		rmdir(r->dir);
	}
	return rc;
}

static inline void tl_free(struct tl_run *r)
{
	for (int i = 0; i < r->nrecs; i++)
		json_free(r->recs[i]);
	free(r->recs);
	free(r->facts);
	free(r->execs);
	free(r->children);
	free(r->raceforks);
	free(r->held);
	memset(r, 0, sizeof(*r));
}

/* ---- lookups ------------------------------------------------------------------------- */

static inline const struct tl_fact *tl_fact(const struct tl_run *r, const char *role)
{
	for (int i = 0; i < r->nfacts; i++)
		if (strcmp(r->facts[i].role, role) == 0)
			return &r->facts[i];
	return NULL;
}

static inline int tl_is(const struct json *j, const char *type)
{
	return strcmp(json_get_str(j, "type", ""), type) == 0;
}

static inline int tl_count(const struct tl_run *r, const char *type)
{
	int n = 0;

	for (int i = 0; i < r->nrecs; i++)
		n += tl_is(r->recs[i], type);
	return n;
}

/* The fd record of (pid, fd, ino); with several (fd reuse), the first. */
static inline const struct json *tl_fd_rec(const struct tl_run *r, int pid, int fd,
					   unsigned long long ino)
{
	for (int i = 0; i < r->nrecs; i++) {
		const struct json *j = r->recs[i];

		if (tl_is(j, "fd") && json_get_int(j, "pid", -1) == pid &&
		    json_get_int(j, "fd", -1) == fd &&
		    (unsigned long long)json_get_int(j, "ino", -1) == ino)
			return j;
	}
	return NULL;
}

/* Whether path's last component is name. */
static inline int tl_basename_is(const char *path, const char *name)
{
	const char *b = strrchr(path, '/');

	return strcmp(b ? b + 1 : path, name) == 0;
}

/* The exec records of pid, in order, except execs of the program named skip (the
 * fixture's own start, which has the same pid when it execs from a thread). */
static inline int tl_exec_recs(const struct tl_run *r, int pid, const char *skip,
			       const struct json **out, int max)
{
	int n = 0;

	for (int i = 0; i < r->nrecs; i++)
		if (tl_is(r->recs[i], "exec") && json_get_int(r->recs[i], "pid", -1) == pid &&
		    !(skip && tl_basename_is(json_get_str(r->recs[i], "filename", ""), skip))) {
			if (n < max)
				out[n] = r->recs[i];
			n++;
		}
	return n;
}

static inline const struct json *tl_last(const struct tl_run *r, const char *type)
{
	for (int i = r->nrecs - 1; i >= 0; i--)
		if (tl_is(r->recs[i], type))
			return r->recs[i];
	return NULL;
}

/* The inherited entry for fd in an exec record. */
static inline const struct json *tl_inherited(const struct json *exec, int fd)
{
	const struct json *inh = json_get(exec, "inherited");

	for (size_t i = 0; i < json_len(inh); i++)
		if (json_get_int(json_at(inh, i), "fd", -1) == fd)
			return json_at(inh, i);
	return NULL;
}

/* Whether s is one of the '|'-separated alternatives in alts. */
static inline int tl_one_of(const char *s, const char *alts)
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
static inline int tl_is_local6(const char *local, int port)
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
static inline void tl_target(const struct tl_fact *f, char *buf, size_t len)
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
static inline void tl_diag_run(const struct tl_run *r, const char *name)
{
	diag("%s: exit %d, %d JSON records, stderr: %.600s", name, r->exit_code, r->nrecs,
	     r->err[0] ? r->err : "(empty)");
	if (r->bad_lines)
		diag("%s: %d bad JSON lines, first: %s", name, r->bad_lines, r->bad);
}

/* ---- the truth table ----------------------------------------------------------------- */

#define TL_MAXW 16

struct tl_want {
	const char *role;
	const char *syscall; /* the tracer's "syscall" */
	const char *kind;    /* the tracer's "kind" (and the fixture's own view) */
	int cloexec;	     /* the kernel's bit at creation (cloexec_at_creation) */
	int requested;	     /* requested_cloexec */
	const char *verdict; /* atomic|late|never */
	const char *set_by;  /* for late: fcntl|ioctl */
	int redundant;	     /* redundant_setfd */
	const char *at_exec; /* leaked|passed, or NULL: must not be inherited */
	const char *reason;  /* for passed */
	int listen;	     /* a listening TCP socket */
	int in_child;	     /* created in the forked child (pid = exec pid) */
	const char *family;  /* sockets: a family the fixture must report (e.g. inet6) */
};

struct tl_case {
	const char *topic; /* create|exec|passing|scale */
	const char *name;  /* reads as a sentence: "<name>: ..." */
	const char *fixture;
	const char *args[4];
	int exit_want;	      /* the tracer's exit code with the default --fail-on */
	int execs;	      /* exec records of the child pid (2: through a shell) */
	const char *spawn;    /* accepted "spawn" values ('|'-separated), NULL: not asserted */
	int listen_fds;	      /* -1: null */
	int listen_pid_match; /* -1: null */
	struct tl_want w[TL_MAXW];
};

/* clang-format off */
#define SOCK_NEVER(r, sc) { r, sc, "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 0, NULL }
#define ANON_NEVER(r, sc, k) { r, sc, k, 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL }
#define ANON_ATOMIC(r, sc, k) { r, sc, k, 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL }
#define SOCK_ATOMIC(r, sc) { r, sc, "tcp", 1, 1, "atomic", NULL, 0, NULL, NULL, 1, 0, NULL }

static const struct tl_case tl_cases[] = {
	{ "create", "plain socket()", "fx_socket_plain", { NULL }, 1, 1, "fork", -1, -1,
	  { SOCK_NEVER("sock", "socket") } },
	{ "create", "socket() then F_SETFD", "fx_socket_late", { NULL }, 0, 1, NULL, -1, -1,
	  { { "sock", "socket", "tcp", 0, 0, "late", "fcntl", 0, NULL, NULL, 1, 0, NULL } } },
	{ "create", "socket() then FIOCLEX", "fx_fioclex", { NULL }, 0, 1, NULL, -1, -1,
	  { { "sock", "socket", "tcp", 0, 0, "late", "ioctl", 0, NULL, NULL, 1, 0, NULL } } },
	{ "create", "socket(SOCK_CLOEXEC)", "fx_socket_atomic", { NULL }, 0, 1, NULL, -1, -1,
	  { SOCK_ATOMIC("tcp", "socket"),
	    { "udp", "socket", "udp", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL } } },
	{ "create", "SOCK_CLOEXEC plus redundant F_SETFD/FIOCLEX", "fx_socket_redundant", { NULL },
	  0, 1, NULL, -1, -1,
	  { { "once", "socket", "tcp", 1, 1, "atomic", NULL, 1, NULL, NULL, 1, 0, NULL },
	    { "twice", "socket", "tcp", 1, 1, "atomic", NULL, 2, NULL, NULL, 1, 0, NULL } } },
	{ "create", "accept() vs accept4(SOCK_CLOEXEC)", "fx_accept", { NULL }, 1, 1, NULL, -1, -1,
	  { SOCK_ATOMIC("listener", "socket"),
	    { "client1", "socket", "tcp", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    { "accepted", "accept", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "client2", "socket", "tcp", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    { "accepted4", "accept4", "tcp", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL } } },
	{ "create", "dup2 onto fd 7", "fx_dup2", { NULL }, 1, 1, NULL, -1, -1,
	  { SOCK_ATOMIC("orig", "socket"), SOCK_NEVER("dup7", "dup2") } },
	/* verdict NULL: the bit was set at creation and cleared later; SCHEMA.md defines
	 * no verdict for that, the leak at exec is what must be reported. */
	{ "create", "SOCK_CLOEXEC then FIONCLEX", "fx_fionclex", { NULL }, 1, 1, NULL, -1, -1,
	  { { "sock", "socket", "tcp", 1, 1, NULL, NULL, 0, "leaked", NULL, 1, 0, NULL } } },
	{ "create", "pipe vs pipe2(O_CLOEXEC)", "fx_pipe", { NULL }, 1, 1, NULL, -1, -1,
	  { { "pipe_r", "pipe", "pipe", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "pipe_w", "pipe", "pipe", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "pipe2_r", "pipe2", "pipe", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "pipe2_w", "pipe2", "pipe", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "cpipe_r", "pipe2", "pipe", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    { "cpipe_w", "pipe2", "pipe", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL } } },
	{ "create", "F_DUPFD/dup vs F_DUPFD_CLOEXEC/dup3", "fx_dupfd", { NULL }, 1, 1, NULL, -1, -1,
	  { SOCK_ATOMIC("orig", "socket"), SOCK_NEVER("dupfd", "fcntl_dupfd"),
	    SOCK_ATOMIC("dupfd_cloexec", "fcntl_dupfd_cloexec"), SOCK_NEVER("dup", "dup"),
	    SOCK_ATOMIC("dup3_cloexec", "dup3") } },
	{ "create", "openat/open with and without O_CLOEXEC", "fx_openat", { NULL }, 1, 1, NULL, -1,
	  -1,
	  { { "plain", "openat", "file", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "cloexec", "openat", "file", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    { "legacy_open", "open", "file", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL } } },
	{ "create", "socketpair with and without SOCK_CLOEXEC", "fx_socketpair", { NULL }, 1, 1,
	  NULL, -1, -1,
	  { { "pair_a", "socketpair", "unix", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "pair_b", "socketpair", "unix", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "cpair_a", "socketpair", "unix", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    { "cpair_b", "socketpair", "unix", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL } } },
	{ "create", "SCM_RIGHTS with and without MSG_CMSG_CLOEXEC", "fx_scm_rights", { NULL }, 1,
	  1, NULL, -1, -1,
	  { { "chan_a", "socketpair", "unix", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    { "chan_b", "socketpair", "unix", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
	    SOCK_ATOMIC("sent", "socket"), SOCK_NEVER("recv_plain", "recvmsg"),
	    SOCK_ATOMIC("recv_cloexec", "recvmsg") } },
	{ "create", "a socket of each kind", "fx_kinds", { NULL }, 1, 1, NULL, -1, -1,
	  { { "udp", "socket", "udp", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0, NULL },
	    { "tcp6", "socket", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 0, "inet6" },
	    { "unix", "socket", "unix", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 0, NULL },
	    { "netlink", "socket", "netlink", 0, 0, "never", NULL, 0, "leaked", NULL, 0, 0,
	      NULL } } },
	{ "create", "eventfd/epoll/timerfd/signalfd/inotify/memfd with and without the flag",
	  "fx_anon", { NULL }, 1, 1, NULL, -1, -1,
	  { ANON_NEVER("eventfd", "eventfd2", "other"), ANON_ATOMIC("eventfd_c", "eventfd2", "other"),
	    ANON_NEVER("epoll", "epoll_create1", "other"),
	    ANON_ATOMIC("epoll_c", "epoll_create1", "other"),
	    ANON_NEVER("timerfd", "timerfd_create", "other"),
	    ANON_ATOMIC("timerfd_c", "timerfd_create", "other"),
	    ANON_NEVER("signalfd", "signalfd4", "other"),
	    ANON_ATOMIC("signalfd_c", "signalfd4", "other"),
	    ANON_NEVER("inotify", "inotify_init1", "other"),
	    ANON_ATOMIC("inotify_c", "inotify_init1", "other"),
	    ANON_NEVER("memfd", "memfd_create", "file"),
	    ANON_ATOMIC("memfd_c", "memfd_create", "file") } },
	{ "create", "close_range(CLOSE_RANGE_CLOEXEC), creat, openat2", "fx_close_range", { NULL },
	  1, 1, NULL, -1, -1,
	  { { "sock", "socket", "tcp", 0, 0, "late", "close_range", 0, NULL, NULL, 1, 0, NULL },
	    ANON_NEVER("creat", "creat", "file"), ANON_ATOMIC("openat2", "openat2", "file") } },
	{ "create", "a named FIFO with and without O_CLOEXEC", "fx_fifo", { NULL }, 1, 1, NULL, -1,
	  -1, { ANON_NEVER("fifo", "openat", "pipe"), ANON_ATOMIC("fifo_c", "openat", "pipe") } },
	{ "create", "closed fds, a reused fd number, dup2 onto stdin", "fx_reuse", { NULL }, 0, 1,
	  NULL, -1, -1,
	  { { "first", "socket", "tcp", 0, 0, "never", NULL, 0, NULL, NULL, 1, 0, NULL },
	    SOCK_ATOMIC("reused", "socket"),
	    { "ranged", "socket", "tcp", 0, 0, "never", NULL, 0, NULL, NULL, 0, 0, NULL } } },
	{ "exec", "the forked child closes or sets cloexec before exec", "fx_child_close", { NULL },
	  0, 1, "fork", -1, -1,
	  { { "closed", "socket", "tcp", 0, 0, "never", NULL, 0, NULL, NULL, 1, 0, NULL },
	    { "set_in_child", "socket", "tcp", 0, 0, "never", NULL, 0, NULL, NULL, 1, 0, NULL } } },
	{ "exec", "exec from a non-leader thread", "fx_thread_exec", { NULL }, 1, 1, "thread", -1,
	  -1, { SOCK_NEVER("sock", "socket") } },
	{ "exec", "vfork+exec", "fx_vfork", { NULL }, 1, 1, "vfork", -1, -1,
	  { SOCK_NEVER("sock", "socket") } },
	{ "exec", "posix_spawn", "fx_posix_spawn", { NULL }, 1, 1, "posix_spawn", -1, -1,
	  { SOCK_NEVER("sock", "socket") } },
	{ "exec", "a shell in between", "fx_shell", { NULL }, 1, 2, NULL, -1, -1,
	  { SOCK_NEVER("sock", "socket") } },
	/* the clone(CLONE_FILES) child execs before the parent's F_SETFD: late, yet leaked */
	{ "exec", "a CLONE_FILES child execs inside a late window", "fx_clone_files", { NULL }, 1, 1,
	  "clone", -1, -1,
	  { { "sock", "socket", "tcp", 0, 0, "late", "fcntl", 0, "leaked", NULL, 1, 0, NULL } } },
	{ "passing", "Go-style LISTEN_FDS=1 passing", "fx_listen_fds", { "pass" }, 0, 1, NULL, 1, 1,
	  { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
	    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "passed", "LISTEN_FDS", 1, 1, NULL } } },
	{ "passing", "fd 3 without LISTEN_FDS", "fx_listen_fds", { "noenv" }, 1, 1, NULL, -1, -1,
	  { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
	    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	{ "passing", "LISTEN_PID naming another process", "fx_listen_fds", { "wrongpid" }, 1, 1,
	  NULL, 1, 0,
	  { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
	    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	/* sd_listen_fds rejects malformed variables and passes nothing */
	{ "passing", "LISTEN_PID that is not a number", "fx_listen_fds", { "badpid" }, 1, 1, NULL, 1,
	  0, { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
	       { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	{ "passing", "LISTEN_FDS that is not a number", "fx_listen_fds", { "badfds" }, 1, 1, NULL,
	  -1, -1, { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
		    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	{ "passing", "LISTEN_FDS=INT_MAX (invalid)", "fx_listen_fds", { "hugefds" }, 1, 1, NULL,
	  -1, -1, { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
		    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	{ "passing", "LISTEN_FDS=0 before a second LISTEN_FDS=1", "fx_listen_fds", { "dupenv" }, 1,
	  1, NULL, 0, 1,
	  { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"),
	    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	{ "passing", "fd 4 beyond LISTEN_FDS=1", "fx_listen_fds", { "extra" }, 1, 1, NULL, 1, 1,
	  { SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec"), SOCK_ATOMIC("other", "socket"),
	    { "fd3", "dup2", "tcp", 0, 0, "never", NULL, 0, "passed", "LISTEN_FDS", 1, 1, NULL },
	    { "fd4", "dup2", "tcp", 0, 0, "never", NULL, 0, "leaked", NULL, 1, 1, NULL } } },
	{ "scale", "3000 atomic fds and a leak at the top", "fx_many_fds", { "3000" }, 1, 1, NULL,
	  -1, -1, { { "base", "socket", "tcp", 1, 1, "atomic", NULL, 0, NULL, NULL, 0, 0, NULL },
		    SOCK_NEVER("leak", "socket") } },
};
/* clang-format on */

#define TL_NCASES ((int)(sizeof(tl_cases) / sizeof(tl_cases[0])))

static inline int tl_nwant(const struct tl_case *tc)
{
	int n = 0;

	while (n < TL_MAXW && tc->w[n].role)
		n++;
	return n;
}

/* The pid whose exec(s) of fx_child the case is about. */
static inline int tl_child_pid(const struct tl_run *r)
{
	return r->nexecs ? r->execs[r->nexecs - 1].pid : -1;
}

/*
 * Truth checks (no tracer needed): the fixture ran cleanly, the kernel's bit at
 * creation is what the table says, and fx_child holds exactly the fds the table
 * says survive exec. Returns the number of failed checks.
 */
static inline int tl_check_truth(const struct tl_run *r, const struct tl_case *tc)
{
	int failed = tap_tests_failed(), child = tl_child_pid(r), nw = tl_nwant(tc), want_held = 0;

	is_int(r->done_rc, 0, "%s: the fixture finished cleanly", tc->name);
	if (!is_int(r->nstrays, 0, "%s: the fixture inherited no fds >= 3", tc->name))
		diag("first stray: %s", r->stray);
	is_int(r->nexecs, 1, "%s: the fixture exec'd one child", tc->name);
	for (int i = 0; i < nw; i++) {
		const struct tl_want *w = &tc->w[i];
		const struct tl_fact *f = tl_fact(r, w->role);
		char t[300];
		int found = 0;

		if (!ok(f != NULL, "%s: the fixture reported fd '%s'", tc->name, w->role)) {
			skip(2, "no fact");
			continue;
		}
		is_int(f->cloexec, w->cloexec, "%s: fd %d (%s) has close-on-exec=%d at creation",
		       tc->name, f->fd, w->role, w->cloexec);
		is_str(f->kind, w->kind, "%s: fd %d (%s) is of kind %s", tc->name, f->fd, w->role,
		       w->kind);
		if (w->family)
			is_str(f->family, w->family, "%s: fd %d (%s) is of family %s", tc->name,
			       f->fd, w->role, w->family);
		tl_target(f, t, sizeof(t));
		for (int h = 0; h < r->nheld; h++)
			if (r->held[h].pid == child && r->held[h].fd == f->fd &&
			    strcmp(r->held[h].target, t) == 0)
				found = 1;
		if (w->at_exec)
			want_held++;
		is_int(found, w->at_exec != NULL, "%s: the exec'd child %s fd %d (%s)", tc->name,
		       w->at_exec ? "holds" : "does not hold", f->fd, t);
	}
	for (int c = 0; c < r->nchildren; c++)
		if (r->children[c].pid == child)
			is_int(r->children[c].n, want_held,
			       "%s: the exec'd child holds exactly %d fds >= 3", tc->name,
			       want_held);
	return tap_tests_failed() - failed;
}

/*
 * The tracer's records against the truth: every fd record, the exec record(s) of
 * the child and their inherited list (exactly), the summary and the exit code.
 */
static inline int tl_check_case(const struct tl_run *r, const struct tl_case *tc)
{
	const struct json *ex[4], *sum = tl_last(r, "summary"), *start;
	int failed = tap_tests_failed(), child = tl_child_pid(r), nw = tl_nwant(tc), nex;
	int want_leaked = 0, want_passed = 0, want_inh = 0, want_races = 0;
	int thread = tc->spawn && !strcmp(tc->spawn, "thread");
	char comm[16];
	unsigned long long t;

	/* The kernel's comm: the fixture's name cut to 15 bytes. */
	snprintf(comm, sizeof(comm), "%s", tc->fixture);

	is_int(r->exit_code, tc->exit_want, "%s: the tracer exits %d", tc->name, tc->exit_want);
	is_int(r->bad_lines, 0, "%s: every output line is JSON with \"v\":1 and a type", tc->name);
	if (!is_int(r->nstrays, 0, "%s: the tracer leaks no fd >= 3 into the command", tc->name))
		diag("first stray: %s", r->stray);
	is_int(r->done_rc, 0, "%s: the fixture finished cleanly under the tracer", tc->name);
	start = r->nrecs ? r->recs[0] : NULL;
	is_str(json_get_str(start, "type", ""), "start", "%s: the first record is start", tc->name);
	is_str(json_get_str(start, "tool", ""), "cloexec-trace", "%s: start names the tool",
	       tc->name);
	is_str(json_get_str(start, "scope", ""), "command", "%s: the scope is command", tc->name);
	if (r->nfacts && !tc->w[0].in_child)
		is_int(json_get_int(start, "pid", -1), r->facts[0].pid,
		       "%s: start names the command's pid", tc->name);
	ok(r->nrecs && r->recs[r->nrecs - 1] == sum, "%s: the last record is the summary",
	   tc->name);

	/* fd records; none for fds 0-2 (SCHEMA.md) */
	for (int i = 0, low = 0; i <= r->nrecs; i++) {
		if (i == r->nrecs) {
			is_int(low, 0, "%s: no fd record for fds 0-2", tc->name);
			break;
		}
		low += tl_is(r->recs[i], "fd") && json_get_int(r->recs[i], "fd", -1) < 3;
	}
	for (int i = 0; i < nw; i++) {
		const struct tl_want *w = &tc->w[i];
		const struct tl_fact *f = tl_fact(r, w->role);
		const struct json *j;
		const char *sk;

		if (!f) {
			ok(0, "%s: the fixture reported fd '%s'", tc->name, w->role);
			continue;
		}
		j = tl_fd_rec(r, f->pid, f->fd, f->ino);
		if (!ok(j != NULL, "%s: an fd record for pid %d fd %d ino %llu (%s)", tc->name,
			f->pid, f->fd, f->ino, w->role)) {
			skip(1, "no record");
			continue;
		}
		is_str(json_get_str(j, "syscall", ""), w->syscall, "%s: %s was made by %s",
		       tc->name, w->role, w->syscall);
		is_str(json_get_str(j, "kind", ""), w->kind, "%s: %s is of kind %s", tc->name,
		       w->role, w->kind);
		is_int(json_get_bool(j, "cloexec_at_creation", -1), w->cloexec,
		       "%s: %s cloexec_at_creation is %s", tc->name, w->role,
		       w->cloexec ? "true" : "false");
		is_int(json_get_bool(j, "requested_cloexec", -1), w->requested,
		       "%s: %s requested_cloexec is %s", tc->name, w->role,
		       w->requested ? "true" : "false");
		if (w->verdict)
			is_str(json_get_str(j, "verdict", ""), w->verdict, "%s: %s is %s", tc->name,
			       w->role, w->verdict);
		else
			ok(tl_one_of(json_get_str(j, "verdict", ""), "atomic|late|never"),
			   "%s: %s has a verdict (%s)", tc->name, w->role,
			   json_get_str(j, "verdict", "none"));
		if (w->verdict && strcmp(w->verdict, "late") == 0) {
			cmp_int(json_get_int(j, "late_ns", -1), ">", 0, "%s: %s late_ns > 0",
				tc->name, w->role);
			is_str(json_get_str(j, "set_by", ""), w->set_by,
			       "%s: %s was set late by %s", tc->name, w->role, w->set_by);
		} else if (w->verdict) {
			/* SCHEMA.md: late_ns and set_by only for late. */
			ok(!json_get(j, "late_ns") && !json_get(j, "set_by"),
			   "%s: %s has no late_ns/set_by", tc->name, w->role);
		}
		cmp_int(json_get_int(j, "t_ns", 0), ">", 0, "%s: %s has a timestamp", tc->name,
			w->role);
		is_int(json_get_int(j, "redundant_setfd", 0), w->redundant,
		       "%s: %s had %d redundant F_SETFD/FIOCLEX", tc->name, w->role, w->redundant);
		sk = json_get_str(j, "comm", "");
		is_str(sk, comm, "%s: %s record names the comm %s", tc->name, w->role, comm);
		is_int(json_get_int(j, "tid", -1), f->pid, "%s: %s was made by the main thread",
		       tc->name, w->role);
		t = (unsigned long long)json_get_int(j, "t_ns", 0);
		ok(r->t_start && r->t_done && t >= r->t_start && t <= r->t_done,
		   "%s: %s t_ns is within the fixture's run", tc->name, w->role);
		for (int k = 0; k < r->nspans; k++) {
			const struct tl_span *sp = &r->spans[k];

			if (strcmp(sp->role, w->role))
				continue;
			ok(t >= sp->t0 && t <= sp->t1,
			   "%s: %s t_ns is within its window [%llu, %llu]", tc->name, w->role,
			   sp->t0, sp->t1);
			if (w->verdict && !strcmp(w->verdict, "late"))
				cmp_int(json_get_int(j, "late_ns", -1),
					"<=", (long long)(sp->t1 - sp->t0),
					"%s: %s late_ns fits the fixture's own window", tc->name,
					w->role);
		}
		if (f->family[0]) {
			is_str(json_get_str(j, "family", ""), f->family, "%s: %s family is %s",
			       tc->name, w->role, f->family);
			is_str(json_get_str(j, "sock_type", ""), f->type, "%s: %s sock_type is %s",
			       tc->name, w->role, f->type);
		}
		if (w->at_exec) {
			want_inh++;
			if (!strcmp(w->at_exec, "leaked"))
				want_leaked++;
			else
				want_passed++;
		}
	}

	/* exec records of the child */
	nex = tl_exec_recs(r, child, tc->fixture, ex, 4);
	if (!is_int(nex, tc->execs, "%s: %d exec record(s) for the child pid %d", tc->name,
		    tc->execs, child))
		nex = nex > 4 ? 4 : nex;
	for (int e = 0; e < nex; e++) {
		const struct json *x = ex[e], *inh = json_get(x, "inherited");
		const char *fn = json_get_str(x, "filename", "");
		int last = e == nex - 1;

		if (last) {
			ok(tl_basename_is(fn, "fx_child"), "%s: the last exec is fx_child (%s)",
			   tc->name, fn);
			is_str(json_get_str(x, "comm", ""), "fx_child",
			       "%s: the exec'd comm is fx_child", tc->name);
		}
		is_str(json_get_str(x, "old_comm", ""), e == 0 ? comm : "sh",
		       "%s: exec %d old_comm is %s", tc->name, e + 1, e == 0 ? comm : "sh");
		if (!thread) {
			t = (unsigned long long)json_get_int(x, "t_ns", 0);
			ok(t >= r->t_start && t <= r->t_done,
			   "%s: exec %d t_ns is within the fixture's run", tc->name, e + 1);
			if (r->nfacts && !tc->w[0].in_child)
				is_int(json_get_int(x, "ppid", -1), r->facts[0].pid,
				       "%s: exec %d ppid is the fixture", tc->name, e + 1);
		}
		if (last && tc->spawn)
			ok(tl_one_of(json_get_str(x, "spawn", ""), tc->spawn),
			   "%s: the child was spawned by %s (%s)", tc->name, tc->spawn,
			   json_get_str(x, "spawn", "none"));
		if (last) {
			const struct json *lf = json_get(x, "listen_fds");
			const struct json *lm = json_get(x, "listen_pid_match");

			if (tc->listen_fds < 0)
				ok(json_is_null(lf) || !lf, "%s: listen_fds is null", tc->name);
			else
				is_int(json_int(lf, -1), tc->listen_fds, "%s: listen_fds is %d",
				       tc->name, tc->listen_fds);
			if (tc->listen_pid_match < 0)
				ok(json_is_null(lm) || !lm, "%s: listen_pid_match is null",
				   tc->name);
			else
				is_int(json_bool(lm, -1), tc->listen_pid_match,
				       "%s: listen_pid_match is %s", tc->name,
				       tc->listen_pid_match ? "true" : "false");
		}
		if (!is_int((long long)json_len(inh), want_inh,
			    "%s: exec %d of pid %d inherited exactly %d fds", tc->name, e + 1,
			    child, want_inh))
			for (size_t k = 0; k < json_len(inh); k++)
				diag("inherited fd %lld ino %lld %s",
				     json_get_int(json_at(inh, k), "fd", -1),
				     json_get_int(json_at(inh, k), "ino", -1),
				     json_get_str(json_at(inh, k), "verdict", "?"));
		for (int i = 0; i < nw; i++) {
			const struct tl_want *w = &tc->w[i];
			const struct tl_fact *f = tl_fact(r, w->role);
			const struct json *it, *cr;

			if (!f || !w->at_exec)
				continue;
			it = tl_inherited(x, f->fd);
			if (!ok(it != NULL, "%s: exec %d lists fd %d (%s) as inherited", tc->name,
				e + 1, f->fd, w->role)) {
				skip(1, "not listed");
				continue;
			}
			is_int(json_get_int(it, "ino", -1), (long long)f->ino,
			       "%s: inherited fd %d is the fixture's inode", tc->name, f->fd);
			is_str(json_get_str(it, "verdict", ""), w->at_exec,
			       "%s: inherited fd %d is %s", tc->name, f->fd, w->at_exec);
			if (w->reason)
				is_str(json_get_str(it, "reason", ""), w->reason,
				       "%s: fd %d passed because of %s", tc->name, f->fd,
				       w->reason);
			else if (!strcmp(w->at_exec, "leaked"))
				/* SCHEMA.md: null for a leak whose creator is known. */
				ok(json_is_null(json_get(it, "reason")),
				   "%s: leaked fd %d has reason null (%s)", tc->name, f->fd,
				   json_str(json_get(it, "reason"), "null"));
			is_str(json_get_str(it, "kind", ""), w->kind, "%s: inherited fd %d is %s",
			       tc->name, f->fd, w->kind);
			if (tl_one_of(w->kind, "tcp|udp")) {
				char local[64];

				if (w->family && !strcmp(w->family, "inet6")) {
					ok(tl_is_local6(json_get_str(it, "local", ""), f->port),
					   "%s: inherited fd %d is bound to [::1]:%d (%s)",
					   tc->name, f->fd, f->port, json_get_str(it, "local", ""));
				} else {
					snprintf(local, sizeof(local), "127.0.0.1:%d", f->port);
					is_str(json_get_str(it, "local", ""), local,
					       "%s: inherited fd %d is bound to %s", tc->name,
					       f->fd, local);
				}
			}
			if (tl_one_of(w->kind, "tcp|udp|unix"))
				is_int(json_get_bool(it, "listen", -1), w->listen,
				       "%s: inherited fd %d listen is %s", tc->name, f->fd,
				       w->listen ? "true" : "false");
			if (!strcmp(w->kind, "unix") && f->path[0])
				is_str(json_get_str(it, "path", ""), f->path,
				       "%s: inherited fd %d has the socket's path", tc->name,
				       f->fd);
			if (!strcmp(w->kind, "file"))
				is_str(json_get_str(it, "path", ""), f->path,
				       "%s: inherited fd %d has the file's path", tc->name, f->fd);
			if (!strcmp(w->kind, "pipe")) {
				char pp[300];

				tl_target(f, pp, sizeof(pp));
				is_str(json_get_str(it, "path", ""), pp,
				       "%s: inherited fd %d has the pipe's path", tc->name, f->fd);
			}
			cr = json_get(it, "creator");
			is_int(json_get_int(cr, "pid", -1), f->pid,
			       "%s: fd %d was created by pid %d", tc->name, f->fd, f->pid);
			is_str(json_get_str(cr, "syscall", ""), w->syscall,
			       "%s: fd %d creator syscall is %s", tc->name, f->fd, w->syscall);
			if (w->verdict)
				is_str(json_get_str(cr, "verdict", ""), w->verdict,
				       "%s: fd %d creator verdict is %s", tc->name, f->fd,
				       w->verdict);
		}
	}
	/* The tracer's list agrees with what fx_child saw from inside. */
	if (nex > 0) {
		const struct json *x = ex[nex - 1];
		int agree = 1, seen = 0;

		for (int h = 0; h < r->nheld; h++) {
			if (r->held[h].pid != child)
				continue;
			seen++;
			if (!tl_inherited(x, r->held[h].fd)) {
				agree = 0;
				diag("fx_child holds fd %d (%s), the tracer does not list it",
				     r->held[h].fd, r->held[h].target);
			}
		}
		ok(agree && seen == (int)json_len(json_get(x, "inherited")),
		   "%s: the inherited list matches fx_child's own view (%d fds)", tc->name, seen);
	}

	/* summary */
	if (ok(sum != NULL, "%s: there is a summary", tc->name)) {
		int nfd = tl_count(r, "fd"), nat = 0, nlate = 0, nnever = 0, leaked = 0, passed = 0;

		for (int i = 0; i < r->nrecs; i++) {
			const struct json *j = r->recs[i];
			const char *v = json_get_str(j, "verdict", "");

			if (tl_is(j, "fd")) {
				nat += !strcmp(v, "atomic");
				nlate += !strcmp(v, "late");
				nnever += !strcmp(v, "never");
			} else if (tl_is(j, "exec")) {
				const struct json *inh = json_get(j, "inherited");

				for (size_t k = 0; k < json_len(inh); k++) {
					v = json_get_str(json_at(inh, k), "verdict", "");
					leaked += !strcmp(v, "leaked");
					passed += !strcmp(v, "passed");
				}
			}
		}
		is_int(json_get_int(sum, "lost", -1), 0, "%s: no records were lost", tc->name);
		is_int(tl_count(r, "lost"), 0, "%s: no lost record", tc->name);
		is_int(json_get_int(sum, "fds", -1), nfd, "%s: summary fds = fd records (%d)",
		       tc->name, nfd);
		is_int(json_get_int(sum, "atomic", -1), nat, "%s: summary atomic = %d", tc->name,
		       nat);
		is_int(json_get_int(sum, "late", -1), nlate, "%s: summary late = %d", tc->name,
		       nlate);
		is_int(json_get_int(sum, "never", -1), nnever, "%s: summary never = %d", tc->name,
		       nnever);
		is_int(json_get_int(sum, "execs", -1), tl_count(r, "exec"),
		       "%s: summary execs = exec records", tc->name);
		is_int(json_get_int(sum, "leaked", -1), want_leaked * tc->execs,
		       "%s: summary leaked = %d", tc->name, want_leaked * tc->execs);
		is_int(leaked, want_leaked * tc->execs, "%s: %d leaked entries in exec records",
		       tc->name, want_leaked * tc->execs);
		is_int(json_get_int(sum, "passed", -1), want_passed * tc->execs,
		       "%s: summary passed = %d", tc->name, want_passed * tc->execs);
		is_int(passed, want_passed * tc->execs, "%s: %d passed entries in exec records",
		       tc->name, want_passed * tc->execs);
		/* a late fd the child inherited: its exec copied the fd inside the window */
		for (int k = 0; k < tl_nwant(tc); k++)
			want_races += tc->w[k].verdict && !strcmp(tc->w[k].verdict, "late") &&
				      tc->w[k].at_exec && !strcmp(tc->w[k].at_exec, "leaked");
		is_int(json_get_int(sum, "races", -1), want_races * tc->execs,
		       "%s: summary races = %d", tc->name, want_races * tc->execs);
		is_int(tl_count(r, "race"), want_races * tc->execs, "%s: %d race records", tc->name,
		       want_races * tc->execs);
		for (int i = 0; i < r->nrecs; i++) {
			const struct json *j = r->recs[i];
			const struct tl_fact *f = NULL;

			if (!tl_is(j, "race"))
				continue;
			for (int k = 0; k < r->nfacts && !f; k++)
				if (r->facts[k].fd == json_get_int(j, "fd", -2) &&
				    r->facts[k].ino == (unsigned long long)json_get_int(j, "ino", -2))
					f = &r->facts[k];
			ok(f && json_get_int(j, "creator_pid", -1) == f->pid &&
				   json_get_int(j, "exec_pid", -1) == tl_child_pid(r) &&
				   json_get_int(j, "fork_child", -1) == tl_child_pid(r) &&
				   json_get_int(j, "window_ns", -1) > 0,
			   "%s: the race names the fixture's fd %lld, its creator, the child %d and "
			   "a window",
			   tc->name, json_get_int(j, "fd", -1), tl_child_pid(r));
		}
		is_int(json_get_int(sum, "exit_code", -1), r->exit_code,
		       "%s: summary exit_code = the exit status", tc->name);
	}
	if (tap_tests_failed() != failed)
		tl_diag_run(r, tc->name);
	return tap_tests_failed() - failed;
}

/*
 * Start of every trace test: bounded in time, clean fds, and leader of its own process
 * group, so a timeout (tap's alarm, or tl_run's) takes down the tracer's command and
 * every child it left, not only the processes the test knows.
 */
static inline void tl_begin(unsigned timeout_s)
{
	lab_clean_fds(0);
	tap_timeout(timeout_s);
	if (getpgrp() != getpid() && setpgid(0, 0) < 0)
		diag("cannot lead a process group (%s): a timeout may leave processes behind",
		     strerror(errno));
}

/* Common start of a trace test: tl_begin, BPF usable or SKIP, tracer built. */
static inline void tl_start(unsigned timeout_s)
{
	char why[256], p[PATH_MAX];

	tl_begin(timeout_s);
	if (!lab_bpf_usable(why, sizeof(why)))
		skip_all("%s", why);
	tl_path("cloexec-trace", p, sizeof(p));
	tl_path("t/helpers/fx_child", p, sizeof(p));
}

/* Run every case of a topic under the tracer and check it. */
static inline void tl_run_topic(const char *topic)
{
	for (int i = 0; i < TL_NCASES; i++) {
		const struct tl_case *tc = &tl_cases[i];
		struct tl_opts o = {0};
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

#endif
