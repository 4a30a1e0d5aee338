//! Settings applied live: [`Reloader`] follows the [`SettingsHub`] and, on each new version of
//! the settings, swaps what changed into the running gateway: the rate service, the invoice
//! policy, the webhook dispatcher and `default` endpoint, the liquidity manager, the Host names
//! (`gateway_public_names`) and the node connection (tested with GetInfo before it is used).
//! `lightning_pos_expiry_minutes` and `gateway_metrics_token` are read from the hub at each use.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::config::{NodeChangeError, NodeChangeKind, Settings, SettingsHub};
use crate::invoices::InvoiceService;
use crate::liquidity::LiquidityManager;
use crate::lnd::{LndClient, LndConfig, LndError};
use crate::store::Store;
use crate::tracker::PaymentTracking;

use super::headers::{HostPolicy, LiveHostPolicy};

/// How long a new node gets to answer GetInfo before the change is refused, seconds.
const NODE_TEST_TIMEOUT_SECS: u64 = 5;

/// What runs with the settings last applied.
struct Applied {
    settings: Arc<Settings>,
    tracking: Option<PaymentTracking>,
    liquidity: Option<LiquidityManager>,
}

/// Applies new settings to the running gateway's services.
pub(crate) struct Reloader {
    hub: SettingsHub,
    store: Store,
    lnd: LndClient,
    invoices: InvoiceService,
    host_policy: LiveHostPolicy,
    /// The node in use is the embedded simulated node (its address is not in the settings); false
    /// once a configured node took over.
    on_embedded: std::sync::atomic::AtomicBool,
    applied: tokio::sync::Mutex<Applied>,
}

/// The services a [`Reloader`] swaps things into.
pub(crate) struct Parts {
    /// The database.
    pub store: Store,
    /// The node client every service shares.
    pub lnd: LndClient,
    /// The invoice service (its clones share the rate service and policy).
    pub invoices: InvoiceService,
    /// The Host names the router checks.
    pub host_policy: LiveHostPolicy,
    /// Whether the node is the embedded simnode.
    pub embedded: bool,
    /// The running tracker and webhook dispatcher.
    pub tracking: PaymentTracking,
    /// The liquidity manager, when enabled.
    pub liquidity: Option<LiquidityManager>,
}

impl Reloader {
    /// A reloader for what runs now with the hub's current settings.
    pub(crate) fn new(hub: SettingsHub, parts: Parts) -> Reloader {
        let settings = hub.current();
        Reloader {
            hub,
            store: parts.store,
            lnd: parts.lnd,
            invoices: parts.invoices,
            host_policy: parts.host_policy,
            on_embedded: std::sync::atomic::AtomicBool::new(parts.embedded),
            applied: tokio::sync::Mutex::new(Applied {
                settings,
                tracking: Some(parts.tracking),
                liquidity: parts.liquidity,
            }),
        }
    }

    /// The settings hub.
    pub(crate) fn hub(&self) -> &SettingsHub {
        &self.hub
    }

    /// Looks at config.toml now and applies it if it changed (what the watcher would do at its
    /// next look).
    pub(crate) async fn reload_now(&self) {
        let hub = self.hub.clone();
        let _ = tokio::task::spawn_blocking(move || hub.reload()).await;
        self.apply().await;
    }

    /// Applies the hub's current settings, if they are not applied yet.
    pub(crate) async fn apply(&self) {
        let mut applied = self.applied.lock().await;
        let new = self.hub.current();
        if Arc::ptr_eq(&new, &applied.settings) {
            return;
        }
        let old = applied.settings.clone();
        self.apply_rates(&old, &new);
        self.invoices.set_policy(new.invoice_policy());
        self.apply_host_policy(&old, &new);
        self.apply_node(&new).await;
        if webhooks_changed(&old, &new) {
            if let Some(tracking) = applied.tracking.as_mut() {
                match tracking
                    .reconfigure_webhooks(self.store.clone(), &new.default_endpoint(), new.dispatcher_config())
                    .await
                {
                    Ok(()) => tracing::info!("webhook settings applied"),
                    Err(e) => tracing::warn!("the webhook settings were not applied: {e}"),
                }
            }
        }
        if old.lightning_liquidity_enabled != new.lightning_liquidity_enabled
            || old.liquidity_manager() != new.liquidity_manager()
        {
            if let Some(manager) = applied.liquidity.take() {
                manager.stop().await;
            }
            if new.lightning_liquidity_enabled {
                applied.liquidity = Some(LiquidityManager::start(
                    self.store.clone(),
                    self.lnd.clone(),
                    new.liquidity_manager(),
                    Some(self.invoices.rate_handle()),
                ));
            }
            tracing::info!(enabled = new.lightning_liquidity_enabled, "liquidity settings applied");
        }
        applied.settings = new;
    }

