/* SPDX-License-Identifier: MIT */
/*
 * ct_junit_feed.h - the tracer's decided records as JUnit findings (ct_junit_feed.c): called by
 * render_*() (ct_out.c) beside the other renderers; reads, changes nothing.
 */
#ifndef CLOEXEC_TRACE_JUNIT_FEED_H
#define CLOEXEC_TRACE_JUNIT_FEED_H

#include "ct_decide.h"

/* -- CMD: the traced command's pid runs program (as it was given) from the start. */
void junit_command(uint32_t pid, const char *program);
void junit_fd(const struct creation *c, enum ct_fd_verdict v);
void junit_race(const struct creation *c, const struct witness *w);
void junit_exec(const struct ct_exec_report *o);
void junit_fate(const struct ct_inherited *it);

#endif
