#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""goals.py - the tracer's performance goals (issue 13), each against its floor.

Reads one cloexec-bench run (Google Benchmark JSON with per-repetition rows) and the
cloexec-load JSON written beside it (schema cloexec-load/1), and for every figure gives
the floor measured in the same run (an empty tp_btf/sys_exit program: build/bench/
cloexec-floor), the figure, its goal and whether the goal is met. A goal is met only when
the 95% confidence interval of the figure lies within it, not met when the interval lies
beyond it, and undecided otherwise (the interval holds the goal, or too few repetitions).
Statistics come from results/labstats.py (Hodges-Lehmann shift with its distribution-free
interval); nothing is computed twice.

Prints a table and, with --out, writes the figures as JSON (schema cloexec-goals/1,
results/FORMATS.md). results/report.py calls figures() for its section.

Exit status: 0 ok (also when a goal is not met: goals live in the report, not in the exit
code), 1 invalid input, 2 usage, 3 a file cannot be read or written.

EXAMPLES
  /usr/bin/python3 bench/goals.py --load results/bench/latest.load.json results/bench/latest.json
  /usr/bin/python3 bench/goals.py --load run.load.json run.json --out run.goals.json
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "results"))
import labstats as ls  # noqa: E402

PROG = "goals.py"

# (figure id, group, variant compared with the floor, goal in ns over the floor, what)
MICRO = [
    ("a", "trace_getppid", "filtered", 5.0,
     "getppid() in an untraced process while the tracer traces another tree"),
    ("b", "trace_dup3", "traced", 30.0, "dup3(O_CLOEXEC) + close in the traced tree (a pair)"),
    ("b", "trace_socket", "traced", 30.0,
     "socket(SOCK_CLOEXEC) + close in the traced tree (a pair)"),
    ("c", "trace_dup3_plain", "traced", 150.0,
     "dup3() without the flag + close in the traced tree (a record with its path)"),
    ("c", "trace_socket_plain", "traced", 150.0,
     "socket() without the flag + close in the traced tree (a record with its socket)"),
]
RATE_GOAL = 1e6       # non-atomic records per second held with 0 lost
BUILD_GOAL_PCT = 3.0  # traced build's wall time over the untraced one


class BadInput(Exception):
    pass


def verdict(lo, hi, goal, reached):
    """'met' when the whole interval is within the goal, 'not met' when beyond it."""
    if not reached:
        return "undecided"
    if hi <= goal:
        return "met"
    if lo > goal:
        return "not met"
    return "undecided"


def lost_in(benches, run_names):
    """Repetitions whose tracer label says records were lost (their figure is too low)."""
    n = 0
    for rn in run_names:
        for lbl in benches[rn].labels:
            for part in lbl.split():
                if part.startswith("lost=") and part[5:].isdigit() and int(part[5:]) > 0:
                    n += 1
    return n


def load_bench(path):
    """labstats' loader, plus each repetition's label (the tracer's fd_events/lost)."""
    try:
        doc, benches = ls.load_gbench(path)
    except ls.InputError as e:
        raise BadInput(str(e))
    for b in benches.values():
        b.labels = []
    for row in doc["benchmarks"]:
        rn = row.get("run_name", row.get("name"))
        if row.get("run_type", "iteration") == "iteration" and rn in benches:
            benches[rn].labels.append(str(row.get("label", "")))
    return doc, benches


