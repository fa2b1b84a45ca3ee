// SPDX-License-Identifier: MIT
/*
 * cloexec_trace.c - main() of cloexec-trace: options, the BPF programs' start (bpf_start: open ->
 * configure rodata -> load -> attach), the traced command, the poll loop and the summary.
 *
 * Where things are (one hop from here):
 *   records -> model:        handle_event() in ct_events.c applies each ring-buffer record to
 *                            the fd tables and processes of ct_model.c
 *   verdicts:                ct_decide.c, one function each: ct_fd_verdict() (atomic, late,
 *                            never), decide_inherit() (leaked, passed, reason), decide_fate()
 *                            and decide_inherit_final() (helper), decide_race(), ct_spawn_of(),
 *                            ct_exit_code() (the --fail-on table ct_fail_kinds[])
 *   output:                  ct_order.c holds decided records until their turn (time order),
 *                            then render_*() in ct_out.c -> ct_json.c (JSON Lines,
 *                            bpf/SCHEMA.md) and ct_text.c (text lines); no side effects on
 *                            model or counts
 *   options, --help:         ct_opts.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cloexec_trace.h"
#include "cloexec_trace.skel.h"
#include "ct_decide.h"
#include "ct_events.h"
#include "ct_exit.h"
#include "ct_junit.h"
#include "ct_kernel.h"
#include "ct_opts.h"
#include "ct_render.h"
#include "ct_sarif.h"
#include "ct_stack.h"

#define NS_PER_SEC 1000000000ULL
#define NS_PER_MS  1000000ULL
/* Records written between two reads of the ring buffer when a backlog goes out. */
#define FLUSH_SLICE 2048

static volatile sig_atomic_t stop_sig;
static int ct_argc; /* the command line, for the SARIF log's invocation */
static char **ct_argv;

/* The traced command (-- CMD) and what the poll loop knows about the run. */
struct run {
	pid_t child, target;
	int sync_pipe[2], err_pipe[2];
	bool child_done, timed_out;
	int cmd_status; /* exit code or -signal, once reaped; INT_MIN before */
	int stop_sig;	/* the signal that ended the trace (SIGINT, SIGTERM); 0: none */
	uint64_t deadline, linger_until, kill_at, pruned, stack_pruned;
};

static void on_signal(int sig)
{
	stop_sig = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && opt.verbose < 2)
		return 0;
	if (!opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Whether we may load tracing BPF programs: root, or CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN. */
static bool bpf_privileged(void)
{
	unsigned long long eff = 0;

	if (geteuid() == 0)
		return true;
	if (!proc_status("self", "CapEff: %llx", &eff))
		return false;
	return (eff & (1ULL << CAP_SYS_ADMIN)) ||
	       ((eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON)));
}

/*
 * Whether we run in a PID namespace other than the kernel's first, whose inode number is fixed
 * (PROC_PID_INIT_INO, include/linux/proc_ns.h): the BPF programs see that namespace's pids,
 * fork() and -p give ours, and nothing would match (a CI job in a container without
 * --pid=host). A /proc/self/ns/pid we cannot read says nothing.
 */
static bool in_pid_namespace(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != 0xEFFFFFFCU;
}

/* One sentence on what is missing, exit 3. */
static int env_check(void)
{
	if (!bpf_privileged()) {
		fprintf(stderr,
			"%s: needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; "
			"run it with sudo\n",
			TOOL);
		return -1;
	}
	if (in_pid_namespace()) {
		fprintf(stderr,
			"%s: runs in a PID namespace (a container): its pids are not the "
			"kernel's, so nothing would be traced; run it in the host's PID namespace "
			"(docker --pid=host)\n",
			TOOL);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr,
			"%s: the kernel has no BTF (/sys/kernel/btf/vmlinux is missing); "
			"it needs CONFIG_DEBUG_INFO_BTF=y\n",
			TOOL);
		return -1;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/*
 * The kernel's atomic fds by syscall (map "atomic": per CPU, per process, syscall and kind) into
 * ct_stats.atomic_by_sc. Keys that did not fit the map are in the total (CT_CNT_ATOMIC) only.
 */
static void read_atomic(struct cloexec_trace_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.atomic), ncpu = libbpf_num_possible_cpus();
	struct ct_agg_key k, next, *prev = NULL;
	uint64_t *v;

	if (ncpu <= 0)
		return;
	v = xcalloc((size_t)ncpu, sizeof(*v));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (k.syscall >= CT_SC_MAX || bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			ct_stats.atomic_by_sc[k.syscall] += v[i];
	}
	free(v);
}

