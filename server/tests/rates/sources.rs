//! The key-less providers (Kraken, Bitstamp, Coinbase) and how answers are combined: one local
//! HTTP server per provider in its documented shape; outliers dropped and named, the time
//! budget, per-provider reasons, the min-sources mark, and CoinGecko only with its key.

use std::time::{Duration, Instant};

use crate::common::log::CapturedLog;
use crate::common::rates::*;
use openfatture::rates::{ProviderHealth, RateService, RatesConfig};
use rust_decimal_macros::dec;
use secrecy::SecretString;
use wiremock::matchers::header;
use wiremock::{MockServer, ResponseTemplate};

/// The reason `provider` failed in `quote`.
fn reason(quote: &openfatture::rates::RateQuote, provider: &str) -> String {
    quote
        .failures
        .iter()
        .find(|f| f.provider == provider)
        .map(|f| f.reason.clone())
        .unwrap_or_else(|| panic!("{provider} did not fail: {quote:?}"))
}

#[tokio::test]
async fn three_keyless_providers_that_agree_give_their_median() {
    let (k, b, c) = (
        kraken_server("45000.1").await,
        bitstamp_server("45100.5").await,
        coinbase_server("45050.25").await,
    );
    let service = RateService::new(keyless_config(&k, &b, &c)).unwrap();
    let quote = service.quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45050.25));
    assert_eq!(quote.source, "median(kraken,bitstamp,coinbase)");
    assert_eq!((quote.sources_agreeing, quote.sources_asked), (3, 3));
    assert_eq!(quote.sources_mark, None);
    assert!(quote.dropped.is_empty() && quote.failures.is_empty(), "{quote:?}");
    for server in [&k, &b, &c] {
        assert_eq!(hits(server).await, 1);
    }
    let status = service.status();
    for name in ["kraken", "bitstamp", "coinbase"] {
        let p = status.providers.iter().find(|p| p.provider == name).unwrap();
        assert!(p.enabled && !p.key_needed && p.in_rate, "{p:?}");
        assert!(p.latency_ms.is_some() && p.deviation_percent.is_some(), "{p:?}");
        assert_eq!(health(&service, name), ProviderHealth::Ok);
    }
}

#[tokio::test]
async fn prices_sent_as_json_strings_are_parsed_exactly() {
    let (k, b, c) = (
        kraken_server("45000.123456789012345678").await,
        bitstamp_server("45000.123456789012345678").await,
        coinbase_server("45000.123456789012345678").await,
    );
    let quote = RateService::new(keyless_config(&k, &b, &c))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert_eq!(quote.eur_per_btc.to_string(), "45000.123456789012345678");
}

#[tokio::test]
async fn one_provider_lying_by_five_percent_is_dropped_and_named() {
    let (k, b, c) = (
        kraken_server("45000").await,
        bitstamp_server("47250").await, // 5 % above Kraken
        coinbase_server("45100").await,
    );
    let service = RateService::new(keyless_config(&k, &b, &c)).unwrap();
    let quote = service.quote().await.unwrap();
    // The median of the others: (45000 + 45100) / 2.
    assert_eq!(quote.eur_per_btc, dec!(45050));
    assert_eq!(quote.source, "median(kraken,coinbase)");
    assert_eq!(quote.dropped.len(), 1, "{quote:?}");
    let dropped = &quote.dropped[0];
    assert_eq!(dropped.answer.provider, "bitstamp");
    assert_eq!(dropped.answer.eur_per_btc, dec!(47250));
    assert_eq!(dropped.others_median_eur_per_btc, dec!(45050));
    // |47250 − 45050| / 45050 = 4.8835…%
    assert_eq!(dropped.deviation_percent, dec!(4.88));
    assert!(
        dropped.reason.contains("bitstamp") && dropped.reason.contains("4.88%") && dropped.reason.contains("limit 1"),
        "{}",
        dropped.reason
    );
    assert_eq!(quote.sources_agreeing, 2);
    assert_eq!(quote.sources_mark, None, "two agree: min_sources 2 is met");
    let bitstamp = service
        .status()
        .providers
        .into_iter()
        .find(|p| p.provider == "bitstamp")
        .unwrap();
    assert!(!bitstamp.in_rate);
    assert_eq!(bitstamp.deviation_percent, Some(dec!(4.88)));

    // Within the limit nothing is dropped.
    let (k, b, c) = (
        kraken_server("45000").await,
        bitstamp_server("45400").await,
        coinbase_server("45100").await,
    );
    let quote = RateService::new(keyless_config(&k, &b, &c))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert!(quote.dropped.is_empty(), "{quote:?}");
    assert_eq!(quote.eur_per_btc, dec!(45100));
}

