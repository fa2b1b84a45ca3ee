// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cloexec_trace.bpf.c - kernel side of cloexec-trace: records facts about file descriptors of a
 * traced process tree, user space decides what they mean.
 *
 * - At the exit of every fd-creating syscall (socket, socketpair, accept, accept4, open, openat,
 *   openat2, creat, pipe, pipe2, dup, dup2, dup3, fcntl F_DUPFD[_CLOEXEC], recvmsg SCM_RIGHTS)
 *   read the ground truth: the close_on_exec bit of the new fd in the task's fdtable, plus the
 *   file's identity (inode, kind, socket family/type/port/state/address, name).
 * - fcntl(F_SETFD) and ioctl(FIOCLEX/FIONCLEX): the bit before and after the call.
 * - close/close_range, so user space can tell a reused fd number from an older fd.
 * - sched_process_fork: add the child to the traced set (filtering happens here, in the kernel),
 *   with what the child shares (fd table, address space, vfork).
 * - sched_process_exec: do_close_on_exec has run, so every fd still in open_fds survived; scan
 *   the bitmap word by word with bpf_loop (bounded by max_fds) and emit one record per fd >= 3.
 *   Also parse LISTEN_FDS/LISTEN_PID from the new image's environment.
 * - sched_process_exit: the process left the traced set.
 *
 * The syscalls are traced by one tp_btf program on sys_exit that dispatches on the syscall
 * number and reads the arguments from the saved user registers: one attachment, no tracefs.
 *
 * Records go to a ring buffer without a wakeup each (BPF_RB_NO_WAKEUP); exec/exit records and a
 * buffer more than half full wake the reader. Failed reservations are counted per CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "cloexec_trace.h"
#include <asm/unistd.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define RB_SIZE		(8u << 20)
#define ENV_CHUNK	4096
#define ENV_MAX_STRINGS 1024
#define RECV_MAX_CMSG	4
#define RECV_MAX_FDS	16
#define RECV_MAX_MMSG	8
#define PATH_MAX_DEPTH	32
#define STACK_SMALL	1024 /* bytes of stack copied while the ring buffer fills up */
#define STACK_CHUNK	512  /* stack bytes read per bpf_probe_read_user */
#if defined(__TARGET_ARCH_x86)
#define x86 1
#else
#define x86 0
#endif

#define S_IFMT	 00170000
#define S_IFSOCK 0140000
#define S_IFREG	 0100000
#define S_IFDIR	 0040000
#define S_IFCHR	 0020000
#define S_IFIFO	 0010000

#define O_CLOEXEC	    02000000
#define ANON_INODE_FS_MAGIC CT_ANON_INODE_MAGIC
#define PIDFS_MAGIC	    CT_PIDFS_MAGIC
#define SOCK_CLOEXEC	    02000000
#define MSG_CMSG_CLOEXEC    0x40000000
#define F_DUPFD		    0
#define F_SETFD		    2
#define F_DUPFD_CLOEXEC	    1030
#define FIONCLEX	    0x5450
#define FIOCLEX		    0x5451
#define SOL_SOCKET	    1
#define SCM_RIGHTS	    1
#define AF_UNIX		    1
#define AF_INET		    2
#define AF_INET6	    10
#define CLONE_VM	    0x00000100
#define CLONE_FILES	    0x00000400
#define CLONE_VFORK	    0x00004000
#define PROT_EXEC	    0x4
#define MAP_ANONYMOUS	    0x20
#define AT_BASE		    7

/*
 * Kernel features beyond the baseline, probed at load time by ct_kernel.c, which sets these
 * before load. The verifier knows read-only data as constants and drops the branch not taken,
 * so a kernel never verifies code for a feature it lacks (a call of an unresolved weak kfunc
 * is accepted as long as it is dead code).
 */
const volatile __u32 have_rdonly_cast = 0;     /* the bpf_rdonly_cast kfunc (6.2+) */
const volatile __u32 have_exit_group_dead = 0; /* sched_process_exit(p, group_dead) (6.18: yes) */

/*
 * A kernel pointer held as a number, typed again for direct (fault-safe) loads: one load per
 * field instead of a bpf_probe_read_kernel call each (the verifier turns the kfunc call into a
 * register move). Without the kfunc (6.1) KREAD reads the field with bpf_probe_read_kernel; kc
 * is have_rdonly_cast, read once per function.
 */
extern void *bpf_rdonly_cast(void *obj__ign, __u32 btf_id__k) __ksym __weak;
#define KCAST(type, p)		  ((type *)bpf_rdonly_cast((void *)(p), bpf_core_type_id_kernel(type)))
#define KREAD(kc, type, p, field) ((kc) ? KCAST(type, p)->field : BPF_CORE_READ((type *)(p), field))

/* Configuration, set by the loader before load. */
const volatile __u32 filter_enabled = 0; /* 1: only tgids in "traced" */
const volatile __u32 self_tgid = 0;	 /* never trace the loader itself */
const volatile __u32 max_scan_fds = 1u << 20;
const volatile __u64 rb_wake_bytes = RB_SIZE / 2; /* wake the reader past this much data */
/*
 * Stacks (0: off): bytes of user stack copied for an fd made without close-on-exec, or whose
 * flag was cleared (at most CT_STACK_MAX), and MAP records of the executable mappings user
 * space unwinds them with. Only that path pays for it: an fd made atomic takes no stack.
 */
const volatile __u32 stack_bytes = 0;
const volatile __u64 rb_stack_bytes = RB_SIZE / 8 * 3; /* no stacks past this much data */
/*
 * --all-fds: a record for every fd and every close (the full stream). Else an fd made with the
 * flag set is counted in "atomic" and sends nothing, and a close is sent only for an fd in
 * "tracked" (the ones user space follows), until that map is full: track_full, set once, sends
 * every close again (the model stays right, only slower).
 */
const volatile __u32 all_fds = 0;
__u32 track_full = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RB_SIZE);
} rb SEC(".maps");

/* tgid -> 1: the traced process tree (filled by the loader and by sched_process_fork). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Atomic fds per process, syscall and kind (cloexec_trace.h); the total is CT_CNT_ATOMIC. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ct_agg_key);
	__type(value, __u64);
} atomic SEC(".maps");

/* The fds whose close user space needs (cloexec_trace.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 17);
	__type(key, struct ct_track_key);
	__type(value, __u64); /* the struct file * followed (0: from a table walk, not known) */
} tracked SEC(".maps");

