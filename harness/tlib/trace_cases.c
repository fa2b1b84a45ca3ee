// SPDX-License-Identifier: MIT
/*
 * trace_cases.c - the truth table: per fixture and per fd it creates, what the kernel did
 * (the cloexec bit at creation) and what the tracer must report. trace_fixtures proves each
 * row against the kernel without the tracer; the trace_* tests prove the tracer against it.
 * Fields left out are 0/NULL: not cloexec, not requested, not inherited, no listen socket,
 * listen_fds and listen_pid_match null, one exec record.
 */
#include "trace_lib.h"

/* A TCP listener made without the flag, leaked at exec. */
#define SOCK_NEVER(r, sc)                                                                          \
	{                                                                                          \
		.role = r, .syscall = sc, .kind = "tcp", .verdict = "never", .at_exec = "leaked",  \
		.listen = 1                                                                        \
	}
/* A TCP listener made with the flag, not inherited. */
#define SOCK_ATOMIC(r, sc)                                                                         \
	{                                                                                          \
		.role = r, .syscall = sc, .kind = "tcp", .cloexec = 1, .requested = 1,             \
		.verdict = "atomic", .listen = 1                                                   \
	}
/* Any other fd of kind k made without the flag, leaked at exec. */
#define ANON_NEVER(r, sc, k)                                                                       \
	{                                                                                          \
		.role = r, .syscall = sc, .kind = k, .verdict = "never", .at_exec = "leaked"       \
	}
/* Any other fd of kind k made with the flag, not inherited. */
#define ANON_ATOMIC(r, sc, k)                                                                      \
	{                                                                                          \
		.role = r, .syscall = sc, .kind = k, .cloexec = 1, .requested = 1,                 \
		.verdict = "atomic"                                                                \
	}

/* fx_listen_fds: its listener, made with F_DUPFD_CLOEXEC, not inherited... */
#define LISTENER SOCK_ATOMIC("listener", "fcntl_dupfd_cloexec")
/* ...and the child's dup2 of it onto fd r (r "fd3"), with its fate at exec and the reason. */
#define HANDED(r, at, why)                                                                         \
	{                                                                                          \
		.role = r, .syscall = "dup2", .kind = "tcp", .verdict = "never", .at_exec = at,    \
		.reason = why, .listen = 1, .in_child = 1                                          \
	}
/* ...or the parent's, before the fork (the child inherits it unchanged). */
#define HANDED_P(r, at, why)                                                                       \
	{                                                                                          \
		.role = r, .syscall = "dup2", .kind = "tcp", .verdict = "never", .at_exec = at,    \
		.reason = why, .listen = 1                                                         \
	}

