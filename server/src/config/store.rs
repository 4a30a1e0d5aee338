//! Resolution of effective values (environment > file > default) and atomic edits of `config.toml`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::keys::{KeyDescriptor, ValueKind, ORDERED_GROUPS};
use super::settings::{find_key, Settings, KEYS};
use super::value::{parse, Value};
use super::{ConfigError, EmbeddedNode, EnvVars, Home};

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An environment variable (the key's name in upper case).
    Env,
    /// The `config.toml` file.
    File,
    /// The built-in default.
    Default,
    /// No value anywhere.
    Unset,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Env => "env",
            Source::File => "file",
            Source::Default => "default",
            Source::Unset => "unset",
        })
    }
}

/// The effective value of one key, safe to print: secrets carry no value.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key.
    pub key: &'static KeyDescriptor,
    /// The value for display; `None` when unset or secret.
    pub value: Option<String>,
    /// Whether the key has a value.
    pub is_set: bool,
    /// Where the value comes from.
    pub source: Source,
}

impl Entry {
    /// What `config get` prints: the value, `set`/`not set` for secrets, `not set` when unset.
    pub fn display_value(&self) -> String {
        match (&self.value, self.is_set) {
            (Some(v), _) => v.clone(),
            (None, true) => "set".to_string(),
            (None, false) => "not set".to_string(),
        }
    }
}

/// A value as resolved from the three sources.
pub(super) struct Resolved {
    pub value: Option<Value>,
    pub source: Source,
}

/// The three sources of configuration, loaded once.
pub(super) struct Sources {
    file_path: PathBuf,
    file: toml::Table,
    env: EnvVars,
    home_dir: Option<PathBuf>,
}

impl Sources {
    /// Reads the config file (a missing file is empty) and snapshots `env`.
    pub fn load(home: &Home, env: &EnvVars) -> Result<Sources, ConfigError> {
        Ok(Sources {
            file_path: home.config_file.clone(),
            file: read_table(&home.config_file)?,
            env: env.clone(),
            home_dir: env.home_dir(),
        })
    }

    /// Fails on the first key in the file that is not in the key table.
    pub fn check_unknown_file_keys(&self) -> Result<(), ConfigError> {
        match self
            .file
            .keys()
            .find(|k| find_key(k).is_none_or(|d| d.name != k.as_str()))
        {
            Some(k) => Err(ConfigError::UnknownKey {
                key: k.clone(),
                origin: format!("in the config file {}; remove that line", self.file_path.display()),
            }),
            None => Ok(()),
        }
    }

    /// The effective, validated value of `key`.
    pub fn resolve(&self, key: &'static KeyDescriptor) -> Result<Resolved, ConfigError> {
        let env_var = key.env_var();
        let (raw, source, origin) = if let Some(raw) = self.env.get(&env_var) {
            (
                raw.to_string(),
                Source::Env,
                format!("from environment variable {env_var}"),
            )
        } else if let Some(item) = self.file.get(key.name) {
            let origin = format!("from the config file {}", self.file_path.display());
            match toml_to_raw(item) {
                Some(raw) => (raw, Source::File, origin),
                None => {
                    return Err(ConfigError::InvalidValue {
                        key: key.name.to_string(),
                        value: if key.secret {
                            "(hidden)".to_string()
                        } else {
                            item.to_string()
                        },
                        origin,
                        expected: key.kind.expected(),
                    })
                }
            }
        } else if let Some(default) = key.default {
            (default.to_string(), Source::Default, "built-in default".to_string())
        } else {
            return Ok(Resolved {
                value: None,
                source: Source::Unset,
            });
        };
        let value = parse(key, &raw, self.home_dir.as_deref()).map_err(|refusal| ConfigError::InvalidValue {
            key: key.name.to_string(),
            value: if key.secret {
                "(hidden)".to_string()
            } else {
                raw.clone()
            },
            origin,
            expected: refusal.expected,
        })?;
        Ok(Resolved {
            value: Some(value),
            source,
        })
    }

    /// Resolves every key, failing on the first invalid one, then checks the ordered groups.
    pub fn resolve_all(&self) -> Result<HashMap<&'static str, Resolved>, ConfigError> {
        self.check_unknown_file_keys()?;
        let mut all = HashMap::new();
        for key in KEYS {
            all.insert(key.name, self.resolve(key)?);
        }
        for group in ORDERED_GROUPS {
            check_order(group, |name| all.get(name).and_then(|r| r.value.clone()))?;
        }
        Ok(all)
    }
}

impl Settings {
    /// Loads and validates the settings for `home` using the process environment.
    pub fn load(home: &Home) -> Result<Settings, ConfigError> {
        Settings::load_with(home, &EnvVars::from_process())
    }

    /// Loads and validates the settings for `home` using `env` as the environment.
    pub fn load_with(home: &Home, env: &EnvVars) -> Result<Settings, ConfigError> {
        let values = Sources::load(home, env)?
            .resolve_all()?
            .into_iter()
            .map(|(key, resolved)| (key, resolved.value))
            .collect();
        let mut settings = Settings::from_values(&values)?;
        settings.loaded_env = env.clone();
        if settings.lightning_host.is_none() {
            settings.embedded_node = EmbeddedNode::read(&home.data_dir);
        }
        Ok(settings)
    }
}

