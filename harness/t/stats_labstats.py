#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
stats_labstats - results/labstats.py, the statistics of the report (results/report.py), the
gate (results/compare.py) and the pair analysis (bench/pairs.py), against known answers: the
Mann-Whitney null distribution for 3+3 (the textbook table) and by brute force over every
ranking, the two-sided 5% critical values of the standard U table, the Hodges-Lehmann interval
of a pure shift worked by hand, numpy's quantiles, the normal quantiles, the Wilson interval,
the exact/normal cut-off, and the pairs.txt reader. Where scipy is installed the p-values and
critical values are also compared with scipy.stats. One TAP stream.
"""
import itertools
import math
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # import bench/pairs.py and labstats without leaving __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "results"))
import labstats as ls  # noqa: E402

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


def near(got, want, tol, name):
    return ok(got is not None and abs(got - want) <= tol, name, got, want)


def skip(n, why):
    global n_run
    for _ in range(n):
        n_run += 1
        print("ok %d # SKIP %s" % (n_run, why))


def crit(n, m, tail=0.025):
    """The largest k with P(U <= k) <= tail, from labstats' exact null distribution."""
    c = ls._u_counts(n, m)
    total, k, cum = sum(c), -1, 0
    while k + 1 < n * m // 2 and (cum + c[k + 1]) / total <= tail:
        cum += c[k + 1]
        k += 1
    return k


def brute_counts(n, m):
    """U of every way to place n X's among n+m ranks: the null distribution by enumeration."""
    counts = [0] * (n * m + 1)
    for xs in itertools.combinations(range(n + m), n):
        # U = the pairs (x, y) with y ranked below x
        ys = [r for r in range(n + m) if r not in xs]
        counts[sum(1 for x in xs for y in ys if y < x)] += 1
    return counts


def test_quantiles():
    ok(ls.median([3, 1, 2]) == 2, "the median of 3 values is the middle one")
    ok(ls.median([1, 2, 3, 4]) == 2.5, "the median of 4 values is the mean of the middle two")
    # numpy.percentile (linear, its default): [1,2,3,4] at 25 % -> 1.75; 1..10 at 90 % -> 9.1
    near(ls.quantile([1, 2, 3, 4], 0.25), 1.75, 1e-12, "the 25 % quantile of 1..4 is 1.75")
    near(ls.quantile(list(range(1, 11)), 0.9), 9.1, 1e-12, "the 90 % quantile of 1..10 is 9.1")
    s = ls.summary([1, 2, 3, 4, 100])
    ok(s["median"] == 3 and s["q1"] == 2 and s["q3"] == 4 and s["iqr"] == 2,
       "summary: median 3, quartiles 2 and 4, IQR 2 (an outlier does not move them)", s)
    ok(ls.summary([]) is None, "summary of nothing is None")


def test_null_distribution():
    ok(ls._u_counts(3, 3) == [1, 1, 2, 3, 3, 3, 3, 2, 1, 1],
       "the U distribution for 3+3 is the textbook 1 1 2 3 3 3 3 2 1 1 (of 20)",
       ls._u_counts(3, 3))
    same = all(ls._u_counts(n, m) == brute_counts(n, m) for n in range(1, 6)
               for m in range(1, 6))
    ok(same, "the U distribution equals the enumeration of every ranking, up to 5+5")
    ok(sum(ls._u_counts(7, 9)) == math.comb(16, 7), "7+9: the counts add up to C(16, 7)")
    # Mann-Whitney critical values, two-sided alpha 0.05 (e.g. Siegel & Castellan, table J)
    table = {(4, 4): 0, (5, 5): 2, (6, 6): 5, (7, 7): 8, (8, 8): 13, (9, 9): 17,
             (10, 10): 23, (5, 10): 8}
    got = {nm: crit(*nm) for nm in table}
    ok(got == table, "the critical values are the U table's (4+4: 0 ... 10+10: 23, 5+10: 8)",
       got, table)


def test_shift_ci():
    # base = cand + 10: the 81 differences are 10 + (i - j), i, j in 1..9; i - j = d has
    # 9 - |d| pairs. With 9+9 the table cuts k = 17 differences off each end: index 17 of the
    # sorted differences falls in d = -3 (cumulative 15 below it, 21 with it), so the interval
    # is [7, 13], and its level is 1 - 2 P(U <= 17).
    s = ls.shift_ci(list(range(11, 20)), list(range(1, 10)))
    c = ls._u_counts(9, 9)
    conf = 1 - 2 * sum(c[:18]) / sum(c)
    ok((s.est, s.lo, s.hi, s.reached) == (10, 7, 13, True),
       "a pure shift of 10 with 9+9 repetitions: estimate 10, interval [7, 13]", s)
    near(s.confidence, conf, 1e-15, "its level is 1 - 2 P(U <= 17) = %.4f" % conf)
    ok(s.confidence >= 0.95, "and at least the 95 % asked for")
    s = ls.shift_ci([5, 6, 7], [1, 2, 3])
    ok(not s.reached and (s.lo, s.hi) == (2, 6),
       "3+3 cannot reach 95 % (P(U = 0) = 0.05 > 0.025): the full range [2, 6], not reached",
       s)
    ok(ls.shift_ci([], [1]) is None, "an empty side gives None")
    s = ls.shift_ci([10.0] * 5, [10.0] * 5)
    ok(s.est == 0 and s.lo == 0 and s.hi == 0, "equal samples: no shift")


