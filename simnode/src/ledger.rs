//! The invoice registry and channel ledger: every state change of invoices and balances,
//! persisted after each change and pushed to subscribers with LND's delivery rules.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::hashes::{sha256, Hash};
use lnd_proto::lnrpc;
use lnd_proto::routerrpc;
use tokio::sync::{broadcast, mpsc};

use crate::bolt11::{self, InvoiceTerms, MAX_DESCRIPTION_BYTES};
use crate::control::{PayOptions, PayOutcome, PayStatus};
use crate::convert::invoice_to_rpc;
use crate::journal::{Journal, JournalEntry};
use crate::keys::{random_32, NodeKeys};
use crate::state::{
    ChannelState, ClosedChannelState, CustomerInvoice, HtlcState, InvoiceState, PersistedState, StoredHopHint,
    StoredHtlc, StoredInvoice, StoredPayment,
};

pub(crate) mod customer;
mod faults;
mod htlc_events;
mod policy;
mod routes;
mod send;

pub(crate) use policy::{FailedPolicyUpdate, PolicyFailure, PolicyUpdate};

pub(crate) use htlc_events::subscribed as htlc_subscribed;
pub(crate) use routes::{FoundRoute, RouteQuery};
pub(crate) use send::SendRequest;

/// LND's `DefaultInvoiceExpiry`: 24 hours.
pub(crate) const DEFAULT_EXPIRY_SECS: u64 = 86_400;
/// LND refuses expiries beyond one year.
const MAX_EXPIRY_SECS: u64 = 365 * 24 * 3600;
/// LND's `chainreg.DefaultBitcoinTimeLockDelta`, the default final CLTV delta of invoices.
pub(crate) const DEFAULT_CLTV_EXPIRY: u64 = 80;
/// LND's `routing.MinCLTVDelta`.
const MIN_CLTV_EXPIRY: u64 = 24;
/// LND's `invoices.MaxFinalCltvDelta`.
const MAX_CLTV_EXPIRY: u64 = u16::MAX as u64;
/// LND's `invoices.MaxMemoSize`.
const MAX_MEMO_BYTES: usize = 1024;
/// LND's `maxHopHints`.
const MAX_HOP_HINTS: usize = 20;
/// LND's cap on invoice amounts: 100,000 BTC.
const MAX_INVOICE_MSAT: u64 = 100_000 * 100_000_000 * 1000;
/// Blocks a payer adds on top of the final CLTV delta (LND's `BlockPadding`).
const BLOCK_PADDING: u32 = 3;

/// Why a ledger operation was refused; `Display` is the message LND would give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LedgerError {
    /// No invoice with that payment hash.
    #[error("unable to locate invoice")]
    NotFound,
    /// The request is invalid (LND's wording).
    #[error("{0}")]
    Invalid(String),
    /// The invoice's state does not allow the operation (LND's wording).
    #[error("{0}")]
    State(String),
    /// The state could not be written to disk; nothing was changed.
    #[error("simnode could not persist its state: {0}")]
    Persist(String),
    /// A simulated incoming payment failed the way a payer would see it fail.
    #[error("{0}")]
    Payment(String),
    /// A payment with this hash exists already (LND's wording).
    #[error("{0}")]
    AlreadyExists(String),
}

/// Fields of a new invoice, already unpacked from AddInvoice or AddHoldInvoice.
pub(crate) struct NewInvoice {
    pub(crate) memo: String,
    /// Caller-chosen preimage (AddInvoice's `r_preimage`).
    pub(crate) preimage: Option<[u8; 32]>,
    /// Payment hash of a hold invoice (AddHoldInvoice's `hash`).
    pub(crate) hold_hash: Option<[u8; 32]>,
    pub(crate) value_msat: u64,
    pub(crate) description_hash: Vec<u8>,
    pub(crate) expiry_secs: i64,
    pub(crate) cltv_expiry: u64,
    pub(crate) private: bool,
    pub(crate) route_hints: Vec<Vec<StoredHopHint>>,
}

/// What AddInvoice/AddHoldInvoice answer.
pub(crate) struct AddedInvoice {
    pub(crate) payment_hash: [u8; 32],
    pub(crate) payment_request: String,
    pub(crate) add_index: u64,
    pub(crate) payment_addr: [u8; 32],
}

/// ListInvoices parameters, as LND's `InvoiceQuery`.
pub(crate) struct InvoiceQuery {
    pub(crate) index_offset: u64,
    pub(crate) num_max_invoices: u64,
    pub(crate) pending_only: bool,
    pub(crate) reversed: bool,
    pub(crate) creation_date_start: i64,
    pub(crate) creation_date_end: i64,
}

/// Node-level figures for GetInfo.
pub(crate) struct InfoSnapshot {
    pub(crate) num_active_channels: u32,
    pub(crate) num_inactive_channels: u32,
    pub(crate) num_peers: u32,
    pub(crate) block_height: u32,
    pub(crate) block_hash: String,
}

/// Sender side of a subscription stream.
pub(crate) type InvoiceSender = mpsc::UnboundedSender<lnrpc::Invoice>;

