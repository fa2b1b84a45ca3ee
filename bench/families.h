/* SPDX-License-Identifier: MIT */
/*
 * families.h - the benchmark families of cloexec-bench, one registration per file (socket.c,
 * accept.c, fdops.c, spawn.c, trace.c): what main.c wires. Each registers its families with
 * the binding (gbench.h) and uses the ground below it (bench.h).
 */
#ifndef CLOEXEC_LAB_BENCH_FAMILIES_H
#define CLOEXEC_LAB_BENCH_FAMILIES_H

void bench_register_socket(void);
void bench_register_accept(void);
void bench_register_fdops(void);
void bench_register_spawn(void);
/*
 * The trace_* groups: the tracer is tracer (NULL: build/cloexec-trace); with before set, every
 * variant that runs a tracer is registered a second time as "<variant>@before", run with that
 * program (main's tracer, say) in the same interleaved run.
 */
void bench_register_trace(const char *tracer, const char *before);

#endif
