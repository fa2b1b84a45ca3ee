#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# lint_include_graph.sh - scripts/include-graph.py, the cycle check of `make lint`, on scratch
# trees whose graph is known, then on this tree: a pair of files that include each other fails
# and names both (with the include lines); a clean pair passes; a .c and its .h are one unit
# (a cycle through a header and its source counts); quoted includes are resolved along the
# include paths, the Makefile's by default; with --objects, two files that call each other
# through one shared header (no include cycle) fail, and an object older than its source is
# not read; a directory that is not there is a usage error (2); and bench/ and harness/ here
# have no include cycle.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
top=$(cd "$here/../.." && pwd)
graph=$top/scripts/include-graph.py
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || skip_all "no $python"

scratch=$(mktemp -d /tmp/lint_include_graph.XXXXXX) || exit 1
trap 'rm -rf "$scratch"' EXIT

# put FILE LINE...: a scratch file made of the given lines.
put() {
	local f=$scratch/$1
	shift
	mkdir -p "$(dirname "$f")" && printf '%s\n' "$@" >"$f"
}
# run ROOT ARGS...: the script's stdout in $out, its exit status in $rc.
run() {
	local root=$1
	shift
	out=$("$python" "$graph" --root "$root" "$@" 2>&1)
	rc=$?
}

# 1. a.c includes b.h, b.c includes a.h: the units a and b include each other.
put cyc/x/a.h '#pragma once'
put cyc/x/b.h '#pragma once'
put cyc/x/a.c '#include "a.h"' '#include "b.h"'
put cyc/x/b.c '#include "b.h"' '#include "a.h"'
run "$scratch/cyc" x
is "$rc" 1 "a cyclic pair fails (exit 1)"
like "$out" '^include-graph: cycle: x/a\.c\+h -> x/b\.c\+h -> x/a\.c\+h$' \
	"the cycle is printed as a path naming both files"
like "$out" 'x/a\.c:2: #include "b\.h"' "the step a -> b names its include line"
like "$out" 'x/b\.c:2: #include "a\.h"' "the step b -> a names its include line"
like "$out" '1 cycle\(s\) among 2 units' "the summary counts one cycle"

# 2. the same pair without the way back: b.c includes only its own header.
put clean/x/a.h '#pragma once'
put clean/x/b.h '#pragma once'
put clean/x/a.c '#include "a.h"' '#include "b.h"' '#include <stdio.h>'
put clean/x/b.c '#include "b.h"' '#include "generated.skel.h"'
run "$scratch/clean" x
is "$rc" 0 "a clean pair passes (exit 0)"
like "$out" '^include-graph: x: includes: 2 units, 1 edges, no cycle$' \
	"one edge a -> b; system and missing headers are no edges"

# 3. no file includes its own includer, but a.h -> b.h and b.c -> a.h: units a, b in a circle.
put unit/x/a.h '#include "b.h"'
put unit/x/b.h '#pragma once'
put unit/x/b.c '#include "a.h"'
run "$scratch/unit" x
is "$rc" 1 "a header and its source are one unit: a.h -> b.h and b.c -> a.h is a cycle"
like "$out" 'x/a\.h:1: #include "b\.h"' "the header's include is named"

# 4. p/a.c includes "b.h" of q/, q/b.c includes "a.h" of p/: found only along include paths.
put paths/p/a.h '#pragma once'
put paths/p/a.c '#include "a.h"' '#include "b.h"'
put paths/q/b.h '#pragma once'
put paths/q/b.c '#include "b.h"' '#include "a.h"'
run "$scratch/paths" -I none p q
is "$rc" 0 "without the include paths the two directories are apart"
run "$scratch/paths" -I p -I q p q
is "$rc" 1 "with -I p -I q the cycle across the directories is found"
like "$out" 'cycle: p/a\.c\+h -> q/b\.c\+h -> p/a\.c\+h' "it runs through both directories"
put paths/Makefile 'CFLAGS += -Ip' 'BPF_CFLAGS := -g -Iq -I$(BUILD)'
run "$scratch/paths" p q
is "$rc" 1 "by default the include paths are the Makefile's"

# 5. calls: a.c calls b_run, b.c calls a_run, both declared in one header (as bench.h once
# declared main.c's helpers and the families' registrations): no include cycle, a call cycle.
put calls/x/both.h 'void a_run(void);' 'void b_run(void);'
put calls/x/a.c '#include "both.h"' 'void a_run(void) {}' 'void a_go(void) { b_run(); }'
put calls/x/b.c '#include "both.h"' 'void b_run(void) { a_run(); }'
put calls/x/main.c '#include "both.h"' 'int main(void) { a_run(); return 0; }'
run "$scratch/calls" x
is "$rc" 0 "one shared header: the includes alone see no cycle"
if command -v "${CC:-cc}" >/dev/null; then
	mkdir -p "$scratch/calls/build/x"
	for f in a b main; do
		(cd "$scratch/calls" && "${CC:-cc}" -MMD -c x/$f.c -o build/x/$f.o) ||
			diag "failed to compile x/$f.c"
	done
	run "$scratch/calls" --objects build x
	is "$rc" 1 "with --objects the calls a <-> b are a cycle"
	like "$out" '^include-graph: cycle: x/a\.c -> x/b\.c -> x/a\.c$' "the cycle names both files"
	like "$out" '  x/a\.c: uses b_run$' "the step a -> b names the function a uses"
	like "$out" 'includes and calls \(3 of 3 sources built\)' "every source's object was read"
	touch -d '+1 minute' "$scratch/calls/x/b.c"
	run "$scratch/calls" --objects build x
	is "$rc" 0 "an object older than its source is not read"
	like "$out" '\(2 of 3 sources built\)' "and the summary says so"
else
	skip 6 "no C compiler (${CC:-cc})"
fi

# 6. bad input: a directory that is not there.
run "$scratch/cyc" nosuchdir
is "$rc" 2 "a missing directory is a usage error (exit 2)"
like "$out" 'failed to find directory nosuchdir' "one line names it"

# 7. this tree: what make lint checks.
run "$top" bench harness
is "$rc" 0 "bench/ and harness/ have no include cycle"
like "$out" '^include-graph: bench, harness: includes: [0-9]+ units, [0-9]+ edges, no cycle$' \
	"the summary line says so"
[ "$rc" -eq 0 ] || diag "$out"

done_testing
