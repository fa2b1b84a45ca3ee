#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""goals.py - the tracer's performance goals, each figure against its floor.

Reads one cloexec-bench run (Google Benchmark JSON with per-repetition rows) and the
cloexec-load JSON written beside it (schema cloexec-load/1), and for every figure gives the
floor measured in the same run (an empty tp_btf/sys_exit program: build/bench/cloexec-floor),
the figure, its goal and whether the goal is met. The goals, numbered as in bench/README.md:
  1   a traced C build with the default options: <= untraced + 3% wall, every finding with
      its stack (cloexec-load build; per-round ratio traced/untraced)
  2a  0 records lost for the whole run, 2 producers, fds made with the flag (churn
      dup3_cloexec), the summary exact
  2b  the same for fds made without the flag (churn dup3_plain)
  2c  the summary exact over many short processes (procs)
  3   an fd made without the flag, closed before any fork or exec: <= floor + 30 ns per
      create+close pair (trace_dup3_plain/traced, trace_socket_plain/traced: default options)
  4   an atomic create+close pair: <= floor + 30 ns (trace_dup3/traced, trace_socket/traced)
  5a  a record that reaches user space, without its stack: <= floor + 150 ns
      (trace_*_plain/allfds_nostack: --all-fds --no-stacks)
  5b  the kernel side of its stack: allfds - allfds_nostack <= 1000 ns
  5c  one unwind per distinct stack: 1M fds from one call site, summary stacks.unwound == 1
      (cloexec-load footprint, dup3_plain, default options)
  6   the tracer's own CPU seconds per traced second and its max RSS (reported)
Reported beside them, without a goal: a (getppid in an untraced process), c (a record of an fd
without the flag with --no-stacks: traced_nostack), e (the rate of fds without the flag held
with 0 lost), g (RSS and output bytes per 1M fds).

A goal is met only when the whole 95% interval of the figure lies within it, not met when the
interval lies beyond it, and undecided otherwise (the interval holds the goal, too few
repetitions, records lost, a figure below its floor). Count goals (2, 5c) are met or not met on
the counts. When the run also measured another tracer (cloexec-bench --before, cloexec-load
--before: variants <variant>@before, config "before"), every figure is computed for it too,
against the same floor, under "before"; --markdown prints the before/after table.
Statistics: results/labstats.py (Hodges-Lehmann shift with its distribution-free interval);
the build's per-round ratios: the one-sample Wilcoxon signed-rank interval (here, tested by
harness/t/bench_goals.py).

Prints a table and, with --out, writes the figures as JSON (schema cloexec-goals/2,
results/FORMATS.md). results/report.py calls figures() for its section.

Exit status: 0 ok (also when a goal is not met: goals live in the report, not in the exit
code), 1 invalid input, 2 usage, 3 a file cannot be read or written.

EXAMPLES
  /usr/bin/python3 bench/goals.py --load results/bench/latest.load.json results/bench/latest.json
  /usr/bin/python3 bench/goals.py --load run.load.json run.json --out run.goals.json
  /usr/bin/python3 bench/goals.py --markdown --load run.load.json run.json
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "results"))
import labstats as ls  # noqa: E402

PROG = "goals.py"
BEFORE = "@before"  # the suffix of a variant run with the other tracer (cloexec-bench --before)

# (figure, group, variant, goal in ns over the floor, what)
MICRO = [
    ("3", "trace_dup3_plain", "traced", 30.0,
     "dup3() without the flag + close, closed before any fork or exec (default options)"),
    ("3", "trace_socket_plain", "traced", 30.0,
     "socket() without the flag + close, closed before any fork or exec (default options)"),
    ("4", "trace_dup3", "traced", 30.0, "dup3(O_CLOEXEC) + close in the traced tree (a pair)"),
    ("4", "trace_socket", "traced", 30.0,
     "socket(SOCK_CLOEXEC) + close in the traced tree (a pair)"),
    ("5a", "trace_dup3_plain", "allfds_nostack", 150.0,
     "dup3() without the flag, each a record that reaches user space (--all-fds --no-stacks)"),
    ("5a", "trace_socket_plain", "allfds_nostack", 150.0,
     "socket() without the flag, each a record that reaches user space (--all-fds "
     "--no-stacks)"),
]
# (figure, group, variant, compared with, goal in ns over it, what): the stack's kernel side
STACK = [
    ("5b", "trace_dup3_plain", "allfds", "allfds_nostack", 1000.0,
     "the kernel side of a record's stack: --all-fds minus --all-fds --no-stacks, CPU time of "
     "the traced thread (dup3)"),
    ("5b", "trace_socket_plain", "allfds", "allfds_nostack", 1000.0,
     "the kernel side of a record's stack: --all-fds minus --all-fds --no-stacks, CPU time of "
     "the traced thread (socket)"),
]
# reported beside the goals, no verdict: (figure, group, variant, what)
REPORTED = [
    ("a", "trace_getppid", "filtered",
     "getppid() in an untraced process while the tracer traces another tree"),
    ("c", "trace_dup3_plain", "traced_nostack",
     "dup3() without the flag + close with --no-stacks"),
    ("c", "trace_socket_plain", "traced_nostack",
     "socket() without the flag + close with --no-stacks"),
]
MICRO_IDS = ("3", "4", "5a", "5b", "a", "c")
BUILD_GOAL_PCT = 3.0  # traced build's wall time over the untraced one
RATE_REF = 1e6        # the old goal of the rate figure (e): reported against it
LEVEL = 0.95


