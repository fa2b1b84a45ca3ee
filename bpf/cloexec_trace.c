// SPDX-License-Identifier: MIT
/*
 * cloexec_trace.c - loader and decision logic of cloexec-trace.
 *
 * Loads the BPF programs (cloexec_trace.bpf.c), puts the traced command or pid into the kernel's
 * filter map, reads fixed-size records from the ring buffer (timed poll, no wakeup per record)
 * and turns them into a timeline per fd table: fd created (cloexec bit at creation) -> cloexec
 * set later (late, with the window) -> forked (table copied) -> exec'd (what survived, who
 * created it, leaked or passed). Output: aligned text lines, or JSON Lines per bpf/SCHEMA.md,
 * then a summary and an exit code for CI.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cloexec_trace.h"
#include "cloexec_trace.skel.h"
#include "ct_kernel.h"
#include "ct_out.h"

#define TOOL	"cloexec-trace"
#define VERSION "0.1"

/* Exit codes */
#define EX_OK	   0
#define EX_FINDING 1
#define EX_USAGE   2
#define EX_ENV	   3

#define FAIL_LEAKED 0x1
#define FAIL_LATE   0x2
#define FAIL_NEVER  0x4
#define FAIL_RACE   0x8
#define FAIL_LOST   0x10

#define MAX_ALLOW	 64
#define ANON_INODE_MAGIC 0x09041934
#define PIDFS_MAGIC	 0x50494446

static struct opts {
	bool json;
	const char *output;
	pid_t pid;
	unsigned fail_on;
	int allow_fd[MAX_ALLOW];
	int n_allow_fd;
	const char *allow_comm[MAX_ALLOW];
	int n_allow_comm;
	long linger_ms;
	long timeout_s;
	long ring_kb;
	int verbose;
	bool quiet; /* text: leave out atomic fds and execs that inherited nothing */
	int ready_fd; /* --ready-fd: "ready\n" once attached, then closed; -1: none */
	bool keep_fds; /* --keep-fds: CMD inherits our caller's fds, reported as passed */
	char **cmd;
} opt = {.fail_on = FAIL_LEAKED | FAIL_LOST, .linger_ms = 1000, .ready_fd = -1};


static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

/* ------------------------------------------------------------------------------------------ */
/* Model: creations (one per fd-creating syscall), fd tables (keyed by files_struct), procs.  */

struct witness {
	uint32_t exec_pid;
	uint32_t fork_child;
	uint64_t fork_t;
	uint64_t exec_t;
};

struct creation {
	int refs;
	uint32_t pid, tid;
	char comm[CT_COMM_LEN + 1];
	uint16_t sc, kind, family, stype, proto;
	int fd;
	uint64_t t_ns, ino, files, mode;
	bool coe_at, req, late, reported, cleared_after_set;
	uint64_t late_ns, set_t, closed_t;
	const char *set_by;
	unsigned redundant;
	char *name; /* path or socket name, "" if none */
	struct witness *w;
	int nw, capw;
};

struct entry {
	struct creation *c; /* NULL: an fd we did not see created */
	uint64_t ino;
	bool open;
	bool coe;
	bool via_fork;	   /* copied out of the creator's table by a fork */
	bool cleared_here; /* cloexec explicitly cleared in this table */
	uint32_t fork_child;
	uint64_t fork_t;
};

#define MAX_ANC 6

/* A fork that copied an fd table: out of which table, when, into which child. */
struct ancestor {
	uint64_t files;
	uint64_t fork_t;
	uint32_t child;
};

struct table {
	uint64_t files;
	int users;
	struct entry *e;
	int cap;
	struct ancestor anc[MAX_ANC]; /* the forks this table descends from, nearest first */
	int nanc;
	struct table *next;
};

/*
 * Recent creations by inode, for fds that a fork copied before their creation record arrived
 * (the record is written at syscall exit, after the fd is already in the table): at exec they
 * are found through the table's ancestors. Creations leave the index 2 s after their fd closed.
 */
struct ino_ref {
	struct creation *c;
	struct ino_ref *next;
};

#define INO_KEEP_NS 2000000000ULL
static struct ino_ref *ino_idx[4096];

struct exec_fd {
	struct ct_event ev;
};

struct proc {
	uint32_t tgid, ppid;
	uint64_t files;
	char comm[CT_COMM_LEN + 1];
	bool alive, counted, have_spawn;
	bool launching; /* the tracer's child before its exec of CMD */
	uint16_t spawn_sc;
	uint8_t spawn_flags;
	uint64_t clone_flags;
	/* pending exec: header + fds until EXEC_END */
	bool in_exec;
	struct ct_event exec_hdr;
	struct exec_fd *xfd;
	int nxfd, capxfd;
	struct proc *next;
};

#define NBUCKET 4096
static struct table *tables[NBUCKET];
static struct proc *procs[NBUCKET];

static struct stats {
	unsigned long fds, atomic, late, never, execs, leaked, passed, races, lost, events;
} st;

static int live_count;	 /* traced processes alive (command / pid scope) */
static uint64_t last_ts; /* time of the latest record */
static uint64_t t0_ns;	 /* start, CLOCK_MONOTONIC */
static FILE *json_out;	 /* JSON Lines sink, or NULL */
static bool human;	 /* human lines on stdout */
static bool timed_out;
static int cmd_status = INT_MIN; /* -- CMD: exit code or -signal, once reaped */
static bool line_flush;		 /* stdout is shared with the traced command: write whole lines */
static int out_errno;		 /* the first failed write of our output */

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p) {
		fprintf(stderr, "%s: failed to allocate memory: %s\n", TOOL, strerror(errno));
		exit(EX_ENV);
	}
	return p;
}

static void *xrealloc(void *p, size_t sz)
{
	void *q = realloc(p, sz ? sz : 1);

	if (!q) {
		fprintf(stderr, "%s: failed to allocate memory: %s\n", TOOL, strerror(errno));
		exit(EX_ENV);
	}
	return q;
}

/*
 * With --keep-fds: the inodes of the fds our caller gave us without close-on-exec, which CMD
 * inherits on purpose (a make jobserver's pipes, a supervisor's sockets). Without it CMD starts
 * from a clean baseline: fds >= 3 we inherited are closed at its exec.
 */
static uint64_t *caller_ino;
static int n_caller_ino;

static void note_caller_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name), fl;
		struct stat st;

		if (fd < 3 || fd == dirfd(d) || fd == opt.ready_fd)
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl < 0 || (fl & FD_CLOEXEC) || fstat(fd, &st) < 0)
			continue;
		caller_ino = xrealloc(caller_ino, sizeof(*caller_ino) * (size_t)(n_caller_ino + 1));
		caller_ino[n_caller_ino++] = (uint64_t)st.st_ino;
	}
	closedir(d);
}

static bool caller_fd(uint64_t ino)
{
	for (int i = 0; i < n_caller_ino; i++)
		if (caller_ino[i] == ino)
			return true;
	return false;
}

static char *xstrdup(const char *str)
{
	char *p = strdup(str);

	if (!p) {
		fprintf(stderr, "%s: failed to allocate memory: %s\n", TOOL, strerror(errno));
		exit(EX_ENV);
	}
	return p;
}

static unsigned hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (unsigned)(k & (NBUCKET - 1));
}

static void creation_put(struct creation *c)
{
	if (c && --c->refs == 0) {
		free(c->w);
		free(c->name);
		free(c);
	}
}

static void ino_add(struct creation *c)
{
	struct ino_ref *r = xcalloc(1, sizeof(*r));
	unsigned h = hash64(c->ino) & 4095;

	c->refs++;
	r->c = c;
	r->next = ino_idx[h];
	ino_idx[h] = r;
}

/* The latest creation of inode ino as fd in table files, made before time t. */
static struct creation *ino_find(uint64_t ino, int fd, uint64_t files, uint64_t t)
{
	for (struct ino_ref *r = ino_idx[hash64(ino) & 4095]; r; r = r->next)
		if (r->c->ino == ino && r->c->fd == fd && r->c->files == files && r->c->t_ns <= t)
			return r->c;
	return NULL;
}

/* Drop creations whose fd closed more than INO_KEEP_NS ago (or all, at the end). */
static void ino_prune(uint64_t now, bool all)
{
	for (int h = 0; h < 4096; h++) {
		struct ino_ref **pp = &ino_idx[h], *r;

		while ((r = *pp)) {
			if (all || (r->c->reported && r->c->closed_t + INO_KEEP_NS < now)) {
				*pp = r->next;
				creation_put(r->c);
				free(r);
			} else {
				pp = &r->next;
			}
		}
	}
}

static struct table *table_find(uint64_t files)
{
	struct table *t;

	if (!files)
		return NULL;
	for (t = tables[hash64(files)]; t; t = t->next)
		if (t->files == files)
			return t;
	return NULL;
}

static struct table *table_new(uint64_t files)
{
	struct table *t = xcalloc(1, sizeof(*t));
	unsigned h = hash64(files);

	t->files = files;
	t->next = tables[h];
	tables[h] = t;
	return t;
}

static struct entry *table_slot(struct table *t, int fd)
{
	if (fd < 0)
		return NULL;
	if (fd >= t->cap) {
		int ncap = t->cap ? t->cap : 64;

		while (ncap <= fd)
			ncap *= 2;
		t->e = xrealloc(t->e, (size_t)ncap * sizeof(*t->e));
		memset(t->e + t->cap, 0, (size_t)(ncap - t->cap) * sizeof(*t->e));
		t->cap = ncap;
	}
	return &t->e[fd];
}

