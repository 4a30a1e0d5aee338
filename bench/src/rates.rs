//! (8) Rate quote latency: `RateService::quote` with the cache off (every quote asks every
//! provider), against local Kraken-, Bitstamp- and Coinbase-shaped HTTP servers on loopback:
//! all three answering, then Coinbase dead (its port refuses connections, or it accepts and
//! never answers) with its breaker held closed (asked on every quote), then with its breaker open
//! (not asked). Product defaults otherwise: 2 s per-provider timeout, 3 retries, 2.5 s budget.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use axum::routing::get;
use axum::Router;
use openfatture::breaker::BreakerState;
use openfatture::rates::{RateService, RatesConfig};

use crate::load::Stats;

/// One scenario's figures.
pub struct Scenario {
    /// What was measured.
    pub label: &'static str,
    /// Quote latencies.
    pub stats: Stats,
    /// Answers the last quote's rate was computed from.
    pub sources_agreeing: u32,
}

/// Every scenario of the run.
pub struct RatesRun {
    /// Quotes timed per fast scenario.
    pub quotes: usize,
    /// Quotes timed per scenario that waits on a dead provider.
    pub slow_quotes: usize,
    /// The scenarios, in order.
    pub scenarios: Vec<Scenario>,
}

/// Starts a loopback HTTP server answering `body` on `path`; its base URL and request count.
async fn serve(path: &'static str, body: String) -> Result<(String, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().route(
        path,
        get(move || {
            let body = body.clone();
            counted.fetch_add(1, Ordering::Relaxed);
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}"), hits))
}

/// A loopback address nothing listens on (connections are refused).
async fn refusing() -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{addr}"))
}

/// A loopback server that accepts connections and never answers.
async fn silent() -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Ok(format!("http://{addr}"))
}

fn config(kraken: &str, bitstamp: &str, coinbase: &str, breaker_failures: u32) -> RatesConfig {
    RatesConfig {
        kraken_enabled: true,
        kraken_base_url: Some(kraken.to_owned()),
        bitstamp_enabled: true,
        bitstamp_base_url: Some(bitstamp.to_owned()),
        coinbase_enabled: true,
        coinbase_base_url: Some(coinbase.to_owned()),
        coingecko_enabled: false,
        cmc_enabled: false,
        cache_ttl_secs: 0,
        failure_retry_secs: 0,
        breaker_failures,
        ..RatesConfig::default()
    }
}

/// Times `count` quotes one after the other.
async fn time_quotes(service: &RateService, count: usize) -> (Stats, u32) {
    let mut samples = Vec::with_capacity(count);
    let mut errors = 0;
    let mut first_error = None;
    let mut agreeing = 0;
    let started = Instant::now();
    for _ in 0..count {
        let at = Instant::now();
        match service.quote().await {
            Ok(quote) => {
                samples.push(at.elapsed());
                agreeing = quote.sources_agreeing;
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let mut stats = Stats::from_samples(samples, errors, started.elapsed());
    stats.first_error = first_error;
    (stats, agreeing)
}

/// Runs every scenario: `quotes` timed quotes each, `slow_quotes` where a quote waits on a dead
/// provider.
pub async fn run(quotes: usize, slow_quotes: usize) -> Result<RatesRun> {
    let (kraken, kraken_hits) = serve(
        "/0/public/Ticker",
        r#"{"error":[],"result":{"XXBTZEUR":{"c":["60000.50","0.00125000"]}}}"#.to_owned(),
    )
    .await?;
    let (bitstamp, _) = serve(
        "/api/v2/ticker/btceur/",
        format!(
            r#"{{"last":"60010.00","timestamp":"{}"}}"#,
            chrono::Utc::now().timestamp()
        ),
    )
    .await?;
    let (coinbase, _) = serve(
        "/v2/prices/BTC-EUR/spot",
        r#"{"data":{"amount":"60005.00","base":"BTC","currency":"EUR"}}"#.to_owned(),
    )
    .await?;
    let (refused, hung) = (refusing().await?, silent().await?);
    let mut scenarios = Vec::new();

    let all = RateService::new(config(&kraken, &bitstamp, &coinbase, u32::MAX))?;
    // One untimed quote opens the connections.
    let _ = all.quote().await;
    let before = kraken_hits.load(Ordering::Relaxed);
    let (stats, agreeing) = time_quotes(&all, quotes).await;
    let asked = kraken_hits.load(Ordering::Relaxed) - before;
    if asked < quotes {
        bail!("{quotes} quotes asked Kraken only {asked} times: the cache answered");
    }
    scenarios.push(Scenario {
        label: "three answering",
        stats,
        sources_agreeing: agreeing,
    });

    for (label, dead) in [
        ("Coinbase refusing connections, breaker closed", &refused),
        ("Coinbase accepting but silent, breaker closed", &hung),
    ] {
        let service = RateService::new(config(&kraken, &bitstamp, dead, u32::MAX))?;
        let (stats, agreeing) = time_quotes(&service, slow_quotes).await;
        scenarios.push(Scenario {
            label,
            stats,
            sources_agreeing: agreeing,
        });
    }

    // The product's breaker (5 failures): quotes until it opens, then timed.
    let service = RateService::new(config(
        &kraken,
        &bitstamp,
        &refused,
        RatesConfig::default().breaker_failures,
    ))?;
    let mut tripping = 0;
    while !matches!(
        service.breaker("coinbase").map(|b| b.state()),
        Some(BreakerState::Open { .. })
    ) {
        if tripping > 20 {
            bail!("the Coinbase breaker did not open after {tripping} quotes");
        }
        let _ = service.quote().await;
        tripping += 1;
    }
    let (stats, agreeing) = time_quotes(&service, quotes).await;
    scenarios.push(Scenario {
        label: "Coinbase refusing connections, breaker open",
        stats,
        sources_agreeing: agreeing,
    });
    Ok(RatesRun {
        quotes,
        slow_quotes,
        scenarios,
    })
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The section of `bench/RESULTS.md`.
pub fn markdown(run: &RatesRun) -> String {
    let mut out = format!(
        "## (8) Rate quote latency\n\n`RateService::quote` in the bench process with the cache off (every quote asks every \
         provider at once), against Kraken-, Bitstamp- and Coinbase-shaped HTTP servers on loopback; product defaults \
         otherwise (2 s per-provider timeout, 3 retries with 0.5 s backoff, 2.5 s budget for a quote). {} quotes one \
         after the other per scenario, {} where a quote waits on the dead provider.\n\n\
         | scenario | quotes | p50 | p99 | answers in the rate | errors |\n|---|---:|---:|---:|---:|---:|\n",
        run.quotes, run.slow_quotes
    );
    for s in &run.scenarios {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            s.label,
            s.stats.ok,
            ms(s.stats.p50),
            ms(s.stats.p99),
            s.sources_agreeing,
            s.stats.errors
        ));
    }
    out.push_str(
        "\nWith its breaker closed a dead provider is asked on every quote, and the quote waits for it until the \
         provider's retries (refused) or its 2 s timeout (silent) give up, within the 2.5 s budget; in the product a provider that failed rests for 30 s \
         (`RatesConfig::failure_retry_secs`) and its breaker opens after 5 failed fetches \
         (`lightning_circuit_breaker_failures`), so only the first quotes after it dies pay that.\n",
    );
    out
}
