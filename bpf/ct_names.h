/* SPDX-License-Identifier: MIT */
/*
 * ct_names.h - the words of cloexec-trace's output (bpf/SCHEMA.md) for its enums and numbers;
 * used by the renderers only.
 */
#ifndef CLOEXEC_TRACE_NAMES_H
#define CLOEXEC_TRACE_NAMES_H

#include <stddef.h>

#include "ct_decide.h"
#include "ct_file.h"

const char *sc_name(unsigned sc);
const char *family_name(unsigned family, char *buf, size_t len);
const char *stype_name(unsigned type, char *buf, size_t len);
const char *fkind_name(enum ct_fkind k);
const char *fd_verdict_name(enum ct_fd_verdict v);
const char *set_by_name(enum ct_set_by s);
const char *inherit_name(enum ct_inherit v);
const char *reason_name(enum ct_reason r); /* NULL: none */
const char *fate_name(enum ct_fate f);
const char *spawn_name(enum ct_spawn s);       /* NULL: unknown */
const char *tristate_name(enum ct_tristate t); /* "null", "false", "true" */
const char *exit_reason_name(int reason);      /* enum ct_exit_reason (ct_render.h) */

/* The kind of a creation, and of an fd record. */
enum ct_fkind creation_fkind(const struct creation *c);
enum ct_fkind event_fkind(const struct ct_event *x);

/* "127.0.0.1:40123" / "[::1]:40123" of an inet socket record; "" for others. */
void local_addr(const struct ct_event *e, char *buf, size_t len);

#endif
