//! The rate service end to end against local provider servers: combination, fallback, errors, cache,
//! staleness and circuit breakers. Long waits (TTL, breaker timeout) are skipped by moving tokio's clock.

use std::sync::Arc;

use crate::common::log::CapturedLog;
use crate::common::rates::*;
use openfatture::breaker::BreakerState;
use openfatture::rates::{ProviderHealth, RateError, RateService, RatesConfig, DEMO_RATE_EUR_PER_BTC};
use rust_decimal_macros::dec;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn both_providers_ok_gives_the_exact_median() {
    let cg = cg_server("45000.12").await;
    let cmc = cmc_server("45100.00").await;
    let service = RateService::new(config(Some(&cg), Some(&cmc))).unwrap();
    let quote = service.quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45050.06));
    assert_eq!(quote.source, "median(coingecko,coinmarketcap)");
    assert!(!quote.is_fallback && !quote.is_stale);
    assert_eq!(quote.spread_warning, None, "0.22% is within the 2% limit");
    assert_eq!(quote.warning, None);
    let answers: Vec<_> = quote
        .providers
        .iter()
        .map(|p| (p.provider.as_str(), p.eur_per_btc))
        .collect();
    assert_eq!(
        answers,
        vec![("coingecko", dec!(45000.12)), ("coinmarketcap", dec!(45100.00))]
    );

    let status = service.status();
    assert!(
        status
            .providers
            .iter()
            .filter(|p| p.enabled)
            .all(|p| p.health == ProviderHealth::Ok),
        "{status:?}"
    );
    assert_eq!(status.last_quote.as_ref().map(|q| q.eur_per_btc), Some(dec!(45050.06)));
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["last_quote"]["eur_per_btc"], "45050.06");
    assert_eq!(json["providers"][3]["provider"], "coingecko");
    assert_eq!(json["providers"][3]["health"]["status"], "ok");
}

#[tokio::test]
async fn wide_disagreement_is_flagged() {
    let cg = cg_server("45000").await;
    let cmc = cmc_server("47000").await;
    let quote = RateService::new(config(Some(&cg), Some(&cmc)))
        .unwrap()
        .quote()
        .await
        .unwrap();
    assert_eq!(quote.eur_per_btc, dec!(46000));
    let warning = quote.spread_warning.expect("4.35% spread is over 2%");
    assert!(
        warning.contains("4.35%") && warning.contains("coingecko 45000"),
        "{warning}"
    );
}

