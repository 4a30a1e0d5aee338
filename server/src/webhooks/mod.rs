//! Webhook delivery from the durable outbox (`webhook_deliveries`): at least once, signed,
//! retried with exponential backoff and jitter on network errors, timeouts, 5xx, 408 and 429,
//! final on other 4xx and on redirects (never followed: the receiver must be configured with
//! its final URL). Each endpoint has a circuit breaker; first attempts per endpoint go out in
//! event order. Every attempt is logged in `webhook_attempts`. Destinations are checked by
//! [`destination`] (no link-local or metadata addresses, no private ones unless allowed, no
//! `user:password@`), and what a failed attempt records says only refused, unreachable or the
//! HTTP status, so a test delivery cannot be used to scan the network.

mod destination;
mod signing;

pub(crate) use destination::Refused;
pub use signing::{signature, signature_v2};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::breaker::{BreakerState, CircuitBreaker};
use crate::store::{AttemptOutcome, Delivery, EventKind, Store, StoreError, DEFAULT_ENDPOINT};
use crate::time::{now_ms, now_secs, rfc3339};

/// Header: hex HMAC-SHA256(secret, body).
pub const HEADER_SIGNATURE: &str = "X-Lightning-Signature";
/// Header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub const HEADER_SIGNATURE_V2: &str = "X-Lightning-Signature-V2";
/// The event name of test deliveries (`webhooks test`): never stored, so not an event kind.
pub const TEST_EVENT: &str = "test";
/// Header: the event's stable id.
pub const HEADER_EVENT_ID: &str = "X-Lightning-Event-Id";
/// Header: unix seconds of this attempt (the `t` of the V2 signature).
pub const HEADER_TIMESTAMP: &str = "X-Lightning-Timestamp";

/// The production retry delays after the 1st, 2nd, ... failed attempt (then the delivery fails).
pub const DEFAULT_RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(12 * 3600),
];

/// Errors of webhook configuration and delivery bookkeeping.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Webhooks are enabled without a URL.
    #[error("lightning_webhook_enabled is true but lightning_webhook_url is not set: openfatture config set lightning_webhook_url https://...")]
    MissingUrl,
    /// An endpoint has no secret to sign with.
    #[error("webhook endpoint '{0}' has no secret: set lightning_webhook_secret (or add the endpoint with --secret)")]
    MissingSecret(String),
    /// A URL is not http(s).
    #[error("webhook URL '{0}' is not a valid http:// or https:// URL")]
    BadUrl(String),
    /// A URL webhooks never go to (credentials in it, a link-local or metadata address).
    #[error("webhook URL refused: {0}")]
    Refused(#[from] destination::Refused),
    /// An endpoint's event filter is empty.
    #[error(
        "the event filter is empty: use * for all events, or a comma list such as payment_received,payment_failed"
    )]
    EmptyFilter,
    /// An endpoint has no name.
    #[error("give the endpoint a name, e.g. erp")]
    MissingName,
    /// An endpoint's event filter names an unknown event (none of [`EventKind::ALL`]).
    #[error("unknown event '{0}' in the event filter: use * or {events}", events = EventKind::names(", "))]
    UnknownEvent(String),
    /// The HTTP client could not be built.
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Delay before retry n+1 after the n-th failure; when exhausted the delivery fails.
    pub retry_schedule: Vec<Duration>,
    /// Random extra delay added to each retry, in per-mille of the delay (100 = up to +10 %).
    pub jitter_per_mille: u32,
    /// How often the outbox is polled.
    pub poll_interval: Duration,
    /// Consecutive failures that open an endpoint's breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker waits before a trial request.
    pub breaker_open: Duration,
    /// Loopback and private addresses are acceptable destinations (`lightning_webhook_allow_private`).
    pub allow_private: bool,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            timeout: Duration::from_secs(10),
            retry_schedule: DEFAULT_RETRY_SCHEDULE.to_vec(),
            jitter_per_mille: 100,
            poll_interval: Duration::from_millis(500),
            breaker_threshold: 5,
            breaker_open: Duration::from_secs(60),
            allow_private: false,
        }
    }
}

/// Result of sending one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// HTTP status, when a response came.
    pub status: Option<u16>,
    /// What went wrong: `refused: <why>`, `unreachable` or `HTTP <status>`, never
    /// the network error's detail.
    pub error: Option<String>,
    /// Time to the answer.
    pub latency_ms: i64,
    /// The destination was refused before anything was sent (final: not retried).
    pub refused: bool,
}

impl SendResult {
    /// 2xx.
    pub fn is_success(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }

