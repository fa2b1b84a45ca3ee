// SPDX-License-Identifier: MIT
/*
 * trace_check.c - the truth table's rows checked: against the kernel alone (tl_check_truth)
 * and against the tracer's records (tl_check_case: fd records, the child's exec records and
 * their inherited lists, the summary). A group of checks whose subject is missing (no fact,
 * no record) is still run between skip_begin() and skip_end(), so it skips exactly as many
 * checks as it has.
 */
#define _GNU_SOURCE
#include "trace_lib.h"

/* What the checks of one case share. */
struct tl_ctx {
	const struct tl_run *r;
	const struct tl_case *tc;
	char comm[16]; /* the kernel's comm: the fixture's name cut to 15 bytes */
	int child;     /* the pid that exec'd fx_child */
	int want_inh, want_leaked, want_passed;
	int want_counted; /* atomic fds of the table, counted in the kernel (not --all-fds) */
};

/* A fact whose fixture line is missing: the checks run against it report as skipped. */
static const struct tl_fact no_fact = {.pid = -1, .fd = -1};

/* The fixture alone: the bit at creation, the kind and whether fx_child holds the fd. */
static void check_truth_fd(const struct tl_run *r, const struct tl_case *tc,
			   const struct tl_want *w, int child)
{
	const struct tl_fact *f = tl_fact(r, w->role);
	char t[300];
	int found = 0;

	if (!ok(f != NULL, "%s: the fixture reported fd '%s'", tc->name, w->role)) {
		skip_begin("no fact");
		f = &no_fact;
	}
	is_int(f->cloexec, w->cloexec, "%s: fd %d (%s) has close-on-exec=%d at creation", tc->name,
	       f->fd, w->role, w->cloexec);
	is_str(f->kind, w->kind, "%s: fd %d (%s) is of kind %s", tc->name, f->fd, w->role, w->kind);
	if (w->family)
		is_str(f->family, w->family, "%s: fd %d (%s) is of family %s", tc->name, f->fd,
		       w->role, w->family);
	tl_target(f, t, sizeof(t));
	for (int h = 0; h < r->nheld; h++)
		if (r->held[h].pid == child && r->held[h].fd == f->fd &&
		    strcmp(r->held[h].target, t) == 0)
			found = 1;
	is_int(found, w->at_exec != NULL, "%s: the exec'd child %s fd %d (%s)", tc->name,
	       w->at_exec ? "holds" : "does not hold", f->fd, t);
	skip_end();
}

int tl_check_truth(const struct tl_run *r, const struct tl_case *tc)
{
	int failed = tap_tests_failed(), child = tl_child_pid(r), nw = tl_nwant(tc), want_held = 0;

	is_int(r->done_rc, 0, "%s: the fixture finished cleanly", tc->name);
	if (!is_int(r->nstrays, 0, "%s: the fixture inherited no fds >= 3", tc->name))
		diag("first stray: %s", r->stray);
	is_int(r->nexecs, 1, "%s: the fixture exec'd one child", tc->name);
	for (int i = 0; i < nw; i++) {
		check_truth_fd(r, tc, &tc->w[i], child);
		want_held += tc->w[i].at_exec != NULL;
	}
	for (int c = 0; c < r->nchildren; c++)
		if (r->children[c].pid == child)
			is_int(r->children[c].n, want_held,
			       "%s: the exec'd child holds exactly %d fds >= 3", tc->name,
			       want_held);
	return tap_tests_failed() - failed;
}

