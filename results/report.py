#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
report.py - build results/report.md and results/report.html from the latest runs.

Reads results/repro.json (make repro), results/matrix.json (make matrix),
results/kernels.json (make test-kernels) and the latest Google Benchmark run in
results/bench/ (make bench) with its .pairs.json and .load.json, and writes one
Markdown file that references SVG charts in charts/ beside it and one
self-contained HTML file (embedded CSS, inline SVG, no scripts, nothing loaded
from the network) with the same tables. Charts are drawn by gnuplot. Both open
with the findings (results/findings.py: leaks per runtime, the CI gate, the
largest savings, the tracer's cost over its floor, the kernels, the
reproduction), derived from what the sections read; the machine table is last.

A missing input leaves its section saying what is missing and which make target
produces it; a file named on the command line that does not exist is an error.
A corrupt input is one error line naming the file, exit 2, and
nothing is written (all outputs go to temp files and are renamed at the end).
"""

import argparse
import datetime
import glob
import html
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import findings as fd  # noqa: E402
import labstats as ls  # noqa: E402

PROG = "report"
EPILOG = """exit status: 0 report written; 2 usage, a corrupt input file, or a named input file
or --results directory that does not exist (nothing written); 3 cannot write the output.

examples:
  make report                                  # from results/ (what `make run` does)
  results/report.py                            # same, run by hand
  results/report.py --bench results/bench/20261123-161000-ab12cd3-vm.json
  results/report.py --bench smoke.json --repro none --matrix none --out /tmp/r
  results/report.py --kernels /tmp/kernels.json  # another make test-kernels run
  results/report.py --metric cpu_time          # charts of CPU time instead of wall time
"""

TRACER_BASELINE_NAMES = ("none", "no-tracer", "no_tracer", "notrace", "untraced", "off",
                         "baseline", "no_trace", "without")


def warn(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr)


# --- formatting helpers ------------------------------------------------------------------------

def fmt_ns(x):
    if x is None:
        return "-"
    ax = abs(x)
    if ax >= 100:
        return "{:,.0f}".format(x)
    if ax >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_pct(x):
    return "-" if x is None else "%+.1f%%" % x


def val(x):
    """Render a JSON value as table text."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return "%.4g" % x
    if isinstance(x, list):
        return ", ".join(val(v) for v in x) if x else "-"
    if isinstance(x, dict):
        return ", ".join("%s: %s" % (k, val(v)) for k, v in x.items())
    return str(x)


def slug(s):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("_") or "x"


# --- document model: blocks rendered to both Markdown and HTML ---------------------------------

class Doc:
    def __init__(self):
        self.blocks = []

    def h(self, level, text, anchor=None):
        self.blocks.append(("h", level, text, anchor or slug(text).lower()))

    def p(self, text, cls=None):
        self.blocks.append(("p", text, cls))

    def note(self, text):
        self.blocks.append(("p", text, "note"))

    def table(self, headers, rows, right=(), fold=None):
        """rows: lists of cells; a cell is text or (text, css class). fold: in HTML, a
        summary line under which the table is collapsed (long tables)."""
        self.blocks.append(("table", headers, rows, set(right), fold))

    def chart(self, name, title, svg):
        self.blocks.append(("chart", name, title, svg))

    def bullets(self, items):
        self.blocks.append(("ul", items))

    def findings(self, at, items):
        """The findings (results/findings.py: (label, text, state)), inserted at block index
        at: the report opens with them."""
        self.blocks.insert(at, ("findings", items))


def _cell(c):
    return c if isinstance(c, tuple) else (c, None)


def md_escape(s):
    return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def inline_md(s):
    """Plain text to Markdown: escape what would format; `code` spans stay."""
    return re.sub(r"([*<>\[\]])", r"\\\1", str(s))


def inline_html(s):
    """Plain text to HTML; `code` spans become <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(s)))


def render_md(doc):
    out = []
    for b in doc.blocks:
        if b[0] == "h":
            out.append("%s %s\n" % ("#" * b[1], inline_md(b[2])))
        elif b[0] == "p":
            text = inline_md(b[1])
            out.append(("> %s\n" % text) if b[2] == "note" else ("%s\n" % text))
        elif b[0] == "ul":
            out.append("".join("- %s\n" % inline_md(i) for i in b[1]))
        elif b[0] == "findings":
            out.append("## Findings\n")
            out.append("".join("- **%s:** %s\n" % (inline_md(lbl), inline_md(text))
                               for lbl, text, _ in b[1]))
        elif b[0] == "table":
            _, headers, rows, right, _fold = b
            lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |",
                     "|" + "|".join(("---:" if i in right else "---") for i in range(len(headers)))
                     + "|"]
            for r in rows:
                lines.append("| " + " | ".join(md_escape(_cell(c)[0]) for c in r) + " |")
            out.append("\n".join(lines) + "\n")
        elif b[0] == "chart":
            _, name, title, _svg = b
            out.append("![%s](charts/%s)\n" % (title.replace("]", ")"), name))
    return "\n".join(out)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:72em;padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{border-bottom:2px solid #ccc;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .55em;vertical-align:top}
th{background:#f1f3f5;text-align:left}td.r{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}
td.ok{color:#176f2c;font-weight:600}td.bad{color:#b3261e;font-weight:700}
td.warn{color:#8a5a00}p.note{background:#fff8e1;border-left:4px solid #e0b000;padding:.4em .8em}
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
figure svg{max-width:100%;height:auto;border:1px solid #eee}
#findings{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.2em 1em .4em;
margin:.8em 0}#findings h2{margin-top:.4em;border:0}#findings ul{padding-left:1.2em;margin:.4em 0}
#findings li{margin:.2em 0;line-height:1.35}#findings li.bad::marker{color:#b3261e}
#findings li.ok::marker{color:#176f2c}#findings li.warn::marker{color:#8a5a00}
#findings li.bad strong{color:#b3261e}
.tw{overflow-x:auto}nav ul{columns:2}code{background:#f3f3f3;padding:0 .2em}summary{cursor:pointer;color:#2a5db0}
"""


def render_html(doc, title):
    esc = html.escape
    body = []
    toc = [b for b in doc.blocks if b[0] == "h" and b[1] == 2]
    nav = "<nav><ul>%s</ul></nav>" % "".join(
        '<li><a href="#%s">%s</a></li>' % (esc(t[3]), esc(t[2])) for t in toc) if toc else ""
    # The contents go after the findings (the first screen is theirs), else under the title.
    has_findings = any(b[0] == "findings" for b in doc.blocks)
    for b in doc.blocks:
        if b[0] == "h":
            body.append('<h%d id="%s">%s</h%d>' % (b[1], esc(b[3]), esc(b[2]), b[1]))
            if b[1] == 1 and not has_findings:
                body.append(nav)
        elif b[0] == "findings":
            body.append('<section id="findings"><h2>Findings</h2><ul>%s</ul></section>' % "".join(
                '<li%s><strong>%s:</strong> %s</li>' % (
                    ' class="%s"' % st if st else "", esc(lbl), inline_html(text))
                for lbl, text, st in b[1]))
            body.append(nav)
        elif b[0] == "p":
            cls = ' class="%s"' % b[2] if b[2] else ""
            body.append("<p%s>%s</p>" % (cls, inline_html(b[1])))
        elif b[0] == "ul":
            body.append("<ul>%s</ul>" % "".join("<li>%s</li>" % inline_html(i) for i in b[1]))
        elif b[0] == "table":
            _, headers, rows, right, fold = b
            t = ["<details><summary>%s</summary>" % esc(fold)] if fold else []
            t += ['<div class="tw"><table><thead><tr>%s</tr></thead><tbody>' %
                 "".join("<th>%s</th>" % esc(h) for h in headers)]
            for r in rows:
                cells = []
                for i, c in enumerate(r):
                    text, cls = _cell(c)
                    classes = [x for x in (cls, "r" if i in right else None) if x]
                    ca = ' class="%s"' % " ".join(classes) if classes else ""
                    cells.append("<td%s>%s</td>" % (ca, esc(str(text))))
                t.append("<tr>%s</tr>" % "".join(cells))
            t.append("</tbody></table></div>")
            if fold:
                t.append("</details>")
            body.append("".join(t))
        elif b[0] == "chart":
            _, name, ctitle, svg = b
            body.append('<figure>%s<figcaption>%s</figcaption></figure>' % (svg, esc(ctitle)))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            "<title>%s</title><style>%s</style></head><body>\n%s\n</body></html>\n" %
            (esc(title), CSS, "\n".join(body)))


