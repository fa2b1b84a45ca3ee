#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run.sh - the main job behind `make run`: deps, build, reproduction, runtime matrix,
# benchmarks, report; each step timed, with a progress line before and after. A step
# that fails is reported and the rest still run, so the report is built from whatever
# exists; the job then exits 1. QUICK=1 runs the short version of each step.
#
#   make run            full run (well under 30 minutes on 2 cores)
#   make run QUICK=1    short version (a few minutes)
set -u
make=${MAKE:-make}
quick=${QUICK:-}
jobs=$(nproc 2>/dev/null || echo 2)
qarg=()
[ -n "$quick" ] && qarg=("QUICK=$quick")

names=(deps build repro matrix bench report)
cmds=(
	"bash scripts/deps.sh"
	"$make --no-print-directory -j$jobs all"
	"$make --no-print-directory repro ${qarg[*]:-}"
	"$make --no-print-directory matrix ${qarg[*]:-}"
	"$make --no-print-directory bench ${qarg[*]:-}"
	"$make --no-print-directory report"
)
n=${#names[@]}
status=()
times=()
failed=0
t_all=$(date +%s.%N)
mode=${quick:+ (QUICK=$quick)}
echo "run: cloexec-lab main job$mode on $(hostname), $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
for i in "${!names[@]}"; do
	step=$((i + 1))
	echo "[$step/$n] ${names[$i]} ... (${cmds[$i]})"
	t0=$(date +%s.%N)
	if [ "${names[$i]}" = report ] && [ $failed -gt 0 ]; then
		# Tell the reader which sections may show older results.
		failed_steps=$(for j in "${!status[@]}"; do
			[ "${status[$j]}" = ok ] || printf '%s ' "${names[$j]}"; done)
		export REPORT_ARGS="--note 'make run: these steps failed: ${failed_steps% }; their \
sections show the results that exist from earlier runs (see the input dates at the end).'"
	fi
	bash -c "${cmds[$i]}"
	rc=$?
	dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	times+=("$dt")
	if [ $rc -eq 0 ]; then
		status+=("ok")
		echo "[$step/$n] ${names[$i]}: ok (${dt} s)"
	else
		status+=("FAILED (exit $rc)")
		failed=$((failed + 1))
		echo "[$step/$n] ${names[$i]}: FAILED with exit status $rc after ${dt} s; going on"
	fi
done
total=$(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
echo "run: summary"
for i in "${!names[@]}"; do
	printf '  %-8s %-20s %8s s\n' "${names[$i]}" "${status[$i]}" "${times[$i]}"
done
echo "run: $((n - failed)) of $n steps ok in ${total} s"
if [ -f results/report.html ] && [ "${status[$((n - 1))]}" = ok ]; then
	[ $failed -eq 0 ] ||
		echo "run: $failed step(s) failed; the report shows the results that exist"
	echo "report: results/report.html (and results/report.md)"
else
	echo "report: not built (the report step failed, see above)"
fi
[ $failed -eq 0 ]
