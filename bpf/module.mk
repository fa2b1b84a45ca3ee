# SPDX-License-Identifier: MIT
#
# bpf/module.mk - cloexec-trace: BPF object + skeleton (generic rules in the top-level Makefile)
# and the loader, linked against libbpf.

CT_OBJS := $(BUILD)/bpf/cloexec_trace.o $(BUILD)/bpf/ct_out.o $(BUILD)/bpf/ct_kernel.o

$(BUILD)/bpf/ct_out.o: bpf/ct_out.c | $(BUILD)/.build-root
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Ibpf -c $< -o $@

# The loader includes the generated skeleton: build it first (order matters on a clean tree);
# -MMD records the skeleton and bpf/cloexec_trace.h as dependencies for later rebuilds.
$(BUILD)/bpf/cloexec_trace.o: bpf/cloexec_trace.c $(BUILD)/bpf/cloexec_trace.skel.h bpf/cloexec_trace.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Ibpf -I$(BUILD)/bpf -c $< -o $@

# The kernel probe sets the skeleton's read-only switches.
$(BUILD)/bpf/ct_kernel.o: bpf/ct_kernel.c $(BUILD)/bpf/cloexec_trace.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Ibpf -I$(BUILD)/bpf -c $< -o $@

# The skeleton embeds the object, which includes the shared header.
$(BUILD)/bpf/cloexec_trace.bpf.o: bpf/cloexec_trace.h

$(BUILD)/cloexec-trace: $(CT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lbpf -lelf -lz $(LDLIBS)

BINS  += $(BUILD)/cloexec-trace