/* The run as a whole: exit code, clean output, the start record first, the summary last. */
static void check_run(const struct tl_ctx *x, const json_t *sum)
{
	const struct tl_run *r = x->r;
	const struct tl_case *tc = x->tc;
	const json_t *start = r->nrecs ? r->recs[0] : NULL;
	int low = 0;

	is_int(r->exit_code, tc->exit_want, "%s: the tracer exits %d", tc->name, tc->exit_want);
	is_int(r->bad_lines, 0, "%s: every output line is JSON with \"v\":%d and a type", tc->name,
	       TL_SCHEMA);
	if (!is_int(r->nstrays, 0, "%s: the tracer leaks no fd >= 3 into the command", tc->name))
		diag("first stray: %s", r->stray);
	is_int(r->done_rc, 0, "%s: the fixture finished cleanly under the tracer", tc->name);
	is_str(tj_str(start, "type", ""), "start", "%s: the first record is start", tc->name);
	is_str(tj_str(start, "tool", ""), "cloexec-trace", "%s: start names the tool", tc->name);
	is_str(tj_str(start, "scope", ""), "command", "%s: the scope is command", tc->name);
	if (r->nfacts && !tc->w[0].in_child)
		is_int(tj_int(start, "pid", -1), r->facts[0].pid,
		       "%s: start names the command's pid", tc->name);
	ok(r->nrecs && r->recs[r->nrecs - 1] == sum, "%s: the last record is the summary",
	   tc->name);
	/* fd records; none for fds 0-2 (SCHEMA.md) */
	for (int i = 0; i < r->nrecs; i++)
		low += tl_is(r->recs[i], "fd") && tj_int(r->recs[i], "fd", -1) < 3;
	is_int(low, 0, "%s: no fd record for fds 0-2", tc->name);
	tl_check_order(r, tc->name);
}

void tl_check_order(const struct tl_run *r, const char *name)
{
	long long prev = 0;
	int bad = 0;

	/* SCHEMA.md: records leave the tracer ordered by t_ns */
	for (int i = 0; i < r->nrecs; i++) {
		long long t = tj_int(r->recs[i], "t_ns", -1);

		if (t < 0)
			continue;
		if (t < prev && !bad++)
			diag("%s: record %d (%s) has t_ns %lld < %lld before it", name, i + 1,
			     tj_str(r->recs[i], "type", "?"), t, prev);
		prev = t > prev ? t : prev;
	}
	is_int(bad, 0, "%s: the records are in t_ns order", name);
	is_int(tj_int(tl_last(r, "summary"), "out_of_order", -1), 0,
	       "%s: the summary counts no record out of order", name);
	is_int(r->stray_fates, 0, "%s: every fate record settles an inherited fd of an exec record",
	       name);
}

/*
 * An fd record's times: made (created_t_ns) within the fixture's run and within the window it
 * reported; the record's own time (its verdict final: closed, exec'd away, the end) not before.
 */
static void check_fd_times(const struct tl_ctx *x, const struct tl_want *w, const json_t *j)
{
	const struct tl_run *r = x->r;
	const char *name = x->tc->name;
	unsigned long long t = (unsigned long long)tj_int(j, "created_t_ns", 0);
	int late = w->verdict && !strcmp(w->verdict, "late");

	ok(r->t_start && r->t_done && t >= r->t_start && t <= r->t_done,
	   "%s: %s created_t_ns is within the fixture's run", name, w->role);
	cmp_int(tj_int(j, "t_ns", 0), ">=", (long long)t,
		"%s: %s t_ns (its verdict final) is not before its creation", name, w->role);
	for (int k = 0; k < r->nspans; k++) {
		const struct tl_span *sp = &r->spans[k];

		if (strcmp(sp->role, w->role))
			continue;
		ok(t >= sp->t0 && t <= sp->t1,
		   "%s: %s created_t_ns is within its window [%llu, %llu]", name, w->role, sp->t0,
		   sp->t1);
		if (late)
			cmp_int(tj_int(j, "late_ns", -1), "<=", (long long)(sp->t1 - sp->t0),
				"%s: %s late_ns fits the fixture's own window", name, w->role);
	}
}

