# SPDX-License-Identifier: MIT
"""
labstats.py - the statistics and input readers of the report generator (results/report.py),
the comparison gate (results/compare.py) and the pair analysis (bench/pairs.py): loading
Google Benchmark JSON (per-repetition rows), bench/pairs.txt, splitting benchmark names into
group/variant/args, robust statistics (median, quartiles), the Hodges-Lehmann shift with its
distribution-free confidence interval, and the Wilson interval for a proportion. Unit tests
with known answers: harness/t/stats_labstats.py (run by make test).

Python stdlib only (numpy/scipy are optional here; the U-test p-value comes
from scipy when it is present, as in Google Benchmark's compare.py).
"""

import collections
import json
import math
import os

_UNIT_NS = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}

# Name components that say how a benchmark was timed, not what it measures.
_TIMING_SUFFIXES = ("real_time", "process_time", "manual_time")
# name:value components that are settings, never an x axis.
_SETTING_KEYS = ("threads", "repeats", "iterations", "min_time", "min_warmup_time")


class InputError(Exception):
    """A bad or missing input file: one line, naming the file."""


class Unreadable(InputError):
    """The file cannot be read (missing, a directory, no permission)."""


class BadInput(InputError):
    """The file is readable but not what was expected (not JSON, a bad pairs line)."""


def load_json(path, what):
    """Read a JSON file or raise InputError with one clear line."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise Unreadable("%s: no such file (%s)" % (path, what)) from None
    except IsADirectoryError:
        raise Unreadable("%s: is a directory, not a %s" % (path, what)) from None
    except PermissionError as e:
        raise Unreadable("%s: cannot read: %s" % (path, e.strerror)) from None
    except UnicodeDecodeError:
        raise BadInput("%s: not valid UTF-8 text (expected %s)" % (path, what)) from None
    except json.JSONDecodeError as e:
        raise BadInput("%s: not valid JSON (line %d column %d: %s)" %
                       (path, e.lineno, e.colno, e.msg)) from None
    except OSError as e:
        raise Unreadable("%s: cannot read: %s" % (path, e.strerror or e)) from None


def read_pairs(path):
    """
    bench/pairs.txt: one group per line, "<group> <baseline> <candidate>..." (# comments).
    Returns [(group, baseline, [candidates])] in file order; Unreadable or BadInput (naming
    the line) otherwise.
    """
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise Unreadable(f"failed to read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    groups, seen = [], set()
    for no, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) < 3:
            raise BadInput(f"{path}:{no}: need '<group> <baseline> <candidate>...', got '{line}'")
        for w in words:
            if "/" in w:
                raise BadInput(f"{path}:{no}: '{w}' must not contain '/'")
        if words[0] in seen:
            raise BadInput(f"{path}:{no}: group '{words[0]}' listed twice")
        if len(set(words[1:])) != len(words) - 1:
            raise BadInput(f"{path}:{no}: a variant is listed twice in group '{words[0]}'")
        seen.add(words[0])
        groups.append((words[0], words[1], words[2:]))
    if not groups:
        raise BadInput(f"{path}: no groups")
    return groups


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def split_name(run_name):
    """'group/variant/args...' -> (group, variant, args) with timing suffixes dropped."""
    parts = run_name.split("/")
    group = parts[0]
    variant = parts[1] if len(parts) > 1 else ""
    rest = [p for p in parts[2:] if p not in _TIMING_SUFFIXES]
    return group, variant, "/".join(rest)


def numeric_args(args):
    """The args components that can be an x axis: [(index, key, value)]."""
    out = []
    for i, comp in enumerate(args.split("/") if args else []):
        key, sep, val = comp.rpartition(":")
        if sep and key in _SETTING_KEYS:
            continue
        try:
            out.append((i, key, int(val)))
        except ValueError:
            continue
    return out


class Bench:
    """One benchmark instance (run_name) with its per-repetition times in ns."""

    def __init__(self, run_name, order):
        self.run_name = run_name
        self.group, self.variant, self.args = split_name(run_name)
        self.order = order  # (family_index, instance index, first row): registration order
        self.real = []
        self.cpu = []
        self.error = None

    def times(self, metric):
        return self.real if metric == "real_time" else self.cpu


def load_gbench(path):
    """
    Load a Google Benchmark JSON file. Returns (doc, benches) where benches is
    an ordered dict run_name -> Bench built from the per-repetition rows
    (run_type 'iteration'); aggregate rows are ignored (we recompute them).
    Raises InputError when the file is not usable benchmark output.
    """
    doc = load_json(path, "Google Benchmark JSON")
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise InputError("%s: not Google Benchmark JSON (no \"benchmarks\" list)" % path)
    if "context" in doc and not isinstance(doc["context"], dict):
        raise InputError("%s: \"context\" is not an object" % path)
    benches = {}
    for i, row in enumerate(doc["benchmarks"]):
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise InputError("%s: benchmarks[%d] is not an object with a name" % (path, i))
        if row.get("run_type", "iteration") != "iteration":
            continue
        # Google Benchmark's compare.py sorts on these: a wrong type would crash it later.
        for k in ("family_index", "per_family_instance_index", "repetition_index"):
            if k in row and not (isinstance(row[k], int) and not isinstance(row[k], bool)):
                raise InputError("%s: benchmarks[%d].%s is not an integer" % (path, i, k))
        run_name = row.get("run_name", row["name"])
        if not isinstance(run_name, str):
            raise InputError("%s: benchmarks[%d].run_name is not a string" % (path, i))
        if "real_time" not in row and "cpu_time" not in row and not row.get("error_occurred"):
            continue  # not a timed row (compare.py skips these too)
        b = benches.get(run_name)
        if b is None:
            fam, inst = row.get("family_index"), row.get("per_family_instance_index")
            order = (fam if _num(fam) else 1 << 30, inst if _num(inst) else 0, len(benches))
            b = benches[run_name] = Bench(run_name, order)
        if row.get("error_occurred"):
            b.error = str(row.get("error_message", "error"))
            continue
        unit = row.get("time_unit")
        if not isinstance(unit, str) or unit not in _UNIT_NS:
            raise InputError("%s: benchmarks[%d] has no known time_unit (%r; expected one of %s)"
                             % (path, i, unit, ", ".join(_UNIT_NS)))
        rt, ct = row.get("real_time"), row.get("cpu_time")
        if not _num(rt) or not _num(ct) or rt < 0 or ct < 0:
            raise InputError("%s: benchmarks[%d] (%s) lacks non-negative numeric "
                             "real_time/cpu_time" % (path, i, row["name"]))
        b.real.append(rt * _UNIT_NS[unit])
        b.cpu.append(ct * _UNIT_NS[unit])
    ordered = sorted(benches.values(), key=lambda x: x.order)
    return doc, {b.run_name: b for b in ordered}


# --- statistics --------------------------------------------------------------------------------

def quantile(xs, q):
    """Linear-interpolation quantile (numpy's default) of a non-empty list."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def median(xs):
    return quantile(xs, 0.5)


def summary(xs):
    """dict with n, median, q1, q3, iqr, min, max of a sample (empty -> None)."""
    if not xs:
        return None
    q1, q3 = quantile(xs, 0.25), quantile(xs, 0.75)
    return {"n": len(xs), "median": median(xs), "q1": q1, "q3": q3, "iqr": q3 - q1,
            "min": min(xs), "max": max(xs)}


def _norm_ppf(p):
    """Inverse of the standard normal CDF (Acklam's rational approximation, |err| < 1.2e-9)."""
    a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00]
    if p < 0.02425:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if p > 1 - 0.02425:
        return -_norm_ppf(1 - p)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)


