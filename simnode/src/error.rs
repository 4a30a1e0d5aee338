//! The crate's public error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can go wrong when starting, running or talking to a simnode.
#[derive(Debug, thiserror::Error)]
pub enum SimNodeError {
    /// A file or directory in the data directory could not be read or written.
    #[error("simnode: cannot {action} {path}: {source} (check the path and its permissions)")]
    Io {
        /// What we were doing ("read", "write", "create directory", ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A file in the data directory exists but its content is not what simnode wrote.
    #[error("simnode: {path} is corrupt: {reason} (delete the data directory to start afresh)")]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The topology file is missing, unreadable or describes impossible channels.
    #[error("simnode: topology {path}: {reason}")]
    Topology {
        /// The topology file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The gRPC or control listener could not be bound.
    #[error("simnode: cannot listen on {addr}: {source} (is another node using that port?)")]
    Bind {
        /// The address we tried to bind.
        addr: SocketAddr,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Creating or loading the TLS certificate or key failed.
    #[error("simnode: TLS setup failed: {0}")]
    Tls(String),
    /// Generating or loading the node key or the macaroon root key failed.
    #[error("simnode: key material: {0}")]
    Keys(String),
    /// The gRPC server stopped with an error.
    #[error("simnode: gRPC server failed: {0}")]
    Server(String),
    /// The control surface of a running node could not be reached.
    #[error("simnode: cannot reach the node's control surface at {url}: {reason} (is `simnode run --data-dir ...` running for this data directory?)")]
    ControlUnreachable {
        /// The control URL from `control.json`.
        url: String,
        /// Why the request failed.
        reason: String,
    },
    /// The running node refused a control request (bad arguments, bad token, ...).
    #[error("simnode: request refused: {0}")]
    Rejected(String),
    /// A payment failed the way it would fail against a real LND node.
    #[error("payment failed: {0}")]
    PaymentFailed(String),
}

impl SimNodeError {
    /// Shorthand for an [`SimNodeError::Io`] error.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SimNodeError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Shorthand for a [`SimNodeError::Corrupt`] error.
    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        SimNodeError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