/* Per-CPU scratch: the record being built, and buffers for environment strings and paths. */
struct scratch {
	struct ct_event ev;
	char env[ENV_CHUNK];
	char path[2 * CT_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

/* Whether closes are filtered by "tracked" (not --all-fds, the map not full yet). */
static __always_inline bool filtering(void)
{
	return !all_fds && !*(volatile __u32 *)&track_full;
}

/* User space follows fd (file, 0: not known) of table files from now on: its close gets a record.
 */
static __always_inline void track(__u64 files, int fd, __u64 file)
{
	struct ct_track_key k = {.files = files, .fd = fd};

	if (bpf_map_update_elem(&tracked, &k, &file, BPF_ANY)) {
		*(volatile __u32 *)&track_full = 1;
		count(CT_CNT_TRACK_FULL);
	}
}

/* Whether user space follows fd of table files; forget it (the slot is closed or replaced). */
static __always_inline bool untrack(__u64 files, int fd)
{
	struct ct_track_key k = {.files = files, .fd = fd};

	return bpf_map_delete_elem(&tracked, &k) == 0;
}

/* A file's kind from its inode mode and file system (anon inodes and pidfs: other). */
static __always_inline __u16 kind_of(__u32 mode, __u32 magic)
{
	if (magic == ANON_INODE_FS_MAGIC || magic == PIDFS_MAGIC)
		return CT_KIND_OTHER; /* eventfd, epoll, timerfd, signalfd, inotify, pidfd... */
	switch (mode & S_IFMT) {
	case S_IFSOCK:
		return CT_KIND_SOCKET;
	case S_IFIFO:
		return CT_KIND_PIPE;
	case S_IFDIR:
		return CT_KIND_DIR;
	case S_IFCHR:
		return CT_KIND_CHR;
	case S_IFREG:
		return CT_KIND_FILE;
	}
	return CT_KIND_OTHER;
}

static __always_inline bool in_scope(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (!filter_enabled)
		return true;
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

static __always_inline bool current_in_scope(void)
{
	return in_scope(bpf_get_current_pid_tgid() >> 32);
}

/* A zeroed record with the common header of the current task. */
static __always_inline struct ct_event *ev_begin(__u32 type)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	struct task_struct *task;
	struct ct_event *e;
	__u64 id;

	if (!s)
		return NULL;
	e = &s->ev;
	/* the header only: a name, when there is one, is written NUL-terminated */
	__builtin_memset(e, 0, CT_EVENT_HDR_SIZE);
	e->name[0] = 0;
	id = bpf_get_current_pid_tgid();
	task = bpf_get_current_task_btf();
	e->type = type;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->ts_ns = bpf_ktime_get_ns();
	e->files = (__u64)task->files;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/*
 * Copy the record into the ring buffer, up to the end of its name, nlen bytes with the NUL (as
 * fill_file returns it; -1: not known, the whole record); the reader zeroes the rest: a pipe's
 * record is 140 bytes, not 376, so a burst (an exec with 20,000 inherited fds) fits the ring
 * more than twice over. Wake the reader only when asked or half full.
 */
static __always_inline void ev_send_len(struct ct_event *e, bool wake, long nlen)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u64 size = CT_EVENT_HDR_SIZE;

	if (e->type == CT_EV_FD || e->type == CT_EV_EXEC_FD || e->type == CT_EV_EXEC ||
	    e->type == CT_EV_MAP || (e->type == CT_EV_SETFD && (e->flags2 & CT_F2_UNSEEN))) {
		size = sizeof(*e);
		if (nlen >= 0 && nlen <= CT_NAME_LEN)
			size = CT_EVENT_HDR_SIZE + (((__u64)nlen + 8) & ~7ULL);
		if (size > sizeof(*e))
			size = sizeof(*e);
	}
	if (wake || bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > rb_wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&rb, e, size, flags))
		count(CT_CNT_LOST);
	else
		count(CT_CNT_EVENTS);
}

static __always_inline void ev_send(struct ct_event *e, bool wake)
{
	ev_send_len(e, wake, -1);
}

/*
 * The close_on_exec bit of fd in files (0/1), or -1 when fd is outside the table. When filep is
 * given, also the struct file at that slot.
 */
static __always_inline int fd_state(struct files_struct *files, int fd, struct file **filep)
{
	struct fdtable *fdt = files->fdt;
	unsigned int max = fdt->max_fds;
	unsigned long word = 0;

	if (fd < 0 || (unsigned int)fd >= max)
		return -1;
	if (bpf_probe_read_kernel(&word, sizeof(word), fdt->close_on_exec + (fd >> 6)))
		return -1;
	if (filep) {
		*filep = NULL;
		bpf_probe_read_kernel(filep, sizeof(*filep), fdt->fd + fd);
	}
	return (word >> (fd & 63)) & 1;
}

struct path_ctx {
	struct dentry *d;
	struct mount *mnt;
	struct vfsmount *rootmnt;
	struct dentry *rootdentry;
	__u32 pos;
	__u32 pseudo;
	__u32 trunc;
};

/* One step of the walk: prepend d's name, or cross to the parent mount. */
static long path_cb(__u64 i, void *data)
{
	struct path_ctx *c = data;
	struct dentry *d = c->d, *parent, *mroot;
	struct mount *mnt = c->mnt, *mp;
	const unsigned char *n;
	struct scratch *s;
	__u32 zero = 0, len, pos;

	if (d == c->rootdentry && &mnt->mnt == c->rootmnt)
		return 1; /* the task's root: done */
	parent = BPF_CORE_READ(d, d_parent);
	mroot = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (d == mroot || d == parent) {
		mp = BPF_CORE_READ(mnt, mnt_parent);
		if (mp == mnt || !mp) {
			c->pseudo = &mnt->mnt != c->rootmnt;
			return 1;
		}
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mp;
		return 0;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	len = BPF_CORE_READ(d, d_name.len);
	n = BPF_CORE_READ(d, d_name.name);
	pos = c->pos;
	if (len + 1 > pos || pos >= CT_NAME_LEN) {
		c->trunc = 1;
		return 1;
	}
	pos -= len;
	bpf_probe_read_kernel(s->path + (pos & (CT_NAME_LEN - 1)), len & (CT_NAME_LEN - 1), n);
	pos -= 1;
	s->path[pos & (CT_NAME_LEN - 1)] = '/';
	c->pos = pos;
	c->d = parent;
	return 0;
}

/*
 * Global (verified once, not per call site): file is passed as a number. Returns the bytes of
 * e->name written, with the NUL (0: none; the record is sent that long, ev_send_len).
 */
__noinline int fill_path(struct ct_event *e, __u64 filep)
{
	struct file *file = (struct file *)filep;
	struct task_struct *task = bpf_get_current_task_btf();
	struct path_ctx c = {};
	struct scratch *s;
	struct dentry *d;
	__u32 zero = 0;

	if (!e)
		return 0;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	c.rootmnt = BPF_CORE_READ(task, fs, root.mnt);
	c.rootdentry = BPF_CORE_READ(task, fs, root.dentry);
	c.d = BPF_CORE_READ(file, f_path.dentry);
	c.mnt = container_of(BPF_CORE_READ(file, f_path.mnt), struct mount, mnt);
	c.pos = CT_NAME_LEN - 1;
	s->path[CT_NAME_LEN - 1] = 0;
	bpf_loop(PATH_MAX_DEPTH, path_cb, &c, 0);
	if (c.trunc)
		e->flags |= CT_F_TRUNC;
	if (c.pseudo)
		e->flags2 |= CT_F2_PSEUDO;
	if (c.pseudo || c.pos >= CT_NAME_LEN - 1) {
		/* just the name (pipe:, anon_inode:, a root "/") */
		d = BPF_CORE_READ(file, f_path.dentry);
		return bpf_probe_read_kernel_str(e->name, sizeof(e->name),
						 BPF_CORE_READ(d, d_name.name));
	}
	return bpf_probe_read_kernel_str(e->name, CT_NAME_LEN,
					 s->path + (c.pos & (CT_NAME_LEN - 1)));
}

/* File identity: inode, kind, socket details or a name. Global, as fill_path; returns as it. */
__noinline int fill_file(struct ct_event *e, __u64 filep)
{
	const bool kc = have_rdonly_cast;
	struct super_block *sb;
	struct socket *sock;
	struct inode *inode;
	struct sock *sk;
	__u32 mode;

	if (!e || !filep)
		return 0;
	inode = KREAD(kc, struct file, filep, f_inode);
	e->ino = KREAD(kc, struct inode, inode, i_ino);
	sb = KREAD(kc, struct inode, inode, i_sb);
	e->u.file.fs_magic = KREAD(kc, struct super_block, sb, s_magic);
	if (!KREAD(kc, struct inode, inode, __i_nlink))
		e->flags2 |= CT_F2_DELETED;
	mode = KREAD(kc, struct inode, inode, i_mode);
	e->mode = mode;
	e->kind = kind_of(mode, e->u.file.fs_magic);
	if (e->kind == CT_KIND_SOCKET) {
		sock = KREAD(kc, struct file, filep, private_data);
		sk = KREAD(kc, struct socket, sock, sk);
		if (!sk)
			return 0;
		e->family = KREAD(kc, struct sock, sk, __sk_common.skc_family);
		e->sock_type = KREAD(kc, struct sock, sk, sk_type);
		e->protocol = KREAD(kc, struct sock, sk, sk_protocol);
		e->port = KREAD(kc, struct sock, sk, __sk_common.skc_num);
		e->state = KREAD(kc, struct sock, sk, __sk_common.skc_state);
		if (e->family == AF_INET) {
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_rcv_saddr);
		} else if (e->family == AF_INET6) {
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr);
		} else if (e->family == AF_UNIX) {
			struct unix_address *ua = KREAD(kc, struct unix_sock, sk, addr);
			__u32 len;

			if (!ua)
				return 0;
			len = KREAD(kc, struct unix_address, ua, len);
			if (len <= 2) /* unnamed: only sun_family */
				return 0;
			len -= 2;
			if (len > CT_NAME_LEN - 1)
				len = CT_NAME_LEN - 1;
			e->u.file.name_len = len;
			barrier_var(len);
			bpf_probe_read_kernel(e->name, len & (CT_NAME_LEN - 1),
					      (char *)ua->name + 2);
			return len + 1;
			if (e->name[0] == 0)
				e->flags |= CT_F_ABSTRACT;
		}
		return 0;
	}
	return fill_path(e, filep);
}

