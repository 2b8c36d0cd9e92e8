//! Workloads: Secret use, plaintext credentials, volumes, pull secrets, mutation, every kind.

use super::support::*;
use serde_json::json;

#[test]
fn planted_secrets_never_reach_any_output() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{
            "name": "app", "image": "nginx",
            "env": [
                {"name": "AWS_ACCESS_KEY_ID", "value": PLANTED[0]},
                {"name": "AWS_SECRET_ACCESS_KEY", "value": PLANTED[1]},
                {"name": "GH", "value": PLANTED[2]},
                {"name": "DB_PASSWORD", "value": PLANTED[3]},
                {"name": "SLACK", "value": PLANTED[4]},
                {"name": "DATABASE_URL", "value": format!("postgres://app:{}@db/app", PLANTED[5])},
                {"name": "KEY", "value": PLANTED[6]},
                {"name": "SESSION", "value": PLANTED[7]},
            ],
            "args": ["--password", PLANTED[3], format!("--github={}", PLANTED[2])]
        }],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", format!("export AWS_KEY={}", PLANTED[0])]}]
    });
    let r = run(
        request("", "Pod", "CREATE", pod(spec)),
        json!({"volumes": {"mode": "off"}}),
    );
    assert_eq!(r["accepted"], false);
    let m = message(&r);
    for expected in [
        "container 'app': env 'AWS_ACCESS_KEY_ID' (env[0]) holds a plaintext credential (detector 'aws-access-key-id')",
        "env 'AWS_SECRET_ACCESS_KEY' (env[1]) holds a plaintext credential (detector 'aws-secret-access-key')",
        "env 'GH' (env[2]) holds a plaintext credential (detector 'github-token')",
        "env 'DB_PASSWORD' (env[3]) holds a plaintext credential (detector 'sensitive-name')",
        "(detector 'slack-token')",
        "(detector 'url-credentials')",
        "(detector 'private-key')",
        "(detector 'jwt')",
        "container 'app': args[1] holds a plaintext credential (detector 'sensitive-name')",
        "container 'app': args[2] holds a plaintext credential (detector 'github-token')",
        "init container 'init': command[2] holds a plaintext credential (detector 'aws-access-key-id')",
    ] {
        assert!(m.contains(expected), "{expected} not in {m}");
    }
    assert!(r["audit_annotations"]["plaintext-credential"].is_string());
}

#[test]
fn false_positive_guards_pass() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{
            "name": "app", "image": "nginx",
            "env": [
                {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
                {"name": "DB_PASSWORD", "value": "/run/secrets/db-password"},
                {"name": "API_TOKEN", "value": "changeme"},
                {"name": "API_TOKEN2", "value": "${API_TOKEN}"},
                {"name": "EMPTY_SECRET", "value": ""},
                {"name": "TOKEN_TTL", "value": "3600"},
                {"name": "FROM_REF", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "URL", "value": "https://example.com/path?q=1"}
            ],
            "args": ["--password-file", "/run/secrets/pw", "--verbose"]
        }]
    });
    let r = run(request("", "Pod", "CREATE", pod(spec)), json!({}));
    assert_eq!(r["accepted"], true, "{r}");
    assert!(r["warnings"].is_null(), "{r}");
}

#[test]
fn env_secrets_warn_by_default_and_honour_the_allow_list() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "nginx",
            "env": [{"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "pw"}}}],
            "envFrom": [{"secretRef": {"name": "app-env"}}]}]
    });
    let r = run(request("", "Pod", "CREATE", pod(spec.clone())), json!({}));
    assert_eq!(r["accepted"], true);
    let w = warnings(&r);
    assert!(
        w.contains(
            "container 'app': env 'DB' (env[0]) reads Secret 'db-creds' through secretKeyRef"
        ),
        "{w}"
    );
    assert!(
        w.contains("container 'app': envFrom[0] loads Secret 'app-env' as environment"),
        "{w}"
    );
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        json!({"envSecrets": {"secretKeyRef": "deny", "envFrom": "off", "allowedSecrets": ["app-*"]}}),
    );
    assert_eq!(r["accepted"], false);
    assert!(message(&r).contains("'db-creds'"));
    let r = run(
        request("", "Pod", "CREATE", pod(spec)),
        json!({"envSecrets": {"secretKeyRef": "deny", "envFrom": "deny", "allowedSecrets": ["app-*", "db-creds"]}}),
    );
    assert_eq!(r["accepted"], true);
}

