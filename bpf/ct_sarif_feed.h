/* SPDX-License-Identifier: MIT */
/*
 * ct_sarif_feed.h - the tracer's decided records as SARIF findings (ct_sarif_feed.c): called by
 * render_*() (ct_out.c) beside the JSON and text renderers; reads, changes nothing.
 */
#ifndef CLOEXEC_TRACE_SARIF_FEED_H
#define CLOEXEC_TRACE_SARIF_FEED_H

#include "ct_decide.h"

void sarif_fd(const struct creation *c, enum ct_fd_verdict v);
void sarif_race(const struct creation *c, const struct witness *w);
void sarif_exec(const struct ct_exec_report *o);
void sarif_fate(const struct ct_inherited *it);

#endif
