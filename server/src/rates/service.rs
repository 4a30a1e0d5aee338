//! The rate service: cache, concurrent provider queries behind circuit breakers, combination, fallback, status.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use tokio::time::Instant;

use super::bitstamp::{self, Bitstamp};
use super::coinbase::{self, Coinbase};
use super::coingecko::{self, CoinGecko};
use super::coinmarketcap::{self, CoinMarketCap};
use super::combine::{deviation_percent, median, outliers, spread_percent};
use super::config::{usable_key, RatesConfig, RatesConfigError, COINGECKO_KEY_NOTICE, DEMO_RATE_EUR_PER_BTC};
use super::kraken::{self, Kraken};
use super::provider::SanityBand;
use super::provider::{HttpProvider, RetryPolicy};
use crate::breaker::{BreakerState, CircuitBreaker, Rejection};

/// One provider's accepted answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderQuote {
    /// Provider name ("kraken", "bitstamp", "coinbase", "coingecko", "coinmarketcap").
    pub provider: String,
    /// EUR per BTC.
    pub eur_per_btc: Decimal,
    /// When the answer arrived.
    pub fetched_at: DateTime<Utc>,
}

/// An answer within the sanity band that was left out of the rate because it lies too far from
/// the median of the other answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedAnswer {
    /// The provider's answer.
    pub answer: ProviderQuote,
    /// How far it lies from `others_median_eur_per_btc`, percent (rounded to 2 places).
    pub deviation_percent: Decimal,
    /// The median of the other answers it was compared with, EUR per BTC.
    pub others_median_eur_per_btc: Decimal,
    /// Why it was dropped, one line.
    pub reason: String,
}

/// A provider that gave no usable answer for a quote, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderFailure {
    /// Provider name.
    pub provider: String,
    /// Why, one line (never contains an API key).
    pub reason: String,
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
    /// The same as figures: the spread of the answers and the configured limit, percent.
    #[serde(skip)]
    pub spread_over_limit: Option<(Decimal, Decimal)>,
    /// Set for fallback, demo and stale quotes: what happened, to show prominently.
    pub warning: Option<String>,
    /// The provider answers this rate was computed from (empty for a fallback).
    pub providers: Vec<ProviderQuote>,
    /// Answers left out as outliers, with their deviation.
    pub dropped: Vec<DroppedAnswer>,
    /// Providers asked that gave no usable answer, with the reason.
    pub failures: Vec<ProviderFailure>,
    /// Providers that could be asked for this quote (enabled, with a key where one is needed).
    pub sources_asked: u32,
    /// Answers the rate was computed from (that agree within the maximum deviation).
    pub sources_agreeing: u32,
    /// Set when fewer answers than `min_sources` agree: "single source", "2 of 4" or
    /// "providers disagree"; shown on the quote, in `lightning rates` and on the dashboard.
    pub sources_mark: Option<String>,
}

impl RateQuote {
    /// A quote not computed from provider answers (fallback, demo), with `failures` as the reasons.
    fn without_answers(eur_per_btc: Decimal, source: &str, failures: Vec<ProviderFailure>, asked: u32) -> Self {
        RateQuote {
            eur_per_btc,
            source: source.to_owned(),
            fetched_at: Utc::now(),
            is_fallback: false,
            is_demo: false,
            is_stale: false,
            spread_warning: None,
            spread_over_limit: None,
            warning: None,
            providers: Vec::new(),
            dropped: Vec::new(),
            failures,
            sources_asked: asked,
            sources_agreeing: 0,
            sources_mark: None,
        }
    }

    /// The one-line warning of a `sources_mark`, naming the answers used.
    pub fn sources_warning(&self) -> Option<String> {
        let mark = self.sources_mark.as_ref()?;
        let used = self
            .providers
            .iter()
            .map(|q| format!("{} {}", q.provider, q.eur_per_btc))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "{mark}: the rate {} EUR/BTC rests on {used} ({} of {} providers asked agree)",
            self.eur_per_btc, self.sources_agreeing, self.sources_asked
        ))
    }
}

