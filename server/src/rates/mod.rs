//! BTC/EUR exchange rates from several providers (the key-less Kraken, Bitstamp and Coinbase; CoinGecko
//! and CoinMarketCap with a key) asked at once within one time budget, with caching, retries,
//! per-provider circuit breakers, sanity limits, outliers dropped, median combination, a mark when
//! fewer than `min_sources` answers agree, an explicit fallback rate and, for the embedded
//! simulated node only, a labelled demo rate.
//!
//! Prices are read from the JSON text of each number straight into [`rust_decimal::Decimal`]
//! (via `serde_json::value::RawValue`), never through `f64`.

mod bitstamp;
mod coinbase;
mod coingecko;
mod coinmarketcap;
mod combine;
mod config;
mod handle;
mod kraken;
mod provider;
mod service;

pub use combine::{deviation_percent, median, outliers, spread_percent};
pub use config::{RatesConfig, RatesConfigError, COINGECKO_KEY_NOTICE, DEMO_RATE_EUR_PER_BTC};
pub use handle::RateHandle;
pub use provider::SanityBand;
pub use provider::{decimal_from_json_number, decimal_from_json_price, decimal_from_price_text, ProviderError};
pub use service::{
    DroppedAnswer, ProviderFailure, ProviderHealth, ProviderQuote, ProviderStatus, RateError, RateQuote, RateService,
    RatesStatus, DEGRADED_RATE_LOG_INTERVAL_SECS,
};
