//! Simulated nodes for the server's tests: a node with the default channels or a given
//! topology, LND clients of it, an invoice service over it at the fallback rate of
//! 45,000 EUR/BTC, and the `openfatture` binary pointed at it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use lnd_proto::lnrpc::ListInvoiceRequest;
use openfatture::invoices::{InvoicePolicy, InvoiceService};
use openfatture::lnd::{LndClient, LndConfig};
use openfatture::rates::{RateService, RatesConfig};
use openfatture::store::Store;
use rust_decimal::Decimal;
use simnode::{MacaroonKind, RunningNode, SimNodeConfig};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

pub use super::Res;

/// The expiry bounds of the user guide's defaults.
pub const POLICY: InvoicePolicy = InvoicePolicy {
    default_expiry_hours: 24,
    min_expiry_hours: 1,
    max_expiry_hours: 168,
    block_unreceivable: false,
    pos_max_amount_eur: rust_decimal::Decimal::ONE_THOUSAND,
    identity_threshold_eur: None,
};

/// A simnode with its data in `dir/simnode` and the default channels.
pub async fn start_node(dir: &Path) -> Res<RunningNode> {
    start(dir, None).await
}

/// A simnode with its data in `dir/simnode` and the channels of `topology` (TOML, written to
/// `dir/topology.toml`).
pub async fn start_node_with(dir: &Path, topology: &str) -> Res<RunningNode> {
    let path = dir.join("topology.toml");
    std::fs::write(&path, topology)?;
    start(dir, Some(path)).await
}

async fn start(dir: &Path, topology: Option<PathBuf>) -> Res<RunningNode> {
    Ok(simnode::start(SimNodeConfig {
        topology,
        ..sim_config(&dir.join("simnode"))
    })
    .await?)
}

/// A simnode with its data in `data_dir` and the default channels, listening on `listen` (port 0:
/// any free port; a node restarted on the same directory can take its former address).
pub async fn start_node_at(data_dir: &Path, listen: SocketAddr) -> Res<RunningNode> {
    Ok(simnode::start(SimNodeConfig {
        listen,
        ..sim_config(data_dir)
    })
    .await?)
}

/// The settings of a simnode with its data in `data_dir`, on any free loopback port, with the
/// default channels and alias.
pub fn sim_config(data_dir: &Path) -> SimNodeConfig {
    SimNodeConfig {
        data_dir: data_dir.to_path_buf(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        topology: None,
        alias: None,
    }
}

/// The settings of a client of `node` with the macaroon `kind`, no retries, the default breaker
/// and the deadline `timeout`.
pub fn lnd_config(node: &RunningNode, kind: MacaroonKind, timeout: Duration) -> LndConfig {
    LndConfig {
        host: node.grpc_addr().to_string(),
        tls_cert_path: node.tls_cert_path(),
        macaroon_path: node.macaroon_path(kind),
        timeout,
        max_retries: 0,
        breaker_failures: openfatture::lnd::DEFAULT_BREAKER_FAILURES,
        breaker_open: openfatture::lnd::DEFAULT_BREAKER_OPEN,
    }
}

/// A client of `node` with the macaroon `kind`, no retries and a 10 s timeout.
pub async fn client(node: &RunningNode, kind: MacaroonKind) -> Res<LndClient> {
    client_with_timeout(node, kind, Duration::from_secs(10)).await
}

/// A client of `node` with the macaroon `kind`, no retries and the deadline `timeout`.
pub async fn client_with_timeout(node: &RunningNode, kind: MacaroonKind, timeout: Duration) -> Res<LndClient> {
    Ok(LndClient::connect(lnd_config(node, kind, timeout)).await?)
}

/// A CoinGecko look-alike answering `price` EUR/BTC (raw JSON number text) to its price path.
pub async fn coingecko_at(price: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(super::rates::CG_PATH))
        .respond_with(super::rates::json(super::rates::cg_body(price)))
        .mount(&server)
        .await;
    server
}

/// A rate service with the default settings asking only `server` (a CoinGecko stand-in, with a
/// demo key); its one answer is enough (`min_sources` 1), so quotes carry no "single source" mark.
pub fn rates_from(server: &MockServer) -> Arc<RateService> {
    Arc::new(
        RateService::new(RatesConfig {
            coingecko_base_url: Some(server.uri()),
            coingecko_api_key: Some(super::rates::CG_KEY.to_string().into()),
            min_sources: 1,
            ..super::rates::defaults_offline()
        })
        .expect("rates"),
    )
}

/// A client of `node` with `invoice.macaroon`, as a merchant's invoicing would use.
pub async fn invoice_client(node: &RunningNode) -> Res<LndClient> {
    client(node, MacaroonKind::Invoice).await
}

/// How many invoices the node behind `lnd` holds (up to 1000).
pub async fn node_invoice_count(lnd: &LndClient) -> usize {
    lnd.list_invoices(ListInvoiceRequest {
        num_max_invoices: 1000,
        ..Default::default()
    })
    .await
    .expect("list invoices")
    .invoices
    .len()
}

/// Invoices on `node` recorded in `store`, priced at the fallback rate.
pub async fn invoice_service(store: &Store, node: &RunningNode) -> Res<InvoiceService> {
    let rates = RateService::new(RatesConfig {
        coingecko_enabled: false,
        fallback_rate: Some(Decimal::from(45_000)),
        ..super::rates::defaults_offline()
    })?;
    Ok(InvoiceService::new(
        store.clone(),
        invoice_client(node).await?,
        Arc::new(rates),
        POLICY,
    ))
}

/// A simnode over a topology in a temporary directory, with an admin client of it.
pub struct TopologyNode {
    /// The temporary directory: the node's data in `simnode/`, room for a store or a home.
    pub dir: TempDir,
    /// The running node.
    pub node: RunningNode,
    /// A client of the node with `admin.macaroon`.
    pub admin: LndClient,
}

impl TopologyNode {
    /// Starts a simnode with the channels of `topology` in a new temporary directory.
    pub async fn start(topology: &str) -> Res<TopologyNode> {
        let dir = tempfile::tempdir()?;
        let node = start_node_with(dir.path(), topology).await?;
        let admin = client(&node, MacaroonKind::Admin).await?;
        Ok(TopologyNode { dir, node, admin })
    }

    /// The node's data directory, for `simnode::pay` and `simnode::fault`.
    pub fn simnode_dir(&self) -> PathBuf {
        self.dir.path().join("simnode")
    }

    /// A store in `dir/data`.
    pub async fn open_store(&self) -> Res<Store> {
        Ok(Store::open_in(&self.dir.path().join("data")).await?)
    }
}

/// The `openfatture` binary with a clean environment, its home at `home`, and the Lightning
/// settings of `node` with `admin.macaroon`.
pub fn openfatture_against(node: &RunningNode, home: &Path) -> Command {
    let mut cmd = super::openfatture(home);
    cmd.env("LIGHTNING_HOST", node.grpc_addr().to_string())
        .env("LIGHTNING_CERT_PATH", node.tls_cert_path())
        .env("LIGHTNING_MACAROON_PATH", node.macaroon_path(MacaroonKind::Admin));
    cmd
}
