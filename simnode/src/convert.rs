//! Conversions from the node's stored state to LND's protobuf messages.

use std::collections::HashMap;

use lnd_proto::lnrpc;

use crate::bolt11::feature_name;
use crate::state::{
    ChannelState, CloseType, ClosedChannelState, HtlcState, InvoiceState, PaymentStatus, StoredHop, StoredHopHint,
    StoredInvoice, StoredPayment,
};

/// An invoice as LND's `CreateRPCInvoice` reports it.
pub(crate) fn invoice_to_rpc(inv: &StoredInvoice) -> lnrpc::Invoice {
    let state = match inv.state {
        InvoiceState::Open => lnrpc::invoice::InvoiceState::Open,
        InvoiceState::Settled => lnrpc::invoice::InvoiceState::Settled,
        InvoiceState::Canceled => lnrpc::invoice::InvoiceState::Canceled,
        InvoiceState::Accepted => lnrpc::invoice::InvoiceState::Accepted,
    };
    let mut htlcs: Vec<lnrpc::InvoiceHtlc> = inv
        .htlcs
        .iter()
        .map(|h| lnrpc::InvoiceHtlc {
            chan_id: h.chan_id,
            htlc_index: h.htlc_index,
            amt_msat: h.amt_msat,
            accept_height: i32::try_from(h.accept_height).unwrap_or(i32::MAX),
            accept_time: h.accept_time_ms.div_euclid(1000),
            // LND reports a resolve time only once the HTLC is resolved.
            resolve_time: if h.state == HtlcState::Accepted {
                0
            } else {
                h.resolve_time_secs
            },
            expiry_height: i32::try_from(h.expiry_height).unwrap_or(i32::MAX),
            state: match h.state {
                HtlcState::Accepted => lnrpc::InvoiceHtlcState::Accepted,
                HtlcState::Settled => lnrpc::InvoiceHtlcState::Settled,
                HtlcState::Canceled => lnrpc::InvoiceHtlcState::Canceled,
            } as i32,
            custom_records: HashMap::new(),
            mpp_total_amt_msat: h.mpp_total_amt_msat,
        })
        .collect();
    htlcs.sort_by_key(|h| h.htlc_index);
    let route_hints = route_hints_to_rpc(&inv.route_hints);
    lnrpc::Invoice {
        memo: inv.memo.clone(),
        r_preimage: inv.preimage.map(|p| p.to_vec()).unwrap_or_default(),
        r_hash: inv.payment_hash.to_vec(),
        value: msat_to_sat_i64(inv.value_msat),
        value_msat: msat_i64(inv.value_msat),
        settled: inv.state == InvoiceState::Settled,
        creation_date: inv.creation_secs(),
        settle_date: inv.settle_date_secs,
        payment_request: inv.payment_request.clone(),
        description_hash: inv.description_hash.map(|h| h.to_vec()).unwrap_or_default(),
        expiry: i64::try_from(inv.expiry_secs).unwrap_or(i64::MAX),
        fallback_addr: String::new(),
        cltv_expiry: inv.cltv_expiry,
        private: !route_hints.is_empty(),
        route_hints,
        add_index: inv.add_index,
        settle_index: inv.settle_index,
        amt_paid: msat_i64(inv.amt_paid_msat),
        amt_paid_sat: msat_to_sat_i64(inv.amt_paid_msat),
        amt_paid_msat: msat_i64(inv.amt_paid_msat),
        state: state as i32,
        htlcs,
        features: features_to_rpc(&inv.feature_bits),
        is_keysend: false,
        payment_addr: inv.payment_addr.to_vec(),
        is_amp: false,
    }
}

/// Route hints in LND's protobuf form.
pub(crate) fn route_hints_to_rpc(hints: &[Vec<StoredHopHint>]) -> Vec<lnrpc::RouteHint> {
    hints
        .iter()
        .map(|hint| lnrpc::RouteHint {
            hop_hints: hint
                .iter()
                .map(|h| lnrpc::HopHint {
                    node_id: h.node_id.clone(),
                    chan_id: h.chan_id,
                    fee_base_msat: h.fee_base_msat,
                    fee_proportional_millionths: h.fee_proportional_millionths,
                    cltv_expiry_delta: h.cltv_expiry_delta,
                })
                .collect(),
        })
        .collect()
}

