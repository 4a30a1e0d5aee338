//! Build script of the server: writes the tables of site files compiled into the binary.
//!
//! - `site_fixture.rs` (always; small): `server/tests/fixtures/site`, which the unit tests of
//!   `gateway/site.rs` serve as an embedded site.
//! - `site_embedded.rs` (feature `embed-site`): the built web app, from `$OPENFATTURE_SITE_DIR` or
//!   else `<workspace>/target/site` (where `cargo leptos build` / `cargo xtask build` put it).
//!
//! Each table is a `&[EmbeddedFile]` sorted by URL path, with the content type (the one
//! `tower-http`'s `ServeDir` sends for that extension) and a strong ETag computed here, so the
//! gateway does no work per file at start.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Environment variable naming the built site to embed.
const SITE_DIR_ENV: &str = "OPENFATTURE_SITE_DIR";
/// A file every built site has (the web app's JavaScript entry).
const BUILT_MARKER: &str = "pkg/openfatture.js";

type BuildResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BuildResult<()> {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR unset")?);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?);

    let fixture = manifest_dir.join("tests/fixtures/site");
    println!("cargo:rerun-if-changed={}", fixture.display());
    std::fs::write(out_dir.join("site_fixture.rs"), table(&fixture)?)?;

    if std::env::var_os("CARGO_FEATURE_EMBED_SITE").is_some() {
        println!("cargo:rerun-if-env-changed={SITE_DIR_ENV}");
        let site = match std::env::var_os(SITE_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => manifest_dir.join("../target/site"),
        };
        println!("cargo:rerun-if-changed={}", site.display());
        if !site.join(BUILT_MARKER).is_file() {
            return Err(format!(
                "feature embed-site: no built site in {} ({BUILT_MARKER} is missing). Build the site first \
                 (`cargo leptos build --release --split`, or `cargo xtask build --release`), or set \
                 {SITE_DIR_ENV} to the directory that holds it",
                site.display()
            )
            .into());
        }
        std::fs::write(out_dir.join("site_embedded.rs"), table(&site)?)?;
    }
    Ok(())
}

/// The Rust expression `&[EmbeddedFile { .. }, ..]` for every file under `root`, sorted by path.
fn table(root: &Path) -> BuildResult<String> {
    let mut files = Vec::new();
    collect(root, root, &mut files)?;
    files.sort();
    let mut out = String::from("&[\n");
    for (url_path, file) in files {
        let bytes = std::fs::read(&file)?;
        let absolute = std::fs::canonicalize(&file)?;
        let absolute = absolute.to_str().ok_or("site path is not UTF-8")?;
        writeln!(
            out,
            "    EmbeddedFile {{ path: {url_path:?}, bytes: include_bytes!({absolute:?}), content_type: {:?}, etag: {:?} }},",
            content_type(&url_path),
            etag(&bytes),
        )?;
    }
    out.push(']');
    Ok(out)
}

/// Adds `(url path, file)` for every file under `dir` to `files`; skips TypeScript declarations
/// (`*.d.ts`, which no browser loads) and names that are not UTF-8.
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> BuildResult<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
            continue;
        }
        let Some(relative) = path.strip_prefix(root)?.to_str() else {
            println!("cargo:warning=not embedded (name not UTF-8): {}", path.display());
            continue;
        };
        if relative.ends_with(".d.ts") {
            continue;
        }
        files.push((format!("/{}", relative.replace('\\', "/")), path.clone()));
    }
    Ok(())
}

/// The content type `ServeDir` (mime_guess) gives a file of this name.
fn content_type(url_path: &str) -> &'static str {
    let extension = url_path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html",
        "js" => "text/javascript",
        "mjs" => "application/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "map" => "text/plain",
        "woff2" => "font/woff2",
        "woff" => "application/font-woff",
        _ => "application/octet-stream",
    }
}

/// A strong ETag from the length and the 64-bit FNV-1a hash of the content (cache validation only).
fn etag(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{:x}-{hash:016x}\"", bytes.len())
}
