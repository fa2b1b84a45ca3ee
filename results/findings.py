# SPDX-License-Identifier: MIT
"""
findings.py - the report's opening lines (results/report.py): what the inputs found, in a few
sentences, each generated from the data the report's sections show.

Every function takes what one section read (the matrix document, the savings pairs, the goal
figures, the kernel runs, the reproduction) and returns findings: (label, text, state), state
"ok" (nothing wrong found), "bad" (a leak, a failure, a goal not met), "warn" (undecided, or
an input missing: the text then names the file and the make target that produces it) or None
(a plain fact). Nothing here names a runtime, a group or a kernel: whatever the data holds is
described the same way.
"""

SOCKET_NAMES = ("listener", "conn")


def _join(items, last=" and "):
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last + items[-1]


def _fd_names(names):
    """fd names of the matrix ("listener", "conn", "other:socket:[..]", "other:file:..") as
    text: the sockets by name (listener first), the rest counted."""
    socks = [n for n in SOCKET_NAMES if n in names]
    socks += sorted(set(n for n in names if n.startswith("other:socket:")))
    rest = sum(1 for n in names if n not in socks)
    return _join(socks + (["%d other fd%s" % (rest, "" if rest == 1 else "s")] if rest else []))


def fmt_time(ns):
    """ns as a short time with its unit (ns, us, ms, s)."""
    if ns is None:
        return "-"
    a = abs(ns)
    for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
        if a >= div:
            v = ns / div
            return ("%.3g %s" % (v, unit)) if abs(v) < 100 else ("%.0f %s" % (v, unit))
    return ("%.3g ns" % ns) if a < 100 else ("%.0f ns" % ns)


def fmt_signed(ns):
    """A difference with its sign: +1.2 us, -31 ns."""
    return ("+" if isinstance(ns, (int, float)) and ns >= 0 else "") + fmt_time(ns)


def fmt_interval(lo, hi):
    """A 95% interval in one unit (the larger end's)."""
    if not all(isinstance(x, (int, float)) for x in (lo, hi)):
        return "(no interval)"
    big = max(abs(lo), abs(hi))
    for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us"), (1.0, "ns")):
        if big >= div or div == 1.0:
            return "[%s, %s] %s" % (_num(lo / div), _num(hi / div), unit)
    return "-"


def _num(x):
    return "%.3g" % x if abs(x) < 100 else "%.0f" % x


def short_version(v):
    """A version string's leading words through the first that holds a digit ("glibc 2.36
    (Debian ...)" -> "glibc 2.36", "go version go1.19.8 linux/amd64" -> "go version go1.19.8")."""
    words = []
    for w in str(v or "").split():
        words.append(w)
        if any(c.isdigit() for c in w):
            return " ".join(words)
    return " ".join(words[:3])


def _rt_name(r):
    v = short_version(r.get("version"))
    return "%s (%s)" % (r.get("runtime"), v) if v else str(r.get("runtime"))


def _handed_over(r):
    """What the row says was handed over on purpose (to the child, or to a program on the way)."""
    out = set(x for x in r.get("passed") or [] if isinstance(x, str))
    out |= set(x.split(" (to ")[0] for x in r.get("passed_helpers") or [] if isinstance(x, str))
    return out


def _by_program(fates, verdict):
    """[(comm, [fd names], [fates])] of the fates with this verdict, in the order of the trace."""
    order, names, kinds = [], {}, {}
    for f in fates:
        if not isinstance(f, dict) or f.get("verdict") != verdict:
            continue
        comm = str(f.get("comm") or f.get("pid") or "?")
        if comm not in names:
            order.append(comm)
            names[comm], kinds[comm] = [], []
        names[comm].append(str(f.get("name") or "fd %s" % f.get("fd")))
        kinds[comm].append(f.get("fate"))
    return [(c, names[c], kinds[c]) for c in order]