/// A SubscribeInvoices client and the highest indexes it has been sent.
struct AllSubscriber {
    tx: InvoiceSender,
    add_index: u64,
    settle_index: u64,
}

/// A SubscribeSingleInvoice client.
struct SingleSubscriber {
    hash: [u8; 32],
    tx: InvoiceSender,
}

/// All invoices and channels of the node.
pub(crate) struct Ledger {
    state: PersistedState,
    by_hash: HashMap<[u8; 32], usize>,
    /// (expiry in Unix ms, invoice position) of invoices that were OPEN when listed; entries of
    /// invoices that changed state since are skipped when reached.
    expiries: BTreeSet<(i64, usize)>,
    /// Positions of OPEN invoices that hold parts of a multi-part payment (MPP timeout watch).
    held: BTreeSet<usize>,
    journal: Journal,
    keys: Arc<NodeKeys>,
    all_subscribers: Vec<AllSubscriber>,
    single_subscribers: Vec<SingleSubscriber>,
    mpp_timeout_ms: i64,
    /// SubscribeHtlcEvents subscribers.
    htlc_events: broadcast::Sender<routerrpc::HtlcEvent>,
    /// HTLC events of the change under way, sent once it is committed.
    htlc_outbox: Vec<routerrpc::HtlcEvent>,
}

/// HTLC events a slow subscriber may fall behind by before it skips some.
const HTLC_EVENT_BUFFER: usize = 1024;

impl Ledger {
    /// A ledger over `state`, persisted through `journal`.
    pub(crate) fn new(state: PersistedState, journal: Journal, keys: Arc<NodeKeys>, mpp_timeout_ms: i64) -> Self {
        let mut ledger = Ledger {
            state,
            by_hash: HashMap::new(),
            expiries: BTreeSet::new(),
            held: BTreeSet::new(),
            journal,
            keys,
            all_subscribers: Vec::new(),
            single_subscribers: Vec::new(),
            mpp_timeout_ms,
            htlc_events: broadcast::Sender::new(HTLC_EVENT_BUFFER),
            htlc_outbox: Vec::new(),
        };
        ledger.reindex();
        ledger
    }

    fn reindex(&mut self) {
        self.by_hash = self
            .state
            .invoices
            .iter()
            .enumerate()
            .map(|(i, inv)| (inv.payment_hash, i))
            .collect();
        self.expiries.clear();
        self.held.clear();
        for idx in 0..self.state.invoices.len() {
            self.watch_deadlines(idx);
        }
    }

    /// Lists invoice `idx`'s deadlines for [`Ledger::expire_due`] when it is OPEN.
    fn watch_deadlines(&mut self, idx: usize) {
        let inv = &self.state.invoices[idx];
        if inv.state != InvoiceState::Open {
            return;
        }
        self.expiries.insert((inv.expires_at_ms(), idx));
        if inv.htlcs.iter().any(|h| h.state == HtlcState::Accepted) {
            self.held.insert(idx);
        }
    }

    /// Starts a change: remembers what it may modify, to journal it and to undo it on failure.
    fn begin(&self) -> Change {
        Change {
            counters: Counters::of(&self.state),
            channels: self.state.channels.clone(),
            invoices_len: self.state.invoices.len(),
            touched: Vec::new(),
            payments: None,
            closed: None,
            customers: None,
        }
    }

    /// Records that `change` is about to modify the existing invoice `idx`.
    fn touch(&self, change: &mut Change, idx: usize) {
        if idx < change.invoices_len && !change.touched.iter().any(|(i, _)| *i == idx) {
            change.touched.push((idx, self.state.invoices[idx].clone()));
        }
    }

    /// Records that `change` is about to modify the payment list.
    fn touch_payments(&self, change: &mut Change) {
        if change.payments.is_none() {
            change.payments = Some(self.state.payments.clone());
        }
    }

    /// Makes `change` durable (one appended journal line); on failure undoes it, so that memory
    /// and disk agree.
    fn commit(&mut self, change: Change) -> Result<(), LedgerError> {
        let mut invoices: Vec<StoredInvoice> = change
            .touched
            .iter()
            .map(|(idx, _)| self.state.invoices[*idx].clone())
            .collect();
        invoices.extend(self.state.invoices[change.invoices_len..].iter().cloned());
        let counters = Counters::of(&self.state);
        let entry = JournalEntry {
            block_height: counters.block_height,
            block_hash: self.state.block_hash.clone(),
            last_add_index: counters.last_add_index,
            last_settle_index: counters.last_settle_index,
            last_payment_index: counters.last_payment_index,
            last_attempt_id: counters.last_attempt_id,
            channels: self.state.channels.clone(),
            invoices,
            payments: change.payments.as_ref().map(|_| self.state.payments.clone()),
            closed_channels: change.closed.as_ref().map(|_| self.state.closed_channels.clone()),
            customer_invoices: change.customers.as_ref().map(|_| self.state.customer_invoices.clone()),
        };
        if let Err(e) = self.journal.append(&entry, &self.state) {
            tracing::error!(error = %e, "simnode: cannot persist state");
            self.undo(change);
            self.htlc_outbox.clear();
            return Err(LedgerError::Persist(e.to_string()));
        }
        for event in self.htlc_outbox.drain(..) {
            // Nobody listening is fine.
            let _ = self.htlc_events.send(event);
        }
        Ok(())
    }

