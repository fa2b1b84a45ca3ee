#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""pairs.py - the pair analysis of a cloexec-bench run.

Reads Google Benchmark JSON with per-repetition rows, and for every group of
bench/pairs.txt compares each candidate variant with the group's baseline on
the same arguments: medians, IQRs, the saving per call (baseline - candidate)
in ns and %, and a 95% confidence interval for the shift between the two
(Hodges-Lehmann estimate, distribution-free interval from the exact
Mann-Whitney distribution). A saving (or a cost) is claimed only when the
interval excludes zero. Prints an aligned table and writes <run>.pairs.json
beside the run (schema cloexec-pairs/1, results/FORMATS.md).

Modes:
  pairs.py --pairs bench/pairs.txt RUN.json        analyse, print, write RUN.pairs.json
  pairs.py --validate --pairs bench/pairs.txt RUN.json [--min-reps N] [--require-all]
                                                   check the JSON's shape only
  pairs.py --check-pairs bench/pairs.txt           check the pairs file only

Exit status: 0 ok, 1 invalid input (bad JSON, wrong shape, bad pairs file),
2 usage, 3 a file cannot be read.

EXAMPLES
  /usr/bin/python3 bench/pairs.py --pairs bench/pairs.txt results/bench/latest.json
  /usr/bin/python3 bench/pairs.py --validate --min-reps 9 --pairs bench/pairs.txt run.json
  /usr/bin/python3 bench/pairs.py --pairs bench/pairs.txt run.json --out - | jq .