    /// Worth retrying: network errors, timeouts, 5xx, 408, 429 (never a refused destination).
    pub fn is_retryable(&self) -> bool {
        if self.refused {
            return false;
        }
        match self.status {
            None => true,
            Some(status) => status >= 500 || status == 408 || status == 429,
        }
    }
}

/// Delivers outbox rows to endpoints.
pub struct Dispatcher {
    store: Store,
    client: reqwest::Client,
    cfg: DispatcherConfig,
    default_secret: Option<SecretString>,
    breakers: EndpointBreakers,
    /// Names this dispatcher's claims on outbox rows (random per start).
    worker_id: String,
}

/// The circuit breaker of each webhook endpoint this process delivers to, shared between the
/// dispatcher (which trips them) and whoever reports them (`/metrics`, the dashboard).
#[derive(Clone, Default)]
pub struct EndpointBreakers(Arc<Mutex<HashMap<String, Arc<CircuitBreaker>>>>);

impl EndpointBreakers {
    /// Each endpoint's breaker state, by name; endpoints not delivered to yet are absent.
    pub fn states(&self) -> Vec<(String, BreakerState)> {
        let breakers = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut states: Vec<(String, BreakerState)> = breakers
            .iter()
            .map(|(name, breaker)| (name.clone(), breaker.state()))
            .collect();
        states.sort_by(|a, b| a.0.cmp(&b.0));
        states
    }

    /// The breaker of `endpoint`, created closed on first use.
    fn get(&self, endpoint: &str, threshold: u32, open_for: Duration) -> Arc<CircuitBreaker> {
        let mut breakers = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        breakers
            .entry(endpoint.to_string())
            .or_insert_with(|| Arc::new(CircuitBreaker::new(format!("webhook {endpoint}"), threshold, open_for)))
            .clone()
    }
}

/// A claim on an outbox row lasts the delivery timeout plus this margin; after that another
/// gateway may take the row over (its holder is presumed dead).
const CLAIM_MARGIN: Duration = Duration::from_secs(5);
/// Most attempts per endpoint in one round.
const MAX_ATTEMPTS_PER_ROUND: usize = 100;

/// A running dispatcher.
pub struct DispatcherHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DispatcherHandle {
    /// Asks the dispatcher to stop and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The `default` endpoint as configured (`lightning_webhook_enabled`, `_url`, `_secret`).
#[derive(Debug, Clone, Default)]
pub struct DefaultEndpointSettings {
    /// Webhooks are sent to the configured URL.
    pub enabled: bool,
    /// The endpoint URL.
    pub url: Option<String>,
    /// The secret its deliveries are signed with.
    pub secret: Option<SecretString>,
}

/// Checks the `lightning_webhook_*` settings: when enabled, a valid URL and a secret are needed.
pub fn check_settings(settings: &DefaultEndpointSettings) -> Result<(), WebhookError> {
    if !settings.enabled {
        return Ok(());
    }
    let url = settings.url.as_deref().ok_or(WebhookError::MissingUrl)?;
    check_url(url)?;
    if settings.secret.is_none() {
        return Err(WebhookError::MissingSecret(DEFAULT_ENDPOINT.into()));
    }
    Ok(())
}

/// Mirrors `lightning_webhook_enabled/url` into the `default` endpoint (its secret stays in
/// the configuration); disables it when webhooks are off.
pub async fn sync_default_endpoint(store: &Store, settings: &DefaultEndpointSettings) -> Result<(), WebhookError> {
    check_settings(settings)?;
    match (settings.enabled, settings.url.as_deref()) {
        (true, Some(url)) => {
            store
                .upsert_webhook_endpoint(DEFAULT_ENDPOINT, url, None, "*", true)
                .await?
        }
        _ => {
            store.disable_webhook_endpoint(DEFAULT_ENDPOINT).await?;
        }
    }
    Ok(())
}

/// What an endpoint's event filter may be, for help texts: `*` or a comma list of the names of
/// [`EventKind::ALL`].
pub fn event_filter_help() -> String {
    format!("`*` or a comma list of {}", EventKind::names(", "))
}

/// Normalises an endpoint's event filter: `*` or a comma list of known event names without spaces.
pub fn check_event_filter(events: &str) -> Result<String, WebhookError> {
    let events = events.replace(' ', "");
    if events.is_empty() {
        return Err(WebhookError::EmptyFilter);
    }
    if events == "*" {
        return Ok(events);
    }
    match events.split(',').find(|name| EventKind::parse(name).is_none()) {
        Some(unknown) => Err(WebhookError::UnknownEvent(unknown.to_string())),
        None => Ok(events),
    }
}

/// Refuses anything but an absolute http(s) URL, URLs with `user:password@` and addresses
/// webhooks never go to (link-local, metadata, multicast). Private addresses are checked at
/// delivery, against `lightning_webhook_allow_private` as it is then.
pub fn check_url(url: &str) -> Result<(), WebhookError> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(destination::check_url(&parsed, true)?)
        }
        _ => Err(WebhookError::BadUrl(url.to_string())),
    }
}