/// No usable rate could be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// Every provider failed, no recent quote is cached and no fallback rate is set.
    #[error(
        "no BTC/EUR rate available: {details}. To fix: check that the providers are reachable \
         (curl \"https://api.kraken.com/0/public/Ticker?pair=XBTEUR\"; `openfatture lightning rates` lists \
         each one), check API keys (openfatture config get lightning_coingecko_api_key), or enable a \
         fallback rate: openfatture config set lightning_fallback_rate 45000.00"
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
    /// Enabled, but not asked because it needs an API key and none is set.
    KeyMissing {
        /// What to tell the user ([`COINGECKO_KEY_NOTICE`]).
        notice: String,
    },
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
            ProviderHealth::KeyMissing { notice } => write!(f, "not asked: {notice}"),
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
    /// Turned on in the settings.
    pub enabled: bool,
    /// The provider needs an API key.
    pub key_needed: bool,
    /// An API key is set for it.
    pub key_set: bool,
    /// How long its last fetch took, milliseconds (retries included).
    pub latency_ms: Option<u64>,
    /// How far its last answer lies from the rate last handed out, percent (2 places).
    pub deviation_percent: Option<Decimal>,
    /// Its last answer is one of those the rate last handed out was computed from.
    pub in_rate: bool,
    /// Its circuit breaker (`None` when it is not asked at all).
    pub breaker: Option<BreakerState>,
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
    /// Agreeing answers a rate needs not to be marked (`lightning_rate_min_sources`).
    pub min_sources: u32,
    /// Largest deviation from the others' median an answer may have (`lightning_rate_max_deviation_percent`).
    pub max_deviation_percent: Decimal,
    /// What to tell the user about the set-up (CoinGecko enabled without a key).
    pub notices: Vec<String>,
}

#[derive(Default)]
struct Health {
    last_quote: Option<(ProviderQuote, Instant)>,
    last_error: Option<String>,
    last_ok: Option<bool>,
    /// How long the last fetch took.
    last_latency: Option<Duration>,
    /// After a failed fetch: not asked again before this (see `RatesConfig::failure_retry_secs`).
    retry_at: Option<Instant>,
}

struct ProviderSlot {
    provider: HttpProvider,
    breaker: CircuitBreaker,
    health: Mutex<Health>,
}

