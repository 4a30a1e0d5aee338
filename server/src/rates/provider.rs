//! What every rate provider shares: its error type, the sanity band its answers must fall in, one
//! HTTP attempt with a time limit, and retries with backoff.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::value::RawValue;

/// Longest response body read from a provider; real answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest backoff between retries when the provider gives no Retry-After.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Characters of a response body quoted in error messages.
const BODY_EXCERPT_CHARS: usize = 200;

/// The accepted range of EUR per BTC answers; anything else is treated as a provider failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SanityBand {
    /// Lowest accepted rate (must be > 0).
    pub min_eur: Decimal,
    /// Highest accepted rate.
    pub max_eur: Decimal,
}

impl SanityBand {
    /// `Ok(rate)` if it lies within the band (inclusive) and is positive.
    pub fn check(&self, eur_per_btc: Decimal) -> Result<Decimal, ProviderError> {
        if eur_per_btc <= Decimal::ZERO || eur_per_btc < self.min_eur || eur_per_btc > self.max_eur {
            return Err(ProviderError::OutOfRange {
                eur_per_btc,
                min: self.min_eur,
                max: self.max_eur,
            });
        }
        Ok(eur_per_btc)
    }
}

/// Why one provider gave no usable rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// No complete answer within the per-attempt time limit.
    #[error("no answer within {timeout_secs} s")]
    Timeout {
        /// The limit that was exceeded.
        timeout_secs: u64,
    },
    /// The TCP/TLS connection could not be made.
    #[error("cannot connect to {url}: {detail}")]
    Connect {
        /// URL requested.
        url: String,
        /// Underlying error.
        detail: String,
    },
    /// The connection failed after it was made (reset, truncated body).
    #[error("network error talking to {url}: {detail}")]
    Transport {
        /// URL requested.
        url: String,
        /// Underlying error.
        detail: String,
    },
    /// HTTP 429: the provider asks us to slow down.
    #[error("rate limited by the provider (HTTP 429{})", retry_after_text(*.retry_after_secs))]
    RateLimited {
        /// Seconds the provider asked us to wait, when it said.
        retry_after_secs: Option<u64>,
    },
    /// HTTP 5xx: the provider is failing.
    #[error("provider error HTTP {status}: {body}")]
    Server {
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// HTTP 401/403: the API key is missing, wrong or of the wrong kind.
    #[error("API key rejected (HTTP {status}): {body}; {hint}")]
    Unauthorized {
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        body: String,
        /// How to check or fix the key.
        hint: String,
    },
    /// Another HTTP 4xx: the request was refused.
    #[error("request refused (HTTP {status}): {body}")]
    Client {
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// The provider reported errors as text inside its response (Kraken's `error` array).
    #[error("provider reported: {message}")]
    Reported {
        /// The provider's messages, joined with "; ".
        message: String,
    },
    /// The provider did not answer within what is left of the quote's time budget.
    #[error("no answer within the quote's time budget of {budget_ms} ms; the quote went on without it")]
    OverBudget {
        /// The budget of one quote, milliseconds.
        budget_ms: u64,
    },
    /// The provider reported an error inside a successful response.
    #[error("provider reported error {code}: {message}")]
    Api {
        /// Provider's error code.
        code: i64,
        /// Provider's error message.
        message: String,
    },
    /// The body is not the JSON shape expected or the price is not a number.
    #[error("unexpected response: {detail}")]
    Malformed {
        /// What was wrong.
        detail: String,
    },
    /// The provider's own quote timestamp is too old to use.
    #[error("quote last updated {age_secs} s ago (limit {max_age_secs} s); answer ignored")]
    StaleQuote {
        /// Age of the provider's quote.
        age_secs: i64,
        /// Maximum accepted age.
        max_age_secs: u64,
    },
    /// The answer is zero, negative or outside the sanity band.
    #[error("returned {eur_per_btc} EUR/BTC, outside the accepted range {min}–{max} EUR/BTC; answer ignored")]
    OutOfRange {
        /// The rate returned.
        eur_per_btc: Decimal,
        /// Lower sanity limit.
        min: Decimal,
        /// Upper sanity limit.
        max: Decimal,
    },
}

fn retry_after_text(retry_after_secs: Option<u64>) -> String {
    match retry_after_secs {
        Some(secs) => format!(", retry after {secs} s"),
        None => String::new(),
    }
}

impl ProviderError {
    /// Worth another attempt: timeouts, network errors, HTTP 5xx and 429.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ProviderError::Timeout { .. }
                | ProviderError::Connect { .. }
                | ProviderError::Transport { .. }
                | ProviderError::RateLimited { .. }
                | ProviderError::Server { .. }
        )
    }
}