def svg_for_html(svg, prefix):
    """
    Make a gnuplot SVG fit to inline in HTML: drop the XML prolog and doctype and
    the namespace declarations (the HTML parser supplies them; they would be the
    only URLs in the page), and prefix ids so several charts do not collide.
    """
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"""\bid=(['"])([^'"]+)\1""", lambda m: 'id="%s-%s"' % (prefix, m.group(2)), svg)
    svg = re.sub(r"""(href=)(['"])#([^'"]+)\2""",
                 lambda m: '%s"#%s-%s"' % (m.group(1), prefix, m.group(3)), svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: "url(#%s-%s)" % (prefix, m.group(1)), svg)
    # A <script> would never be produced by the svg terminal without "mouse"; be sure.
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S)
    return svg.strip()


# --- charts ------------------------------------------------------------------------------------

class Charts:
    """Draws charts with gnuplot into a temp dir; each chart is (file name, svg text)."""

    def __init__(self, tmpdir):
        self.dir = tmpdir
        self.gnuplot = shutil.which("gnuplot")
        self.made = {}
        self.failed = []

    def _run(self, name, script):
        if not self.gnuplot:
            return None
        path = os.path.join(self.dir, name)
        head = ('set terminal svg size %d,%d dynamic noenhanced font "sans,11" '
                'background "#ffffff"\nset output "%s"\n' % (script[0], script[1], path))
        try:
            r = subprocess.run([self.gnuplot], input=head + script[2], text=True,
                               capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.failed.append("%s: %s" % (name, e))
            return None
        if r.returncode != 0 or not os.path.exists(path):
            self.failed.append("%s: gnuplot: %s" % (name, (r.stderr.strip().splitlines() or
                                                          ["failed"])[-1]))
            return None
        with open(path, encoding="utf-8") as f:
            svg = f.read()
        self.made[name] = svg
        return svg

    @staticmethod
    def _q(s):
        return '"%s"' % str(s).replace("\\", "\\\\").replace('"', "'")

    @staticmethod
    def unit(vmax):
        """A time unit that keeps tick labels short: (name, divisor)."""
        if vmax >= 2e7:
            return "ms", 1e6
        if vmax >= 2e4:
            return "us", 1e3
        return "ns", 1.0

    def spread(self, name, title, ylabel, items):
        """
        Horizontal box plot, one row per benchmark (labels stay readable): IQR box,
        min-max whiskers, median line. items: (label, summary).
        """
        uname, div = self.unit(max(s["max"] for _, s in items))
        n = len(items)
        rows = []
        for i, (label, s) in enumerate(items):
            rows.append("%d %r %r %r %r %r %s" % (n - i, s["q1"] / div, s["min"] / div,
                                                s["max"] / div, s["q3"] / div,
                                                s["median"] / div, self._q(label)))
        lmargin = min(60, 2 + max(len(lbl) for lbl, _ in items))
        script = """set title %s
set xlabel %s
set style fill solid 0.45 border
set grid xtics lc rgb "#dddddd"
set xrange [0:*]
set yrange [0.3:%f]
set ytics scale 0
set lmargin %d
set key outside top center horizontal
$d << EOD
%s
EOD
plot $d using 6:1:3:4:yticlabels(7) with xerrorbars lc rgb "#4a78b5" pt -1 \\
	title "min-max (whiskers)", \\
     $d using (($2 + $5) / 2):1:2:5:($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb "#4a78b5" \\
	title "IQR (box)", \\
     $d using 6:($1 - 0.3):(0):(0.6) with vectors nohead lc rgb "#111111" lw 2 title "median"
""" % (self._q(title), self._q("%s per call (%s)" % (uname, ylabel)), n + 0.7, lmargin,
       "\n".join(rows))
        return self._run(name, (900, 120 + 30 * n, script))

    def savings(self, name, title, items):
        """
        Horizontal bars of the saving in % of the baseline median with the 95% CI as
        error bars, one row per pair (labels stay readable however many pairs there
        are). items: (label, pct, lo_pct, hi_pct, significant). Green: candidate
        significantly faster, red: significantly slower, grey: CI includes zero.
        """
        n = len(items)
        rows = []
        for i, (label, pct, lo, hi, sig) in enumerate(items):
            y = n - i
            colour = (0x3d8b3d if lo > 0 else 0xc0392b if hi < 0 else 0x9e9e9e) if sig \
                else 0x9e9e9e
            rows.append("%d %r %r %r %d %s" % (y, pct, lo, hi, colour, self._q(label)))
        lmargin = min(70, 2 + max(len(it[0]) for it in items))
        # A saving cannot exceed 100%; very wide intervals are cut at the edges.
        xmax = min(100.0, max(max(it[1], it[3]) for it in items))
        xmin = max(-200.0, min(min(it[1], it[2]) for it in items))
        pad = 0.05 * (xmax - xmin or 1)
        script = """set xrange [%r:%r]
set title %s
set xlabel "saving, %% of the baseline median (bar), 95%% CI (error bar); > 0: candidate faster"
set style fill solid 0.6 border
set grid xtics lc rgb "#dddddd"
set yrange [0.3:%f]
set ytics scale 0
set lmargin %d
set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb "#111111"
set key outside top center horizontal
$d << EOD
%s
EOD
plot $d using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.32):($1 + 0.32):5:yticlabels(6) \\
	with boxxyerror lc rgb variable title "saving (difference of medians)", \\
     $d using 2:1:3:4 with xerrorbars lc rgb "#111111" pt 7 ps 0.4 title "95%% CI"
""" % (min(0.0, xmin) - pad, max(0.0, xmax) + pad, self._q(title), n + 0.7, lmargin,
       "\n".join(rows))
        return self._run(name, (980, 110 + 22 * n, script))

    def scaling(self, name, title, xlabel, series):
        """Lines per variant, log x: series: (label, [(x, summary)])."""
        blocks, plots = [], []
        uname, div = self.unit(max(s["q3"] for _, pts in series for _, s in pts))
        for k, (label, pts) in enumerate(series):
            rows = ["%r %r %r %r" % (x, s["median"] / div, s["q1"] / div, s["q3"] / div)
                    for x, s in pts]
            blocks.append("$s%d << EOD\n%s\nEOD" % (k, "\n".join(rows)))
            plots.append("$s%d using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.6 title %s" %
                         (k, self._q(label)))
        script = """set title %s
set xlabel %s
set ylabel "%s per call (median, IQR bars)"
set logscale x 2
set format x "%%g"
set offsets graph 0.03, graph 0.03, 0, 0
set grid xtics ytics lc rgb "#dddddd"
set yrange [0:*]
set key outside top center horizontal
%s
plot %s
""" % (self._q(title), self._q(xlabel), uname, "\n".join(blocks),
       ", \\\n     ".join(plots))
        return self._run(name, (760, 440, script))


# --- inputs ------------------------------------------------------------------------------------

def check_schema(doc, path, prefix):
    if not isinstance(doc, dict):
        raise ls.InputError("%s: not a JSON object (expected %s/1)" % (path, prefix))
    sch = doc.get("schema")
    if not isinstance(sch, str) or not sch.startswith(prefix + "/"):
        raise ls.InputError("%s: schema is %r, expected \"%s/1\"" % (path, sch, prefix))
    if sch.split("/", 1)[1] != "1":
        raise ls.InputError("%s: unsupported schema version %r (this report reads %s/1)" %
                            (path, sch, prefix))
    if "host" in doc and not isinstance(doc["host"], dict):
        raise ls.InputError("%s: \"host\" is not an object" % path)


def list_of_objects(doc, key, path, required):
    v = doc.get(key)
    if v is None:
        if required:
            raise ls.InputError("%s: no \"%s\" list" % (path, key))
        return []
    if not isinstance(v, list):
        raise ls.InputError("%s: \"%s\" is not a list" % (path, key))
    for i, x in enumerate(v):
        if not isinstance(x, dict):
            raise ls.InputError("%s: %s[%d] is not an object" % (path, key, i))
    return v


def load_repro(path):
    doc = ls.load_json(path, "cloexec-repro JSON")
    check_schema(doc, path, "cloexec-repro")
    list_of_objects(doc, "scenarios", path, True)
    list_of_objects(doc, "race", path, False)
    for i, r in enumerate(doc.get("race") or []):
        for k in ("spawns", "leaks"):
            if r.get(k) is not None and (not isinstance(r[k], int) or isinstance(r[k], bool)):
                raise ls.InputError("%s: race[%d].%s is not an integer" % (path, i, k))
    return doc


def load_matrix(path):
    doc = ls.load_json(path, "cloexec-matrix JSON")
    check_schema(doc, path, "cloexec-matrix")
    list_of_objects(doc, "runtimes", path, True)
    return doc


def load_pairs(path):
    doc = ls.load_json(path, "cloexec-pairs JSON")
    check_schema(doc, path, "cloexec-pairs")
    pairs = list_of_objects(doc, "pairs", path, True)
    for i, p in enumerate(pairs):
        for k in ("baseline_median_ns", "candidate_median_ns", "saving_ns"):
            if not ls._num(p.get(k)):
                raise ls.InputError("%s: pairs[%d].%s is not a number" % (path, i, k))
        for k in ("group", "baseline", "candidate"):
            if not isinstance(p.get(k), str):
                raise ls.InputError("%s: pairs[%d].%s is not a string" % (path, i, k))
        if p.get("args") is not None and not isinstance(p["args"], str):
            raise ls.InputError("%s: pairs[%d].args is not a string" % (path, i))
        for k in ("saving_pct", "p", "baseline_iqr_ns", "candidate_iqr_ns"):
            if p.get(k) is not None and not ls._num(p[k]):
                raise ls.InputError("%s: pairs[%d].%s is not a number" % (path, i, k))
        ci = p.get("ci95_ns")
        if ci is not None and not (isinstance(ci, list) and len(ci) == 2 and
                                   all(ls._num(c) for c in ci)):
            raise ls.InputError("%s: pairs[%d].ci95_ns is not [lo, hi]" % (path, i))
    return doc


def parse_pairs_spec(path):
    """
    bench/pairs.txt (labstats.read_pairs): per group, the baseline variant first, then the
    candidates. Returns {group: [baseline, cand...]}, {} when the file is absent or
    unreadable; a malformed file is an input error (labstats.BadInput).
    """
    try:
        return {g: [base] + cands for g, base, cands in ls.read_pairs(path)}
    except ls.Unreadable:
        return {}


def find_latest_bench(bench_dir):
    latest = os.path.join(bench_dir, "latest.json")
    if os.path.isfile(latest):
        return latest
    # isfile: a dangling latest.json (its run deleted) is passed over for the newest real run.
    runs = [p for p in glob.glob(os.path.join(bench_dir, "*.json"))
            if not p.endswith((".pairs.json", ".load.json", ".goals.json")) and
            not os.path.basename(p).startswith(".") and os.path.isfile(p)]
    if not runs:
        return None
    return max(runs, key=lambda p: (os.path.basename(p), os.path.getmtime(p)))


def pairs_beside(bench_path):
    """The .pairs.json written beside a bench run (following a latest.json link)."""
    cands = []
    for p in (os.path.realpath(bench_path), bench_path):
        stem = p[:-5] if p.endswith(".json") else p
        cands.append(stem + ".pairs.json")
    for c in cands:
        if os.path.exists(c):
            return c
    return None


# --- machine facts -----------------------------------------------------------------------------

def _cmd(argv, pattern=None):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = (r.stdout or r.stderr).strip()
    if r.returncode != 0 or not out:
        return None
    line = out.splitlines()[0].strip()
    if pattern:
        m = re.search(pattern, out)
        return m.group(1) if m else line
    return line


def _dpkg(pkg):
    v = _cmd(["dpkg-query", "-W", "-f", "${Version}", pkg])
    return v if v else None


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def this_machine():
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+)\s*kB", _read("/proc/meminfo"), re.M)
    distro = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', _read("/etc/os-release"), re.M)
    libbpf = _cmd(["pkg-config", "--modversion", "libbpf"]) or _dpkg("libbpf-dev")
    gbench = _dpkg("libbenchmark-dev") or _cmd(["pkg-config", "--modversion", "benchmark"])
    return {
        "hostname": socket.gethostname(),
        "kernel": platform.release(),
        "cpu": cpu.group(1).strip() if cpu else platform.machine(),
        "cores": str(os.cpu_count()),
        "memory": "%.1f GiB" % (int(mem.group(1)) / 1048576.0) if mem else None,
        "distro": distro.group(1) if distro else None,
        "gcc": _cmd(["gcc", "-dumpfullversion"]),
        "clang": _cmd(["clang", "--version"], r"version\s+(\S+)"),
        "libbpf": libbpf,
        "Google Benchmark": gbench,
        "bpftool": _cmd(["bpftool", "version"], r"v(\S+)"),
        "gnuplot": _cmd(["gnuplot", "--version"], r"gnuplot\s+(.+)"),
        "python3": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _cmd(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse",
                        "--short", "HEAD"]),
    }