#[tokio::test]
async fn one_provider_down_uses_the_other() {
    let cg = failing_server(503).await;
    let cmc = cmc_server("45100").await;
    let service = RateService::new(config(Some(&cg), Some(&cmc))).unwrap();
    let quote = service.quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45100));
    assert_eq!(quote.source, "coinmarketcap");
    assert!(!quote.is_fallback);
    match health(&service, "coingecko") {
        ProviderHealth::Failing {
            last_error,
            consecutive_failures,
        } => {
            assert!(last_error.contains("HTTP 503"), "{last_error}");
            assert_eq!(consecutive_failures, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(health(&service, "coinmarketcap"), ProviderHealth::Ok);
}

#[tokio::test]
async fn both_down_with_fallback_uses_it_loudly() {
    let cg = failing_server(503).await;
    let cmc = failing_server(500).await;
    let config = RatesConfig {
        fallback_rate: Some(dec!(45000.00)),
        ..config(Some(&cg), Some(&cmc))
    };
    let service = RateService::new(config).unwrap();
    let quote = service.quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, dec!(45000.00));
    assert_eq!(quote.source, "fallback");
    assert!(quote.is_fallback);
    assert!(quote.providers.is_empty());
    let warning = quote.warning.expect("fallback must carry a warning");
    assert!(warning.contains("FALLBACK"), "{warning}");
    assert!(warning.contains("coingecko: provider error HTTP 503"), "{warning}");
    assert!(warning.contains("coinmarketcap: provider error HTTP 500"), "{warning}");
    assert_eq!(service.status().last_quote.map(|q| q.is_fallback), Some(true));
}

#[tokio::test(start_paused = true)]
async fn a_fallback_only_shop_logs_the_fallback_once_a_minute_not_per_sale() {
    let (log, _guard) = CapturedLog::start();
    let service = RateService::new(RatesConfig {
        fallback_rate: Some(dec!(45000)),
        ..config(None, None)
    })
    .unwrap();
    for _ in 0..5 {
        let quote = service.quote().await.unwrap();
        assert!(quote.is_fallback);
        assert!(quote.warning.is_some(), "every sale still shows the warning");
    }
    assert_eq!(log.count("serving the fallback BTC/EUR rate"), 1);
    tokio::time::advance(std::time::Duration::from_secs(
        openfatture::rates::DEGRADED_RATE_LOG_INTERVAL_SECS + 1,
    ))
    .await;
    assert!(service.quote().await.unwrap().is_fallback);
    assert_eq!(log.count("serving the fallback BTC/EUR rate"), 2);
}

#[tokio::test]
async fn both_down_without_fallback_explains_what_failed_and_how_to_fix_it() {
    let cg = failing_server(503).await;
    let cmc = wiremock::MockServer::start().await;
    cmc_request()
        .respond_with(json(r#"{"status":{"error_code":0},"data":{}}"#.to_owned()))
        .mount(&cmc)
        .await;
    let service = RateService::new(config(Some(&cg), Some(&cmc))).unwrap();
    let err = service.quote().await.unwrap_err();
    assert!(matches!(err, RateError::NoRate { .. }));
    let text = err.to_string();
    assert!(text.starts_with("no BTC/EUR rate available"), "{text}");
    assert!(text.contains("coingecko: provider error HTTP 503"), "{text}");
    assert!(
        text.contains("coinmarketcap: unexpected response: response has no data.BTC"),
        "{text}"
    );
    assert!(
        text.contains("openfatture config set lightning_fallback_rate 45000.00"),
        "{text}"
    );
    assert!(
        text.contains("openfatture config get lightning_coingecko_api_key"),
        "{text}"
    );
}

#[tokio::test]
async fn cached_quote_is_reused_within_ttl_and_refreshed_after() {
    let cg = cg_server("45000").await;
    let service = RateService::new(config(Some(&cg), None)).unwrap();
    let first = service.quote().await.unwrap();
    jump(299).await;
    let second = service.quote().await.unwrap();
    assert_eq!(first, second, "served from cache");
    assert_eq!(hits(&cg).await, 1);

    jump(2).await; // 301 s: past the 300 s TTL
    cg.reset().await;
    cg_request().respond_with(json(cg_body("46000"))).mount(&cg).await;
    let third = service.quote().await.unwrap();
    assert_eq!(third.eur_per_btc, dec!(46000));
    assert_eq!(hits(&cg).await, 1, "one new request after the reset");
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let cg = wiremock::MockServer::start().await;
    cg_request()
        .respond_with(json(cg_body("45000")).set_delay(std::time::Duration::from_millis(200)))
        .mount(&cg)
        .await;
    let service = Arc::new(RateService::new(config(Some(&cg), None)).unwrap());
    let (a, b, c) = tokio::join!(service.quote(), service.quote(), service.quote());
    assert_eq!(a.unwrap().eur_per_btc, dec!(45000));
    assert_eq!(b.unwrap().eur_per_btc, dec!(45000));
    assert_eq!(c.unwrap().eur_per_btc, dec!(45000));
    assert_eq!(hits(&cg).await, 1);
}

#[tokio::test]
async fn stale_quote_is_flagged_within_max_age_and_never_used_beyond_it() {
    let cg = cg_server("45000").await;
    let config = RatesConfig {
        fallback_rate: Some(dec!(44000)),
        ..config(Some(&cg), None)
    };
    let service = RateService::new(config).unwrap();
    assert_eq!(service.quote().await.unwrap().eur_per_btc, dec!(45000));

    // The provider breaks; the TTL (300 s) passes but the quote is younger than the 900 s maximum age.
    cg.reset().await;
    cg_request().respond_with(ResponseTemplate::new(502)).mount(&cg).await;
    jump(400).await;
    let stale = service.quote().await.unwrap();
    assert_eq!(stale.eur_per_btc, dec!(45000));
    assert!(stale.is_stale && !stale.is_fallback);
    let warning = stale.warning.expect("stale quote must carry a warning");
    assert!(
        warning.contains("fetched 400 s ago") && warning.contains("HTTP 502"),
        "{warning}"
    );
    assert_eq!(service.status().last_quote_age_secs, Some(400));

    // Past the maximum age the old quote is never used: the fallback is.
    jump(501).await;
    let fallback = service.quote().await.unwrap();
    assert!(fallback.is_fallback && !fallback.is_stale);
    assert_eq!(fallback.eur_per_btc, dec!(44000));
}

#[tokio::test]
async fn quote_beyond_max_age_without_fallback_is_an_error() {
    let cg = cg_server("45000").await;
    let service = RateService::new(config(Some(&cg), None)).unwrap();
    service.quote().await.unwrap();
    cg.reset().await;
    cg_request().respond_with(ResponseTemplate::new(502)).mount(&cg).await;
    jump(901).await;
    let err = service.quote().await.unwrap_err().to_string();
    assert!(err.contains("coingecko: provider error HTTP 502"), "{err}");
}

#[tokio::test]
async fn breaker_opens_skips_the_provider_then_half_opens_and_closes_on_success() {
    let cg = failing_server(503).await;
    let config = RatesConfig {
        breaker_failures: 2,
        breaker_timeout_secs: 300,
        fallback_rate: Some(dec!(45000)),
        ..config(Some(&cg), None)
    };
    let service = RateService::new(config).unwrap();
    for _ in 0..2 {
        assert!(service.quote().await.unwrap().is_fallback);
    }
    assert_eq!(hits(&cg).await, 2);
    match health(&service, "coingecko") {
        ProviderHealth::CircuitOpen {
            retry_in_secs,
            last_error,
        } => {
            assert_eq!(retry_in_secs, 300);
            assert!(last_error.contains("HTTP 503"), "{last_error}");
        }
        other => panic!("{other:?}"),
    }

    // While open the provider is not called.
    jump(100).await;
    let quote = service.quote().await.unwrap();
    assert!(quote.is_fallback);
    assert!(quote.warning.unwrap().contains("circuit open, retry in 200 s"));
    assert_eq!(hits(&cg).await, 2);

    // After the timeout one trial is allowed; it succeeds and closes the circuit.
    jump(200).await;
    assert!(matches!(health(&service, "coingecko"), ProviderHealth::HalfOpen { .. }));
    cg.reset().await;
    cg_request().respond_with(json(cg_body("45500"))).mount(&cg).await;
    let quote = service.quote().await.unwrap();
    assert_eq!((quote.eur_per_btc, quote.source.as_str()), (dec!(45500), "coingecko"));
    assert_eq!(hits(&cg).await, 1);
    assert_eq!(health(&service, "coingecko"), ProviderHealth::Ok);
    assert_eq!(
        service.breaker("coingecko").map(|b| b.state()),
        Some(BreakerState::Closed)
    );
}

#[tokio::test]
async fn failed_trial_reopens_the_circuit() {
    let cg = failing_server(503).await;
    let config = RatesConfig {
        breaker_failures: 1,
        breaker_timeout_secs: 300,
        fallback_rate: Some(dec!(45000)),
        ..config(Some(&cg), None)
    };
    let service = RateService::new(config).unwrap();
    service.quote().await.unwrap();
    assert!(matches!(
        health(&service, "coingecko"),
        ProviderHealth::CircuitOpen { .. }
    ));
    jump(300).await;
    service.quote().await.unwrap(); // the trial: fails
    assert_eq!(hits(&cg).await, 2);
    assert!(matches!(
        health(&service, "coingecko"),
        ProviderHealth::CircuitOpen { retry_in_secs: 300, .. }
    ));
    service.quote().await.unwrap();
    assert_eq!(hits(&cg).await, 2, "open again: not called");
}

#[tokio::test]
async fn status_lists_disabled_and_unqueried_providers() {
    let cg = cg_server("45000").await;
    let service = RateService::new(config(Some(&cg), None)).unwrap();
    let status = service.status();
    assert_eq!(status.last_quote, None);
    let lines: Vec<_> = status
        .providers
        .iter()
        .map(|p| (p.provider.as_str(), p.health.to_string()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("kraken", "disabled".to_owned()),
            ("bitstamp", "disabled".to_owned()),
            ("coinbase", "disabled".to_owned()),
            ("coingecko", "not queried yet".to_owned()),
            ("coinmarketcap", "disabled".to_owned())
        ]
    );
    service.quote().await.unwrap();
    jump(42).await;
    let status = service.status();
    let cg_status = status.providers.iter().find(|p| p.provider == "coingecko").unwrap();
    assert_eq!(cg_status.last_quote_age_secs, Some(42));
    assert_eq!(cg_status.last_quote.as_ref().map(|q| q.eur_per_btc), Some(dec!(45000)));
    assert!(cg_status.in_rate && cg_status.key_set && cg_status.enabled);
}

/// Settings with only CoinGecko at `url`, one attempt of at most 1 s, and the product's rest
/// after a failure.
fn one_provider_at(url: &str) -> RatesConfig {
    RatesConfig {
        coingecko_enabled: true,
        coingecko_api_key: Some(CG_KEY.to_string().into()),
        coingecko_base_url: Some(url.to_owned()),
        provider_timeout_secs: 1,
        max_retries: 0,
        failure_retry_secs: RatesConfig::default().failure_retry_secs,
        ..defaults_offline()
    }
}

#[tokio::test]
async fn a_provider_that_never_answers_makes_only_the_first_quote_wait() {
    let silent = SilentServer::start().await;
    let service = RateService::new(RatesConfig {
        fallback_rate: Some(dec!(45000)),
        ..one_provider_at(&silent.url)
    })
    .unwrap();

    let started = std::time::Instant::now();
    assert!(service.quote().await.unwrap().is_fallback);
    let first = started.elapsed();
    assert!(
        first >= std::time::Duration::from_millis(900),
        "the first quote waits for the timeout: {first:?}"
    );
    assert_eq!(silent.connections(), 1);

    let mut slowest = std::time::Duration::ZERO;
    let all = std::time::Instant::now();
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let quote = service.quote().await.unwrap();
        let took = started.elapsed();
        assert!(quote.is_fallback);
        assert!(
            quote
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("failed recently, retry in")),
            "{quote:?}"
        );
        assert!(
            took < std::time::Duration::from_millis(50),
            "a quote after the failure took {took:?}"
        );
        slowest = slowest.max(took);
    }
    eprintln!(
        "first quote {first:?}; next 20: slowest {slowest:?}, mean {:?}",
        all.elapsed() / 20
    );
    assert_eq!(
        silent.connections(),
        1,
        "the provider is not asked again while it rests"
    );
    assert!(matches!(health(&service, "coingecko"), ProviderHealth::Failing { .. }));
}

#[tokio::test]
async fn without_any_rate_the_error_also_comes_at_once_after_the_first_failure() {
    let silent = SilentServer::start().await;
    let service = RateService::new(one_provider_at(&silent.url)).unwrap();
    assert!(matches!(service.quote().await, Err(RateError::NoRate { .. })));
    for _ in 0..20 {
        let started = std::time::Instant::now();
        assert!(matches!(service.quote().await, Err(RateError::NoRate { .. })));
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }
    assert_eq!(silent.connections(), 1);
}

#[tokio::test]
async fn a_rested_provider_is_asked_again_after_the_retry_time() {
    let cg = failing_server(503).await;
    let service = RateService::new(RatesConfig {
        fallback_rate: Some(dec!(45000)),
        ..one_provider_at(&cg.uri())
    })
    .unwrap();
    assert!(service.quote().await.unwrap().is_fallback);
    assert!(service.quote().await.unwrap().is_fallback);
    assert_eq!(hits(&cg).await, 1, "resting");
    jump(RatesConfig::default().failure_retry_secs).await;
    cg.reset().await;
    cg_request().respond_with(json(cg_body("45500"))).mount(&cg).await;
    let quote = service.quote().await.unwrap();
    assert_eq!((quote.eur_per_btc, quote.source.as_str()), (dec!(45500), "coingecko"));
}

#[tokio::test]
async fn the_demo_rate_is_used_only_where_allowed_and_says_so() {
    let refused = refused_url();
    let demo = RateService::new(RatesConfig {
        demo_rate_allowed: true,
        ..one_provider_at(&refused)
    })
    .unwrap();
    let quote = demo.quote().await.unwrap();
    assert_eq!(quote.eur_per_btc, DEMO_RATE_EUR_PER_BTC);
    assert_eq!(DEMO_RATE_EUR_PER_BTC, dec!(50000));
    assert_eq!(quote.source, "demo");
    assert!(quote.is_demo && !quote.is_fallback);
    assert!(
        quote.warning.as_deref().is_some_and(|w| w.contains("DEMO RATE")),
        "{quote:?}"
    );

    // A configured fallback wins over the demo rate.
    let fallback = RateService::new(RatesConfig {
        demo_rate_allowed: true,
        fallback_rate: Some(dec!(45000)),
        ..one_provider_at(&refused)
    })
    .unwrap();
    assert_eq!(fallback.quote().await.unwrap().source, "fallback");

    // A real node (no demo) still refuses.
    let real = RateService::new(one_provider_at(&refused)).unwrap();
    assert!(matches!(real.quote().await, Err(RateError::NoRate { .. })));

    // With every provider off, the demo rate is still a rate source for the embedded node.
    let offline = RatesConfig {
        coingecko_enabled: false,
        demo_rate_allowed: true,
        ..defaults_offline()
    };
    assert_eq!(RateService::new(offline).unwrap().quote().await.unwrap().source, "demo");
}
