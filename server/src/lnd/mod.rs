//! The port to LND: a gRPC client over TLS pinned to LND's `tls.cert`, authenticated with a
//! macaroon, with per-call deadlines, retries of idempotent reads and clear errors.

mod auth;
mod backups;
mod channel_events;
mod client;
mod error;
mod fees;
mod grants;
mod macaroons;
mod method;
mod permissions;
mod router;
mod tls;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use secrecy::SecretString;

pub use backups::BackupStream;
pub use channel_events::ChannelEventStream;
pub use client::{InvoiceStream, LndClient};
pub use error::LndError;
pub use grants::{macaroon_bytes, macaroon_grants, macaroon_root_key_id, MacaroonReadError};
pub use method::{Method, Permission};
pub use permissions::{gateway_permission_pairs, GATEWAY_METHODS, GATEWAY_PERMISSIONS};
pub use router::PaymentStream;
pub use tls::install_crypto_provider;

use error::ConnectFailure;

/// How to reach and authenticate to one LND node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LndConfig {
    /// gRPC `host:port`, e.g. `localhost:10009`.
    pub host: String,
    /// LND's `tls.cert` (PEM); exactly this certificate is accepted.
    pub tls_cert_path: PathBuf,
    /// The macaroon file (binary, as LND writes it).
    pub macaroon_path: PathBuf,
    /// Deadline of each call (and of each connection attempt).
    pub timeout: Duration,
    /// How many times an idempotent read is retried after the node was unreachable.
    pub max_retries: u32,
    /// Consecutive failed calls (node unreachable or too slow) that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker fails calls fast before letting one trial call through.
    pub breaker_open: Duration,
}

/// `lightning_circuit_breaker_failures`' default.
pub const DEFAULT_BREAKER_FAILURES: u32 = 5;
/// `lightning_circuit_breaker_timeout`'s default.
pub const DEFAULT_BREAKER_OPEN: Duration = Duration::from_secs(30);

/// State shared by the client handles, the connector and the macaroon interceptor.
pub(crate) struct Shared {
    cfg: LndConfig,
    /// Hex macaroon sent with every call; refreshed from the file on every (re)connect.
    macaroon: Arc<RwLock<SecretString>>,
    /// Why the last connection attempt failed, if it did.
    last_connect_failure: Mutex<Option<ConnectFailure>>,
    /// Opens after repeated unreachable/slow calls, so later calls fail fast until a trial works.
    breaker: crate::breaker::CircuitBreaker,
}

impl Shared {
    fn set_macaroon(&self, macaroon: SecretString) {
        if let Ok(mut slot) = self.macaroon.write() {
            *slot = macaroon;
        }
    }

    fn record_connect_result(&self, failure: Option<ConnectFailure>) {
        if let Ok(mut slot) = self.last_connect_failure.lock() {
            *slot = failure;
        }
    }

    /// Why the latest connection attempt failed; `None` once a connection succeeded.
    fn last_connect_failure(&self) -> Option<ConnectFailure> {
        self.last_connect_failure.lock().ok().and_then(|slot| slot.clone())
    }
}
