#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# trace-snapshot.sh OUTDIR [BUILD] - run BUILD/cloexec-trace on every truth fixture of the tracer
# tests (harness/t/helpers/fx_*, with the arguments and options the trace_* tests use) and write
# its output, normalized, into OUTDIR. Per case: NAME.txt (text, from a run with `-o FILE`, then
# the exit code), NAME.jsonl (the JSON of that run), NAME.json-stdout.jsonl (a second run with
# --json on stdout, then its exit code), NAME.err (stderr of both runs) and NAME.verdicts (the
# verdicts of the JSON run alone, scripts/trace-verdicts.py: a diff of them across a change of
# the output's form, e.g. a schema version, shows the verdicts that changed and nothing else).
# scripts/trace-normalize.py masks what varies per run (times, pids, tids, inodes, ports,
# temporary names, record counts) and sorts the lines (their order across processes follows
# the reader's polls); fx_thread_churn and fx_race, where threads race, are counted or kept as sets.
#
# Use it to show that a change keeps (or how it changes) the tracer's output:
#   scripts/trace-snapshot.sh /tmp/before        # on the old tree, after make
#   scripts/trace-snapshot.sh /tmp/after         # on the new tree, after make
#   diff -r /tmp/before /tmp/after               # empty: the same modulo times and pids
#   diff /tmp/before/X.verdicts /tmp/after/X.verdicts   # the verdicts only
# Needs root (or CAP_BPF + CAP_PERFMON) and kernel BTF, as the tracer does. Takes ~40 s.
# Exit 0 done, 1 a normalization failed, 2 usage, 3 the tracer or a fixture is missing.
set -u
out=${1:-}
build=${2:-build}
if [ -z "$out" ] || [ "$out" = -h ] || [ "$out" = --help ]; then
	sed -n '4,20p' "$0" | sed 's/^# \{0,1\}//'
	[ -z "$out" ] && exit 2 || exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
trace=$build/cloexec-trace
fx=$build/t/helpers
for f in "$trace" "$fx/fx_child"; do
	[ -x "$f" ] || { echo "trace-snapshot: failed to find $f: run make first" >&2; exit 3; }
done
mkdir -p "$out" || exit 3
export TRACE_SNAPSHOT_BUILD=$(cd "$build" && pwd)
tmp=$(mktemp -d /tmp/trace-snapshot.XXXXXX) || exit 3
trap 'rm -rf "$tmp"' EXIT
# Our caller's fds must not reach the fixtures (their "fx stray" lines would differ).
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
done

