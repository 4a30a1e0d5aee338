//! The simulated remote customer node: it issues invoices (`simnode invoice`) that our node pays
//! over its channels (refunds). The customer is one hop behind every peer, so a payment to it
//! goes out through one of our channels and the peer forwards it at its fee, as LND would route it.

use bitcoin::hashes::{sha256, Hash};
use lnd_proto::lnrpc::PaymentFailureReason;
use serde::{Deserialize, Serialize};

use super::send::{link_chan_id_to, PEER_CLTV_DELTA};
use super::{htlc_events, Ledger, LedgerError, BLOCK_PADDING};
use crate::bolt11::{self, InvoiceTerms};
use crate::keys::random_32;
use crate::state::{CustomerInvoice, StoredAttempt, StoredHop, StoredPayment};

/// Expiry of a customer invoice (LND's default).
const CUSTOMER_EXPIRY_SECS: u64 = 86_400;
/// The customer's final CLTV delta.
const CUSTOMER_CLTV_EXPIRY: u64 = 80;

/// What `simnode invoice` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInvoiceRequest {
    /// Amount, msat; none (or 0) for a zero-amount invoice.
    pub amount_msat: Option<u64>,
    /// Description (memo) of the invoice.
    pub memo: Option<String>,
    /// Description hash (hex, 32 bytes) instead of the memo, as LNURL-pay servers issue them.
    pub description_hash_hex: Option<String>,
}

/// A new customer invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInvoiceCreated {
    /// The BOLT11 payment request.
    pub payment_request: String,
    /// Its payment hash, hex.
    pub payment_hash_hex: String,
}

/// Whether a customer invoice was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInvoiceStatus {
    /// Paid (the customer received the money).
    pub paid: bool,
    /// What the customer received, msat (0 while unpaid).
    pub amount_msat: u64,
    /// The invoice's amount, msat (0 for a zero-amount invoice).
    pub invoice_amount_msat: u64,
    /// Its payment hash, hex.
    pub payment_hash_hex: String,
}