static struct entry *table_get(struct table *t, int fd)
{
	if (!t || fd < 0 || fd >= t->cap || !t->e[fd].open)
		return NULL;
	return &t->e[fd];
}

static void report_fd(struct creation *c);

/* The fd left table t (close, exec, exit): its creation's fate is known if t created it. */
static void entry_drop(struct table *t, struct entry *e)
{
	if (!e || !e->open)
		return;
	if (e->c && e->c->files == t->files && !e->c->reported)
		report_fd(e->c);
	creation_put(e->c);
	memset(e, 0, sizeof(*e));
}

static void table_free(struct table *t)
{
	struct table **pp = &tables[hash64(t->files)];

	for (int fd = 0; fd < t->cap; fd++)
		entry_drop(t, &t->e[fd]);
	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	free(t->e);
	free(t);
}

static void table_unuse(struct table *t)
{
	if (t && --t->users <= 0)
		table_free(t);
}

/* A copy of src as a new table (fork without CLONE_FILES, unshare). */
static struct table *table_copy(struct table *src, uint64_t files, uint64_t fork_t, uint32_t child)
{
	struct table *old = table_find(files), *t;

	if (old) /* a stale table at a reused address */
		table_free(old);
	t = table_new(files);
	if (!src)
		return t;
	if (fork_t) {
		t->anc[0] = (struct ancestor){src->files, fork_t, child};
		t->nanc = 1;
		for (int i = 0; i < src->nanc && t->nanc < MAX_ANC; i++)
			t->anc[t->nanc++] = src->anc[i];
	} else {
		memcpy(t->anc, src->anc, sizeof(t->anc));
		t->nanc = src->nanc;
	}
	for (int fd = 0; fd < src->cap; fd++) {
		struct entry *s = &src->e[fd], *d;

		if (!s->open)
			continue;
		d = table_slot(t, fd);
		*d = *s;
		if (d->c) {
			d->c->refs++;
			if (fork_t && d->c->files == src->files) {
				d->via_fork = true;
				d->fork_t = fork_t;
				d->fork_child = child;
				d->cleared_here = false;
			}
		}
	}
	return t;
}

static struct proc *proc_find(uint32_t tgid)
{
	struct proc *p;

	for (p = procs[hash64(tgid)]; p; p = p->next)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

static struct proc *proc_get(uint32_t tgid)
{
	struct proc *p = proc_find(tgid);
	unsigned h;

	if (p)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->tgid = tgid;
	p->alive = true;
	h = hash64(tgid);
	p->next = procs[h];
	procs[h] = p;
	return p;
}

static void proc_free(struct proc *p)
{
	struct proc **pp = &procs[hash64(p->tgid)];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	free(p->xfd);
	free(p);
}

/* Point p at fd table files; an unknown table is a copy of its previous one (unshare). */
static struct table *proc_set_files(struct proc *p, uint64_t files)
{
	struct table *t, *old;

	if (!files)
		return table_find(p->files);
	if (p->files == files) {
		t = table_find(files);
		if (!t) {
			t = table_new(files);
			t->users = 1;
		}
		return t;
	}
	old = table_find(p->files);
	t = table_find(files);
	if (!t) {
		t = table_copy(old, files, 0, 0);
		t->users = 0;
	}
	t->users++;
	p->files = files;
	table_unuse(old);
	return t;
}

/* The process and its fd table, as seen in a record. */
static struct table *touch(const struct ct_event *ev, struct proc **pp)
{
	struct proc *p = proc_get(ev->tgid);

	if (ev->type != CT_EV_EXEC_FD && ev->type != CT_EV_EXEC && ev->type != CT_EV_EXEC_END)
		memcpy(p->comm, ev->comm, CT_COMM_LEN);
	if (pp)
		*pp = p;
	if (ev->type == CT_EV_EXEC || ev->type == CT_EV_EXEC_FD || ev->type == CT_EV_EXEC_END)
		return table_find(p->files);
	return proc_set_files(p, ev->files);
}

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                       */

static const char *sc_name(unsigned sc)
{
	static const char *const n[CT_SC_MAX] = {
	    [CT_SC_NONE] = "unknown",
	    [CT_SC_SOCKET] = "socket",
	    [CT_SC_SOCKETPAIR] = "socketpair",
	    [CT_SC_ACCEPT] = "accept",
	    [CT_SC_ACCEPT4] = "accept4",
	    [CT_SC_OPENAT] = "openat",
	    [CT_SC_OPEN] = "open",
	    [CT_SC_PIPE] = "pipe",
	    [CT_SC_PIPE2] = "pipe2",
	    [CT_SC_DUP] = "dup",
	    [CT_SC_DUP2] = "dup2",
	    [CT_SC_DUP3] = "dup3",
	    [CT_SC_FCNTL_DUPFD] = "fcntl_dupfd",
	    [CT_SC_FCNTL_DUPFD_CLOEXEC] = "fcntl_dupfd_cloexec",
	    [CT_SC_RECVMSG] = "recvmsg",
	    [CT_SC_OPENAT2] = "openat2",
	    [CT_SC_CREAT] = "creat",
	    [CT_SC_FCNTL_SETFD] = "fcntl",
	    [CT_SC_IOCTL_FIOCLEX] = "ioctl",
	    [CT_SC_IOCTL_FIONCLEX] = "ioctl",
	    [CT_SC_FORK] = "fork",
	    [CT_SC_VFORK] = "vfork",
	    [CT_SC_CLONE] = "clone",
	    [CT_SC_CLONE3] = "clone3",
	    [CT_SC_EVENTFD2] = "eventfd2",
	    [CT_SC_EVENTFD] = "eventfd",
	    [CT_SC_EPOLL_CREATE1] = "epoll_create1",
	    [CT_SC_EPOLL_CREATE] = "epoll_create",
	    [CT_SC_MEMFD_CREATE] = "memfd_create",
	    [CT_SC_TIMERFD_CREATE] = "timerfd_create",
	    [CT_SC_SIGNALFD4] = "signalfd4",
	    [CT_SC_SIGNALFD] = "signalfd",
	    [CT_SC_INOTIFY_INIT1] = "inotify_init1",
	    [CT_SC_INOTIFY_INIT] = "inotify_init",
	    [CT_SC_PIDFD_OPEN] = "pidfd_open",
	    [CT_SC_PIDFD_GETFD] = "pidfd_getfd",
	    [CT_SC_FANOTIFY_INIT] = "fanotify_init",
	    [CT_SC_USERFAULTFD] = "userfaultfd",
	    [CT_SC_PERF_EVENT_OPEN] = "perf_event_open",
	    [CT_SC_OPEN_BY_HANDLE_AT] = "open_by_handle_at",
	    [CT_SC_RECVMMSG] = "recvmmsg",
	};

	return sc < CT_SC_MAX && n[sc] ? n[sc] : "unknown";
}

static const char *family_name(unsigned f, char *buf, size_t len)
{
	switch (f) {
	case 1:
		return "unix";
	case 2:
		return "inet";
	case 10:
		return "inet6";
	case 16:
		return "netlink";
	case 17:
		return "packet";
	case 40:
		return "vsock";
	}
	snprintf(buf, len, "af%u", f);
	return buf;
}

static const char *stype_name(unsigned t, char *buf, size_t len)
{
	switch (t) {
	case 1:
		return "stream";
	case 2:
		return "dgram";
	case 3:
		return "raw";
	case 4:
		return "rdm";
	case 5:
		return "seqpacket";
	case 10:
		return "packet";
	}
	snprintf(buf, len, "type%u", t);
	return buf;
}

static bool anon_name(const char *name)
{
	size_t n = strlen(name);

	return n > 2 && name[0] == '[' && name[n - 1] == ']';
}

static const char *kind_name(unsigned kind, unsigned family, unsigned stype, unsigned proto,
			     const char *name)
{
	switch (kind) {
	case CT_KIND_SOCKET:
		if (family == 2 || family == 10) {
			if (stype == 1 && (proto == 6 || proto == 0))
				return "tcp";
			if (stype == 2 && (proto == 17 || proto == 0))
				return "udp";
			return "other_socket";
		}
		if (family == 1)
			return "unix";
		if (family == 16)
			return "netlink";
		return "other_socket";
	case CT_KIND_PIPE:
		return "pipe";
	case CT_KIND_FILE:
	case CT_KIND_DIR:
	case CT_KIND_CHR:
		return name && anon_name(name) ? "other" : "file";
	}
	return "other";
}

/* "127.0.0.1:40123" / "[::1]:40123" of an inet socket record. */
static void local_addr(const struct ct_event *e, char *buf, size_t len)
{
	char a[64];

	if (e->family == 2) {
		snprintf(buf, len, "%u.%u.%u.%u:%u", e->addr[0], e->addr[1], e->addr[2], e->addr[3],
			 e->port);
		return;
	}
	a[0] = 0;
	for (int i = 0; i < 16; i += 2)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "%s%x", i ? ":" : "",
			 (e->addr[i] << 8) | e->addr[i + 1]);
	snprintf(buf, len, "[%s]:%u", a, e->port);
}

/*
 * A name for the file of record e held as fd by tgid: the path the kernel recorded; when it did
 * not fit, or for pseudo files, /proc/PID/fd/N if the inode still matches; else the kernel's
 * name (dentry name, unix socket path, pipe:[ino]).
 */