"""

import argparse
import datetime
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results"))
from labstats import BadInput, Unreadable, median, quantile, read_pairs  # noqa: E402
import labstats  # noqa: E402

PROG = "pairs.py"
UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
ALPHA = 0.05


# --- benchmark JSON -----------------------------------------------------------------------------

def _no_constants(name):
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def load_run(path, strict=False):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise Unreadable(f"failed to read {path}: {e.strerror}")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text")
    try:
        if strict:
            return json.loads(text, parse_constant=_no_constants)
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}")
    except ValueError as e:
        raise BadInput(f"{path}: not JSON: {e}")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def validate(run, pairs, min_reps=1, require_all=False):
    """Return a list of problems (empty when the shape is right)."""
    probs = []
    if not isinstance(run, dict):
        return ["top level is not an object"]
    ctx = run.get("context")
    if not isinstance(ctx, dict):
        probs.append("no 'context' object")
    else:
        for k in ("date", "host_name", "num_cpus", "library_build_type"):
            if k not in ctx:
                probs.append(f"context lacks '{k}'")
    rows = run.get("benchmarks")
    if not isinstance(rows, list) or not rows:
        probs.append("no non-empty 'benchmarks' array")
        return probs
    known = {(g, v) for g, b, cands in pairs for v in [b] + cands}
    reps_seen = {}      # run_name -> set of repetition_index
    reps_declared = {}  # run_name -> repetitions
    errors = set()
    aggregates = 0
    for i, r in enumerate(rows):
        where = f"benchmarks[{i}]"
        if not isinstance(r, dict):
            probs.append(f"{where} is not an object")
            continue
        name, run_name, rt = r.get("name"), r.get("run_name"), r.get("run_type")
        if not isinstance(name, str) or not isinstance(run_name, str):
            probs.append(f"{where} lacks name/run_name")
            continue
        where = f"{where} ({name})"
        sp = split_name(run_name)
        if sp is None:
            probs.append(f"{where}: name is not <group>/<variant>[/args]")
        elif (sp[0], sp[1]) not in known:
            probs.append(f"{where}: {sp[0]}/{sp[1]} is not in the pairs file")
        if rt not in ("iteration", "aggregate"):
            probs.append(f"{where}: run_type is {rt!r}, not iteration/aggregate")
            continue
        reps = r.get("repetitions")
        if not is_int(reps) or reps < 1:
            probs.append(f"{where}: repetitions is {reps!r}")
            continue
        if reps < min_reps:
            probs.append(f"{where}: {reps} repetitions, want >= {min_reps}")
        if reps_declared.setdefault(run_name, reps) != reps:
            probs.append(f"{where}: repetitions differ between rows of {run_name}")
        if not is_int(r.get("threads")) or r["threads"] < 1:
            probs.append(f"{where}: threads is {r.get('threads')!r}")
        if r.get("error_occurred"):
            errors.add(run_name)
            if not isinstance(r.get("error_message"), str):
                probs.append(f"{where}: error without error_message")
            continue
        if r.get("time_unit") not in UNITS:
            probs.append(f"{where}: time_unit is {r.get('time_unit')!r}")
        if rt == "aggregate":
            aggregates += 1
            if not isinstance(r.get("aggregate_name"), str):
                probs.append(f"{where}: aggregate row without aggregate_name")
            continue
        idx = r.get("repetition_index")
        if not is_int(idx) or not 0 <= idx < reps:
            probs.append(f"{where}: repetition_index is {idx!r} (repetitions {reps})")
        elif idx in reps_seen.setdefault(run_name, set()):
            probs.append(f"{where}: repetition {idx} appears twice")
        else:
            reps_seen[run_name].add(idx)
        if not is_int(r.get("iterations")) or r["iterations"] < 1:
            probs.append(f"{where}: iterations is {r.get('iterations')!r}")
        if not is_num(r.get("real_time")) or r["real_time"] <= 0:
            probs.append(f"{where}: real_time is {r.get('real_time')!r}, want > 0")
        if not is_num(r.get("cpu_time")) or r["cpu_time"] < 0:
            probs.append(f"{where}: cpu_time is {r.get('cpu_time')!r}")
    for run_name, reps in reps_declared.items():
        if run_name in errors:
            continue
        got = len(reps_seen.get(run_name, ()))
        if got != reps:
            probs.append(f"{run_name}: {got} per-repetition rows, want {reps} "
                         "(run with --benchmark_report_aggregates_only=false)")
    if reps_declared and max(reps_declared.values()) > 1 and aggregates == 0:
        probs.append("no aggregate rows (mean/median/stddev) despite repetitions")
    if require_all:
        # <variant>@<label> (cloexec-bench --before) is there only when asked for
        present = {split_name(n)[:2] for n in reps_declared if split_name(n)}
        for g, b, cands in pairs:
            for v in [b] + cands:
                if (g, v) not in present and "@" not in v:
                    probs.append(f"{g}/{v} (in the pairs file) has no rows")
    return probs


METRIC = "real_time"


def samples(run, metric=None):
    """{(group, variant, args): {"ns": [per-repetition times], "error": msg|None}}."""
    metric = metric or METRIC
    out = {}
    for r in run["benchmarks"]:
        if r.get("run_type") != "iteration":
            continue
        sp = split_name(r["run_name"])
        if sp is None:
            continue
        e = out.setdefault(sp, {"ns": [], "error": None, "failed": 0})
        if r.get("error_occurred"):
            e["error"] = r.get("error_message", "error")
            e["failed"] += 1
            continue
        e["ns"].append(float(r[metric]) * UNITS[r["time_unit"]])
    return out


# --- statistics (results/labstats.py) --------------------------------------------------------

def split_name(run_name):
    """'socket_inet/SOCK_CLOEXEC/real_time/threads:1' -> (group, variant, 'threads:1')."""
    if "/" not in run_name:
        return None
    return labstats.split_name(run_name)


def shift_ci(base, cand, alpha=ALPHA):
    """Hodges-Lehmann shift (base - cand), its CI and the CI's own level (labstats.shift_ci)."""
    s = labstats.shift_ci(base, cand, 1 - alpha)
    return s.est, s.lo, s.hi, s.confidence, s.reached


def args_key(args):
    """Order 'threads:2' before 'threads:10', 'fds:16' before 'fds:1024'."""
    key = []
    for part in args.split("/"):
        name, _, val = part.rpartition(":")
        try:
            key.append((name, 0, float(val), ""))
        except ValueError:
            key.append((part, 1, 0.0, part))
    return key


