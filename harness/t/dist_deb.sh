#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# dist_deb.sh - the Debian package, end to end: `make deb` builds it with dpkg-buildpackage
# (debian/, debhelper) into BUILD/deb/, lintian finds no error or warning, its version and
# Depends are right; then dpkg installs it, and the installed tools work: `cloexec-trace
# --version`, `man cloexec-trace`, a real trace that must find fd 7 leaked (exit 1), one
# cloexec-repro scenario and the bash completion; then dpkg purges it, and dpkg's package list
# and every path the package holds are as they were before.
#
# Needs root, dpkg-buildpackage and debhelper, kernel BTF (the build compiles the BPF programs
# against it; the trace needs it). A cloexec-lab that dpkg already knows, or a file of the
# package that exists already (a `make install PREFIX=/usr`), is the user's: SKIP, touch
# nothing. Runs of this test on the same machine (other work trees) take turns (flock), and
# dpkg's own lock is waited for, bounded, as apt does. Every step is bounded by `timeout`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
top=$(cd "$here/../.." && pwd)
build=${CLOEXEC_LAB_BUILD:-$top/build}
pkg=cloexec-lab
lock=/run/lock/cloexec-lab-dist-deb.lock
[ -d /run/lock ] || lock=/tmp/cloexec-lab-dist-deb.lock

[ "$(id -u)" -eq 0 ] || skip_all "not root: dpkg -i needs root"
for t in dpkg-buildpackage dh dpkg-deb; do
	command -v "$t" >/dev/null || skip_all "$t is missing (apt-get install dpkg-dev debhelper, or make deps)"
done
[ -r /sys/kernel/btf/vmlinux ] || skip_all "no kernel BTF (/sys/kernel/btf/vmlinux): cannot build or run the tracer"

tmp=$(mktemp -d /tmp/cloexec-dist-deb.XXXXXX) || exit 1
installed=0
cleanup() {
	# a failure between install and purge must not leave the package behind
	if [ "$installed" = 1 ]; then
		diag "purging $pkg after an unfinished run"
		dpkg_locked dpkg --purge "$pkg" >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# dpkg under its frontend lock (/var/lib/dpkg/lock-frontend), waited for at most 300 s, as apt
# does (DPKG_FRONTEND_LOCKED tells dpkg the lock is held). Exit 142: the wait timed out.
dpkg_locked() {
	timeout 600 python3 -c '
import fcntl, os, signal, subprocess, sys
fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
signal.alarm(300)
fcntl.lockf(fd, fcntl.LOCK_EX)
signal.alarm(0)
sys.exit(subprocess.call(sys.argv[1:], env=dict(os.environ, DPKG_FRONTEND_LOCKED="1")))
' "$@" 9>&-
}

# --- build ---------------------------------------------------------------------------------
rel=$(realpath -m -s --relative-to="$top" "$build")
start=$(date +%s)
(cd "$top" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL LINTIAN=0 \
	timeout 900 make --no-print-directory deb BUILD="$rel") >"$tmp/make-deb.log" 2>&1
rc=$?
ok $rc "make deb builds the package with dpkg-buildpackage ($(($(date +%s) - start)) s)" ||
	{ tail -n 30 "$tmp/make-deb.log" | sed 's/^/# /' >&2; done_testing; }
version=$(cd "$top" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$build/deb/${pkg}_${version}_${arch}.deb
changes=$build/deb/${pkg}_${version}_${arch}.changes
[ -f "$deb" ]
ok $? "the package is $deb ($(stat -c %s "$deb" 2>/dev/null) bytes)" || done_testing

if command -v lintian >/dev/null; then
	timeout 300 lintian --fail-on error,warning "$changes" >"$tmp/lintian.log" 2>&1
	ok $? "lintian reports no error and no warning" ||
		grep -v 'root privileges' "$tmp/lintian.log" | sed 's/^/# /' >&2
else
	skip 1 "lintian is not installed (make deps)"
fi

is "$(dpkg-deb -f "$deb" Version)" "$version" "the package's version is debian/changelog's"
is "$("$build/cloexec-trace" --version)" "cloexec-trace $version" \
	"cloexec-trace --version names the package's version"
depends=$(dpkg-deb -f "$deb" Depends)
like "$depends" '(^|, )libc6( |,|$)' "Depends has the shared libraries' packages (\${shlibs:Depends}): $depends"
! printf '%s' "$depends" | grep -Eq 'libbpf|\$\{'
ok $? "Depends has no libbpf (linked statically) and no unexpanded substitution variable"
dpkg-deb -c "$deb" >"$tmp/contents" && dpkg-deb -x "$deb" "$tmp/root"
ok $? "the package unpacks"
for f in ./usr/sbin/cloexec-trace ./usr/share/man/man8/cloexec-trace.8.gz \
	./usr/share/man/man1/cloexec-repro.1.gz ./usr/share/man/man1/cloexec-bench.1.gz \
	./usr/share/bash-completion/completions/cloexec-trace ./usr/bin/cloexec-repro \
	./usr/bin/cloexec-bench ./usr/share/doc/cloexec-lab/copyright; do
	grep -q " $f\( ->.*\)\?\$" "$tmp/contents" || echo "$f" >>"$tmp/missing"
done
is "$(cat "$tmp/missing" 2>/dev/null)" "" "the package holds the tools, their man pages and the completion"
! grep -q '\.bpf\.o' "$tmp/contents"
ok $? "no BPF object file is shipped (it is embedded in cloexec-trace)"
needed=$(readelf -d "$tmp/root/usr/sbin/cloexec-trace" 2>&1 | grep NEEDED)
! printf '%s' "$needed" | grep -q libbpf && printf '%s' "$needed" | grep -q libc.so
ok $? "the packaged cloexec-trace needs no shared libbpf: $(printf '%s' "$needed" | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')"

# --- install, use, purge: one run at a time on this machine --------------------------------
exec 9>"$lock" || { diag "failed to open $lock"; done_testing; }
if ! flock -w 900 9; then
	skip 1 "another run of this test held $lock for 900 s"
	done_testing
fi

status=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$pkg" 2>/dev/null)
case $status in
"" | "un "*) ;;
*)
	skip 1 "dpkg already knows $pkg ($status): the user's install is left alone"
	done_testing
	;;
