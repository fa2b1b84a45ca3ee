// SPDX-License-Identifier: MIT
/*
 * ct_events.c - cloexec-trace's record pump (see ct_events.h): one handler per record type
 * applies it to the model, asks the decisions, and queues what they decided for the output
 * (ct_order.c, time order). An fd's verdict goes out when the model says its fate is known (the
 * closed list, drained after each record); a race when decide_race() says so; an exec record
 * once every creator is final and every inherited fd's fate is known (bounded by --fate-wait);
 * a fate that becomes known after its exec record went out as a fate record of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/close_range.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_decide.h"
#include "ct_events.h"
#include "ct_file.h"
#include "ct_names.h"
#include "ct_opts.h"
#include "ct_order.h"
#include "ct_stack.h"

int live_count;

/* Every creation whose fate became known: decide its verdict, count it and queue its record. */
static void drain_closed(void)
{
	struct creation *c;

	while ((c = model_take_closed())) {
		enum ct_fd_verdict v;

		/* counted in the kernel (a SETFD's stand-in creation): no verdict of its own */
		if (c->counted) {
			creation_put(c);
			continue;
		}
		v = decide_fd_final(c);
		/* an atomic fd's record (dup3 onto a followed fd) is counted, shown with --all-fds
		 */
		if (c->fd >= 3 && (v != CT_FD_ATOMIC || opt.all_fds))
			order_fd(c, v, c->closed_t);
		else
			creation_put(c);
	}
}

/*
 * Every inherited fd whose fate became known: decide the fate and the final verdict (counted),
 * into its exec record when that is still held, else into a fate record of its own.
 */
static void drain_settled(void)
{
	struct heir *h;

	while ((h = model_take_settled())) {
		struct ct_inherited *it = h->watch;
		uint64_t at;

		if (it) {
			h->watch = NULL;
			it->fate = decide_fate(h, &at, &it->fate_pid);
			it->fate_ns = at > it->exec_t ? at - it->exec_t : 0;
			it->fate_t = model_ev_ts;
			it->verdict = decide_inherit_final(it->verdict, it->fate);
			heir_put(it->h);
			it->h = NULL;
			if (it->written)
				order_fate(it);
			inherited_put(it);
		}
		heir_put(h);
	}
}

/* The calls whose new fd is a copy of another (dup and kin): a followed fd's copy is too. */
static bool copy_call(unsigned sc)
{
	return sc == CT_SC_DUP || sc == CT_SC_DUP2 || sc == CT_SC_DUP3 || sc == CT_SC_FCNTL_DUPFD ||
	       sc == CT_SC_FCNTL_DUPFD_CLOEXEC;
}

static void on_fd(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	char path[PATH_MAX];
	struct creation *c;
	struct entry *e;

	if (!t || ev->fd < 0)
		return;
	e = table_slot(t, ev->fd);
	entry_drop(t, e, CT_DROP_CLOSE, ev->tgid, ev->ts_ns); /* dup2 onto an open fd closed it */
	ct_file_name(ev, ev->tgid, ev->fd, path, sizeof(path));
	c = creation_new(ev, path);
	c->shared = t->users > 1;
	c->stack = ct_stack_take(ev);
	e->c = c;
	e->ino = ev->ino;
	e->open = true;
	e->coe = c->coe_at;
	/* a copy (fd >= 3; not onto stdio: that is redirection) of an inherited fd is followed */
	if (ev->fd >= 3 && copy_call(ev->syscall)) {
		struct entry *src = table_heir_of(t, ev->ino, e);

		if (src)
			entry_link(t, e, src->h);
	}
}

/* c's bit was set at time t, after creation: late, and copies exec'd before may have raced. */
static void creation_set_late(struct creation *c, uint64_t t, enum ct_set_by by)
{
	c->late = true;
	c->set_t = t;
	c->late_ns = t > c->t_ns ? t - c->t_ns : 0;
	c->set_by = by;
	for (int i = 0; i < c->nw; i++)
		if (decide_race(c, &c->w[i]) == CT_RACE_YES)
			order_race(c, &c->w[i], t > c->w[i].exec_t ? t : c->w[i].exec_t);
	c->nw = 0;
}

