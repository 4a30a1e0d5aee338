//! `routerrpc.Router`: SendPaymentV2 (circular self-payments through the simulated peers, as a
//! rebalance makes them) and TrackPaymentV2, with LND's validation and failure reasons.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{stream, Stream, StreamExt};
use lnd_proto::lnrpc;
use lnd_proto::routerrpc::{self, router_server::Router};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{Request, Response, Status};

use super::{broadcast_stream, ledger_status, make_hash, unmarshall_amt, EventStream};
use crate::core::{now_ms, NodeCore};
use crate::ledger::{htlc_subscribed, SendRequest};

/// LND's `routerrpc.DefaultPaymentTimeout`, used when `timeout_seconds` is 0.
const DEFAULT_PAYMENT_TIMEOUT_SECS: u64 = 60;

/// A server stream of payment updates.
type PaymentStream = Pin<Box<dyn Stream<Item = Result<lnrpc::Payment, Status>> + Send>>;

/// The router sub-server.
pub(crate) struct RouterService {
    pub(crate) core: Arc<NodeCore>,
}

/// `updates` as a stream, without the IN_FLIGHT ones when `no_inflight_updates`.
fn payment_stream(updates: Vec<lnrpc::Payment>, no_inflight_updates: bool) -> PaymentStream {
    let in_flight = lnrpc::payment::PaymentStatus::InFlight as i32;
    let updates: Vec<Result<lnrpc::Payment, Status>> = updates
        .into_iter()
        .filter(|p| !(no_inflight_updates && p.status == in_flight))
        .map(Ok)
        .collect();
    Box::pin(stream::iter(updates).boxed())
}

/// Checks SendPaymentV2's fields as LND's `extractIntentFromSendRequest` does.
fn unpack(req: &routerrpc::SendPaymentRequest) -> Result<SendRequest, Status> {
    if req.time_pref < -1.0 || req.time_pref > 1.0 {
        return Err(Status::unknown("time preference out of range"));
    }
    if req.timeout_seconds < 0 {
        return Err(Status::unknown("timeout_seconds must not be negative"));
    }
    if req.amp {
        return Err(Status::unknown("simnode: AMP payments are not simulated"));
    }
    if req.payment_request.is_empty() {
        return Err(Status::unknown(
            "simnode: only payments of a payment_request are simulated (set payment_request)",
        ));
    }
    let amt_msat = unmarshall_amt(req.amt, req.amt_msat)?;
    let fee_limit_msat = unmarshall_amt(req.fee_limit_sat, req.fee_limit_msat)?;
    let last_hop_pubkey = if req.last_hop_pubkey.is_empty() {
        None
    } else {
        Some(hex::encode(&req.last_hop_pubkey))
    };
    Ok(SendRequest {
        payment_request: req.payment_request.clone(),
        amt_msat,
        fee_limit_msat,
        outgoing_chan_ids: req.outgoing_chan_ids.clone(),
        last_hop_pubkey,
        allow_self_payment: req.allow_self_payment,
    })
}

#[tonic::async_trait]
impl Router for RouterService {
    type SubscribeHtlcEventsStream = EventStream<routerrpc::HtlcEvent>;

    async fn subscribe_htlc_events(
        &self,
        _request: Request<routerrpc::SubscribeHtlcEventsRequest>,
    ) -> Result<Response<Self::SubscribeHtlcEventsStream>, Status> {
        let rx = self.core.ledger().subscribe_htlc_events();
        let stop = self.core.faults.stream_stop();
        // LND first sends a subscribed event: the point from which events follow.
        let first = stream::once(async { Ok(htlc_subscribed()) });
        Ok(Response::new(Box::pin(first.chain(broadcast_stream(rx, stop)))))
    }

    type SendPaymentV2Stream = PaymentStream;

    async fn send_payment_v2(
        &self,
        request: Request<routerrpc::SendPaymentRequest>,
    ) -> Result<Response<Self::SendPaymentV2Stream>, Status> {
        let req = request.into_inner();
        let send = unpack(&req)?;
        let delay = self.core.faults.payment_delay();
        if delay.is_zero() {
            let updates = self
                .core
                .ledger()
                .send_payment(&send, now_ms(), false)
                .map_err(ledger_status)?;
            return Ok(Response::new(payment_stream(updates, req.no_inflight_updates)));
        }
        // A slow payment (fault): the outcome is known only after the delay or the timeout.
        let timeout_secs = match u64::try_from(req.timeout_seconds) {
            Ok(0) | Err(_) => DEFAULT_PAYMENT_TIMEOUT_SECS,
            Ok(secs) => secs,
        };
        let timeout = Duration::from_secs(timeout_secs);
        let (tx, rx) = mpsc::unbounded_channel();
        let core = self.core.clone();
        let no_inflight_updates = req.no_inflight_updates;
        tokio::spawn(async move {
            let timed_out = timeout < delay;
            tokio::time::sleep(delay.min(timeout)).await;
            let result = core.ledger().send_payment(&send, now_ms(), timed_out);
            match result {
                Ok(updates) => {
                    for update in updates {
                        if !(no_inflight_updates && update.status == lnrpc::payment::PaymentStatus::InFlight as i32) {
                            let _ = tx.send(Ok(update));
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(ledger_status(e)));
                }
            }
        });
        Ok(Response::new(Box::pin(UnboundedReceiverStream::new(rx))))
    }

    type TrackPaymentV2Stream = PaymentStream;

    async fn track_payment_v2(
        &self,
        request: Request<routerrpc::TrackPaymentRequest>,
    ) -> Result<Response<Self::TrackPaymentV2Stream>, Status> {
        let req = request.into_inner();
        let hash = make_hash(&req.payment_hash).map_err(Status::unknown)?;
        // Payments complete at once in simnode: the stream is the final state.
        let payment = self
            .core
            .ledger()
            .payment(&hash)
            .ok_or_else(|| Status::not_found("payment isn't initiated"))?;
        Ok(Response::new(payment_stream(vec![payment], req.no_inflight_updates)))
    }
}
