//! The gateway's Lightning node: the configured LND, or an embedded simnode started for this
//! process. Either way it is reached through [`LndClient`] over TLS with a macaroon.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Settings;
use crate::lnd::{LndClient, LndConfig};

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
        /// Its data directory.
        data_dir: PathBuf,
        /// Whether the data directory is temporary (deleted on exit).
        temporary: bool,
    },
}

/// An embedded simnode and what must live as long as it does.
struct Embedded {
    node: simnode::RunningNode,
    /// Deleted on drop, i.e. after the node has stopped.
    _temp_dir: Option<tempfile::TempDir>,
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
    pub(crate) async fn open(
        settings: &Settings,
        simnode_data_dir: Option<&Path>,
    ) -> Result<Self, GatewayError> {
        match settings.lightning_host {
            None => Self::open_embedded(settings, simnode_data_dir).await,
            Some(_) => Self::open_configured(settings),
        }
    }

    fn open_configured(settings: &Settings) -> Result<Self, GatewayError> {
        let cfg = LndConfig::from_settings(settings).map_err(GatewayError::Lnd)?;
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

    async fn open_embedded(
        settings: &Settings,
        simnode_data_dir: Option<&Path>,
    ) -> Result<Self, GatewayError> {
        let (data_dir, temp_dir) = match simnode_data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| GatewayError::DataDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
                (dir.to_path_buf(), None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("openfatture-simnode-")
                    .tempdir()
                    .map_err(|source| GatewayError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let node = simnode::start(simnode::SimNodeConfig {
            data_dir: data_dir.clone(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            topology: None,
            alias: None,
        })
        .await?;
        let host = node.grpc_addr().to_string();
        let cfg = LndConfig {
            host: host.clone(),
            tls_cert_path: node.tls_cert_path(),
            macaroon_path: node.macaroon_path(simnode::MacaroonKind::Admin),
            timeout: Duration::from_secs(settings.timeout_secs),
            max_retries: settings.max_retries,
        };
        let client = match LndClient::connect(cfg).await {
            Ok(client) => client,
            Err(e) => {
                node.shutdown().await;
                return Err(GatewayError::EmbeddedNode(e));
            }
        };
        tracing::info!(%host, data_dir = %data_dir.display(), "embedded simulated node started");
        Ok(NodeConnection {
            client,
            kind: NodeKind::Embedded {
                host,
                data_dir,
                temporary: temp_dir.is_some(),
            },
            embedded: Some(Embedded {
                node,
                _temp_dir: temp_dir,
            }),
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

    /// `host:port` of the node's gRPC endpoint.
    pub(crate) fn host(&self) -> &str {
        match &self.kind {
            NodeKind::Lnd { host } | NodeKind::Embedded { host, .. } => host,
        }
    }

    /// Whether this is the embedded simulated node.
    pub(crate) fn simulated(&self) -> bool {
        matches!(self.kind, NodeKind::Embedded { .. })
    }

    /// Stops the embedded node (if any) and then removes its temporary data directory.
    pub(crate) async fn shutdown(self) {
        if let Some(Embedded { node, _temp_dir }) = self.embedded {
            node.shutdown().await;
            tracing::info!("embedded simulated node stopped");
            drop(_temp_dir);
        }
    }
}
