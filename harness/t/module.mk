# SPDX-License-Identifier: MIT
#
# harness/t/module.mk - per-test and per-helper build variables of the tracer tests
# (trace_*), the truth fixtures (helpers/fx_*) and the JSON reader test.

# fx_child is linked statically (when not sanitized) so the dynamic loader opens no
# files of its own in the traced children: their fd records stay the fixture's.
HELPER_LDLIBS_fx_child := $(if $(SANITIZE),,-static)

# The truth fixtures include helpers/fx_common.h: rebuild them when it changes.
$(patsubst harness/t/helpers/%.c,$(BUILD)/t/helpers/%,$(wildcard harness/t/helpers/fx_*.c)): \
	harness/t/helpers/fx_common.h

# The stack symbolizer's unit test links the tracer's own modules (bpf/ct_stack.c, ct_aspace.c,
# and ct_model.c for its allocators) and elfutils.
STACK_UNIT_OBJS := $(BUILD)/bpf/ct_stack.o $(BUILD)/bpf/ct_aspace.o $(BUILD)/bpf/ct_model.o
$(BUILD)/t/stack_unwind: $(STACK_UNIT_OBJS)
TEST_CFLAGS_stack_unwind := -Ibpf
TEST_LDLIBS_stack_unwind := $(STACK_UNIT_OBJS) -ldw -lelf

# The stack fixture's stripped copies (the same code): symbols but no debug info, and nothing.
FX_STACK := $(BUILD)/t/helpers/fx_stack
$(FX_STACK)_nodebug: $(FX_STACK)
	$(call msg,STRIP,$@)
	$(Q)strip --strip-debug -o $@ $<
$(FX_STACK)_stripped: $(FX_STACK)
	$(call msg,STRIP,$@)
	$(Q)strip --strip-all -o $@ $<
HELPERS += $(FX_STACK)_nodebug $(FX_STACK)_stripped

# trace_stack finds the fixture's marked lines in the source tree.
TEST_CFLAGS_trace_stack := -DSRCDIR='"$(CURDIR)"'
$(BUILD)/t/trace_stack: $(FX_STACK)_nodebug $(FX_STACK)_stripped
TEST_CFLAGS_trace_sarif := -DSRCDIR='"$(CURDIR)"'
$(BUILD)/t/trace_sarif: $(FX_STACK)
TEST_CFLAGS_trace_exit := -DSRCDIR='"$(CURDIR)"'