/// The request and response format of one provider's price endpoint.
pub(crate) trait PriceApi: Send + Sync {
    /// Short lower-case name used in sources and messages ("coingecko").
    fn name(&self) -> &'static str;
    /// The full URL requested (no secrets in it).
    fn url(&self) -> &str;
    /// The API key, to attach as a header and to redact from quoted bodies (key-less providers: none).
    fn api_key(&self) -> Option<&SecretString> {
        None
    }
    /// Header that carries the API key.
    fn key_header(&self) -> &'static str {
        ""
    }
    /// The provider needs an API key.
    fn key_needed(&self) -> bool {
        false
    }
    /// How to check the key when the provider rejects it.
    fn key_hint(&self) -> String {
        "this provider needs no key; check its base URL with `openfatture config list`".to_owned()
    }
    /// Extract the EUR per BTC price from a successful response body.
    fn parse_price(&self, body: &[u8]) -> Result<Decimal, ProviderError>;
}

/// Retry settings for one fetch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Extra attempts after a transient failure.
    pub max_retries: u32,
    /// First backoff delay; doubles per retry up to `MAX_BACKOFF`.
    pub backoff_base: Duration,
    /// Longest Retry-After honoured; longer ones stop retrying.
    pub retry_after_cap: Duration,
}

impl RetryPolicy {
    fn backoff(&self, retry_index: u32) -> Duration {
        let factor = 1u32.checked_shl(retry_index.min(16)).unwrap_or(u32::MAX);
        self.backoff_base.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// The last error of a fetch and how many attempts were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchFailure {
    pub error: ProviderError,
    pub attempts: u32,
}

impl std::fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.attempts > 1 {
            write!(f, "{} (after {} attempts)", self.error, self.attempts)
        } else {
            write!(f, "{}", self.error)
        }
    }
}

/// A provider reached over HTTP.
pub(crate) struct HttpProvider {
    client: reqwest::Client,
    api: Box<dyn PriceApi>,
    timeout: Duration,
}

impl HttpProvider {
    pub(crate) fn new(client: reqwest::Client, api: Box<dyn PriceApi>, timeout: Duration) -> Self {
        Self { client, api, timeout }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.api.name()
    }

    /// The provider needs an API key.
    pub(crate) fn key_needed(&self) -> bool {
        self.api.key_needed()
    }

    /// An API key is set for it.
    pub(crate) fn key_set(&self) -> bool {
        self.api.api_key().is_some()
    }

