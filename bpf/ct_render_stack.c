// SPDX-License-Identifier: MIT
/*
 * ct_render_stack.c - where an fd was made, for the renderers: the "stack" and "created_at"
 * members of JSON records (bpf/SCHEMA.md) and the "created at FUNCTION (file:line)" of a text
 * line. Only reads the stack it is given.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ct_render_stack.h"

/* path relative to the working directory when it is below it (text lines stay short). */
const char *ct_short_path(const char *path)
{
	static char cwd[PATH_MAX];
	static size_t n;

	if (!n && getcwd(cwd, sizeof(cwd)))
		n = strlen(cwd);
	if (path && n > 1 && !strncmp(path, cwd, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

static void json_hex(struct sbuf *b, const char *key, uint64_t v)
{
	sb_printf(b, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

static void json_opt_str(struct sbuf *b, const char *key, const char *v)
{
	sb_printf(b, ",\"%s\":", key);
	if (v)
		sb_json_str(b, v);
	else
		sb_puts(b, "null");
}

static void json_frame(struct sbuf *b, const struct ct_frame *f)
{
	sb_printf(b, "{\"address\":\"0x%llx\"", (unsigned long long)f->addr);
	json_opt_str(b, "module", f->module);
	json_opt_str(b, "build_id", f->build_id);
	if (f->has_offset)
		json_hex(b, f->offset_is_file ? "file_offset" : "offset", f->offset);
	json_opt_str(b, "function", f->function);
	json_opt_str(b, "file", f->file);
	if (f->line > 0)
		sb_printf(b, ",\"line\":%d", f->line);
	else
		sb_puts(b, ",\"line\":null");
	if (f->inlined)
		sb_puts(b, ",\"inlined\":true");
	if (f->folded)
		sb_puts(b, ",\"folded\":true");
	sb_putc(b, '}');
}

/* The frame that says where: the caller, or further out the first one with a source line. */
static const struct ct_frame *where(const struct ct_stack *s)
{
	const struct ct_frame *c = ct_stack_caller(s), *src = ct_stack_source(s);

	return c && c->line > 0 ? c : src ? src : c;
}

void json_stack(struct sbuf *b, const struct ct_stack *s)
{
	const struct ct_frame *w = where(s);

	if (!s)
		return;
	sb_printf(b, ",\"stack\":{\"of\":\"%s\",\"frames\":[", ct_stack_of_name(s->of));
	for (int i = 0; i < s->n; i++) {
		if (i)
			sb_putc(b, ',');
		json_frame(b, &s->f[i]);
	}
	sb_printf(b, "],\"truncated\":%s", s->truncated ? "true" : "false");
	if (s->error) {
		sb_puts(b, ",\"error\":");
		sb_json_str(b, s->error);
	}
	sb_puts(b, "},\"created_at\":");
	if (!w) {
		sb_puts(b, "null");
		return;
	}
	sb_puts(b, "{\"function\":");
	if (w->function)
		sb_json_str(b, w->function);
	else
		sb_puts(b, "null");
	json_opt_str(b, "file", w->file);
	if (w->line > 0)
		sb_printf(b, ",\"line\":%d", w->line);
	else
		sb_puts(b, ",\"line\":null");
	json_opt_str(b, "module", w->module);
	sb_putc(b, '}');
}

/* "main (server.c:57)", "socket_create (liblua5.4-socket.so.2+0xbaf0)", "0x7f12.. (?)" */
static int frame_text(char *buf, size_t len, const struct ct_frame *f)
{
	const char *mod = f->module ? strrchr(f->module, '/') : NULL;

	mod = mod ? mod + 1 : f->module;
	if (f->file && f->line > 0)
		return snprintf(buf, len, "%s (%s:%d)", f->function ? f->function : "?",
				ct_short_path(f->file), f->line);
	if (f->function)
		return snprintf(buf, len, "%s (%s)", f->function, mod ? mod : "?");
	if (mod && f->has_offset)
		return snprintf(buf, len, "%s+0x%llx%s%s", mod, (unsigned long long)f->offset,
				f->build_id ? " build-id " : "", f->build_id ? f->build_id : "");
	return snprintf(buf, len, "0x%llx (no module)", (unsigned long long)f->addr);
}

void text_created_at(char *buf, size_t len, const struct ct_stack *s)
{
	const struct ct_frame *c = ct_stack_caller(s), *src = ct_stack_source(s);
	const char *what = s && s->of == CT_STACK_OF_CLEAR ? "flag cleared at" : "created at";
	int n;

	buf[0] = 0;
	if (!s || len < 2)
		return;
	if (!c) {
		snprintf(buf, len, "%s ? (%s)", what, s->error ? s->error : "no frames");
		return;
	}
	n = snprintf(buf, len, "%s ", what);
	if (n < 0 || (size_t)n >= len)
		return;
	n += frame_text(buf + n, len - (size_t)n, c);
	/* the caller has no source line (a library without debug info): the first one that has */
	if (src && src != c && (size_t)n < len) {
		n += snprintf(buf + n, len - (size_t)n, ", from ");
		if ((size_t)n < len)
			frame_text(buf + n, len - (size_t)n, src);
	}
}
