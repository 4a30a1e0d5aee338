//! The LND gRPC services simnode serves, and helpers they share.

pub(crate) mod gate;
pub(crate) mod invoices;
pub(crate) mod lightning;
pub(crate) mod macaroons;
pub(crate) mod policy;
pub(crate) mod router;
pub(crate) mod routes;
pub(crate) mod tools;
pub(crate) mod version;
pub(crate) mod wallet;

use std::future::Future;
use std::pin::Pin;

use futures::{Stream, StreamExt};
use lnd_proto::lnrpc;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use crate::ledger::LedgerError;

/// A server stream of invoices.
pub(crate) type InvoiceStream = Pin<Box<dyn Stream<Item = Result<lnrpc::Invoice, Status>> + Send>>;

/// Wraps a subscription channel as a gRPC stream that also ends when `stop` completes.
pub(crate) fn invoice_stream(
    rx: mpsc::UnboundedReceiver<lnrpc::Invoice>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> InvoiceStream {
    Box::pin(UnboundedReceiverStream::new(rx).map(Ok).take_until(stop))
}

/// A server stream of `T`.
pub(crate) type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A server stream of channel events.
pub(crate) type ChannelEventStream = EventStream<lnrpc::ChannelEventUpdate>;

/// A server stream of channel graph changes.
pub(crate) type GraphStream = EventStream<lnrpc::GraphTopologyUpdate>;

/// Events from `rx` as a gRPC stream that also ends when `stop` completes; a subscriber that
/// fell behind skips what it missed.
pub(crate) fn broadcast_stream<T: Clone + Send + 'static>(
    rx: broadcast::Receiver<T>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> EventStream<T> {
    let events = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => return Some((Ok(event), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Box::pin(events.take_until(stop))
}

/// LND returns plain Go errors (status UNKNOWN with the error text) for nearly everything.
pub(crate) fn ledger_status(err: LedgerError) -> Status {
    match err {
        LedgerError::Persist(_) => Status::internal(err.to_string()),
        LedgerError::AlreadyExists(_) => Status::already_exists(err.to_string()),
        _ => Status::unknown(err.to_string()),
    }
}

/// Like [`ledger_status`] but "not found" becomes NOT_FOUND, as LND's lookups answer.
pub(crate) fn lookup_status(err: LedgerError) -> Status {
    match err {
        LedgerError::NotFound => Status::not_found(err.to_string()),
        other => ledger_status(other),
    }
}

/// LND's `lnrpc.UnmarshallAmt`: a sat/msat pair to msat.
pub(crate) fn unmarshall_amt(amt_sat: i64, amt_msat: i64) -> Result<u64, Status> {
    if amt_sat != 0 && amt_msat != 0 {
        return Err(Status::unknown("sat and msat arguments are mutually exclusive"));
    }
    if amt_sat < 0 || amt_msat < 0 {
        return Err(Status::unknown("amount cannot be negative"));
    }
    if amt_sat != 0 {
        return (amt_sat as u64)
            .checked_mul(1000)
            .ok_or_else(|| Status::unknown("amount is too large"));
    }
    Ok(amt_msat as u64)
}

/// LND's `lntypes.MakeHash`.
pub(crate) fn make_hash(bytes: &[u8]) -> Result<[u8; 32], String> {
    bytes
        .try_into()
        .map_err(|_| format!("invalid hash length of {}, want 32", bytes.len()))
}

/// LND's `lntypes.MakePreimage`.
pub(crate) fn make_preimage(bytes: &[u8]) -> Result<[u8; 32], String> {
    bytes
        .try_into()
        .map_err(|_| format!("invalid preimage length of {}, want 32", bytes.len()))
}

/// simnode has no on-chain wallet, so it cannot put a fallback address into an invoice; it
/// says so instead of silently leaving the field out.
pub(crate) fn refuse_fallback_addr(fallback_addr: &str) -> Result<(), Status> {
    if fallback_addr.is_empty() {
        Ok(())
    } else {
        Err(Status::unknown(
            "simnode: fallback addresses are not supported (leave fallback_addr empty)",
        ))
    }
}
