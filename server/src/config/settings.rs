//! The settings declaration: **a new setting is one line here**, in the [`settings!`] list below.
//!
//! Each line names the key (the field is named exactly like the key, so grepping a key finds
//! every reader), its Rust type, how its text is validated ([`ValueKind`]), its default, whether
//! it is a secret and its one-line description. From that one line follow the key table
//! ([`KEYS`]: `openfatture config set/get/list`, the web settings page, the `KEY` environment
//! override and `config.toml`), the typed field of [`Settings`] and its loading. Services never
//! read [`Settings`]: they get their own config types, built in `context/convert.rs`; a setting a
//! service needs is read there too. Two keys that must keep an order (a minimum below a maximum)
//! also get a group in `keys::ORDERED_GROUPS`.

use std::collections::HashMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use secrecy::SecretString;

use super::keys::{KeyDescriptor, ValueKind};
use super::value::Value;
use super::{ConfigError, EmbeddedNode};

const PUBLIC: bool = false;
const SECRET: bool = true;

/// Declares every setting: the key table [`KEYS`], the fields of [`Settings`] and their loading.
macro_rules! settings {
    ($( $name:ident: $ty:ty = ($kind:expr, $default:expr, $secret:expr, $description:literal); )*) => {
        /// Every configuration key the product knows, in display order.
        pub const KEYS: &[KeyDescriptor] = &[$(
            KeyDescriptor {
                name: stringify!($name),
                kind: $kind,
                default: $default,
                secret: $secret,
                description: $description,
            },
        )*];

        /// Every setting, loaded from environment, `config.toml` and defaults, and validated. Each
        /// field is named after its key. `Debug` never shows secrets (they are [`SecretString`]s).
        #[derive(Debug, Clone)]
        pub struct Settings {
            $(
                #[doc = concat!("`", stringify!($name), "`: ", $description, ".")]
                pub $name: $ty,
            )*
            /// With no `lightning_host`: the simulated node embedded by a running `openfatture serve`.
            pub embedded_node: Option<EmbeddedNode>,
            /// The environment the settings were loaded with (a reload uses it again).
            pub loaded_env: super::EnvVars,
        }

        impl Settings {
            /// The typed settings from every key's resolved value (`None`: unset).
            pub(super) fn from_values(all: &HashMap<&'static str, Option<Value>>) -> Result<Settings, ConfigError> {
                let value = |key: &str| all.get(key).and_then(Option::as_ref);
                Ok(Settings {
                    $( $name: FromValue::from_value(stringify!($name), value(stringify!($name)))?, )*
                    embedded_node: None,
                    loaded_env: super::EnvVars::default(),
                })
            }
        }
    };
}

use ValueKind::{
    BaseUrl, Bool, HostPort, Path, PositiveDecimal, Ratio, SmtpSecurity, Text, TimeZone, Url, VatNumber, U32, U64,
};