# --- the report --------------------------------------------------------------------------------

def fate_cell(r):
    """Per program exec'd below the server (comm), its inherited fds by name with `verdict,
    fate`, `none` for one that inherited nothing; red when one of them leaked (a helper's,
    closed before its exec, is not a leak); `-` when not measured."""
    fates = r.get("fates")
    if not isinstance(fates, list):
        return "-"
    progs, order, bad = {}, [], False
    for f in fates:
        if not isinstance(f, dict):
            continue
        key = val(f.get("comm"))
        if key not in progs:
            progs[key] = {}
            order.append(key)
        vf = "%s, %s" % (val(f.get("verdict")), val(f.get("fate")))
        name = str(f.get("name") or "")
        if not (name in ("listener", "conn") or name.startswith("other:socket:")):
            name = "other fds"
        progs[key].setdefault(vf, []).append(name)
        bad |= f.get("verdict") == "leaked"
    for x in (r.get("helpers") or []) + (r.get("child_exec") or []):
        if isinstance(x, dict) and val(x.get("comm")) not in progs:
            progs[val(x.get("comm"))] = {}
            order.append(val(x.get("comm")))
    parts = []
    for key in order:
        items = []
        for vf, names in progs[key].items():
            socks = sorted(n for n in names if n != "other fds")
            others = len(names) - len(socks)
            what = socks + (["%d other fd%s" % (others, "" if others == 1 else "s")]
                            if others else [])
            items.append("%s (%s)" % (", ".join(what), vf))
        parts.append("%s: %s" % (key, "; ".join(items) or "none"))
    return ("; ".join(parts) or "none", "bad" if bad else None)


def gate_cell(r):
    """The CI gate (the tracer's exit) and the expected one; red when they differ."""
    got, exp = r.get("ci_gate"), r.get("ci_gate_expected")
    if got is None:
        return "-" if exp is None else "- (expected %s)" % val(exp)
    if exp is None:
        return "%s (no expectation)" % val(got)
    return ("%s (expected %s)" % (val(got), val(exp)), "bad" if got != exp else "ok")


