//! Each provider against a local HTTP server replaying its real response shapes: key headers, parsing,
//! retries, timeouts and what is not retried.

use std::time::{Duration, Instant};

use crate::common::rates::*;
use openfatture::rates::{ProviderHealth, RateError, RateService, RatesConfig, RatesConfigError, COINGECKO_KEY_NOTICE};
use rust_decimal_macros::dec;
use secrecy::SecretString;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn last_error(service: &RateService, provider: &str) -> String {
    match health(service, provider) {
        ProviderHealth::Failing { last_error, .. }
        | ProviderHealth::CircuitOpen { last_error, .. }
        | ProviderHealth::HalfOpen { last_error } => last_error,
        other => panic!("{provider} is not failing: {other:?}"),
    }
}

// ---------- API keys ----------

#[tokio::test]
async fn coingecko_demo_key_is_sent_in_the_demo_header() {
    let server = MockServer::start().await;
    cg_request()
        .and(header("x-cg-demo-api-key", "demo-key-1"))
        .and(HeaderAbsent("x-cg-pro-api-key"))
        .respond_with(json(cg_body("45000.12")))
        .expect(1)
        .mount(&server)
        .await;
    let config = RatesConfig {
        coingecko_api_key: Some(SecretString::from("demo-key-1")),
        ..config(Some(&server), None)
    };
    let quote = RateService::new(config).unwrap().quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45000.12));
    assert_eq!(quote.source, "coingecko");
}

#[tokio::test]
async fn coingecko_pro_key_is_sent_in_the_pro_header() {
    let server = MockServer::start().await;
    cg_request()
        .and(header("x-cg-pro-api-key", "pro-key-1"))
        .and(HeaderAbsent("x-cg-demo-api-key"))
        .respond_with(json(cg_body("45000.12")))
        .expect(1)
        .mount(&server)
        .await;
    let config = RatesConfig {
        coingecko_api_key: Some(SecretString::from("pro-key-1")),
        coingecko_pro: true,
        ..config(Some(&server), None)
    };
    let quote = RateService::new(config).unwrap().quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45000.12));
}

#[tokio::test]
async fn coingecko_without_a_key_is_never_called_and_says_why() {
    let server = MockServer::start().await;
    cg_request()
        .respond_with(json(cg_body("45000.12")))
        .expect(0)
        .mount(&server)
        .await;
    let kraken = kraken_server("45100").await;
    // No key, and a blank key (as a settings store may hold), count as no key.
    for key in [None, Some(SecretString::from("  "))] {
        let config = RatesConfig {
            coingecko_api_key: key,
            kraken_enabled: true,
            kraken_base_url: Some(kraken.uri()),
            ..config(Some(&server), None)
        };
        let service = RateService::new(config).unwrap();
        let quote = service.quote().await.unwrap();
        assert_eq!((quote.eur_per_btc, quote.source.as_str()), (dec!(45100), "kraken"));
        assert_eq!(
            health(&service, "coingecko"),
            ProviderHealth::KeyMissing {
                notice: COINGECKO_KEY_NOTICE.to_owned()
            }
        );
        assert_eq!(
            COINGECKO_KEY_NOTICE,
            "CoinGecko needs an API key since 2026 (a free demo key works)"
        );
        let status = service.status();
        assert_eq!(status.notices, vec![COINGECKO_KEY_NOTICE.to_owned()]);
        let cg = status.providers.iter().find(|p| p.provider == "coingecko").unwrap();
        assert!(cg.enabled && cg.key_needed && !cg.key_set && cg.breaker.is_none());
    }
    assert_eq!(hits(&server).await, 0, "CoinGecko without a key must never be called");
}

#[tokio::test]
async fn coinmarketcap_key_is_sent_in_its_header() {
    let server = MockServer::start().await;
    // cmc_request() matches only when X-CMC_PRO_API_KEY carries the configured key.
    cmc_request()
        .respond_with(json(cmc_body("45100.5")))
        .expect(1)
        .mount(&server)
        .await;
    let quote = RateService::new(config(None, Some(&server)))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45100.5));
    assert_eq!(quote.source, "coinmarketcap");
}