def row_outcome(r):
    """
    What a matrix row found, from its fates (the tracer's final verdict per inherited fd) or,
    for a trace without fates, from what the exec'd child inherited beside what was passed:
    {"leaked": [(comm, names)], "passed": [(comm, names)], "helper": [(comm, names)],
     "late": [what was made without the flag atomically]}.
    """
    out = {"leaked": [], "passed": [], "helper": [], "late": []}
    fates = r.get("fates")
    if isinstance(fates, list):
        for key in ("leaked", "passed", "helper"):
            out[key] = [(c, n) for c, n, _ in _by_program(fates, key)]
    else:
        inh = [str(x) for x in r.get("child_inherited") or [] if isinstance(x, (str, int))]
        given = _handed_over(r)
        child = next((str(c.get("comm")) for c in r.get("child_exec") or []
                      if isinstance(c, dict) and c.get("comm")), "the child")
        if [x for x in inh if x not in given]:
            out["leaked"] = [(child, [x for x in inh if x not in given])]
        if [x for x in inh if x in given]:
            out["passed"] = [(child, [x for x in inh if x in given])]
    if r.get("socket") == "late":
        out["late"].append("socket")
    acc = r.get("accept")
    if isinstance(acc, dict) and acc.get("verdict") == "late":
        out["late"].append(str(acc.get("syscall") or "accept"))
    return out


def _chain(progs):
    """[(comm, names)] -> "listener and conn to sh, then sleep" (one set of names when every
    program got the same ones, else each program's own)."""
    if not progs:
        return ""
    sets = [_fd_names(n) for _, n in progs]
    if all(s == sets[0] for s in sets):
        return "%s to %s" % (sets[0], ", then ".join(c for c, _ in progs))
    return "; ".join("%s to %s" % (s, c) for s, (c, _) in zip(sets, progs))


def _missing(what, path, target):
    return "not measured: %s is missing; `%s` produces it" % (path, target)


def matrix_findings(doc, path):
    """Leaks per runtime (what to which child), hand-overs, helpers, late flags, and the CI
    gate per runtime."""
    if doc is None:
        why = ("left out on the command line" if path == "none"
               else _missing("matrix", path, "make matrix"))
        return [("Leaks", why, "warn"), ("CI gate", why, "warn")]
    rows = [r for r in doc.get("runtimes") or [] if isinstance(r, dict)]
    ran = [r for r in rows if r.get("status") == "ok"]
    notrun = [r for r in rows if r.get("status") != "ok"]
    leaks, clean, passed, helped, late = [], [], [], [], []
    for r in ran:
        o = row_outcome(r)
        if o["leaked"]:
            leaks.append("%s: %s" % (_rt_name(r), _chain(o["leaked"])))
        else:
            clean.append(str(r.get("runtime")))
        if o["passed"]:
            passed.append("%s: %s" % (r.get("runtime"), _chain(o["passed"])))
        if o["helper"]:
            helped.append("%s: %s" % (r.get("runtime"), "; ".join(
                "%s closed %s before its exec" % (c, _fd_names(n)) for c, n in o["helper"])))
        if o["late"] and not o["leaked"]:
            late.append("%s (%s)" % (r.get("runtime"), _join(o["late"])))
    out = []
    n_ran = "%d of %d runtimes traced" % (len(ran), len(rows))
    if not ran:
        out.append(("Leaks", "no runtime ran (%s): %s" % (n_ran, "; ".join(
            "%s: %s" % (r.get("runtime"), r.get("reason") or r.get("status")) for r in notrun)
            or "the matrix is empty"), "warn"))
    elif leaks:
        out.append(("Leaks", "%d of %d runtimes traced leak fds to the programs they spawn: %s; "
                    "the other %d leak nothing." % (len(leaks), len(ran), "; ".join(leaks),
                                                    len(clean)), "bad"))
    else:
        out.append(("Leaks", "none: no fd reached a spawned program without being passed on "
                    "purpose in any of the %s (%s)." % (n_ran, _join(clean)), "ok"))
    if passed or helped:
        parts = []
        if passed:
            parts.append("passed on purpose: " + "; ".join(passed))
        if helped:
            parts.append("helper: " + "; ".join(helped))
        out.append(("Not leaks", "; ".join(parts) + ".", None))
    if late:
        out.append(("Flag set late", "%s: the flag set after creation, a race window for a "
                    "concurrent fork (nothing leaked in this run)." % _join(late), "warn"))
    if notrun:
        out.append(("Not traced", "; ".join("%s: %s" % (r.get("runtime"), r.get("reason") or
                                                        r.get("status")) for r in notrun) + ".",
                    "warn"))
    out.append(gate_finding(ran))
    return out


