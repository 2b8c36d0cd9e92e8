//! `kwhost-artifact`: turning policy modules into Kubewarden artifacts.
//!
//! The formats are those of docs/protocol.md §5–§8.1; the `kwhost` binary wires
//! these functions into sub-commands. See README.md.
//!
//! * [`metadata`]: the policy metadata model ([`Metadata`]), read strictly from
//!   `metadata.yml` or leniently from a module's section, and kwctl's checks;
//!   [`host_capabilities`]: the capability paths and allow-list patterns.
//! * [`annotate()`], [`read_metadata`]: the `io.kubewarden.metadata` custom
//!   section (wasmparser + wasm-encoder, replaced never duplicated).
//! * [`inspect()`]: kwctl-like pretty text or YAML.
//! * [`artifacthub_pkg`], [`artifacthub_repo_yml`]: Artifact Hub files.
//! * [`scaffold_manifest`], [`scaffold_policy_server_config`]: cluster
//!   manifests and a stand-alone `policies.yml`.
//! * [`oci::push`], [`oci::pull`]: registry round trip with `oci-client`;
//!   [`store`]: where pulled modules are kept, as kwctl keeps them;
//!   [`signing`]: cosign key pairs, signing pushed modules, verification configs.

pub mod annotate;
pub mod artifacthub;
pub mod host_capabilities;
pub mod inspect;
pub mod manifests;
pub mod metadata;
pub mod oci;
pub mod signing;
pub mod store;

pub use annotate::{AnnotateError, METADATA_SECTION, annotate, read_metadata};
pub use artifacthub::{artifacthub_pkg, artifacthub_repo_yml};
pub use inspect::{InspectError, OutputFormat, inspect};
pub use manifests::{
    ManifestError, ManifestKind, PolicyServerEntry, scaffold_manifest,
    scaffold_policy_server_config,
};
pub use metadata::{ContextAwareResource, Metadata, MetadataError, ProtocolVersion};
pub use oci::{OciError, RegistryAuth, pull, push};
