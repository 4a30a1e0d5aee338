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
}