/* clang-format off */
const struct tl_case tl_cases[] = {
	{
		.topic = "create",
		.name = "plain socket()",
		.fixture = "fx_socket_plain",
		.exit_want = 1,
		.spawn = "fork",
		.w = {
			SOCK_NEVER("sock", "socket"),
		},
	},
	{
		.topic = "create",
		.name = "socket() then F_SETFD",
		.fixture = "fx_socket_late",
		.exit_want = 0,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .verdict = "late",
			 .set_by = "fcntl", .listen = 1},
		},
	},
	{
		.topic = "create",
		.name = "socket() then FIOCLEX",
		.fixture = "fx_fioclex",
		.exit_want = 0,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .verdict = "late",
			 .set_by = "ioctl", .listen = 1},
		},
	},
	{
		.topic = "create",
		.name = "socket(SOCK_CLOEXEC)",
		.fixture = "fx_socket_atomic",
		.exit_want = 0,
		.w = {
			SOCK_ATOMIC("tcp", "socket"),
			{.role = "udp", .syscall = "socket", .kind = "udp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
		},
	},
	{
		.topic = "create",
		.name = "SOCK_CLOEXEC plus redundant F_SETFD/FIOCLEX",
		.fixture = "fx_socket_redundant",
		.exit_want = 0,
		.w = {
			{.role = "once", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic", .redundant = 1, .listen = 1},
			{.role = "twice", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic", .redundant = 2, .listen = 1},
		},
	},
	{
		.topic = "create",
		.name = "accept() vs accept4(SOCK_CLOEXEC)",
		.fixture = "fx_accept",
		.exit_want = 1,
		.w = {
			SOCK_ATOMIC("listener", "socket"),
			{.role = "client1", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
			{.role = "accepted", .syscall = "accept", .kind = "tcp", .verdict = "never",
			 .at_exec = "leaked"},
			{.role = "client2", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
			{.role = "accepted4", .syscall = "accept4", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
		},
	},
	{
		.topic = "create",
		.name = "dup2 onto fd 7",
		.fixture = "fx_dup2",
		.exit_want = 1,
		.w = {
			SOCK_ATOMIC("orig", "socket"),
			SOCK_NEVER("dup7", "dup2"),
		},
	},
	/* verdict NULL: the bit was set at creation and cleared later; SCHEMA.md defines
	 * no verdict for that, the leak at exec is what must be reported. */
	{
		.topic = "create",
		.name = "SOCK_CLOEXEC then FIONCLEX",
		.fixture = "fx_fionclex",
		.exit_want = 1,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .at_exec = "leaked", .listen = 1},
		},
	},
	{
		.topic = "create",
		.name = "pipe vs pipe2(O_CLOEXEC)",
		.fixture = "fx_pipe",
		.exit_want = 1,
		.w = {
			ANON_NEVER("pipe_r", "pipe", "pipe"),
			ANON_NEVER("pipe_w", "pipe", "pipe"),
			ANON_NEVER("pipe2_r", "pipe2", "pipe"),
			ANON_NEVER("pipe2_w", "pipe2", "pipe"),
			ANON_ATOMIC("cpipe_r", "pipe2", "pipe"),
			ANON_ATOMIC("cpipe_w", "pipe2", "pipe"),
		},
	},
	{
		.topic = "create",
		.name = "F_DUPFD/dup vs F_DUPFD_CLOEXEC/dup3",
		.fixture = "fx_dupfd",
		.exit_want = 1,
		.w = {
			SOCK_ATOMIC("orig", "socket"),
			SOCK_NEVER("dupfd", "fcntl_dupfd"),
			SOCK_ATOMIC("dupfd_cloexec", "fcntl_dupfd_cloexec"),
			SOCK_NEVER("dup", "dup"),
			SOCK_ATOMIC("dup3_cloexec", "dup3"),
		},
	},
	{
		.topic = "create",
		.name = "openat/open with and without O_CLOEXEC",
		.fixture = "fx_openat",
		.exit_want = 1,
		.w = {
			ANON_NEVER("plain", "openat", "file"),
			ANON_ATOMIC("cloexec", "openat", "file"),
			ANON_NEVER("legacy_open", "open", "file"),
		},
	},
	{
		.topic = "create",
		.name = "socketpair with and without SOCK_CLOEXEC",
		.fixture = "fx_socketpair",
		.exit_want = 1,
		.w = {
			{.role = "pair_a", .syscall = "socketpair", .kind = "unix",
			 .verdict = "never", .at_exec = "leaked"},
			{.role = "pair_b", .syscall = "socketpair", .kind = "unix",
			 .verdict = "never", .at_exec = "leaked"},
			{.role = "cpair_a", .syscall = "socketpair", .kind = "unix", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
			{.role = "cpair_b", .syscall = "socketpair", .kind = "unix", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
		},
	},
	{
		.topic = "create",
		.name = "SCM_RIGHTS with and without MSG_CMSG_CLOEXEC",
		.fixture = "fx_scm_rights",
		.exit_want = 1,
		.w = {
			{.role = "chan_a", .syscall = "socketpair", .kind = "unix", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
			{.role = "chan_b", .syscall = "socketpair", .kind = "unix", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
			SOCK_ATOMIC("sent", "socket"),
			SOCK_NEVER("recv_plain", "recvmsg"),
			SOCK_ATOMIC("recv_cloexec", "recvmsg"),
		},
	},
	{
		.topic = "create",
		.name = "a socket of each kind",
		.fixture = "fx_kinds",
		.exit_want = 1,
		.w = {
			{.role = "udp", .syscall = "socket", .kind = "udp", .verdict = "never",
			 .at_exec = "leaked"},
			{.role = "tcp6", .syscall = "socket", .kind = "tcp", .verdict = "never",
			 .at_exec = "leaked", .listen = 1, .family = "inet6"},
			{.role = "unix", .syscall = "socket", .kind = "unix", .verdict = "never",
			 .at_exec = "leaked", .listen = 1},
			{.role = "netlink", .syscall = "socket", .kind = "netlink",
			 .verdict = "never", .at_exec = "leaked"},
		},
	},
	{
		.topic = "create",
		.name = "eventfd/epoll/timerfd/signalfd/inotify/memfd with and without the flag",
		.fixture = "fx_anon",
		.exit_want = 1,
		.w = {
			ANON_NEVER("eventfd", "eventfd2", "other"),
			ANON_ATOMIC("eventfd_c", "eventfd2", "other"),
			ANON_NEVER("epoll", "epoll_create1", "other"),
			ANON_ATOMIC("epoll_c", "epoll_create1", "other"),
			ANON_NEVER("timerfd", "timerfd_create", "other"),
			ANON_ATOMIC("timerfd_c", "timerfd_create", "other"),
			ANON_NEVER("signalfd", "signalfd4", "other"),
			ANON_ATOMIC("signalfd_c", "signalfd4", "other"),
			ANON_NEVER("inotify", "inotify_init1", "other"),
			ANON_ATOMIC("inotify_c", "inotify_init1", "other"),
			ANON_NEVER("memfd", "memfd_create", "file"),
			ANON_ATOMIC("memfd_c", "memfd_create", "file"),
		},
	},
	{
		.topic = "create",
		.name = "close_range(CLOSE_RANGE_CLOEXEC), creat, openat2",
		.fixture = "fx_close_range",
		.exit_want = 1,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .verdict = "late",
			 .set_by = "close_range", .listen = 1},
			ANON_NEVER("creat", "creat", "file"),
			ANON_ATOMIC("openat2", "openat2", "file"),
		},
	},
	{
		.topic = "create",
		.name = "a named FIFO with and without O_CLOEXEC",
		.fixture = "fx_fifo",
		.exit_want = 1,
		.w = {
			ANON_NEVER("fifo", "openat", "pipe"),
			ANON_ATOMIC("fifo_c", "openat", "pipe"),
		},
	},
	{
		.topic = "create",
		.name = "closed fds, a reused fd number, dup2 onto stdin",
		.fixture = "fx_reuse",
		.exit_want = 0,
		.w = {
			{.role = "first", .syscall = "socket", .kind = "tcp", .verdict = "never",
			 .listen = 1},
			SOCK_ATOMIC("reused", "socket"),
			{.role = "ranged", .syscall = "socket", .kind = "tcp", .verdict = "never"},
		},
	},
	{
		.topic = "exec",
		.name = "the forked child closes or sets cloexec before exec",
		.fixture = "fx_child_close",
		.exit_want = 0,
		.spawn = "fork",
		.w = {
			{.role = "closed", .syscall = "socket", .kind = "tcp", .verdict = "never",
			 .listen = 1},
			{.role = "set_in_child", .syscall = "socket", .kind = "tcp",
			 .verdict = "never", .listen = 1},
		},
	},
	{
		.topic = "exec",
		.name = "exec from a non-leader thread",
		.fixture = "fx_thread_exec",
		.exit_want = 1,
		.spawn = "thread",
		.w = {
			SOCK_NEVER("sock", "socket"),
		},
	},
	{
		.topic = "exec",
		.name = "vfork+exec",
		.fixture = "fx_vfork",
		.exit_want = 1,
		.spawn = "vfork",
		.w = {
			SOCK_NEVER("sock", "socket"),
		},
	},
	{
		.topic = "exec",
		.name = "posix_spawn",
		.fixture = "fx_posix_spawn",
		.exit_want = 1,
		.spawn = "posix_spawn",
		.w = {
			SOCK_NEVER("sock", "socket"),
		},
	},
	{
		.topic = "exec",
		.name = "a shell in between",
		.fixture = "fx_shell",
		.exit_want = 1,
		.execs = 2,
		.w = {
			SOCK_NEVER("sock", "socket"),
		},
	},
	/* the clone(CLONE_FILES) child execs before the parent's F_SETFD: late, yet leaked */
	{
		.topic = "exec",
		.name = "a CLONE_FILES child execs inside a late window",
		.fixture = "fx_clone_files",
		.exit_want = 1,
		.spawn = "clone",
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .verdict = "late",
			 .set_by = "fcntl", .at_exec = "leaked", .listen = 1},
		},
	},
	{
		.topic = "passing",
		.name = "Go-style LISTEN_FDS=1 passing",
		.fixture = "fx_listen_fds",
		.args = {"pass"},
		.exit_want = 0,
		.listen_fds = "1",
		.listen_pid_match = "true",
		.w = {
			LISTENER,
			HANDED("fd3", "passed", "LISTEN_FDS"),
		},
	},
	/* passed by the child: it dup2'd fd 3 itself between fork and exec; no declaration needed */
	{
		.topic = "passing",
		.name = "fd 3 dup2'd by the forked child, no LISTEN_FDS",
		.fixture = "fx_listen_fds",
		.args = {"noenv"},
		.exit_want = 0,
		.w = {
			LISTENER,
			HANDED("fd3", "passed", "child"),
		},
	},
	{
		.topic = "passing",
		.name = "fd 3 dup2'd by the forked child, LISTEN_FDS=1 and no LISTEN_PID",
		.fixture = "fx_listen_fds",
		.args = {"nopid"},
		.exit_want = 0,
		.listen_fds = "1",
		.w = {
			LISTENER,
			HANDED("fd3", "passed", "child"),
		},
	},
	{
		.topic = "passing",
		.name = "fds 3 and 4 dup2'd by the forked child, LISTEN_FDS=1 names fd 3",
		.fixture = "fx_listen_fds",
		.args = {"extra"},
		.exit_want = 0,
		.listen_fds = "1",
		.listen_pid_match = "true",
		.w = {
			LISTENER,
			SOCK_ATOMIC("other", "socket"),
			HANDED("fd3", "passed", "LISTEN_FDS"),
			HANDED("fd4", "passed", "child"),
		},
	},
	/* the same dup2 in the parent before the fork: only a declaration can pass it */
	{
		.topic = "passing",
		.name = "fd 3 dup2'd by the parent before the fork, no LISTEN_FDS",
		.fixture = "fx_listen_fds",
		.args = {"noenv", "parent"},
		.exit_want = 1,
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_FDS=1 and LISTEN_PID = the child",
		.fixture = "fx_listen_fds",
		.args = {"pass", "parent"},
		.exit_want = 0,
		.listen_fds = "1",
		.listen_pid_match = "true",
		.w = {
			LISTENER,
			HANDED_P("fd3", "passed", "LISTEN_FDS"),
		},
	},
	/* sd_listen_fds(3): without LISTEN_PID nothing is passed */
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_FDS=1 and no LISTEN_PID",
		.fixture = "fx_listen_fds",
		.args = {"nopid", "parent"},
		.exit_want = 1,
		.listen_fds = "1",
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_PID naming another process",
		.fixture = "fx_listen_fds",
		.args = {"wrongpid", "parent"},
		.exit_want = 1,
		.listen_fds = "1",
		.listen_pid_match = "false",
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	/* sd_listen_fds rejects malformed variables and passes nothing */
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_PID that is not a number",
		.fixture = "fx_listen_fds",
		.args = {"badpid", "parent"},
		.exit_want = 1,
		.listen_fds = "1",
		.listen_pid_match = "false",
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_FDS that is not a number",
		.fixture = "fx_listen_fds",
		.args = {"badfds", "parent"},
		.exit_want = 1,
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_FDS=INT_MAX (invalid)",
		.fixture = "fx_listen_fds",
		.args = {"hugefds", "parent"},
		.exit_want = 1,
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "fd 3 from the parent, LISTEN_FDS=0 before a second LISTEN_FDS=1",
		.fixture = "fx_listen_fds",
		.args = {"dupenv", "parent"},
		.exit_want = 1,
		.listen_fds = "0",
		.listen_pid_match = "true",
		.w = {
			LISTENER,
			HANDED_P("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "fds 3 and 4 from the parent, LISTEN_FDS=1 names fd 3",
		.fixture = "fx_listen_fds",
		.args = {"extra", "parent"},
		.exit_want = 1,
		.listen_fds = "1",
		.listen_pid_match = "true",
		.w = {
			LISTENER,
			SOCK_ATOMIC("other", "socket"),
			HANDED_P("fd3", "passed", "LISTEN_FDS"),
			HANDED_P("fd4", "leaked", NULL),
		},
	},
	/* the bit cleared on purpose: by the forked child (a hand-over) or by the parent (not) */
	{
		.topic = "passing",
		.name = "the forked child clears the flag with F_SETFD",
		.fixture = "fx_clear",
		.args = {"child-fcntl"},
		.exit_want = 0,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic", .at_exec = "passed", .reason = "child",
			 .listen = 1},
		},
	},
	{
		.topic = "passing",
		.name = "the forked child clears the flag with FIONCLEX",
		.fixture = "fx_clear",
		.args = {"child-ioctl"},
		.exit_want = 0,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic", .at_exec = "passed", .reason = "child",
			 .listen = 1},
		},
	},
	{
		.topic = "passing",
		.name = "the parent clears the flag before the fork",
		.fixture = "fx_clear",
		.args = {"parent"},
		.exit_want = 1,
		.w = {
			{.role = "sock", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .at_exec = "leaked", .listen = 1},
		},
	},
	{
		.topic = "passing",
		.name = "the forked child clears a flag that was never set",
		.fixture = "fx_clear",
		.args = {"redundant"},
		.exit_want = 1,
		.w = {
			SOCK_NEVER("sock", "socket"),
		},
	},
	{
		.topic = "passing",
		.name = "posix_spawn_file_actions_adddup2 onto fd 3",
		.fixture = "fx_spawn_dup",
		.args = {"dup2"},
		.exit_want = 0,
		.spawn = "posix_spawn",
		.w = {
			{.role = "listener", .syscall = "fcntl_dupfd_cloexec", .kind = "tcp",
			 .cloexec = 1, .requested = 1, .verdict = "atomic", .listen = 1},
			HANDED("fd3", "passed", "child"),
		},
	},
	{
		.topic = "passing",
		.name = "posix_spawn_file_actions_adddup2 of fd 3 onto itself",
		.fixture = "fx_spawn_dup",
		.args = {"same"},
		.exit_want = 0,
		.spawn = "posix_spawn",
		.w = {
			{.role = "listener", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic", .at_exec = "passed", .reason = "child",
			 .listen = 1},
		},
	},
	/* made by the child, but as fds leak: an open, a dup() to the lowest free number */
	{
		.topic = "passing",
		.name = "the forked child opens a file and dup()s the listener",
		.fixture = "fx_child_open",
		.exit_want = 1,
		.w = {
			LISTENER,
			{.role = "opened", .syscall = "openat", .kind = "file", .verdict = "never",
			 .at_exec = "leaked", .in_child = 1},
			{.role = "duped", .syscall = "dup", .kind = "tcp", .verdict = "never",
			 .at_exec = "leaked", .listen = 1, .in_child = 1},
		},
	},
	/* not the child's own: a shared table, or a process that had exec'd already */
	{
		.topic = "passing",
		.name = "a CLONE_FILES child dup2s onto fd 3",
		.fixture = "fx_clone_dup",
		.exit_want = 1,
		.spawn = "clone",
		.w = {
			LISTENER,
			HANDED("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "passing",
		.name = "dup2 onto fd 3 after the child's first exec",
		.fixture = "fx_reexec",
		.args = {"own"},
		.exit_want = 1,
		.w = {
			{.role = "listener", .syscall = "fcntl_dupfd_cloexec", .kind = "tcp",
			 .cloexec = 1, .requested = 1, .verdict = "atomic", .listen = 1,
			 .in_child = 1},
			HANDED("fd3", "leaked", NULL),
		},
	},
	{
		.topic = "scale",
		.name = "3000 atomic fds and a leak at the top",
		.fixture = "fx_many_fds",
		.args = {"3000"},
		.exit_want = 1,
		.w = {
			{.role = "base", .syscall = "socket", .kind = "tcp", .cloexec = 1,
			 .requested = 1, .verdict = "atomic"},
			SOCK_NEVER("leak", "socket"),
		},
	},
};
/* clang-format on */

const int tl_ncases = sizeof(tl_cases) / sizeof(tl_cases[0]);

int tl_nwant(const struct tl_case *tc)
{
	int n = 0;

	while (n < TL_MAXW && tc->w[n].role)
		n++;
	return n;
}

int tl_nexecs(const struct tl_case *tc)
{
	return tc->execs ? tc->execs : 1;
}
