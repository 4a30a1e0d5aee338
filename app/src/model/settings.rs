//! Configuration keys as the Settings page shows them (never a secret's value), and why a change
//! was refused, as data the page words in the user's language.

use serde::{Deserialize, Serialize};

/// One configuration key as the Settings page shows it. A secret's value is never included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingView {
    /// Key name (`lightning_fallback_rate`).
    pub key: String,
    /// The effective value for display; '' when unset, and always '' for secrets.
    pub value: String,
    /// Whether the key has a value.
    pub is_set: bool,
    /// Whether the key is a secret (write-only here).
    pub secret: bool,
    /// `env`, `file`, `default` or `unset`.
    pub source: String,
    /// The environment variable that overrides the file.
    pub env_var: String,
    /// Value type (`bool`, `u64`, `url`, …).
    pub type_name: String,
    /// What a valid value is (the page picks its input and words its refusals from it).
    pub kind: SettingKind,
    /// One-line description.
    pub description: String,
    /// Settable only with `openfatture config set` on the gateway's machine (paths, node
    /// address, base URLs, the database): shown read-only.
    pub cli_only: bool,
    /// A change applies without restarting the gateway.
    pub live: bool,
}

/// Whether the running gateway has the settings in config.toml in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadStatus {
    /// When the settings in force were loaded (unix seconds).
    pub loaded_at_unix: i64,
    /// Why the current config.toml was not applied (the previous settings stay in force); None when it was.
    pub error: Option<ReloadProblem>,
    /// Keys changed since the start whose new value applies only after a restart.
    pub restart_needed: Vec<String>,
    /// Why the last node change (host, cert, macaroon) was not applied; None when it was or there was none.
    pub node_error: Option<ReloadProblem>,
}

/// Why config.toml or a node change was not applied, as data the page words in its language
/// (the gateway's log has the full account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReloadProblem {
    /// A key of the file has a value the gateway refuses.
    Setting(SettingRefusal),
    /// Anything else: the file is not TOML, the node did not answer, its files cannot be used.
    Refusal(super::Refusal),
}

/// What a valid value of a key looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum SettingKind {
    /// `true` or `false`.
    Bool,
    /// Non-empty text.
    Text,
    /// A file path on the gateway's machine.
    Path,
    /// `host:port` without a scheme.
    HostPort,
    /// A whole number from `min`.
    Whole {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// A decimal number greater than zero.
    PositiveDecimal,
    /// An `http://` or `https://` URL.
    Url,
    /// A decimal number from 0 to 1.
    Ratio,
    /// An Italian VAT number (partita IVA): 11 digits with a valid check digit, `IT` optional.
    VatNumber,
    /// A time zone of the IANA database, e.g. `Europe/Rome`.
    TimeZone,
}

/// Why the gateway refused a configuration change; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingRefusal {
    /// The key as typed.
    pub key: String,
    /// What was wrong.
    pub problem: SettingProblem,
}

/// What was wrong with a configuration change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum SettingProblem {
    /// No such key.
    UnknownKey,
    /// The value does not fit the key's kind.
    Invalid {
        /// What a valid value looks like.
        kind: SettingKind,
    },
    /// The key must not be greater than `upper_key` (or smaller than a lower one).
    OutOfOrder {
        /// The key that must be the smaller.
        lower_key: String,
        /// Its value.
        lower_value: String,
        /// The key that must be the larger.
        upper_key: String,
        /// Its value.
        upper_value: String,
    },
    /// Only `openfatture config set` on the gateway's machine changes this key.
    CliOnly,
}

impl SettingKind {
    /// A whole number whose only limit is its type's (the page says "at least" then).
    pub fn unbounded(&self) -> bool {
        matches!(*self, SettingKind::Whole { max, .. } if max >= u64::from(u32::MAX))
    }
}

impl std::fmt::Display for SettingKind {
    /// What a valid value looks like, in English (the page words it in the user's language).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingKind::Bool => write!(f, "true or false"),
            SettingKind::Text => write!(f, "non-empty text"),
            SettingKind::Path => write!(f, "a file path, e.g. ~/.lnd/tls.cert"),
            SettingKind::HostPort => write!(f, "host:port without a scheme, e.g. localhost:10009"),
            SettingKind::Whole { min, max } if self.unbounded() => {
                let _ = max;
                write!(f, "a whole number of at least {min}")
            }
            SettingKind::Whole { min, max } => write!(f, "a whole number from {min} to {max}"),
            SettingKind::PositiveDecimal => write!(f, "a decimal number greater than 0, e.g. 45000.00"),
            SettingKind::Url => write!(
                f,
                "an http:// or https:// URL without user:password@, e.g. https://example.com/hook"
            ),
            SettingKind::Ratio => write!(f, "a decimal number from 0 to 1, e.g. 0.5"),
            SettingKind::VatNumber => write!(f, "an Italian VAT number: 11 digits with a valid check digit"),
            SettingKind::TimeZone => write!(f, "a time zone such as Europe/Rome"),
        }
    }
}

impl std::fmt::Display for SettingRefusal {
    /// The refusal in English, as `openfatture config set` words it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            SettingProblem::UnknownKey => write!(f, "unknown configuration key `{}`", self.key),
            SettingProblem::Invalid { kind } => write!(f, "invalid value for {}: expected {kind}", self.key),
            SettingProblem::OutOfOrder {
                lower_key,
                lower_value,
                upper_key,
                upper_value,
            } => write!(
                f,
                "{lower_key} ({lower_value}) must not be greater than {upper_key} ({upper_value})"
            ),
            SettingProblem::CliOnly => write!(
                f,
                "{}: this setting can be changed only with `openfatture config set` on the gateway's machine",
                self.key
            ),
        }
    }
}