# name | mode (sorted, count or set: see trace-normalize.py) | tracer options | command (split
# at spaces; %20 is a space inside an argument)
cases=(
	"socket_plain|sorted||fx_socket_plain"
	"socket_late|sorted||fx_socket_late"
	"fioclex|sorted||fx_fioclex"
	"socket_atomic|sorted||fx_socket_atomic"
	"socket_redundant|sorted||fx_socket_redundant"
	"accept|sorted||fx_accept"
	"dup2|sorted||fx_dup2"
	"fionclex|sorted||fx_fionclex"
	"pipe|sorted||fx_pipe"
	"dupfd|sorted||fx_dupfd"
	"openat|sorted||fx_openat"
	"socketpair|sorted||fx_socketpair"
	"scm_rights|sorted||fx_scm_rights"
	"kinds|sorted||fx_kinds"
	"anon|sorted||fx_anon"
	"close_range|sorted||fx_close_range"
	"fifo|sorted||fx_fifo"
	"reuse|sorted||fx_reuse"
	"child_close|sorted||fx_child_close"
	"thread_exec|sorted||fx_thread_exec"
	"vfork|sorted||fx_vfork"
	"posix_spawn|sorted||fx_posix_spawn"
	"shell|sorted||fx_shell"
	"clone_files|sorted||fx_clone_files"
	"listen_fds_pass|sorted||fx_listen_fds pass"
	"listen_fds_noenv|sorted||fx_listen_fds noenv"
	"listen_fds_wrongpid|sorted||fx_listen_fds wrongpid"
	"listen_fds_badpid|sorted||fx_listen_fds badpid"
	"listen_fds_badfds|sorted||fx_listen_fds badfds"
	"listen_fds_hugefds|sorted||fx_listen_fds hugefds"
	"listen_fds_dupenv|sorted||fx_listen_fds dupenv"
	"listen_fds_extra|sorted||fx_listen_fds extra"
	"listen_fds_nopid|sorted||fx_listen_fds nopid"
	"listen_fds_parent_noenv|sorted||fx_listen_fds noenv parent"
	"listen_fds_parent_pass|sorted||fx_listen_fds pass parent"
	"listen_fds_parent_nopid|sorted||fx_listen_fds nopid parent"
	"listen_fds_parent_wrongpid|sorted||fx_listen_fds wrongpid parent"
	"listen_fds_parent_extra|sorted||fx_listen_fds extra parent"
	"clear_child_fcntl|sorted||fx_clear child-fcntl"
	"clear_child_ioctl|sorted||fx_clear child-ioctl"
	"clear_parent|sorted||fx_clear parent"
	"clear_redundant|sorted||fx_clear redundant"
	"spawn_dup_dup2|sorted||fx_spawn_dup dup2"
	"spawn_dup_same|sorted||fx_spawn_dup same"
	"clone_dup|sorted||fx_clone_dup"
	"child_open|sorted||fx_child_open"
	"reexec_own|sorted||fx_reexec own"
	"reexec_carry|sorted||fx_reexec carry"
	"tramp_leak_close|sorted||fx_tramp leak close"
	"tramp_leak_cloexec|sorted||fx_tramp leak cloexec"
	"tramp_leak_keep|sorted||fx_tramp leak keep"
	"tramp_leak_dup|sorted||fx_tramp leak dup"
	"tramp_leak_fork|sorted||fx_tramp leak fork"
	"tramp_leak_forkclose|sorted||fx_tramp leak forkclose"
	"tramp_leak_hold|sorted||fx_tramp leak hold"
	"tramp_hand_close|sorted||fx_tramp hand close"
	"tramp_hand_keep|sorted||fx_tramp hand keep"
	"tramp_hand_fork|sorted||fx_tramp hand fork"
	"many_fds|sorted||fx_many_fds 3000"
	"thread_churn|count||fx_thread_churn 3000"
	"race|set||fx_race 2000 3 20000"
	"cli_allow_fd|sorted|--allow 3|fx_socket_plain"
	"cli_allow_comm|sorted|--allow-comm fx_child|fx_socket_plain"
	"cli_allow_comm_old|sorted|--allow-comm fx_socket_plain|fx_socket_plain"
	"cli_fail_on_helper|sorted|--fail-on helper|fx_tramp leak close"
	"cli_fate_wait_0|sorted|--fate-wait 0|fx_tramp leak close"
	"cli_acceptance|sorted||/bin/sh -c exec%207</etc/passwd;%20/bin/true"
	"cli_fail_on_all|sorted|--fail-on all|fx_socket_plain"
	"cli_fail_on_late|sorted|--fail-on late|fx_socket_late"
	"cli_fail_on_none|sorted|--fail-on none|fx_socket_plain"
	"cli_quiet|sorted|-q|fx_accept"
	"cli_linger|sorted|--linger 0|fx_socket_plain"
	"cli_keep_fds|sorted|--keep-fds|/bin/sh -c /bin/true;:"
	"cli_default_fds|sorted||/bin/sh -c /bin/true;:"
)

rc=0
for c in "${cases[@]}"; do
	IFS='|' read -r name mode topts cmd <<<"$c"
	read -r -a argv <<<"$cmd"
	argv=("${argv[@]//%20/ }") # %20: a space inside one argument
	case "${argv[0]}" in fx_*) argv[0]=$fx/${argv[0]} ;; esac
	read -r -a tv <<<"$topts"
	# The caller leaks fd 9 into the tracer, as shells do (what --keep-fds passes on).
	( exec 9</dev/null; exec "$trace" "${tv[@]}" -o "$tmp/$name.jsonl" -- "${argv[@]}" ) \
		</dev/null >"$tmp/$name.txt" 2>"$tmp/$name.err"
	echo "exit $?" >>"$tmp/$name.txt"
	( exec 9</dev/null; exec "$trace" "${tv[@]}" --json -- "${argv[@]}" ) \
		</dev/null >"$tmp/$name.json-stdout.jsonl" 2>>"$tmp/$name.err"
	echo "exit $?" >>"$tmp/$name.json-stdout.jsonl"
	for f in "$name.txt" "$name.jsonl" "$name.json-stdout.jsonl" "$name.err"; do
		python3 "$here/trace-normalize.py" "$mode" <"$tmp/$f" >"$out/$f" || rc=1
	done
	# (no JSON file: the tracer refused the options, e.g. an older one; no verdicts then)
	if [ -f "$tmp/$name.jsonl" ]; then
		python3 "$here/trace-verdicts.py" "$mode" <"$tmp/$name.jsonl" >"$out/$name.verdicts" ||
			rc=1
	else
		: >"$out/$name.verdicts"
	fi
done
echo "trace-snapshot: ${#cases[@]} cases in $out"
exit $rc
