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
