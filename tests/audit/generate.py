#!/usr/bin/env python3
"""A synthetic cluster dump, as `kubectl get -A -o json` prints it: namespaces of applications
(Deployments with their ReplicaSets and Pods, StatefulSets, DaemonSets, Jobs, CronJobs,
Services, ConfigMaps, Secrets, ServiceAccounts, Roles and RoleBindings) and cluster RBAC, with a
share of objects that break each policy of this repository: images from outside the allowed
registries or tagged `latest`, plaintext credentials in env values, Jobs restarting `Always`,
wildcard and secret-reading roles, ServiceAccounts that automount their token. The same seed
gives the same dump, uids included.

    python3 tests/audit/generate.py                      # the bundled tests/audit/cluster.json
    python3 tests/audit/generate.py --objects 10000 -o target/audit-10k.json
"""

import argparse
import base64
import json
import pathlib
import random
import string
import uuid

NAMESPACES = [
    ("kube-system", {"tier": "system"}),
    ("default", {}),
    ("team-a", {"team": "a", "env": "prod"}),
    ("team-b", {"team": "b", "env": "dev"}),
    ("payments", {"team": "pay", "env": "prod", "pci": "true"}),
    ("monitoring", {"team": "ops", "env": "prod"}),
    ("ci", {"team": "ops", "env": "dev"}),
    ("sandbox", {"env": "dev"}),
]
APPS = ["api", "web", "worker", "cache", "search", "billing", "auth", "gateway", "ledger",
        "mailer", "scheduler", "reports", "ingest", "metrics", "frontend", "export"]
# Images each policy accepts (with tests/audit/settings/image-provenance.yaml), then ones it
# does not: another registry, another repository, `latest`, no digest (a warning).
GOOD_IMAGES = ["ghcr.io/acme/{app}:1.{minor}.{patch}"]
BAD_IMAGES = ["quay.io/coinminer/xmr:5.1", "docker.io/bitnami/redis:7.2.4",
              "docker.io/library/nginx:latest", "ghcr.io/acme/{app}:latest"]
WARN_IMAGES = ["docker.io/library/redis:7.2.{patch}", "docker.io/library/postgres:16.{patch}"]


