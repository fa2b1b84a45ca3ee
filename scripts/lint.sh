#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# lint.sh - the checks `make lint` runs (and .ci/run with it):
#   1. every C/C++ source of the tree is clang-format clean under the repo's .clang-format;
#   2. the tracer's user side (bpf/*.c but the BPF programs) keeps to its size limits: no file
#      over 800 lines, no function over 100 lines (rooms of one job each);
#   3. the include graph of the checked directories has no cycle (scripts/include-graph.py:
#      a .c and its .h as one unit; each cycle printed as a path with its include lines), nor
#      the graph of includes and calls (the objects of the last build, BUILD=build: a unit
#      that calls a function of another depends on it) of the directories checked for calls.
# Exit 0 clean, 1 something to fix (each named on stderr), 3 no clang-format.
set -u
cd "$(dirname "$0")/.."
rc=0
if ! command -v clang-format >/dev/null; then
	echo "lint: failed to find clang-format (scripts/deps.sh installs it)" >&2
	exit 3
fi
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h' '*.cc')
else
	files=$(find . -name '*.c' -o -name '*.h' -o -name '*.cc' | grep -v '^./build')
fi
bad=0
for f in $files; do
	if ! clang-format --dry-run -Werror "$f" 2>/dev/null; then
		echo "lint: $f is not clang-format clean (clang-format -i $f)" >&2
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ] || rc=1
# Function sizes: a body runs from a '{' in column 0 to the next '}' in column 0.
for f in bpf/*.c; do
	case "$f" in *.bpf.c) continue ;; esac
	n=$(wc -l <"$f")
	if [ "$n" -gt 800 ]; then
		echo "lint: $f has $n lines (at most 800: split it by job)" >&2
		rc=1
	fi
	awk -v f="$f" '
		/^[A-Za-z_].*[(,]/ && !/;$/ { sig = $0 }
		/^\{/ { start = FNR; name = sig }
		/^\}/ && start {
			if (FNR - start + 1 > 100) {
				printf "lint: %s:%d: %s is %d lines (at most 100)\n", f, start, name,
				       FNR - start + 1 > "/dev/stderr"
				bad = 1
			}
			start = 0
		}
		END { exit bad }' "$f" || rc=1
done
# No cycle among the units of these directories: in their includes (a file's includes say its
# floor), and in includes and calls together, read from the objects of the last build (none
# built: nothing to read, and the summary says "0 of N sources built").
graph_dirs="bench harness"
call_dirs="bench"
for args in "$graph_dirs" "--objects ${BUILD:-build} $call_dirs"; do
	if ! out=$("${PYTHON:-python3}" scripts/include-graph.py $args); then
		printf '%s\n' "$out" | sed 's/^/lint: /' >&2
		rc=1
	else
		echo "lint: $out"
	fi
done
# The sizes, for the record: the largest user-side file and the longest function.
big=$(wc -l $(ls bpf/*.c | grep -v '\.bpf\.c$') | grep -v ' total$' | sort -n | tail -1)
long=$(for f in bpf/*.c; do
	case "$f" in *.bpf.c) continue ;; esac
	awk -v f="$f" '/^[A-Za-z_].*[(,]/ && !/;$/ { sig = $0 } /^\{/ { s = FNR; n = sig }
		/^\}/ && s { print FNR - s + 1, f ":" s, n; s = 0 }' "$f"
done | sort -n | tail -1)
echo "lint: largest user-side file: $big; longest function: $long"
[ "$rc" -eq 0 ] && echo "lint: $(echo "$files" | wc -w) files clang-format clean; bpf/ user side within its size limits"
exit $rc
