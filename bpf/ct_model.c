// SPDX-License-Identifier: MIT
/*
 * ct_model.c - cloexec-trace's model of fd tables, processes and creations (see ct_model.h).
 *
 * Tables are keyed by the kernel's files_struct address: fork copies a table, CLONE_FILES
 * shares it, exec keeps the survivors, close/dup2/close_range drop entries. When an fd leaves
 * the table that created it, its creation is final and goes on the closed list; nothing here
 * decides a verdict or prints. Heirs (fds inherited at an exec) count their holders and record
 * what each did with its copy; a heir whose copies can change nothing more goes on the settled
 * list.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct_model.h"
#include "ct_opts.h"
#include "ct_stack.h"

#define NBUCKET	    4096
#define INO_BUCKETS 4096
/*
 * Creations leave the inode index 2 s after their fd closed; 0.35 s (a record's ordering slack
 * and a poll) when no fork copied their table since they were made: the index finds the
 * creation of an fd a fork copied before its record arrived, and nothing else. Keeping every
 * closed creation 2 s held ~150 bytes per fd made at 100k fds/s.
 */
#define INO_KEEP_NS  2000000000ULL
#define INO_SHORT_NS 350000000ULL

uint64_t model_last_ts;
uint64_t model_ev_ts;

static struct table *tables[NBUCKET];
static struct proc *procs[NBUCKET];

/*
 * Recent creations by inode, for fds that a fork copied before their creation record arrived
 * (the record is written at syscall exit, after the fd is already in the table): at exec they
 * are found through the table's ancestors.
 */
struct ino_ref {
	struct creation *c;
	struct ino_ref *next;
};

static struct ino_ref *ino_idx[INO_BUCKETS];

/* Creations that became final, oldest first (see model_take_closed). */
struct closed {
	struct creation *c;
	struct closed *next;
};

static struct closed *closed_head, **closed_tail = &closed_head;

/* Heirs not settled yet (for the end of the trace), and the settled ones in order. */
static struct heir *heirs_live;
static struct closed_heir {
	struct heir *h;
	struct closed_heir *next;
} * settled_head, **settled_tail = &settled_head;

static void __attribute__((noreturn)) out_of_memory(void)
{
	fprintf(stderr, "%s: failed to allocate memory: %s\n", TOOL, strerror(errno));
	exit(EX_ENV);
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t sz)
{
	void *q = realloc(p, sz ? sz : 1);

	if (!q)
		out_of_memory();
	return q;
}

char *xstrdup(const char *str)
{
	char *p = strdup(str);

	if (!p)
		out_of_memory();
	return p;
}

static unsigned hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (unsigned)(k & (NBUCKET - 1));
}

/* ---- creations and the inode index ---------------------------------------------------- */

static void ino_add(struct creation *c)
{
	struct ino_ref *r = xcalloc(1, sizeof(*r));
	unsigned h = hash64(c->ino) & (INO_BUCKETS - 1);

	c->refs++;
	r->c = c;
	r->next = ino_idx[h];
	ino_idx[h] = r;
}

/* The creation of fd record ev (one reference, the caller's); name: its path or "". */
struct creation *creation_new(const struct ct_event *ev, const char *name)
{
	struct creation *c = xcalloc(1, sizeof(*c));

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
	c->name = xstrdup(name);
	if (!c->coe_at && ev->fd >= 3)
		ino_add(c);
	return c;
}

void creation_put(struct creation *c)
{
	if (c && --c->refs == 0) {
		ct_stack_put(c->stack);
		ct_stack_put(c->clear_stack);
		free(c->w);
		free(c->name);
		free(c);
	}
}

const struct ct_stack *creation_stack(const struct creation *c)
{
	return !c ? NULL : c->clear_stack ? c->clear_stack : c->stack;
}

void creation_add_witness(struct creation *c, const struct witness *w)
{
	if (c->nw == c->capw) {
		c->capw = c->capw ? c->capw * 2 : 4;
		c->w = xrealloc(c->w, (size_t)c->capw * sizeof(*c->w));
	}
	c->w[c->nw++] = *w;
}

/* The latest creation of inode ino as fd in table files, made before time t. */
struct creation *ino_find(uint64_t ino, int fd, uint64_t files, uint64_t t)
{
	for (struct ino_ref *r = ino_idx[hash64(ino) & (INO_BUCKETS - 1)]; r; r = r->next)
		if (r->c->ino == ino && r->c->fd == fd && r->c->files == files && r->c->t_ns <= t)
			return r->c;
	return NULL;
}

