//! The node's persistent state (invoices, indexes, channels, chain tip) and its on-disk form.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::SimNodeError;
use crate::files::{read_optional, write_atomic};

/// Version of `state.json`'s layout.
const FORMAT_VERSION: u32 = 1;

/// Block height of a fresh node; fixed and persisted (nothing is mined in the simulation).
pub(crate) const INITIAL_BLOCK_HEIGHT: u32 = 1_500;

/// Lifecycle of an invoice, as LND's `InvoiceState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum InvoiceState {
    /// Waiting for payment.
    Open,
    /// Paid.
    Settled,
    /// Canceled (explicitly or by expiry).
    Canceled,
    /// A hold invoice whose HTLCs are held until settled or canceled.
    Accepted,
}

impl InvoiceState {
    /// Settled and canceled invoices never change again.
    pub(crate) fn is_final(self) -> bool {
        matches!(self, InvoiceState::Settled | InvoiceState::Canceled)
    }
}

/// State of one HTLC paying an invoice, as LND's `InvoiceHTLCState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum HtlcState {
    /// Held, not resolved yet.
    Accepted,
    /// Settled with the preimage.
    Settled,
    /// Failed back to the payer.
    Canceled,
}

/// One HTLC paying (part of) an invoice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredHtlc {
    pub(crate) chan_id: u64,
    pub(crate) htlc_index: u64,
    pub(crate) amt_msat: u64,
    pub(crate) accept_height: u32,
    pub(crate) accept_time_ms: i64,
    pub(crate) resolve_time_secs: i64,
    pub(crate) expiry_height: u32,
    pub(crate) state: HtlcState,
    pub(crate) mpp_total_amt_msat: u64,
}

/// One hop hint of a route hint, as LND's `HopHint`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredHopHint {
    pub(crate) node_id: String,
    pub(crate) chan_id: u64,
    pub(crate) fee_base_msat: u32,
    pub(crate) fee_proportional_millionths: u32,
    pub(crate) cltv_expiry_delta: u32,
}

/// An invoice and everything LND reports about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredInvoice {
    pub(crate) memo: String,
    /// Unknown (None) for hold invoices until SettleInvoice reveals it.
    #[serde(with = "hex_opt32")]
    pub(crate) preimage: Option<[u8; 32]>,
    #[serde(with = "hex32")]
    pub(crate) payment_hash: [u8; 32],
    pub(crate) value_msat: u64,
    pub(crate) creation_ms: i64,
    pub(crate) settle_date_secs: i64,
    pub(crate) payment_request: String,
    #[serde(with = "hex_opt32")]
    pub(crate) description_hash: Option<[u8; 32]>,
    pub(crate) expiry_secs: u64,
    pub(crate) cltv_expiry: u64,
    pub(crate) route_hints: Vec<Vec<StoredHopHint>>,
    pub(crate) add_index: u64,
    pub(crate) settle_index: u64,
    pub(crate) amt_paid_msat: u64,
    pub(crate) state: InvoiceState,
    pub(crate) htlcs: Vec<StoredHtlc>,
    #[serde(with = "hex32")]
    pub(crate) payment_addr: [u8; 32],
    pub(crate) hold: bool,
    pub(crate) feature_bits: Vec<u32>,
}

impl StoredInvoice {
    /// Unix milliseconds at which the invoice expires.
    pub(crate) fn expires_at_ms(&self) -> i64 {
        let expiry_ms = i64::try_from(self.expiry_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.creation_ms.saturating_add(expiry_ms)
    }

    /// Creation date in Unix seconds, as LND reports it.
    pub(crate) fn creation_secs(&self) -> i64 {
        self.creation_ms.div_euclid(1000)
    }
}

/// One channel with a simulated peer. Balances are in msat; commit fees are taken as zero
/// (a simplification: LND deducts the commitment fee from the initiator's balance).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChannelState {
    pub(crate) chan_id: u64,
    pub(crate) peer_alias: String,
    pub(crate) peer_pubkey: String,
    pub(crate) capacity_sat: u64,
    pub(crate) local_balance_msat: u64,
    pub(crate) remote_balance_msat: u64,
    /// Incoming HTLCs accepted but not resolved yet (taken out of the remote balance).
    pub(crate) pending_incoming_msat: u64,
    pub(crate) active: bool,
    pub(crate) private: bool,
    pub(crate) channel_point: String,
    pub(crate) next_htlc_index: u64,
    pub(crate) total_received_msat: u64,
    pub(crate) num_updates: u64,
    pub(crate) opened_at_secs: i64,
    /// The peer's base fee for forwarding (msat).
    #[serde(default = "default_fee_base_msat")]
    pub(crate) peer_fee_base_msat: u64,
    /// The peer's proportional forwarding fee (parts per million).
    #[serde(default = "default_fee_rate_ppm")]
    pub(crate) peer_fee_rate_ppm: u64,
    /// Our own forwarding policy on this channel (UpdateChannelPolicy).
    #[serde(default)]
    pub(crate) own_policy: OwnPolicy,
}

