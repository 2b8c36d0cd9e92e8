//! One module per subcommand.

pub mod admission_request;
pub mod artifact;
pub mod audit;
pub mod bench;
pub mod run;
pub mod signing;
pub mod test;

use std::path::{Path, PathBuf};

use kwhost_artifact::RegistryAuth;

use crate::model::document::InputError;
use crate::runtime::{Allocation, ModuleCache, Runtime, default_cache_dir};

/// How a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Exit 2: the input cannot be used (bad file, missing field, not a waPC module).
    #[error("{0}")]
    Unusable(String),
    /// Exit 1: the policy refused to run (invalid settings, initialisation failure).
    #[error("{0}")]
    Failed(String),
}

impl From<InputError> for CommandError {
    fn from(error: InputError) -> Self {
        Self::Unusable(error.0)
    }
}

/// A text file, or exit 2 naming it.
pub(crate) fn read_text(path: &Path) -> Result<String, CommandError> {
    std::fs::read_to_string(path)
        .map_err(|e| CommandError::Unusable(format!("cannot read {}: {e}", path.display())))
}

/// Registry credentials for `reference` from the docker config.
pub(crate) fn registry_auth(reference: &str) -> Result<RegistryAuth, CommandError> {
    kwhost_artifact::oci::registry_auth_for(reference)
        .map_err(|e| CommandError::Unusable(format!("registry credentials: {e:#}")))
}

/// The policy's wasm layer, pulled as is (no verification).
pub(crate) fn pull_bytes(reference: &str, insecure: bool) -> Result<Vec<u8>, CommandError> {
    kwhost_artifact::pull(reference, &registry_auth(reference)?, insecure)
        .map_err(|e| CommandError::Failed(format!("cannot pull {reference}: {e:#}")))
}

/// Where the local store keeps `reference` (`kwhost pull` without `-o`, `kwhost run
/// registry://...`), its folder created.
pub(crate) fn store_path(reference: &str) -> Result<PathBuf, CommandError> {
    let store = kwhost_artifact::store::default_store_dir();
    let path = kwhost_artifact::store::path_in_store(&store, reference)
        .map_err(|e| CommandError::Unusable(format!("{reference}: {e}")))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            CommandError::Unusable(format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    Ok(path)
}

pub(crate) fn new_runtime() -> Result<Runtime, CommandError> {
    new_runtime_with(Allocation::OnDemand)
}

pub(crate) fn new_runtime_with(allocation: Allocation) -> Result<Runtime, CommandError> {
    Runtime::with_allocation(ModuleCache::new(default_cache_dir()), allocation)
        .map_err(|e| CommandError::Failed(e.to_string()))
}

/// `--allocation`: how instances get their memories (docs/performance.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AllocationChoice {
    /// wasmtime's default (kwctl's): memories mapped for each instance and unmapped after it.
    OnDemand,
    /// wasmtime's pooling allocator: slots reserved once, memories reset copy-on-write.
    Pooling,
}

impl AllocationChoice {
    /// The allocation for `workers` evaluations at once.
    pub fn for_workers(self, workers: usize) -> Allocation {
        match self {
            AllocationChoice::OnDemand => Allocation::OnDemand,
            AllocationChoice::Pooling => Allocation::pooling_for(workers),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AllocationChoice::OnDemand => "on-demand",
            AllocationChoice::Pooling => "pooling",
        }
    }
}