static uint64_t read_counter(struct cloexec_trace_bpf *skel, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *v;

	if (ncpu <= 0)
		return 0;
	v = xcalloc((size_t)ncpu, sizeof(*v));
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &idx, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

/*
 * Outputs: JSON to -o FILE, else to stdout with --json; text on stdout otherwise. With -- CMD,
 * stdout is also the command's: write our lines whole, one at a time, so they do not
 * interleave mid-line. Else (a file, -p, system-wide) buffer and write after each batch.
 */
/*
 * stdout shared with the command: a line goes out in one write(2) when it fits this buffer
 * (glibc flushes a line-buffered stream at the newline; a line longer than its buffer takes
 * several writes, and the command's own output can land between them: an exec record with three
 * stacks is ~10 KB, the default buffer 4 KB). 1 MiB: every line but an exec of thousands of fds.
 */
static char line_buf[1 << 20];

static int open_outputs(void)
{
	if (opt.output) {
		ct_out.json = fopen(opt.output, "we");
		if (!ct_out.json) {
			fprintf(stderr, "%s: failed to open %s: %s\n", TOOL, opt.output,
				strerror(errno));
			return -1;
		}
		ct_out.human = !opt.json;
	} else if (opt.json) {
		ct_out.json = stdout;
	} else {
		ct_out.human = true;
	}
	if (opt.sarif && !ct_sarif_open(opt.sarif, ct_argc, ct_argv)) {
		fprintf(stderr, "%s: failed to open %s: %s\n", TOOL, opt.sarif, strerror(errno));
		return -1;
	}
	if (opt.junit && !ct_junit_open(opt.junit)) {
		fprintf(stderr, "%s: failed to open %s: %s\n", TOOL, opt.junit, strerror(errno));
		return -1;
	}
	ct_out.line_flush = opt.cmd != NULL;
	if (ct_out.line_flush)
		setvbuf(stdout, line_buf, _IOLBF, sizeof(line_buf));
	else
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (ct_out.json && ct_out.json != stdout)
		setvbuf(ct_out.json, NULL, _IOFBF, 1 << 16);
	return 0;
}

/*
 * The BPF programs' start: open -> configure rodata -> load -> attach, each checked. Kernel
 * feature probes that choose what to load go between open and load (here), before the rodata
 * is frozen. Nothing is traced yet: with -p or -- CMD the kernel's filter is still empty.
 */
static struct cloexec_trace_bpf *bpf_start(void)
{
	struct cloexec_trace_bpf *skel = cloexec_trace_bpf__open();
	int err;

	if (!skel) {
		fprintf(stderr, "%s: failed to open BPF object: %s\n", TOOL, strerror(errno));
		return NULL;
	}
	skel->rodata->filter_enabled = (opt.cmd || opt.pid) ? 1 : 0;
	skel->rodata->self_tgid = (uint32_t)getpid();
	skel->rodata->all_fds = opt.all_fds;
	if (opt.ring_kb) {
		err = bpf_map__set_max_entries(skel->maps.rb, (uint32_t)opt.ring_kb * 1024);
		if (err) {
			fprintf(stderr, "%s: failed to size ring buffer: %s\n", TOOL,
				strerror(-err));
			goto fail;
		}
		skel->rodata->rb_wake_bytes = (uint64_t)opt.ring_kb * 1024 / 2;
		skel->rodata->rb_stack_bytes = (uint64_t)opt.ring_kb * 1024 / 8 * 3;
	}
	/*
	 * Stacks: the kernel copies this much user stack on each record of an fd made without
	 * close-on-exec, and reports executable file mappings (mmap). Without stacks, mmap is not
	 * looked at all. Unwinding is implemented for x86_64.
	 */
#if defined(__x86_64__)
	if (opt.stack_depth)
		skel->rodata->stack_bytes = (uint32_t)opt.stack_bytes;
#else
	opt.stack_depth = 0;
#endif
	if (!opt.stack_depth)
		skel->rodata->sc_mask[(SYS_mmap >> 6) & 7] &= ~(1ULL << (SYS_mmap & 63));
	/* what this kernel has beyond the baseline picks the programs' paths (ct_kernel.c) */
	if (ct_kernel_configure(skel, opt.verbose))
		goto fail;
	err = cloexec_trace_bpf__load(skel);
	if (err) {
		ct_kernel_load_failed(err);
		goto fail;
	}
	err = cloexec_trace_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "%s: failed to attach BPF programs: %s\n", TOOL, strerror(-err));
		goto fail;
	}
	return skel;