/// Our side's forwarding policy of a channel, as UpdateChannelPolicy sets it; LND's defaults
/// (`bitcoin.basefee`, `bitcoin.feerate`, `bitcoin.timelockdelta`, `bitcoin.minhtlc`) until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OwnPolicy {
    pub(crate) fee_base_msat: u64,
    pub(crate) fee_rate_ppm: u32,
    pub(crate) time_lock_delta: u32,
    pub(crate) min_htlc_msat: u64,
    /// None: LND's default, the capacity less the channel reserve.
    pub(crate) max_htlc_msat: Option<u64>,
}

impl Default for OwnPolicy {
    fn default() -> Self {
        OwnPolicy {
            fee_base_msat: 1000,
            fee_rate_ppm: 1,
            time_lock_delta: 80,
            min_htlc_msat: 1000,
            max_htlc_msat: None,
        }
    }
}

/// LND's default base fee (`bitcoin.basefee`), msat.
pub(crate) fn default_fee_base_msat() -> u64 {
    1000
}

/// LND's default proportional fee (`bitcoin.feerate`), parts per million.
pub(crate) fn default_fee_rate_ppm() -> u64 {
    1
}

impl ChannelState {
    /// LND's default channel reserve: 1% of the capacity, on each side.
    pub(crate) fn reserve_sat(&self) -> u64 {
        self.capacity_sat / 100
    }

    /// What the peer charges to forward `amt_msat` (LND's fee formula, rounded down).
    pub(crate) fn peer_fee_msat(&self, amt_msat: u64) -> u64 {
        let proportional = u128::from(amt_msat) * u128::from(self.peer_fee_rate_ppm) / 1_000_000;
        self.peer_fee_base_msat
            .saturating_add(u64::try_from(proportional).unwrap_or(u64::MAX))
    }

    /// How much this channel can send: local balance minus our reserve.
    pub(crate) fn spendable_msat(&self) -> u64 {
        self.local_balance_msat.saturating_sub(self.reserve_sat() * 1000)
    }

    /// How much more this channel can receive: remote balance minus the peer's reserve.
    pub(crate) fn receivable_msat(&self) -> u64 {
        self.remote_balance_msat.saturating_sub(self.reserve_sat() * 1000)
    }
}

/// Everything in `state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PersistedState {
    pub(crate) format_version: u32,
    pub(crate) block_height: u32,
    pub(crate) block_hash: String,
    pub(crate) last_add_index: u64,
    pub(crate) last_settle_index: u64,
    pub(crate) channels: Vec<ChannelState>,
    /// Ordered by add index.
    pub(crate) invoices: Vec<StoredInvoice>,
    /// Payments sent (SendPaymentV2), ordered by payment index.
    #[serde(default)]
    pub(crate) payments: Vec<StoredPayment>,
    /// The last payment index handed out.
    #[serde(default)]
    pub(crate) last_payment_index: u64,
    /// The last HTLC attempt id handed out.
    #[serde(default)]
    pub(crate) last_attempt_id: u64,
    /// Channels that are closed (ClosedChannels), in closing order.
    #[serde(default)]
    pub(crate) closed_channels: Vec<ClosedChannelState>,
    /// Invoices of the simulated remote customer node (`simnode invoice`), in creation order.
    #[serde(default)]
    pub(crate) customer_invoices: Vec<CustomerInvoice>,
}

/// An invoice of the simulated remote customer node, which our node pays (a refund).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CustomerInvoice {
    #[serde(with = "hex32")]
    pub(crate) payment_hash: [u8; 32],
    #[serde(with = "hex32")]
    pub(crate) preimage: [u8; 32],
    pub(crate) payment_request: String,
    /// 0 for a zero-amount invoice.
    pub(crate) amount_msat: u64,
    /// What arrived, msat (0 while unpaid).
    pub(crate) paid_msat: u64,
    /// Whether it was paid.
    pub(crate) paid: bool,
    pub(crate) created_ms: i64,
    pub(crate) expiry_secs: u64,
}