    /// Restores everything `change` recorded.
    fn undo(&mut self, change: Change) {
        change.counters.restore(&mut self.state);
        self.state.channels = change.channels;
        self.state.invoices.truncate(change.invoices_len);
        for (idx, before) in change.touched {
            self.state.invoices[idx] = before;
        }
        if let Some(payments) = change.payments {
            self.state.payments = payments;
        }
        if let Some(closed) = change.closed {
            self.state.closed_channels = closed;
        }
        if let Some(customers) = change.customers {
            self.state.customer_invoices = customers;
        }
        self.reindex();
    }

    /// The channels.
    pub(crate) fn channels(&self) -> &[ChannelState] {
        &self.state.channels
    }

    /// Payments sent, in payment-index order.
    pub(crate) fn payments(&self) -> &[StoredPayment] {
        &self.state.payments
    }

    /// Closed channels, in closing order.
    pub(crate) fn closed_channels(&self) -> &[ClosedChannelState] {
        &self.state.closed_channels
    }

    /// Figures for GetInfo.
    pub(crate) fn info(&self) -> InfoSnapshot {
        let active = self.state.channels.iter().filter(|c| c.active).count();
        let inactive = self.state.channels.len() - active;
        let peers: HashSet<&str> = self
            .state
            .channels
            .iter()
            .filter(|c| c.active)
            .map(|c| c.peer_pubkey.as_str())
            .collect();
        InfoSnapshot {
            num_active_channels: u32::try_from(active).unwrap_or(u32::MAX),
            num_inactive_channels: u32::try_from(inactive).unwrap_or(u32::MAX),
            num_peers: u32::try_from(peers.len()).unwrap_or(u32::MAX),
            block_height: self.state.block_height,
            block_hash: self.state.block_hash.clone(),
        }
    }