static void file_name(const struct ct_event *e, uint32_t tgid, int fd, char *buf, size_t len)
{
	char p[64];
	struct stat sb;
	ssize_t n;

	buf[0] = 0;
	if (e->kind == CT_KIND_SOCKET) {
		if (e->family == 1 && e->aux > 0) {
			size_t l = e->aux < CT_NAME_LEN ? e->aux : CT_NAME_LEN - 1;

			if (e->name[0] == 0) /* abstract: @name */
				snprintf(buf, len, "@%.*s", (int)(l - 1), e->name + 1);
			else
				snprintf(buf, len, "%.*s", (int)l, e->name);
		}
		return;
	}
	/* an anonymous pipe; a named FIFO has a path like any file (as /proc shows it) */
	if (e->kind == CT_KIND_PIPE && (e->name[0] != '/' || (e->flags2 & CT_F2_PSEUDO))) {
		snprintf(buf, len, "pipe:[%llu]", (unsigned long long)e->ino);
		return;
	}
	if (e->name[0] == '/' && !(e->flags & CT_F_TRUNC) && !(e->flags2 & CT_F2_PSEUDO)) {
		snprintf(buf, len, "%.*s%s", CT_NAME_LEN, e->name,
			 e->flags2 & CT_F2_DELETED ? " (deleted)" : "");
		return;
	}
	snprintf(p, sizeof(p), "/proc/%u/fd/%d", tgid, fd);
	if (stat(p, &sb) == 0 && sb.st_ino == e->ino) {
		n = readlink(p, buf, len - 1);
		if (n > 0) {
			buf[n] = 0;
			return;
		}
	}
	/* as /proc would say it: anon_inode:[eventfd], /memfd:name (deleted), ... */
	if (e->aux3 == ANON_INODE_MAGIC)
		snprintf(buf, len, "anon_inode:%.*s", CT_NAME_LEN, e->name);
	else if (e->aux3 == PIDFS_MAGIC)
		snprintf(buf, len, "anon_inode:[pidfd]");
	else if (e->flags2 & CT_F2_PSEUDO)
		snprintf(buf, len, "/%.*s%s", CT_NAME_LEN, e->name,
			 e->flags2 & CT_F2_DELETED ? " (deleted)" : "");
	else
		snprintf(buf, len, "%.*s", CT_NAME_LEN, e->name);
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

/*
 * s for a terminal line: control bytes (a newline in a file name, an escape sequence in a comm)
 * as \xNN, so a traced program cannot forge or hide lines. Other bytes (UTF-8) are kept.
 */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 5 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	buf[n] = 0;
	return buf;
}

static void hline(uint64_t t, uint32_t pid, const char *comm, const char *event, int fd,
		  const char *kind, const char *detail, const char *verdict)
{
	char fds[16], tm[32], cb[4 * CT_COMM_LEN + 8], db[4 * (PATH_MAX + 160) + 8];

	if (!human)
		return;
	comm = printable(comm, cb, sizeof(cb));
	detail = printable(detail, db, sizeof(db));
	if (fd >= 0)
		snprintf(fds, sizeof(fds), "%d", fd);
	else
		snprintf(fds, sizeof(fds), "-");
	snprintf(tm, sizeof(tm), "%.6f", t >= t0_ns ? (double)(t - t0_ns) / 1e9 : 0.0);
	errno = 0;
	if ((printf("%-11s %-7u %-16s %-8s %-6s %-12s %-44s %s\n", tm, pid, comm, event, fds, kind,
		    detail, verdict) < 0 ||
	     ferror(stdout)) &&
	    !out_errno)
		out_errno = errno ? errno : EIO;
}

/* Flush f, remembering the first error (reported at the end: results incomplete). */
static void flush_out(FILE *f)
{
	errno = 0;
	if (f && (fflush(f) || ferror(f)) && !out_errno)
		out_errno = errno ? errno : EIO;
}

static void jemit(struct sbuf *b)
{
	if (json_out) {
		sb_putc(b, '\n');
		errno = 0;
		/* whole lines between the command's own output */
		if ((fwrite(b->p, 1, b->len, json_out) != b->len ||
		     (line_flush && json_out == stdout && fflush(json_out)) || ferror(json_out)) &&
		    !out_errno)
			out_errno = errno ? errno : EIO;
	}
	sb_free(b);
}

static const char *fd_verdict(const struct creation *c)
{
	return c->coe_at ? "atomic" : c->late ? "late" : "never";
}

static void report_fd(struct creation *c)
{
	char fb[16], tb[16], detail[PATH_MAX + 64];
	const char *kind = kind_name(c->kind, c->family, c->stype, c->proto, c->name);
	const char *v = fd_verdict(c);
	struct sbuf b = {0};

	c->reported = true;
	c->closed_t = last_ts;
	if (c->fd < 3)
		return;
	st.fds++;
	if (c->coe_at)
		st.atomic++;
	else if (c->late)
		st.late++;
	else
		st.never++;
	if (json_out) {
		sb_printf(&b,
			  "{\"v\":1,\"type\":\"fd\",\"t_ns\":%llu,\"pid\":%u,\"tid\":%u,\"comm\":",
			  (unsigned long long)c->t_ns, c->pid, c->tid);
		sb_json_str(&b, c->comm);
		sb_printf(&b, ",\"fd\":%d,\"syscall\":\"%s\",\"kind\":\"%s\"", c->fd,
			  sc_name(c->sc), kind);
		if (c->kind == CT_KIND_SOCKET) {
			sb_printf(&b, ",\"family\":\"%s\",\"sock_type\":\"%s\"",
				  family_name(c->family, fb, sizeof(fb)),
				  stype_name(c->stype, tb, sizeof(tb)));
		}
		if (c->name[0]) {
			sb_puts(&b, ",\"path\":");
			sb_json_str(&b, c->name);
		}
		sb_printf(&b,
			  ",\"cloexec_at_creation\":%s,\"requested_cloexec\":%s,\"verdict\":\"%s\"",
			  c->coe_at ? "true" : "false", c->req ? "true" : "false", v);
		if (c->late)
			sb_printf(&b, ",\"late_ns\":%llu,\"set_by\":\"%s\"",
				  (unsigned long long)c->late_ns, c->set_by);
		sb_printf(&b, ",\"redundant_setfd\":%u,\"ino\":%llu}", c->redundant,
			  (unsigned long long)c->ino);
		jemit(&b);
	}
	if (human) {
		int n = snprintf(detail, sizeof(detail), "%s()", sc_name(c->sc));

		if (c->kind == CT_KIND_SOCKET)
			n += snprintf(detail + n, sizeof(detail) - n, " %s %s",
				      family_name(c->family, fb, sizeof(fb)),
				      stype_name(c->stype, tb, sizeof(tb)));
		if (c->name[0])
			n += snprintf(detail + n, sizeof(detail) - n, " %s", c->name);
		if (c->late)
			n += snprintf(detail + n, sizeof(detail) - n, " set by %s after %llu ns",
				      c->set_by, (unsigned long long)c->late_ns);
		if (c->redundant)
			snprintf(detail + n, sizeof(detail) - n, " redundant_setfd=%u",
				 c->redundant);
		if (!opt.quiet || !c->coe_at)
			hline(c->t_ns, c->pid, c->comm, "fd", c->fd, kind, detail, v);
	}
}