def other_metric():
    return "cpu_time" if METRIC == "real_time" else "real_time"


def analyse(run, pairs):
    data = samples(run)
    other = samples(run, other_metric())
    rows, skipped = [], []
    args_of = {}
    for (g, v, a) in data:
        args_of.setdefault(g, [])
        if a not in args_of[g]:
            args_of[g].append(a)
    for g, base_v, cands in pairs:
        for a in sorted(args_of.get(g, []), key=args_key):
            for cv in cands:
                b, c = data.get((g, base_v, a)), data.get((g, cv, a))
                if b is None or c is None:
                    if b is not None or c is not None:
                        skipped.append({"group": g, "args": a, "baseline": base_v,
                                        "candidate": cv, "reason": "not in this run"})
                    continue
                # Repetitions that failed are left out; a pair needs 2 good ones a side.
                if len(b["ns"]) < 2 or len(c["ns"]) < 2:
                    skipped.append({"group": g, "args": a, "baseline": base_v,
                                    "candidate": cv,
                                    "reason": b["error"] or c["error"] or "fewer than 2 rows"})
                    continue
                bm, cm = median(b["ns"]), median(c["ns"])
                hl, lo, hi, level, ok_level = shift_ci(b["ns"], c["ns"])
                sig = ok_level and (lo > 0 or hi < 0)
                saving = bm - cm
                row = {
                    "group": g, "args": a, "baseline": base_v, "candidate": cv,
                    "baseline_median_ns": round(bm, 3), "candidate_median_ns": round(cm, 3),
                    "baseline_iqr_ns": round(quantile(b["ns"], .75) - quantile(b["ns"], .25), 3),
                    "candidate_iqr_ns": round(quantile(c["ns"], .75) - quantile(c["ns"], .25), 3),
                    "saving_ns": round(saving, 3),
                    "saving_pct": round(100.0 * saving / bm, 3) if bm > 0 else None,
                    "ci95_ns": [round(lo, 3), round(hi, 3)],
                    "ci95_pct": [round(100.0 * lo / bm, 3), round(100.0 * hi / bm, 3)]
                    if bm > 0 else None,
                    "significant": sig,
                    "hl_shift_ns": round(hl, 3),
                    "ci_level": round(level, 4),
                    "n_baseline": len(b["ns"]), "n_candidate": len(c["ns"]),
                    "verdict": ("saves" if lo > 0 else "costs") if sig else "no claim",
                }
                # The same comparison on the other time (cpu_time: robust to a loaded
                # machine, blind to waiting), for readers who want both.
                ob, oc = other[(g, base_v, a)]["ns"], other[(g, cv, a)]["ns"]
                ohl, olo, ohi, olevel, oreached = shift_ci(ob, oc)
                osig = oreached and (olo > 0 or ohi < 0)
                row[other_metric()] = {
                    "baseline_median_ns": round(median(ob), 3),
                    "candidate_median_ns": round(median(oc), 3),
                    "saving_ns": round(median(ob) - median(oc), 3),
                    "ci95_ns": [round(olo, 3), round(ohi, 3)], "significant": osig,
                    "verdict": ("saves" if olo > 0 else "costs") if osig else "no claim"}
                if b["failed"] or c["failed"]:
                    row["failed_repetitions"] = b["failed"] + c["failed"]
                    row["error"] = b["error"] or c["error"]
                if not ok_level:
                    row["note"] = (f"{len(b['ns'])}+{len(c['ns'])} repetitions cannot give a 95% "
                                   "interval; interval shown is the range of differences")
                rows.append(row)
    return rows, skipped