/* The cloexec bit of the fd at entry e in table t went before -> after at time ts (by tgid). */
static void bit_change(struct table *t, struct entry *e, bool before, bool after, bool req,
		       uint64_t ts, enum ct_set_by by, uint32_t tgid)
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
	if (before && !after) { /* made inheritable here: by whom, when, in a shared table? */
		e->cleared_by = tgid;
		e->cleared_t = ts;
		e->cleared_shared = t->users > 1;
	}
	e->coe = after;
}

/* A clear of a flag that was set, in the creator's table: where the fd became inheritable. */
static void note_clear(struct table *t, struct entry *e, bool before, const struct ct_event *ev)
{
	struct ct_stack *st = ct_stack_take(ev);

	if (e && st && e->c && e->c->files == t->files && before && !(ev->flags & CT_F_CLOEXEC) &&
	    !e->c->clear_stack)
		e->c->clear_stack = ct_stack_ref(st);
	ct_stack_put(st);
}

/*
 * The fd of SETFD record ev was made with the flag and counted in the kernel (CT_F2_UNSEEN): a
 * stand-in creation from the identity the record carries (made atomic, when and by which call
 * unknown), at its slot in t, so the clear is followed as for any fd.
 */
static struct entry *unseen_fd(struct table *t, const struct ct_event *ev)
{
	struct ct_event fd = *ev;
	char path[PATH_MAX];
	struct creation *c;
	struct entry *e;

	if (!t || ev->fd < 0)
		return NULL;
	fd.type = CT_EV_FD;
	fd.syscall = CT_SC_NONE;
	fd.flags = CT_F_CLOEXEC;
	fd.ts_ns = 0;
	e = table_slot(t, ev->fd);
	entry_drop(t, e, CT_DROP_CLOSE, ev->tgid, ev->ts_ns);
	ct_file_name(&fd, ev->tgid, ev->fd, path, sizeof(path));
	c = creation_new(&fd, path);
	c->counted = true;
	c->shared = t->users > 1;
	e->c = c;
	e->ino = ev->ino;
	e->open = true;
	e->coe = true;
	return e;
}

static void on_setfd(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	struct entry *e = table_get(t, ev->fd);

	/* a counted fd (not one we know at that slot: the kernel's map may have been full) */
	if ((ev->flags2 & CT_F2_UNSEEN) && !(e && e->open && e->ino == ev->ino))
		e = unseen_fd(t, ev);
	enum ct_set_by by = ev->syscall == CT_SC_FCNTL_SETFD ? CT_SET_FCNTL : CT_SET_IOCTL;
	bool before = e && e->coe;

	if (e && e->ino && ev->ino && e->ino != ev->ino)
		e = NULL; /* not the fd we know: a reuse we missed */
	note_clear(t, e, before, ev);
	if (!e)
		return;
	/* the bit before the call is the one our model holds for this fd table entry */
	bit_change(t, e, e->coe, ev->flags & CT_F_CLOEXEC, ev->flags & CT_F_REQ_CLOEXEC, ev->ts_ns,
		   by, ev->tgid);
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
	entry_drop(t, e, CT_DROP_CLOSE, ev->tgid, ev->ts_ns);
}

static void on_close_range(const struct ct_event *ev)
{
	struct table *t = touch(ev, NULL);
	uint64_t last = ev->u.range.last;

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
		if (ev->u.range.flags & CLOSE_RANGE_CLOEXEC)
			bit_change(t, e, e->coe, true, true, ev->ts_ns, CT_SET_CLOSE_RANGE,
				   ev->tgid);
		else
			entry_drop(t, e, CT_DROP_CLOSE, ev->tgid, ev->ts_ns);
	}
}