    /// Creates an invoice (AddInvoice, or AddHoldInvoice when `hold_hash` is set).
    pub(crate) fn add_invoice(&mut self, req: NewInvoice, now_ms: i64) -> Result<AddedInvoice, LedgerError> {
        let (preimage, payment_hash) = match (req.preimage, req.hold_hash) {
            (Some(_), Some(_)) => return Err(LedgerError::Invalid("preimage and hash both set".into())),
            (Some(p), None) => (Some(p), sha256::Hash::hash(&p).to_byte_array()),
            (None, Some(h)) => (None, h),
            (None, None) => {
                let p = random_32();
                (Some(p), sha256::Hash::hash(&p).to_byte_array())
            }
        };
        if req.memo.len() > MAX_MEMO_BYTES {
            return Err(LedgerError::Invalid(format!(
                "memo too large: {} bytes (maxsize={MAX_MEMO_BYTES})",
                req.memo.len()
            )));
        }
        let description_hash = match req.description_hash.len() {
            0 => None,
            32 => {
                let mut h = [0u8; 32];
                h.copy_from_slice(&req.description_hash);
                Some(h)
            }
            n => {
                return Err(LedgerError::Invalid(format!(
                    "description hash is {n} bytes, must be 32"
                )))
            }
        };
        if req.value_msat > MAX_INVOICE_MSAT {
            return Err(LedgerError::Invalid(format!(
                "invoice amount {} BTC is too large, max is 100000 BTC",
                req.value_msat / 100_000_000_000
            )));
        }
        let expiry_secs = if req.expiry_secs > 0 {
            let secs = req.expiry_secs as u64;
            if secs > MAX_EXPIRY_SECS {
                return Err(LedgerError::Invalid(format!(
                    "expiry of {secs} seconds greater than max expiry of {MAX_EXPIRY_SECS} seconds"
                )));
            }
            secs
        } else {
            DEFAULT_EXPIRY_SECS
        };
        if description_hash.is_none() && req.memo.len() > MAX_DESCRIPTION_BYTES {
            // LND's BOLT11 encoder fails this way for a description of more than 639 bytes.
            let groups = (req.memo.len() * 8).div_ceil(5);
            return Err(LedgerError::Invalid(format!(
                "data length too big to fit within 10 bits: {groups}"
            )));
        }
        if req.cltv_expiry > MAX_CLTV_EXPIRY {
            return Err(LedgerError::Invalid(format!(
                "CLTV delta of {} is too large, max accepted is: {MAX_CLTV_EXPIRY}",
                req.cltv_expiry
            )));
        }
        let cltv_expiry = match req.cltv_expiry {
            0 => DEFAULT_CLTV_EXPIRY,
            c if c < MIN_CLTV_EXPIRY => {
                return Err(LedgerError::Invalid(format!(
                    "CLTV delta of {c} must be greater than minimum of {MIN_CLTV_EXPIRY}"
                )))
            }
            c => c,
        };
        if req.route_hints.len() > MAX_HOP_HINTS {
            return Err(LedgerError::Invalid(format!(
                "number of routing hints must not exceed maximum of {MAX_HOP_HINTS}"
            )));
        }
        if req.route_hints.iter().any(Vec::is_empty) {
            return Err(LedgerError::Invalid(
                "number of hop hint within a route must be positive".into(),
            ));
        }
        let mut route_hints = req.route_hints;
        if req.private {
            // As LND: hop hints for our unannounced, active channels (up to the maximum).
            for channel in self.state.channels.iter().filter(|c| c.private && c.active) {
                if route_hints.len() >= MAX_HOP_HINTS {
                    break;
                }
                route_hints.push(vec![StoredHopHint {
                    node_id: channel.peer_pubkey.clone(),
                    chan_id: channel.chan_id,
                    fee_base_msat: 1000,
                    fee_proportional_millionths: 1,
                    cltv_expiry_delta: 80,
                }]);
            }
        }
        if self.by_hash.contains_key(&payment_hash) {
            return Err(LedgerError::Invalid("invoice with payment hash already exists".into()));
        }
        let payment_addr = random_32();
        let created_secs = u64::try_from(now_ms.div_euclid(1000)).unwrap_or(0);
        let terms = InvoiceTerms {
            payment_hash,
            payment_addr,
            amount_msat: req.value_msat,
            created_secs,
            expiry_secs,
            cltv_expiry,
            memo: &req.memo,
            description_hash,
            route_hints: &route_hints,
        };
        let secret = self.keys.node_secret().map_err(LedgerError::Invalid)?;
        let (payment_request, feature_bits) = bolt11::build(&terms, &secret).map_err(LedgerError::Invalid)?;

        let change = self.begin();
        self.state.last_add_index += 1;
        let add_index = self.state.last_add_index;
        self.state.invoices.push(StoredInvoice {
            memo: req.memo,
            preimage,
            payment_hash,
            value_msat: req.value_msat,
            // Precise, as LND's creation date: the expiry watcher counts from it.
            creation_ms: now_ms,
            settle_date_secs: 0,
            payment_request: payment_request.clone(),
            description_hash,
            expiry_secs,
            cltv_expiry,
            route_hints,
            add_index,
            settle_index: 0,
            amt_paid_msat: 0,
            state: InvoiceState::Open,
            htlcs: Vec::new(),
            payment_addr,
            hold: req.hold_hash.is_some(),
            feature_bits,
        });
        self.by_hash.insert(payment_hash, self.state.invoices.len() - 1);
        self.commit(change)?;
        self.watch_deadlines(self.state.invoices.len() - 1);
        self.notify(self.state.invoices.len() - 1);
        Ok(AddedInvoice {
            payment_hash,
            payment_request,
            add_index,
            payment_addr,
        })
    }

    /// One invoice by payment hash.
    pub(crate) fn lookup(&self, hash: &[u8; 32]) -> Result<lnrpc::Invoice, LedgerError> {
        let idx = self.by_hash.get(hash).ok_or(LedgerError::NotFound)?;
        Ok(invoice_to_rpc(&self.state.invoices[*idx]))
    }

    /// One invoice by payment address.
    pub(crate) fn lookup_by_addr(&self, addr: &[u8]) -> Result<lnrpc::Invoice, LedgerError> {
        self.state
            .invoices
            .iter()
            .find(|inv| inv.payment_addr.as_slice() == addr)
            .map(invoice_to_rpc)
            .ok_or(LedgerError::NotFound)
    }

    /// A page of invoices with LND's exclusive-offset pagination; returns the invoices in
    /// ascending add-index order with the first and last index offsets.
    pub(crate) fn list(&self, q: &InvoiceQuery) -> (Vec<lnrpc::Invoice>, u64, u64) {
        let matches = |inv: &&StoredInvoice| {
            let pending = matches!(inv.state, InvoiceState::Open | InvoiceState::Accepted);
            let created = inv.creation_secs();
            (!q.pending_only || pending)
                && created >= q.creation_date_start
                && (q.creation_date_end == 0 || created <= q.creation_date_end)
        };
        let limit = usize::try_from(q.num_max_invoices).unwrap_or(usize::MAX);
        // Invoices are kept in add-index order, so the offset is found by binary search (LND
        // seeks its add-index bucket the same way) instead of a scan from the first invoice.
        let invoices = &self.state.invoices;
        let mut page: Vec<&StoredInvoice> = if q.reversed {
            let start = if q.index_offset == 0 { u64::MAX } else { q.index_offset };
            let end = invoices.partition_point(|inv| inv.add_index < start);
            invoices[..end].iter().rev().filter(matches).take(limit).collect()
        } else {
            let begin = invoices.partition_point(|inv| inv.add_index <= q.index_offset);
            invoices[begin..].iter().filter(matches).take(limit).collect()
        };
        if q.reversed {
            page.reverse();
        }
        let first = page.first().map(|inv| inv.add_index).unwrap_or(0);
        let last = page.last().map(|inv| inv.add_index).unwrap_or(0);
        (page.into_iter().map(invoice_to_rpc).collect(), first, last)
    }

