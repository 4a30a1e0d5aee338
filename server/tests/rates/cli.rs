//! `openfatture lightning rates` against local provider servers.

use assert_cmd::Command;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn provider(route: &str, body: String) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    server
}

fn openfatture(home: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("openfatture").expect("binary");
    cmd.env_clear().env("HOME", home).env("OPENFATTURE_HOME", home);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn rates_command_shows_each_provider_and_the_median() {
    let cg = provider("/api/v3/simple/price", r#"{"bitcoin":{"eur":45000}}"#.to_string()).await;
    let cmc = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/cryptocurrency/quotes/latest"))
        .and(header("X-CMC_PRO_API_KEY", "cmc-key-1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"{{"status":{{"error_code":0}},"data":{{"BTC":{{"id":1,"quote":{{"EUR":{{"price":45200,"last_updated":"{}"}}}}}}}}}}"#,
                chrono::Utc::now().to_rfc3339()
            ),
            "application/json",
        ))
        .mount(&cmc)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_path_buf();
    let (cg_uri, cmc_uri) = (cg.uri(), cmc.uri());
    let run = move |json: bool| {
        let mut cmd = openfatture(&home);
        cmd.envs(crate::common::rates::KEYLESS_OFF)
            .env("LIGHTNING_COINGECKO_BASE_URL", &cg_uri)
            .env("LIGHTNING_COINGECKO_API_KEY", crate::common::rates::CG_KEY)
            .env("LIGHTNING_CMC_ENABLED", "true")
            .env("LIGHTNING_CMC_API_KEY", "cmc-key-1")
            .env("LIGHTNING_CMC_BASE_URL", &cmc_uri);
        if json {
            cmd.arg("--json");
        }
        cmd.args(["lightning", "rates"]).output().expect("runs")
    };
    let out = tokio::task::spawn_blocking(move || (run(false), run(true)))
        .await
        .expect("join");
    let (text, json) = out;
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(
        stdout.contains("💱 Rate: 45,100 EUR/BTC (source: median(coingecko,coinmarketcap))"),
        "{stdout}"
    );
    assert!(
        stdout.contains("coingecko") && stdout.contains("coinmarketcap"),
        "{stdout}"
    );
    assert!(!stdout.contains("cmc-key-1") && !stdout.contains(crate::common::rates::CG_KEY));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(value["quote"]["eur_per_btc"], "45100");
    // Every provider is listed, the key-less ones as disabled here.
    assert_eq!(value["providers"].as_array().expect("providers").len(), 5);
}

/// `openfatture lightning rates` with CoinGecko answering 500, one attempt, no fallback rate, and
/// `lightning_host` set to `host` (none: the embedded simulated node).
async fn rates_with_the_provider_down(host: Option<&str>) -> std::process::Output {
    let down = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&down)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = openfatture(dir.path());
    cmd.envs(crate::common::rates::KEYLESS_OFF)
        .env("LIGHTNING_COINGECKO_BASE_URL", down.uri())
        .env("LIGHTNING_COINGECKO_API_KEY", crate::common::rates::CG_KEY)
        .env("LIGHTNING_MAX_RETRIES", "0")
        .args(["lightning", "rates"]);
    if let Some(host) = host {
        cmd.env("LIGHTNING_HOST", host);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread")]
async fn rates_command_fails_clearly_when_nothing_answers_and_no_fallback() {
    // A real node is configured: no demo rate (see the next test for the embedded demo).
    let out = rates_with_the_provider_down(Some("127.0.0.1:10009")).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no BTC/EUR rate available")
            && err.contains("openfatture config set lightning_fallback_rate 45000.00"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rates_command_of_the_embedded_demo_shows_the_labelled_demo_rate() {
    // No lightning_host: the node is the embedded simulated node.
    let out = rates_with_the_provider_down(None).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("💱 Rate: 50,000 EUR/BTC (source: demo rate, not a market price)"),
        "{stdout}"
    );
    assert!(stdout.contains("DEMO RATE"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rates_command_lists_keyless_providers_the_dropped_answer_the_mark_and_the_coingecko_notice() {
    use crate::common::rates::{bitstamp_body, coinbase_body, kraken_body, BITSTAMP_PATH, COINBASE_PATH, KRAKEN_PATH};
    let kraken = provider(KRAKEN_PATH, kraken_body("45000")).await;
    let bitstamp = provider(BITSTAMP_PATH, bitstamp_body("47250")).await; // 5 % off
    let coinbase = provider(COINBASE_PATH, coinbase_body("45100")).await;
    let coingecko = provider("/api/v3/simple/price", r#"{"bitcoin":{"eur":45000}}"#.to_string()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_path_buf();
    let urls = [kraken.uri(), bitstamp.uri(), coinbase.uri(), coingecko.uri()];
    let run = move |json: bool| {
        let mut cmd = openfatture(&home);
        cmd.env("LIGHTNING_KRAKEN_BASE_URL", &urls[0])
            .env("LIGHTNING_BITSTAMP_BASE_URL", &urls[1])
            .env("LIGHTNING_COINBASE_BASE_URL", &urls[2])
            // Enabled (the default) but without a key: never asked.
            .env("LIGHTNING_COINGECKO_BASE_URL", &urls[3])
            .env("LIGHTNING_RATE_MIN_SOURCES", "3");
        if json {
            cmd.arg("--json");
        }
        cmd.args(["lightning", "rates"]).output().expect("runs")
    };
    let (text, json) = tokio::task::spawn_blocking(move || (run(false), run(true)))
        .await
        .expect("join");
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(
        stdout.contains("💱 Rate: 45,050 EUR/BTC (source: median(kraken,coinbase); 2 of 3)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✂️  bitstamp answered 47250 EUR/BTC, 4.88% from the median 45050 of the others"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CoinGecko needs an API key since 2026 (a free demo key works)"),
        "{stdout}"
    );
    assert!(stdout.contains("⚠️  2 of 3:"), "{stdout}");
    let kraken_line = stdout.lines().find(|l| l.starts_with("• kraken")).expect("kraken line");
    assert!(
        kraken_line.contains("no key needed")
            && kraken_line.contains("45,000 EUR/BTC")
            && kraken_line.contains("in the rate")
            && kraken_line.contains("breaker closed")
            && kraken_line.contains(" ms"),
        "{kraken_line}"
    );
    let bitstamp_line = stdout
        .lines()
        .find(|l| l.starts_with("• bitstamp"))
        .expect("bitstamp line");
    assert!(
        bitstamp_line.contains("4.88% from the rate") && !bitstamp_line.contains("in the rate"),
        "{bitstamp_line}"
    );
    let cg_line = stdout
        .lines()
        .find(|l| l.starts_with("• coingecko"))
        .expect("coingecko line");
    assert!(cg_line.contains("key needed, not set"), "{cg_line}");
    assert_eq!(coingecko.received_requests().await.expect("recorded").len(), 0);

    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(value["quote"]["eur_per_btc"], "45050");
    assert_eq!(value["quote"]["sources_mark"], "2 of 3");
    assert_eq!(value["quote"]["dropped"][0]["answer"]["provider"], "bitstamp");
    assert_eq!(value["quote"]["dropped"][0]["deviation_percent"], "4.88");
    assert_eq!(value["min_sources"], 3);
    assert_eq!(
        value["notices"][0],
        "CoinGecko needs an API key since 2026 (a free demo key works)"
    );
    let providers = value["providers"].as_array().expect("providers");
    let names: Vec<&str> = providers.iter().filter_map(|p| p["provider"].as_str()).collect();
    assert_eq!(names, ["kraken", "bitstamp", "coinbase", "coingecko", "coinmarketcap"]);
    assert_eq!(providers[0]["in_rate"], true);
    assert_eq!(providers[0]["key_needed"], false);
    assert_eq!(providers[0]["breaker"]["state"], "closed");
    assert!(providers[0]["latency_ms"].is_u64());
    assert_eq!(providers[3]["enabled"], true);
    assert_eq!(providers[3]["key_set"], false);
    assert_eq!(providers[3]["health"]["status"], "key_missing");
    assert_eq!(providers[4]["enabled"], false);
}
