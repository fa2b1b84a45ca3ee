# SPDX-License-Identifier: MIT
#
# bpf/module.mk - cloexec-trace: BPF object + skeleton (generic rules in the top-level Makefile)
# and the user side, split by job and linked against libbpf:
#   cloexec_trace.c  main: options -> BPF open/configure/load/attach -> poll loop -> summary
#   ct_events.c      the record pump: each record to the model, the decisions, the renderers
#   ct_model.c       fd tables, processes, creations, the inode index (facts only)
#   ct_file.c        what an fd is (kind, name) from its record
#   ct_decide.c      every verdict, one function each, and the statistics; the --fail-on table
#   ct_order.c       decided records held until their turn: output in time order
#   ct_out.c         output sinks and render_*(); ct_json.c, ct_text.c the two renderers
#   ct_names.c       the output words for enums and kernel numbers
#   ct_opts.c        the command line and --help
#   ct_kernel.c      load-time kernel feature probes (kfuncs, tracepoint arguments), the baseline
#   ct_stack.c       user stacks: unwound (DWARF CFI) and named with libdwfl as records arrive
#   ct_aspace.c      the traced processes' mapped files, for ct_stack.c (MAP records, /proc)
#   ct_render_stack.c  stacks in JSON and "created at" in text lines
#   ct_sarif.c       the SARIF 2.1.0 log (--sarif); ct_sarif_feed.c its findings from the records
#   ct_junit.c       the JUnit XML report (--junit); ct_junit_feed.c its findings from the records
#   ct_exit.c        the exit status: the table, first row that applies

CT_SRCS := cloexec_trace ct_events ct_model ct_file ct_decide ct_order ct_out ct_json ct_text \
	   ct_names ct_opts ct_kernel ct_stack ct_aspace ct_render_stack \
	   ct_sarif ct_sarif_feed ct_junit ct_junit_feed ct_exit
CT_OBJS := $(patsubst %,$(BUILD)/bpf/%.o,$(CT_SRCS))

# -MMD records the headers (and the skeleton) each object includes, for later rebuilds.
$(BUILD)/bpf/%.o: bpf/%.c | $(BUILD)/.build-root
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Ibpf -I$(BUILD)/bpf -c $< -o $@

# main and the kernel probe (it sets the skeleton's read-only switches) include the generated
# skeleton: build it first (order matters on a clean tree).
$(BUILD)/bpf/cloexec_trace.o $(BUILD)/bpf/ct_kernel.o: $(BUILD)/bpf/cloexec_trace.skel.h

# The skeleton embeds the object, which includes the shared header.
$(BUILD)/bpf/cloexec_trace.bpf.o: bpf/cloexec_trace.h

$(BUILD)/cloexec-trace: $(CT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LIBBPF_LIBS) -ldw $(LDLIBS)

BINS  += $(BUILD)/cloexec-trace
