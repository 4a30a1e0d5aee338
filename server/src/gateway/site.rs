//! The built web app, on disk (cargo-leptos' site root) or compiled into the binary (feature
//! `embed-site`), and the HTML page that boots it.
//!
//! The shell page is written here rather than with Leptos' `HydrationScripts`, whose wasm file name
//! depends on whether the server binary itself was compiled by cargo-leptos; this page instead
//! looks at the files actually present, so `cargo build`/`cargo test` binaries serve it correctly too.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

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
    files: SiteFiles,
}

impl Site {
    /// The site at `root` when that directory holds a build (development: `LEPTOS_SITE_ROOT`
    /// wins), else the site compiled into the binary if there is one, else `root` anyway (it may
    /// not exist yet: it is checked on every page load).
    pub(crate) fn new(root: PathBuf) -> Self {
        Site::with_embedded(root, EMBEDDED_SITE)
    }

    /// [`Site::new`] with `embedded` as the site compiled into the binary.
    fn with_embedded(root: PathBuf, embedded: Option<&'static [EmbeddedFile]>) -> Self {
        let dir = SiteFiles::Dir(root.clone());
        let files = match embedded {
            Some(files) if !dir.has(&built_marker()) => SiteFiles::Embedded(files),
            _ => dir,
        };
        Site { root, files }
    }

    /// The file of the site the GET or HEAD `request` asks for, or 404.
    pub(crate) async fn file(&self, request: Request) -> Response {
        self.files.serve(request).await
    }

