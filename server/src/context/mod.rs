//! The one wiring path: [`Services`] builds the service graph from the settings (store, LND
//! client, rate service, invoice service, staff accounts, payment tracking with webhooks, the
//! liquidity manager). The CLI commands and the gateway both build their services here; the
//! gateway adds only what is its own (router, listener, embedded simnode, live feed).

mod convert;

use std::sync::Arc;

use crate::auth::AuthService;
use crate::config::{Home, Settings};
use crate::invoices::{InvoiceService, LinkKey, LINK_KEY_FILE};
use crate::liquidity::LiquidityManager;
use crate::lnd::{LndClient, LndError};
use crate::rates::{RateHandle, RateService, RatesConfigError};
use crate::store::{Store, StoreError};
use crate::tracker::{PaymentTracking, TrackerConfig};
use crate::webhooks::{DispatcherConfig, WebhookError};

/// Something needed to build the services is missing or broken.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// LND is not configured or its files are unreadable.
    #[error(transparent)]
    Lnd(#[from] LndError),
    /// The rate settings do not fit together.
    #[error(transparent)]
    Rates(#[from] RatesConfigError),
    /// The payment-link key file could not be read or made.
    #[error("payment-link key {path}: {source}")]
    LinkKey {
        /// The key file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Builds each service from the settings of one home; every piece is built on demand, so a
/// command that needs only the database never touches LND.
#[derive(Debug, Clone, Copy)]
pub struct Services<'a> {
    home: &'a Home,
    settings: &'a Settings,
}

impl<'a> Services<'a> {
    /// The builder for `home` with its loaded `settings`.
    pub fn new(home: &'a Home, settings: &'a Settings) -> Services<'a> {
        Services { home, settings }
    }

    /// Where the configuration and the data are.
    pub fn home(&self) -> &'a Home {
        self.home
    }

    /// The settings the services are built from.
    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// Opens the database: `database_url` (PostgreSQL) when set, else the SQLite file in the
    /// home's data directory.
    pub async fn store(&self) -> Result<Store, StoreError> {
        match &self.settings.database_url {
            Some(url) => Store::connect(secrecy::ExposeSecret::expose_secret(url)).await,
            None => Store::open_in(&self.home.data_dir).await,
        }
    }

    /// A lazily connecting LND client for the configured node (or the embedded node announced by
    /// a running gateway). The certificate and macaroon are read now.
    pub fn lnd(&self) -> Result<LndClient, LndError> {
        LndClient::connect_lazy(self.settings.lnd_config()?)
    }

    /// The BTC/EUR rate service.
    pub fn rates(&self) -> Result<Arc<RateService>, RatesConfigError> {
        Ok(Arc::new(RateService::new(self.settings.rates_config())?))
    }

    /// The invoice service over `store`, the node behind `lnd` and `rates`, with the configured
    /// invoice policy and the home's payment-link key (made at first use).
    pub fn invoices(
        &self,
        store: Store,
        lnd: LndClient,
        rates: Arc<RateService>,
    ) -> Result<InvoiceService, ContextError> {
        let key = LinkKey::load_or_create(&self.home.data_dir).map_err(|source| ContextError::LinkKey {
            path: self.home.data_dir.join(LINK_KEY_FILE),
            source,
        })?;
        Ok(InvoiceService::new(store, lnd, rates, self.settings.invoice_policy()).with_link_key(key))
    }

    /// Staff accounts and sessions; `secure_cookies` marks the session cookie Secure (HTTPS).
    pub fn auth(&self, store: Store, secure_cookies: bool) -> AuthService {
        AuthService::new(store, secure_cookies)
    }

    /// Mirrors the configured `default` webhook endpoint into the store, then starts the payment
    /// tracker and the webhook dispatcher (`dispatcher` as given, usually
    /// [`Settings::dispatcher_config`]); each settlement records the rate `rates` has cached then.
    pub async fn payment_tracking(
        &self,
        store: Store,
        lnd: LndClient,
        tracker: TrackerConfig,
        dispatcher: DispatcherConfig,
        rates: Option<RateHandle>,
    ) -> Result<PaymentTracking, WebhookError> {
        PaymentTracking::start(
            store,
            lnd,
            &self.settings.default_endpoint(),
            tracker,
            dispatcher,
            rates,
        )
        .await
    }

    /// The automatic liquidity manager, started when `lightning_liquidity_enabled`.
    pub fn liquidity_manager(&self, store: Store, lnd: LndClient, rates: RateHandle) -> Option<LiquidityManager> {
        self.settings
            .lightning_liquidity_enabled
            .then(|| LiquidityManager::start(store, lnd, self.settings.liquidity_manager(), Some(rates)))
    }
}

/// Opens the database of `home` as configured (see [`Services::store`]).
pub async fn open_store(home: &Home, settings: &Settings) -> Result<Store, ContextError> {
    Ok(Services::new(home, settings).store().await?)
}
