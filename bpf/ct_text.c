// SPDX-License-Identifier: MIT
/*
 * ct_text.c - cloexec-trace's text lines: one per fd verdict, exec, inherited fd, late fate
 * and race, then a summary. TIME is the record's time (the lines are in time order, as the JSON
 * records). Control bytes in names are shown as \xNN, so a traced program cannot forge or hide
 * lines.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "ct_names.h"
#include "ct_opts.h"
#include "ct_render.h"
#include "ct_render_stack.h"

#define LINE_FMT "%-11s %-7s %-16s %-8s %-6s %-12s %-44s %s\n"

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

/* A time as TIME shows it: seconds since the start, in buf. */
static const char *rel_time(uint64_t t, char *buf, size_t len)
{
	snprintf(buf, len, "%.6f", t >= ct_out.t0_ns ? (double)(t - ct_out.t0_ns) / 1e9 : 0.0);
	return buf;
}

static void hline(uint64_t t, uint32_t pid, const char *comm, const char *event, int fd,
		  const char *kind, const char *detail, const char *verdict)
{
	char fds[16], tm[32], pids[16], cb[4 * CT_COMM_LEN + 8], db[4 * (PATH_MAX + 160) + 8];

	comm = printable(comm, cb, sizeof(cb));
	detail = printable(detail, db, sizeof(db));
	if (fd >= 0)
		snprintf(fds, sizeof(fds), "%d", fd);
	else
		snprintf(fds, sizeof(fds), "-");
	snprintf(pids, sizeof(pids), "%u", pid);
	rel_time(t, tm, sizeof(tm));
	errno = 0;
	if (printf(LINE_FMT, tm, pids, comm, event, fds, kind, detail, verdict) < 0 ||
	    ferror(stdout))
		out_note_error();
}

/*
 * Under a finding's line, in the DETAIL column: "created at FUNCTION (file:line)" (or "flag
 * cleared at ...") from its stack; nothing when no stack was taken.
 */
static void text_where(const struct ct_stack *s)
{
	char buf[2 * PATH_MAX], pb[4 * sizeof(buf) + 8];

	if (!s)
		return;
	text_created_at(buf, sizeof(buf), s);
	errno = 0;
	if (printf("%66s%s\n", "", printable(buf, pb, sizeof(pb))) < 0 || ferror(stdout))
		out_note_error();
}

void text_header(void)
{
	errno = 0;
	if (printf(LINE_FMT, "TIME", "PID", "COMM", "EVENT", "FD", "KIND", "DETAIL", "VERDICT") <
		0 ||
	    ferror(stdout))
		out_note_error();
}

void text_fd(const struct creation *c, enum ct_fd_verdict v, uint64_t t)
{
	char fb[16], tb[16], tm[32], detail[PATH_MAX + 96];
	int n = snprintf(detail, sizeof(detail), "%s()", sc_name(c->sc));

	if (opt.quiet && v == CT_FD_ATOMIC)
		return;
	if (c->kind == CT_KIND_SOCKET)
		n += snprintf(detail + n, sizeof(detail) - n, " %s %s",
			      family_name(c->family, fb, sizeof(fb)),
			      stype_name(c->stype, tb, sizeof(tb)));
	if (c->name[0])
		n += snprintf(detail + n, sizeof(detail) - n, " %s", c->name);
	if (v == CT_FD_LATE)
		n += snprintf(detail + n, sizeof(detail) - n, " set by %s after %llu ns",
			      set_by_name(c->set_by), (unsigned long long)c->late_ns);
	if (c->redundant)
		n += snprintf(detail + n, sizeof(detail) - n, " redundant_setfd=%u", c->redundant);
	snprintf(detail + n, sizeof(detail) - n, " created %s", rel_time(c->t_ns, tm, sizeof(tm)));
	hline(t, c->pid, c->comm, "fd", c->fd, fkind_name(creation_fkind(c)), detail,
	      fd_verdict_name(v));
	if (v != CT_FD_ATOMIC)
		text_where(c->stack);
}

void text_race(const struct creation *c, const struct witness *w, uint64_t t)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "fork %u inside the %llu ns window, exec %u holds it",
		 w->fork_child, (unsigned long long)c->late_ns, w->exec_pid);
	hline(t, c->pid, c->comm, "race", c->fd, fkind_name(creation_fkind(c)), detail, "race");
	text_where(c->stack);
}

