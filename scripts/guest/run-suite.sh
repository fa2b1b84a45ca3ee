#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run-suite.sh OUTDIR - run a kernel job: the tests of OUTDIR/tests.list under prove's engine
# (scripts/guest/prove-record.pl), in the environment scripts/run-tests.sh gives `make test`.
# Run inside the guest by its /init (in a chroot of the overlay), and on the host for the host
# kernel, so both start alike: a fixed environment (env -i, a sane PATH, CLOEXEC_LAB_BUILD), the
# host's RLIMIT_NOFILE, no inherited fds above 2, stdin /dev/null, the tree as cwd.
#
# OUTDIR/job.env (written by test_kernels.py, sourced here) sets TREE, BUILD, NOFILE_SOFT and
# NOFILE_HARD. Results: OUTDIR/results.tsv, OUTDIR/tap/, OUTDIR/done (see prove-record.pl).
set -u
out=${1:?usage: run-suite.sh OUTDIR}
if [ -z "${CT_SUITE_CLEAN:-}" ]; then
	exec env -i CT_SUITE_CLEAN=1 HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash "$0" "$@"
fi
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
done
# shellcheck source=/dev/null
. "$out/job.env" || { echo "run-suite: failed to read $out/job.env" >&2; exit 2; }
cd "$TREE" || exit 2
ulimit -Hn "$NOFILE_HARD" 2>/dev/null
ulimit -Sn "$NOFILE_SOFT" 2>/dev/null
ulimit -c 0
export CLOEXEC_LAB_BUILD=$BUILD CT_SUITE_OUT=$out
echo "run-suite: kernel $(uname -r), $(nproc) cpus, nofile $(ulimit -Sn)/$(ulimit -Hn)," \
	"$(wc -l <"$out/tests.list") tests"
exec perl "$TREE/scripts/guest/prove-record.pl" "$out" </dev/null