#[test]
fn secret_references_and_secret_volumes() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "imagePullSecrets": [{"name": "regcred"}],
        "containers": [{"name": "app", "image": "nginx",
            "volumeMounts": [{"name": "creds", "mountPath": "/etc/creds", "readOnly": true}]}],
        "volumes": [
            {"name": "creds", "secret": {"secretName": "other", "defaultMode": 256}},
            {"name": "proj", "projected": {"defaultMode": 256, "sources": [{"secret": {"name": "app-tls"}}]}}
        ]
    });
    let settings = json!({"references": {"allowedSecrets": ["app-*", "regcred"]}});
    let r = run(request("", "Pod", "CREATE", pod(spec.clone())), settings);
    assert_eq!(r["accepted"], false);
    assert_eq!(
        message(&r),
        "volume 'creds' (volumes[0]) references Secret 'other', which is not in references.allowedSecrets"
    );
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        json!({"references": {"secretVolumes": "deny"}}),
    );
    assert!(message(&r).contains(
        "volume 'proj' (volumes[1]) mounts Secret 'app-tls'; Secret volumes are not allowed"
    ));
    let r = run(request("", "Pod", "CREATE", pod(spec)), json!({}));
    assert_eq!(r["accepted"], true, "{r}");
}

#[test]
fn volume_modes_read_only_and_sub_path() {
    let spec = json!({
        "automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "nginx", "volumeMounts": [
            {"name": "creds", "mountPath": "/etc/creds"},
            {"name": "creds", "mountPath": "/etc/app.key", "subPath": "key", "readOnly": true}
        ]}],
        "volumes": [
            {"name": "creds", "secret": {"secretName": "c", "items": [{"key": "k", "path": "k", "mode": 511}]}},
            {"name": "cm", "configMap": {"name": "x"}}
        ]
    });
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        json!({"volumes": {"readOnly": "deny"}}),
    );
    assert_eq!(r["accepted"], false);
    let m = message(&r);
    assert!(m.contains("volume 'creds' (volumes[0]): secret.defaultMode is unset (API default 0644) allows more than 0440"), "{m}");
    assert!(
        m.contains("volume 'creds' (volumes[0]): secret.items[0].mode 0777 allows more than 0440"),
        "{m}"
    );
    assert!(
        m.contains(
            "container 'app': volumeMounts[0] of secret volume 'creds' is not readOnly: true"
        ),
        "{m}"
    );
    assert!(warnings(&r).contains("volumeMounts[1] of secret volume 'creds' uses subPath"));
    let r = run(
        request("", "Pod", "CREATE", pod(spec)),
        json!({"volumes": {"maxMode": "0777"}}),
    );
    assert_eq!(r["accepted"], true, "{r}");
}

#[test]
fn image_pull_secrets_for_private_registries() {
    let spec = json!({"automountServiceAccountToken": false, "containers": [
        {"name": "pub", "image": "nginx:1.25"},
        {"name": "priv", "image": "registry.corp.example/app:1"}
    ]});
    let settings = json!({"imagePullSecrets": {"action": "deny"}});
    let r = run(
        request("", "Pod", "CREATE", pod(spec.clone())),
        settings.clone(),
    );
    assert_eq!(
        message(&r),
        "container 'priv': image from private registry 'registry.corp.example' but the pod has no imagePullSecrets"
    );
    let mut with = spec;
    with["imagePullSecrets"] = json!([{"name": "regcred"}]);
    assert_eq!(
        run(request("", "Pod", "CREATE", pod(with)), settings)["accepted"],
        true
    );
}