    /// Applies every new version of the settings until `closing` becomes true.
    pub(crate) fn spawn(self: &Arc<Self>, mut closing: tokio::sync::watch::Receiver<bool>) {
        let reloader = self.clone();
        let mut changes = self.hub.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = changes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        reloader.apply().await;
                    }
                    _ = closing.changed() => return,
                }
            }
        });
    }

    /// Stops the tracker, the dispatcher and the liquidity manager.
    pub(crate) async fn stop(&self) {
        let mut applied = self.applied.lock().await;
        if let Some(tracking) = applied.tracking.take() {
            tracking.stop().await;
        }
        if let Some(manager) = applied.liquidity.take() {
            manager.stop().await;
        }
    }

    /// A new rate service when the rate settings changed (a bad combination keeps the old one).
    fn apply_rates(&self, old: &Settings, new: &Settings) {
        if !rates_changed(old, new) {
            return;
        }
        match crate::rates::RateService::new_refusing_without_source(new.rates_config()) {
            Ok(rates) => {
                self.invoices.set_rates(Arc::new(rates));
                tracing::info!("BTC/EUR rate settings applied");
            }
            Err(e) => tracing::warn!("the BTC/EUR rate settings were not applied: {e}"),
        }
    }

    /// New Host names when `gateway_public_names` changed.
    fn apply_host_policy(&self, old: &Settings, new: &Settings) {
        if old.gateway_public_names == new.gateway_public_names {
            return;
        }
        let current = match self.host_policy.read() {
            Ok(policy) => policy.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        match current.with_public_names(new.gateway_public_names.as_deref()) {
            Ok(policy) => {
                let policy: Arc<HostPolicy> = Arc::new(policy);
                match self.host_policy.write() {
                    Ok(mut slot) => *slot = policy,
                    Err(poisoned) => *poisoned.into_inner() = policy,
                }
                tracing::info!("gateway_public_names applied");
            }
            Err(e) => tracing::warn!("gateway_public_names was not applied: {e}"),
        }
    }

    /// Switches to the node the settings name when it differs from the one in use, after a
    /// GetInfo answered; otherwise keeps the connection and records why.
    async fn apply_node(&self, new: &Settings) {
        let Some(wanted) = self.wanted_node(new) else {
            return;
        };
        if wanted == self.lnd.config() {
            return;
        }
        let host = wanted.host.clone();
        match test_node(wanted).await {
            Ok(client) => {
                self.lnd.replace_with(&client);
                // From the embedded demo node to the shop's own: the embedded node stays up, unused,
                // until the gateway stops (its invoices can still be looked at from the CLI).
                self.on_embedded
                    .store(new.lightning_host.is_none(), std::sync::atomic::Ordering::SeqCst);
                self.hub.set_node_error(None);
                tracing::info!(%host, "now using the node at {host}");
            }
            Err(why) => {
                tracing::warn!(%host, "the node change was not applied (the previous node stays in use): {}", why.detail);
                self.hub.set_node_error(Some(why));
            }
        }
    }

    /// The node connection the settings ask for; `None` when it cannot change without a restart
    /// (from a configured node back to the embedded one, which starts only with the gateway) or
    /// the configuration is incomplete (recorded as the node error).
    fn wanted_node(&self, new: &Settings) -> Option<LndConfig> {
        let on_embedded = self.on_embedded.load(std::sync::atomic::Ordering::SeqCst);
        match (&new.lightning_host, on_embedded) {
            // The embedded node stays; its deadlines and breaker may change.
            (None, true) => {
                let now = self.lnd.config();
                Some(new.lnd_config_at(now.host, now.tls_cert_path, now.macaroon_path))
            }
            // The shop's own node, also in place of the embedded one.
            (Some(_), _) => match new.lnd_config() {
                Ok(cfg) => Some(cfg),
                Err(e) => {
                    self.hub.set_node_error(Some(NodeChangeError {
                        kind: NodeChangeKind::Settings,
                        detail: e.to_string(),
                    }));
                    None
                }
            },
            // Reported by the hub as needing a restart.
            _ => None,
        }
    }
}

/// Connects to `cfg` and asks GetInfo within [`NODE_TEST_TIMEOUT_SECS`]; why not otherwise.
async fn test_node(cfg: LndConfig) -> Result<LndClient, NodeChangeError> {
    let host = cfg.host.clone();
    let client = LndClient::connect_lazy(cfg).map_err(|e| node_failure(&host, &e))?;
    match tokio::time::timeout(Duration::from_secs(NODE_TEST_TIMEOUT_SECS), client.get_info()).await {
        Ok(Ok(_info)) => Ok(client),
        Ok(Err(e)) => Err(node_failure(&host, &e)),
        Err(_elapsed) => Err(NodeChangeError {
            detail: format!("the node at {host} did not answer within {NODE_TEST_TIMEOUT_SECS} s"),
            kind: NodeChangeKind::Timeout {
                host,
                secs: NODE_TEST_TIMEOUT_SECS,
            },
        }),
    }
}

/// A node test's failure: the settings' fault (files, macaroon, certificate) or the node's.
fn node_failure(host: &str, error: &LndError) -> NodeChangeError {
    let kind = if error.is_setup() {
        NodeChangeKind::Settings
    } else {
        NodeChangeKind::Refused { host: host.to_string() }
    };
    NodeChangeError {
        kind,
        detail: error.to_string(),
    }
}

/// A secret's value, for comparing (never shown).
fn exposed(secret: &Option<secrecy::SecretString>) -> Option<&str> {
    secret.as_ref().map(|s| s.expose_secret())
}

/// Whether the rate service's settings differ.
fn rates_changed(old: &Settings, new: &Settings) -> bool {
    format!("{:?}", old.rates_config()) != format!("{:?}", new.rates_config())
        || exposed(&old.lightning_coingecko_api_key) != exposed(&new.lightning_coingecko_api_key)
        || exposed(&old.lightning_cmc_api_key) != exposed(&new.lightning_cmc_api_key)
}

/// Whether the webhook settings (delivery and the `default` endpoint) differ.
fn webhooks_changed(old: &Settings, new: &Settings) -> bool {
    format!("{:?}{:?}", old.dispatcher_config(), old.default_endpoint())
        != format!("{:?}{:?}", new.dispatcher_config(), new.default_endpoint())
        || exposed(&old.lightning_webhook_secret) != exposed(&new.lightning_webhook_secret)
}
