//! The rate service: cache, concurrent provider queries behind circuit breakers, combination, fallback, status.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use tokio::time::Instant;

use super::coingecko::{self, CoinGecko};
use super::coinmarketcap::{self, CoinMarketCap};
use super::combine::{median, spread_percent};
use super::config::{usable_key, RatesConfig, RatesConfigError, DEMO_RATE_EUR_PER_BTC};
use super::provider::SanityBand;
use super::provider::{HttpProvider, RetryPolicy};
use crate::breaker::{BreakerState, CircuitBreaker, Rejection};

/// One provider's accepted answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderQuote {
    /// Provider name ("coingecko", "coinmarketcap").
    pub provider: String,
    /// EUR per BTC.
    pub eur_per_btc: Decimal,
    /// When the answer arrived.
    pub fetched_at: DateTime<Utc>,
}

/// The BTC/EUR rate to use, with where it came from and anything the user must be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateQuote {
    /// EUR per BTC; always > 0.
    pub eur_per_btc: Decimal,
    /// "coingecko", "coinmarketcap", "median(coingecko,coinmarketcap)", "fallback" or "demo".
    pub source: String,
    /// When the providers answered (for a fallback: when the fallback was chosen).
    pub fetched_at: DateTime<Utc>,
    /// The configured fallback rate is used because no provider answered: show `warning` loudly.
    pub is_fallback: bool,
    /// The demo rate ([`DEMO_RATE_EUR_PER_BTC`], source `"demo"`) is used: the node is the embedded
    /// simulated node, no provider answered and no fallback rate is set. Label it "demo rate".
    pub is_demo: bool,
    /// A cached quote older than the cache TTL (but within the maximum age) is used because no provider
    /// answered: show `warning` loudly.
    pub is_stale: bool,
    /// Set when providers disagree by more than the configured spread.
    pub spread_warning: Option<String>,
    /// Set for fallback, demo and stale quotes: what happened, to show prominently.
    pub warning: Option<String>,
    /// The provider answers this rate was computed from (empty for a fallback).
    pub providers: Vec<ProviderQuote>,
}

/// No usable rate could be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// Every provider failed, no recent quote is cached and no fallback rate is set.
    #[error(
        "no BTC/EUR rate available: {details}. To fix: check that the providers are reachable \
         (curl \"https://api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies=eur\"), check API keys \
         (openfatture config get lightning_coingecko_api_key), or enable a fallback rate: \
         openfatture config set lightning_fallback_rate 45000.00"
    )]
    NoRate {
        /// Each provider and why it failed.
        details: String,
    },
}

/// A provider's health for `openfatture lightning rates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProviderHealth {
    /// Turned off in the settings.
    Disabled,
    /// Enabled but not asked yet.
    NotQueried,
    /// The last fetch succeeded.
    Ok,
    /// The last fetch failed; the circuit is still closed.
    Failing {
        /// Why the last fetch failed.
        last_error: String,
        /// Failures in a row so far.
        consecutive_failures: u32,
    },
    /// Too many failures: the provider is not asked until the circuit half-opens.
    CircuitOpen {
        /// Seconds until one trial fetch is allowed.
        retry_in_secs: u64,
        /// Why the last fetch failed.
        last_error: String,
    },
    /// The next fetch is a trial that closes or re-opens the circuit.
    HalfOpen {
        /// Why the last fetch failed.
        last_error: String,
    },
}

impl fmt::Display for ProviderHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderHealth::Disabled => f.write_str("disabled"),
            ProviderHealth::NotQueried => f.write_str("not queried yet"),
            ProviderHealth::Ok => f.write_str("ok"),
            ProviderHealth::Failing {
                last_error,
                consecutive_failures,
            } => {
                write!(f, "failing ({consecutive_failures} in a row): {last_error}")
            }
            ProviderHealth::CircuitOpen {
                retry_in_secs,
                last_error,
            } => {
                write!(f, "circuit open, retry in {retry_in_secs} s (last error: {last_error})")
            }
            ProviderHealth::HalfOpen { last_error } => {
                write!(f, "circuit half-open, next fetch is a trial (last error: {last_error})")
            }
        }
    }
}