fail:
	cloexec_trace_bpf__destroy(skel);
	return NULL;
}

/* What the child tells the parent over the error pipe when CMD could not be started. */
struct start_error {
	int stage; /* START_* */
	int err;   /* errno */
};

enum { START_EXEC, START_SUDO };

static void __attribute__((noreturn)) child_fail(int err_fd, int stage)
{
	struct start_error se = {stage, errno};

	if (write(err_fd, &se, sizeof(se)) < 0)
		_exit(127);
	_exit(127);
}

/* Drop sudo's root for CMD: the invoking user (SUDO_UID/SUDO_GID) runs it. */
static void drop_sudo(int err_fd)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	const char *user = getenv("SUDO_USER");
	uid_t uid;
	gid_t gid;

	if (getuid() != 0 || !su || !sg)
		return;
	uid = (uid_t)strtoul(su, NULL, 10);
	gid = (gid_t)strtoul(sg, NULL, 10);
	if (uid == 0)
		return;
	if ((user ? initgroups(user, gid) : setgroups(1, &gid)) || setgid(gid) || setuid(uid))
		child_fail(err_fd, START_SUDO);
}

/* The child: wait until the parent has put us in the traced set, drop sudo, exec CMD. */
static void run_child(int sync_fd, int err_fd)
{
	char c;

	if (read(sync_fd, &c, 1) != 1)
		_exit(127);
	drop_sudo(err_fd);
	/* do not outlive a tracer that was killed (tests, CI timeouts) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() == 1)
		_exit(127);
	/* A clean baseline: what our caller leaked into us does not reach CMD (err_fd stays
	 * usable until the exec succeeds). */
	if (!opt.keep_fds)
		syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	execvp(opt.cmd[0], opt.cmd);
	child_fail(err_fd, START_EXEC);
}

/* Fork CMD, held on a pipe until it is in the traced set. */
static int fork_command(struct run *r)
{
	if (pipe2(r->sync_pipe, O_CLOEXEC) || pipe2(r->err_pipe, O_CLOEXEC)) {
		fprintf(stderr, "%s: failed to create pipe: %s\n", TOOL, strerror(errno));
		return -1;
	}
	fflush(NULL);
	r->child = fork();
	if (r->child < 0) {
		fprintf(stderr, "%s: failed to fork: %s\n", TOOL, strerror(errno));
		return -1;
	}
	if (r->child == 0) {
		signal(SIGPIPE, SIG_DFL);
		run_child(r->sync_pipe[0], r->err_pipe[1]);
	}
	close(r->sync_pipe[0]);
	close(r->err_pipe[1]);
	r->sync_pipe[0] = r->err_pipe[1] = -1;
	r->child_done = false;
	r->target = r->child;
	return 0;
}

/*
 * Release CMD, then learn whether its exec worked: 0, or the exit status: 127 CMD not found,
 * 126 found but not runnable (as timeout(1) and env(1) say), 3 (environment) when we could not
 * start it or drop sudo's root for it.
 */
static int release_command(struct run *r)
{
	struct start_error se;

	if (write(r->sync_pipe[1], "x", 1) != 1) {
		fprintf(stderr, "%s: failed to start %s: %s\n", TOOL, opt.cmd[0], strerror(errno));
		return EX_ENV;
	}
	close(r->sync_pipe[1]);
	r->sync_pipe[1] = -1;
	if (read(r->err_pipe[0], &se, sizeof(se)) == sizeof(se)) {
		if (se.stage == START_SUDO) {
			fprintf(stderr, "%s: failed to run %s as the sudo user: %s\n", TOOL,
				opt.cmd[0], strerror(se.err));
			return EX_ENV;
		}
		fprintf(stderr, "%s: failed to run %s: %s\n", TOOL, opt.cmd[0], strerror(se.err));
		return se.err == ENOENT ? EX_NOCMD : EX_NOEXEC;
	}
	close(r->err_pipe[0]);
	r->err_pipe[0] = -1;
	return 0;
}