static void report_race(struct creation *c, const struct witness *w)
{
	struct sbuf b = {0};
	char detail[256];

	st.races++;
	if (json_out) {
		sb_printf(&b,
			  "{\"v\":1,\"type\":\"race\",\"t_ns\":%llu,\"fd\":%d,\"ino\":%llu,"
			  "\"creator_pid\":%u,\"fork_child\":%u,\"exec_pid\":%u,\"window_ns\":%llu,"
			  "\"fork_t_ns\":%llu}",
			  (unsigned long long)w->exec_t, c->fd, (unsigned long long)c->ino, c->pid,
			  w->fork_child, w->exec_pid, (unsigned long long)c->late_ns,
			  (unsigned long long)w->fork_t);
		jemit(&b);
	}
	snprintf(detail, sizeof(detail), "fork %u inside the %llu ns window, exec %u holds it",
		 w->fork_child, (unsigned long long)c->late_ns, w->exec_pid);
	hline(w->exec_t, c->pid, c->comm, "race", c->fd,
	      kind_name(c->kind, c->family, c->stype, c->proto, c->name), detail, "race");
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                     */

static void on_fd(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	char path[PATH_MAX];
	struct creation *c;
	struct entry *e;

	if (!t || ev->fd < 0)
		return;
	e = table_slot(t, ev->fd);
	entry_drop(t, e); /* dup2 onto an open fd closed the old one */
	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->pid = ev->tgid;
	c->tid = ev->tid;
	memcpy(c->comm, ev->comm, CT_COMM_LEN);
	c->sc = ev->syscall;
	c->kind = ev->kind;
	c->family = ev->family;
	c->stype = ev->sock_type;
	c->proto = ev->protocol;
	c->fd = ev->fd;
	c->t_ns = ev->ts_ns;
	c->ino = ev->ino;
	c->files = ev->files;
	c->mode = ev->mode;
	c->coe_at = ev->flags & CT_F_CLOEXEC;
	c->req = ev->flags & CT_F_REQ_CLOEXEC;
	file_name(ev, ev->tgid, ev->fd, path, sizeof(path));
	c->name = xstrdup(path);
	if (!c->coe_at && ev->fd >= 3)
		ino_add(c);
	e->c = c;
	e->ino = ev->ino;
	e->open = true;
	e->coe = c->coe_at;
}

static void creation_set_late(struct creation *c, uint64_t t, const char *by)
{
	c->late = true;
	c->set_t = t;
	c->late_ns = t > c->t_ns ? t - c->t_ns : 0;
	c->set_by = by;
	/* children that exec'd holding a copy taken before the set: race witnesses */
	for (int i = 0; i < c->nw; i++)
		if (c->w[i].fork_t < t)
			report_race(c, &c->w[i]);
	c->nw = 0;
}

/* The cloexec bit of the fd at entry e in table t went before -> after at time ts. */
static void bit_change(struct table *t, struct entry *e, bool before, bool after, bool req,
		       uint64_t ts, const char *by)
{
	struct creation *c = e->c;

	if (c && c->files == t->files) {
		if (req && before && after)
			c->redundant++;
		else if (!before && after && !c->coe_at && !c->late)
			creation_set_late(c, ts, by);
		else if (before && !after && c->late)
			c->cleared_after_set = true;
	}
	if (!after)
		e->cleared_here = true;
	e->coe = after;
}

static void on_setfd(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	struct entry *e = table_get(t, ev->fd);
	const char *by = ev->syscall == CT_SC_FCNTL_SETFD ? "fcntl" : "ioctl";

	if (!e)
		return;
	if (e->ino && ev->ino && e->ino != ev->ino)
		return; /* not the fd we know: a reuse we missed */
	/* the bit before the call is the one our model holds for this fd table entry */
	bit_change(t, e, e->coe, ev->flags & CT_F_CLOEXEC, ev->flags & CT_F_REQ_CLOEXEC, ev->ts_ns,
		   by);
}

/* e's fd was made after close record ev looked at the table (another thread reused the number). */
static bool newer_than(const struct entry *e, const struct ct_event *ev)
{
	return e->c && e->c->files == ev->files && e->c->t_ns > ev->ts_ns;
}

static void on_close(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	struct entry *e = table_get(t, ev->fd);

	/*
	 * The kernel says what the slot holds after the close: when another thread reused the
	 * number and we have that newer fd already (same inode), keep it. Keep it too when it was
	 * made after the kernel looked (the slot read empty, the other thread's record came
	 * first). Else drop ours.
	 */
	if (e && ev->ino && e->ino == ev->ino)
		return;
	if (e && newer_than(e, ev))
		return;
	entry_drop(t, e);
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

static void on_close_range(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	uint64_t last = ev->aux;

	if (!t || ev->fd < 0)
		return;
	for (int fd = ev->fd; fd < t->cap && (uint64_t)fd <= last; fd++) {
		struct entry *e = table_get(t, fd);

		if (!e)
			continue;
		/*
		 * t is the table after the call (the record reads task->files at exit): with
		 * CLOSE_RANGE_UNSHARE that is the unshared copy, and the range is closed (or
		 * made cloexec) there as well.
		 */
		if (newer_than(e, ev))
			continue;
		if (ev->aux2 & CLOSE_RANGE_CLOEXEC)
			bit_change(t, e, e->coe, true, true, ev->ts_ns, "close_range");
		else
			entry_drop(t, e);
	}
}

static void on_fork(const struct ct_event *ev)
{
	struct proc *parent, *child;
	struct table *pt = touch(ev, &parent), *ct;

	child = proc_find(ev->aux2);
	if (child) { /* a stale pid: the old one is gone */
		table_unuse(table_find(child->files));
		proc_free(child);
	}
	child = proc_get(ev->aux2);
	child->ppid = ev->tgid;
	memcpy(child->comm, ev->comm, CT_COMM_LEN);
	child->have_spawn = true;
	child->spawn_sc = ev->syscall;
	child->spawn_flags = ev->flags;
	child->clone_flags = ev->aux;
	child->files = ev->ino;
	if (opt.cmd || opt.pid) {
		child->counted = true;
		live_count++;
	}
	if (ev->flags & CT_F_FILES || ev->ino == ev->files) {
		ct = pt ? pt : table_new(ev->ino);
	} else {
		ct = table_copy(pt, ev->ino, ev->ts_ns, ev->aux2);
		ct->users = 0;
	}
	ct->users++;
	if (opt.verbose > 1)
		fprintf(stderr, "%s: fork %u -> %u (%s, flags %#llx)\n", TOOL, ev->tgid, ev->aux2,
			sc_name(ev->syscall), (unsigned long long)ev->aux);
}

static const char *spawn_name(const struct proc *p)
{
	if (!p->have_spawn)
		return NULL;
	if ((p->spawn_flags & (CT_F_VM | CT_F_VFORK)) == (CT_F_VM | CT_F_VFORK))
		return p->spawn_sc == CT_SC_VFORK ? "vfork" : "posix_spawn";
	if (p->spawn_sc == CT_SC_VFORK)
		return "vfork";
	if (!(p->spawn_flags & (CT_F_VM | CT_F_FILES)))
		return "fork";
	return sc_name(p->spawn_sc);
}

static bool allowed_fd(int fd)
{
	for (int i = 0; i < opt.n_allow_fd; i++)
		if (opt.allow_fd[i] == fd)
			return true;
	return false;
}

static bool allowed_comm(const char *a, const char *b, const char *filename)
{
	const char *base = strrchr(filename, '/') ? strrchr(filename, '/') + 1 : filename;

	for (int i = 0; i < opt.n_allow_comm; i++)
		if (!strcmp(opt.allow_comm[i], a) || !strcmp(opt.allow_comm[i], b) ||
		    !strcmp(opt.allow_comm[i], base))
			return true;
	return false;
}

/* An exec record waiting for its creators' verdicts to be final (see exec_flush). */
struct out_item {
	struct ct_event x;
	struct creation *c;
	const char *verdict, *reason;
	char *path;
	char addr[80];
};

struct out_exec {
	struct ct_event h;
	char comm[CT_COMM_LEN + 1], old_comm[CT_COMM_LEN + 1], fname[CT_NAME_LEN + 1];
	const char *spawn;
	uint32_t ppid;
	int n;
	struct out_item *it;
	struct out_exec *next;
};

static struct out_exec *outq, **outq_tail = &outq;

static void out_exec_free(struct out_exec *o)
{
	for (int i = 0; i < o->n; i++) {
		creation_put(o->it[i].c);
		free(o->it[i].path);
	}
	free(o->it);
	free(o);
}

#define EXEC_HOLD_NS 1000000000ULL

static void exec_render(struct out_exec *o)
{
	const struct ct_event *h = &o->h;
	int listen_fds = h->fd;
	uint32_t listen_pid = (uint32_t)h->aux;
	char fb[16], tb[16], detail[PATH_MAX + 160];
	struct sbuf b = {0};
	const char *lpm;

	lpm = listen_fds < 0 || !listen_pid ? "null" : listen_pid == h->tgid ? "true" : "false";
	st.execs++;
	for (int i = 0; i < o->n; i++) {
		if (!strcmp(o->it[i].verdict, "passed"))
			st.passed++;
		else
			st.leaked++;
	}
	if (json_out) {
		sb_printf(
		    &b, "{\"v\":1,\"type\":\"exec\",\"t_ns\":%llu,\"pid\":%u,\"ppid\":%u,\"comm\":",
		    (unsigned long long)h->ts_ns, h->tgid, o->ppid);
		sb_json_str(&b, o->comm);
		sb_puts(&b, ",\"filename\":");
		sb_json_str(&b, o->fname);
		sb_puts(&b, ",\"old_comm\":");
		sb_json_str(&b, o->old_comm);
		if (o->spawn)
			sb_printf(&b, ",\"spawn\":\"%s\"", o->spawn);
		else
			sb_puts(&b, ",\"spawn\":null");
		if (h->aux2 != h->tgid)
			sb_printf(&b, ",\"exec_tid\":%u", h->aux2);
		if (listen_fds >= 0)
			sb_printf(&b, ",\"listen_fds\":%d", listen_fds);
		else
			sb_puts(&b, ",\"listen_fds\":null");
		sb_printf(&b, ",\"listen_pid_match\":%s", lpm);
		if (h->flags & CT_F_TRUNC)
			sb_puts(&b, ",\"env_truncated\":true");
		sb_puts(&b, ",\"inherited\":[");
	}
	snprintf(detail, sizeof(detail), "%s%s%s", o->fname, o->spawn ? " via " : "",
		 o->spawn ? o->spawn : "");
	if (!opt.quiet || o->n)
		hline(h->ts_ns, h->tgid, o->comm, "exec", -1, "-", detail, "");
	for (int i = 0; i < o->n; i++) {
		const struct out_item *it = &o->it[i];
		const struct ct_event *x = &it->x;
		const struct creation *c = it->c;
		const char *kind =
		    kind_name(x->kind, x->family, x->sock_type, x->protocol, x->name);

		if (json_out) {
			if (i)
				sb_putc(&b, ',');
			sb_printf(&b, "{\"fd\":%d,\"kind\":\"%s\"", x->fd, kind);
			if (x->kind == CT_KIND_SOCKET) {
				sb_printf(&b, ",\"family\":\"%s\",\"sock_type\":\"%s\"",
					  family_name(x->family, fb, sizeof(fb)),
					  stype_name(x->sock_type, tb, sizeof(tb)));
				if (it->addr[0])
					sb_printf(&b, ",\"local\":\"%s\"", it->addr);
				sb_printf(&b, ",\"listen\":%s", x->state == 10 ? "true" : "false");
			}
			if (it->path[0]) {
				sb_puts(&b, ",\"path\":");
				sb_json_str(&b, it->path);
			}
			sb_printf(&b, ",\"ino\":%llu,\"creator\":", (unsigned long long)x->ino);
			if (c) {
				sb_printf(&b, "{\"pid\":%u,\"comm\":", c->pid);
				sb_json_str(&b, c->comm);
				sb_printf(
				    &b, ",\"syscall\":\"%s\",\"t_ns\":%llu,\"verdict\":\"%s\"}",
				    sc_name(c->sc), (unsigned long long)c->t_ns, fd_verdict(c));
			} else {
				sb_puts(&b, "null");
			}
			sb_printf(&b, ",\"verdict\":\"%s\"", it->verdict);
			if (it->reason)
				sb_printf(&b, ",\"reason\":\"%s\"}", it->reason);
			else
				sb_puts(&b, ",\"reason\":null}");
		}
		if (human) {
			int n;

			if (it->addr[0])
				n = snprintf(detail, sizeof(detail), "%s", it->addr);
			else if (it->path[0])
				n = snprintf(detail, sizeof(detail), "%s", it->path);
			else
				n = snprintf(detail, sizeof(detail), "socket:[%llu]",
					     (unsigned long long)x->ino);

			if (x->kind == CT_KIND_SOCKET && x->state == 10)
				n += snprintf(detail + n, sizeof(detail) - n, " LISTEN");
			if (c)
				n += snprintf(detail + n, sizeof(detail) - n, " from %u/%s %s() %s",
					      c->pid, c->comm, sc_name(c->sc), fd_verdict(c));
			else
				n += snprintf(detail + n, sizeof(detail) - n,
					      " (created before trace)");
			if (it->reason && strcmp(it->reason, "untracked"))
				snprintf(detail + n, sizeof(detail) - n, " [%s]", it->reason);
			hline(h->ts_ns, h->tgid, o->comm, "inherit", x->fd, kind, detail,
			      it->verdict);
		}
	}
	if (json_out) {
		sb_puts(&b, "]}");
		jemit(&b);
	}
}

/* Whether every creator's verdict is final (atomic, late, or its fd is gone). */
static bool exec_ready(const struct out_exec *o)
{
	for (int i = 0; i < o->n; i++) {
		const struct creation *c = o->it[i].c;

		if (c && !c->coe_at && !c->late && !c->reported)
			return false;
	}
	return true;
}

/*
 * Print the exec records that are ready: all creators final, or held EXEC_HOLD_NS already (a
 * long-lived leaker does not hold its children's records back), or all at the end.
 */
static void exec_flush(bool all, uint64_t now)
{
	struct out_exec **pp = &outq, *o;

	while ((o = *pp)) {
		if (!all && !exec_ready(o) && now < o->h.ts_ns + EXEC_HOLD_NS) {
			pp = &o->next;
			continue;
		}
		*pp = o->next;
		exec_render(o);
		out_exec_free(o);
	}
	outq_tail = pp;
	while (*outq_tail)
		outq_tail = &(*outq_tail)->next;
}

/*
 * LISTEN_FDS/LISTEN_PID from /proc/PID/environ, when the kernel could not read the whole
 * environment (more than its string bound). Best effort: the process may be gone already.
 */
static void env_fallback(struct ct_event *h)
{
	char path[64], *buf = NULL, *end;
	bool seen_fds = false, seen_pid = false; /* the first of duplicates, as getenv() */
	size_t cap = 0;
	long v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/environ", h->tgid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getdelim(&buf, &cap, '\0', f) > 0) {
		bool fds = !strncmp(buf, "LISTEN_FDS=", 11), pid = !strncmp(buf, "LISTEN_PID=", 11);

		if ((!fds || seen_fds) && (!pid || seen_pid))
			continue;
		seen_fds |= fds;
		seen_pid |= pid;
		/* as the kernel side: the whole value a number <= INT_MAX, else invalid */
		errno = 0;
		v = strtol(buf + 11, &end, 10);
		if (errno || end == buf + 11 || *end || buf[11] < '0' || buf[11] > '9' ||
		    v > INT_MAX)
			v = -1;
		if (fds)
			h->fd = v < 0 || v > INT_MAX - 3 ? -1 : (int)v;
		else
			h->aux = v <= 0 ? 0xffffffffULL : (uint64_t)v;
	}
	free(buf);
	fclose(f);
}

/*
 * The exec of p is complete (header + fds): decide each fd's verdict and queue the record
 * (report false: the tracer's own exec of CMD, the fd model is updated but nothing is printed).
 */
static void exec_emit(struct proc *p, bool report)
{
	const struct ct_event *h = &p->exec_hdr;
	struct table *old = table_find(p->files), *nt;
	int listen_fds;
	uint32_t listen_pid;
	struct out_exec *o = xcalloc(1, sizeof(*o));
	char path[PATH_MAX];
	bool *keep;

	if (p->exec_hdr.flags & CT_F_TRUNC)
		env_fallback(&p->exec_hdr);
	listen_fds = h->fd;
	listen_pid = (uint32_t)h->aux;

	o->h = *h;
	memcpy(o->comm, h->comm, CT_COMM_LEN);
	memcpy(o->fname, h->name, CT_NAME_LEN);
	memcpy(o->old_comm, p->comm, CT_COMM_LEN);
	o->spawn = h->aux2 != h->tgid ? "thread" : spawn_name(p); /* thread: exec from non-leader */
	o->ppid = p->ppid ? p->ppid : h->aux3;
	o->n = p->nxfd;
	o->it = xcalloc((size_t)p->nxfd, sizeof(*o->it));

	keep = xcalloc(old ? (size_t)old->cap : 1, sizeof(bool));
	for (int i = 0; i < p->nxfd; i++) {
		const struct ct_event *x = &p->xfd[i].ev;
		struct entry *e = table_get(old, x->fd), tmp;
		struct creation *c = e && e->c && (!x->ino || e->ino == x->ino) ? e->c : NULL;
		struct out_item *it = &o->it[i];

		/* not in our copy: a fork copied it before its creation record arrived */
		for (int k = 0; !c && old && k < old->nanc; k++) {
			c = ino_find(x->ino, x->fd, old->anc[k].files, h->ts_ns);
			if (c) {
				memset(&tmp, 0, sizeof(tmp));
				tmp.c = c;
				tmp.ino = x->ino;
				tmp.open = true;
				tmp.via_fork = true;
				tmp.fork_t = old->anc[k].fork_t;
				tmp.fork_child = old->anc[k].child;
				e = &tmp;
			}
		}

		it->x = *x;
		it->verdict = "leaked";
		if (old && x->fd < old->cap)
			keep[x->fd] = true;
		if (listen_fds > 0 && x->fd - 3 < listen_fds &&
		    (!listen_pid || listen_pid == h->tgid)) {
			it->verdict = "passed";
			it->reason = "LISTEN_FDS";
		} else if (allowed_fd(x->fd)) {
			it->verdict = "passed";
			it->reason = "--allow";
		} else if (allowed_comm(o->comm, p->comm, o->fname)) {
			it->verdict = "passed";
			it->reason = "--allow-comm";
		} else if (!c && caller_fd(x->ino)) {
			it->verdict = "passed";
			it->reason = "caller";
		} else if (!c) {
			it->reason = "untracked";
		}
		file_name(x, h->tgid, x->fd, path, sizeof(path));
		it->path = xstrdup(path);
		if (x->kind == CT_KIND_SOCKET && (x->family == 2 || x->family == 10))
			local_addr(x, it->addr, sizeof(it->addr));
		if (c) {
			c->refs++;
			it->c = c;
		}
		/*
		 * race witness: a copy taken out of the creator's table while the bit was still
		 * clear: by a fork, or by this exec itself when the process shared the creator's
		 * table (CLONE_FILES: exec unshares it, the kernel copies the table now).
		 */
		if (c && !e->via_fork && old->files != h->files && c->files == old->files) {
			tmp = *e;
			tmp.via_fork = true;
			tmp.fork_t = h->ts_ns;
			tmp.fork_child = h->tgid;
			e = &tmp;
		}
		if (c && e->via_fork && !e->cleared_here && !c->coe_at) {
			struct witness w = {h->tgid, e->fork_child, e->fork_t, h->ts_ns};

			if (c->late) {
				if (!c->cleared_after_set || e->fork_t < c->set_t)
					report_race(c, &w);
			} else {
				if (c->nw == c->capw) {
					c->capw = c->capw ? c->capw * 2 : 4;
					c->w = xrealloc(c->w, (size_t)c->capw * sizeof(*c->w));
				}
				c->w[c->nw++] = w;
			}
		}
	}
	/* The table after exec: the survivors only (a shared table was unshared into a copy). */
	if (old && old->files == h->files) {
		for (int fd = 0; fd < old->cap; fd++)
			if (old->e[fd].open && fd >= 3 && !keep[fd])
				entry_drop(old, &old->e[fd]);
	} else {
		nt = table_copy(NULL, h->files, 0, 0);
		for (int i = 0; i < p->nxfd; i++) {
			const struct ct_event *x = &p->xfd[i].ev;
			struct entry *e = table_get(old, x->fd), *d = table_slot(nt, x->fd);

			if (e)
				*d = *e;
			if (d->c)
				d->c->refs++;
			d->open = true;
			d->ino = x->ino;
		}
		for (int fd = 0; fd < 3; fd++) {
			struct entry *e = table_get(old, fd);

			if (e) {
				*table_slot(nt, fd) = *e;
				if (e->c)
					e->c->refs++;
			}
		}
		nt->users = 1;
		table_unuse(old);
		p->files = h->files;
	}
	free(keep);
	memcpy(p->comm, o->comm, CT_COMM_LEN);
	p->in_exec = false;
	p->nxfd = 0;
	if (report) {
		*outq_tail = o;
		outq_tail = &o->next;
	} else {
		out_exec_free(o);
	}
}

static void exec_finish(struct proc *p)
{
	/*
	 * Our own exec of CMD is not reported: what CMD got from our caller is not a finding of
	 * CMD's (fds it passes on are reported at its children's execs, creator null).
	 */
	if (p->launching && p->nxfd && opt.verbose)
		fprintf(stderr, "%s: note: the command started with %d fds >= 3 from our caller\n",
			TOOL, p->nxfd);
	exec_emit(p, !p->launching);
	p->launching = false;
}

static void on_exit_rec(const struct ct_event *ev)
{
	struct proc *p = proc_find(ev->tgid);

	if (!p)
		return;
	if (p->in_exec)
		exec_finish(p);
	if (p->counted && live_count > 0)
		live_count--;
	table_unuse(table_find(p->files));
	proc_free(p);
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct ct_event evbuf;
	const struct ct_event *ev = &evbuf;
	struct proc *p;

	(void)ctx;
	/* records without a name end at the header */
	if (len < CT_EVENT_HDR_SIZE)
		return 0;
	if (len > sizeof(evbuf))
		len = sizeof(evbuf);
	memcpy(&evbuf, data, len);
	if (len < sizeof(evbuf))
		memset((char *)&evbuf + len, 0, sizeof(evbuf) - len);
	st.events++;
	if (ev->ts_ns > last_ts)
		last_ts = ev->ts_ns;
	switch (ev->type) {
	case CT_EV_FD:
		on_fd(ev);
		break;
	case CT_EV_SETFD:
		on_setfd(ev);
		break;
	case CT_EV_CLOSE:
		on_close(ev);
		break;
	case CT_EV_CLOSE_RANGE:
		on_close_range(ev);
		break;
	case CT_EV_FORK:
		on_fork(ev);
		break;
	case CT_EV_EXEC:
		p = proc_get(ev->tgid);
		if (p->in_exec)
			exec_finish(p);
		p->in_exec = true;
		p->exec_hdr = *ev;
		p->nxfd = 0;
		break;
	case CT_EV_EXEC_FD:
		p = proc_get(ev->tgid);
		if (!p->in_exec)
			break;
		if (p->nxfd == p->capxfd) {
			p->capxfd = p->capxfd ? p->capxfd * 2 : 16;
			p->xfd = xrealloc(p->xfd, (size_t)p->capxfd * sizeof(*p->xfd));
		}
		p->xfd[p->nxfd++].ev = *ev;
		break;
	case CT_EV_EXEC_END:
		p = proc_get(ev->tgid);
		if (!p->in_exec)
			break;
		if (ev->flags & CT_F_TRUNC)
			fprintf(stderr, "%s: warning: fd scan of pid %u stopped at its bound\n",
				TOOL, ev->tgid);
		exec_finish(p);
		break;
	case CT_EV_EXIT:
		on_exit_rec(ev);
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                       */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && opt.verbose < 2)
		return 0;
	if (!opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Whether we may load tracing BPF programs: root, or CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN. */
static bool bpf_privileged(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & (1ULL << 21)) || ((eff & (1ULL << 39)) && (eff & (1ULL << 38)));
}

/* One sentence on what is missing, exit 3. */
static int env_check(void)
{
	if (!bpf_privileged()) {
		fprintf(stderr,
			"%s: needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; "
			"run it with sudo\n",
			TOOL);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr,
			"%s: the kernel has no BTF (/sys/kernel/btf/vmlinux is missing); "
			"it needs CONFIG_DEBUG_INFO_BTF=y\n",
			TOOL);
		return -1;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t read_counter(struct cloexec_trace_bpf *skel, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *v;

	if (ncpu <= 0)
		return 0;
	v = xcalloc((size_t)ncpu, sizeof(*v));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &idx, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* The child: wait until the parent has put us in the traced set, drop sudo, exec CMD. */
static void run_child(int sync_fd, int err_fd)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	int e;
	char c;

	if (read(sync_fd, &c, 1) != 1)
		_exit(127);
	if (getuid() == 0 && su && sg) {
		uid_t uid = (uid_t)strtoul(su, NULL, 10);
		gid_t gid = (gid_t)strtoul(sg, NULL, 10);
		const char *user = getenv("SUDO_USER");

		if (uid != 0) {
			if ((user ? initgroups(user, gid) : setgroups(1, &gid)) || setgid(gid) ||
			    setuid(uid)) {
				e = errno;
				if (write(err_fd, &e, sizeof(e)) < 0)
					_exit(126);
				_exit(126);
			}
		}
	}
	/* do not outlive a tracer that was killed (tests, CI timeouts) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() == 1)
		_exit(127);
	/* A clean baseline: what our caller leaked into us does not reach CMD (err_fd stays
	 * usable until the exec succeeds). */
	if (!opt.keep_fds)
		syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	execvp(opt.cmd[0], opt.cmd);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void print_start(pid_t target)
{
	struct utsname u;
	struct sbuf b = {0};
	const char *scope = opt.cmd ? "command" : opt.pid ? "pid" : "system";
	static const char *const fn[] = {"leaked", "late", "never", "race", "lost"};
	int first = 1;

	uname(&u);
	if (json_out) {
		sb_printf(&b,
			  "{\"v\":1,\"type\":\"start\",\"tool\":\"%s\",\"version\":\"%s\","
			  "\"scope\":\"%s\",\"pid\":",
			  TOOL, VERSION, scope);
		if (target)
			sb_printf(&b, "%d", (int)target);
		else
			sb_puts(&b, "null");
		sb_puts(&b, ",\"kernel\":");
		sb_json_str(&b, u.release);
		sb_puts(&b, ",\"fail_on\":[");
		for (int i = 0; i < 5; i++)
			if (opt.fail_on & (1u << i)) {
				sb_printf(&b, "%s\"%s\"", first ? "" : ",", fn[i]);
				first = 0;
			}
		sb_puts(&b, "]}");
		jemit(&b);
	}
	errno = 0;
	if (human &&
	    (printf("%-11s %-7s %-16s %-8s %-6s %-12s %-44s %s\n", "TIME", "PID", "COMM", "EVENT",
		    "FD", "KIND", "DETAIL", "VERDICT") < 0 ||
	     ferror(stdout)) &&
	    !out_errno)
		out_errno = errno ? errno : EIO;
}

static int finish(struct cloexec_trace_bpf *skel)
{
	struct sbuf b = {0};
	int code = EX_OK;

	/* fds still open at the end: their fate is as known now */
	for (int h = 0; h < NBUCKET; h++)
		for (struct table *t = tables[h]; t; t = t->next)
			for (int fd = 0; fd < t->cap; fd++) {
				struct entry *e = &t->e[fd];

				if (e->open && e->c && e->c->files == t->files && !e->c->reported)
					report_fd(e->c);
			}
	exec_flush(true, 0);
	ino_prune(0, true);
	st.lost = read_counter(skel, CT_CNT_LOST);
	if (read_counter(skel, CT_CNT_SCOPE_FULL))
		fprintf(stderr,
			"%s: warning: %llu child processes could not be traced (traced set full)\n",
			TOOL, (unsigned long long)read_counter(skel, CT_CNT_SCOPE_FULL));
	if (st.lost) {
		fprintf(stderr,
			"%s: warning: %lu records lost (ring buffer full); results are "
			"incomplete\n",
			TOOL, st.lost);
		if (json_out) {
			sb_printf(&b, "{\"v\":1,\"type\":\"lost\",\"records\":%lu}", st.lost);
			jemit(&b);
		}
	}
	if (((opt.fail_on & FAIL_LEAKED) && st.leaked) || ((opt.fail_on & FAIL_LATE) && st.late) ||
	    ((opt.fail_on & FAIL_NEVER) && st.never) || ((opt.fail_on & FAIL_RACE) && st.races) ||
	    ((opt.fail_on & FAIL_LOST) && st.lost))
		code = EX_FINDING;
	if (json_out) {
		sb_printf(&b,
			  "{\"v\":1,\"type\":\"summary\",\"fds\":%lu,\"atomic\":%lu,\"late\":%lu,"
			  "\"never\":%lu,\"execs\":%lu,\"leaked\":%lu,\"passed\":%lu,\"races\":%lu,"
			  "\"lost\":%lu,\"records\":%lu,\"timed_out\":%s,",
			  st.fds, st.atomic, st.late, st.never, st.execs, st.leaked, st.passed,
			  st.races, st.lost, st.events, timed_out ? "true" : "false");
		/* how the command ended: its exit code, or -signal */
		if (cmd_status != INT_MIN)
			sb_printf(&b, "\"cmd_exit\":%d,", cmd_status);
		sb_printf(&b, "\"exit_code\":%d}", code);
		jemit(&b);
	}
	if (human || opt.verbose) {
		FILE *f = human ? stdout : stderr;

		errno = 0;
		fprintf(
		    f,
		    "summary: %lu fds (%lu atomic, %lu late, %lu never), %lu execs, %lu leaked, "
		    "%lu passed, %lu races, %lu lost%s -> exit %d\n",
		    st.fds, st.atomic, st.late, st.never, st.execs, st.leaked, st.passed, st.races,
		    st.lost, timed_out ? ", timed out" : "", code);
		if (ferror(f) && !out_errno)
			out_errno = errno ? errno : EIO;
	}
	fflush(stdout);
	return code;
}

/* 0, or the errno of the first failed write to stdout or the JSON file (flushed now). */
static int output_error(void)
{
	int e = out_errno;

	errno = 0;
	if (!e && json_out && (fflush(json_out) || ferror(json_out)))
		e = errno ? errno : EIO;
	errno = 0;
	if (!e && (fflush(stdout) || ferror(stdout)))
		e = errno ? errno : EIO;
	return e;
}

/* ------------------------------------------------------------------------------------------ */
/* Options                                                                                     */

static const char usage_text[] =
    "Usage: " TOOL " [OPTIONS] [-- CMD [ARGS...]]\n"
    "Trace close-on-exec correctness: which fds a process tree creates without O_CLOEXEC,\n"
    "sets it late (a race window), and which fds survive exec (leaked or passed).\n"
    "\n"
    "Scope: -- CMD ARGS traces CMD and all its descendants; -p PID an existing process and\n"
    "its future descendants; neither: the whole system until Ctrl-C or --timeout.\n"
    "\n"
    "Options:\n"
    "  -j, --json             JSON Lines on stdout (schema: bpf/SCHEMA.md, version 1)\n"
    "  -o, --output FILE      write the JSON Lines to FILE (human lines stay on stdout)\n"
    "  -p, --pid PID          trace PID and its future descendants\n"
    "  -f, --fail-on LIST     findings that make the exit code 1: leaked,late,never,race,\n"
    "                         lost (records dropped), all or none (default: leaked,lost)\n"
    "  -a, --allow FD         an fd number that may be inherited across exec (repeatable)\n"
    "  -A, --allow-comm COMM  a program (comm or file name) allowed to inherit fds (repeatable)\n"
    "  -l, --linger MS        after CMD (or PID) exits, wait at most MS for its descendants\n"
    "                         (1000)\n"
    "  -t, --timeout SEC      stop the whole trace after SEC seconds (kills CMD)\n"
    "  -r, --ring-kb KB       ring buffer size in KiB, a power of two, 4 to 1048576 (8192)\n"
    "      --keep-fds         CMD inherits the fds >= 3 we were started with (e.g. a make\n"
    "                         jobserver's), reported as passed (reason caller); default:\n"
    "                         they are closed at CMD's exec, so CMD starts clean\n"
    "      --ready-fd N       once tracing is live, write \"ready\\n\" to fd N (>= 3) and close\n"
    "                         it (the start record is also written only then)\n"
    "  -q, --quiet            text lines for findings only: no atomic fds, no execs that\n"
    "                         inherited nothing (JSON and the summary are unchanged)\n"
    "  -v, --verbose          diagnostics on stderr (twice: libbpf debug output)\n"
    "  -h, --help             this help\n"
    "  -V, --version          print the version\n"
    "\n"
    "Exit status: 0 clean, 1 findings (per --fail-on), 2 usage, 3 environment (not root,\n"
    "no kernel BTF, output that could not be written).\n"
    "\n"
    "EXAMPLES\n"
    "  sudo " TOOL " -- ./server --port 8080\n"
    "      trace a server and everything it spawns; text lines and a summary\n"
    "  sudo " TOOL " --json -- python3 app.py > trace.jsonl\n"
    "      JSON Lines for machines\n"
    "  sudo " TOOL " -o trace.jsonl --fail-on leaked,late -- make test\n"
    "      CI gate: exit 1 on any leaked fd or late cloexec, JSON kept in a file\n"
    "  sudo " TOOL " --allow 3 --allow-comm jspawnhelper -- java -jar app.jar\n"
    "      fd 3 and fds given to jspawnhelper are passed on purpose\n"
    "  sudo " TOOL " -p 1234 --timeout 60\n"
    "      watch a running process and its children for a minute\n"
    "  sudo " TOOL " --timeout 10 -o trace.jsonl\n"
    "      the whole system for ten seconds\n"
    "  sudo " TOOL " -q --timeout 30\n"
    "      a live system: only late/never fds, leaks at exec and races, then a summary\n"
    "  " TOOL " -p 1234 -o trace.jsonl --ready-fd 3 3>ready.fifo   (as root)\n"
    "      a script reads \"ready\" from ready.fifo, then starts the workload (no sleep);\n"
    "      sudo closes fds >= 3, so under sudo wait for the start record instead\n";

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", TOOL);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EX_USAGE);
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("invalid %s '%s'", what, s);
	return v;
}

static unsigned parse_fail_on(const char *s)
{
	char *dup = strdup(s), *save = NULL, *tok;
	unsigned m = 0;

	if (!dup) {
		fprintf(stderr, "%s: failed to parse --fail-on: %s\n", TOOL, strerror(errno));
		exit(EX_ENV);
	}
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		usage_error("invalid --fail-on list '%s' (an empty item)", s);
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "leaked"))
			m |= FAIL_LEAKED;
		else if (!strcmp(tok, "late"))
			m |= FAIL_LATE;
		else if (!strcmp(tok, "never"))
			m |= FAIL_NEVER;
		else if (!strcmp(tok, "race"))
			m |= FAIL_RACE;
		else if (!strcmp(tok, "lost"))
			m |= FAIL_LOST;
		else if (!strcmp(tok, "all"))
			m |= FAIL_LEAKED | FAIL_LATE | FAIL_NEVER | FAIL_RACE | FAIL_LOST;
		else if (strcmp(tok, "none"))
			usage_error(
			    "invalid --fail-on value '%s' (leaked,late,never,race,lost,all,none)",
			    tok);
	}
	free(dup);
	return m;
}

