//! Errors talking to LND, with the messages users see (they name what is wrong and how to fix it).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tonic::{Code, Status};

use super::method::Method;

/// Everything that can go wrong between us and LND.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LndError {
    /// Recent calls found the node unreachable or too slow, so calls fail fast for a while.
    #[error("LND at {host} is not answering: after {failures} failed calls the circuit breaker is open and calls fail fast; the next try is in {retry_in_secs} s (lightning_circuit_breaker_timeout). Check that LND is running and reachable; this clears by itself once it answers")]
    CircuitOpen {
        /// `host:port`.
        host: String,
        /// `lightning_circuit_breaker_failures`.
        failures: u32,
        /// Seconds until one trial call is let through.
        retry_in_secs: u64,
    },
    /// A connection setting is missing.
    #[error("{key} is not set; configure LND with `openfatture config set {key} ...`, or run `openfatture serve`, which embeds a simulated node")]
    NotConfigured {
        /// The missing configuration key.
        key: &'static str,
    },
    /// The TLS certificate file cannot be read.
    #[error("cannot read the TLS certificate at {path} (lightning_cert_path): {reason}")]
    CertFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// The TLS certificate file holds no PEM certificate.
    #[error("the file at {path} (lightning_cert_path) is not a PEM certificate: {reason}; use LND's tls.cert")]
    CertInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The macaroon file cannot be read or is empty.
    #[error("Macaroon authentication failed: cannot read the macaroon at {path} (lightning_macaroon_path): {reason}")]
    MacaroonFile {
        /// The file.
        path: PathBuf,
        /// The OS error or why the content is unusable.
        reason: String,
    },
    /// The node cannot be reached (refused, unresolvable, reset).
    #[error("Failed to connect to LND at {host}: {cause}")]
    Connect {
        /// `host:port` we dialled.
        host: String,
        /// Why the connection failed.
        cause: String,
    },
    /// The node presented a certificate other than the one in lightning_cert_path.
    #[error("TLS certificate at {path} does not match the node at {host}; copy the node's current tls.cert and set lightning_cert_path to it")]
    TlsMismatch {
        /// The certificate file we trust.
        path: PathBuf,
        /// `host:port` of the node.
        host: String,
    },
    /// The TLS handshake failed for another reason.
    #[error("Failed to connect to LND at {host}: TLS handshake failed: {reason}")]
    Tls {
        /// `host:port` of the node.
        host: String,
        /// The TLS error.
        reason: String,
    },
    /// LND refused the macaroon (missing, from another node, or tampered with).
    #[error("Macaroon authentication failed: {detail}. Check lightning_macaroon_path ({path}): it must be a macaroon of this node, normally admin.macaroon")]
    Macaroon {
        /// LND's message.
        detail: String,
        /// The macaroon file we sent.
        path: PathBuf,
    },
    /// The macaroon is valid but lacks the permission a method needs.
    #[error("Permission denied for {method}: {hint}")]
    PermissionDenied {
        /// The refused method.
        method: &'static str,
        /// Which permission is missing and which macaroon to use.
        hint: String,
    },
    /// The call did not complete within the deadline.
    #[error("LND did not answer within {timeout_secs} s (lightning_timeout_seconds)")]
    Timeout {
        /// The deadline, in seconds.
        timeout_secs: u64,
    },
    /// The node has no invoice with this payment hash.
    #[error("the node has no invoice with payment hash {payment_hash}")]
    InvoiceNotFound {
        /// The payment hash, hex.
        payment_hash: String,
    },
    /// LND answered the call with an error.
    #[error("LND refused {method}: {message} (gRPC status {code:?})")]
    Rpc {
        /// The method.
        method: &'static str,
        /// The gRPC status code.
        code: Code,
        /// LND's message.
        message: String,
    },
}