def growth(run, pairs):
    """How each variant's cost grows with a numeric argument (e.g. fds:N).

    For groups whose runs differ by one 'name:number' argument (not threads),
    fits median time = intercept + slope * N with the Theil-Sen estimator
    (median of pairwise slopes; robust to one noisy point).
    """
    data = samples(run)
    out = []
    for g, base_v, cands in pairs:
        for v in [base_v] + cands:
            pts, arg_name = [], None
            for (gg, vv, a), e in data.items():
                if gg != g or vv != v or len(e["ns"]) < 1 or "/" in a:
                    continue
                name, _, val = a.rpartition(":")
                if not name or name == "threads" or name == "iterations":
                    continue
                try:
                    x = float(val)
                except ValueError:
                    continue
                arg_name = name
                pts.append((x, median(e["ns"])))
            if len(pts) < 3:
                continue
            pts.sort()
            slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(pts)
                      for (x2, y2) in pts[i + 1:] if x2 != x1]
            slope = median(slopes)
            intercept = median([y - slope * x for x, y in pts])
            out.append({"group": g, "variant": v, "arg": arg_name,
                        "slope_ns_per_unit": round(slope, 4),
                        "intercept_ns": round(intercept, 1),
                        "points": [[x, round(y, 1)] for x, y in pts]})
    return out


def print_growth(rows, out):
    if not rows:
        return
    print("", file=out)
    print("cost growth (Theil-Sen fit of the median per call: intercept + slope x N):",
          file=out)
    width = max(len(f"{r['group']}/{r['variant']}") for r in rows)
    for r in rows:
        lo, hi = r["points"][0], r["points"][-1]
        unit = r["arg"][:-1] if r["arg"].endswith("s") else r["arg"]
        print(f"  {(r['group'] + '/' + r['variant']).ljust(width)}  "
              f"{fmt_ns(r['slope_ns_per_unit']):>8} per {unit}  "
              f"(at {r['arg']}:{lo[0]:g} {fmt_ns(lo[1])}, at {r['arg']}:{hi[0]:g} "
              f"{fmt_ns(hi[1])})", file=out)


# --- output -----------------------------------------------------------------------------------

def iso_utc(date):
    if not isinstance(date, str):
        return None
    try:
        dt = datetime.datetime.fromisoformat(date)
    except ValueError:
        return date
    if dt.tzinfo is None:
        return dt.isoformat()
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_of(run):
    ctx = run.get("context", {}) if isinstance(run, dict) else {}
    return {
        "hostname": ctx.get("hostname", ctx.get("host_name")),
        "kernel": ctx.get("kernel"),
        "cpu": ctx.get("cpu"),
        "cores": ctx.get("num_cpus"),
        "date": iso_utc(ctx.get("date")),
        "commit": ctx.get("commit"),
    }


def fmt_ns(v):
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f}ms"
    if a >= 1e4:
        return f"{v / 1e3:.1f}us"
    if a >= 100:
        return f"{v:.0f}ns"
    return f"{v:.1f}ns"


def print_table(rows, skipped, out):
    head = ["group", "args", "baseline", "candidate", "base med", "cand med", "saving",
            "saving %", "95% CI of saving", "claim", other_metric().replace("_time", "") + " claim"]
    table = [head]
    for r in rows:
        pct = r["saving_pct"]
        ci = f"[{fmt_ns(r['ci95_ns'][0])}, {fmt_ns(r['ci95_ns'][1])}]"
        if r.get("note"):
            ci += "*"
        table.append([r["group"], r["args"] or "-", r["baseline"], r["candidate"],
                      fmt_ns(r["baseline_median_ns"]), fmt_ns(r["candidate_median_ns"]),
                      fmt_ns(r["saving_ns"]), f"{pct:+.1f}%" if pct is not None else "-",
                      ci, r["verdict"], r[other_metric()]["verdict"]])
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    right = {4, 5, 6, 7}
    for row in table:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                 for i, c in enumerate(row)]
        print("  ".join(cells).rstrip(), file=out)
    if any(r.get("note") for r in rows):
        print("* too few repetitions for a 95% interval: range of differences shown, no claim",
              file=out)
    for r in rows:
        if r.get("failed_repetitions"):
            print(f"warning: {r['group']}/{r['candidate']} vs {r['baseline']} "
                  f"[{r['args'] or '-'}]: {r['failed_repetitions']} failed repetition(s) left "
                  f"out: {r['error']}", file=out)
    for s in skipped:
        print(f"skipped: {s['group']}/{s['candidate']} vs {s['baseline']} "
              f"[{s['args'] or '-'}]: {s['reason']}", file=out)
    print(f"metric: {METRIC}; saving = baseline median - candidate median per call (negative: the candidate "
          "costs more); claimed only when the 95% CI (Hodges-Lehmann / Mann-Whitney) "
          "excludes 0", file=out)