/* The target pid (CMD or -p) into the kernel's filter and the model. */
static int track_target(struct cloexec_trace_bpf *skel, struct run *r)
{
	uint32_t k = (uint32_t)r->target;
	uint8_t one = 1;

	if (!r->target)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.traced), &k, &one, BPF_ANY)) {
		fprintf(stderr, "%s: failed to add pid %d to the traced set: %s\n", TOOL,
			(int)r->target, strerror(errno));
		return -1;
	}
	events_track_target(r->target, r->child > 0, getpid());
	return 0;
}

/* Tracing is live: the start record, flushed, then the ready line (SCHEMA.md). */
static void announce_start(const struct run *r)
{
	struct ct_start s = {
	    .target = r->target, .fail_on = opt.fail_on, .fate_wait_ms = opt.fate_wait_ms};
	struct utsname u;

	uname(&u);
	s.kernel = u.release;
	s.scope = opt.cmd ? CT_SCOPE_COMMAND : opt.pid ? CT_SCOPE_PID : CT_SCOPE_SYSTEM;
	render_start(&s);
	out_flush(stdout);
	out_flush(ct_out.json);
	if (opt.ready_fd >= 0) {
		if (write(opt.ready_fd, "ready\n", 6) != 6 && opt.verbose)
			fprintf(stderr, "%s: failed to write to --ready-fd %d: %s\n", TOOL,
				opt.ready_fd, strerror(errno));
		close(opt.ready_fd);
		opt.ready_fd = -1;
	}
}

static int wait_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* After one poll at time now: whether the trace is over (CMD, PID, signal, --timeout). */
/* Read one batch of the ring (n records at most): 1 when the batch ended it (more may wait),
 * else 0. */
static int consume(struct ring_buffer *rb, unsigned n)
{
	events_batch(n);
	return ring_buffer__consume(rb) == EVENTS_BATCH_DONE;
}

/* Read the ring to its end, batch by batch. */
static void drain(struct ring_buffer *rb)
{
	int err;

	do {
		events_batch(EVENTS_BATCH);
		err = ring_buffer__consume(rb);
	} while (err == EVENTS_BATCH_DONE);
}

static bool run_over(struct run *r, struct ring_buffer *rb, uint64_t now)
{
	int status;

	if (!r->child_done && waitpid(r->child, &status, WNOHANG) == r->child) {
		r->child_done = true;
		r->cmd_status = wait_status(status);
		r->linger_until = now + (uint64_t)opt.linger_ms * NS_PER_MS;
		drain(rb);
	}
	if (stop_sig && !r->child_done) {
		/* forward the signal to CMD; SIGKILL if it still runs a second later */
		if (!r->kill_at) {
			kill(r->child, stop_sig);
			r->kill_at = now + NS_PER_SEC;
		} else if (now > r->kill_at) {
			kill(r->child, SIGKILL);
		}
		return false;
	}
	if (stop_sig) {
		r->stop_sig = stop_sig; /* a signal after this one changes nothing */
		return true;
	}
	if (r->deadline && now >= r->deadline) {
		r->timed_out = true;
		if (!r->child_done) {
			kill(r->child, SIGKILL);
			if (waitpid(r->child, &status, 0) == r->child)
				r->cmd_status = wait_status(status);
			r->child_done = true;
		}
		return true;
	}
	if (opt.cmd && r->child_done && (live_count <= 0 || now >= r->linger_until))
		return true;
	if (opt.pid && (live_count <= 0 || pid_gone(opt.pid))) {
		if (!r->linger_until)
			r->linger_until = now + (uint64_t)opt.linger_ms * NS_PER_MS;
		if (live_count <= 0 || now >= r->linger_until)
			return true;
	}
	return false;
}

/*
 * Poll with a timeout: records arrive in batches, no wakeup per record. After each poll the ring
 * is read to its end (records without a wakeup wait no longer than one poll), then what is
 * complete up to the moment before that read goes out in time order (ct_order.h), FLUSH_SLICE
 * records at a time with a read of the ring between slices. Past ORDER_MAX_PENDING waiting
 * records the ring is not read until they go (memory stays bounded; the kernel counts what it
 * then cannot send as lost).
 */