/// How a channel was closed, as LND's `ChannelCloseSummary.ClosureType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CloseType {
    /// Both sides signed a closing transaction.
    Cooperative,
    /// We broadcast our commitment transaction.
    LocalForce,
    /// The peer broadcast its commitment transaction.
    RemoteForce,
}

/// A channel that is closed, with its state at the close.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClosedChannelState {
    /// The channel as it was when it closed.
    pub(crate) channel: ChannelState,
    /// Txid (hex, display order) of the closing transaction.
    pub(crate) closing_txid: String,
    /// Block height at which the funding output was spent.
    pub(crate) close_height: u32,
    /// How it closed.
    pub(crate) close_type: CloseType,
}

/// Lifecycle of a sent payment, as LND's `Payment.PaymentStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PaymentStatus {
    /// Attempts are under way.
    InFlight,
    /// Paid: the preimage is known.
    Succeeded,
    /// Failed for good (see the failure reason).
    Failed,
}

/// One hop of a route, as LND's `Hop`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredHop {
    pub(crate) chan_id: u64,
    pub(crate) chan_capacity_sat: u64,
    pub(crate) amt_to_forward_msat: u64,
    pub(crate) fee_msat: u64,
    pub(crate) expiry: u32,
    pub(crate) pub_key: String,
}

/// One HTLC attempt of a payment, as LND's `HTLCAttempt`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredAttempt {
    pub(crate) attempt_id: u64,
    pub(crate) succeeded: bool,
    pub(crate) hops: Vec<StoredHop>,
    pub(crate) total_time_lock: u32,
    pub(crate) attempt_time_ns: i64,
    pub(crate) resolve_time_ns: i64,
    /// `lnrpc.Failure.FailureCode` of a failed attempt.
    pub(crate) failure_code: Option<i32>,
    /// Index in the route of the node that failed the attempt (0 = us).
    pub(crate) failure_source_index: u32,
}

/// A payment this node sent, and everything LND reports about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredPayment {
    #[serde(with = "hex32")]
    pub(crate) payment_hash: [u8; 32],
    #[serde(with = "hex_opt32")]
    pub(crate) preimage: Option<[u8; 32]>,
    pub(crate) value_msat: u64,
    pub(crate) fee_msat: u64,
    pub(crate) creation_time_ns: i64,
    pub(crate) payment_request: String,
    pub(crate) payment_index: u64,
    pub(crate) status: PaymentStatus,
    /// `lnrpc.PaymentFailureReason`.
    pub(crate) failure_reason: i32,
    pub(crate) htlcs: Vec<StoredAttempt>,
}

impl PersistedState {
    /// A fresh node's state with the given channels.
    pub(crate) fn fresh(channels: Vec<ChannelState>) -> Self {
        use bitcoin::hashes::{sha256d, Hash};
        let block_hash = sha256d::Hash::hash(format!("simnode-block:{INITIAL_BLOCK_HEIGHT}").as_bytes());
        PersistedState {
            format_version: FORMAT_VERSION,
            block_height: INITIAL_BLOCK_HEIGHT,
            block_hash: hex::encode(block_hash.to_byte_array()),
            last_add_index: 0,
            last_settle_index: 0,
            channels,
            invoices: Vec::new(),
            payments: Vec::new(),
            customer_invoices: Vec::new(),
            last_payment_index: 0,
            last_attempt_id: 0,
            closed_channels: Vec::new(),
        }
    }

    /// Loads `state.json`, `Ok(None)` when it does not exist yet.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, SimNodeError> {
        let Some(bytes) = read_optional(path)? else {
            return Ok(None);
        };
        let state: PersistedState = serde_json::from_slice(&bytes)
            .map_err(|e| SimNodeError::corrupt(path, format!("not a simnode state file: {e}")))?;
        if state.format_version != FORMAT_VERSION {
            return Err(SimNodeError::corrupt(
                path,
                format!(
                    "format version {} is not the supported {FORMAT_VERSION}",
                    state.format_version
                ),
            ));
        }
        Ok(Some(state))
    }

    /// Writes the state atomically (temporary file + rename), readable by the owner only.
    pub(crate) fn save(&self, path: &Path) -> Result<(), SimNodeError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| SimNodeError::corrupt(path, format!("cannot encode state: {e}")))?;
        write_atomic(path, &json, true)
    }
}

/// Serde helpers: `[u8; 32]` as a hex string.
mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("expected 32 hex bytes"))
    }
}

/// Serde helpers: `Option<[u8; 32]>` as a hex string or null.
mod hex_opt32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("expected 32 hex bytes"))?;
        Ok(Some(array))
    }
}
