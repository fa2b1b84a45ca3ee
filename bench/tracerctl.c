// SPDX-License-Identifier: MIT
/*
 * tracerctl.c - start/stop cloexec-trace or cloexec-floor beside a benchmark (tracerctl.h):
 * fork, hand over the ready pipe (fd 3) and the JSON output (fd 4) with every other fd
 * close-on-exec, wait for "ready" (and take the program's CPU time then: its start-up), and
 * at the end SIGINT, wait4 (rusage), drain the output and read the summary record.
 */
#define _GNU_SOURCE
#include "tracerctl.h"
#include "lab.h"
#include "tjson.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS	 10000
#define READY_FD	 3 /* the program's --ready-fd */
#define JSON_FD		 4 /* the tracer's -o /dev/fd/4 */

const char *tc_kind_name(enum tc_kind k)
{
	return k == TC_FLOOR ? "floor" : k == TC_TRACER ? "tracer" : "untraced";
}

const char *tc_path(enum tc_kind k, char *buf, size_t len)
{
	return lab_build_path(k == TC_FLOOR ? "bench/cloexec-floor" : "cloexec-trace", buf, len);
}

int tc_check_program(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		snprintf(why, len, "%s is not an executable file", path);
		return -1;
	}
	return 0;
}

/* One thread's CPU time: the first field of /proc/PID/task/TID/schedstat, in ns. */
static double task_cpu_s(int dirfd_task, const char *tid)
{
	char path[300], buf[128];
	unsigned long long ns;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/schedstat", tid);
	fd = openat(dirfd_task, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return sscanf(buf, "%llu", &ns) == 1 ? (double)ns / 1e9 : -1;
}

double tc_proc_cpu_s(pid_t pid)
{
	char path[64];
	double sum = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		double c;

		if (e->d_name[0] == '.')
			continue;
		c = task_cpu_s(dirfd(d), e->d_name);
		if (c > 0)
			sum += c;
	}
	closedir(d);
	return sum;
}

/* A record's type: the value of the "type" key near the start of the line. */
static int line_type(const char *l, const char *type)
{
	const char *k = strstr(l, "\"type\":\"");
	size_t n = strlen(type);

	return k && k - l < 48 && !strncmp(k + 8, type, n) && k[8 + n] == '"';
}

/* A finding and what it carries (tc_scan). The line ends in a NUL. */
static void scan_line(struct tc_scan *f, const char *l)
{
	const char *ln;
	int finding;

	f->lines++;
	if (line_type(l, "fd"))
		finding = strstr(l, "\"verdict\":\"never\"") || strstr(l, "\"verdict\":\"late\"");
	else if (line_type(l, "exec"))
		finding = strstr(l, "\"verdict\":\"leaked\"") != NULL;
	else
		finding = line_type(l, "site") || line_type(l, "race");
	if (!finding)
		return;
	f->findings++;
	if (strstr(l, "\"frames\":[{"))
		f->with_stack++;
	for (ln = strstr(l, "\"line\":"); ln; ln = strstr(ln + 7, "\"line\":")) {
		if (ln[7] >= '0' && ln[7] <= '9') {
			f->with_line++;
			break;
		}
	}
}

#define SCAN_LINE_MAX (4u << 20) /* longer lines are judged by their first 4 MiB */

static void scan_bytes(struct tc_sink *s, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (s->line_len + take + 1 > s->line_cap && s->line_len < SCAN_LINE_MAX) {
			size_t cap = (s->line_len + take + 1) * 2;
			char *l =
			    realloc(s->line, cap < SCAN_LINE_MAX + 1 ? cap : SCAN_LINE_MAX + 1);

			if (l) {
				s->line = l;
				s->line_cap = cap < SCAN_LINE_MAX + 1 ? cap : SCAN_LINE_MAX + 1;
			}
		}
		if (s->line_len + 1 < s->line_cap) {
			size_t room = s->line_cap - s->line_len - 1;

			memcpy(s->line + s->line_len, p, take < room ? take : room);
			s->line_len += take < room ? take : room;
		}
		if (!nl)
			return;
		if (s->line) {
			s->line[s->line_len] = 0;
			scan_line(&s->found, s->line);
		}
		s->line_len = 0;
		p = nl + 1;
		n -= take + 1;
	}
}

