//! What the owner must be told about a quote or a new invoice, as data: the web pages word each
//! notice in the user's language; the CLI prints the English warnings built beside them.

use rust_decimal::Decimal;

use crate::liquidity::InboundCheck;
use crate::rates::RateQuote;

/// One thing the owner must be told about a rate or a new invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerNotice {
    /// A cached market rate older than the cache time is in use: no provider answers now.
    StaleRate {
        /// EUR per BTC.
        eur_per_btc: Decimal,
        /// Where it came from.
        source: String,
        /// How old it is, seconds.
        age_secs: i64,
    },
    /// The configured fallback rate is in use: not a market price.
    FallbackRate {
        /// EUR per BTC.
        eur_per_btc: Decimal,
    },
    /// The demo rate of the embedded simulated node is in use: not a market price.
    DemoRate {
        /// EUR per BTC.
        eur_per_btc: Decimal,
    },
    /// The providers' answers lie further apart than the configured spread.
    RatesDisagree {
        /// Their spread, percent.
        spread_percent: Decimal,
        /// The configured limit, percent.
        limit_percent: Decimal,
        /// The median used, EUR per BTC.
        eur_per_btc: Decimal,
    },
    /// Fewer agreeing answers than `lightning_rate_min_sources`.
    FewSources {
        /// Answers that agree (0: two that disagree).
        agreeing: u32,
        /// Providers asked.
        asked: u32,
        /// The rate used, EUR per BTC.
        eur_per_btc: Decimal,
    },
    /// The node cannot receive the amount now: the payment will fail.
    LowInbound {
        /// The most it can receive now, sats.
        max_receivable_sat: u64,
    },
    /// Whether the node can receive the amount could not be checked (see the log).
    InboundUnknown,
    /// An older payable invoice of the same debt was cancelled so only the new one can be paid.
    Cancelled {
        /// Its id.
        id: String,
        /// Its amount, EUR.
        amount_eur: Decimal,
    },
}

impl OwnerNotice {
    /// True for the notices about the rate (the POS labels the rate's kind itself).
    pub fn is_about_the_rate(&self) -> bool {
        matches!(
            self,
            OwnerNotice::StaleRate { .. }
                | OwnerNotice::FallbackRate { .. }
                | OwnerNotice::DemoRate { .. }
                | OwnerNotice::RatesDisagree { .. }
                | OwnerNotice::FewSources { .. }
        )
    }
}

/// The notices a quote carries (degraded rate, providers disagreeing, too few agreeing).
pub fn quote_notices(quote: &RateQuote) -> Vec<OwnerNotice> {
    let mut notices = Vec::new();
    let eur_per_btc = quote.eur_per_btc;
    if quote.is_demo {
        notices.push(OwnerNotice::DemoRate { eur_per_btc });
    } else if quote.is_fallback {
        notices.push(OwnerNotice::FallbackRate { eur_per_btc });
    } else if quote.is_stale {
        notices.push(OwnerNotice::StaleRate {
            eur_per_btc,
            source: quote.source.clone(),
            age_secs: (chrono::Utc::now() - quote.fetched_at).num_seconds().max(0),
        });
    }
    if let Some((spread_percent, limit_percent)) = quote.spread_over_limit {
        notices.push(OwnerNotice::RatesDisagree {
            spread_percent,
            limit_percent,
            eur_per_btc,
        });
    }
    if quote.sources_mark.is_some() {
        notices.push(OwnerNotice::FewSources {
            agreeing: quote.sources_agreeing,
            asked: quote.sources_asked,
            eur_per_btc,
        });
    }
    notices
}

/// The notice of an inbound check, if it calls for one.
pub fn inbound_notice(check: &InboundCheck) -> Option<OwnerNotice> {
    match check {
        InboundCheck::Receivable { .. } => None,
        InboundCheck::Unreceivable { max_receivable_sat } => Some(OwnerNotice::LowInbound {
            max_receivable_sat: *max_receivable_sat,
        }),
        InboundCheck::Unavailable(_) => Some(OwnerNotice::InboundUnknown),
    }
}
