//! The gateway's Lightning node: the configured LND, or an embedded simnode started for this
//! process. Either way it is reached through [`LndClient`] over TLS with a macaroon.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::lnd::LndClient;

use super::error::GatewayError;

/// Which node the gateway talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// An LND configured with `lightning_host`.
    Lnd {
        /// `host:port` of its gRPC endpoint.
        host: String,
    },
    /// The embedded simulated node started by the gateway.
    Embedded {
        /// `127.0.0.1:PORT` of its gRPC endpoint.
        host: String,
        /// Its data directory (kept, so a restart finds its invoices again).
        data_dir: PathBuf,
    },
}

/// The embedded simnode.
struct Embedded {
    node: simnode::RunningNode,
    /// How CLI commands in the same home can reach it.
    announcement: crate::config::EmbeddedNode,
}

/// The connected node: a client plus, for the embedded node, the node itself.
pub(crate) struct NodeConnection {
    client: LndClient,
    kind: NodeKind,
    embedded: Option<Embedded>,
}

impl NodeConnection {
    /// Starts the embedded simnode when `lightning_host` is unset and connects to it; otherwise
    /// prepares the client for the configured LND (the node itself may come up later).
    pub(crate) async fn open(settings: &Settings, simnode_data_dir: &Path) -> Result<Self, GatewayError> {
        match settings.lightning_host {
            None => Self::open_embedded(settings, simnode_data_dir).await,
            Some(_) => Self::open_configured(settings),
        }
    }

    fn open_configured(settings: &Settings) -> Result<Self, GatewayError> {
        let cfg = settings.lnd_config().map_err(GatewayError::Lnd)?;
        let host = cfg.host.clone();
        // Reads the certificate and macaroon now (so a wrong path fails at start-up); connects on
        // first use, so the gateway can start before LND and the UI shows connection errors.
        let client = LndClient::connect_lazy(cfg).map_err(GatewayError::Lnd)?;
        tracing::info!(%host, "using the configured LND node");
        Ok(NodeConnection {
            client,
            kind: NodeKind::Lnd { host },
            embedded: None,
        })
    }

    async fn open_embedded(settings: &Settings, data_dir: &Path) -> Result<Self, GatewayError> {
        // Owner-only (0700): the node's TLS key and macaroons live here.
        crate::config::private_files::ensure_private_dir(data_dir).map_err(|source| GatewayError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        // Keys and macaroons an older version may have left readable by others.
        crate::config::private_files::tighten_files_under(data_dir).map_err(|source| GatewayError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let data_dir = data_dir.to_path_buf();
        let node = simnode::start(simnode::SimNodeConfig {
            data_dir: data_dir.clone(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            topology: None,
            alias: None,
        })
        .await?;
        let host = node.grpc_addr().to_string();
        let cfg = settings.lnd_config_at(
            host.clone(),
            node.tls_cert_path(),
            node.macaroon_path(simnode::MacaroonKind::Admin),
        );
        let client = match LndClient::connect(cfg).await {
            Ok(client) => client,
            Err(e) => {
                node.shutdown().await;
                return Err(GatewayError::EmbeddedNode(e));
            }
        };
        tracing::info!(%host, data_dir = %data_dir.display(), "embedded simulated node started");
        let announcement = crate::config::EmbeddedNode {
            host: host.clone(),
            tls_cert_path: node.tls_cert_path(),
            macaroon_path: node.macaroon_path(simnode::MacaroonKind::Admin),
        };
        Ok(NodeConnection {
            client,
            kind: NodeKind::Embedded { host, data_dir },
            embedded: Some(Embedded { node, announcement }),
        })
    }

    /// The LND client (shared connection; cheap to clone).
    pub(crate) fn client(&self) -> &LndClient {
        &self.client
    }

    /// Which node this is.
    pub(crate) fn kind(&self) -> &NodeKind {
        &self.kind
    }

    /// Whether this is the embedded simulated node.
    pub(crate) fn simulated(&self) -> bool {
        matches!(self.kind, NodeKind::Embedded { .. })
    }

    /// For the embedded node: where it listens, for `embedded-node.json`.
    pub(crate) fn announcement(&self) -> Option<&crate::config::EmbeddedNode> {
        self.embedded.as_ref().map(|e| &e.announcement)
    }

    /// Stops the embedded node, if any.
    pub(crate) async fn shutdown(self) {
        if let Some(Embedded { node, .. }) = self.embedded {
            node.shutdown().await;
            tracing::info!("embedded simulated node stopped");
        }
    }
}