/* One fd record j against the table's want w and the fixture's fact f. */
static void check_fd_record(const struct tl_ctx *x, const struct tl_want *w,
			    const struct tl_fact *f, const json_t *j)
{
	const char *name = x->tc->name;

	is_str(tj_str(j, "syscall", ""), w->syscall, "%s: %s was made by %s", name, w->role,
	       w->syscall);
	is_str(tj_str(j, "kind", ""), w->kind, "%s: %s is of kind %s", name, w->role, w->kind);
	is_int(tj_bool(j, "cloexec_at_creation", -1), w->cloexec,
	       "%s: %s cloexec_at_creation is %s", name, w->role, w->cloexec ? "true" : "false");
	is_int(tj_bool(j, "requested_cloexec", -1), w->requested, "%s: %s requested_cloexec is %s",
	       name, w->role, w->requested ? "true" : "false");
	if (w->verdict)
		is_str(tj_str(j, "verdict", ""), w->verdict, "%s: %s is %s", name, w->role,
		       w->verdict);
	else
		ok(tl_one_of(tj_str(j, "verdict", ""), "atomic|late|never"),
		   "%s: %s has a verdict (%s)", name, w->role, tj_str(j, "verdict", "none"));
	if (w->verdict && strcmp(w->verdict, "late") == 0) {
		cmp_int(tj_int(j, "late_ns", -1), ">", 0, "%s: %s late_ns > 0", name, w->role);
		is_str(tj_str(j, "set_by", ""), w->set_by, "%s: %s was set late by %s", name,
		       w->role, w->set_by);
	} else if (w->verdict) {
		/* SCHEMA.md: late_ns and set_by only for late. */
		ok(!json_object_get(j, "late_ns") && !json_object_get(j, "set_by"),
		   "%s: %s has no late_ns/set_by", name, w->role);
	}
	cmp_int(tj_int(j, "t_ns", 0), ">", 0, "%s: %s has a timestamp", name, w->role);
	is_int(tj_int(j, "redundant_setfd", 0), w->redundant,
	       "%s: %s had %d redundant F_SETFD/FIOCLEX", name, w->role, w->redundant);
	is_str(tj_str(j, "comm", ""), x->comm, "%s: %s record names the comm %s", name, w->role,
	       x->comm);
	is_int(tj_int(j, "tid", -1), f->pid, "%s: %s was made by the main thread", name, w->role);
	check_fd_times(x, w, j);
	if (f->family[0]) {
		is_str(tj_str(j, "family", ""), f->family, "%s: %s family is %s", name, w->role,
		       f->family);
		is_str(tj_str(j, "sock_type", ""), f->type, "%s: %s sock_type is %s", name, w->role,
		       f->type);
	}
}

/* Every fd the case lists has its record; count what the child must inherit. */
static void check_fd_records(struct tl_ctx *x)
{
	const struct tl_case *tc = x->tc;

	for (int i = 0; i < tl_nwant(tc); i++) {
		const struct tl_want *w = &tc->w[i];
		const struct tl_fact *f = tl_fact(x->r, w->role);
		const json_t *j = NULL;

		if (!ok(f != NULL, "%s: the fixture reported fd '%s'", tc->name, w->role)) {
			skip_begin("no fact");
			f = &no_fact;
		} else if (w->cloexec && !x->r->all_fds) {
			/* made atomic: counted in the kernel (the summary), no record of its own */
			j = tl_fd_rec(x->r, f->pid, f->fd, f->ino, w->syscall);
			ok(j == NULL, "%s: no fd record for the atomic %s (counted in the kernel)",
			   tc->name, w->role);
			x->want_counted++;
			skip_begin("counted in the kernel");
		} else {
			j = tl_fd_rec(x->r, f->pid, f->fd, f->ino, w->syscall);
			if (!ok(j != NULL, "%s: an fd record for pid %d fd %d ino %llu (%s)",
				tc->name, f->pid, f->fd, f->ino, w->role))
				skip_begin("no record");
		}
		check_fd_record(x, w, f, j);
		skip_end();
		if (w->at_exec) {
			x->want_inh++;
			if (!strcmp(w->at_exec, "leaked"))
				x->want_leaked++;
			else
				x->want_passed++;
		}
	}
}

