#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
dist_ci - the ready-made CI jobs in contrib/ci: each YAML file parses (python3-yaml) and has
what it promises (GitHub Actions: a privileged bookworm container in the host's PID namespace,
the package built with make deb and installed, the suite run under cloexec-trace, the SARIF log
uploaded to code scanning and the JUnit report as an artifact, both also when the suite failed;
GitLab: the package built and installed in before_script, artifacts:reports:junit, artifacts
kept when the job failed). What can run outside those CI systems runs here: `make -n deb`, the
install line's file pattern against the name make deb gives the package, and the trace command
itself (GitHub's trace step with its shell, GitLab's script lines), with build/cloexec-trace on
PATH for the installed one and TEST_CMD set to three small suites: a clean one (exit 0, a
JUnit report without failure), one that leaks fd 7 (exit 1, the leak in the JUnit report and
the SARIF log) and one that fails (its status, 5). The reports validate against Jenkins' JUnit
schema and the SARIF 2.1.0 schema (fetched and pinned by scripts/junit-schema.sh and
scripts/sarif-schema.sh; those checks SKIP without them). One TAP stream; the runs SKIP without
BPF (not root, no BTF).
"""
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("CLOEXEC_LAB_BUILD", os.path.join(ROOT, "build"))
CI = os.path.join(ROOT, "contrib", "ci")

n_run = n_failed = 0


def ok(cond, name, got=None):
    global n_run, n_failed
    n_run += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_run, name), flush=True)
    if not cond:
        n_failed += 1
        print("#   Failed test '%s'\n#          got: %.1500s" % (name, got), file=sys.stderr)
    return cond


def skip(n, why):
    global n_run
    for _ in range(n):
        n_run += 1
        print("ok %d # SKIP %s" % (n_run, why), flush=True)


def run(cmd, timeout=600, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, close_fds=True, **kw)


def schema(script, name):
    """The schema's path, or None with the reason noted."""
    d = os.path.join(BUILD, "junit" if "junit" in script else "sarif")
    p = run(["bash", os.path.join(ROOT, "scripts", script), d], timeout=660)
    if p.returncode == 0:
        return os.path.join(d, name)
    if p.returncode != 4:
        print("Bail out! %s failed (exit %d): %s" % (script, p.returncode, p.stderr.strip()))
        sys.exit(255)
    print("# %s: not fetched, its checks SKIP: %s" % (name, p.stderr.strip()))
    return None


def bpf_usable():
    if os.geteuid() != 0:
        return "not root: the tracer cannot load BPF programs"
    if not os.access("/sys/kernel/btf/vmlinux", os.R_OK):
        return "no kernel BTF (/sys/kernel/btf/vmlinux)"
    if not os.access(os.path.join(BUILD, "cloexec-trace"), os.X_OK):
        return "no %s/cloexec-trace (run make)" % BUILD
    return None


# ---- the files --------------------------------------------------------------------------------

def load(name):
    import yaml
    try:
        with open(os.path.join(CI, name), encoding="utf-8") as f:
            d = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        ok(False, "%s parses as YAML" % name, e)
        return None
    ok(isinstance(d, dict), "%s parses as YAML (a mapping)" % name, type(d))
    return d if isinstance(d, dict) else None


