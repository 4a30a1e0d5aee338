//! The built web app on disk (cargo-leptos' site root) and the HTML page that boots it.
//!
//! The shell page is written here rather than with Leptos' `HydrationScripts`, whose wasm file name
//! depends on whether the server binary itself was compiled by cargo-leptos; this page instead
//! looks at the files actually present, so `cargo build`/`cargo test` binaries serve it correctly too.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue};
use axum::response::Response;

/// Environment variable naming the site root (set by cargo-leptos; `target/site` otherwise).
pub const SITE_ROOT_ENV: &str = "LEPTOS_SITE_ROOT";
/// `output-name` of the web app in `[[workspace.metadata.leptos]]`: `/pkg/openfatture.{js,wasm,css}`.
const OUTPUT_NAME: &str = "openfatture";
/// `site-pkg-dir` in `[[workspace.metadata.leptos]]`.
const PKG_DIR: &str = "pkg";
/// cargo-leptos' default site root, relative to the workspace.
const DEFAULT_SITE_ROOT: &str = "target/site";
/// The service worker script (`public/sw.js`), served from the site root.
const SERVICE_WORKER_FILE: &str = "sw.js";
/// The web app manifest (`public/manifest.webmanifest`).
const MANIFEST_FILE: &str = "manifest.webmanifest";
/// The loader of the lazily fetched back-office wasm chunk, written by `cargo leptos build --split`
/// (name fixed by cargo-leptos) and imported by `<output>.js` at start-up.
const SPLIT_LOADER_FILE: &str = "__wasm_split.______________________.js";
/// Browser UI colour: the header background (`--text` in style/main.css, `theme_color` in the manifest).
const THEME_COLOR: &str = "#1d2430";

/// Whether a file of the site must be revalidated with the gateway on every use
/// (`Cache-Control: no-cache`): the service worker and the manifest, so that updates reach
/// installed apps, and `/pkg/...`, whose file names stay the same on every build.
fn must_revalidate(path: &str) -> bool {
    path == "/sw.js" || path == "/manifest.webmanifest" || path.starts_with("/pkg/")
}

/// Adds `Cache-Control: no-cache` to the response for the site file at `path` when it
/// [must be revalidated](must_revalidate) (and the response does not set its own).
pub(crate) fn with_revalidation(path: &str, mut response: Response) -> Response {
    if must_revalidate(path) && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// Where the built site is: `$LEPTOS_SITE_ROOT`; else `target/site` under the current directory;
/// else `../site` next to the executable (`target/{debug,release}/openfatture` → `target/site`).
pub fn site_root_from_env() -> PathBuf {
    if let Some(root) = std::env::var_os(SITE_ROOT_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(root);
    }
    let in_cwd = PathBuf::from(DEFAULT_SITE_ROOT);
    if in_cwd.is_dir() {
        return in_cwd;
    }
    let next_to_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(Path::parent).map(|target| target.join("site")));
    match next_to_exe {
        Some(dir) if dir.is_dir() => dir,
        _ => in_cwd,
    }
}

/// The app's HTML shell and the text of its one inline script.
pub(crate) struct Shell {
    /// The page.
    pub html: String,
    /// The inline boot script, exactly as between `<script type="module">` and `</script>`.
    pub boot_script: String,
}

/// The site root and the pages generated from it.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    root: PathBuf,
}

impl Site {
    /// A site rooted at `root` (it may not exist yet: it is checked on every page load).
    pub(crate) fn new(root: PathBuf) -> Self {
        Site { root }
    }