/* The exec record's header: what was exec'd, by whom, how, and LISTEN_* as parsed. */
static void check_exec_header(const struct tl_ctx *x, const json_t *ex, int e, int last)
{
	const struct tl_run *r = x->r;
	const struct tl_case *tc = x->tc;
	const char *fn = tj_str(ex, "filename", "");
	const json_t *lf = json_object_get(ex, "listen_fds"),
		     *lm = json_object_get(ex, "listen_pid_match");
	int thread = tc->spawn && !strcmp(tc->spawn, "thread");

	if (last) {
		ok(tl_basename_is(fn, "fx_child"), "%s: the last exec is fx_child (%s)", tc->name,
		   fn);
		is_str(tj_str(ex, "comm", ""), "fx_child", "%s: the exec'd comm is fx_child",
		       tc->name);
	}
	is_str(tj_str(ex, "old_comm", ""), e == 0 ? x->comm : "sh", "%s: exec %d old_comm is %s",
	       tc->name, e + 1, e == 0 ? x->comm : "sh");
	if (!thread) {
		unsigned long long t = (unsigned long long)tj_int(ex, "t_ns", 0);

		ok(t >= r->t_start && t <= r->t_done,
		   "%s: exec %d t_ns is within the fixture's run", tc->name, e + 1);
		if (r->nfacts && !tc->w[0].in_child)
			is_int(tj_int(ex, "ppid", -1), r->facts[0].pid,
			       "%s: exec %d ppid is the fixture", tc->name, e + 1);
	}
	if (!last)
		return;
	if (tc->spawn)
		ok(tl_one_of(tj_str(ex, "spawn", ""), tc->spawn),
		   "%s: the child was spawned by %s (%s)", tc->name, tc->spawn,
		   tj_str(ex, "spawn", "none"));
	if (!tc->listen_fds)
		ok(json_is_null(lf) || !lf, "%s: listen_fds is null", tc->name);
	else
		is_int(tj_vint(lf, -1), atoi(tc->listen_fds), "%s: listen_fds is %s", tc->name,
		       tc->listen_fds);
	if (!tc->listen_pid_match)
		ok(json_is_null(lm) || !lm, "%s: listen_pid_match is null", tc->name);
	else
		is_int(tj_vbool(lm, -1), !strcmp(tc->listen_pid_match, "true"),
		       "%s: listen_pid_match is %s", tc->name, tc->listen_pid_match);
}

/* Where an inherited socket is bound, and the path of a unix socket, file or pipe. */
static void check_inherited_where(const struct tl_ctx *x, const struct tl_want *w,
				  const struct tl_fact *f, const json_t *it)
{
	const char *name = x->tc->name;
	char want[300];

	if (tl_one_of(w->kind, "tcp|udp")) {
		if (w->family && !strcmp(w->family, "inet6")) {
			ok(tl_is_local6(tj_str(it, "local", ""), f->port),
			   "%s: inherited fd %d is bound to [::1]:%d (%s)", name, f->fd, f->port,
			   tj_str(it, "local", ""));
		} else {
			snprintf(want, sizeof(want), "127.0.0.1:%d", f->port);
			is_str(tj_str(it, "local", ""), want, "%s: inherited fd %d is bound to %s",
			       name, f->fd, want);
		}
	}
	if (tl_one_of(w->kind, "tcp|udp|unix"))
		is_int(tj_bool(it, "listen", -1), w->listen, "%s: inherited fd %d listen is %s",
		       name, f->fd, w->listen ? "true" : "false");
	if (!strcmp(w->kind, "unix") && f->path[0])
		is_str(tj_str(it, "path", ""), f->path, "%s: inherited fd %d has the socket's path",
		       name, f->fd);
	if (!strcmp(w->kind, "file"))
		is_str(tj_str(it, "path", ""), f->path, "%s: inherited fd %d has the file's path",
		       name, f->fd);
	if (!strcmp(w->kind, "pipe")) {
		tl_target(f, want, sizeof(want));
		is_str(tj_str(it, "path", ""), want, "%s: inherited fd %d has the pipe's path",
		       name, f->fd);
	}
}

