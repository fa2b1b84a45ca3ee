/* SPDX-License-Identifier: MIT */
/*
 * ct_order.h - cloexec-trace's decided records on their way out, in time order (ct_order.c).
 *
 * Every record leaves the tracer ordered by its t_ns (bpf/SCHEMA.md): a decided record waits in
 * one queue, keyed by t_ns, until no earlier one can come any more. That is when the reader has
 * consumed the ring buffer up to a moment ORDER_SLACK_NS later than the record (records reach
 * the ring buffer in about the order the kernel took their times; the slack covers one CPU's
 * record overtaking another's), and no exec record before it is still held. An exec record is
 * held until its creators' verdicts are final and its inherited fds' fates are known, at most
 * --fate-wait MS after the exec; everything behind it waits with it. So a record is written at
 * most max(--fate-wait, ORDER_SLACK_NS) plus one poll (50 ms) after it happened; at the end of
 * the trace every record goes out, in order.
 */
#ifndef CLOEXEC_TRACE_ORDER_H
#define CLOEXEC_TRACE_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_decide.h"

/* A record reached the reader at most this long after the kernel took its time. */
#define ORDER_SLACK_NS 250000000ULL

/* Queue a record (the queue takes over the caller's reference, or the report). */
void order_fd(struct creation *c, enum ct_fd_verdict v, uint64_t t);
void order_race(struct creation *c, const struct witness *w, uint64_t t);
void order_exec(struct ct_exec_report *o);
void order_fate(struct ct_inherited *it);

/*
 * Write what may go at time now (CLOCK_MONOTONIC, read before the ring buffer was consumed):
 * records up to now - ORDER_SLACK_NS, except behind an exec record still held, at most max of
 * them (true: more are ready; the caller reads the ring buffer in between, so writing a
 * backlog does not leave the ring full); all: everything.
 */
bool order_flush(uint64_t now, bool all, unsigned max);

/*
 * Records waiting. Past ORDER_MAX_PENDING the reader stops reading the ring buffer until the
 * oldest have gone out: a tracer that cannot write as fast as records come loses records in
 * the kernel (counted, reported, exit 1 with --fail-on lost) instead of growing without bound.
 */
#define ORDER_MAX_PENDING (1u << 21)
unsigned order_pending(void);

/* Drop a reference to a decided inherited fd, and free an exec report (and its references). */
void inherited_put(struct ct_inherited *it);
void exec_report_free(struct ct_exec_report *o);

#endif
