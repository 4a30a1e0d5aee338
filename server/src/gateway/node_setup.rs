//! Connecting the shop's own LND from the web app (the first-run guide's node step): the admin
//! gives the node's `host:port`, its `tls.cert` (PEM) and a macaroon (hex). The gateway tests
//! them with a real call, reads what the macaroon grants, and only then keeps the two files in
//! its data directory (owner-only) and points `lightning_host`, `lightning_cert_path` and
//! `lightning_macaroon_path` at them. A failed test changes nothing.
//!
//! These three keys stay CLI-only one by one (an admin session alone must never send the node's
//! existing macaroon to another host); here the host comes with the macaroon it is sent to.

use std::path::Path;
use std::time::Duration;

use app::model::{NodeCheck, SettingKind, SettingProblem, SettingRefusal};
use app::{AppError, Refusal};

use crate::config::{self, private_files, Settings, SettingsHub};
use crate::lnd::{macaroon_bytes, macaroon_grants, LndClient};

/// Folder of the uploaded node files inside the data directory.
pub(crate) const NODE_FILES_DIR: &str = "lnd";
/// Largest certificate accepted, bytes (LND's is under 1 KB).
const MAX_CERT_BYTES: usize = 16 * 1024;
/// Largest macaroon accepted as hex text, characters (LND's admin macaroon is about 500).
const MAX_MACAROON_HEX_CHARS: usize = 16 * 1024;
/// Deadline of the test call to the new node.
const TEST_CALL_TIMEOUT: Duration = Duration::from_secs(8);
/// What the gateway needs to take payments.
const PAYMENT_GRANTS: [&str; 3] = ["info:read", "invoices:read", "invoices:write"];

/// Tests and then keeps the node at `host`; see the module documentation.
pub(super) async fn connect_node(
    hub: &SettingsHub,
    host: &str,
    cert_pem: &str,
    macaroon_text: &str,
) -> Result<NodeCheck, AppError> {
    let host = host.trim();
    let key = |name: &str, kind| {
        AppError::Setting(SettingRefusal {
            key: name.to_string(),
            problem: SettingProblem::Invalid { kind },
        })
    };
    let host_key =
        config::find_key("lightning_host").ok_or_else(|| AppError::Invalid(Refusal::code("error.unexpected")))?;
    config::parse_value(host_key, host, None).map_err(|_| key("lightning_host", SettingKind::HostPort))?;
    let cert_pem = cert_pem.trim();
    if cert_pem.len() > MAX_CERT_BYTES || !cert_pem.starts_with("-----BEGIN CERTIFICATE-----") {
        return Err(AppError::Invalid(Refusal::code("error.node_connect.certificate")));
    }
    if macaroon_text.len() > MAX_MACAROON_HEX_CHARS {
        return Err(AppError::Invalid(Refusal::code("error.node_connect.macaroon_too_long")));
    }
    let macaroon = macaroon_bytes(macaroon_text.as_bytes()).map_err(|e| {
        tracing::info!("a pasted macaroon was refused: {e}");
        AppError::Invalid(Refusal::code("error.node_connect.macaroon_hex"))
    })?;
    let grants = macaroon_grants(&macaroon).map_err(|e| {
        tracing::info!("a pasted macaroon was refused: {e}");
        AppError::Invalid(Refusal::code("error.node_connect.macaroon_unreadable"))
    })?;
    let missing: Vec<&str> = PAYMENT_GRANTS
        .into_iter()
        .filter(|needed| !grants.iter().any(|g| g == needed))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Invalid(Refusal::new(
            "error.node_connect.macaroon_grants",
            &[("missing", &missing.join(", "))],
        )));
    }

    // Try the new files from a staging name, so the node in use is untouched until they work.
    let dir = hub.home().data_dir.join(NODE_FILES_DIR);
    private_files::ensure_private_dir(&dir).map_err(|e| unavailable(&dir, &e))?;
    let staged_cert = dir.join("tls.cert.new");
    let staged_macaroon = dir.join("gateway.macaroon.new");
    write_private(&staged_cert, cert_pem.as_bytes())?;
    write_private(&staged_macaroon, &macaroon)?;
    let tested = test_node(&hub.current(), host, &staged_cert, &staged_macaroon).await;
    let info = match tested {
        Ok(info) => info,
        Err(error) => {
            let _ = std::fs::remove_file(&staged_cert);
            let _ = std::fs::remove_file(&staged_macaroon);
            return Err(error);
        }
    };

    let cert_path = dir.join("tls.cert");
    let macaroon_path = dir.join("gateway.macaroon");
    for (from, to) in [(&staged_cert, &cert_path), (&staged_macaroon, &macaroon_path)] {
        std::fs::rename(from, to).map_err(|e| unavailable(to, &e))?;
    }
    // The files first, the host last: until the host changes, the node in use stays in use.
    for (name, value) in [
        ("lightning_cert_path", path_text(&cert_path)),
        ("lightning_macaroon_path", path_text(&macaroon_path)),
        ("lightning_host", host.to_string()),
    ] {
        hub.set(name, &value)?;
    }
    tracing::info!(%host, alias = %info.alias, "node connected from the web app");
    let has = |grant: &str| grants.iter().any(|g| g == grant);
    Ok(NodeCheck {
        host: host.to_string(),
        alias: info.alias,
        pubkey: info.identity_pubkey,
        version: info.version,
        network: info.chains.first().map(|c| c.network.clone()).unwrap_or_default(),
        can_take_payments: true,
        can_read_channels: has("offchain:read"),
        can_send: has("offchain:write"),
        grants,
        applied: false,
    })
}

/// One `GetInfo` on the node at `host` with these files, within [`TEST_CALL_TIMEOUT`].
async fn test_node(
    settings: &Settings,
    host: &str,
    cert: &Path,
    macaroon: &Path,
) -> Result<lnd_proto::lnrpc::GetInfoResponse, AppError> {
    let mut cfg = settings.lnd_config_at(host.to_string(), cert.to_path_buf(), macaroon.to_path_buf());
    cfg.timeout = TEST_CALL_TIMEOUT;
    cfg.max_retries = 0;
    let client = LndClient::connect_lazy(cfg).map_err(|e| {
        tracing::warn!(%host, "cannot set up a test connection to a new node: {e}");
        AppError::Invalid(Refusal::new("error.node_connect.refused", &[("host", host)]))
    })?;
    match tokio::time::timeout(TEST_CALL_TIMEOUT, client.get_info()).await {
        Ok(Ok(info)) => Ok(info),
        Ok(Err(e)) => {
            tracing::warn!(%host, "test connection to a new node failed: {e}");
            Err(AppError::Lightning(Refusal::new(
                "error.node_connect.refused",
                &[("host", host)],
            )))
        }
        Err(_) => Err(AppError::Lightning(Refusal::new(
            "error.node_connect.timeout",
            &[("host", host), ("secs", &TEST_CALL_TIMEOUT.as_secs().to_string())],
        ))),
    }
}

/// Writes `bytes` to a new owner-only file at `path` (replacing a leftover one).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let _ = std::fs::remove_file(path);
    private_files::create_private_file(path).map_err(|e| unavailable(path, &e))?;
    std::fs::write(path, bytes).map_err(|e| unavailable(path, &e))
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

fn unavailable(path: &Path, error: &std::io::Error) -> AppError {
    tracing::error!(path = %path.display(), "cannot write a node file: {error}");
    AppError::Unavailable(Refusal::code("error.data_dir"))
}