static void on_fork(const struct ct_event *ev)
{
	struct proc *parent, *child;
	struct table *pt = touch(ev, &parent), *ct;

	child = proc_find(ev->u.fork.child_tgid);
	if (child) { /* a stale pid: the old one is gone */
		table_unuse(table_find(child->files));
		proc_free(child);
	}
	child = proc_get(ev->u.fork.child_tgid);
	child->ppid = ev->tgid;
	memcpy(child->comm, ev->comm, CT_COMM_LEN);
	child->have_spawn = true;
	child->spawn_sc = ev->syscall;
	child->spawn_flags = ev->flags;
	child->clone_flags = ev->u.fork.clone_flags;
	child->forked = true;
	child->fork_t = ev->ts_ns;
	child->files = ev->ino;
	if (opt.cmd || opt.pid) {
		child->counted = true;
		live_count++;
	}
	if (ev->flags & CT_F_FILES || ev->ino == ev->files) {
		ct = pt ? pt : table_new(ev->ino);
	} else {
		ct = table_copy(pt, ev->ino, ev->ts_ns, ev->u.fork.child_tgid);
		ct->users = 0;
	}
	ct->users++;
	if (opt.verbose > 1)
		fprintf(stderr, "%s: fork %u -> %u (%s, flags %#llx)\n", TOOL, ev->tgid,
			ev->u.fork.child_tgid, sc_name(ev->syscall),
			(unsigned long long)ev->u.fork.clone_flags);
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
			h->u.exec.listen_fds = v < 0 || v > INT_MAX - 3 ? -1 : (int)v;
		else
			h->u.exec.listen_pid = v <= 0 ? 0xffffffffU : (uint32_t)v;
	}
	free(buf);
	fclose(f);
}

/* The header of p's exec record: who it was, what it became, how it was made. */
static struct ct_exec_report *exec_report_new(struct proc *p)
{
	const struct ct_event *h = &p->exec_hdr;
	struct ct_exec_report *o = xcalloc(1, sizeof(*o));

	o->h = *h;
	memcpy(o->comm, h->comm, CT_COMM_LEN);
	memcpy(o->fname, h->name, CT_NAME_LEN);
	memcpy(o->old_comm, p->comm, CT_COMM_LEN);
	o->spawn = ct_spawn_of(p, h->u.exec.old_pid != h->tgid); /* thread: exec from non-leader */
	o->ppid = p->ppid ? p->ppid : h->u.exec.parent_tgid;
	o->listen_fds = h->u.exec.listen_fds;
	o->listen_pid_match =
	    ct_listen_pid_match(h->u.exec.listen_fds, h->u.exec.listen_pid, h->tgid);
	o->n = p->nxfd;
	o->it = xcalloc((size_t)p->nxfd, sizeof(*o->it));
	for (int i = 0; i < o->n; i++) {
		struct ct_inherited *it = xcalloc(1, sizeof(*it));

		it->refs = 1;
		it->pid = h->tgid;
		it->exec_t = h->ts_ns;
		memcpy(it->comm, o->comm, sizeof(it->comm));
		it->fate = CT_FATE_OPEN;
		o->it[i] = it;
	}
	return o;
}

/*
 * The creation of inherited fd x: the one in the old table, or, when a fork copied the fd
 * before its creation record arrived, one found through the table's ancestors (then *e is
 * tmp, a stand-in for the entry the fork copied).
 */
static struct creation *exec_creator(struct table *old, const struct ct_event *x, uint64_t t,
				     struct entry **e, struct entry *tmp)
{
	struct creation *c;

	*e = table_get(old, x->fd);
	c = *e && (*e)->c && (!x->ino || (*e)->ino == x->ino) ? (*e)->c : NULL;
	for (int k = 0; !c && old && k < old->nanc; k++) {
		c = ino_find(x->ino, x->fd, old->anc[k].files, t);
		if (c) {
			memset(tmp, 0, sizeof(*tmp));
			tmp->c = c;
			tmp->ino = x->ino;
			tmp->open = true;
			tmp->via_fork = true;
			tmp->fork_t = old->anc[k].fork_t;
			tmp->fork_child = old->anc[k].child;
			*e = tmp;
		}
	}
	return c;
}

/*
 * A race witness: a copy of c's fd taken out of the creator's table while the bit was still
 * clear, by a fork, or by this exec itself when the process shared the creator's table
 * (CLONE_FILES: exec unshares it, the kernel copies the table now).
 */
static void exec_witness(struct creation *c, const struct entry *e, const struct table *old,
			 const struct ct_event *h)
{
	struct entry tmp;
	struct witness w;

	if (!e->via_fork && old->files != h->files && c->files == old->files) {
		tmp = *e;
		tmp.via_fork = true;
		tmp.fork_t = h->ts_ns;
		tmp.fork_child = h->tgid;
		e = &tmp;
	}
	if (!e->via_fork || e->cleared_here || c->coe_at)
		return;
	w = (struct witness){h->tgid, e->fork_child, e->fork_t, h->ts_ns, false};
	switch (decide_race(c, &w)) {
	case CT_RACE_YES:
		order_race(c, &w, h->ts_ns);
		break;
	case CT_RACE_PENDING:
		w.waited = true;
		creation_add_witness(c, &w);
		break;
	case CT_RACE_NONE:
		break;
	}
}

