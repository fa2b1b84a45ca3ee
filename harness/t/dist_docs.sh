#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# dist_docs.sh - the man pages and the bash completion cannot drift from the tools:
# - each tool's --version is "TOOL VERSION", the same version for the three, and --help and the
#   man page list -V, --version;
# - every long option that `TOOL --help` lists is an option entry in the OPTIONS section of the
#   built man page (cloexec-trace(8), cloexec-repro(1), cloexec-bench(1)), and each page has its
#   sections, renders without a groff warning, names the tools' version and is indexable
#   (lexgrog, what mandb reads);
# - the completion of `cloexec-trace --` offers exactly the long options of --help (none
#   missing, none stale), in a plain bash and with the bash-completion package loaded, and
#   completes --fail-on with exactly the words --help lists for it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
top=$(cd "$here/../.." && pwd)
build=${CLOEXEC_LAB_BUILD:-$top/build}
comp=$top/completion/cloexec-trace

for t in cloexec-trace cloexec-repro cloexec-bench; do
	[ -x "$build/$t" ] || skip_all "$build/$t is not built (make)"
done
[ -f "$build/man/cloexec-trace.8" ] || skip_all "no man pages in $build/man (scdoc missing? make deps, then make)"
command -v man >/dev/null || skip_all "man-db is not installed (make deps)"

# The long options of an option list: lines that start with an option ("  -j, --json  ..." or
# "      --keep-fds  ...") up to the EXAMPLES or the exit status; every --name before the
# description (two spaces) counts.
help_options() {
	"$1" --help | sed -n '/^EXAMPLES/q; /^Exit status/q; p' |
		grep -E '^ +(-[A-Za-z], +)?--[a-z]' | sed -E 's/^ +//; s/   .*//; s/  [A-Za-z].*//' |
		grep -Eo -- '--[a-z][a-z0-9_-]*' | sort -u
}
# The rendered page as plain ASCII text.
render() { LC_ALL=C MANWIDTH=100 man -E ascii -l "$1" 2>/dev/null | col -bx; }

version=$("$build/cloexec-trace" --version | sed 's/^cloexec-trace //')
for page in cloexec-trace.8 cloexec-repro.1 cloexec-bench.1; do
	tool=${page%.*}
	src=$build/man/$page
	text=$(render "$src")
	out=$("$build/$tool" --version 2>&1)
	rc=$?
	is "$out (exit $rc)" "$tool $version (exit 0)" "$tool --version prints '$tool $version', the tools' one version"
	is "$("$build/$tool" -V 2>&1)" "$out" "$tool -V is --version"
	"$build/$tool" --help | grep -Eq '^ +-V, --version +'
	ok $? "$tool --help lists -V, --version"
	printf '%s\n' "$text" | sed -n '/^OPTIONS/,/^[A-Z]/p' | grep -Eq '^ {7}-V, --version$'
	ok $? "$page has the entry -V, --version under OPTIONS"
	# option entries: indented lines in OPTIONS that start with an option
	entries=$(printf '%s\n' "$text" | sed -n '/^OPTIONS/,/^[A-Z]/p' |
		grep -E '^ {7}(-[A-Za-z], )?--[a-z]' | grep -Eo -- '--[a-z][a-z0-9_-]*' | sort -u)
	missing=$(comm -23 <(help_options "$build/$tool") <(printf '%s\n' "$entries"))
	is "$missing" "" "every long option of $tool --help has an entry under OPTIONS in $page"
	sections=$(printf '%s\n' "$text" | grep -E '^[A-Z][A-Z ]+$' | tr '\n' ',')
	missing=
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		[[ ,$sections == *,$s,* ]] || missing+="$s "
	done
	is "$missing" "" "$page has NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, EXAMPLES, SEE ALSO"
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -E UTF-8 -l "$src" 2>&1 >/dev/null)
	is "$warn" "" "$page renders without a groff warning"
	like "$(printf '%s\n' "$text" | tail -n 1)" "^cloexec-lab $version " \
		"$page's footer names cloexec-lab $version (cloexec-trace --version)"
	like "$(lexgrog "$src" 2>&1)" "\"$tool - " "lexgrog finds the NAME line of $page (whatis, apropos)"
done

# --- bash completion ----------------------------------------------------------------------
# Completes the words given (the last one is the word being completed) and prints the choices.
complete_words() {
	local bc=$1
	shift
	bash --norc --noprofile -c '
		[ "$1" = 1 ] && . /usr/share/bash-completion/bash_completion
		. "$2" || exit 1
		shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_cloexec_trace
		printf "%s\n" "${COMPREPLY[@]}"' complete "$bc" "$comp" "$@" 2>/dev/null
}
want=$(help_options "$build/cloexec-trace")
# the words --help lists under --fail-on: the first word of each line indented beneath it
fail_on_help=$("$build/cloexec-trace" --help | sed -n '/--fail-on/,/^  -[a-zA-Z]/p' |
	sed -n 's/^ \{20,\}\([a-z]\{1,\}\)  .*/\1/p' | sort -u)
for bc in 0 1; do
	if [ $bc = 1 ] && [ ! -r /usr/share/bash-completion/bash_completion ]; then
		skip 3 "the bash-completion package is not installed"
		continue
	fi
	how=$([ $bc = 1 ] && echo "with bash-completion loaded" || echo "in a plain bash")
	got=$(complete_words $bc cloexec-trace -- | grep -v '^--$' | sort -u)
	is "$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got"))" "" \
		"completing 'cloexec-trace --' offers every long option of --help ($how)"
	is "$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$got"))" "" \
		"... and none that --help does not list ($how)"
	got=$(complete_words $bc cloexec-trace --fail-on "" | sort -u)
	is "$got" "$fail_on_help" "completing --fail-on offers the values --help lists ($how)"
done
like "$(complete_words 0 cloexec-trace --fail-on leaked,la)" '^leaked,late$' \
	"--fail-on completes the last item of a comma list"
like "$(complete_words 0 cloexec-trace --fail-on = le)" '^leaked$' \
	"--fail-on=VALUE completes the value (split at '=' by bash)"
like "$(complete_words 0 cloexec-trace -p 1 -- ech | sort -u)" '^echo$' \
	"after '--' the traced command is completed"
done_testing
