// SPDX-License-Identifier: MIT
/*
 * ct_json.c - cloexec-trace's JSON Lines records (bpf/SCHEMA.md, version 2): start, fd, race,
 * exec, fate, lost and summary, each written into a string buffer.
 */
#include <limits.h>
#include <netinet/tcp.h>

#include "ct_names.h"
#include "ct_opts.h"
#include "ct_render.h"
#include "ct_render_stack.h"

/* bpf/SCHEMA.md's version: every record's "v". */
#define SCHEMA "2"

static const char *const scope_names[] = {
    [CT_SCOPE_COMMAND] = "command",
    [CT_SCOPE_PID] = "pid",
    [CT_SCOPE_SYSTEM] = "system",
};

static const char *jbool(bool b)
{
	return b ? "true" : "false";
}

void json_start(struct sbuf *b, const struct ct_start *s)
{
	int first = 1;

	sb_printf(b,
		  "{\"v\":" SCHEMA ",\"type\":\"start\",\"tool\":\"%s\",\"version\":\"%s\","
		  "\"scope\":\"%s\",\"pid\":",
		  TOOL, VERSION, scope_names[s->scope]);
	if (s->target)
		sb_printf(b, "%d", (int)s->target);
	else
		sb_puts(b, "null");
	sb_puts(b, ",\"kernel\":");
	sb_json_str(b, s->kernel);
	sb_puts(b, ",\"fail_on\":[");
	for (int i = 0; i < ct_n_fail_kinds; i++)
		if (s->fail_on & ct_fail_kinds[i].bit) {
			sb_printf(b, "%s\"%s\"", first ? "" : ",", ct_fail_kinds[i].name);
			first = 0;
		}
	sb_printf(b, "],\"fate_wait_ms\":%ld}", s->fate_wait_ms);
}

/* ,"family":"inet","sock_type":"stream" of a socket */
static void json_sock(struct sbuf *b, unsigned family, unsigned stype)
{
	char fb[16], tb[16];

	sb_printf(b, ",\"family\":\"%s\",\"sock_type\":\"%s\"", family_name(family, fb, sizeof(fb)),
		  stype_name(stype, tb, sizeof(tb)));
}

void json_fd(struct sbuf *b, const struct creation *c, enum ct_fd_verdict v, uint64_t t)
{
	sb_printf(b,
		  "{\"v\":" SCHEMA
		  ",\"type\":\"fd\",\"t_ns\":%llu,\"created_t_ns\":%llu,\"pid\":%u,"
		  "\"tid\":%u,\"comm\":",
		  (unsigned long long)t, (unsigned long long)c->t_ns, c->pid, c->tid);
	sb_json_str(b, c->comm);
	sb_printf(b, ",\"fd\":%d,\"syscall\":\"%s\",\"kind\":\"%s\"", c->fd, sc_name(c->sc),
		  fkind_name(creation_fkind(c)));
	if (c->kind == CT_KIND_SOCKET)
		json_sock(b, c->family, c->stype);
	if (c->name[0]) {
		sb_puts(b, ",\"path\":");
		sb_json_str(b, c->name);
	}
	sb_printf(b, ",\"cloexec_at_creation\":%s,\"requested_cloexec\":%s,\"verdict\":\"%s\"",
		  jbool(c->coe_at), jbool(c->req), fd_verdict_name(v));
	if (v == CT_FD_LATE)
		sb_printf(b, ",\"late_ns\":%llu,\"set_by\":\"%s\"", (unsigned long long)c->late_ns,
			  set_by_name(c->set_by));
	sb_printf(b, ",\"redundant_setfd\":%u,\"ino\":%llu", c->redundant,
		  (unsigned long long)c->ino);
	json_stack(b, c->stack);
	sb_putc(b, '}');
}