/// One provider's line in `openfatture lightning rates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderStatus {
    /// Provider name.
    pub provider: String,
    /// Its last accepted answer.
    pub last_quote: Option<ProviderQuote>,
    /// Seconds since that answer.
    pub last_quote_age_secs: Option<u64>,
    /// Current health.
    pub health: ProviderHealth,
}

/// Everything `openfatture lightning rates [--json]` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatesStatus {
    /// Every known provider, enabled or not.
    pub providers: Vec<ProviderStatus>,
    /// The last rate handed out by [`RateService::quote`] (combined, stale or fallback).
    pub last_quote: Option<RateQuote>,
    /// Seconds since that rate's provider answers arrived (for a fallback: since it was chosen).
    pub last_quote_age_secs: Option<u64>,
    /// The configured fallback rate, if any.
    pub fallback_rate: Option<Decimal>,
}

#[derive(Default)]
struct Health {
    last_quote: Option<(ProviderQuote, Instant)>,
    last_error: Option<String>,
    last_ok: Option<bool>,
    /// After a failed fetch: not asked again before this (see `RatesConfig::failure_retry_secs`).
    retry_at: Option<Instant>,
}

struct ProviderSlot {
    provider: HttpProvider,
    breaker: CircuitBreaker,
    health: Mutex<Health>,
}

#[derive(Clone)]
struct Served {
    quote: RateQuote,
    at: Instant,
}

#[derive(Default)]
struct State {
    /// The last quote computed from live provider answers.
    cached: Option<Served>,
    /// The last quote handed out, whatever its kind (for status).
    last_served: Option<Served>,
    /// When a stale or fallback rate was last logged.
    degraded_logged_at: Option<Instant>,
}

/// A stale or fallback rate is logged at most once in this long (each quote still carries its
/// warning for the screen): a shop running on the fallback rate would otherwise log every sale.
pub const DEGRADED_RATE_LOG_INTERVAL_SECS: u64 = 60;

/// Produces BTC/EUR rates from the configured providers; share it (e.g. in an `Arc`) across requests.
pub struct RateService {
    config: RatesConfig,
    policy: RetryPolicy,
    band: SanityBand,
    slots: Vec<ProviderSlot>,
    disabled: Vec<&'static str>,
    state: Mutex<State>,
    refresh: tokio::sync::Mutex<()>,
}

impl fmt::Debug for RateService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateService")
            .field(
                "providers",
                &self.slots.iter().map(|s| s.provider.name()).collect::<Vec<_>>(),
            )
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Guarded data is plain values always left consistent, so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn age_secs(since: Instant) -> u64 {
    Instant::now().saturating_duration_since(since).as_secs()
}

fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl ProviderSlot {
    fn name(&self) -> &'static str {
        self.provider.name()
    }

    /// While a failed provider rests (see `RatesConfig::failure_retry_secs`): why it is not asked.
    fn resting(&self) -> Option<String> {
        let health = lock(&self.health);
        let retry_at = health.retry_at?;
        let now = Instant::now();
        if now >= retry_at {
            return None;
        }
        let retry_in_secs = retry_at.saturating_duration_since(now).as_secs_f64().ceil();
        let last_error = health.last_error.as_deref().unwrap_or("none");
        Some(format!(
            "not asked: failed recently, retry in {retry_in_secs} s (last error: {last_error})"
        ))
    }

    /// Ask the provider (through its breaker, unless it rests after a failure); `Err` is a
    /// one-line reason. A resting or open provider answers at once, without any network call.
    async fn fetch(&self, policy: RetryPolicy, band: SanityBand, rest: Duration) -> Result<ProviderQuote, String> {
        if let Some(reason) = self.resting() {
            return Err(reason);
        }
        let permit = match self.breaker.try_acquire() {
            Ok(permit) => permit,
            Err(rejection) => {
                let last_error = lock(&self.health)
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "none".to_owned());
                let reason = match rejection {
                    Rejection::Open { retry_in_secs, .. } => {
                        format!("not asked: circuit open, retry in {retry_in_secs} s (last error: {last_error})")
                    }
                    Rejection::TrialInProgress { .. } => {
                        format!("not asked: circuit half-open with a trial in progress (last error: {last_error})")
                    }
                };
                return Err(reason);
            }
        };
        match self.provider.fetch(policy, band).await {
            Ok(eur_per_btc) => {
                permit.success();
                let quote = ProviderQuote {
                    provider: self.name().to_owned(),
                    eur_per_btc,
                    fetched_at: Utc::now(),
                };
                let mut health = lock(&self.health);
                health.last_quote = Some((quote.clone(), Instant::now()));
                health.last_ok = Some(true);
                health.retry_at = None;
                Ok(quote)
            }
            Err(failure) => {
                permit.failure();
                let reason = failure.to_string();
                tracing::warn!(provider = self.name(), error = %reason, "BTC/EUR rate provider failed");
                let mut health = lock(&self.health);
                health.last_error = Some(reason.clone());
                health.last_ok = Some(false);
                health.retry_at = (!rest.is_zero()).then(|| Instant::now() + rest);
                Err(reason)
            }
        }
    }

    fn status(&self) -> ProviderStatus {
        let health = lock(&self.health);
        let last_error = health.last_error.clone().unwrap_or_default();
        let state = match self.breaker.state() {
            BreakerState::Open { retry_in_secs } => ProviderHealth::CircuitOpen {
                retry_in_secs,
                last_error,
            },
            BreakerState::HalfOpen => ProviderHealth::HalfOpen { last_error },
            BreakerState::Closed => match health.last_ok {
                None => ProviderHealth::NotQueried,
                Some(true) => ProviderHealth::Ok,
                Some(false) => ProviderHealth::Failing {
                    last_error,
                    consecutive_failures: self.breaker.consecutive_failures(),
                },
            },
        };
        ProviderStatus {
            provider: self.name().to_owned(),
            last_quote: health.last_quote.as_ref().map(|(q, _)| q.clone()),
            last_quote_age_secs: health.last_quote.as_ref().map(|(_, at)| age_secs(*at)),
            health: state,
        }
    }
}

