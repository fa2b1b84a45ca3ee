// SPDX-License-Identifier: MIT
/*
 * report.c - output of cloexec-repro: the aligned table for people and
 * results/repro.json (schema "cloexec-repro/1", see results/FORMATS.md).
 */
#define _GNU_SOURCE
#include "repro.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void repro_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void repro_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strnlen(buf, len);
	va_list ap;

	if (l + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

static const char *verdict(const struct repro_result *r)
{
	if (r->skipped)
		return "SKIP";
	if (r->error)
		return "ERROR";
	return r->pass ? "ok" : "FAIL";
}

void repro_print_table(FILE *f, const struct repro_scenario *sc, const struct repro_result *res,
		       int n)
{
	int wg = 8, ws = 8, wp = 5;

	for (int i = 0; i < n; i++) {
		int l;

		if ((l = (int)strlen(sc[i].group->name)) > wg)
			wg = l;
		if ((l = (int)strlen(sc[i].strategy->name)) > ws)
			ws = l;
		if ((l = (int)strlen(sc[i].spawn->name)) > wp)
			wp = l;
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-13s  %-13s  %-5s  %-7s  %s\n", wg, "scenario", ws,
		"strategy", wp, "spawn", "expected", "observed", "held", "verdict", "why");
	for (int i = 0; i < n; i++) {
		const struct repro_result *r = &res[i];

		fprintf(f, "%-*s  %-*s  %-*s  %-13s  %-13s  %-5s  %-7s  %s", wg, sc[i].group->name,
			ws, sc[i].strategy->name, wp, sc[i].spawn->name, r->expected, r->observed,
			r->skipped || r->error ? "-"
			: r->child_held	       ? "yes"
					       : "no",
			verdict(r), r->detail);
		if (!r->skipped && !r->error && !r->pass) {
			if (!r->mechanism_ok)
				fprintf(f, " [outcome contradicts what the child holds]");
			if (!r->meaning_ok)
				fprintf(f, " [%s + %s should %sleave it in the child]",
					sc[i].strategy->name, sc[i].spawn->name,
					r->leak_expected ? "" : "not ");
			if (!r->extra_ok)
				fprintf(f, " [the child got other fds from the harness]");
			if (!r->after_ok)
				fprintf(f, " [after the child exited: %s, want %s]", r->after,
					r->after_expected);
			if (!r->port_free)
				fprintf(f, " [port or path not freed]");
		}
		fputc('\n', f);
	}
}

void repro_print_race(FILE *f, const struct repro_race *r, int n)
{
	fprintf(f, "%-13s  %7s  %9s  %6s  %8s  %8s  %s\n", "race", "spawns", "sockets", "leaks",
		"rate", "ms", "detail");
	for (int i = 0; i < n; i++)
		fprintf(f, "%-13s  %7d  %9lld  %6d  %7.3f%%  %8lld  %s%s\n", r[i].strategy,
			r[i].spawns, r[i].sockets, r[i].leaks, 100.0 * r[i].rate, r[i].duration_ms,
			r[i].error ? "ERROR: " : "", r[i].detail);
}

/* A JSON string: escapes quotes, backslashes and control bytes. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void cpu_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (c && !strncmp(line, "model name", 10)) {
			c++;
			while (*c == ' ' || *c == '\t')
				c++;
			c[strcspn(c, "\n")] = '\0';
			snprintf(buf, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

static void tmp_name(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s.tmp", path);
}

int repro_json_writable(const char *path)
{
	char tmp[4096];
	int fd;

	tmp_name(tmp, sizeof(tmp), path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return unlink(tmp);
}

int repro_write_json(const char *path, const char *commit, const struct repro_scenario *sc,
		     const struct repro_result *res, int n, const struct repro_race *race,
		     int nrace)
{
	char tmp[4096], host[256] = "unknown", cpu[256], date[64];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int e;

	tmp_name(tmp, sizeof(tmp), path);
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	gethostname(host, sizeof(host) - 1);
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	cpu_model(cpu, sizeof(cpu));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);

	fprintf(f, "{\"schema\":\"cloexec-repro/1\",\"host\":{\"hostname\":");
	jstr(f, host);
	fprintf(f, ",\"kernel\":");
	jstr(f, u.release);
	fprintf(f, ",\"cpu\":");
	jstr(f, cpu);
	fprintf(f, ",\"cores\":%ld,\"date\":\"%s\",\"commit\":", sysconf(_SC_NPROCESSORS_ONLN),
		date);
	jstr(f, commit && *commit ? commit : "unknown");
	fprintf(f, "},\n \"scenarios\":[");
	for (int i = 0; i < n; i++) {
		const struct repro_result *r = &res[i];

		fprintf(f, "%s\n  {\"id\":", i ? "," : "");
		jstr(f, sc[i].id);
		fprintf(f, ",\"group\":");
		jstr(f, sc[i].group->name);
		fprintf(f, ",\"strategy\":");
		jstr(f, sc[i].strategy->name);
		fprintf(f, ",\"spawn\":");
		jstr(f, sc[i].spawn->name);
		fprintf(f, ",\"expected\":");
		jstr(f, r->expected);
		fprintf(f, ",\"observed\":");
		jstr(f, r->observed);
		fprintf(f, ",\"child_held\":%s,\"pass\":%s,\"detail\":",
			r->child_held ? "true" : "false", r->pass ? "true" : "false");
		jstr(f, r->detail);
		/* Added fields (FORMATS.md allows additions). */
		fprintf(f,
			",\"status\":\"%s\",\"held_fd\":%d,\"child_extra_fds\":%d,"
			"\"parent_cloexec\":%s,\"leak_expected\":%s,\"mechanism_ok\":%s,"
			"\"meaning_ok\":%s,\"after\":",
			r->skipped ? "skipped"
			: r->error ? "error"
				   : "ran",
			r->held_fd, r->child_extra, r->parent_cloexec ? "true" : "false",
			r->leak_expected ? "true" : "false", r->mechanism_ok ? "true" : "false",
			r->meaning_ok ? "true" : "false");
		jstr(f, r->after);
		fprintf(f, ",\"after_expected\":");
		jstr(f, r->after_expected);
		fprintf(f, ",\"extra_ok\":%s,\"after_ok\":%s,\"port_free\":%s",
			r->extra_ok ? "true" : "false", r->after_ok ? "true" : "false",
			r->port_free ? "true" : "false");
		if (sc[i].group->kind == RK_REUSEPORT)
			fprintf(f, ",\"stolen\":%d,\"served_parent\":%d", r->stolen,
				r->served_parent);
		fprintf(f, "}");
	}
	fprintf(f, "],\n \"race\":[");
	for (int i = 0; i < nrace; i++) {
		const struct repro_race *r = &race[i];

		fprintf(f, "%s\n  {\"strategy\":", i ? "," : "");
		jstr(f, r->strategy);
		fprintf(f,
			",\"spawns\":%d,\"sockets\":%lld,\"leaks\":%d,\"rate\":%.6f,"
			"\"duration_ms\":%lld,\"stopped_by_time\":%s,\"error\":%s,\"detail\":",
			r->spawns, r->sockets, r->leaks, r->rate, r->duration_ms,
			r->stopped_by_time ? "true" : "false", r->error ? "true" : "false");
		jstr(f, r->detail);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
	if (ferror(f) | fclose(f)) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}
