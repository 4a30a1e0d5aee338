//! Owner notices and rate-provider states as catalogue codes with values (`notice.*`, `rates.*`),
//! which the pages word in the user's language. The English accounts (which provider failed and
//! how) stay in the log and in `openfatture lightning rates`.

use app::Refusal;
use rust_decimal::Decimal;

use crate::invoices::OwnerNotice;
use crate::rates::{ProviderHealth, RateQuote};

/// An amount as the `…_eur` values carry it.
fn eur(value: &Decimal) -> String {
    format!("{value:.2}")
}

/// One owner notice as the pages word it.
pub(super) fn notice_refusal(notice: &OwnerNotice) -> Refusal {
    match notice {
        OwnerNotice::StaleRate {
            eur_per_btc,
            source,
            age_secs,
        } => Refusal::new(
            "notice.stale_rate",
            &[
                ("rate_eur", &eur(eur_per_btc)),
                ("source", source),
                ("minutes", &(age_secs / 60).to_string()),
            ],
        ),
        OwnerNotice::FallbackRate { eur_per_btc } => {
            Refusal::new("notice.fallback_rate", &[("rate_eur", &eur(eur_per_btc))])
        }
        OwnerNotice::DemoRate { eur_per_btc } => Refusal::new("notice.demo_rate", &[("rate_eur", &eur(eur_per_btc))]),
        OwnerNotice::RatesDisagree {
            spread_percent,
            limit_percent,
            eur_per_btc,
        } => Refusal::new(
            "notice.rates_disagree",
            &[
                ("spread_pct", &spread_percent.normalize().to_string()),
                ("limit_pct", &limit_percent.normalize().to_string()),
                ("rate_eur", &eur(eur_per_btc)),
            ],
        ),
        OwnerNotice::FewSources {
            agreeing,
            asked,
            eur_per_btc,
        } => match agreeing {
            0 => Refusal::new("notice.sources_disagree", &[("rate_eur", &eur(eur_per_btc))]),
            1 => Refusal::new("notice.single_source", &[("rate_eur", &eur(eur_per_btc))]),
            n => Refusal::new(
                "notice.few_sources",
                &[
                    ("agreeing", &n.to_string()),
                    ("asked", &asked.to_string()),
                    ("rate_eur", &eur(eur_per_btc)),
                ],
            ),
        },
        OwnerNotice::LowInbound { max_receivable_sat } => {
            Refusal::new("notice.low_inbound", &[("max_sat", &max_receivable_sat.to_string())])
        }
        OwnerNotice::InboundUnknown => Refusal::code("notice.inbound_unknown"),
        OwnerNotice::Cancelled { id, amount_eur } => {
            Refusal::new("notice.cancelled", &[("id", id), ("amount_eur", &eur(amount_eur))])
        }
    }
}

/// The short mark next to a rate resting on fewer agreeing answers than asked for.
pub(super) fn sources_mark(quote: &RateQuote) -> Option<Refusal> {
    quote.sources_mark.as_ref()?;
    Some(match quote.sources_agreeing {
        0 => Refusal::code("rates.mark.disagree"),
        1 => Refusal::code("rates.mark.single"),
        n => Refusal::new(
            "rates.mark.n_of_m",
            &[("n", &n.to_string()), ("m", &quote.sources_asked.to_string())],
        ),
    })
}

/// A provider's state as the dashboard words it (why it failed is in the log).
pub(super) fn health_refusal(health: &ProviderHealth) -> Refusal {
    match health {
        ProviderHealth::Disabled => Refusal::code("rates.health.disabled"),
        ProviderHealth::KeyMissing { .. } => Refusal::code("rates.health.key_missing"),
        ProviderHealth::NotQueried => Refusal::code("rates.health.not_queried"),
        ProviderHealth::Ok => Refusal::code("rates.health.ok"),
        ProviderHealth::Failing {
            consecutive_failures, ..
        } => Refusal::new("rates.health.failing", &[("count", &consecutive_failures.to_string())]),
        ProviderHealth::CircuitOpen { retry_in_secs, .. } => {
            Refusal::new("rates.health.circuit_open", &[("secs", &retry_in_secs.to_string())])
        }
        ProviderHealth::HalfOpen { .. } => Refusal::code("rates.health.half_open"),
    }
}

/// A webhook attempt's error as the dispatcher records it (`unreachable`, `HTTP 500`,
/// `refused: …`), as the pages word it.
pub(super) fn delivery_error(error: &str) -> Refusal {
    if error == "unreachable" {
        return Refusal::code("webhooks.error.unreachable");
    }
    if error.starts_with("refused:") {
        return Refusal::code("webhooks.error.refused");
    }
    if let Some(rest) = error.strip_prefix("HTTP ") {
        let status: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !status.is_empty() {
            let code = if rest.contains("redirects are not followed") {
                "webhooks.error.redirect"
            } else {
                "webhooks.error.http"
            };
            return Refusal::new(code, &[("status", &status)]);
        }
    }
    Refusal::code("webhooks.error.other")
}

