//! Sending payments (routerrpc `SendPaymentV2`): circular self-payments that leave through one
//! of our channels, cross from that peer to another of our peers, and come back in through the
//! channel with that peer — the shape of a rebalance. Fees are the peers' fee policies from the
//! topology; failures use LND's payment failure reasons.

use bitcoin::hashes::{sha256, Hash};
use lnd_proto::lnrpc::{self, failure::FailureCode, PaymentFailureReason};

use super::{htlc_events, Ledger, LedgerError, BLOCK_PADDING};
use crate::bolt11;
use crate::convert::payment_to_rpc;
use crate::state::{
    ChannelState, HtlcState, InvoiceState, PaymentStatus, StoredAttempt, StoredHop, StoredHtlc, StoredPayment,
};

/// CLTV delta every simulated peer asks for when forwarding (LND's default).
pub(super) const PEER_CLTV_DELTA: u32 = 80;

/// A SendPaymentV2 request, already unpacked and checked field by field.
pub(crate) struct SendRequest {
    /// BOLT11 invoice to pay (simnode only pays invoices).
    pub(crate) payment_request: String,
    /// `amt`/`amt_msat`: 0 unless the invoice has no amount.
    pub(crate) amt_msat: u64,
    /// `fee_limit_sat`/`fee_limit_msat`: 0 allows only zero-fee routes, as in LND.
    pub(crate) fee_limit_msat: u64,
    /// `outgoing_chan_ids`: the first hop must use one of these (any when empty).
    pub(crate) outgoing_chan_ids: Vec<u64>,
    /// `last_hop_pubkey`, hex: the node before the destination.
    pub(crate) last_hop_pubkey: Option<String>,
    /// `allow_self_payment`.
    pub(crate) allow_self_payment: bool,
}

/// A candidate circular route: out through channel `out`, back in through channel `inc`.
struct Circuit {
    out: usize,
    inc: usize,
    /// Fee of the peer on `inc` (forwarding into us).
    fee_in_msat: u64,
    /// Fee of the peer on `out` (forwarding on to the peer on `inc`).
    fee_out_msat: u64,
}

impl Circuit {
    fn fee_msat(&self) -> u64 {
        self.fee_in_msat + self.fee_out_msat
    }
}

/// The short channel id simnode shows for the (unsimulated) channel between two of its peers.
pub(super) fn link_chan_id(a: &ChannelState, b: &ChannelState) -> u64 {
    let digest = sha256::Hash::hash(format!("simnode-link:{}:{}", a.chan_id, b.chan_id).as_bytes()).to_byte_array();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    // Block height in the top 24 bits below our channels' heights, tx index and output 0.
    (u64::from_be_bytes(bytes) & 0x0000_00ff_ffff_0000) | (900u64 << 40)
}

/// The short channel id simnode shows for the (unsimulated) channel between a peer and a node
/// behind it (the customer).
pub(super) fn link_chan_id_to(a: &ChannelState, node: &str) -> u64 {
    let digest = sha256::Hash::hash(format!("simnode-link:{}:{node}", a.chan_id).as_bytes()).to_byte_array();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) & 0x0000_00ff_ffff_0000) | (900u64 << 40)
}

impl Ledger {
    /// The payment with this hash, as LND reports it (TrackPaymentV2).
    pub(crate) fn payment(&self, hash: &[u8; 32]) -> Option<lnrpc::Payment> {
        self.state
            .payments
            .iter()
            .find(|p| &p.payment_hash == hash)
            .map(payment_to_rpc)
    }