/* The thread group (process) of a thread id, from /proc; the id itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = tid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return tid;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid > 0 ? tgid : tid;
}

/*
 * Whether process pid has ended: no such process, or a zombie (exited, not yet reaped by its
 * parent: kill(pid, 0) still succeeds, but no exit record will ever come for it). A leader
 * thread that exited shows as a zombie too while other threads run: those count as alive.
 */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	int fd, threads = 0;
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kill(pid, 0) && errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return kill(pid, 0) && errno == ESRCH;
	buf[n] = '\0';
	/* "pid (comm) S ...": the comm may hold ')' and spaces, the state follows the last ')' */
	rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || (rp[2] != 'Z' && rp[2] != 'X'))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return true;
	while ((d = readdir(dir)) && threads < 2)
		threads += d->d_name[0] != '.';
	closedir(dir);
	return threads < 2;
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"output", required_argument, NULL, 'o'},
	    {"pid", required_argument, NULL, 'p'},
	    {"fail-on", required_argument, NULL, 'f'},
	    {"allow", required_argument, NULL, 'a'},
	    {"allow-comm", required_argument, NULL, 'A'},
	    {"linger", required_argument, NULL, 'l'},
	    {"timeout", required_argument, NULL, 't'},
	    {"ring-kb", required_argument, NULL, 'r'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"ready-fd", required_argument, NULL, 'R'},
	    {"keep-fds", no_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jo:p:f:a:A:l:t:r:vqhV", lo, NULL)) != -1) {
		/* "--allow-comm -- CMD": the option lacks its value, "--" is not one */
		if (optarg && !strcmp(optarg, "--"))
			usage_error("option '%s' needs a value", argv[optind - 2]);
		switch (c) {
		case 'j':
			opt.json = true;
			break;
		case 'o':
			if (!*optarg)
				usage_error("empty --output file name");
			opt.output = optarg;
			break;
		case 'p':
			opt.pid = (pid_t)parse_num(optarg, 1, INT_MAX, "pid");
			break;
		case 'f':
			opt.fail_on = parse_fail_on(optarg);
			break;
		case 'a':
			if (opt.n_allow_fd == MAX_ALLOW)
				usage_error("too many --allow options (max %d)", MAX_ALLOW);
			opt.allow_fd[opt.n_allow_fd++] = (int)parse_num(optarg, 0, INT_MAX, "fd");
			break;
		case 'A':
			if (opt.n_allow_comm == MAX_ALLOW)
				usage_error("too many --allow-comm options (max %d)", MAX_ALLOW);
			if (!*optarg)
				usage_error("empty --allow-comm value");
			opt.allow_comm[opt.n_allow_comm++] = optarg;
			break;
		case 'l':
			opt.linger_ms = parse_num(optarg, 0, 86400000, "--linger milliseconds");
			break;
		case 't':
			opt.timeout_s = parse_num(optarg, 1, 86400 * 365, "--timeout seconds");
			break;
		case 'r':
			/* at most 1 GiB: the ring is locked memory, and 4 GiB overflows the map
			 * size (a u32 of bytes) */
			opt.ring_kb =
			    parse_num(optarg, 4, 1L << 20, "--ring-kb size (4 to 1048576)");
			if (opt.ring_kb & (opt.ring_kb - 1))
				usage_error("invalid --ring-kb size '%s' (a power of two)", optarg);
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'K':
			opt.keep_fds = true;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'R':
			/* one ready line only: a second fd would wait in vain */
			if (opt.ready_fd >= 0)
				usage_error("--ready-fd given more than once");
			opt.ready_fd =
			    (int)parse_num(optarg, 3, INT_MAX, "--ready-fd (an fd >= 3)");
			/* ours only: the command must not inherit it */
			if (fcntl(opt.ready_fd, F_SETFD, FD_CLOEXEC) < 0)
				usage_error("invalid --ready-fd %d (not an open file descriptor)",
					    opt.ready_fd);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EX_OK);
		case 'V':
			printf("%s %s\n", TOOL, VERSION);
			exit(EX_OK);
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		opt.cmd = &argv[optind];
	/* "--" with nothing after it: a command that went missing, not a system-wide trace */
	else if (optind > 1 && !strcmp(argv[optind - 1], "--"))
		usage_error("no command after '--'");
	if (opt.keep_fds && !opt.cmd)
		usage_error("--keep-fds applies to -- CMD only");
	if (opt.cmd && opt.pid)
		usage_error("use either -p PID or -- CMD, not both");
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH)
		usage_error("no process with pid %d", (int)opt.pid);
	if (opt.pid && pid_gone(opt.pid))
		usage_error("process %d has already exited (a zombie)", (int)opt.pid);
	if (opt.pid)
		opt.pid = tgid_of(opt.pid); /* a thread id names its process */
}

