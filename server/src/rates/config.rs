//! Settings for BTC/EUR rate providers, cache, retries, circuit breakers and sanity limits.

use std::time::Duration;

use reqwest::Url;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

/// Default CoinGecko base URL for the free/demo API.
pub const COINGECKO_DEMO_BASE_URL: &str = "https://api.coingecko.com";
/// Default CoinGecko base URL for the paid (pro) API.
pub const COINGECKO_PRO_BASE_URL: &str = "https://pro-api.coingecko.com";
/// Default CoinMarketCap base URL.
pub const CMC_BASE_URL: &str = "https://pro-api.coinmarketcap.com";
/// Default Kraken base URL (public API, no key).
pub const KRAKEN_BASE_URL: &str = "https://api.kraken.com";
/// Default Bitstamp base URL (public API, no key).
pub const BITSTAMP_BASE_URL: &str = "https://www.bitstamp.net";
/// Default Coinbase base URL (public API, no key).
pub const COINBASE_BASE_URL: &str = "https://api.coinbase.com";
/// What `lightning rates`, the dashboard and the settings say about CoinGecko enabled without a key.
pub const COINGECKO_KEY_NOTICE: &str = "CoinGecko needs an API key since 2026 (a free demo key works)";
/// The demo rate, EUR per BTC: 50,000.00. Used only with the embedded simulated node (regtest
/// demo, no real money) when no provider answers and no fallback rate is set; such quotes have
/// source `"demo"` and are labelled "demo rate" / "cambio dimostrativo" wherever they show.
pub const DEMO_RATE_EUR_PER_BTC: Decimal = Decimal::from_parts(50_000, 0, 0, false, 0);

/// What [`super::RateService`] works with. The product fills the fields that are settings from
/// its configuration keys (`Settings::rates_config` in `context/convert.rs`, where each field's
/// key is named); the others are the service's own tuning. `Default` gives the service's
/// defaults (CoinGecko on, CoinMarketCap off, no fallback rate), which a test keeps equal to the
/// keys' defaults.
#[derive(Clone, Debug)]
pub struct RatesConfig {
    /// Ask Kraken's public ticker (no key).
    pub kraken_enabled: bool,
    /// Kraken base URL; `None` means [`KRAKEN_BASE_URL`].
    pub kraken_base_url: Option<String>,
    /// Ask Bitstamp's public ticker (no key).
    pub bitstamp_enabled: bool,
    /// Bitstamp base URL; `None` means [`BITSTAMP_BASE_URL`].
    pub bitstamp_base_url: Option<String>,
    /// Ask Coinbase's public spot price (no key).
    pub coinbase_enabled: bool,
    /// Coinbase base URL; `None` means [`COINBASE_BASE_URL`].
    pub coinbase_base_url: Option<String>,
    /// Ask CoinGecko; it is asked only when `coingecko_api_key` is set (see [`COINGECKO_KEY_NOTICE`]).
    pub coingecko_enabled: bool,
    /// CoinGecko API key; a demo key unless `coingecko_pro`. Empty counts as unset.
    pub coingecko_api_key: Option<SecretString>,
    /// The key is a CoinGecko pro key: sent as `x-cg-pro-api-key` to the pro API (requires a key).
    pub coingecko_pro: bool,
    /// CoinGecko base URL; `None` means the public demo API, or the pro API when `coingecko_pro`.
    pub coingecko_base_url: Option<String>,
    /// Ask CoinMarketCap; requires `cmc_api_key`.
    pub cmc_enabled: bool,
    /// CoinMarketCap API key. Empty counts as unset.
    pub cmc_api_key: Option<SecretString>,
    /// CoinMarketCap base URL; `None` means `https://pro-api.coinmarketcap.com`.
    pub cmc_base_url: Option<String>,
    /// Rate used (loudly flagged) when no provider answers, in EUR per BTC.
    pub fallback_rate: Option<Decimal>,
    /// The node is the embedded simulated node (no `lightning_host`): when no provider answers
    /// and no fallback rate is set, use [`DEMO_RATE_EUR_PER_BTC`] (source `"demo"`) instead of
    /// refusing. Never set for a real node.
    pub demo_rate_allowed: bool,
    /// After a provider's failed fetch, it is not asked again for this long (quotes answer at once
    /// from the stale, fallback or demo rate, or the error); its circuit breaker takes over after
    /// `breaker_failures` such failures. 0 asks it on every quote.
    pub failure_retry_secs: u64,
    /// A combined quote younger than this is served from cache without asking providers.
    pub cache_ttl_secs: u64,
    /// A cached quote older than this is never used, not even when every provider fails.
    pub max_quote_age_secs: u64,
    /// Time limit for one HTTP attempt to one provider.
    pub provider_timeout_secs: u64,
    /// Time budget of one quote, milliseconds: every provider is asked at once and a provider
    /// that has not answered (retries included) when it ends is a failure of this quote.
    pub quote_budget_ms: u64,
    /// An answer further than this percentage from the median of the other answers is dropped
    /// (with three answers or more; two answers that disagree are both kept and marked).
    pub max_deviation_percent: Decimal,
    /// Agreeing answers a rate needs not to be marked "single source" / "n of m".
    pub min_sources: u32,
    /// Extra attempts after a transient failure (timeout, connect error, HTTP 5xx, HTTP 429).
    pub max_retries: u32,
    /// First retry delay when the provider gives no Retry-After; doubles each retry, capped at 5 s.
    pub retry_backoff_base_ms: u64,
    /// Longest Retry-After (HTTP 429) we wait for; a longer one ends the attempts for this quote.
    pub retry_after_cap_secs: u64,
    /// Consecutive failed fetches (any cause, counted once per fetch after its retries) that open a
    /// provider's circuit breaker.
    pub breaker_failures: u32,
    /// How long an open circuit stays open before one trial fetch is allowed.
    pub breaker_timeout_secs: u64,
    /// Answers below this (EUR per BTC) are discarded as absurd.
    pub sanity_min_eur: Decimal,
    /// Answers above this (EUR per BTC) are discarded as absurd.
    pub sanity_max_eur: Decimal,
    /// Flag the quote when providers disagree by more than this percentage of the median.
    pub spread_warn_percent: Decimal,
}

