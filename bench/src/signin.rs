//! (7) Sign-in cost: the gateway's RSS after [`SIGN_INS`]-many sequential sign-ins (argon2id,
//! 19 MiB per hash) and the latency of other requests (`GET /metrics`) while
//! [`FLOOD_CLIENTS`] clients sign in without pause.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::gateway::{self, GatewayProcess};
use crate::load::{closed_loop, Stats};

/// Target: RSS after the sequential sign-ins (MB = 1,000,000 bytes).
pub const RSS_AFTER_SIGN_INS_TARGET_MB: f64 = 60.0;
/// Target: p99 of other requests during the flood.
pub const OTHER_P99_TARGET: Duration = Duration::from_millis(50);
/// Concurrent clients signing in during the flood.
pub const FLOOD_CLIENTS: usize = 16;

/// What the sign-in run measured.
pub struct SignInRun {
    /// Sequential sign-ins made.
    pub sign_ins: usize,
    /// RSS after start, before any sign-in (KiB).
    pub rss_idle_kib: u64,
    /// RSS after the sequential sign-ins (KiB).
    pub rss_after_kib: u64,
    /// The sign-ins of the flood.
    pub flood: Stats,
    /// `GET /metrics` during the flood.
    pub other: Stats,
    /// RSS after the flood (KiB).
    pub rss_after_flood_kib: u64,
    /// Peak RSS since start (VmHWM, KiB).
    pub rss_peak_kib: u64,
}

/// Starts a gateway in a fresh home and measures.
pub async fn run(bin: &Path, site_root: &Path, sign_ins: usize, flood_for: Duration) -> Result<SignInRun> {
    let home = tempfile::tempdir()?;
    let gw = GatewayProcess::spawn(bin, home.path(), site_root).await?;
    let http = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle_kib = gw.rss_kib()?;
    for _ in 0..sign_ins {
        gateway::sign_in(&http, &gw.base_url).await?;
    }
    let rss_after_kib = gw.rss_kib()?;

    let base = gw.base_url.clone();
    let flooder = http.clone();
    let flood = tokio::spawn(closed_loop(FLOOD_CLIENTS, flood_for, move || {
        let (http, base) = (flooder.clone(), base.clone());
        async move { gateway::sign_in(&http, &base).await.map(|_| ()) }
    }));
    // Let the flood start before timing the other requests.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let metrics_url = format!("{}/metrics", gw.base_url);
    let other = closed_loop(1, flood_for.saturating_sub(Duration::from_millis(400)), move || {
        let (http, url) = (http.clone(), metrics_url.clone());
        async move {
            let response = http.get(&url).send().await?;
            if !response.status().is_success() {
                bail!("GET /metrics: {}", response.status());
            }
            response.bytes().await?;
            Ok(())
        }
    })
    .await;
    let flood = flood.await?;
    let rss_after_flood_kib = gw.rss_kib()?;
    let rss_peak_kib = gw.peak_rss_kib()?;
    gw.stop().await?;
    Ok(SignInRun {
        sign_ins,
        rss_idle_kib,
        rss_after_kib,
        flood,
        other,
        rss_after_flood_kib,
        rss_peak_kib,
    })
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// The markdown section of the report.
pub fn markdown(run: &SignInRun) -> String {
    let after_mb = mb(run.rss_after_kib);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "## Sign-in cost\n\n\
         | figure | value | target |\n|---|---|---|\n\
         | RSS idle | {:.1} MB | |\n\
         | RSS after {} sign-ins | {:.1} MB | ≤ {:.0} MB: {} |\n\
         | sign-ins during the flood ({} clients) | {} ok, {} errors, p50 {:.0} ms, p99 {:.0} ms, {:.1}/s | |\n\
         | other requests (`GET /metrics`) during the flood | {} ok, p50 {:.1} ms, p99 {:.1} ms | p99 ≤ {} ms: {} |\n\
         | RSS after the flood / peak | {:.1} MB / {:.1} MB | |\n",
        mb(run.rss_idle_kib),
        run.sign_ins,
        after_mb,
        RSS_AFTER_SIGN_INS_TARGET_MB,
        verdict(after_mb <= RSS_AFTER_SIGN_INS_TARGET_MB),
        FLOOD_CLIENTS,
        run.flood.ok,
        run.flood.errors,
        ms(run.flood.p50),
        ms(run.flood.p99),
        run.flood.per_sec,
        run.other.ok,
        ms(run.other.p50),
        ms(run.other.p99),
        OTHER_P99_TARGET.as_millis(),
        verdict(run.other.p99 <= OTHER_P99_TARGET && run.other.ok > 0),
        mb(run.rss_after_flood_kib),
        mb(run.rss_peak_kib),
    )
}