#[test]
fn mutation_sets_only_missing_fields() {
    let spec = json!({"containers": [{"name": "app", "image": "nginx"}],
        "volumes": [{"name": "creds", "secret": {"secretName": "c"}}]});
    let deployment =
        json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": spec.clone()}}});
    let r = run(
        request("apps", "Deployment", "CREATE", deployment.clone()),
        json!({}),
    );
    assert_eq!(r["accepted"], false, "unset defaultMode is too open");
    assert!(r["mutated_object"].is_null());
    let r = run(
        request("apps", "Deployment", "UPDATE", deployment.clone()),
        json!({"mutation": {"enabled": true}}),
    );
    assert_eq!(r["accepted"], true, "{r}");
    let mut expected = deployment;
    expected["spec"]["template"]["spec"]["volumes"][0]["secret"]["defaultMode"] = json!(288);
    expected["spec"]["template"]["spec"]["automountServiceAccountToken"] = json!(false);
    assert_eq!(r["mutated_object"], expected);
    // A Pod's spec cannot change on UPDATE.
    let r = run(
        request("", "Pod", "UPDATE", pod(spec)),
        json!({"mutation": {"enabled": true}, "volumes": {"mode": "off"}}),
    );
    assert!(r["mutated_object"].is_null());
}

#[test]
fn ephemeral_containers_delete_and_exemptions() {
    let spec = json!({
        "automountServiceAccountToken": true,
        "containers": [{"name": "app", "image": "nginx", "env": [{"name": "DB_PASSWORD", "value": PLANTED[3]}]}],
        "ephemeralContainers": [{"name": "debug", "image": "busybox", "env": [{"name": "GH", "value": PLANTED[2]}]}]
    });
    let mut req = request("", "Pod", "UPDATE", pod(spec.clone()));
    req["subResource"] = json!("ephemeralcontainers");
    let r = run(req, json!({}));
    assert_eq!(
        message(&r),
        "ephemeral container 'debug': env 'GH' (env[0]) holds a plaintext credential (detector 'github-token'); use a secretKeyRef or a mounted Secret"
    );
    assert_eq!(
        run(request("", "Pod", "DELETE", pod(spec.clone())), json!({}))["accepted"],
        true
    );
    for exemption in [
        json!({"namespaces": ["default"]}),
        json!({"names": ["we*"]}),
        json!({"users": ["alice"]}),
        json!({"groups": ["dev"]}),
    ] {
        let r = run(
            request("", "Pod", "CREATE", pod(spec.clone())),
            json!({"exemptions": exemption}),
        );
        assert_eq!(r["accepted"], true);
    }
}

#[test]
fn every_workload_kind_is_checked() {
    let spec = json!({"automountServiceAccountToken": false,
        "containers": [{"name": "app", "image": "nginx", "env": [{"name": "K", "value": PLANTED[0]}]}]});
    for (group, kind, object) in [
        (
            "apps",
            "Deployment",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "apps",
            "ReplicaSet",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "apps",
            "StatefulSet",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "apps",
            "DaemonSet",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "batch",
            "Job",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        (
            "batch",
            "CronJob",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        ),
        (
            "",
            "ReplicationController",
            json!({"spec": {"template": {"spec": spec}}}),
        ),
        ("", "PodTemplate", json!({"template": {"spec": spec}})),
    ] {
        let r = run(request(group, kind, "CREATE", object), json!({}));
        assert!(
            message(&r).contains("detector 'aws-access-key-id'"),
            "{kind}: {r}"
        );
    }
    // Unknown kinds are accepted; malformed objects are denied (fail closed), naming the field.
    assert_eq!(
        run(
            request("example.com", "Deployment", "CREATE", json!({"spec": 5})),
            json!({})
        )["accepted"],
        true
    );
    let r = run(
        request(
            "",
            "Pod",
            "CREATE",
            json!({"spec": {"containers": "x", "volumes": [1, null]}}),
        ),
        json!({}),
    );
    assert_eq!(r["accepted"], false);
    assert_eq!(
        message(&r),
        "malformed request: /spec/containers must be a list"
    );
    let r = run(
        request("", "Secret", "CREATE", json!({"type": 5, "data": []})),
        json!({}),
    );
    assert_eq!(message(&r), "malformed request: /type must be a string");
}
