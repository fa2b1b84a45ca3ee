#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test-repeat.sh BUILD [N [JOBS]] - the whole test suite N times (default 5) with a CPU load
# beside it: one busy loop per core, started here and killed here, by pid, when the runs end or
# this script is interrupted. A test that passes alone and fails under load is flaky (a bare
# sleep, a bound too tight, a race): every failure is worth a look. Each run is
# scripts/run-tests.sh BUILD JOBS (prove, JUnit), its console kept in BUILD/test-repeat/run-I.log
# and its JUnit file as BUILD/test-repeat/junit-I.xml. Prints a line per run (the failed test
# files) and at the end "test-repeat: N runs under load (L busy loops): F failed".
# Exit 0 when every run passed, 1 otherwise.
set -u
build=${1:-build}
n=${2:-5}
jobs=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
case "$n" in '' | *[!0-9]* | 0) echo "test-repeat: N must be a number >= 1, not '$n'" >&2; exit 2 ;; esac
out=$build/test-repeat
mkdir -p "$out" || exit 1
loops=$(nproc 2>/dev/null || echo 2)
pids=()

stop_load() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
}
trap stop_load EXIT
trap 'stop_load; exit 130' INT
trap 'stop_load; exit 143' TERM

for ((i = 0; i < loops; i++)); do
	(while :; do :; done) </dev/null >/dev/null 2>&1 &
	pids+=($!)
done
echo "test-repeat: $n runs of the suite (J=$jobs) beside $loops busy loops (pids ${pids[*]})"
failed=0
for ((i = 1; i <= n; i++)); do
	t0=$(date +%s)
	bash "$here/run-tests.sh" "$build" "$jobs" >"$out/run-$i.log" 2>&1
	rc=$?
	t1=$(date +%s)
	[ -f "$build/test-results/junit.xml" ] && cp "$build/test-results/junit.xml" "$out/junit-$i.xml"
	if [ $rc -eq 0 ]; then
		echo "test-repeat: run $i/$n passed ($((t1 - t0)) s; $(grep -m1 '^Files=' "$out/run-$i.log"))"
	else
		failed=$((failed + 1))
		bad=$(sed -n 's/^\([^ ]*\) *(Wstat.*/\1/p' "$out/run-$i.log" | tr '\n' ' ')
		grep -q 'Bailout called' "$out/run-$i.log" && bad="$bad(bail out: $(grep -m1 'Bailout called' "$out/run-$i.log"))"
		echo "test-repeat: run $i/$n FAILED ($((t1 - t0)) s, exit $rc): ${bad:-see $out/run-$i.log}"
	fi
done
stop_load
echo "test-repeat: $n runs under load ($loops busy loops): $failed failed"
[ $failed -eq 0 ]