class Report:
    def __init__(self, args):
        self.a = args
        self.doc = Doc()
        self.charts = None
        # What the sections read, for the findings: pairs (None: no pairing possible), goal
        # figures (None: not computed, "goals_why" says why).
        self.found = {"pairs": None, "goals": None, "goals_why": None}

    # ---- sections

    @staticmethod
    def _missing_text(what, path, target):
        if path == "none":
            return "No %s: left out on the command line." % what
        return "No %s: %s is missing. Run `%s` to produce it." % (what, path, target)

    def _section(self, title, anchor, doc, what, path, target):
        """A section's heading; False, with a note naming the make target, when doc is missing."""
        self.doc.h(2, title, anchor)
        if doc is None:
            self.doc.note(self._missing_text(what, path, target))
            return False
        return True

    def facts(self, now, inputs):
        d = self.doc
        d.h(2, "Machine and versions", "machine")
        cols = [("report built here", now)]
        for label, doc in inputs:
            if doc is not None:
                cols.append((label, doc))
        keys = ["hostname", "kernel", "cpu", "cores", "memory", "distro", "date", "commit",
                "gcc", "clang", "libbpf", "Google Benchmark", "bpftool", "gnuplot", "python3"]
        extra = []
        for _, doc in cols[1:]:
            for k in doc:
                if k not in keys and k not in extra:
                    extra.append(k)
        rows = []
        for k in keys + extra:
            cells = [val(c.get(k)) if c.get(k) is not None else "-" for _, c in cols]
            if any(c != "-" for c in cells):
                rows.append([k] + cells)
        d.table(["fact"] + [c[0] for c in cols], rows)
        d.p("Columns: \"report built here\" is the machine running make report, now; the others "
            "are the host blocks recorded in each input file when it was produced.")

    def repro(self, doc, path):
        d = self.doc
        if not self._section("Port reuse and race reproduction", "repro", doc,
                             "reproduction results", path, "make repro"):
            return
        d.p("Source: %s" % path)
        sc = doc.get("scenarios") or []
        nskip = sum(1 for s in sc if s.get("status") == "skipped")
        npass = sum(1 for s in sc if s.get("pass") is True)
        d.p("%d scenarios, %d pass, %d fail, %d skipped (could not run here)."
            % (len(sc), npass, len(sc) - npass - nskip, nskip))
        # Summary: one row per group and spawn method, one column per strategy; groups
        # that use the same strategies share a table.
        keys, cells, gstrats = [], {}, {}
        for s_ in sc:
            st, key = val(s_.get("strategy")), (val(s_.get("group")), val(s_.get("spawn")))
            gs = gstrats.setdefault(key[0], [])
            if st not in gs:
                gs.append(st)
            if key not in keys:
                keys.append(key)
            cells[key + (st,)] = s_
        tables = []
        for key in keys:
            strategies = tuple(gstrats[key[0]])
            t = next((t for t in tables if t[0] == strategies), None)
            if t is None:
                t = (strategies, [])
                tables.append(t)
            row = [key[0], key[1]]
            for st in strategies:
                s_ = cells.get(key + (st,))
                if s_ is None:
                    row.append("")
                elif s_.get("status") == "skipped":
                    row.append("skipped")
                elif s_.get("pass") is True:
                    row.append((val(s_.get("observed")), "ok"))
                else:
                    row.append(("%s (expected %s) FAIL" % (val(s_.get("observed")),
                                                          val(s_.get("expected"))), "bad"))
            t[1].append(row)
        if len(keys) > 1:
            d.p("Observed outcome per scenario group, spawn method and strategy; an outcome "
                "other than the expected one is marked FAIL:")
            for strategies, rows in tables:
                d.table(["group", "spawn"] + list(strategies), rows)
            d.p("Every scenario:")
        rows = []
        for s in sc:
            ok = s.get("pass")
            verdict = ("pass", "ok") if ok is True else ("FAIL", "bad")
            if s.get("status") == "skipped":
                verdict = "skipped"
            rows.append([val(s.get("id")), val(s.get("strategy")), val(s.get("spawn")),
                         val(s.get("expected")), val(s.get("observed")), verdict,
                         val(s.get("detail"))])
        if rows:
            d.table(["scenario", "strategy", "spawn", "expected", "observed", "pass", "detail"],
                    rows, fold="Every scenario (%d): show" % len(rows) if len(rows) > 20 else None)
        race = doc.get("race") or []
        d.h(3, "Race: a fork inside the socket()->fcntl() window", "race")
        if not race:
            d.note("%s has no race runs." % path)
            return
        rows = []
        for r in race:
            spawns, leaks = r.get("spawns"), r.get("leaks")
            w = ls.wilson(leaks, spawns) if isinstance(spawns, int) and \
                isinstance(leaks, int) and spawns > 0 and 0 <= leaks <= spawns else None
            rows.append([val(r.get("strategy")), val(spawns), val(r.get("sockets")), val(leaks),
                         "%.3f%%" % (100 * w[0]) if w else "-",
                         "%.3f%% - %.3f%%" % (100 * w[1], 100 * w[2]) if w else "-",
                         val(r.get("duration_ms"))])
        d.table(["strategy", "spawns", "sockets", "leaks", "leaks per spawn",
                 "95% CI (Wilson)", "duration ms"], rows, right=(1, 2, 3, 4, 5, 6))
        d.p("Leak rate = leaks / spawns: children that exec'd holding a socket created without "
            "the flag; the interval is the Wilson score interval for a proportion.")

    def matrix(self, doc, path):
        d = self.doc
        if not self._section("Runtime matrix", "matrix", doc, "runtime matrix", path,
                             "make matrix"):
            return
        d.p("Source: %s%s" % (path, (", tracer " + val(doc.get("tracer"))) if doc.get("tracer")
                              else ""))
        rows = [self.matrix_row(r) for r in doc.get("runtimes") or [] if isinstance(r, dict)]
        d.table(["runtime", "version", "status", "socket", "socket made at", "accept",
                 "redundant fcntl", "spawn",
                 "helpers", "child inherited (tracer)", "passed", "child held (/proc)", "rebind",
                 "fate of inherited fds", "CI gate", "tracer agrees", "notes"],
                rows)
        d.p("socket/accept: how the runtime's sockets got the flag by the kernel's bit at "
            "creation (atomic, late, never); socket made at: where the listener's socket() was "
            "called (the first frame of its user stack past libc's: function and file:line, or "
            "the function and module without debug info, or module+offset and build id); "
            "child inherited: what the tracer saw the exec'd "
            "child hold; child held: what /proc showed the child holding; rebind: binding the "
            "server's port while the child lives. Red marks a socket the child got without "
            "it being passed on purpose (passed). Fate: per program exec'd below the server, "
            "the final verdict and what it did with each fd it inherited; `helper` (a "
            "trampoline such as jspawnhelper closed it before it exec'd the child) is not a "
            "leak. CI gate: the tracer's exit code with its default --fail-on (leaked,lost), "
            "beside the one the row expects from what the program does (red when they "
            "differ%s)." % ("; this run failed on a difference" if doc.get("ci_gate_checked")
                            else ""))

    @staticmethod
    def matrix_row(r):
        """One row of the matrix table (cells: text, or (text, css class))."""
        st = r.get("status")
        acc = r.get("accept")
        if isinstance(acc, dict):
            acc = "%s: %s" % (val(acc.get("syscall")), val(acc.get("verdict")))
        helpers = r.get("helpers")
        if isinstance(helpers, list):
            helpers = "; ".join("%s (%s)" % (val(h.get("comm")), val(h.get("inherited")))
                                if isinstance(h, dict) else val(h) for h in helpers) or "-"
        inh = r.get("child_inherited")
        agree = r.get("tracer_agrees")
        # What the runtime handed over on purpose (LISTEN_FDS, ExtraFiles) is not a leak.
        passed = set(x for x in r.get("passed") or [] if isinstance(x, str)) \
            if isinstance(r.get("passed"), list) else set()
        # ...nor what went to a program on the way ("listener (to server)": the seeds' Go child)
        passed |= set(x.split(" (to ")[0] for x in r.get("passed_helpers") or []
                      if isinstance(x, str))
        leaked = isinstance(inh, list) and any(str(x) not in passed for x in inh)
        held, held_leak = [], False
        obs = r.get("observed") if isinstance(r.get("observed"), dict) else {}
        for part in ("child", "helpers"):
            procs = obs.get(part)
            if isinstance(procs, dict):
                for pid, info in procs.items():
                    if isinstance(info, dict):
                        socks = info.get("sockets") or []
                        if isinstance(socks, list):
                            held_leak |= any(str(x) not in passed for x in socks)
                        held.append("%s: %s" % (val(info.get("comm") or pid),
                                                val(socks) if socks else "none"))
        notes = [x for x in (r.get("reason"), r.get("notes")) if x]
        made = r.get("socket_made_at")
        made = made.get("text") if isinstance(made, dict) else None
        return [
            val(r.get("runtime")), val(r.get("version")),
            (val(st), "ok" if st == "ok" else ("bad" if st == "error" else "warn")),
            (val(r.get("socket")), "bad" if r.get("socket") == "never" else None),
            val(made), val(acc), val(r.get("redundant_fcntl")), val(r.get("spawn")),
            val(helpers), (val(inh), "bad" if leaked else None),
            val((r.get("passed") or []) + (r.get("passed_helpers") or [])),
            ("; ".join(held) or "-", "bad" if held_leak else None),
            (val(r.get("rebind")), "bad" if r.get("rebind") not in (None, "ok") and
             "listener" not in passed else None),
            fate_cell(r), gate_cell(r),
            (val(agree), "bad" if agree is False else None),
            "; ".join(val(n) for n in notes) or "-"]

    # ---- benchmarks

    def bench(self, bdoc, benches, path, pairs_doc, pairs_path, spec):
        d = self.doc
        metric = self.a.metric
        d.h(2, "Benchmarks", "bench")
        if bdoc is None:
            d.note("No benchmark run: %s. Run `make bench` (or `make bench QUICK=1`) to produce "
                   "results/bench/<stamp>.json." % path)
            return
        ctx = bdoc.get("context") or {}
        reps = sorted({len(b.times(metric)) for b in benches.values() if b.times(metric)})
        d.p("Source: %s (%d benchmarks, repetitions per benchmark: %s, metric: %s per call, "
            "library build: %s, date: %s)." % (path, len(benches),
                                               ", ".join(map(str, reps)) or "none", metric,
                                               val(ctx.get("library_build_type")),
                                               val(ctx.get("date"))))
        if ctx.get("library_build_type") == "debug":
            d.note("Google Benchmark reports that its library was built as debug (as Debian "
                   "ships it); it warns that timings may be affected. Comparisons within this "
                   "run share that overhead.")
        if reps and reps[0] < 9:
            d.note("Fewer than 9 repetitions: spreads and intervals are wide and significance is "
                   "hard to reach; a full `make bench` runs more.")
        errs = [b for b in benches.values() if b.error]
        if errs:
            d.note("%d benchmarks reported an error and are left out: %s" % (
                len(errs), "; ".join("%s: %s" % (b.run_name, b.error) for b in errs)))
        good = [b for b in benches.values() if b.times(metric)]
        self.found["pairs"] = []
        if not good:
            d.note("%s holds no per-repetition rows to report." % path)
            return

        groups = {}
        for b in good:
            groups.setdefault(b.group, []).append(b)
        scaling = {g: self._scaling_series(bs) for g, bs in groups.items()}
        tracer = [g for g in groups if "trac" in g.lower()]

        # Per group: ns/call per variant.
        d.h(3, "Cost per call by group", "groups")
        d.p("Box = interquartile range of the repetitions, whiskers = min and max, line = median "
            "(%s, ns per call)." % metric)
        for g, bs in groups.items():
            if scaling[g] or g in tracer:
                continue
            self._group_block(g, bs, metric)

        # Pairs.
        self._pairs(groups, pairs_doc, pairs_path, spec, metric, tracer)

        # Scaling with the fd count.
        d.h(3, "Spawn cost vs number of open fds", "scaling")
        any_scaling = False
        for g, series in scaling.items():
            if not series:
                continue
            any_scaling = True
            key = series[0][2] or ("open fds" if re.search(r"spawn|fd|exec|fork", g, re.I)
                                  else "argument")
            name = "scaling-%s.svg" % slug(g)
            svg = self.charts.scaling(name, "%s: cost vs %s" % (g, key), "%s (log scale)" % key,
                                      [(lbl, pts) for lbl, pts, _ in series])
            if svg:
                d.chart(name, "%s: ns per call vs %s, per variant" % (g, key), svg)
            headers = [key] + ["%s (ns)" % lbl for lbl, _, _ in series]
            xs = sorted({x for _, pts, _ in series for x, _ in pts})
            rows = []
            for x in xs:
                row = [str(x)]
                for _, pts, _ in series:
                    s = dict(pts).get(x)
                    row.append("%s (IQR %s)" % (fmt_ns(s["median"]), fmt_ns(s["iqr"]))
                               if s else "-")
                rows.append(row)
            d.table(headers, rows, right=range(1, len(headers)))
            slopes = []
            for lbl, pts, _ in series:
                if len(pts) >= 2:
                    (x0, s0), (x1, s1) = pts[0], pts[-1]
                    if x1 != x0:
                        slopes.append("%s: %s ns per extra fd (%d -> %d)" % (
                            lbl, fmt_ns((s1["median"] - s0["median"]) / (x1 - x0)), x0, x1))
            if slopes:
                d.bullets(slopes)
        if not any_scaling:
            d.note("No benchmark in %s varies a numeric argument over 3 or more values (the "
                   "spawn-vs-fd-count benchmarks); run the full `make bench`." % path)

        # Tracer overhead.
        d.h(3, "Tracer overhead", "tracer")
        if not tracer:
            d.note("No tracer benchmarks (a group named like \"tracer\") in %s; run the full "
                   "`make bench`." % path)
        for g in tracer:
            self._tracer_block(g, groups[g], spec, metric)

    def _scaling_series(self, bs):
        """[(label, [(x, summary)], key)] for variants that vary one numeric arg >= 3 ways."""
        by = {}
        for b in bs:
            nums = ls.numeric_args(b.args)
            if not nums:
                continue
            idx, key, x = nums[0]
            comps = b.args.split("/")
            rest = "/".join(c for i, c in enumerate(comps) if i != idx and c)
            label = b.variant + ((" " + rest) if rest else "")
            by.setdefault((label, key), []).append((x, ls.summary(b.times(self.a.metric))))
        out = []
        for (label, key), pts in by.items():
            if len({x for x, _ in pts}) >= 3:
                out.append((label, sorted(pts, key=lambda t: t[0]), key))
        return out

    def _group_block(self, g, bs, metric):
        d = self.doc
        d.h(4, g, "g-" + slug(g).lower())
        # Args every benchmark of the group shares (e.g. threads:1) go in the title.
        comps = [set(b.args.split("/")) if b.args else set() for b in bs]
        common = set.intersection(*comps) if comps else set()
        items = []
        for b in bs:
            rest = [c for c in (b.args.split("/") if b.args else []) if c not in common]
            items.append((" ".join([b.variant] + rest), ls.summary(b.times(metric))))
        name = "group-%s.svg" % slug(g)
        title = "%s%s" % (g, (" (" + ", ".join(sorted(common)) + ")") if common else "")
        svg = self.charts.spread(name, title, metric, items)
        if svg:
            d.chart(name, "%s: ns per call per variant (median, IQR, min-max)" % g, svg)
        d.table(["benchmark", "n", "median ns", "IQR ns", "min ns", "max ns",
                 "cpu median ns"],
                [[b.run_name, str(s["n"]), fmt_ns(s["median"]), fmt_ns(s["iqr"]),
                  fmt_ns(s["min"]), fmt_ns(s["max"]), fmt_ns(ls.median(b.cpu) if b.cpu else None)]
                 for b, (_, s) in zip(bs, items)], right=(1, 2, 3, 4, 5, 6))

    def _compute_pairs(self, groups, spec, metric):
        pairs = []
        for g, order in spec.items():
            if g not in groups or len(order) < 2:
                continue
            base_v = order[0]
            by = {}
            for b in groups[g]:
                by.setdefault(b.variant, {})[b.args] = b
            for cand_v in order[1:]:
                for args, bb in (by.get(base_v) or {}).items():
                    cb = (by.get(cand_v) or {}).get(args)
                    if cb is None:
                        continue
                    x, y = bb.times(metric), cb.times(metric)
                    ci = ls.shift_ci(x, y)
                    sb, sc = ls.summary(x), ls.summary(y)
                    saving = sb["median"] - sc["median"]
                    pairs.append({"group": g, "args": args, "baseline": base_v,
                                  "candidate": cand_v, "baseline_median_ns": sb["median"],
                                  "candidate_median_ns": sc["median"],
                                  "baseline_iqr_ns": sb["iqr"], "candidate_iqr_ns": sc["iqr"],
                                  "saving_ns": saving,
                                  "saving_pct": 100.0 * saving / sb["median"] if sb["median"]
                                  else None,
                                  "ci95_ns": [ci[1], ci[2]],
                                  "significant": ci[3] and (ci[1] > 0 or ci[2] < 0),
                                  "note": None if ci[3] else
                                  "%d+%d repetitions cannot give a 95%% interval; the range "
                                  "of differences is shown" % (len(x), len(y)),
                                  "p": ls.utest_p(x, y), "n": (len(x), len(y))})
        return pairs

    def _pairs(self, groups, pairs_doc, pairs_path, spec, metric, tracer):
        d = self.doc
        d.h(3, "Savings against each group's baseline (the non-atomic or manual way)", "pairs")
        why = "No .pairs.json beside the run"
        pmetric = (pairs_doc or {}).get("metric")
        if pairs_doc is not None and pmetric not in (None, metric):
            why = "%s holds %s savings, this report is on %s" % (_short(pairs_path), val(pmetric),
                                                                  metric)
            pairs_doc = None
        if pairs_doc is not None:
            pairs = pairs_doc.get("pairs") or []
            d.p("Source: %s (written by make bench%s)." % (
                _short(pairs_path), ("; " + str(pairs_doc["method"])) if pairs_doc.get("method")
                else ""))
        else:
            pairs = self._compute_pairs(groups, spec, metric)
            if not spec:
                d.note("%s and no bench/pairs.txt to say which variant is the baseline of each "
                       "group: no savings to show (run `make bench`)." % why)
                return
            d.p("%s: recomputed here from the raw repetition rows (%s) with the baselines in %s. "
                "Saving = baseline median - candidate median; the 95%% CI is the "
                "distribution-free (Mann-Whitney) interval of the shift." %
                (why, metric, self.a.pairs_spec))
        # Tracer groups pair traced with untraced runs: their own section below.
        pairs = [p for p in pairs if p.get("group") not in tracer]
        self.found["pairs"] = pairs
        if tracer:
            d.p("The tracer groups (%s) are under Tracer overhead." % ", ".join(tracer))
        if not pairs:
            d.note("No baseline/candidate pairs found in this run.")
            return
        # Group order of the run, then candidate order of the spec, then numeric args.
        gorder = {g: i for i, g in enumerate(groups)}

        def argkey(args):
            nums = ls.numeric_args(args or "")
            return (nums[0][2] if nums else -1, args or "")

        def pkey(p):
            g = p.get("group")
            cands = spec.get(g, [])
            c = p.get("candidate")
            return (gorder.get(g, 1 << 20), str(g), cands.index(c) if c in cands else 99,
                    str(c), argkey(p.get("args")))
        pairs = sorted(pairs, key=pkey)
        notes = sorted({str(p["note"]) for p in pairs if p.get("note")})
        rows, items = [], []
        for p in pairs:
            ci = p.get("ci95_ns")
            sig = p.get("significant")
            if sig is None and ci:
                sig = ci[0] > 0 or ci[1] < 0
            if sig and ci and ci[0] > 0:
                verdict = ("yes: candidate faster", "ok")
            elif sig and ci and ci[1] < 0:
                verdict = ("yes: candidate slower", "bad")
            elif sig:
                verdict = ("yes", "ok")
            else:
                verdict = ("no claim", "warn")
            pv = p.get("p")
            if not isinstance(pv, float):
                # The pairs file has no p-value: the U-test on the raw rows, when present.
                bb = cb = None
                for b in groups.get(p.get("group"), []):
                    if (b.args or "") == (p.get("args") or ""):
                        if b.variant == p.get("baseline"):
                            bb = b
                        elif b.variant == p.get("candidate"):
                            cb = b
                if bb and cb:
                    pv = ls.utest_p(bb.times(metric), cb.times(metric))
            rows.append([val(p.get("group")), val(p.get("args")) if p.get("args") else "-",
                         val(p.get("baseline")), val(p.get("candidate")),
                         fmt_ns(p.get("baseline_median_ns")), fmt_ns(p.get("candidate_median_ns")),
                         fmt_ns(p.get("saving_ns")), fmt_pct(p.get("saving_pct")),
                         ("[%s, %s]" % (fmt_ns(ci[0]), fmt_ns(ci[1]))) if ci else "-",
                         "%.2g" % pv if isinstance(pv, float) else "-", verdict])
            base_med = p.get("baseline_median_ns")
            if ci and base_med:
                lbl = "%s: %s vs %s%s" % (p.get("group"), p.get("candidate"), p.get("baseline"),
                                          (" " + p["args"]) if p.get("args") else "")
                pct = p.get("saving_pct")
                if not ls._num(pct):
                    pct = 100.0 * p["saving_ns"] / base_med
                items.append((lbl, pct, 100.0 * ci[0] / base_med, 100.0 * ci[1] / base_med,
                              bool(sig)))
        if items:
            name = "pairs-saving.svg"
            svg = self.charts.savings(name, "Saving per call, %% of the baseline, with 95%% CI "
                                      "(%d pairs)" % len(items), items)
            if svg:
                d.chart(name, "Saving per call in % of the baseline median with its 95% "
                        "confidence interval; green: candidate significantly faster, red: "
                        "significantly slower, grey: the interval includes zero", svg)
        d.table(["group", "args", "baseline", "candidate", "baseline median ns",
                 "candidate median ns", "saving ns", "saving %", "95% CI ns", "U-test p",
                 "significant"], rows, right=(4, 5, 6, 7, 8, 9))
        d.p("A saving is claimed only when its 95% confidence interval excludes zero.")
        for n in notes:
            d.note(n)

    def _tracer_block(self, g, bs, spec, metric):
        d = self.doc
        self._group_block(g, bs, metric)
        variants = [b.variant for b in bs]
        base = None
        if g in spec and spec[g][0] in variants:
            base = spec[g][0]
        else:
            for v in variants:
                if v.lower() in TRACER_BASELINE_NAMES or re.match(r"^(no|un|without)[-_]?trac",
                                                                   v.lower()):
                    base = v
                    break
        if base is None:
            d.note("Cannot tell which %s variant runs without the tracer (name it \"none\" or list "
                   "it first in bench/pairs.txt); overhead not computed." % g)
            return
        # The same pairing and statistics as the savings table, read the other way round.
        order = [base] + [v for v in dict.fromkeys(variants) if v != base]
        rows, notes = [], set()
        for p in self._compute_pairs({g: bs}, {g: order}, metric):
            ci, pct = p["ci95_ns"], p["saving_pct"]
            if p["note"]:
                notes.add(p["note"])
            rows.append([p["candidate"] + ((" " + p["args"]) if p["args"] else ""),
                         fmt_ns(p["baseline_median_ns"]), fmt_ns(p["candidate_median_ns"]),
                         fmt_ns(-p["saving_ns"]), fmt_pct(None if pct is None else -pct),
                         "[%s, %s]" % (fmt_ns(-ci[1]), fmt_ns(-ci[0])),
                         ("yes", "warn") if p["significant"] else ("no claim", None)])
        if not rows:
            d.note("Only %s ran in %s: no traced variant to compare (see the errors above)." %
                   (base, g))
        else:
            d.table(["variant", "without tracer ns (%s)" % base, "with ns", "overhead ns",
                     "overhead %", "95% CI ns", "significant"], rows, right=(1, 2, 3, 4, 5))
            for n in sorted(notes):
                d.note(n)


