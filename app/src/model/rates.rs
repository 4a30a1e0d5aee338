//! The BTC/EUR rate in use and its providers' state, as the dashboard shows them.

use serde::{Deserialize, Serialize};

/// The BTC/EUR rate in use and each provider's state, for the dashboard. Decimals travel as
/// their exact text (the browser only shows them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateStatus {
    /// EUR per BTC, exact decimal text.
    pub eur_per_btc: String,
    /// `coingecko`, `coinmarketcap`, `median(…)` or `fallback`.
    pub source: String,
    /// When the rate was fetched, RFC 3339 UTC.
    pub fetched_at: String,
    /// The configured fallback rate is in use because no provider answered.
    pub is_fallback: bool,
    /// What to tell the user loudly (fallback or stale rate, providers disagreeing), if anything.
    pub warnings: Vec<String>,
    /// Each enabled provider's state.
    pub providers: Vec<ProviderState>,
}

/// One rate provider's state as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderState {
    /// Provider name.
    pub provider: String,
    /// `ok`, `failing: …`, `circuit open …`, `disabled`, ….
    pub health: String,
}
