#!/usr/bin/env python3
"""Checks the import graph of the Rust crates: no import loops between files, and no import from a
lower layer to a higher one.

    python3 scripts/import_graph.py          # exit 0 when the house is in order
    python3 scripts/import_graph.py --show   # also print every file's imports

An import is a `crate::…` or `super::…` path in a file's code (tests excluded), resolved to the
file of the deepest module it names. A module's own submodules are not counted (a `mod.rs` that
declares and re-exports its children is not an import of them). LAYERS below is the stated
architecture (README, "Architecture"): a module may import its own layer or any lower one.

In the crates listed in PRIVATE_FILES, only the crate root may declare `pub mod`: below it every
file is private (`mod` or `pub(crate) mod`) and its area's `mod.rs` re-exports by name what the
binary, the bench and the tests use, so the compiler reports whatever nothing uses.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# crate source dir -> {top-level module: layer}; higher numbers sit higher. Modules not listed
# are not layer-checked (loops are still checked).
LAYERS = {
    "server/src": {
        "main": 6,
        "cli": 5, "gateway": 5,
        "context": 4,
        "invoices": 3, "tracker": 3, "webhooks": 3, "liquidity": 3, "node": 3, "auth": 3, "counter": 3,
        "lnd": 2, "rates": 2, "store": 2, "mail": 2, "printer": 2,
        "config": 1, "fatturapa": 1, "render": 1, "money": 1, "breaker": 1, "time": 1,
    },
    "app/src": {
        "router": 5,
        "pages": 4,
        "components": 3, "live": 3,
        "api": 2, "auth": 2, "backend": 2, "admin": 2, "i18n": 2, "format": 2, "qr": 2,
        "model": 1, "error": 1,
    },
    "simnode/src": {},
    "bench/src": {},
    "xtask/src": {},
}

# crates whose files below the root are private (see the module doc)
PRIVATE_FILES = ["server/src", "simnode/src"]

PUB_MOD_RE = re.compile(r"^\s*pub\s+mod\s+(\w+)\s*;", re.MULTILINE)

PATH_RE = re.compile(r"\b(crate|super)::")


def module_files(src_dir):
    """{module path ('' for the crate root): source text} of every .rs file under src_dir."""
    files = {}
    for folder, _, names in os.walk(src_dir):
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src_dir)[:-3]
            parts = rel.split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts in (["lib"], ["main"]) and len(parts) == 1:
                parts = [] if parts == ["lib"] else ["main"]
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                files["::".join(parts)] = f.read()
    return files


def without_tests(text):
    """The code before a `#[cfg(test)] mod …` block (tests may import anything)."""
    return re.split(r"#\[cfg\(test\)\]\s*(?:pub\s+)?mod\s+\w+", text)[0]


def without_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] if not line.lstrip().startswith("//") else "" for line in text.split("\n"))


def expand(text, i):
    """Paths written at text[i:] (after `crate::`/`super::`): 'a::b', or a `{…}` group expanded."""
    m = re.match(r"((?:\w+::)*)(\w+|\{)", text[i:])
    if not m:
        return []
    prefix = m.group(1)
    if m.group(2) != "{":
        return [prefix + m.group(2)]
    # a group: split its top level on commas, expand each member
    start = i + m.end()
    depth, j, members, cur = 1, start, [], start
    while j < len(text) and depth:
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                members.append((cur, j))
        elif text[j] == "," and depth == 1:
            members.append((cur, j))
            cur = j + 1
        j += 1
    out = []
    for a, b in members:
        member = text[a:b].strip()
        if not member:
            continue
        k = text.index(member, a)
        for path in expand(text, k) if re.match(r"\w", member) or member.startswith("{") else []:
            out.append(prefix + path)
    return out or [prefix.rstrip(":")]


def imports_of(module, text, modules):
    """Modules (files) that `module`'s code imports."""
    code = without_comments(without_tests(text))
    found = set()
    for hit in PATH_RE.finditer(code):
        base = [] if hit.group(1) == "crate" else module.split("::")[:-1] if module else []
        if hit.group(1) == "super" and module in modules and is_mod_rs(module):
            base = module.split("::")[:-1]
        for path in expand(code, hit.end()):
            parts = base + [p for p in path.split("::") if p and p != "self"]
            while parts and "::".join(parts) not in modules:
                parts = parts[:-1]
            target = "::".join(parts)
            if target == module or target.startswith(module + "::") and module:
                continue  # itself or its own submodules
            if target == "" :
                continue  # the crate root's re-exports
            found.add(target)
    return found


MOD_RS = set()


def is_mod_rs(module):
    return module in MOD_RS


def loops(edges):
    """Strongly connected groups of more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def main():
    show = "--show" in sys.argv
    problems = []
    for src, layers in LAYERS.items():
        src_dir = os.path.join(ROOT, src)
        if not os.path.isdir(src_dir):
            continue
        files = module_files(src_dir)
        MOD_RS.clear()
        for folder, _, names in os.walk(src_dir):
            if "mod.rs" in names:
                MOD_RS.add("::".join(os.path.relpath(folder, src_dir).split(os.sep)))
        edges = {m: imports_of(m, t, files) for m, t in files.items()}
        if show:
            for m in sorted(edges):
                print(f"{src}: {m or '(root)'} -> {', '.join(sorted(edges[m])) or '-'}")
        for group in loops(edges):
            problems.append(f"{src}: import loop between files: {' -> '.join(group)}")
        for m, targets in edges.items():
            top = m.split("::")[0]
            for t in targets:
                t_top = t.split("::")[0]
                if top in layers and t_top in layers and layers[t_top] > layers[top]:
                    problems.append(
                        f"{src}: {m} (layer {layers[top]}) imports {t} from a higher layer ({layers[t_top]})"
                    )
    for src in PRIVATE_FILES:
        src_dir = os.path.join(ROOT, src)
        for module, text in module_files(src_dir).items():
            if module == "":
                continue
            for name in PUB_MOD_RE.findall(without_comments(without_tests(text))):
                problems.append(f"{src}: {module} declares `pub mod {name}`: make it private and re-export what is used")
    for p in problems:
        print(p)
    print(f"import graph: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
