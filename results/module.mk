# SPDX-License-Identifier: MIT
#
# results/module.mk - what people read and what CI gates on:
#
#   make report                 results/report.md + report.html (+ charts/*.svg) from the latest
#                               results/repro.json, results/matrix.json, results/bench/latest.json
#   make compare BASE=a.json NEW=b.json [THRESHOLD=0.05] [ALPHA=0.01]
#                               Google Benchmark's compare.py table + a gate: fails on a median
#                               slowdown > THRESHOLD with U-test p < ALPHA
#   make run [QUICK=1]          the main job: deps, build, repro, matrix, bench, report
#
# The scripts are also usable by hand: results/report.py --help, results/compare.py --help.

THRESHOLD ?= 0.05
ALPHA     ?= 0.01
REPORT_ARGS ?=

report:
	$(Q)$(PYTHON) results/report.py $(REPORT_ARGS)

compare:
	$(Q)if [ -z "$(BASE)" ] || [ -z "$(NEW)" ]; then \
		echo "compare: usage: make compare BASE=a.json NEW=b.json" \
			"[THRESHOLD=0.05] [ALPHA=0.01]" >&2; \
		exit 2; fi
	$(Q)$(PYTHON) results/compare.py --threshold '$(THRESHOLD)' --alpha '$(ALPHA)' \
		-- '$(BASE)' '$(NEW)'

# '+': the steps are sub-makes (jobserver, and they run under make -n too).
run:
	+$(Q)MAKE='$(MAKE)' QUICK='$(QUICK)' PYTHON='$(PYTHON)' bash results/run.sh
