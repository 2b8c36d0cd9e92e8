//! On-disk cache of compiled modules.
//!
//! Compiling a policy with Cranelift takes seconds in a debug build; the serialized
//! artefact loads in milliseconds. An artefact is native code that wasmtime runs without
//! checking it, so it is keyed and verified:
//!
//! - the file name is the sha256 of the key: the sha256 of the module bytes, the engine's
//!   compatibility hash (its configuration, target and the full wasmtime version) and the
//!   wasmtime major version;
//! - the file holds [`MAGIC`], that key digest, the sha256 of the artefact, then the artefact.
//!
//! A file whose magic, key or artefact digest does not match (a corrupt or tampered file, or
//! one written for another module or engine) is never deserialized: the module is compiled
//! again and the file rewritten. The digests detect corruption and tampering by anything that
//! does not also rewrite the digest; the cache directory must not be writable by others (it
//! is private to the user who runs kwhost, as the binary is).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// First bytes of every cache file (format version 1).
const MAGIC: &[u8; 8] = b"KWHCWSM1";
const DIGEST_LEN: usize = 32;
const HEADER_LEN: usize = MAGIC.len() + 2 * DIGEST_LEN;

/// Directory holding `<sha256 of the key>-wasmtime<major>.cwasm` files.
#[derive(Debug, Clone)]
pub struct ModuleCache {
    dir: Option<PathBuf>,
}

/// Where a module came from (tests check that a bad file is not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Cache,
    Compiled,
}

/// `$KWHOST_CACHE_DIR`, else `kwhost-cache` inside the cargo `target` directory the
/// binary runs from; an installed binary's is `$XDG_CACHE_HOME/kwhost/modules` (else
/// `~/.cache/kwhost/modules`), else `target/kwhost-cache` relative to the working directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KWHOST_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let target_of_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.file_name().is_some_and(|name| name == "target"))
            .map(Path::to_path_buf)
    });
    if let Some(target) = target_of_exe {
        return target.join("kwhost-cache");
    }
    match kwhost_artifact::store::user_cache_dir() {
        Some(cache) => cache.join("kwhost").join("modules"),
        None => PathBuf::from("target").join("kwhost-cache"),
    }
}

impl ModuleCache {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir: Some(dir) }
    }

    /// A cache that always compiles (used when the directory cannot be created).
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    /// Returns the compiled module, from the cache when a verified artefact is there.
    ///
    /// Cache problems are never fatal: a bad or unreadable artefact is recompiled.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
        self.load_from(engine, bytes).map(|(module, _)| module)
    }

    pub(crate) fn load_from(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> wasmtime::Result<(Module, Source)> {
        let Some(dir) = &self.dir else {
            return Ok((Module::new(engine, bytes)?, Source::Compiled));
        };
        let key = cache_key(engine, bytes);
        let path = dir.join(cache_file_name(&key));
        if let Some(module) = std::fs::read(&path)
            .ok()
            .and_then(|file| verified_artefact(&file, &key).map(<[u8]>::to_vec))
            // SAFETY: the artefact's sha256 is the one stored next to it, and the key it
            // was stored under (module digest, engine compatibility hash, wasmtime version)
            // is this module's and this engine's; wasmtime also checks the artefact header.
            .and_then(|artefact| unsafe { Module::deserialize(engine, artefact) }.ok())
        {
            return Ok((module, Source::Cache));
        }
        let module = Module::new(engine, bytes)?;
        if let Ok(serialized) = module.serialize() {
            store_atomically(dir, &path, &cache_file(&key, &serialized));
        }
        Ok((module, Source::Compiled))
    }
}

/// Feeds a `Hash` into sha256 (the engine's compatibility hash is only available as `Hash`).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

