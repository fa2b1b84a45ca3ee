#!/bin/bash
# SPDX-License-Identifier: MIT
#
# kernel_accept.sh - TAP: cloexec-trace's acceptance commands on the running kernel, run by
# scripts/guest/test_kernels.py in every guest and on the host, under the same prove:
#   cloexec-trace --json -- sh -c 'exec 7</etc/passwd; /bin/true'   fd 7 leaked, exit 1
#   cloexec-trace -- /bin/true                                      nothing leaked, exit 0
# and neither says anything on stderr (no libbpf noise from the load-time feature probes).
# With CT_SUITE_OUT set it writes the verdicts of both runs, without times, pids and inode
# numbers, to CT_SUITE_OUT/verdicts.txt: the host compares them across kernels.
set -u
build=${CLOEXEC_LAB_BUILD:-build}
trace=$build/cloexec-trace
rel=$(uname -r)
tmp=$(mktemp -d /tmp/kernel_accept.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { # ok COND-STATUS NAME [DIAG-FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/# /' "$3" | head -20 >&2
	fi
}

[ -x "$trace" ] || { echo "not ok 1 - $trace is built (run make)"; echo "1..1"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root to load BPF programs"; exit 0; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "1..0 # SKIP the kernel has no BTF"; exit 0; }

# 1: fd 7 opened without O_CLOEXEC by the shell and inherited by /bin/true
timeout -k 5 60 "$trace" --json -- sh -c 'exec 7</etc/passwd; /bin/true' \
	>"$tmp/leak.jsonl" 2>"$tmp/leak.err"
rc=$?
[ $rc -eq 1 ]
ok $? "cloexec-trace --json -- sh -c 'exec 7</etc/passwd; /bin/true' exits 1 on $rel (got $rc)" \
	"$tmp/leak.err"
python3 - "$tmp/leak.jsonl" >"$tmp/leak.check" 2>&1 <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hits = [i for r in recs if r["type"] == "exec" and r["filename"] == "/bin/true"
        for i in r["inherited"] if i["fd"] == 7]
assert len(hits) == 1, "exec of /bin/true inherited fd 7 %d times" % len(hits)
h = hits[0]
assert h["verdict"] == "leaked", h
assert h["kind"] == "file" and h.get("path") == "/etc/passwd", h
assert h["creator"] and h["creator"]["verdict"] == "never", h
s = recs[-1]
assert s["type"] == "summary" and s["leaked"] == 1 and s["exit_code"] == 1, s
EOF
ok $? "it reports fd 7 (/etc/passwd, created without the flag) leaked into /bin/true on $rel" \
	"$tmp/leak.check"
[ ! -s "$tmp/leak.err" ]
ok $? "it writes nothing to stderr on $rel" "$tmp/leak.err"

# 2: nothing leaks
timeout -k 5 60 "$trace" -- /bin/true >"$tmp/clean.txt" 2>"$tmp/clean.err"
rc=$?
[ $rc -eq 0 ]
ok $? "cloexec-trace -- /bin/true exits 0 on $rel (got $rc)" "$tmp/clean.err"
grep -Eq '^summary: .* 0 leaked, .*-> exit 0( \(.*\))?$' "$tmp/clean.txt"
ok $? "its summary says 0 leaked on $rel" "$tmp/clean.txt"
[ ! -s "$tmp/clean.err" ]
ok $? "it writes nothing to stderr on $rel" "$tmp/clean.err"

# which of the probed features this kernel has (ct_kernel.c), for the log
timeout -k 5 60 "$trace" -v -- /bin/true 2>&1 >/dev/null | grep -m1 ': kernel ' | sed 's/^/# /'

if [ -n "${CT_SUITE_OUT:-}" ]; then
	python3 - "$tmp/leak.jsonl" <<'EOF' | sort >"$CT_SUITE_OUT/verdicts.txt"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "fd":
        print("fd", r["comm"], r["fd"], r["syscall"], r["kind"], r.get("path"), r["verdict"])
    elif r["type"] == "exec":
        print("exec", r["filename"], r["spawn"], [(i["fd"], i["kind"], i.get("path"),
              i["verdict"], (i["creator"] or {}).get("verdict")) for i in r["inherited"]])
    elif r["type"] == "summary":
        print("summary", *(r[k] for k in ("fds", "atomic", "late", "never", "execs",
                                          "leaked", "passed", "races", "lost", "exit_code")))
EOF
fi
echo "1..$n"
[ $fails -eq 0 ]