    /// Sends a payment and returns the updates a SendPaymentV2 stream shows: IN_FLIGHT, then
    /// SUCCEEDED or FAILED. Errors are the ones LND returns before the stream starts.
    /// With `timed_out`, the payment's timeout passed before any route succeeded: it is recorded
    /// as FAILED with FAILURE_REASON_TIMEOUT and nothing moves.
    pub(crate) fn send_payment(
        &mut self,
        req: &SendRequest,
        now_ms: i64,
        timed_out: bool,
    ) -> Result<Vec<lnrpc::Payment>, LedgerError> {
        let decoded = bolt11::decode(&req.payment_request).map_err(LedgerError::Invalid)?;
        let amount_msat = match decoded.amount_msat {
            Some(a) => {
                if req.amt_msat != 0 {
                    return Err(LedgerError::Invalid(
                        "amount must not be specified when paying a non-zero amount invoice".into(),
                    ));
                }
                a
            }
            None if req.amt_msat == 0 => {
                return Err(LedgerError::Invalid(
                    "amount must be specified when paying a zero amount invoice".into(),
                ))
            }
            None => req.amt_msat,
        };
        let to_self = decoded.destination == self.keys.node_public();
        let to_customer = self
            .keys
            .customer_public()
            .is_ok_and(|customer| customer == decoded.destination);
        if to_self && !req.allow_self_payment {
            return Err(LedgerError::Invalid("self-payments not allowed".into()));
        }
        let hash = decoded.payment_hash;
        if let Some(existing) = self.state.payments.iter().find(|p| p.payment_hash == hash) {
            match existing.status {
                PaymentStatus::Succeeded => return Err(LedgerError::AlreadyExists("invoice is already paid".into())),
                PaymentStatus::InFlight => return Err(LedgerError::AlreadyExists("payment is in transition".into())),
                PaymentStatus::Failed => {}
            }
        }
        let last_hop = match &req.last_hop_pubkey {
            None => None,
            Some(hex_key) => {
                let bytes =
                    hex::decode(hex_key).map_err(|e| LedgerError::Invalid(format!("invalid last_hop_pubkey: {e}")))?;
                if bytes.len() != 33 {
                    return Err(LedgerError::Invalid(format!(
                        "invalid vertex length of {}, want 33",
                        bytes.len()
                    )));
                }
                Some(hex::encode(bytes))
            }
        };

        let now_ns = now_ms.saturating_mul(1_000_000);
        let mut change = self.begin();
        self.touch_payments(&mut change);
        if to_customer {
            change.customers = Some(self.state.customer_invoices.clone());
        }
        // A payment to ourselves settles our own invoice with the same hash.
        if let Some(&idx) = self.by_hash.get(&hash) {
            self.touch(&mut change, idx);
        }
        self.state.payments.retain(|p| p.payment_hash != hash);
        self.state.last_payment_index += 1;
        let mut payment = StoredPayment {
            payment_hash: hash,
            preimage: None,
            value_msat: amount_msat,
            fee_msat: 0,
            creation_time_ns: now_ns,
            payment_request: req.payment_request.clone(),
            payment_index: self.state.last_payment_index,
            status: PaymentStatus::InFlight,
            failure_reason: PaymentFailureReason::FailureReasonNone as i32,
            htlcs: Vec::new(),
        };
        let mut updates = vec![payment_to_rpc(&payment)];

        let outcome = if timed_out {
            Err(PaymentFailureReason::FailureReasonTimeout)
        } else if to_customer {
            self.route_customer_payment(
                &mut payment,
                &req.outgoing_chan_ids,
                req.fee_limit_msat,
                amount_msat,
                now_ns,
            )
        } else if to_self {
            self.route_self_payment(&mut payment, req, last_hop.as_deref(), amount_msat, now_ns)
        } else {
            // simnode knows no nodes beyond its peers, so it finds no route to them.
            Err(PaymentFailureReason::FailureReasonNoRoute)
        };
        match outcome {
            Ok(()) => {
                if let Some(attempt) = payment.htlcs.last() {
                    let mut in_flight = payment.clone();
                    if let Some(a) = in_flight.htlcs.last_mut() {
                        a.succeeded = false;
                        a.resolve_time_ns = 0;
                    }
                    in_flight.status = PaymentStatus::InFlight;
                    in_flight.preimage = None;
                    in_flight.fee_msat = attempt.hops.iter().map(|h| h.fee_msat).sum();
                    updates.push(payment_to_rpc(&in_flight));
                }
            }
            Err(reason) => {
                payment.status = PaymentStatus::Failed;
                payment.failure_reason = reason as i32;
            }
        }
        self.state.payments.push(payment.clone());
        self.commit(change)?;
        if payment.status == PaymentStatus::Succeeded {
            if let Some(&idx) = self.by_hash.get(&hash) {
                self.notify(idx);
            }
        }
        updates.push(payment_to_rpc(&payment));
        Ok(updates)
    }

