// SPDX-License-Identifier: MIT
/*
 * load.c - the ground of cloexec-load (load.h), below its figures and its main: the options
 * every file reads, the errors they count, the names of configurations and operations, and
 * the JSON output, a growing text of rows (schema cloexec-load/1, results/FORMATS.md) that
 * opens with the host and the settings and is written whole at the end.
 */
#define _GNU_SOURCE
#include "load.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EX_FAIL 1

struct load_opts opt = {
    .duration = 60, .short_s = 5, .procs_s = 10, .producers = 2, .rounds = 8, .fp_fds = 1000000};
int errors;

volatile sig_atomic_t stop_sig;

const char *const op_names[] = {"dup3_cloexec", "dup3_plain"};

const char *cfg_name(enum cfg c)
{
	static const char *const n[] = {"untraced", "floor", "tracer", "before"};

	return c < CFG_N ? n[c] : "?";
}

enum tc_kind cfg_kind(enum cfg c)
{
	return c == CFG_FLOOR ? TC_FLOOR : c == CFG_UNTRACED ? TC_NONE : TC_TRACER;
}

int tracer_cfgs(enum cfg out[2])
{
	out[0] = CFG_TRACER;
	out[1] = CFG_BEFORE;
	return opt.before ? 2 : 1;
}

void fail(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s failed: %s\n", TOOL, what, why);
}

/* --- JSON output: a growing text of rows ------------------------------------------------- */

static char *rows;
static size_t rows_len, rows_cap;
static int nrows;

void out_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(rows + rows_len, rows_cap - rows_len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < rows_cap - rows_len)
			break;
		rows_cap = rows_cap * 2 + (size_t)n + 4096;
		rows = realloc(rows, rows_cap);
		if (!rows) {
			fprintf(stderr, "%s: failed to allocate: %s\n", TOOL, strerror(errno));
			exit(EX_FAIL);
		}
	}
	rows_len += (size_t)n;
}

/* A JSON string (the values here are host names, paths and messages). */
void out_str(const char *s)
{
	out_add("\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out_add("\\%c", c);
		else if (c < 0x20)
			out_add("\\u%04x", c);
		else
			out_add("%c", c);
	}
	out_add("\"");
}

/* kernel.bpf_stats_enabled: when 1, every BPF program run also pays its run-time accounting */
static int bpf_stats(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void loadavg(double la[3])
{
	FILE *f = fopen("/proc/loadavg", "re");

	la[0] = la[1] = la[2] = -1;
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
			la[0] = la[1] = la[2] = -1;
		fclose(f);
	}
}

/* Starts a row: {"figure":..., "loadavg":[...] (the rest is added by the caller, then "}"). */
void row_begin(const char *figure, const char *config)
{
	double la[3];

	loadavg(la);
	out_add("%s\n  {\"figure\":\"%s\",\"config\":\"%s\",\"loadavg\":[%.2f,%.2f,%.2f],"
		"\"bpf_stats_enabled\":%d",
		nrows++ ? "," : "", figure, config, la[0], la[1], la[2], bpf_stats());
}

/* The tracer's summary as it wrote it (valid JSON: it parsed), or null. */
static void out_summary(const struct tc_result *r)
{
	out_add(",\"summary\":");
	if (r->have_summary && r->summary[0] == '{')
		out_add("%s", r->summary);
	else
		out_add("null");
}

void row_tracer(const struct trial_out *o, enum cfg c)
{
	const struct tc_result *r = &o->res;
	enum tc_kind k = cfg_kind(c);

	if (k == TC_NONE)
		return;
	/* its own cost: CPU from "ready" to its exit per second of the traced work, max RSS */
	out_add(",\"maxrss_kb\":%ld,\"prog_cpu_s\":%.4f,\"prog_startup_cpu_s\":%.4f,"
		"\"prog_cpu_per_traced_s\":%.5f",
		r->ru.ru_maxrss, r->cpu_s, r->startup_cpu_s,
		o->wall_s > 0 && r->cpu_s >= 0 ? (r->cpu_s - r->startup_cpu_s) / o->wall_s : 0);
	if (k != TC_TRACER)
		return;
	out_add(",\"tracer\":{\"fds\":%lld,\"atomic\":%lld,\"never\":%lld,\"late\":%lld,"
		"\"lost\":%lld,\"records\":%lld,\"json_bytes\":%llu,\"text_bytes\":%llu,"
		"\"exit\":%d,\"path\":",
		r->sum.fds, r->sum.atomic, r->sum.never, r->sum.late, r->sum.lost, r->sum.records,
		(unsigned long long)r->json_bytes, (unsigned long long)r->text_bytes,
		r->status >= 0 && WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1);
	{
		char def[PATH_MAX];
		const char *path = c == CFG_BEFORE ? opt.before : opt.tracer;

		out_str(path ? path : tc_path(TC_TRACER, def, sizeof(def)));
	}
	if (r->found.lines)
		out_add(",\"found\":{\"lines\":%llu,\"findings\":%llu,\"with_stack\":%llu,"
			"\"with_line\":%llu}",
			(unsigned long long)r->found.lines, (unsigned long long)r->found.findings,
			(unsigned long long)r->found.with_stack,
			(unsigned long long)r->found.with_line);
	out_summary(r);
	out_add("}");
}

void out_host_block(void)
{
	struct utsname u;
	char line[256], cpu[256] = "unknown", date[64], commit[64] = "";
	time_t now = time(NULL);
	FILE *f;
	int stats = -1;

	uname(&u);
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			snprintf(cpu, sizeof(cpu), "%s", c + 2);
			cpu[strcspn(cpu, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	stats = bpf_stats();
	f = popen("git rev-parse --short HEAD 2>/dev/null", "re");
	if (f) {
		if (fgets(commit, sizeof(commit), f))
			commit[strcspn(commit, "\n")] = 0;
		pclose(f);
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	out_add("{\"schema\":\"cloexec-load/1\",\"host\":{\"hostname\":");
	out_str(u.nodename);
	out_add(",\"kernel\":");
	out_str(u.release);
	out_add(",\"cpu\":");
	out_str(cpu);
	out_add(",\"cores\":%ld,\"date\":\"%s\",\"commit\":", sysconf(_SC_NPROCESSORS_ONLN), date);
	if (*commit)
		out_str(commit);
	else
		out_add("null");
	/* an enabled bpf_stats adds the run-time accounting to every BPF program run (the floor) */
	out_add("},\"settings\":{\"quick\":%s,\"duration_s\":%g,\"short_s\":%g,\"procs_s\":%g,"
		"\"producers\":%d,\"rounds\":%d,\"build_set\":\"%s\",\"footprint_fds\":%lld,"
		"\"bpf_stats_enabled\":%d}",
		opt.quick ? "true" : "false", opt.duration, opt.short_s, opt.procs_s, opt.producers,
		opt.rounds, opt.build_set, opt.fp_fds, stats);
}

int out_write(void)
{
	if (opt.out) {
		char tmp[PATH_MAX];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", opt.out);
		f = fopen(tmp, "we");
		if (!f || fwrite(rows, 1, rows_len, f) != rows_len || fclose(f) != 0 ||
		    rename(tmp, opt.out) < 0) {
			fprintf(stderr, "%s: failed to write %s: %s\n", TOOL, opt.out,
				strerror(errno));
			unlink(tmp);
			return -1;
		}
	} else if (fwrite(rows, 1, rows_len, stdout) != rows_len || fflush(stdout) != 0) {
		fprintf(stderr, "%s: failed to write the JSON: %s\n", TOOL, strerror(errno));
		return -1;
	}
	return 0;
}