/* Whether a fork may have copied c's fd out of its table (the table is gone: may have). */
static bool maybe_copied(const struct creation *c)
{
	const struct table *t = table_find(c->files);

	return !t || t->copied_t >= c->t_ns;
}

/* Drop creations whose fd closed long enough ago (INO_KEEP_NS, INO_SHORT_NS; all: the end). */
void ino_prune(uint64_t now, bool all)
{
	for (int h = 0; h < INO_BUCKETS; h++) {
		struct ino_ref **pp = &ino_idx[h], *r;

		while ((r = *pp)) {
			const struct creation *c = r->c;

			if (all || (c->final &&
				    (c->closed_t + INO_KEEP_NS < now ||
				     (c->closed_t + INO_SHORT_NS < now && !maybe_copied(c))))) {
				*pp = r->next;
				creation_put(r->c);
				free(r);
			} else {
				pp = &r->next;
			}
		}
	}
}

/* c's fate is known now: mark it final and queue it for the decisions. */
static void creation_final(struct creation *c)
{
	struct closed *n = xcalloc(1, sizeof(*n));

	c->final = true;
	c->closed_t = model_ev_ts;
	c->refs++;
	n->c = c;
	*closed_tail = n;
	closed_tail = &n->next;
}

struct creation *model_take_closed(void)
{
	struct closed *n = closed_head;
	struct creation *c;

	if (!n)
		return NULL;
	closed_head = n->next;
	if (!closed_head)
		closed_tail = &closed_head;
	c = n->c;
	free(n);
	return c;
}

/* ---- fd tables ------------------------------------------------------------------------ */

struct table *table_find(uint64_t files)
{
	struct table *t;

	if (!files)
		return NULL;
	for (t = tables[hash64(files)]; t; t = t->next)
		if (t->files == files)
			return t;
	return NULL;
}

struct table *table_new(uint64_t files)
{
	struct table *t = xcalloc(1, sizeof(*t));
	unsigned h = hash64(files);

	t->files = files;
	t->next = tables[h];
	tables[h] = t;
	return t;
}

struct entry *table_slot(struct table *t, int fd)
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

struct entry *table_get(struct table *t, int fd)
{
	if (!t || fd < 0 || fd >= t->cap || !t->e[fd].open)
		return NULL;
	return &t->e[fd];
}

static void heir_unhold(struct table *t, struct entry *e, enum ct_drop how, uint32_t pid,
			uint64_t ts);

/*
 * The fd left table t (close, exec, exit): its creation's fate is known if t created it, and a
 * heir it held learns how its copy ended.
 */
void entry_drop(struct table *t, struct entry *e, enum ct_drop how, uint32_t pid, uint64_t ts)
{
	if (!e || !e->open)
		return;
	if (e->c && e->c->files == t->files && !e->c->final)
		creation_final(e->c);
	if (e->h)
		heir_unhold(t, e, how, pid, ts);
	creation_put(e->c);
	memset(e, 0, sizeof(*e));
}

/* d (in table dt) becomes a copy of s: the same creation and heir, one more holder each. */
static void entry_copy(struct table *dt, struct entry *d, const struct entry *s)
{
	*d = *s;
	if (d->c)
		d->c->refs++;
	if (d->h) {
		d->h->holders++;
		d->h->refs++;
		dt->nheirs++;
	}
}

struct entry *table_heir_of(struct table *t, uint64_t ino, const struct entry *skip)
{
	if (!t || !t->nheirs)
		return NULL;
	for (int fd = 3; fd < t->cap; fd++) {
		struct entry *e = &t->e[fd];

		if (e != skip && e->open && e->h && e->ino == ino)
			return e;
	}
	return NULL;
}

static void table_free(struct table *t)
{
	struct table **pp = &tables[hash64(t->files)];

	for (int fd = 0; fd < t->cap; fd++)
		entry_drop(t, &t->e[fd], CT_DROP_EXIT, 0, model_ev_ts);
	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	free(t->e);
	free(t);
}

void table_unuse(struct table *t)
{
	if (t && --t->users <= 0)
		table_free(t);
}

/* A copy of src as a new table (fork without CLONE_FILES, unshare). */
struct table *table_copy(struct table *src, uint64_t files, uint64_t fork_t, uint32_t child)
{
	struct table *old = table_find(files), *t;

