#!/usr/bin/env python3
"""Planted secrets never leave kwhost, end to end (docs/security.md, "Redaction").

The suite runner already scans each case's response, warnings, audit annotations, guest output
and host diagnostics. This replays every suite that lists `plantedSecrets` as a user would,
`kwhost test --junit`, and scans what the runner itself writes: stdout, stderr and the JUnit
report, for each secret and each 8-character piece of it.

    python3 tests/scripts/check-planted-secrets.py [KWHOST]   (default target/debug/kwhost)
"""

import pathlib
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def pieces(secret):
    yield secret
    for i in range(len(secret) - 7):
        yield secret[i : i + 8]


def main():
    kwhost = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/kwhost")
    suites = []
    for path in sorted((ROOT / "tests/suites").rglob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        if isinstance(document, dict) and document.get("plantedSecrets"):
            suites.append((path, [s for s in document["plantedSecrets"] if s]))
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for path, secrets in suites:
            junit = pathlib.Path(tmp) / "junit.xml"
            run = subprocess.run(
                [kwhost, "test", "--junit", str(junit), str(path)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            outputs = {
                "stdout": run.stdout,
                "stderr": run.stderr,
                "JUnit report": junit.read_text() if junit.exists() else "",
            }
            if run.returncode != 0:
                problems.append(f"{path.relative_to(ROOT)}: kwhost test exited {run.returncode}")
            for index, secret in enumerate(secrets, 1):
                for piece in pieces(secret):
                    where = [name for name, text in outputs.items() if piece in text]
                    if where:
                        problems.append(
                            f"{path.relative_to(ROOT)}: planted secret #{index} leaked "
                            f"(piece {len(piece)} chars) in the {', '.join(where)}"
                        )
                        break
    for p in problems:
        print(p)
    print(f"{len(suites)} suites with planted secrets, {len(problems)} problems")
    sys.exit(1 if problems or not suites else 0)


if __name__ == "__main__":
    main()