    /// The site root directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn has_pkg_file(&self, name: &str) -> bool {
        self.files.has(&format!("{PKG_DIR}/{name}"))
    }

    /// Whether the web app has been built into the site root (or into the binary).
    pub(crate) fn is_built(&self) -> bool {
        self.files.has(&built_marker())
    }

    /// File name of the wasm module: cargo-leptos names it `<output>.wasm`; plain wasm-bindgen
    /// output is `<output>_bg.wasm`.
    fn wasm_file_name(&self) -> String {
        let leptos_name = format!("{OUTPUT_NAME}.wasm");
        if self.has_pkg_file(&leptos_name) {
            leptos_name
        } else {
            format!("{OUTPUT_NAME}_bg.wasm")
        }
    }

    /// Whether the build was split (`cargo leptos build --split`): the back office is a separate chunk.
    fn has_split_loader(&self) -> bool {
        self.has_pkg_file(SPLIT_LOADER_FILE)
    }

    /// Whether the site root holds the service worker (copied from `public/` by cargo-leptos).
    fn has_service_worker(&self) -> bool {
        self.files.has(SERVICE_WORKER_FILE)
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

/// The file every built site has: `pkg/<output>.js`.
fn built_marker() -> String {
    format!("{PKG_DIR}/{OUTPUT_NAME}.js")
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

/// One file of the site compiled into the binary; `build.rs` writes the tables of them, sorted
/// by `path`, with the content type and ETag worked out at build time.
#[derive(Debug)]
pub(crate) struct EmbeddedFile {
    /// The URL path, from `/` (`/pkg/openfatture.wasm`).
    path: &'static str,
    /// The content.
    bytes: &'static [u8],
    /// `Content-Type`, as `ServeDir` sends it for a file of that name.
    content_type: &'static str,
    /// Strong ETag, quotes included.
    etag: &'static str,
}

/// The built site compiled into this binary (feature `embed-site`), sorted by path.
#[cfg(feature = "embed-site")]
const EMBEDDED_SITE: Option<&[EmbeddedFile]> = Some(include!(concat!(env!("OUT_DIR"), "/site_embedded.rs")));
/// No site is compiled into this binary (feature `embed-site` off).
#[cfg(not(feature = "embed-site"))]
const EMBEDDED_SITE: Option<&[EmbeddedFile]> = None;

/// Where the files of the site come from.
#[derive(Debug, Clone)]
enum SiteFiles {
    /// A directory (`LEPTOS_SITE_ROOT`, `target/site`).
    Dir(PathBuf),
    /// Compiled into the binary, sorted by path.
    Embedded(&'static [EmbeddedFile]),
}

impl SiteFiles {
    /// Whether the site has the file at `relative` (`pkg/openfatture.js`).
    fn has(&self, relative: &str) -> bool {
        match self {
            SiteFiles::Dir(root) => root.join(relative).is_file(),
            SiteFiles::Embedded(files) => find(files, &format!("/{relative}")).is_some(),
        }
    }

    /// The file the GET or HEAD `request` asks for, or 404.
    async fn serve(&self, request: Request) -> Response {
        match self {
            SiteFiles::Dir(root) => {
                let file = ServeDir::new(root).append_index_html_on_directories(false);
                match file.oneshot(request).await {
                    Ok(response) => response.map(Body::new),
                    Err(infallible) => match infallible {},
                }
            }
            SiteFiles::Embedded(files) => {
                let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8();
                match path.ok().and_then(|path| find(files, &path)) {
                    Some(file) => embedded_response(file, &request),
                    None => StatusCode::NOT_FOUND.into_response(),
                }
            }
        }
    }
}

/// The embedded file at URL path `path`.
fn find(files: &'static [EmbeddedFile], path: &str) -> Option<&'static EmbeddedFile> {
    let index = files.binary_search_by(|file| file.path.cmp(path)).ok()?;
    files.get(index)
}

/// `file` as `ServeDir` would answer it (content type and length; no body for HEAD), with its
/// ETag; `304 Not Modified` when the request's `If-None-Match` names that ETag.
fn embedded_response(file: &'static EmbeddedFile, request: &Request) -> Response {
    let etag = HeaderValue::from_static(file.etag);
    let cached = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == file.etag);
    if cached {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = if request.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from(file.bytes)
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.bytes.len()));
    headers.insert(header::ETAG, etag);
    response
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

    /// `server/tests/fixtures/site` as `build.rs` compiles it into the test build.
    const FIXTURE_SITE: &[EmbeddedFile] = include!(concat!(env!("OUT_DIR"), "/site_fixture.rs"));
    /// The same site on disk.
    const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/site");

    fn get(path: &str) -> Request {
        axum::http::Request::get(path).body(Body::empty()).unwrap()
    }

    /// Status, the headers a browser acts on, and the body of the answer to `request`.
    async fn answer(site: &Site, request: Request) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
        let path = request.uri().path().to_owned();
        let response = with_revalidation(&path, site.file(request).await);
        let status = response.status();
        let headers = [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CACHE_CONTROL]
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some((name.to_string(), value.to_owned()))
            })
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, headers, body.to_vec())
    }

    /// An embedded site (the fixture) with an empty directory as its root.
    fn embedded_site() -> (tempfile::TempDir, Site) {
        let empty = tempfile::tempdir().unwrap();
        let site = Site::with_embedded(empty.path().to_path_buf(), Some(FIXTURE_SITE));
        assert!(matches!(site.files, SiteFiles::Embedded(_)), "{:?}", site.files);
        (empty, site)
    }

    #[test]
    fn the_embedded_table_holds_the_whole_fixture_sorted_without_typescript_declarations() {
        let paths: Vec<&str> = FIXTURE_SITE.iter().map(|file| file.path).collect();
        assert_eq!(
            paths,
            [
                "/favicon.svg",
                "/icons/icon-192.png",
                "/manifest.webmanifest",
                "/pkg/__wasm_split.______________________.js",
                "/pkg/openfatture.css",
                "/pkg/openfatture.js",
                "/pkg/openfatture.wasm",
                "/sw.js",
            ]
        );
        for file in FIXTURE_SITE {
            let on_disk = std::fs::read(format!("{FIXTURE_DIR}{}", file.path)).unwrap();
            assert_eq!(file.bytes, &on_disk[..], "{}", file.path);
            assert!(file.etag.starts_with('"') && file.etag.ends_with('"') && file.etag.len() > 4);
        }
        let etags: std::collections::HashSet<_> = FIXTURE_SITE.iter().map(|file| file.etag).collect();
        assert_eq!(etags.len(), FIXTURE_SITE.len(), "every file has its own ETag");
    }

    #[tokio::test]
    async fn the_embedded_site_answers_every_file_as_the_directory_does() {
        let (_empty, embedded) = embedded_site();
        let dir = Site::with_embedded(PathBuf::from(FIXTURE_DIR), None);
        for file in FIXTURE_SITE {
            for method in [Method::GET, Method::HEAD] {
                let request = || {
                    axum::http::Request::builder()
                        .method(method.clone())
                        .uri(file.path)
                        .body(Body::empty())
                        .unwrap()
                };
                let from_binary = answer(&embedded, request()).await;
                let from_dir = answer(&dir, request()).await;
                assert_eq!(from_binary.0, StatusCode::OK, "{method} {}", file.path);
                assert_eq!(from_binary, from_dir, "{method} {}", file.path);
            }
        }
        let (_, headers, body) = answer(&embedded, get("/pkg/openfatture.wasm")).await;
        assert!(headers.contains(&("content-type".into(), "application/wasm".into())));
        assert!(headers.contains(&("cache-control".into(), "no-cache".into())));
        assert_eq!(body, b"\0asm\x01\0\0\0");
        let (_, headers, _) = answer(&embedded, get("/sw.js")).await;
        assert!(headers.contains(&("content-type".into(), "text/javascript".into())));
        assert!(headers.contains(&("cache-control".into(), "no-cache".into())));
        let (_, headers, _) = answer(&embedded, get("/icons/icon-192.png")).await;
        assert!(headers.contains(&("content-type".into(), "image/png".into())));
        assert!(!headers.iter().any(|(name, _)| name == "cache-control"));
    }

    #[tokio::test]
    async fn the_embedded_site_finds_nothing_outside_its_table() {
        let (_empty, site) = embedded_site();
        for path in [
            "/",
            "/pkg",
            "/pkg/",
            "/pkg/openfatture.d.ts",
            "/pkg/../sw.js",
            "/../Cargo.toml",
            "/nope.js",
            "/SW.JS",
        ] {
            assert_eq!(answer(&site, get(path)).await.0, StatusCode::NOT_FOUND, "{path}");
        }
        // Percent-encoded like the directory's files: the same file.
        let (status, _, body) = answer(&site, get("/pkg/openfatture%2Ecss")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"body{margin:0}\n");
    }

    #[tokio::test]
    async fn the_embedded_site_answers_a_known_etag_with_not_modified() {
        let (_empty, site) = embedded_site();
        let first = site.file(get("/pkg/openfatture.js")).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        for if_none_match in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".into(),
        ] {
            let request = axum::http::Request::get("/pkg/openfatture.js")
                .header(header::IF_NONE_MATCH, &if_none_match)
                .body(Body::empty())
                .unwrap();
            let response = site.file(request).await;
            assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{if_none_match}");
            assert_eq!(response.headers()[header::ETAG], etag.as_str());
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert!(body.is_empty());
        }
        let request = axum::http::Request::get("/pkg/openfatture.js")
            .header(header::IF_NONE_MATCH, "\"stale\"")
            .body(Body::empty())
            .unwrap();
        assert_eq!(site.file(request).await.status(), StatusCode::OK);
        // Another file has another ETag.
        let css = site.file(get("/pkg/openfatture.css")).await;
        assert_ne!(css.headers()[header::ETAG], etag.as_str());
    }

    #[test]
    fn the_shell_of_the_embedded_site_loads_its_wasm_split_loader_and_service_worker() {
        let (_empty, site) = embedded_site();
        assert!(site.is_built());
        let html = site.index_html();
        assert!(html.contains(r#"module_or_path: "/pkg/openfatture.wasm""#));
        assert!(html.contains(r#"href="/pkg/__wasm_split.______________________.js""#));
        assert!(html.contains(r#".register("/sw.js""#));
    }

    #[test]
    fn a_directory_with_a_build_wins_over_the_embedded_site() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("pkg"))?;
        std::fs::write(dir.path().join("pkg/openfatture.js"), "")?;
        let site = Site::with_embedded(dir.path().to_path_buf(), Some(FIXTURE_SITE));
        assert!(matches!(&site.files, SiteFiles::Dir(root) if root == dir.path()));
        // Its own files only: no service worker there, so the shell registers none.
        assert!(!site.index_html().contains("serviceWorker"));
        // Without a build in the directory nor in the binary, the directory (and its "not built" page).
        let empty = tempfile::tempdir()?;
        let site = Site::with_embedded(empty.path().to_path_buf(), None);
        assert!(!site.is_built());
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