void json_race(struct sbuf *b, const struct creation *c, const struct witness *w, uint64_t t)
{
	sb_printf(b,
		  "{\"v\":" SCHEMA ",\"type\":\"race\",\"t_ns\":%llu,\"fd\":%d,\"ino\":%llu,"
		  "\"creator_pid\":%u,\"fork_child\":%u,\"exec_pid\":%u,\"window_ns\":%llu,"
		  "\"fork_t_ns\":%llu,\"exec_t_ns\":%llu",
		  (unsigned long long)t, c->fd, (unsigned long long)c->ino, c->pid, w->fork_child,
		  w->exec_pid, (unsigned long long)c->late_ns, (unsigned long long)w->fork_t,
		  (unsigned long long)w->exec_t);
	json_stack(b, c->stack); /* where the fd was made: the race's stack is its creation's */
	sb_putc(b, '}');
}

/* ,"verdict":..,"reason":..,"fate":.. of an inherited fd (fate_ns once known). */
static void json_verdict_fate(struct sbuf *b, const struct ct_inherited *it)
{
	const char *reason = reason_name(it->reason);

	sb_printf(b, ",\"verdict\":\"%s\"", inherit_name(it->verdict));
	if (reason)
		sb_printf(b, ",\"reason\":\"%s\"", reason);
	else
		sb_puts(b, ",\"reason\":null");
	sb_printf(b, ",\"fate\":\"%s\"", fate_name(it->fate));
	if (it->fate != CT_FATE_OPEN)
		sb_printf(b, ",\"fate_ns\":%llu", (unsigned long long)it->fate_ns);
	if (it->fate == CT_FATE_PASSED_ON)
		sb_printf(b, ",\"fate_pid\":%u", it->fate_pid);
}

/* One entry of an exec record's "inherited" list. */
static void json_inherited(struct sbuf *b, const struct ct_inherited *it)
{
	const struct ct_event *x = &it->x;
	const struct creation *c = it->c;
	char addr[80];

	sb_printf(b, "{\"fd\":%d,\"kind\":\"%s\"", x->fd, fkind_name(event_fkind(x)));
	if (x->kind == CT_KIND_SOCKET) {
		json_sock(b, x->family, x->sock_type);
		local_addr(x, addr, sizeof(addr));
		if (addr[0])
			sb_printf(b, ",\"local\":\"%s\"", addr);
		sb_printf(b, ",\"listen\":%s", jbool(x->state == TCP_LISTEN));
	}
	if (it->path[0]) {
		sb_puts(b, ",\"path\":");
		sb_json_str(b, it->path);
	}
	sb_printf(b, ",\"ino\":%llu,\"creator\":", (unsigned long long)x->ino);
	if (c) {
		sb_printf(b, "{\"pid\":%u,\"comm\":", c->pid);
		sb_json_str(b, c->comm);
		sb_printf(b, ",\"syscall\":\"%s\",\"t_ns\":%llu,\"verdict\":\"%s\"}",
			  sc_name(c->sc), (unsigned long long)c->t_ns,
			  fd_verdict_name(ct_fd_verdict(c)));
	} else {
		sb_puts(b, "null");
	}
	json_verdict_fate(b, it);
	json_stack(b, creation_stack(c));
	sb_putc(b, '}');
}

void json_exec(struct sbuf *b, const struct ct_exec_report *o)
{
	const struct ct_event *h = &o->h;
	const char *spawn = spawn_name(o->spawn);

	sb_printf(b,
		  "{\"v\":" SCHEMA ",\"type\":\"exec\",\"t_ns\":%llu,\"pid\":%u,\"ppid\":%u,"
		  "\"comm\":",
		  (unsigned long long)h->ts_ns, h->tgid, o->ppid);
	sb_json_str(b, o->comm);
	sb_puts(b, ",\"filename\":");
	sb_json_str(b, o->fname);
	sb_puts(b, ",\"old_comm\":");
	sb_json_str(b, o->old_comm);
	if (spawn)
		sb_printf(b, ",\"spawn\":\"%s\"", spawn);
	else
		sb_puts(b, ",\"spawn\":null");
	if (h->u.exec.old_pid != h->tgid)
		sb_printf(b, ",\"exec_tid\":%u", h->u.exec.old_pid);
	if (o->listen_fds >= 0)
		sb_printf(b, ",\"listen_fds\":%d", o->listen_fds);
	else
		sb_puts(b, ",\"listen_fds\":null");
	sb_printf(b, ",\"listen_pid_match\":%s", tristate_name(o->listen_pid_match));
	if (h->flags & CT_F_TRUNC)
		sb_puts(b, ",\"env_truncated\":true");
	sb_puts(b, ",\"inherited\":[");
	for (int i = 0; i < o->n; i++) {
		if (i)
			sb_putc(b, ',');
		json_inherited(b, o->it[i]);
	}
	sb_puts(b, "]}");
}

