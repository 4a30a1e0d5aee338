//! The table of configuration keys: every setting is one line in [`KEYS`].

/// How a configuration value is parsed and validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `true` or `false`.
    Bool,
    /// Non-empty text.
    Text,
    /// A file path; a leading `~` expands to the home directory.
    Path,
    /// `host:port` of a network service, without a scheme.
    HostPort,
    /// A whole number from `min` up to `u32::MAX`.
    U32 {
        /// Smallest accepted value.
        min: u32,
    },
    /// A whole number from `min` up to `u64::MAX`.
    U64 {
        /// Smallest accepted value.
        min: u64,
    },
    /// A decimal number greater than zero.
    PositiveDecimal,
    /// An `http://` or `https://` URL.
    Url,
    /// A decimal number from 0 to 1 inclusive.
    Ratio,
}

impl ValueKind {
    /// What a valid value of this kind looks like, for error messages.
    pub fn expected(&self) -> String {
        match self {
            ValueKind::Bool => "true or false".to_string(),
            ValueKind::Text => "non-empty text".to_string(),
            ValueKind::Path => "a file path, e.g. ~/.lnd/tls.cert".to_string(),
            ValueKind::HostPort => "host:port without a scheme, e.g. localhost:10009".to_string(),
            ValueKind::U32 { min } => format!("a whole number from {min} to {}", u32::MAX),
            ValueKind::U64 { min } => format!("a whole number from {min} to {}", u64::MAX),
            ValueKind::PositiveDecimal => "a decimal number greater than 0, e.g. 45000.00".to_string(),
            ValueKind::Url => "an http:// or https:// URL, e.g. https://example.com/hook".to_string(),
            ValueKind::Ratio => "a decimal number from 0 to 1, e.g. 0.5".to_string(),
        }
    }

    /// Short type name shown by `config list`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueKind::Bool => "bool",
            ValueKind::Text => "string",
            ValueKind::Path => "path",
            ValueKind::HostPort => "host:port",
            ValueKind::U32 { .. } => "u32",
            ValueKind::U64 { .. } => "u64",
            ValueKind::PositiveDecimal => "decimal",
            ValueKind::Url => "url",
            ValueKind::Ratio => "ratio",
        }
    }
}

/// One configuration key: its name, type, default, secrecy and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDescriptor {
    /// Lower-case key name, as used in `config.toml` and `openfatture config`.
    pub name: &'static str,
    /// How values are parsed and validated.
    pub kind: ValueKind,
    /// Default value in its textual form; `None` means unset by default.
    pub default: Option<&'static str>,
    /// Whether the value is a secret that is never printed.
    pub secret: bool,
    /// One-line description.
    pub description: &'static str,
}

impl KeyDescriptor {
    /// Name of the environment variable that overrides this key (upper case).
    pub fn env_var(&self) -> String {
        self.name.to_ascii_uppercase()
    }
}

const PUBLIC: bool = false;
const SECRET: bool = true;

const fn key(
    name: &'static str,
    kind: ValueKind,
    default: Option<&'static str>,
    secret: bool,
    description: &'static str,
) -> KeyDescriptor {
    KeyDescriptor {
        name,
        kind,
        default,
        secret,
        description,
    }
}

use ValueKind::{Bool, HostPort, Path, PositiveDecimal, Ratio, Text, Url, U32, U64};

