//! Configuration: where it lives ([`Home`]), the keys and the typed [`Settings`] (both declared,
//! one line per key, in `config/settings.rs`), how values are resolved (environment variable >
//! `config.toml` > default) and, in `context/convert.rs`, the one place where the settings become
//! each service's own config type.
//!
//! **A new setting** is one line in the `settings!` declaration in `config/settings.rs` (its field
//! is named like its key); if a service needs it, one more line in the method of
//! `context/convert.rs` that builds that service's config.
//!
//! Secrets (API keys, webhook secret) are never printed: `config get`/`config list`
//! show only whether they are set.

mod embedded;
mod keys;
mod live;
pub(crate) mod private_files;
mod settings;
mod store;
mod value;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use embedded::{EmbeddedNode, EMBEDDED_NODE_FILE};
pub use keys::{KeyDescriptor, ValueKind, CLI_ONLY_REFUSAL};
pub use live::{
    applies_live, HubStatus, NodeChangeError, NodeChangeKind, SettingsHub, CONFIG_POLL_INTERVAL_MS, RESTART_KEYS,
};
pub use settings::Settings;
pub use settings::{find_key, KEYS};
pub use store::{get, list, set, unset, Entry, Source};
pub use value::{expand_tilde, parse as parse_value, vat_number, Value};

/// Environment variable that, when set, names the directory holding `config.toml` and the data.
pub const HOME_ENV: &str = "OPENFATTURE_HOME";
/// File name of the configuration file.
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// Errors reading, validating or writing the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key name that is not in the key table.
    #[error("unknown configuration key `{key}` ({origin}); run `openfatture config list` to see the valid keys")]
    UnknownKey {
        /// The unknown name.
        key: String,
        /// Where it was found.
        origin: String,
    },
    /// A value that does not fit its key's type.
    #[error("invalid value `{value}` for {key} ({origin}): expected {expected}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The refused value (`(hidden)` for secrets).
        value: String,
        /// Where the value came from.
        origin: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// Two related keys in the wrong order (e.g. a minimum above a maximum).
    #[error("{lower_key} ({lower_value}) must not be greater than {upper_key} ({upper_value}); change one of them with `openfatture config set`")]
    OutOfOrder {
        /// The key that must be the smaller.
        lower_key: String,
        /// Its effective value.
        lower_value: String,
        /// The key that must be the larger.
        upper_key: String,
        /// Its effective value.
        upper_value: String,
    },
    /// The configuration file exists but cannot be read.
    #[error("cannot read the config file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML.
    #[error("the config file {path} is not valid TOML at line {line}: {detail}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// The line (from 1) where the parser stopped.
        line: usize,
        /// The parser's message.
        detail: String,
    },
    /// The configuration file could not be written.
    #[error("cannot write the config file {path}: {source}")]
    WriteFile {
        /// The file (or its temporary sibling).
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Neither OPENFATTURE_HOME nor the XDG directories could be determined.
    #[error("cannot find a home directory for the configuration; set OPENFATTURE_HOME to a directory")]
    NoHomeDir,
    /// A key the program needs has no value and no default (a bug in the key table).
    #[error("configuration key {key} has no value and no default")]
    NoDefault {
        /// The key.
        key: String,
    },
}

/// A snapshot of environment variables, so resolution can be tested without touching the process.
/// `Debug` shows the names only (values may be secrets).
#[derive(Clone, Default)]
pub struct EnvVars(HashMap<String, String>);

impl std::fmt::Debug for EnvVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("EnvVars").field(&names).finish()
    }
}

impl EnvVars {
    /// The current process environment (variables that are not valid UTF-8 are skipped).
    pub fn from_process() -> EnvVars {
        EnvVars(
            std::env::vars_os()
                .filter_map(|(k, v): (OsString, OsString)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// An environment made of exactly these pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> EnvVars {
        EnvVars(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// The value of `name`; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The user's home directory: `HOME`, else the platform's notion of it.
    pub fn home_dir(&self) -> Option<PathBuf> {
        match self.get("HOME") {
            Some(h) => Some(PathBuf::from(h)),
            None => directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
        }
    }
}

/// Where the configuration file and the data directory are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// The `config.toml` file (it may not exist yet).
    pub config_file: PathBuf,
    /// Directory for the product's data (database, embedded simnode state).
    pub data_dir: PathBuf,
}

impl Home {
    /// Resolves the home from the process environment.
    pub fn from_env() -> Result<Home, ConfigError> {
        Home::from_vars(&EnvVars::from_process())
    }

    /// `OPENFATTURE_HOME` (with `~` expanded) if set, else the XDG config and data directories.
    pub fn from_vars(env: &EnvVars) -> Result<Home, ConfigError> {
        if let Some(dir) = env.get(HOME_ENV) {
            let dir = expand_tilde(dir, env.home_dir().as_deref()).ok_or(ConfigError::NoHomeDir)?;
            return Ok(Home::at(dir));
        }
        let dirs = directories::ProjectDirs::from("", "", "openfatture").ok_or(ConfigError::NoHomeDir)?;
        Ok(Home {
            config_file: dirs.config_dir().join(CONFIG_FILE_NAME),
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    /// A home where both the config file and the data live in `dir`.
    pub fn at(dir: impl AsRef<Path>) -> Home {
        let dir = dir.as_ref();
        Home {
            config_file: dir.join(CONFIG_FILE_NAME),
            data_dir: dir.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openfatture_home_wins_and_expands_tilde() {
        let env = EnvVars::from_pairs([("OPENFATTURE_HOME", "~/of"), ("HOME", "/home/u")]);
        let home = Home::from_vars(&env).expect("home");
        assert_eq!(home.config_file, PathBuf::from("/home/u/of/config.toml"));
        assert_eq!(home.data_dir, PathBuf::from("/home/u/of"));
    }

    #[test]
    fn empty_env_value_is_unset() {
        let env = EnvVars::from_pairs([("LIGHTNING_HOST", "")]);
        assert_eq!(env.get("LIGHTNING_HOST"), None);
    }
}