    /// Fetch the price, retrying transient failures per `policy`, all before `deadline` (the end of
    /// the quote's budget of `budget_ms`); answers outside `band` are failures. A retry that could
    /// not start before the deadline is not made: the last error stands.
    pub(crate) async fn fetch(
        &self,
        policy: RetryPolicy,
        band: SanityBand,
        deadline: tokio::time::Instant,
        budget_ms: u64,
    ) -> Result<Decimal, FetchFailure> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let attempt = tokio::time::timeout_at(deadline, self.fetch_once());
            let error = match attempt.await {
                Ok(outcome) => match outcome.and_then(|rate| band.check(rate)) {
                    Ok(rate) => return Ok(rate),
                    Err(error) => error,
                },
                Err(_) => {
                    let error = ProviderError::OverBudget { budget_ms };
                    return Err(FetchFailure { error, attempts });
                }
            };
            let retries_done = attempts - 1;
            if !error.is_transient() || retries_done >= policy.max_retries {
                return Err(FetchFailure { error, attempts });
            }
            let delay = match &error {
                ProviderError::RateLimited {
                    retry_after_secs: Some(secs),
                } => {
                    let wanted = Duration::from_secs(*secs);
                    if wanted > policy.retry_after_cap {
                        // Retrying sooner than asked would only earn another 429.
                        return Err(FetchFailure { error, attempts });
                    }
                    wanted
                }
                _ => policy.backoff(retries_done),
            };
            if tokio::time::Instant::now() + delay >= deadline {
                return Err(FetchFailure { error, attempts });
            }
            tracing::debug!(
                provider = self.name(),
                attempt = attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %error,
                "rate provider attempt failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP attempt within the time limit.
    async fn fetch_once(&self) -> Result<Decimal, ProviderError> {
        let exchange = async {
            let mut request = self
                .client
                .get(self.api.url())
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(key) = self.api.api_key() {
                let mut value = reqwest::header::HeaderValue::from_str(key.expose_secret().trim()).map_err(|_| {
                    ProviderError::Malformed {
                        detail: "API key is not a valid header value".to_owned(),
                    }
                })?;
                value.set_sensitive(true);
                request = request.header(self.api.key_header(), value);
            }
            let response = request.send().await.map_err(|e| self.network_error(&e))?;
            let status = response.status();
            let retry_after_secs = parse_retry_after(response.headers());
            let body = read_body_limited(response).await.map_err(|e| self.network_error(&e))?;
            Ok::<_, ProviderError>((status, retry_after_secs, body))
        };
        let (status, retry_after_secs, body) =
            tokio::time::timeout(self.timeout, exchange)
                .await
                .map_err(|_| ProviderError::Timeout {
                    timeout_secs: self.timeout.as_secs(),
                })??;

        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ProviderError::RateLimited { retry_after_secs });
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ProviderError::Unauthorized {
                status: status.as_u16(),
                body: self.excerpt(&body),
                hint: self.api.key_hint(),
            });
        }
        if status.is_server_error() {
            return Err(ProviderError::Server {
                status: status.as_u16(),
                body: self.excerpt(&body),
            });
        }
        if !status.is_success() {
            return Err(ProviderError::Client {
                status: status.as_u16(),
                body: self.excerpt(&body),
            });
        }
        self.api.parse_price(&body)
    }

    fn network_error(&self, error: &reqwest::Error) -> ProviderError {
        let url = self.api.url().to_owned();
        let detail = error_chain(error);
        if error.is_timeout() {
            ProviderError::Timeout {
                timeout_secs: self.timeout.as_secs(),
            }
        } else if error.is_connect() {
            ProviderError::Connect { url, detail }
        } else {
            ProviderError::Transport { url, detail }
        }
    }

    /// The start of a body, on one line, with the API key (should a provider echo it) redacted.
    fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let mut text: String = text
            .chars()
            .take(BODY_EXCERPT_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if let Some(key) = self.api.api_key() {
            let key = key.expose_secret().trim();
            if !key.is_empty() {
                text = text.replace(key, "[redacted]");
            }
        }
        if text.trim().is_empty() {
            "(empty body)".to_owned()
        } else {
            text.trim().to_owned()
        }
    }
}

/// An error and its sources, joined with ": ".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Retry-After in whole seconds (the HTTP-date form is ignored: we then use our own backoff).
fn parse_retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

async fn read_body_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY_BYTES {
            break;
        }
    }
    Ok(body)
}

/// Parse a JSON number from its source text into a `Decimal`, never through `f64`.
///
/// Accepts plain (`45000.12`, `-3`) and exponent (`4.5e4`, `1E+12`) forms; rejects strings, `null`, objects.
pub fn decimal_from_json_number(raw: &RawValue) -> Result<Decimal, ProviderError> {
    let text = raw.get().trim();
    let looks_numeric = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
    if !looks_numeric {
        let shown: String = text.chars().take(40).collect();
        return Err(ProviderError::Malformed {
            detail: format!("price is not a JSON number: {shown}"),
        });
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        text.parse::<Decimal>()
    };
    parsed.map_err(|e| ProviderError::Malformed {
        detail: format!("price {text} is not representable: {e}"),
    })
}

/// Parse a price given as a JSON string (`"45000.12"`, as Kraken, Bitstamp and Coinbase send it) or a
/// JSON number into a `Decimal`, from its text, never through `f64`.
pub fn decimal_from_json_price(raw: &RawValue) -> Result<Decimal, ProviderError> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|e| ProviderError::Malformed {
            detail: format!("price is not a JSON string: {e}"),
        })?;
        decimal_from_price_text(&inner)
    } else {
        decimal_from_json_number(raw)
    }
}

/// Parse a price written as decimal text (`45000.12`, `4.5e4`) into a `Decimal`; anything else
/// (empty, `NaN`, `1,5`, letters) is [`ProviderError::Malformed`].
pub fn decimal_from_price_text(text: &str) -> Result<Decimal, ProviderError> {
    let text = text.trim();
    let shown: String = text.chars().take(40).collect();
    let well_formed = !text.is_empty()
        && text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !well_formed {
        return Err(ProviderError::Malformed {
            detail: format!("price {shown:?} is not a decimal number"),
        });
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        text.parse::<Decimal>()
    };
    parsed.map_err(|e| ProviderError::Malformed {
        detail: format!("price {shown:?} is not representable: {e}"),
    })
}