/* The fate of an inherited fd that became known after its exec record was written. */
void json_fate(struct sbuf *b, const struct ct_inherited *it)
{
	sb_printf(b, "{\"v\":" SCHEMA ",\"type\":\"fate\",\"t_ns\":%llu,\"pid\":%u,\"comm\":",
		  (unsigned long long)it->fate_t, it->pid);
	sb_json_str(b, it->comm);
	sb_printf(b, ",\"exec_t_ns\":%llu,\"fd\":%d,\"kind\":\"%s\",\"ino\":%llu",
		  (unsigned long long)it->exec_t, it->x.fd, fkind_name(event_fkind(&it->x)),
		  (unsigned long long)it->x.ino);
	json_verdict_fate(b, it);
	sb_putc(b, '}');
}

void json_lost(struct sbuf *b, unsigned long lost)
{
	sb_printf(b, "{\"v\":" SCHEMA ",\"type\":\"lost\",\"records\":%lu}", lost);
}

void json_summary(struct sbuf *b, const struct ct_summary *s)
{
	const struct ct_stats *st = s->st;

	sb_printf(b,
		  "{\"v\":" SCHEMA ",\"type\":\"summary\",\"fds\":%lu,\"atomic\":%lu,"
		  "\"late\":%lu,\"never\":%lu,\"execs\":%lu,\"leaked\":%lu,\"helper\":%lu,"
		  "\"passed\":%lu,\"races\":%lu,\"lost\":%lu,\"records\":%lu,\"out_of_order\":%lu,"
		  "\"atomic_counted\":%lu,\"timed_out\":%s,",
		  st->fds, st->atomic, st->late, st->never, st->execs, st->leaked, st->helper,
		  st->passed, st->races, st->lost, st->events, st->out_of_order, st->atomic_counted,
		  jbool(s->timed_out));
	/* the atomic fds the kernel counted, by the syscall that made them */
	if (st->atomic_counted) {
		const char *sep = "";

		sb_puts(b, "\"atomic_by_syscall\":{");
		for (int i = 0; i < CT_SC_MAX; i++)
			if (st->atomic_by_sc[i]) {
				sb_printf(b, "%s\"%s\":%lu", sep, sc_name((unsigned)i),
					  st->atomic_by_sc[i]);
				sep = ",";
			}
		sb_puts(b, "},");
	}
	/* stacks: taken with a record, not taken (ring busy), unwound (not from the cache) */
	if (ct_stack_on())
		sb_printf(b, "\"stacks\":{\"taken\":%lu,\"skipped\":%lu,\"unwound\":%lu},",
			  ct_stack_stats.taken, ct_stack_stats.skipped, ct_stack_stats.unwound);
	/* how the command ended: its exit code, or -signal */
	if (s->cmd_status != INT_MIN)
		sb_printf(b, "\"cmd_exit\":%d,", s->cmd_status);
	/* the --fail-on kinds found, whatever set the exit status */
	sb_puts(b, "\"failed_on\":[");
	for (int i = 0, n = 0; i < ct_n_fail_kinds; i++)
		if (s->failed_on & ct_fail_kinds[i].bit)
			sb_printf(b, "%s\"%s\"", n++ ? "," : "", ct_fail_kinds[i].name);
	sb_puts(b, "],");
	/* the signal that ended the trace */
	if (s->reason == CT_EXIT_SIGNAL)
		sb_printf(b, "\"signal\":%d,", s->signal);
	sb_printf(b, "\"exit_code\":%d,\"exit_reason\":\"%s\"}", s->code,
		  exit_reason_name(s->reason));
}
