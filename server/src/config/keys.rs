//! What a configuration key is ([`KeyDescriptor`], [`ValueKind`]) and the checks between keys.
//! The keys themselves are declared, one line each, in `config/settings.rs`; [`KEYS`] follows
//! from that declaration.

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
    /// An `http://` or `https://` address links are built on: no user, query or fragment.
    BaseUrl,
    /// A decimal number from 0 to 1 inclusive.
    Ratio,
    /// An Italian VAT number (partita IVA): 11 digits whose last is the check digit, with or
    /// without the `IT` prefix; stored as the 11 digits.
    VatNumber,
    /// A time zone name of the IANA database (`Europe/Rome`).
    TimeZone,
    /// How an SMTP connection is protected: `none`, `starttls` or `tls`.
    SmtpSecurity,
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
            ValueKind::Url => {
                "an http:// or https:// URL without user:password@, e.g. https://example.com/hook".to_string()
            }
            ValueKind::BaseUrl => {
                "an http:// or https:// address without user:password@, ?query or #fragment, e.g. https://pay.example.com".to_string()
            }
            ValueKind::Ratio => "a decimal number from 0 to 1, e.g. 0.5".to_string(),
            ValueKind::VatNumber => {
                "an Italian VAT number (partita IVA): 11 digits with a valid check digit, e.g. 01234567897".to_string()
            }
            ValueKind::TimeZone => "a time zone of the IANA database, e.g. Europe/Rome".to_string(),
            ValueKind::SmtpSecurity => {
                "none, starttls (a plain connection upgraded, port 587) or tls (TLS from the start, port 465)".to_string()
            }
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
            ValueKind::BaseUrl => "url",
            ValueKind::Ratio => "ratio",
            ValueKind::VatNumber => "partita IVA",
            ValueKind::TimeZone => "time zone",
            ValueKind::SmtpSecurity => "none|starttls|tls",
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

    /// Whether the key decides where secrets or data go (a file path, a node address, a
    /// provider's base URL, the database, the webhook address checks): such keys are set only
    /// with `openfatture config set` on the gateway's machine, never from the web app.
    pub fn cli_only(&self) -> bool {
        matches!(self.kind, ValueKind::Path | ValueKind::HostPort)
            || self.name.ends_with("_base_url")
            || CLI_ONLY.contains(&self.name)
    }
}

/// Keys that are CLI-only besides every path, `host:port` and `*_base_url` key (see
/// [`KeyDescriptor::cli_only`]).
pub const CLI_ONLY: &[&str] = &["database_url", "lightning_webhook_allow_private"];

/// Why the web app refuses a CLI-only key.
pub const CLI_ONLY_REFUSAL: &str =
    "this setting can be changed only with `openfatture config set` on the gateway's machine";

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::{find_key, KEYS};

    #[test]
    fn key_names_are_unique_and_lower_case() {
        for (i, a) in KEYS.iter().enumerate() {
            assert_eq!(a.name, a.name.to_ascii_lowercase());
            assert!(KEYS[i + 1..].iter().all(|b| b.name != a.name), "duplicate {}", a.name);
        }
    }

    #[test]
    fn keys_that_repoint_secrets_are_cli_only() {
        for name in [
            "lightning_coingecko_base_url",
            "lightning_cmc_base_url",
            "lightning_kraken_base_url",
            "lightning_bitstamp_base_url",
            "lightning_coinbase_base_url",
            "lightning_host",
            "lightning_cert_path",
            "lightning_macaroon_path",
            "gateway_tls_cert_path",
            "gateway_tls_key_path",
            "database_url",
            "lightning_webhook_allow_private",
        ] {
            assert!(find_key(name).is_some_and(KeyDescriptor::cli_only), "{name}");
        }
        for name in CLI_ONLY {
            assert!(find_key(name).is_some(), "{name}");
        }
        assert!(find_key("lightning_pos_expiry_minutes").is_some_and(|k| !k.cli_only()));
        assert!(find_key("lightning_webhook_url").is_some_and(|k| !k.cli_only()));
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
