//! Shared helpers for the rate tests: provider response bodies in the providers' real shapes, mock mounting,
//! test configuration and time jumps.
#![allow(dead_code)]

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use openfatture::rates::{ProviderHealth, RateService, RatesConfig};
use secrecy::SecretString;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CG_PATH: &str = "/api/v3/simple/price";
pub const CMC_PATH: &str = "/v1/cryptocurrency/quotes/latest";
pub const CMC_KEY: &str = "cmc-test-key-0123";

/// CoinGecko simple/price body with `price` as raw JSON text.
pub fn cg_body(price: &str) -> String {
    format!(r#"{{"bitcoin":{{"eur":{price}}}}}"#)
}

/// CoinMarketCap v1 quotes/latest body (object shape) with `price` as raw JSON text, updated `age_secs` ago.
pub fn cmc_body_aged(price: &str, age_secs: i64) -> String {
    let updated = (Utc::now() - chrono::Duration::seconds(age_secs)).to_rfc3339_opts(SecondsFormat::Millis, true);
    format!(
        r#"{{"status":{{"timestamp":"{updated}","error_code":0,"error_message":null,"elapsed":12,"credit_count":1,"notice":null}},
"data":{{"BTC":{{"id":1,"name":"Bitcoin","symbol":"BTC","slug":"bitcoin","num_market_pairs":11950,
"date_added":"2010-07-13T00:00:00.000Z","tags":["mineable","pow"],"max_supply":21000000,
"circulating_supply":19650000,"total_supply":19650000,"is_active":1,"infinite_supply":false,"platform":null,
"cmc_rank":1,"is_fiat":0,"self_reported_circulating_supply":null,"self_reported_market_cap":null,
"tvl_ratio":null,"last_updated":"{updated}",
"quote":{{"EUR":{{"price":{price},"volume_24h":2.1417335123e10,"volume_change_24h":-3.5,
"percent_change_1h":0.12,"percent_change_24h":-1.03,"percent_change_7d":4.2,"market_cap":8.84e11,
"market_cap_dominance":52.1,"fully_diluted_market_cap":9.45e11,"tvl":null,"last_updated":"{updated}"}}}}}}}}}}"#
    )
}

/// CoinMarketCap body updated just now.
pub fn cmc_body(price: &str) -> String {
    cmc_body_aged(price, 5)
}

/// A JSON 200 response.
pub fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// The CoinGecko price request (any key headers).
pub fn cg_request() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(CG_PATH))
        .and(query_param("ids", "bitcoin"))
        .and(query_param("vs_currencies", "eur"))
}

/// The CoinMarketCap price request carrying the test key.
pub fn cmc_request() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(CMC_PATH))
        .and(query_param("symbol", "BTC"))
        .and(query_param("convert", "EUR"))
        .and(header("X-CMC_PRO_API_KEY", CMC_KEY))
}

/// CoinGecko server answering `price`.
pub async fn cg_server(price: &str) -> MockServer {
    let server = MockServer::start().await;
    cg_request().respond_with(json(cg_body(price))).mount(&server).await;
    server
}

/// CoinMarketCap server answering `price`.
pub async fn cmc_server(price: &str) -> MockServer {
    let server = MockServer::start().await;
    cmc_request().respond_with(json(cmc_body(price))).mount(&server).await;
    server
}

/// A server answering every request with `status`.
pub async fn failing_server(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// Settings pointing at the given mock servers (a provider is enabled iff its server is given); fast
/// retries, no rest after a failure.
pub fn config(cg: Option<&MockServer>, cmc: Option<&MockServer>) -> RatesConfig {
    RatesConfig {
        coingecko_enabled: cg.is_some(),
        coingecko_base_url: cg.map(|s| s.uri()),
        cmc_enabled: cmc.is_some(),
        cmc_api_key: cmc.map(|_| SecretString::from(CMC_KEY)),
        cmc_base_url: cmc.map(|s| s.uri()),
        provider_timeout_secs: 2,
        max_retries: 0,
        retry_backoff_base_ms: 10,
        // Ask the providers on every quote, so the breaker tests count each failure; the tests of
        // the rest after a failure set their own.
        failure_retry_secs: 0,
        ..RatesConfig::default()
    }
}

/// The health `service` reports for `provider`.
pub fn health(service: &RateService, provider: &str) -> ProviderHealth {
    service
        .status()
        .providers
        .into_iter()
        .find(|p| p.provider == provider)
        .expect("provider listed")
        .health
}

/// Requests a mock server has received.
pub async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.map(|r| r.len()).unwrap_or(0)
}

/// Move tokio's clock forward by `secs` while real sockets keep working (pause, advance, resume).
/// Needs the current-thread test runtime.
pub async fn jump(secs: u64) {
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(secs)).await;
    tokio::time::resume();
}

/// Matches requests that do NOT carry header `0`.
pub struct HeaderAbsent(pub &'static str);

impl wiremock::Match for HeaderAbsent {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key(self.0)
    }
}

/// A local TCP listener that accepts connections and never answers; counts the connections.
pub struct SilentServer {
    pub url: String,
    pub accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> SilentServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(socket); // never read, never answered, never closed
            }
        });
        SilentServer { url, accepted, task }
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `http://127.0.0.1:PORT` of a port that refuses connections (bound once, then closed).
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}