static void *sink_main(void *arg)
{
	struct tc_sink *s = arg;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		n = read(s->rfd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		__atomic_add_fetch(&s->bytes, (uint64_t)n, __ATOMIC_RELAXED);
		if (s->scan)
			scan_bytes(s, buf, (size_t)n);
		/* keep the last sizeof(tail) bytes */
		if ((size_t)n >= TC_TAIL) {
			memcpy(s->tail, buf + n - TC_TAIL, TC_TAIL);
			s->tail_len = TC_TAIL;
		} else {
			size_t keep = TC_TAIL - (size_t)n;

			if (s->tail_len > keep) {
				memmove(s->tail, s->tail + s->tail_len - keep, keep);
				s->tail_len = keep;
			}
			memcpy(s->tail + s->tail_len, buf, (size_t)n);
			s->tail_len += (size_t)n;
		}
	}
	free(buf);
	return NULL;
}

int tc_sink_open(struct tc_sink *s, int *wfd)
{
	int p[2], scan = s->scan;

	memset(s, 0, sizeof(*s));
	s->scan = scan;
	s->rfd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* fewer wakeups; a smaller pipe works too */
	s->rfd = p[0];
	if (pthread_create(&s->th, NULL, sink_main, s)) {
		close(p[0]);
		close(p[1]);
		s->rfd = -1;
		errno = EAGAIN;
		return -1;
	}
	s->running = 1;
	*wfd = p[1];
	return 0;
}

int tc_sink_close(struct tc_sink *s)
{
	if (s->running)
		pthread_join(s->th, NULL);
	s->running = 0;
	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	if (s->line && s->line_len) {
		s->line[s->line_len] = 0; /* a last line without its newline */
		scan_line(&s->found, s->line);
	}
	free(s->line);
	s->line = NULL;
	s->line_len = s->line_cap = 0;
	return 0;
}

/*
 * bpf/SCHEMA.md's version, which the summary record must carry ("v"): 2 or later (main's
 * tracer writes 2; a later one may add records and fields, which are read where present).
 */
#define TRACE_SCHEMA_MIN 2

int tc_parse_summary(const char *line, struct tc_summary *sum)
{
	char err[128];
	json_t *j = tj_parse(line, strlen(line), err, sizeof(err));
	json_t *stacks = json_object_get(j, "stacks");
	int ok;

	if (!j)
		return -1;
	sum->v = tj_int(j, "v", -1);
	ok = !strcmp(tj_str(j, "type", ""), "summary") && sum->v >= TRACE_SCHEMA_MIN;
	sum->fds = tj_int(j, "fds", -1);
	sum->atomic = tj_int(j, "atomic", -1);
	sum->late = tj_int(j, "late", -1);
	sum->never = tj_int(j, "never", -1);
	sum->execs = tj_int(j, "execs", -1);
	sum->lost = tj_int(j, "lost", -1);
	sum->records = tj_int(j, "records", -1);
	/* "stacks":{"taken":N,"skipped":N,"unwound":N} */
	sum->stacks = tj_int(stacks, "taken", -1);
	sum->stacks_skipped = tj_int(stacks, "skipped", -1);
	sum->stacks_unwound = tj_int(stacks, "unwound", -1);
	json_decref(j);
	return ok && sum->fds >= 0 && sum->lost >= 0 ? 0 : -1;
}

/* The last line of a text (the summary), kept in r->summary; buf is changed. */
static int summary_of_tail(char *buf, size_t n, struct tc_result *r)
{
	char *line;

	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	if (tc_parse_summary(line, &r->sum) < 0)
		return -1;
	snprintf(r->summary, sizeof(r->summary), "%s", line);
	return 0;
}

static int summary_of_file(int fd, struct tc_result *res, uint64_t *bytes)
{
	char buf[8192];
	struct stat st;
	off_t off;
	ssize_t r;

	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return -1;
	*bytes = (uint64_t)st.st_size;
	off = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
	r = pread(fd, buf, sizeof(buf) - 1, off);
	if (r <= 0)
		return -1;
	return summary_of_tail(buf, (size_t)r, res);
}

