#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trace-normalize.py MODE < tracer-output > normalized

Masks what varies from run to run in cloexec-trace's output (JSON Lines, text lines, stderr)
so that two runs of the same fixture compare equal:
  - times become T (also in text: "created T", "after T ms"), the kernel release K, the
    summary's count of ring-buffer records R,
    temporary names (/tmp/fx_x.AbC123) /tmp/fx_x.XXXXXX, the build directory (environment
    TRACE_SNAPSHOT_BUILD, an absolute path) BUILD;
  - pids and tids become P1, P2... by numeric rank (the kernel hands them out in fork order, so
    "the creator is the exec'd process's parent" stays visible);
  - inode numbers I1, I2... and ports N1, N2... numbered in the order of the sorted output
    with them masked (so the numbering does not depend on timing either).
The fixtures' own "fx ..." lines are dropped, and the lines are sorted: the order in which the
records of different processes (and an exec record and its child's fd records) come out
depends on when the reader polls, not on what the tracer decided.
MODE: sorted (as above); count (every pid, inode, port and fd number masked alike as P, I, N, F,
distinct lines with their counts: threads that reuse each other's fd numbers, fx_thread_churn);
set (as count, distinct lines only, the summary's counts masked too, and JSON exec records
that inherited nothing left out: fx_race, whose number of forks in the window varies, and
whose every fork may land in it).
Used by scripts/trace-snapshot.sh.
"""
import json
import os
import re
import sys

mode = sys.argv[1] if len(sys.argv) > 1 else "sorted"
if mode not in ("sorted", "count", "set"):
    sys.exit("trace-normalize: unknown mode %r (sorted, count, set)" % mode)
ALIKE = mode != "sorted"
SUMMARY_COUNTS = ("fds", "atomic", "late", "never", "execs", "passed")
BUILD = os.environ.get("TRACE_SNAPSHOT_BUILD")
TIME_KEYS = {"t_ns", "fork_t_ns", "late_ns", "window_ns", "created_t_ns", "exec_t_ns", "fate_ns"}
PID_KEYS = {"pid", "tid", "ppid", "creator_pid", "fork_child", "exec_pid", "exec_tid", "fate_pid"}
# where a pid stands in text: /proc/N/, "from N/comm", "fork N inside", "exec N holds", "pid N",
# "passed_on to N"
PID_RE = re.compile(r"(/proc/|\bfrom |\bfork |\bexec |\bpid |\bprocess |\bpassed_on to )(\d+)"
                    r"(?=[/ ]|$)")
PIPE_RE = re.compile(r"(pipe|socket):\[(\d+)\]")
PORT_RE = re.compile(r"(\d+\.\d+\.\d+\.\d+|\]):(\d+)")
TEXT_LINE_RE = re.compile(r"\d+\.\d{6} +(\d+) ")


class Labels:
    """P1, P2... for values; in set mode, or before numbering, one mask for all."""

    def __init__(self, prefix, ranked=None):
        self.prefix, self.map = prefix, {}
        if ranked is not None and not ALIKE:
            for i, v in enumerate(sorted(set(ranked))):
                self.map[v] = "%s%d" % (prefix, i + 1)
        self.numbering = False

    def __call__(self, v):
        v = int(v)
        if ALIKE:
            return self.prefix
        if v not in self.map:
            if not self.numbering:
                return self.prefix
            self.map[v] = "%s%d" % (self.prefix, len(self.map) + 1)
        return self.map[v]


def text(s, pid, ino, port):
    """Mask the varying parts of free text (a path, an address, a text DETAIL, stderr)."""
    if BUILD:
        s = s.replace(BUILD + "/", "BUILD/")
    s = re.sub(r"(/tmp/[A-Za-z0-9_-]+\.)[A-Za-z0-9]{6}", r"\1XXXXXX", s)
    s = PID_RE.sub(lambda m: m[1] + pid(m[2]), s)
    s = PIPE_RE.sub(lambda m: "%s:[%s]" % (m[1], ino(m[2])), s)
    s = PORT_RE.sub(lambda m: m[1] + ":" + port(m[2]), s)
    s = re.sub(r"\b(after|the) \d+ ns", r"\1 T ns", s)
    s = re.sub(r"\bafter \d+\.\d{3} ms", "after T ms", s)
    s = re.sub(r"\b(created|inherited at) \d+\.\d{6}", r"\1 T", s)
    return s


def walk(o, pid, ino, port):
    if isinstance(o, dict):
        r = {}
        for k, v in o.items():
            if k in TIME_KEYS and isinstance(v, int):
                r[k] = "T"
            elif k in PID_KEYS and isinstance(v, int):
                r[k] = pid(v)
            elif k == "ino" and isinstance(v, int):
                r[k] = ino(v)
            elif k == "records" and o.get("type") == "summary":
                r[k] = "R"
            elif k == "kernel":
                r[k] = "K"
            elif k == "fd" and ALIKE:
                r[k] = "F"
            elif k in SUMMARY_COUNTS and mode == "set" and o.get("type") == "summary":
                r[k] = "N"
            else:
                r[k] = walk(v, pid, ino, port)
        return r
    if isinstance(o, list):
        return [walk(v, pid, ino, port) for v in o]
    if isinstance(o, str):
        return text(o, pid, ino, port)
    return o


def collect_pids(o, acc):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in PID_KEYS and isinstance(v, int):
                acc.append(v)
            else:
                collect_pids(v, acc)
    elif isinstance(o, list):
        for v in o:
            collect_pids(v, acc)
    elif isinstance(o, str):
        acc.extend(int(m[2]) for m in PID_RE.finditer(o))


def render(item, pid, ino, port):
    kind, v = item
    if kind == "json":
        return json.dumps(walk(v, pid, ino, port), separators=(",", ":"))
    f = v.split()
    m = TEXT_LINE_RE.match(v)
    if m:  # TIME PID COMM EVENT FD KIND DETAIL... VERDICT: columns widths follow the pids
        f[0], f[1] = "T", pid(f[1])
        if ALIKE and f[4] != "-":
            f[4] = "F"
    s = text(" ".join(f), pid, ino, port)
    if mode == "set" and s.startswith("summary: "):
        s = re.sub(r"(\d+) (fds|atomic|late|never|execs|passed)", r"N \2", s)
    return s


items, pids = [], []
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("fx "):
        continue
    if line.startswith("{"):
        try:
            rec = json.loads(line)
            if mode == "set" and rec.get("type") == "exec" and not rec.get("inherited"):
                continue
            items.append(("json", rec))
            collect_pids(items[-1][1], pids)
            continue
        except ValueError:
            pass
    items.append(("text", line))
    m = TEXT_LINE_RE.match(line)
    if m:
        pids.append(int(m[1]))
    pids.extend(int(m[2]) for m in PID_RE.finditer(line))

pid, ino, port = Labels("P", pids), Labels("I"), Labels("N")
order = sorted(range(len(items)), key=lambda i: render(items[i], pid, ino, port))
ino.numbering = port.numbering = True
for i in order:  # number inodes and ports in the masked sorted order
    render(items[i], pid, ino, port)
out = sorted(render(it, pid, ino, port) for it in items)
if mode == "count":
    out = ["%d %s" % (out.count(l), l) for l in sorted(set(out))]
elif mode == "set":
    out = sorted(set(out))
for l in out:
    print(l)
