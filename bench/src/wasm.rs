//! Size of what the POS downloads — the app's main wasm module plus the JavaScript that starts it
//! (`<name>.js` and, in a `--split` build, the chunk loader) — raw and compressed with `gzip -9`
//! (as a web server would send it), and of the lazily loaded chunks (`split_*.wasm`, the back
//! office) that only admins fetch.

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
    /// The JavaScript files loaded with it at start-up: (file name, raw bytes, gzip bytes).
    pub start_js: Vec<(String, u64, u64)>,
    /// Lazily loaded wasm chunks next to it, fetched only by the back office: (name, raw, gzip).
    pub lazy_chunks: Vec<(String, u64, u64)>,
    /// Whether the file still has a `name` or DWARF `.debug_*` section (a debug build, not what
    /// ships: the release build goes through `wasm-opt`, which drops them).
    pub is_debug_build: bool,
}

/// The bundle `cargo leptos build` leaves under `workspace`.
pub fn default_path(workspace: &Path) -> PathBuf {
    workspace.join("target/site/pkg/openfatture.wasm")
}

/// `gzip -9` of the file at `path`: its raw and compressed sizes.
fn gzip_sizes(path: &Path) -> Result<(u64, u64)> {
    let raw = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .context("running gzip -9 (install gzip)")?;
    if !output.status.success() {
        bail!("gzip -9 {} failed", path.display());
    }
    Ok((raw, output.stdout.len() as u64))
}

/// Measures the wasm file at `path`, the start-up JavaScript beside it and the lazy chunks.
pub fn measure(path: &Path) -> Result<WasmSize> {
    let path = path.to_path_buf();
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (build it with `cargo leptos build --release --split`)",
            path.display()
        )
    })?;
    let (raw_bytes, gzip_bytes) = gzip_sizes(&path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let mut start_js = Vec::new();
    let mut lazy_chunks = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let is_start_js = name == format!("{stem}.js") || (name.starts_with("__wasm_split") && name.ends_with(".js"));
        let is_chunk = name.starts_with("split_") && name.ends_with(".wasm");
        if is_start_js || is_chunk {
            let (raw, gzip) = gzip_sizes(&dir.join(&name))?;
            if is_start_js {
                start_js.push((name, raw, gzip));
            } else {
                lazy_chunks.push((name, raw, gzip));
            }
        }
    }
    Ok(WasmSize {
        raw_bytes,
        gzip_bytes,
        start_js,
        lazy_chunks,
        is_debug_build: custom_sections(&bytes)
            .iter()
            .any(|name| name == "name" || name.starts_with(".debug_")),
        path,
    })
}

impl WasmSize {
    /// What a cashier's browser downloads for the POS: the main module plus its start-up JS (raw, gzip).
    pub fn pos_total(&self) -> (u64, u64) {
        self.start_js
            .iter()
            .fold((self.raw_bytes, self.gzip_bytes), |(r, g), (_, raw, gzip)| {
                (r + raw, g + gzip)
            })
    }
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