    /// Finds the cheapest circuit within the fee limit and settles our invoice through it,
    /// recording each attempt in `payment`. On failure returns LND's reason.
    fn route_self_payment(
        &mut self,
        payment: &mut StoredPayment,
        req: &SendRequest,
        last_hop: Option<&str>,
        amount_msat: u64,
        now_ns: i64,
    ) -> Result<(), PaymentFailureReason> {
        let channels = &self.state.channels;
        let outgoing: Vec<usize> = (0..channels.len())
            .filter(|&i| channels[i].active)
            .filter(|&i| req.outgoing_chan_ids.is_empty() || req.outgoing_chan_ids.contains(&channels[i].chan_id))
            .collect();
        let incoming: Vec<usize> = (0..channels.len())
            .filter(|&i| channels[i].active)
            .filter(|&i| last_hop.is_none_or(|pk| channels[i].peer_pubkey == pk))
            .collect();
        if outgoing.is_empty() || incoming.is_empty() {
            return Err(PaymentFailureReason::FailureReasonNoRoute);
        }
        // LND first compares the amount with what the allowed first hops can send at all.
        let bandwidth = outgoing
            .iter()
            .map(|&i| channels[i].spendable_msat())
            .max()
            .unwrap_or(0);
        if bandwidth < amount_msat {
            return Err(PaymentFailureReason::FailureReasonInsufficientBalance);
        }
        let mut circuits: Vec<Circuit> = Vec::new();
        for &out in &outgoing {
            for &inc in &incoming {
                if channels[out].peer_pubkey == channels[inc].peer_pubkey {
                    continue;
                }
                let fee_in_msat = channels[inc].peer_fee_msat(amount_msat);
                let fee_out_msat = channels[out].peer_fee_msat(amount_msat + fee_in_msat);
                let c = Circuit {
                    out,
                    inc,
                    fee_in_msat,
                    fee_out_msat,
                };
                // Path finding skips routes over the fee limit and first hops that cannot
                // carry amount + fees.
                if c.fee_msat() <= req.fee_limit_msat && channels[out].spendable_msat() >= amount_msat + c.fee_msat() {
                    circuits.push(c);
                }
            }
        }
        circuits.sort_by_key(|c| (c.fee_msat(), channels[c.out].chan_id, channels[c.inc].chan_id));

        let inv_idx = *self
            .by_hash
            .get(&payment.payment_hash)
            .ok_or(PaymentFailureReason::FailureReasonIncorrectPaymentDetails)?;
        let block_height = self.state.block_height;
        let final_cltv = u32::try_from(self.state.invoices[inv_idx].cltv_expiry).unwrap_or(u32::MAX);
        for c in circuits {
            let (out, inc) = (&self.state.channels[c.out], &self.state.channels[c.inc]);
            let final_expiry = block_height.saturating_add(final_cltv).saturating_add(BLOCK_PADDING);
            let hops = vec![
                StoredHop {
                    chan_id: out.chan_id,
                    chan_capacity_sat: out.capacity_sat,
                    amt_to_forward_msat: amount_msat + c.fee_in_msat,
                    fee_msat: c.fee_out_msat,
                    expiry: final_expiry + PEER_CLTV_DELTA,
                    pub_key: out.peer_pubkey.clone(),
                },
                StoredHop {
                    chan_id: link_chan_id(out, inc),
                    chan_capacity_sat: out.capacity_sat.min(inc.capacity_sat),
                    amt_to_forward_msat: amount_msat,
                    fee_msat: c.fee_in_msat,
                    expiry: final_expiry,
                    pub_key: inc.peer_pubkey.clone(),
                },
                StoredHop {
                    chan_id: inc.chan_id,
                    chan_capacity_sat: inc.capacity_sat,
                    amt_to_forward_msat: amount_msat,
                    fee_msat: 0,
                    expiry: final_expiry,
                    pub_key: self.keys.node_public().to_string(),
                },
            ];
            self.state.last_attempt_id += 1;
            let mut attempt = StoredAttempt {
                attempt_id: self.state.last_attempt_id,
                succeeded: false,
                hops,
                total_time_lock: final_expiry + 2 * PEER_CLTV_DELTA,
                attempt_time_ns: now_ns,
                resolve_time_ns: now_ns,
                failure_code: None,
                failure_source_index: 0,
            };
            let outgoing_key = (out.chan_id, out.next_htlc_index);
            let total_msat = amount_msat + c.fee_msat();
            self.htlc_outbox.push(htlc_events::send_forward(
                outgoing_key,
                attempt.total_time_lock,
                total_msat,
                now_ns,
            ));
            // The last peer cannot push the amount to us: it fails the HTLC back.
            if inc.receivable_msat() < amount_msat {
                attempt.failure_code = Some(FailureCode::TemporaryChannelFailure as i32);
                attempt.failure_source_index = 2;
                payment.htlcs.push(attempt);
                self.htlc_outbox.push(htlc_events::send_fail(outgoing_key, now_ns));
                continue;
            }
            let inv = &self.state.invoices[inv_idx];
            // Hold invoices would keep the payment in flight; simnode pays plain invoices only.
            let refused = inv.hold || inv.state != InvoiceState::Open;
            let expired = now_ns / 1_000_000 >= inv.expires_at_ms();
            let underpaid = amount_msat < inv.value_msat;
            if refused || expired || underpaid {
                attempt.failure_code = Some(FailureCode::IncorrectOrUnknownPaymentDetails as i32);
                attempt.failure_source_index = 3;
                payment.htlcs.push(attempt);
                self.htlc_outbox.push(htlc_events::send_fail(outgoing_key, now_ns));
                return Err(PaymentFailureReason::FailureReasonIncorrectPaymentDetails);
            }
            let out = &mut self.state.channels[c.out];
            out.local_balance_msat -= total_msat;
            out.remote_balance_msat += total_msat;
            out.next_htlc_index += 1;
            out.num_updates += 2;
            let inc = &mut self.state.channels[c.inc];
            let chan_id = inc.chan_id;
            let htlc_index = inc.next_htlc_index;
            inc.next_htlc_index += 1;
            inc.remote_balance_msat -= amount_msat;
            inc.pending_incoming_msat += amount_msat;
            inc.num_updates += 1;
            let now_ms = now_ns / 1_000_000;
            let inv = &mut self.state.invoices[inv_idx];
            inv.htlcs.push(StoredHtlc {
                chan_id,
                htlc_index,
                amt_msat: amount_msat,
                accept_height: block_height,
                accept_time_ms: now_ms,
                resolve_time_secs: 0,
                expiry_height: final_expiry,
                state: HtlcState::Accepted,
                mpp_total_amt_msat: amount_msat,
            });
            self.settle_at(inv_idx, now_ms);
            attempt.succeeded = true;
            payment.htlcs.push(attempt);
            payment.preimage = self.state.invoices[inv_idx].preimage;
            self.htlc_outbox.push(htlc_events::send_settle(
                outgoing_key,
                payment.preimage.unwrap_or_default(),
                now_ns,
            ));
            payment.fee_msat = c.fee_msat();
            payment.status = PaymentStatus::Succeeded;
            return Ok(());
        }
        Err(PaymentFailureReason::FailureReasonNoRoute)
    }
}
