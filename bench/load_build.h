/* SPDX-License-Identifier: MIT */
/*
 * load_build.h - cloexec-load's build figure (load_build.c): a C build untraced, under the
 * floor and traced, interleaved each round, and what the tracer found in it. What
 * load_main.c wires.
 */
#ifndef CLOEXEC_LAB_LOAD_BUILD_H
#define CLOEXEC_LAB_LOAD_BUILD_H

void fig_build(void);

#endif
