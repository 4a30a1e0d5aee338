//! Starting and stopping a node: files, keys, the TLS gRPC server, the control surface and the
//! expiry watcher.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lnd_proto::invoicesrpc::invoices_server::InvoicesServer;
use lnd_proto::lnrpc::lightning_server::LightningServer;
use lnd_proto::routerrpc::router_server::RouterServer;
use lnd_proto::verrpc::versioner_server::VersionerServer;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};

use crate::control::ControlFile;
use crate::core::{now_ms, run_expiry_watcher, NodeCore};
use crate::error::SimNodeError;
use crate::faults::Faults;
use crate::files::{ensure_dir, read_optional, write_atomic, DataPaths};
use crate::grpc::gate::{GateLayer, GateShared};
use crate::grpc::invoices::InvoicesService;
use crate::grpc::lightning::LightningService;
use crate::grpc::router::RouterService;
use crate::grpc::version::VersionService;
use crate::journal::Journal;
use crate::keys::{random_32, NodeKeys};
use crate::ledger::Ledger;
use crate::macaroon::{self, MacaroonKind};
use crate::root_keys::RootKeys;
use crate::state::PersistedState;
use crate::{tls, topology};

/// LND's `DefaultHtlcHoldDuration`: unfinished MPP sets fail back after 120 s.
const DEFAULT_MPP_TIMEOUT_SECS: u64 = 120;
/// Environment variable overriding the MPP timeout (seconds), for tests.
pub const MPP_TIMEOUT_ENV: &str = "SIMNODE_MPP_TIMEOUT_SECS";
/// Alias reported by GetInfo when none is configured.
const DEFAULT_ALIAS: &str = "simnode";

/// How to start a node.
#[derive(Debug, Clone)]
pub struct SimNodeConfig {
    /// Data directory (LND layout: `tls.cert`, `data/chain/bitcoin/regtest/*.macaroon`, ...).
    pub data_dir: PathBuf,
    /// gRPC listen address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Topology TOML file, used only when the data directory has no state yet; `None` for the
    /// default three channels.
    pub topology: Option<PathBuf>,
    /// Alias reported by GetInfo (default "simnode").
    pub alias: Option<String>,
}

/// A started node. Dropping it stops the servers too, but only [`RunningNode::shutdown`]
/// waits for them to finish.
pub struct RunningNode {
    grpc_addr: SocketAddr,
    paths: DataPaths,
    pubkey_hex: String,
    control_url: String,
    core: Arc<NodeCore>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNode")
            .field("grpc_addr", &self.grpc_addr)
            .field("data_dir", &self.paths.root)
            .field("pubkey", &self.pubkey_hex)
            .finish_non_exhaustive()
    }
}

impl RunningNode {
    /// The address the gRPC (TLS) server listens on.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// `DIR/tls.cert`: the certificate clients must trust.
    pub fn tls_cert_path(&self) -> PathBuf {
        self.paths.tls_cert()
    }

    /// `DIR/data/chain/bitcoin/regtest/{admin,invoice,readonly}.macaroon`.
    pub fn macaroon_path(&self, kind: MacaroonKind) -> PathBuf {
        self.paths.macaroon_dir().join(kind.file_name())
    }

    /// The node's identity public key (33 bytes, hex).
    pub fn node_pubkey_hex(&self) -> String {
        self.pubkey_hex.clone()
    }

    /// Base URL of the control surface (`http://127.0.0.1:PORT`).
    pub fn control_url(&self) -> String {
        self.control_url.clone()
    }

    /// Stops the node: ends open streams, stops the servers and waits for them. State is
    /// already persisted after every change.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        for task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                tracing::warn!("simnode: a server task did not stop within 5 s");
            }
        }
        let control = self.paths.control_file();
        if let Err(e) = std::fs::remove_file(&control) {
            tracing::debug!(error = %e, "simnode: cannot remove control.json");
        }
    }

    fn signal_stop(&self) {
        self.core.faults.end_streams();
        self.core.ledger().drop_subscribers();
        self.stop.send_replace(true);
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        if !self.tasks.is_empty() {
            self.signal_stop();
        }
    }
}