def _u_counts(n, m):
    """Null distribution of the Mann-Whitney U for sizes n, m: counts[u] (Gaussian binomial)."""
    deg = n * m
    c = [0] * (deg + 1)
    c[0] = 1
    for i in range(1, n + 1):
        # multiply by (1 - q^(m+i)), then divide by (1 - q^i); exact in integers
        for j in range(deg, m + i - 1, -1):
            c[j] -= c[j - m - i]
        for j in range(i, deg + 1):
            c[j] += c[j - i]
    return c


# Up to this many pairwise differences (n*m) the interval comes from the exact null distribution
# of the Mann-Whitney U, beyond it from the normal approximation. Exact is what makes the
# interval distribution-free, and it is cheap: _u_counts costs about n*(n*m) integer additions,
# ~1e6 at 100 x 100 repetitions (milliseconds). Past that size the normal approximation's
# coverage is within 0.001 of the level (Conover, Practical Nonparametric Statistics, 5.1), so
# nothing is gained by counting. (pairs.py used 400 and report.py 10000: the same interval up to
# 400, and between 400 and 10000 only the exact one is right at small levels.)
EXACT_MAX_PAIRS = 10000

Shift = collections.namedtuple("Shift", "est lo hi reached confidence")


def shift_ci(base, cand, level=0.95):
    """
    Hodges-Lehmann estimate of base - cand (positive: cand is faster) and its
    distribution-free confidence interval: the order statistics of the n*m pairwise
    differences cut at the Mann-Whitney critical value. Returns Shift(est, lo, hi, reached,
    confidence): reached is False when the samples are too small for any interval of that
    level (then lo..hi is the full range of differences and no claim may rest on it);
    confidence is the interval's own level (1 - 2 P(U <= k)). None when a side is empty.
    """
    n, m = len(base), len(cand)
    if n == 0 or m == 0:
        return None
    diffs = sorted(x - y for x in base for y in cand)
    nm = n * m
    est = median(diffs)
    tail = (1 - level) / 2
    # The interval [D(k+1), D(nm-k)] (1-based) misses low when at most k differences lie
    # below the true shift, which has probability P(U <= k). So drop the largest k with
    # P(U <= k) <= tail at each end; if even P(U = 0) > tail, no such interval exists.
    if nm <= EXACT_MAX_PAIRS:
        counts = _u_counts(n, m)
        total = float(sum(counts))
        k, cum = -1, 0
        while k + 1 < nm // 2 and (cum + counts[k + 1]) / total <= tail:
            cum += counts[k + 1]
            k += 1
        conf = 1.0 - 2 * (cum if k >= 0 else counts[0]) / total
    else:
        z = _norm_ppf(1 - tail)
        # Conover: C = nm/2 - z sqrt(nm(n+m+1)/12), interval [D(C), D(nm+1-C)]
        k = int(math.floor(nm / 2.0 - z * math.sqrt(nm * (n + m + 1) / 12.0))) - 1
        conf = level
    if k < 0:
        return Shift(est, diffs[0], diffs[-1], False, conf)
    return Shift(est, diffs[k], diffs[nm - 1 - k], True, conf)


def utest_p(a, b):
    """Two-sided Mann-Whitney U p-value (scipy, as compare.py), or None."""
    if len(a) < 2 or len(b) < 2:
        return None
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        return None
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def wilson(k, n, z=1.959963984540054):
    """Wilson score interval for k successes in n trials: (rate, lo, hi)."""
    if n <= 0:
        return None
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return p, max(0.0, centre - half), min(1.0, centre + half)


def write_atomic(path, data):
    """Write text to path via a temp file in the same directory and rename."""
    d = os.path.dirname(path) or "."
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
    os.replace(tmp, path)