#[tokio::test]
async fn a_provider_answering_after_ten_seconds_does_not_hold_the_quote_past_the_budget() {
    let (k, b) = (kraken_server("45000").await, bitstamp_server("45100").await);
    let slow = MockServer::start().await;
    coinbase_request()
        .respond_with(json(coinbase_body("45050")).set_delay(Duration::from_secs(10)))
        .mount(&slow)
        .await;
    // A per-attempt timeout longer than the budget: the budget alone must end the wait.
    let config = RatesConfig {
        provider_timeout_secs: 30,
        cache_ttl_secs: 1,
        ..keyless_config(&k, &b, &slow)
    };
    assert_eq!(config.quote_budget_ms, 2_500, "the product's budget");
    let service = RateService::new(config).unwrap();
    let started = Instant::now();
    let quote = service.quote().await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2_900), "the quote took {took:?}");
    assert!(
        took >= Duration::from_millis(2_400),
        "the others were waited for: {took:?}"
    );
    assert_eq!(quote.eur_per_btc, dec!(45050));
    assert_eq!(quote.source, "median(kraken,bitstamp)");
    assert!(
        reason(&quote, "coinbase").contains("time budget of 2500 ms"),
        "{quote:?}"
    );
    // The failure counts for its breaker, and the slow provider rests: the next quote is at once.
    assert!(matches!(
        health(&service, "coinbase"),
        ProviderHealth::Failing {
            consecutive_failures: 1,
            ..
        }
    ));
    jump(2).await; // past the cache time (1 s), within the rest after a failure (30 s)
    let started = Instant::now();
    let again = service.quote().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(reason(&again, "coinbase").contains("failed recently"), "{again:?}");

    // With the product's own per-attempt timeout (2 s) too.
    let slow_default = RateService::new(keyless_config(&k, &b, &slow)).unwrap();
    let started = Instant::now();
    slow_default.quote().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(2_900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn each_failure_gets_a_clear_reason_and_the_others_are_still_used() {
    let kraken_error = r#"{"error":["EQuery:Unknown asset pair"],"result":{}}"#;
    let cases: Vec<(&str, ResponseTemplate, &str)> = vec![
        (
            "coinbase",
            ResponseTemplate::new(429).insert_header("Retry-After", "60"),
            "rate limited by the provider (HTTP 429, retry after 60 s)",
        ),
        (
            "bitstamp",
            ResponseTemplate::new(503).set_body_string("maintenance"),
            "provider error HTTP 503: maintenance",
        ),
        (
            "coinbase",
            json(r#"{"data":{"amount":"45000""#.to_owned()),
            "unexpected response: not the spot price JSON shape",
        ),
        (
            "kraken",
            json(kraken_error.to_owned()),
            "provider reported: EQuery:Unknown asset pair",
        ),
        (
            "kraken",
            json(kraken_body("0")),
            "returned 0 EUR/BTC, outside the accepted range",
        ),
        (
            "bitstamp",
            json(bitstamp_body("1e9")),
            "returned 1000000000 EUR/BTC, outside the accepted range",
        ),
        (
            "coinbase",
            json(coinbase_body("NaN")),
            "price \"NaN\" is not a decimal number",
        ),
        (
            "bitstamp",
            json(bitstamp_body_aged("45000", 7200)),
            "quote last updated 72",
        ),
    ];
    for (broken, response, expected) in cases {
        let (k, b, c) = (
            MockServer::start().await,
            MockServer::start().await,
            MockServer::start().await,
        );
        let answer = |name: &str, price: &str| match name {
            "kraken" => json(kraken_body(price)),
            "bitstamp" => json(bitstamp_body(price)),
            _ => json(coinbase_body(price)),
        };
        for (name, server, request, price) in [
            ("kraken", &k, kraken_request(), "45000"),
            ("bitstamp", &b, bitstamp_request(), "45100"),
            ("coinbase", &c, coinbase_request(), "45200"),
        ] {
            let reply = if name == broken {
                response.clone()
            } else {
                answer(name, price)
            };
            request.respond_with(reply).mount(server).await;
        }
        let service = RateService::new(RatesConfig {
            retry_after_cap_secs: 1,
            ..keyless_config(&k, &b, &c)
        })
        .unwrap();
        let quote = service.quote().await.unwrap();
        let why = reason(&quote, broken);
        assert!(why.contains(expected), "{broken}: {why}");
        assert_eq!(quote.failures.len(), 1, "{quote:?}");
        assert_eq!(quote.providers.len(), 2, "the other two are used: {quote:?}");
        assert!(quote.providers.iter().all(|p| p.provider != broken));
        assert_eq!(quote.sources_mark, None, "two agree");
        let status = service.status();
        let line = status.providers.iter().find(|p| p.provider == broken).unwrap();
        assert!(line.health.to_string().contains(expected), "{}", line.health);
    }
}

#[tokio::test]
async fn fewer_agreeing_answers_than_min_sources_give_a_marked_rate() {
    let (k, b, c) = (
        kraken_server("45000").await,
        failing_server(500).await,
        failing_server(502).await,
    );
    let service = RateService::new(RatesConfig {
        max_retries: 0,
        ..keyless_config(&k, &b, &c)
    })
    .unwrap();
    let quote = service.quote().await.unwrap();
    assert_eq!((quote.eur_per_btc, quote.source.as_str()), (dec!(45000), "kraken"));
    assert_eq!(quote.sources_mark.as_deref(), Some("single source"));
    assert_eq!((quote.sources_agreeing, quote.sources_asked), (1, 3));
    let warnings = openfatture::invoices::quote_warnings(&quote);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("single source:") && w.contains("kraken 45000") && w.contains("1 of 3")),
        "{warnings:?}"
    );

    // With min_sources 3, two agreeing answers are "2 of 3".
    let (k, b, c) = (
        kraken_server("45000").await,
        bitstamp_server("45100").await,
        failing_server(500).await,
    );
    let quote = RateService::new(RatesConfig {
        max_retries: 0,
        min_sources: 3,
        ..keyless_config(&k, &b, &c)
    })
    .unwrap()
    .quote()
    .await
    .unwrap();
    assert_eq!(quote.sources_mark.as_deref(), Some("2 of 3"));
    assert_eq!(quote.eur_per_btc, dec!(45050));

    // Two answers further apart than the limit: neither can be called the liar, so both are kept
    // and the quote says they disagree.
    let (k, b, c) = (
        kraken_server("45000").await,
        bitstamp_server("47250").await,
        failing_server(500).await,
    );
    let quote = RateService::new(RatesConfig {
        max_retries: 0,
        ..keyless_config(&k, &b, &c)
    })
    .unwrap()
    .quote()
    .await
    .unwrap();
    assert_eq!(quote.sources_mark.as_deref(), Some("providers disagree"));
    assert_eq!(quote.eur_per_btc, dec!(46125));
}

