/* SPDX-License-Identifier: MIT */
/*
 * ct_render_stack.h - where an fd was made, for the renderers (ct_render_stack.c): JSON members
 * and the text of "created at FUNCTION (file:line)".
 */
#ifndef CLOEXEC_TRACE_RENDER_STACK_H
#define CLOEXEC_TRACE_RENDER_STACK_H

#include <stddef.h>

#include "ct_out.h"
#include "ct_stack.h"

/* ,"stack":{...},"created_at":{...} (nothing for NULL: no stack was taken). */
void json_stack(struct sbuf *b, const struct ct_stack *s);
/* "created at main (server.c:57)" into buf ("" for NULL). */
void text_created_at(char *buf, size_t len, const struct ct_stack *s);
/* path relative to the working directory when below it. */
const char *ct_short_path(const char *path);

#endif