/* In the child: fd becomes exactly want (FD_CLOEXEC clear). */
static int place_fd(int hi, int want)
{
	return dup2(hi, want) < 0 ? -1 : 0;
}

int tc_start(struct tc *t, const struct tc_opts *o, char *why, size_t len)
{
	int ready[2] = {-1, -1}, jw = -1, tw = -1, pr, err;
	char path[4096], outname[4200], pidbuf[32], line[16] = "";
	const char *tmp = getenv("TMPDIR");
	struct pollfd p;
	ssize_t r = 0;
	unsigned long long t0;

	memset(t, 0, sizeof(*t));
	t->kind = o->kind;
	t->out = -1;
	t->self_exit_ms = o->self_exit_ms;
	if (o->kind == TC_NONE)
		return 0;
	if (o->path)
		snprintf(path, sizeof(path), "%s", o->path);
	else
		tc_path(o->kind, path, sizeof(path));
	if (access(path, X_OK) < 0) {
		snprintf(why, len, "failed to find %s: build it with make", path);
		return -1;
	}
	if (o->kind == TC_TRACER && !o->json) {
		snprintf(outname, sizeof(outname), "%s/cloexec-bench-trace.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		t->out = mkostemp(outname, O_CLOEXEC);
		if (t->out < 0)
			goto fail_errno;
		unlink(outname);
	}
	if (o->kind == TC_TRACER && o->json) {
		if (tc_sink_open(o->json, &jw) < 0)
			goto fail_errno;
		t->json = o->json;
	}
	if (o->text) {
		if (tc_sink_open(o->text, &tw) < 0)
			goto fail_errno;
		t->text = o->text;
	}
	if (pipe2(ready, O_CLOEXEC) < 0)
		goto fail_errno;
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)o->target);

	t0 = lab_now_ns();
	t->pid = fork();
	if (t->pid < 0)
		goto fail_errno;
	if (t->pid == 0) {
		const char *argv[32];
		int n = 0, nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* high copies first: a low source fd may be one of the targets */
		int rhi = fcntl(ready[1], F_DUPFD_CLOEXEC, 64);
		int jhi =
		    o->kind != TC_TRACER ? -1 : fcntl(jw >= 0 ? jw : t->out, F_DUPFD_CLOEXEC, 64);

		/*
		 * Ends with us: a benchmark killed (a test's timeout) leaves no program of
		 * ours attached, which would tax every syscall of the machine from then on.
		 */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(3);
		if (lab_cloexec_all() < 0 || nul < 0 || rhi < 0 || dup2(nul, 0) < 0 ||
		    dup2(tw >= 0 ? tw : nul, 1) < 0 || place_fd(rhi, READY_FD) < 0 ||
		    (o->kind == TC_TRACER && (jhi < 0 || place_fd(jhi, JSON_FD) < 0)))
			_exit(3);
		argv[n++] = path;
		if (o->kind == TC_TRACER) {
			argv[n++] = "-o";
			argv[n++] = "/dev/fd/4";
			for (int i = 0; o->extra && o->extra[i] && n < 24; i++)
				argv[n++] = o->extra[i];
			argv[n++] = "-p";
			argv[n++] = pidbuf;
		}
		argv[n++] = "--ready-fd";
		argv[n++] = "3";
		argv[n] = NULL;
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(ready[1]);
	ready[1] = -1;
	if (jw >= 0)
		close(jw);
	if (tw >= 0)
		close(tw);
	jw = tw = -1;

	/* "ready\n", or EOF when the program failed before it was attached */
	p = (struct pollfd){.fd = ready[0], .events = POLLIN};
	do
		pr = poll(&p, 1, START_TIMEOUT_MS);
	while (pr < 0 && errno == EINTR);
	if (pr > 0) {
		do
			r = read(ready[0], line, sizeof(line) - 1);
		while (r < 0 && errno == EINTR);
	}
	close(ready[0]);
	t->start_s = (double)(lab_now_ns() - t0) / 1e9;
	t->ready_cpu_s = tc_proc_cpu_s(t->pid);
	if (pr <= 0 || r != 6 || memcmp(line, "ready\n", 6)) {
		int st;
		struct rusage ru;

		if (pr > 0 && lab_wait4_timeout(t->pid, &st, &ru, STOP_TIMEOUT_MS) == 0) {
			t->pid = 0;
			snprintf(why, len, "%s exited before it was ready (%s %d)", path,
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		} else {
			snprintf(why, len, "%s was not ready within %d ms", path,
				 pr > 0 ? STOP_TIMEOUT_MS : START_TIMEOUT_MS);
		}
		tc_stop(t, NULL, NULL, 0);
		return -1;
	}
	return 0;

fail_errno:
	err = errno;
	for (int i = 0; i < 2; i++)
		if (ready[i] >= 0)
			close(ready[i]);
	if (jw >= 0)
		close(jw);
	if (tw >= 0)
		close(tw);
	tc_stop(t, NULL, NULL, 0);
	snprintf(why, len, "failed to start %s: %s", tc_kind_name(o->kind), strerror(err));
	return -1;
}

int tc_stop(struct tc *t, struct tc_result *r, char *why, size_t len)
{
	struct tc_result local;
	int st = -1, ret = 0, ok_max;
	bool stopped = false; /* we ended it with SIGINT */

	if (!r)
		r = &local;
	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->cpu_s = r->startup_cpu_s = -1;
	if (t->kind == TC_NONE)
		return 0;
	if (t->pid > 0) {
		/* only the tracer ends by itself (its target gone); the floor waits for SIGINT */
		if (t->kind == TC_TRACER && t->self_exit_ms > 0 &&
		    lab_wait4_timeout(t->pid, &st, &r->ru, t->self_exit_ms) == 0)
			goto ended;
		kill(t->pid, SIGINT);
		stopped = true;
		if (lab_wait4_timeout(t->pid, &st, &r->ru, STOP_TIMEOUT_MS) < 0) {
			kill(t->pid, SIGKILL);
			lab_wait4_timeout(t->pid, NULL, &r->ru, STOP_TIMEOUT_MS);
			st = -1;
		}
	ended:
		r->status = st;
		if (st >= 0) {
			r->cpu_s = (double)r->ru.ru_utime.tv_sec + r->ru.ru_utime.tv_usec / 1e6 +
				   (double)r->ru.ru_stime.tv_sec + r->ru.ru_stime.tv_usec / 1e6;
			r->startup_cpu_s = t->ready_cpu_s;
		}
	}
	/* the program's write ends are closed now: the readers see EOF */
	if (t->json) {
		tc_sink_close(t->json);
		r->json_bytes = t->json->bytes;
		r->found = t->json->found;
	}
	if (t->text) {
		tc_sink_close(t->text);
		r->text_bytes = t->text->bytes;
	}
	/* the tracer: exit 0 or 1 (findings), or 128+SIGINT when our SIGINT ended the trace; the
	 * floor: 0 */
	ok_max = t->kind == TC_TRACER ? 1 : 0;
	if (why && t->pid > 0) {
		if (st < 0) {
			snprintf(why, len, "%s did not stop within %d ms of SIGINT",
				 tc_kind_name(t->kind), STOP_TIMEOUT_MS);
			ret = -1;
		} else if (!WIFEXITED(st) ||
			   (WEXITSTATUS(st) > ok_max && !(stopped && t->kind == TC_TRACER &&
							  WEXITSTATUS(st) == 128 + SIGINT))) {
			snprintf(why, len, "%s ended with %s %d", tc_kind_name(t->kind),
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			ret = -1;
		} else if (t->kind == TC_TRACER) {
			int got;

			if (t->json) {
				got = summary_of_tail(t->json->tail, t->json->tail_len, r);
			} else {
				got = summary_of_file(t->out, r, &r->json_bytes);
			}
			r->have_summary = got == 0;
			if (got < 0) {
				snprintf(why, len,
					 "cloexec-trace's output does not end with a summary");
				ret = -1;
			}
		}
	}
	if (t->out >= 0)
		close(t->out);
	t->out = -1;
	t->pid = 0;
	t->json = t->text = NULL;
	return ret;
}