/// Route hints from LND's protobuf form.
pub(crate) fn route_hints_from_rpc(hints: &[lnrpc::RouteHint]) -> Vec<Vec<StoredHopHint>> {
    hints
        .iter()
        .map(|hint| {
            hint.hop_hints
                .iter()
                .map(|h| StoredHopHint {
                    node_id: h.node_id.clone(),
                    chan_id: h.chan_id,
                    fee_base_msat: h.fee_base_msat,
                    fee_proportional_millionths: h.fee_proportional_millionths,
                    cltv_expiry_delta: h.cltv_expiry_delta,
                })
                .collect()
        })
        .collect()
}

/// A feature-bit list as LND's `map<uint32, Feature>`.
pub(crate) fn features_to_rpc(bits: &[u32]) -> HashMap<u32, lnrpc::Feature> {
    bits.iter()
        .map(|&bit| {
            let (name, is_known) = feature_name(bit);
            (
                bit,
                lnrpc::Feature {
                    name: name.to_string(),
                    is_required: bit % 2 == 0,
                    is_known,
                },
            )
        })
        .collect()
}

/// A channel as LND's `ListChannels` reports it.
pub(crate) fn channel_to_rpc(c: &ChannelState, now_secs: i64, with_alias: bool) -> lnrpc::Channel {
    let reserve = c.reserve_sat();
    let constraints = |reserve_sat: u64| lnrpc::ChannelConstraints {
        csv_delay: 144,
        chan_reserve_sat: reserve_sat,
        dust_limit_sat: 354,
        max_pending_amt_msat: c.capacity_sat * 1000 * 99 / 100,
        min_htlc_msat: 1,
        max_accepted_htlcs: 483,
    };
    let lifetime = now_secs.saturating_sub(c.opened_at_secs).max(0);
    lnrpc::Channel {
        active: c.active,
        remote_pubkey: c.peer_pubkey.clone(),
        channel_point: c.channel_point.clone(),
        chan_id: c.chan_id,
        capacity: sat_i64(c.capacity_sat),
        local_balance: msat_to_sat_i64(c.local_balance_msat),
        remote_balance: msat_to_sat_i64(c.remote_balance_msat),
        // Commitment fees are simulated as zero (see `ChannelState`).
        commit_fee: 0,
        commit_weight: 772,
        fee_per_kw: 253,
        unsettled_balance: msat_to_sat_i64(c.pending_incoming_msat),
        total_satoshis_sent: 0,
        total_satoshis_received: msat_to_sat_i64(c.total_received_msat),
        num_updates: c.num_updates,
        private: c.private,
        initiator: true,
        chan_status_flags: "ChanStatusDefault".to_string(),
        local_chan_reserve_sat: sat_i64(reserve),
        remote_chan_reserve_sat: sat_i64(reserve),
        lifetime,
        uptime: if c.active { lifetime } else { 0 },
        push_amount_sat: 0,
        local_constraints: Some(constraints(reserve)),
        remote_constraints: Some(constraints(reserve)),
        peer_alias: if with_alias {
            c.peer_alias.clone()
        } else {
            String::new()
        },
        memo: String::new(),
    }
}

/// msat as LND's signed msat fields.
pub(crate) fn msat_i64(msat: u64) -> i64 {
    i64::try_from(msat).unwrap_or(i64::MAX)
}

/// msat rounded down to whole sat, as LND's signed sat fields.
pub(crate) fn msat_to_sat_i64(msat: u64) -> i64 {
    i64::try_from(msat / 1000).unwrap_or(i64::MAX)
}

/// sat as LND's signed sat fields.
pub(crate) fn sat_i64(sat: u64) -> i64 {
    i64::try_from(sat).unwrap_or(i64::MAX)
}