settings! {
    lightning_enabled: bool = (Bool, Some("false"), PUBLIC, "Enable the Lightning integration");
    database_url: Option<SecretString> = (Text, None, SECRET, "postgres://USER:PASSWORD@HOST/DB to share one PostgreSQL between gateways (unset: SQLite in the data directory)");
    lightning_host: Option<String> = (HostPort, None, PUBLIC, "LND gRPC endpoint, host:port (LND's default port is 10009)");
    lightning_cert_path: Option<PathBuf> = (Path, None, PUBLIC, "LND's tls.cert");
    lightning_macaroon_path: Option<PathBuf> = (Path, None, PUBLIC, "LND macaroon file (admin.macaroon)");
    lightning_default_expiry_hours: u32 = (U32 { min: 1 }, Some("24"), PUBLIC, "Default Lightning invoice expiry, hours");
    lightning_min_expiry_hours: u32 = (U32 { min: 1 }, Some("1"), PUBLIC, "Shortest allowed invoice expiry, hours");
    lightning_max_expiry_hours: u32 = (U32 { min: 1 }, Some("168"), PUBLIC, "Longest allowed invoice expiry, hours");
    lightning_kraken_enabled: bool = (Bool, Some("true"), PUBLIC, "Use Kraken's public ticker for the BTC/EUR rate (no account or key needed)");
    lightning_kraken_base_url: Option<String> = (Url, None, PUBLIC, "Kraken API base URL (unset: https://api.kraken.com)");
    lightning_bitstamp_enabled: bool = (Bool, Some("true"), PUBLIC, "Use Bitstamp's public ticker for the BTC/EUR rate (no account or key needed)");
    lightning_bitstamp_base_url: Option<String> = (Url, None, PUBLIC, "Bitstamp API base URL (unset: https://www.bitstamp.net)");
    lightning_coinbase_enabled: bool = (Bool, Some("true"), PUBLIC, "Use Coinbase's public spot price for the BTC/EUR rate (no account or key needed)");
    lightning_coinbase_base_url: Option<String> = (Url, None, PUBLIC, "Coinbase API base URL (unset: https://api.coinbase.com)");
    lightning_rate_max_deviation_percent: Decimal = (PositiveDecimal, Some("1.0"), PUBLIC, "A provider's answer further than this from the median of the others is dropped, percent");
    lightning_rate_min_sources: u32 = (U32 { min: 1 }, Some("2"), PUBLIC, "Agreeing provider answers a rate needs; with fewer it is still used but marked single source or n of m");
    lightning_coingecko_enabled: bool = (Bool, Some("true"), PUBLIC, "Use CoinGecko for the BTC/EUR rate; CoinGecko needs an API key since 2026 (a free demo key works), without one it is not asked");
    lightning_coingecko_api_key: Option<SecretString> = (Text, None, SECRET, "CoinGecko API key: CoinGecko needs an API key since 2026 (a free demo key works)");
    lightning_coingecko_pro: bool = (Bool, Some("false"), PUBLIC, "The CoinGecko API key is a paid (pro) key");
    lightning_coingecko_base_url: Option<String> = (Url, None, PUBLIC, "CoinGecko API base URL (unset: the public or pro API)");
    lightning_cmc_enabled: bool = (Bool, Some("false"), PUBLIC, "Use CoinMarketCap for the BTC/EUR rate");
    lightning_cmc_api_key: Option<SecretString> = (Text, None, SECRET, "CoinMarketCap API key");
    lightning_cmc_base_url: Option<String> = (Url, None, PUBLIC, "CoinMarketCap API base URL (unset: https://pro-api.coinmarketcap.com)");
    lightning_fallback_rate: Option<Decimal> = (PositiveDecimal, None, PUBLIC, "BTC/EUR rate used when every provider fails, EUR per BTC");
    lightning_rate_cache_ttl: u64 = (U64 { min: 1 }, Some("300"), PUBLIC, "How long a fetched BTC/EUR rate is reused, seconds");
    lightning_timeout_seconds: u64 = (U64 { min: 1 }, Some("30"), PUBLIC, "Deadline of each LND call, seconds");
    lightning_max_retries: u32 = (U32 { min: 0 }, Some("3"), PUBLIC, "Retries of idempotent LND reads on transient failures");
    lightning_circuit_breaker_failures: u32 = (U32 { min: 1 }, Some("5"), PUBLIC, "Consecutive failures that open the circuit breaker");
    lightning_circuit_breaker_timeout: u64 = (U64 { min: 1 }, Some("30"), PUBLIC, "How long an open circuit breaker waits before letting one trial call through, seconds");
    lightning_backup_keep: u32 = (U32 { min: 1 }, Some("30"), PUBLIC, "Channel backups (SCB) kept in the database, newest first");
    lightning_backup_dir: Option<PathBuf> = (Path, None, PUBLIC, "Directory that receives the newest channel backup as channel.backup (unset: database only)");
    lightning_alert_inactive_minutes: u32 = (U32 { min: 0 }, Some("30"), PUBLIC, "Minutes a channel may stay inactive before the channel_inactive alert");
    lightning_webhook_enabled: bool = (Bool, Some("false"), PUBLIC, "Send webhook notifications");
    lightning_webhook_url: Option<String> = (Url, None, PUBLIC, "Webhook endpoint URL");
    lightning_webhook_secret: Option<SecretString> = (Text, None, SECRET, "HMAC-SHA256 secret for the X-Lightning-Signature header");
    lightning_webhook_timeout: u64 = (U64 { min: 1 }, Some("10"), PUBLIC, "Deadline of one webhook delivery attempt, seconds");
    lightning_webhook_allow_private: bool = (Bool, Some("false"), PUBLIC, "Deliver webhooks to loopback and private addresses (127/8, 10/8, 172.16/12, 192.168/16, 100.64/10, ::1, fc00::/7); link-local and metadata addresses are refused always");
    gateway_tls_cert_path: Option<PathBuf> = (Path, None, PUBLIC, "PEM certificate (chain) for serving the web app over HTTPS; set together with gateway_tls_key_path");
    gateway_tls_key_path: Option<PathBuf> = (Path, None, PUBLIC, "PEM private key of gateway_tls_cert_path");
    gateway_metrics_token: Option<SecretString> = (Text, None, SECRET, "Bearer token /metrics requires from any address when set (unset: loopback clients and signed-in admins only)");
    gateway_public_names: Option<String> = (Text, None, PUBLIC, "Comma-separated host names (name or name:port) browsers may use to reach the web app besides its listen address and localhost, e.g. pos.shop.lan; other Host headers are refused (DNS rebinding)");
    lightning_pos_expiry_minutes: u64 = (U64 { min: 1 }, Some("15"), PUBLIC, "How long a POS (shop counter) invoice can be paid, minutes (at most 1440)");
    pos_max_amount_eur: Decimal = (PositiveDecimal, Some("1000"), PUBLIC, "Largest POS sale a cashier may charge, EUR (admins are not capped by it)");
    lightning_identity_threshold_eur: Option<Decimal> = (PositiveDecimal, None, PUBLIC, "Lightning invoices of this many EUR or more need the client's name and codice fiscale or partita IVA, from the fattura or entered (unset: never)");
    pos_refund_max_fee_ppm: u64 = (U64 { min: 0 }, Some("5000"), PUBLIC, "Highest routing fee of one refund, parts per million of the amount refunded");
    lightning_liquidity_enabled: bool = (Bool, Some("false"), PUBLIC, "Enable automatic liquidity management");
    lightning_liquidity_min_ratio: Decimal = (Ratio, Some("0.2"), PUBLIC, "Lowest acceptable inbound (remote/capacity) ratio of a channel");
    lightning_liquidity_target_ratio: Decimal = (Ratio, Some("0.5"), PUBLIC, "Inbound (remote/capacity) ratio rebalancing aims for");
    lightning_liquidity_max_ratio: Decimal = (Ratio, Some("0.8"), PUBLIC, "Highest acceptable inbound (remote/capacity) ratio of a channel");
    lightning_liquidity_check_interval: u64 = (U64 { min: 1 }, Some("3600"), PUBLIC, "Liquidity check interval, seconds");
    lightning_liquidity_block_unreceivable: bool = (Bool, Some("false"), PUBLIC, "Refuse invoices larger than the node can receive now");
    lightning_liquidity_max_fee_ppm: u64 = (U64 { min: 0 }, Some("1000"), PUBLIC, "Highest routing fee of one rebalance, parts per million of the amount moved");
    lightning_liquidity_max_daily_fee_sats: u64 = (U64 { min: 0 }, Some("1000"), PUBLIC, "Routing fees automatic rebalancing may spend in any 24 hours, sats");
    shop_name: Option<String> = (Text, None, PUBLIC, "The shop's or business's name, as on its fatture (shown to clients on receipts and payment pages)");
    shop_vat_number: Option<String> = (VatNumber, None, PUBLIC, "The business's partita IVA: 11 digits, `IT` optional");
    shop_address: Option<String> = (Text, None, PUBLIC, "The business's address, one line (street, postcode, town)");
    shop_timezone: String = (TimeZone, Some("Europe/Rome"), PUBLIC, "Time zone of the shop's dates and days (IANA name)");
    public_base_url: Option<String> = (BaseUrl, None, PUBLIC, "Address clients open payment links at, e.g. https://pay.example.com (unset: the gateway's own address); its host must be the listen address or in gateway_public_names");
    lightning_pay_page_requote: bool = (Bool, Some("true"), PUBLIC, "Let a client whose payment link's invoice expired or was cancelled ask for a new quote of what is still due");
    smtp_host: Option<String> = (Text, None, PUBLIC, "SMTP server that sends payment links and courtesy copies to clients, e.g. smtp.example.it (unset: no email)");
    smtp_port: u32 = (U32 { min: 1 }, Some("587"), PUBLIC, "SMTP server port (587 with starttls, 465 with tls, 25 with none)");
    smtp_security: String = (SmtpSecurity, Some("starttls"), PUBLIC, "SMTP connection security: none, starttls or tls");
    smtp_username: Option<String> = (Text, None, PUBLIC, "SMTP account name, when the server asks for one");
    smtp_password: Option<SecretString> = (Text, None, SECRET, "SMTP account password");
    smtp_from: Option<String> = (Text, None, PUBLIC, "Sender of the emails to clients, e.g. Studio Verdi <fatture@verdi.it>");
    smtp_ca_file: Option<PathBuf> = (Path, None, PUBLIC, "PEM file of the certificate authority the SMTP server's certificate is signed by, for a server with its own CA (unset: the usual public authorities)");
}

