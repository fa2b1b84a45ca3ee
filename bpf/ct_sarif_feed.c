// SPDX-License-Identifier: MIT
/*
 * ct_sarif_feed.c - findings for the SARIF log (ct_sarif.c) from the tracer's decided records:
 * an fd made without close-on-exec (never) or given it late, a race, and each inherited fd
 * that leaked. The message says what the fd is, who made it, and into which program it leaked;
 * the stack is the one of the call that made the fd inheritable (creation_stack()).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ct_names.h"
#include "ct_opts.h"
#include "ct_sarif.h"
#include "ct_sarif_feed.h"
#include "ct_stack.h"

#define PATH_MAX_TEXT (PATH_MAX + 64)

/* Whether findings of this --fail-on kind fail the run (their level is then error). */
static bool failing(const char *kind)
{
	for (int i = 0; i < ct_n_fail_kinds; i++)
		if (!strcmp(ct_fail_kinds[i].name, kind))
			return opt.fail_on & ct_fail_kinds[i].bit;
	return false;
}

/* "tcp", "file /tmp/x", "unix @name": what a created fd is. */
static void what_created(char *buf, size_t len, const struct creation *c)
{
	const char *kind = fkind_name(creation_fkind(c));

	if (c->name && c->name[0])
		snprintf(buf, len, "%s %s", kind, c->name);
	else
		snprintf(buf, len, "%s", kind);
}

static void add(enum ct_sarif_rule rule, const char *msg, const struct creation *c,
		const struct ct_stack *stack, uint32_t exec_pid, const char *exec_file, int fd)
{
	struct ct_sarif_finding f = {
	    .rule = rule,
	    .error = failing(ct_sarif_rule_id(rule)),
	    .message = msg,
	    .stack = stack,
	    .fd = fd,
	    .pid = c ? c->pid : 0,
	    .comm = c ? c->comm : NULL,
	    .syscall = c ? sc_name(c->sc) : NULL,
	    .exec_pid = exec_pid,
	    .exec_file = exec_file,
	};

	ct_sarif_add(&f);
}

void sarif_fd(const struct creation *c, enum ct_fd_verdict v)
{
	char what[PATH_MAX_TEXT], msg[2 * PATH_MAX_TEXT];

	if (!ct_sarif_on() || v == CT_FD_ATOMIC)
		return;
	what_created(what, sizeof(what), c);
	if (v == CT_FD_LATE)
		snprintf(
		    msg, sizeof(msg),
		    "fd %d (%s) made by %s() in pid %u (%s) got close-on-exec %llu ns later, by "
		    "%s: a fork+exec in that window inherits it.",
		    c->fd, what, sc_name(c->sc), c->pid, c->comm, (unsigned long long)c->late_ns,
		    set_by_name(c->set_by));
	else
		snprintf(
		    msg, sizeof(msg),
		    "fd %d (%s) was made by %s() in pid %u (%s) without close-on-exec and never "
		    "got it while open: every program exec'd from there inherits it.",
		    c->fd, what, sc_name(c->sc), c->pid, c->comm);
	add(v == CT_FD_LATE ? CT_SARIF_LATE : CT_SARIF_NEVER, msg, c, c->stack, 0, NULL, c->fd);
}

void sarif_race(const struct creation *c, const struct witness *w)
{
	char what[PATH_MAX_TEXT], msg[2 * PATH_MAX_TEXT];

	if (!ct_sarif_on())
		return;
	what_created(what, sizeof(what), c);
	snprintf(msg, sizeof(msg),
		 "fd %d (%s) of pid %u (%s) was copied by the fork of pid %u inside its %llu ns "
		 "window before close-on-exec was set, and pid %u exec'd holding it.",
		 c->fd, what, c->pid, c->comm, w->fork_child, (unsigned long long)c->late_ns,
		 w->exec_pid);
	add(CT_SARIF_RACE, msg, c, c->stack, w->exec_pid, NULL, c->fd);
}

/*
 * One inherited fd that leaked (rule leaked, or helper) into program prog (pid, and how it was
 * spawned when known), made where.
 */
static void sarif_inherited(const struct ct_inherited *it, const char *prog, uint32_t pid,
			    const char *spawn)
{
	const struct creation *c = it->c;
	const struct ct_stack *st = creation_stack(c);
	enum ct_sarif_rule rule = it->verdict == CT_INH_HELPER ? CT_SARIF_HELPER : CT_SARIF_LEAKED;
	char what[PATH_MAX_TEXT], addr[80], msg[3 * PATH_MAX_TEXT];
	int n;

	local_addr(&it->x, addr, sizeof(addr));
	n = snprintf(what, sizeof(what), "%s", fkind_name(event_fkind(&it->x)));
	if (addr[0] || it->path[0])
		snprintf(what + n, sizeof(what) - (size_t)n, " %s%s", addr[0] ? addr : it->path,
			 it->x.kind == CT_KIND_SOCKET && it->x.state == 10 ? " LISTEN" : "");
	if (c)
		n = snprintf(msg, sizeof(msg),
			     "fd %d (%s) made by %s() in pid %u (%s)%s leaked into %s "
			     "(pid %u",
			     it->x.fd, what, sc_name(c->sc), c->pid, c->comm,
			     st && st->of == CT_STACK_OF_CLEAR ? ", close-on-exec cleared later,"
							       : "",
			     prog, pid);
	else
		n = snprintf(msg, sizeof(msg),
			     "fd %d (%s), open before tracing started, leaked into %s (pid %u",
			     it->x.fd, what, prog, pid);
	if (n > 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, "%s%s%s).", spawn ? ", via " : "",
			 spawn ? spawn : "",
			 rule == CT_SARIF_HELPER ? "; the program closed it before its own exec"
						 : "");
	add(rule, msg, c, st, pid, prog, it->x.fd);
}

static bool reported(const struct ct_inherited *it)
{
	return it->verdict == CT_INH_LEAKED || it->verdict == CT_INH_HELPER;
}

/* An exec record: its inherited fds whose verdict is final (the others follow with their fate). */
void sarif_exec(const struct ct_exec_report *o)
{
	if (!ct_sarif_on())
		return;
	for (int i = 0; i < o->n; i++)
		if (o->it[i]->fate != CT_FATE_OPEN && reported(o->it[i]))
			sarif_inherited(o->it[i], o->fname, o->h.tgid, spawn_name(o->spawn));
}

/* A fate record: the verdict of an fd whose exec record went out before its fate was known. */
void sarif_fate(const struct ct_inherited *it)
{
	if (ct_sarif_on() && it->fate != CT_FATE_OPEN && reported(it))
		sarif_inherited(it, it->comm, it->pid, NULL);
}
