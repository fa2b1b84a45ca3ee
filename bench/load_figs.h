/* SPDX-License-Identifier: MIT */
/*
 * load_figs.h - cloexec-load's figures made of producers (load_figs.c), each run beside its
 * floor and writing its rows: churn (with the flag, op dup3_cloexec, or without it), procs,
 * rate and footprint. What load_main.c wires.
 */
#ifndef CLOEXEC_LAB_LOAD_FIGS_H
#define CLOEXEC_LAB_LOAD_FIGS_H

#include "load.h"

void fig_churn(enum op op);
void fig_procs(void);
void fig_rate(void);
void fig_footprint(void);

#endif
