// SPDX-License-Identifier: MIT
/*
 * ct_order.c - the time-ordered output queue (see ct_order.h): decided records wait in a list
 * ordered by (t_ns, arrival) until their turn, exec records also for their creators' verdicts and
 * their inherited fds' fates (at most --fate-wait), then go to the renderers and are freed.
 */
#include <stdlib.h>
#include <string.h>

#include "ct_opts.h"
#include "ct_order.h"
#include "ct_render.h"

#define NS_PER_MS 1000000ULL

enum item_kind {
	IT_FD,
	IT_RACE,
	IT_EXEC,
	IT_FATE,
};

struct item {
	uint64_t t;
	enum item_kind kind;
	struct creation *c; /* fd, race */
	enum ct_fd_verdict v;
	struct witness w;
	struct ct_exec_report *o; /* exec */
	struct ct_inherited *it;  /* fate */
	struct item *prev, *next;
};

/*
 * The queue: a list in (t, arrival) order. Records come nearly in time order (only another
 * CPU's record may overtake one), so a new item goes in from the tail after a step or two, and
 * the oldest goes out from the head: no per-record search. Released items are kept for reuse.
 */
static struct item *head, *tail, *spare;
static uint64_t last_t;
static unsigned pending;

static void push(struct item *x)
{
	struct item *at = tail;

	while (at && at->t > x->t) /* equal times keep their arrival order */
		at = at->prev;
	x->prev = at;
	x->next = at ? at->next : head;
	if (x->next)
		x->next->prev = x;
	else
		tail = x;
	if (at)
		at->next = x;
	else
		head = x;
	pending++;
}

static struct item *pop(void)
{
	struct item *x = head;

	head = x->next;
	if (head)
		head->prev = NULL;
	else
		tail = NULL;
	pending--;
	return x;
}

unsigned order_pending(void)
{
	return pending;
}

static struct item *item_new(enum item_kind kind, uint64_t t)
{
	struct item *x = spare;

	if (x)
		spare = x->next;
	else
		x = xcalloc(1, sizeof(*x));
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->t = t;
	return x;
}

void order_fd(struct creation *c, enum ct_fd_verdict v, uint64_t t)
{
	struct item *x = item_new(IT_FD, t);

	x->c = c;
	x->v = v;
	push(x);
}

void order_race(struct creation *c, const struct witness *w, uint64_t t)
{
	struct item *x = item_new(IT_RACE, t);

	c->refs++;
	x->c = c;
	x->w = *w;
	push(x);
}

void order_exec(struct ct_exec_report *o)
{
	struct item *x = item_new(IT_EXEC, o->h.ts_ns);

	x->o = o;
	push(x);
}

void order_fate(struct ct_inherited *it)
{
	struct item *x = item_new(IT_FATE, it->fate_t);

	it->refs++;
	x->it = it;
	push(x);
}

void inherited_put(struct ct_inherited *it)
{
	if (it && --it->refs == 0) {
		creation_put(it->c);
		free(it->path);
		free(it);
	}
}

void exec_report_free(struct ct_exec_report *o)
{
	for (int i = 0; i < o->n; i++)
		inherited_put(o->it[i]);
	free(o->it);
	free(o);
}

/*
 * Whether an exec record may go: every creator's verdict final (atomic, late, or its fd gone)
 * and every inherited fd's fate known, or held --fate-wait already (a long-lived program does
 * not hold the output back longer: its fates follow as fate records).
 */
static bool exec_ready(const struct ct_exec_report *o, uint64_t now)
{
	if (now >= o->h.ts_ns + (uint64_t)opt.fate_wait_ms * NS_PER_MS)
		return true;
	for (int i = 0; i < o->n; i++) {
		const struct creation *c = o->it[i]->c;

		if (c && !c->coe_at && !c->late && !c->final)
			return false;
		if (o->it[i]->fate == CT_FATE_OPEN)
			return false;
	}
	return true;
}

/* One record out, then freed. A record older than one already written came too late. */
static void release(struct item *x)
{
	if (x->t < last_t)
		ct_stats.out_of_order++;
	else
		last_t = x->t;
	switch (x->kind) {
	case IT_FD:
		render_fd(x->c, x->v, x->t);
		creation_put(x->c);
		break;
	case IT_RACE:
		render_race(x->c, &x->w, x->t);
		creation_put(x->c);
		break;
	case IT_EXEC:
		render_exec(x->o);
		for (int i = 0; i < x->o->n; i++)
			x->o->it[i]->written = true;
		exec_report_free(x->o);
		break;
	case IT_FATE:
		render_fate(x->it);
		inherited_put(x->it);
		break;
	}
	x->next = spare;
	spare = x;
}

bool order_flush(uint64_t now, bool all, unsigned max)
{
	uint64_t safe = now > ORDER_SLACK_NS ? now - ORDER_SLACK_NS : 0;

	while (head) {
		if (!all &&
		    (head->t > safe || (head->kind == IT_EXEC && !exec_ready(head->o, now))))
			break;
		if (!all && max-- == 0)
			return true;
		release(pop());
	}
	while (all && spare) {
		struct item *x = spare;

		spare = x->next;
		free(x);
	}
	return false;
}
