#!/usr/bin/env python3
"""Every row of docs/migrating.md has its peer scenarios (issue: peer parity).

A row is a heading `### <peer>/<policy>` (e.g. `### kyverno/restrict-image-registries`). Its
scenarios are the suite tests/suites/peers/<peer>/<policy>.yaml, which must hold at least one
case expecting `allowed: true` and one expecting `allowed: false`. Suites under
tests/suites/peers/ that no row names are reported too.

    python3 tests/scripts/check-peer-coverage.py [FRAGMENT.md ...]   (default docs/migrating.md)
"""

import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
PEERS = ROOT / "tests/suites/peers"


def rows(paths):
    for path in paths:
        for line in path.read_text().splitlines():
            m = re.match(r"^### ([a-z0-9-]+)/([A-Za-z0-9.-]+)\s*$", line)
            if m:
                yield m.group(1), m.group(2)


def main():
    docs = [pathlib.Path(p) for p in sys.argv[1:]] or [ROOT / "docs/migrating.md"]
    problems = []
    named = set()
    count = 0
    for peer, policy in rows(docs):
        count += 1
        suite = PEERS / peer / f"{policy}.yaml"
        named.add(suite)
        if not suite.is_file():
            problems.append(f"{peer}/{policy}: no suite {suite.relative_to(ROOT)}")
            continue
        cases = (yaml.safe_load(suite.read_text()) or {}).get("cases") or []
        verdicts = {(c.get("expect") or {}).get("allowed") for c in cases}
        for wanted, word in ((True, "passing"), (False, "failing")):
            if wanted not in verdicts:
                problems.append(f"{peer}/{policy}: no {word} scenario in {suite.relative_to(ROOT)}")
    if len(sys.argv) == 1 and PEERS.is_dir():
        for suite in sorted(PEERS.rglob("*.yaml")):
            if suite not in named and "cases" in (yaml.safe_load(suite.read_text()) or {}):
                problems.append(f"{suite.relative_to(ROOT)}: no row of docs/migrating.md names it")
    for p in problems:
        print(p)
    print(f"{count} rows, {len(problems)} problems")
    sys.exit(1 if problems or count == 0 else 0)


if __name__ == "__main__":
    main()
