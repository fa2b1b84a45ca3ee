// SPDX-License-Identifier: MIT
/*
 * ct_out.c - cloexec-trace's output plumbing: a string buffer with JSON string escaping
 * (ct_out.h), the sinks, the first write error, and render_*() (ct_render.h), which hands each
 * record to the JSON and text renderers that are on.
 */
#define _GNU_SOURCE
#include "ct_opts.h"
#include "ct_render.h"
#include "ct_junit_feed.h"
#include "ct_sarif_feed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_grow(struct sbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->len + need + 1 <= b->cap)
		return;
	while (cap < b->len + need + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, "%s: failed to allocate memory: %s\n", TOOL, strerror(errno));
		exit(EX_ENV);
	}
	b->p = p;
	b->cap = cap;
}

void sb_putc(struct sbuf *b, char c)
{
	sb_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

void sb_puts(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	sb_grow(b, n);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when it is not valid. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void sb_json_str(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	sb_putc(b, '"');
	while (*s) {
		int n;

		switch (*s) {
		case '"':
			sb_puts(b, "\\\"");
			s++;
			continue;
		case '\\':
			sb_puts(b, "\\\\");
			s++;
			continue;
		case '\n':
			sb_puts(b, "\\n");
			s++;
			continue;
		case '\r':
			sb_puts(b, "\\r");
			s++;
			continue;
		case '\t':
			sb_puts(b, "\\t");
			s++;
			continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			sb_printf(b, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (!n) {
			sb_printf(b, "\\u%04x", *s);
			s++;
			continue;
		}
		sb_grow(b, (size_t)n);
		memcpy(b->p + b->len, s, (size_t)n);
		b->len += (size_t)n;
		b->p[b->len] = 0;
		s += n;
	}
	sb_putc(b, '"');
}

void sb_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- sinks -------------------------------------------------------------------------------- */

struct ct_outputs ct_out;
static int out_errno; /* the first failed write of our output */

void out_note_error(void)
{
	if (!out_errno)
		out_errno = errno ? errno : EIO;
}

/* Flush f, remembering the first error (reported at the end: results incomplete). */
void out_flush(FILE *f)
{
	errno = 0;
	if (f && (fflush(f) || ferror(f)))
		out_note_error();
}

/* 0, or the errno of the first failed write to stdout or the JSON file (flushed now). */
int out_error(void)
{
	int e = out_errno;

	errno = 0;
	if (!e && ct_out.json && (fflush(ct_out.json) || ferror(ct_out.json)))
		e = errno ? errno : EIO;
	errno = 0;
	if (!e && (fflush(stdout) || ferror(stdout)))
		e = errno ? errno : EIO;
	return e;
}

/* One JSON line to the JSON sink (whole lines between the command's own output). */
static void jemit(struct sbuf *b)
{
	FILE *f = ct_out.json;

	sb_putc(b, '\n');
	errno = 0;
	if (fwrite(b->p, 1, b->len, f) != b->len ||
	    (ct_out.line_flush && f == stdout && fflush(f)) || ferror(f))
		out_note_error();
	sb_free(b);
}

/* ---- every record to every output that is on ------------------------------------------ */

void render_start(const struct ct_start *s)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_start(&b, s);
		jemit(&b);
	}
	if (ct_out.human)
		text_header();
	if (s->scope == CT_SCOPE_COMMAND)
		junit_command((uint32_t)s->target, opt.cmd[0]);
}

void render_fd(const struct creation *c, enum ct_fd_verdict v, uint64_t t)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_fd(&b, c, v, t);
		jemit(&b);
	}
	if (ct_out.human)
		text_fd(c, v, t);
	sarif_fd(c, v);
	junit_fd(c, v);
}

void render_race(const struct creation *c, const struct witness *w, uint64_t t)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_race(&b, c, w, t);
		jemit(&b);
	}
	if (ct_out.human)
		text_race(c, w, t);
	sarif_race(c, w);
	junit_race(c, w);
}

void render_fate(const struct ct_inherited *it)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_fate(&b, it);
		jemit(&b);
	}
	if (ct_out.human)
		text_fate(it);
	sarif_fate(it);
	junit_fate(it);
}

void render_exec(const struct ct_exec_report *o)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_exec(&b, o);
		jemit(&b);
	}
	if (ct_out.human)
		text_exec(o);
	sarif_exec(o);
	junit_exec(o);
}

void render_lost(unsigned long lost)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_lost(&b, lost);
		jemit(&b);
	}
}

void render_summary(const struct ct_summary *s)
{
	struct sbuf b = {0};

	if (ct_out.json) {
		json_summary(&b, s);
		jemit(&b);
	}
	if (ct_out.human || opt.verbose)
		text_summary(s, ct_out.human ? stdout : stderr);
}
