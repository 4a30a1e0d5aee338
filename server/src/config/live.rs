//! The settings of a running gateway, kept current: [`SettingsHub`] holds the settings in force in
//! a `watch` channel, polls `config.toml` (modification time, length and content hash) every
//! [`CONFIG_POLL_INTERVAL_MS`] and reloads on a change; `set`/`unset` through the hub reload at
//! once. A file that does not load keeps the previous settings in force and records why.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use secrecy::ExposeSecret;
use tokio::sync::watch;

use super::store::{self, Entry};
use super::{ConfigError, EnvVars, Home, Settings};

/// How often the hub looks at `config.toml` for changes, milliseconds.
pub const CONFIG_POLL_INTERVAL_MS: u64 = 500;

/// Keys whose new value the running gateway cannot take: they apply after a restart.
pub const RESTART_KEYS: &[&str] = &["database_url", "gateway_tls_cert_path", "gateway_tls_key_path"];

/// Whether a change of `key` applies without restarting the gateway.
pub fn applies_live(key: &str) -> bool {
    !RESTART_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// What the hub knows of its reloads.
#[derive(Debug, Clone)]
pub struct HubStatus {
    /// When the settings in force were loaded (unix seconds).
    pub loaded_at_unix: i64,
    /// Why the current `config.toml` was not applied; `None` when it was.
    pub error: Option<Arc<ConfigError>>,
    /// When that error was found (unix seconds).
    pub error_at_unix: Option<i64>,
    /// Keys changed since the start whose new value applies only after a restart.
    pub restart_needed: Vec<String>,
    /// Why the last node change was not applied; `None` when it was or there was none.
    pub node_error: Option<NodeChangeError>,
}

/// Why a change of the node's settings was not applied (the previous node stays in use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChangeError {
    /// What kind of failure, for the page's words.
    pub kind: NodeChangeKind,
    /// The full English account, for the log and the CLI.
    pub detail: String,
}

/// The kinds of [`NodeChangeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeChangeKind {
    /// The node settings are incomplete, or a file they name cannot be used.
    Settings,
    /// The node at `host` could not be reached or refused the connection.
    Refused {
        /// The node's address.
        host: String,
    },
    /// The node at `host` did not answer within `secs`.
    Timeout {
        /// The node's address.
        host: String,
        /// The time allowed, in seconds.
        secs: u64,
    },
}

/// What identifies one version of `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len_bytes: u64,
    content_hash: u64,
}

/// The settings in force for one home, shared by the running gateway. Cheap to clone.
#[derive(Clone)]
pub struct SettingsHub {
    inner: Arc<Inner>,
}

struct Inner {
    home: Home,
    env: EnvVars,
    /// The settings the gateway started with (what the restart-only keys still are).
    started: Arc<Settings>,
    current: watch::Sender<Arc<Settings>>,
    state: Mutex<State>,
}

struct State {
    /// The version of the file last looked at (applied or not).
    seen: Option<Fingerprint>,
    status: HubStatus,
}

impl SettingsHub {
    /// A hub for `home` with `settings` in force; reloads use the environment `settings` were
    /// loaded with, so environment variables still override the file.
    pub fn new(home: &Home, settings: Settings) -> SettingsHub {
        let env = settings.loaded_env.clone();
        let seen = fingerprint(&home.config_file);
        let started = Arc::new(settings);
        SettingsHub {
            inner: Arc::new(Inner {
                home: home.clone(),
                env,
                started: started.clone(),
                current: watch::Sender::new(started),
                state: Mutex::new(State {
                    seen,
                    status: HubStatus {
                        loaded_at_unix: crate::time::now_secs(),
                        error: None,
                        error_at_unix: None,
                        restart_needed: Vec::new(),
                        node_error: None,
                    },
                }),
            }),
        }
    }

    /// The settings in force.
    pub fn current(&self) -> Arc<Settings> {
        self.inner.current.borrow().clone()
    }

