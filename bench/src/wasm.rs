//! Size of the app's wasm bundle, raw and compressed with `gzip -9` (as a web server would send it).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The bundle's sizes.
#[derive(Debug, Clone)]
pub struct WasmSize {
    /// The file measured.
    pub path: PathBuf,
    /// Bytes on disk.
    pub raw_bytes: u64,
    /// Bytes after `gzip -9`.
    pub gzip_bytes: u64,
    /// Whether the file still has a `name` or DWARF `.debug_*` section (a debug build, not what
    /// ships: the release build goes through `wasm-opt`, which drops them).
    pub is_debug_build: bool,
}

/// The bundle `cargo leptos build` leaves under `workspace`.
pub fn default_path(workspace: &Path) -> PathBuf {
    workspace.join("target/site/pkg/openfatture.wasm")
}

/// Measures the wasm file at `path`.
pub fn measure(path: &Path) -> Result<WasmSize> {
    let path = path.to_path_buf();
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (build it with `cargo leptos build --release`)",
            path.display()
        )
    })?;
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&path)
        .output()
        .context("running gzip -9 (install gzip)")?;
    if !output.status.success() {
        bail!("gzip -9 {} failed", path.display());
    }
    Ok(WasmSize {
        raw_bytes: bytes.len() as u64,
        gzip_bytes: output.stdout.len() as u64,
        is_debug_build: custom_sections(&bytes)
            .iter()
            .any(|name| name == "name" || name.starts_with(".debug_")),
        path,
    })
}

/// Names of the custom sections of a wasm module (empty when it is not one).
fn custom_sections(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return names;
    }
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        at += 1;
        let Some((size, after)) = leb128(bytes, at) else {
            break;
        };
        let end = after.saturating_add(size);
        if end > bytes.len() {
            break;
        }
        if id == 0 {
            if let Some((len, name_at)) = leb128(bytes, after) {
                if let Some(name) = bytes.get(name_at..name_at.saturating_add(len)) {
                    names.push(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
        at = end;
    }
    names
}

/// An unsigned LEB128 at `at`: (value, index after it).
fn leb128(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
        shift += 7;
        if shift > 35 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_custom_section_names() {
        // magic, version, a type section (id 1, 1 byte), a custom "name" section.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend([1, 1, 0]);
        module.extend([0, 6, 4]);
        module.extend(b"name");
        module.push(0);
        assert_eq!(custom_sections(&module), vec!["name".to_string()]);
        assert!(custom_sections(b"not wasm").is_empty());
    }
}