#[test]
fn default_base_urls_follow_the_key_kind() {
    let demo = RatesConfig::default();
    assert_eq!(demo.coingecko_base_url_resolved(), "https://api.coingecko.com");
    assert_eq!(demo.kraken_base_url_resolved(), "https://api.kraken.com");
    assert_eq!(demo.bitstamp_base_url_resolved(), "https://www.bitstamp.net");
    assert_eq!(demo.coinbase_base_url_resolved(), "https://api.coinbase.com");
    let pro = RatesConfig {
        coingecko_pro: true,
        ..defaults_offline()
    };
    assert_eq!(pro.coingecko_base_url_resolved(), "https://pro-api.coingecko.com");
    assert_eq!(demo.cmc_base_url_resolved(), "https://pro-api.coinmarketcap.com");
    let custom = RatesConfig {
        coingecko_base_url: Some("http://127.0.0.1:9/".to_owned()),
        ..defaults_offline()
    };
    assert_eq!(custom.coingecko_base_url_resolved(), "http://127.0.0.1:9");
}

#[test]
fn configuration_errors_are_explicit() {
    let cmc_without_key = RatesConfig {
        cmc_enabled: true,
        ..defaults_offline()
    };
    let err = RateService::new(cmc_without_key).unwrap_err();
    assert_eq!(err, RatesConfigError::CmcKeyMissing);
    assert!(err.to_string().contains("lightning_cmc_api_key"), "{err}");

    let cmc_blank_key = RatesConfig {
        cmc_enabled: true,
        cmc_api_key: Some(SecretString::from("")),
        ..defaults_offline()
    };
    assert_eq!(
        RateService::new(cmc_blank_key).unwrap_err(),
        RatesConfigError::CmcKeyMissing
    );

    let pro_without_key = RatesConfig {
        coingecko_pro: true,
        ..defaults_offline()
    };
    assert_eq!(
        RateService::new(pro_without_key).unwrap_err(),
        RatesConfigError::CoinGeckoProKeyMissing
    );

    let nothing = RatesConfig {
        coingecko_enabled: false,
        ..defaults_offline()
    };
    assert_eq!(RateService::new(nothing).unwrap_err(), RatesConfigError::NoRateSource);
    // CoinGecko enabled without a key cannot be asked: no source either, and the error says
    // how to get a key-less one.
    let err = RateService::new(defaults_offline()).unwrap_err();
    assert_eq!(err, RatesConfigError::NoRateSource);
    assert!(err.to_string().contains("lightning_kraken_enabled true"), "{err}");
    let keyless_url = RatesConfig {
        bitstamp_enabled: true,
        bitstamp_base_url: Some("ftp://bitstamp.example".to_owned()),
        ..defaults_offline()
    };
    assert!(matches!(
        RateService::new(keyless_url),
        Err(RatesConfigError::InvalidBaseUrl {
            provider: "Bitstamp",
            ..
        })
    ));
    assert_eq!(
        RateService::new(RatesConfig {
            min_sources: 0,
            ..RatesConfig::default()
        })
        .unwrap_err(),
        RatesConfigError::ZeroMinSources
    );
    assert!(matches!(
        RateService::new(RatesConfig {
            max_deviation_percent: dec!(0),
            ..RatesConfig::default()
        }),
        Err(RatesConfigError::InvalidMaxDeviation { .. })
    ));
    assert!(matches!(
        RateService::new(RatesConfig {
            quote_budget_ms: 0,
            ..RatesConfig::default()
        }),
        Err(RatesConfigError::InvalidBudget { .. })
    ));
    let only_fallback = RatesConfig {
        coingecko_enabled: false,
        fallback_rate: Some(dec!(45000)),
        ..defaults_offline()
    };
    assert!(RateService::new(only_fallback).is_ok());

    let absurd_fallback = RatesConfig {
        fallback_rate: Some(dec!(0)),
        ..defaults_offline()
    };
    assert!(matches!(
        RateService::new(absurd_fallback),
        Err(RatesConfigError::FallbackOutOfRange { .. })
    ));

    let bad_url = RatesConfig {
        coingecko_base_url: Some("api.coingecko.com".to_owned()),
        ..defaults_offline()
    };
    assert!(matches!(
        RateService::new(bad_url),
        Err(RatesConfigError::InvalidBaseUrl { .. })
    ));

    let bad_key = RatesConfig {
        coingecko_api_key: Some(SecretString::from("a\nb")),
        ..defaults_offline()
    };
    let err = RateService::new(bad_key).unwrap_err();
    assert!(matches!(err, RatesConfigError::InvalidApiKey { .. }));
    assert!(!err.to_string().contains("a\nb"));

    let ttl_over_max_age = RatesConfig {
        cache_ttl_secs: 1000,
        ..defaults_offline()
    };
    assert!(matches!(
        RateService::new(ttl_over_max_age),
        Err(RatesConfigError::CacheTtlAboveMaxAge { .. })
    ));
}