/* How inherited fd x came to be in the exec'ing process's table (old) without the flag. */
static struct ct_inh_origin exec_origin(const struct table *old, const struct ct_event *x,
					const struct creation *c)
{
	struct ct_inh_origin org = {.fd = x->fd, .ino = x->ino, .c = c};
	struct entry *e = table_get((struct table *)old, x->fd);

	org.table = old ? old->files : 0;
	if (e && (!x->ino || e->ino == x->ino)) {
		org.cleared_by = e->cleared_by;
		org.cleared_t = e->cleared_t;
		org.cleared_shared = e->cleared_shared;
		if (e->h) /* a followed fd carried into this exec */
			heir_passed(e->h, x->tgid, x->ts_ns);
	}
	return org;
}

/*
 * After p's exec: the survivor it holds in table nt from now on (made when a fork copied it
 * before its creation record arrived), followed from this exec on when the exec is reported.
 */
static void exec_follow(struct table *nt, struct ct_inherited *it, bool report)
{
	const struct ct_event *x = &it->x;
	struct entry *d = table_slot(nt, x->fd);

	if (!d->open || (x->ino && d->ino != x->ino)) {
		entry_drop(nt, d, CT_DROP_EXEC, x->tgid, x->ts_ns);
		d->c = it->c;
		if (d->c)
			d->c->refs++;
		d->ino = x->ino;
		d->open = true;
	}
	d->coe = false;
	if (!report) {
		entry_link(nt, d, NULL);
		return;
	}
	it->h = heir_new(x->tgid, x->fd, x->ino, x->ts_ns);
	it->h->watch = it;
	it->refs++;
	entry_link(nt, d, it->h);
}

/* The context decide_inherit() judges p's exec in. */
static struct ct_exec_ctx exec_ctx(const struct proc *p, const struct table *old,
				   const struct ct_exec_report *o)
{
	const struct ct_event *h = &p->exec_hdr;

	return (struct ct_exec_ctx){.tgid = h->tgid,
				    .listen_fds = h->u.exec.listen_fds,
				    .listen_pid = h->u.exec.listen_pid,
				    .comm = o->comm,
				    .fname = o->fname,
				    .forked = p->forked,
				    .fork_t = p->fork_t,
				    .prior_execs = p->execs,
				    .own_table =
					old && old->owner == h->tgid && old->files == h->files};
}

/*
 * The exec of p is complete (header + fds): decide each fd's verdict and queue the record
 * (report false: the tracer's own exec of CMD, the fd model is updated but nothing is printed).
 * Copies of followed fds that survived were carried on (passed_on); the ones exec closed, and
 * the ones p closed before, were closed before an exec.
 */