impl LndError {
    /// Whether the node's settings are at fault (address unset, certificate, macaroon, permission)
    /// rather than the node or the network.
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            LndError::NotConfigured { .. }
                | LndError::CertFile { .. }
                | LndError::CertInvalid { .. }
                | LndError::MacaroonFile { .. }
                | LndError::TlsMismatch { .. }
                | LndError::Tls { .. }
                | LndError::Macaroon { .. }
                | LndError::PermissionDenied { .. }
        )
    }

    /// Whether retrying an idempotent read could help (the node was unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(self, LndError::Connect { .. })
    }

    /// An "invoice not found" error for `payment_hash_hex`.
    pub fn not_found(payment_hash_hex: &str) -> LndError {
        LndError::InvoiceNotFound {
            payment_hash: payment_hash_hex.to_string(),
        }
    }

    /// Whether the node said it has no such invoice (LookupInvoice / CancelInvoice).
    pub fn is_not_found(&self) -> bool {
        match self {
            LndError::InvoiceNotFound { .. } => true,
            LndError::Rpc { code, message, .. } => {
                *code == Code::NotFound
                    || message.contains("unable to locate invoice")
                    || message.contains("there are no existing invoices")
            }
            _ => false,
        }
    }

    /// Whether AddInvoice was refused because an invoice with that hash exists.
    pub fn is_already_exists(&self) -> bool {
        match self {
            LndError::Rpc { code, message, .. } => *code == Code::AlreadyExists || message.contains("already exists"),
            _ => false,
        }
    }

    /// Whether the call may or may not have taken effect on the node (deadline passed or the
    /// connection broke), so the caller must look before repeating a write.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, LndError::Timeout { .. } | LndError::Connect { .. })
            || matches!(
                self,
                LndError::Rpc {
                    code: Code::Cancelled | Code::Unavailable,
                    ..
                }
            )
    }

    /// The gRPC status code LND answered with, when the error is an answer from LND.
    pub fn code(&self) -> Option<Code> {
        match self {
            LndError::Rpc { code, .. } => Some(*code),
            LndError::Macaroon { .. } | LndError::PermissionDenied { .. } => Some(Code::Unknown),
            _ => None,
        }
    }
}

/// Why a single connection attempt failed (recorded by the connector, turned into [`LndError`]).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ConnectFailure {
    /// See [`LndError::CertFile`].
    #[error("cannot read the TLS certificate at {path}: {reason}")]
    CertFile { path: PathBuf, reason: String },
    /// See [`LndError::CertInvalid`].
    #[error("the file at {path} is not a PEM certificate: {reason}")]
    CertInvalid { path: PathBuf, reason: String },
    /// See [`LndError::MacaroonFile`].
    #[error("cannot read the macaroon at {path}: {reason}")]
    MacaroonFile { path: PathBuf, reason: String },
    /// TCP connect failed.
    #[error("{reason}")]
    Tcp { reason: String },
    /// The presented certificate is not the pinned one.
    #[error("the node's TLS certificate does not match {path}")]
    TlsMismatch { path: PathBuf },
    /// Another TLS failure.
    #[error("TLS handshake failed: {reason}")]
    Tls { reason: String },
}

impl ConnectFailure {
    /// The user-facing error for this failure when dialling `host`.
    pub(crate) fn into_lnd_error(self, host: &str) -> LndError {
        match self {
            ConnectFailure::CertFile { path, reason } => LndError::CertFile { path, reason },
            ConnectFailure::CertInvalid { path, reason } => LndError::CertInvalid { path, reason },
            ConnectFailure::MacaroonFile { path, reason } => LndError::MacaroonFile { path, reason },
            ConnectFailure::Tcp { reason } => LndError::Connect {
                host: host.to_string(),
                cause: reason,
            },
            ConnectFailure::TlsMismatch { path } => LndError::TlsMismatch {
                path,
                host: host.to_string(),
            },
            ConnectFailure::Tls { reason } => LndError::Tls {
                host: host.to_string(),
                reason,
            },
        }
    }
}

