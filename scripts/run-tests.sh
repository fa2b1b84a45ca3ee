#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-tests.sh BUILD [JOBS [TEST...]] - run the TAP tests under prove from a clean fd baseline.
# Tests are the compiled harness/t/*.c (in BUILD/t) plus executable harness/t/*.sh and *.py; given
# TEST arguments, only those. The shell that runs us may leak fds (a /dev/null at 10, a pipe at
# 251...): close them here so no test inherits them; each test also closes strays itself.
#
# The console shows prove's usual TAP progress and summary; the same run is also written as
# JUnit XML to BUILD/test-results/junit.xml (CloexecLab::TAPFormatter in scripts/perl, with
# TAP::Formatter::JUnit from libtap-formatter-junit-perl; without that package: a note, and
# no file). The exit code is prove's.
set -u
build=${1:-build}
jobs=${2:-1}
shift $(($# < 2 ? $# : 2))
here=$(cd "$(dirname "$0")" && pwd)
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
done
tests=()
if [ $# -gt 0 ]; then
	tests=("$@")
else
	# The tests of this tree: a binary in BUILD/t left over from a test that was removed or
	# renamed does not run.
	for src in harness/t/*.c; do
		t=$build/t/$(basename "$src" .c)
		[ -f "$t" ] && [ -x "$t" ] && tests+=("$t")
	done
	for t in harness/t/*.sh harness/t/*.py; do
		[ -f "$t" ] && [ -x "$t" ] && tests+=("$t")
	done
fi
if [ ${#tests[@]} -eq 0 ]; then
	echo "run-tests: no tests found under $build/t" >&2
	exit 1
fi
export CLOEXEC_LAB_BUILD=$(cd "$build" && pwd)
# prove's -I reaches the tests, not prove itself: the formatter's directory goes to perl.
prove=(prove)
junit=$CLOEXEC_LAB_BUILD/test-results/junit.xml
rm -f "$junit" "$junit.tmp"
if perl -MTAP::Formatter::JUnit -e 1 2>/dev/null; then
	mkdir -p "${junit%/*}" || exit 1
	export CLOEXEC_LAB_JUNIT=$junit
	prove=(perl -I "$here/perl" "$(command -v prove)" --formatter CloexecLab::TAPFormatter)
else
	echo "run-tests: no JUnit file: TAP::Formatter::JUnit is missing" \
		"(apt-get install libtap-formatter-junit-perl, or make deps)" >&2
fi
"${prove[@]}" --timer -j "$jobs" --exec '' "${tests[@]}" </dev/null
rc=$?
[ -n "${CLOEXEC_LAB_JUNIT:-}" ] && [ -s "$junit" ] && echo "run-tests: JUnit XML: $junit"
exit $rc