esac
# every path the package would install: directories may exist, files must not
sed -E 's/^([^ ]+ +){5}\.//; s/ -> .*//; s|/$||' "$tmp/contents" | grep . >"$tmp/paths"
while read -r p; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	[ -d "$p" ] && [ ! -L "$p" ] && continue
	echo "$p"
done <"$tmp/paths" >"$tmp/clash"
if [ -s "$tmp/clash" ]; then
	skip 1 "$(head -n1 "$tmp/clash") exists and is not from this package (make uninstall PREFIX=/usr?)"
	done_testing
fi
dpkg-query -W -f='${binary:Package} ${Version} ${db:Status-Abbrev}\n' | sort >"$tmp/dpkg-before"
while read -r p; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done <"$tmp/paths" >"$tmp/paths-before"

installed=1
dpkg_locked dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1
rc=$?
if [ $rc -eq 142 ]; then
	installed=0
	skip 1 "dpkg's lock was held by another process for 300 s"
	done_testing
fi
ok $rc "dpkg -i installs $pkg" || sed 's/^/# /' "$tmp/dpkg-i.log" >&2

clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8)
is "$("${clean_env[@]}" timeout 10 /usr/sbin/cloexec-trace --version 9>&-)" "cloexec-trace $version" \
	"the installed cloexec-trace --version says cloexec-trace $version"

if grep -qs 'path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
	skip 2 "dpkg excludes /usr/share/man on this machine (/etc/dpkg/dpkg.cfg.d)"
elif ! command -v man >/dev/null; then
	skip 2 "man-db is not installed (make deps)"
else
	is "$("${clean_env[@]}" man -w cloexec-trace 2>&1)" /usr/share/man/man8/cloexec-trace.8.gz \
		"man -w cloexec-trace finds the installed page"
	page=$("${clean_env[@]}" MANWIDTH=80 timeout 30 man -P cat cloexec-trace 2>"$tmp/man.err" 9>&-)
	like "$page" '^SYNOPSIS' "man cloexec-trace shows the page (SYNOPSIS, --fail-on)" &&
		like "$page" '--fail-on' "... and it documents --fail-on"
fi

# A real trace with the installed binary: the shell leaks fd 7 into /bin/true.
"${clean_env[@]}" timeout 60 /usr/sbin/cloexec-trace --json -- \
	sh -c 'exec 7</etc/passwd; /bin/true' >"$tmp/trace.jsonl" 2>"$tmp/trace.err" 9>&-
is "$?" 1 "the installed cloexec-trace exits 1 on a leak (--fail-on leaked is the default)" ||
	sed 's/^/# /' "$tmp/trace.err" >&2
leak=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "exec" and r.get("filename") == "/bin/true":
        for i in r.get("inherited", []):
            print(i["fd"], i.get("path"), i["verdict"])
' "$tmp/trace.jsonl" 2>&1)
is "$leak" "7 /etc/passwd leaked" "its JSON says /bin/true inherited fd 7 (/etc/passwd), leaked"

out=$(env -u CLOEXEC_LAB_BUILD timeout 60 /usr/bin/cloexec-repro -g tcp4-listener -s plain \
	-m fork-exec 2>&1 9>&-)
rc=$?
ok $rc "the installed cloexec-repro finds its helper and runs a scenario" ||
	printf '%s\n' "$out" | sed 's/^/# /' >&2
out=$(bash -c '. /usr/share/bash-completion/completions/cloexec-trace && complete -p cloexec-trace' 2>&1 9>&-)
like "$out" '_cloexec_trace cloexec-trace$' "the installed bash completion registers for cloexec-trace"

dpkg_locked dpkg --purge "$pkg" >"$tmp/dpkg-purge.log" 2>&1
rc=$?
ok $rc "dpkg --purge removes $pkg" && installed=0 || sed 's/^/# /' "$tmp/dpkg-purge.log" >&2
dpkg-query -W -f='${binary:Package} ${Version} ${db:Status-Abbrev}\n' | sort >"$tmp/dpkg-after"
is "$(diff "$tmp/dpkg-before" "$tmp/dpkg-after")" "" "dpkg's package list is as it was before"
while read -r p; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done <"$tmp/paths" >"$tmp/paths-after"
is "$(diff "$tmp/paths-before" "$tmp/paths-after")" "" \
	"none of the package's $(wc -l <"$tmp/paths") paths is left that was not there before"
done_testing