def micro_figures(benches, metric="real_time"):
    by = {}
    for rn, b in benches.items():
        by.setdefault((b.group, b.variant), []).append(rn)
    out = []
    for fid, group, variant, goal, what in MICRO:
        f = {"figure": fid, "name": "%s/%s" % (group, variant), "what": what,
             "unit": "ns per iteration", "goal": "<= floor + %g ns" % goal, "goal_ns": goal}
        floor_rn, cand_rn, none_rn = (by.get((group, v)) for v in ("floor", variant, "untraced"))
        if not floor_rn or not cand_rn:
            f.update(status="missing", verdict="undecided",
                     note="no %s/floor or %s/%s rows in this run" % (group, group, variant))
            out.append(f)
            continue
        fb, cb = benches[floor_rn[0]], benches[cand_rn[0]]
        errs = [b.error for b in (fb, cb) if b.error]
        fl, ca = fb.times(metric), cb.times(metric)
        if len(fl) < 2 or len(ca) < 2:
            f.update(status="missing", verdict="undecided",
                     note="; ".join(errs) or "fewer than 2 repetitions")
            out.append(f)
            continue
        est, lo, hi, reached = ls.shift_ci(ca, fl)[:4]
        sf, sc = ls.summary(fl), ls.summary(ca)
        f.update(status="ok", n=[len(ca), len(fl)],
                 floor_median_ns=sf["median"], floor_iqr_ns=sf["iqr"],
                 median_ns=sc["median"], iqr_ns=sc["iqr"],
                 over_floor_ns=est, ci95_ns=[lo, hi], ci_reached=reached,
                 ratio_to_floor=sc["median"] / sf["median"] if sf["median"] > 0 else None,
                 verdict=verdict(lo, hi, goal, reached))
        # the other time too: CPU time is far less noisy on a busy machine, but blind to
        # the time the work waited (for the tracer's reader on the other core, say)
        other = "cpu_time" if metric == "real_time" else "real_time"
        if len(fb.times(other)) >= 2 and len(cb.times(other)) >= 2:
            oe, olo, ohi, oreached = ls.shift_ci(cb.times(other), fb.times(other))[:4]
            f[other] = {"over_floor_ns": oe, "ci95_ns": [olo, ohi], "ci_reached": oreached,
                        "verdict": verdict(olo, ohi, goal, oreached)}
        if none_rn and benches[none_rn[0]].times(metric):
            nb = benches[none_rn[0]].times(metric)
            fe, flo, fhi, freached = ls.shift_ci(fl, nb)[:4]
            f.update(untraced_median_ns=ls.median(nb), floor_cost_ns=fe,
                     floor_cost_ci95_ns=[flo, fhi])
        if reached and hi < 0:
            # nothing the tracer runs costs less than the empty program: the run was disturbed
            f["verdict"] = "undecided"
            f["note"] = ("below its floor (the whole interval < 0): a disturbed run, no tracer "
                         "costs less than an empty program")
        lost = lost_in(benches, cand_rn)
        if lost:
            f["verdict"] = "undecided"
            f["note"] = ("records were lost in %d repetitions: the tracer did less than its "
                         "work, the figure is too low" % lost)
        if not reached:
            f["note"] = "; ".join(x for x in (f.get("note"),
                                              "too few repetitions for a 95% interval") if x)
        out.append(f)
    return out


def _rows(load, figure):
    return [r for r in load.get("rows", []) if isinstance(r, dict) and r.get("figure") == figure]


