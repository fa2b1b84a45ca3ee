// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * floor.bpf.c - the floor of any syscall tracer: one empty tp_btf/sys_exit program. Every
 * syscall of every process runs it once and it returns at once, so what it costs is what the
 * kernel charges for a BPF program on this tracepoint (the trampoline, the call, and the
 * run-time accounting when kernel.bpf_stats_enabled is 1). cloexec-trace's kernel side
 * attaches the same tracepoint: what it costs beyond this program is its own work.
 * Loaded by bench/floor.c (build/bench/cloexec-floor).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