    /// CancelInvoice: OPEN or ACCEPTED become CANCELED (held HTLCs fail back); canceling a
    /// canceled invoice succeeds, a settled one is refused.
    pub(crate) fn cancel(&mut self, hash: &[u8; 32], now_ms: i64) -> Result<(), LedgerError> {
        let idx = *self.by_hash.get(hash).ok_or(LedgerError::NotFound)?;
        match self.state.invoices[idx].state {
            InvoiceState::Canceled => return Ok(()),
            InvoiceState::Settled => return Err(LedgerError::State("invoice already settled".into())),
            InvoiceState::Open | InvoiceState::Accepted => {}
        }
        let mut change = self.begin();
        self.touch(&mut change, idx);
        self.cancel_at(idx, now_ms);
        self.commit(change)?;
        self.notify(idx);
        Ok(())
    }

    /// SettleInvoice: settles the ACCEPTED hold invoice whose hash is SHA-256(`preimage`).
    pub(crate) fn settle_hold(&mut self, preimage: [u8; 32], now_ms: i64) -> Result<(), LedgerError> {
        let hash = sha256::Hash::hash(&preimage).to_byte_array();
        let idx = *self.by_hash.get(&hash).ok_or(LedgerError::NotFound)?;
        match self.state.invoices[idx].state {
            InvoiceState::Open => return Err(LedgerError::State("invoice still open".into())),
            InvoiceState::Canceled => return Err(LedgerError::State("invoice already canceled".into())),
            // LND's invoices sub-server treats settling a settled invoice as success.
            InvoiceState::Settled => return Ok(()),
            InvoiceState::Accepted => {}
        }
        let mut change = self.begin();
        self.touch(&mut change, idx);
        self.state.invoices[idx].preimage = Some(preimage);
        self.settle_at(idx, now_ms);
        self.commit(change)?;
        self.notify(idx);
        Ok(())
    }

    /// A new SubscribeHtlcEvents subscription: events of changes committed from now on.
    pub(crate) fn subscribe_htlc_events(&self) -> broadcast::Receiver<routerrpc::HtlcEvent> {
        self.htlc_events.subscribe()
    }

    /// A payment from a simulated customer into one of our invoices.
    pub(crate) fn pay(
        &mut self,
        payment_request: &str,
        opts: &PayOptions,
        now_ms: i64,
    ) -> Result<PayOutcome, LedgerError> {
        let fail = |msg: String| LedgerError::Payment(msg);
        let decoded = bolt11::decode(payment_request).map_err(fail)?;
        if decoded.destination != self.keys.node_public() {
            return Err(fail(format!(
                "invoice is payable to node {}, not to this simnode ({}); simnode can only simulate payments into its own invoices",
                decoded.destination,
                self.keys.node_public()
            )));
        }
        let idx = *self.by_hash.get(&decoded.payment_hash).ok_or_else(|| {
            fail(format!(
                "incorrect or unknown payment details: this node has no invoice with payment hash {}",
                hex::encode(decoded.payment_hash)
            ))
        })?;
        let inv = &self.state.invoices[idx];
        if inv.payment_addr != decoded.payment_addr {
            return Err(fail(
                "incorrect or unknown payment details: payment address does not match".into(),
            ));
        }
        match inv.state {
            InvoiceState::Settled => return Err(fail("invoice is already paid".into())),
            InvoiceState::Canceled => return Err(fail("invoice is canceled".into())),
            InvoiceState::Accepted => return Err(fail(
                "invoice is already paid: its HTLCs are held, waiting for the hold invoice to be settled or canceled"
                    .into(),
            )),
            InvoiceState::Open => {}
        }
        if now_ms >= inv.expires_at_ms() {
            return Err(fail(format!(
                "invoice expired (it was valid for {} s after its creation)",
                inv.expiry_secs
            )));
        }
        let held_msat: u64 = inv
            .htlcs
            .iter()
            .filter(|h| h.state == HtlcState::Accepted)
            .map(|h| h.amt_msat)
            .sum();
        let (amount_msat, mpp_total_msat) = if inv.value_msat == 0 {
            match opts.amount_msat {
                Some(a) if a > 0 => (a, a),
                _ => {
                    return Err(fail(
                        "amount must be specified when paying a zero amount invoice (use --amount-msat)".into(),
                    ))
                }
            }
        } else {
            let remaining = inv.value_msat.saturating_sub(held_msat);
            match opts.amount_msat {
                None => (remaining, inv.value_msat),
                Some(0) => return Err(fail("amount_msat must be greater than 0".into())),
                Some(a) if a > remaining => {
                    return Err(fail(format!(
                        "amount {} exceeds the {} still due on this invoice; a smaller amount pays one part of a multi-part payment",
                        fmt_msat(a),
                        fmt_msat(remaining)
                    )))
                }
                Some(a) => (a, inv.value_msat),
            }
        };
        let chan_idx = self.pick_channel(amount_msat, opts.via_chan_id).map_err(fail)?;

        let mut change = self.begin();
        self.touch(&mut change, idx);
        let block_height = self.state.block_height;
        let channel = &mut self.state.channels[chan_idx];
        let chan_id = channel.chan_id;
        let htlc_index = channel.next_htlc_index;
        channel.next_htlc_index += 1;
        channel.remote_balance_msat -= amount_msat;
        channel.pending_incoming_msat += amount_msat;
        channel.num_updates += 1;
        let inv = &mut self.state.invoices[idx];
        let cltv = u32::try_from(inv.cltv_expiry).unwrap_or(u32::MAX);
        inv.htlcs.push(StoredHtlc {
            chan_id,
            htlc_index,
            amt_msat: amount_msat,
            accept_height: block_height,
            accept_time_ms: now_ms,
            resolve_time_secs: 0,
            expiry_height: block_height.saturating_add(cltv).saturating_add(BLOCK_PADDING),
            state: HtlcState::Accepted,
            mpp_total_amt_msat: mpp_total_msat,
        });
        let held_total = held_msat + amount_msat;
        let complete = inv.value_msat == 0 || held_total >= inv.value_msat;
        let status = if !complete {
            PayStatus::PartAccepted
        } else if inv.hold {
            inv.state = InvoiceState::Accepted;
            inv.amt_paid_msat = held_total;
            PayStatus::HoldAccepted
        } else {
            self.settle_at(idx, now_ms);
            PayStatus::Settled
        };
        self.commit(change)?;
        self.watch_deadlines(idx);
        if status != PayStatus::PartAccepted {
            self.notify(idx);
        }
        let inv = &self.state.invoices[idx];
        Ok(PayOutcome {
            status,
            payment_hash_hex: hex::encode(inv.payment_hash),
            preimage_hex: if status == PayStatus::Settled {
                inv.preimage.map(hex::encode)
            } else {
                None
            },
            amount_msat,
            chan_id,
            invoice_received_msat: held_total,
        })
    }

