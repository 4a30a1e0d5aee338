//! CoinMarketCap quotes API: `GET {base}/v1/cryptocurrency/quotes/latest?symbol=BTC&convert=EUR` with the key in
//! `X-CMC_PRO_API_KEY` → `{"status":{...},"data":{"BTC":{"quote":{"EUR":{"price":45000.12,"last_updated":"…"}}}}}`.
//!
//! v1 returns `data.BTC` as an object; v2 returns an array of every coin with that symbol — both are accepted
//! (from an array, the entry with CoinMarketCap id 1, Bitcoin, is used, else the first).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::provider::{decimal_from_json_number, PriceApi, ProviderError};

/// Name used in quote sources and messages.
pub const NAME: &str = "coinmarketcap";
/// Header carrying the API key.
pub const KEY_HEADER: &str = "X-CMC_PRO_API_KEY";
/// CoinMarketCap's id for Bitcoin.
const BITCOIN_ID: i64 = 1;

/// The CoinMarketCap endpoint as configured.
pub(crate) struct CoinMarketCap {
    url: String,
    api_key: SecretString,
    max_quote_age_secs: u64,
}

impl CoinMarketCap {
    /// `base_url` without trailing slash; quotes whose `last_updated` is older than `max_quote_age_secs` are refused.
    pub(crate) fn new(base_url: &str, api_key: SecretString, max_quote_age_secs: u64) -> Self {
        Self {
            url: format!("{base_url}/v1/cryptocurrency/quotes/latest?symbol=BTC&convert=EUR"),
            api_key,
            max_quote_age_secs,
        }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: Option<Status>,
    #[serde(borrow)]
    data: Option<HashMap<String, &'a RawValue>>,
}

#[derive(Deserialize)]
struct Status {
    error_code: Option<i64>,
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    id: Option<i64>,
    #[serde(borrow)]
    quote: Option<Quote<'a>>,
}

#[derive(Deserialize)]
struct Quote<'a> {
    #[serde(rename = "EUR", borrow)]
    eur: Option<Price<'a>>,
}

#[derive(Deserialize)]
struct Price<'a> {
    #[serde(borrow)]
    price: Option<&'a RawValue>,
    last_updated: Option<String>,
}

fn malformed(detail: impl Into<String>) -> ProviderError {
    ProviderError::Malformed { detail: detail.into() }
}

impl PriceApi for CoinMarketCap {
    fn name(&self) -> &'static str {
        NAME
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn api_key(&self) -> Option<&SecretString> {
        Some(&self.api_key)
    }

    fn key_needed(&self) -> bool {
        true
    }

    fn key_header(&self) -> &'static str {
        KEY_HEADER
    }

    fn key_hint(&self) -> String {
        "check the key with `openfatture config get lightning_cmc_api_key`".to_owned()
    }

    fn parse_price(&self, body: &[u8]) -> Result<Decimal, ProviderError> {
        let envelope: Envelope<'_> =
            serde_json::from_slice(body).map_err(|e| malformed(format!("not the quotes/latest JSON shape: {e}")))?;
        if let Some(Status {
            error_code: Some(code),
            error_message,
        }) = envelope.status
        {
            if code != 0 {
                return Err(ProviderError::Api {
                    code,
                    message: error_message.unwrap_or_default(),
                });
            }
        }
        let raw_btc = envelope
            .data
            .as_ref()
            .and_then(|data| data.get("BTC"))
            .ok_or_else(|| malformed("response has no data.BTC"))?;
        let entry: Entry<'_> = if raw_btc.get().trim_start().starts_with('[') {
            let entries: Vec<Entry<'_>> = serde_json::from_str(raw_btc.get())
                .map_err(|e| malformed(format!("data.BTC is not a list of quotes: {e}")))?;
            let mut entries = entries;
            if entries.is_empty() {
                return Err(malformed("data.BTC is an empty list"));
            }
            let index = entries.iter().position(|e| e.id == Some(BITCOIN_ID)).unwrap_or(0);
            entries.swap_remove(index)
        } else {
            serde_json::from_str(raw_btc.get()).map_err(|e| malformed(format!("data.BTC is not a quote: {e}")))?
        };
        let price = entry
            .quote
            .and_then(|q| q.eur)
            .ok_or_else(|| malformed("response has no data.BTC.quote.EUR"))?;
        if let Some(last_updated) = &price.last_updated {
            let updated = DateTime::parse_from_rfc3339(last_updated)
                .map_err(|e| malformed(format!("last_updated {last_updated:?} is not a timestamp: {e}")))?;
            let age_secs = (Utc::now() - updated.with_timezone(&Utc)).num_seconds();
            if age_secs > i64::try_from(self.max_quote_age_secs).unwrap_or(i64::MAX) {
                return Err(ProviderError::StaleQuote {
                    age_secs,
                    max_age_secs: self.max_quote_age_secs,
                });
            }
        }
        let raw_price = price
            .price
            .ok_or_else(|| malformed("response has no data.BTC.quote.EUR.price"))?;
        decimal_from_json_number(raw_price)
    }
}