/// Every configuration key the product knows, in display order.
pub const KEYS: &[KeyDescriptor] = &[
    key("lightning_enabled", Bool, Some("false"), PUBLIC, "Enable the Lightning integration"),
    key("database_url", Text, None, SECRET, "postgres://USER:PASSWORD@HOST/DB to share one PostgreSQL between gateways (unset: SQLite in the data directory)"),
    key("lightning_host", HostPort, None, PUBLIC, "LND gRPC endpoint, host:port (LND's default port is 10009)"),
    key("lightning_cert_path", Path, None, PUBLIC, "LND's tls.cert"),
    key("lightning_macaroon_path", Path, None, PUBLIC, "LND macaroon file (admin.macaroon)"),
    key("lightning_default_expiry_hours", U32 { min: 1 }, Some("24"), PUBLIC, "Default Lightning invoice expiry, hours"),
    key("lightning_min_expiry_hours", U32 { min: 1 }, Some("1"), PUBLIC, "Shortest allowed invoice expiry, hours"),
    key("lightning_max_expiry_hours", U32 { min: 1 }, Some("168"), PUBLIC, "Longest allowed invoice expiry, hours"),
    key("lightning_coingecko_enabled", Bool, Some("true"), PUBLIC, "Use CoinGecko for the BTC/EUR rate"),
    key("lightning_coingecko_api_key", Text, None, SECRET, "CoinGecko API key (optional)"),
    key("lightning_coingecko_pro", Bool, Some("false"), PUBLIC, "The CoinGecko API key is a paid (pro) key"),
    key("lightning_coingecko_base_url", Url, None, PUBLIC, "CoinGecko API base URL (unset: the public or pro API)"),
    key("lightning_cmc_enabled", Bool, Some("false"), PUBLIC, "Use CoinMarketCap for the BTC/EUR rate"),
    key("lightning_cmc_api_key", Text, None, SECRET, "CoinMarketCap API key"),
    key("lightning_cmc_base_url", Url, None, PUBLIC, "CoinMarketCap API base URL (unset: https://pro-api.coinmarketcap.com)"),
    key("lightning_fallback_rate", PositiveDecimal, None, PUBLIC, "BTC/EUR rate used when every provider fails, EUR per BTC"),
    key("lightning_rate_cache_ttl", U64 { min: 1 }, Some("300"), PUBLIC, "How long a fetched BTC/EUR rate is reused, seconds"),
    key("lightning_timeout_seconds", U64 { min: 1 }, Some("30"), PUBLIC, "Deadline of each LND call, seconds"),
    key("lightning_max_retries", U32 { min: 0 }, Some("3"), PUBLIC, "Retries of idempotent LND reads on transient failures"),
    key("lightning_circuit_breaker_failures", U32 { min: 1 }, Some("5"), PUBLIC, "Consecutive failures that open the circuit breaker"),
    key("lightning_circuit_breaker_timeout", U64 { min: 1 }, Some("300"), PUBLIC, "How long an open circuit breaker waits before retrying, seconds"),
    key("lightning_webhook_enabled", Bool, Some("false"), PUBLIC, "Send webhook notifications"),
    key("lightning_webhook_url", Url, None, PUBLIC, "Webhook endpoint URL"),
    key("lightning_webhook_secret", Text, None, SECRET, "HMAC-SHA256 secret for the X-Lightning-Signature header"),
    key("lightning_webhook_timeout", U64 { min: 1 }, Some("10"), PUBLIC, "Deadline of one webhook delivery attempt, seconds"),
    key("gateway_tls_cert_path", Path, None, PUBLIC, "PEM certificate (chain) for serving the web app over HTTPS; set together with gateway_tls_key_path"),
    key("gateway_tls_key_path", Path, None, PUBLIC, "PEM private key of gateway_tls_cert_path"),
    key("lightning_pos_expiry_minutes", U64 { min: 1 }, Some("15"), PUBLIC, "How long a POS (shop counter) invoice can be paid, minutes (at most 1440)"),
    key("lightning_liquidity_enabled", Bool, Some("false"), PUBLIC, "Enable automatic liquidity management"),
    key("lightning_liquidity_min_ratio", Ratio, Some("0.2"), PUBLIC, "Lowest acceptable inbound (remote/capacity) ratio of a channel"),
    key("lightning_liquidity_target_ratio", Ratio, Some("0.5"), PUBLIC, "Inbound (remote/capacity) ratio rebalancing aims for"),
    key("lightning_liquidity_max_ratio", Ratio, Some("0.8"), PUBLIC, "Highest acceptable inbound (remote/capacity) ratio of a channel"),
    key("lightning_liquidity_check_interval", U64 { min: 1 }, Some("3600"), PUBLIC, "Liquidity check interval, seconds"),
    key("lightning_liquidity_block_unreceivable", Bool, Some("false"), PUBLIC, "Refuse invoices larger than the node can receive now"),
    key("lightning_liquidity_max_fee_ppm", U64 { min: 0 }, Some("1000"), PUBLIC, "Highest routing fee of one rebalance, parts per million of the amount moved"),
    key("lightning_liquidity_max_daily_fee_sats", U64 { min: 0 }, Some("1000"), PUBLIC, "Routing fees automatic rebalancing may spend in any 24 hours, sats"),
];

/// Groups of keys whose values must not decrease from left to right.
pub const ORDERED_GROUPS: &[&[&str]] = &[
    &[
        "lightning_min_expiry_hours",
        "lightning_default_expiry_hours",
        "lightning_max_expiry_hours",
    ],
    &[
        "lightning_liquidity_min_ratio",
        "lightning_liquidity_target_ratio",
        "lightning_liquidity_max_ratio",
    ],
];

/// The descriptor of `name`, if it is a known key (names are matched case-insensitively).
pub fn find_key(name: &str) -> Option<&'static KeyDescriptor> {
    KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_unique_and_lower_case() {
        for (i, a) in KEYS.iter().enumerate() {
            assert_eq!(a.name, a.name.to_ascii_lowercase());
            assert!(KEYS[i + 1..].iter().all(|b| b.name != a.name), "duplicate {}", a.name);
        }
    }

    #[test]
    fn ordered_groups_name_known_keys() {
        for group in ORDERED_GROUPS {
            for name in *group {
                assert!(find_key(name).is_some(), "{name}");
            }
        }
    }
}
