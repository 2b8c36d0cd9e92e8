//! Declarative world files (docs/suites.md): host capabilities answered from YAML.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use policy_common::glob::glob_match;
use policy_common::image::normalise_leniently as normalise;
use policy_common::json::str_at;
use policy_common::selector::LabelSelector;
use serde::Deserialize;
use serde_json::{Value, json};

use super::backend::{BackendResult, CapabilityBackend};
use super::field_mask::apply_field_masks;
use super::field_selector::field_selector_matches;
use super::requests::{CallbackRequest, SubjectAccessReview};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    #[serde(default)]
    kubernetes: Option<KubernetesWorld>,
    #[serde(default)]
    oci: Option<OciWorld>,
    #[serde(default)]
    dns: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    crypto: Option<CryptoWorld>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KubernetesWorld {
    #[serde(default)]
    objects: Vec<Value>,
    #[serde(default)]
    can_i: Vec<CanIEntry>,
    /// Positions in `objects` by (apiVersion, kind), in order: gets and lists look at one
    /// kind's objects, never at the whole world (an audit's world is a whole cluster dump).
    #[serde(skip)]
    by_kind: BTreeMap<(String, String), Vec<usize>>,
    /// The first object of each (apiVersion, kind, namespace, name): what a get answers.
    #[serde(skip)]
    by_name: BTreeMap<ObjectKey, usize>,
}

/// (apiVersion, kind, namespace, name).
type ObjectKey = (String, String, Option<String>, String);

impl KubernetesWorld {
    fn index(&mut self) {
        self.by_kind.clear();
        self.by_name.clear();
        for (i, object) in self.objects.iter().enumerate() {
            if let (Some(api_version), Some(kind)) =
                (str_at(object, "/apiVersion"), str_at(object, "/kind"))
            {
                self.by_kind
                    .entry((api_version.to_owned(), kind.to_owned()))
                    .or_default()
                    .push(i);
                if let Some(name) = str_at(object, "/metadata/name") {
                    let namespace = str_at(object, "/metadata/namespace").map(str::to_owned);
                    let key = (
                        api_version.to_owned(),
                        kind.to_owned(),
                        namespace,
                        name.to_owned(),
                    );
                    self.by_name.entry(key).or_insert(i);
                }
            }
        }
    }