def default_out(path):
    return (path[:-5] if path.endswith(".json") else path) + ".pairs.json"


def main(argv):
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", nargs="?", help="Google Benchmark JSON of a cloexec-bench run")
    ap.add_argument("--pairs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "pairs.txt"),
                    help="pairs file (default: pairs.txt beside this script)")
    ap.add_argument("--out", help="where to write the pairs JSON ('-' for stdout; "
                    "default: RUN with .pairs.json)")
    ap.add_argument("--validate", action="store_true", help="check the JSON's shape only")
    ap.add_argument("--min-reps", type=int, default=1, metavar="N",
                    help="with --validate: require >= N repetitions")
    ap.add_argument("--require-all", action="store_true",
                    help="with --validate: every variant of the pairs file must have rows "
                    "(but <variant>@<label>, there only with cloexec-bench --before)")
    ap.add_argument("--check-pairs", metavar="FILE", help="check a pairs file and exit")
    ap.add_argument("--metric", choices=("real_time", "cpu_time"), default="real_time",
                    help="which time to compare (default real_time; cpu_time is less noisy "
                    "on a loaded machine but misses time the work spends waiting, e.g. "
                    "for a spawned child)")
    a = ap.parse_args(argv)
    global METRIC
    METRIC = a.metric
    try:
        if a.check_pairs:
            groups = read_pairs(a.check_pairs)
            n = sum(1 + len(c) for _, _, c in groups)
            print(f"{PROG}: {a.check_pairs}: ok ({len(groups)} groups, {n} variants)")
            return 0
        if not a.run:
            ap.print_usage(sys.stderr)
            print(f"{PROG}: error: a run JSON file is required", file=sys.stderr)
            return 2
        pairs = read_pairs(a.pairs)
        # Strict (no NaN/Infinity) when validating: other readers of the file are strict.
        run = load_run(a.run, strict=a.validate)
        probs = validate(run, pairs, a.min_reps, a.require_all)
        if a.validate:
            for p in probs:
                print(f"{PROG}: {a.run}: {p}", file=sys.stderr)
            if probs:
                return 1
            names = {r["run_name"] for r in run["benchmarks"]}
            print(f"{PROG}: {a.run}: ok ({len(run['benchmarks'])} rows, {len(names)} benchmarks)")
            return 0
        if probs:
            for p in probs[:20]:
                print(f"{PROG}: {a.run}: {p}", file=sys.stderr)
            raise BadInput(f"{a.run}: {len(probs)} shape problem(s); see above")
        rows, skipped = analyse(run, pairs)
        grow = growth(run, pairs)
        doc = {"schema": "cloexec-pairs/1", "source": a.run, "host": host_of(run),
               "method": "median difference; 95% CI: Hodges-Lehmann shift with the exact "
                         "Mann-Whitney interval; significant when the CI excludes 0",
               "metric": METRIC, "pairs": rows, "skipped": skipped, "growth": grow}
        out = a.out or default_out(a.run)
        text = json.dumps(doc, indent=1) + "\n"
        if out == "-":
            sys.stdout.write(text)
            print_table(rows, skipped, sys.stderr)
            print_growth(grow, sys.stderr)
        else:
            tmp = out + ".tmp"
            try:
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, out)
            except OSError as e:
                raise Unreadable(f"failed to write {out}: {e.strerror}")
            print_table(rows, skipped, sys.stdout)
            print_growth(grow, sys.stdout)
            print(f"{PROG}: wrote {out}")
        return 0
    except BadInput as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except Unreadable as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