	if (old) /* a stale table at a reused address */
		table_free(old);
	t = table_new(files);
	t->owner = child;
	if (!src)
		return t;
	if (fork_t > src->copied_t)
		src->copied_t = fork_t;
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
		entry_copy(t, d, s);
		if (fork_t)
			d->cleared_by = 0; /* what the parent cleared, the child did not */
		if (d->c && fork_t && d->c->files == src->files) {
			d->via_fork = true;
			d->fork_t = fork_t;
			d->fork_child = child;
			d->cleared_here = false;
		}
	}
	return t;
}

/* The end of the trace: every fd still open in its creator's table is final as it is now. */
void model_finalize_open(void)
{
	for (int h = 0; h < NBUCKET; h++)
		for (struct table *t = tables[h]; t; t = t->next)
			for (int fd = 0; fd < t->cap; fd++) {
				struct entry *e = &t->e[fd];

				if (e->open && e->c && e->c->files == t->files && !e->c->final)
					creation_final(e->c);
			}
}

/* ---- processes ------------------------------------------------------------------------ */

struct proc *proc_find(uint32_t tgid)
{
	struct proc *p;

	for (p = procs[hash64(tgid)]; p; p = p->next)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

struct proc *proc_get(uint32_t tgid)
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

void proc_free(struct proc *p)
{
	struct proc **pp = &procs[hash64(p->tgid)];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	proc_settle_closes(p, false, model_ev_ts);
	free(p->closed);
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
		t = table_copy(old, files, 0, p->tgid); /* unshare: a table of p's own */
		t->users = 0;
	}
	t->users++;
	p->files = files;
	table_unuse(old);
	return t;
}

/* The process and its fd table, as seen in a record. */
struct table *touch(const struct ct_event *ev, struct proc **pp)
{
	struct proc *p = proc_get(ev->tgid);
	bool exec =
	    ev->type == CT_EV_EXEC || ev->type == CT_EV_EXEC_FD || ev->type == CT_EV_EXEC_END;

	if (!exec)
		memcpy(p->comm, ev->comm, CT_COMM_LEN);
	if (pp)
		*pp = p;
	if (exec)
		return table_find(p->files);
	return proc_set_files(p, ev->files);
}

/* One more fd that survived p's pending exec. */
void proc_add_exec_fd(struct proc *p, const struct ct_event *ev)
{
	if (p->nxfd == p->capxfd) {
		p->capxfd = p->capxfd ? p->capxfd * 2 : 16;
		p->xfd = xrealloc(p->xfd, (size_t)p->capxfd * sizeof(*p->xfd));
	}
	p->xfd[p->nxfd++].ev = *ev;
}

/*
 * p's table after its exec: the survivors only. keep[fd] (for fd < old->cap) says which fds of
 * the old table survived. A table that was shared (CLONE_FILES) was unshared by exec into a
 * copy: the new table holds the survivors and fds 0-2.
 */
void proc_exec_survivors(struct proc *p, struct table *old, const bool *keep)
{
	const struct ct_event *h = &p->exec_hdr;
	struct table *nt;

	if (old && old->files == h->files) {
		for (int fd = 0; fd < old->cap; fd++)
			if (old->e[fd].open && fd >= 3 && !keep[fd])
				entry_drop(old, &old->e[fd], CT_DROP_EXEC, h->tgid, h->ts_ns);
		return;
	}
	nt = table_copy(NULL, h->files, 0, p->tgid);
	for (int i = 0; i < p->nxfd; i++) {
		const struct ct_event *x = &p->xfd[i].ev;
		struct entry *e = table_get(old, x->fd), *d = table_slot(nt, x->fd);

		if (e)
			entry_copy(nt, d, e);
		d->open = true;
		d->ino = x->ino;
	}
	for (int fd = 0; fd < 3; fd++) {
		struct entry *e = table_get(old, fd);

		if (e)
			entry_copy(nt, table_slot(nt, fd), e);
	}
	nt->users = 1;
	table_unuse(old);
	p->files = h->files;
}

/* ---- heirs: inherited fds, followed ----------------------------------------------------- */

struct heir *heir_new(uint32_t pid, int fd, uint64_t ino, uint64_t exec_t)
{
	struct heir *h = xcalloc(1, sizeof(*h));

	h->refs = 1;
	h->pid = pid;
	h->fd = fd;
	h->ino = ino;
	h->exec_t = exec_t;
	h->next = heirs_live;
	if (heirs_live)
		heirs_live->prev = h;
	heirs_live = h;
	return h;
}

void heir_put(struct heir *h)
{
	if (h && --h->refs == 0)
		free(h);
}

/* Settle h when nothing can change any more (a copy went on into another exec, or every copy
 * is gone and every closer has exec'd or ended), or when forced (the end). */