/// Checks that the values of `group` (those that are set) never decrease left to right.
fn check_order(group: &[&str], value_of: impl Fn(&str) -> Option<Value>) -> Result<(), ConfigError> {
    let values: Vec<(&str, Value)> = group.iter().filter_map(|name| Some((*name, value_of(name)?))).collect();
    for (i, (lower_key, lower)) in values.iter().enumerate() {
        for (upper_key, upper) in &values[i + 1..] {
            if let (Some(a), Some(b)) = (lower.as_decimal(), upper.as_decimal()) {
                if a > b {
                    return Err(ConfigError::OutOfOrder {
                        lower_key: lower_key.to_string(),
                        lower_value: lower.display(),
                        upper_key: upper_key.to_string(),
                        upper_value: upper.display(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A file value in textual form, or `None` for TOML types no key accepts (arrays, tables).
fn toml_to_raw(item: &toml::Value) -> Option<String> {
    match item {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The textual value stored in the file for a validated `raw` (numbers and booleans as TOML natives).
fn raw_to_toml(key: &KeyDescriptor, raw: &str) -> toml::Value {
    let raw = raw.trim();
    match key.kind {
        ValueKind::Bool => toml::Value::Boolean(raw.eq_ignore_ascii_case("true")),
        ValueKind::U32 { .. } | ValueKind::U64 { .. } => match raw.parse::<i64>() {
            Ok(n) => toml::Value::Integer(n),
            Err(_) => toml::Value::String(raw.to_string()),
        },
        _ => toml::Value::String(raw.to_string()),
    }
}

fn entry(key: &'static KeyDescriptor, resolved: &Resolved) -> Entry {
    Entry {
        key,
        value: match &resolved.value {
            Some(_) if key.secret => None,
            Some(v) => Some(v.display()),
            None => None,
        },
        is_set: resolved.value.is_some(),
        source: resolved.source,
    }
}

fn known_key(name: &str) -> Result<&'static KeyDescriptor, ConfigError> {
    find_key(name).ok_or_else(|| ConfigError::UnknownKey {
        key: name.to_string(),
        origin: "given on the command line".to_string(),
    })
}

/// The effective value of one key and where it comes from.
pub fn get(home: &Home, env: &EnvVars, name: &str) -> Result<Entry, ConfigError> {
    let key = known_key(name)?;
    let sources = Sources::load(home, env)?;
    Ok(entry(key, &sources.resolve(key)?))
}

/// The effective values of every key, in table order.
pub fn list(home: &Home, env: &EnvVars) -> Result<Vec<Entry>, ConfigError> {
    let sources = Sources::load(home, env)?;
    let all = sources.resolve_all()?;
    Ok(KEYS
        .iter()
        .filter_map(|k| all.get(k.name).map(|r| entry(k, r)))
        .collect())
}

/// Validates `raw` for `name` and writes it to the config file atomically; returns the new effective entry
/// (whose source is `env` when an environment variable still overrides the file).
pub fn set(home: &Home, env: &EnvVars, name: &str, raw: &str) -> Result<Entry, ConfigError> {
    let key = known_key(name)?;
    let mut sources = Sources::load(home, env)?;
    let parsed = parse(key, raw, sources.home_dir.as_deref()).map_err(|refusal| ConfigError::InvalidValue {
        key: key.name.to_string(),
        value: if key.secret {
            "(hidden)".to_string()
        } else {
            raw.trim().to_string()
        },
        origin: "given on the command line".to_string(),
        expected: refusal.expected,
    })?;
    // A partita IVA is kept as its 11 digits, a time zone by its database name.
    let written = match key.kind {
        ValueKind::VatNumber | ValueKind::TimeZone | ValueKind::SmtpSecurity => parsed.display(),
        _ => raw.to_string(),
    };
    sources.file.insert(key.name.to_string(), raw_to_toml(key, &written));
    for group in ORDERED_GROUPS.iter().filter(|g| g.contains(&key.name)) {
        check_order(group, |other| {
            find_key(other)
                .and_then(|k| sources.resolve(k).ok())
                .and_then(|r| r.value)
        })?;
    }
    write_table(&home.config_file, &sources.file)?;
    Ok(entry(key, &sources.resolve(key)?))
}

/// Removes `name` from the config file (so the environment or the default applies again).
pub fn unset(home: &Home, env: &EnvVars, name: &str) -> Result<Entry, ConfigError> {
    let key = known_key(name)?;
    let mut sources = Sources::load(home, env)?;
    if sources.file.remove(key.name).is_some() {
        for group in ORDERED_GROUPS.iter().filter(|g| g.contains(&key.name)) {
            check_order(group, |other| {
                find_key(other)
                    .and_then(|k| sources.resolve(k).ok())
                    .and_then(|r| r.value)
            })?;
        }
        write_table(&home.config_file, &sources.file)?;
    }
    Ok(entry(key, &sources.resolve(key)?))
}

/// Reads `path` as a TOML table; a missing file is an empty table. A file readable by others
/// (it may hold API keys and the webhook secret) is tightened to 0600 first.
fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    if let Err(e) = super::private_files::tighten_file(path) {
        tracing::warn!(path = %path.display(), "cannot make the config file owner-only: {e}");
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(toml::Table::new()),
        Err(source) => {
            return Err(ConfigError::ReadFile {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    text.parse::<toml::Table>().map_err(|e| {
        let at_byte = e.span().map_or(0, |span| span.start).min(text.len());
        let line = 1 + text.as_bytes()[..at_byte].iter().filter(|b| **b == b'\n').count();
        ConfigError::ParseFile {
            path: path.to_path_buf(),
            line,
            detail: e.message().to_string(),
        }
    })
}

/// Writes `table` to a temporary file beside `path` (mode 0600 on Unix) and renames it over `path`.
fn write_table(path: &Path, table: &toml::Table) -> Result<(), ConfigError> {
    let text = toml::to_string(table).map_err(|e| ConfigError::WriteFile {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    })?;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let write_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ConfigError::WriteFile { path: p, source }
    };
    super::private_files::ensure_private_dir(dir).map_err(write_err(dir))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("config.toml");
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(write_err(path))
}