static void exec_emit(struct proc *p, bool report)
{
	struct table *old = table_find(p->files), *nt;
	const struct ct_event *h = &p->exec_hdr;
	struct ct_exec_report *o;
	struct ct_exec_ctx ctx;
	char path[PATH_MAX];
	bool *keep;

	if (p->exec_hdr.flags & CT_F_TRUNC)
		env_fallback(&p->exec_hdr);
	o = exec_report_new(p);
	ctx = exec_ctx(p, old, o);
	keep = xcalloc(old ? (size_t)old->cap : 1, sizeof(bool));
	for (int i = 0; i < p->nxfd; i++) {
		const struct ct_event *x = &p->xfd[i].ev;
		struct ct_inherited *it = o->it[i];
		struct entry *e, tmp;
		struct creation *c = exec_creator(old, x, h->ts_ns, &e, &tmp);
		struct ct_inh_origin org = exec_origin(old, x, c);

		it->x = *x;
		if (old && x->fd < old->cap)
			keep[x->fd] = true;
		it->verdict = decide_inherit(&ctx, &org, &it->reason);
		ct_file_name(x, h->tgid, x->fd, path, sizeof(path));
		it->path = xstrdup(path);
		if (c) {
			c->refs++;
			it->c = c;
			exec_witness(c, e, old, h);
		}
	}
	proc_exec_survivors(p, old, keep);
	free(keep);
	nt = table_find(h->files);
	for (int i = 0; nt && i < o->n; i++)
		exec_follow(nt, o->it[i], report);
	proc_settle_closes(p, true, h->ts_ns);
	p->execs++;
	memcpy(p->comm, o->comm, CT_COMM_LEN);
	p->in_exec = false;
	p->nxfd = 0;
	if (report) {
		ct_count_exec(o);
		order_exec(o);
	} else {
		exec_report_free(o);
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

static void on_exec(const struct ct_event *ev)
{
	struct proc *p = proc_get(ev->tgid);

	if (p->in_exec)
		exec_finish(p);
	p->in_exec = true;
	p->exec_hdr = *ev;
	p->nxfd = 0;
}

static void on_exec_fd(const struct ct_event *ev)
{
	struct proc *p = proc_get(ev->tgid);

	if (p->in_exec)
		proc_add_exec_fd(p, ev);
}

static void on_exec_end(const struct ct_event *ev)
{
	struct proc *p = proc_get(ev->tgid);

	if (!p->in_exec)
		return;
	if (ev->flags & CT_F_TRUNC)
		fprintf(stderr, "%s: warning: fd scan of pid %u stopped at its bound\n", TOOL,
			ev->tgid);
	exec_finish(p);
}

static unsigned batch_n, batch_max = EVENTS_BATCH;

void events_batch(unsigned n)
{
	batch_n = 0;
	batch_max = n;
}

int handle_event(void *ctx, void *data, size_t len)
{
	static void (*const on[])(const struct ct_event *) = {
	    [CT_EV_FD] = on_fd,		  [CT_EV_SETFD] = on_setfd,
	    [CT_EV_CLOSE] = on_close,	  [CT_EV_CLOSE_RANGE] = on_close_range,
	    [CT_EV_FORK] = on_fork,	  [CT_EV_EXEC] = on_exec,
	    [CT_EV_EXEC_FD] = on_exec_fd, [CT_EV_EXEC_END] = on_exec_end,
	    [CT_EV_EXIT] = on_exit_rec,
	};
	struct ct_event ev;

	(void)ctx;
	/* records without a name end at the header */
	if (len < CT_EVENT_HDR_SIZE)
		return 0;
	memcpy(&ev, data, len < sizeof(ev) ? len : sizeof(ev));
	if (len < sizeof(ev))
		memset((char *)&ev + len, 0, sizeof(ev) - len);
	/* address spaces and stacks, as the record arrives (a stack follows the record) */
	ct_stack_observe(&ev, (const char *)data + sizeof(ev),
			 len > sizeof(ev) ? len - sizeof(ev) : 0);
	ct_stats.events++;
	if (ev.ts_ns > model_last_ts)
		model_last_ts = ev.ts_ns;
	model_ev_ts = ev.ts_ns;
	if (ev.type < sizeof(on) / sizeof(on[0]) && on[ev.type])
		on[ev.type](&ev);
	drain_closed();
	drain_settled();
	return ++batch_n >= batch_max ? EVENTS_BATCH_DONE : 0;
}

/* What may go out at time now (read before the ring buffer was consumed), at most max records;
 * true when more are ready. */
bool events_flush(uint64_t now, unsigned max)
{
	return order_flush(now, false, max);
}

/* Whether the output queue is full: read no more records until it is not. */
bool events_backlog(void)
{
	return order_pending() >= ORDER_MAX_PENDING;
}

void events_track_target(pid_t target, bool launched, pid_t self)
{
	struct proc *p = proc_get((uint32_t)target);

	p->counted = true;
	live_count = 1;
	if (launched) {
		p->have_spawn = true;
		p->launching = true;
		p->forked = true; /* we forked it: its exec of CMD is its first */
		p->spawn_sc = CT_SC_FORK;
		snprintf(p->comm, sizeof(p->comm), "%s", TOOL);
		p->ppid = (uint32_t)self;
	}
}

void events_finish(uint64_t now)
{
	model_ev_ts = now > model_last_ts ? now : model_last_ts;
	model_finalize_open();
	drain_closed();
	model_end_heirs(model_ev_ts);
	drain_settled();
	order_flush(0, true, 0);
	ino_prune(0, true);
}
