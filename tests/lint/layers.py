#!/usr/bin/env python3
"""Checks the source tree's structure, which the compiler cannot:

- core/ is layered by folder; a file includes only its own folder or a
  lower layer (README.md, "Where things are");
- no include circle among the files of core/ or of any plugin;
- no source file over 1,000 lines;
- no decision on an error message's text (strstr on a .msg or msg field).

Prints one line per violation and exits 1 when there is any."""
import os
import re
import sys

LAYERS = {"base": 0, "store": 1, "dns": 2, "conf": 2, "host": 3, "acme": 4, "cli": 5}
MAX_LINES = 1000
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MSG_TEXT = re.compile(r'str(?:n?case)?str\s*\([^;]*\bmsg\b')


def sources(top):
    for root, _, files in os.walk(top):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(root, f)


def resolve(path, inc, root):
    """The file an include names: beside the includer, else under ROOT."""
    for base in (os.path.dirname(path), root):
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.exists(cand):
            return cand
    return None


def cycles(graph):
    """Every file that lies on an include circle, with one circle each."""
    found, state = [], {}

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [])
    return found


def main(repo):
    problems = []
    core = os.path.join(repo, "core")
    trees = [core] + [os.path.join(repo, "plugins", p)
                      for p in sorted(os.listdir(os.path.join(repo, "plugins")))]
    for top in trees + [os.path.join(repo, "sdk")]:
        for path in sources(top):
            rel = os.path.relpath(path, repo)
            text = open(path, encoding="utf-8", errors="replace").read()
            n = text.count("\n")
            if n > MAX_LINES:
                problems.append(f"{rel}: {n} lines, more than {MAX_LINES}")
            if MSG_TEXT.search(text):
                problems.append(f"{rel}: decides on an error message's text (strstr on msg)")
    for top in trees:
        graph = {}
        for path in sources(top):
            rel = os.path.relpath(path, repo)
            graph.setdefault(rel, set())
            for inc in INCLUDE.findall(open(path, encoding="utf-8", errors="replace").read()):
                target = resolve(path, inc, top)
                if not target:
                    continue
                trel = os.path.relpath(target, repo)
                if trel != rel:
                    graph[rel].add(trel)
                if top != core:
                    continue
                layer = rel.split(os.sep)[1]
                tlayer = trel.split(os.sep)[1]
                if layer not in LAYERS or tlayer not in LAYERS:
                    problems.append(f"{rel}: not in a layer folder of core/ ({inc})")
                elif tlayer != layer and LAYERS[tlayer] >= LAYERS[layer]:
                    problems.append(f"{rel}: includes {inc}, which is not below layer {layer}/")
        # Headers including each other in a circle (include guards hide it
        # from the compiler).
        headers = {n: {d for d in deps if d.endswith(".h")}
                   for n, deps in graph.items() if n.endswith(".h")}
        for c in cycles(headers):
            problems.append("include circle: " + " -> ".join(c))
        # Modules calling each other in a circle: module A (A.c with A.h)
        # uses module B when A's files include B.h and B has a B.c. A
        # header of types only calls nothing, so it is no link of such a
        # circle.
        implemented = {n[:-2] for n in graph if n.endswith(".c")}
        calls = {}
        for n, deps in graph.items():
            unit = n[:-2]
            calls.setdefault(unit, set()).update(
                d[:-2] for d in deps if d[:-2] != unit and d[:-2] in implemented)
        for c in cycles(calls):
            problems.append("call circle: " + " -> ".join(c))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