impl Default for RatesConfig {
    fn default() -> Self {
        Self {
            kraken_enabled: true,
            kraken_base_url: None,
            bitstamp_enabled: true,
            bitstamp_base_url: None,
            coinbase_enabled: true,
            coinbase_base_url: None,
            coingecko_enabled: true,
            coingecko_api_key: None,
            coingecko_pro: false,
            coingecko_base_url: None,
            cmc_enabled: false,
            cmc_api_key: None,
            cmc_base_url: None,
            fallback_rate: None,
            demo_rate_allowed: false,
            failure_retry_secs: 30,
            cache_ttl_secs: 300,
            max_quote_age_secs: 900,
            provider_timeout_secs: 2,
            quote_budget_ms: 2_500,
            max_deviation_percent: Decimal::ONE,
            min_sources: 2,
            max_retries: 3,
            retry_backoff_base_ms: 500,
            retry_after_cap_secs: 10,
            breaker_failures: 5,
            breaker_timeout_secs: 30,
            sanity_min_eur: Decimal::from(1_000),
            sanity_max_eur: Decimal::from(10_000_000),
            spread_warn_percent: Decimal::from(2),
        }
    }
}

/// A settings combination that cannot work; each message names the setting to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatesConfigError {
    /// CoinMarketCap is enabled but has no API key.
    #[error(
        "CoinMarketCap is enabled but no API key is set; set one with \
         `openfatture config set lightning_cmc_api_key <key>` or disable it with \
         `openfatture config set lightning_cmc_enabled false`"
    )]
    CmcKeyMissing,
    /// CoinGecko pro mode is on but no API key is set.
    #[error(
        "CoinGecko pro mode is on but no API key is set; set `lightning_coingecko_api_key` \
         or turn pro mode off to use the free API"
    )]
    CoinGeckoProKeyMissing,
    /// An API key contains characters that cannot be sent in an HTTP header.
    #[error("the {provider} API key contains characters not allowed in an HTTP header; re-enter the key")]
    InvalidApiKey {
        /// Provider whose key is invalid.
        provider: &'static str,
    },
    /// A base URL is not an absolute http(s) URL.
    #[error("the {provider} base URL {url:?} is not an absolute http:// or https:// URL")]
    InvalidBaseUrl {
        /// Provider whose URL is invalid.
        provider: &'static str,
        /// The URL given.
        url: String,
    },
    /// No provider is enabled and no fallback rate is set, so no rate can ever be produced.
    #[error(
        "no BTC/EUR rate source: every provider is disabled (or, like CoinGecko without a key, cannot be \
         asked) and no fallback rate is set; enable a key-less one with \
         `openfatture config set lightning_kraken_enabled true` or set \
         `openfatture config set lightning_fallback_rate 45000.00`"
    )]
    NoRateSource,
    /// The quote budget is zero or longer than allowed.
    #[error("the quote time budget must be from 1 to {max_ms} ms (got {budget_ms} ms)")]
    InvalidBudget {
        /// Budget given.
        budget_ms: u64,
        /// Largest budget accepted.
        max_ms: u64,
    },
    /// The maximum deviation is not positive.
    #[error("lightning_rate_max_deviation_percent must be greater than 0 (got {max_deviation_percent})")]
    InvalidMaxDeviation {
        /// Percentage given.
        max_deviation_percent: Decimal,
    },
    /// `min_sources` is zero.
    #[error("lightning_rate_min_sources must be at least 1 (got 0)")]
    ZeroMinSources,
    /// The fallback rate is zero, negative or outside the sanity band.
    #[error("fallback rate {fallback_rate} EUR/BTC is outside the accepted range {min}–{max} EUR/BTC; fix `lightning_fallback_rate`")]
    FallbackOutOfRange {
        /// The fallback rate given.
        fallback_rate: Decimal,
        /// Lower sanity limit.
        min: Decimal,
        /// Upper sanity limit.
        max: Decimal,
    },
    /// The sanity band is empty or not positive.
    #[error("rate sanity range {min}–{max} EUR/BTC is invalid: need 0 < min < max")]
    InvalidSanityRange {
        /// Lower limit given.
        min: Decimal,
        /// Upper limit given.
        max: Decimal,
    },
    /// The cache TTL is longer than the maximum quote age.
    #[error("cache TTL ({cache_ttl_secs} s) must not exceed the maximum quote age ({max_quote_age_secs} s)")]
    CacheTtlAboveMaxAge {
        /// TTL given.
        cache_ttl_secs: u64,
        /// Maximum age given.
        max_quote_age_secs: u64,
    },
    /// The provider timeout is zero.
    #[error("provider timeout must be at least 1 s (got 0)")]
    ZeroTimeout,
    /// The spread warning threshold is negative.
    #[error("spread warning threshold must be ≥ 0 % (got {spread_warn_percent} %)")]
    NegativeSpreadThreshold {
        /// Threshold given.
        spread_warn_percent: Decimal,
    },
    /// The HTTP client could not be created (TLS set-up failure).
    #[error("cannot create the HTTP client for rate providers: {detail}")]
    HttpClient {
        /// What failed.
        detail: String,
    },
}