static int poll_loop(struct run *r, struct ring_buffer *rb)
{
	if (opt.timeout_s)
		r->deadline = now_ns() + (uint64_t)opt.timeout_s * NS_PER_SEC;
	for (;;) {
		bool full = events_backlog();
		int err = 0;
		uint64_t now;

		if (!full) {
			events_batch(EVENTS_BATCH);
			err = ring_buffer__poll(rb, 50);
			if (err == EVENTS_BATCH_DONE)
				err = 0;
		}
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "%s: failed to poll ring buffer: %s\n", TOOL,
				strerror(-err));
			return -1;
		}
		/*
		 * now: every record older than now - slack has been read. When a batch ended the
		 * read, the ring is not empty: only the latest record read's time says that then.
		 */
		now = now_ns();
		if (!full && consume(rb, EVENTS_BATCH))
			now = model_last_ts;
		/*
		 * write in slices, reading the ring in between (half a slice: a record decides at
		 * most one, so the backlog shrinks while the ring does not fill)
		 */
		while (events_flush(now, FLUSH_SLICE) && !events_backlog())
			consume(rb, FLUSH_SLICE / 2);
		/* still full: nothing was old enough to go; wait for the oldest to come of age */
		if (full && events_backlog())
			nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
		out_flush(stdout);
		out_flush(ct_out.json);
		/* closed creations leave the inode index within 0.35 s (most) or 2 s */
		if (now > r->pruned + NS_PER_SEC / 10) {
			ino_prune(model_last_ts, false);
			if (now > r->stack_pruned + NS_PER_SEC) {
				ct_stack_prune(model_last_ts, false);
				r->stack_pruned = now;
			}
			r->pruned = now;
		}
		if (run_over(r, rb, now))
			return 0;
	}
}

/*
 * The JUnit and SARIF files, written now (they carry the status): 0, or EX_ENV with one line
 * naming the file that could not be written.
 */
static int write_files(const struct ct_summary *s, const struct run *r)
{
	int err;

	if (ct_junit_on()) {
		struct ct_junit_end end = {
		    .code = s->code,
		    .reason = s->reason,
		    .signal = s->signal,
		    .cmd_status = opt.cmd ? r->cmd_status : INT_MIN,
		    .timed_out = r->timed_out,
		    .lost = ct_stats.lost,
		    .lost_fails = (s->failed_on & ct_kind_bit("lost")) != 0,
		    .seconds = (double)(now_ns() - ct_out.t0_ns) / NS_PER_SEC,
		};

		err = ct_junit_close(&end);
		if (err) {
			fprintf(stderr, "%s: failed to write %s: %s\n", TOOL, opt.junit,
				strerror(err));
			return EX_ENV;
		}
	}
	if (ct_sarif_on()) {
		struct ct_sarif_end end = {
		    .exit_code = s->code,
		    .lost = ct_stats.lost,
		    .stack_skipped = ct_stack_stats.skipped,
		    .timed_out = r->timed_out,
		    .signal = r->stop_sig,
		    .complete = s->reason != CT_EXIT_SIGNAL && s->reason != CT_EXIT_TIMEOUT,
		};

		err = ct_sarif_close(&end);
		if (err) {
			fprintf(stderr, "%s: failed to write %s: %s\n", TOOL, opt.sarif,
				strerror(err));
			return EX_ENV;
		}
	}
	return 0;
}