def load_figures(load):
    out = []
    # d: churn
    churn = {r.get("config"): r for r in _rows(load, "churn")
             if r.get("phase", "sustained") == "sustained" or r.get("config") != "tracer"}
    refs = {}
    for r in _rows(load, "churn"):
        if r.get("config") != "tracer" and isinstance(r.get("rate_per_s"), (int, float)):
            refs.setdefault(r.get("config"), []).append(float(r["rate_per_s"]))
    f = {"figure": "d", "name": "churn", "unit": "fds per second",
         "what": "%s producers creating and closing fds with O_CLOEXEC as fast as they can "
                 "under the tracer" % (churn.get("tracer") or {}).get("producers", "?"),
         "goal": "0 records lost"}
    t = churn.get("tracer")
    if not t or not isinstance(t.get("tracer"), dict):
        f.update(status="missing", verdict="undecided", note="no churn run under the tracer")
    else:
        lost = t["tracer"].get("lost")
        f.update(status="ok", duration_s=t.get("duration_s"), fds=t.get("fds"),
                 rate_per_s=t.get("rate_per_s"), lost=lost,
                 counted=t["tracer"].get("fds"), maxrss_kb=t.get("maxrss_kb"),
                 verdict="met" if lost == 0 else "not met")
        if refs.get("floor"):
            f["floor_rate_per_s"] = ls.median(refs["floor"])
            f["floor_rate_range"] = [min(refs["floor"]), max(refs["floor"])]
            f["floor_runs"] = len(refs["floor"])
            f["ratio_to_floor"] = (t.get("rate_per_s") or 0) / f["floor_rate_per_s"]
        if refs.get("untraced"):
            f["untraced_rate_per_s"] = ls.median(refs["untraced"])
            f["untraced_rate_range"] = [min(refs["untraced"]), max(refs["untraced"])]
    out.append(f)
    # e: rate
    rate = _rows(load, "rate")
    res = [r for r in rate if r.get("phase") == "result"]
    f = {"figure": "e", "name": "rate", "unit": "records per second",
         "what": "the highest rate of fds created without the flag (each a record) the tracer "
                 "holds with 0 lost", "goal": ">= %.0fk records/s held with 0 lost" %
                                              (RATE_GOAL / 1e3)}
    if not res:
        f.update(status="missing", verdict="undecided", note="no rate result")
    else:
        r = res[-1]
        held = r.get("held_per_s") or 0
        hold = [x for x in rate if x.get("phase") == "hold"]
        search = [x for x in rate if x.get("phase") == "search"]
        cap_t = [x for x in rate if x.get("phase") == "capacity" and x.get("config") == "tracer"]
        f.update(status="ok", held_per_s=held, duration_s=r.get("duration_s"),
                 floor_capacity_per_s=r.get("capacity_floor_per_s"),
                 verdict="met" if held >= RATE_GOAL else "not met",
                 search_runs=len(search), hold_runs=len(hold))
        f["unpaced_per_s"] = r.get("unpaced_per_s")
        if cap_t:
            f["unpaced_lost"] = (cap_t[-1].get("tracer") or {}).get("lost")
        f["hold"] = [{"target_per_s": x.get("target_per_s"), "achieved_per_s":
                      x.get("achieved_per_s"), "lost": (x.get("tracer") or {}).get("lost")}
                     for x in hold]
        f["limit"] = ("the producers' speed under the tracer (nothing lost unpaced)"
                      if r.get("limit") == "producers" else "records lost above this rate")
    out.append(f)
    # f: build
    build = _rows(load, "build")
    walls = {}
    for r in build:
        if isinstance(r.get("wall_s"), (int, float)):
            walls.setdefault(r.get("config"), []).append(float(r["wall_s"]))
    f = {"figure": "f", "name": "build", "unit": "s wall time per build",
         "what": "the project's C sources compiled by make -j%s, traced vs untraced, "
                 "interleaved" % (build[0].get("jobs", "?") if build else "?"),
         "goal": "<= untraced + %g%%" % BUILD_GOAL_PCT}
    un, tr, fl = walls.get("untraced"), walls.get("tracer"), walls.get("floor")
    if not un or not tr or len(un) < 2 or len(tr) < 2:
        f.update(status="missing", verdict="undecided", note="fewer than 2 builds per side")
    else:
        su = ls.summary(un)
        est, lo, hi, reached = ls.shift_ci(tr, un)[:4]
        pct = [100.0 * x / su["median"] for x in (est, lo, hi)]
        f.update(status="ok", n=[len(tr), len(un)], sources=build[0].get("sources"),
                 untraced_median_s=su["median"], untraced_iqr_s=su["iqr"],
                 median_s=ls.median(tr), iqr_s=ls.summary(tr)["iqr"],
                 over_untraced_pct=pct[0], ci95_pct=[pct[1], pct[2]], ci_reached=reached,
                 verdict=verdict(pct[1], pct[2], BUILD_GOAL_PCT, reached))
        if fl and len(fl) >= 2:
            fe, flo, fhi, _ = ls.shift_ci(fl, un)[:4]
            f.update(floor_median_s=ls.median(fl),
                     floor_over_untraced_pct=100.0 * fe / su["median"],
                     floor_ci95_pct=[100.0 * flo / su["median"], 100.0 * fhi / su["median"]])
        if not reached:
            f["note"] = "too few rounds for a 95% interval"
    out.append(f)
    # g: footprint
    fp = _rows(load, "footprint")
    floor_rss = next((r.get("maxrss_kb") for r in fp if r.get("config") == "floor"), None)
    for r in fp:
        if r.get("config") != "tracer":
            continue
        f = {"figure": "g", "name": "footprint/%s" % r.get("op"), "unit": "per 1M fds",
             "what": "the tracer's max RSS and output bytes per 1M fd creations (%s)" %
                     r.get("op"), "goal": "reported", "status": "ok", "verdict": "reported",
             "fds": r.get("fds"), "maxrss_kb": r.get("maxrss_kb"), "floor_maxrss_kb": floor_rss,
             "json_bytes_per_1m": r.get("json_bytes_per_1m"),
             "text_bytes_per_1m": r.get("text_bytes_per_1m"),
             "lost": (r.get("tracer") or {}).get("lost")}
        out.append(f)
    if not fp:
        out.append({"figure": "g", "name": "footprint", "unit": "per 1M fds", "goal": "reported",
                    "what": "the tracer's max RSS and output bytes per 1M fd creations",
                    "status": "missing", "verdict": "undecided", "note": "no footprint run"})
    return out


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