/*
 * One entry of an exec's inherited list against the want and the fact. fate: what the program
 * did with it: an exec before fx_child's passed it on (the shell execs fx_child in its pid),
 * fx_child exits holding what it inherited.
 */
static void check_inherited(const struct tl_ctx *x, const struct tl_want *w,
			    const struct tl_fact *f, const json_t *it, const char *fate)
{
	const char *name = x->tc->name;
	const json_t *cr = json_object_get(it, "creator");

	is_int(tj_int(it, "ino", -1), (long long)f->ino,
	       "%s: inherited fd %d is the fixture's inode", name, f->fd);
	is_str(tj_str(it, "verdict", ""), w->at_exec, "%s: inherited fd %d is %s", name, f->fd,
	       w->at_exec);
	if (w->reason)
		is_str(tj_str(it, "reason", ""), w->reason, "%s: fd %d passed because of %s", name,
		       f->fd, w->reason);
	else if (!strcmp(w->at_exec, "leaked"))
		/* SCHEMA.md: null for a leak whose creator is known. */
		ok(json_is_null(json_object_get(it, "reason")),
		   "%s: leaked fd %d has reason null (%s)", name, f->fd,
		   tj_vstr(json_object_get(it, "reason"), "null"));
	is_str(tj_str(it, "kind", ""), w->kind, "%s: inherited fd %d is %s", name, f->fd, w->kind);
	check_inherited_where(x, w, f, it);
	if (w->cloexec && !x->r->all_fds) {
		/* made atomic, counted in the kernel: the call that made it is not known */
		is_str(tj_str(cr, "syscall", ""), "unknown",
		       "%s: fd %d creator syscall is unknown (counted in the kernel)", name, f->fd);
	} else {
		is_int(tj_int(cr, "pid", -1), f->pid, "%s: fd %d was created by pid %d", name,
		       f->fd, f->pid);
		is_str(tj_str(cr, "syscall", ""), w->syscall, "%s: fd %d creator syscall is %s",
		       name, f->fd, w->syscall);
	}
	if (w->verdict)
		is_str(tj_str(cr, "verdict", ""), w->verdict, "%s: fd %d creator verdict is %s",
		       name, f->fd, w->verdict);
	is_str(tj_str(it, "fate", ""), fate, "%s: inherited fd %d's fate is %s", name, f->fd, fate);
	cmp_int(tj_int(it, "fate_ns", -1), ">=", 0, "%s: fd %d's fate has a time (fate_ns)", name,
		f->fd);
}

/* Exec record e of the child: its header and exactly the inherited fds the table says. */
static void check_exec(const struct tl_ctx *x, const json_t *ex, int e, int last)
{
	const struct tl_case *tc = x->tc;
	const json_t *inh = json_object_get(ex, "inherited");

	check_exec_header(x, ex, e, last);
	if (!is_int((long long)tj_len(inh), x->want_inh,
		    "%s: exec %d of pid %d inherited exactly %d fds", tc->name, e + 1, x->child,
		    x->want_inh))
		for (size_t k = 0; k < tj_len(inh); k++)
			diag("inherited fd %lld ino %lld %s", tj_int(tj_at(inh, k), "fd", -1),
			     tj_int(tj_at(inh, k), "ino", -1),
			     tj_str(tj_at(inh, k), "verdict", "?"));
	for (int i = 0; i < tl_nwant(tc); i++) {
		const struct tl_want *w = &tc->w[i];
		const struct tl_fact *f = tl_fact(x->r, w->role);
		const json_t *it;

		if (!f || !w->at_exec)
			continue;
		it = tl_inherited(ex, f->fd);
		if (!ok(it != NULL, "%s: exec %d lists fd %d (%s) as inherited", tc->name, e + 1,
			f->fd, w->role))
			skip_begin("not listed");
		check_inherited(x, w, f, it, last ? "held_at_exit" : "passed_on");
		skip_end();
	}
}

