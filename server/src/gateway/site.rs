//! The built web app on disk (cargo-leptos' site root) and the HTML page that boots it.
//!
//! The shell page is written here rather than with Leptos' `HydrationScripts`, whose wasm file name
//! depends on whether the server binary itself was compiled by cargo-leptos; this page instead
//! looks at the files actually present, so `cargo build`/`cargo test` binaries serve it correctly too.

use std::path::{Path, PathBuf};

/// Environment variable naming the site root (set by cargo-leptos; `target/site` otherwise).
pub const SITE_ROOT_ENV: &str = "LEPTOS_SITE_ROOT";
/// `output-name` of the web app in `[[workspace.metadata.leptos]]`: `/pkg/openfatture.{js,wasm,css}`.
const OUTPUT_NAME: &str = "openfatture";
/// `site-pkg-dir` in `[[workspace.metadata.leptos]]`.
const PKG_DIR: &str = "pkg";
/// cargo-leptos' default site root, relative to the workspace.
const DEFAULT_SITE_ROOT: &str = "target/site";

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
    let next_to_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .and_then(Path::parent)
            .map(|target| target.join("site"))
    });
    match next_to_exe {
        Some(dir) if dir.is_dir() => dir,
        _ => in_cwd,
    }
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

    /// The HTML shell every client route gets: loads the stylesheet and starts the wasm app.
    pub(crate) fn index_html(&self) -> String {
        let wasm = self.wasm_file_name();
        format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenFatture Lightning</title>
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
<link rel="stylesheet" href="/{PKG_DIR}/{OUTPUT_NAME}.css">
<link rel="modulepreload" href="/{PKG_DIR}/{OUTPUT_NAME}.js">
<script type="module">
import init from "/{PKG_DIR}/{OUTPUT_NAME}.js";
init({{ module_or_path: "/{PKG_DIR}/{wasm}" }});
</script>
</head>
<body>
<noscript>OpenFatture Lightning needs JavaScript and WebAssembly enabled.</noscript>
</body>
</html>
"#
        )
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
    fn not_built_page_names_the_directory_escaped_and_the_fix() {
        let site = Site::new(PathBuf::from("/tmp/<site>"));
        let html = site.not_built_html();
        assert!(html.contains("/tmp/&lt;site&gt;"));
        assert!(html.contains("bash scripts/run.sh"));
    }
}
