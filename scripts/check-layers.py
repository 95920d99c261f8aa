#!/usr/bin/env python3
"""Check that the crate's files import each other one way only, and that no file is too long.

Usage: scripts/check-layers.py [--src DIR] [--max-lines N]

Builds a graph with one node per file under src/ and an edge A -> B when A names an item that
lives in B: `use crate::...`, `crate::...` paths in code (and `$crate::`, and `with =
"crate::..."` serde attributes), `super::...` and `self::...` paths, and paths through a child
module the file declares (`mod gram;` ... `gram::fit`). A path is resolved to the file of the
longest module prefix it names; an item that module only re-exports (`pub use x::Item`) is
followed to where it is defined, so `crate::Error` is an edge to error.rs, not to lib.rs.
Declaring a module (`mod x;`) is not an edge. Test code counts like any other code.

Prints every cycle (each strongly connected set of files, with one closed path through it) and
every file over --max-lines lines (800 unless told), then exits 1 if it found any; exits 0 with a
one-line summary on stderr otherwise.
"""

import argparse
import os
import re
import sys
from collections import defaultdict

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_code(text):
    """The text with comments blanked and string/char literals emptied (newlines kept).

    The paths inside `with = "crate::..."` attribute strings are returned separately because
    they are real dependencies written as strings."""
    attr_paths = [(m.start(), m.group(1)) for m in re.finditer(r'(?:with|try_from|from|into)\s*=\s*"((?:\$?crate|super|self)::[^"]*)"', text)]
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif re.match(r'b?r#*"', text[i:i + 40]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(b?r)(#*)"', text[i:])
            end = text.find('"' + m.group(2), i + m.end())
            end = n if end < 0 else end + 1 + len(m.group(2))
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j + 1]))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'\n])'", text[i:])
            if m:
                out.append("' '" + " " * (m.end() - 3))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out), attr_paths


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = {}  # module path (tuple) -> file (relative to src)
        self.children = defaultdict(set)  # module path -> child module names (files and inline)
        self.inline = {}  # inline module path -> file it lives in
        self.reexports = {}  # module path -> {name: absolute path tuple}
        self.texts = {}
        self._walk()

    def _walk(self):
        for root, _, names in os.walk(self.src):
            for name in names:
                if not name.endswith(".rs"):
                    continue
                rel = os.path.relpath(os.path.join(root, name), self.src)
                parts = rel[:-3].split(os.sep)
                if parts in (["lib"], ["main"]):
                    if parts == ["main"]:
                        continue  # the binary is a separate crate that uses the library by name
                    mod = ()
                elif parts[-1] == "mod":
                    mod = tuple(parts[:-1])
                else:
                    mod = tuple(parts)
                self.files[mod] = rel
        for mod, rel in self.files.items():
            if mod:
                self.children[mod[:-1]].add(mod[-1])
            with open(os.path.join(self.src, rel), encoding="utf-8") as f:
                self.texts[rel] = strip_code(f.read())

    def module_of_offset(self, mod, code):
        """Map each inline `mod x { ... }` in a file to its byte range; returns a function from
        offset to the module path at that offset."""
        ranges = []
        for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", code):
            depth, j = 1, m.end()
            while j < len(code) and depth:
                depth += {"{": 1, "}": -1}.get(code[j], 0)
                j += 1
            ranges.append((m.start(), j, m.group(1)))
        for start, _, name in ranges:
            path = mod + tuple(r[2] for r in ranges if r[0] < start < r[1]) + (name,)
            self.children[path[:-1]].add(name)
            self.inline[path] = self.files[mod]

        def at(offset):
            inner = [r for r in ranges if r[0] <= offset < r[1]]
            inner.sort()
            return mod + tuple(r[2] for r in inner)

        return at


def use_trees(code):
    """Every `use` declaration: (offset, is_pub, list of expanded paths as segment lists)."""
    for m in re.finditer(r"\b(pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]*);", code):
        body = re.sub(r"\s+", "", re.sub(r"\s+as\s+" + IDENT, "", m.group(2)))
        yield m.start(), bool(m.group(1)), expand(body)