/* The tracer's list agrees with what fx_child saw from inside. */
static void check_child_view(const struct tl_ctx *x, const json_t *ex)
{
	const struct tl_run *r = x->r;
	int agree = 1, seen = 0;

	for (int h = 0; h < r->nheld; h++) {
		if (r->held[h].pid != x->child)
			continue;
		seen++;
		if (!tl_inherited(ex, r->held[h].fd)) {
			agree = 0;
			diag("fx_child holds fd %d (%s), the tracer does not list it",
			     r->held[h].fd, r->held[h].target);
		}
	}
	ok(agree && seen == (int)tj_len(json_object_get(ex, "inherited")),
	   "%s: the inherited list matches fx_child's own view (%d fds)", x->tc->name, seen);
}

/* Each race record names one of the fixture's fds, its creator, the child and a window. */
static void check_races(const struct tl_ctx *x)
{
	const struct tl_run *r = x->r;

	for (int i = 0; i < r->nrecs; i++) {
		const json_t *j = r->recs[i];
		const struct tl_fact *f = NULL;

		if (!tl_is(j, "race"))
			continue;
		for (int k = 0; k < r->nfacts && !f; k++)
			if (r->facts[k].fd == tj_int(j, "fd", -2) &&
			    r->facts[k].ino == (unsigned long long)tj_int(j, "ino", -2))
				f = &r->facts[k];
		ok(f && tj_int(j, "creator_pid", -1) == f->pid &&
		       tj_int(j, "exec_pid", -1) == x->child &&
		       tj_int(j, "fork_child", -1) == x->child && tj_int(j, "window_ns", -1) > 0,
		   "%s: the race names the fixture's fd %lld, its creator, the child %d and a "
		   "window",
		   x->tc->name, tj_int(j, "fd", -1), x->child);
	}
}

/* The records' verdicts counted by hand: fd verdicts, and inherited leaked/passed/helper. */
static void count_verdicts(const struct tl_run *r, int *nat, int *nlate, int *nnever, int *leaked,
			   int *passed, int *helper)
{
	*nat = *nlate = *nnever = *leaked = *passed = *helper = 0;
	for (int i = 0; i < r->nrecs; i++) {
		const json_t *j = r->recs[i], *inh = json_object_get(j, "inherited");
		const char *v = tj_str(j, "verdict", "");

		if (tl_is(j, "fd")) {
			*nat += !strcmp(v, "atomic");
			*nlate += !strcmp(v, "late");
			*nnever += !strcmp(v, "never");
		} else if (tl_is(j, "exec")) {
			for (size_t k = 0; k < tj_len(inh); k++) {
				v = tj_str(tj_at(inh, k), "verdict", "");
				*leaked += !strcmp(v, "leaked");
				*passed += !strcmp(v, "passed");
				*helper += !strcmp(v, "helper");
			}
		}
	}
}