/* The user registers at syscall exit, in DWARF order (x86_64: rax rdx rcx rbx rsi rdi rbp rsp
 * r8..r15 rip). */
static __always_inline void stack_regs(__u64 *r)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

#if defined(__TARGET_ARCH_x86)
	r[0] = BPF_CORE_READ(regs, ax);
	r[1] = BPF_CORE_READ(regs, dx);
	r[2] = BPF_CORE_READ(regs, cx);
	r[3] = BPF_CORE_READ(regs, bx);
	r[4] = BPF_CORE_READ(regs, si);
	r[5] = BPF_CORE_READ(regs, di);
	r[6] = BPF_CORE_READ(regs, bp);
	r[7] = BPF_CORE_READ(regs, sp);
	r[8] = BPF_CORE_READ(regs, r8);
	r[9] = BPF_CORE_READ(regs, r9);
	r[10] = BPF_CORE_READ(regs, r10);
	r[11] = BPF_CORE_READ(regs, r11);
	r[12] = BPF_CORE_READ(regs, r12);
	r[13] = BPF_CORE_READ(regs, r13);
	r[14] = BPF_CORE_READ(regs, r14);
	r[15] = BPF_CORE_READ(regs, r15);
	r[16] = BPF_CORE_READ(regs, ip);
#else
	(void)regs; /* stacks are unwound for x86_64 only (the loader keeps stack_bytes 0) */
#endif
}

/*
 * e with the user stack of the current syscall, as one ring record reserved at its full size,
 * the stack read from user memory straight into it (no second copy): the registers at syscall
 * exit and the stack from sp upward in STACK_CHUNK pieces, until n bytes or a piece that cannot
 * be read (the top of a thread's stack).
 */
static __always_inline int stack_out(struct ct_event *e, bool small)
{
	__u32 n = small ? STACK_SMALL : stack_bytes;
	struct ct_stack_tail *st;
	__u64 sp, got = 0;
	char *r;

	r = small ? bpf_ringbuf_reserve(&rb, sizeof(*e) + CT_STACK_HDR_SIZE + STACK_SMALL, 0)
		  : bpf_ringbuf_reserve(&rb, sizeof(*e) + CT_STACK_HDR_SIZE + stack_bytes, 0);
	if (!r)
		return -1;
	e->flags2 |= CT_F2_STACK;
	__builtin_memcpy(r, e, sizeof(*e));
	st = (struct ct_stack_tail *)(r + sizeof(*e));
	stack_regs(st->regs);
	sp = st->regs[7];
	for (__u32 i = 0; i < CT_STACK_MAX / STACK_CHUNK; i++) {
		if (got + STACK_CHUNK > n ||
		    bpf_probe_read_user(st->data + got, STACK_CHUNK, (void *)(sp + got)))
			break;
		got += STACK_CHUNK;
	}
	st->len = (__u32)got;
	st->pad = 0;
	/* stacks fill the ring fast: past an eighth of it the reader is woken to drain it */
	bpf_ringbuf_submit(r, small ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * Send e, with the user stack of the current syscall when stacks are on. Stacks are 23 times a
 * record's size, so they yield the ring to records early: full ones while it is less than an
 * eighth full, STACK_SMALL bytes (the caller's frame and a few more; the reader is woken) up to
 * 3/8, none past that (CT_F2_NOSTACK), so 5/8 of the ring stays for records while the reader is
 * slow: a stack never costs a record. A record that finds no room is counted lost, as any other.
 */
static __always_inline void ev_send_stack(struct ct_event *e, long nlen)
{
	__u64 used = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);

	if (!stack_bytes || x86 == 0) {
		ev_send_len(e, false, nlen);
		return;
	}
	if (used > rb_stack_bytes) {
		e->flags2 |= CT_F2_NOSTACK;
		count(CT_CNT_NOSTACK);
		ev_send_len(e, false, nlen);
		return;
	}
	if (stack_out(e, used > rb_stack_bytes / 3 && stack_bytes > STACK_SMALL)) {
		count(CT_CNT_LOST);
		return;
	}
	count(CT_CNT_EVENTS);
	count(CT_CNT_STACKS);
}

/*
 * An fd >= 3 made with the flag set, counted instead of recorded: per process, syscall and kind
 * (the kind is two or three loads: inode mode and file system, no path, no socket details).
 */
static __always_inline void count_atomic(__u32 sc, struct file *file)
{
	const bool kc = have_rdonly_cast;
	struct ct_agg_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .syscall = sc};
	struct super_block *sb;
	struct inode *inode;
	__u64 one = 1, *v;

	count(CT_CNT_ATOMIC);
	if (file) {
		inode = KREAD(kc, struct file, file, f_inode);
		sb = KREAD(kc, struct inode, inode, i_sb);
		k.kind = kind_of(KREAD(kc, struct inode, inode, i_mode),
				 KREAD(kc, struct super_block, sb, s_magic));
	}
	v = bpf_map_lookup_elem(&atomic, &k);
	if (v) {
		*v += 1;
		return;
	}
	/* a new key; the map full (or the key made on another CPU meanwhile): the total has it */
	if (bpf_map_update_elem(&atomic, &k, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&atomic, &k);
		if (v)
			*v += 1;
	}
}

/*
 * Made with the flag: counted, no record (0), unless it replaced an fd user space follows (dup3
 * onto its number): then the record says the old one is gone. Without the flag: followed from
 * now on, its close gets a record. Global, so its stack is not on the path walk's (6.1 counts
 * the frames of a call chain against 512 bytes).
 */
__noinline int fd_filter(int fd, __u32 sc, __u32 bit, __u64 file)
{
	__u64 files = (__u64)bpf_get_current_task_btf()->files;

	if (all_fds || fd < 3)
		return 1;
	if (bit && !(sc == CT_SC_DUP3 && untrack(files, fd))) {
		count_atomic(sc, (struct file *)file);
		return 0;
	}
	if (!bit)
		track(files, fd, file);
	return 1;
}

/*
 * F_SETFD and friends on an fd user space does not follow: it was made with the flag (counted):
 * setting it again changes nothing (0: no record); clearing it makes the fd one a verdict
 * names (2: the record carries its identity), followed from now on. 1: a record as usual. With
 * the map full a followed fd may be missing from it: sent. Global, as fd_filter.
 */
__noinline int setfd_filter(int fd, __u32 bit, __u64 file)
{
	struct ct_track_key k = {.files = (__u64)bpf_get_current_task_btf()->files, .fd = fd};

	if (all_fds || fd < 3 || bpf_map_lookup_elem(&tracked, &k))
		return 1;
	if (bit)
		return filtering() ? 0 : 1;
	track(k.files, fd, file);
	return 2;
}

/* One fd that just appeared in the current task's table. Global: verified once. */
__noinline int emit_new_fd(int fd, __u32 sc, __u32 req)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	struct file *file = NULL;
	struct ct_event *e;
	int bit, n;

	bit = fd_state(files, fd, &file);
	if (bit < 0)
		return 0;
	if (!fd_filter(fd, sc, bit, (__u64)file))
		return 0;
	e = ev_begin(CT_EV_FD);
	if (!e)
		return 0;
	e->fd = fd;
	e->syscall = sc;
	if (bit)
		e->flags |= CT_F_CLOEXEC;
	if (req)
		e->flags |= CT_F_REQ_CLOEXEC;
	n = fill_file(e, (__u64)file);
	/* only an fd a verdict will name gets a stack: without the flag, not stdio */
	if (!bit && fd >= 3)
		ev_send_stack(e, n);
	else
		ev_send_len(e, false, n);
	return 0;
}

