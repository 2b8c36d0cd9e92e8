//! One module per subcommand.

pub mod artifact;
pub mod bench;
pub mod run;
pub mod test;

use crate::model::document::InputError;
use crate::runtime::{ModuleCache, Runtime, default_cache_dir};

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

pub(crate) fn new_runtime() -> Result<Runtime, CommandError> {
    Runtime::new(ModuleCache::new(default_cache_dir()))
        .map_err(|e| CommandError::Failed(e.to_string()))
}
