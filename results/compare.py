#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
compare.py - the benchmark comparison gate for CI.

Compares two Google Benchmark JSON runs with Google Benchmark's own tool
(/usr/share/benchmark/compare.py from libbenchmark-tools: per-benchmark change
and the two-sided Mann-Whitney U-test over the repetitions), prints its table,
then gates on the same data: a benchmark fails when its median time per call
grew by more than THRESHOLD (a fraction) and the U-test p-value is below ALPHA.

exit 0: no significant slowdown beyond the threshold; 1: at least one (named);
2: usage, a bad/missing input file (one line each) or runs with too few repetitions to
gate anything; 3: environment (Google Benchmark's compare.py or scipy missing).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labstats as ls  # noqa: E402

PROG = "compare"
GB_COMPARE = os.environ.get("GBENCH_COMPARE", "/usr/share/benchmark/compare.py")
UTEST_OPTIMAL = 9  # gbench/report.py UTEST_OPTIMAL_REPETITIONS
UTEST_MIN = 2      # gbench/report.py UTEST_MIN_REPETITIONS

EPILOG = """The U-test runs when both sides have at least 2 repetitions; Google Benchmark calls
it reliable from 9 (make bench runs 12). A benchmark whose repetition counts cannot give a
p-value below ALPHA at all (at 0.01: fewer than 5 per side) is reported as not gated;
when no benchmark can be gated the result is exit 2, never a silent pass.

exit status: 0 no significant slowdown, 1 slowdown found, 2 usage, bad input or nothing
gateable, 3 environment (libbenchmark-tools or python3-scipy missing).

examples:
  make compare BASE=results/bench/old.json NEW=results/bench/latest.json
  make compare BASE=a.json NEW=b.json THRESHOLD=0.10 ALPHA=0.01
  results/compare.py --threshold 0.05 --alpha 0.01 a.json b.json
  results/compare.py --metric cpu_time --all a.json b.json
"""


def err(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)


def threshold_arg(s):
    """A finite fraction >= 0 (0: any significant slowdown fails)."""
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % s) from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError("%r must be a number >= 0" % s)
    return v