def figures(bench_path=None, load_path=None, metric="real_time"):
    """Every figure as a dict (see FORMATS.md, cloexec-goals/1). Raises BadInput, OSError."""
    out = []
    if bench_path:
        _, benches = load_bench(bench_path)
        out += micro_figures(benches, metric)
    if load_path:
        load = read_load(load_path)
        if load.get("skipped"):
            out.append({"figure": "d-g", "name": "load", "status": "skipped",
                        "verdict": "undecided", "goal": "-", "what": "the long runs",
                        "note": "skipped: %s" % load["skipped"]})
        else:
            out += load_figures(load)
    return out


def _ns(x):
    return "-" if x is None else ("%.0f" % x if abs(x) >= 100 else "%.1f" % x)


def _sns(x):
    return ("+" if x >= 0 else "") + _ns(x)


def _other(f):
    for k in ("cpu_time", "real_time"):
        o = f.get(k)
        if isinstance(o, dict):
            return "; %s: %s ns [%s, %s] (%s)" % (k.replace("_time", ""), _sns(o["over_floor_ns"]),
                                                 _ns(o["ci95_ns"][0]), _ns(o["ci95_ns"][1]),
                                                 o["verdict"])
    return ""


def _rate(x):
    return "-" if x is None else "%.0fk/s" % (x / 1e3)


