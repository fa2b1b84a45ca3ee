#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""include-graph.py - the include graph of some directories of C sources, and its cycles.

A unit is a source and its header of the same name in the same directory (ct_out.c and
ct_out.h; x.bpf.c is the unit x.bpf), or a header alone. Unit A -> unit B when a file of A
has #include "..." of a file of B. A quoted include is resolved as the compiler does: first
beside the including file, then along the include paths (-I DIR; by default every -IDIR that
the Makefile and the module.mk files name). Includes that resolve to no file of the tree
(system headers, generated ones: vmlinux.h, *.skel.h, lab_version.h) are no edges; edges to
files outside the directories checked are followed as far as those files are under them.

With --objects BUILD the calls are edges too: A -> B when an object built from a file of A
(found through the .d files that -MMD writes beside the objects: "x.o: its/source.c ...";
an object older than its source is not read) needs a symbol (nm: U) that exactly one object of B defines. A header with the functions of
several files hides a circle of calls from the includes; the objects show it.

Every cycle is printed as a path of units, with the include lines (and the names used) that
make each step; one cycle for each edge that lies on one (the shortest way back), so every
edge of a circle is named. Exit 0: no cycle; 1: a cycle (each on stdout); 2: usage (a
directory that is not there).

  scripts/include-graph.py bench harness          what `make lint` checks
  scripts/include-graph.py --edges bench          also every edge, "A -> B", one a line
  scripts/include-graph.py --objects build bench  includes and calls
  scripts/include-graph.py --root /tmp/t -I inc a b
"""
import argparse
import collections
import os
import re
import subprocess
import sys

SRC_EXT = (".c", ".cc")
HDR_EXT = (".h",)
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def makefile_include_dirs(root):
    """Every literal -IDIR of the Makefile and the module.mk files that is a directory."""
    dirs = []
    names = [os.path.join(root, "Makefile")]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "build"]
        names += [os.path.join(dirpath, f) for f in filenames if f == "module.mk"]
    for name in sorted(names):
        try:
            text = open(name, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        for d in re.findall(r"(?<![\w$])-I([\w./-]+)", text):
            if os.path.isdir(os.path.join(root, d)) and d not in dirs:
                dirs.append(d)
    return dirs


def unit_of(path):
    """The unit a file belongs to: its path without the extension."""
    return os.path.splitext(path)[0]


def scan(root, dirs):
    """The sources and headers under dirs, as paths relative to root."""
    files = []
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames[:] = sorted(x for x in dirnames if not x.startswith("."))
            for f in sorted(filenames):
                if f.endswith(SRC_EXT + HDR_EXT):
                    files.append(os.path.relpath(os.path.join(dirpath, f), root))
    return files


def resolve(root, including, name, inc_dirs):
    """The path (relative to root) that #include "name" in file including opens, or None."""
    for d in [os.path.dirname(including)] + inc_dirs:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(root, p)):
            return p
    return None


def build_graph(root, files, inc_dirs):
    """edges[A][B] = [(file, line, text), ...]: the includes that make unit A -> unit B."""
    inside = set(files)
    edges = collections.defaultdict(dict)
    units = {}
    for f in files:
        units.setdefault(unit_of(f), []).append(f)
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                target = resolve(root, f, m.group(1), inc_dirs)
                if target is None or target not in inside:
                    continue
                a, b = unit_of(f), unit_of(target)
                if a != b:
                    edges[a].setdefault(b, []).append((f, n, line.strip()))
    return units, edges


