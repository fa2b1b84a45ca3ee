#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test_kernels.py - TAP: the suite's BPF tests on other kernels, each booted in a qemu guest.

For every kernel of KERNELS: fetch Debian's package with `apt-get download` (cached under
BUILD/kernels/debs/, so a rerun downloads nothing), unpack it with `dpkg-deb -x` into
BUILD/kernels/<release>/root (nothing is installed on this machine), build a small initramfs
(busybox-static, scripts/guest/init, the virtio/9p/overlay modules in the order modprobe
computes from the package's own module tree after `depmod -b`), and boot it with
qemu-system-x86_64: KVM when a short probe boot shows KVM boots, else TCG (`-cpu max`). The
guest gets the host's root read-only over virtio-9p with a tmpfs overlay on top and runs the
tests under prove's engine (scripts/guest/run-suite.sh); results come back over a second,
writable 9p share. `host` runs the same tests on the running kernel, the same way.

The tests: BUILD/t/trace_* and BUILD/t/matrix_* (the tests of the tracer and of the runtimes
traced by it) and scripts/guest/kernel_accept.sh (the tracer's acceptance commands);
GUEST_TESTS=NAME,... names others instead (any test of BUILD/t). bench_smoke is not in the
default set: it exercises the benchmarks, whose timings mean nothing under TCG, and takes ~50 s
of its 85 s bound there; its tracer runs are what trace_* checks.

One TAP line per kernel and test file, named with the kernel release ("trace_create passes on
6.1.0-57-amd64"). A kernel that cannot be fetched or a guest that cannot boot is a SKIP with the
reason; a guest that does not finish within GUEST_TIMEOUT is killed and every test it did not
finish fails. Logs: BUILD/kernels/<release>/console.log,
out/results.tsv, out/tap/ (raw TAP of each test). The results of the run go to
results/kernels.json (results/FORMATS.md), which results/report.py shows.

Environment (or the options of the same name):
  KERNELS        kernels, separated by spaces or commas (default "6.1 6.12 host"):
                 6.1, 6.12        the newest Debian bookworm package of that series
                 linux-image-...  a Debian kernel package by name
                 /path/vmlinuz-R  a kernel image; modules from ../lib/modules/R next to it
                                  (an unpacked package), else /lib/modules/R
                 host             the running kernel, no guest
  GUEST_ACCEL    auto (default), kvm or tcg
  GUEST_TIMEOUT  seconds one guest (or the host run) may take in all (default 1500)
  GUEST_MEM      guest memory in MiB (default 2048); GUEST_CPUS (default: this machine's, <= 4)
  GUEST_TESTS    test names to run, comma separated (default: all of the above)

EXAMPLES
  make test-kernels                                  # 6.1 and 6.12 in guests, and the host
  make test-kernels KERNELS=6.1                      # only Debian 12's 6.1
  KERNELS=linux-image-6.1.0-57-amd64-unsigned GUEST_TESTS=trace_exec scripts/guest/test_kernels.py
"""
import argparse
import fnmatch
import glob
import gzip
import json
import lzma
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROG = "test_kernels"
# What the guest's init needs to reach the host's tree (module names as modprobe knows them).
GUEST_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "overlay"]
# Test files (basenames in BUILD/t) run by default: the tracer's and the runtime matrix's.
TEST_GLOBS = ["trace_*", "matrix_*"]
DEFAULT_KERNELS = "6.1 6.12 host"
BOOT_TIMEOUT = 120  # s from qemu's start to the guest's init line
PROBE_TIMEOUT = 20  # s for the KVM probe boot
# Directories the guest mounts afresh (a tree below one of them is moved over).
GUEST_FRESH = ("/tmp", "/run", "/dev", "/proc", "/sys")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, skip=None, diag=None):
        self.n += 1
        name = name.replace("#", "\\#")
        if skip is not None:
            print("ok %d - %s # SKIP %s" % (self.n, name, skip.replace("\n", " ")), flush=True)
            return True
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            for line in (diag or "").splitlines()[-40:]:
                print("#   " + line, file=sys.stderr, flush=True)
        return cond

    def note(self, msg):
        print("# " + msg, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def err(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)


def run(cmd, timeout=600, **kw):
    """Run a command, output captured, bounded (exit 124 when it ran out of time); returns a
    CompletedProcess and never raises on its status."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("stdin", subprocess.DEVNULL)
    try:
        return subprocess.run(cmd, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "%s: timed out after %d s" % (cmd[0], timeout))


def tool(name):
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")


def last_line(text):
    lines = [l for l in (text or "").splitlines() if l.strip()]
    return lines[-1].strip() if lines else "no output"


# --- kernels: resolve, fetch, unpack ------------------------------------------------------------


class Skip(Exception):
    """The environment cannot provide this kernel: SKIP with the message."""


def apt_names(prefix):
    r = run(["apt-cache", "pkgnames", prefix], stderr=subprocess.DEVNULL)
    return r.stdout.split() if r.returncode == 0 else []


def newest_package(series):
    """The newest bookworm amd64 unsigned image of a series, e.g. 6.1 or 6.12."""
    if series == "6.1":
        pat = re.compile(r"^linux-image-6\.1\.0-(\d+)-amd64-unsigned$")
    else:
        pat = re.compile(r"^linux-image-%s\.(\d+)\+deb\d+-amd64-unsigned$" % re.escape(series))
    for attempt in range(2):
        names = [n for n in apt_names("linux-image-%s" % series) if pat.match(n)]
        if names:
            return max(names, key=lambda n: int(pat.match(n).group(1)))
        if attempt == 0 and os.geteuid() == 0:
            # a fresh machine may have no package lists yet
            run(["apt-get", "update", "-qq"])
    raise Skip("apt knows no linux-image-%s...-amd64-unsigned package (apt-get update?)" % series)


def candidate_version(pkg):
    r = run(["apt-cache", "show", "--no-all-versions", pkg], stderr=subprocess.DEVNULL)
    m = re.search(r"^Version: (\S+)", r.stdout, re.M)
    return m.group(1) if m else None


def fetch(pkg, debs):
    """The package's .deb under debs/, downloaded once (the candidate version)."""
    ver = candidate_version(pkg)
    if not ver:
        raise Skip("cannot fetch %s: apt does not know it" % pkg)
    os.makedirs(debs, exist_ok=True)
    deb = os.path.join(debs, "%s_%s_amd64.deb" % (pkg, ver.replace(":", "%3a")))
    if os.path.exists(deb):
        return deb, ver, False
    # into a directory of its own first: an interrupted download leaves no .deb behind
    part = os.path.join(debs, ".partial-%d" % os.getpid())
    shutil.rmtree(part, ignore_errors=True)
    os.makedirs(part)
    try:
        r = run(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg], cwd=part)
        got = os.path.join(part, os.path.basename(deb))
        if r.returncode != 0 or not os.path.exists(got):
            raise Skip("cannot fetch %s with apt-get download: %s" % (pkg, last_line(r.stdout)))
        os.rename(got, deb)
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return deb, ver, True


def unpack(deb, dest):
    """dpkg-deb -x into dest (once); returns (release, vmlinuz, modules root)."""
    if not os.path.isdir(dest):
        part = dest + ".partial"
        shutil.rmtree(part, ignore_errors=True)
        os.makedirs(part)
        r = run(["dpkg-deb", "-x", deb, part])
        if r.returncode != 0:
            shutil.rmtree(part, ignore_errors=True)
            raise Skip("cannot unpack %s: %s" % (deb, last_line(r.stdout)))
        os.rename(part, dest)
    rels = sorted(os.listdir(os.path.join(dest, "lib/modules")))
    if len(rels) != 1:
        raise Skip("%s holds %d module trees, expected one" % (deb, len(rels)))
    rel = rels[0]
    vmlinuz = os.path.join(dest, "boot", "vmlinuz-" + rel)
    if not os.path.exists(vmlinuz):
        raise Skip("%s has no boot/vmlinuz-%s" % (deb, rel))
    return rel, vmlinuz, dest


def bzimage_release(path):
    """The release string of a bzImage (setup header's kernel_version), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(0x10000)
        if head[0x202:0x206] != b"HdrS":
            return None
        off = int.from_bytes(head[0x20E:0x210], "little") + 0x200
        return head[off:off + 256].split(b" ")[0].decode()
    except (OSError, UnicodeDecodeError, IndexError):
        return None


def resolve(spec, build):
    """A kernel spec -> dict(spec, kind, package, version, release, vmlinuz, modroot)."""
    k = {"spec": spec, "package": None, "version": None}
    if spec == "host":
        k.update(kind="host", release=os.uname().release)
        return k
    k["kind"] = "guest"
    if "/" in spec:
        path = os.path.abspath(spec)
        if not os.path.isfile(path):
            raise Skip("no kernel image at %s" % spec)
        rel = bzimage_release(path)
        if not rel:
            raise Skip("%s is not a bzImage kernel" % spec)
        # an unpacked package (boot/ beside lib/modules/), else this machine's modules, else
        # none: the guest's drivers are built in (else its init says what it failed to do)
        modroot = next((r for r in (os.path.dirname(os.path.dirname(path)), "/")
                        if os.path.isdir(os.path.join(r, "lib/modules", rel))), None)
        k.update(release=rel, vmlinuz=path, modroot=modroot)
        return k
    if not spec.startswith("linux-image-") and not re.match(r"^\d+\.\d+$", spec):
        raise ValueError("KERNELS entry %r is none of: a series such as 6.1, a linux-image-* "
                         "package, a path to a kernel image, host" % spec)
    pkg = spec if spec.startswith("linux-image-") else newest_package(spec)
    deb, ver, fresh = fetch(pkg, os.path.join(build, "kernels", "debs"))
    rel, vmlinuz, modroot = unpack(deb, os.path.join(build, "kernels", "pkg", "%s_%s" % (pkg, ver)))
    k.update(package=pkg, version=ver, release=rel, vmlinuz=vmlinuz, modroot=modroot,
             downloaded=fresh)
    return k


# --- initramfs ----------------------------------------------------------------------------------


def module_order(modroot, rel):
    """insmod order of GUEST_MODULES with their dependencies: [(name, path)]; built-ins left out."""
    if modroot is None:
        return []
    moddir = os.path.join(modroot, "lib/modules", rel)
    if not os.path.exists(os.path.join(moddir, "modules.dep.bin")):
        r = run([tool("depmod"), "-b", modroot, rel])
        if r.returncode != 0:
            raise Skip("depmod -b %s %s failed: %s" % (modroot, rel, last_line(r.stdout)))
    order, seen = [], set()
    for m in GUEST_MODULES:
        r = run([tool("modprobe"), "-d", modroot, "-S", rel, "--show-depends", "--", m])
        if r.returncode != 0:
            raise Skip("kernel %s has no module %s (%s)" % (rel, m, last_line(r.stdout)))
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) >= 2 and f[0] == "insmod" and f[1] not in seen:
                seen.add(f[1])
                order.append(f[1])
    return order


def read_module(path):
    """A module's bytes, decompressed (busybox insmod takes plain .ko files)."""
    if path.endswith(".xz"):
        return lzma.open(path).read()
    if path.endswith(".gz"):
        return gzip.open(path).read()
    if path.endswith(".zst"):
        if not tool("zstd"):
            raise Skip("%s is zstd-compressed and zstd is not installed" % path)
        return subprocess.run(["zstd", "-dc", path], stdout=subprocess.PIPE, check=True).stdout
    with open(path, "rb") as f:
        return f.read()


def is_static(path):
    """Whether an ELF executable has no program interpreter (runs without a libc on disk)."""
    try:
        with open(path, "rb") as f:
            h = f.read(64)
            if h[:4] != b"\x7fELF" or h[4] != 2:
                return False
            phoff = int.from_bytes(h[32:40], "little")
            phentsize = int.from_bytes(h[54:56], "little")
            phnum = int.from_bytes(h[56:58], "little")
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
    except OSError:
        return False
    return all(int.from_bytes(ph[i:i + 4], "little") != 3 for i in range(0, len(ph), phentsize))


def build_initramfs(k, kdir):
    """kdir/initrd.gz: busybox, /init, modules/ and modules/order."""
    busybox = "/bin/busybox"
    if not is_static(busybox):
        raise Skip("no static busybox at /bin/busybox (install busybox-static)")
    stage = os.path.join(kdir, "initramfs")
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "modules"):
        os.makedirs(os.path.join(stage, d))
    shutil.copy2(busybox, os.path.join(stage, "bin/busybox"))
    shutil.copy2(os.path.join(HERE, "init"), os.path.join(stage, "init"))
    os.chmod(os.path.join(stage, "init"), 0o755)
    names = []
    for path in module_order(k["modroot"], k["release"]):
        name = re.sub(r"\.(xz|gz|zst)$", "", os.path.basename(path))
        with open(os.path.join(stage, "modules", name), "wb") as f:
            f.write(read_module(path))
        names.append(name)
    with open(os.path.join(stage, "modules/order"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    k["modules"] = [n[:-3] for n in names]
    out = os.path.join(kdir, "initrd.gz")
    files = run(["find", ".", "-mindepth", "1"], cwd=stage).stdout
    with open(out + ".tmp", "wb") as f:
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "-R", "0:0", "--quiet"], cwd=stage,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1"], stdin=cpio.stdout, stdout=f)
        cpio.stdout.close()
        cpio.communicate("".join(f + "\n" for f in sorted(files.split()) if f).encode())
        if cpio.wait() != 0 or gz.wait() != 0:
            raise RuntimeError("failed to build the initramfs (cpio/gzip)")
    os.rename(out + ".tmp", out)
    return out


# --- running a job: in a guest, or on the host --------------------------------------------------


def write_job(out, tree, build, tests):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "tap"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with open(os.path.join(out, "job.env"), "w") as f:
        for key, val in (("TREE", tree), ("BUILD", build), ("NOFILE_SOFT", soft),
                         ("NOFILE_HARD", hard)):
            f.write("%s=%s\n" % (key, shlex.quote(str(val))))
    with open(os.path.join(out, "tests.list"), "w") as f:
        f.write("".join(t + "\n" for t in tests))


class Console:
    """qemu's serial console (its stdout) into a log file; guest progress lines to stderr."""

    def __init__(self, proc, path, rel):
        self.proc, self.rel = proc, rel
        self.log = open(path, "w")
        self.init_at = None
        self.failed_step = None
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self.pump, daemon=True)
        self.thread.start()

    def pump(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.log.write(line + "\n")
            line = line.split("\r")[-1].strip()  # prove's progress rewrites its line
            self.log.flush()
            if "ct-guest: init " in line and self.init_at is None:
                with self.lock:
                    self.init_at = time.monotonic() - self.t0
            m = re.search(r"ct-guest: failed to (.*)", line)
            if m and not self.failed_step:
                self.failed_step = m.group(1)
            if re.match(r"^(\[\d\d:\d\d:\d\d\] |ct-guest: |run-suite: |Result: |Files=)", line):
                print("# %s: %s" % (self.rel, line), file=sys.stderr, flush=True)

    def booted(self):
        with self.lock:
            return self.init_at

    def close(self):
        self.thread.join(5)
        self.log.close()


def qemu_cmd(k, initrd, accel, mode, tree, keep, out, mem, cpus):
    cmd = [tool("qemu-system-x86_64"), "-nodefaults", "-no-user-config", "-display", "none",
           "-no-reboot", "-serial", "stdio", "-m", str(mem), "-smp", str(cpus),
           "-kernel", k["vmlinuz"], "-initrd", initrd,
           "-append", "console=ttyS0 panic=-1 loglevel=4 ct.mode=%s ct.tree=%s ct.keep=%s" % (
               mode, tree, ",".join(keep))]
    cmd += ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg", "-cpu", "max"]
    cmd += ["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
            "multidevs=remap"]
    if out:
        cmd += ["-virtfs", "local,path=%s,mount_tag=ctout,security_model=none,"
                "multidevs=remap" % out]
    return cmd


def boot(k, initrd, accel, mode, tree, keep, out, log, mem, cpus, timeout):
    """Boot a guest and wait for it. Returns dict(booted_s, rc, timed_out, failed_step, secs)."""
    cmd = qemu_cmd(k, initrd, accel, mode, tree, keep, out, mem, cpus)
    with open(log + ".cmd", "w") as f:
        f.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    con = Console(proc, log, k["release"])
    res = {"timed_out": False, "boot_timed_out": False}
    try:
        while proc.poll() is None:
            now = time.monotonic() - t0
            if con.booted() is None and now > min(BOOT_TIMEOUT, timeout):
                res["boot_timed_out"] = True
                break
            if now > timeout:
                res["timed_out"] = True
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        con.close()
    res.update(rc=proc.returncode, booted_s=con.booted(), failed_step=con.failed_step,
               secs=time.monotonic() - t0)
    return res


def probe_kvm(k, initrd, tree, log, mem, cpus):
    """Whether a KVM guest reaches init within PROBE_TIMEOUT (DESIGN.md: it hung here once)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "no usable /dev/kvm"
    r = boot(k, initrd, "kvm", "probe", tree, [], None, log, mem, cpus, PROBE_TIMEOUT)
    if r["booted_s"] is not None:
        return True, "KVM guest reached init in %.1f s" % r["booted_s"]
    why = "timed out after %d s" % PROBE_TIMEOUT if r["boot_timed_out"] or r["timed_out"] else \
        "qemu exited %s (%s)" % (r["rc"], last_line(open(log).read()))
    return False, "KVM guest did not reach init: %s" % why


def read_results(out):
    rows = {}
    path = os.path.join(out, "results.tsv")
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 7:
                rows[f[0]] = {"name": f[0], "status": f[1], "planned": int(f[2]), "run": int(f[3]),
                              "failed": int(f[4]), "ms": int(f[5]), "reason": f[6]}
    return rows, os.path.exists(os.path.join(out, "done"))


def test_name(path):
    return re.sub(r"\.(sh|pl|py)$", "", os.path.basename(path))


def tap_tail(out, test, n=25):
    """The last lines of a test's raw TAP (the harness spools it under its own path)."""
    hits = glob.glob(os.path.join(out, "tap", "**", os.path.basename(test)), recursive=True)
    if not hits:
        return "(no TAP was written)"
    lines = open(hits[0], errors="replace").read().splitlines()
    bad = [l for l in lines if l.startswith("not ok") or l.startswith("#")]
    return "\n".join((bad or lines)[-n:])


def bailed_out(out, test):
    """The "Bail out!" line of a test's raw TAP, if it has one (prove stops after it)."""
    hits = glob.glob(os.path.join(out, "tap", "**", os.path.basename(test)), recursive=True)
    for line in open(hits[0], errors="replace") if hits else ():
        if line.startswith("Bail out!"):
            return line.strip()
    return None


def report_tests(tap, k, tests, out, why_missing):
    rows, done = read_results(out)
    k["tests"] = []
    bail = None
    for t in tests:
        name = test_name(t)
        r = rows.get(name)
        where = "on %s" % k["release"]
        if r is None:
            why = "not run: %s bailed out, prove stops there" % bail if bail else why_missing
            r = {"name": name, "status": "fail", "planned": 0, "run": 0, "failed": 0, "ms": 0,
                 "reason": why}
            tap.ok(False, "%s passes %s" % (name, where), diag="%s\n%s" % (why, tap_tail(out, t)))
        elif r["status"] == "skip":
            tap.ok(True, "%s %s" % (name, where), skip=r["reason"])
        else:
            tap.ok(r["status"] == "pass", "%s passes %s (%d/%d, %.1f s)" % (
                name, where, r["run"] - r["failed"], r["planned"], r["ms"] / 1000.0),
                diag="%s\n%s" % (r["reason"], tap_tail(out, t)))
        k["tests"].append(r)
        if r["status"] == "fail" and not bail and bailed_out(out, t):
            bail = name
    return done


def skip_kernel(tap, k, tests, why):
    tap.ok(True, "%s (%s)" % (k.get("release") or k["spec"], k["spec"]), skip=why)
    k.update(status="skip", reason=why,
             tests=[{"name": test_name(t), "status": "skip", "reason": why} for t in tests])


def run_guest(tap, k, tests, opt, accel_cache):
    kdir = os.path.join(opt.build, "kernels", k["release"])
    os.makedirs(kdir, exist_ok=True)
    try:
        initrd = build_initramfs(k, kdir)
    except Skip as e:
        return skip_kernel(tap, k, tests, str(e))
    tap.note("%s: %s, %s, initramfs with %s" % (
        k["release"], " ".join(x for x in (k["package"] or k["vmlinuz"], k["version"]) if x),
        "downloaded" if k.get("downloaded") else "cached" if k["package"] else "given",
        " ".join(k["modules"]) or "no modules"))
    if "accel" not in accel_cache:
        if opt.accel == "auto":
            use, why = probe_kvm(k, initrd, opt.tree, os.path.join(kdir, "kvm-probe.log"),
                                 opt.mem, opt.cpus)
            accel_cache["accel"] = "kvm" if use else "tcg"
            tap.note("accelerator: %s (%s)" % (accel_cache["accel"], why))
        else:
            accel_cache["accel"] = opt.accel
    accel = accel_cache["accel"]
    out = os.path.join(kdir, "out")
    write_job(out, opt.tree, opt.build, tests)
    keep = sorted({p for p in (opt.tree, opt.build) if p.startswith(GUEST_FRESH)})
    keep = [p for p in keep if not any(p.startswith(q + "/") for q in keep)]
    log = os.path.join(kdir, "console.log")
    r = boot(k, initrd, accel, "run", opt.tree, keep, out, log, opt.mem, opt.cpus, opt.timeout)
    k.update(accel=accel, boot_s=r["booted_s"] and round(r["booted_s"], 1),
             total_s=round(r["secs"], 1), log=log)
    if r["booted_s"] is None:
        why = "guest did not reach init in %d s" % BOOT_TIMEOUT if r["boot_timed_out"] else \
            "guest did not boot (qemu exit %s: %s)" % (r["rc"], last_line(open(log).read()))
        return skip_kernel(tap, k, tests, "%s; console: %s" % (why, log))
    rows, _ = read_results(out)
    if r["failed_step"] and not rows:
        return skip_kernel(tap, k, tests, "guest cannot run the suite: failed to %s; console: %s"
                           % (r["failed_step"], log))
    tap.ok(True, "%s boots in a %s guest (init after %.1f s)" % (k["release"], accel,
                                                                r["booted_s"]))
    if r["timed_out"]:
        why = "the guest did not finish within %d s: killed (console: %s)" % (opt.timeout, log)
    else:
        why = "the guest ended before this test finished (console: %s)" % log
    done = report_tests(tap, k, tests, out, why)
    tap.ok(done and not r["timed_out"], "the %s guest ran every test and powered off within %d s "
           "(took %.0f s)" % (k["release"], opt.timeout, r["secs"]),
           diag="%s\n%s" % (why, "\n".join(l.split("\r")[-1] for l in open(
               log, errors="replace").read().splitlines()[-30:])))
    k["status"] = "ran"


def kill_session(sid):
    """SIGKILL every process of session sid (the tests lead process groups of their own)."""
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def run_host(tap, k, tests, opt):
    kdir = os.path.join(opt.build, "kernels", "host-" + k["release"])
    out = os.path.join(kdir, "out")
    os.makedirs(kdir, exist_ok=True)
    write_job(out, opt.tree, opt.build, tests)
    log = os.path.join(kdir, "console.log")
    t0 = time.monotonic()
    timed_out = False
    with open(log, "w") as f:
        proc = subprocess.Popen(["/bin/bash", os.path.join(HERE, "run-suite.sh"), out],
                                stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(opt.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            kill_session(proc.pid)
            proc.wait()
    secs = time.monotonic() - t0
    k.update(accel=None, boot_s=None, total_s=round(secs, 1), log=log, status="ran")
    tap.note("%s: the host's kernel, same tests, same runner (log %s)" % (k["release"], log))
    why = ("did not finish within %d s: killed" % opt.timeout) if timed_out else \
        "the run ended before this test finished (log: %s)" % log
    done = report_tests(tap, k, tests, out, why)
    tap.ok(done and not timed_out, "the host run (%s) ran every test within %d s (took %.0f s)"
           % (k["release"], opt.timeout, secs), diag=why)


def compare_verdicts(tap, kernels, opt):
    """kernel_accept's verdicts, without times and pids, must be the same on every kernel."""
    have = []
    for k in kernels:
        if k.get("status") != "ran":
            continue
        sub = "host-" + k["release"] if k["kind"] == "host" else k["release"]
        p = os.path.join(opt.build, "kernels", sub, "out", "verdicts.txt")
        if os.path.exists(p):
            have.append((k["release"], open(p).read()))
    for rel, text in have[1:]:
        base_rel, base = have[0]
        tap.ok(text == base, "cloexec-trace's verdicts on the acceptance command are the same on "
               "%s as on %s" % (rel, base_rel),
               diag="%s:\n%s\n%s:\n%s" % (base_rel, base, rel, text))


def write_results(path, kernels, opt, started):
    # the host block every results file carries (results/FORMATS.md), as the matrix writes it
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(ROOT, "fixtures"))
    from run_matrix import host_info  # noqa: E402
    doc = {"schema": "cloexec-kernels/1", "host": host_info(),
           "seconds": round(time.time() - started, 1), "timeout_s": opt.timeout, "kernels": []}
    for k in kernels:
        doc["kernels"].append({key: k.get(key) for key in (
            "spec", "kind", "package", "version", "release", "accel", "status", "reason",
            "boot_s", "total_s", "log", "tests")})
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 1)[1])
    env = os.environ.get
    ap.add_argument("--build", default=env("CLOEXEC_LAB_BUILD") or os.path.join(ROOT, "build"))
    ap.add_argument("--kernels", default=env("KERNELS") or DEFAULT_KERNELS)
    ap.add_argument("--accel", default=env("GUEST_ACCEL") or "auto", choices=["auto", "kvm", "tcg"])
    ap.add_argument("--timeout", type=int, default=int(env("GUEST_TIMEOUT") or 1500))
    ap.add_argument("--mem", type=int, default=int(env("GUEST_MEM") or 2048))
    ap.add_argument("--cpus", type=int, default=int(env("GUEST_CPUS") or min(os.cpu_count(), 4)))
    ap.add_argument("--tests", default=env("GUEST_TESTS") or "")
    ap.add_argument("--results", default=os.path.join(ROOT, "results", "kernels.json"))
    opt = ap.parse_args()
    # a SIGTERM (prove's or make's) unwinds, so the finally blocks kill the guest
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    opt.build = os.path.abspath(opt.build)
    opt.tree = ROOT
    started = time.time()
    tap = Tap()

    for p in (opt.tree, opt.build):
        if re.search(r"[\s,]", p):
            tap.ok(True, "kernel tests", skip="the path %s holds a space or comma" % p)
            return tap.done()
    accept = os.path.join(HERE, "kernel_accept.sh")
    built = sorted(p for p in glob.glob(os.path.join(opt.build, "t", "*"))
                   if os.path.isfile(p) and os.access(p, os.X_OK) and not p.endswith(".d"))
    if opt.tests:
        want = [w for w in re.split(r"[\s,]+", opt.tests.strip()) if w]
        tests = [t for t in built + [accept] if test_name(t) in want]
        unknown = sorted(set(want) - {test_name(t) for t in tests})
        if unknown:
            tap.ok(False, "GUEST_TESTS names built tests", diag="not in %s/t: %s" % (
                opt.build, " ".join(unknown)))
            return tap.done()
    else:
        tests = [p for p in built if any(fnmatch.fnmatch(os.path.basename(p), g)
                                         for g in TEST_GLOBS)] + [accept]
        if len(tests) < 2:
            tap.ok(False, "the tracer tests are built in %s/t (run make)" % opt.build)
            return tap.done()
    specs = [s for s in re.split(r"[\s,]+", opt.kernels.strip()) if s]
    guest_tools = [t for t in ("qemu-system-x86_64", "cpio", "modprobe", "depmod", "dpkg-deb",
                               "apt-get") if not tool(t)]
    kernels = []
    accel_cache = {}
    for spec in specs:
        k = {"spec": spec, "kind": "host" if spec == "host" else "guest", "release": None}
        try:
            if spec != "host" and os.geteuid() != 0:
                raise Skip("needs root (to boot a guest with the host's tree and load BPF)")
            if spec != "host" and guest_tools:
                raise Skip("missing %s (make deps)" % ", ".join(guest_tools))
            k = resolve(spec, opt.build)
        except Skip as e:
            skip_kernel(tap, k, tests, str(e))
            kernels.append(k)
            continue
        except ValueError as e:
            tap.ok(False, "kernel %s is known" % spec, diag=str(e))
            continue
        kernels.append(k)
        if k["kind"] == "host":
            run_host(tap, k, tests, opt)
        else:
            run_guest(tap, k, tests, opt, accel_cache)
    compare_verdicts(tap, kernels, opt)
    try:
        write_results(opt.results, kernels, opt, started)
        tap.note("results: %s (%.0f s in all)" % (os.path.relpath(opt.results),
                                                  time.time() - started))
    except OSError as e:
        tap.ok(False, "write %s" % opt.results, diag=str(e))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