/* sys_exit of F_SETFD/FIOCLEX/FIONCLEX: the bit after the call (user space knows the one before).
 */
__noinline int emit_setfd(int fd, __u32 sc, __u32 req)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file = NULL;
	struct ct_event *e;
	int bit, how, n = -1;

	bit = fd_state(task->files, fd, &file);
	if (bit < 0)
		return 0;
	how = setfd_filter(fd, bit, (__u64)file);
	if (!how)
		return 0;
	e = ev_begin(CT_EV_SETFD);
	if (!e)
		return 0;
	e->fd = fd;
	e->syscall = sc;
	if (bit)
		e->flags |= CT_F_CLOEXEC;
	if (req)
		e->flags |= CT_F_REQ_CLOEXEC;
	if (how == 2) {
		e->flags2 |= CT_F2_UNSEEN;
		n = fill_file(e, (__u64)file);
	} else if (file) {
		e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	}
	/* the flag is clear now: if it was set before, an inherited fd's story starts here */
	if (!bit && fd >= 3)
		ev_send_stack(e, n);
	else
		ev_send_len(e, false, n);
	return 0;
}

/*
 * mmap of a file with PROT_EXEC (the loader mapping a library's text): where the file is, so
 * user space can unwind stacks through it after the process is gone.
 */
__noinline int emit_map(__u64 addr, __u64 len, __u64 off, int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file = NULL;
	struct ct_event *e;
	int n;

	if (fd_state(task->files, fd, &file) < 0 || !file)
		return 0;
	e = ev_begin(CT_EV_MAP);
	if (!e)
		return 0;
	n = fill_file(e, (__u64)file);
	e->u.map.start = addr;
	e->u.map.end = addr + len;
	e->u.map.pgoff = off;
	ev_send_len(e, false, n);
	return 0;
}

/* The user's struct msghdr (LP64 layout). */
struct u_msghdr {
	__u64 name;
	__u32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
	__u64 control;
	__u64 controllen;
	__u32 flags;
};

struct u_cmsghdr {
	__u64 len;
	__s32 level;
	__s32 type;
};

/*
 * recvmsg: at exit the kernel has written the control messages and shrunk msg_controllen to
 * what it used; every SCM_RIGHTS fd in there is a new fd of this task (at most RECV_MAX_CMSG
 * messages and RECV_MAX_FDS fds each).
 */
__noinline int emit_recvmsg(__u64 ptr, __u32 req, __u32 sc)
{
	struct u_cmsghdr ch;
	struct u_msghdr mh;
	__u64 off = 0;
	int fds[RECV_MAX_FDS];

	if (bpf_probe_read_user(&mh, sizeof(mh), (void *)ptr))
		return 0;
	if (!mh.control || mh.controllen < sizeof(ch))
		return 0;
	for (int c = 0; c < RECV_MAX_CMSG; c++) {
		__u64 n;

		if (off + sizeof(ch) > mh.controllen)
			break;
		if (bpf_probe_read_user(&ch, sizeof(ch), (void *)(mh.control + off)))
			break;
		if (ch.len < sizeof(ch) || off + ch.len > mh.controllen)
			break;
		if (ch.level == SOL_SOCKET && ch.type == SCM_RIGHTS) {
			n = (ch.len - sizeof(ch)) / sizeof(int);
			if (n > RECV_MAX_FDS)
				n = RECV_MAX_FDS;
			__builtin_memset(fds, 0xff, sizeof(fds));
			/* the whole array, or (near the end of a mapping) just the n fds */
			if (bpf_probe_read_user(fds, sizeof(fds),
						(void *)(mh.control + off + sizeof(ch))) &&
			    bpf_probe_read_user(fds,
						(n * sizeof(int)) & (2 * sizeof(fds) - 1) &
						    (sizeof(fds) | (sizeof(fds) - 1)),
						(void *)(mh.control + off + sizeof(ch))))
				break;
			for (int i = 0; i < RECV_MAX_FDS; i++) {
				if ((__u64)i >= n)
					break;
				emit_new_fd(fds[i], sc, req);
			}
		}
		off += (ch.len + 7) & ~7ULL;
	}
	return 0;
}

/* One message of recvmmsg: a global function of its own so the loop calls it, not inlines it. */
__noinline int emit_recvmmsg_one(__u64 ptr, __u32 req)
{
	return emit_recvmsg(ptr, req, CT_SC_RECVMMSG);
}

