//! A tower layer in front of every gRPC call: injected faults first (latency, UNAVAILABLE),
//! then LND's macaroon check against the method's required permissions.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::Body;
use tonic::Status;
use tower::{Layer, Service};

use crate::faults::Faults;
use crate::macaroon::{verify_metadata_with, AuthError};
use crate::root_keys::RootKeys;

const INFO_READ: &[(&str, &str)] = &[("info", "read")];
const OFFCHAIN_READ: &[(&str, &str)] = &[("offchain", "read")];
const OFFCHAIN_WRITE: &[(&str, &str)] = &[("offchain", "write")];
const INVOICES_READ: &[(&str, &str)] = &[("invoices", "read")];
const INVOICES_WRITE: &[(&str, &str)] = &[("invoices", "write")];
const ONCHAIN_READ: &[(&str, &str)] = &[("onchain", "read")];
const PEERS_READ: &[(&str, &str)] = &[("peers", "read")];

/// Every method simnode serves with the permissions LND 0.21 requires for it (`rpcserver.go`
/// `MainRPCServerPermissions` and the sub-servers' `macPermissions`).
pub(crate) const METHOD_PERMISSIONS: &[(&str, &[(&str, &str)])] = &[
    ("/lnrpc.Lightning/GetInfo", INFO_READ),
    ("/lnrpc.Lightning/DescribeGraph", INFO_READ),
    ("/lnrpc.Lightning/GetNodeInfo", INFO_READ),
    ("/lnrpc.Lightning/GetNetworkInfo", INFO_READ),
    ("/lnrpc.Lightning/ListPermissions", INFO_READ),
    ("/lnrpc.Lightning/ChannelBalance", OFFCHAIN_READ),
    ("/lnrpc.Lightning/ListChannels", OFFCHAIN_READ),
    ("/lnrpc.Lightning/DecodePayReq", OFFCHAIN_READ),
    ("/lnrpc.Lightning/PendingChannels", OFFCHAIN_READ),
    ("/lnrpc.Lightning/ClosedChannels", OFFCHAIN_READ),
    ("/lnrpc.Lightning/FeeReport", OFFCHAIN_READ),
    ("/lnrpc.Lightning/ForwardingHistory", OFFCHAIN_READ),
    ("/lnrpc.Lightning/SubscribeChannelEvents", OFFCHAIN_READ),
    ("/lnrpc.Lightning/ListPayments", OFFCHAIN_READ),
    ("/lnrpc.Lightning/ExportAllChannelBackups", OFFCHAIN_READ),
    ("/lnrpc.Lightning/VerifyChanBackup", OFFCHAIN_READ),
    ("/lnrpc.Lightning/SubscribeChannelBackups", OFFCHAIN_READ),
    ("/lnrpc.Lightning/WalletBalance", ONCHAIN_READ),
    ("/lnrpc.Lightning/GetTransactions", ONCHAIN_READ),
    ("/lnrpc.Lightning/ListUnspent", ONCHAIN_READ),
    ("/lnrpc.Lightning/ListPeers", PEERS_READ),
    ("/lnrpc.Lightning/AddInvoice", INVOICES_WRITE),
    ("/lnrpc.Lightning/LookupInvoice", INVOICES_READ),
    ("/lnrpc.Lightning/ListInvoices", INVOICES_READ),
    ("/lnrpc.Lightning/SubscribeInvoices", INVOICES_READ),
    ("/invoicesrpc.Invoices/CancelInvoice", INVOICES_WRITE),
    ("/invoicesrpc.Invoices/AddHoldInvoice", INVOICES_WRITE),
    ("/invoicesrpc.Invoices/SettleInvoice", INVOICES_WRITE),
    ("/invoicesrpc.Invoices/LookupInvoiceV2", INVOICES_READ),
    ("/invoicesrpc.Invoices/SubscribeSingleInvoice", INVOICES_READ),
    ("/lnrpc.Lightning/UpdateChannelPolicy", OFFCHAIN_WRITE),
    ("/lnrpc.Lightning/BakeMacaroon", &[("macaroon", "generate")]),
    ("/lnrpc.Lightning/DeleteMacaroonID", &[("macaroon", "write")]),
    ("/lnrpc.Lightning/CheckMacaroonPermissions", &[("macaroon", "read")]),
    ("/routerrpc.Router/SendPaymentV2", OFFCHAIN_WRITE),
    ("/routerrpc.Router/TrackPaymentV2", OFFCHAIN_READ),
    ("/routerrpc.Router/SubscribeHtlcEvents", OFFCHAIN_READ),
    ("/lnrpc.Lightning/QueryRoutes", INFO_READ),
    ("/lnrpc.Lightning/SubscribeChannelGraph", INFO_READ),
    ("/verrpc.Versioner/GetVersion", INFO_READ),
];

