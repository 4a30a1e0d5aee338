//! Coinbase spot price, no account or key: `GET {base}/v2/prices/BTC-EUR/spot` →
//! `{"data":{"amount":"<price>","base":"BTC","currency":"EUR"}}`.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::provider::{decimal_from_json_price, PriceApi, ProviderError};

/// Name used in quote sources and messages.
pub const NAME: &str = "coinbase";

/// The Coinbase endpoint as configured.
pub(crate) struct Coinbase {
    url: String,
}

impl Coinbase {
    /// `base_url` without trailing slash.
    pub(crate) fn new(base_url: &str) -> Self {
        Self {
            url: format!("{base_url}/v2/prices/BTC-EUR/spot"),
        }
    }
}

#[derive(Deserialize)]
struct Spot<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    base: Option<String>,
    currency: Option<String>,
}

impl PriceApi for Coinbase {
    fn name(&self) -> &'static str {
        NAME
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn parse_price(&self, body: &[u8]) -> Result<Decimal, ProviderError> {
        let spot: Spot<'_> = serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
            detail: format!("not the spot price JSON shape: {e}"),
        })?;
        let data = spot.data.ok_or_else(|| ProviderError::Malformed {
            detail: "response has no data".to_owned(),
        })?;
        for (field, got, want) in [("base", &data.base, "BTC"), ("currency", &data.currency, "EUR")] {
            if let Some(got) = got {
                if !got.eq_ignore_ascii_case(want) {
                    return Err(ProviderError::Malformed {
                        detail: format!("data.{field} is {got:?}, not {want}"),
                    });
                }
            }
        }
        let amount = data.amount.ok_or_else(|| ProviderError::Malformed {
            detail: "response has no data.amount".to_owned(),
        })?;
        decimal_from_json_price(amount)
    }
}