impl RateService {
    /// Check `config` and set up one HTTP client and one circuit breaker per enabled provider.
    pub fn new(config: RatesConfig) -> Result<Self, RatesConfigError> {
        config.validate()?;
        let timeout = config.provider_timeout();
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .user_agent(concat!("openfatture-lightning/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RatesConfigError::HttpClient { detail: e.to_string() })?;
        let breaker_timeout = Duration::from_secs(config.breaker_timeout_secs);
        let slot = |api: Box<dyn super::provider::PriceApi>| {
            let name = api.name();
            ProviderSlot {
                provider: HttpProvider::new(client.clone(), api, timeout),
                breaker: CircuitBreaker::new(
                    format!("rate provider {name}"),
                    config.breaker_failures,
                    breaker_timeout,
                ),
                health: Mutex::new(Health::default()),
            }
        };

        let mut slots = Vec::new();
        let mut disabled = Vec::new();
        if config.coingecko_enabled {
            let api = CoinGecko::new(
                &config.coingecko_base_url_resolved(),
                usable_key(&config.coingecko_api_key).cloned(),
                config.coingecko_pro,
            );
            slots.push(slot(Box::new(api)));
        } else {
            disabled.push(coingecko::NAME);
        }
        match (config.cmc_enabled, usable_key(&config.cmc_api_key)) {
            (true, Some(key)) => {
                let api = CoinMarketCap::new(&config.cmc_base_url_resolved(), key.clone(), config.max_quote_age_secs);
                slots.push(slot(Box::new(api)));
            }
            (true, None) => return Err(RatesConfigError::CmcKeyMissing),
            (false, _) => disabled.push(coinmarketcap::NAME),
        }

        Ok(Self {
            policy: RetryPolicy {
                max_retries: config.max_retries,
                backoff_base: Duration::from_millis(config.retry_backoff_base_ms),
                retry_after_cap: Duration::from_secs(config.retry_after_cap_secs),
            },
            band: SanityBand {
                min_eur: config.sanity_min_eur,
                max_eur: config.sanity_max_eur,
            },
            config,
            slots,
            disabled,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// The circuit breaker of provider `name` ("coingecko", "coinmarketcap"), if it is enabled.
    pub fn breaker(&self, name: &str) -> Option<&CircuitBreaker> {
        self.slots.iter().find(|s| s.name() == name).map(|s| &s.breaker)
    }

    fn cached_younger_than(&self, max_age: Duration) -> Option<Served> {
        let state = lock(&self.state);
        state
            .cached
            .as_ref()
            .filter(|c| Instant::now().saturating_duration_since(c.at) < max_age)
            .cloned()
    }

    /// Record `quote` (obtained at `at`) as the last one handed out, and as the live cache when `cache`.
    fn remember(&self, quote: &RateQuote, at: Instant, cache: bool) {
        let served = Served {
            quote: quote.clone(),
            at,
        };
        let mut state = lock(&self.state);
        if cache {
            state.cached = Some(served.clone());
        }
        state.last_served = Some(served);
    }

    /// The current BTC/EUR rate.
    ///
    /// Order: a cached quote younger than `cache_ttl_secs`; else every enabled provider at once (each behind
    /// its circuit breaker, with retries) combined by median; else — loudly flagged — the last live quote if
    /// younger than `max_quote_age_secs`, else the fallback rate, else (embedded simulated node only) the
    /// demo rate; else [`RateError::NoRate`]. A provider that failed is not asked again for
    /// `failure_retry_secs` (then its breaker decides), so after one failure quotes answer at once.
    pub async fn quote(&self) -> Result<RateQuote, RateError> {
        let ttl = Duration::from_secs(self.config.cache_ttl_secs);
        if let Some(hit) = self.cached_younger_than(ttl) {
            return Ok(hit.quote);
        }
        // One refresh at a time; callers that waited get the fresh result from the cache.
        let _refreshing = self.refresh.lock().await;
        if let Some(hit) = self.cached_younger_than(ttl) {
            return Ok(hit.quote);
        }

        let rest = Duration::from_secs(self.config.failure_retry_secs);
        let outcomes =
            futures::future::join_all(self.slots.iter().map(|slot| slot.fetch(self.policy, self.band, rest))).await;
        let mut accepted = Vec::new();
        let mut failures = Vec::new();
        for (slot, outcome) in self.slots.iter().zip(outcomes) {
            match outcome {
                Ok(quote) => accepted.push(quote),
                Err(reason) => failures.push(format!("{}: {reason}", slot.name())),
            }
        }

        if let Some(quote) = self.combine(accepted) {
            self.remember(&quote, Instant::now(), true);
            return Ok(quote);
        }

        let failures = if failures.is_empty() {
            "no rate provider is enabled".to_owned()
        } else {
            failures.join("; ")
        };

        let max_age = Duration::from_secs(self.config.max_quote_age_secs);
        if let Some(stale) = self.cached_younger_than(max_age) {
            let age = age_secs(stale.at);
            let mut quote = stale.quote;
            quote.is_stale = true;
            quote.warning = Some(format!(
                "WARNING: using a BTC/EUR rate of {} EUR/BTC fetched {age} s ago from {} because no provider \
                 answers now ({failures})",
                quote.eur_per_btc, quote.source
            ));
            if self.log_degraded_now() {
                tracing::warn!(age_secs = age, failures = %failures, "serving a stale BTC/EUR rate");
            }
            self.remember(&quote, stale.at, false);
            return Ok(quote);
        }

        if let Some(rate) = self.config.fallback_rate {
            let warning = format!(
                "WARNING: using the configured FALLBACK rate of {rate} EUR/BTC, not a market price, because no \
                 provider answers ({failures}); the amount in BTC may differ from the market value"
            );
            if self.log_degraded_now() {
                tracing::warn!(fallback_rate = %rate, failures = %failures, "serving the fallback BTC/EUR rate");
            }
            let quote = RateQuote {
                eur_per_btc: rate,
                source: "fallback".to_owned(),
                fetched_at: Utc::now(),
                is_fallback: true,
                is_demo: false,
                is_stale: false,
                spread_warning: None,
                warning: Some(warning),
                providers: Vec::new(),
            };
            self.remember(&quote, Instant::now(), false);
            return Ok(quote);
        }

        if self.config.demo_rate_allowed {
            let rate = DEMO_RATE_EUR_PER_BTC;
            if self.log_degraded_now() {
                tracing::warn!(demo_rate = %rate, failures = %failures, "serving the demo BTC/EUR rate (embedded simulated node)");
            }
            let quote = RateQuote {
                eur_per_btc: rate,
                source: "demo".to_owned(),
                fetched_at: Utc::now(),
                is_fallback: false,
                is_demo: true,
                is_stale: false,
                spread_warning: None,
                warning: Some(format!(
                    "DEMO RATE of {rate} EUR/BTC, not a market price: the node is the embedded simulated node \
                     and no rate provider answers ({failures})"
                )),
                providers: Vec::new(),
            };
            self.remember(&quote, Instant::now(), false);
            return Ok(quote);
        }

        Err(RateError::NoRate { details: failures })
    }

    /// Whether a stale or fallback rate should be logged now (see [`DEGRADED_RATE_LOG_INTERVAL_SECS`]).
    fn log_degraded_now(&self) -> bool {
        let now = Instant::now();
        let mut state = lock(&self.state);
        let due = state
            .degraded_logged_at
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(DEGRADED_RATE_LOG_INTERVAL_SECS));
        if due {
            state.degraded_logged_at = Some(now);
        }
        due
    }

    /// Combine accepted answers (in provider order) into one quote; `None` when there are none.
    fn combine(&self, accepted: Vec<ProviderQuote>) -> Option<RateQuote> {
        let rates: Vec<Decimal> = accepted.iter().map(|q| q.eur_per_btc).collect();
        let eur_per_btc = median(&rates)?;
        let source = match accepted.as_slice() {
            [only] => only.provider.clone(),
            many => format!(
                "median({})",
                many.iter().map(|q| q.provider.as_str()).collect::<Vec<_>>().join(",")
            ),
        };
        let spread_warning = spread_percent(&rates, eur_per_btc)
            .filter(|spread| *spread > self.config.spread_warn_percent)
            .map(|spread| {
                let answers = accepted
                    .iter()
                    .map(|q| format!("{} {}", q.provider, q.eur_per_btc))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "providers disagree by {}% (limit {}%): {answers} EUR/BTC; using the median {eur_per_btc}",
                    round2(spread),
                    self.config.spread_warn_percent
                )
            });
        if let Some(text) = &spread_warning {
            tracing::warn!(spread = %text, "BTC/EUR providers disagree");
        }
        let fetched_at = accepted.iter().map(|q| q.fetched_at).max().unwrap_or_else(Utc::now);
        Some(RateQuote {
            eur_per_btc,
            source,
            fetched_at,
            is_fallback: false,
            is_demo: false,
            is_stale: false,
            spread_warning,
            warning: None,
            providers: accepted,
        })
    }

    /// Each provider's last answer and health, plus the last rate handed out (no network calls).
    pub fn status(&self) -> RatesStatus {
        let mut providers: Vec<ProviderStatus> = self.slots.iter().map(ProviderSlot::status).collect();
        providers.extend(self.disabled.iter().map(|name| ProviderStatus {
            provider: (*name).to_owned(),
            last_quote: None,
            last_quote_age_secs: None,
            health: ProviderHealth::Disabled,
        }));
        let state = lock(&self.state);
        RatesStatus {
            providers,
            last_quote: state.last_served.as_ref().map(|s| s.quote.clone()),
            last_quote_age_secs: state.last_served.as_ref().map(|s| age_secs(s.at)),
            fallback_rate: self.config.fallback_rate,
        }
    }
}
