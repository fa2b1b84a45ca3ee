#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# dist_install.sh - the installable tracer and `make install`/`make uninstall`:
# - build/cloexec-trace links libbpf statically (ldd and its NEEDED entries name no libbpf) and
#   carries its BPF object (the skeleton): a copy of the binary alone in an empty directory
#   traces a real leak (as root, with BTF);
# - `make install DESTDIR=<tmp>` puts exactly the expected files and links in place, the
#   installed cloexec-repro and cloexec-bench find their helpers in the installed layout (not in
#   build/), and `make uninstall` removes all of it again.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
top=$(cd "$here/../.." && pwd)
build=${CLOEXEC_LAB_BUILD:-$top/build}
trace=$build/cloexec-trace
rel=$(realpath -m -s --relative-to="$top" "$build")

[ -x "$trace" ] || skip_all "$trace is not built (make)"
tmp=$(mktemp -d /tmp/cloexec-dist-install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# --- static libbpf, embedded BPF object -------------------------------------------------------
libs=$(ldd "$trace" 2>&1)
! printf '%s\n' "$libs" | grep -q libbpf && printf '%s\n' "$libs" | grep -q 'libc\.so'
ok $? "ldd $rel/cloexec-trace lists no libbpf: $(printf '%s\n' "$libs" | awk '{print $1}' | tr '\n' ' ')" ||
	printf '%s\n' "$libs" | sed 's/^/# /' >&2
needed=$(readelf -d "$trace" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
! printf '%s' "$needed" | grep -q libbpf
ok $? "its NEEDED entries name no libbpf ($needed)"
nm "$trace" 2>/dev/null | grep -q ' T bpf_object__open_mem$'
ok $? "libbpf's code is inside the binary (bpf_object__open_mem is defined in it)"

if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	skip 1 "tracing needs root and kernel BTF"
else
	mkdir "$tmp/alone" && cp "$trace" "$tmp/alone/"
	(cd "$tmp/alone" && env -u CLOEXEC_LAB_BUILD timeout 60 ./cloexec-trace -q -- \
		sh -c 'exec 7</etc/passwd; /bin/true') >"$tmp/alone.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -Eq 'inherit +7 .*/etc/passwd.* leaked' "$tmp/alone.out"
	ok $? "a copy of cloexec-trace alone in an empty directory loads its BPF programs and finds fd 7 leaked (exit $rc)" ||
		sed 's/^/# /' "$tmp/alone.out" >&2
fi

# --- make install / uninstall -------------------------------------------------------------
# The same BUILD as the build that make test made (relative, so make sees the same targets and
# has nothing to rebuild) and the default PREFIX (the man pages were built for it).
mk() { (cd "$top" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 300 make --no-print-directory \
	BUILD="$rel" DESTDIR="$tmp/dest" "$@"); }
if ! command -v scdoc >/dev/null && [ ! -f "$build/man/cloexec-trace.8" ]; then
	skip 1 "scdoc is not installed: no man pages to install (make deps)"
	done_testing
fi
mk install >"$tmp/install.log" 2>&1
ok $? "make install DESTDIR=... installs" || sed 's/^/# /' "$tmp/install.log" >&2
prefix=$(cd "$top" && make --no-print-directory -s -f Makefile -f - print-prefix <<'EOF' 2>/dev/null
print-prefix:
	@echo $(PREFIX)
EOF
)
p=${prefix:-/usr/local}
want="$p/bin/cloexec-bench -> ../libexec/cloexec-lab/cloexec-bench
$p/bin/cloexec-repro -> ../libexec/cloexec-lab/cloexec-repro
$p/libexec/cloexec-lab/bench/cloexec-floor
$p/libexec/cloexec-lab/bench/exit0
$p/libexec/cloexec-lab/cloexec-bench
$p/libexec/cloexec-lab/cloexec-repro
$p/libexec/cloexec-lab/cloexec-repro-child
$p/libexec/cloexec-lab/cloexec-trace -> ../../sbin/cloexec-trace
$p/sbin/cloexec-trace
$p/share/bash-completion/completions/cloexec-trace
$p/share/doc/cloexec-lab/SCHEMA.md
$p/share/man/man1/cloexec-bench.1
$p/share/man/man1/cloexec-repro.1
$p/share/man/man8/cloexec-trace.8"
got=$(cd "$tmp/dest" && find . ! -type d | sed 's|^\.||' | sort | while IFS= read -r f; do
	if [ -L "$tmp/dest$f" ]; then echo "$f -> $(readlink "$tmp/dest$f")"; else echo "$f"; fi
done)
is "$got" "$want" "make install puts exactly the tools, helpers, links, man pages, completion and schema in $p"
for l in bin/cloexec-repro bin/cloexec-bench libexec/cloexec-lab/cloexec-trace; do
	[ -x "$tmp/dest$p/$l" ] || echo "$l"
done >"$tmp/dangling"
is "$(cat "$tmp/dangling")" "" "every installed link resolves to an installed program"
grep -q "$p/libexec/cloexec-lab/cloexec-repro-child" "$tmp/dest$p/share/man/man1/cloexec-repro.1"
ok $? "the installed cloexec-repro(1) names the helper's installed path"

# The installed tools find their helpers beside their own executable, not in build/.
out=$(env -u CLOEXEC_LAB_BUILD timeout 60 "$tmp/dest$p/bin/cloexec-repro" -g tcp4-listener \
	-s plain -m fork-exec 2>&1)
rc=$?
ok $rc "the installed cloexec-repro (through its bin link) finds cloexec-repro-child and runs a scenario" ||
	printf '%s\n' "$out" | sed 's/^/# /' >&2
out=$(env -u CLOEXEC_LAB_BUILD timeout 120 "$tmp/dest$p/bin/cloexec-bench" \
	--benchmark_filter='^spawn_posix/cloexec/fds:16/' --benchmark_min_time=0.01 2>&1)
rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q 'spawn_posix/cloexec/fds:16'
ok $? "the installed cloexec-bench finds bench/exit0 and runs a spawn benchmark (exit $rc)" ||
	printf '%s\n' "$out" | tail -n 5 | sed 's/^/# /' >&2
# The trace_* runs start the floor and the tracer from the installed layout too.
if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	skip 1 "the installed cloexec-bench's floor and traced runs need root and kernel BTF"
else
	out=$(env -u CLOEXEC_LAB_BUILD timeout 120 "$tmp/dest$p/bin/cloexec-bench" \
		--benchmark_filter='^trace_dup3/(floor|traced)/' --benchmark_min_time=0.01 2>&1)
	rc=$?
	[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^trace_dup3/floor/' &&
		printf '%s\n' "$out" | grep -q '^trace_dup3/traced/' &&
		! printf '%s\n' "$out" | grep -q 'skipped by the environment\|ERROR OCCURRED'
	ok $? "the installed cloexec-bench runs trace_dup3 under the installed floor (bench/cloexec-floor) and tracer (exit $rc)" ||
		printf '%s\n' "$out" | tail -n 8 | sed 's/^/# /' >&2
fi

mk uninstall >"$tmp/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR=... runs" || sed 's/^/# /' "$tmp/uninstall.log" >&2
is "$(cd "$tmp/dest" && find . ! -type d | sort)" "" "make uninstall leaves no file or link behind"
is "$(cd "$tmp/dest" && find . -path '*cloexec-lab*' | sort)" "" \
	"... and removes the directories that are the package's own"
done_testing
