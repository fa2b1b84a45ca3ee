// SPDX-License-Identifier: MIT
/*
 * lab.c - shared helpers for the harness (see lab.h).
 */
#define _GNU_SOURCE
#include "lab.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int cmp_int_asc(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int lab_each_fd(pid_t pid, int min_fd, int (*fn)(int fd, const char *target, void *arg), void *arg)
{
	/* as many as a process can have (fs.nr_open's default, 1M): an exec with 20,000 */
	int *fds = malloc((1 << 20) * sizeof(int)), n, seen = 0;

	if (!fds)
		return -1;
	n = lab_proc_fds(pid, fds, 1 << 20);
	for (int i = 0; i < n; i++) {
		char t[PATH_MAX];

		if (fds[i] < min_fd)
			continue;
		if (lab_fd_target(pid, fds[i], t, sizeof(t)) < 0)
			strcpy(t, "?");
		seen++;
		if (fn(fds[i], t, arg))
			break;
	}
	free(fds);
	return n < 0 ? -1 : seen;
}

static int say_closing(int fd, const char *target, void *verbose)
{
	if (*(int *)verbose)
		fprintf(stderr, "# closing inherited fd %d -> %s\n", fd, target);
	return 0;
}

int lab_clean_fds(int verbose)
{
	int closed = lab_each_fd(getpid(), 3, say_closing, &verbose);

	/* close_range covers anything we could not list (e.g. > 4096 fds). */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
		int fds[4096], n = lab_proc_fds(getpid(), fds, 4096);

		for (int i = 0; i < n; i++)
			if (fds[i] >= 3)
				close(fds[i]);
	}
	return closed < 0 ? 0 : closed;
}

int lab_cloexec_all(void)
{
	struct rlimit rl;
	long top = 1048576;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* kernels before 5.11: every number the fd limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		top = (long)rl.rlim_cur;
	for (long fd = 3; fd < top; fd++)
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			return -1;
	return 0;
}

int lab_wait4_timeout(pid_t pid, int *status, struct rusage *ru, int timeout_ms)
{
	int st = 0, pfd;
	pid_t r;

	r = wait4(pid, &st, WNOHANG, ru);
	if (r == pid)
		goto done;
	if (r < 0)
		return -1;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int pr;

		do
			pr = poll(&p, 1, timeout_ms);
		while (pr < 0 && errno == EINTR);
		close(pfd);
		if (pr == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		do
			r = wait4(pid, &st, 0, ru);
		while (r < 0 && errno == EINTR);
		if (r != pid)
			return -1;
		goto done;
	}
	/* No pidfd: poll waitpid with short naps, still bounded. */
	for (int waited = 0; waited < timeout_ms; waited += 5) {
		struct timespec ts = {0, 5 * 1000 * 1000};

		r = wait4(pid, &st, WNOHANG, ru);
		if (r == pid)
			goto done;
		if (r < 0)
			return -1;
		nanosleep(&ts, NULL);
	}
	errno = ETIMEDOUT;
	return -1;
done:
	if (status)
		*status = st;
	return 0;
}

int lab_wait_timeout(pid_t pid, int *status, int timeout_ms)
{
	return lab_wait4_timeout(pid, status, NULL, timeout_ms);
}

int lab_kill_reap(pid_t pid)
{
	if (pid <= 0)
		return -1;
	kill(pid, SIGKILL);
	return lab_wait_timeout(pid, NULL, 10000);
}

int lab_proc_fds(pid_t pid, int *fds, int max)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long v;

		if (de->d_name[0] == '.')
			continue;
		v = strtol(de->d_name, &end, 10);
		if (*end || v < 0)
			continue;
		/* Skip the directory stream's own fd when listing ourselves. */
		if (pid == getpid() && v == dirfd(d))
			continue;
		if (n < max)
			fds[n++] = (int)v;
	}
	closedir(d);
	qsort(fds, (size_t)n, sizeof(int), cmp_int_asc);
	return n;
}

int lab_fd_target(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	if (len == 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

struct holds {
	const char *target;
	int found;
};

static int is_target(int fd, const char *target, void *arg)
{
	struct holds *h = arg;

	(void)fd;
	h->found = strcmp(target, h->target) == 0;
	return h->found;
}

int lab_proc_holds(pid_t pid, const char *target)
{
	struct holds h = {target, 0};

	lab_each_fd(pid, 0, is_target, &h);
	return h.found;
}

const char *lab_fd_identity(int fd, char *buf, size_t len)
{
	if (lab_fd_target(getpid(), fd, buf, len) < 0 && len)
		buf[0] = '\0';
	return buf;
}

int lab_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

static int have_caps(unsigned long long want)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long eff = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & want) == want;
}

int lab_bpf_usable(char *why, size_t len)
{
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
	unsigned long long sys_admin = 1ULL << CAP_SYS_ADMIN;
	unsigned long long bpf_perf = (1ULL << CAP_BPF) | (1ULL << CAP_PERFMON);

	if (!have_caps(sys_admin) && !have_caps(bpf_perf)) {
		snprintf(why, len,
			 "needs root or CAP_BPF+CAP_PERFMON to load BPF programs (uid %d)",
			 (int)getuid());
		return 0;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(why, len,
			 "kernel has no BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)");
		return 0;
	}
	if (len)
		why[0] = '\0';
	return 1;
}

const char *lab_exe_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return strcpy(dir, ".");
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

const char *lab_build_path(const char *rel, char *buf, size_t len)
{
	/* Tests live in BUILD/t (helpers in BUILD/t/helpers); tools in BUILD. */
	char d[PATH_MAX];
	const char *e = lab_exe_dir();
	const char *env = getenv("CLOEXEC_LAB_BUILD");

	if (env && *env) {
		snprintf(buf, len, "%s/%s", env, rel);
		return buf;
	}
	snprintf(d, sizeof(d), "%s", e);
	for (int up = 0; up < 3; up++) {
		char probe[PATH_MAX + 64];

		snprintf(probe, sizeof(probe), "%s/.build-root", d);
		if (access(probe, F_OK) == 0) {
			snprintf(buf, len, "%s/%s", d, rel);
			return buf;
		}
		char *slash = strrchr(d, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	snprintf(buf, len, "%s/%s", e, rel);
	return buf;
}

char *lab_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

unsigned long long lab_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}