/* The end: every verdict out, lost records, the files, the summary; the exit status. */
static int finish(struct cloexec_trace_bpf *skel, const struct run *r)
{
	uint64_t scope_full = read_counter(skel, CT_CNT_SCOPE_FULL);
	struct ct_summary s = {.st = &ct_stats,
			       .timed_out = r->timed_out,
			       .cmd_status = r->cmd_status,
			       .signal = r->stop_sig};
	int err;

	events_finish(now_ns());
	ct_stats.lost = read_counter(skel, CT_CNT_LOST);
	/* the atomic fds the kernel counted instead of sending (none with --all-fds) */
	ct_stats.atomic_counted = read_counter(skel, CT_CNT_ATOMIC);
	read_atomic(skel);
	ct_stats.atomic += ct_stats.atomic_counted;
	ct_stats.fds += ct_stats.atomic_counted;
	ct_stack_stats.skipped = read_counter(skel, CT_CNT_NOSTACK);
	if (scope_full)
		fprintf(stderr,
			"%s: warning: %llu child processes could not be traced (traced set full)\n",
			TOOL, (unsigned long long)scope_full);
	if (ct_stats.lost) {
		fprintf(stderr,
			"%s: warning: %lu records lost (ring buffer full); results are "
			"incomplete\n",
			TOOL, ct_stats.lost);
		render_lost(ct_stats.lost);
	}
	s.failed_on = ct_found_kinds(&ct_stats, opt.fail_on);
	s.code = ct_exit_status(&(struct ct_exit_in){.cmd = opt.cmd != NULL,
						     .cmd_status = r->cmd_status,
						     .stop_sig = r->stop_sig,
						     .timed_out = r->timed_out,
						     .found = s.failed_on,
						     .findings_exit = opt.findings_exit},
				&s.reason);
	if (write_files(&s, r)) {
		s.code = EX_ENV;
		s.reason = CT_EXIT_OUTPUT;
	}
	render_summary(&s);
	fflush(stdout);
	/* a full disk or a closed pipe: the results are incomplete, say so (exit 3) */
	err = out_error();
	if (err) {
		bool json = ct_out.json && ferror(ct_out.json) && ct_out.json != stdout;

		fprintf(stderr, "%s: failed to write %s: %s\n", TOOL, json ? opt.output : "stdout",
			strerror(err));
		return EX_ENV;
	}
	return s.code;
}

static void cleanup(struct run *r, struct ring_buffer *rb, struct cloexec_trace_bpf *skel)
{
	int status;

	if (r->child > 0 && !r->child_done) {
		kill(r->child, SIGKILL);
		waitpid(r->child, &status, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (r->sync_pipe[i] >= 0)
			close(r->sync_pipe[i]);
		if (r->err_pipe[i] >= 0)
			close(r->err_pipe[i]);
	}
	ring_buffer__free(rb);
	cloexec_trace_bpf__destroy(skel);
	ct_stack_prune(0, true);
	if (ct_out.json && ct_out.json != stdout)
		fclose(ct_out.json);
}

int main(int argc, char **argv)
{
	struct run r = {
	    .sync_pipe = {-1, -1}, .err_pipe = {-1, -1}, .child_done = true, .cmd_status = INT_MIN};
	/* SA_RESTART: a signal while a write waits on a full pipe restarts the write (the poll
	 * loop's epoll_wait still returns EINTR and sees the flag) */
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	struct cloexec_trace_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	int code = EX_ENV, rc;

	parse_args(argc, argv);
	ct_argc = argc;
	ct_argv = argv;
	if (env_check())
		return EX_ENV;
	if (opt.cmd && opt.keep_fds)
		caller_fds_note(opt.ready_fd); /* before we open anything of our own */
	if (open_outputs())
		return EX_ENV;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	libbpf_set_print(libbpf_print);
	ct_out.t0_ns = now_ns();

	skel = bpf_start();
	if (!skel)
		goto cleanup;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "%s: failed to create ring buffer: %s\n", TOOL, strerror(errno));
		goto cleanup;
	}
	if (opt.cmd && fork_command(&r))
		goto cleanup;
	if (opt.pid)
		r.target = opt.pid;
	/* tracing starts: the target into the kernel's filter, then CMD runs */
	if (track_target(skel, &r))
		goto cleanup;
	/*
	 * Stacks are named from local files only (/usr/lib/debug and the binaries): no debuginfod
	 * downloads while tracing. CMD was forked already and keeps its environment. A -p target
	 * was not seen starting: its mappings from /proc, now that its mmaps are traced.
	 */
	ct_stack_init(opt.stack_depth);
	if (opt.stack_depth) {
		unsetenv("DEBUGINFOD_URLS");
		if (opt.pid)
			ct_stack_read_proc(opt.pid);
	}
	if (r.child && (rc = release_command(&r))) {
		code = rc;
		goto cleanup;
	}
	announce_start(&r);
	if (poll_loop(&r, rb) == 0) {
		drain(rb);
		code = finish(skel, &r);
	}
cleanup:
	cleanup(&r, rb, skel);
	return code;
}