#[test]
fn api_keys_never_appear_in_debug_output() {
    let config = RatesConfig {
        coingecko_api_key: Some(SecretString::from("cg-secret-xyz")),
        cmc_enabled: true,
        cmc_api_key: Some(SecretString::from("cmc-secret-xyz")),
        ..defaults_offline()
    };
    let shown = format!("{config:?}");
    assert!(!shown.contains("secret-xyz"), "{shown}");
    let service = RateService::new(config).unwrap();
    assert!(!format!("{service:?}").contains("secret-xyz"));
}

#[tokio::test]
async fn a_key_echoed_in_an_error_body_is_redacted() {
    let server = MockServer::start().await;
    cg_request()
        .respond_with(ResponseTemplate::new(401).set_body_string(r#"{"error":"invalid key cg-secret-xyz"}"#))
        .mount(&server)
        .await;
    let config = RatesConfig {
        coingecko_api_key: Some(SecretString::from("cg-secret-xyz")),
        ..config(Some(&server), None)
    };
    let service = RateService::new(config).unwrap();
    let err = service.quote().await.unwrap_err().to_string();
    assert!(!err.contains("cg-secret-xyz"), "{err}");
    assert!(err.contains("[redacted]"), "{err}");
    assert!(!last_error(&service, "coingecko").contains("cg-secret-xyz"));
}

// ---------- parsing ----------

#[tokio::test]
async fn prices_are_parsed_exactly_without_floating_point() {
    // 24 significant digits: an f64 would keep only ~16.
    let server = cg_server("45000.123456789012345678").await;
    let quote = RateService::new(config(Some(&server), None))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert_eq!(quote.eur_per_btc.to_string(), "45000.123456789012345678");

    let server = cg_server("4.500012E4").await;
    let quote = RateService::new(config(Some(&server), None))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45000.12));
}

#[tokio::test]
async fn coinmarketcap_v2_array_shape_picks_bitcoin() {
    let server = MockServer::start().await;
    let updated = chrono::Utc::now().to_rfc3339();
    let body = format!(
        r#"{{"status":{{"error_code":0,"error_message":null}},"data":{{"BTC":[
        {{"id":31469,"name":"Other BTC token","symbol":"BTC","quote":{{"EUR":{{"price":0.0031,"last_updated":"{updated}"}}}}}},
        {{"id":1,"name":"Bitcoin","symbol":"BTC","quote":{{"EUR":{{"price":45200.75,"last_updated":"{updated}"}}}}}}]}}}}"#
    );
    cmc_request().respond_with(json(body)).mount(&server).await;
    let quote = RateService::new(config(None, Some(&server)))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45200.75));
}

#[tokio::test]
async fn coinmarketcap_stale_quote_is_refused() {
    let server = MockServer::start().await;
    cmc_request()
        .respond_with(json(cmc_body_aged("45100", 7200)))
        .mount(&server)
        .await;
    let service = RateService::new(config(None, Some(&server))).unwrap();
    let err = service.quote().await.unwrap_err().to_string();
    assert!(err.contains("last updated 72"), "{err}");
}

#[tokio::test]
async fn coinmarketcap_error_status_and_bad_key_are_reported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"status":{"timestamp":"2025-01-01T00:00:00.000Z","error_code":1001,"error_message":"This API Key is invalid.","elapsed":0,"credit_count":0}}"#,
            "application/json",
        ))
        .expect(1) // not retried
        .mount(&server)
        .await;
    let config = RatesConfig {
        max_retries: 3,
        ..config(None, Some(&server))
    };
    let service = RateService::new(config).unwrap();
    let err = service.quote().await.unwrap_err().to_string();
    assert!(err.contains("API key rejected (HTTP 401)"), "{err}");
    assert!(err.contains("This API Key is invalid."), "{err}");
    assert!(err.contains("openfatture config get lightning_cmc_api_key"), "{err}");
}

#[tokio::test]
async fn malformed_json_is_not_retried_and_marks_the_provider_failing() {
    for body in [
        r#"{"bitcoin":{"eur":45000"#,
        r#"{"bitcoin":{}}"#,
        r#"{"bitcoin":{"eur":"45000"}}"#,
        "<html>oops</html>",
    ] {
        let server = MockServer::start().await;
        cg_request()
            .respond_with(json(body.to_owned()))
            .expect(1)
            .mount(&server)
            .await;
        let config = RatesConfig {
            max_retries: 3,
            ..config(Some(&server), None)
        };
        let service = RateService::new(config).unwrap();
        let err = service.quote().await.unwrap_err();
        assert!(matches!(err, RateError::NoRate { .. }));
        let reason = last_error(&service, "coingecko");
        assert!(reason.contains("unexpected response"), "{body}: {reason}");
        assert!(!reason.contains("attempts"), "{reason}");
        assert_eq!(hits(&server).await, 1, "{body} must not be retried");
    }
}

