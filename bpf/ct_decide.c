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
    {"helper", 0x20, offsetof(struct ct_stats, helper), false,
     "an fd leaked into a program that closed it before it exec'd again"},
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

/* --allow-comm names the program that receives the fd: its new comm or its file name. */
static bool allowed_comm(const char *comm, const char *filename)
{
	const char *base = strrchr(filename, '/') ? strrchr(filename, '/') + 1 : filename;

	for (int i = 0; i < opt.n_allow_comm; i++)
		if (!strcmp(opt.allow_comm[i], comm) || !strcmp(opt.allow_comm[i], base))
			return true;
	return false;
}

/*
 * The calls that put an existing file at a number the caller chose, without the flag: dup2,
 * dup3, F_DUPFD (the lowest free from a number). Not dup() (the lowest free fd) nor a new file
 * (open, socket, accept...): a call that makes an fd without the flag by default is how fds
 * leak, not how they are handed over.
 */
static bool dup_call(unsigned sc)
{
	return sc == CT_SC_DUP2 || sc == CT_SC_DUP3 || sc == CT_SC_FCNTL_DUPFD;
}

/*
 * Passed by the child: the exec'ing process made the fd inheritable itself (a dup2/dup3/F_DUPFD
 * onto a number without the flag, or the bit cleared by F_SETFD/FIONCLEX) in a table of its own
 * (made by its fork for it, not shared with another process when it did so or at the exec), after
 * its fork and before its first exec since: the window in which a spawner sets up what its target
 * gets (ExtraFiles, posix_spawn_file_actions_adddup2, pass_fds, socket activation). A process that
 * has exec'd once already runs a program: what it makes inheritable is its own (a shell's
 * `exec 3<file` serves every later command), so it does not count; such a program can declare
 * the fd (LISTEN_FDS with LISTEN_PID, its own pid). An fd inherited unchanged is no hand-over.
 */
static bool made_by_child(const struct ct_exec_ctx *x, const struct ct_inh_origin *o)
{
	const struct creation *c = o->c;

	if (!x->forked || x->prior_execs || !x->own_table)
		return false;
	if (c && c->files == o->table && c->pid == x->tgid && !c->coe_at && dup_call(c->sc) &&
	    !c->shared && c->t_ns >= x->fork_t)
		return true;
	return o->cleared_by == x->tgid && !o->cleared_shared && o->cleared_t >= x->fork_t;
}

/*
 * An fd that survived exec: passed when declared (LISTEN_FDS with LISTEN_PID naming the process,
 * as sd_listen_fds(3) reads them: without LISTEN_PID nothing is passed), --allow, --allow-comm
 * (the receiving program), made inheritable by the exec'ing process itself (made_by_child), or,
 * with --keep-fds, given by our caller; else leaked (reason untracked when we did not see it
 * created).
 */
enum ct_inherit decide_inherit(const struct ct_exec_ctx *x, const struct ct_inh_origin *o,
			       enum ct_reason *reason)
{
	*reason = CT_REASON_NONE;
	if (x->listen_fds > 0 && o->fd - 3 < x->listen_fds && o->fd >= 3 &&
	    x->listen_pid == x->tgid)
		*reason = CT_REASON_LISTEN_FDS;
	else if (allowed_fd(o->fd))
		*reason = CT_REASON_ALLOW;
	else if (allowed_comm(x->comm, x->fname))
		*reason = CT_REASON_ALLOW_COMM;
	else if (made_by_child(x, o))
		*reason = CT_REASON_CHILD;
	else if (!o->c && caller_fd(o->ino))
		*reason = CT_REASON_CALLER;
	else if (!o->c)
		*reason = CT_REASON_UNTRACKED;
	return *reason == CT_REASON_NONE || *reason == CT_REASON_UNTRACKED ? CT_INH_LEAKED
									   : CT_INH_PASSED;
}

/*
 * What the receiving program did with an inherited fd, from what every copy's holder did: the
 * worst of them (carried into another exec, held to the end, held to an exit, closed by a
 * program that never exec'd again, closed before the holder exec'd again), with the time of
 * that event (*at) and, for passed_on, the process whose exec got it (*pid).
 */
enum ct_fate decide_fate(const struct heir *h, uint64_t *at, uint32_t *pid)
{
	*pid = 0;
	if (h->passed_t) {
		*at = h->passed_t;
		*pid = h->passed_pid;
		return CT_FATE_PASSED_ON;
	}
	if (h->end_t) {
		*at = h->end_t;
		return CT_FATE_HELD_AT_END;
	}
	if (h->exit_t) {
		*at = h->exit_t;
		return CT_FATE_HELD_AT_EXIT;
	}
	if (h->closed_t) {
		*at = h->closed_t;
		return CT_FATE_CLOSED;
	}
	*at = h->closed_exec_t;
	return h->closed_exec_t ? CT_FATE_CLOSED_BEFORE_EXEC : CT_FATE_OPEN;
}

/*
 * The final verdict of an inherited fd once its fate is known, counted: a leak that its program
 * closed before exec'ing again, passing no copy on, is a helper (a trampoline such as
 * jspawnhelper: nothing reached a program that keeps it); otherwise as decided at the exec.
 */
enum ct_inherit decide_inherit_final(enum ct_inherit v, enum ct_fate f)
{
	if (v == CT_INH_LEAKED && f == CT_FATE_CLOSED_BEFORE_EXEC)
		v = CT_INH_HELPER;
	if (v == CT_INH_PASSED)
		ct_stats.passed++;
	else if (v == CT_INH_HELPER)
		ct_stats.helper++;
	else
		ct_stats.leaked++;
	return v;
}

/* A reported exec: count it (its inherited fds are counted when their fates are known). */
void ct_count_exec(const struct ct_exec_report *o)
{
	(void)o;
	ct_stats.execs++;
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
