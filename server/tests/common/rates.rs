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
/// A CoinGecko demo key for tests: since 2026 CoinGecko is asked only with a key.
pub const CG_KEY: &str = "CG-test-demo-key-0123";

/// Settings (environment) that turn the key-less providers off, so a gateway or CLI under test
/// asks only the local servers the test names, never the public internet.
pub const KEYLESS_OFF: [(&str, &str); 3] = [
    ("LIGHTNING_KRAKEN_ENABLED", "false"),
    ("LIGHTNING_BITSTAMP_ENABLED", "false"),
    ("LIGHTNING_COINBASE_ENABLED", "false"),
];

/// The rate service's defaults with the key-less providers (Kraken, Bitstamp, Coinbase) off: a
/// test turns on and points at local servers only what it uses.
pub fn defaults_offline() -> RatesConfig {
    RatesConfig {
        kraken_enabled: false,
        bitstamp_enabled: false,
        coinbase_enabled: false,
        ..RatesConfig::default()
    }
}

pub const KRAKEN_PATH: &str = "/0/public/Ticker";
pub const BITSTAMP_PATH: &str = "/api/v2/ticker/btceur/";
pub const COINBASE_PATH: &str = "/v2/prices/BTC-EUR/spot";

/// Kraken Ticker body (XBTEUR) with last trade price `price` (its text, sent as a JSON string).
pub fn kraken_body(price: &str) -> String {
    format!(
        r#"{{"error":[],"result":{{"XXBTZEUR":{{"a":["{price}","1","1.000"],"b":["{price}","2","2.000"],
"c":["{price}","0.00125000"],"v":["812.3","1711.9"],"p":["{price}","{price}"],"t":[21000,43000],
"l":["{price}","{price}"],"h":["{price}","{price}"],"o":"{price}"}}}}}}"#
    )
}

/// Bitstamp ticker body with last price `price` (sent as a JSON string) and a timestamp `age_secs` old.
pub fn bitstamp_body_aged(price: &str, age_secs: i64) -> String {
    let at = Utc::now().timestamp() - age_secs;
    format!(
        r#"{{"timestamp":"{at}","open":"{price}","high":"{price}","low":"{price}","last":"{price}",
"volume":"412.1","vwap":"{price}","bid":"{price}","ask":"{price}","side":"0","open_24":"{price}",
"percent_change_24":"0.50"}}"#
    )
}

/// Bitstamp ticker body updated just now.
pub fn bitstamp_body(price: &str) -> String {
    bitstamp_body_aged(price, 2)
}

/// Coinbase spot price body with amount `price` (sent as a JSON string).
pub fn coinbase_body(price: &str) -> String {
    format!(r#"{{"data":{{"amount":"{price}","base":"BTC","currency":"EUR"}}}}"#)
}

/// The Kraken price request.
pub fn kraken_request() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(KRAKEN_PATH))
        .and(query_param("pair", "XBTEUR"))
}

/// The Bitstamp price request.
pub fn bitstamp_request() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(BITSTAMP_PATH))
}

/// The Coinbase price request.
pub fn coinbase_request() -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(COINBASE_PATH))
}

/// A Kraken look-alike answering `price`.
pub async fn kraken_server(price: &str) -> MockServer {
    let server = MockServer::start().await;
    kraken_request()
        .respond_with(json(kraken_body(price)))
        .mount(&server)
        .await;
    server
}

/// A Bitstamp look-alike answering `price`.
pub async fn bitstamp_server(price: &str) -> MockServer {
    let server = MockServer::start().await;
    bitstamp_request()
        .respond_with(json(bitstamp_body(price)))
        .mount(&server)
        .await;
    server
}

/// A Coinbase look-alike answering `price`.
pub async fn coinbase_server(price: &str) -> MockServer {
    let server = MockServer::start().await;
    coinbase_request()
        .respond_with(json(coinbase_body(price)))
        .mount(&server)
        .await;
    server
}

/// The three key-less providers at the given servers, the product's tuning otherwise (timeouts,
/// retries, budget, deviation, min sources), CoinGecko and CoinMarketCap off.
pub fn keyless_config(kraken: &MockServer, bitstamp: &MockServer, coinbase: &MockServer) -> RatesConfig {
    RatesConfig {
        kraken_enabled: true,
        kraken_base_url: Some(kraken.uri()),
        bitstamp_enabled: true,
        bitstamp_base_url: Some(bitstamp.uri()),
        coinbase_enabled: true,
        coinbase_base_url: Some(coinbase.uri()),
        coingecko_enabled: false,
        ..RatesConfig::default()
    }
}

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
        coingecko_api_key: cg.map(|_| SecretString::from(CG_KEY)),
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
        ..defaults_offline()
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
