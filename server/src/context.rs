//! Wires the service graph from the settings: store, LND client, rate service and the
//! services built on them. The CLI and the gateway both start here.

use crate::config::{Home, Settings};
use crate::invoices::{InvoicePolicy, InvoiceService};
use crate::lnd::{LndClient, LndConfig, LndError};
use crate::rates::{RateService, RatesConfig, RatesConfigError};
use crate::store::{Store, StoreError};

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
}

/// The rate-service settings from the product's settings.
pub fn rates_config(settings: &Settings) -> RatesConfig {
    RatesConfig {
        coingecko_enabled: settings.coingecko_enabled,
        coingecko_api_key: settings.coingecko_api_key.clone(),
        coingecko_pro: settings.coingecko_pro,
        coingecko_base_url: settings.coingecko_base_url.clone(),
        cmc_enabled: settings.cmc_enabled,
        cmc_api_key: settings.cmc_api_key.clone(),
        cmc_base_url: settings.cmc_base_url.clone(),
        fallback_rate: settings.fallback_rate_eur_per_btc,
        cache_ttl_secs: settings.rate_cache_ttl_secs,
        max_retries: settings.max_retries,
        breaker_failures: settings.circuit_breaker_failures,
        breaker_timeout_secs: settings.circuit_breaker_timeout_secs,
        ..RatesConfig::default()
    }
}

/// The invoice policy (expiry bounds, inbound check) from the settings.
pub fn invoice_policy(settings: &Settings) -> InvoicePolicy {
    InvoicePolicy {
        default_expiry_hours: u64::from(settings.default_expiry_hours),
        min_expiry_hours: u64::from(settings.min_expiry_hours),
        max_expiry_hours: u64::from(settings.max_expiry_hours),
        block_unreceivable: settings.liquidity_block_unreceivable,
    }
}

/// Opens the database: `database_url` (PostgreSQL) when set, else the SQLite file in the home's
/// data directory.
pub async fn open_store(home: &Home, settings: &Settings) -> Result<Store, ContextError> {
    match &settings.database_url {
        Some(url) => Ok(Store::connect(secrecy::ExposeSecret::expose_secret(url)).await?),
        None => Ok(Store::open_in(&home.data_dir).await?),
    }
}

/// A lazily connecting LND client for the configured node.
pub fn lnd_client(settings: &Settings) -> Result<LndClient, ContextError> {
    Ok(LndClient::connect_lazy(LndConfig::from_settings(settings)?)?)
}

/// The invoice service over the configured node, rates and the given store.
pub fn invoice_service(settings: &Settings, store: Store, lnd: LndClient) -> Result<InvoiceService, ContextError> {
    let rates = std::sync::Arc::new(RateService::new(rates_config(settings))?);
    Ok(InvoiceService::new(store, lnd, rates, invoice_policy(settings)))
}
