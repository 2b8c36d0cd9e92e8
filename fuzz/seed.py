#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from the repository (docs/security.md, Fuzzing).

    python3 fuzz/seed.py [OUT]        (default OUT: fuzz/target/seeds)

Writes OUT/<target>/<sha1 of the content>:
- validate_<policy>: every request of tests/fixtures/<policy>/** and tests/fixtures/hostile/**
  (the `request` of an AdmissionReview, or the bare request) as a waPC payload
  {"request": ..., "settings": ...} with manifests/settings/<policy>.yaml, and every case of
  every suite of the policy with the case's (or the suite's) settings; the inline requests of
  the hostile-* suites with the manifest settings;
- settings_<policy>: the manifest settings, every suite's and case's settings, {};
- image_reference: every `image` of the fixtures and every string of every settings document;
- redact: the same strings, raw (the target reads structured input: they are a start);
- fixture_loader: the text of every fixture and settings file under tests/ and manifests/settings/;
- suite_loader: the text of every suite under tests/suites/.

The seeds are then minimised into fuzz/corpus/<target>/ with `cargo fuzz cmin` (`make fuzz-cmin`).
"""

import hashlib
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLICIES = ["secret-handling", "image-provenance", "restart-policy", "rbac-least-privilege"]


def load(path):
    """The document, or None for one that is broken on purpose (the hostile corpus)."""
    text = path.read_text(errors="replace")
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        return None


def bare_request(document):
    if isinstance(document, dict) and isinstance(document.get("request"), dict):
        return document["request"]
    return document


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def images(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "image" and isinstance(v, str):
                yield v
            else:
                yield from images(v)
    elif isinstance(value, list):
        for v in value:
            yield from images(v)


class Corpus:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, content):
        if isinstance(content, str):
            content = content.encode()
        elif not isinstance(content, bytes):
            content = json.dumps(content, sort_keys=True).encode()
        directory = self.out / target
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / hashlib.sha1(content).hexdigest()
        if not path.exists():
            path.write_bytes(content)
            self.counts[target] = self.counts.get(target, 0) + 1


def suite_cases(suite_path):
    """(request, settings or None) of every case of a suite whose request resolves."""
    suite = load(suite_path)
    if not isinstance(suite, dict):
        return suite, []
    default = suite.get("settings", {})
    cases = []
    for case in suite.get("cases") or []:
        request = case.get("request")
        if isinstance(request, str):
            path = suite_path.parent / request
            if not path.is_file():
                continue
            request = load(path)
        if request is None:
            continue
        cases.append((bare_request(request), case.get("settings", default)))
    return suite, cases


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz/target/seeds"
    corpus = Corpus(out)
    fixtures = {
        p: sorted((ROOT / "tests/fixtures" / p).rglob("*.json")) for p in POLICIES
    }
    common = sorted((ROOT / "tests/fixtures/hostile").rglob("*.json"))
    settings_docs = []
    hostile_requests = []
    for suite_path in sorted((ROOT / "tests/suites").glob("*.yaml")):
        suite, cases = suite_cases(suite_path)
        policy = suite.get("policy") if isinstance(suite, dict) else None
        for request, settings in cases:
            if policy in POLICIES:
                settings_docs.append((policy, settings))
                corpus.add(f"validate_{policy.replace('-', '_')}",
                           {"request": request, "settings": settings})
            elif suite_path.name.startswith("hostile-"):
                hostile_requests.append(request)
    for policy in POLICIES:
        target = policy.replace("-", "_")
        manifest = load(ROOT / "manifests/settings" / f"{policy}.yaml") or {}
        settings_docs.append((policy, manifest))
        settings_docs.append((policy, {}))
        for path in fixtures[policy] + common:
            request = bare_request(load(path))
            if request is None:
                continue
            corpus.add(f"validate_{target}", {"request": request, "settings": manifest})
            for image in images(request):
                corpus.add("image_reference", image)
                corpus.add("redact", image)
        for request in hostile_requests:
            corpus.add(f"validate_{target}", {"request": request, "settings": manifest})
    for policy, settings in settings_docs:
        corpus.add(f"settings_{policy.replace('-', '_')}", settings)
        for s in strings(settings):
            corpus.add("image_reference", s)
            corpus.add("redact", s)
    for path in sorted((ROOT / "tests").rglob("*.json")) + sorted((ROOT / "manifests/settings").glob("*.yaml")):
        corpus.add("fixture_loader", path.read_bytes())
    for path in sorted((ROOT / "tests/suites").rglob("*.yaml")):
        corpus.add("suite_loader", path.read_bytes())
    for target, count in sorted(corpus.counts.items()):
        print(f"{target:32} {count:5} seeds")


if __name__ == "__main__":
    main()
