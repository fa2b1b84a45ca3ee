/* SPDX-License-Identifier: MIT */
/*
 * load_run.h - one run of cloexec-load (load_run.c): the process tree we fork, under nothing,
 * the floor or a tracer, as struct trial (load.h) asks; what it gave in struct trial_out.
 * Used by the figures (load_figs.c, load_build.c).
 */
#ifndef CLOEXEC_LAB_LOAD_RUN_H
#define CLOEXEC_LAB_LOAD_RUN_H

#include "load.h"

#include <stddef.h>

/* 0, or -1 with why (the run failed: nothing to report). */
int run_trial(const struct trial *tr, struct trial_out *o, char *why, size_t len);

#endif
