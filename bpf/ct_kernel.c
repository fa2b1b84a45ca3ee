// SPDX-License-Identifier: MIT
/*
 * ct_kernel.c - cloexec-trace's load-time look at the running kernel (see ct_kernel.h): the
 * baseline it needs, checked in the kernel's BTF so a kernel without it gets a sentence instead
 * of a verifier error, and the features beyond it, which switch the BPF code's fallbacks.
 */
#include "ct_kernel.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cloexec_trace.skel.h"
#include "ct_opts.h"

/* What the tracer cannot do without, as the kernel's BTF shows it. */
static const struct {
	const char *enum_type; /* NULL: name is a typedef */
	const char *name;
	const char *what;
} baseline[] = {
    {"bpf_map_type", "BPF_MAP_TYPE_RINGBUF", "BPF ring buffers (Linux 5.8)"},
    {"bpf_func_id", "BPF_FUNC_get_current_task_btf", "the bpf_get_current_task_btf helper (5.11)"},
    {"bpf_func_id", "BPF_FUNC_task_pt_regs", "the bpf_task_pt_regs helper (5.15)"},
    {"bpf_func_id", "BPF_FUNC_loop", "the bpf_loop helper (5.17)"},
    {NULL, "btf_trace_sys_exit", "the sys_exit raw tracepoint"},
    {NULL, "btf_trace_sched_process_fork", "the sched_process_fork raw tracepoint"},
    {NULL, "btf_trace_sched_process_exec", "the sched_process_exec raw tracepoint"},
    {NULL, "btf_trace_sched_process_exit", "the sched_process_exit raw tracepoint"},
};

static bool has_enumerator(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *v;

	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	v = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, v[i].name_off), name))
			return true;
	return false;
}

/* Parameters of a raw tracepoint's btf_trace_<name> prototype, without the context; -1: none. */
static int tp_args(const struct btf *btf, const char *typedef_name)
{
	int id = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF);
	const struct btf_type *t;

	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? btf_vlen(t) - 1 : -1;
}

static const char *release(void)
{
	static struct utsname u;

	return uname(&u) ? "?" : u.release;
}

int ct_kernel_configure(struct cloexec_trace_bpf *skel, int verbose)
{
	const char *forced = getenv("CLOEXEC_TRACE_BASELINE");
	bool baseline_only = forced && *forced && strcmp(forced, "0");
	struct btf *btf = btf__load_vmlinux_btf();
	int err = 0;

	if (!btf) {
		fprintf(stderr, "%s: failed to read the kernel's BTF: %s\n", TOOL, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(baseline) / sizeof(baseline[0]); i++) {
		bool ok = baseline[i].enum_type
			      ? has_enumerator(btf, baseline[i].enum_type, baseline[i].name)
			      : btf__find_by_name_kind(btf, baseline[i].name, BTF_KIND_TYPEDEF) > 0;

		if (!ok) {
			fprintf(
			    stderr,
			    "%s: this kernel (%s) lacks %s, which the tracer needs (Linux 5.17 or "
			    "later has everything it needs)\n",
			    TOOL, release(), baseline[i].what);
			err = -1;
			goto out;
		}
	}
	skel->rodata->have_rdonly_cast =
	    !baseline_only && btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	skel->rodata->have_exit_group_dead =
	    !baseline_only && tp_args(btf, "btf_trace_sched_process_exit") >= 2;
	if (verbose)
		fprintf(stderr,
			"%s: kernel %s: bpf_rdonly_cast %s, sched_process_exit group_dead %s%s\n",
			TOOL, release(),
			skel->rodata->have_rdonly_cast ? "yes" : "no (bpf_probe_read_kernel)",
			skel->rodata->have_exit_group_dead ? "yes" : "no (signal->live)",
			baseline_only ? " (CLOEXEC_TRACE_BASELINE: baseline only)" : "");
out:
	btf__free(btf);
	return err;
}

void ct_kernel_load_failed(int err)
{
	fprintf(stderr,
		"%s: failed to load BPF programs: %s (kernel %s; -v -v shows the verifier's log)\n",
		TOOL, strerror(-err), release());
}
