//! CoinGecko simple-price API: `GET {base}/api/v3/simple/price?ids=bitcoin&vs_currencies=eur`
//! → `{"bitcoin":{"eur":45000.12}}`.
//!
//! Key handling: a demo key goes in `x-cg-demo-api-key` (public API, `https://api.coingecko.com`);
//! a pro key goes in `x-cg-pro-api-key` (paid API, `https://pro-api.coingecko.com`). No key: no header.

use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::provider::{decimal_from_json_number, PriceApi, ProviderError};

/// Name used in quote sources and messages.
pub const NAME: &str = "coingecko";
/// Header for demo keys.
pub const DEMO_KEY_HEADER: &str = "x-cg-demo-api-key";
/// Header for pro keys.
pub const PRO_KEY_HEADER: &str = "x-cg-pro-api-key";

/// The CoinGecko endpoint as configured.
pub(crate) struct CoinGecko {
    url: String,
    api_key: Option<SecretString>,
    pro: bool,
}

impl CoinGecko {
    /// `base_url` without trailing slash; `pro` selects the pro key header.
    pub(crate) fn new(base_url: &str, api_key: Option<SecretString>, pro: bool) -> Self {
        Self {
            url: format!("{base_url}/api/v3/simple/price?ids=bitcoin&vs_currencies=eur"),
            api_key,
            pro,
        }
    }
}

#[derive(Deserialize)]
struct SimplePrice<'a> {
    #[serde(borrow)]
    bitcoin: Option<Coin<'a>>,
}

#[derive(Deserialize)]
struct Coin<'a> {
    #[serde(borrow)]
    eur: Option<&'a RawValue>,
}

impl PriceApi for CoinGecko {
    fn name(&self) -> &'static str {
        NAME
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn api_key(&self) -> Option<&SecretString> {
        self.api_key.as_ref()
    }

    fn key_needed(&self) -> bool {
        true
    }

    fn key_header(&self) -> &'static str {
        if self.pro {
            PRO_KEY_HEADER
        } else {
            DEMO_KEY_HEADER
        }
    }

    fn key_hint(&self) -> String {
        let kind = if self.pro { "pro" } else { "demo" };
        format!(
            "check the key with `openfatture config get lightning_coingecko_api_key` (sent as a {kind} key; \
             demo keys only work on api.coingecko.com, pro keys on pro-api.coingecko.com)"
        )
    }

    fn parse_price(&self, body: &[u8]) -> Result<Decimal, ProviderError> {
        let parsed: SimplePrice<'_> = serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
            detail: format!("not the simple/price JSON shape: {e}"),
        })?;
        let raw = parsed
            .bitcoin
            .and_then(|coin| coin.eur)
            .ok_or_else(|| ProviderError::Malformed {
                detail: "response has no bitcoin.eur price".to_owned(),
            })?;
        decimal_from_json_number(raw)
    }
}
