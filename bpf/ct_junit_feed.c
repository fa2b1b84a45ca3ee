// SPDX-License-Identifier: MIT
/*
 * ct_junit_feed.c - findings for the JUnit report (ct_junit.c) from the tracer's decided
 * records. Every exec names a testcase (the file name it exec'd); an inherited fd that leaked
 * (or reached a helper) is a finding of the program it leaked into; an fd made without
 * close-on-exec (never), given it late, or raced is a finding of the program its creator ran
 * when it made the fd: the creator's latest exec before that (records come in time order), the
 * command as given for -- CMD's own process, else the creator's comm (a process whose exec the
 * trace did not see: -p, system-wide, a fork child before its exec).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ct_junit.h"
#include "ct_junit_feed.h"
#include "ct_names.h"
#include "ct_opts.h"
#include "ct_render_stack.h"
#include "ct_stack.h"

#define PATH_MAX_TEXT (PATH_MAX + 64)
#define PID_BUCKETS   4096
#define DETAIL_LEN    8192

/* One exec seen: pid ran program from time t on. */
struct jexec {
	uint32_t pid;
	uint64_t t;
	char *program;
	struct jexec *prev; /* the same pid's exec before this one */
	struct jexec *next; /* hash chain of the latest execs */
};

static struct jexec *latest[PID_BUCKETS];

static struct jexec **slot(uint32_t pid)
{
	struct jexec **p = &latest[pid % PID_BUCKETS];

	while (*p && (*p)->pid != pid)
		p = &(*p)->next;
	return p;
}

static void note_exec(uint32_t pid, uint64_t t, const char *program)
{
	struct jexec **p = slot(pid), *e = xcalloc(1, sizeof(*e));

	e->pid = pid;
	e->t = t;
	e->program = xstrdup(program);
	e->prev = *p;
	if (*p) {
		e->next = (*p)->next;
		(*p)->next = NULL;
	}
	*p = e;
}

/* The program pid ran at time t (its latest exec at or before t), else its comm. */
static const char *program_of(uint32_t pid, uint64_t t, const char *comm)
{
	for (const struct jexec *e = *slot(pid); e; e = e->prev)
		if (e->t <= t)
			return e->program;
	return comm;
}

void junit_command(uint32_t pid, const char *program)
{
	if (ct_junit_on() && pid) {
		note_exec(pid, 0, program);
		ct_junit_program(program);
	}
}

/* Whether findings of this --fail-on kind fail the run (a <failure>). */
static bool failing(const char *kind)
{
	for (int i = 0; i < ct_n_fail_kinds; i++)
		if (!strcmp(ct_fail_kinds[i].name, kind))
			return opt.fail_on & ct_fail_kinds[i].bit;
	return false;
}

/* "listen_on (server.c:38)", "__socket (libc.so.6)", "libx.so+0x1234", "0x7f.." */
static int frame_line(char *buf, size_t len, const struct ct_frame *f)
{
	const char *mod = f->module ? strrchr(f->module, '/') : NULL;

	mod = mod ? mod + 1 : f->module;
	if (f->file && f->line > 0)
		return snprintf(buf, len, "%s (%s:%d)", f->function ? f->function : "?", f->file,
				f->line);
	if (f->function)
		return snprintf(buf, len, "%s (%s)", f->function, mod ? mod : "?");
	if (mod && f->has_offset)
		return snprintf(buf, len, "%s+0x%llx", mod, (unsigned long long)f->offset);
	return snprintf(buf, len, "0x%llx", (unsigned long long)f->addr);
}

/* The detail's last lines: where it was made, and the stack. */
static void where(char *buf, size_t len, const struct ct_stack *st)
{
	size_t n = strlen(buf);

	if (!st) {
		snprintf(buf + n, len - n, "created at: unknown (no stack taken)\n");
		return;
	}
	text_created_at(buf + n, len - n, st);
	n = strlen(buf);
	n +=
	    (size_t)snprintf(buf + n, len - n, "\nstack%s:\n", st->truncated ? " (truncated)" : "");
	for (int i = 0; i < st->n && n + 8 < len; i++) {
		n += (size_t)snprintf(buf + n, len - n, "  %s", st->f[i].folded ? "(libc) " : "");
		if (n < len)
			n += (size_t)frame_line(buf + n, len - n, &st->f[i]);
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "\n");
	}
	if (st->error && n < len)
		snprintf(buf + n, len - n, "  (%s)\n", st->error);
}

static void add(const char *program, const char *kind, const char *msg, const char *detail)
{
	struct ct_junit_finding f = {
	    .program = program && program[0] ? program : "?",
	    .kind = kind,
	    .failing = failing(kind),
	    .message = msg,
	    .detail = detail,
	};

	ct_junit_add(&f);
}

/* "tcp", "file /tmp/x": what a created fd is. */
static void what_created(char *buf, size_t len, const struct creation *c)
{
	const char *kind = fkind_name(creation_fkind(c));

	if (c->name && c->name[0])
		snprintf(buf, len, "%s %s", kind, c->name);
	else
		snprintf(buf, len, "%s", kind);
}

