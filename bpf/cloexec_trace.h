/* SPDX-License-Identifier: MIT */
/*
 * cloexec_trace.h - the record layout shared by the BPF programs (cloexec_trace.bpf.c) and the
 * loader (cloexec_trace.c). No includes: only fixed-width fields, explicit padding and a size
 * check, so the BPF target and the host compiler agree byte for byte.
 *
 * The kernel side records facts (one fixed-size record per event); the loader decides.
 */
#ifndef CLOEXEC_TRACE_H
#define CLOEXEC_TRACE_H

#define CT_NAME_LEN 256
#define CT_COMM_LEN 16

/* Record types. */
enum ct_type {
	CT_EV_FD = 1,	       /* an fd appeared: fd, syscall, cloexec bit at exit, file identity */
	CT_EV_SETFD = 2,       /* F_SETFD / FIOCLEX / FIONCLEX: bit before and after (flags) */
	CT_EV_CLOSE = 3,       /* close(fd) */
	CT_EV_CLOSE_RANGE = 4, /* close_range(fd, u.range.last, u.range.flags) */
	CT_EV_FORK = 5,	       /* a process was created: u.fork */
	CT_EV_EXEC = 6,	       /* sched_process_exec: header, followed by CT_EV_EXEC_FD records */
	CT_EV_EXEC_FD = 7,     /* one fd >= 3 that survived exec */
	CT_EV_EXEC_END = 8,    /* end of an exec's fd list: u.exec_end */
	CT_EV_EXIT = 9,	       /* the last thread of a process exited */
	CT_EV_MAP = 10,	       /* an executable file mapping appeared: u.map, file identity */
};

/* Syscalls that create fds (ct_event.syscall). */
enum ct_syscall {
	CT_SC_NONE = 0,
	CT_SC_SOCKET,
	CT_SC_SOCKETPAIR,
	CT_SC_ACCEPT,
	CT_SC_ACCEPT4,
	CT_SC_OPENAT,
	CT_SC_OPEN,
	CT_SC_PIPE,
	CT_SC_PIPE2,
	CT_SC_DUP,
	CT_SC_DUP2,
	CT_SC_DUP3,
	CT_SC_FCNTL_DUPFD,
	CT_SC_FCNTL_DUPFD_CLOEXEC,
	CT_SC_RECVMSG,
	CT_SC_OPENAT2,
	CT_SC_CREAT,
	CT_SC_FCNTL_SETFD, /* CT_EV_SETFD only */
	CT_SC_IOCTL_FIOCLEX,
	CT_SC_IOCTL_FIONCLEX,
	CT_SC_FORK, /* CT_EV_FORK only */
	CT_SC_VFORK,
	CT_SC_CLONE,
	CT_SC_CLONE3,
	CT_SC_EVENTFD2, /* more fd-creating syscalls (anon inodes and friends) */
	CT_SC_EVENTFD,
	CT_SC_EPOLL_CREATE1,
	CT_SC_EPOLL_CREATE,
	CT_SC_MEMFD_CREATE,
	CT_SC_TIMERFD_CREATE,
	CT_SC_SIGNALFD4,
	CT_SC_SIGNALFD,
	CT_SC_INOTIFY_INIT1,
	CT_SC_INOTIFY_INIT,
	CT_SC_PIDFD_OPEN,
	CT_SC_PIDFD_GETFD,
	CT_SC_FANOTIFY_INIT,
	CT_SC_USERFAULTFD,
	CT_SC_PERF_EVENT_OPEN,
	CT_SC_OPEN_BY_HANDLE_AT,
	CT_SC_RECVMMSG,
	CT_SC_MAX
};

/* File kinds (ct_event.kind). */
enum ct_kind {
	CT_KIND_OTHER = 0,
	CT_KIND_FILE,
	CT_KIND_PIPE,
	CT_KIND_SOCKET,
	CT_KIND_DIR,
	CT_KIND_CHR,
};

/* ct_event.flags */
#define CT_F_CLOEXEC	 0x01 /* close_on_exec bit set (after the syscall) */
#define CT_F_REQ_CLOEXEC 0x02 /* the caller's flags asked for cloexec */
#define CT_F_ABSTRACT	 0x08 /* unix socket name is abstract (leading NUL dropped) */
#define CT_F_TRUNC                                                                                 \
	0x10		/* EXEC_END: the scan hit its bound; EXEC: env read truncated;             \
			 * FD/EXEC_FD: the path did not fit (name holds the last part) */