/// A route as LND's `MarshallRoute` reports it: each hop's fee is what that hop's node keeps
/// (what reaches it minus what it forwards), and `chan_capacity` is the amount reaching the hop
/// in sat (LND does not know the capacity there and fills in the incoming amount).
// LND still fills the deprecated `tlv_payload` (always true since legacy payloads went away).
#[allow(deprecated)]
pub(crate) fn route_to_rpc(hops: &[StoredHop], total_time_lock: u32) -> lnrpc::Route {
    let total_amt_msat = hops.first().map(|h| h.amt_to_forward_msat + h.fee_msat).unwrap_or(0);
    let total_fees_msat: u64 = hops.iter().map(|h| h.fee_msat).sum();
    let mut incoming_msat = total_amt_msat;
    let hops = hops
        .iter()
        .map(|h| {
            let hop = lnrpc::Hop {
                chan_id: h.chan_id,
                chan_capacity: msat_to_sat_i64(incoming_msat),
                amt_to_forward: msat_to_sat_i64(h.amt_to_forward_msat),
                fee: msat_to_sat_i64(h.fee_msat),
                expiry: h.expiry,
                amt_to_forward_msat: msat_i64(h.amt_to_forward_msat),
                fee_msat: msat_i64(h.fee_msat),
                pub_key: h.pub_key.clone(),
                tlv_payload: true,
            };
            incoming_msat = h.amt_to_forward_msat;
            hop
        })
        .collect();
    lnrpc::Route {
        total_time_lock,
        total_fees: msat_to_sat_i64(total_fees_msat),
        total_amt: msat_to_sat_i64(total_amt_msat),
        hops,
        total_fees_msat: msat_i64(total_fees_msat),
        total_amt_msat: msat_i64(total_amt_msat),
    }
}

