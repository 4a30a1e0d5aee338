//! A simulated node and an invoice service over it, at the fallback rate of 45,000 EUR/BTC.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use openfatture::invoices::{InvoicePolicy, InvoiceService};
use openfatture::lnd::{LndClient, LndConfig};
use openfatture::rates::{RateService, RatesConfig};
use openfatture::store::Store;
use rust_decimal::Decimal;
use simnode::{MacaroonKind, RunningNode, SimNodeConfig};

/// Test result with any error.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The expiry bounds of the user guide's defaults.
pub const POLICY: InvoicePolicy = InvoicePolicy {
    default_expiry_hours: 24,
    min_expiry_hours: 1,
    max_expiry_hours: 168,
    block_unreceivable: false,
};

/// A simnode with its data in `dir/simnode` and the default channels.
pub async fn start_node(dir: &Path) -> Res<RunningNode> {
    Ok(simnode::start(SimNodeConfig {
        data_dir: dir.join("simnode"),
        listen: "127.0.0.1:0".parse()?,
        topology: None,
        alias: None,
    })
    .await?)
}

/// A client of `node` with `invoice.macaroon`, as a merchant's invoicing would use.
pub async fn invoice_client(node: &RunningNode) -> Res<LndClient> {
    Ok(LndClient::connect(LndConfig {
        host: node.grpc_addr().to_string(),
        tls_cert_path: node.tls_cert_path(),
        macaroon_path: node.macaroon_path(MacaroonKind::Invoice),
        timeout: Duration::from_secs(10),
        max_retries: 0,
        breaker_failures: openfatture::lnd::DEFAULT_BREAKER_FAILURES,
        breaker_open: openfatture::lnd::DEFAULT_BREAKER_OPEN,
    })
    .await?)
}

/// Invoices on `node` recorded in `store`, priced at the fallback rate.
pub async fn invoice_service(store: &Store, node: &RunningNode) -> Res<InvoiceService> {
    let rates = RateService::new(RatesConfig {
        coingecko_enabled: false,
        fallback_rate: Some(Decimal::from(45_000)),
        ..RatesConfig::default()
    })?;
    Ok(InvoiceService::new(
        store.clone(),
        invoice_client(node).await?,
        Arc::new(rates),
        POLICY,
    ))
}