/// Starts a node: creates or reuses its data directory, then serves gRPC (TLS) and the
/// control surface until [`RunningNode::shutdown`].
pub async fn start(cfg: SimNodeConfig) -> Result<RunningNode, SimNodeError> {
    // rustls needs a process-wide crypto provider; another part of the process may have
    // installed one already, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let paths = DataPaths::new(&cfg.data_dir);
    ensure_dir(&paths.root)?;
    ensure_dir(&paths.private_dir())?;
    let tls_material = tls::load_or_create(&paths)?;
    let keys = Arc::new(NodeKeys::load_or_create(&paths)?);
    write_macaroons(&paths, &keys)?;

    let (stored, mut journal) = Journal::open(&paths.state_file())?;
    let state = match stored {
        Some(state) => {
            if cfg.topology.is_some() {
                tracing::info!(
                    "simnode: existing state found; the topology file is only read for a fresh data directory"
                );
            }
            state
        }
        None => {
            let channels = topology::load(cfg.topology.as_deref(), now_ms() / 1000)?;
            let state = PersistedState::fresh(channels);
            journal.snapshot(&state)?;
            state
        }
    };
    let mpp_timeout_secs = std::env::var(MPP_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_MPP_TIMEOUT_SECS);
    let mpp_timeout_ms = i64::try_from(mpp_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let ledger = Ledger::new(state, journal, keys.clone(), mpp_timeout_ms);
    let faults = Arc::new(Faults::new());
    let alias = cfg
        .alias
        .clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| DEFAULT_ALIAS.to_string());
    let root_keys = Arc::new(RootKeys::load(&paths, keys.clone())?);
    let core = Arc::new(NodeCore::new(ledger, keys.clone(), root_keys, alias, faults.clone()));

    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    // gRPC over TLS.
    let listener = TcpListener::bind(cfg.listen).await.map_err(|e| SimNodeError::Bind {
        addr: cfg.listen,
        source: e,
    })?;
    let grpc_addr = listener.local_addr().map_err(|e| SimNodeError::Bind {
        addr: cfg.listen,
        source: e,
    })?;
    let identity = {
        use secrecy::ExposeSecret;
        Identity::from_pem(&tls_material.cert_pem, tls_material.key_pem.expose_secret())
    };
    let server = Server::builder()
        .tls_config(ServerTlsConfig::new().identity(identity))
        .map_err(|e| SimNodeError::Tls(e.to_string()))?
        .layer(GateLayer::new(GateShared {
            faults: faults.clone(),
            root_keys: core.root_keys.clone(),
        }))
        .add_service(LightningServer::new(LightningService { core: core.clone() }))
        .add_service(InvoicesServer::new(InvoicesService { core: core.clone() }))
        .add_service(RouterServer::new(RouterService { core: core.clone() }))
        .add_service(VersionerServer::new(VersionService));
    let grpc_stop = wait_for_stop(stop_rx.clone());
    tasks.push(tokio::spawn(async move {
        if let Err(e) = server
            // LND (Go) sets TCP_NODELAY on every connection; without it each small response waits for
            // the client's delayed ACK (about 40 ms per call).
            .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), grpc_stop)
            .await
        {
            tracing::error!(error = %e, "simnode: gRPC server stopped with an error");
        }
    }));

    // Control surface.
    let control_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let control_listener = TcpListener::bind(control_addr).await.map_err(|e| SimNodeError::Bind {
        addr: control_addr,
        source: e,
    })?;
    let control_port = control_listener
        .local_addr()
        .map_err(|e| SimNodeError::Bind {
            addr: control_addr,
            source: e,
        })?
        .port();
    let control_url = format!("http://127.0.0.1:{control_port}");
    let token = hex::encode(random_32());
    let control_file = ControlFile {
        url: control_url.clone(),
        token: token.clone(),
    };
    let control_json = serde_json::to_vec_pretty(&control_file)
        .map_err(|e| SimNodeError::corrupt(paths.control_file(), e.to_string()))?;
    write_atomic(&paths.control_file(), &control_json, true)?;
    let app = crate::control::server::router(core.clone(), SecretString::from(token));
    let control_stop = wait_for_stop(stop_rx.clone());
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(control_listener, app)
            .with_graceful_shutdown(control_stop)
            .await
        {
            tracing::error!(error = %e, "simnode: control server stopped with an error");
        }
    }));

    tasks.push(tokio::spawn(run_expiry_watcher(core.clone(), stop_rx)));

    let pubkey_hex = core.pubkey_hex();
    tracing::info!(%grpc_addr, pubkey = %pubkey_hex, data_dir = %paths.root.display(), "simnode: started");
    Ok(RunningNode {
        grpc_addr,
        paths,
        pubkey_hex,
        control_url,
        core,
        stop,
        tasks,
    })
}

/// Completes when `stop` turns true (or its sender is gone).
async fn wait_for_stop(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Writes LND's three macaroon files if absent, or if they no longer verify against the root
/// key (e.g. the key file was replaced).
fn write_macaroons(paths: &DataPaths, keys: &NodeKeys) -> Result<(), SimNodeError> {
    let dir = paths.macaroon_dir();
    ensure_dir(&dir)?;
    for kind in MacaroonKind::ALL {
        let path = dir.join(kind.file_name());
        if existing_macaroon_valid(&path, keys)? {
            continue;
        }
        write_atomic(&path, &macaroon::mint(kind, keys.macaroon_root_key()), true)?;
    }
    Ok(())
}

fn existing_macaroon_valid(path: &Path, keys: &NodeKeys) -> Result<bool, SimNodeError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(false);
    };
    let hex_text = hex::encode(bytes);
    let valid = macaroon::verify_metadata(&[hex_text.as_bytes()], keys.macaroon_root_key()).is_ok();
    if !valid {
        tracing::warn!(path = %path.display(), "simnode: macaroon does not match the root key; writing a new one");
    }
    Ok(valid)
}