def check_github(d):
    # YAML 1.1 reads the key "on" as true
    ok((d.get("on") or d.get(True)) is not None, "github: the workflow has triggers (on:)", d)
    perms = d.get("permissions") or {}
    ok(perms.get("security-events") == "write",
       "github: security-events: write (upload-sarif needs it)", perms)
    jobs = d.get("jobs") or {}
    ok(len(jobs) == 1, "github: one job", list(jobs))
    job = next(iter(jobs.values()), {}) if jobs else {}
    cont = job.get("container") or {}
    opts = cont.get("options", "")
    ok(str(cont.get("image", "")).startswith("debian:bookworm"),
       "github: the job runs in Debian bookworm (the package's distribution)", cont)
    ok("--privileged" in opts and "--pid=host" in opts,
       "github: privileged, in the host's PID namespace (--pid=host)", opts)
    steps = job.get("steps") or []
    by_id = {s.get("id"): s for s in steps if s.get("id")}
    ok("make -C cloexec-lab deb" in by_id.get("deb", {}).get("run", ""),
       "github: a step builds the package with make deb", by_id.get("deb"))
    ok("apt-get install" in by_id.get("install", {}).get("run", ""),
       "github: a step installs the .deb", by_id.get("install"))
    trace = by_id.get("trace", {}).get("run", "")
    ok(trace.startswith("cloexec-trace ") and "--junit" in trace and "--sarif" in trace
       and "-- $TEST_CMD" in trace, "github: the trace step runs the suite under cloexec-trace",
       trace)
    uses = {str(s.get("uses", "")).split("@")[0]: s for s in steps}
    sarif = uses.get("github/codeql-action/upload-sarif", {})
    art = uses.get("actions/upload-artifact", {})
    ok(sarif.get("if") == "always()" and "cloexec-trace.sarif" in
       (sarif.get("with") or {}).get("sarif_file", ""),
       "github: the SARIF log goes to code scanning, also after a failure", sarif)
    ok(art.get("if") == "always()" and "cloexec-trace-junit.xml" in
       (art.get("with") or {}).get("path", ""),
       "github: the JUnit report is uploaded, also after a failure", art)
    return by_id, job.get("steps"), d.get("env") or {}


def check_gitlab(d):
    job = d.get("cloexec-trace") or {}
    ok(bool(job.get("script")), "gitlab: the job cloexec-trace has a script", job)
    before = " ; ".join(job.get("before_script") or [])
    ok("deb" in before and "apt-get install" in before,
       "gitlab: before_script builds (make deb) and installs the package", before)
    art = job.get("artifacts") or {}
    ok((art.get("reports") or {}).get("junit") == "cloexec-trace-junit.xml",
       "gitlab: artifacts:reports:junit is the tracer's JUnit report", art)
    ok(art.get("when") == "always" and "cloexec-trace.sarif" in (art.get("paths") or []),
       "gitlab: the artifacts (SARIF log, trace) are kept when the job fails", art)
    return job


def check_deb_lines(lines):
    """`make -n deb` works and the install lines' pattern matches what make deb names."""
    p = run(["make", "-n", "-C", ROOT, "deb"], timeout=120)
    ok(p.returncode == 0, "make -n deb: the target the jobs run exists", p.stderr)
    ver = run([os.path.join(BUILD, "cloexec-trace"), "--version"]).stdout.split()
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    deb = "cloexec-lab_%s_%s.deb" % (ver[-1] if ver else "?", arch)
    for name, line in lines:
        pat = re.search(r"(\S*/build/deb/)(cloexec-lab_\S*\.deb)",
                        line.replace("$(dpkg --print-architecture)", arch))
        ok(pat and fnmatch.fnmatch(deb, pat.group(2)),
           "%s: the install line names build/deb/%s" % (name, deb), line)


# ---- running the trace commands here ----------------------------------------------------------

SUITES = [
    # name, the suite's script, the status the job ends with, whether a leak is reported
    ("a clean suite", "#!/bin/sh\n/bin/true\n", 0, False),
    ("a suite that leaks fd 7", "#!/bin/sh\nexec 7</etc/passwd\n/bin/true\n", 1, True),
    ("a failing suite", "#!/bin/sh\n/bin/true\nexit 5\n", 5, False),
]


def validate(junit, sarif, xsd, sjson, what):
    if xsd:
        p = run(["xmllint", "--noout", "--schema", xsd, junit], timeout=60)
        ok(p.returncode == 0, "%s: the JUnit report validates (Jenkins' schema)" % what,
           p.stderr)
    else:
        skip(1, "no JUnit schema")
    if sjson:
        p = run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "sarif-validate.py"), sjson,
                 sarif], timeout=120)
        ok(p.returncode == 0, "%s: the SARIF log validates (SARIF 2.1.0)" % what,
           p.stdout + p.stderr)
    else:
        skip(1, "no SARIF schema")