static void heir_check(struct heir *h, bool force)
{
	struct closed_heir *n;

	if (h->settled || (!force && !h->passed_t && (h->holders > 0 || h->pending > 0)))
		return;
	h->settled = true;
	if (h->prev)
		h->prev->next = h->next;
	else if (heirs_live == h)
		heirs_live = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	n = xcalloc(1, sizeof(*n));
	n->h = h;
	h->refs++;
	*settled_tail = n;
	settled_tail = &n->next;
}

static uint64_t later(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* e's copy of its heir ended (how, by process pid, at ts). */
static void heir_unhold(struct table *t, struct entry *e, enum ct_drop how, uint32_t pid,
			uint64_t ts)
{
	struct heir *h = e->h;
	struct proc *p = how == CT_DROP_CLOSE && pid ? proc_find(pid) : NULL;

	e->h = NULL;
	t->nheirs--;
	h->holders--;
	if (p) { /* closed: settled by what p does next (exec, or not) */
		if (p->nclosed == p->capclosed) {
			p->capclosed = p->capclosed ? 2 * p->capclosed : 8;
			p->closed = xrealloc(p->closed, (size_t)p->capclosed * sizeof(*p->closed));
		}
		p->closed[p->nclosed++] = (struct closed_copy){h, ts};
		h->refs++;
		h->pending++;
	} else if (how == CT_DROP_CLOSE) {
		h->closed_t = later(h->closed_t, ts);
	} else if (how == CT_DROP_EXEC) {
		h->closed_exec_t = later(h->closed_exec_t, ts);
	} else {
		h->exit_t = later(h->exit_t, ts);
	}
	heir_check(h, false);
	heir_put(h);
}

void entry_link(struct table *t, struct entry *e, struct heir *h)
{
	struct heir *old = e->h;

	if (old == h)
		return;
	if (old) { /* carried on into an exec: heir_passed said so */
		e->h = NULL;
		t->nheirs--;
		old->holders--;
		heir_check(old, false);
		heir_put(old);
	}
	if (h) {
		e->h = h;
		h->holders++;
		h->refs++;
		t->nheirs++;
	}
}

void heir_passed(struct heir *h, uint32_t pid, uint64_t t)
{
	if (!h->passed_t) {
		h->passed_t = t ? t : 1;
		h->passed_pid = pid;
	}
	heir_check(h, false);
}

void proc_settle_closes(struct proc *p, bool exec, uint64_t t)
{
	(void)t;
	for (int i = 0; i < p->nclosed; i++) {
		struct heir *h = p->closed[i].h;

		if (exec)
			h->closed_exec_t = later(h->closed_exec_t, p->closed[i].t);
		else
			h->closed_t = later(h->closed_t, p->closed[i].t);
		h->pending--;
		heir_check(h, false);
		heir_put(h);
	}
	p->nclosed = 0;
}

void model_end_heirs(uint64_t t)
{
	for (int b = 0; b < NBUCKET; b++)
		for (struct proc *p = procs[b]; p; p = p->next)
			proc_settle_closes(p, false, t);
	while (heirs_live) {
		struct heir *h = heirs_live;

		if (h->holders > 0)
			h->end_t = t;
		heir_check(h, true);
	}
}

struct heir *model_take_settled(void)
{
	struct closed_heir *n = settled_head;
	struct heir *h;

	if (!n)
		return NULL;
	settled_head = n->next;
	if (!settled_head)
		settled_tail = &settled_head;
	h = n->h;
	free(n);
	return h;
}

/* ---- the caller's fds (--keep-fds) ---------------------------------------------------- */

/*
 * With --keep-fds: the inodes of the fds our caller gave us without close-on-exec, which CMD
 * inherits on purpose (a make jobserver's pipes, a supervisor's sockets). Without it CMD starts
 * from a clean baseline: fds >= 3 we inherited are closed at its exec.
 */
static uint64_t *caller_ino;
static int n_caller_ino;

void caller_fds_note(int skip_fd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name), fl;
		struct stat st;

		if (fd < 3 || fd == dirfd(d) || fd == skip_fd)
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl < 0 || (fl & FD_CLOEXEC) || fstat(fd, &st) < 0)
			continue;
		caller_ino = xrealloc(caller_ino, sizeof(*caller_ino) * (size_t)(n_caller_ino + 1));
		caller_ino[n_caller_ino++] = (uint64_t)st.st_ino;
	}
	closedir(d);
}

bool caller_fd(uint64_t ino)
{
	for (int i = 0; i < n_caller_ino; i++)
		if (caller_ino[i] == ino)
			return true;
	return false;
}
