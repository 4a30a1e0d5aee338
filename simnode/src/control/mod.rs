//! The control surface: a small HTTP API (not LND's) on 127.0.0.1 through which simulated
//! customers pay our invoices and tests inject faults. Its URL and bearer token are written to
//! `DIR/control.json`.

pub(crate) mod client;
pub(crate) mod server;

use serde::{Deserialize, Serialize};

/// Options of a simulated incoming payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayOptions {
    /// Receive on this channel (short channel id) instead of the one with most inbound room.
    pub via_chan_id: Option<u64>,
    /// Amount to pay: required for zero-amount invoices; less than the invoice amount pays one
    /// part of a multi-part payment.
    pub amount_msat: Option<u64>,
}

/// How far a simulated payment got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayStatus {
    /// The invoice is now SETTLED.
    Settled,
    /// A hold invoice is now ACCEPTED; it settles when its preimage is revealed (SettleInvoice).
    HoldAccepted,
    /// One part of a multi-part payment is held; the invoice stays OPEN until the parts sum
    /// to its amount (or they fail back after the MPP timeout).
    PartAccepted,
}

/// Result of a simulated incoming payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayOutcome {
    /// How far the payment got.
    pub status: PayStatus,
    /// The invoice's payment hash, hex.
    pub payment_hash_hex: String,
    /// The preimage the payer learns, hex; only once settled.
    pub preimage_hex: Option<String>,
    /// Amount of this payment (HTLC), msat.
    pub amount_msat: u64,
    /// Channel the HTLC arrived on.
    pub chan_id: u64,
    /// Total the invoice has received so far (held or settled HTLCs), msat.
    pub invoice_received_msat: u64,
}

/// A fault to inject into the node's gRPC surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultCommand {
    /// Delay every call (or only calls of `method`) by `ms` before handling it.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
        /// Method name (`GetInfo`) or full path (`/lnrpc.Lightning/GetInfo`); all when absent.
        method: Option<String>,
    },
    /// Answer the next `count` calls with status UNAVAILABLE.
    Unavailable {
        /// How many calls to refuse.
        count: u32,
    },
    /// End every open server stream (SubscribeInvoices, SubscribeSingleInvoice) now.
    DropStreams,
    /// SendPaymentV2 payments take `ms` to complete (a slow route); one whose
    /// `timeout_seconds` passes first fails with FAILURE_REASON_TIMEOUT and moves nothing.
    SlowPayments {
        /// Time a payment takes, milliseconds.
        ms: u64,
    },
    /// Remove latency, slow payments and pending UNAVAILABLE faults.
    Clear,
    /// Force-close channel `chan_id`: it leaves the open channels for ClosedChannels with
    /// close type REMOTE_FORCE_CLOSE (`remote`) or LOCAL_FORCE_CLOSE and a closing txid.
    ForceClose {
        /// Short channel id of the channel.
        chan_id: u64,
        /// The peer broadcast its commitment (else we did).
        remote: bool,
    },
    /// Take peer `peer` (pubkey hex or alias) offline: ListPeers loses it and its channels
    /// become inactive.
    PeerOffline {
        /// Pubkey hex or alias.
        peer: String,
    },
    /// Bring peer `peer` back online: its channels become active again.
    PeerOnline {
        /// Pubkey hex or alias.
        peer: String,
    },
}

/// Content of `DIR/control.json`.
#[derive(Serialize, Deserialize)]
pub(crate) struct ControlFile {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// Bearer token required by every request (secret).
    pub(crate) token: String,
}

/// Body of `POST /v1/pay`.
#[derive(Serialize, Deserialize)]
pub(crate) struct PayRequest {
    pub(crate) payment_request: String,
    #[serde(flatten)]
    pub(crate) options: PayOptions,
}

/// Error body of every control endpoint.
#[derive(Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    pub(crate) error: String,
    /// `payment_failed` when a payment failed the way LND would fail it, else `bad_request`.
    pub(crate) kind: String,
}