class BadInput(Exception):
    pass


# --- verdicts (harness/t/bench_goals.py tests these with known inputs) ------------------------

def verdict(lo, hi, goal, reached):
    """'met' when the whole interval is within the goal, 'not met' when beyond it."""
    if not reached:
        return "undecided"
    if hi <= goal:
        return "met"
    if lo > goal:
        return "not met"
    return "undecided"


def _signed_rank_counts(n):
    """Null distribution of the Wilcoxon signed-rank statistic T+ for n: counts[t]."""
    c = [1] + [0] * (n * (n + 1) // 2)
    for i in range(1, n + 1):
        for t in range(len(c) - 1, i - 1, -1):
            c[t] += c[t - i]
    return c


def signed_rank_ci(xs, level=LEVEL):
    """
    Hodges-Lehmann estimate of the centre of xs (the median of the Walsh averages) and the
    distribution-free interval of the one-sample Wilcoxon signed-rank test: the Walsh averages
    cut at the critical value. Returns (est, lo, hi, reached); reached False (lo..hi the range
    of the averages) when n is too small for the level (n < 6 at 95%). None when xs is empty.
    """
    n = len(xs)
    if n == 0:
        return None
    w = sorted((xs[i] + xs[j]) / 2.0 for i in range(n) for j in range(i, n))
    est = ls.median(w)
    counts = _signed_rank_counts(n)
    total = float(2 ** n)
    tail = (1 - level) / 2
    k, cum = -1, 0
    while k + 1 < len(w) // 2 and (cum + counts[k + 1]) / total <= tail:
        cum += counts[k + 1]
        k += 1
    if k < 0:
        return est, w[0], w[-1], False
    return est, w[k], w[len(w) - 1 - k], True


def summary_exact(summary, made=None):
    """
    Whether a tracer's summary record adds up: its fds are what the producers made (made, when
    known), atomic + late + never = fds (where the three are present), and every
    <kind>_by_syscall object sums to its total (<kind>_counted where the summary has it, else
    <kind>). (True | False | None, [problems]); None when there is no summary.
    """
    if not isinstance(summary, dict):
        return None, ["no summary record"]
    probs = []
    fds = summary.get("fds")
    if made is not None and fds != made:
        probs.append("summary.fds %s, the producers made %s" % (fds, made))
    parts = [summary.get(k) for k in ("atomic", "late", "never")]
    if all(isinstance(p, int) for p in parts) and isinstance(fds, int) and sum(parts) != fds:
        probs.append("atomic + late + never = %d, fds %d" % (sum(parts), fds))
    for k, v in sorted(summary.items()):
        if not k.endswith("_by_syscall") or not isinstance(v, dict):
            continue
        kind = k[:-len("_by_syscall")]
        total = summary.get(kind + "_counted", summary.get(kind))
        got = sum(x for x in v.values() if isinstance(x, int))
        if got != total:
            probs.append("%s adds up to %d, %s is %s" % (
                k, got, kind + "_counted" if kind + "_counted" in summary else kind, total))
    return not probs, probs


def count_verdict(lost, exact):
    """A count goal (2a-2c): met with 0 lost and an exact summary, not met otherwise."""
    if lost is None or exact is None:
        return "undecided"
    return "met" if lost == 0 and exact else "not met"


def unwind_verdict(unwound, lost):
    """5c: one unwind for one call site. More than one is not met whatever was lost."""
    if not isinstance(unwound, int) or unwound < 0:
        return "undecided"
    if unwound > 1:
        return "not met"
    return "met" if unwound == 1 and lost == 0 else "undecided"


def build_verdict(lo, hi, reached, findings, with_stack):
    """1: the interval within +3%, and every finding of every traced build with its stack."""
    if findings is not None and with_stack is not None and with_stack < findings:
        return "not met"
    return verdict(lo, hi, BUILD_GOAL_PCT, reached)


def rounds_needed(n, lo, hi, est, goal):
    """
    Rounds for an interval that decides the goal, from the measured spread: the half-width
    shrinks as 1/sqrt(n), and it must become smaller than |est - goal|. None when the estimate
    is on the goal; n when the interval decides already.
    """
    hw = (hi - lo) / 2.0
    d = abs(est - goal)
    if hi <= goal or lo > goal:
        return n
    if d <= 1e-9 or hw <= 0:
        return None
    return int(math.ceil(n * (hw / d) ** 2))


# --- the benchmark JSON -------------------------------------------------------------------------

def lost_in(labels):
    """Repetitions whose tracer label says records were lost (their figure is too low)."""
    n = 0
    for lbl in labels:
        v = label_values(lbl).get("lost")
        if v:
            n += 1
    return n


def label_values(lbl):
    """'fd_events=1 lost=0 ...' -> {"fd_events": 1, "lost": 0, ...} (integers only)."""
    out = {}
    for part in str(lbl).split():
        k, sep, v = part.partition("=")
        if sep and v.lstrip("-").isdigit():
            out[k] = int(v)
    return out


def load_bench(path):
    """labstats' loader, plus each repetition's label and its loop's length."""
    try:
        doc, benches = ls.load_gbench(path)
    except ls.InputError as e:
        raise BadInput(str(e))
    for b in benches.values():
        b.labels, b.loops_ns = [], []
    for row in doc["benchmarks"]:
        rn = row.get("run_name", row.get("name"))
        if row.get("run_type", "iteration") == "iteration" and rn in benches and \
                not row.get("error_occurred"):
            benches[rn].labels.append(str(row.get("label", "")))
            it = row.get("iterations")
            rt = benches[rn].real[len(benches[rn].labels) - 1] \
                if len(benches[rn].real) >= len(benches[rn].labels) else None
            benches[rn].loops_ns.append(rt * it if isinstance(it, int) and rt else None)
    return doc, benches


def _by_variant(benches):
    by = {}
    for rn, b in benches.items():
        by.setdefault((b.group, b.variant), []).append(rn)
    return by


def tracer_cost(b):
    """Figure 6 of a micro run: the tracer's CPU per second of the timed loop, its max RSS."""
    cpu, rss = [], []
    for lbl, loop in zip(b.labels, b.loops_ns):
        v = label_values(lbl)
        if "tracer_cpu_us" in v and loop:
            cpu.append(v["tracer_cpu_us"] * 1e3 / loop)
        if "tracer_maxrss_kb" in v:
            rss.append(v["tracer_maxrss_kb"])
    out = {}
    if cpu:
        out["tracer_cpu_per_s"] = ls.median(cpu)
    if rss:
        out["tracer_maxrss_kb"] = ls.median(rss)
    return out


def shift(cand, base, metric):
    """(est, lo, hi, reached) of cand - base over the repetitions, or None."""
    a, b = cand.times(metric), base.times(metric)
    if len(a) < 2 or len(b) < 2:
        return None
    s = ls.shift_ci(a, b, LEVEL)
    return s.est, s.lo, s.hi, s.reached


def micro_stats(benches, by, group, variant, against, goal, metric):
    """One micro figure: variant over against (the floor, or the record without its stack)."""
    cand_rn, base_rn = by.get((group, variant)), by.get((group, against))
    if not cand_rn or not base_rn:
        return {"status": "missing", "verdict": "undecided",
                "note": "no %s/%s or %s/%s rows in this run" % (group, against, group, variant)}
    cb, bb = benches[cand_rn[0]], benches[base_rn[0]]
    sh = shift(cb, bb, metric)
    if sh is None:
        return {"status": "missing", "verdict": "undecided",
                "note": "; ".join(b.error for b in (cb, bb) if b.error) or
                "fewer than 2 repetitions"}
    est, lo, hi, reached = sh
    sc, sb = ls.summary(cb.times(metric)), ls.summary(bb.times(metric))
    f = {"status": "ok", "n": [sc["n"], sb["n"]], "median_ns": sc["median"], "iqr_ns": sc["iqr"],
         "base_median_ns": sb["median"], "base_iqr_ns": sb["iqr"], "over_ns": est,
         "ci95_ns": [lo, hi], "ci_reached": reached,
         "ratio": sc["median"] / sb["median"] if sb["median"] > 0 else None,
         "verdict": verdict(lo, hi, goal, reached) if goal is not None else "reported"}
    other = "cpu_time" if metric == "real_time" else "real_time"
    osh = shift(cb, bb, other)
    if osh:
        f[other] = {"over_ns": osh[0], "ci95_ns": [osh[1], osh[2]], "ci_reached": osh[3]}
        if goal is not None:
            f[other]["verdict"] = verdict(osh[1], osh[2], goal, osh[3])
    f.update(tracer_cost(cb))
    notes = []
    if reached and hi < 0 and against == "floor":
        # nothing the tracer runs costs less than the empty program: the run was disturbed
        notes.append("below its floor (the whole interval < 0): a disturbed run, no tracer "
                     "costs less than an empty program")
    lost = lost_in(cb.labels) + (lost_in(bb.labels) if against != "floor" else 0)
    if lost:
        notes.append("records were lost in %d repetitions: the tracer did less than its work, "
                     "the figure is too low" % lost)
    if not reached:
        notes.append("too few repetitions for a 95% interval")
    if notes:
        if goal is not None:
            f["verdict"] = "undecided"
        f["note"] = "; ".join(notes)
    return f


def _floor_of(benches, by, group, metric):
    fl, un = by.get((group, "floor")), by.get((group, "untraced"))
    if not fl:
        return {}
    out = {"floor_median_ns": ls.median(benches[fl[0]].times(metric))
           if benches[fl[0]].times(metric) else None}
    if un:
        sh = shift(benches[fl[0]], benches[un[0]], metric)
        if sh:
            out.update(untraced_median_ns=ls.median(benches[un[0]].times(metric)),
                       floor_cost_ns=sh[0], floor_cost_ci95_ns=[sh[1], sh[2]])
    return out


def micro_figures(benches, metric="real_time"):
    """
    3-5b, a, c. 5b is judged on CPU time: the kernel side of a stack runs in the traced
    thread's syscall (its CPU time holds it exactly), while its wall time also holds the
    tracer's user-space work competing for the machine's cores; the wall figure is beside it.
    """
    by = _by_variant(benches)
    out = []
    table = [(fid, g, v, "floor", goal, what, metric) for fid, g, v, goal, what in MICRO]
    table += [(fid, g, v, against, goal, what, "cpu_time")
              for fid, g, v, against, goal, what in STACK]
    table += [(fid, g, v, "floor", None, what, metric) for fid, g, v, what in REPORTED]
    for fid, group, variant, against, goal, what, m in table:
        f = {"figure": fid, "name": "%s/%s" % (group, variant), "what": what,
             "unit": "ns per iteration", "against": against, "metric": m,
             "goal": ("<= %s + %g ns" % (against, goal)) if goal is not None else "reported",
             "goal_ns": goal}
        f.update(micro_stats(benches, by, group, variant, against, goal, m))
        if against == "floor":
            f.update(_floor_of(benches, by, group, m))
        if (group, variant + BEFORE) in by:
            # the other tracer, against the same floor (or its own record without a stack)
            base = against if against == "floor" else against + BEFORE
            f["before"] = micro_stats(benches, by, group, variant + BEFORE, base, goal, m)
        out.append(f)
    return out


# --- the load JSON ------------------------------------------------------------------------------

def _rows(load, figure, config=None):
    return [r for r in load.get("rows", []) if isinstance(r, dict) and r.get("figure") == figure
            and (config is None or r.get("config") == config)]


def _cost(r):
    """Figure 6 of a load row: the tracer's CPU per traced second and its max RSS."""
    out = {}
    if isinstance(r.get("prog_cpu_per_traced_s"), (int, float)):
        out["tracer_cpu_per_s"] = r["prog_cpu_per_traced_s"]
    if isinstance(r.get("maxrss_kb"), int):
        out["tracer_maxrss_kb"] = r["maxrss_kb"]
    return out


def _summary(r):
    t = r.get("tracer") if isinstance(r.get("tracer"), dict) else {}
    return t.get("summary") if isinstance(t.get("summary"), dict) else None


def _lost(r):
    t = r.get("tracer") if isinstance(r.get("tracer"), dict) else {}
    s = _summary(r)
    v = (s or {}).get("lost", t.get("lost"))
    return v if isinstance(v, int) and v >= 0 else None


def count_stats(r):
    """2a-2c for one tracer row: lost, the summary's exactness, the verdict."""
    if not r:
        return {"status": "missing", "verdict": "undecided", "note": "no run under this tracer"}
    lost = _lost(r)
    exact, probs = summary_exact(_summary(r), r.get("fds"))
    f = {"status": "ok", "lost": lost, "fds": r.get("fds"), "duration_s": r.get("duration_s"),
         "counted": (_summary(r) or {}).get("fds"), "exact": exact,
         "rate_per_s": r.get("rate_per_s") if r.get("rate_per_s") is not None else
         (r["fds"] / r["duration_s"] if r.get("duration_s") else None),
         "verdict": count_verdict(lost, exact)}
    if probs:
        f["note"] = "; ".join(probs)
    if r.get("processes") is not None:
        f["processes"] = r["processes"]
    f.update(_cost(r))
    return f


def churn_figure(load, op, fid):
    rows = [r for r in _rows(load, "churn") if r.get("op") == op]
    what = {"dup3_cloexec": "fds made with the flag", "dup3_plain": "fds made without it"}[op]
    f = {"figure": fid, "name": "churn/%s" % op, "unit": "fds per second",
         "what": "2 producers creating and closing %s (dup3 + close) as fast as they can for the "
                 "whole run, default options" % what,
         "goal": "0 records lost, the summary exact"}
    sust = {r.get("config"): r for r in rows if r.get("phase") == "sustained"}
    f.update(count_stats(sust.get("tracer")))
    refs = {}
    for r in rows:
        if r.get("phase") == "reference" and isinstance(r.get("rate_per_s"), (int, float)):
            refs.setdefault(r.get("config"), []).append(float(r["rate_per_s"]))
    for cfg in ("floor", "untraced"):
        if refs.get(cfg):
            f["%s_rate_per_s" % cfg] = ls.median(refs[cfg])
            f["%s_rate_range" % cfg] = [min(refs[cfg]), max(refs[cfg])]
            f["%s_runs" % cfg] = len(refs[cfg])
    if f.get("floor_rate_per_s") and f.get("rate_per_s"):
        f["ratio_to_floor"] = f["rate_per_s"] / f["floor_rate_per_s"]
    if "before" in sust:
        f["before"] = count_stats(sust["before"])
    return f


def procs_figure(load):
    f = {"figure": "2c", "name": "procs", "unit": "fds per second",
         "what": "2 producers, each a succession of short processes making %s fds (half with the "
                 "flag, half without) and exiting, default options" % (
                     (_rows(load, "procs") or [{}])[0].get("fds_per_process", "?")),
         "goal": "0 records lost, the summary exact"}
    f.update(count_stats((_rows(load, "procs", "tracer") or [None])[0]))
    un = _rows(load, "procs", "untraced")
    if un and un[0].get("duration_s"):
        f["untraced_processes_per_s"] = un[0].get("processes", 0) / un[0]["duration_s"]
    if f.get("processes") is not None and f.get("duration_s"):
        f["processes_per_s"] = f["processes"] / f["duration_s"]
    bf = _rows(load, "procs", "before")
    if bf:
        f["before"] = count_stats(bf[0])
    return f


def _secs(r, key):
    v = r.get(key, r.get("wall_s")) if key == "end_s" else r.get(key)
    return float(v) if isinstance(v, (int, float)) else None


def round_pcts(rows, config, key="end_s"):
    """Per round: 100 * (config's time / the untraced build's time - 1), rounds with both."""
    un = {r.get("round"): _secs(r, key) for r in rows if r.get("config") == "untraced"}
    tr = {r.get("round"): r for r in rows if r.get("config") == config}
    rounds = sorted(k for k in set(un) & set(tr) if un[k] and _secs(tr[k], key) is not None)
    return rounds, [100.0 * (_secs(tr[k], key) / un[k] - 1) for k in rounds], tr


def build_stats(rows, config):
    """
    1 for one tracer config: per-round ratio to the untraced build of the same round, on the
    time to the end (the build reaped and the tracer done writing: what a user waits for; a
    tracer that defers its work past the build pays it here), the build's own wall beside.
    """
    rounds, pct, tr = round_pcts(rows, config, "end_s")
    if len(rounds) < 2:
        return {"status": "missing", "verdict": "undecided",
                "note": "fewer than 2 rounds with an untraced and a %s build" % config}
    est, lo, hi, reached = signed_rank_ci(pct)
    _, wpct, _ = round_pcts(rows, config, "wall_s")
    west, wlo, whi, _ = signed_rank_ci(wpct)
    found = [t.get("tracer", {}).get("found") for t in (tr[k] for k in rounds)]
    findings = with_stack = with_line = None
    if all(isinstance(x, dict) for x in found):
        findings = sum(x.get("findings", 0) for x in found)
        with_stack = sum(x.get("with_stack", 0) for x in found)
        with_line = sum(x.get("with_line", 0) for x in found)
    f = {"status": "ok", "n": len(rounds), "round_pct": pct, "over_untraced_pct": est,
         "ci95_pct": [lo, hi], "ci_reached": reached,
         "median_s": ls.median([_secs(tr[k], "end_s") for k in rounds]),
         "build_wall_over_untraced_pct": west, "build_wall_ci95_pct": [wlo, whi],
         "findings": findings, "findings_with_stack": with_stack,
         "findings_with_line": with_line,
         "verdict": build_verdict(lo, hi, reached, findings, with_stack),
         "rounds_needed": rounds_needed(len(rounds), lo, hi, est, BUILD_GOAL_PCT) if reached
         else None, "spread_sd_pct": _sd(pct)}
    # the CPU the traced build's own processes used, over the untraced one's (same rounds)
    ucpu = {r.get("round"): r.get("cpu_s") for r in rows if r.get("config") == "untraced"}
    cpu = [100.0 * (tr[k]["cpu_s"] / ucpu[k] - 1) for k in rounds
           if isinstance(tr[k].get("cpu_s"), (int, float)) and ucpu.get(k)]
    if cpu:
        f["cpu_over_untraced_pct"] = ls.median(cpu)
    costs = [_cost(tr[k]) for k in rounds]
    if all("tracer_cpu_per_s" in c for c in costs):
        f["tracer_cpu_per_s"] = ls.median([c["tracer_cpu_per_s"] for c in costs])
    if all("tracer_maxrss_kb" in c for c in costs):
        f["tracer_maxrss_kb"] = max(c["tracer_maxrss_kb"] for c in costs)
    notes = []
    if findings is not None and with_stack < findings:
        notes.append("%d of %d findings without a stack" % (findings - with_stack, findings))
    if not reached:
        notes.append("too few rounds for a 95%% interval (%d; at least 6)" % len(rounds))
    elif f["verdict"] == "undecided":
        notes.append("undecided: about %s rounds would decide at this spread" % (
            f["rounds_needed"] if f["rounds_needed"] else "infinitely many"))
    if notes:
        f["note"] = "; ".join(notes)
    return f


def _sd(xs):
    if len(xs) < 2:
        return None
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def build_figure(load):
    rows = _rows(load, "build")
    first = rows[0] if rows else {}
    f = {"figure": "1", "name": "build", "unit": "% time to the end over the untraced build",
         "what": "a C build (%s), traced with the default options vs untraced, interleaved "
                 "rounds; the time until the build is reaped and the tracer has written "
                 "everything" % ("%s in %s%s" % (
                     first.get("command"), first.get("dir"),
                     ", %s sources" % first["sources"] if first.get("sources") else "")
                     if first else "none in this run"),
         "goal": "<= untraced + %g%%, every finding with its stack" % BUILD_GOAL_PCT,
         "goal_pct": BUILD_GOAL_PCT}
    f.update(build_stats(rows, "tracer"))
    un = [_secs(r, "end_s") for r in rows if r.get("config") == "untraced"]
    fl = [_secs(r, "end_s") for r in rows if r.get("config") == "floor"]
    if un:
        f["untraced_median_s"] = ls.median(un)
        f["untraced_iqr_s"] = ls.summary(un)["iqr"]
    if fl and f.get("status") == "ok":
        fs = build_stats(rows, "floor")
        if fs.get("status") == "ok":
            f["floor_median_s"] = ls.median(fl)
            f["floor_over_untraced_pct"] = fs["over_untraced_pct"]
            f["floor_ci95_pct"] = fs["ci95_pct"]
    if any(r.get("config") == "before" for r in rows):
        f["before"] = build_stats(rows, "before")
    return f


def unwind_stats(r):
    if not r:
        return {"status": "missing", "verdict": "undecided", "note": "no footprint run"}
    s = _summary(r) or {}
    st = s.get("stacks") if isinstance(s.get("stacks"), dict) else {}
    unwound = st.get("unwound")
    lost = _lost(r)
    f = {"status": "ok", "fds": r.get("fds"), "lost": lost, "unwound": unwound,
         "stacks_taken": st.get("taken"), "verdict": unwind_verdict(unwound, lost)}
    if not isinstance(unwound, int):
        f["note"] = "the summary has no stacks.unwound (stacks off, or not counted)"
    elif lost:
        f["note"] = "%d records lost: not every fd reached the tracer" % lost
    f.update(_cost(r))
    return f


def unwind_figure(load):
    rows = [r for r in _rows(load, "footprint") if r.get("op") == "dup3_plain"]
    f = {"figure": "5c", "name": "unwind", "unit": "stacks unwound",
         "what": "fds without the flag from one call site (one producer, paced), default "
                 "options: how many stacks the tracer unwound", "goal": "stacks.unwound == 1"}
    f.update(unwind_stats(next((r for r in rows if r.get("config") == "tracer"), None)))
    bf = next((r for r in rows if r.get("config") == "before"), None)
    if bf:
        f["before"] = unwind_stats(bf)
    return f


def rate_figure(load):
    """e (reported): the rate search when it ran, else the churn of fds without the flag."""
    f = {"figure": "e", "name": "rate", "unit": "fds per second", "goal": "reported",
         "verdict": "reported", "status": "ok"}
    res = [r for r in _rows(load, "rate") if r.get("phase") == "result"]
    if res:
        r = res[-1]
        f.update(what="the highest paced rate of fds without the flag held with 0 lost "
                      "(--no-stacks: the records' rate)", held_per_s=r.get("held_per_s"),
                 duration_s=r.get("duration_s"), floor_capacity_per_s=r.get(
                     "capacity_floor_per_s"), unpaced_per_s=r.get("unpaced_per_s"),
                 limit=r.get("limit"), source="rate")
    else:
        ch = churn_figure(load, "dup3_plain", "e")
        if ch.get("status") != "ok":
            return dict(f, status="missing", what="the rate of fds without the flag",
                        note="no churn of fds without the flag (nor a rate run)")
        f.update(what="the rate of fds without the flag 2 unpaced producers reach under the "
                      "tracer (default options), held with 0 lost", source="churn",
                 held_per_s=ch["rate_per_s"] if ch.get("lost") == 0 else 0,
                 duration_s=ch.get("duration_s"), lost=ch.get("lost"),
                 floor_capacity_per_s=ch.get("floor_rate_per_s"),
                 limit="the producers' speed under the tracer" if ch.get("lost") == 0 else
                 "records lost")
    f["note"] = "the old goal >= %.0fk/s: %s" % (RATE_REF / 1e3, "reached" if (
        f.get("held_per_s") or 0) >= RATE_REF else "not reached")
    return f


def footprint_figures(load):
    fp = _rows(load, "footprint")
    floor_rss = next((r.get("maxrss_kb") for r in fp if r.get("config") == "floor"), None)
    out = []
    for r in fp:
        if r.get("config") != "tracer":
            continue
        f = {"figure": "g", "name": "footprint/%s" % r.get("op"), "unit": "per 1M fds",
             "what": "the tracer's max RSS and output bytes per 1M fd creations (%s, default "
                     "options, text and JSON)" % r.get("op"), "goal": "reported",
             "status": "ok", "verdict": "reported", "fds": r.get("fds"),
             "maxrss_kb": r.get("maxrss_kb"), "floor_maxrss_kb": floor_rss,
             "json_bytes_per_1m": r.get("json_bytes_per_1m"),
             "text_bytes_per_1m": r.get("text_bytes_per_1m"), "lost": _lost(r)}
        bf = next((x for x in fp if x.get("config") == "before" and x.get("op") == r.get("op")),
                  None)
        if bf:
            f["before"] = {"status": "ok", "verdict": "reported", "maxrss_kb": bf.get(
                "maxrss_kb"), "json_bytes_per_1m": bf.get("json_bytes_per_1m"),
                "text_bytes_per_1m": bf.get("text_bytes_per_1m"), "lost": _lost(bf)}
        out.append(f)
    if not fp:
        out.append({"figure": "g", "name": "footprint", "unit": "per 1M fds", "goal": "reported",
                    "what": "the tracer's max RSS and output bytes per 1M fd creations",
                    "status": "missing", "verdict": "undecided", "note": "no footprint run"})
    return out


COST_OF = ("1", "2a", "2b", "2c", "3", "4", "5c")  # the figures of the default options


def cost_figures(figs):
    """6: the tracer's own CPU per traced second and max RSS, beside each figure of the
    tracer as users run it (default options) that has them."""
    out = []
    for f in figs:
        if f.get("figure") not in COST_OF or ("tracer_cpu_per_s" not in f and
                                               "tracer_maxrss_kb" not in f):
            continue
        g = {"figure": "6", "name": f["name"], "unit": "CPU s per traced s; KiB",
             "what": "the tracer's own CPU seconds per traced second and its max RSS, in %s "
                     "(figure %s)" % (f["name"], f["figure"]), "goal": "reported",
             "status": "ok", "verdict": "reported",
             "tracer_cpu_per_s": f.get("tracer_cpu_per_s"),
             "tracer_maxrss_kb": f.get("tracer_maxrss_kb")}
        b = f.get("before")
        if isinstance(b, dict) and ("tracer_cpu_per_s" in b or "tracer_maxrss_kb" in b):
            g["before"] = {"status": "ok", "verdict": "reported",
                           "tracer_cpu_per_s": b.get("tracer_cpu_per_s"),
                           "tracer_maxrss_kb": b.get("tracer_maxrss_kb")}
        out.append(g)
    return out


def load_figures(load):
    return [build_figure(load), churn_figure(load, "dup3_cloexec", "2a"),
            churn_figure(load, "dup3_plain", "2b"), procs_figure(load), unwind_figure(load),
            rate_figure(load)] + footprint_figures(load)


def read_load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise OSError("failed to read %s: %s" % (path, e.strerror))
    except (ValueError, UnicodeDecodeError) as e:
        raise BadInput("%s: not JSON: %s" % (path, e))
    if not isinstance(doc, dict) or doc.get("schema") != "cloexec-load/1":
        raise BadInput("%s: schema is not cloexec-load/1" % path)
    if not isinstance(doc.get("rows"), list):
        raise BadInput("%s: no \"rows\" list" % path)
    return doc


ORDER = ["1", "2a", "2b", "2c", "3", "4", "5a", "5b", "5c", "6", "a", "c", "e", "g"]


def figures(bench_path=None, load_path=None, metric="real_time"):
    """Every figure as a dict (see FORMATS.md, cloexec-goals/2). Raises BadInput, OSError."""
    out = []
    if bench_path:
        _, benches = load_bench(bench_path)
        out += micro_figures(benches, metric)
    if load_path:
        load = read_load(load_path)
        if load.get("skipped"):
            out.append({"figure": "1-2", "name": "load", "status": "skipped",
                        "verdict": "undecided", "goal": "-", "what": "the long runs",
                        "note": "skipped: %s" % load["skipped"]})
        else:
            out += load_figures(load)
    out += cost_figures(out)
    return sorted(out, key=lambda f: ORDER.index(f["figure"]) if f["figure"] in ORDER else 99)


# --- text ---------------------------------------------------------------------------------------

def _ns(x):
    return "-" if x is None else ("%.0f" % x if abs(x) >= 100 else "%.1f" % x)


def _sns(x):
    return "-" if x is None else ("+" if x >= 0 else "") + _ns(x)


def _rate(x):
    return "-" if not isinstance(x, (int, float)) else "%.0fk/s" % (x / 1e3)


def _cost_text(f):
    parts = []
    if isinstance(f.get("tracer_cpu_per_s"), (int, float)):
        parts.append("tracer CPU %.3f s/s" % f["tracer_cpu_per_s"])
    if isinstance(f.get("tracer_maxrss_kb"), (int, float)):
        parts.append("max RSS %.0f MB" % (f["tracer_maxrss_kb"] / 1024.0))
    return "; ".join(parts)


def value(f):
    """The figure in a few words, with its interval (also for a "before" sub-figure)."""
    if f.get("status") != "ok":
        return "not measured (%s)" % (f.get("note") or f.get("status"))
    fid = f.get("figure")
    if "over_ns" in f:
        return "%s ns [%s, %s]" % (_sns(f["over_ns"]), _ns(f["ci95_ns"][0]),
                                   _ns(f["ci95_ns"][1]))
    if "over_untraced_pct" in f:
        return "%+.1f%% [%+.1f, %+.1f]" % (f["over_untraced_pct"], f["ci95_pct"][0],
                                           f["ci95_pct"][1])
    if "exact" in f:
        return "%s lost of %s fds%s, summary %s" % (
            f.get("lost"), f.get("fds"), " (%s processes)" % f["processes"]
            if f.get("processes") is not None else "", {True: "exact", False: "not exact",
                                                        None: "missing"}[f.get("exact")])
    if "unwound" in f:
        return "%s unwound for %s fds (lost %s)" % (f.get("unwound"), f.get("fds"), f.get("lost"))
    if "held_per_s" in f:
        return "%s held with 0 lost" % _rate(f.get("held_per_s"))
    if "json_bytes_per_1m" in f:
        return "RSS %s KiB; JSON %.1f MB, text %.1f MB per 1M fds" % (
            f.get("maxrss_kb"), (f.get("json_bytes_per_1m") or 0) / 1e6,
            (f.get("text_bytes_per_1m") or 0) / 1e6)
    if fid == "6" or "tracer_cpu_per_s" in f:
        return _cost_text(f) or "-"
    return "-"


def describe(f):
    """(floor, figure, spread) as text for a table."""
    if f.get("status") != "ok":
        return "-", "-", f.get("note", f.get("status", "-"))
    fid = f["figure"]
    cost = _cost_text(f)
    if fid in MICRO_IDS:
        base = ("%s ns (untraced %s, floor cost %s)" % (
            _ns(f.get("floor_median_ns")), _ns(f.get("untraced_median_ns")),
            _ns(f.get("floor_cost_ns"))) if f.get("against") == "floor" else
            "%s: %s ns" % (f.get("against"), _ns(f.get("base_median_ns"))))
        other = ""
        for k in ("cpu_time", "real_time"):
            o = f.get(k)
            if isinstance(o, dict):
                other = "; %s: %s ns [%s, %s]" % (k.replace("_time", ""), _sns(o["over_ns"]),
                                                 _ns(o["ci95_ns"][0]), _ns(o["ci95_ns"][1]))
        return (base, "%s ns over the %s (%s ns; x%.2f)%s" % (
                    _sns(f["over_ns"]), f.get("against"), _ns(f["median_ns"]),
                    f.get("ratio") or 0, " on CPU time" if f.get("metric") == "cpu_time" and
                    fid == "5b" else ""),
                "95%% CI [%s, %s] ns; IQR %s / %s; n=%d+%d%s%s" % (
                    _ns(f["ci95_ns"][0]), _ns(f["ci95_ns"][1]), _ns(f["iqr_ns"]),
                    _ns(f["base_iqr_ns"]), f["n"][0], f["n"][1], other,
                    "; " + cost if cost else ""))
    if fid == "1":
        return ("untraced %.2f s; floor %s" % (
                    f.get("untraced_median_s") or 0,
                    "%+.1f%%" % f["floor_over_untraced_pct"] if "floor_over_untraced_pct" in f
                    else "-"),
                "%+.1f%% per round to the end (traced %.2f s; the build alone %+.1f%% "
                "[%+.1f, %+.1f]); findings %s, %s with a stack, %s with file:line" % (
                    f["over_untraced_pct"], f["median_s"], f["build_wall_over_untraced_pct"],
                    f["build_wall_ci95_pct"][0], f["build_wall_ci95_pct"][1], f.get("findings"),
                    f.get("findings_with_stack"), f.get("findings_with_line")),
                "95%% CI [%+.1f%%, %+.1f%%] (signed-rank, %d rounds; sd %.1f%%); rounds to "
                "decide: %s; build CPU %s; %s" % (
                    f["ci95_pct"][0], f["ci95_pct"][1], f["n"], f.get("spread_sd_pct") or 0,
                    f.get("rounds_needed") or "-",
                    "%+.0f%%" % f["cpu_over_untraced_pct"] if "cpu_over_untraced_pct" in f
                    else "-", cost or "-"))
    if fid in ("2a", "2b", "2c"):
        ref = ("%s under the floor, %s untraced" % (_rate(f.get("floor_rate_per_s")),
                                                     _rate(f.get("untraced_rate_per_s")))
               if fid != "2c" else "untraced %.0f processes/s" % (
                   f.get("untraced_processes_per_s") or 0))
        return (ref, value(f) + " in %.0f s" % (f.get("duration_s") or 0),
                "%s, counted %s%s" % (_rate(f.get("rate_per_s")), f.get("counted"),
                                      "; " + cost if cost else ""))
    if fid == "5c":
        return ("-", value(f), "stacks taken %s; %s" % (f.get("stacks_taken"), cost or "-"))
    if fid == "e":
        return ("floor capacity %s" % _rate(f.get("floor_capacity_per_s")), value(f),
                "from %s; limit: %s" % (f.get("source"), f.get("limit")))
    if fid == "g":
        return ("floor loader max RSS %s KiB" % f.get("floor_maxrss_kb"), value(f),
                "%s fds, lost %s" % (f.get("fds"), f.get("lost")))
    return ("-", value(f), "-")


def print_table(figs, out):
    for f in figs:
        floor, fig, spread = describe(f)
        print("%-3s %-32s goal %-40s %s" % (f["figure"], f["name"], f["goal"],
                                           f["verdict"].upper()), file=out)
        print("      floor:  %s" % floor, file=out)
        print("      figure: %s" % fig, file=out)
        print("      spread: %s" % spread, file=out)
        if f.get("note") and f.get("status") == "ok":
            print("      note:   %s" % f["note"], file=out)
        b = f.get("before")
        if isinstance(b, dict):
            print("      before: %s (%s)%s" % (value(b), b.get("verdict", "-"),
                                             "; " + b["note"] if b.get("note") else ""),
                  file=out)
    print("met: the 95% CI lies within the goal (counts: as stated); not met: beyond it; "
          "undecided: it holds the goal (or too few repetitions)", file=out)


def print_markdown(figs, out):
    """The before/after table of bench/README.md."""
    print("| | figure | before | after | goal | after: met? |", file=out)
    print("|---|---|---|---|---|---|", file=out)
    for f in figs:
        b = f.get("before")
        print("| %s | %s | %s | %s | %s | %s |" % (
            f["figure"], f["name"], value(b) if isinstance(b, dict) else "-", value(f),
            f["goal"], f["verdict"]), file=out)


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench", nargs="?", help="cloexec-bench JSON (the trace_* groups)")
    ap.add_argument("--load", metavar="FILE", help="cloexec-load JSON (churn, procs, build, "
                    "footprint, rate)")
    ap.add_argument("--out", metavar="FILE", help="write the figures as JSON (cloexec-goals/2)")
    ap.add_argument("--markdown", action="store_true",
                    help="print the before/after table (Markdown) instead of the text table")
    ap.add_argument("--metric", choices=("real_time", "cpu_time"), default="real_time")
    a = ap.parse_args(argv)
    if not a.bench and not a.load:
        ap.print_usage(sys.stderr)
        print("%s: error: a bench JSON file, --load FILE, or both" % PROG, file=sys.stderr)
        return 2
    try:
        figs = figures(a.bench, a.load, a.metric)
    except BadInput as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 3
    (print_markdown if a.markdown else print_table)(figs, sys.stdout)
    if a.out:
        doc = {"schema": "cloexec-goals/2", "bench": a.bench, "load": a.load,
               "metric": a.metric, "figures": figs}
        try:
            ls.write_atomic(a.out, json.dumps(doc, indent=1) + "\n")
        except OSError as e:
            print("%s: failed to write %s: %s" % (PROG, a.out, e.strerror), file=sys.stderr)
            return 3
        print("%s: wrote %s" % (PROG, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