#define CT_F_IMAGE 0x04 /* MAP: the program exec mapped (earlier mappings are gone) */
#define CT_F_VM	   0x20 /* FORK: child shares the address space (CLONE_VM) */
#define CT_F_VFORK 0x40 /* FORK: parent waits for exec/exit (CLONE_VFORK) */
#define CT_F_FILES 0x80 /* FORK: child shares the fd table (CLONE_FILES) */

/* ct_event.flags2 (FD, EXEC_FD) */
#define CT_F2_PSEUDO                                                                               \
	0x01		   /* on an internal mount (anon inode, memfd, ...): name is the dentry's  \
			    */
#define CT_F2_DELETED 0x02 /* the inode has no links left (unlinked file, memfd) */
#define CT_F2_STACK   0x04 /* FD, SETFD: a struct ct_stack_tail follows the record */
#define CT_F2_NOSTACK 0x08 /* FD, SETFD: a stack was due but not taken (ring buffer busy) */
#define CT_F2_INTERP  0x10 /* MAP: the interpreter exec mapped (ld.so), at AT_BASE */
#define CT_F2_UNSEEN                                                                               \
	0x20 /* SETFD: the fd was made with the flag and counted in the kernel, not recorded:      \
	      * the record carries its identity (as FD) */

/* File system magic numbers (statfs f_type) the record's fs_magic is compared with. */
#define CT_ANON_INODE_MAGIC 0x09041934 /* anon_inodefs: eventfd, epoll, timerfd, ... */
#define CT_PIDFS_MAGIC	    0x50494446 /* pidfs (6.9+): pidfd_open's files */

/* FD, EXEC_FD: more of the file's identity. */
struct ct_file_info {
	__u64 name_len; /* unix sockets: bytes of the bound sun_path (abstract: with its NUL) */
	__u32 pad;
	__u32 fs_magic; /* the file system's magic number (CT_*_MAGIC) */
};

/* CLOSE_RANGE: fd is the first of the range. */
struct ct_range_info {
	__u64 last;
	__u32 flags; /* CLOSE_RANGE_* */
	__u32 pad;
};

/* FORK: the new process; syscall is CT_SC_FORK..CLONE3, flags CT_F_VM/VFORK/FILES. */
struct ct_fork_info {
	__u64 clone_flags; /* as far as known */
	__u32 child_tgid;
	__u32 child_tid;
};

/* EXEC: what LISTEN_FDS/LISTEN_PID said, who called exec, who the parent is. */
struct ct_exec_info {
	__u32 listen_pid;  /* 0: absent; 0xffffffff: not a number */
	__s32 listen_fds;  /* -1: absent or invalid */
	__u32 old_pid;	   /* the thread that called exec */
	__u32 parent_tgid; /* real_parent */
};

/* EXEC_END: how the scan of the exec'd fd table went. */
struct ct_exec_end_info {
	__u64 emitted; /* EXEC_FD records sent */
	__u32 seen;    /* open fds >= 3 found */
	__u32 pad;
};

/* MAP: the file (ino, name) is mapped at [start, end), file offset pgoff at start. */
struct ct_map_info {
	__u64 start;
	__u64 end;
	__u64 pgoff; /* bytes */
};

/* EXIT: how the process ended. */
struct ct_exit_info {
	__u32 exit_code; /* task->exit_code */
	__u32 pad[3];
};

/*
 * One record, 376 bytes. Fields per type (u: the union member of the type):
 *   all:        type, tgid, tid, ts_ns, comm, files (the task's files_struct, fd table identity)
 *   FD:         fd, syscall, flags (CLOEXEC, REQ_CLOEXEC), file identity (ino .. name, flags2,
 *               u.file)
 *   SETFD:      fd, syscall, flags (CLOEXEC after the call, REQ_CLOEXEC), ino
 *   CLOSE:      fd, ino = what the slot holds after the close (0: empty; else reused already),
 *               ts_ns = before the slot was read
 *   CLOSE_RANGE: fd = first, u.range, ts_ns = at syscall exit, before the record
 *   FORK:       u.fork, syscall, flags (VM, VFORK, FILES), ino = child files
 *   EXEC:       tid = pid after exec, u.exec, name = filename, flags TRUNC
 *   EXEC_FD:    fd and file identity as for FD, flags CLOEXEC (always clear after exec)
 *   EXEC_END:   u.exec_end, flags TRUNC
 *   EXIT:       u.exit
 *   MAP:        u.map, file identity as for FD (ino, name), flags IMAGE (exec mapped it)
 * FD and SETFD records with flags2 CT_F2_STACK are followed by a struct ct_stack_tail.
 */
