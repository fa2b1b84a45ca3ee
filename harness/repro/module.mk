# SPDX-License-Identifier: MIT
#
# harness/repro - the port-reuse and cloexec-race reproduction.
#   build/repro/librepro.a   scenario engine (scenarios.c, race.c, report.c), used by tool and tests
#   build/cloexec-repro      the tool;  build/cloexec-repro-child  the spawned helper
#   make repro               run every scenario and the race, write results/repro.json

REPRO_LIB_SRCS := harness/repro/scenarios.c harness/repro/race.c harness/repro/report.c \
		  harness/repro/tapdrive.c
REPRO_LIB_OBJS := $(patsubst harness/repro/%.c,$(BUILD)/repro/%.o,$(REPRO_LIB_SRCS))
LIBREPRO       := $(BUILD)/repro/librepro.a
REPRO_TESTS    := $(patsubst harness/t/%.c,%,$(wildcard harness/t/repro_*.c))
REPRO_RACE_SPAWNS ?= $(if $(QUICK),500,2000)

$(BUILD)/repro/%.o: harness/repro/%.c | $(BUILD)/.build-root
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -Iharness/repro -c $< -o $@

$(LIBREPRO): $(REPRO_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/cloexec-repro: $(BUILD)/repro/cloexec-repro.o $(LIBREPRO) $(LIBLAB)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LIBREPRO) $(LIBLAB) $(LDLIBS)

$(BUILD)/cloexec-repro-child: $(BUILD)/repro/child.o
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS)

BINS  += $(BUILD)/cloexec-repro $(BUILD)/cloexec-repro-child

# The tests link the engine and need the helper at run time.
$(foreach t,$(REPRO_TESTS),$(eval TEST_CFLAGS_$(t) := -Iharness/repro)$(eval TEST_LDLIBS_$(t) := $(LIBREPRO)))
$(patsubst %,$(BUILD)/t/%,$(REPRO_TESTS)): $(LIBREPRO) $(BUILD)/cloexec-repro-child
$(BUILD)/t/repro_tool: $(BUILD)/cloexec-repro

repro: $(BUILD)/cloexec-repro $(BUILD)/cloexec-repro-child
	$(Q)mkdir -p results
	$(Q)CLOEXEC_LAB_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
		$(BUILD)/cloexec-repro --race-spawns $(REPRO_RACE_SPAWNS) --json results/repro.json