    /// The site root directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn pkg_file(&self, name: &str) -> PathBuf {
        self.root.join(PKG_DIR).join(name)
    }

    /// Whether the web app has been built into the site root.
    pub(crate) fn is_built(&self) -> bool {
        self.pkg_file(&format!("{OUTPUT_NAME}.js")).is_file()
    }

    /// File name of the wasm module: cargo-leptos names it `<output>.wasm`; plain wasm-bindgen
    /// output is `<output>_bg.wasm`.
    fn wasm_file_name(&self) -> String {
        let leptos_name = format!("{OUTPUT_NAME}.wasm");
        if self.pkg_file(&leptos_name).is_file() {
            leptos_name
        } else {
            format!("{OUTPUT_NAME}_bg.wasm")
        }
    }

    /// Whether the build was split (`cargo leptos build --split`): the back office is a separate chunk.
    fn has_split_loader(&self) -> bool {
        self.pkg_file(SPLIT_LOADER_FILE).is_file()
    }

    /// Whether the site root holds the service worker (copied from `public/` by cargo-leptos).
    fn has_service_worker(&self) -> bool {
        self.root.join(SERVICE_WORKER_FILE).is_file()
    }

    /// The HTML shell every client route gets (see [`Site::shell`]).
    #[cfg(test)]
    pub(crate) fn index_html(&self) -> String {
        self.shell().html
    }

    /// The HTML shell every client route gets: loads the stylesheet, starts the wasm app, links the
    /// web app manifest and registers the service worker (installable PWA, offline app shell).
    pub(crate) fn shell(&self) -> Shell {
        let wasm = self.wasm_file_name();
        // Service workers exist only in secure contexts: https://, or http://127.0.0.1 / localhost.
        // On a LAN address over plain http `navigator.serviceWorker` is undefined and nothing happens.
        // Registered after `load`, so its pre-caching does not compete with the app's first start;
        // `updateViaCache: "none"`: the browser always asks the gateway for a new /sw.js.
        let register_service_worker = if self.has_service_worker() {
            format!(
                r#"
if ("serviceWorker" in navigator) {{
  window.addEventListener("load", () => {{
    navigator.serviceWorker
      .register("/{SERVICE_WORKER_FILE}", {{ scope: "/", updateViaCache: "none" }})
      .catch((error) => console.warn("service worker not registered:", error));
  }});
}}"#
            )
        } else {
            String::new()
        };
        // Fetched together with the app's JS instead of after it has been parsed.
        let preload_split_loader = if self.has_split_loader() {
            format!("\n<link rel=\"modulepreload\" href=\"/{PKG_DIR}/{SPLIT_LOADER_FILE}\">")
        } else {
            String::new()
        };
        // Its exact text is hashed into the page's Content-Security-Policy.
        let boot_script = format!(
            r#"
import init from "/{PKG_DIR}/{OUTPUT_NAME}.js";
init({{ module_or_path: "/{PKG_DIR}/{wasm}" }});{register_service_worker}
"#
        );
        let html = format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenFatture Lightning</title>
<meta name="theme-color" content="{THEME_COLOR}">
<meta name="mobile-web-app-capable" content="yes">
<meta name="apple-mobile-web-app-title" content="OpenFatture">
<link rel="manifest" href="/{MANIFEST_FILE}">
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png">
<link rel="stylesheet" href="/{PKG_DIR}/{OUTPUT_NAME}.css">
<link rel="modulepreload" href="/{PKG_DIR}/{OUTPUT_NAME}.js">{preload_split_loader}
<script type="module">{boot_script}</script>
</head>
<body>
<noscript>OpenFatture Lightning needs JavaScript and WebAssembly enabled.</noscript>
</body>
</html>
"#
        );
        Shell { html, boot_script }
    }

    /// The page served instead of the app when the site root holds no build.
    pub(crate) fn not_built_html(&self) -> String {
        let root = html_escape(&self.root.display().to_string());
        format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>OpenFatture Lightning: web UI not built</title></head>
<body>
<h1>The web UI is not built</h1>
<p>The gateway is running, but there is no built web app in <code>{root}</code>.</p>
<p>Build and start everything with <code>bash scripts/run.sh</code> (it runs <code>cargo leptos build --release</code>),
or point <code>{SITE_ROOT_ENV}</code> at the directory <code>cargo leptos build</code> produced.</p>
</body>
</html>
"#
        )
    }
}

/// Escapes text for inclusion in HTML.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_loads_the_leptos_named_wasm_when_present() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let site = Site::new(dir.path().to_path_buf());
        assert!(!site.is_built());
        assert!(site
            .index_html()
            .contains(r#"module_or_path: "/pkg/openfatture_bg.wasm""#));
        std::fs::create_dir_all(dir.path().join("pkg"))?;
        std::fs::write(dir.path().join("pkg/openfatture.js"), "")?;
        std::fs::write(dir.path().join("pkg/openfatture.wasm"), "")?;
        assert!(site.is_built());
        let html = site.index_html();
        assert!(html.contains(r#"import init from "/pkg/openfatture.js";"#));
        assert!(html.contains(r#"module_or_path: "/pkg/openfatture.wasm""#));
        assert!(html.contains(r#"href="/pkg/openfatture.css""#));
        Ok(())
    }

    #[test]
    fn index_preloads_the_split_loader_only_in_split_builds() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let site = Site::new(dir.path().to_path_buf());
        std::fs::create_dir_all(dir.path().join("pkg"))?;
        std::fs::write(dir.path().join("pkg/openfatture.js"), "")?;
        assert!(!site.index_html().contains("__wasm_split"));
        std::fs::write(dir.path().join("pkg").join(SPLIT_LOADER_FILE), "")?;
        assert!(site
            .index_html()
            .contains(r#"<link rel="modulepreload" href="/pkg/__wasm_split.______________________.js">"#));
        Ok(())
    }

    #[test]
    fn index_links_the_manifest_and_registers_the_service_worker_only_when_present() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let site = Site::new(dir.path().to_path_buf());
        let html = site.index_html();
        assert!(html.contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#));
        assert!(html.contains(r##"<meta name="theme-color" content="#1d2430">"##));
        assert!(html.contains(r#"<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png">"#));
        assert!(!html.contains("serviceWorker"));

        std::fs::write(dir.path().join("sw.js"), "")?;
        let html = site.index_html();
        assert!(html.contains(r#"if ("serviceWorker" in navigator)"#));
        assert!(html.contains(r#".register("/sw.js", { scope: "/", updateViaCache: "none" })"#));
        Ok(())
    }

    #[test]
    fn service_worker_manifest_and_pkg_are_revalidated_but_icons_are_not() {
        assert!(must_revalidate("/sw.js"));
        assert!(must_revalidate("/manifest.webmanifest"));
        assert!(must_revalidate("/pkg/openfatture.wasm"));
        assert!(!must_revalidate("/icons/icon-192.png"));
        assert!(!must_revalidate("/favicon.svg"));
        assert!(!must_revalidate("/api/node_status"));
    }

    #[test]
    fn revalidated_files_get_no_cache_and_others_are_left_alone() {
        let sw = with_revalidation("/sw.js", Response::new(axum::body::Body::empty()));
        assert_eq!(
            sw.headers().get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
            Some(&b"no-cache"[..])
        );
        let icon = with_revalidation("/icons/icon-192.png", Response::new(axum::body::Body::empty()));
        assert!(icon.headers().get(header::CACHE_CONTROL).is_none());
    }

    #[test]
    fn not_built_page_names_the_directory_escaped_and_the_fix() {
        let site = Site::new(PathBuf::from("/tmp/<site>"));
        let html = site.not_built_html();
        assert!(html.contains("/tmp/&lt;site&gt;"));
        assert!(html.contains("bash scripts/run.sh"));
    }
}