/// A key that is present and not blank.
pub(crate) fn usable_key(key: &Option<SecretString>) -> Option<&SecretString> {
    key.as_ref().filter(|k| !k.expose_secret().trim().is_empty())
}

impl RatesConfig {
    /// The CoinGecko base URL in effect (explicit, or the demo/pro default), without a trailing slash.
    pub fn coingecko_base_url_resolved(&self) -> String {
        let url = match &self.coingecko_base_url {
            Some(url) => url.as_str(),
            None if self.coingecko_pro => COINGECKO_PRO_BASE_URL,
            None => COINGECKO_DEMO_BASE_URL,
        };
        url.trim_end_matches('/').to_owned()
    }

    /// The Kraken base URL in effect, without a trailing slash.
    pub fn kraken_base_url_resolved(&self) -> String {
        resolved(&self.kraken_base_url, KRAKEN_BASE_URL)
    }

    /// The Bitstamp base URL in effect, without a trailing slash.
    pub fn bitstamp_base_url_resolved(&self) -> String {
        resolved(&self.bitstamp_base_url, BITSTAMP_BASE_URL)
    }

    /// The Coinbase base URL in effect, without a trailing slash.
    pub fn coinbase_base_url_resolved(&self) -> String {
        resolved(&self.coinbase_base_url, COINBASE_BASE_URL)
    }

    /// CoinGecko is enabled but cannot be asked: it needs a key since 2026 and none is set.
    pub fn coingecko_needs_key(&self) -> bool {
        self.coingecko_enabled && usable_key(&self.coingecko_api_key).is_none()
    }

    /// The CoinMarketCap base URL in effect, without a trailing slash.
    pub fn cmc_base_url_resolved(&self) -> String {
        self.cmc_base_url
            .as_deref()
            .unwrap_or(CMC_BASE_URL)
            .trim_end_matches('/')
            .to_owned()
    }

    /// Time limit for one HTTP attempt.
    pub fn provider_timeout(&self) -> Duration {
        Duration::from_secs(self.provider_timeout_secs)
    }