def objects_of(root, build, files):
    """{source path: object path} from the .d files under build (nested build trees aside)."""
    wanted = set(files)
    found = {}
    top = os.path.join(root, build)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not
                             os.path.exists(os.path.join(dirpath, d, ".build-root")))
        for f in sorted(filenames):
            if not f.endswith(".d"):
                continue
            try:
                text = open(os.path.join(dirpath, f), encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            m = re.match(r"\s*(\S+\.o)\s*:\s*(\S+)", text.replace("\\\n", " "))
            if not m:
                continue
            obj, src = os.path.join(root, m.group(1)), os.path.normpath(m.group(2))
            if src not in wanted or src in found or not os.path.isfile(obj):
                continue
            # an object older than its source says what the source said before: not read
            if os.path.getmtime(obj) >= os.path.getmtime(os.path.join(root, src)):
                found[src] = obj
    return found


def symbols(obj):
    """(defined, undefined) global symbols of an object (nm -P)."""
    out = subprocess.run(["nm", "-P", obj], capture_output=True, text=True, check=False).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        if parts[1] == "U":
            undefined.add(parts[0])
        elif parts[1] in "TDBRCGSVW" and len(parts[1]) == 1:
            defined.add(parts[0])
    return defined, undefined


def add_calls(objs, edges):
    """Adds unit A -> B for each symbol A's object needs that only B's object defines."""
    defined_by = collections.defaultdict(set)
    needs = {}
    for src, obj in objs.items():
        d, u = symbols(obj)
        needs[src] = u
        for name in d:
            defined_by[name].add(unit_of(src))
    for src, names in sorted(needs.items()):
        a = unit_of(src)
        used = collections.defaultdict(list)
        for name in sorted(names):
            owners = defined_by.get(name, set())
            if len(owners) == 1 and a not in owners:
                used[next(iter(owners))].append(name)
        for b, names_b in used.items():
            edges[a].setdefault(b, []).append((src, 0, "uses " + ", ".join(names_b)))


def sccs(nodes, edges):
    """Tarjan's strongly connected components (iterative), each a sorted list."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, {})))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def shortest_path(edges, src, dst, allowed):
    """The shortest path src -> ... -> dst through allowed units, as a list, or None."""
    prev = {src: None}
    queue = collections.deque([src])
    while queue:
        v = queue.popleft()
        if v == dst:
            path = []
            while v is not None:
                path.append(v)
                v = prev[v]
            return path[::-1]
        for w in sorted(edges.get(v, {})):
            if w in allowed and w not in prev:
                prev[w] = v
                queue.append(w)
    return None


def cycles(edges, comps):
    """One cycle per edge inside a component (u -> v, then the shortest way back to u)."""
    found = []
    seen = set()
    for comp in comps:
        if len(comp) < 2:
            continue
        allowed = set(comp)
        for u in comp:
            for v in sorted(edges.get(u, {})):
                if v not in allowed:
                    continue
                back = shortest_path(edges, v, u, allowed)
                cyc = [u] + back  # u -> v ... -> u
                ring = cyc[:-1]
                i = ring.index(min(ring))
                key = tuple(ring[i:] + ring[:i])
                if key not in seen:
                    seen.add(key)
                    found.append(list(key) + [key[0]])
    return sorted(found)


def label(unit, units):
    """A unit by its files: bench/bench.c+h, bench/families.h, bench/main.c."""
    files = units[unit]
    exts = sorted(os.path.splitext(f)[1] for f in files)
    if len(exts) == 1:
        return files[0]
    return unit + exts[0] + "+" + "+".join(e.lstrip(".") for e in exts[1:])


def main():
    ap = argparse.ArgumentParser(
        description="The include graph of directories of C sources (a .c and its .h as one "
        "unit) and its cycles: exit 1 when there is one, each printed as a path.")
    ap.add_argument("dirs", nargs="+", metavar="DIR", help="directories, relative to --root")
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                    help="the tree (default: this repository)")
    ap.add_argument("-I", dest="inc", action="append", metavar="DIR",
                    help="an include path, relative to --root (default: the Makefile's)")
    ap.add_argument("--edges", action="store_true", help="also print every edge, A -> B")
    ap.add_argument("--objects", metavar="BUILD",
                    help="also the calls: the objects under BUILD (relative to --root)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    for d in a.dirs:
        if not os.path.isdir(os.path.join(root, d)):
            print("include-graph: failed to find directory %s under %s" % (d, root),
                  file=sys.stderr)
            return 2
    inc_dirs = a.inc if a.inc is not None else makefile_include_dirs(root)
    files = scan(root, a.dirs)
    units, edges = build_graph(root, files, inc_dirs)
    what = "includes"
    if a.objects is not None:
        objs = objects_of(root, a.objects, files)
        add_calls(objs, edges)
        sources = [f for f in files if f.endswith(SRC_EXT)]
        what = "includes and calls (%d of %d sources built)" % (len(objs), len(sources))
    n_edges = sum(len(v) for v in edges.values())
    if a.edges:
        for u in sorted(edges):
            for v in sorted(edges[u]):
                print("%s -> %s" % (label(u, units), label(v, units)))
    found = cycles(edges, sccs(units.keys(), edges))
    where = ", ".join(a.dirs) + ": " + what
    for cyc in found:
        print("include-graph: cycle: " + " -> ".join(label(u, units) for u in cyc))
        for u, v in zip(cyc, cyc[1:]):
            for f, n, text in edges[u][v]:
                print("  %s%s: %s" % (f, ":%d" % n if n else "", text))
    if found:
        print("include-graph: %s: %d cycle(s) among %d units (%d edges): each unit may use "
              "only the units below it" % (where, len(found), len(units), n_edges))
        return 1
    print("include-graph: %s: %d units, %d edges, no cycle" % (where, len(units), n_edges))
    return 0


if __name__ == "__main__":
    sys.exit(main())
