//! The BTC/EUR rate in use and its providers' state, as the dashboard shows them.

use serde::{Deserialize, Serialize};

/// The BTC/EUR rate in use and each provider's state, for the dashboard. Decimals travel as
/// their exact text (the browser only shows them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateStatus {
    /// EUR per BTC, exact decimal text.
    pub eur_per_btc: String,
    /// `kraken`, `bitstamp`, `coinbase`, `coingecko`, `coinmarketcap`, `median(…)`, `fallback` or `demo`.
    pub source: String,
    /// When the rate was fetched, RFC 3339 UTC.
    pub fetched_at: String,
    /// The configured fallback rate is in use because no provider answered.
    pub is_fallback: bool,
    /// What kind of rate this is (live, stale, fallback, demo), for its label.
    pub state: RateState,
    /// What to tell the user loudly (fallback or stale rate, providers disagreeing), if anything.
    pub warnings: Vec<super::Refusal>,
    /// Each enabled provider's state.
    pub providers: Vec<ProviderState>,
    /// Set when fewer provider answers than `lightning_rate_min_sources` agree: "single source",
    /// "2 of 4" or "providers disagree"; shown next to the rate, never silently left out.
    pub sources_mark: Option<super::Refusal>,
    /// What the admin is told about the set-up, e.g. "CoinGecko needs an API key since 2026 (a
    /// free demo key works)" when CoinGecko is enabled without a key.
    pub notices: Vec<super::Refusal>,
}

/// One rate provider's state as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderState {
    /// Provider name.
    pub provider: String,
    /// `ok`, `failing: …`, `circuit open …`, `disabled`, ….
    pub health: super::Refusal,
}

/// What kind of BTC/EUR rate sales use now, for the small label the POS and the dashboard show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateState {
    /// A market price the providers gave within the cache time.
    Live,
    /// A market price older than the cache time (no provider answers now), within the maximum age.
    Stale,
    /// The configured fallback rate (`lightning_fallback_rate`), not a market price.
    Fallback,
    /// The demo rate of the embedded simulated node, not a market price.
    Demo,
    /// No rate: sales are refused until a provider answers or a fallback rate is set.
    Unavailable,
}

impl RateState {
    /// Every variant, for the test that checks each has both labels.
    pub const ALL: [RateState; 5] = [
        RateState::Live,
        RateState::Stale,
        RateState::Fallback,
        RateState::Demo,
        RateState::Unavailable,
    ];

    /// The state of a rate recorded on an invoice (its source and whether it was the fallback).
    pub fn of_recorded(source: &str, is_fallback: bool) -> RateState {
        if source == "demo" {
            RateState::Demo
        } else if is_fallback {
            RateState::Fallback
        } else {
            RateState::Live
        }
    }

    /// The name on the wire and in `data-state` attributes (`demo`).
    pub fn as_str(self) -> &'static str {
        match self {
            RateState::Live => "live",
            RateState::Stale => "stale",
            RateState::Fallback => "fallback",
            RateState::Demo => "demo",
            RateState::Unavailable => "unavailable",
        }
    }
}
