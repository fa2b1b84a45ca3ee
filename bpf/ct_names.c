// SPDX-License-Identifier: MIT
/*
 * ct_names.c - the output words for cloexec-trace's enums and the kernel's numbers.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ct_names.h"
#include "ct_render.h"

const char *sc_name(unsigned sc)
{
	static const char *const n[CT_SC_MAX] = {
	    [CT_SC_NONE] = "unknown",
	    [CT_SC_SOCKET] = "socket",
	    [CT_SC_SOCKETPAIR] = "socketpair",
	    [CT_SC_ACCEPT] = "accept",
	    [CT_SC_ACCEPT4] = "accept4",
	    [CT_SC_OPENAT] = "openat",
	    [CT_SC_OPEN] = "open",
	    [CT_SC_PIPE] = "pipe",
	    [CT_SC_PIPE2] = "pipe2",
	    [CT_SC_DUP] = "dup",
	    [CT_SC_DUP2] = "dup2",
	    [CT_SC_DUP3] = "dup3",
	    [CT_SC_FCNTL_DUPFD] = "fcntl_dupfd",
	    [CT_SC_FCNTL_DUPFD_CLOEXEC] = "fcntl_dupfd_cloexec",
	    [CT_SC_RECVMSG] = "recvmsg",
	    [CT_SC_OPENAT2] = "openat2",
	    [CT_SC_CREAT] = "creat",
	    [CT_SC_FCNTL_SETFD] = "fcntl",
	    [CT_SC_IOCTL_FIOCLEX] = "ioctl",
	    [CT_SC_IOCTL_FIONCLEX] = "ioctl",
	    [CT_SC_FORK] = "fork",
	    [CT_SC_VFORK] = "vfork",
	    [CT_SC_CLONE] = "clone",
	    [CT_SC_CLONE3] = "clone3",
	    [CT_SC_EVENTFD2] = "eventfd2",
	    [CT_SC_EVENTFD] = "eventfd",
	    [CT_SC_EPOLL_CREATE1] = "epoll_create1",
	    [CT_SC_EPOLL_CREATE] = "epoll_create",
	    [CT_SC_MEMFD_CREATE] = "memfd_create",
	    [CT_SC_TIMERFD_CREATE] = "timerfd_create",
	    [CT_SC_SIGNALFD4] = "signalfd4",
	    [CT_SC_SIGNALFD] = "signalfd",
	    [CT_SC_INOTIFY_INIT1] = "inotify_init1",
	    [CT_SC_INOTIFY_INIT] = "inotify_init",
	    [CT_SC_PIDFD_OPEN] = "pidfd_open",
	    [CT_SC_PIDFD_GETFD] = "pidfd_getfd",
	    [CT_SC_FANOTIFY_INIT] = "fanotify_init",
	    [CT_SC_USERFAULTFD] = "userfaultfd",
	    [CT_SC_PERF_EVENT_OPEN] = "perf_event_open",
	    [CT_SC_OPEN_BY_HANDLE_AT] = "open_by_handle_at",
	    [CT_SC_RECVMMSG] = "recvmmsg",
	};

	return sc < CT_SC_MAX && n[sc] ? n[sc] : "unknown";
}

const char *family_name(unsigned f, char *buf, size_t len)
{
	switch (f) {
	case AF_UNIX:
		return "unix";
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	case AF_VSOCK:
		return "vsock";
	}
	snprintf(buf, len, "af%u", f);
	return buf;
}

const char *stype_name(unsigned t, char *buf, size_t len)
{
	switch (t) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_RDM:
		return "rdm";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_PACKET:
		return "packet";
	}
	snprintf(buf, len, "type%u", t);
	return buf;
}

const char *fkind_name(enum ct_fkind k)
{
	static const char *const n[] = {
	    [CT_FK_OTHER] = "other",	 [CT_FK_FILE] = "file",
	    [CT_FK_PIPE] = "pipe",	 [CT_FK_TCP] = "tcp",
	    [CT_FK_UDP] = "udp",	 [CT_FK_UNIX] = "unix",
	    [CT_FK_NETLINK] = "netlink", [CT_FK_OTHER_SOCKET] = "other_socket",
	};

	return n[k];
}

const char *fd_verdict_name(enum ct_fd_verdict v)
{
	return v == CT_FD_ATOMIC ? "atomic" : v == CT_FD_LATE ? "late" : "never";
}

const char *set_by_name(enum ct_set_by s)
{
	return s == CT_SET_FCNTL ? "fcntl" : s == CT_SET_IOCTL ? "ioctl" : "close_range";
}

const char *inherit_name(enum ct_inherit v)
{
	return v == CT_INH_PASSED ? "passed" : v == CT_INH_HELPER ? "helper" : "leaked";
}

const char *fate_name(enum ct_fate f)
{
	static const char *const n[] = {
	    [CT_FATE_OPEN] = "open",
	    [CT_FATE_CLOSED_BEFORE_EXEC] = "closed_before_exec",
	    [CT_FATE_CLOSED] = "closed",
	    [CT_FATE_HELD_AT_EXIT] = "held_at_exit",
	    [CT_FATE_HELD_AT_END] = "held_at_end",
	    [CT_FATE_PASSED_ON] = "passed_on",
	};

	return n[f];
}

const char *reason_name(enum ct_reason r)
{
	static const char *const n[] = {
	    [CT_REASON_NONE] = NULL,	   [CT_REASON_LISTEN_FDS] = "LISTEN_FDS",
	    [CT_REASON_ALLOW] = "--allow", [CT_REASON_ALLOW_COMM] = "--allow-comm",
	    [CT_REASON_CALLER] = "caller", [CT_REASON_UNTRACKED] = "untracked",
	    [CT_REASON_CHILD] = "child",
	};

	return n[r];
}

const char *spawn_name(enum ct_spawn s)
{
	static const char *const n[] = {
	    [CT_SPAWN_UNKNOWN] = NULL,	  [CT_SPAWN_FORK] = "fork",
	    [CT_SPAWN_VFORK] = "vfork",	  [CT_SPAWN_POSIX_SPAWN] = "posix_spawn",
	    [CT_SPAWN_CLONE] = "clone",	  [CT_SPAWN_CLONE3] = "clone3",
	    [CT_SPAWN_THREAD] = "thread",
	};

	return n[s];
}

const char *tristate_name(enum ct_tristate t)
{
	return t == CT_TRUE ? "true" : t == CT_FALSE ? "false" : "null";
}

const char *exit_reason_name(int reason)
{
	static const char *const n[] = {
	    [CT_EXIT_CLEAN] = "clean",	       [CT_EXIT_FINDINGS] = "findings",
	    [CT_EXIT_CMD_EXIT] = "cmd_exit",   [CT_EXIT_CMD_SIGNAL] = "cmd_signal",
	    [CT_EXIT_SIGNAL] = "signal",       [CT_EXIT_TIMEOUT] = "timeout",
	    [CT_EXIT_OUTPUT] = "output_error",
	};

	return reason >= 0 && reason < (int)(sizeof(n) / sizeof(n[0])) && n[reason] ? n[reason]
										    : "?";
}

enum ct_fkind creation_fkind(const struct creation *c)
{
	return ct_file_kind(c->kind, c->family, c->stype, c->proto, c->name);
}

enum ct_fkind event_fkind(const struct ct_event *x)
{
	return ct_file_kind(x->kind, x->family, x->sock_type, x->protocol, x->name);
}

void local_addr(const struct ct_event *e, char *buf, size_t len)
{
	char a[64];

	buf[0] = 0;
	if (e->kind != CT_KIND_SOCKET || (e->family != AF_INET && e->family != AF_INET6))
		return;
	if (e->family == AF_INET) {
		snprintf(buf, len, "%u.%u.%u.%u:%u", e->addr[0], e->addr[1], e->addr[2], e->addr[3],
			 e->port);
		return;
	}
	a[0] = 0;
	for (int i = 0; i < 16; i += 2)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "%s%x", i ? ":" : "",
			 (e->addr[i] << 8) | e->addr[i + 1]);
	snprintf(buf, len, "[%s]:%u", a, e->port);
}
