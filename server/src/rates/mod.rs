//! BTC/EUR exchange rates from several providers (CoinGecko, CoinMarketCap) with caching, retries,
//! per-provider circuit breakers, sanity limits, median combination, an explicit fallback rate and,
//! for the embedded simulated node only, a labelled demo rate.
//!
//! Prices are read from the JSON text of each number straight into [`rust_decimal::Decimal`]
//! (via `serde_json::value::RawValue`), never through `f64`.

mod coingecko;
mod coinmarketcap;
mod combine;
mod config;
mod provider;
mod service;

pub use combine::{median, spread_percent};
pub use config::{RatesConfig, RatesConfigError, DEMO_RATE_EUR_PER_BTC};
pub use provider::SanityBand;
pub use provider::{decimal_from_json_number, ProviderError};
pub use service::{
    ProviderHealth, ProviderQuote, ProviderStatus, RateError, RateQuote, RateService, RatesStatus,
    DEGRADED_RATE_LOG_INTERVAL_SECS,
};
