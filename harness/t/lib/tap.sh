# SPDX-License-Identifier: MIT
#
# harness/t/lib/tap.sh - TAP for the shell tests (harness/t/*.sh), with the names and behaviour
# of harness/tap.h: one stream per test, a lazy plan printed by done_testing, failures that
# print both sides, skip_all that prints "1..0 # SKIP reason" and exits 0, diag on stderr.
# Sourced, not run:  . "$(dirname "$0")/lib/tap.sh"
#
#   ok COND_STATUS NAME        ok $? "the package installs"     (0 is a pass)
#   is GOT WANT NAME           compare two strings
#   like GOT REGEX NAME        GOT matches an extended regex (grep -E)
#   skip N REASON              N skipped checks
#   skip_all REASON            the whole test is skipped (exit 0)
#   diag TEXT... / note TEXT...
#   done_testing               prints the plan; exit status: the number of failures (max 254)

_tap_run=0
_tap_failed=0

diag() { printf '# %s\n' "$@" >&2; }
note() { printf '# %s\n' "$@"; }

skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

ok() {
	local status=$1
	shift
	_tap_run=$((_tap_run + 1))
	if [ "$status" -eq 0 ]; then
		printf 'ok %d - %s\n' "$_tap_run" "$*"
		return 0
	fi
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_run" "$*"
	return 1
}

is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$*"
		return 0
	fi
	ok 1 "$*"
	diag "         got: '$got'" "    expected: '$want'"
	return 1
}

like() {
	local got=$1 re=$2
	shift 2
	if printf '%s\n' "$got" | grep -Eq -- "$re"; then
		ok 0 "$*"
		return 0
	fi
	ok 1 "$*"
	diag "                  '$got'" "    doesn't match '$re'"
	return 1
}

skip() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		_tap_run=$((_tap_run + 1))
		printf 'ok %d # skip %s\n' "$_tap_run" "$*"
	done
}

done_testing() {
	printf '1..%d\n' "$_tap_run"
	[ "$_tap_failed" -gt 254 ] && _tap_failed=254
	exit "$_tap_failed"
}