/// The descriptor of `name`, if it is a known key (names are matched case-insensitively).
pub fn find_key(name: &str) -> Option<&'static KeyDescriptor> {
    KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

/// A field type of [`Settings`], read from its key's resolved value. Plain types need a value
/// (every such key has a default); `Option` types are `None` when the key is unset.
trait FromValue: Sized {
    /// The typed value of `key`, from its resolved `value`.
    fn from_value(key: &str, value: Option<&Value>) -> Result<Self, ConfigError>;
}

/// Implements [`FromValue`] for a required type and for its `Option`.
macro_rules! from_value {
    ($ty:ty, $variant:ident, $take:expr) => {
        impl FromValue for $ty {
            fn from_value(key: &str, value: Option<&Value>) -> Result<Self, ConfigError> {
                match value {
                    Some(Value::$variant(v)) => Ok($take(v)),
                    _ => Err(ConfigError::NoDefault { key: key.to_string() }),
                }
            }
        }

        impl FromValue for Option<$ty> {
            fn from_value(key: &str, value: Option<&Value>) -> Result<Self, ConfigError> {
                match value {
                    Some(Value::$variant(v)) => Ok(Some($take(v))),
                    None => Ok(None),
                    // A field type that does not fit its key's kind (a bug in the declaration).
                    Some(_) => Err(ConfigError::NoDefault { key: key.to_string() }),
                }
            }
        }
    };
}

