//! LND's `routerrpc.Router` calls: SendPaymentV2 and TrackPaymentV2 (payment streams), over the
//! same TLS channel and macaroon interceptor as every other call.
//!
//! SendPaymentV2 is never retried: it is not idempotent. A caller that loses the stream (timeout,
//! broken connection) recovers with TrackPaymentV2 by payment hash.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use lnd_proto::lnrpc::Payment;
use lnd_proto::routerrpc::{SendPaymentRequest, TrackPaymentRequest};
use tonic::Status;

use super::client::LndClient;
use super::error::LndError;
use super::method::Method;

/// A stream of payment updates (IN_FLIGHT ... SUCCEEDED/FAILED); errors already mapped.
pub type PaymentStream = Pin<Box<dyn Stream<Item = Result<Payment, LndError>> + Send>>;

/// The router methods (not in [`Method`], which lists the Lightning/Invoices calls).
#[derive(Debug, Clone, Copy)]
enum RouterMethod {
    SendPaymentV2,
    TrackPaymentV2,
}

impl RouterMethod {
    fn name(self) -> &'static str {
        match self {
            RouterMethod::SendPaymentV2 => "SendPaymentV2",
            RouterMethod::TrackPaymentV2 => "TrackPaymentV2",
        }
    }

    /// Which permission LND checks, and which standard macaroons carry it.
    fn hint(self, client: &LndClient) -> String {
        let path = client.config().macaroon_path.display();
        match self {
            RouterMethod::SendPaymentV2 => format!(
                "the macaroon at {path} lacks offchain:write (only admin.macaroon can send payments); use admin.macaroon"
            ),
            RouterMethod::TrackPaymentV2 => format!(
                "the macaroon at {path} lacks offchain:read (invoice.macaroon cannot track payments); use admin.macaroon or readonly.macaroon"
            ),
        }
    }
}

/// Maps a router call's status like the other calls, naming the router method.
fn map(client: &LndClient, method: RouterMethod, status: &Status) -> LndError {
    // The shared mapping needs a `Method`; only its name and permission hint differ, fixed here.
    match client.map_status(Method::ListChannels, status) {
        LndError::PermissionDenied { .. } => LndError::PermissionDenied { method: method.name(), hint: method.hint(client) },
        LndError::Rpc { code, message, .. } => LndError::Rpc { method: method.name(), code, message },
        other => other,
    }
}

impl LndClient {
    /// `routerrpc.SendPaymentV2`: sends a payment and streams its updates until it succeeds or
    /// fails. Never retried (not idempotent); after a lost stream use [`LndClient::track_payment_v2`].
    pub async fn send_payment_v2(&self, request: SendPaymentRequest) -> Result<PaymentStream, LndError> {
        let mut router = self.router.clone();
        // No deadline on the stream itself: the payment's own timeout_seconds bounds it.
        let streaming = match router.send_payment_v2(tonic::Request::new(request)).await {
            Ok(response) => response.into_inner(),
            Err(status) => return Err(map(self, RouterMethod::SendPaymentV2, &status)),
        };
        let client = self.clone();
        Ok(Box::pin(
            streaming.map(move |item| item.map_err(|s| map(&client, RouterMethod::SendPaymentV2, &s))),
        ))
    }

    /// `routerrpc.TrackPaymentV2`: the state of a payment sent earlier (32-byte hash), then its
    /// updates until it is final. A hash the node never paid is an error with gRPC NOT_FOUND.
    pub async fn track_payment_v2(&self, payment_hash: Vec<u8>) -> Result<PaymentStream, LndError> {
        let mut router = self.router.clone();
        let request = TrackPaymentRequest { payment_hash, no_inflight_updates: false };
        let streaming = match router.track_payment_v2(tonic::Request::new(request)).await {
            Ok(response) => response.into_inner(),
            Err(status) => return Err(map(self, RouterMethod::TrackPaymentV2, &status)),
        };
        let client = self.clone();
        Ok(Box::pin(
            streaming.map(move |item| item.map_err(|s| map(&client, RouterMethod::TrackPaymentV2, &s))),
        ))
    }
}