/// What one quote asks of every provider.
#[derive(Clone, Copy)]
struct Ask {
    policy: RetryPolicy,
    band: SanityBand,
    /// How long a provider that failed rests.
    rest: Duration,
    /// When the quote's time budget ends.
    deadline: Instant,
    /// The budget, for messages.
    budget_ms: u64,
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

/// The order providers are listed in, whatever their state.
const PROVIDER_ORDER: [&str; 5] = [
    kraken::NAME,
    bitstamp::NAME,
    coinbase::NAME,
    coingecko::NAME,
    coinmarketcap::NAME,
];

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
    /// Enabled providers not asked for want of an API key.
    key_missing: Vec<&'static str>,
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
            .field("key_missing", &self.key_missing)
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
    async fn fetch(&self, ask: Ask) -> Result<ProviderQuote, String> {
        let Ask {
            policy,
            band,
            rest,
            deadline,
            budget_ms,
        } = ask;
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
        let started = Instant::now();
        let outcome = self
            .provider
            .fetch(policy, band, deadline, budget_ms)
            .await
            .map_err(|failure| failure.to_string());
        lock(&self.health).last_latency = Some(started.elapsed());
        match outcome {
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
            Err(reason) => {
                permit.failure();
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
            enabled: true,
            key_needed: self.provider.key_needed(),
            key_set: self.provider.key_set(),
            latency_ms: health
                .last_latency
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            deviation_percent: None,
            in_rate: false,
            breaker: Some(self.breaker.state()),
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
        Self::build(config)
    }

    /// Like [`RateService::new`], but settings with no rate source at all are accepted: every
    /// quote is then refused. What a running gateway installs when its settings change.
    pub fn new_refusing_without_source(config: RatesConfig) -> Result<Self, RatesConfigError> {
        config.validate_values()?;
        Self::build(config)
    }

    fn build(config: RatesConfig) -> Result<Self, RatesConfigError> {
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
        let mut key_missing = Vec::new();
        if config.kraken_enabled {
            slots.push(slot(Box::new(Kraken::new(&config.kraken_base_url_resolved()))));
        } else {
            disabled.push(kraken::NAME);
        }
        if config.bitstamp_enabled {
            let api = Bitstamp::new(&config.bitstamp_base_url_resolved(), config.max_quote_age_secs);
            slots.push(slot(Box::new(api)));
        } else {
            disabled.push(bitstamp::NAME);
        }
        if config.coinbase_enabled {
            slots.push(slot(Box::new(Coinbase::new(&config.coinbase_base_url_resolved()))));
        } else {
            disabled.push(coinbase::NAME);
        }
        // Since 2026 CoinGecko answers only with a key: without one it is never asked.
        match (config.coingecko_enabled, usable_key(&config.coingecko_api_key)) {
            (true, Some(key)) => {
                let api = CoinGecko::new(
                    &config.coingecko_base_url_resolved(),
                    Some(key.clone()),
                    config.coingecko_pro,
                );
                slots.push(slot(Box::new(api)));
            }
            (true, None) => key_missing.push(coingecko::NAME),
            (false, _) => disabled.push(coingecko::NAME),
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
            key_missing,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// The circuit breaker of provider `name` ("kraken", "coingecko", …), if it is asked.
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

    /// The rate in force now, from the cache alone (no provider is asked): the last quote
    /// computed from live answers if younger than `max_quote_age_secs`, else `None`.
    pub fn in_force(&self) -> Option<RateQuote> {
        self.cached_younger_than(Duration::from_secs(self.config.max_quote_age_secs))
            .map(|served| served.quote)
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
    /// its circuit breaker, with retries, all within `quote_budget_ms`), outliers dropped, the rest
    /// combined by median and marked when fewer than `min_sources` agree; else — loudly flagged — the last live quote if
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

        let ask = Ask {
            policy: self.policy,
            band: self.band,
            rest: Duration::from_secs(self.config.failure_retry_secs),
            deadline: Instant::now() + Duration::from_millis(self.config.quote_budget_ms),
            budget_ms: self.config.quote_budget_ms,
        };
        let outcomes = futures::future::join_all(self.slots.iter().map(|slot| slot.fetch(ask))).await;
        let mut accepted = Vec::new();
        let mut failed = Vec::new();
        for (slot, outcome) in self.slots.iter().zip(outcomes) {
            match outcome {
                Ok(quote) => accepted.push(quote),
                Err(reason) => failed.push(ProviderFailure {
                    provider: slot.name().to_owned(),
                    reason,
                }),
            }
        }

        if let Some(quote) = self.combine(accepted, failed.clone()) {
            self.remember(&quote, Instant::now(), true);
            return Ok(quote);
        }

        let mut reasons: Vec<String> = failed.iter().map(|f| format!("{}: {}", f.provider, f.reason)).collect();
        reasons.extend(
            self.key_missing
                .iter()
                .map(|name| format!("{name}: not asked: {COINGECKO_KEY_NOTICE}")),
        );
        let failures = if reasons.is_empty() {
            "no rate provider is enabled".to_owned()
        } else {
            reasons.join("; ")
        };
        let asked = self.sources_asked();

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
                is_fallback: true,
                warning: Some(warning),
                ..RateQuote::without_answers(rate, "fallback", failed, asked)
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
                is_demo: true,
                warning: Some(format!(
                    "DEMO RATE of {rate} EUR/BTC, not a market price: the node is the embedded simulated node \
                     and no rate provider answers ({failures})"
                )),
                ..RateQuote::without_answers(rate, "demo", failed, asked)
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

    /// Providers a quote asks (enabled, with a key where one is needed).
    fn sources_asked(&self) -> u32 {
        u32::try_from(self.slots.len()).unwrap_or(u32::MAX)
    }

    /// Combine accepted answers (in provider order) into one quote: outliers dropped, the median
    /// of the rest, marked when fewer than `min_sources` agree; `None` when there are none.
    fn combine(&self, accepted: Vec<ProviderQuote>, failures: Vec<ProviderFailure>) -> Option<RateQuote> {
        let all_rates: Vec<Decimal> = accepted.iter().map(|q| q.eur_per_btc).collect();
        let max_deviation = self.config.max_deviation_percent;
        let verdicts = outliers(&all_rates, max_deviation);
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        for (quote, verdict) in accepted.iter().zip(verdicts) {
            match verdict {
                Some((deviation, others_median)) => {
                    let deviation = round2(deviation);
                    let reason = format!(
                        "{} answered {} EUR/BTC, {deviation}% from the median {others_median} of the others \
                         (limit {max_deviation}%); answer dropped",
                        quote.provider, quote.eur_per_btc
                    );
                    tracing::warn!(provider = %quote.provider, reason = %reason, "BTC/EUR outlier dropped");
                    dropped.push(DroppedAnswer {
                        answer: quote.clone(),
                        deviation_percent: deviation,
                        others_median_eur_per_btc: others_median,
                        reason,
                    });
                }
                None => kept.push(quote.clone()),
            }
        }
        let rates: Vec<Decimal> = kept.iter().map(|q| q.eur_per_btc).collect();
        let eur_per_btc = median(&rates)?;
        // The kept answers agree, unless they are two that lie further apart than the limit.
        let two_disagree = rates.len() == 2 && deviation_percent(rates[0], rates[1]).is_some_and(|d| d > max_deviation);
        let agreeing = if two_disagree {
            0
        } else {
            u32::try_from(kept.len()).unwrap_or(u32::MAX)
        };
        let asked = self.sources_asked();
        let sources_mark = (agreeing < self.config.min_sources).then(|| match agreeing {
            0 => "providers disagree".to_owned(),
            1 => "single source".to_owned(),
            n => format!("{n} of {asked}"),
        });
        let source = match kept.as_slice() {
            [only] => only.provider.clone(),
            many => format!(
                "median({})",
                many.iter().map(|q| q.provider.as_str()).collect::<Vec<_>>().join(",")
            ),
        };
        let spread_over_limit = spread_percent(&rates, eur_per_btc)
            .filter(|spread| *spread > self.config.spread_warn_percent)
            .map(|spread| (round2(spread), self.config.spread_warn_percent));
        let spread_warning = spread_percent(&rates, eur_per_btc)
            .filter(|spread| *spread > self.config.spread_warn_percent)
            .map(|spread| {
                let answers = kept
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
        let fetched_at = kept.iter().map(|q| q.fetched_at).max().unwrap_or_else(Utc::now);
        Some(RateQuote {
            eur_per_btc,
            source,
            fetched_at,
            is_fallback: false,
            is_demo: false,
            is_stale: false,
            spread_warning,
            spread_over_limit,
            warning: None,
            providers: kept,
            dropped,
            failures,
            sources_asked: asked,
            sources_agreeing: agreeing,
            sources_mark,
        })
    }

    /// Each provider's last answer and health, plus the last rate handed out (no network calls).
    pub fn status(&self) -> RatesStatus {
        let state = lock(&self.state);
        let last_quote = state.last_served.as_ref().map(|s| s.quote.clone());
        let last_quote_age_secs = state.last_served.as_ref().map(|s| age_secs(s.at));
        drop(state);
        let mut providers: Vec<ProviderStatus> = self.slots.iter().map(ProviderSlot::status).collect();
        if let Some(rate) = last_quote.as_ref().filter(|q| !q.providers.is_empty()) {
            for p in &mut providers {
                if let Some(answer) = &p.last_quote {
                    p.deviation_percent = deviation_percent(answer.eur_per_btc, rate.eur_per_btc).map(round2);
                    p.in_rate = rate.providers.contains(answer);
                }
            }
        }
        let not_asked = |name: &str, enabled: bool, health: ProviderHealth| ProviderStatus {
            provider: name.to_owned(),
            enabled,
            key_needed: matches!(name, n if n == coingecko::NAME || n == coinmarketcap::NAME),
            key_set: false,
            latency_ms: None,
            deviation_percent: None,
            in_rate: false,
            breaker: None,
            last_quote: None,
            last_quote_age_secs: None,
            health,
        };
        providers.extend(self.key_missing.iter().map(|name| {
            not_asked(
                name,
                true,
                ProviderHealth::KeyMissing {
                    notice: COINGECKO_KEY_NOTICE.to_owned(),
                },
            )
        }));
        providers.extend(
            self.disabled
                .iter()
                .map(|name| not_asked(name, false, ProviderHealth::Disabled)),
        );
        providers.sort_by_key(|p| PROVIDER_ORDER.iter().position(|name| *name == p.provider));
        let notices = if self.key_missing.is_empty() {
            Vec::new()
        } else {
            vec![COINGECKO_KEY_NOTICE.to_owned()]
        };
        RatesStatus {
            providers,
            last_quote,
            last_quote_age_secs,
            fallback_rate: self.config.fallback_rate,
            min_sources: self.config.min_sources,
            max_deviation_percent: self.config.max_deviation_percent,
            notices,
        }
    }
}