def gate_finding(ran):
    """The tracer's exit code per runtime (its default --fail-on) and whether each is the
    expected one."""
    fails = [r for r in ran if r.get("ci_gate") not in (None, 0)]
    passes = [r for r in ran if r.get("ci_gate") == 0]
    nogate = [r for r in ran if r.get("ci_gate") is None]
    wrong = [r for r in ran if r.get("ci_gate") is not None and
             r.get("ci_gate_expected") is not None and r["ci_gate"] != r["ci_gate_expected"]]
    fail_on = next((r.get("ci_gate_fail_on") for r in ran if r.get("ci_gate_fail_on")), None)
    how = "cloexec-trace's exit code%s" % (
        " (--fail-on %s)" % ",".join(map(str, fail_on)) if isinstance(fail_on, list) else "")
    if not ran:
        return ("CI gate", "no runtime ran, no exit code to show", "warn")
    parts = []
    if fails:
        parts.append("fails %s" % _join(["%s (exit %s)" % (r.get("runtime"), r.get("ci_gate"))
                                         for r in fails]))
    if passes:
        parts.append("passes %s" % _join([str(r.get("runtime")) for r in passes]))
    if nogate:
        parts.append("no exit code for %s" % _join([str(r.get("runtime")) for r in nogate]))
    text = "%s %s." % (how, "; ".join(parts))
    if wrong:
        text += " Not the exit the program's behaviour calls for: %s." % "; ".join(
            "%s exits %s, expected %s" % (r.get("runtime"), r.get("ci_gate"),
                                          r.get("ci_gate_expected")) for r in wrong)
        return ("CI gate", text, "bad")
    expected = [r for r in ran if r.get("ci_gate_expected") is not None]
    if expected:
        text += " %s as expected." % ("Every exit" if len(expected) == len(ran) else
                                      "%d of %d exits" % (len(expected), len(ran)))
    return ("CI gate", text, "ok" if not nogate else "warn")


def savings_findings(pairs, have_bench, bench_path, top=4):
    """The largest savings whose 95% interval excludes zero: each group's largest, then the
    groups in order of the saving in %."""
    label = "Largest savings"
    if not have_bench:
        return [(label, "not measured: no benchmark run (%s); `make bench` produces it" %
                 bench_path, "warn")]
    if pairs is None:
        return [(label, "no savings: no .pairs.json beside the run and no bench/pairs.txt to "
                 "pair the variants; `make bench` writes both", "warn")]
    def sig(p):
        ci = p.get("ci95_ns")
        s = p.get("significant")
        if s is None and ci:
            s = ci[0] > 0 or ci[1] < 0
        return bool(s) and bool(ci)
    faster = [p for p in pairs if sig(p) and p["ci95_ns"][0] > 0]
    slower = [p for p in pairs if sig(p) and p["ci95_ns"][1] < 0]
    if not pairs:
        return [(label, "no baseline/candidate pairs in %s" % bench_path, "warn")]
    best = {}
    for p in faster:
        g = p.get("group")
        if g not in best or p["saving_ns"] > best[g]["saving_ns"]:
            best[g] = p

    def pct(p):
        v = p.get("saving_pct")
        b = p.get("baseline_median_ns")
        return v if isinstance(v, (int, float)) else (100.0 * p["saving_ns"] / b if b else 0.0)
    ranked = sorted(best.values(), key=lambda p: -pct(p))
    items = []
    for p in ranked[:top]:
        ci = p["ci95_ns"]
        items.append("%s%s: %s instead of %s saves %s (%.0f%%) %s" % (
            p.get("group"), " %s" % p["args"] if p.get("args") else "", p.get("candidate"),
            p.get("baseline"), fmt_time(p["saving_ns"]), pct(p), fmt_interval(ci[0], ci[1])))
    n = len(pairs)
    if items:
        text = "per call, with the 95% CI: " + "; ".join(items) + "."
        more = len(ranked) - len(items)
        if more > 0:
            text += " %d more group%s with a significant saving." % (more, "" if more == 1
                                                                       else "s")
    else:
        text = "no saving is claimed: no interval of the %d pairs lies above zero." % n
    text += " %d of %d pairs significant (95%% CI excludes zero), the others no claim." % (
        len(faster) + len(slower), n)
    out = [(label, text, None)]
    if slower:
        out.append(("Significantly slower", "; ".join(
            "%s: %s %s slower than %s%s (95%% CI %s)" % (
                p.get("group"), p.get("candidate"), fmt_time(-p["saving_ns"]),
                p.get("baseline"), " at %s" % p["args"] if p.get("args") else "",
                fmt_interval(-p["ci95_ns"][1], -p["ci95_ns"][0])) for p in slower) + ".",
            "warn"))
    return out


