//! `routerrpc.Router`: served (with LND's permission checks) but payments are not simulated yet.

use std::pin::Pin;

use futures::Stream;
use lnd_proto::lnrpc;
use lnd_proto::routerrpc::{self, router_server::Router};
use tonic::{Request, Response, Status};

/// The message of both unimplemented calls.
const NOT_SIMULATED: &str = "simnode: routerrpc payments are not simulated yet";

/// A server stream of payment updates.
type PaymentStream = Pin<Box<dyn Stream<Item = Result<lnrpc::Payment, Status>> + Send>>;

/// The router sub-server.
pub(crate) struct RouterService;

#[tonic::async_trait]
impl Router for RouterService {
    type SendPaymentV2Stream = PaymentStream;

    async fn send_payment_v2(
        &self,
        _request: Request<routerrpc::SendPaymentRequest>,
    ) -> Result<Response<Self::SendPaymentV2Stream>, Status> {
        Err(Status::unimplemented(NOT_SIMULATED))
    }

    type TrackPaymentV2Stream = PaymentStream;

    async fn track_payment_v2(
        &self,
        _request: Request<routerrpc::TrackPaymentRequest>,
    ) -> Result<Response<Self::TrackPaymentV2Stream>, Status> {
        Err(Status::unimplemented(NOT_SIMULATED))
    }
}