def test_cutoff():
    ok(ls.EXACT_MAX_PAIRS == 10000, "exact up to n*m = 10000 (one cut-off, in labstats only)")
    # At the cut-off the normal approximation's k is the exact one within 1.
    n = m = 100
    z = ls._norm_ppf(0.975)
    k_normal = int(math.floor(n * m / 2.0 - z * math.sqrt(n * m * (n + m + 1) / 12.0))) - 1
    ok(abs(k_normal - crit(n, m)) <= 1,
       "at 100+100 the normal approximation's cut is within 1 of the exact one",
       (k_normal, crit(n, m)))
    big = ls.shift_ci([float(i) for i in range(101)], [float(i) for i in range(101)])
    ok(big.reached and big.confidence == 0.95 and big.lo < 0 < big.hi,
       "beyond the cut-off (101+101) the normal interval covers 0 for equal samples", big)


def test_normal_and_wilson():
    # scipy.stats.norm.ppf: 1.959963984540054, -2.3263478740408408, -3.090232306167813
    near(ls._norm_ppf(0.975), 1.959963984540054, 2e-9, "the normal 97.5 % quantile is 1.96")
    near(ls._norm_ppf(0.01), -2.3263478740408408, 2e-9, "the normal 1 % quantile is -2.3263")
    near(ls._norm_ppf(0.001), -3.090232306167813, 5e-9, "the normal 0.1 % quantile is -3.0902")
    ok(ls._norm_ppf(0.5) == 0, "the median of the normal is 0")
    r = ls.wilson(5, 10)
    ok(r[0] == 0.5 and abs(r[1] - 0.2366) < 5e-5 and abs(r[2] - 0.7634) < 5e-5,
       "Wilson 95 % for 5 of 10 is [0.2366, 0.7634]", r)
    r = ls.wilson(0, 10)
    ok(r[1] == 0 and abs(r[2] - 0.2775) < 5e-5, "Wilson 95 % for 0 of 10 is [0, 0.2775]", r)
    ok(ls.wilson(1, 0) is None, "no trials: no interval")


def test_scipy():
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        skip(2, "scipy is not installed")
        return
    a, b = [1.1, 2.3, 3.0, 4.8, 5.5], [2.0, 3.9, 6.1, 7.2, 8.8, 9.1]
    near(ls.utest_p(a, b), mannwhitneyu(a, b, alternative="two-sided").pvalue, 1e-12,
         "the U-test p-value is scipy's (0.1255 for the 5+6 example)")
    # 2 P(U <= min(u, nm - u)) of labstats' null distribution against scipy's exact
    # two-sided p-value, for random samples without ties
    import random
    rnd, worst = random.Random(11), 0.0
    for n, m in ((5, 5), (6, 9), (9, 9), (10, 12)):
        c = ls._u_counts(n, m)
        for _ in range(40):
            xs = [rnd.random() for _ in range(n)]
            ys = [rnd.random() + rnd.choice((-0.3, 0, 0.3)) for _ in range(m)]
            u = sum(1 for x in xs for y in ys if x > y)
            mine = min(1.0, 2 * sum(c[:min(u, n * m - u) + 1]) / sum(c))
            p = mannwhitneyu(xs, ys, alternative="two-sided", method="exact").pvalue
            worst = max(worst, abs(p - mine))
    ok(worst < 1e-12, "2 P(U <= u) is scipy's exact p-value (160 samples, 5+5 ... 10+12)",
       worst, 0)


def test_pairs_file():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "pairs.txt")
        with open(p, "w") as f:
            f.write("# comment\nsocket\tplain SOCK_CLOEXEC fioclex  # trailing\n\npipe pipe+fcntl pipe2\n")
        ok(ls.read_pairs(p) == [("socket", "plain", ["SOCK_CLOEXEC", "fioclex"]),
                                ("pipe", "pipe+fcntl", ["pipe2"])],
           "read_pairs: groups in order, baseline first, comments and blank lines ignored")
        bad = {"g a\n": ":1: need", "g a/b c\n": "must not contain '/'",
               "g a b\ng c d\n": "listed twice", "g a b a\n": "a variant is listed twice",
               "# nothing\n": "no groups"}
        for text, why in bad.items():
            with open(p, "w") as f:
                f.write(text)
            try:
                ls.read_pairs(p)
                ok(False, "read_pairs refuses %r" % text)
            except ls.BadInput as e:
                ok(why in str(e), "read_pairs refuses %r: %s" % (text, e))
        try:
            ls.read_pairs(os.path.join(d, "none.txt"))
            ok(False, "a missing pairs file is Unreadable")
        except ls.Unreadable as e:
            ok(str(e).startswith("failed to read"), "a missing pairs file is Unreadable (%s)" % e)


def test_one_module():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import pairs  # noqa: E402
    ok(pairs.median is ls.median and pairs.quantile is ls.quantile and
       pairs.read_pairs is ls.read_pairs,
       "bench/pairs.py uses labstats' median, quantile and pairs reader")
    hl, lo, hi, level, reached = pairs.shift_ci(list(range(11, 20)), list(range(1, 10)))
    ok((hl, lo, hi, reached) == (10, 7, 13, True), "and its shift_ci is labstats'")


def main():
    test_quantiles()
    test_null_distribution()
    test_shift_ci()
    test_cutoff()
    test_normal_and_wilson()
    test_scipy()
    test_pairs_file()
    test_one_module()
    print("1..%d" % n_run)
    return min(n_failed, 254)


if __name__ == "__main__":
    sys.exit(main())