/*
 * A walk over an fd table's bitmaps, word by word: with del, every open fd is forgotten (the
 * table goes away); else every open fd without the flag is followed (a copy of a table, made by
 * fork or unshare: the fds its copy inherited).
 */
struct tt_ctx {
	unsigned long *open_fds;
	unsigned long *coe;
	__u64 files;
	__u64 word;
	__u32 base;
	__u32 del;
};

static long tt_bit(__u64 i, void *data)
{
	struct tt_ctx *c = data;

	if (!((c->word >> (i & 63)) & 1))
		return 0;
	if (c->del)
		untrack(c->files, c->base + (int)i);
	else
		track(c->files, c->base + (int)i, 0);
	return 0;
}

static long tt_word(__u64 i, void *data)
{
	struct tt_ctx *c = data;
	unsigned long o = 0, coe = 0;

	if (bpf_probe_read_kernel(&o, sizeof(o), c->open_fds + i))
		return 1;
	if (!c->del && o && bpf_probe_read_kernel(&coe, sizeof(coe), c->coe + i))
		return 1;
	o &= ~coe;
	if (!o)
		return 0;
	c->word = o;
	c->base = i * 64;
	bpf_loop(64, tt_bit, c, 0);
	return 0;
}

static __always_inline void track_table(struct files_struct *files, bool del)
{
	const bool kc = have_rdonly_cast;
	struct tt_ctx c = {.files = (__u64)files, .del = del};
	struct fdtable *fdt;
	__u32 max;

	if (!files)
		return;
	fdt = KREAD(kc, struct files_struct, files, fdt);
	max = KREAD(kc, struct fdtable, fdt, max_fds);
	if (max > max_scan_fds)
		max = max_scan_fds;
	c.open_fds = KREAD(kc, struct fdtable, fdt, open_fds);
	c.coe = KREAD(kc, struct fdtable, fdt, close_on_exec);
	bpf_loop((max + 63) / 64, tt_word, &c, 0);
}

/*
 * Whether the fd close(fd) just closed was followed (its close gets a record), forgetting it.
 * Another thread may put a new fd at the number between the close and this look, and follow
 * it (its track): so the entry is forgotten only while the slot is empty, and when the slot
 * filled between that look and the delete, the new fd is followed again. An entry left for a
 * reused slot costs at most one close record too many (user space keeps the newer fd: the
 * record says what the slot holds), never a missing one.
 */
__noinline int close_tracked(int fd)
{
	struct files_struct *files = bpf_get_current_task_btf()->files;
	struct ct_track_key k = {.files = (__u64)files, .fd = fd};
	struct file *file = NULL;

	if (!bpf_map_lookup_elem(&tracked, &k))
		return 0;
	fd_state(files, fd, &file);
	if (file)
		return 1;
	bpf_map_delete_elem(&tracked, &k);
	fd_state(files, fd, &file);
	if (file)
		track(k.files, fd, 0);
	return 1;
}

/* The current task's table was copied (unshare): follow what the copy inherited. Global, so its
 * walk's stack is not sys_exit's. */
__noinline int track_current_table(void)
{
	track_table(bpf_get_current_task_btf()->files, false);
	return 0;
}

/*
 * close/close_range, at exit. Another thread may already have reused the fd number (and its
 * record may precede ours): for close, say what the slot holds now (ino, 0 = empty), and for
 * both, the time before looking (ts_ns), so user space does not drop the newer fd.
 */
static __always_inline int emit_close(__u32 type, int fd, __u64 last, __u32 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 ts = bpf_ktime_get_ns();
	struct file *file = NULL;
	struct ct_event *e;

	if (type == CT_EV_CLOSE)
		fd_state(task->files, fd, &file);

	e = ev_begin(type);
	if (!e)
		return 0;
	/*
	 * The time before the slot was read: an fd another thread put at this number after
	 * the read has a later creation time, even when its record comes first.
	 */
	e->ts_ns = ts;
	e->fd = fd;
	e->u.range.last = last;
	e->u.range.flags = flags;
	if (file)
		e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	ev_send(e, false);
	return 0;
}

/*
 * Syscall number and arguments from the user registers. At sys_exit they still hold the
 * arguments (x86_64: di, si, dx, r10, r8; arm64: orig_x0, x1..x4), so one program on the raw
 * sys_exit tracepoint does all the work: tp_btf needs no tracefs, is one attachment, cheap to
 * attach and detach, and a syscall we do not care about costs one bitmap test.
 */
#if defined(__TARGET_ARCH_x86)
#define SC_ARG(r, n)                                                                               \
	((n) == 0   ? (r)->di                                                                      \
	 : (n) == 1 ? (r)->si                                                                      \
	 : (n) == 2 ? (r)->dx                                                                      \
	 : (n) == 3 ? (r)->r10                                                                     \
	 : (n) == 4 ? (r)->r8                                                                      \
		    : (r)->r9)
#define SC_NR(r)     ((long)(r)->orig_ax)
#define SC_COMPAT(r) (((r)->cs & 0xffff) == 0x23) /* __USER32_CS: ia32 numbers differ */
#elif defined(__TARGET_ARCH_arm64)
#define SC_ARG(r, n) ((n) == 0 ? (r)->orig_x0 : (r)->regs[n])
#define SC_NR(r)     ((long)(r)->syscallno)
#define SC_COMPAT(r) (((r)->pstate & 0x10) != 0) /* PSR_MODE32_BIT */
#else
#error "cloexec-trace: syscall registers of this architecture are not described"
#endif

/*
 * The syscalls we look at, as a bitmap over syscall numbers (< 512 on x86_64 and arm64): an
 * unrelated syscall costs a shift, a load and a test instead of a chain of compares.
 */
#define SC_BIT(nr, w) ((nr) >= 0 && ((nr) >> 6) == (w) ? (1ULL << ((nr)&63)) : 0ULL)
#ifdef __NR_open
#define SC_LEGACY(w)                                                                               \
	(SC_BIT(__NR_open, w) | SC_BIT(__NR_creat, w) | SC_BIT(__NR_pipe, w) |                     \
	 SC_BIT(__NR_dup2, w) | SC_BIT(__NR_eventfd, w) | SC_BIT(__NR_epoll_create, w) |           \
	 SC_BIT(__NR_signalfd, w) | SC_BIT(__NR_inotify_init, w))
#else
#define SC_LEGACY(w) 0ULL
#endif
#define SC_WORD(w)                                                                                 \
	(SC_BIT(__NR_socket, w) | SC_BIT(__NR_socketpair, w) | SC_BIT(__NR_accept, w) |            \
	 SC_BIT(__NR_accept4, w) | SC_BIT(__NR_openat, w) | SC_BIT(__NR_openat2, w) |              \
	 SC_BIT(__NR_pipe2, w) | SC_BIT(__NR_dup, w) | SC_BIT(__NR_dup3, w) |                      \
	 SC_BIT(__NR_fcntl, w) | SC_BIT(__NR_ioctl, w) | SC_BIT(__NR_recvmsg, w) |                 \
	 SC_BIT(__NR_eventfd2, w) | SC_BIT(__NR_epoll_create1, w) | SC_BIT(__NR_memfd_create, w) | \
	 SC_BIT(__NR_timerfd_create, w) | SC_BIT(__NR_signalfd4, w) |                              \
	 SC_BIT(__NR_inotify_init1, w) | SC_BIT(__NR_pidfd_open, w) |                              \
	 SC_BIT(__NR_pidfd_getfd, w) | SC_BIT(__NR_fanotify_init, w) |                             \
	 SC_BIT(__NR_userfaultfd, w) | SC_BIT(__NR_perf_event_open, w) |                           \
	 SC_BIT(__NR_open_by_handle_at, w) | SC_BIT(__NR_recvmmsg, w) | SC_BIT(__NR_close, w) |    \
	 SC_BIT(__NR_close_range, w) | SC_BIT(__NR_mmap, w) | SC_BIT(__NR_unshare, w) |            \
	 SC_LEGACY(w))

