//! The typed, validated settings the rest of the program reads.

use std::collections::HashMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use secrecy::SecretString;

use super::store::{Resolved, Sources};
use super::value::Value;
use super::{ConfigError, EnvVars, Home};

/// Every setting, loaded from environment, `config.toml` and defaults, and validated.
/// `Debug` never shows secrets (they are [`SecretString`]s).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `lightning_enabled`.
    pub lightning_enabled: bool,
    /// `database_url` (`DATABASE_URL`): PostgreSQL instead of the SQLite file; a secret (it may
    /// hold a password).
    pub database_url: Option<SecretString>,
    /// `lightning_host`: LND gRPC `host:port`.
    pub lightning_host: Option<String>,
    /// `lightning_cert_path`: LND's tls.cert, `~` expanded.
    pub lightning_cert_path: Option<PathBuf>,
    /// `lightning_macaroon_path`: the macaroon file, `~` expanded.
    pub lightning_macaroon_path: Option<PathBuf>,
    /// `lightning_default_expiry_hours`.
    pub default_expiry_hours: u32,
    /// `lightning_min_expiry_hours`.
    pub min_expiry_hours: u32,
    /// `lightning_max_expiry_hours`.
    pub max_expiry_hours: u32,
    /// `lightning_coingecko_enabled`.
    pub coingecko_enabled: bool,
    /// `lightning_coingecko_api_key`.
    pub coingecko_api_key: Option<SecretString>,
    /// `lightning_coingecko_pro`: the API key is a pro key.
    pub coingecko_pro: bool,
    /// `lightning_coingecko_base_url`; `None` means the provider's standard API.
    pub coingecko_base_url: Option<String>,
    /// `lightning_cmc_enabled`.
    pub cmc_enabled: bool,
    /// `lightning_cmc_api_key`.
    pub cmc_api_key: Option<SecretString>,
    /// `lightning_cmc_base_url`; `None` means the provider's standard API.
    pub cmc_base_url: Option<String>,
    /// `lightning_fallback_rate`: EUR per BTC used when every provider fails.
    pub fallback_rate_eur_per_btc: Option<Decimal>,
    /// `lightning_rate_cache_ttl`.
    pub rate_cache_ttl_secs: u64,
    /// `lightning_timeout_seconds`: deadline of each LND call.
    pub timeout_secs: u64,
    /// `lightning_max_retries`: retries of idempotent LND reads.
    pub max_retries: u32,
    /// `lightning_circuit_breaker_failures`.
    pub circuit_breaker_failures: u32,
    /// `lightning_circuit_breaker_timeout`.
    pub circuit_breaker_timeout_secs: u64,
    /// `lightning_webhook_enabled`.
    pub webhook_enabled: bool,
    /// `lightning_webhook_url`.
    pub webhook_url: Option<String>,
    /// `lightning_webhook_timeout`: deadline of one delivery attempt.
    pub webhook_timeout_secs: u64,
    /// `lightning_pos_expiry_minutes`: how long a POS invoice can be paid.
    pub pos_expiry_minutes: u64,
    /// `gateway_tls_cert_path`: serve the web app over HTTPS with this certificate.
    pub gateway_tls_cert_path: Option<PathBuf>,
    /// `gateway_tls_key_path`: the private key of that certificate.
    pub gateway_tls_key_path: Option<PathBuf>,
    /// With no `lightning_host`: the simulated node embedded by a running `openfatture serve`.
    pub embedded_node: Option<super::EmbeddedNode>,
    /// `lightning_webhook_secret`.
    pub webhook_secret: Option<SecretString>,
    /// `lightning_liquidity_enabled`.
    pub liquidity_enabled: bool,
    /// `lightning_liquidity_min_ratio`.
    pub liquidity_min_ratio: Decimal,
    /// `lightning_liquidity_target_ratio`.
    pub liquidity_target_ratio: Decimal,
    /// `lightning_liquidity_max_ratio`.
    pub liquidity_max_ratio: Decimal,
    /// `lightning_liquidity_check_interval`.
    pub liquidity_check_interval_secs: u64,
    /// `lightning_liquidity_block_unreceivable`: refuse invoices above the receivable inbound.
    pub liquidity_block_unreceivable: bool,
    /// `lightning_liquidity_max_daily_fee_sats`: rebalancing fee budget of any 24 hours.
    pub liquidity_max_daily_fee_sats: u64,
    /// `lightning_liquidity_max_fee_ppm`: fee cap of one rebalancing payment.
    pub liquidity_max_fee_ppm: u64,
}

impl Settings {
    /// Loads and validates the settings for `home` using the process environment.
    pub fn load(home: &Home) -> Result<Settings, ConfigError> {
        Settings::load_with(home, &EnvVars::from_process())
    }