int main(int argc, char **argv)
{
	struct cloexec_trace_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	int sync_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	int code = EX_ENV, err, status;
	pid_t child = 0, target = 0;
	bool child_done = true;
	uint64_t deadline = 0, linger_until = 0, kill_at = 0, pruned = 0;
	struct sigaction sa = {.sa_handler = on_signal};
	uint8_t one = 1;

	parse_args(argc, argv);
	if (env_check())
		return EX_ENV;
	if (opt.cmd && opt.keep_fds)
		note_caller_fds(); /* before we open anything of our own */

	/* outputs: JSON to -o FILE, else to stdout with --json; text on stdout otherwise */
	if (opt.output) {
		json_out = fopen(opt.output, "we");
		if (!json_out) {
			fprintf(stderr, "%s: failed to open %s: %s\n", TOOL, opt.output,
				strerror(errno));
			return EX_USAGE;
		}
		human = !opt.json;
	} else if (opt.json) {
		json_out = stdout;
	} else {
		human = true;
	}
	/*
	 * With -- CMD, stdout is also the command's: write our lines whole, one at a time, so
	 * they do not interleave mid-line. Else (a file, -p, system-wide) buffer and write after
	 * each batch of records.
	 */
	line_flush = opt.cmd != NULL;
	if (line_flush)
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (json_out && json_out != stdout)
		setvbuf(json_out, NULL, _IOFBF, 1 << 16);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	libbpf_set_print(libbpf_print);
	t0_ns = now_ns();

	/* open -> configure -> load -> attach, each checked */
	skel = cloexec_trace_bpf__open();
	if (!skel) {
		fprintf(stderr, "%s: failed to open BPF object: %s\n", TOOL, strerror(errno));
		goto cleanup;
	}
	skel->rodata->filter_enabled = (opt.cmd || opt.pid) ? 1 : 0;
	skel->rodata->self_tgid = (uint32_t)getpid();
	if (opt.ring_kb) {
		err = bpf_map__set_max_entries(skel->maps.rb, (uint32_t)opt.ring_kb * 1024);
		if (err) {
			fprintf(stderr, "%s: failed to size ring buffer: %s\n", TOOL,
				strerror(-err));
			goto cleanup;
		}
		skel->rodata->rb_wake_bytes = (uint64_t)opt.ring_kb * 1024 / 2;
	}
	if (ct_kernel_configure(skel, opt.verbose))
		goto cleanup;
	err = cloexec_trace_bpf__load(skel);
	if (err) {
		ct_kernel_load_failed(err);
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "%s: failed to create ring buffer: %s\n", TOOL, strerror(errno));
		goto cleanup;
	}

	if (opt.cmd) {
		if (pipe2(sync_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
			fprintf(stderr, "%s: failed to create pipe: %s\n", TOOL, strerror(errno));
			goto cleanup;
		}
		fflush(NULL);
		child = fork();
		if (child < 0) {
			fprintf(stderr, "%s: failed to fork: %s\n", TOOL, strerror(errno));
			goto cleanup;
		}
		if (child == 0) {
			signal(SIGPIPE, SIG_DFL);
			run_child(sync_pipe[0], err_pipe[1]);
		}
		close(sync_pipe[0]);
		close(err_pipe[1]);
		sync_pipe[0] = err_pipe[1] = -1;
		child_done = false;
		target = child;
	} else if (opt.pid) {
		target = opt.pid;
	}
	if (target) {
		uint32_t k = (uint32_t)target;
		struct proc *p = proc_get(k);

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.traced), &k, &one, BPF_ANY)) {
			fprintf(stderr, "%s: failed to add pid %d to the traced set: %s\n", TOOL,
				(int)target, strerror(errno));
			goto cleanup;
		}
		p->counted = true;
		live_count = 1;
		if (child) {
			p->have_spawn = true;
			p->launching = true;
			p->spawn_sc = CT_SC_FORK;
			snprintf(p->comm, sizeof(p->comm), "%s", TOOL);
			p->ppid = getpid();
		}
	}
	err = cloexec_trace_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "%s: failed to attach BPF programs: %s\n", TOOL, strerror(-err));
		goto cleanup;
	}
	if (child) {
		int e = 0;

		/* release the child, then learn whether its exec worked */
		if (write(sync_pipe[1], "x", 1) != 1) {
			fprintf(stderr, "%s: failed to start %s: %s\n", TOOL, opt.cmd[0],
				strerror(errno));
			goto cleanup;
		}
		close(sync_pipe[1]);
		sync_pipe[1] = -1;
		if (read(err_pipe[0], &e, sizeof(e)) == sizeof(e)) {
			fprintf(stderr, "%s: failed to run %s: %s\n", TOOL, opt.cmd[0],
				strerror(e));
			code = EX_USAGE;
			goto cleanup;
		}
		close(err_pipe[0]);
		err_pipe[0] = -1;
	}
	/* tracing is live: the start record, flushed, then the ready line (SCHEMA.md) */
	print_start(target);
	flush_out(stdout);
	flush_out(json_out);
	if (opt.ready_fd >= 0) {
		if (write(opt.ready_fd, "ready\n", 6) != 6 && opt.verbose)
			fprintf(stderr, "%s: failed to write to --ready-fd %d: %s\n", TOOL,
				opt.ready_fd, strerror(errno));
		close(opt.ready_fd);
		opt.ready_fd = -1;
	}
	if (opt.timeout_s)
		deadline = now_ns() + (uint64_t)opt.timeout_s * 1000000000ULL;

	/* poll with a timeout: records arrive in batches, no wakeup per record */
	for (;;) {
		uint64_t now;

		err = ring_buffer__poll(rb, 50);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "%s: failed to poll ring buffer: %s\n", TOOL,
				strerror(-err));
			goto cleanup;
		}
		now = now_ns();
		exec_flush(false, now);
		flush_out(stdout);
		flush_out(json_out);
		if (now > pruned + 1000000000ULL) {
			ino_prune(last_ts, false);
			pruned = now;
		}
		if (!child_done && waitpid(child, &status, WNOHANG) == child) {
			child_done = true;
			cmd_status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
			linger_until = now + (uint64_t)opt.linger_ms * 1000000ULL;
			ring_buffer__consume(rb);
		}
		if (stop_sig && !child_done) {
			if (!kill_at) {
				kill(child, stop_sig);
				kill_at = now + 1000000000ULL;
			} else if (now > kill_at) {
				kill(child, SIGKILL);
			}
			continue;
		}
		if (stop_sig)
			break;
		if (deadline && now >= deadline) {
			timed_out = true;
			if (!child_done) {
				kill(child, SIGKILL);
				if (waitpid(child, &status, 0) == child)
					cmd_status = WIFEXITED(status) ? WEXITSTATUS(status)
								       : -WTERMSIG(status);
				child_done = true;
			}
			break;
		}
		if (opt.cmd && child_done && (live_count <= 0 || now >= linger_until))
			break;
		if (opt.pid && (live_count <= 0 || pid_gone(opt.pid))) {
			if (!linger_until)
				linger_until = now + (uint64_t)opt.linger_ms * 1000000ULL;
			if (live_count <= 0 || now >= linger_until)
				break;
		}
	}
	ring_buffer__consume(rb);
	code = finish(skel);
	/* a full disk or a closed pipe: the results are incomplete, say so (exit 3) */
	err = output_error();
	if (err) {
		fprintf(stderr, "%s: failed to write output: %s\n", TOOL, strerror(err));
		code = EX_ENV;
	}

cleanup:
	if (child > 0 && !child_done) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (sync_pipe[i] >= 0)
			close(sync_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	ring_buffer__free(rb);
	cloexec_trace_bpf__destroy(skel);
	if (json_out && json_out != stdout)
		fclose(json_out);
	return code;
}