impl Ledger {
    /// Issues an invoice of the simulated remote customer node.
    pub(crate) fn add_customer_invoice(
        &mut self,
        req: &CustomerInvoiceRequest,
        now_ms: i64,
    ) -> Result<CustomerInvoiceCreated, LedgerError> {
        let secret = self.keys.customer_secret().map_err(LedgerError::Invalid)?;
        let description_hash = match req.description_hash_hex.as_deref() {
            None => None,
            Some(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| LedgerError::Invalid("description hash must be 32 bytes of hex".into()))?;
                Some(bytes)
            }
        };
        let preimage = random_32();
        let payment_hash = sha256::Hash::hash(&preimage).to_byte_array();
        let amount_msat = req.amount_msat.unwrap_or(0);
        let terms = InvoiceTerms {
            payment_hash,
            payment_addr: random_32(),
            amount_msat,
            created_secs: u64::try_from(now_ms / 1000).unwrap_or(0),
            expiry_secs: CUSTOMER_EXPIRY_SECS,
            cltv_expiry: CUSTOMER_CLTV_EXPIRY,
            memo: req.memo.as_deref().unwrap_or("simnode customer"),
            description_hash,
            route_hints: &[],
        };
        let (payment_request, _) = bolt11::build(&terms, &secret).map_err(LedgerError::Invalid)?;
        let mut change = self.begin();
        change.customers = Some(self.state.customer_invoices.clone());
        self.state.customer_invoices.push(CustomerInvoice {
            payment_hash,
            preimage,
            payment_request: payment_request.clone(),
            amount_msat,
            paid_msat: 0,
            paid: false,
            created_ms: now_ms,
            expiry_secs: CUSTOMER_EXPIRY_SECS,
        });
        self.commit(change)?;
        Ok(CustomerInvoiceCreated {
            payment_request,
            payment_hash_hex: hex::encode(payment_hash),
        })
    }

    /// Whether the customer invoice `payment_request` was paid, and how much arrived.
    pub(crate) fn customer_invoice_status(&self, payment_request: &str) -> Result<CustomerInvoiceStatus, LedgerError> {
        let decoded = bolt11::decode(payment_request).map_err(LedgerError::Invalid)?;
        let inv = self
            .state
            .customer_invoices
            .iter()
            .find(|i| i.payment_hash == decoded.payment_hash)
            .ok_or_else(|| LedgerError::Invalid("not an invoice of this simnode's customer".into()))?;
        Ok(CustomerInvoiceStatus {
            paid: inv.paid,
            amount_msat: inv.paid_msat,
            invoice_amount_msat: inv.amount_msat,
            payment_hash_hex: hex::encode(inv.payment_hash),
        })
    }

    /// Routes `payment` to the customer: out through the cheapest of our channels that can
    /// carry it within the fee limit; the peer forwards it to the customer at its fee.
    pub(super) fn route_customer_payment(
        &mut self,
        payment: &mut StoredPayment,
        outgoing_chan_ids: &[u64],
        fee_limit_msat: u64,
        amount_msat: u64,
        now_ns: i64,
    ) -> Result<(), PaymentFailureReason> {
        let Some(inv_idx) = self
            .state
            .customer_invoices
            .iter()
            .position(|i| i.payment_hash == payment.payment_hash)
        else {
            return Err(PaymentFailureReason::FailureReasonIncorrectPaymentDetails);
        };
        let channels = &self.state.channels;
        let outgoing: Vec<usize> = (0..channels.len())
            .filter(|&i| channels[i].active)
            .filter(|&i| outgoing_chan_ids.is_empty() || outgoing_chan_ids.contains(&channels[i].chan_id))
            .collect();
        if outgoing.is_empty() {
            return Err(PaymentFailureReason::FailureReasonNoRoute);
        }
        let bandwidth = outgoing
            .iter()
            .map(|&i| channels[i].spendable_msat())
            .max()
            .unwrap_or(0);
        if bandwidth < amount_msat {
            return Err(PaymentFailureReason::FailureReasonInsufficientBalance);
        }
        let mut candidates: Vec<(u64, u64, usize)> = outgoing
            .iter()
            .map(|&i| (channels[i].peer_fee_msat(amount_msat), channels[i].chan_id, i))
            .filter(|&(fee, _, i)| fee <= fee_limit_msat && channels[i].spendable_msat() >= amount_msat + fee)
            .collect();
        candidates.sort();
        let Some(&(fee_msat, _, out_idx)) = candidates.first() else {
            return Err(PaymentFailureReason::FailureReasonNoRoute);
        };
        let inv = &self.state.customer_invoices[inv_idx];
        let expired = now_ns / 1_000_000 >= inv.created_ms + i64::try_from(inv.expiry_secs * 1000).unwrap_or(i64::MAX);
        let customer = match self.keys.customer_public() {
            Ok(key) => key.to_string(),
            Err(_) => return Err(PaymentFailureReason::FailureReasonError),
        };
        let block_height = self.state.block_height;
        let final_expiry = block_height
            .saturating_add(CUSTOMER_CLTV_EXPIRY as u32)
            .saturating_add(BLOCK_PADDING);
        let out = &self.state.channels[out_idx];
        let hops = vec![
            StoredHop {
                chan_id: out.chan_id,
                chan_capacity_sat: out.capacity_sat,
                amt_to_forward_msat: amount_msat,
                fee_msat,
                expiry: final_expiry,
                pub_key: out.peer_pubkey.clone(),
            },
            StoredHop {
                chan_id: link_chan_id_to(out, &customer),
                chan_capacity_sat: out.capacity_sat,
                amt_to_forward_msat: amount_msat,
                fee_msat: 0,
                expiry: final_expiry,
                pub_key: customer,
            },
        ];
        self.state.last_attempt_id += 1;
        let mut attempt = StoredAttempt {
            attempt_id: self.state.last_attempt_id,
            succeeded: false,
            hops,
            total_time_lock: final_expiry + PEER_CLTV_DELTA,
            attempt_time_ns: now_ns,
            resolve_time_ns: now_ns,
            failure_code: None,
            failure_source_index: 0,
        };
        let outgoing_key = (out.chan_id, out.next_htlc_index);
        let total_msat = amount_msat + fee_msat;
        self.htlc_outbox.push(htlc_events::send_forward(
            outgoing_key,
            attempt.total_time_lock,
            total_msat,
            now_ns,
        ));
        let underpaid = amount_msat < inv.amount_msat;
        if inv.paid || expired || underpaid {
            attempt.failure_code =
                Some(lnd_proto::lnrpc::failure::FailureCode::IncorrectOrUnknownPaymentDetails as i32);
            attempt.failure_source_index = 2;
            payment.htlcs.push(attempt);
            self.htlc_outbox.push(htlc_events::send_fail(outgoing_key, now_ns));
            return Err(PaymentFailureReason::FailureReasonIncorrectPaymentDetails);
        }
        let out = &mut self.state.channels[out_idx];
        out.local_balance_msat -= total_msat;
        out.remote_balance_msat += total_msat;
        out.next_htlc_index += 1;
        out.num_updates += 2;
        let inv = &mut self.state.customer_invoices[inv_idx];
        inv.paid = true;
        inv.paid_msat = amount_msat;
        attempt.succeeded = true;
        payment.htlcs.push(attempt);
        payment.preimage = Some(inv.preimage);
        self.htlc_outbox
            .push(htlc_events::send_settle(outgoing_key, inv.preimage, now_ns));
        payment.fee_msat = fee_msat;
        payment.status = crate::state::PaymentStatus::Succeeded;
        Ok(())
    }
}