def alpha_arg(s):
    v = threshold_arg(s)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError("%r must be between 0 and 1" % s)
    return v


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, exit 2 (argparse's own code), and a pointer to --help.
        print("%s: %s (try --help)" % (PROG, message), file=sys.stderr)
        sys.exit(2)


def run_gbench_compare(base, new, alpha, show_all, dump):
    """Run Google Benchmark's compare.py; print its table. Returns its diff JSON or None."""
    argv = [sys.executable, GB_COMPARE, "--no-color", "--alpha", repr(alpha), "-d", dump]
    if not show_all:
        argv.append("-a")
    argv += ["benchmarks", base, new]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        err("failed to run %s: %s" % (GB_COMPARE, e))
        return None
    sys.stdout.write(r.stdout)
    sys.stdout.flush()
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["exit status %d" % r.returncode])[-1]
        err("failed to run Google Benchmark's compare.py: %s" % last)
        return None
    try:
        with open(dump, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        err("failed to read compare.py's JSON dump: %s" % e)
        return None


def main():
    ap = Parser(prog="compare.py", formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Compare two Google Benchmark JSON runs and fail on a significant "
                            "slowdown.", epilog=EPILOG)
    ap.add_argument("base", metavar="BASE.json", help="the baseline run")
    ap.add_argument("new", metavar="NEW.json", help="the run to check")
    ap.add_argument("--threshold", type=threshold_arg, default=0.05,
                    help="fail when the median grew by more than this fraction, >= 0 "
                         "(default: %(default)s = 5%%)")
    ap.add_argument("--alpha", type=alpha_arg, default=0.01,
                    help="significance level for the U-test p-value (default: %(default)s)")
    ap.add_argument("--metric", choices=("real_time", "cpu_time"), default="real_time",
                    help="time per call to gate on (default: %(default)s)")
    ap.add_argument("--all", action="store_true",
                    help="show every repetition in Google Benchmark's table, not only aggregates")
    a = ap.parse_args()

    # Each input is checked on its own so both problems are reported, one line each.
    runs, ctxs, bad = [], [], False
    for label, path in (("BASE", a.base), ("NEW", a.new)):
        try:
            doc, benches = ls.load_gbench(path)
        except ls.InputError as e:
            err("%s %s" % (label, e))
            bad = True
            continue
        usable = {k: b for k, b in benches.items() if b.times(a.metric)}
        if not usable:
            err("%s %s: no per-repetition benchmark rows (empty, all errored, or only "
                "aggregates: run with --benchmark_report_aggregates_only=false)" % (label, path))
            bad = True
            continue
        runs.append(usable)
        ctxs.append(doc.get("context") or {})
    if bad:
        return 2
    base, new = runs
    common = [k for k in base if k in new]
    if not common:
        err("%s and %s have no benchmark names in common: nothing to compare" % (a.base, a.new))
        return 2

    if not os.path.exists(GB_COMPARE):
        err("Google Benchmark's compare.py not found at %s (install libbenchmark-tools: "
            "make deps)" % GB_COMPARE)
        return 3
    try:
        from scipy.stats import mannwhitneyu  # compare.py's U-test needs it too
        del mannwhitneyu
    except ImportError:
        err("scipy is missing (install python3-scipy: make deps)")
        return 3

    with tempfile.TemporaryDirectory(prefix="cloexec-compare-") as tmp:
        diff = run_gbench_compare(a.base, a.new, a.alpha, a.all, os.path.join(tmp, "diff.json"))
    if diff is None:
        return 3
    pvals = {}
    key = "time_pvalue" if a.metric == "real_time" else "cpu_pvalue"
    for entry in diff:
        u = entry.get("utest") or {}
        if entry.get("run_type") != "aggregate" and key in u:
            pvals[entry["name"]] = u[key]

    print()
    # Where and when each run was taken: a different host or a busy machine explains
    # many "slowdowns" that are not the code's.
    for label, path, c in (("BASE", a.base, ctxs[0]), ("NEW", a.new, ctxs[1])):
        la = c.get("load_avg")
        print("%-4s %s: host %s, %s cpus, date %s, load average %s" % (
            label, path, c.get("host_name", "?"), c.get("num_cpus", "?"), c.get("date", "?"),
            " ".join("%.2f" % x for x in la) if isinstance(la, list) and
            all(isinstance(x, (int, float)) for x in la) else "?"))
    if ctxs[0].get("host_name") != ctxs[1].get("host_name"):
        print("WARNING: the runs come from different hosts; differences may be the machines'")
    for label, c in (("BASE", ctxs[0]), ("NEW", ctxs[1])):
        la, ncpu = c.get("load_avg"), c.get("num_cpus")
        if isinstance(la, list) and la and isinstance(la[0], (int, float)) and \
                isinstance(ncpu, int) and ncpu > 0 and la[0] > ncpu:
            print("WARNING: %s ran on a busy machine (load %.1f on %d cpus): expect noise" %
                  (label, la[0], ncpu))
    print("Gate: fail when the median %s per call grew by more than %.1f%% with U-test p < %g"
          % (a.metric, 100 * a.threshold, a.alpha))
    w = max(len(n) for n in common)
    print("%-*s %14s %14s %9s %10s  %s" % (w, "benchmark", "base median", "new median", "change",
                                          "p-value", "verdict"))
    slower, untested, weak = [], [], []
    for name in common:
        x, y = base[name].times(a.metric), new[name].times(a.metric)
        mb, mn = ls.median(x), ls.median(y)
        change = (mn - mb) / mb if mb else (0.0 if mn == mb else float("inf"))
        p = pvals.get(name)
        if p is None and min(len(x), len(y)) >= UTEST_MIN:
            # compare.py leaves the U-test out when a p-value is exactly 0; recompute it.
            p = ls.utest_p(x, y)
        # The smallest two-sided p-value the U-test can give for these sizes (no ties):
        # when it is not below alpha, no result could fail the gate.
        floor_p = 2.0 / math.comb(len(x) + len(y), len(x)) if x and y else 1.0
        if p is None:
            verdict = "not gated (%d vs %d repetitions: no U-test)" % (len(x), len(y))
            untested.append(name)
        elif floor_p >= a.alpha:
            verdict = "not gated (%d vs %d repetitions: p >= %.3g always)" % (
                len(x), len(y), floor_p)
            untested.append(name)
        elif change > a.threshold and p < a.alpha:
            verdict = "SLOWER"
            slower.append((name, change, p))
        elif change > a.threshold:
            verdict = "slower but not significant"
        elif change < -a.threshold and p < a.alpha:
            verdict = "faster"
        else:
            verdict = "ok"
        if name not in untested and min(len(x), len(y)) < UTEST_OPTIMAL:
            weak.append(name)
            verdict += " (U-test unreliable: %d vs %d repetitions)" % (len(x), len(y))
        print("%-*s %14s %14s %+8.1f%% %10s  %s" % (
            w, name, "%.1f ns" % mb, "%.1f ns" % mn, 100 * change,
            "-" if p is None else "%.4g" % p, verdict))

    only_base = [k for k in base if k not in new]
    only_new = [k for k in new if k not in base]
    if only_base:
        print("only in BASE (not compared): %s" % ", ".join(only_base))
    if only_new:
        print("only in NEW (not compared): %s" % ", ".join(only_new))
    if untested:
        print("WARNING: %d of %d benchmarks could not be gated: too few repetitions for a "
              "U-test to reach p < %g; run with --benchmark_repetitions=%d" %
              (len(untested), len(common), a.alpha, UTEST_OPTIMAL))
    if weak:
        print("WARNING: %d benchmarks have fewer than %d repetitions: Google Benchmark calls "
              "the U-test unreliable there" % (len(weak), UTEST_OPTIMAL))
    if slower:
        for name, change, p in slower:
            print("compare: SLOWER: %s: median %+.1f%% (p = %.3g < %g)" %
                  (name, 100 * change, p, a.alpha))
        print("compare: FAIL: %d of %d benchmarks got significantly slower by more than %.1f%%" %
              (len(slower), len(common), 100 * a.threshold))
        return 1
    if len(untested) == len(common):
        # Nothing was checked: a pass here would be silent. Bad input for a gate.
        err("cannot gate: none of the %d common benchmarks has enough repetitions for a "
            "U-test at alpha %g (run with --benchmark_repetitions=%d)" %
            (len(common), a.alpha, UTEST_OPTIMAL))
        return 2
    print("compare: PASS: no benchmark got significantly slower by more than %.1f%% "
          "(%d compared, %d gated)" % (100 * a.threshold, len(common),
                                        len(common) - len(untested)))
    return 0

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
