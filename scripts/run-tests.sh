#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-tests.sh BUILD [JOBS] - run every TAP test under prove from a clean fd baseline.
# Tests are the compiled harness/t/*.c (in BUILD/t) plus executable harness/t/*.sh and *.py.
# The shell that runs us may leak fds (a /dev/null at 10, a pipe at 251...): close
# them here so no test inherits them; each test also closes strays itself.
set -u
build=${1:-build}
jobs=${2:-1}
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
done
tests=()
# The tests of this tree: a binary in BUILD/t left over from a test that was removed or
# renamed does not run.
for src in harness/t/*.c; do
	t=$build/t/$(basename "$src" .c)
	[ -f "$t" ] && [ -x "$t" ] && tests+=("$t")
done
for t in harness/t/*.sh harness/t/*.py; do
	[ -f "$t" ] && [ -x "$t" ] && tests+=("$t")
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "run-tests: no tests found under $build/t" >&2
	exit 1
fi
export CLOEXEC_LAB_BUILD=$(cd "$build" && pwd)
exec prove --timer -j "$jobs" --exec '' "${tests[@]}" </dev/null