struct ct_event {
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__s32 fd;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 files; /* struct files_struct * (identity only) */
	__u64 ino;   /* inode number */
	union {
		struct ct_file_info file;	  /* FD, EXEC_FD */
		struct ct_range_info range;	  /* CLOSE_RANGE */
		struct ct_fork_info fork;	  /* FORK */
		struct ct_exec_info exec;	  /* EXEC */
		struct ct_exec_end_info exec_end; /* EXEC_END */
		struct ct_exit_info exit;	  /* EXIT */
		struct ct_map_info map;		  /* MAP */
	} u;
	char comm[CT_COMM_LEN];
	__u16 syscall;
	__u16 kind;	 /* enum ct_kind */
	__u16 family;	 /* sockets: AF_* */
	__u16 sock_type; /* sockets: SOCK_* */
	__u16 protocol;	 /* sockets: IPPROTO_* */
	__u16 port;	 /* sockets: local port, host order (0 = unbound) */
	__u8 state;	 /* sockets: skc_state (TCP_LISTEN = 10) */
	__u8 flags;	 /* CT_F_* */
	__u8 flags2;	 /* CT_F2_* */
	__u8 pad;
	__u32 mode;		/* inode i_mode */
	__u8 addr[16];		/* sockets: local address (4 bytes for inet, 16 for inet6) */
	char name[CT_NAME_LEN]; /* file: path (pseudo files: dentry name); unix: sun_path;
				 * exec: filename */
	__u32 pad2;
};

_Static_assert(sizeof(((struct ct_event *)0)->u) == 24, "ct_event.u: 24 bytes (MAP's size)");
_Static_assert(sizeof(struct ct_event) == 376, "ct_event layout changed");

/* Records without a name (CLOSE, SETFD, FORK, EXIT, EXEC_END) are sent without it. */
#define CT_EVENT_HDR_SIZE 116
_Static_assert(__builtin_offsetof(struct ct_event, name) == CT_EVENT_HDR_SIZE, "ct_event header");

/*
 * The user stack of the syscall that made an fd without close-on-exec (FD) or cleared the flag
 * (SETFD): the user registers at syscall exit and a copy of the stack memory from the stack
 * pointer upward, len bytes (at most the loader's stack_bytes, less when the next page is not
 * mapped). User space unwinds it with the DWARF CFI of the mapped files (MAP records).
 */
#define CT_STACK_MAX 16384 /* bytes of stack a record can carry */
#define CT_STACK_NREGS                                                                             \
	17 /* x86_64, DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip                 \
	    */
struct ct_stack_tail {
	__u64 regs[CT_STACK_NREGS];
	__u32 len; /* bytes of data[] that follow */
	__u32 pad;
	__u8 data[CT_STACK_MAX];
};

#define CT_STACK_HDR_SIZE 144 /* regs + len + pad: the tail's fixed part */
_Static_assert(__builtin_offsetof(struct ct_stack_tail, data) == CT_STACK_HDR_SIZE,
	       "ct_stack_tail header");

/* Per-CPU counters (array map "counters", index = enum ct_counter). */
enum ct_counter {
	CT_CNT_LOST = 0,   /* ring-buffer reservations that failed */
	CT_CNT_EVENTS,	   /* records submitted */
	CT_CNT_SCOPE_FULL, /* children not added to the traced set (map full) */
	CT_CNT_STACKS,	   /* records sent with a stack */
	CT_CNT_NOSTACK,	   /* records whose stack was not taken (ring buffer more than half full) */
	CT_CNT_ATOMIC,	   /* fds made with the flag, counted in the kernel without a record */
	CT_CNT_TRACK_FULL, /* fds user space follows that did not fit the "tracked" map */
	CT_CNT_MAX
};

/*
 * Hash map "atomic" (per CPU): fds >= 3 made with the flag set, counted in the kernel instead of
 * a record each (unless --all-fds), per process, syscall and kind. A key that does not fit the
 * map is counted in the per-CPU array "atomic_rest" (index syscall * CT_AGG_KINDS + kind).
 */
#define CT_AGG_KINDS 8
struct ct_agg_key {
	__u32 tgid;
	__u16 syscall; /* enum ct_syscall */
	__u16 kind;    /* enum ct_kind */
};
_Static_assert(sizeof(struct ct_agg_key) == 8, "ct_agg_key layout changed");

/*
 * Hash map "tracked": the fds user space follows (made without the flag, cleared, survivors of
 * an exec, the inheritable fds of a table copied by fork or unshare), by fd table and number.
 * Their close gets a record; the close of any other fd (made atomic: counted) does not.
 */
struct ct_track_key {
	__u64 files; /* struct files_struct * */
	__s32 fd;
	__u32 pad;
};
_Static_assert(sizeof(struct ct_track_key) == 16, "ct_track_key layout changed");

#endif
