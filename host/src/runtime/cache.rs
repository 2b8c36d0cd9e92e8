//! On-disk cache of compiled modules.
//!
//! Compiling a policy with Cranelift takes seconds in a debug build; the serialized
//! artefact loads in milliseconds. The key is the sha256 of the module bytes plus the
//! engine's compatibility hash (wasmtime version and configuration), so an artefact is
//! never loaded by an engine that could not run it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// Directory holding `<sha256>-<engine hash>.cwasm` files.
#[derive(Debug, Clone)]
pub struct ModuleCache {
    dir: Option<PathBuf>,
}

/// `$KWHOST_CACHE_DIR`, else `kwhost-cache` inside the cargo `target` directory the
/// binary runs from, else `target/kwhost-cache` relative to the working directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KWHOST_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let target_of_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.file_name().is_some_and(|name| name == "target"))
            .map(Path::to_path_buf)
    });
    target_of_exe
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("kwhost-cache")
}

impl ModuleCache {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir: Some(dir) }
    }

    /// A cache that always compiles (used when the directory cannot be created).
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    /// Returns the compiled module, from the cache when possible.
    ///
    /// Cache problems are never fatal: a corrupt or unreadable artefact is recompiled.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
        let Some(dir) = &self.dir else {
            return Module::new(engine, bytes);
        };
        let path = dir.join(cache_file_name(engine, bytes));
        if path.is_file() {
            // SAFETY: the file was written by `Module::serialize` of an engine with the
            // same compatibility hash (it is part of the name), into a directory private
            // to this tool; wasmtime also checks the artefact header.
            if let Ok(module) = unsafe { Module::deserialize_file(engine, &path) } {
                return Ok(module);
            }
        }
        let module = Module::new(engine, bytes)?;
        if let Ok(serialized) = module.serialize() {
            store_atomically(dir, &path, &serialized);
        }
        Ok(module)
    }
}

fn cache_file_name(engine: &Engine, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{hex}-wasmtime{}-{:016x}.cwasm",
        wasmtime_major(),
        hasher.finish()
    )
}

fn wasmtime_major() -> &'static str {
    // Kept in the name so a human can tell which artefacts an upgrade made stale.
    "48"
}

/// Writes to a temporary file and renames it, so parallel runs never read half a file.
fn store_atomically(dir: &Path, path: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("module"),
        std::process::id()
    ));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