    /// Check that the settings can work together.
    pub fn validate(&self) -> Result<(), RatesConfigError> {
        if self.sanity_min_eur <= Decimal::ZERO || self.sanity_min_eur >= self.sanity_max_eur {
            return Err(RatesConfigError::InvalidSanityRange {
                min: self.sanity_min_eur,
                max: self.sanity_max_eur,
            });
        }
        if let Some(fallback_rate) = self.fallback_rate {
            if fallback_rate < self.sanity_min_eur || fallback_rate > self.sanity_max_eur {
                return Err(RatesConfigError::FallbackOutOfRange {
                    fallback_rate,
                    min: self.sanity_min_eur,
                    max: self.sanity_max_eur,
                });
            }
        }
        if self.cache_ttl_secs > self.max_quote_age_secs {
            return Err(RatesConfigError::CacheTtlAboveMaxAge {
                cache_ttl_secs: self.cache_ttl_secs,
                max_quote_age_secs: self.max_quote_age_secs,
            });
        }
        if self.provider_timeout_secs == 0 {
            return Err(RatesConfigError::ZeroTimeout);
        }
        if self.quote_budget_ms == 0 || self.quote_budget_ms > MAX_QUOTE_BUDGET_MS {
            return Err(RatesConfigError::InvalidBudget {
                budget_ms: self.quote_budget_ms,
                max_ms: MAX_QUOTE_BUDGET_MS,
            });
        }
        if self.max_deviation_percent <= Decimal::ZERO {
            return Err(RatesConfigError::InvalidMaxDeviation {
                max_deviation_percent: self.max_deviation_percent,
            });
        }
        if self.min_sources == 0 {
            return Err(RatesConfigError::ZeroMinSources);
        }
        for (enabled, name, url) in [
            (self.kraken_enabled, "Kraken", self.kraken_base_url_resolved()),
            (self.bitstamp_enabled, "Bitstamp", self.bitstamp_base_url_resolved()),
            (self.coinbase_enabled, "Coinbase", self.coinbase_base_url_resolved()),
        ] {
            if enabled {
                check_base_url(name, &url)?;
            }
        }
        if self.spread_warn_percent < Decimal::ZERO {
            return Err(RatesConfigError::NegativeSpreadThreshold {
                spread_warn_percent: self.spread_warn_percent,
            });
        }
        if self.coingecko_enabled {
            if self.coingecko_pro && usable_key(&self.coingecko_api_key).is_none() {
                return Err(RatesConfigError::CoinGeckoProKeyMissing);
            }
            check_key("CoinGecko", &self.coingecko_api_key)?;
            check_base_url("CoinGecko", &self.coingecko_base_url_resolved())?;
        }
        if self.cmc_enabled {
            if usable_key(&self.cmc_api_key).is_none() {
                return Err(RatesConfigError::CmcKeyMissing);
            }
            check_key("CoinMarketCap", &self.cmc_api_key)?;
            check_base_url("CoinMarketCap", &self.cmc_base_url_resolved())?;
        }
        let any_provider = self.kraken_enabled
            || self.bitstamp_enabled
            || self.coinbase_enabled
            || (self.coingecko_enabled && !self.coingecko_needs_key())
            || self.cmc_enabled;
        if !any_provider && self.fallback_rate.is_none() && !self.demo_rate_allowed {
            return Err(RatesConfigError::NoRateSource);
        }
        Ok(())
    }

    /// [`RatesConfig::validate`] without the check that some rate source is set: for a running
    /// gateway, where settings that leave no source must give a service that refuses every
    /// quote, not keep the previous service (which may allow the demo rate of a node no longer in
    /// use).
    pub fn validate_values(&self) -> Result<(), RatesConfigError> {
        match self.validate() {
            Err(RatesConfigError::NoRateSource) => Ok(()),
            other => other,
        }
    }
}

/// Longest quote budget accepted, milliseconds (the product uses 2,500 ms; tests of slow retries
/// may give more).
pub const MAX_QUOTE_BUDGET_MS: u64 = 60_000;

fn resolved(url: &Option<String>, default: &str) -> String {
    url.as_deref().unwrap_or(default).trim_end_matches('/').to_owned()
}

fn check_key(provider: &'static str, key: &Option<SecretString>) -> Result<(), RatesConfigError> {
    if let Some(key) = usable_key(key) {
        reqwest::header::HeaderValue::from_str(key.expose_secret().trim())
            .map_err(|_| RatesConfigError::InvalidApiKey { provider })?;
    }
    Ok(())
}

fn check_base_url(provider: &'static str, url: &str) -> Result<(), RatesConfigError> {
    let invalid = || RatesConfigError::InvalidBaseUrl {
        provider,
        url: url.to_owned(),
    };
    let parsed = Url::parse(url).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() || parsed.host().is_none() {
        return Err(invalid());
    }
    Ok(())
}