class Cluster:
    def __init__(self, seed, bad_share):
        self.rng = random.Random(seed)
        self.bad_share = bad_share
        self.items = []
        self.version = 1000

    def chance(self):
        return self.rng.random() < self.bad_share

    def token(self, prefix, length):
        alphabet = string.ascii_letters + string.digits
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(length))

    def add(self, api_version, kind, name, namespace=None, labels=None, owner=None, **fields):
        self.version += 1
        metadata = {"name": name, "uid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    "resourceVersion": str(self.version),
                    "creationTimestamp": "2026-11-30T12:00:00Z"}
        if namespace:
            metadata["namespace"] = namespace
        if labels:
            metadata["labels"] = labels
        if owner:
            metadata["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                            "name": owner["metadata"]["name"],
                                            "uid": owner["metadata"]["uid"], "controller": True}]
        item = {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}
        self.items.append(item)
        return item

    def image(self, app):
        roll = self.rng.random()
        pool = (BAD_IMAGES if roll < self.bad_share else
                WARN_IMAGES if roll < 2 * self.bad_share else GOOD_IMAGES)
        return self.rng.choice(pool).format(app=app, minor=self.rng.randint(0, 9),
                                            patch=self.rng.randint(0, 20))

    def pod_spec(self, app, sa, restart="Always"):
        env = [{"name": "LOG_LEVEL", "value": self.rng.choice(["info", "debug", "warn"])},
               {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}}}]
        if self.chance():
            env.append({"name": "GITHUB_TOKEN", "value": self.token("ghp_", 36)})
        spec = {"serviceAccountName": sa, "automountServiceAccountToken": False,
                "containers": [{"name": app, "image": self.image(app), "env": env,
                                "ports": [{"containerPort": 8080}],
                                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}
        if self.chance():
            del spec["automountServiceAccountToken"]
        if self.rng.random() < 0.3:
            spec["volumes"] = [{"name": "creds", "secret": {"secretName": f"{app}-db", "defaultMode": 0o440}}]
            spec["containers"][0]["volumeMounts"] = [{"name": "creds", "mountPath": "/etc/creds", "readOnly": True}]
        if restart != "Always" or self.rng.random() < 2 * self.bad_share:
            spec["restartPolicy"] = restart if restart != "Always" else self.rng.choice(["Never", "OnFailure"])
        return spec

    def application(self, ns, app):
        labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns}
        sa = self.add("v1", "ServiceAccount", app, ns, labels,
                      **({} if self.chance() else {"automountServiceAccountToken": False}))
        self.add("v1", "Service", app, ns, labels, spec={"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]})
        config = {"LOG_FORMAT": "json", "FEATURE_FLAGS": "search,export"}
        if self.chance():
            config["aws.properties"] = f"aws_access_key_id={self.token('AKIA', 16).upper()}\n"
        self.add("v1", "ConfigMap", f"{app}-config", ns, labels, data=config)
        password = base64.b64encode(self.token("", 24).encode()).decode()
        self.add("v1", "Secret", f"{app}-db", ns, labels, type="Opaque", data={"password": password})
        workload = self.rng.choice(["Deployment"] * 5 + ["StatefulSet", "DaemonSet", "Job", "CronJob"])
        template = {"metadata": {"labels": labels}, "spec": self.pod_spec(app, sa["metadata"]["name"])}
        if workload == "Deployment":
            replicas = self.rng.randint(1, 3)
            deploy = self.add("apps/v1", "Deployment", app, ns, labels,
                              spec={"replicas": replicas, "selector": {"matchLabels": labels}, "template": template})
            suffix = "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))
            rs = self.add("apps/v1", "ReplicaSet", f"{app}-{suffix}", ns, labels, owner=deploy,
                          spec={"replicas": replicas, "selector": {"matchLabels": labels}, "template": template})
            for _ in range(replicas):
                pod = "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
                self.add("v1", "Pod", f"{app}-{suffix}-{pod}", ns, labels, owner=rs,
                         spec=json.loads(json.dumps(template["spec"])))
        elif workload in ("StatefulSet", "DaemonSet"):
            spec = {"selector": {"matchLabels": labels}, "template": template}
            if workload == "StatefulSet":
                spec["serviceName"] = app
            self.add("apps/v1", workload, app, ns, labels, spec=spec)
        else:
            restart = "Always" if self.rng.random() < 2 * self.bad_share else self.rng.choice(["OnFailure", "Never"])
            job_template = {"metadata": {"labels": labels}, "spec": self.pod_spec(app, sa["metadata"]["name"], restart)}
            if workload == "Job":
                self.add("batch/v1", "Job", f"{app}-migrate", ns, labels, spec={"template": job_template})
            else:
                self.add("batch/v1", "CronJob", f"{app}-nightly", ns, labels,
                         spec={"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": job_template}}})
        role_rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
        if self.chance():
            role_rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]})
        role = self.add("rbac.authorization.k8s.io/v1", "Role", f"{app}-config-reader", ns, labels, rules=role_rules)
        self.add("rbac.authorization.k8s.io/v1", "RoleBinding", f"{app}-config-reader", ns, labels,
                 roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]},
                 subjects=[{"kind": "ServiceAccount", "name": app, "namespace": ns}])
        if self.chance():
            self.add("rbac.authorization.k8s.io/v1", "RoleBinding", f"{app}-admin", ns, labels,
                     roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                     subjects=[{"kind": "ServiceAccount", "name": app, "namespace": ns}])

    def cluster_rbac(self, index):
        name = f"{self.rng.choice(APPS)}-viewer-{index}"
        rules = [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list", "watch"]}]
        if self.chance():
            rules = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
        role = self.add("rbac.authorization.k8s.io/v1", "ClusterRole", name, rules=rules)
        ns = self.rng.choice(NAMESPACES)[0]
        self.add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name,
                 roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
                 subjects=[{"kind": "ServiceAccount", "name": "default", "namespace": ns}])


def generate(objects, seed, bad_share):
    cluster = Cluster(seed, bad_share)
    cluster.add("rbac.authorization.k8s.io/v1", "ClusterRole", "cluster-admin",
                labels={"kubernetes.io/bootstrapping": "rbac-defaults"},
                rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                       {"nonResourceURLs": ["*"], "verbs": ["*"]}])
    for ns, labels in NAMESPACES:
        cluster.add("v1", "Namespace", ns, labels={"kubernetes.io/metadata.name": ns, **labels})
        cluster.add("v1", "ServiceAccount", "default", ns)
    round_ = 0
    while len(cluster.items) < objects:
        ns = NAMESPACES[round_ % len(NAMESPACES)][0]
        app = APPS[(round_ // len(NAMESPACES)) % len(APPS)]
        suffix = round_ // (len(NAMESPACES) * len(APPS))
        cluster.application(ns, f"{app}-{suffix}" if suffix else app)
        if round_ % 3 == 0:
            cluster.cluster_rbac(round_)
        round_ += 1
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": cluster.items[:objects]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--bad-share", type=float, default=0.12,
                        help="share of objects with a violation of each kind (default 0.12)")
    parser.add_argument("-o", "--output", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent / "cluster.json")
    args = parser.parse_args()
    dump = generate(args.objects, args.seed, args.bad_share)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(dump, indent=1, sort_keys=True) + "\n")
    kinds = {}
    for item in dump["items"]:
        kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
    print(f"{args.output}: {len(dump['items'])} objects: "
          + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()