/// Turns a gRPC status from a call to `method` into the user-facing error.
/// `connect_failure` is what the connector recorded if the status stems from a failed (re)connect.
pub(crate) fn from_status(
    method: Method,
    status: &Status,
    host: &str,
    macaroon_path: &Path,
    timeout: Duration,
    connect_failure: Option<ConnectFailure>,
) -> LndError {
    let message = status.message();
    let lower = message.to_ascii_lowercase();
    if let Some(failure) = connect_failure.filter(|_| status.code() == Code::Unavailable) {
        return failure.into_lnd_error(host);
    }
    match status.code() {
        Code::DeadlineExceeded => {
            return LndError::Timeout {
                timeout_secs: timeout.as_secs(),
            }
        }
        Code::Cancelled if lower.contains("timeout expired") => {
            return LndError::Timeout {
                timeout_secs: timeout.as_secs(),
            }
        }
        Code::Unavailable => {
            return LndError::Connect {
                host: host.to_string(),
                cause: message.to_string(),
            }
        }
        _ => {}
    }
    if lower.contains("permission denied") {
        return LndError::PermissionDenied {
            method: method.name(),
            hint: method.missing_permission_hint(macaroon_path),
        };
    }
    let macaroon_refusal = [
        "verification failed",
        "expected 1 macaroon",
        "cannot get macaroon",
        "invalid macaroon",
        "macaroon",
    ]
    .iter()
    .any(|needle| lower.contains(needle));
    if macaroon_refusal
        && matches!(
            status.code(),
            Code::Unknown | Code::Unauthenticated | Code::PermissionDenied
        )
    {
        return LndError::Macaroon {
            detail: message.to_string(),
            path: macaroon_path.to_path_buf(),
        };
    }
    LndError::Rpc {
        method: method.name(),
        code: status.code(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: Status) -> LndError {
        from_status(
            Method::ListChannels,
            &status,
            "localhost:10009",
            Path::new("/lnd/invoice.macaroon"),
            Duration::from_secs(7),
            None,
        )
    }

    #[test]
    fn lnd_refusals_map_to_clear_errors() {
        let e = map(Status::unknown("expected 1 macaroon, got 0"));
        assert!(
            e.to_string()
                .starts_with("Macaroon authentication failed: expected 1 macaroon, got 0."),
            "{e}"
        );
        let e = map(Status::unknown(
            "verification failed: signature mismatch after caveat verification",
        ));
        assert!(matches!(e, LndError::Macaroon { .. }), "{e}");
        let e = map(Status::unknown("permission denied"));
        assert_eq!(
            e.to_string(),
            "Permission denied for ListChannels: the macaroon at /lnd/invoice.macaroon lacks offchain:read \
             (invoice.macaroon cannot list channels); use admin.macaroon or readonly.macaroon"
        );
        let e = map(Status::deadline_exceeded("deadline"));
        assert_eq!(
            e.to_string(),
            "LND did not answer within 7 s (lightning_timeout_seconds)"
        );
        let e = map(Status::unavailable("tcp connect error"));
        assert_eq!(
            e.to_string(),
            "Failed to connect to LND at localhost:10009: tcp connect error"
        );
        let e = map(Status::not_found("unable to locate invoice"));
        assert!(
            matches!(
                e,
                LndError::Rpc {
                    code: Code::NotFound,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.is_not_found());
        let e = map(Status::unknown("invoice with payment hash already exists"));
        assert!(e.is_already_exists() && !e.is_ambiguous(), "{e}");
        assert!(LndError::Timeout { timeout_secs: 1 }.is_ambiguous());
    }

    #[test]
    fn recorded_connect_failure_wins_for_unavailable() {
        let e = from_status(
            Method::GetInfo,
            &Status::unavailable("x"),
            "h:1",
            Path::new("/m"),
            Duration::from_secs(1),
            Some(ConnectFailure::TlsMismatch {
                path: PathBuf::from("/c/tls.cert"),
            }),
        );
        assert_eq!(
            e.to_string(),
            "TLS certificate at /c/tls.cert does not match the node at h:1; copy the node's current tls.cert and set lightning_cert_path to it"
        );
    }
}