def describe(f):
    """(floor, figure, spread) as text for a table."""
    if f.get("status") != "ok":
        return "-", "-", f.get("note", f.get("status", "-"))
    n = f["name"]
    if f["figure"] in ("a", "b", "c"):
        return ("%s ns (untraced %s, floor cost %s)" % (_ns(f["floor_median_ns"]),
                                                        _ns(f.get("untraced_median_ns")),
                                                        _ns(f.get("floor_cost_ns"))),
                "%s ns over the floor (%s ns; x%.2f)" % (_sns(f["over_floor_ns"]),
                                                          _ns(f["median_ns"]),
                                                          f["ratio_to_floor"] or 0),
                "95%% CI [%s, %s] ns; IQR %s / floor %s; n=%d+%d%s" % (
                    _ns(f["ci95_ns"][0]), _ns(f["ci95_ns"][1]), _ns(f["iqr_ns"]),
                    _ns(f["floor_iqr_ns"]), f["n"][0], f["n"][1], _other(f)))
    if n == "churn":
        rng = f.get("floor_rate_range") or [None, None]
        return ("%s under the floor (median of %s runs; %s-%s), %s untraced" % (
                    _rate(f.get("floor_rate_per_s")), f.get("floor_runs", "?"), _rate(rng[0]),
                    _rate(rng[1]), _rate(f.get("untraced_rate_per_s"))),
                "%s lost of %s fds (%s, x%.2f of the floor) in %.0f s" % (
                    f["lost"], f["fds"], _rate(f["rate_per_s"]), f.get("ratio_to_floor") or 0,
                    f["duration_s"] or 0),
                "tracer counted %s; max RSS %s KiB" % (f.get("counted"), f.get("maxrss_kb")))
    if n == "rate":
        return ("producers' capacity %s under the floor" % _rate(f.get("floor_capacity_per_s")),
                ("%s held for %.0f s with 0 lost" % (_rate(f["held_per_s"]),
                                                     f["duration_s"] or 0)
                 if f["held_per_s"] else "no rate held for %.0f s with 0 lost (%d long runs)" %
                 (f["duration_s"] or 0, f.get("hold_runs", 0))),
                "unpaced under the tracer %s in a %s run (lost %s); long runs: %s; limit: %s" % (
                    _rate(f.get("unpaced_per_s")), "short", f.get("unpaced_lost"),
                    ", ".join("%s -> %s lost %s" % ("max" if h["target_per_s"] is None else
                                                    _rate(h["target_per_s"]),
                                                    _rate(h["achieved_per_s"]), h["lost"])
                              for h in f.get("hold", [])) or "-", f.get("limit")))
    if n == "build":
        return ("untraced %.2f s; floor %.2f s (%+.1f%%)" % (
                    f["untraced_median_s"], f.get("floor_median_s") or 0,
                    f.get("floor_over_untraced_pct") or 0),
                "%+.1f%% (%.2f s traced)" % (f["over_untraced_pct"], f["median_s"]),
                "95%% CI [%+.1f%%, %+.1f%%]; IQR %.2f / %.2f s; n=%d+%d; %s sources" % (
                    f["ci95_pct"][0], f["ci95_pct"][1], f["iqr_s"], f["untraced_iqr_s"],
                    f["n"][0], f["n"][1], f.get("sources")))
    return ("floor loader max RSS %s KiB" % f.get("floor_maxrss_kb"),
            "max RSS %s KiB; JSON %.1f MB, text %.1f MB per 1M fds" % (
                f.get("maxrss_kb"), (f.get("json_bytes_per_1m") or 0) / 1e6,
                (f.get("text_bytes_per_1m") or 0) / 1e6),
            "%s fds, lost %s" % (f.get("fds"), f.get("lost")))


def print_table(figs, out):
    for f in figs:
        floor, fig, spread = describe(f)
        print("%-2s %-26s goal %-32s %s" % (f["figure"], f["name"], f["goal"],
                                           f["verdict"].upper()), file=out)
        print("     floor:  %s" % floor, file=out)
        print("     figure: %s" % fig, file=out)
        print("     spread: %s" % spread, file=out)
        if f.get("note") and f.get("status") == "ok":
            print("     note:   %s" % f["note"], file=out)
    print("met: the 95% CI lies within the goal; not met: beyond it; undecided: it holds the "
          "goal (or too few repetitions)", file=out)


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench", nargs="?", help="cloexec-bench JSON (the trace_* groups)")
    ap.add_argument("--load", metavar="FILE", help="cloexec-load JSON (churn, rate, build, "
                    "footprint)")
    ap.add_argument("--out", metavar="FILE", help="write the figures as JSON (cloexec-goals/1)")
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
    print_table(figs, sys.stdout)
    if a.out:
        doc = {"schema": "cloexec-goals/1", "bench": a.bench, "load": a.load,
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