# --- the tracer's performance goals: bench/goals.py's figures ----------------------------------

def load_beside(bench_path):
    """The cloexec-load JSON written beside a bench run (following a latest.json link)."""
    for p in (os.path.realpath(bench_path), bench_path):
        c = (p[:-5] if p.endswith(".json") else p) + ".load.json"
        if os.path.exists(c):
            return c
    return None


def _goals_module():
    """bench/goals.py, which computes every figure (one implementation for make bench and us)."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench",
                        "goals.py")
    spec = importlib.util.spec_from_file_location("cloexec_goals", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def goals_section(r, bench_path, have_bench):
    """The section: each figure with its floor, its goal and whether the goal is met."""
    d = r.doc
    d.h(2, "Tracer performance goals", "goals")
    d.p("Each figure is read against its floor, measured in the same run: an empty "
        "`tp_btf/sys_exit` BPF program (build/bench/cloexec-floor), which every syscall tracer "
        "pays on every syscall of every process. The goals: 1 a traced C build with the default "
        "options within 3% of the untraced one (per round, to the end of the trace), every "
        "finding with its stack; 2a-2c nothing lost and the summary exact, for fds made with "
        "and without the flag and over many short processes; 3 an fd without the flag closed "
        "before any fork or exec, and 4 an atomic one, within 30 ns of the floor per "
        "create+close pair; 5a a record that reaches user space within 150 ns, 5b its stack's "
        "kernel side within 1 us, 5c one unwind per call site; 6 the tracer's own CPU and RSS "
        "(reported); a, c, e, g reported beside them. Figures 3-5b are ns per iteration "
        "(Hodges-Lehmann estimate, 95% distribution-free interval, from the trace_* groups); "
        "the others come from the long runs of cloexec-load. A goal is met only when the whole "
        "interval lies within it, not met when it lies beyond it, and undecided otherwise.")
    load_path = load_beside(bench_path) if have_bench else None
    if not have_bench:
        d.note("No benchmark run: run `make bench` (or `make bench QUICK=1`).")
        return
    if not load_path:
        d.note("No cloexec-load run beside %s (figures 1, 2, 5c, e, g): `make bench` writes "
               "<stem>.load.json (BENCH_LOAD empty skips it)." % bench_path)
    try:
        g = _goals_module()
        figs = g.figures(bench_path, load_path, r.a.metric)
    except (OSError, ImportError) as e:
        warn("warning: the goals section: %s" % e)
        d.note("The goals could not be computed: %s" % e)
        r.found["goals_why"] = "the goals could not be computed: %s" % e
        return
    except Exception as e:  # goals.BadInput: a corrupt load file, one line, nothing written
        if type(e).__name__ != "BadInput":
            raise
        print("%s: %s" % (PROG, e), file=sys.stderr)
        sys.exit(2)
    r.found["goals"] = figs
    rows = []
    before = any(isinstance(f.get("before"), dict) for f in figs)
    for f in figs:
        floor, fig, spread = g.describe(f)
        cls = {"met": "ok", "not met": "bad", "reported": None}.get(f.get("verdict"), "warn")
        rows.append([f["figure"], f["name"], f.get("what", ""), floor, fig, spread,
                     f.get("goal", "-"), (f.get("verdict", "-"), cls)])
        if before:
            b = f.get("before")
            rows[-1].append("%s (%s)" % (g.value(b), b.get("verdict", "-"))
                            if isinstance(b, dict) else "-")
    d.table(["", "figure", "what", "floor (same run)", "figure", "spread", "goal", "goal met"] +
            (["the tracer compared with (before)"] if before else []), rows)
    notes = ["%s %s: %s" % (f["figure"], f["name"], f["note"]) for f in figs
             if f.get("note") and f.get("status") == "ok"]
    if notes:
        d.bullets(notes)
    if load_path:
        d.p("Long runs: %s (schema cloexec-load/1, results/FORMATS.md)." % _short(load_path))


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, exit 2 (argparse's own code), and a pointer to --help.
        print("%s: %s (try --help)" % (PROG, message), file=sys.stderr)
        sys.exit(2)


def kernels_section(d, path):
    """Kernels x test files from the last `make test-kernels` (results/kernels.json); returns
    the document read (None when there is none) and, without one, why."""
    d.h(2, "Kernels", "kernels")
    if not os.path.exists(path):
        d.note("No kernel run: %s is missing. Run `make test-kernels` to produce it." % path)
        return None, None
    try:
        doc = ls.load_json(path, "cloexec-kernels JSON")
        check_schema(doc, path, "cloexec-kernels")
        kernels = list_of_objects(doc, "kernels", path, True)
    except ls.InputError as e:
        warn("warning: %s (the Kernels section says so)" % e)
        d.note("Kernel results unreadable: %s" % e)
        return None, "unreadable: %s; `make test-kernels` writes it anew" % e
    host = doc.get("host") or {}
    d.p("Source: %s (%s, commit %s, %s s in all). Every BPF test of the suite, run under prove "
        "in a qemu guest booted with each kernel (the host's tree shared read-only over "
        "virtio-9p), and on the host's own kernel." % (
            path, val(host.get("date")), val(host.get("commit")), val(doc.get("seconds"))))
    cols, names = [], []
    for k in kernels:
        label = val(k.get("release") or k.get("spec"))
        where = "host" if k.get("kind") == "host" else "guest, %s" % val(k.get("accel"))
        cols.append("%s (%s)" % (label, where))
        for t in k.get("tests") or []:
            if isinstance(t, dict) and t.get("name") not in names:
                names.append(t.get("name"))
    cls = {"pass": "ok", "fail": "bad", "skip": "warn"}
    rows, notes = [], []
    for name in names:
        row = [val(name)]
        for k, col in zip(kernels, cols):
            t = next((t for t in k.get("tests") or [] if isinstance(t, dict) and
                      t.get("name") == name), None)
            if t is None:
                row.append("-")
                continue
            st = val(t.get("status"))
            text = st if st != "fail" else "FAIL"
            if t.get("status") in ("pass", "fail") and isinstance(t.get("planned"), int):
                text += " (%s/%d)" % (val(t["run"] - t["failed"]) if isinstance(
                    t.get("run"), int) and isinstance(t.get("failed"), int) else "?",
                    t["planned"])
            row.append((text, cls.get(t.get("status"))))
            if t.get("status") in ("skip", "fail") and t.get("reason"):
                notes.append("%s on %s: %s" % (val(name), col, val(t["reason"])))
        rows.append(row)
    summary = ["time"]
    for k in kernels:
        if k.get("status") == "skip":
            summary.append(("skipped", "warn"))
            notes.append("%s: %s" % (val(k.get("release") or k.get("spec")), val(k.get("reason"))))
            continue
        boot = ", boot %s s" % val(k["boot_s"]) if k.get("boot_s") is not None else ""
        summary.append("%s s%s" % (val(k.get("total_s")), boot))
    d.table(["test file"] + cols, rows + [summary])
    if notes:
        d.bullets(notes)
    pkgs = ["%s: %s %s" % (val(k.get("release")), val(k.get("package")), val(k.get("version")))
            for k in kernels if k.get("package")]
    if pkgs:
        d.p("Packages: " + "; ".join(pkgs) + ".")
    return doc, None


def report_findings(r, docs, paths, kdoc, kwhy, have_bench, bench_path):
    """The opening lines, from what each section read (results/findings.py)."""
    out = fd.matrix_findings(docs["matrix"], paths["matrix"])
    out += fd.savings_findings(r.found["pairs"], have_bench, bench_path)
    out += fd.goals_findings(r.found["goals"], r.found["goals_why"], have_bench, bench_path)
    out += fd.kernels_findings(kdoc, paths["kernels"], kwhy)
    out += fd.repro_findings(docs["repro"], paths["repro"], ls.wilson)
    return [(lbl, text if text.endswith(".") else text + ".", st) for lbl, text, st in out]


def _short(p):
    """A path relative to the current directory when it is below it (for messages)."""
    r = os.path.relpath(p)
    return p if r.startswith("..") else r


def main():
    here = _short(os.path.dirname(os.path.abspath(__file__)))
    root = os.path.dirname(os.path.abspath(here))
    ap = Parser(
        prog="report.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build report.md and report.html (with SVG charts) from the latest "
                    "cloexec-lab runs.", epilog=EPILOG)
    ap.add_argument("--results", default=here, metavar="DIR",
                    help="where the inputs are (default: %(default)s)")
    ap.add_argument("--repro", metavar="FILE", help="repro JSON (default: DIR/repro.json; "
                    "'none' to leave the section out)")
    ap.add_argument("--matrix", metavar="FILE", help="matrix JSON (default: DIR/matrix.json; "
                    "'none' to leave the section out)")
    ap.add_argument("--kernels", metavar="FILE", help="guest kernel runs (default: "
                    "DIR/kernels.json, from make test-kernels; 'none' to leave the section out)")
    ap.add_argument("--bench", metavar="FILE", help="Google Benchmark JSON (default: "
                    "DIR/bench/latest.json, else the newest DIR/bench/*.json; 'none' to leave "
                    "the section out)")
    ap.add_argument("--pairs", metavar="FILE", help="pairs JSON (default: beside the bench "
                    "file; 'none' to recompute from the raw rows)")
    ap.add_argument("--pairs-spec", default=_short(os.path.join(root, "bench", "pairs.txt")),
                    metavar="FILE", help="baselines per group (default: %(default)s)")
    ap.add_argument("--out", metavar="DIR", help="output directory (default: DIR)")
    ap.add_argument("--metric", choices=("real_time", "cpu_time"), default="real_time",
                    help="time per call to report (default: %(default)s)")
    ap.add_argument("--note", action="append", default=[], metavar="TEXT",
                    help="a note to show at the top (make run names its failed steps)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    a = ap.parse_args()

    res = a.results
    out = a.out or res
    if not os.path.isdir(res):
        # Named on the command line (the default always exists): a typo.
        print("%s: %s: no such directory (--results)" % (PROG, res), file=sys.stderr)
        return 2
    paths = {
        "repro": a.repro or os.path.join(res, "repro.json"),
        "matrix": a.matrix or os.path.join(res, "matrix.json"),
        "kernels": a.kernels or os.path.join(res, "kernels.json"),
    }
    if a.kernels not in (None, "none") and not os.path.exists(a.kernels):
        print("%s: %s: no such file (--kernels)" % (PROG, a.kernels), file=sys.stderr)
        return 2
    bench_path = a.bench or find_latest_bench(os.path.join(res, "bench"))

    # Load everything first: a corrupt input stops us before anything is written.
    errors, missing = [], []
    docs = {}
    for key, loader, target in (("repro", load_repro, "make repro"),
                                ("matrix", load_matrix, "make matrix")):
        p = paths[key]
        if p == "none":
            docs[key] = None
            continue
        if not os.path.exists(p) and getattr(a, key) is not None:
            # Named on the command line: a typo, not "not produced yet".
            errors.append("%s: no such file (--%s)" % (p, key))
            continue
        if not os.path.exists(p) and not os.path.islink(p):
            missing.append("%s is missing (run `%s`)" % (p, target))
            docs[key] = None
            continue
        try:
            docs[key] = loader(p)
        except ls.InputError as e:
            errors.append(str(e))
    bdoc, benches, pairs_doc, pairs_path = None, {}, None, None
    if bench_path is None:
        bench_path = "no run in %s" % os.path.join(res, "bench")
        missing.append("%s (run `make bench`)" % bench_path)
    elif bench_path == "none":
        bench_path = "left out (--bench none)"
    elif not os.path.exists(bench_path) and a.bench is not None:
        errors.append("%s: no such file (--bench)" % bench_path)
    elif not os.path.exists(bench_path):
        missing.append("%s is missing (run `make bench`)" % bench_path)
        bench_path = "%s is missing" % bench_path
    else:
        try:
            bdoc, benches = ls.load_gbench(bench_path)
        except ls.InputError as e:
            errors.append(str(e))
        pairs_path = a.pairs if a.pairs else pairs_beside(bench_path)
        if pairs_path == "none":
            pairs_path = None
        if pairs_path:
            try:
                pairs_doc = load_pairs(pairs_path)
            except ls.InputError as e:
                errors.append(str(e))
    if errors:
        for e in errors:
            print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    for m in missing:
        warn("note: %s; its section says so" % m)

    try:
        spec = parse_pairs_spec(a.pairs_spec)
    except ls.BadInput as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    try:
        os.makedirs(os.path.join(out, "charts"), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".report-", dir=out)
    except OSError as e:
        print("%s: failed to create %s: %s" % (PROG, out, e.strerror), file=sys.stderr)
        return 3
    try:
        r = Report(a)
        r.charts = Charts(tmp)
        d = r.doc
        now = this_machine()
        gen = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        d.h(1, "cloexec-lab report", "top")
        d.p("Generated %s on %s (kernel %s, %s, %s cores)." % (
            gen, now["hostname"], now["kernel"], now["cpu"], now["cores"]))
        for n in a.note:
            d.note(n)
        findings_at = len(d.blocks)  # the findings go here once every section has been read
        bhost = None
        if bdoc is not None:
            ctx = bdoc.get("context") or {}
            bhost = dict(ctx.get("host") or {}) if isinstance(ctx.get("host"), dict) else {}
            bhost.setdefault("hostname", ctx.get("host_name"))
            bhost.setdefault("cores", ctx.get("num_cpus"))
            bhost.setdefault("date", ctx.get("date"))
            bhost.setdefault("CPU MHz", ctx.get("mhz_per_cpu"))
            bhost.setdefault("CPU scaling", ctx.get("cpu_scaling_enabled"))
            # Custom context (--benchmark_context=k=v) and the library's build type.
            for k, v in ctx.items():
                if isinstance(v, (str, int, float)) and not isinstance(v, bool) and k not in (
                        "host_name", "num_cpus", "date", "executable", "mhz_per_cpu"):
                    bhost.setdefault(k, v)
        matrix_host = dict((docs["matrix"] or {}).get("host") or {}) if docs["matrix"] else None
        if matrix_host is not None:
            for rt in docs["matrix"].get("runtimes") or []:
                if rt.get("runtime") and rt.get("version"):
                    matrix_host.setdefault(str(rt["runtime"]), rt["version"])
        r.repro(docs["repro"], paths["repro"])
        r.matrix(docs["matrix"], paths["matrix"])
        if paths["kernels"] == "none":
            kdoc, kwhy = None, "left out on the command line"
        else:
            kdoc, kwhy = kernels_section(d, paths["kernels"])
        r.bench(bdoc, benches, bench_path, pairs_doc, pairs_path, spec)
        goals_section(r, bench_path, bdoc is not None)
        d.findings(findings_at, report_findings(r, docs, paths, kdoc, kwhy, bdoc is not None,
                                                bench_path))
        if not r.charts.gnuplot:
            warn("note: gnuplot not found, the report has no charts (make deps installs "
                 "gnuplot-nox)")
            d.note("Charts left out: gnuplot is not installed (make deps).")
        for f in r.charts.failed:
            warn("warning: chart %s" % f)
        d.h(2, "Inputs", "inputs")

        def written(p):
            try:
                t = os.path.getmtime(p)
            except (OSError, TypeError):
                return ""
            return " (written %s)" % datetime.datetime.fromtimestamp(
                t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        d.bullets(["repro: %s%s" % (paths["repro"], written(paths["repro"])),
                   "matrix: %s%s" % (paths["matrix"], written(paths["matrix"])),
                   "bench: %s%s%s" % (bench_path, (" -> " + os.readlink(bench_path)) if
                                      os.path.islink(bench_path) else "", written(bench_path)),
                   "pairs: %s%s" % (_short(pairs_path) if pairs_path else
                                    "recomputed from the bench rows", written(pairs_path)),
                   "pairs spec: %s%s" % (a.pairs_spec, written(a.pairs_spec)),
                   "kernels: %s%s" % (paths["kernels"], written(paths["kernels"]))])
        # The machine and versions last: the reader's first screen is the findings.
        r.facts(now, [("repro.json", (docs["repro"] or {}).get("host") if docs["repro"] else
                       None), ("matrix.json", matrix_host),
                      ("bench run", bhost)])

        md = render_md(d)
        # In HTML the charts are inline; give each its own id prefix.
        n = 0
        for i, b in enumerate(d.blocks):
            if b[0] == "chart":
                n += 1
                d.blocks[i] = (b[0], b[1], b[2], svg_for_html(b[3], "c%d" % n))
        page = render_html(d, "cloexec-lab report")

        # Publish: charts first, then the two documents, each by rename.
        cdir = os.path.join(out, "charts")
        for old in glob.glob(os.path.join(cdir, "*.svg")):
            if os.path.basename(old) not in r.charts.made:
                os.unlink(old)
        for name in r.charts.made:
            os.replace(os.path.join(tmp, name), os.path.join(cdir, name))
        ls.write_atomic(os.path.join(out, "report.md"), md)
        ls.write_atomic(os.path.join(out, "report.html"), page)
    except OSError as e:
        print("%s: failed to write the report in %s: %s" % (PROG, out, e.strerror or e),
              file=sys.stderr)
        return 3
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not a.quiet:
        print("report: wrote %s and %s (%d charts in %s)" % (
            os.path.join(out, "report.md"), os.path.join(out, "report.html"),
            len(r.charts.made), os.path.join(out, "charts")))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
