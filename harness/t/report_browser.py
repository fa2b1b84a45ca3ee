#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
report_browser - results/report.html in a real browser: Debian's chromium, headless, driven by
chromium-driver through python3-selenium (WebDriver). The report is built from real runs made
here: a short run of build/cloexec-bench (two paired groups and the spawn-vs-fd-count group,
so it has every kind of chart) and, with BPF, the runtime matrix of a few runtimes. At a
typical window (1280x800) the findings section must exist, be displayed, and lie on the first
screen (its top within the viewport, above every table and chart); every chart (the inline
SVGs in <figure>) must be present, displayed and of non-zero size with drawn content, one per
chart that report.md references; and the page must not scroll sideways. SKIPs with the reason
where the browser cannot start (not installed: make deps). Bounded (alarm); the browser runs
below us as a child subreaper, and every process it left is killed and reaped at the end (a
check). One TAP stream.
"""
import ctypes
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import shutil

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("CLOEXEC_LAB_BUILD") or os.path.join(ROOT, "build")
PYTHON = "/usr/bin/python3"
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 800
BOUND_S = 170
PR_SET_CHILD_SUBREAPER = 36

n_run = n_failed = 0


def ok(cond, name, detail=None):
    global n_run, n_failed
    n_run += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_run, name), flush=True)
    if not cond:
        n_failed += 1
        print("#   Failed test '%s'%s" % (name, ("\n#   %s" % detail) if detail else ""),
              file=sys.stderr, flush=True)
    return bool(cond)


def diag(msg):
    print("# %s" % msg, file=sys.stderr, flush=True)


def note(msg):
    print("# %s" % msg, flush=True)


def skip_all(why):
    print("1..0 # SKIP %s" % why, flush=True)
    sys.exit(0)


def bail(why):
    print("Bail out! %s" % why, flush=True)
    sys.exit(255)


class Timeout(Exception):
    pass


def on_alarm(_sig, _frame):
    raise Timeout("the test ran out of its %d s" % BOUND_S)


def run(argv, timeout, out=None):
    """A command under a time limit: (exit code, stderr's last lines)."""
    try:
        r = subprocess.run(argv, stdout=out or subprocess.DEVNULL, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return -1, "killed after %d s" % timeout
    return r.returncode, "\n".join(r.stderr.strip().splitlines()[-3:])


# --- processes: everything the browser started is below us (child subreaper) -----------------

def children_of(pid):
    """The pids whose parent is pid (from /proc)."""
    out = []
    for st in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(st) as f:
                s = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = s[s.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(s.split(" ", 1)[0]))
    return out


def descendants(pid):
    todo, seen = [pid], []
    while todo:
        for c in children_of(todo.pop()):
            if c not in seen:
                seen.append(c)
                todo.append(c)
    return seen


def wait_children(seconds):
    """Reap children until there are none (every descendant comes to us when its parent
    dies: we are a subreaper), at most seconds; whether none is left."""
    signal.alarm(seconds)
    try:
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return True
            except InterruptedError:
                continue
    except Timeout:
        return False
    finally:
        signal.alarm(0)


def reap_all(grace):
    """Give the processes below us grace seconds to end by themselves, then kill the rest and
    reap them; returns how many had to be killed."""
    if wait_children(grace):
        return 0
    left = descendants(os.getpid())
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_children(30)
    return len(left)


# --- inputs: a real benchmark run and, with BPF, a real matrix --------------------------------

def make_inputs(tmp):
    bench = os.path.join(BUILD, "cloexec-bench")
    if not os.access(bench, os.X_OK):
        bail("%s is not built (make)" % bench)
    smoke = os.path.join(tmp, "smoke.json")
    rc, err = run([bench, "--benchmark_filter=^(pipe|dup3)/|^spawn_posix/.*/fds:(16|64|256)/",
                   "--benchmark_min_time=0.01", "--benchmark_repetitions=5",
                   "--benchmark_enable_random_interleaving=true",
                   "--benchmark_out_format=json", "--benchmark_out=" + smoke], 60)
    made = os.path.exists(smoke) and os.path.getsize(smoke) > 0
    if not ok(rc in (0, 1) and made, "a short cloexec-bench run for the report (exit %d)" % rc,
              err):
        bail("no benchmark run to build the report from")
    matrix = "none"
    if os.geteuid() == 0 and os.path.exists("/sys/kernel/btf/vmlinux"):
        mj = os.path.join(tmp, "matrix.json")
        rc, err = run([PYTHON, os.path.join(ROOT, "fixtures", "run_matrix.py"),
                       "--only", "c-plain,c-cloexec,java", "--json", mj, "--md",
                       os.path.join(tmp, "matrix.md")], 100)
        if os.path.exists(mj):
            matrix = mj
        else:
            diag("no matrix (exit %d: %s): the findings say it is missing" % (rc, err))
    else:
        diag("no matrix: it needs root and BTF; the findings say it is missing")
    return smoke, matrix


def build_report(tmp, smoke, matrix):
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    rc, err = run([PYTHON, os.path.join(ROOT, "results", "report.py"), "--results", tmp,
                   "--bench", smoke, "--matrix", matrix, "--out", out, "-q"], 60)
    ok(rc == 0, "report.py builds report.html from the runs", err)
    page = os.path.join(out, "report.html")
    if not os.path.exists(page):
        bail("no report.html to render")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        md = f.read()
    return page, md


# --- the browser -----------------------------------------------------------------------------

def start_browser(tmp):
    """A headless chromium under chromedriver at WIDTHxHEIGHT, or the reason it cannot start."""
    for p in (CHROMIUM, DRIVER):
        if not os.access(p, os.X_OK):
            return None, "%s is not installed (make deps: chromium, chromium-driver)" % p
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        return None, "python3-selenium is not installed (make deps): %s" % e
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
              "--window-size=%d,%d" % (WIDTH, HEIGHT),
              "--user-data-dir=" + os.path.join(tmp, "profile")):
        opts.add_argument(a)
    if os.geteuid() == 0:
        opts.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    service = Service(DRIVER, log_path=os.path.join(tmp, "chromedriver.log"),
                      popen_kw={"start_new_session": True})
    try:
        drv = webdriver.Chrome(service=service, options=opts)
    except Exception as e:  # WebDriverException and what the start raises
        msg = (str(getattr(e, "msg", "") or e).strip().splitlines() or ["unknown error"])[0]
        return None, "chromium does not start here: %s" % msg[:200]
    drv.set_page_load_timeout(30)
    drv.set_script_timeout(10)
    return drv, None


JS_GEOMETRY = """
const r = e => { const b = e.getBoundingClientRect();
  return {top: b.top, left: b.left, width: b.width, height: b.height}; };
const first = sel => { const e = document.querySelector(sel); return e ? r(e) : null; };
const f = document.getElementById('findings');
const charts = [...document.querySelectorAll('figure svg')].map(s => {
  const st = getComputedStyle(s); let bb = null;
  try { const b = s.getBBox(); bb = {width: b.width, height: b.height}; } catch (x) {}
  return Object.assign(r(s), {display: st.display, visibility: st.visibility,
                              opacity: st.opacity, shapes: s.querySelectorAll(
                                'path, rect, line, polyline, polygon, circle, text').length,
                              content: bb});
});
return {vw: innerWidth, vh: innerHeight, scrollY: scrollY,
        docWidth: document.documentElement.scrollWidth,
        findings: f ? Object.assign(r(f), {tag: f.tagName,
                                           text: f.innerText.slice(0, 4000)}) : null,
        firstTable: first('table'), firstFigure: first('figure'),
        findingsItems: f ? f.querySelectorAll('li').length : 0,
        charts: charts};
"""


def check_page(drv, page, md):
    drv.set_window_size(WIDTH, HEIGHT)
    drv.get("file://" + page)
    g = drv.execute_script(JS_GEOMETRY)
    note("viewport %sx%s, document %s wide; findings at %s" % (
        g["vw"], g["vh"], g["docWidth"], json.dumps({k: g["findings"][k] for k in (
            "top", "height")}) if g["findings"] else None))
    f = g["findings"]
    ok(f is not None and f["tag"] == "SECTION", "report.html has the findings <section>")
    if f is None:
        return
    from selenium.webdriver.common.by import By
    ok(drv.find_element(By.ID, "findings").is_displayed() and f["height"] > 0 and
       f["width"] > 0, "the findings section is displayed (%dx%d px)" % (f["width"], f["height"]))
    ok(g["scrollY"] == 0 and 0 <= f["top"] < g["vh"],
       "the findings lie on the first screen: their top at %d px of the %d px viewport" %
       (f["top"], g["vh"]))
    below = [x for x in (g["firstTable"], g["firstFigure"]) if x]
    ok(all(f["top"] < x["top"] for x in below),
       "the findings come before any table or chart on the page")
    labels = re.findall(r"^- \*\*([^*]+):\*\* ", md.split("\n## Findings\n", 1)[-1].split(
        "\n## ", 1)[0], re.M)
    ok(labels and g["findingsItems"] == len(labels) and
       all(lbl + ":" in f["text"] for lbl in labels),
       "the browser shows the %d findings of report.md (%s)" % (len(labels), ", ".join(labels)))
    ok(g["docWidth"] <= g["vw"], "the page does not scroll sideways at %d px (document %d px)" %
       (g["vw"], g["docWidth"]))
    charts = g["charts"]
    refs = len(re.findall(r"\]\(charts/[^)]+\.svg\)", md))
    gnuplot = shutil.which("gnuplot")
    ok(len(charts) == refs and (refs > 0 or not gnuplot),
       "every chart report.md references is in the page (%d of %d)%s" % (
           len(charts), refs, "" if gnuplot else "; gnuplot is not installed: no charts"))
    bad = []
    els = drv.find_elements(By.CSS_SELECTOR, "figure svg")
    for i, (c, el) in enumerate(zip(charts, els)):
        why = []
        if not el.is_displayed():
            why.append("not displayed")
        if c["display"] == "none" or c["visibility"] != "visible" or float(c["opacity"]) == 0:
            why.append("style %s/%s/%s" % (c["display"], c["visibility"], c["opacity"]))
        if c["width"] < 50 or c["height"] < 50:
            why.append("size %.0fx%.0f" % (c["width"], c["height"]))
        if not c["content"] or c["content"]["width"] <= 0 or c["content"]["height"] <= 0 or \
                c["shapes"] < 5:
            why.append("nothing drawn (%s, %d shapes)" % (c["content"], c["shapes"]))
        if why:
            bad.append("chart %d: %s" % (i + 1, ", ".join(why)))
    ok(charts and not bad, "every chart is displayed with a non-zero size and drawn content "
       "(%d charts)" % len(charts), "; ".join(bad))


def main():
    if not os.access(PYTHON, os.X_OK):
        skip_all("%s is not installed" % PYTHON)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(BOUND_S)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    tmp = tempfile.mkdtemp(prefix="cloexec-report-browser-")
    drv = None
    try:
        drv, why = start_browser(tmp)
        if drv is None:
            reap_all(10)
            shutil.rmtree(tmp, ignore_errors=True)
            skip_all(why)
        smoke, matrix = make_inputs(tmp)
        page, md = build_report(tmp, smoke, matrix)
        check_page(drv, page, md)
    except Timeout as e:
        ok(False, str(e))
    finally:
        signal.alarm(0)
        if drv is not None:
            try:
                signal.alarm(30)
                drv.quit()
            except Exception as e:
                diag("quitting the browser: %s" % e)
            finally:
                signal.alarm(0)
        left = reap_all(15)
        shutil.rmtree(tmp, ignore_errors=True)
    ok(left == 0, "the browser's processes all ended after quit (%d left, killed)" % left)
    print("1..%d" % n_run, flush=True)
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