#[tokio::test]
async fn coingecko_with_a_key_receives_it_only_in_the_header() {
    const KEY: &str = "CG-only-in-the-header-42";
    let (log, _guard) = CapturedLog::start();
    let cg = MockServer::start().await;
    cg_request()
        .and(header("x-cg-demo-api-key", KEY))
        .respond_with(json(cg_body("45000")))
        .expect(1)
        .mount(&cg)
        .await;
    let k = kraken_server("45010").await;
    let config = RatesConfig {
        kraken_enabled: true,
        kraken_base_url: Some(k.uri()),
        coingecko_api_key: Some(SecretString::from(KEY)),
        ..config(Some(&cg), None)
    };
    let service = RateService::new(config).unwrap();
    let quote = service.quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45005));
    let requests = cg.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(
        !requests[0].url.as_str().contains(KEY),
        "key in the URL: {}",
        requests[0].url
    );
    let key_headers: Vec<_> = requests[0]
        .headers
        .iter()
        .filter(|(_, v)| v.to_str().is_ok_and(|v| v.contains(KEY)))
        .map(|(name, _)| name.as_str().to_owned())
        .collect();
    assert_eq!(key_headers, vec!["x-cg-demo-api-key".to_owned()]);
    // Kraken gets no key at all.
    let asked = &k.received_requests().await.unwrap()[0];
    assert!(asked.headers.keys().all(|h| !h.as_str().contains("api-key")));
    // Not in the quote, the status or a log line, even when the provider then fails and echoes it.
    let shown = format!(
        "{}{}",
        serde_json::to_string(&quote).unwrap(),
        serde_json::to_string(&service.status()).unwrap()
    );
    assert!(!shown.contains(KEY));
    cg.reset().await;
    cg_request()
        .respond_with(ResponseTemplate::new(500).set_body_string(format!("bad key {KEY}")))
        .mount(&cg)
        .await;
    jump(RatesConfig::default().cache_ttl_secs + 1).await;
    let quote = service.quote().await.unwrap();
    assert!(reason(&quote, "coingecko").contains("[redacted]"), "{quote:?}");
    assert!(log.text().contains("BTC/EUR rate provider failed"), "{}", log.text());
    assert!(!log.text().contains(KEY), "{}", log.text());
    assert!(!serde_json::to_string(&quote).unwrap().contains(KEY));
}