/// sha256 of: the module's sha256, the engine's compatibility hash, the wasmtime major.
fn cache_key(engine: &Engine, bytes: &[u8]) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha256Hasher(Sha256::new());
    hasher.write(b"kwhost module cache key\0");
    hasher.write(&Sha256::digest(bytes));
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.write(wasmtime_major().as_bytes());
    hasher.0.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cache_file_name(key: &[u8; DIGEST_LEN]) -> String {
    format!("{}-wasmtime{}.cwasm", hex(key), wasmtime_major())
}

fn wasmtime_major() -> &'static str {
    // Kept in the name so a human can tell which artefacts an upgrade made stale.
    "48"
}

fn cache_file(key: &[u8; DIGEST_LEN], artefact: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(HEADER_LEN + artefact.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(key);
    file.extend_from_slice(&Sha256::digest(artefact));
    file.extend_from_slice(artefact);
    file
}

/// The artefact of a cache file, when its magic, key and digest all match.
fn verified_artefact<'a>(file: &'a [u8], key: &[u8; DIGEST_LEN]) -> Option<&'a [u8]> {
    let (header, artefact) = file.split_at_checked(HEADER_LEN)?;
    let (magic, digests) = header.split_at(MAGIC.len());
    let (stored_key, stored_digest) = digests.split_at(DIGEST_LEN);
    (magic == MAGIC && stored_key == key && stored_digest == Sha256::digest(artefact).as_slice())
        .then_some(artefact)
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

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"(module (func (export "answer") (result i32) i32.const 42))"#;

    fn answer(engine: &Engine, module: &Module) -> i32 {
        let mut store = wasmtime::Store::new(engine, ());
        let instance = wasmtime::Instance::new(&mut store, module, &[]).unwrap();
        let func = instance
            .get_typed_func::<(), i32>(&mut store, "answer")
            .unwrap();
        func.call(&mut store, ()).unwrap()
    }

    fn only_file(dir: &Path) -> PathBuf {
        let files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.into_iter().next().unwrap()
    }

    #[test]
    fn a_verified_artefact_is_reused_and_a_tampered_one_recompiled() {
        let engine = Engine::default();
        let bytes = wat::parse_str(MODULE).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::new(dir.path().to_path_buf());

        let (module, source) = cache.load_from(&engine, &bytes).unwrap();
        assert_eq!((source, answer(&engine, &module)), (Source::Compiled, 42));
        let (module, source) = cache.load_from(&engine, &bytes).unwrap();
        assert_eq!((source, answer(&engine, &module)), (Source::Cache, 42));

        // One byte of the artefact changed (its header is left alone): not deserialized.
        let path = only_file(dir.path());
        let good = std::fs::read(&path).unwrap();
        let mut tampered = good.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0xff;
        std::fs::write(&path, &tampered).unwrap();
        let (module, source) = cache.load_from(&engine, &bytes).unwrap();
        assert_eq!((source, answer(&engine, &module)), (Source::Compiled, 42));
        assert_eq!(std::fs::read(&path).unwrap(), good, "the file is rewritten");

        // A raw wasmtime artefact (the old format, only its header checked) is not used.
        std::fs::write(&path, module.serialize().unwrap()).unwrap();
        let (_, source) = cache.load_from(&engine, &bytes).unwrap();
        assert_eq!(source, Source::Compiled);
    }

    #[test]
    fn the_key_covers_the_module_and_the_engine() {
        let bytes = wat::parse_str(MODULE).unwrap();
        let other = wat::parse_str(r#"(module (func (export "answer") (result i32) i32.const 7))"#)
            .unwrap();
        let engine = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let epoch_engine = Engine::new(&config).unwrap();
        let key = cache_key(&engine, &bytes);
        assert_ne!(key, cache_key(&engine, &other));
        assert_ne!(key, cache_key(&epoch_engine, &bytes));
        let file = cache_file(&key, b"artefact");
        assert_eq!(verified_artefact(&file, &key), Some(&b"artefact"[..]));
        assert_eq!(verified_artefact(&file, &cache_key(&engine, &other)), None);
        assert_eq!(verified_artefact(&file[..HEADER_LEN - 1], &key), None);
    }
}