    /// The channel an incoming HTLC of `amount_msat` arrives on: `via` if given, else the
    /// active channel that can receive the most.
    fn pick_channel(&self, amount_msat: u64, via: Option<u64>) -> Result<usize, String> {
        let channels = &self.state.channels;
        if let Some(chan_id) = via {
            let idx = channels
                .iter()
                .position(|c| c.chan_id == chan_id)
                .ok_or_else(|| format!("no route: this node has no channel {chan_id}"))?;
            let c = &channels[idx];
            if !c.active {
                return Err(format!(
                    "no route: channel {chan_id} (peer {}) is inactive",
                    c.peer_alias
                ));
            }
            if c.receivable_msat() < amount_msat {
                return Err(format!(
                    "no route: insufficient inbound liquidity on channel {chan_id} (peer {}): need {}, it can receive at most {} (remote balance minus the 1% reserve); short by {}",
                    c.peer_alias,
                    fmt_msat(amount_msat),
                    fmt_msat(c.receivable_msat()),
                    fmt_msat(amount_msat - c.receivable_msat())
                ));
            }
            return Ok(idx);
        }
        let best = channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.active)
            .max_by_key(|(_, c)| (c.receivable_msat(), std::cmp::Reverse(c.chan_id)));
        let Some((idx, c)) = best else {
            return Err("no route: this node has no active channel to receive the payment on".into());
        };
        if c.receivable_msat() < amount_msat {
            return Err(format!(
                "no route: insufficient inbound liquidity: need {}, the best channel ({} with peer {}) can receive at most {} (remote balance minus the 1% reserve); short by {}",
                fmt_msat(amount_msat),
                c.chan_id,
                c.peer_alias,
                fmt_msat(c.receivable_msat()),
                fmt_msat(amount_msat - c.receivable_msat())
            ));
        }
        Ok(idx)
    }

    /// Settles invoice `idx`: held HTLCs settle, their amounts move to our side.
    fn settle_at(&mut self, idx: usize, now_ms: i64) {
        let now_secs = now_ms.div_euclid(1000);
        self.state.last_settle_index += 1;
        let settle_index = self.state.last_settle_index;
        let inv = &mut self.state.invoices[idx];
        let preimage = inv.preimage.unwrap_or_default();
        let mut paid = 0u64;
        for htlc in inv.htlcs.iter_mut() {
            match htlc.state {
                HtlcState::Accepted => {
                    self.htlc_outbox.extend(htlc_events::receive_settled(
                        (htlc.chan_id, htlc.htlc_index),
                        preimage,
                        now_ms.saturating_mul(1_000_000),
                    ));
                    htlc.state = HtlcState::Settled;
                    htlc.resolve_time_secs = now_secs;
                    paid += htlc.amt_msat;
                    if let Some(c) = self.state.channels.iter_mut().find(|c| c.chan_id == htlc.chan_id) {
                        c.pending_incoming_msat = c.pending_incoming_msat.saturating_sub(htlc.amt_msat);
                        c.local_balance_msat += htlc.amt_msat;
                        c.total_received_msat += htlc.amt_msat;
                        c.num_updates += 1;
                    }
                }
                HtlcState::Settled => paid += htlc.amt_msat,
                HtlcState::Canceled => {}
            }
        }
        inv.state = InvoiceState::Settled;
        inv.settle_index = settle_index;
        inv.settle_date_secs = now_secs;
        inv.amt_paid_msat = paid;
    }

    /// Cancels invoice `idx` and fails back its held HTLCs.
    fn cancel_at(&mut self, idx: usize, now_ms: i64) {
        let keys: Vec<(u64, u64)> = self.state.invoices[idx]
            .htlcs
            .iter()
            .map(|h| (h.chan_id, h.htlc_index))
            .collect();
        for (chan_id, htlc_index) in keys {
            self.cancel_htlc(idx, chan_id, htlc_index, now_ms);
        }
        self.state.invoices[idx].state = InvoiceState::Canceled;
    }

    /// Fails back one held HTLC (identified, as in LND, by channel and HTLC index) of invoice
    /// `idx`; its amount returns to the remote side.
    fn cancel_htlc(&mut self, idx: usize, chan_id: u64, htlc_index: u64, now_ms: i64) {
        let inv = &mut self.state.invoices[idx];
        for htlc in inv
            .htlcs
            .iter_mut()
            .filter(|h| h.chan_id == chan_id && h.htlc_index == htlc_index)
        {
            if htlc.state != HtlcState::Accepted {
                continue;
            }
            htlc.state = HtlcState::Canceled;
            htlc.resolve_time_secs = now_ms.div_euclid(1000);
            if let Some(c) = self.state.channels.iter_mut().find(|c| c.chan_id == htlc.chan_id) {
                c.pending_incoming_msat = c.pending_incoming_msat.saturating_sub(htlc.amt_msat);
                c.remote_balance_msat += htlc.amt_msat;
                c.num_updates += 1;
            }
        }
    }

    /// Cancels OPEN invoices past their expiry and fails back MPP parts held longer than the
    /// MPP timeout. Returns when the next such deadline falls (Unix ms), if any.
    pub(crate) fn expire_due(&mut self, now_ms: i64) -> Option<i64> {
        let mut expired = Vec::new();
        let mut timed_out = Vec::new();
        // OPEN invoices past their expiry, in deadline order; stale entries are dropped.
        while let Some(&(deadline, idx)) = self.expiries.first() {
            let inv = &self.state.invoices[idx];
            if inv.state != InvoiceState::Open || inv.expires_at_ms() != deadline {
                self.expiries.pop_first();
                continue;
            }
            if deadline > now_ms {
                break;
            }
            self.expiries.pop_first();
            expired.push(idx);
        }
        let mut next: Option<i64> = self.expiries.first().map(|&(deadline, _)| deadline);
        let mut consider = |deadline: i64| next = Some(next.map_or(deadline, |n| n.min(deadline)));
        let mut released = Vec::new();
        for &idx in &self.held {
            let inv = &self.state.invoices[idx];
            let mut holding = false;
            if inv.state == InvoiceState::Open && !expired.contains(&idx) {
                for htlc in inv.htlcs.iter().filter(|h| h.state == HtlcState::Accepted) {
                    holding = true;
                    let deadline = htlc.accept_time_ms.saturating_add(self.mpp_timeout_ms);
                    if deadline <= now_ms {
                        timed_out.push((idx, htlc.htlc_index, htlc.chan_id));
                    } else {
                        consider(deadline);
                    }
                }
            }
            if !holding {
                released.push(idx);
            }
        }
        for idx in released {
            self.held.remove(&idx);
        }
        if expired.is_empty() && timed_out.is_empty() {
            return next;
        }
        let mut change = self.begin();
        for &idx in expired.iter().chain(timed_out.iter().map(|(idx, _, _)| idx)) {
            self.touch(&mut change, idx);
        }
        for &(idx, htlc_index, chan_id) in &timed_out {
            tracing::info!(
                chan_id,
                htlc_index,
                "simnode: MPP timeout, failing back a partial payment"
            );
            self.cancel_htlc(idx, chan_id, htlc_index, now_ms);
        }
        for &idx in &expired {
            tracing::info!(
                add_index = self.state.invoices[idx].add_index,
                "simnode: invoice expired, canceling"
            );
            self.cancel_at(idx, now_ms);
        }
        if self.commit(change).is_err() {
            // Retry soon; the error was logged by `commit`.
            return Some(now_ms + 1000);
        }
        for idx in expired {
            self.notify(idx);
        }
        next
    }

    /// Registers a SubscribeInvoices client: queues LND's backlog (invoices added after
    /// `add_index`, then settled after `settle_index`, each only when the index is non-zero),
    /// then live add and settle events.
    pub(crate) fn subscribe_all(&mut self, add_index: u64, settle_index: u64, tx: InvoiceSender) {
        let mut delivered: HashSet<[u8; 32]> = HashSet::new();
        if add_index > 0 {
            for inv in self.state.invoices.iter().filter(|inv| inv.add_index > add_index) {
                // LND's subscription only forwards OPEN and SETTLED invoices.
                if matches!(inv.state, InvoiceState::Open | InvoiceState::Settled) {
                    let _ = tx.send(invoice_to_rpc(inv));
                    delivered.insert(inv.payment_hash);
                }
            }
        }
        if settle_index > 0 {
            let mut settled: Vec<&StoredInvoice> = self
                .state
                .invoices
                .iter()
                .filter(|inv| inv.state == InvoiceState::Settled && inv.settle_index > settle_index)
                .collect();
            settled.sort_by_key(|inv| inv.settle_index);
            for inv in settled {
                if !delivered.contains(&inv.payment_hash) {
                    let _ = tx.send(invoice_to_rpc(inv));
                }
            }
        }
        self.all_subscribers.push(AllSubscriber {
            tx,
            add_index,
            settle_index,
        });
    }

    /// Registers a SubscribeSingleInvoice client: the current state first (if the invoice
    /// exists), then every state change until a final state ends the stream.
    pub(crate) fn subscribe_single(&mut self, hash: [u8; 32], tx: InvoiceSender) {
        if let Some(&idx) = self.by_hash.get(&hash) {
            let inv = &self.state.invoices[idx];
            let _ = tx.send(invoice_to_rpc(inv));
            if inv.state.is_final() {
                return;
            }
        }
        self.single_subscribers.push(SingleSubscriber { hash, tx });
    }

    /// Ends every subscription (their streams finish).
    pub(crate) fn drop_subscribers(&mut self) {
        self.all_subscribers.clear();
        self.single_subscribers.clear();
    }

    /// Pushes the current state of invoice `idx` to subscribers, LND's way: all-invoice
    /// subscribers get new (OPEN) and SETTLED invoices only, each add/settle index once;
    /// single-invoice subscribers get every state change.
    fn notify(&mut self, idx: usize) {
        let inv = &self.state.invoices[idx];
        let rpc = invoice_to_rpc(inv);
        match inv.state {
            InvoiceState::Open => {
                for sub in self.all_subscribers.iter_mut().filter(|s| inv.add_index > s.add_index) {
                    if sub.tx.send(rpc.clone()).is_ok() {
                        sub.add_index = inv.add_index;
                    }
                }
            }
            InvoiceState::Settled => {
                for sub in self
                    .all_subscribers
                    .iter_mut()
                    .filter(|s| inv.settle_index > s.settle_index)
                {
                    if sub.tx.send(rpc.clone()).is_ok() {
                        sub.settle_index = inv.settle_index;
                    }
                }
            }
            InvoiceState::Canceled | InvoiceState::Accepted => {}
        }
        let is_final = inv.state.is_final();
        let hash = inv.payment_hash;
        self.single_subscribers.retain(|sub| {
            if sub.hash != hash {
                return !sub.tx.is_closed();
            }
            sub.tx.send(rpc.clone()).is_ok() && !is_final
        });
        self.all_subscribers.retain(|sub| !sub.tx.is_closed());
    }
}