/* " -> closed_before_exec after 1.234 ms" (" -> fate open": it follows in a fate line). */
static int fate_text(char *buf, size_t len, const struct ct_inherited *it)
{
	if (it->fate == CT_FATE_OPEN)
		return snprintf(buf, len, " -> fate open");
	if (it->fate == CT_FATE_PASSED_ON)
		return snprintf(buf, len, " -> %s to %u after %.3f ms", fate_name(it->fate),
				it->fate_pid, (double)it->fate_ns / 1e6);
	return snprintf(buf, len, " -> %s after %.3f ms", fate_name(it->fate),
			(double)it->fate_ns / 1e6);
}

/* What an inherited fd is: its address or path (socket:[ino] else), LISTEN for a listener. */
static int inherited_what(char *buf, size_t len, const struct ct_inherited *it)
{
	const struct ct_event *x = &it->x;
	char addr[80];
	int n;

	local_addr(x, addr, sizeof(addr));
	if (addr[0])
		n = snprintf(buf, len, "%s", addr);
	else if (it->path[0])
		n = snprintf(buf, len, "%s", it->path);
	else
		n = snprintf(buf, len, "socket:[%llu]", (unsigned long long)x->ino);
	if (x->kind == CT_KIND_SOCKET && x->state == TCP_LISTEN)
		n += snprintf(buf + n, len - (size_t)n, " LISTEN");
	return n;
}

/* One inherited fd: its address or path, who created it, why it is passed, its fate. */
static void text_inherited(const struct ct_exec_report *o, const struct ct_inherited *it)
{
	const struct ct_event *x = &it->x;
	const struct creation *c = it->c;
	const char *reason = reason_name(it->reason);
	char detail[PATH_MAX + 240];
	int n = inherited_what(detail, sizeof(detail), it);

	if (c)
		n += snprintf(detail + n, sizeof(detail) - n, " from %u/%s %s() %s", c->pid,
			      c->comm, sc_name(c->sc), fd_verdict_name(ct_fd_verdict(c)));
	else
		n += snprintf(detail + n, sizeof(detail) - n, " (created before trace)");
	if (reason && it->reason != CT_REASON_UNTRACKED)
		n += snprintf(detail + n, sizeof(detail) - n, " [%s]", reason);
	fate_text(detail + n, sizeof(detail) - n, it);
	hline(o->h.ts_ns, o->h.tgid, o->comm, "inherit", x->fd, fkind_name(event_fkind(x)), detail,
	      inherit_name(it->verdict));
	if (it->verdict != CT_INH_PASSED)
		text_where(creation_stack(c));
}

/* A fate known after its exec line was written: which exec, what became of the fd. */
void text_fate(const struct ct_inherited *it)
{
	const char *reason = reason_name(it->reason);
	char detail[PATH_MAX + 240], tm[32];
	int n = inherited_what(detail, sizeof(detail), it);

	n += snprintf(detail + n, sizeof(detail) - n, " inherited at %s",
		      rel_time(it->exec_t, tm, sizeof(tm)));
	if (reason && it->reason != CT_REASON_UNTRACKED)
		n += snprintf(detail + n, sizeof(detail) - n, " [%s]", reason);
	fate_text(detail + n, sizeof(detail) - n, it);
	hline(it->fate_t, it->pid, it->comm, "fate", it->x.fd, fkind_name(event_fkind(&it->x)),
	      detail, inherit_name(it->verdict));
}

void text_exec(const struct ct_exec_report *o)
{
	const char *spawn = spawn_name(o->spawn);
	char detail[PATH_MAX + 160];

	snprintf(detail, sizeof(detail), "%s%s%s", o->fname, spawn ? " via " : "",
		 spawn ? spawn : "");
	if (!opt.quiet || o->n)
		hline(o->h.ts_ns, o->h.tgid, o->comm, "exec", -1, "-", detail, "");
	for (int i = 0; i < o->n; i++)
		text_inherited(o, o->it[i]);
}

void text_summary(const struct ct_summary *s, FILE *f)
{
	const struct ct_stats *st = s->st;

	errno = 0;
	fprintf(f,
		"summary: %lu fds (%lu atomic, %lu late, %lu never), %lu execs, %lu leaked, "
		"%lu helper, %lu passed, %lu races, %lu lost%s -> exit %d (%s)\n",
		st->fds, st->atomic, st->late, st->never, st->execs, st->leaked, st->helper,
		st->passed, st->races, st->lost, s->timed_out ? ", timed out" : "", s->code,
		exit_reason_name(s->reason));
	if (ferror(f))
		out_note_error();
}
