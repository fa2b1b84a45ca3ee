/* SPDX-License-Identifier: MIT */
/*
 * ct_events.h - the record pump of cloexec-trace: each ring-buffer record updates the model
 * (ct_model.c), the decisions (ct_decide.c) judge what became known, and the renderers
 * (ct_render.h) print it. Exec records wait until their creators' verdicts are final.
 */
#ifndef CLOEXEC_TRACE_EVENTS_H
#define CLOEXEC_TRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

extern int live_count; /* traced processes alive (command / pid scope) */

/* The ring buffer's callback: one record. */
int handle_event(void *ctx, void *data, size_t len);

/* Print the exec records that are ready at time now (all: every one, at the end). */
void events_flush_execs(bool all, uint64_t now);

/* The traced pid (-p, or CMD before its exec, launched by us as parent self). */
void events_track_target(pid_t target, bool launched, pid_t self);

/* The end of the trace: fds still open are final as they are, every exec record printed. */
void events_finish(void);

#endif
