#!/usr/bin/env python3
"""Writes the representative requests of the benchmarks (docs/performance.md) into this directory.

    python3 tests/bench/generate.py                     # the requests of tests/bench/
    python3 tests/bench/generate.py --scaling DIR       # and the scaling series, into DIR

The scaling series are the same objects at growing sizes: `pod-containers-<n>.json` (a Pod with n
containers, 1 to 500), `clusterrole-rules-<n>.json` (a ClusterRole with n rules, 1 to 1,000) and
`configmap-kib-<n>.json` (a ConfigMap of n KiB, 1 KiB to 4 MiB).

Each request is an AdmissionReview, deterministic (no randomness), and holds nothing secret:
the credentials planted for the scanners are documented fakes. `settings/<policy>.yaml` switch
on every rule a request can reach (ConfigMap scanning on for the ConfigMap, for example); the
RoleBinding needs `tests/suites/worlds/rbac-least-privilege.yaml` and `--allow-context-aware`.
"""

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def review(uid, kind, group, resource, obj, namespace="team-a", operation="CREATE"):
    request = {
        "uid": uid,
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": resource},
        "requestKind": {"group": group, "version": "v1", "kind": kind},
        "requestResource": {"group": group, "version": "v1", "resource": resource},
        "name": obj["metadata"]["name"],
        "operation": operation,
        "userInfo": {"username": "alice", "groups": ["developers", "system:authenticated"]},
        "object": obj,
        "oldObject": None,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    if namespace:
        request["namespace"] = namespace
        obj["metadata"]["namespace"] = namespace
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def container(i, image="ghcr.io/acme/app:1.4.2"):
    return {
        "name": f"app-{i}",
        "image": image,
        "args": ["--port=8080", f"--replica={i}", "--log-level=info"],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "PORT", "value": "8080"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
            {"name": "CACHE_URL", "value": "redis://cache:6379/0"},
        ],
        "volumeMounts": [{"name": "creds", "mountPath": "/run/secrets/app", "readOnly": True}],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
    }


def pod_spec(containers, init=()):
    return {
        "restartPolicy": "Always",
        "automountServiceAccountToken": False,
        "serviceAccountName": "app",
        "imagePullSecrets": [{"name": "ghcr"}],
        "initContainers": list(init),
        "containers": containers,
        "volumes": [{"name": "creds", "secret": {"secretName": "app-creds", "defaultMode": 288}}],
    }


def pod(name, n):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": pod_spec([container(i) for i in range(n)])}


def clusterrole(name, n):
    rules = [{"apiGroups": ["", "apps", "batch"][i % 3: i % 3 + 1],
              "resources": [f"resource{i}", f"resource{i}/status"],
              "verbs": ["get", "list", "watch"]} for i in range(n)]
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name}, "rules": rules}
    return review(f"bench-{name}", "ClusterRole", "rbac.authorization.k8s.io", "clusterroles", role,
                  namespace=None)


def config_map(name, size):
    """A ConfigMap of `size` bytes of application.properties-like lines, no credential in them."""
    lines, total, i = [], 0, 0
    while total < size:
        line = f"service.endpoint.{i}=http://svc-{i}.team-a.svc.cluster.local:8080/api/v1\n"
        lines.append(line)
        total += len(line)
        i += 1
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                 "data": {"application.properties": "".join(lines)}}
    return review(f"bench-{name}", "ConfigMap", "", "configmaps", configmap)


def scaling():
    out = {}
    for n in (1, 10, 50, 100, 250, 500):
        out[f"pod-containers-{n}.json"] = review(f"bench-pod-{n}", "Pod", "", "pods", pod(f"pod-{n}", n))
    for n in (1, 10, 100, 250, 500, 1000):
        out[f"clusterrole-rules-{n}.json"] = clusterrole(f"rules-{n}", n)
    for kib in (1, 16, 256, 1024, 2048, 4096):
        out[f"configmap-kib-{kib}.json"] = config_map(f"cm-{kib}", kib * 1024)
    return out


def write(directory, documents):
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        (directory / name).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
        print(f"{name:28} {(directory / name).stat().st_size:9} bytes")


def main():
    out = {}
    out["pod-small.json"] = review("bench-pod-small", "Pod", "", "pods", pod("small", 1))
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": pod_spec([container(i) for i in range(5)],
                                               [container("init", "ghcr.io/acme/migrate:2.0.1")])}},
    }
    out["deployment.json"] = review("bench-deployment", "Deployment", "apps", "deployments", deployment)
    out["pod-100-containers.json"] = review("bench-pod-100", "Pod", "", "pods", pod("wide", 100))
    out["clusterrole-50-rules.json"] = clusterrole("fifty-rules", 50)
    out["configmap-1mib.json"] = config_map("big", 1024 * 1024)
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "read-pods"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
               "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"}]}
    out["rolebinding-world.json"] = review("bench-rolebinding", "RoleBinding", "rbac.authorization.k8s.io",
                                           "rolebindings", binding)
    write(HERE, out)
    if len(sys.argv) == 3 and sys.argv[1] == "--scaling":
        write(pathlib.Path(sys.argv[2]), scaling())
    elif len(sys.argv) != 1:
        sys.exit("usage: generate.py [--scaling DIR]")


if __name__ == "__main__":
    main()
