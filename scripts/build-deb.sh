#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# build-deb.sh [BUILD] - build the Debian package with Debian's tooling, into BUILD/deb/.
#
# dpkg-buildpackage writes its results next to the source tree, so it runs on a copy of the
# tree at BUILD/deb/cloexec-lab-VERSION/ (the files git tracks plus untracked ones that are not
# ignored, as they are in the work tree now; everything when this is no git checkout): the
# checkout stays clean and the .deb, .buildinfo and .changes land in BUILD/deb/. Then lintian
# checks the result; its errors and warnings fail the build (overrides, each explained:
# debian/cloexec-lab.lintian-overrides).
#
# Environment: VMLINUX_H (an absolute path: BPF programs built against it instead of the running
# kernel's BTF), DEB_BUILD_OPTIONS (default parallel=<cores>), LINTIAN=0 (skip lintian).
# Exit status: 0 built and lintian-clean, 1 the build or lintian failed, 2 a tool is missing.
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$tool" >/dev/null || {
		echo "build-deb: $tool is missing: apt-get install dpkg-dev debhelper (or make deps)" >&2
		exit 2
	}
done
if [ "${LINTIAN:-1}" != 0 ] && ! command -v lintian >/dev/null; then
	echo "build-deb: lintian is missing: apt-get install lintian (or make deps; LINTIAN=0 skips it)" >&2
	exit 2
fi
name=$(dpkg-parsechangelog -S Source) && version=$(dpkg-parsechangelog -S Version) || exit 1
arch=$(dpkg --print-architecture)
mkdir -p "$build" || exit 1
out=$(cd "$build" && pwd)/deb
src=$out/$name-$version
rm -rf "$out" && mkdir -p "$src" || exit 1

# The copy: what `git status` would call the tree, with uncommitted edits (a file deleted in the
# work tree but still tracked is left out).
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	[ "$(git -C "$top" rev-parse --show-toplevel)" = "$top" ]; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
		tar -C "$top" --null -T - -cf - | tar -C "$src" -xf - || exit 1
else
	tar -C "$top" --exclude="./${build#./}" --exclude=./build -cf - . | tar -C "$src" -xf - ||
		exit 1
fi

# A clean environment for the package build: no make variables of the calling make (BUILD=,
# SANITIZE=, the jobserver) leak into debian/rules through MAKEFLAGS.
echo "build-deb: dpkg-buildpackage -b -us -uc in $src (log: $out/build.log)"
start=$(date +%s)
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u SANITIZE \
	-u BUILD -u CFLAGS -u CXXFLAGS -u CPPFLAGS -u LDFLAGS \
	DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc 2>/dev/null || echo 2)}" \
	${VMLINUX_H:+VMLINUX_H="$VMLINUX_H"} \
	dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	tail -n 25 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (exit $rc); the whole log: $out/build.log" >&2
	exit 1
fi
deb=$out/${name}_${version}_${arch}.deb
changes=$out/${name}_${version}_${arch}.changes
[ -f "$deb" ] && [ -f "$changes" ] || { echo "build-deb: no $deb after the build" >&2; exit 1; }
echo "build-deb: built $deb ($(stat -c %s "$deb") bytes) in $(($(date +%s) - start)) s"

if [ "${LINTIAN:-1}" != 0 ]; then
	# --fail-on error,warning: what Debian would reject or question; info tags are shown too.
	lintian --display-info --fail-on error,warning "$changes" >"$out/lintian.log" 2>&1
	lrc=$?
	grep -v '^N: ' "$out/lintian.log" | grep -v 'running with root privileges' >&2
	if [ $lrc -ne 0 ]; then
		echo "build-deb: lintian found errors or warnings (exit $lrc): $out/lintian.log" >&2
		exit 1
	fi
	echo "build-deb: lintian: clean (errors, warnings; log: $out/lintian.log)"
fi
echo "build-deb: $deb"
