//! Configuration keys as the Settings page shows them (never a secret's value).

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
    pub error: Option<String>,
    /// Keys changed since the start whose new value applies only after a restart.
    pub restart_needed: Vec<String>,
    /// Why the last node change (host, cert, macaroon) was not applied; None when it was or there was none.
    pub node_error: Option<String>,
}