#[tokio::test]
async fn the_dashboard_and_the_pos_label_get_the_mark_and_the_admin_the_coingecko_notice() {
    use crate::common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};
    let kraken = kraken_server("45000").await;
    let kraken_url = kraken.uri();
    // Kraken alone (Web turns the other key-less ones off); CoinGecko enabled, as by default,
    // without a key; a real-looking setup otherwise (no fallback).
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_KRAKEN_ENABLED", "true"),
            ("LIGHTNING_KRAKEN_BASE_URL", kraken_url.as_str()),
        ],
    )
    .await
    .unwrap();
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let status = web.ok(&admin, "rate_status", &[]).await.unwrap();
    assert_eq!(status["eur_per_btc"], "45000", "{status}");
    assert_eq!(status["source"], "kraken");
    // Codes with values, worded by the page in its language (issue 34).
    assert_eq!(status["sources_mark"]["code"], "rates.mark.single", "{status}");
    assert_eq!(
        status["notices"],
        serde_json::json!([{"code": "rates.notice.coingecko_key"}])
    );
    assert_eq!(
        status["warnings"],
        serde_json::json!([{"code": "notice.single_source", "values": [["rate_eur", "45000.00"]]}]),
        "{status}"
    );
    let coingecko = status["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "coingecko")
        .cloned()
        .unwrap();
    assert_eq!(coingecko["health"]["code"], "rates.health.key_missing", "{coingecko}");

    // The cashier's POS label gets the mark, not the admin's details.
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await.unwrap();
    let status = web.ok(&cashier, "rate_status", &[]).await.unwrap();
    assert_eq!(status["sources_mark"]["code"], "rates.mark.single", "{status}");
    assert_eq!(status["notices"], serde_json::json!([]));
    assert_eq!(status["providers"], serde_json::json!([]));
    web.gateway.shutdown().await.unwrap();
}