def run_job(ci, commands, env, xsd, sjson):
    """Run the job's trace commands (a list of (shell argv, working dir)) for each suite."""
    for name, script, want, leaks in SUITES:
        tmp = tempfile.mkdtemp(prefix="cloexec-dist-ci.")
        try:
            project = os.path.join(tmp, "project")
            os.makedirs(project)
            bindir = os.path.join(tmp, "bin")
            os.makedirs(bindir)
            # the installed tracer (the package puts it in sbin): this build's
            os.symlink(os.path.join(BUILD, "cloexec-trace"), os.path.join(bindir, "cloexec-trace"))
            with open(os.path.join(project, "suite.sh"), "w") as f:
                f.write(script)
            os.chmod(os.path.join(project, "suite.sh"), 0o755)
            e = dict(os.environ)
            e.update({k: str(v) for k, v in env.items()})
            e.update(PATH=bindir + ":" + e.get("PATH", "/usr/bin:/bin"), TEST_CMD="./suite.sh",
                     CI="true")
            rc = None
            for argv, wd in commands:
                p = subprocess.run(argv, cwd=os.path.join(project, wd) if wd else project,
                                   env=e, stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, timeout=120, close_fds=True)
                rc = p.returncode
                if rc:
                    break
            what = "%s, %s" % (ci, name)
            ok(rc == want, "%s: the job's trace command exits %d" % (what, want),
               "exit %s: %s" % (rc, p.stderr))
            junit = os.path.join(project, "cloexec-trace-junit.xml")
            sarif = os.path.join(project, "cloexec-trace.sarif")
            have = os.path.exists(junit) and os.path.exists(sarif)
            ok(have and os.path.exists(os.path.join(project, "cloexec-trace.jsonl")),
               "%s: it wrote the files the job uploads" % what, os.listdir(project))
            if not have:
                skip(3, "no reports")
                continue
            validate(junit, sarif, xsd, sjson, what)
            with open(junit, encoding="utf-8") as f:
                xml = f.read()
            if leaks:
                ok('<failure type="leaked" message="fd 7 (file /etc/passwd)' in xml,
                   "%s: the JUnit report fails on the leak of fd 7" % what, xml[-1500:])
            elif want:
                ok('<failure type="command" message="the command exited with status 5"' in xml,
                   "%s: the JUnit report fails on the suite's own status" % what, xml[-1500:])
            else:
                ok("<failure" not in xml and "<error" not in xml,
                   "%s: the JUnit report has no failure" % what, xml[-1500:])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    os.closerange(3, 1 << 16)  # no inherited fds leak into what we trace
    try:
        import yaml  # noqa: F401
    except ImportError:
        print("1..0 # SKIP python3-yaml is missing (apt-get install python3-yaml, or make deps)")
        return 0
    gh = load("github-actions.yml")
    gl = load("gitlab-ci.yml")
    by_id, _, gh_env = check_github(gh) if gh else ({}, None, {})
    gl_job = check_gitlab(gl) if gl else {}
    lines = [("github", by_id.get("install", {}).get("run", ""))]
    lines += [("gitlab", l) for l in gl_job.get("before_script") or [] if ".deb" in l]
    check_deb_lines(lines)
    why = bpf_usable()
    if why:
        skip(2 * len(SUITES) * 5, why)
    else:
        xsd = schema("junit-schema.sh", "jenkins-junit.xsd")
        sjson = schema("sarif-schema.sh", "sarif-2.1.0.json")
        # GitHub runs a step's script as `bash --noprofile --norc -eo pipefail FILE`
        step = by_id.get("trace", {})
        run_job("github", [(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                             step.get("run", "false")], None)], gh_env, xsd, sjson)
        # GitLab runs the script lines in one shell, stopping at the first failure
        gl_vars = {k: v for k, v in (gl_job.get("variables") or {}).items()}
        script = "set -e\n" + "\n".join(gl_job.get("script") or ["false"])
        run_job("gitlab", [(["bash", "-c", script], None)], gl_vars, xsd, sjson)
    print("1..%d" % n_run)
    return min(n_failed, 254)


if __name__ == "__main__":
    sys.exit(main())