const volatile __u64 sc_mask[8] = {SC_WORD(0), SC_WORD(1), SC_WORD(2), SC_WORD(3),
				   SC_WORD(4), SC_WORD(5), SC_WORD(6), SC_WORD(7)};

/* The two fds a pipe/pipe2/socketpair wrote to the caller's int[2]. */
static __always_inline int emit_fd_pair(__u64 ptr, __u32 sc, __u32 req)
{
	int fds[2];

	if (!ptr || bpf_probe_read_user(fds, sizeof(fds), (void *)ptr))
		return 0;
	emit_new_fd(fds[0], sc, req);
	emit_new_fd(fds[1], sc, req);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long nr = SC_NR(regs);
	__u64 a0, a1, a2, a3, flags = 0;

	if (nr < 0 || nr >= 512 || !((sc_mask[(nr >> 6) & 7] >> (nr & 63)) & 1))
		return 0;
	if (SC_COMPAT(regs))
		return 0;
	/*
	 * close of an fd nobody follows (made atomic, counted; or in a process out of scope: its
	 * fds are not followed either): one lookup, the scope's is not needed
	 */
	if (nr == __NR_close && filtering() && !close_tracked((int)SC_ARG(regs, 0)))
		return 0;
	if (!current_in_scope())
		return 0;
	a0 = SC_ARG(regs, 0);
	a1 = SC_ARG(regs, 1);
	a2 = SC_ARG(regs, 2);
	a3 = SC_ARG(regs, 3);
	/*
	 * close releases the slot even when it reports an error (EINTR, EIO), not on EBADF. Only
	 * the close of an fd user space follows is sent (others were made atomic: counted).
	 */
	if (nr == __NR_close) {
		if (ret == -9)
			return 0;
		return emit_close(CT_EV_CLOSE, (int)a0, 0, 0);
	}
	if (ret < 0)
		return 0;
	switch (nr) {
	case __NR_socket:
		return emit_new_fd(ret, CT_SC_SOCKET, !!(a1 & SOCK_CLOEXEC));
	case __NR_socketpair:
		return emit_fd_pair(a3, CT_SC_SOCKETPAIR, !!(a1 & SOCK_CLOEXEC));
	case __NR_accept:
		return emit_new_fd(ret, CT_SC_ACCEPT, 0);
	case __NR_accept4:
		return emit_new_fd(ret, CT_SC_ACCEPT4, !!(a3 & SOCK_CLOEXEC));
	case __NR_openat:
		return emit_new_fd(ret, CT_SC_OPENAT, !!(a2 & O_CLOEXEC));
	case __NR_openat2:
		bpf_probe_read_user(&flags, sizeof(flags), (void *)a2); /* open_how.flags */
		return emit_new_fd(ret, CT_SC_OPENAT2, !!(flags & O_CLOEXEC));
	case __NR_pipe2:
		return emit_fd_pair(a0, CT_SC_PIPE2, !!(a1 & O_CLOEXEC));
	case __NR_dup:
		return emit_new_fd(ret, CT_SC_DUP, 0);
	case __NR_dup3:
		return emit_new_fd(ret, CT_SC_DUP3, !!(a2 & O_CLOEXEC));
#ifdef __NR_open
	case __NR_open:
		return emit_new_fd(ret, CT_SC_OPEN, !!(a1 & O_CLOEXEC));
	case __NR_creat:
		return emit_new_fd(ret, CT_SC_CREAT, 0);
	case __NR_pipe:
		return emit_fd_pair(a0, CT_SC_PIPE, 0);
	case __NR_dup2:
		/* dup2(fd, fd) creates nothing */
		return a0 == a1 ? 0 : emit_new_fd(ret, CT_SC_DUP2, 0);
	case __NR_eventfd:
		return emit_new_fd(ret, CT_SC_EVENTFD, 0);
	case __NR_epoll_create:
		return emit_new_fd(ret, CT_SC_EPOLL_CREATE, 0);
	case __NR_signalfd:
		/* fd != -1 updated an existing signalfd */
		return (int)a0 != -1 ? 0 : emit_new_fd(ret, CT_SC_SIGNALFD, 0);
	case __NR_inotify_init:
		return emit_new_fd(ret, CT_SC_INOTIFY_INIT, 0);
#endif
	case __NR_fcntl:
		if (a1 == F_DUPFD)
			return emit_new_fd(ret, CT_SC_FCNTL_DUPFD, 0);
		if (a1 == F_DUPFD_CLOEXEC)
			return emit_new_fd(ret, CT_SC_FCNTL_DUPFD_CLOEXEC, 1);
		if (a1 == F_SETFD)
			return emit_setfd((int)a0, CT_SC_FCNTL_SETFD, a2 & 1);
		return 0;
	case __NR_ioctl:
		if ((__u32)a1 == FIOCLEX)
			return emit_setfd((int)a0, CT_SC_IOCTL_FIOCLEX, 1);
		if ((__u32)a1 == FIONCLEX)
			return emit_setfd((int)a0, CT_SC_IOCTL_FIONCLEX, 0);
		return 0;
	case __NR_recvmsg:
		return emit_recvmsg(a1, !!(a2 & MSG_CMSG_CLOEXEC), CT_SC_RECVMSG);
	case __NR_recvmmsg:
		/* ret messages, each a struct mmsghdr (msghdr + length, 64 bytes) */
		for (int i = 0; i < RECV_MAX_MMSG; i++) {
			if (i >= ret)
				break;
			emit_recvmmsg_one(a1 + i * 64, !!(a3 & MSG_CMSG_CLOEXEC));
		}
		return 0;
	case __NR_eventfd2:
		return emit_new_fd(ret, CT_SC_EVENTFD2, !!(a1 & O_CLOEXEC));
	case __NR_epoll_create1:
		return emit_new_fd(ret, CT_SC_EPOLL_CREATE1, !!(a0 & O_CLOEXEC));
	case __NR_memfd_create:
		return emit_new_fd(ret, CT_SC_MEMFD_CREATE, !!(a1 & 1 /* MFD_CLOEXEC */));
	case __NR_timerfd_create:
		return emit_new_fd(ret, CT_SC_TIMERFD_CREATE, !!(a1 & O_CLOEXEC));
	case __NR_signalfd4:
		return (int)a0 != -1 ? 0 : emit_new_fd(ret, CT_SC_SIGNALFD4, !!(a3 & O_CLOEXEC));
	case __NR_inotify_init1:
		return emit_new_fd(ret, CT_SC_INOTIFY_INIT1, !!(a0 & O_CLOEXEC));
	case __NR_pidfd_open:
		return emit_new_fd(ret, CT_SC_PIDFD_OPEN, 1); /* always O_CLOEXEC */
	case __NR_pidfd_getfd:
		return emit_new_fd(ret, CT_SC_PIDFD_GETFD, 1); /* always O_CLOEXEC */
	case __NR_fanotify_init:
		return emit_new_fd(ret, CT_SC_FANOTIFY_INIT, !!(a0 & 1 /* FAN_CLOEXEC */));
	case __NR_userfaultfd:
		return emit_new_fd(ret, CT_SC_USERFAULTFD, !!(a0 & O_CLOEXEC));
	case __NR_perf_event_open:
		return emit_new_fd(ret, CT_SC_PERF_EVENT_OPEN,
				   !!(SC_ARG(regs, 4) & 8 /* PERF_FLAG_FD_CLOEXEC */));
	case __NR_open_by_handle_at:
		return emit_new_fd(ret, CT_SC_OPEN_BY_HANDLE_AT, !!(a2 & O_CLOEXEC));
	case __NR_close_range:
		/* CLOSE_RANGE_UNSHARE (2): a new table, a copy: follow what it inherited */
		if ((a2 & 2) && filtering())
			track_current_table();
		return emit_close(CT_EV_CLOSE_RANGE, (int)a0, (__u32)a1, (__u32)a2);
	case __NR_unshare:
		if ((a0 & CLONE_FILES) && filtering())
			track_current_table();
		return 0;
	case __NR_mmap:
		/* a file's code: PROT_EXEC, not MAP_ANONYMOUS (the loader maps text this way) */
		if (!stack_bytes || !(a2 & PROT_EXEC) || (a3 & MAP_ANONYMOUS))
			return 0;
		return emit_map(ret, a1, SC_ARG(regs, 5), (int)SC_ARG(regs, 4));
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct pt_regs *regs;
	struct ct_event *e;
	__u8 one = 1;
	long nr = -1;

	if (ptgid == ctgid || !in_scope(ptgid))
		return 0;
	if (filter_enabled && bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY))
		count(CT_CNT_SCOPE_FULL);
	/* a copy of the fd table: its inheritable fds are followed there too */
	if (child->files != parent->files && filtering())
		track_table(child->files, false);
	e = ev_begin(CT_EV_FORK);
	if (!e)
		return 0;
	e->u.fork.child_tgid = ctgid;
	e->u.fork.child_tid = child->pid;
	e->ino = (__u64)child->files;
	if (child->files == parent->files)
		e->flags |= CT_F_FILES;
	if (child->mm == parent->mm)
		e->flags |= CT_F_VM;
	/* vfork_done is set only after this tracepoint: the flags below say it (CLONE_VFORK) */
	if (child->vfork_done)
		e->flags |= CT_F_VFORK;
	/* Which syscall, and its flags, from the parent's registers. */
	regs = (struct pt_regs *)bpf_task_pt_regs(parent);
#if defined(__TARGET_ARCH_x86)
	if (regs) {
		nr = BPF_CORE_READ(regs, orig_ax);
		if (nr == 56) {
			e->syscall = CT_SC_CLONE;
			e->u.fork.clone_flags = BPF_CORE_READ(regs, di);
		} else if (nr == 57) {
			e->syscall = CT_SC_FORK;
		} else if (nr == 58) {
			e->syscall = CT_SC_VFORK;
			e->u.fork.clone_flags = CLONE_VM | CLONE_VFORK;
		} else if (nr == 435) {
			e->syscall = CT_SC_CLONE3;
			bpf_probe_read_user(&e->u.fork.clone_flags, sizeof(e->u.fork.clone_flags),
					    (void *)BPF_CORE_READ(regs, di));
		}
	}
#else
	(void)regs;
	(void)nr;
#endif
	if (!e->syscall) {
		e->syscall = CT_SC_CLONE;
		e->u.fork.clone_flags = (e->flags & CT_F_VM ? CLONE_VM : 0) |
					(e->flags & CT_F_VFORK ? CLONE_VFORK : 0) |
					(e->flags & CT_F_FILES ? CLONE_FILES : 0);
	}
	if (e->u.fork.clone_flags & CLONE_VFORK)
		e->flags |= CT_F_VFORK;
	ev_send(e, false);
	return 0;
}