/// The permissions LND requires for `path`, if simnode serves it.
pub(crate) fn required_permissions(path: &str) -> Option<&'static [(&'static str, &'static str)]> {
    METHOD_PERMISSIONS
        .iter()
        .find(|(method, _)| *method == path)
        .map(|(_, permissions)| *permissions)
}

/// The gRPC services simnode registers.
const SERVICES: [&str; 4] = [
    "lnrpc.Lightning",
    "invoicesrpc.Invoices",
    "routerrpc.Router",
    "verrpc.Versioner",
];

/// What grpc-go answers for a method the server does not register: UNIMPLEMENTED, before any
/// interceptor (so before LND's macaroon check) runs.
fn unimplemented(path: &str) -> Status {
    let trimmed = path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some((service, method)) if SERVICES.contains(&service) => {
            Status::unimplemented(format!("unknown method {method} for service {service}"))
        }
        Some((service, _)) => Status::unimplemented(format!("unknown service {service}")),
        _ => Status::unimplemented(format!("malformed method name: {path:?}")),
    }
}

/// Checks the call's `macaroon` metadata; the error is the status LND would answer.
fn authorize(headers: &http::HeaderMap, path: &str, root_keys: &RootKeys) -> Result<(), Status> {
    // A method simnode does not serve never reaches LND's permission check.
    let required = required_permissions(path).ok_or_else(|| unimplemented(path))?;
    let values: Vec<&[u8]> = headers.get_all("macaroon").iter().map(|v| v.as_bytes()).collect();
    let grants = verify_metadata_with(&values, |id| root_keys.get(id)).map_err(|e| Status::unknown(e.to_string()))?;
    if grants.allows(required, path) {
        Ok(())
    } else {
        Err(Status::unknown(AuthError::PermissionDenied.to_string()))
    }
}

/// How much earlier than the caller's deadline an injected delay answers DEADLINE_EXCEEDED.
/// (Generous, so a busy machine that wakes this future late still answers before tonic does.)
const DEADLINE_MARGIN: Duration = Duration::from_millis(25);

/// The call's `grpc-timeout` header (gRPC over HTTP/2 spec: up to 8 digits and a unit).
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let text = headers.get("grpc-timeout")?.to_str().ok()?;
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value.checked_mul(3600)?),
        "M" => Duration::from_secs(value.checked_mul(60)?),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

/// State shared by every [`Gate`].
pub(crate) struct GateShared {
    pub(crate) faults: Arc<Faults>,
    pub(crate) root_keys: Arc<RootKeys>,
}

/// Layer producing [`Gate`] services.
#[derive(Clone)]
pub(crate) struct GateLayer {
    shared: Arc<GateShared>,
}

impl GateLayer {
    /// A layer checking calls with `shared`.
    pub(crate) fn new(shared: GateShared) -> Self {
        GateLayer {
            shared: Arc::new(shared),
        }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// Applies faults and macaroon checks, then forwards to the gRPC routes.
#[derive(Clone)]
pub(crate) struct Gate<S> {
    inner: S,
    shared: Arc<GateShared>,
}

impl<S> Service<http::Request<Body>> for Gate<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The instance that was polled ready handles this call; keep a fresh clone for the next.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let shared = self.shared.clone();
        Box::pin(async move {
            let path = request.uri().path().to_string();
            let fault = shared.faults.before_call(&path);
            if !fault.delay.is_zero() {
                match grpc_timeout(request.headers()) {
                    // The caller gives up before the delay is over: answer DEADLINE_EXCEEDED just
                    // before tonic's own timeout would (it would answer CANCELLED), as a
                    // grpc-go server's context deadline does.
                    Some(deadline) if deadline <= fault.delay => {
                        tokio::time::sleep(deadline.saturating_sub(DEADLINE_MARGIN)).await;
                        return Ok(Status::deadline_exceeded("context deadline exceeded").into_http());
                    }
                    _ => tokio::time::sleep(fault.delay).await,
                }
            }
            if fault.unavailable {
                return Ok(Status::unavailable("simnode fault: node unavailable").into_http());
            }
            if let Err(status) = authorize(request.headers(), &path, &shared.root_keys) {
                return Ok(status.into_http());
            }
            inner.call(request).await
        })
    }
}
