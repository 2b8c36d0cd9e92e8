#!/usr/bin/env python3
"""`kwhost audit` against its golden files and against `kwhost run`, as `make suites` runs it.

The small dump (tests/audit/dump.json, a folder of the four dist/ modules with settings beside
them):
  1. the JSON results equal tests/audit/expected.json;
  2. the same policies given as a policy-server policies.yml (`kwhost scaffold
     policy-server-config`) give the same results;
The bundled cluster (tests/audit/cluster.json, ~300 objects, the policy set tests/audit/policies.yaml
of ClusterAdmissionPolicies and an AdmissionPolicy, modules from `--module-dir dist`):
  3. the JSON results and the PolicyReports equal cluster-expected.json and cluster-reports.yaml;
  4. every verdict of a policy equals what `kwhost run` says of that object alone, scaffolded with
     `kwhost scaffold admission-request`, with the same settings and the dump as its world; every
     skip is an object the policy's selectors exclude;
  5. the reports agree with the results: one PolicyReport per namespaced resource, one
     ClusterPolicyReport per cluster-scoped one, summaries equal to the results, JUnit counts too;
  6. no planted credential of the dump appears in any report (table, JSON, JUnit, PolicyReports,
     HTML);
Both:
  7. malformed dumps (truncated JSON, a List with wrong types, unknown kinds, duplicates) give
     `error` results, never a crash or a pass;
  8. `--fail-on deny` exits 1 (there are denials), `--fail-on never` exits 0.

    python3 tests/scripts/check-audit.py KWHOST [--write]   # --write rewrites the golden files
"""

import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
AUDIT = ROOT / "tests/audit"
POLICIES = ["secret-handling", "image-provenance", "restart-policy", "rbac-least-privilege"]
# Reports name the time they were made; a fixed one makes them comparable.
EPOCH = "1796083200"
problems = []