/* The summary: nothing lost, its counts equal to the records', the table's totals. */
static void check_summary(const struct tl_ctx *x, const json_t *sum)
{
	const struct tl_run *r = x->r;
	const struct tl_case *tc = x->tc;
	int n = tl_nexecs(tc), nat, nlate, nnever, leaked, passed, helper, want_races = 0;
	int nfd = tl_count(r, "fd");

	count_verdicts(r, &nat, &nlate, &nnever, &leaked, &passed, &helper);
	is_int(tj_int(sum, "lost", -1), 0, "%s: no records were lost", tc->name);
	is_int(tl_count(r, "lost"), 0, "%s: no lost record", tc->name);
	/* atomic fds: records with --all-fds, else counted in the kernel (atomic_counted) */
	if (r->all_fds)
		is_int(tj_int(sum, "atomic_counted", -1), 0, "%s: --all-fds: no fd only counted",
		       tc->name);
	else
		cmp_int(tj_int(sum, "atomic_counted", -1), ">=", x->want_counted,
			"%s: the kernel counted the %d atomic fds of the table", tc->name,
			x->want_counted);
	nfd += tj_int(sum, "atomic_counted", 0);
	nat += tj_int(sum, "atomic_counted", 0);
	is_int(tj_int(sum, "fds", -1), nfd, "%s: summary fds = fd records + counted (%d)", tc->name,
	       nfd);
	is_int(tj_int(sum, "atomic", -1), nat, "%s: summary atomic = records + counted (%d)",
	       tc->name, nat);
	is_int(tj_int(sum, "late", -1), nlate, "%s: summary late = %d", tc->name, nlate);
	is_int(tj_int(sum, "never", -1), nnever, "%s: summary never = %d", tc->name, nnever);
	is_int(tj_int(sum, "execs", -1), tl_count(r, "exec"), "%s: summary execs = exec records",
	       tc->name);
	is_int(tj_int(sum, "leaked", -1), x->want_leaked * n, "%s: summary leaked = %d", tc->name,
	       x->want_leaked * n);
	is_int(leaked, x->want_leaked * n, "%s: %d leaked entries in exec records", tc->name,
	       x->want_leaked * n);
	is_int(tj_int(sum, "passed", -1), x->want_passed * n, "%s: summary passed = %d", tc->name,
	       x->want_passed * n);
	is_int(passed, x->want_passed * n, "%s: %d passed entries in exec records", tc->name,
	       x->want_passed * n);
	is_int(tj_int(sum, "helper", -1), helper, "%s: summary helper = helper entries (%d)",
	       tc->name, helper);
	/* a late fd the child inherited: its exec copied the fd inside the window */
	for (int k = 0; k < tl_nwant(tc); k++)
		want_races += tc->w[k].verdict && !strcmp(tc->w[k].verdict, "late") &&
			      tc->w[k].at_exec && !strcmp(tc->w[k].at_exec, "leaked");
	is_int(tj_int(sum, "races", -1), want_races * n, "%s: summary races = %d", tc->name,
	       want_races * n);
	is_int(tl_count(r, "race"), want_races * n, "%s: %d race records", tc->name,
	       want_races * n);
	check_races(x);
	is_int(tj_int(sum, "exit_code", -1), r->exit_code,
	       "%s: summary exit_code = the exit status", tc->name);
}

int tl_check_case(const struct tl_run *r, const struct tl_case *tc)
{
	struct tl_ctx x = {.r = r, .tc = tc, .child = tl_child_pid(r)};
	const json_t *ex[4], *sum = tl_last(r, "summary");
	int failed = tap_tests_failed(), nex;

	snprintf(x.comm, sizeof(x.comm), "%s", tc->fixture);
	check_run(&x, sum);
	check_fd_records(&x);
	nex = tl_exec_recs(r, x.child, tc->fixture, ex, 4);
	if (!is_int(nex, tl_nexecs(tc), "%s: %d exec record(s) for the child pid %d", tc->name,
		    tl_nexecs(tc), x.child))
		nex = nex > 4 ? 4 : nex;
	for (int e = 0; e < nex; e++)
		check_exec(&x, ex[e], e, e == nex - 1);
	if (nex > 0)
		check_child_view(&x, ex[nex - 1]);
	if (!ok(sum != NULL, "%s: there is a summary", tc->name))
		skip_begin("no summary");
	check_summary(&x, sum);
	skip_end();
	if (tap_tests_failed() != failed)
		tl_diag_run(r, tc->name);
	return tap_tests_failed() - failed;
}
