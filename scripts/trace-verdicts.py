#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trace-verdicts.py MODE < tracer-json-lines > verdicts

The verdicts of a cloexec-trace JSON Lines run, without what only says how they were written
(times, pids, inodes, field layout), for any schema version (1 or 2): a diff of two runs' outputs
is then exactly the verdicts that changed. One line per fd record (comm, fd, syscall, kind,
verdict), per inherited fd of each exec (the exec'd file's last part, spawn, fd, kind, verdict,
reason, the creator's verdict; version 2's fate records applied first), and the summary's counts
and exit code (helper only when not 0: version 1 has none); sorted. Fates are left out: they are
what a program did, not a verdict (the final verdict, helper, says what they decide). MODE as in trace-normalize.py: sorted (every line),
count (distinct lines with their counts), set (distinct lines, summary counts left out).
Used by scripts/trace-snapshot.sh (NAME.verdicts).
"""
import json
import os
import sys

mode = sys.argv[1] if len(sys.argv) > 1 else "sorted"
recs = []
for line in sys.stdin:
    if line.startswith("{"):
        try:
            recs.append(json.loads(line))
        except ValueError:
            pass
execs = {(r.get("pid"), r.get("t_ns")): r for r in recs if r.get("type") == "exec"}
for f in (r for r in recs if r.get("type") == "fate"):
    e = execs.get((f.get("pid"), f.get("exec_t_ns"))) or {}
    for i in e.get("inherited", []):
        if i.get("fd") == f.get("fd") and i.get("ino") == f.get("ino"):
            i.update({k: f[k] for k in ("verdict", "reason", "fate") if k in f})
out = []
for r in recs:
    t = r.get("type")
    if t == "fd":
        out.append("fd %s %s %s %s %s" % (r.get("comm"), r.get("fd") if mode == "sorted" else "F",
                                          r.get("syscall"), r.get("kind"), r.get("verdict")))
    elif t == "exec":
        for i in r.get("inherited", []):
            out.append("exec %s spawn=%s fd=%s kind=%s %s reason=%s creator=%s" % (
                os.path.basename(r.get("filename") or ""), r.get("spawn"),
                i.get("fd") if mode == "sorted" else "F", i.get("kind"), i.get("verdict"),
                i.get("reason"), (i.get("creator") or {}).get("verdict")))
    elif t == "summary":
        keys = ("fds", "atomic", "late", "never", "execs", "leaked", "helper", "passed", "races",
                "lost", "exit_code")
        out.append("summary " + " ".join(
            "%s=%s" % (k, r.get(k, "-") if mode != "set" or k == "exit_code" else "N")
            for k in keys if k != "helper" or r.get(k)))
out.sort()
if mode == "count":
    out = ["%d %s" % (out.count(l), l) for l in sorted(set(out))]
elif mode == "set":
    out = sorted(set(out))
print("\n".join(out))