def kwhost(*args, **kwargs):
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    return subprocess.run([KWHOST, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env=env, **kwargs)


def audit(policies, dump, *extra, expect=(0, 1)):
    run = kwhost("audit", *sum((["-p", p] for p in policies), []), dump, *extra)
    if run.returncode not in expect:
        sys.exit(f"kwhost audit {dump} failed ({run.returncode}): {run.stderr}")
    return run


def golden(path, text, write):
    if write:
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    elif text != path.read_text():
        problems.append(f"the output differs from {path.relative_to(ROOT)} (--write rewrites it)")


def key_of(item):
    meta = item.get("metadata", {})
    ns = meta.get("namespace")
    return f'{item.get("kind")} {ns + "/" if ns else ""}{meta.get("name")}'


def labels_match(selector, labels):
    """A LabelSelector against labels (the script's own reading, to check the skips)."""
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for e in selector.get("matchExpressions") or []:
        present, value = e["key"] in labels, labels.get(e["key"])
        ok = {"In": present and value in e.get("values", []),
              "NotIn": not present or value not in e.get("values", []),
              "Exists": present, "DoesNotExist": not present}[e["operator"]]
        if not ok:
            return False
    return True


def check_against_run(results, objects, settings_of, module_of, tmp):
    """Each verdict against `kwhost run` on the object alone (in parallel)."""
    world = tmp / "world.json"
    world.write_text(json.dumps({"kubernetes": {"objects": list(objects.values())}}))
    reviews = {}
    for i, resource in enumerate(sorted({r["resource"] for r in results if r["policy"]})):
        obj, review = tmp / f"object-{i}.json", tmp / f"review-{i}.json"
        obj.write_text(json.dumps(objects[resource]))
        reviews[resource] = (obj, review)

    def scaffold(resource):
        obj, review = reviews[resource]
        run = kwhost("scaffold", "admission-request", "--operation", "create", "--object", obj, "-o", review)
        return None if run.returncode == 0 else f"{resource}: scaffold failed: {run.stderr.strip()}"

    def alone(r):
        args = ["run", module_of(r["policy"]), "-r", reviews[r["resource"]][1], "--world", world,
                "--allow-context-aware"]
        settings = settings_of(r["policy"])
        if settings:
            args += ["-s", settings]
        run = kwhost(*args)
        if run.returncode != 0:
            return f'{r["resource"]} / {r["policy"]}: kwhost run failed: {run.stderr.strip()}'
        response = json.loads(run.stdout)
        verdict = "fail" if not response["allowed"] else "warn" if response.get("warnings") else "pass"
        if verdict != r["verdict"]:
            return f'{r["resource"]} / {r["policy"]}: audit says {r["verdict"]}, kwhost run says {verdict}'
        return None

    judged = [r for r in results if r["policy"] and r["verdict"] not in ("error", "skip")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        problems.extend(p for p in pool.map(scaffold, reviews) if p)
        problems.extend(p for p in pool.map(alone, judged) if p)
    return len(judged)


def small(tmp, write):
    policy_dir = tmp / "policies"
    policy_dir.mkdir()
    for p in POLICIES:
        shutil.copy(ROOT / "dist" / f"{p}.wasm", policy_dir)
        settings = AUDIT / "settings" / f"{p}.yaml"
        if settings.is_file():
            shutil.copy(settings, policy_dir)
    dump = "tests/audit/dump.json"
    run = audit([policy_dir], dump, "-f", "json", "--fail-on", "never")
    golden(AUDIT / "expected.json", run.stdout, write)
    results = json.loads(run.stdout)
    objects = {key_of(item): item for item in json.loads((ROOT / dump).read_text())["items"]}

    def settings_of(policy):
        path = AUDIT / "settings" / f"{policy}.yaml"
        return path if path.is_file() else None

    checked = check_against_run(results, objects, settings_of,
                                lambda p: ROOT / "dist" / f"{p}.wasm", tmp)

    # The same set as a policies.yml.
    specs = []
    for p in POLICIES:
        spec = f"{p}=registry://ghcr.io/acme/policies/{p}:v1.0.0,policies/{p}/metadata.yml"
        if settings_of(p):
            spec += f",{settings_of(p)}"
        specs += ["--policy", spec]
    config = tmp / "policies.yml"
    run = kwhost("scaffold", "policy-server-config", *specs, "-o", config)
    if run.returncode != 0:
        sys.exit(f"scaffold policy-server-config failed: {run.stderr}")
    again = audit([config], dump, "--module-dir", "dist", "-f", "json", "--fail-on", "never")
    if json.loads(again.stdout) != results:
        problems.append("the policies.yml form of the small set gives other results than its folder form")
    for fail_on, code in [("deny", 1), ("never", 0)]:
        run = audit([policy_dir], dump, "--fail-on", fail_on)
        if run.returncode != code:
            problems.append(f"--fail-on {fail_on}: exit {run.returncode}, expected {code}")
    return len(results), checked, policy_dir


def cluster(tmp, write):
    dump = "tests/audit/cluster.json"
    base = [["tests/audit/policies.yaml"], dump, "--module-dir", "dist"]
    run = audit(*base, "-f", "json", "--fail-on", "never")
    golden(AUDIT / "cluster-expected.json", run.stdout, write)
    results = json.loads(run.stdout)
    reports_text = audit(*base, "-f", "policy-reports", "--fail-on", "never").stdout
    golden(AUDIT / "cluster-reports.yaml", reports_text, write)
    items = json.loads((ROOT / dump).read_text())["items"]
    objects = {key_of(item): item for item in items}
    manifests = [d for d in yaml.safe_load_all((AUDIT / "policies.yaml").read_text()) if d]
    by_name = {m["metadata"]["name"]: m for m in manifests}
    settings_files = {}
    for name, m in by_name.items():
        path = tmp / f"settings-{name}.json"
        path.write_text(json.dumps(m["spec"].get("settings") or {}))
        settings_files[name] = path
    module = lambda name: ROOT / "dist" / (by_name[name]["spec"]["module"].rsplit("/", 1)[1].split(":")[0] + ".wasm")
    checked = check_against_run(results, objects, settings_files.get, module, tmp)

    # Skips: exactly the objects the selectors exclude.
    namespaces = {i["metadata"]["name"]: i["metadata"].get("labels", {}) for i in items if i["kind"] == "Namespace"}
    for r in results:
        if not r["policy"]:
            continue
        spec, obj = by_name[r["policy"]]["spec"], objects[r["resource"]]
        ns = obj["metadata"].get("namespace")
        ns_labels = (namespaces.get(ns, {"kubernetes.io/metadata.name": ns}) if ns
                     else dict(obj["metadata"].get("labels", {}), **{"kubernetes.io/metadata.name": obj["metadata"]["name"]})
                     if obj["kind"] == "Namespace" else None)
        excluded = (("objectSelector" in spec and not labels_match(spec["objectSelector"], obj["metadata"].get("labels")))
                    or ("namespaceSelector" in spec and ns_labels is not None
                        and not labels_match(spec["namespaceSelector"], ns_labels)))
        if excluded != (r["verdict"] == "skip"):
            problems.append(f'{r["resource"]} / {r["policy"]}: verdict {r["verdict"]}, selectors exclude it: {excluded}')
        if bool(r.get("monitor")) != (spec.get("mode") == "monitor"):
            problems.append(f'{r["resource"]} / {r["policy"]}: monitor flag {r.get("monitor")} against mode {spec.get("mode")}')
        if by_name[r["policy"]]["kind"] == "AdmissionPolicy" and ns != by_name[r["policy"]]["metadata"]["namespace"]:
            problems.append(f'{r["resource"]}: judged by the AdmissionPolicy of another namespace')

    # PolicyReports against the results.
    reports = [d for d in yaml.safe_load_all(reports_text) if d]
    judged = {}
    for r in results:
        if r["policy"]:
            judged.setdefault(r["resource"], []).append(r)
    if len(reports) != len(judged):
        problems.append(f"{len(reports)} PolicyReports for {len(judged)} judged resources")
    for report in reports:
        scope = report["scope"]
        resource = key_of({"kind": scope["kind"], "metadata": scope})
        namespaced = "namespace" in scope
        if report["kind"] != ("PolicyReport" if namespaced else "ClusterPolicyReport"):
            problems.append(f"{resource}: a {report['kind']}")
        obj = objects.get(resource)
        if not obj or report["metadata"]["name"] != obj["metadata"]["uid"] or scope.get("uid") != obj["metadata"]["uid"]:
            problems.append(f"{resource}: the report is not named and scoped by the object's uid")
        mine = judged.get(resource, [])
        for verdict in ["pass", "warn", "fail", "error", "skip"]:
            want = sum(1 for r in mine if r["verdict"] == verdict)
            if report["summary"][verdict] != want or sum(1 for x in report["results"] if x["result"] == verdict) != want:
                problems.append(f"{resource}: {verdict} in the report differs from the results")
        for x in report["results"]:
            if x["source"] != "kubewarden" or not re.fullmatch(r"(clusterwide|namespaced-[a-z0-9-]+)-[a-z0-9-]+", x["policy"]):
                problems.append(f"{resource}: result names policy {x['policy']!r}")

    # JUnit counts.
    junit = ET.fromstring(audit(*base, "-f", "junit", "--fail-on", "never").stdout)
    for suite in junit.iter("testsuite"):
        mine = [r for r in results if r["policy"] == suite.get("name")]
        for attr, verdict in [("failures", "fail"), ("errors", "error"), ("skipped", "skip")]:
            if int(suite.get(attr)) != sum(1 for r in mine if r["verdict"] == verdict):
                problems.append(f"JUnit suite {suite.get('name')}: {attr} differ from the results")
        if int(suite.get("tests")) != len(mine):
            problems.append(f"JUnit suite {suite.get('name')}: tests differ from the results")

    # No planted credential in any report.
    planted = set()
    for item in items:
        text = json.dumps(item)
        planted.update(re.findall(r"ghp_[A-Za-z0-9]{36}", text))
        planted.update(re.findall(r"AKIA[A-Z0-9]{16}", text))
        planted.update((item.get("data") or {}).values() if item["kind"] == "Secret" else [])
    if not planted:
        problems.append("the bundled cluster has no planted credential: the check would be empty")
    outputs = {"policy-reports": reports_text, "json": json.dumps(results)}
    for fmt in ["table", "junit", "html"]:
        outputs[fmt] = audit(*base, "-f", fmt, "--fail-on", "never").stdout
    for fmt, text in outputs.items():
        for secret in planted:
            if secret in text:
                problems.append(f"a planted credential ({secret[:6]}…) appears in the {fmt} report")
    return results, checked, len(planted), outputs["html"]


def html(results, page):
    """The HTML report in headless Chromium: a screenshot, and the counts drawn against the JSON."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        problems.append("chromium is not installed (make setup installs it): the HTML report is unchecked")
        return
    out = ROOT / "target" / "audit"
    out.mkdir(parents=True, exist_ok=True)
    page_path = out / "report.html"
    page_path.write_text(page)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1800",
             "--user-data-dir=" + str(out / "chromium-profile")]
    shot = out / "report.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", page_path.as_uri()],
                   capture_output=True, timeout=120)
    if not shot.is_file() or shot.stat().st_size < 10_000:
        problems.append(f"chromium made no screenshot of the report ({shot})")
    dom = subprocess.run([chromium, *flags, "--dump-dom", page_path.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    for verdict in ["pass", "warn", "fail", "error", "skip"]:
        shown = re.search(rf'<span class="count" data-verdict="{verdict}">(\d+)</span>', dom)
        want = sum(1 for r in results if r["verdict"] == verdict)
        if not shown or int(shown.group(1)) != want:
            problems.append(f"the page shows {shown and shown.group(1)} {verdict}, the JSON has {want}")
    policies = {r["policy"] for r in results}
    for policy in policies:
        row = re.search(rf'<div class="bar-row" data-group="{re.escape(policy)}">(.*?)</span></div>', dom)
        drawn = dict(re.findall(r'data-verdict="(\w+)" data-count="(\d+)"', row.group(1))) if row else {}
        for verdict in ["pass", "warn", "fail", "error", "skip"]:
            want = sum(1 for r in results if r["policy"] == policy and r["verdict"] == verdict)
            if int(drawn.get(verdict, 0)) != want:
                problems.append(f"the page's {policy} bar shows {drawn.get(verdict, 0)} {verdict}, the JSON has {want}")
    rows = len(re.findall(r"<tr data-verdict=", dom))
    if rows != len(results):
        problems.append(f"the findings table has {rows} rows, the JSON {len(results)} results")


def malformed(tmp, policy_dir):
    cases = {
        "truncated.json": '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "meta',
        "wrong-types.json": json.dumps({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}, "spec": {"containers": "nope"}},
            {"apiVersion": 1, "kind": ["Pod"]}, "a string", None]}),
        "unknown-kind.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n",
        "duplicates.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\n"
                           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\n: [bad yaml\n",
    }
    for name, text in cases.items():
        path = tmp / name
        path.write_text(text)
        run = audit([policy_dir], path, "-f", "json", "--fail-on", "never", expect=(0,))
        results = json.loads(run.stdout)
        if not any(r["verdict"] == "error" for r in results):
            problems.append(f"malformed dump {name}: no error result")
        if name != "wrong-types.json" and any(r["verdict"] == "pass" and not r["resource"].startswith("ConfigMap")
                                              for r in results):
            problems.append(f"malformed dump {name}: a pass")
        if name == "wrong-types.json" and not any(r["verdict"] == "fail" and r.get("rule") == "malformed" for r in results):
            problems.append(f"malformed dump {name}: the Pod with containers: \"nope\" is not denied as malformed")
    return len(cases)


def main():
    global KWHOST
    KWHOST = str(pathlib.Path(sys.argv[1]).resolve()) if "/" in sys.argv[1] else sys.argv[1]
    write = "--write" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "small").mkdir()
        (tmp / "cluster").mkdir()
        n_small, checked_small, policy_dir = small(tmp / "small", write)
        results, checked, planted, page = cluster(tmp / "cluster", write)
        html(results, page)
        n_malformed = malformed(tmp, policy_dir)
    for p in problems:
        print(f"check-audit: {p}")
    print(f"audit: small dump {n_small} results ({checked_small} checked against kwhost run); "
          f"bundled cluster {len(results)} results ({checked} checked against kwhost run, "
          f"{planted} planted credentials absent from 5 report formats, HTML drawn in Chromium); "
          f"{n_malformed} malformed dumps; {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
