/* SPDX-License-Identifier: MIT */
/*
 * ct_events.h - the record pump of cloexec-trace: each ring-buffer record updates the model
 * (ct_model.c), the decisions (ct_decide.c) judge what became known, and the output queue
 * (ct_order.h) writes it in time order. Exec records wait until their creators' verdicts are
 * final and their inherited fds' fates are known, at most --fate-wait.
 */
#ifndef CLOEXEC_TRACE_EVENTS_H
#define CLOEXEC_TRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

extern int live_count; /* traced processes alive (command / pid scope) */

/*
 * The ring buffer's callback: one record. After n records since events_batch(n) it returns
 * EVENTS_BATCH_DONE (the record is consumed; libbpf stops and returns it), so a producer as
 * fast as the reader cannot keep a consume call from returning: the records decided meanwhile
 * go out at least every batch instead of piling up in memory.
 */
#define EVENTS_BATCH	  32768
#define EVENTS_BATCH_DONE (-11000)
int handle_event(void *ctx, void *data, size_t len);
/* Start a new batch of at most n records. */
void events_batch(unsigned n);

/* Write the records whose turn has come at time now (CLOCK_MONOTONIC, read before the ring
 * buffer was consumed), at most max; true when more are ready. */
bool events_flush(uint64_t now, unsigned max);
/* Whether so many records wait to be written that no more should be read for now. */
bool events_backlog(void);

/* The traced pid (-p, or CMD before its exec, launched by us as parent self). */
void events_track_target(pid_t target, bool launched, pid_t self);

/* The end of the trace at time now: fds still open are final as they are, every fate settled,
 * every record written. */
void events_finish(uint64_t now);

#endif