from_value!(bool, Bool, |v: &bool| *v);
from_value!(u32, U32, |v: &u32| *v);
from_value!(u64, U64, |v: &u64| *v);
from_value!(Decimal, Decimal, |v: &Decimal| *v);
from_value!(String, Text, |v: &String| v.clone());
from_value!(PathBuf, Path, |v: &PathBuf| v.clone());
from_value!(SecretString, Secret, |v: &SecretString| v.clone());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EnvVars, Home};

    /// A valid value of each kind, so every key can be set at once.
    fn sample(kind: ValueKind) -> &'static str {
        match kind {
            Bool => "true",
            Text => "text",
            Path => "/tmp/file",
            HostPort => "localhost:10009",
            U32 { .. } | U64 { .. } => "5",
            PositiveDecimal => "45000",
            Url => "https://example.com/x",
            BaseUrl => "https://pay.example.com",
            Ratio => "0.5",
            VatNumber => "06363391001",
            TimeZone => "Europe/Rome",
            SmtpSecurity => "tls",
        }
    }

    #[test]
    fn the_apps_english_setting_descriptions_are_the_keys_own() {
        for key in KEYS {
            let catalogue_key = format!("setting.{}.description", key.name);
            assert_eq!(
                app::i18n::text_in(app::i18n::Lang::En, &catalogue_key),
                key.description,
                "{catalogue_key}: the app's English text must be the key's description"
            );
            assert_ne!(
                app::i18n::text_in(app::i18n::Lang::It, &catalogue_key),
                key.description,
                "{catalogue_key} has no Italian text"
            );
        }
    }

    #[test]
    fn every_field_type_fits_its_key_kind() {
        let dir = tempfile::tempdir().expect("dir");
        let env = EnvVars::from_pairs(KEYS.iter().map(|k| (k.env_var(), sample(k.kind).to_string())));
        let settings = Settings::load_with(&Home::at(dir.path()), &env).expect("every key set");
        assert_eq!(settings.lightning_rate_cache_ttl, 5);
        assert!(settings.lightning_webhook_secret.is_some() && settings.database_url.is_some());
    }

    #[test]
    fn defaults_load() {
        let dir = tempfile::tempdir().expect("dir");
        let settings = Settings::load_with(&Home::at(dir.path()), &EnvVars::default()).expect("defaults");
        assert_eq!(settings.lightning_pos_expiry_minutes, 15);
        assert_eq!(settings.shop_timezone, "Europe/Rome");
        assert_eq!(settings.shop_vat_number, None);
    }
}