/// A sent payment as LND's `Payment` (routerrpc streams) reports it.
pub(crate) fn payment_to_rpc(p: &StoredPayment) -> lnrpc::Payment {
    use lnrpc::htlc_attempt::HtlcStatus;
    use lnrpc::payment::PaymentStatus as RpcStatus;
    let htlcs = p
        .htlcs
        .iter()
        .map(|a| {
            let route = route_to_rpc(&a.hops, a.total_time_lock);
            let status = match (a.succeeded, a.failure_code) {
                (true, _) => HtlcStatus::Succeeded,
                (false, Some(_)) => HtlcStatus::Failed,
                (false, None) => HtlcStatus::InFlight,
            };
            lnrpc::HtlcAttempt {
                attempt_id: a.attempt_id,
                status: status as i32,
                route: Some(route),
                attempt_time_ns: a.attempt_time_ns,
                resolve_time_ns: a.resolve_time_ns,
                failure: a.failure_code.map(|code| lnrpc::Failure {
                    code,
                    failure_source_index: a.failure_source_index,
                    ..Default::default()
                }),
                preimage: if a.succeeded {
                    p.preimage.map(|x| x.to_vec()).unwrap_or_default()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let status = match p.status {
        PaymentStatus::InFlight => RpcStatus::InFlight,
        PaymentStatus::Succeeded => RpcStatus::Succeeded,
        PaymentStatus::Failed => RpcStatus::Failed,
    };
    lnrpc::Payment {
        payment_hash: hex::encode(p.payment_hash),
        value: msat_to_sat_i64(p.value_msat),
        creation_date: p.creation_time_ns.div_euclid(1_000_000_000),
        fee: msat_to_sat_i64(p.fee_msat),
        // LND reports an all-zero preimage until the payment succeeds.
        payment_preimage: hex::encode(p.preimage.unwrap_or([0u8; 32])),
        value_sat: msat_to_sat_i64(p.value_msat),
        value_msat: msat_i64(p.value_msat),
        payment_request: p.payment_request.clone(),
        status: status as i32,
        fee_sat: msat_to_sat_i64(p.fee_msat),
        fee_msat: msat_i64(p.fee_msat),
        creation_time_ns: p.creation_time_ns,
        htlcs,
        payment_index: p.payment_index,
        failure_reason: p.failure_reason,
    }
}

/// The regtest genesis block hash, as LND's `ChannelCloseSummary.chain_hash` shows it.
const REGTEST_GENESIS_HASH: &str = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

/// A closed channel as LND's `ClosedChannels` (and the CLOSED_CHANNEL channel event) reports it.
pub(crate) fn closed_channel_to_rpc(c: &ClosedChannelState) -> lnrpc::ChannelCloseSummary {
    use lnrpc::channel_close_summary::ClosureType;
    let local_sat = msat_to_sat_i64(c.channel.local_balance_msat);
    // Our output of our own commitment is time-locked (to_self_delay); after a cooperative or
    // remote close it is ours at once.
    let (settled, time_locked) = match c.close_type {
        CloseType::LocalForce => (0, local_sat),
        CloseType::Cooperative | CloseType::RemoteForce => (local_sat, 0),
    };
    lnrpc::ChannelCloseSummary {
        channel_point: c.channel.channel_point.clone(),
        chan_id: c.channel.chan_id,
        chain_hash: REGTEST_GENESIS_HASH.to_string(),
        closing_tx_hash: c.closing_txid.clone(),
        remote_pubkey: c.channel.peer_pubkey.clone(),
        capacity: sat_i64(c.channel.capacity_sat),
        close_height: c.close_height,
        settled_balance: settled,
        time_locked_balance: time_locked,
        close_type: match c.close_type {
            CloseType::Cooperative => ClosureType::CooperativeClose,
            CloseType::LocalForce => ClosureType::LocalForceClose,
            CloseType::RemoteForce => ClosureType::RemoteForceClose,
        } as i32,
    }
}

/// A `txid:index` channel point as LND's `ChannelPoint` in channel events: the txid's bytes in
/// wire (reversed display) order.
pub(crate) fn channel_point_to_rpc(point: &str) -> lnrpc::ChannelPoint {
    let (txid_hex, index) = point.split_once(':').unwrap_or((point, "0"));
    let mut bytes = hex::decode(txid_hex).unwrap_or_default();
    bytes.reverse();
    lnrpc::ChannelPoint {
        funding_txid: Some(lnrpc::channel_point::FundingTxid::FundingTxidBytes(bytes)),
        output_index: index.parse().unwrap_or(0),
    }
}

/// SubscribeChannelGraph's update when a channel's funding output is spent.
pub(crate) fn closed_graph_update(closed: &ClosedChannelState) -> lnrpc::GraphTopologyUpdate {
    let c = &closed.channel;
    lnrpc::GraphTopologyUpdate {
        closed_chans: vec![lnrpc::ClosedChannelUpdate {
            chan_id: c.chan_id,
            capacity: sat_i64(c.capacity_sat),
            closed_height: closed.close_height,
            chan_point: Some(channel_point_to_rpc(&c.channel_point)),
        }],
        ..Default::default()
    }
}

/// The channel events LND streams when `c` becomes active or inactive.
pub(crate) fn activity_event(c: &ChannelState) -> lnrpc::ChannelEventUpdate {
    use lnrpc::channel_event_update::{Channel, UpdateType};
    let point = channel_point_to_rpc(&c.channel_point);
    if c.active {
        lnrpc::ChannelEventUpdate {
            r#type: UpdateType::ActiveChannel as i32,
            channel: Some(Channel::ActiveChannel(point)),
        }
    } else {
        lnrpc::ChannelEventUpdate {
            r#type: UpdateType::InactiveChannel as i32,
            channel: Some(Channel::InactiveChannel(point)),
        }
    }
}

/// The CLOSED_CHANNEL event of a closed channel.
pub(crate) fn closed_event(c: &ClosedChannelState) -> lnrpc::ChannelEventUpdate {
    use lnrpc::channel_event_update::{Channel, UpdateType};
    lnrpc::ChannelEventUpdate {
        r#type: UpdateType::ClosedChannel as i32,
        channel: Some(Channel::ClosedChannel(closed_channel_to_rpc(c))),
    }
}