/// An endpoint's delivery health from its newest outbox row (its state, then the last error),
/// and whether it is healthy.
pub(super) fn endpoint_health(latest: Option<&crate::store::Delivery>) -> (Vec<Refusal>, bool) {
    let Some(d) = latest else {
        return (vec![Refusal::code("webhooks.health.none")], true);
    };
    let why = d.last_error.as_deref().map(delivery_error).or_else(|| {
        d.last_status
            .map(|status| Refusal::new("webhooks.error.http", &[("status", &status.to_string())]))
    });
    let (state, healthy) = match d.state.as_str() {
        "DELIVERED" => return (vec![Refusal::code("webhooks.health.ok")], true),
        "FAILED" => (Refusal::code("webhooks.health.failing"), false),
        _ if d.attempts > 0 => (
            Refusal::new("webhooks.health.retrying", &[("attempts", &d.attempts.to_string())]),
            false,
        ),
        _ => (Refusal::code("webhooks.health.queued"), true),
    };
    (std::iter::once(state).chain(why).collect(), healthy)
}

/// The notice that CoinGecko is enabled without the API key it needs since 2026.
pub(super) fn coingecko_key_notice() -> Refusal {
    Refusal::code("rates.notice.coingecko_key")
}

#[cfg(test)]
mod tests {
    use app::i18n::Lang;

    use super::*;

    fn worded_in_both(refusal: &Refusal) -> (String, String) {
        let (it, en) = (refusal.text(Lang::It), refusal.text(Lang::En));
        assert!(it != refusal.code && en != refusal.code, "{refusal:?}: missing text");
        assert!(!it.contains('{') && !en.contains('{'), "{refusal:?}: {it} / {en}");
        (it, en)
    }

    #[test]
    fn every_notice_and_provider_state_is_worded_in_both_languages() {
        let rate = Decimal::new(4_512_345, 2);
        let notices = [
            OwnerNotice::StaleRate {
                eur_per_btc: rate,
                source: "kraken".into(),
                age_secs: 600,
            },
            OwnerNotice::FallbackRate { eur_per_btc: rate },
            OwnerNotice::DemoRate { eur_per_btc: rate },
            OwnerNotice::RatesDisagree {
                spread_percent: Decimal::new(435, 2),
                limit_percent: Decimal::new(2, 0),
                eur_per_btc: rate,
            },
            OwnerNotice::FewSources {
                agreeing: 0,
                asked: 2,
                eur_per_btc: rate,
            },
            OwnerNotice::FewSources {
                agreeing: 1,
                asked: 3,
                eur_per_btc: rate,
            },
            OwnerNotice::FewSources {
                agreeing: 2,
                asked: 4,
                eur_per_btc: rate,
            },
            OwnerNotice::LowInbound {
                max_receivable_sat: 1_234_567,
            },
            OwnerNotice::InboundUnknown,
            OwnerNotice::Cancelled {
                id: "INV-1-LN".into(),
                amount_eur: Decimal::new(1250, 2),
            },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for notice in &notices {
            let refusal = notice_refusal(notice);
            let (it, en) = worded_in_both(&refusal);
            assert_ne!(it, en, "{notice:?}");
            codes.insert(refusal.code);
        }
        assert_eq!(codes.len(), notices.len());
        // Money, sats and percentages as each language writes them.
        let disagree = notice_refusal(&notices[3]);
        assert!(disagree.text(Lang::It).contains("4,35%") && disagree.text(Lang::It).contains("45.123,45"));
        assert!(disagree.text(Lang::En).contains("4.35%") && disagree.text(Lang::En).contains("45,123.45"));
        let low = notice_refusal(&notices[7]);
        assert!(low.text(Lang::It).contains("1.234.567 sat"), "{}", low.text(Lang::It));
        assert!(low.text(Lang::En).contains("1,234,567 sat"), "{}", low.text(Lang::En));

        let states = [
            ProviderHealth::Disabled,
            ProviderHealth::KeyMissing { notice: "x".into() },
            ProviderHealth::NotQueried,
            ProviderHealth::Ok,
            ProviderHealth::Failing {
                last_error: "HTTP 500".into(),
                consecutive_failures: 3,
            },
            ProviderHealth::CircuitOpen {
                retry_in_secs: 30,
                last_error: "HTTP 500".into(),
            },
            ProviderHealth::HalfOpen {
                last_error: "HTTP 500".into(),
            },
        ];
        for state in &states {
            let (it, en) = worded_in_both(&health_refusal(state));
            assert_ne!(it, en, "{state:?}");
            assert!(!it.contains("HTTP 500"), "{it}");
        }
        worded_in_both(&coingecko_key_notice());
    }
}