/* --- exec: LISTEN_* from the environment, then the surviving fds --------------------------- */

struct vma_ctx {
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u64 file;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *c = data;

	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->pgoff = vma->vm_pgoff << 12; /* pages of 4 KiB: stacks are taken on x86_64 only */
	/* read as a number (fill_file takes one): a typed pointer here stays typed */
	bpf_probe_read_kernel(&c->file, sizeof(c->file), &vma->vm_file);
	return 0;
}

/*
 * The file mapping of p that holds addr as a MAP record: the program exec mapped (image, named
 * by mm->exe_file, the file as exec opened it: overlayfs (6.6+) maps a backing file whose path
 * is the lower layer's), or its interpreter (named by the mapping's file).
 */
static __always_inline void emit_image_map(struct task_struct *p, __u64 addr, bool image)
{
	struct vma_ctx c = {};
	struct ct_event *e;
	__u64 file;
	int n;

	if (!addr || bpf_find_vma(p, addr, vma_cb, &c, 0) || !c.file)
		return;
	file = image ? (__u64)BPF_CORE_READ(p, mm, exe_file) : c.file;
	e = ev_begin(CT_EV_MAP);
	if (!e)
		return;
	n = fill_file(e, file ? file : c.file);
	e->u.map.start = c.start;
	e->u.map.end = c.end;
	e->u.map.pgoff = c.pgoff;
	if (image)
		e->flags |= CT_F_IMAGE;
	else
		e->flags2 |= CT_F2_INTERP;
	ev_send_len(e, false, n);
}

/* AT_BASE of the new image's auxiliary vector: where exec put the interpreter (ld.so). */
static __always_inline __u64 auxv_base(struct mm_struct *mm)
{
	__u32 size = bpf_core_field_size(mm->saved_auxv);
	__u64 kv[2];

	for (__u32 i = 0; i < 32; i++) {
		if ((i + 1) * sizeof(kv) > size)
			break;
		if (bpf_probe_read_kernel(kv, sizeof(kv), (char *)&mm->saved_auxv + i * sizeof(kv)))
			break;
		if (kv[0] == 0) /* AT_NULL */
			break;
		if (kv[0] == AT_BASE)
			return kv[1];
	}
	return 0;
}

struct env_ctx {
	__u64 pos;
	__u64 end;
	__s32 listen_fds;
	__u32 listen_pid;
	__u32 cont; /* pos is inside a string longer than ENV_CHUNK */
	__u32 trunc;
	__u32 seen_fds, seen_pid; /* the first of duplicates counts, as getenv() returns it */
};

/* A decimal number that is the whole value (as sd_listen_fds' safe_atoi), <= INT_MAX; else -1. */
static __always_inline __s64 parse_uint(const char *s)
{
	__s64 v = 0;
	int k;

	for (k = 0; k < 10; k++) {
		char c = s[k];

		if (c < '0' || c > '9')
			break;
		v = v * 10 + (c - '0');
	}
	return k == 0 || s[k] != 0 || v > 0x7fffffff ? -1 : v;
}

