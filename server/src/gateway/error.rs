//! What can stop the gateway from starting or running.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::auth::AuthError;
use crate::lnd::LndError;
use crate::rates::RatesConfigError;
use crate::store::StoreError;
use crate::webhooks::WebhookError;

/// Errors of `openfatture serve`; each says what failed and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The data directory for the embedded simulated node could not be created.
    #[error("cannot create the data directory {path} for the embedded simulated node: {source}; choose another with --data-dir")]
    DataDir {
        /// The directory (or its parent, for a temporary one).
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The embedded simulated node failed to start.
    #[error("cannot start the embedded simulated node (simnode): {0}")]
    Simnode(#[from] simnode::SimNodeError),
    /// The embedded simulated node started but the LND client could not use it.
    #[error("the embedded simulated node started but does not answer: {0}")]
    EmbeddedNode(LndError),
    /// The configured LND node cannot be used (missing setting, unreadable certificate or macaroon).
    #[error("cannot use the configured LND node: {0}")]
    Lnd(LndError),
    /// The web server's address could not be bound.
    #[error("cannot listen on {addr}: {source}; choose another address with --listen")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The web server failed while running.
    #[error("the web server failed: {0}")]
    Serve(std::io::Error),
    /// The web server task ended abnormally.
    #[error("the web server task ended abnormally: {0}")]
    ServerTask(String),
    /// The database could not be opened or read (also by the live event feed).
    #[error("cannot start the gateway's services: {0}")]
    Store(#[from] StoreError),
    /// The rate settings do not fit together.
    #[error("cannot start the gateway's services: {0}")]
    Rates(#[from] RatesConfigError),
    /// The webhook settings are incomplete, or the payment tracker could not start.
    #[error("cannot start the gateway's services: {0}")]
    Webhooks(#[from] WebhookError),
    /// The first staff account could not be created or looked up.
    #[error("cannot start the gateway's services: {0}")]
    Auth(#[from] AuthError),
    /// The HTTPS settings are incomplete or the files are unusable.
    #[error("cannot serve HTTPS: {0}")]
    Tls(String),
    /// A gateway setting is unusable (the message names it and the fix).
    #[error("{0}")]
    Config(String),
    /// The Ctrl-C / SIGTERM handler could not be installed.
    #[error("cannot listen for Ctrl-C/SIGTERM: {0}")]
    Signal(std::io::Error),
}
