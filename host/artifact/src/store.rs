//! The local policy store: where `kwhost pull` keeps a module when no output path is given,
//! laid out as kwctl's store is (`registry/<registry>/<repository>:<tag>`, or `@<digest>`), so
//! that an offline audit resolves `registry://` references of a policy set without the network.

use std::path::{Path, PathBuf};

use crate::oci::{Result, parse_reference};

/// The user's cache folder: `$XDG_CACHE_HOME`, else `~/.cache`.
pub fn user_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
}

/// `$KWHOST_STORE_DIR`, else `kwhost/store` in the [`user_cache_dir`] (`./.cache` without one).
pub fn default_store_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KWHOST_STORE_DIR") {
        return PathBuf::from(dir);
    }
    user_cache_dir()
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("kwhost")
        .join("store")
}

/// kwctl's own store (`~/.cache/kubewarden/store`), read as well when it exists.
pub fn kwctl_store_dir() -> Option<PathBuf> {
    Some(user_cache_dir()?.join("kubewarden").join("store"))
}

/// Where `reference` (`[registry://]registry/repo[:tag][@digest]`) lives below `store`.
pub fn path_in_store(store: &Path, reference: &str) -> Result<PathBuf> {
    let reference = parse_reference(reference)?;
    let mut leaf = reference
        .repository()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if let Some(tag) = reference.tag() {
        leaf = format!("{leaf}:{tag}");
    }
    if let Some(digest) = reference.digest() {
        leaf = format!("{leaf}@{digest}");
    }
    let mut path = store.join("registry").join(reference.registry());
    let repository = reference.repository();
    if let Some((parents, _)) = repository.rsplit_once('/') {
        path = path.join(parents);
    }
    Ok(path.join(leaf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_map_to_kwctl_store_paths() {
        let store = Path::new("/s");
        assert_eq!(
            path_in_store(store, "registry://ghcr.io/org/policies/safe:v1.0.0").unwrap(),
            Path::new("/s/registry/ghcr.io/org/policies/safe:v1.0.0")
        );
        assert_eq!(
            path_in_store(store, "localhost:5000/p:latest").unwrap(),
            Path::new("/s/registry/localhost:5000/p:latest")
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            path_in_store(store, &format!("ghcr.io/org/p@{digest}")).unwrap(),
            Path::new(&format!("/s/registry/ghcr.io/org/p@{digest}"))
        );
        assert!(path_in_store(store, "https://example.com/p.wasm").is_err());
    }
}
