/* SPDX-License-Identifier: MIT */
/*
 * ct_out.h - a growable string buffer for cloexec-trace's output lines, with JSON string
 * escaping (bytes that are not valid UTF-8 become \u00XX, see bpf/SCHEMA.md).
 */
#ifndef CLOEXEC_TRACE_OUT_H
#define CLOEXEC_TRACE_OUT_H

#include <stddef.h>

struct sbuf {
	char *p;
	size_t len, cap;
};

void sb_putc(struct sbuf *b, char c);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a quoted, escaped JSON string. */
void sb_json_str(struct sbuf *b, const char *s);
void sb_free(struct sbuf *b);

#endif
