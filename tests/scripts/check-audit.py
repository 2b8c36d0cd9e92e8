#!/usr/bin/env python3
"""`kwhost audit` on the bundled dump (tests/audit/dump.json) with the four dist/ modules, as
`make suites` runs it:

1. the JSON results equal the golden file tests/audit/expected.json (rewrite it with
   `--write` only for an intended change);
2. every verdict of a policy equals what `kwhost run` says of that object alone, scaffolded
   with `kwhost scaffold admission-request`, with the same settings and the dump as its world;
3. `--fail-on deny` exits 1 (the dump has denials), `--fail-on never` exits 0.

    python3 tests/scripts/check-audit.py KWHOST [--write]
"""

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
AUDIT = ROOT / "tests/audit"
POLICIES = ["secret-handling", "image-provenance", "restart-policy", "rbac-least-privilege"]


def main():
    kwhost = sys.argv[1]
    write = "--write" in sys.argv[2:]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        policy_dir = tmp / "policies"
        policy_dir.mkdir()
        for p in POLICIES:
            shutil.copy(ROOT / "dist" / f"{p}.wasm", policy_dir)
            settings = AUDIT / "settings" / f"{p}.yaml"
            if settings.is_file():
                shutil.copy(settings, policy_dir)
        # Relative to the repository, so that the origins in the golden file are the same in
        # any clone.
        dump = AUDIT / "dump.json"
        dump_arg = "tests/audit/dump.json"

        def audit(*extra):
            return subprocess.run([kwhost, "audit", "-p", str(policy_dir), dump_arg, *extra],
                                  capture_output=True, text=True, cwd=ROOT)

        run = audit("--json", "--fail-on", "never")
        if run.returncode != 0:
            sys.exit(f"kwhost audit failed ({run.returncode}): {run.stderr}")
        results = json.loads(run.stdout)
        expected_path = AUDIT / "expected.json"
        if write:
            expected_path.write_text(json.dumps(results, indent=1) + "\n")
            print(f"wrote {expected_path}")
        elif results != json.loads(expected_path.read_text()):
            problems.append(f"the results differ from {expected_path} (--write rewrites it)")

        # Each verdict, against the object evaluated alone.
        objects = {}
        for item in json.loads(dump.read_text())["items"]:
            meta = item.get("metadata", {})
            key = f'{item.get("kind")} {meta["namespace"] + "/" if "namespace" in meta else ""}{meta.get("name")}'
            objects[key] = item
        world = tmp / "world.json"
        world.write_text(json.dumps({"kubernetes": {"objects": list(objects.values())}}))
        checked = 0
        for r in results:
            if not r["policy"] or r["verdict"] == "error":
                continue
            obj = tmp / "object.json"
            obj.write_text(json.dumps(objects[r["resource"]]))
            review = tmp / "review.json"
            scaffold = subprocess.run([kwhost, "scaffold", "admission-request", "--operation", "create",
                                       "--object", str(obj), "-o", str(review)], capture_output=True, text=True)
            if scaffold.returncode != 0:
                problems.append(f'{r["resource"]}: scaffold failed: {scaffold.stderr.strip()}')
                continue
            args = [kwhost, "run", str(ROOT / "dist" / f'{r["policy"]}.wasm'), "-r", str(review),
                    "--world", str(world), "--allow-context-aware"]
            settings = AUDIT / "settings" / f'{r["policy"]}.yaml'
            if settings.is_file():
                args += ["-s", str(settings)]
            alone = subprocess.run(args, capture_output=True, text=True)
            if alone.returncode != 0:
                problems.append(f'{r["resource"]} / {r["policy"]}: kwhost run failed: {alone.stderr.strip()}')
                continue
            response = json.loads(alone.stdout)
            verdict = ("fail" if not response["allowed"]
                       else "warn" if response.get("warnings") else "pass")
            if verdict != r["verdict"]:
                problems.append(f'{r["resource"]} / {r["policy"]}: audit says {r["verdict"]}, '
                                f'kwhost run says {verdict}')
            checked += 1

        for fail_on, code in [("deny", 1), ("never", 0)]:
            run = audit("--fail-on", fail_on)
            if run.returncode != code:
                problems.append(f"--fail-on {fail_on}: exit {run.returncode}, expected {code}")

    for p in problems:
        print(f"check-audit: {p}")
    print(f"{len(results)} audit results, {checked} checked against kwhost run, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
