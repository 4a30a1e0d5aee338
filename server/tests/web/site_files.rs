//! The site's files over real HTTP from a gateway on the embedded simnode, served from the site
//! directory (`server/tests/fixtures/site`, the same files the unit tests of `gateway/site.rs`
//! serve compiled in): content types, revalidation, HEAD, methods. The site compiled into the
//! release binary is checked end to end by `scripts/package.sh` (README, "Deploying").

use crate::common;

use std::path::PathBuf;

use common::web::{any_port, first_admin, settings_with};
use common::TestResult;
use openfatture::config::Home;
use openfatture::gateway::{self, ServeArgs};

/// The fixture site shipped with the tests.
fn fixture_site() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site")
}

#[tokio::test]
async fn every_site_file_has_its_type_and_the_app_files_are_revalidated() -> TestResult {
    let dir = tempfile::tempdir()?;
    let home = Home::at(dir.path());
    let settings = settings_with(
        &home,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
    )?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: Some(first_admin()),
    };
    let gateway = gateway::start(&settings, &home, args, fixture_site()).await?;
    let base = format!("http://{}", gateway.local_addr());
    let client = reqwest::Client::new();

    // path, content type, whether it is revalidated on every use
    let files = [
        ("/sw.js", "text/javascript", true),
        ("/manifest.webmanifest", "application/manifest+json", true),
        ("/pkg/openfatture.js", "text/javascript", true),
        ("/pkg/openfatture.wasm", "application/wasm", true),
        ("/pkg/openfatture.css", "text/css", true),
        ("/pkg/__wasm_split.______________________.js", "text/javascript", true),
        ("/favicon.svg", "image/svg+xml", false),
        ("/icons/icon-192.png", "image/png", false),
    ];
    for (path, content_type, revalidated) in files {
        let on_disk = std::fs::read(fixture_site().join(&path[1..]))?;
        let response = client.get(format!("{base}{path}")).send().await?;
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        assert_eq!(response.headers()["content-type"], content_type, "GET {path}");
        let cache_control = response.headers().get("cache-control").cloned();
        assert_eq!(
            cache_control.as_ref().map(|v| v.as_bytes()),
            revalidated.then_some(&b"no-cache"[..]),
            "GET {path}"
        );
        assert_eq!(response.bytes().await?.as_ref(), &on_disk[..], "GET {path}");

        let head = client.head(format!("{base}{path}")).send().await?;
        assert_eq!(head.status().as_u16(), 200, "HEAD {path}");
        assert_eq!(
            head.headers()["content-length"],
            on_disk.len().to_string().as_str(),
            "HEAD {path}"
        );
        assert!(head.bytes().await?.is_empty(), "HEAD {path}");
    }

    // The shell registers the service worker and preloads the split loader the directory holds.
    let shell = client.get(format!("{base}/sales")).send().await?.text().await?;
    assert!(shell.contains(r#".register("/sw.js""#), "{shell}");
    assert!(
        shell.contains(r#"href="/pkg/__wasm_split.______________________.js""#),
        "{shell}"
    );

    let posted = client.post(format!("{base}/sw.js")).send().await?;
    assert_eq!(posted.status().as_u16(), 405);
    let missing = client.get(format!("{base}/pkg/nope.wasm")).send().await?;
    assert_eq!(missing.status().as_u16(), 404);

    gateway.shutdown().await?;
    Ok(())
}
