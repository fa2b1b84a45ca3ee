/* SPDX-License-Identifier: MIT */
/*
 * ct_kernel.h - what the running kernel offers cloexec-trace, probed at load time.
 *
 * ct_kernel_configure() runs between skeleton open and load. It reads the kernel's BTF once and
 * - refuses, with one sentence naming what is missing, a kernel below the baseline: BTF, BPF
 *   ring buffers (5.8), bpf_get_current_task_btf (5.11), bpf_task_pt_regs (5.15), bpf_loop
 *   (5.17), and the raw tracepoints sys_exit and sched_process_fork/exec/exit;
 * - sets the read-only switches of the features beyond it, each with a fallback in the BPF
 *   code: the bpf_rdonly_cast kfunc (6.2+; else fields are read with bpf_probe_read_kernel) and
 *   sched_process_exit's group_dead argument (6.18 has it, 6.1 does not; else signal->live).
 * The environment variable CLOEXEC_TRACE_BASELINE=1 turns every feature beyond the baseline off,
 * to run the fallbacks on a newer kernel. -v prints what was found.
 */
#ifndef CLOEXEC_TRACE_KERNEL_H
#define CLOEXEC_TRACE_KERNEL_H

struct cloexec_trace_bpf;

/* 0, or -1 after printing why this kernel cannot run the tracer (exit 3). */
int ct_kernel_configure(struct cloexec_trace_bpf *skel, int verbose);

/* After cloexec_trace_bpf__load() failed with err (< 0): one line saying so. */
void ct_kernel_load_failed(int err);

#endif