MICRO_IDS = ("3", "4", "5a", "5b", "a", "c")  # bench/goals.py's per-call figures


def goals_findings(figs, why, have_bench, bench_path):
    """The tracer's cost against its floor: the per-call goals with their intervals, the load
    goals' verdicts, then its own CPU and RSS (bench/goals.py's figures; reported ones that
    carry no goal are left to the section)."""
    if not have_bench:
        return [("Tracer cost", "not measured: no benchmark run (%s); `make bench` produces it" %
                 bench_path, "warn")]
    if figs is None:
        return [("Tracer cost", "not computed: %s" % why, "warn")]
    micro, load, cost = [], [], []
    verdicts = []
    for f in figs:
        fid, v = f.get("figure"), f.get("verdict")
        if fid == "6":
            if f.get("status") == "ok":
                cost.append("%s %s" % (f.get("name"), _cost(f)))
            continue
        if v == "reported":
            continue
        if f.get("status") != "ok":
            (micro if fid in MICRO_IDS else load).append(
                "%s %s: not measured (%s)" % (fid, f.get("name"), f.get("note") or f.get("status")))
            verdicts.append("undecided")
            continue
        if v in ("met", "not met", "undecided"):
            verdicts.append(v)
        if fid in MICRO_IDS:
            ci = f["ci95_ns"]
            goal = ("<= %s + %s" % (f.get("against", "floor"), fmt_time(f["goal_ns"]))) \
                if isinstance(f.get("goal_ns"), (int, float)) else f.get("goal", "-")
            micro.append("%s %s %s %s (goal %s: %s)" % (
                fid, f["name"], fmt_signed(f["over_ns"]), fmt_interval(*ci), goal, v))
        else:
            load.append("%s %s: %s: %s" % (fid, f["name"], _load_figure(f), v))
    state = "bad" if "not met" in verdicts else ("warn" if "undecided" in verdicts else "ok")
    out = []
    if micro:
        out.append(("Tracer cost per call", "over the floor (an empty tp_btf/sys_exit program, "
                    "same run), 95% CI: " + "; ".join(micro) + ".", state))
    if load:
        out.append(("Tracer under load", "; ".join(load) + ".", state))
    if cost:
        out.append(("Tracer's own cost", "CPU seconds per traced second and max RSS: " +
                    "; ".join(cost) + ".", None))
    if not out:
        out.append(("Tracer cost", "no figure in %s" % bench_path, "warn"))
    return out


def _cost(f):
    cpu, rss = f.get("tracer_cpu_per_s"), f.get("tracer_maxrss_kb")
    return "%s CPU s/s, %s" % ("%.3g" % cpu if isinstance(cpu, (int, float)) else "-",
                               "%.0f MB" % (rss / 1024.0) if isinstance(rss, (int, float))
                               else "-")


