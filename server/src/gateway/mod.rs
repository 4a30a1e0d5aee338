//! The web gateway: serves the single-page app, its `/pkg` assets and `public/` files, and the
//! server functions at `/api/{fn}`, backed by a connection to LND — or, when no `lightning_host`
//! is configured, to an embedded simulated node (simnode) reached over TLS + macaroon exactly
//! like a real LND.

mod backend;
mod error;
mod lightning;
mod routes;
mod site;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Home, Settings};
use crate::store::Store;
use crate::tracker::{PaymentTracking, TrackerConfig};
use crate::webhooks::DispatcherConfig;

pub use error::GatewayError;
pub use lightning::NodeKind;
pub use site::{site_root_from_env, SITE_ROOT_ENV};

/// Folder of the embedded simnode inside the data directory.
pub const SIMNODE_DIR: &str = "simnode";

/// How long in-flight requests get to finish after a shutdown was requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Options of `openfatture serve`.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// Address the web UI listens on.
    pub listen: SocketAddr,
    /// Data directory of the embedded simnode; `None` means `simnode/` in the data directory.
    pub simnode_data_dir: Option<PathBuf>,
}

/// A started gateway: the web server and the node connection behind it.
pub struct RunningGateway {
    local_addr: SocketAddr,
    node: lightning::NodeConnection,
    store: Store,
    tracking: PaymentTracking,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningGateway {
    /// The address the web server listens on (the real port when `:0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Which node the gateway talks to.
    pub fn node_kind(&self) -> &NodeKind {
        self.node.kind()
    }

    /// Stops the web server (letting in-flight requests finish) and then the embedded node, if any.
    pub async fn shutdown(self) -> Result<(), GatewayError> {
        let RunningGateway {
            node,
            store,
            tracking,
            stop,
            mut server,
            ..
        } = self;
        // The server may already have stopped; then nobody listens and that is fine.
        let _ = stop.send(());
        let result = match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
            Ok(joined) => flatten_server_result(joined),
            Err(_elapsed) => {
                tracing::warn!(
                    "web server did not finish its requests within {} s; closing them",
                    SHUTDOWN_GRACE.as_secs()
                );
                server.abort();
                Ok(())
            }
        };
        tracking.stop().await;
        store.close().await;
        node.shutdown().await;
        result
    }
}

fn flatten_server_result(
    joined: Result<std::io::Result<()>, tokio::task::JoinError>,
) -> Result<(), GatewayError> {
    match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(GatewayError::Serve(e)),
        Err(e) => Err(GatewayError::ServerTask(e.to_string())),
    }
}

/// Binds `args.listen`, connects to the node (starting the embedded simnode when `lightning_host`
/// is not set) and starts serving the site found at `site_root`. Returns once the server accepts
/// connections.
pub async fn start(
    settings: &Settings,
    home: &Home,
    args: ServeArgs,
    site_root: PathBuf,
) -> Result<RunningGateway, GatewayError> {
    crate::lnd::install_crypto_provider();
    tracing::debug!(data_dir = %home.data_dir.display(), "gateway starting");
    // Bind first: a busy address fails before any node is started.
    let bind_error = |source| GatewayError::Bind {
        addr: args.listen,
        source,
    };
    let listener = TcpListener::bind(args.listen).await.map_err(bind_error)?;
    let local_addr = listener.local_addr().map_err(bind_error)?;
    let simnode_dir = args.simnode_data_dir.clone().unwrap_or_else(|| home.data_dir.join(SIMNODE_DIR));
    let node = lightning::NodeConnection::open(settings, &simnode_dir).await?;
    let store = match crate::context::open_store(home).await {
        Ok(store) => store,
        Err(e) => {
            node.shutdown().await;
            return Err(GatewayError::Services(e.to_string()));
        }
    };
    // One tracker turns node updates into events and webhooks while the gateway runs.
    let tracking = match PaymentTracking::start(
        store.clone(),
        node.client().clone(),
        settings,
        TrackerConfig::default(),
        DispatcherConfig::default(),
    )
    .await
    {
        Ok(tracking) => tracking,
        Err(e) => {
            store.close().await;
            node.shutdown().await;
            return Err(GatewayError::Services(e.to_string()));
        }
    };

    let site = site::Site::new(site_root);
    if !site.is_built() {
        tracing::warn!(site_root = %site.root().display(), "the web UI is not built; pages will say how to build it");
    }
    let rates = match crate::rates::RateService::new(crate::context::rates_config(settings)) {
        Ok(rates) => std::sync::Arc::new(rates),
        Err(e) => {
            tracking.stop().await;
            store.close().await;
            node.shutdown().await;
            return Err(GatewayError::Services(e.to_string()));
        }
    };
    let router = routes::router(backend::handle(&node, rates), site);
    let (stop, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    tracing::info!(%local_addr, "web server listening");
    Ok(RunningGateway {
        local_addr,
        node,
        store,
        tracking,
        stop,
        server,
    })
}

/// Runs `openfatture serve`: starts the gateway, prints where it is, and serves until Ctrl-C or
/// SIGTERM, then shuts down gracefully (the embedded node included).
pub async fn serve(settings: Settings, home: Home, args: ServeArgs) -> Result<(), GatewayError> {
    let site_root = site_root_from_env();
    let mut gateway = start(&settings, &home, args, site_root.clone()).await?;

    match gateway.node_kind() {
        NodeKind::Embedded { host, data_dir } => {
            println!(
                "No lightning_host configured: started the embedded simulated node (simnode) at {host}, data in {}",
                data_dir.display()
            );
            println!(
                "Pay its invoices as a customer would: openfatture simnode pay --data-dir {} BOLT11",
                data_dir.display()
            );
        }
        NodeKind::Lnd { host } => println!("Using LND at {host}"),
    }
    if !site::Site::new(site_root.clone()).is_built() {
        println!(
            "Warning: the web UI is not built (no site at {}); build it with `bash scripts/run.sh` \
             (or `cargo leptos build --release`)",
            site_root.display()
        );
    }
    println!("OpenFatture Lightning on http://{}", gateway.local_addr());

    let signalled = tokio::select! {
        signal = shutdown_signal() => signal,
        joined = &mut gateway.server => {
            // The server stopped on its own: stop the node, then report why.
            let result = flatten_server_result(joined);
            gateway.tracking.stop().await;
            gateway.store.close().await;
            gateway.node.shutdown().await;
            return result.and(Err(GatewayError::ServerTask("the web server stopped unexpectedly".into())));
        }
    };
    println!("Shutting down…");
    let stopped = gateway.shutdown().await;
    signalled.and(stopped)
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() -> Result<(), GatewayError> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(GatewayError::Signal)?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c.map_err(GatewayError::Signal),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(GatewayError::Signal)
    }
}
