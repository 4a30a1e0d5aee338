//! LND's `routerrpc.Router` calls: SendPaymentV2 and TrackPaymentV2 (payment streams), over the
//! same TLS channel and macaroon interceptor as every other call.
//!
//! SendPaymentV2 is never retried: it is not idempotent. A caller that loses the stream (timeout,
//! broken connection) recovers with TrackPaymentV2 by payment hash.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use lnd_proto::lnrpc::Payment;
use lnd_proto::routerrpc::{SendPaymentRequest, TrackPaymentRequest};

use super::client::{Conn, LndClient};
use super::error::LndError;
use super::method::Method;

/// A stream of payment updates (IN_FLIGHT ... SUCCEEDED/FAILED); errors already mapped.
pub type PaymentStream = Pin<Box<dyn Stream<Item = Result<Payment, LndError>> + Send>>;

impl LndClient {
    /// `routerrpc.SendPaymentV2`: sends a payment and streams its updates until it succeeds or
    /// fails. Never retried (not idempotent); after a lost stream use [`LndClient::track_payment_v2`].
    pub async fn send_payment_v2(&self, request: SendPaymentRequest) -> Result<PaymentStream, LndError> {
        self.conn().send_payment_v2(request).await
    }

    /// `routerrpc.TrackPaymentV2`: the state of a payment sent earlier (32-byte hash), then its
    /// updates until it is final. A hash the node never paid is an error with gRPC NOT_FOUND.
    pub async fn track_payment_v2(&self, payment_hash: Vec<u8>) -> Result<PaymentStream, LndError> {
        self.conn().track_payment_v2(payment_hash).await
    }
}

impl Conn {
    /// `routerrpc.SendPaymentV2`: sends a payment and streams its updates until it succeeds or
    /// fails. Never retried (not idempotent); after a lost stream use [`LndClient::track_payment_v2`].
    pub(super) async fn send_payment_v2(&self, request: SendPaymentRequest) -> Result<PaymentStream, LndError> {
        let mut router = self.router.clone();
        // No deadline on the stream itself: the payment's own timeout_seconds bounds it.
        let permit = self.breaker_permit()?;
        let opened = router
            .send_payment_v2(tonic::Request::new(request))
            .await
            .map_err(|status| self.map_status(Method::SendPaymentV2, &status));
        Self::breaker_report(permit, &opened);
        let streaming = opened?.into_inner();
        let client = self.clone();
        Ok(Box::pin(streaming.map(move |item| {
            item.map_err(|s| client.map_status(Method::SendPaymentV2, &s))
        })))
    }

    /// `routerrpc.TrackPaymentV2`: the state of a payment sent earlier (32-byte hash), then its
    /// updates until it is final. A hash the node never paid is an error with gRPC NOT_FOUND.
    pub(super) async fn track_payment_v2(&self, payment_hash: Vec<u8>) -> Result<PaymentStream, LndError> {
        let mut router = self.router.clone();
        let request = TrackPaymentRequest {
            payment_hash,
            no_inflight_updates: false,
        };
        let permit = self.breaker_permit()?;
        let opened = router
            .track_payment_v2(tonic::Request::new(request))
            .await
            .map_err(|status| self.map_status(Method::TrackPaymentV2, &status));
        Self::breaker_report(permit, &opened);
        let streaming = opened?.into_inner();
        let client = self.clone();
        Ok(Box::pin(streaming.map(move |item| {
            item.map_err(|s| client.map_status(Method::TrackPaymentV2, &s))
        })))
    }
}