def _load_figure(f):
    """One load figure in a few words, from the fields goals.py writes."""
    fid = str(f.get("figure"))
    if fid in ("2a", "2b", "2c"):
        return "%s of %s records lost at %s fds/s, the summary %s" % (
            _rate(f.get("lost")), _rate(f.get("fds")), _rate(f.get("rate_per_s")),
            {True: "exact", False: "not exact", None: "missing"}.get(f.get("exact")))
    if fid == "1":
        ci = f.get("ci95_pct") or [None, None]
        return "a build's time to the end %s%% over untraced [%s, %s]%%, %s of %s findings " \
               "with a stack" % (_pct(f.get("over_untraced_pct")), _pct(ci[0]), _pct(ci[1]),
                                 f.get("findings_with_stack"), f.get("findings"))
    if fid == "5c":
        return "%s stacks unwound for %s fds from one call site" % (f.get("unwound"),
                                                                    _rate(f.get("fds")))
    return str(f.get("goal", "-"))


def _rate(x):
    if not isinstance(x, (int, float)):
        return "-"
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return "%.3g%s" % (x / div, unit)
    return "%.0f" % x


def _pct(x):
    return "-" if not isinstance(x, (int, float)) else "%+.1f" % x


def kernels_findings(doc, path, why=None):
    """Each kernel of the last `make test-kernels` with its test files' outcome."""
    label = "Kernels"
    if doc is None:
        return [(label, why or _missing("kernels", path, "make test-kernels"), "warn")]
    parts, state = [], "ok"
    for k in doc.get("kernels") or []:
        if not isinstance(k, dict):
            continue
        name = "%s (%s)" % (k.get("release") or k.get("spec"), "host" if k.get("kind") == "host"
                            else "guest, %s" % (k.get("accel") or "?"))
        if k.get("status") != "ran":
            parts.append("%s skipped: %s" % (name, k.get("reason") or k.get("status")))
            state = "warn" if state == "ok" else state
            continue
        tests = [t for t in k.get("tests") or [] if isinstance(t, dict)]
        failed = [str(t.get("name")) for t in tests if t.get("status") == "fail"]
        skipped = [str(t.get("name")) for t in tests if t.get("status") == "skip"]
        npass = sum(1 for t in tests if t.get("status") == "pass")
        s = "%s: %d of %d test files pass" % (name, npass, len(tests))
        if failed:
            s += ", FAIL %s" % _join(failed)
            state = "bad"
        if skipped:
            s += ", skipped %s" % _join(skipped)
            state = "warn" if state == "ok" else state
        parts.append(s)
    if not parts:
        return [(label, "%s lists no kernel" % path, "warn")]
    host = doc.get("host") or {}
    when = " (`make test-kernels` %s, commit %s)" % (host.get("date") or "?",
                                                     host.get("commit") or "?")
    return [(label, "; ".join(parts) + when + ".", state)]


def repro_findings(doc, path, wilson):
    """The reproduction: scenarios as expected, and the race's leak rate per strategy."""
    label = "Reproduction"
    if doc is None:
        why = "left out on the command line" if path == "none" else \
            _missing("repro", path, "make repro")
        return [(label, why, "warn")]
    sc = [s for s in doc.get("scenarios") or [] if isinstance(s, dict)]
    skipped = sum(1 for s in sc if s.get("status") == "skipped")
    good = sum(1 for s in sc if s.get("pass") is True)
    bad = len(sc) - good - skipped
    text = "%d of %d port-reuse scenarios behave as their mechanism predicts%s%s" % (
        good, len(sc), ", %d FAIL" % bad if bad else "",
        ", %d skipped" % skipped if skipped else "")
    races = []
    for r in doc.get("race") or []:
        if not isinstance(r, dict):
            continue
        n, k = r.get("spawns"), r.get("leaks")
        if isinstance(n, int) and isinstance(k, int) and n > 0 and 0 <= k <= n:
            w = wilson(k, n)
            races.append("%s leaked to %d of %d spawns (%.2f%%, 95%% CI [%.2f, %.2f]%%)" % (
                r.get("strategy"), k, n, 100 * w[0], 100 * w[1], 100 * w[2]))
    if races:
        text += "; the race: " + "; ".join(races)
    return [(label, text + ".", "bad" if bad else "ok")]
