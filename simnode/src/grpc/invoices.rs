//! `invoicesrpc.Invoices`: hold invoices, cancel, settle, lookup v2, single-invoice streams.

use std::sync::Arc;

use lnd_proto::invoicesrpc::{self, invoices_server::Invoices, lookup_invoice_msg::InvoiceRef};
use lnd_proto::lnrpc;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::{
    invoice_stream, ledger_status, lookup_status, make_hash, make_preimage, refuse_fallback_addr, unmarshall_amt,
    InvoiceStream,
};
use crate::convert::route_hints_from_rpc;
use crate::core::{now_ms, NodeCore};
use crate::ledger::{LedgerError, NewInvoice};

/// The invoices sub-server.
pub(crate) struct InvoicesService {
    pub(crate) core: Arc<NodeCore>,
}

#[tonic::async_trait]
impl Invoices for InvoicesService {
    type SubscribeSingleInvoiceStream = InvoiceStream;

    async fn subscribe_single_invoice(
        &self,
        request: Request<invoicesrpc::SubscribeSingleInvoiceRequest>,
    ) -> Result<Response<Self::SubscribeSingleInvoiceStream>, Status> {
        let hash = make_hash(&request.into_inner().r_hash).map_err(Status::unknown)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let stop = self.core.faults.stream_stop();
        self.core.ledger().subscribe_single(hash, tx);
        Ok(Response::new(invoice_stream(rx, stop)))
    }

    async fn cancel_invoice(
        &self,
        request: Request<invoicesrpc::CancelInvoiceMsg>,
    ) -> Result<Response<invoicesrpc::CancelInvoiceResp>, Status> {
        let hash = make_hash(&request.into_inner().payment_hash).map_err(Status::unknown)?;
        self.core.ledger().cancel(&hash, now_ms()).map_err(ledger_status)?;
        Ok(Response::new(invoicesrpc::CancelInvoiceResp {}))
    }

    async fn add_hold_invoice(
        &self,
        request: Request<invoicesrpc::AddHoldInvoiceRequest>,
    ) -> Result<Response<invoicesrpc::AddHoldInvoiceResp>, Status> {
        let req = request.into_inner();
        let hash = make_hash(&req.hash).map_err(Status::unknown)?;
        refuse_fallback_addr(&req.fallback_addr)?;
        let value_msat = unmarshall_amt(req.value, req.value_msat)?;
        let added = self
            .core
            .ledger()
            .add_invoice(
                NewInvoice {
                    memo: req.memo,
                    preimage: None,
                    hold_hash: Some(hash),
                    value_msat,
                    description_hash: req.description_hash,
                    expiry_secs: req.expiry,
                    cltv_expiry: req.cltv_expiry,
                    private: req.private,
                    route_hints: route_hints_from_rpc(&req.route_hints),
                },
                now_ms(),
            )
            .map_err(ledger_status)?;
        self.core.watcher.notify_one();
        Ok(Response::new(invoicesrpc::AddHoldInvoiceResp {
            payment_request: added.payment_request,
            add_index: added.add_index,
            payment_addr: added.payment_addr.to_vec(),
        }))
    }

    async fn settle_invoice(
        &self,
        request: Request<invoicesrpc::SettleInvoiceMsg>,
    ) -> Result<Response<invoicesrpc::SettleInvoiceResp>, Status> {
        let preimage = make_preimage(&request.into_inner().preimage).map_err(Status::unknown)?;
        self.core
            .ledger()
            .settle_hold(preimage, now_ms())
            .map_err(ledger_status)?;
        Ok(Response::new(invoicesrpc::SettleInvoiceResp {}))
    }

    async fn lookup_invoice_v2(
        &self,
        request: Request<invoicesrpc::LookupInvoiceMsg>,
    ) -> Result<Response<lnrpc::Invoice>, Status> {
        let req = request.into_inner();
        let result = match req.invoice_ref {
            Some(InvoiceRef::PaymentHash(bytes)) => {
                let hash = make_hash(&bytes)
                    .map_err(|e| Status::invalid_argument(format!("unable to parse pay hash: {e}")))?;
                self.core.ledger().lookup(&hash)
            }
            Some(InvoiceRef::PaymentAddr(addr)) => self.core.ledger().lookup_by_addr(&addr),
            // Set ids only exist for AMP invoices, which simnode does not create.
            Some(InvoiceRef::SetId(_)) => Err(LedgerError::NotFound),
            None => return Err(Status::invalid_argument("invoice ref must be set")),
        };
        Ok(Response::new(result.map_err(lookup_status)?))
    }
}
