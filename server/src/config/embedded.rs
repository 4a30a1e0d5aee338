//! `embedded-node.json` in the data directory: where the simulated node embedded by a running
//! `openfatture serve` listens, so CLI commands in the same home use it when no `lightning_host`
//! is configured. Written by the gateway at start, removed at shutdown.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name inside the data directory.
pub const EMBEDDED_NODE_FILE: &str = "embedded-node.json";

/// How to reach the embedded node (no secrets: paths only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedNode {
    /// gRPC `host:port`.
    pub host: String,
    /// The node's `tls.cert`.
    pub tls_cert_path: PathBuf,
    /// The admin macaroon.
    pub macaroon_path: PathBuf,
}

impl EmbeddedNode {
    /// The announcement in `data_dir`, if a gateway wrote one (unreadable files count as none).
    pub fn read(data_dir: &Path) -> Option<EmbeddedNode> {
        let text = std::fs::read_to_string(data_dir.join(EMBEDDED_NODE_FILE)).ok()?;
        match serde_json::from_str(&text) {
            Ok(node) => Some(node),
            Err(e) => {
                tracing::debug!("ignoring {EMBEDDED_NODE_FILE}: {e}");
                None
            }
        }
    }

    /// Announces the node in `data_dir` (atomically).
    pub fn write(&self, data_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let tmp = data_dir.join(format!("{EMBEDDED_NODE_FILE}.tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, data_dir.join(EMBEDDED_NODE_FILE))
    }

    /// Withdraws the announcement.
    pub fn remove(data_dir: &Path) {
        let _ = std::fs::remove_file(data_dir.join(EMBEDDED_NODE_FILE));
    }
}