impl Dispatcher {
    /// A dispatcher; `default_secret` signs for the `default` endpoint.
    pub fn new(
        store: Store,
        cfg: DispatcherConfig,
        default_secret: Option<SecretString>,
    ) -> Result<Self, WebhookError> {
        // No proxy: the destination checks must see the address actually connected to.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(destination::CheckedResolver::shared(cfg.allow_private))
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        Ok(Dispatcher {
            store,
            client,
            cfg,
            default_secret,
            breakers: EndpointBreakers::default(),
            worker_id: format!("worker-{:016x}", rand::random::<u64>()),
        })
    }

    /// Shares `breakers` (a dispatcher this one replaces) instead of starting with closed ones.
    pub fn with_breakers(mut self, breakers: EndpointBreakers) -> Self {
        self.breakers = breakers;
        self
    }

    /// Runs on the current runtime until [`DispatcherHandle::stop`].
    pub fn spawn(self) -> DispatcherHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move { self.run(stopped).await });
        DispatcherHandle { stop, task }
    }

    /// Polls the outbox until `stop` becomes true.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        // New events of this process are sent at once; others are found by the poll.
        let mut new_events = self.store.watch_events();
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.run_once().await {
                tracing::warn!("webhooks: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                _ = new_events.changed() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Attempts every due delivery once, endpoint by endpoint in event order; returns how many
    /// attempts were made.
    pub async fn run_once(&self) -> Result<usize, WebhookError> {
        let mut attempts = 0;
        for endpoint in self.store.webhook_endpoints().await? {
            if !endpoint.enabled {
                // Queued deliveries wait until the endpoint is enabled again.
                continue;
            }
            let secret = match self.secret_for(&endpoint.name).await? {
                Some(secret) => secret,
                None => {
                    tracing::warn!("{}", WebhookError::MissingSecret(endpoint.name.clone()));
                    continue;
                }
            };
            let breaker = self.breaker(&endpoint.name);
            let lease_ms = i64::try_from((self.cfg.timeout + CLAIM_MARGIN).as_millis()).unwrap_or(i64::MAX);
            for _ in 0..MAX_ATTEMPTS_PER_ROUND {
                let Ok(permit) = breaker.try_acquire() else {
                    break;
                };
                // Claimed rows are ours alone: another gateway on the same database skips them.
                let Some(delivery) = self
                    .store
                    .claim_delivery(&endpoint.name, &self.worker_id, now_ms(), lease_ms)
                    .await?
                else {
                    break;
                };
                let result = self
                    .send(&endpoint.url, &secret, &delivery.event_id, &delivery.payload)
                    .await;
                attempts += 1;
                if result.is_success() {
                    permit.success();
                } else {
                    permit.failure();
                }
                self.record(&endpoint.name, &delivery, &result).await?;
                if !result.is_success() && result.is_retryable() {
                    // Keep per-endpoint order: later events wait for the next round.
                    break;
                }
            }
        }
        Ok(attempts)
    }

    async fn secret_for(&self, endpoint: &str) -> Result<Option<SecretString>, WebhookError> {
        if let Some(own) = self.store.webhook_endpoint_secret(endpoint).await? {
            return Ok(Some(own));
        }
        Ok(if endpoint == DEFAULT_ENDPOINT {
            self.default_secret.clone()
        } else {
            None
        })
    }

    fn breaker(&self, endpoint: &str) -> Arc<CircuitBreaker> {
        self.breakers
            .get(endpoint, self.cfg.breaker_threshold, self.cfg.breaker_open)
    }

    /// The endpoints' breakers, to report their states while this dispatcher runs.
    pub fn breakers(&self) -> EndpointBreakers {
        self.breakers.clone()
    }

    async fn record(&self, endpoint: &str, delivery: &Delivery, result: &SendResult) -> Result<(), WebhookError> {
        let outcome = if result.is_success() {
            AttemptOutcome::Delivered
        } else if result.is_retryable() {
            match usize::try_from(delivery.attempts)
                .ok()
                .and_then(|n| self.cfg.retry_schedule.get(n))
            {
                Some(delay) => AttemptOutcome::RetryAt(now_ms() + self.with_jitter(*delay)),
                None => AttemptOutcome::Failed,
            }
        } else {
            AttemptOutcome::Failed
        };
        self.store
            .record_delivery_attempt(
                delivery.event_seq,
                endpoint,
                now_secs(),
                result.status,
                result.error.as_deref(),
                result.latency_ms,
                outcome,
                Some(&self.worker_id),
            )
            .await?;
        Ok(())
    }

    /// The delay in ms plus up to `jitter_per_mille` of it at random.
    fn with_jitter(&self, delay: Duration) -> i64 {
        let base = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        let max_extra = base.saturating_mul(i64::from(self.cfg.jitter_per_mille)) / 1000;
        let extra = if max_extra > 0 {
            rand::thread_rng().gen_range(0..=max_extra)
        } else {
            0
        };
        base.saturating_add(extra)
    }

    /// POSTs one signed body to a checked destination; never follows redirects.
    pub async fn send(&self, url: &str, secret: &SecretString, event_id: &str, body: &str) -> SendResult {
        let refused = |why: String| SendResult {
            status: None,
            error: Some(format!("refused: {why}")),
            latency_ms: 0,
            refused: true,
        };
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
            _ => return refused("not an http:// or https:// URL".to_string()),
        };
        if let Err(why) = destination::check_url(&parsed, self.cfg.allow_private) {
            return refused(why.to_string());
        }
        let secret = secret.expose_secret().as_bytes();
        let t = now_secs();
        let started = Instant::now();
        let response = self
            .client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_SIGNATURE, signing::signature(secret, body.as_bytes()))
            .header(HEADER_SIGNATURE_V2, signing::signature_v2(secret, t, body.as_bytes()))
            .header(HEADER_EVENT_ID, event_id)
            .header(HEADER_TIMESTAMP, t.to_string())
            .body(body.to_string())
            .send()
            .await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match response {
            Ok(response) => {
                let status = response.status();
                let error = if status.is_success() {
                    None
                } else if status.is_redirection() {
                    Some(format!(
                        "HTTP {status}: redirects are not followed; configure the final URL"
                    ))
                } else {
                    Some(format!("HTTP {status}"))
                };
                SendResult {
                    status: Some(status.as_u16()),
                    error,
                    latency_ms,
                    refused: false,
                }
            }
            Err(e) => {
                if let Some(why) = destination::refusal_in(&e) {
                    return refused(why.to_string());
                }
                // The detail (connection refused, reset, TLS, DNS) stays in the server's log:
                // shown to a user it would make the test delivery a port scanner.
                let timed_out = e.is_timeout();
                tracing::info!(error = %e.without_url(), timed_out, "webhook attempt failed");
                SendResult {
                    status: None,
                    error: Some("unreachable".to_string()),
                    latency_ms,
                    refused: false,
                }
            }
        }
    }

    /// Sends a signed `test` event to an endpoint without storing it.
    pub async fn send_test(&self, endpoint: &str, url: &str) -> Result<SendResult, WebhookError> {
        let secret = self
            .secret_for(endpoint)
            .await?
            .ok_or_else(|| WebhookError::MissingSecret(endpoint.into()))?;
        let mut id_bytes = [0u8; 16];
        rand::thread_rng().fill(&mut id_bytes);
        let id = format!("evt_test_{}", hex::encode(id_bytes));
        let body = crate::store::event_payload(&app::model::EventBody {
            id: id.clone(),
            event: TEST_EVENT.to_string(),
            invoice_id: "TEST-LN".to_string(),
            payment_hash: "0".repeat(64),
            amount_sats: 0,
            amount_eur: crate::store::eur_text(rust_decimal::Decimal::ZERO),
            timestamp: rfc3339(now_secs()),
            description: "Test event from openfatture lightning webhooks test".to_string(),
            metadata: app::model::EventMetadata::default(),
        })?;
        Ok(self.send(url, &secret, &id, &body).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_filters_accept_star_and_known_names_only() -> Result<(), WebhookError> {
        assert_eq!(check_event_filter(" * ")?, "*");
        assert!(check_event_filter("").is_err());
        assert_eq!(
            check_event_filter("payment_received, liquidity_alert")?,
            "payment_received,liquidity_alert"
        );
        let err = check_event_filter("payment_recieved").expect_err("typo");
        assert!(err.to_string().contains("unknown event 'payment_recieved'"), "{err}");
        Ok(())
    }
}
