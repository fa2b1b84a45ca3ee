// SPDX-License-Identifier: MIT
/*
 * ct_decide.c - the verdicts of cloexec-trace, each in one function (see ct_decide.h), and the
 * statistics they fill. The inputs are the model's facts (ct_model.h) and the options; nothing
 * here prints.
 */
#include <stddef.h>
#include <string.h>

#include "ct_decide.h"
#include "ct_opts.h"

struct ct_stats ct_stats;

/* The --fail-on kinds: names, bits, the counter each one reads, the default set, the help. */
const struct ct_fail_kind ct_fail_kinds[] = {
    {"leaked", 0x1, offsetof(struct ct_stats, leaked), true,
     "an fd survived exec and was not passed on purpose"},
    {"late", 0x2, offsetof(struct ct_stats, late), false,
     "close-on-exec set after creation (a race window)"},
    {"never", 0x4, offsetof(struct ct_stats, never), false, "close-on-exec never set"},
    {"race", 0x8, offsetof(struct ct_stats, races), false,
     "a fork landed in a late fd's window and exec'd holding it"},
    {"lost", 0x10, offsetof(struct ct_stats, lost), true, "records dropped (ring buffer full)"},
};
const int ct_n_fail_kinds = sizeof(ct_fail_kinds) / sizeof(ct_fail_kinds[0]);

unsigned ct_fail_default(void)
{
	unsigned m = 0;

	for (int i = 0; i < ct_n_fail_kinds; i++)
		if (ct_fail_kinds[i].dflt)
			m |= ct_fail_kinds[i].bit;
	return m;
}

unsigned ct_fail_all(void)
{
	unsigned m = 0;

	for (int i = 0; i < ct_n_fail_kinds; i++)
		m |= ct_fail_kinds[i].bit;
	return m;
}

/* 1 (a finding) when a kind in fail_on was counted, else 0. */
int ct_exit_code(const struct ct_stats *st, unsigned fail_on)
{
	for (int i = 0; i < ct_n_fail_kinds; i++) {
		const struct ct_fail_kind *k = &ct_fail_kinds[i];
		unsigned long n;

		memcpy(&n, (const char *)st + k->counter, sizeof(n));
		if ((fail_on & k->bit) && n)
			return 1;
	}
	return 0;
}

/* An fd's verdict from the kernel's close_on_exec bit: at creation, or set later. */
enum ct_fd_verdict ct_fd_verdict(const struct creation *c)
{
	return c->coe_at ? CT_FD_ATOMIC : c->late ? CT_FD_LATE : CT_FD_NEVER;
}

/* c left its creator's table: its verdict is final, count it (fds 0-2 are not counted). */
enum ct_fd_verdict decide_fd_final(const struct creation *c)
{
	enum ct_fd_verdict v = ct_fd_verdict(c);

	if (c->fd < 3)
		return v;
	ct_stats.fds++;
	if (v == CT_FD_ATOMIC)
		ct_stats.atomic++;
	else if (v == CT_FD_LATE)
		ct_stats.late++;
	else
		ct_stats.never++;
	return v;
}

static bool allowed_fd(int fd)
{
	for (int i = 0; i < opt.n_allow_fd; i++)
		if (opt.allow_fd[i] == fd)
			return true;
	return false;
}

/* --allow-comm matches the new comm, the old comm or the file name's last part. */
static bool allowed_comm(const char *a, const char *b, const char *filename)
{
	const char *base = strrchr(filename, '/') ? strrchr(filename, '/') + 1 : filename;

	for (int i = 0; i < opt.n_allow_comm; i++)
		if (!strcmp(opt.allow_comm[i], a) || !strcmp(opt.allow_comm[i], b) ||
		    !strcmp(opt.allow_comm[i], base))
			return true;
	return false;
}

/*
 * An fd that survived exec: passed when declared (LISTEN_FDS with a matching or absent
 * LISTEN_PID, --allow, --allow-comm) or, with --keep-fds, when our caller gave it; else
 * leaked (reason untracked when we did not see it created: creator false).
 */