/// An msat amount for messages: whole sat when exact, msat otherwise.
pub(crate) fn fmt_msat(msat: u64) -> String {
    if msat.is_multiple_of(1000) {
        format!("{} sat", msat / 1000)
    } else {
        format!("{msat} msat")
    }
}

/// The node-wide counters a change may advance.
#[derive(Clone, Copy)]
struct Counters {
    block_height: u32,
    last_add_index: u64,
    last_settle_index: u64,
    last_payment_index: u64,
    last_attempt_id: u64,
}

impl Counters {
    fn of(state: &PersistedState) -> Self {
        Counters {
            block_height: state.block_height,
            last_add_index: state.last_add_index,
            last_settle_index: state.last_settle_index,
            last_payment_index: state.last_payment_index,
            last_attempt_id: state.last_attempt_id,
        }
    }

    fn restore(self, state: &mut PersistedState) {
        state.block_height = self.block_height;
        state.last_add_index = self.last_add_index;
        state.last_settle_index = self.last_settle_index;
        state.last_payment_index = self.last_payment_index;
        state.last_attempt_id = self.last_attempt_id;
    }
}

/// One ledger change in progress: the before-images needed to undo it, and which invoices and
/// whether the payments it touched (what [`Ledger::commit`] journals).
struct Change {
    counters: Counters,
    channels: Vec<ChannelState>,
    /// Invoices at and after this position were created by the change.
    invoices_len: usize,
    /// Existing invoices the change modifies, with their previous values.
    touched: Vec<(usize, StoredInvoice)>,
    /// The payment list before the change, when it touches payments.
    payments: Option<Vec<StoredPayment>>,
    /// The closed-channel list before the change, when it closes a channel.
    closed: Option<Vec<ClosedChannelState>>,
    /// The customer-invoice list before the change, when it touches it.
    customers: Option<Vec<CustomerInvoice>>,
}