static long env_cb(__u64 i, void *data)
{
	struct env_ctx *c = data;
	__u32 zero = 0;
	struct scratch *s;
	long len;
	char *b;

	if (c->pos >= c->end)
		return 1;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	b = s->env;
	len = bpf_probe_read_user_str(b, ENV_CHUNK, (void *)c->pos);
	if (len <= 0)
		return 1;
	if (!c->cont && len > 11 && b[0] == 'L' && b[1] == 'I' && b[2] == 'S' && b[3] == 'T' &&
	    b[4] == 'E' && b[5] == 'N' && b[6] == '_' && b[10] == '=') {
		if (b[7] == 'F' && b[8] == 'D' && b[9] == 'S' && !c->seen_fds) {
			__s64 v = parse_uint(b + 11);

			c->seen_fds = 1;
			/* sd_listen_fds: n > INT_MAX - 3 is invalid, as is anything not a number */
			c->listen_fds = v < 0 || v > 0x7fffffff - 3 ? -1 : (__s32)v;
		} else if (b[7] == 'P' && b[8] == 'I' && b[9] == 'D' && !c->seen_pid) {
			__s64 v = parse_uint(b + 11);

			c->seen_pid = 1;
			/* present but not a pid: matches no process (0 means absent) */
			c->listen_pid = v <= 0 ? 0xffffffff : (__u32)v;
		}
	}
	/* len counts the NUL; a full chunk means the string goes on */
	if (len == ENV_CHUNK) {
		c->cont = 1;
		c->pos += ENV_CHUNK - 1;
	} else {
		c->cont = 0;
		c->pos += len;
	}
	return 0;
}

struct scan_ctx {
	struct file **fdarr;
	unsigned long *open_fds;
	__u64 word;
	__u32 base;
	__u32 emitted;
	__u32 seen;
	__u32 tgid;
	__u32 tid;
	__u32 pad;
	__u64 files;
	__u64 ts;
};

static long bit_cb(__u64 i, void *data)
{
	struct scan_ctx *c = data;
	struct file *file = NULL;
	struct ct_event *e;
	__u32 zero = 0;
	struct scratch *s;
	int fd, n;

	if (!((c->word >> (i & 63)) & 1))
		return 0;
	fd = c->base + (int)i;
	if (fd < 3)
		return 0;
	c->seen++;
	if (bpf_probe_read_kernel(&file, sizeof(file), c->fdarr + fd) || !file)
		return 0;
	if (filtering()) /* a survivor: the program that got it is followed closing it */
		track(c->files, fd, (__u64)file);
	/*
	 * No room for the record: count it lost without building it. One exec of a process
	 * with 1M leaked fds then costs its bitmap walk plus a ring buffer of records, not a
	 * path walk per fd (the exec path runs this under RCU).
	 */
	if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) + sizeof(*e) + 8 >
	    bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE)) {
		count(CT_CNT_LOST);
		return 0;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	e = &s->ev;
	__builtin_memset(e, 0, CT_EVENT_HDR_SIZE);
	e->name[0] = 0;
	e->type = CT_EV_EXEC_FD;
	e->tgid = c->tgid;
	e->tid = c->tid;
	e->ts_ns = c->ts;
	e->files = c->files;
	e->fd = fd;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	n = fill_file(e, (__u64)file);
	ev_send_len(e, false, n);
	c->emitted++;
	return 0;
}

static long word_cb(__u64 i, void *data)
{
	struct scan_ctx *c = data;
	unsigned long w = 0;

	if (bpf_probe_read_kernel(&w, sizeof(w), c->open_fds + i))
		return 1;
	if (!w)
		return 0;
	c->word = w;
	c->base = i * 64;
	bpf_loop(64, bit_cb, c, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct env_ctx env = {.listen_fds = -1};
	struct scan_ctx sc = {};
	struct files_struct *files;
	struct fdtable *fdt;
	struct mm_struct *mm;
	struct ct_event *e;
	__u32 tgid = p->tgid, max, nwords, trunc = 0;
	long n;

	if (!in_scope(tgid))
		return 0;

	/* LISTEN_FDS / LISTEN_PID of the new image */
	mm = p->mm;
	/* with stacks: the program's and the interpreter's mappings, before anything they do */
	if (stack_bytes && mm) {
		emit_image_map(p, mm->start_code, true);
		emit_image_map(p, auxv_base(mm), false);
	}
	if (mm) {
		env.pos = mm->env_start;
		env.end = mm->env_end;
		bpf_loop(ENV_MAX_STRINGS, env_cb, &env, 0);
		if (env.pos < env.end)
			env.trunc = 1;
	}

	e = ev_begin(CT_EV_EXEC);
	if (!e)
		return 0;
	e->tid = p->pid;
	e->u.exec.old_pid = old_pid;
	e->u.exec.parent_tgid = p->real_parent->tgid;
	e->u.exec.listen_fds = env.listen_fds;
	e->u.exec.listen_pid = env.listen_pid;
	if (env.trunc)
		e->flags |= CT_F_TRUNC;
	n = bpf_probe_read_kernel_str(e->name, sizeof(e->name), bprm->filename);
	sc.files = e->files;
	sc.ts = e->ts_ns;
	sc.tgid = tgid;
	sc.tid = p->pid;
	ev_send_len(e, false, n);

	/* every fd still open survived do_close_on_exec */
	files = p->files;
	if (!files)
		return 0;
	fdt = files->fdt;
	max = fdt->max_fds;
	if (max > max_scan_fds) {
		max = max_scan_fds;
		trunc = 1;
	}
	nwords = (max + 63) / 64;
	sc.fdarr = fdt->fd;
	sc.open_fds = fdt->open_fds;
	bpf_loop(nwords, word_cb, &sc, 0);

	e = ev_begin(CT_EV_EXEC_END);
	if (!e)
		return 0;
	e->tid = p->pid;
	e->u.exec_end.emitted = sc.emitted;
	e->u.exec_end.seen = sc.seen;
	if (trunc)
		e->flags |= CT_F_TRUNC;
	ev_send(e, true);
	return 0;
}

/*
 * The last thread of a process exits. Kernels that pass group_dead (6.18) say so; 6.1 passes
 * only the task, but do_exit has decremented signal->live before this tracepoint, so the group
 * is dead when it reached 0 (two threads exiting at once may both see 0: the second record
 * finds no process left in user space).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct ct_event *e;
	bool group_dead;

	if (have_exit_group_dead)
		group_dead = ctx[1]; /* read only where the tracepoint has this argument */
	else
		group_dead = !p->signal->live.counter;

	if (!group_dead || !in_scope(tgid))
		return 0;
	/* the last user of its fd table (exit_files comes next): forget what was followed there */
	if (filtering() && p->files && BPF_CORE_READ(p, files, count.counter) == 1)
		track_table(p->files, true);
	e = ev_begin(CT_EV_EXIT);
	if (e) {
		e->tid = p->pid;
		e->u.exit.exit_code = p->exit_code;
		ev_send(e, true);
	}
	if (filter_enabled)
		bpf_map_delete_elem(&traced, &tgid);
	return 0;
}