void junit_fd(const struct creation *c, enum ct_fd_verdict v)
{
	char what[PATH_MAX_TEXT], msg[2 * PATH_MAX_TEXT], detail[DETAIL_LEN];
	const char *kind = v == CT_FD_LATE ? "late" : "never";

	if (!ct_junit_on() || v == CT_FD_ATOMIC)
		return;
	what_created(what, sizeof(what), c);
	if (v == CT_FD_LATE)
		snprintf(msg, sizeof(msg),
			 "fd %d (%s) made by %s() in pid %u (%s) got close-on-exec %llu ns later, "
			 "by %s",
			 c->fd, what, sc_name(c->sc), c->pid, c->comm,
			 (unsigned long long)c->late_ns, set_by_name(c->set_by));
	else
		snprintf(msg, sizeof(msg),
			 "fd %d (%s) made by %s() in pid %u (%s) without close-on-exec, never set",
			 c->fd, what, sc_name(c->sc), c->pid, c->comm);
	snprintf(detail, sizeof(detail),
		 "fd: %d\nkind: %s\nname: %s\nverdict: %s\nreason: %s\nmade by: %s() in pid %u "
		 "(%s)\n",
		 c->fd, fkind_name(creation_fkind(c)), c->name && c->name[0] ? c->name : "-", kind,
		 v == CT_FD_LATE ? "close-on-exec set after creation (a race window)"
				 : "close-on-exec never set",
		 sc_name(c->sc), c->pid, c->comm);
	where(detail, sizeof(detail), c->stack);
	add(program_of(c->pid, c->t_ns, c->comm), kind, msg, detail);
}

void junit_race(const struct creation *c, const struct witness *w)
{
	char what[PATH_MAX_TEXT], msg[2 * PATH_MAX_TEXT], detail[DETAIL_LEN];

	if (!ct_junit_on())
		return;
	what_created(what, sizeof(what), c);
	snprintf(msg, sizeof(msg),
		 "fd %d (%s) of pid %u (%s) was copied by the fork of pid %u inside its %llu ns "
		 "window, and pid %u exec'd holding it",
		 c->fd, what, c->pid, c->comm, w->fork_child, (unsigned long long)c->late_ns,
		 w->exec_pid);
	snprintf(detail, sizeof(detail),
		 "fd: %d\nkind: %s\nname: %s\nverdict: race\nreason: a fork landed in the window "
		 "before close-on-exec was set\nmade by: %s() in pid %u (%s)\nexec'd by: pid %u\n",
		 c->fd, fkind_name(creation_fkind(c)), c->name && c->name[0] ? c->name : "-",
		 sc_name(c->sc), c->pid, c->comm, w->exec_pid);
	where(detail, sizeof(detail), c->stack);
	add(program_of(c->pid, c->t_ns, c->comm), "race", msg, detail);
}

/* An inherited fd that leaked (or reached a helper) into program prog (pid, how spawned). */
static void inherited(const struct ct_inherited *it, const char *prog, uint32_t pid,
		      const char *spawn)
{
	const struct creation *c = it->c;
	const char *kind = it->verdict == CT_INH_HELPER ? "helper" : "leaked";
	const char *reason = reason_name(it->reason), *name;
	char what[PATH_MAX_TEXT], addr[80], msg[3 * PATH_MAX_TEXT], detail[DETAIL_LEN], by[160];
	int n;

	local_addr(&it->x, addr, sizeof(addr));
	n = snprintf(what, sizeof(what), "%s", fkind_name(event_fkind(&it->x)));
	if (addr[0] || it->path[0])
		snprintf(what + n, sizeof(what) - (size_t)n, " %s%s", addr[0] ? addr : it->path,
			 it->x.kind == CT_KIND_SOCKET && it->x.state == 10 ? " LISTEN" : "");
	name = what[n] == ' ' ? what + n + 1 : "-";
	if (c)
		snprintf(by, sizeof(by), "%s() in pid %u (%s)", sc_name(c->sc), c->pid, c->comm);
	else
		snprintf(by, sizeof(by), "a process before tracing started");
	snprintf(msg, sizeof(msg), "fd %d (%s) made by %s %s into %s (pid %u%s%s)", it->x.fd, what,
		 by, kind[0] == 'h' ? "reached the helper" : "leaked", prog, pid,
		 spawn ? ", via " : "", spawn ? spawn : "");
	n = snprintf(detail, sizeof(detail),
		     "fd: %d\nkind: %s\nname: %s\nverdict: %s\nreason: %s\nmade by: %s\n"
		     "into: %s (pid %u)\nfate: %s",
		     it->x.fd, fkind_name(event_fkind(&it->x)), name, kind,
		     reason ? reason : "not passed on purpose", by, prog, pid, fate_name(it->fate));
	if (n > 0 && (size_t)n < sizeof(detail)) {
		if (it->fate == CT_FATE_PASSED_ON)
			snprintf(detail + n, sizeof(detail) - (size_t)n,
				 " to pid %u after %.3f ms\n", it->fate_pid,
				 (double)it->fate_ns / 1e6);
		else
			snprintf(detail + n, sizeof(detail) - (size_t)n, " after %.3f ms\n",
				 (double)it->fate_ns / 1e6);
	}
	where(detail, sizeof(detail), creation_stack(c));
	add(prog, kind, msg, detail);
}

static bool reported(const struct ct_inherited *it)
{
	return it->verdict == CT_INH_LEAKED || it->verdict == CT_INH_HELPER;
}

/* An exec: its program's testcase, and its inherited fds whose verdict is final. */
void junit_exec(const struct ct_exec_report *o)
{
	const char *prog = o->fname[0] ? o->fname : o->comm;

	if (!ct_junit_on())
		return;
	note_exec(o->h.tgid, o->h.ts_ns, prog);
	ct_junit_program(prog);
	for (int i = 0; i < o->n; i++)
		if (o->it[i]->fate != CT_FATE_OPEN && reported(o->it[i]))
			inherited(o->it[i], prog, o->h.tgid, spawn_name(o->spawn));
}

/* A fate record: the verdict of an fd whose exec record went out before its fate was known. */
void junit_fate(const struct ct_inherited *it)
{
	if (ct_junit_on() && it->fate != CT_FATE_OPEN && reported(it))
		inherited(it, program_of(it->pid, it->exec_t, it->comm), it->pid, NULL);
}