enum ct_inherit decide_inherit(const struct ct_exec_ctx *x, int fd, uint64_t ino, bool creator,
			       enum ct_reason *reason)
{
	*reason = CT_REASON_NONE;
	if (x->listen_fds > 0 && fd - 3 < x->listen_fds &&
	    (!x->listen_pid || x->listen_pid == x->tgid))
		*reason = CT_REASON_LISTEN_FDS;
	else if (allowed_fd(fd))
		*reason = CT_REASON_ALLOW;
	else if (allowed_comm(x->comm, x->old_comm, x->fname))
		*reason = CT_REASON_ALLOW_COMM;
	else if (!creator && caller_fd(ino))
		*reason = CT_REASON_CALLER;
	else if (!creator)
		*reason = CT_REASON_UNTRACKED;
	return *reason == CT_REASON_NONE || *reason == CT_REASON_UNTRACKED ? CT_INH_LEAKED
									   : CT_INH_PASSED;
}

/* A reported exec: count it and its inherited fds. */
void ct_count_exec(const struct ct_exec_report *o)
{
	ct_stats.execs++;
	for (int i = 0; i < o->n; i++) {
		if (o->it[i].verdict == CT_INH_PASSED)
			ct_stats.passed++;
		else
			ct_stats.leaked++;
	}
}

/*
 * The race rule, for a copy w of c's fd taken out of the creator's table while the bit was
 * clear (by a fork, or by an exec that unshared a CLONE_FILES table) and exec'd holding it:
 * a race when c's bit was set late and the copy came before the set. A copy exec'd while c was
 * not late (yet) is pending. When the clocks put the copy after the set yet it survived exec
 * uncleared, it is a race too (the fork tracepoint fires after the table was copied), unless
 * the creator cleared the bit again after setting it, or the witness waited for the set (its
 * exec was seen first: then only the clocks decide).
 */
enum ct_race decide_race(const struct creation *c, const struct witness *w)
{
	if (c->coe_at)
		return CT_RACE_NONE;
	if (!c->late)
		return CT_RACE_PENDING;
	if (w->fork_t < c->set_t || (!w->waited && !c->cleared_after_set)) {
		ct_stats.races++;
		return CT_RACE_YES;
	}
	return CT_RACE_NONE;
}

/* How p was created, from its clone flags and syscall; thread: exec from a non-leader. */
enum ct_spawn ct_spawn_of(const struct proc *p, bool thread)
{
	if (thread)
		return CT_SPAWN_THREAD;
	if (!p->have_spawn)
		return CT_SPAWN_UNKNOWN;
	if ((p->spawn_flags & (CT_F_VM | CT_F_VFORK)) == (CT_F_VM | CT_F_VFORK))
		return p->spawn_sc == CT_SC_VFORK ? CT_SPAWN_VFORK : CT_SPAWN_POSIX_SPAWN;
	if (p->spawn_sc == CT_SC_VFORK)
		return CT_SPAWN_VFORK;
	if (!(p->spawn_flags & (CT_F_VM | CT_F_FILES)))
		return CT_SPAWN_FORK;
	switch (p->spawn_sc) {
	case CT_SC_FORK:
		return CT_SPAWN_FORK;
	case CT_SC_CLONE:
		return CT_SPAWN_CLONE;
	case CT_SC_CLONE3:
		return CT_SPAWN_CLONE3;
	}
	return CT_SPAWN_UNKNOWN;
}

/* listen_pid_match: null without LISTEN_FDS or LISTEN_PID, else whether it names the process. */
enum ct_tristate ct_listen_pid_match(int listen_fds, uint32_t listen_pid, uint32_t tgid)
{
	if (listen_fds < 0 || !listen_pid)
		return CT_NULL;
	return listen_pid == tgid ? CT_TRUE : CT_FALSE;
}
