#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
bench_goals - bench/goals.py's verdicts against known inputs: the interval rule (met only when
the whole 95% interval is within the goal), the one-sample Wilcoxon signed-rank interval of the
build's per-round ratios (its null distribution by brute force over every sign assignment, the
two-sided 5% critical values of the standard table, an interval worked by hand), the summary's
exactness (the per-syscall counts that did not add up on a spawn soak), the count goals, the
one-unwind goal, the rounds a spread needs; then whole figures from synthetic cloexec-bench
and cloexec-load files whose answers are known (a figure within, beyond and across its goal,
records lost, below the floor, a before/after pair, a build with a finding without its stack).
One TAP stream.
"""
import itertools
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # import bench/goals.py without leaving __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bench"))
import goals  # noqa: E402

n_run = n_failed = 0


def ok(cond, name, got=None, want=None):
    global n_run, n_failed
    n_run += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_run, name))
    if not cond:
        n_failed += 1
        print("#   Failed test '%s'\n#          got: %r\n#     expected: %r" % (name, got, want),
              file=sys.stderr)
    return cond


def test_verdict():
    v = goals.verdict
    ok(v(10, 25, 30, True) == "met", "an interval wholly within the goal is met")
    ok(v(10, 30, 30, True) == "met", "an interval that ends on the goal is met")
    ok(v(31, 50, 30, True) == "not met", "an interval wholly beyond the goal is not met")
    ok(v(20, 40, 30, True) == "undecided", "an interval that holds the goal is undecided")
    ok(v(1, 2, 30, False) == "undecided", "without a 95% interval nothing is decided")


def crit(n, tail=0.025):
    c = goals._signed_rank_counts(n)
    k, cum = -1, 0
    while (cum + c[k + 1]) / 2.0 ** n <= tail:
        cum += c[k + 1]
        k += 1
    return k


def test_signed_rank():
    for n in range(1, 11):
        brute = [0] * (n * (n + 1) // 2 + 1)
        for signs in itertools.product((0, 1), repeat=n):
            brute[sum(r for r, s in zip(range(1, n + 1), signs) if s)] += 1
        if not ok(goals._signed_rank_counts(n) == brute,
                  "the signed-rank null distribution for n=%d is the enumeration's" % n,
                  goals._signed_rank_counts(n), brute):
            break
    # two-sided 5% critical values (reject when T <= value), the standard table
    table = {6: 0, 7: 2, 8: 3, 9: 5, 10: 8, 11: 10, 12: 13, 15: 25, 20: 52}
    got = {n: crit(n) for n in table}
    ok(got == table, "the critical values for n = 6..20 are the table's", got, table)
    ok(goals.signed_rank_ci([1, 2, 3, 4, 5])[3] is False,
       "5 rounds cannot give a 95% signed-rank interval (1/32 > 2.5% a side)")
    est, lo, hi, reached = goals.signed_rank_ci([1, 2, 3, 4, 5, 6])
    ok((est, lo, hi, reached) == (3.5, 1, 6, True),
       "n=6: the estimate is the median of the Walsh averages, the interval their extremes",
       (est, lo, hi, reached), (3.5, 1, 6, True))
    # n=8: k=3, the interval is the 4th smallest and 4th largest of the 36 Walsh averages
    xs = [1, 2, 3, 4, 5, 6, 7, 100]
    w = sorted((xs[i] + xs[j]) / 2.0 for i in range(8) for j in range(i, 8))
    est, lo, hi, reached = goals.signed_rank_ci(xs)
    ok((lo, hi) == (w[3], w[32]) and reached, "n=8: [W(4), W(33)] of the Walsh averages",
       (lo, hi), (w[3], w[32]))
    ok(abs(est - 4.5) < 1e-9, "an outlier moves the Hodges-Lehmann estimate little", est, 4.5)
    shifted = goals.signed_rank_ci([x + 10 for x in xs])
    ok(abs(shifted[1] - (lo + 10)) < 1e-9 and abs(shifted[2] - (hi + 10)) < 1e-9,
       "the interval moves with a shift of the data")


SUMMARY = {"v": 2, "type": "summary", "fds": 937, "atomic": 218, "late": 10, "never": 709,
           "atomic_counted": 218, "atomic_by_syscall": {"openat": 194, "pipe2": 24},
           "lost": 0}


def test_exact():
    ok(goals.summary_exact(SUMMARY, 937) == (True, []), "a summary that adds up is exact")
    ok(goals.summary_exact(None)[0] is None, "no summary: exactness unknown")
    ex, probs = goals.summary_exact(SUMMARY, 1000)
    ok(ex is False and "made 1000" in probs[0], "fds unlike what the producers made: not exact",
       probs)
    soak = dict(SUMMARY, fds=184545, atomic=184545, late=0, never=0, atomic_counted=184545,
                atomic_by_syscall={"socket": 92761})
    ex, probs = goals.summary_exact(soak)
    ok(ex is False and "92761" in probs[0] and "atomic_counted" in probs[0],
       "per-syscall counts that add up to half the total (dead processes missing): not exact",
       probs)
    ex, probs = goals.summary_exact(dict(SUMMARY, never=700))
    ok(ex is False and "atomic + late + never" in probs[0],
       "kinds that do not add up to fds: not exact", probs)
    v3 = dict(SUMMARY, never_by_syscall={"dup3": 700, "openat": 9})
    ok(goals.summary_exact(v3) == (True, []),
       "any <kind>_by_syscall is checked against its total (never: 709)")
    ok(goals.summary_exact(dict(v3, never_by_syscall={"dup3": 1}))[0] is False,
       "and fails when it does not add up")


def test_counts():
    cv, uv, bv = goals.count_verdict, goals.unwind_verdict, goals.build_verdict
    ok(cv(0, True) == "met" and cv(1, True) == "not met" and cv(0, False) == "not met" and
       cv(None, True) == "undecided" and cv(0, None) == "undecided",
       "2a-2c: met only with 0 lost and an exact summary")
    ok(uv(1, 0) == "met" and uv(2, 0) == "not met" and uv(2, 5) == "not met" and
       uv(1, 5) == "undecided" and uv(-1, 0) == "undecided" and uv(None, 0) == "undecided",
       "5c: one unwind is met, more is not, lost records or no count leave it undecided")
    ok(bv(0.5, 2.5, True, 10, 10) == "met" and bv(0.5, 2.5, True, 10, 9) == "not met" and
       bv(2, 4, True, None, None) == "undecided" and bv(4, 6, True, 0, 0) == "not met",
       "1: within +3% with every finding's stack; a finding without it fails the goal")
    ok(goals.rounds_needed(8, 1, 5, 2, 3) == 32,
       "rounds to decide: (half-width / distance to the goal)^2 times the rounds (8*(2/1)^2)")
    ok(goals.rounds_needed(8, 0, 2, 1, 3) == 8, "an interval that decides needs no more rounds")
    ok(goals.rounds_needed(8, 2, 4, 3, 3) is None, "an estimate on the goal never decides")


def bench_doc(rows):
    """Google Benchmark JSON: {name: [(real ns, cpu ns, label)]}."""
    out = []
    for fam, (name, reps) in enumerate(rows.items()):
        for i, (rt, ct, lbl) in enumerate(reps):
            out.append({"name": name, "run_name": name, "run_type": "iteration",
                        "repetitions": len(reps), "repetition_index": i, "threads": 1,
                        "iterations": 20000, "real_time": rt, "cpu_time": ct,
                        "time_unit": "ns", "family_index": fam,
                        "per_family_instance_index": 0, "label": lbl})
    return {"context": {"date": "x", "host_name": "h", "num_cpus": 2}, "benchmarks": out}


def reps(base, spread=2.0, n=12, label="fd_events=20000 lost=0 records=0"):
    t = [base + spread * ((i * 7) % n - n / 2.0) / n for i in range(n)]
    return [(x, x - 50, label) for x in t]  # CPU time: the wall time less a wait of 50 ns


def by_name(figs, fid, name, before=False):
    for f in figs:
        if f["figure"] == fid and f["name"] == name:
            return f.get("before") if before else f
    return None


def test_micro(tmp):
    cost = " tracer_cpu_us=2000 tracer_maxrss_kb=20480"
    rows = {
        "trace_dup3/untraced/iterations:20000/real_time": reps(180),
        "trace_dup3/floor/iterations:20000/real_time": reps(200),
        "trace_dup3/traced/iterations:20000/real_time": reps(215, label="lost=0" + cost),
        "trace_dup3/traced@before/iterations:20000/real_time": reps(320, label="lost=0"),
        "trace_socket/floor/iterations:20000/real_time": reps(1600, spread=40),
        "trace_socket/traced/iterations:20000/real_time": reps(1628, spread=40),
        "trace_dup3_plain/floor/iterations:20000/real_time": reps(200),
        "trace_dup3_plain/traced/iterations:20000/real_time": reps(205, label="lost=3"),
        "trace_dup3_plain/allfds_nostack/iterations:20000/real_time": reps(300),
        "trace_dup3_plain/allfds/iterations:20000/real_time": reps(1200),
        "trace_socket_plain/floor/iterations:20000/real_time": reps(1600),
        "trace_socket_plain/traced/iterations:20000/real_time": reps(1500),
        "trace_socket_plain/allfds_nostack/iterations:20000/real_time": reps(1900),
        "trace_socket_plain/allfds/iterations:20000/real_time": reps(3200),
    }
    path = os.path.join(tmp, "run.json")
    with open(path, "w") as f:
        json.dump(bench_doc(rows), f)
    figs = goals.figures(path, None)
    f = by_name(figs, "4", "trace_dup3/traced")
    ok(f and f["verdict"] == "met" and abs(f["over_ns"] - 15) < 1e-9,
       "4: 15 ns over the floor (spread 2 ns) is met", f and (f["verdict"], f["over_ns"]))
    ok(f and f.get("floor_cost_ns") == 20, "the floor's own cost (floor - untraced) beside it",
       f and f.get("floor_cost_ns"))
    ok(f and abs(f.get("tracer_cpu_per_s", 0) - 2e6 / (215 * 20000)) < 0.01 * 2e6 /
       (215 * 20000) and f.get("tracer_maxrss_kb") == 20480,
       "6: the tracer's CPU per second of the timed loop and its RSS, from the label",
       f and f.get("tracer_cpu_per_s"))
    b = by_name(figs, "4", "trace_dup3/traced", before=True)
    ok(b and b["verdict"] == "not met" and abs(b["over_ns"] - 120) < 1e-9,
       "the before variant against the same floor: +120 ns, not met", b)
    f = by_name(figs, "4", "trace_socket/traced")
    ok(f and f["verdict"] == "undecided", "4: an interval across the goal is undecided",
       f and (f["verdict"], f["ci95_ns"]))
    f = by_name(figs, "3", "trace_dup3_plain/traced")
    ok(f and f["verdict"] == "undecided" and "lost" in f.get("note", ""),
       "3: within the goal but records lost: undecided", f and f["verdict"])
    f = by_name(figs, "3", "trace_socket_plain/traced")
    ok(f and f["verdict"] == "undecided" and "below its floor" in f.get("note", ""),
       "3: a figure wholly below its floor is a disturbed run: undecided", f and f["verdict"])
    f = by_name(figs, "5a", "trace_dup3_plain/allfds_nostack")
    ok(f and f["verdict"] == "met", "5a: a record 100 ns over the floor is within 150 ns",
       f and f["verdict"])
    f = by_name(figs, "5a", "trace_socket_plain/allfds_nostack")
    ok(f and f["verdict"] == "not met", "5a: 300 ns over the floor is not", f and f["verdict"])
    f = by_name(figs, "5b", "trace_dup3_plain/allfds")
    ok(f and f["verdict"] == "met" and abs(f["over_ns"] - 900) < 1e-9,
       "5b: the stack's kernel side, allfds - allfds_nostack = 900 ns, is within 1 us", f)
    ok(f and f["metric"] == "cpu_time" and "real_time" in f,
       "5b is judged on the traced thread's CPU time, the wall time beside it")
    f = by_name(figs, "5b", "trace_socket_plain/allfds")
    ok(f and f["verdict"] == "not met", "5b: 1300 ns is not", f and f["verdict"])
    f = by_name(figs, "a", "trace_getppid/filtered")
    ok(f and f["status"] == "missing" and f["verdict"] == "undecided",
       "a figure whose rows are not in the run is missing and undecided")


def load_doc():
    rows = []
    # build: 8 rounds; the tracer +1% +- 0.5% to the end, before +40% (its drain), the floor +0
    for k in range(1, 9):
        d = ((k * 5) % 8 - 3.5) / 7.0
        rows.append({"figure": "build", "config": "untraced", "round": k, "wall_s": 10.0,
                     "end_s": 10.0, "cpu_s": 15.0, "command": "make -j2", "dir": "/x"})
        rows.append({"figure": "build", "config": "floor", "round": k, "wall_s": 10.0 + d / 10,
                     "end_s": 10.0 + d / 10, "cpu_s": 15.0})
        rows.append({"figure": "build", "config": "tracer", "round": k, "wall_s": 10.1 + d / 20,
                     "end_s": 10.1 + d / 20, "cpu_s": 15.2, "prog_cpu_per_traced_s": 0.02,
                     "maxrss_kb": 30000, "tracer": {"found": {"findings": 50, "with_stack": 50,
                                                              "with_line": 3}}})
        rows.append({"figure": "build", "config": "before", "round": k, "wall_s": 10.2,
                     "end_s": 14.0 + d / 10, "cpu_s": 25.0,
                     "tracer": {"found": {"findings": 50, "with_stack": 49}}})
    summ = dict(SUMMARY, fds=1000, atomic=1000, late=0, never=0, atomic_counted=1000,
                atomic_by_syscall={"dup3": 1000})
    rows.append({"figure": "churn", "config": "tracer", "phase": "sustained",
                 "op": "dup3_cloexec", "fds": 1000, "duration_s": 60, "rate_per_s": 16.7,
                 "tracer": {"lost": 0, "summary": summ}})
    rows.append({"figure": "churn", "config": "floor", "phase": "reference",
                 "op": "dup3_cloexec", "rate_per_s": 20.0})
    rows.append({"figure": "churn", "config": "tracer", "phase": "sustained", "op": "dup3_plain",
                 "fds": 1000, "duration_s": 60, "tracer": {"lost": 7, "summary": dict(
                     summ, lost=7, fds=993, atomic=0, never=993, atomic_counted=0,
                     atomic_by_syscall={})}})
    rows.append({"figure": "procs", "config": "tracer", "fds": 1000, "processes": 5,
                 "duration_s": 10, "tracer": {"lost": 0, "summary": dict(
                     summ, atomic_by_syscall={"dup3": 500})}})
    rows.append({"figure": "footprint", "config": "tracer", "op": "dup3_plain", "fds": 10 ** 6,
                 "tracer": {"lost": 0, "summary": dict(summ, stacks={"taken": 1, "unwound": 1})}})
    rows.append({"figure": "footprint", "config": "before", "op": "dup3_plain", "fds": 10 ** 6,
                 "tracer": {"lost": 0, "summary": dict(summ, stacks={"taken": 9, "unwound": 2})}})
    return {"schema": "cloexec-load/1", "rows": rows}


def test_load(tmp):
    path = os.path.join(tmp, "run.load.json")
    with open(path, "w") as f:
        json.dump(load_doc(), f)
    figs = goals.figures(None, path)
    f = by_name(figs, "1", "build")
    ok(f and f["verdict"] == "met" and 0 < f["ci95_pct"][0] and f["ci95_pct"][1] < 3,
       "1: +1% per round with a 0.5% spread over 8 rounds is met", f and f.get("ci95_pct"))
    ok(f and f.get("floor_over_untraced_pct") is not None and f["findings_with_stack"] == 400,
       "1: the floor's own figure and the findings of every traced round beside it")
    b = by_name(figs, "1", "build", before=True)
    ok(b and b["verdict"] == "not met" and b["over_untraced_pct"] > 35 and
       b["build_wall_over_untraced_pct"] < 3,
       "1: a tracer whose work comes after the build is judged on the time to the end",
       b and (b["over_untraced_pct"], b["build_wall_over_untraced_pct"]))
    f = by_name(figs, "2a", "churn/dup3_cloexec")
    ok(f and f["verdict"] == "met" and f.get("ratio_to_floor"),
       "2a: 0 lost, the summary exact: met (with its rate against the floor's)")
    f = by_name(figs, "2b", "churn/dup3_plain")
    ok(f and f["verdict"] == "not met" and f["lost"] == 7, "2b: 7 records lost: not met")
    f = by_name(figs, "2c", "procs")
    ok(f and f["verdict"] == "not met" and "atomic_by_syscall" in f.get("note", ""),
       "2c: per-syscall counts that miss half: not met, and the note says which", f)
    f = by_name(figs, "5c", "unwind")
    ok(f and f["verdict"] == "met", "5c: one unwind for 1M fds from one call site: met")
    b = by_name(figs, "5c", "unwind", before=True)
    ok(b and b["verdict"] == "not met", "5c: two unwinds: not met (before)")
    six = [x for x in figs if x["figure"] == "6"]
    ok(any(x["name"] == "build" and x.get("tracer_cpu_per_s") == 0.02 for x in six),
       "6: the tracer's CPU per traced second reported beside the build")
    md = []

    class W:
        def write(self, s):
            md.append(s)
    goals.print_markdown(figs, W())
    text = "".join(md)
    ok("| 1 | build |" in text and "| 5c | unwind | 2 unwound" in text,
       "--markdown: the before/after table, one row per figure")
    with open(path, "w") as f:
        f.write("{\"schema\": \"cloexec-load/0\", \"rows\": []}")
    try:
        goals.figures(None, path)
        ok(False, "a load file of another schema is refused")
    except goals.BadInput:
        ok(True, "a load file of another schema is refused")


def main():
    test_verdict()
    test_signed_rank()
    test_exact()
    test_counts()
    with tempfile.TemporaryDirectory(prefix="bench_goals.") as tmp:
        test_micro(tmp)
        test_load(tmp)
    print("1..%d" % n_run)
    return min(n_failed, 254)


if __name__ == "__main__":
    sys.exit(main())