    fn named(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Value> {
        let key = (
            api_version.to_owned(),
            kind.to_owned(),
            namespace.map(str::to_owned),
            name.to_owned(),
        );
        self.by_name.get(&key).map(|&i| &self.objects[i])
    }

    fn of_kind<'a>(&'a self, api_version: &str, kind: &str) -> impl Iterator<Item = &'a Value> {
        self.by_kind
            .get(&(api_version.to_owned(), kind.to_owned()))
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CanIEntry {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    verb: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    allowed: bool,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OciWorld {
    #[serde(default)]
    digests: BTreeMap<String, String>,
    #[serde(default)]
    manifests: BTreeMap<String, Value>,
    #[serde(default)]
    manifest_configs: BTreeMap<String, Value>,
    #[serde(default)]
    errors: BTreeMap<String, String>,
    #[serde(default)]
    signatures: Vec<SignatureEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureEntry {
    image: String,
    #[serde(default, rename = "type")]
    verify_type: Option<String>,
    trusted: bool,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CryptoWorld {
    trusted: bool,
    #[serde(default)]
    reason: Option<String>,
}

fn normalise_keys<V>(map: BTreeMap<String, V>) -> BTreeMap<String, V> {
    map.into_iter().map(|(k, v)| (normalise(&k), v)).collect()
}

fn to_bytes(value: &Value) -> BackendResult {
    serde_json::to_vec(value).map_err(|e| e.to_string())
}

/// Why a world file cannot be used; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("cannot read world {path}: {reason}")]
    Read {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("invalid world {origin}: {reason}")]
    Yaml {
        origin: String,
        reason: serde_yaml::Error,
    },
}

impl World {
    pub fn from_file(path: &Path) -> Result<Self, WorldError> {
        let text = std::fs::read_to_string(path).map_err(|reason| WorldError::Read {
            path: path.to_path_buf(),
            reason,
        })?;
        Self::from_yaml_in(&text, &path.display().to_string())
    }

    /// [`World::from_yaml_in`] for text without a file name.
    pub fn from_yaml(text: &str) -> Result<Self, WorldError> {
        Self::from_yaml_in(text, "(inline)")
    }

    /// Parses a world; `origin` names it in errors.
    pub fn from_yaml_in(text: &str, origin: &str) -> Result<Self, WorldError> {
        let mut world: World = serde_yaml::from_str(text).map_err(|reason| WorldError::Yaml {
            origin: origin.to_owned(),
            reason,
        })?;
        if let Some(oci) = &mut world.oci {
            oci.digests = normalise_keys(std::mem::take(&mut oci.digests));
            oci.manifests = normalise_keys(std::mem::take(&mut oci.manifests));
            oci.manifest_configs = normalise_keys(std::mem::take(&mut oci.manifest_configs));
            oci.errors = normalise_keys(std::mem::take(&mut oci.errors));
        }
        if let Some(kubernetes) = &mut world.kubernetes {
            kubernetes.index();
        }
        Ok(world)
    }

    /// A world whose Kubernetes objects are `objects`, answering nothing else.
    pub fn of_objects(objects: Vec<Value>) -> Self {
        let mut world = World::default();
        world.add_objects(objects);
        world
    }

    /// Adds Kubernetes objects (an audit's dump) after the world's own.
    pub fn add_objects(&mut self, objects: Vec<Value>) {
        let kubernetes = self.kubernetes.get_or_insert_with(Default::default);
        kubernetes.objects.extend(objects);
        kubernetes.index();
    }

    fn oci(&self) -> BackendResult<&OciWorld> {
        self.oci
            .as_ref()
            .ok_or_else(|| "world has no oci section".to_owned())
    }

    fn kubernetes(&self) -> BackendResult<&KubernetesWorld> {
        self.kubernetes
            .as_ref()
            .ok_or_else(|| "world has no kubernetes section".to_owned())
    }

    /// `oci.errors` first, then the map `pick` selects.
    fn oci_lookup<'a>(
        &'a self,
        image: &str,
        what: &str,
        pick: impl Fn(&'a OciWorld) -> &'a BTreeMap<String, Value>,
    ) -> BackendResult<&'a Value> {
        let oci = self.oci()?;
        let key = normalise(image);
        if let Some(error) = oci.errors.get(&key) {
            return Err(error.clone());
        }
        pick(oci)
            .get(&key)
            .ok_or_else(|| format!("world has no oci {what} for {key}"))
    }

    fn digest_of(&self, image: &str) -> BackendResult<String> {
        let oci = self.oci()?;
        let key = normalise(image);
        if let Some(error) = oci.errors.get(&key) {
            return Err(error.clone());
        }
        oci.digests
            .get(&key)
            .cloned()
            .or_else(|| key.split_once('@').map(|(_, d)| d.to_owned()))
            .ok_or_else(|| format!("world has no oci digest for {key}"))
    }

    fn verify(&self, request: &CallbackRequest, image: &str) -> BackendResult {
        let oci = self.oci()?;
        let key = normalise(image);
        let name = key.split_once('@').map_or(key.as_str(), |(name, _)| name);
        let entry = oci
            .signatures
            .iter()
            .find(|entry| {
                glob_match(&entry.image, name)
                    && entry
                        .verify_type
                        .as_deref()
                        .is_none_or(|t| Some(t) == request.verify_type())
            })
            .ok_or_else(|| format!("world has no signature entry for {key}"))?;
        if !entry.trusted {
            return Err(entry
                .error
                .clone()
                .unwrap_or_else(|| format!("no signature found for {key}")));
        }
        let digest = match &entry.digest {
            Some(digest) => digest.clone(),
            None => self.digest_of(image)?,
        };
        to_bytes(&json!({"is_trusted": true, "digest": digest}))
    }

    fn get_resource(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        field_masks: Option<&[String]>,
    ) -> BackendResult {
        let object = self
            .kubernetes()?
            .named(api_version, kind, namespace, name)
            .ok_or_else(|| format!("{kind} {name} not found"))?;
        to_bytes(&apply_field_masks(object, field_masks))
    }

    fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
        field_masks: Option<&[String]>,
    ) -> BackendResult {
        let labels = LabelSelector::parse(label_selector.unwrap_or("")).map_err(String::from)?;
        let mut items = Vec::new();
        for object in self.kubernetes()?.of_kind(api_version, kind) {
            let selected = namespace
                .is_none_or(|ns| str_at(object, "/metadata/namespace") == Some(ns))
                && labels.matches(object.pointer("/metadata/labels"))
                && match field_selector {
                    Some(selector) => field_selector_matches(selector, object)?,
                    None => true,
                };
            if selected {
                items.push(apply_field_masks(object, field_masks));
            }
        }
        to_bytes(&json!({
            "apiVersion": api_version,
            "kind": format!("{kind}List"),
            "metadata": {},
            "items": items,
        }))
    }

    fn can_i(&self, review: &SubjectAccessReview) -> BackendResult {
        let attributes = &review.resource_attributes;
        let entry = self
            .kubernetes()?
            .can_i
            .iter()
            .find(|e| {
                e.user.as_deref().is_none_or(|u| u == review.user)
                    && e.verb.as_deref().is_none_or(|v| v == attributes.verb)
                    && e.resource
                        .as_deref()
                        .is_none_or(|r| r == attributes.resource)
                    && e.namespace
                        .as_deref()
                        .is_none_or(|n| Some(n) == attributes.namespace.as_deref())
            })
            .ok_or_else(|| {
                format!(
                    "world has no canI entry for user {} verb {} resource {}",
                    review.user, attributes.verb, attributes.resource
                )
            })?;
        let mut status = json!({"allowed": entry.allowed});
        if let Some(reason) = &entry.reason {
            status["reason"] = json!(reason);
        }
        to_bytes(&status)
    }
}

impl CapabilityBackend for World {
    fn answer(&self, request: &CallbackRequest) -> BackendResult {
        use CallbackRequest as R;
        match request {
            R::OciManifestDigest { image } => to_bytes(&json!({"digest": self.digest_of(image)?})),
            R::OciManifest { image } => {
                to_bytes(self.oci_lookup(image, "manifest", |o| &o.manifests)?)
            }
            R::OciManifestAndConfig { image } => {
                to_bytes(self.oci_lookup(image, "manifest config", |o| &o.manifest_configs)?)
            }
            R::SigstorePubKeyVerify { image, .. }
            | R::SigstoreKeylessVerify { image, .. }
            | R::SigstoreKeylessPrefixVerify { image, .. }
            | R::SigstoreGithubActionsVerify { image, .. }
            | R::SigstoreCertificateVerify { image, .. } => self.verify(request, image),
            R::DnsLookupHost { host } => {
                let ips = self
                    .dns
                    .as_ref()
                    .and_then(|dns| dns.get(host))
                    .ok_or_else(|| format!("world has no dns entry for {host}"))?;
                to_bytes(&json!({"ips": ips}))
            }
            R::CryptoIsCertificateTrusted { .. } => {
                let crypto = self
                    .crypto
                    .as_ref()
                    .ok_or_else(|| "world has no crypto section".to_owned())?;
                to_bytes(
                    &json!({"trusted": crypto.trusted, "reason": crypto.reason.clone().unwrap_or_default()}),
                )
            }
            R::KubernetesGetResource {
                api_version,
                kind,
                name,
                namespace,
                field_masks,
                ..
            } => self.get_resource(
                api_version,
                kind,
                name,
                namespace.as_deref(),
                field_masks.as_deref(),
            ),
            R::KubernetesListResourceNamespace {
                api_version,
                kind,
                namespace,
                label_selector,
                field_selector,
                field_masks,
            } => self.list(
                api_version,
                kind,
                Some(namespace),
                label_selector.as_deref(),
                field_selector.as_deref(),
                field_masks.as_deref(),
            ),
            R::KubernetesListResourceAll {
                api_version,
                kind,
                label_selector,
                field_selector,
                field_masks,
            } => self.list(
                api_version,
                kind,
                None,
                label_selector.as_deref(),
                field_selector.as_deref(),
                field_masks.as_deref(),
            ),
            R::KubernetesCanI { request, .. } => self.can_i(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = r#"
kubernetes:
  objects:
    - { apiVersion: v1, kind: Namespace, metadata: { name: prod, labels: { env: prod } } }
    - { apiVersion: v1, kind: Namespace, metadata: { name: dev, labels: { env: dev } } }
    - { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: prod }, spec: { nodeName: n } }
  canI:
    - { user: "system:serviceaccount:ns:sa", verb: create, allowed: true, reason: "RBAC: allowed" }
oci:
  digests: { "nginx:1.25": "sha256:aaaa" }
  errors: { "ghcr.io/org/missing:1.0": "manifest unknown" }
  signatures:
    - { image: "ghcr.io/org/*", trusted: true, digest: "sha256:bbbb" }
    - { image: "*", trusted: false, error: "no signature found" }
dns: { example.com: ["93.184.216.34"] }
"#;

    fn answer(request: CallbackRequest) -> BackendResult<String> {
        World::from_yaml(WORLD)
            .unwrap()
            .answer(&request)
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn oci_lookups_normalise_references() {
        let digest = answer(CallbackRequest::OciManifestDigest {
            image: "docker.io/library/nginx:1.25".into(),
        });
        assert_eq!(digest.unwrap(), r#"{"digest":"sha256:aaaa"}"#);
        let missing = answer(CallbackRequest::OciManifest {
            image: "ghcr.io/org/missing:1.0".into(),
        });
        assert_eq!(missing.unwrap_err(), "manifest unknown");
    }

    #[test]
    fn signatures() {
        let verify = |image: &str| CallbackRequest::SigstorePubKeyVerify {
            image: image.into(),
            pub_keys: vec![],
            annotations: None,
        };
        assert_eq!(
            answer(verify("ghcr.io/org/app:1")).unwrap(),
            r#"{"digest":"sha256:bbbb","is_trusted":true}"#
        );
        assert_eq!(answer(verify("nginx")).unwrap_err(), "no signature found");
    }

    #[test]
    fn kubernetes_objects() {
        let list = answer(CallbackRequest::KubernetesListResourceAll {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            label_selector: Some("env in (prod)".into()),
            field_selector: None,
            field_masks: Some(vec!["metadata.name".into()]),
        });
        assert_eq!(
            list.unwrap(),
            r#"{"apiVersion":"v1","items":[{"metadata":{"name":"prod"}}],"kind":"NamespaceList","metadata":{}}"#
        );
        let get = answer(CallbackRequest::KubernetesGetResource {
            api_version: "v1".into(),
            kind: "Pod".into(),
            name: "q".into(),
            namespace: Some("prod".into()),
            disable_cache: false,
            field_masks: None,
        });
        assert_eq!(get.unwrap_err(), "Pod q not found");
    }
}