    /// Loads and validates the settings for `home` using `env` as the environment.
    pub fn load_with(home: &Home, env: &EnvVars) -> Result<Settings, ConfigError> {
        let all = Sources::load(home, env)?.resolve_all()?;
        let v = Values(&all);
        let lightning_host = v.opt_text("lightning_host");
        let embedded_node = match lightning_host {
            None => super::EmbeddedNode::read(&home.data_dir),
            Some(_) => None,
        };
        Ok(Settings {
            embedded_node,
            lightning_enabled: v.bool("lightning_enabled")?,
            database_url: v.opt_secret("database_url"),
            lightning_host,
            lightning_cert_path: v.opt_path("lightning_cert_path"),
            lightning_macaroon_path: v.opt_path("lightning_macaroon_path"),
            default_expiry_hours: v.u32("lightning_default_expiry_hours")?,
            min_expiry_hours: v.u32("lightning_min_expiry_hours")?,
            max_expiry_hours: v.u32("lightning_max_expiry_hours")?,
            coingecko_enabled: v.bool("lightning_coingecko_enabled")?,
            coingecko_api_key: v.opt_secret("lightning_coingecko_api_key"),
            coingecko_pro: v.bool("lightning_coingecko_pro")?,
            coingecko_base_url: v.opt_text("lightning_coingecko_base_url"),
            cmc_enabled: v.bool("lightning_cmc_enabled")?,
            cmc_api_key: v.opt_secret("lightning_cmc_api_key"),
            cmc_base_url: v.opt_text("lightning_cmc_base_url"),
            fallback_rate_eur_per_btc: v.opt_decimal("lightning_fallback_rate"),
            rate_cache_ttl_secs: v.u64("lightning_rate_cache_ttl")?,
            timeout_secs: v.u64("lightning_timeout_seconds")?,
            max_retries: v.u32("lightning_max_retries")?,
            circuit_breaker_failures: v.u32("lightning_circuit_breaker_failures")?,
            circuit_breaker_timeout_secs: v.u64("lightning_circuit_breaker_timeout")?,
            webhook_enabled: v.bool("lightning_webhook_enabled")?,
            webhook_url: v.opt_text("lightning_webhook_url"),
            webhook_timeout_secs: v.u64("lightning_webhook_timeout")?,
            pos_expiry_minutes: v.u64("lightning_pos_expiry_minutes")?,
            gateway_tls_cert_path: v.opt_path("gateway_tls_cert_path"),
            gateway_tls_key_path: v.opt_path("gateway_tls_key_path"),
            webhook_secret: v.opt_secret("lightning_webhook_secret"),
            liquidity_enabled: v.bool("lightning_liquidity_enabled")?,
            liquidity_min_ratio: v.decimal("lightning_liquidity_min_ratio")?,
            liquidity_target_ratio: v.decimal("lightning_liquidity_target_ratio")?,
            liquidity_max_ratio: v.decimal("lightning_liquidity_max_ratio")?,
            liquidity_check_interval_secs: v.u64("lightning_liquidity_check_interval")?,
            liquidity_block_unreceivable: v.bool("lightning_liquidity_block_unreceivable")?,
            liquidity_max_daily_fee_sats: v.u64("lightning_liquidity_max_daily_fee_sats")?,
            liquidity_max_fee_ppm: v.u64("lightning_liquidity_max_fee_ppm")?,
        })
    }
}

/// Typed access to resolved values by key name.
struct Values<'a>(&'a HashMap<&'static str, Resolved>);

impl Values<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).and_then(|r| r.value.as_ref())
    }

    fn required<T>(&self, key: &str, pick: impl Fn(&Value) -> Option<T>) -> Result<T, ConfigError> {
        self.get(key)
            .and_then(pick)
            .ok_or_else(|| ConfigError::NoDefault { key: key.to_string() })
    }

    fn bool(&self, key: &str) -> Result<bool, ConfigError> {
        self.required(key, |v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        })
    }

    fn u32(&self, key: &str) -> Result<u32, ConfigError> {
        self.required(key, |v| match v {
            Value::U32(n) => Some(*n),
            _ => None,
        })
    }

    fn u64(&self, key: &str) -> Result<u64, ConfigError> {
        self.required(key, |v| match v {
            Value::U64(n) => Some(*n),
            _ => None,
        })
    }

    fn decimal(&self, key: &str) -> Result<Decimal, ConfigError> {
        self.required(key, |v| match v {
            Value::Decimal(d) => Some(*d),
            _ => None,
        })
    }

    fn opt_text(&self, key: &str) -> Option<String> {
        match self.get(key) {
            Some(Value::Text(s)) => Some(s.clone()),
            _ => None,
        }
    }

    fn opt_path(&self, key: &str) -> Option<PathBuf> {
        match self.get(key) {
            Some(Value::Path(p)) => Some(p.clone()),
            _ => None,
        }
    }

    fn opt_secret(&self, key: &str) -> Option<SecretString> {
        match self.get(key) {
            Some(Value::Secret(s)) => Some(s.clone()),
            _ => None,
        }
    }

    fn opt_decimal(&self, key: &str) -> Option<Decimal> {
        match self.get(key) {
            Some(Value::Decimal(d)) => Some(*d),
            _ => None,
        }
    }
}