    /// Follows the settings in force.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Settings>> {
        self.inner.current.subscribe()
    }

    /// Where `config.toml` and the data are.
    pub fn home(&self) -> &Home {
        &self.inner.home
    }

    /// The environment the settings are loaded with.
    pub fn env(&self) -> &EnvVars {
        &self.inner.env
    }

    /// The reload status now.
    pub fn status(&self) -> HubStatus {
        self.lock().status.clone()
    }

    /// Records why the last node change was not applied (`None`: it was).
    pub fn set_node_error(&self, error: Option<NodeChangeError>) {
        self.lock().status.node_error = error;
    }

    /// Validates and writes `raw` for `name` (as `openfatture config set` does), then reloads.
    pub fn set(&self, name: &str, raw: &str) -> Result<Entry, ConfigError> {
        let entry = store::set(&self.inner.home, &self.inner.env, name, raw)?;
        self.reload();
        Ok(entry)
    }

    /// Removes `name` from the file (as `openfatture config unset` does), then reloads.
    pub fn unset(&self, name: &str) -> Result<Entry, ConfigError> {
        let entry = store::unset(&self.inner.home, &self.inner.env, name)?;
        self.reload();
        Ok(entry)
    }

    /// The effective values of every key, with the hub's environment.
    pub fn list(&self) -> Result<Vec<Entry>, ConfigError> {
        store::list(&self.inner.home, &self.inner.env)
    }

    /// Loads `config.toml` again if it changed since it was last looked at. Returns whether new
    /// settings are in force. A file that does not load keeps the settings in force; why is
    /// logged once for that version of the file and kept in the status.
    pub fn reload(&self) -> bool {
        let mut state = self.lock();
        let now_seen = fingerprint(&self.inner.home.config_file);
        if now_seen == state.seen {
            return false;
        }
        state.seen = now_seen;
        match Settings::load_with(&self.inner.home, &self.inner.env) {
            Ok(settings) => {
                state.status.loaded_at_unix = crate::time::now_secs();
                state.status.error = None;
                state.status.error_at_unix = None;
                state.status.restart_needed = restart_needed(&self.inner.started, &settings);
                if !state.status.restart_needed.is_empty() {
                    tracing::warn!(keys = ?state.status.restart_needed, "changed settings that apply after a restart");
                }
                tracing::info!(file = %self.inner.home.config_file.display(), "settings reloaded");
                self.inner.current.send_replace(Arc::new(settings));
                true
            }
            Err(e) => {
                tracing::warn!("the changed settings were not applied (the previous ones stay in force): {e}");
                state.status.error = Some(Arc::new(e));
                state.status.error_at_unix = Some(crate::time::now_secs());
                false
            }
        }
    }

    /// Polls the file every [`CONFIG_POLL_INTERVAL_MS`] until `closing` becomes true.
    pub fn spawn_watcher(&self, mut closing: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(CONFIG_POLL_INTERVAL_MS));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let hub = hub.clone();
                        // File reads off the async workers.
                        let _ = tokio::task::spawn_blocking(move || hub.reload()).await;
                    }
                    _ = closing.changed() => return,
                }
                if *closing.borrow() {
                    return;
                }
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.inner.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// The version of the file at `path` (`None`: it does not exist or cannot be read).
fn fingerprint(path: &std::path::Path) -> Option<Fingerprint> {
    let modified = std::fs::metadata(path).ok()?.modified().ok();
    let content = std::fs::read(path).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut hasher);
    Some(Fingerprint {
        modified,
        len_bytes: u64::try_from(content.len()).unwrap_or(u64::MAX),
        content_hash: hasher.finish(),
    })
}

/// The keys whose value in `now` differs from `started` and that the running gateway cannot
/// take: [`RESTART_KEYS`], and `lightning_host` when it is removed from a gateway started on a
/// configured node (the embedded node starts only with the gateway; the other way, from the
/// embedded node to a configured one, applies live).
fn restart_needed(started: &Settings, now: &Settings) -> Vec<String> {
    let mut keys = Vec::new();
    let secret = |s: &Option<secrecy::SecretString>| s.as_ref().map(|v| v.expose_secret().to_string());
    if secret(&started.database_url) != secret(&now.database_url) {
        keys.push("database_url".to_string());
    }
    if started.gateway_tls_cert_path != now.gateway_tls_cert_path {
        keys.push("gateway_tls_cert_path".to_string());
    }
    if started.gateway_tls_key_path != now.gateway_tls_key_path {
        keys.push("gateway_tls_key_path".to_string());
    }
    if started.lightning_host.is_some() && now.lightning_host.is_none() {
        keys.push("lightning_host".to_string());
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_file_keeps_the_settings_and_says_why_until_fixed() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let home = Home::at(dir.path());
        let hub = SettingsHub::new(&home, Settings::load_with(&home, &EnvVars::default())?);
        std::fs::write(&home.config_file, "lightning_pos_expiry_minutes = 7\n")?;
        assert!(hub.reload());
        assert_eq!(hub.current().lightning_pos_expiry_minutes, 7);
        std::fs::write(&home.config_file, "lightning_pos_expiry_minutes = = 9\n")?;
        assert!(!hub.reload());
        assert_eq!(hub.current().lightning_pos_expiry_minutes, 7);
        assert!(hub
            .status()
            .error
            .is_some_and(|e| e.to_string().contains("not valid TOML")));
        std::fs::write(&home.config_file, "lightning_pos_expiry_minutes = 9\n")?;
        assert!(hub.reload());
        assert_eq!(hub.current().lightning_pos_expiry_minutes, 9);
        assert!(hub.status().error.is_none());
        Ok(())
    }

    #[test]
    fn the_environment_still_overrides_the_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let home = Home::at(dir.path());
        let env = EnvVars::from_pairs([("LIGHTNING_POS_EXPIRY_MINUTES", "3")]);
        let hub = SettingsHub::new(&home, Settings::load_with(&home, &env)?);
        std::fs::write(
            &home.config_file,
            "lightning_pos_expiry_minutes = 7\ngateway_tls_cert_path = \"/x.pem\"\n",
        )?;
        assert!(hub.reload());
        assert_eq!(hub.current().lightning_pos_expiry_minutes, 3);
        assert_eq!(hub.status().restart_needed, vec!["gateway_tls_cert_path".to_string()]);
        Ok(())
    }
}