def expand(tree):
    """`a::{b, c::{d, self}}` -> [[a,b], [a,c,d], [a,c]]; `as` renames dropped."""
    brace = tree.find("{")
    if brace < 0:
        return [[s for s in tree.split("::") if s]]
    prefix = [s for s in tree[:brace].split("::") if s]
    inner = tree[brace + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if not p:
            continue
        for sub in expand(p):
            out.append(prefix if sub == ["self"] else prefix + sub)
    return out


def absolute(crate, here, segs):
    """Resolve the leading `crate`/`super`/`self`/child segment of a path relative to module
    `here`; returns an absolute segment list or None when the path is outside the crate."""
    if not segs:
        return None
    first = segs[0].lstrip("$")
    if first == "crate":
        return list(segs[1:])
    if first in ("super", "self"):
        base = list(here)
        rest = list(segs)
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                if not base:
                    return None
                base.pop()
            rest.pop(0)
        return base + rest
    if first in crate.children.get(tuple(here), ()):
        return list(here) + list(segs)
    return None


def target_file(crate, segs, seen=None):
    """The file that defines the item an absolute path names, following re-exports."""
    seen = seen or set()
    key = tuple(segs)
    if key in seen:
        return None
    seen.add(key)
    mod = ()
    i = 0
    while i < len(segs) and (mod + (segs[i],) in crate.files or mod + (segs[i],) in crate.inline):
        mod += (segs[i],)
        i += 1
    file = crate.files.get(mod) or crate.inline.get(mod)
    if i < len(segs):
        re_path = crate.reexports.get(mod, {}).get(segs[i])
        if re_path is not None:
            return target_file(crate, re_path + list(segs[i + 1:]), seen) or file
    return file


def build_graph(crate):
    edges = defaultdict(dict)  # file -> {file: first line that names it}
    paths_per_file = {}
    for mod, rel in crate.files.items():
        code, attr_paths = crate.texts[rel]
        at = crate.module_of_offset(mod, code)
        found = []
        use_spans = []
        for off, is_pub, trees in use_trees(code):
            use_spans.append((off, code.find(";", off)))
            here = at(off)
            for segs in trees:
                a = absolute(crate, here, segs)
                if a is None:
                    continue
                found.append((off, a))
                if is_pub and segs[-1] != "*":
                    crate.reexports.setdefault(tuple(here), {})[segs[-1]] = a
        for m in re.finditer(r"(?<![A-Za-z0-9_:])(\$?crate|super|self|" + IDENT + r")((?:::" + IDENT + r")+)", code):
            if any(s <= m.start() < e for s, e in use_spans):
                continue
            if re.search(r"pub\s*\(\s*in\s+$", code[max(0, m.start() - 12):m.start()]):
                continue  # `pub(in crate::x)` is a visibility, not a use
            segs = [m.group(1)] + m.group(2).split("::")[1:]
            a = absolute(crate, at(m.start()), segs)
            if a is not None:
                found.append((m.start(), a))
        for off, p in attr_paths:
            a = absolute(crate, at(off), p.split("::"))
            if a is not None:
                found.append((off, a))
        paths_per_file[rel] = found
    for rel, found in paths_per_file.items():
        code = crate.texts[rel][0]
        for off, a in found:
            t = target_file(crate, a)
            if t and t != rel and t not in edges[rel]:
                edges[rel][t] = (code.count("\n", 0, off) + 1, "::".join(a))
    return edges


def sccs(nodes, edges):
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def cycle_through(comp, edges):
    """A closed path from the component's first file back to itself, by breadth-first search."""
    inside = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges.get(v, {})):
            if w not in inside:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return [start]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    ap.add_argument("--max-lines", type=int, default=800)
    ap.add_argument("--edges", action="store_true", help="also list every import inside each cycle")
    args = ap.parse_args()
    crate = Crate(os.path.normpath(args.src))
    edges = build_graph(crate)
    nodes = set(crate.files.values())
    failed = False
    cycles = [c for c in sccs(nodes, edges) if len(c) > 1]
    for comp in cycles:
        failed = True
        print(f"cycle among {len(comp)} files: {' '.join(comp)}")
        path = cycle_through(comp, edges)
        for a, b in zip(path, path[1:]):
            line, name = edges[a][b]
            print(f"  src/{a}:{line} names {name} (src/{b})")
        if args.edges:
            print("  imports inside it:")
            for a in comp:
                for b, (line, name) in sorted(edges[a].items()):
                    if b in comp:
                        print(f"    src/{a}:{line} -> src/{b} ({name})")
    for rel in sorted(nodes):
        with open(os.path.join(crate.src, rel), encoding="utf-8") as f:
            lines = sum(1 for _ in f)
        if lines > args.max_lines:
            failed = True
            print(f"src/{rel}: {lines} lines, over the {args.max_lines}-line limit")
    n_edges = sum(len(v) for v in edges.values())
    print(f"check-layers: {len(nodes)} files, {n_edges} imports, {len(cycles)} cycle(s)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
