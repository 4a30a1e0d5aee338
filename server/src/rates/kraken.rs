//! Kraken public ticker, no account or key: `GET {base}/0/public/Ticker?pair=XBTEUR` →
//! `{"error":[],"result":{"XXBTZEUR":{"c":["<price>","<lot>"],…}}}`; the last trade price `c[0]`
//! is the answer, and a non-empty `error` array is a failure.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::provider::{decimal_from_json_price, PriceApi, ProviderError};

/// Name used in quote sources and messages.
pub const NAME: &str = "kraken";
/// The pair's name in Kraken's answer.
const PAIR: &str = "XXBTZEUR";

/// The Kraken endpoint as configured.
pub(crate) struct Kraken {
    url: String,
}

impl Kraken {
    /// `base_url` without trailing slash.
    pub(crate) fn new(base_url: &str) -> Self {
        Self {
            url: format!("{base_url}/0/public/Ticker?pair=XBTEUR"),
        }
    }
}

#[derive(Deserialize)]
struct Ticker<'a> {
    #[serde(default)]
    error: Vec<String>,
    #[serde(borrow)]
    result: Option<HashMap<String, Pair<'a>>>,
}

#[derive(Deserialize)]
struct Pair<'a> {
    #[serde(borrow)]
    c: Option<Vec<&'a RawValue>>,
}

impl PriceApi for Kraken {
    fn name(&self) -> &'static str {
        NAME
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn parse_price(&self, body: &[u8]) -> Result<Decimal, ProviderError> {
        let ticker: Ticker<'_> = serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
            detail: format!("not the Ticker JSON shape: {e}"),
        })?;
        if !ticker.error.is_empty() {
            return Err(ProviderError::Reported {
                message: ticker.error.join("; "),
            });
        }
        let mut result = ticker.result.unwrap_or_default();
        let pair = match result.remove(PAIR) {
            Some(pair) => pair,
            None if result.len() == 1 => result.into_values().next().ok_or_else(|| ProviderError::Malformed {
                detail: "response has no pair".to_owned(),
            })?,
            None => {
                return Err(ProviderError::Malformed {
                    detail: format!("response has no result.{PAIR}"),
                })
            }
        };
        let last = pair
            .c
            .and_then(|c| c.into_iter().next())
            .ok_or_else(|| ProviderError::Malformed {
                detail: format!("response has no result.{PAIR}.c[0] (last trade price)"),
            })?;
        decimal_from_json_price(last)
    }
}
