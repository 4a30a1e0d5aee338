//! Bitstamp public ticker, no account or key: `GET {base}/api/v2/ticker/btceur/` →
//! `{"last":"<price>","timestamp":"<unix s>",…}`; an answer whose `timestamp` is older than the
//! maximum quote age is refused.

use chrono::Utc;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::provider::{decimal_from_json_price, PriceApi, ProviderError};

/// Name used in quote sources and messages.
pub const NAME: &str = "bitstamp";

/// The Bitstamp endpoint as configured.
pub(crate) struct Bitstamp {
    url: String,
    max_quote_age_secs: u64,
}

impl Bitstamp {
    /// `base_url` without trailing slash; answers older than `max_quote_age_secs` are refused.
    pub(crate) fn new(base_url: &str, max_quote_age_secs: u64) -> Self {
        Self {
            url: format!("{base_url}/api/v2/ticker/btceur/"),
            max_quote_age_secs,
        }
    }
}

#[derive(Deserialize)]
struct Ticker<'a> {
    #[serde(borrow)]
    last: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
}

impl PriceApi for Bitstamp {
    fn name(&self) -> &'static str {
        NAME
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn parse_price(&self, body: &[u8]) -> Result<Decimal, ProviderError> {
        let ticker: Ticker<'_> = serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
            detail: format!("not the ticker JSON shape: {e}"),
        })?;
        if let Some(raw) = ticker.timestamp {
            let text = raw.get().trim().trim_matches('"');
            let at_secs: i64 = text.parse().map_err(|_| ProviderError::Malformed {
                detail: format!("timestamp {text:?} is not unix seconds"),
            })?;
            let age_secs = Utc::now().timestamp().saturating_sub(at_secs);
            if age_secs > i64::try_from(self.max_quote_age_secs).unwrap_or(i64::MAX) {
                return Err(ProviderError::StaleQuote {
                    age_secs,
                    max_age_secs: self.max_quote_age_secs,
                });
            }
        }
        let last = ticker.last.ok_or_else(|| ProviderError::Malformed {
            detail: "response has no last price".to_owned(),
        })?;
        decimal_from_json_price(last)
    }
}
