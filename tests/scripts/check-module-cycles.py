#!/usr/bin/env python3
"""Fails when two modules of one crate import each other, directly or through a chain.

Every `.rs` file under a crate's `src/` is a module (`lib.rs`/`main.rs` the root, `a/mod.rs` and
`a.rs` the module `a`). A module depends on another when it names it through `crate::`,
`super::` or `self::` (in `use` trees and in paths in code; inline `#[cfg(test)]` code is left
out). A module and its own ancestors or descendants are one family, not a dependency: a parent
declares its children and may re-export them. Any strongly connected group of two or more
modules is a cycle, printed with the references that close it.

Usage: check-module-cycles.py [CRATE_DIR ...]   (default: every workspace member with a src/)
"""

import re
import sys
from pathlib import Path

PATH_IN_CODE = re.compile(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+")
USE_STATEMENT = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);", re.S)


def module_path(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def strip_comments_and_tests(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    # Inline test modules go last by convention: drop everything from the attribute on.
    match = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod\s+\w+\s*\{", text, flags=re.M)
    return text[: match.start()] if match else text


def expand_use_tree(tree: str) -> list:
    """`crate::a::{b, c::{d, self}}` -> [crate::a::b, crate::a::c::d, crate::a::c]."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix: str, text: str):
        depth, start, items = 0, 0, []
        for i, ch in enumerate(text):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(text[start:i])
                start = i + 1
        items.append(text[start:])
        for item in filter(None, items):
            brace = item.find("{")
            if brace >= 0 and item.endswith("}"):
                head = item[:brace].rstrip(":")
                walk(prefix + head + "::" if head else prefix, item[brace + 1 : -1])
            else:
                item = re.sub(r"\bas\b\w+$", "", item)
                item = re.sub(r"::self$", "", item)
                out.append((prefix + item).rstrip(":") if item != "self" else prefix.rstrip(":"))

    walk("", tree)
    return out


def resolve(here: tuple, path: str) -> tuple:
    segments = path.split("::")
    if segments[0] == "crate":
        base, rest = [], segments[1:]
    else:
        base, rest = list(here), segments
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    return tuple(base + [s for s in rest if s not in ("*",)])


def deepest_module(modules: set, path: tuple) -> tuple:
    for n in range(len(path), -1, -1):
        if path[:n] in modules:
            return path[:n]
    return ()


def related(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def crate_cycles(root: Path, name: Path) -> list:
    crate = root / name
    src = crate / "src"
    files = sorted(src.rglob("*.rs"))
    modules = {module_path(src, f): f for f in files}
    edges = {}
    for module, file in modules.items():
        text = strip_comments_and_tests(file.read_text(encoding="utf-8"))
        paths = [p for tree in USE_STATEMENT.findall(text) for p in expand_use_tree(tree)]
        code = USE_STATEMENT.sub("", text)
        paths += PATH_IN_CODE.findall(code)
        # A module brought in by `use` and named in code (`commands::run::execute`).
        aliases = {p.rsplit("::", 1)[-1]: p for p in paths}
        for alias, full in aliases.items():
            for rest in re.findall(rf"(?<![\w:]){re.escape(alias)}((?:::[A-Za-z_]\w*)+)", code):
                paths.append(full + rest)
        for p in paths:
            target = deepest_module(set(modules), resolve(module, p))
            if not related(module, target):
                edges.setdefault(module, {}).setdefault(target, p)

    # Tarjan's strongly connected components.
    index, low, stack, on_stack, sccs, counter = {}, {}, [], set(), [], [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(scc)

    sys.setrecursionlimit(10000)
    for v in list(modules):
        if v not in index:
            connect(v)

    problems = []
    for scc in sccs:
        members = set(scc)
        shown = lambda m: str(modules[m].relative_to(crate))
        lines = [
            f"  {shown(a)} -> {shown(b)} (via {via})"
            for a in sorted(members)
            for b, via in sorted(edges.get(a, {}).items())
            if b in members
        ]
        problems.append(f"{name}: import cycle between {len(scc)} modules:\n" + "\n".join(lines))
    return problems


def workspace_members(root: Path) -> list:
    return sorted(p.parent for p in root.rglob("Cargo.toml")
                  if (p.parent / "src").is_dir() and "target" not in p.parts)


def main(argv: list) -> int:
    root = Path(__file__).resolve().parents[2]
    crates = [Path(a).resolve().relative_to(root) for a in argv] or [
        c.relative_to(root) for c in workspace_members(root)
    ]
    problems = []
    for crate in crates:
        problems += crate_cycles(root, crate)
    for p in problems:
        print(p)
    print(f"module cycles: {len(crates)} crates checked, {len(problems)} cycle(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
