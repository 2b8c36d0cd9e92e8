#!/usr/bin/env python3
"""Fails when a Markdown file of the repository names a repository file that does not exist.

Checks every `backticked` path that starts with a top-level directory of the repository (or is a
top-level file), so that docs, READMEs and CONTRIBUTING keep pointing at real files after code
moves. A `:line` or `#anchor` suffix is ignored; paths with placeholders (`<name>`, `*`) and build
outputs (`target/`, `dist/`, `artifacts/`) are skipped.
"""

import re
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
tops = {p.split("/")[0] for p in tracked}
docs = [p for p in tracked if p.endswith(".md") and not p.startswith("artifacthub/")]
bad = []
for doc in docs:
    for n, line in enumerate((root / doc).read_text(encoding="utf-8").splitlines(), 1):
        for path in re.findall(r"`([A-Za-z0-9_./-]+)`", line):
            path = re.split(r"[:#]", path)[0].rstrip("/.")
            if "/" not in path or path.split("/")[0] not in tops or re.search(r"[<>*]", path):
                continue
            # Build outputs (target/, dist/, fuzz artifacts) exist only after a build.
            if {"target", "dist", "artifacts"} & set(path.split("/")):
                continue
            if not (root / path).exists() and not (root / doc).parent.joinpath(path).exists():
                bad.append(f"{doc}:{n}: {path} does not exist")
print("\n".join(bad))
print(f"doc paths: {len(docs)} Markdown files checked, {len(bad)} missing path(s)")
sys.exit(1 if bad else 0)
