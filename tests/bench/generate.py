#!/usr/bin/env python3
"""Writes the representative requests of the benchmarks (docs/benchmarks.md) into this directory.

    python3 tests/bench/generate.py

Each request is an AdmissionReview, deterministic (no randomness), and holds nothing secret:
the credentials planted for the scanners are documented fakes. `settings/<policy>.yaml` switch
on every rule a request can reach (ConfigMap scanning on for the ConfigMap, for example); the
RoleBinding needs `tests/suites/worlds/rbac-least-privilege.yaml` and `--allow-context-aware`.
"""

import json
import pathlib

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
    rules = [{"apiGroups": ["", "apps", "batch"][i % 3: i % 3 + 1],
              "resources": [f"resource{i}", f"resource{i}/status"],
              "verbs": ["get", "list", "watch"]} for i in range(50)]
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "fifty-rules"}, "rules": rules}
    out["clusterrole-50-rules.json"] = review("bench-clusterrole", "ClusterRole", "rbac.authorization.k8s.io",
                                              "clusterroles", role, namespace=None)
    # 1 MiB of application.properties-like lines, no credential in them.
    lines, size, i = [], 0, 0
    while size < 1024 * 1024:
        line = f"service.endpoint.{i}=http://svc-{i}.team-a.svc.cluster.local:8080/api/v1\n"
        lines.append(line)
        size += len(line)
        i += 1
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
                 "data": {"application.properties": "".join(lines)}}
    out["configmap-1mib.json"] = review("bench-configmap", "ConfigMap", "", "configmaps", configmap)
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "read-pods"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
               "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"}]}
    out["rolebinding-world.json"] = review("bench-rolebinding", "RoleBinding", "rbac.authorization.k8s.io",
                                           "rolebindings", binding)
    for name, document in out.items():
        (HERE / name).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
        print(f"{name:28} {(HERE / name).stat().st_size:9} bytes")


if __name__ == "__main__":
    main()