#[tokio::test]
async fn absurd_values_are_dropped() {
    for absurd in ["0", "0.0", "-45000", "1e12", "1000000000000.5", "999.99", "null"] {
        let cg = cg_server(absurd).await;
        let cmc = cmc_server("45100").await;
        let service = RateService::new(config(Some(&cg), Some(&cmc))).unwrap();
        let quote = service.quote().await.unwrap();
        assert_eq!(quote.eur_per_btc, dec!(45100), "{absurd} must be ignored");
        assert_eq!(quote.source, "coinmarketcap");
        assert_eq!(quote.providers.len(), 1);
        let reason = last_error(&service, "coingecko");
        assert!(
            reason.contains("outside the accepted range") || reason.contains("no bitcoin.eur price"),
            "{absurd}: {reason}"
        );
    }
}

// ---------- retries and timeouts ----------

#[tokio::test]
async fn http_429_is_retried_after_the_retry_after_delay() {
    let server = MockServer::start().await;
    cg_request()
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    cg_request()
        .respond_with(json(cg_body("45000")))
        .with_priority(2)
        .mount(&server)
        .await;
    let config = RatesConfig {
        max_retries: 3,
        ..config(Some(&server), None)
    };
    let started = Instant::now();
    let quote = RateService::new(config).unwrap().quote().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(quote.eur_per_btc, dec!(45000));
    assert_eq!(hits(&server).await, 2);
    assert!(
        waited >= Duration::from_secs(1),
        "retried after {waited:?}, before Retry-After"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_cap_stops_retrying() {
    let server = MockServer::start().await;
    cg_request()
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
        .mount(&server)
        .await;
    let config = RatesConfig {
        max_retries: 3,
        retry_after_cap_secs: 10,
        ..config(Some(&server), None)
    };
    let started = Instant::now();
    let err = RateService::new(config).unwrap().quote().await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(hits(&server).await, 1);
    assert!(err.contains("HTTP 429, retry after 60 s"), "{err}");
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = failing_server(500).await;
    let config = RatesConfig {
        max_retries: 2,
        ..config(Some(&server), None)
    };
    let service = RateService::new(config).unwrap();
    assert!(service.quote().await.is_err());
    assert_eq!(hits(&server).await, 3, "1 attempt + 2 retries");
    let reason = last_error(&service, "coingecko");
    assert!(
        reason.contains("HTTP 500") && reason.contains("after 3 attempts"),
        "{reason}"
    );
    assert!(matches!(
        health(&service, "coingecko"),
        ProviderHealth::Failing {
            consecutive_failures: 1,
            ..
        }
    ));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = failing_server(404).await;
    let config = RatesConfig {
        max_retries: 3,
        ..config(Some(&server), None)
    };
    let service = RateService::new(config).unwrap();
    assert!(service.quote().await.is_err());
    assert_eq!(hits(&server).await, 1);
    assert!(last_error(&service, "coingecko").contains("HTTP 404"));
}

#[tokio::test]
async fn slow_provider_times_out_and_is_retried() {
    let server = MockServer::start().await;
    cg_request()
        .respond_with(json(cg_body("45000")).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let config = RatesConfig {
        provider_timeout_secs: 1,
        max_retries: 1,
        quote_budget_ms: 10_000,
        ..config(Some(&server), None)
    };
    let service = RateService::new(config).unwrap();
    let started = Instant::now();
    let err = service.quote().await.unwrap_err().to_string();
    let waited = started.elapsed();
    assert!(err.contains("no answer within 1 s (after 2 attempts)"), "{err}");
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn unreachable_provider_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // listener dropped: nothing accepts on this port
    let config = RatesConfig {
        coingecko_base_url: Some(format!("http://127.0.0.1:{port}")),
        max_retries: 1,
        ..config(None, None)
    };
    let config = RatesConfig {
        coingecko_enabled: true,
        coingecko_api_key: Some(SecretString::from(CG_KEY)),
        ..config
    };
    let service = RateService::new(config).unwrap();
    let err = service.quote().await.unwrap_err().to_string();
    assert!(err.contains("cannot connect to http://127.0.0.1:"), "{err}");
    assert!(err.contains("after 2 attempts"), "connect errors are retried: {err}");
}
