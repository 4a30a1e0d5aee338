//! The read-only `lnrpc.Lightning` calls node tools (dashboards, CLIs) make at start-up:
//! the on-chain wallet, peers, pending and closed channels, the channel graph and the fee
//! schedule, answered from the node's channels the way LND 0.21 fills them.

use std::collections::{BTreeMap, HashMap};

use lnd_proto::lnrpc;
use tonic::Status;

use super::wallet::WALLET_CONFIRMED_SAT;
use crate::convert::payment_to_rpc;
use crate::convert::{channel_point_to_rpc, closed_channel_to_rpc, features_to_rpc, msat_to_sat_i64, sat_i64};
use crate::state::{ChannelState, CloseType, ClosedChannelState, OwnPolicy, PaymentStatus, StoredPayment};

/// LND reserves this much on-chain per anchor channel for fee bumping (`anchorChanReservedValue`).
const ANCHOR_RESERVE_PER_CHAN_SAT: i64 = 10_000;

/// LND's cap on the anchor reserve (`maxAnchorChanReservedValue`).
const ANCHOR_RESERVE_MAX_SAT: i64 = 100_000;

/// LND's default `bitcoin.timelockdelta`, advertised by every simulated peer.
const PEER_TIME_LOCK_DELTA: u32 = 80;

/// LND's default advertised minimum HTLC (`bitcoin.minhtlc`), msat, of every simulated peer.
const PEER_MIN_HTLC_MSAT: u64 = 1000;

/// The node colour LND uses by default (also what GetInfo reports).
pub(crate) const NODE_COLOR: &str = "#3399ff";

/// Feature bits of every node announcement in the simulated graph.
pub(crate) const NODE_FEATURE_BITS: [u32; 5] = [0, 9, 12, 14, 17];

/// WalletBalance: the fixed regtest UTXO, all confirmed, in the "default" account.
pub(crate) fn wallet_balance(
    req: &lnrpc::WalletBalanceRequest,
    channels: &[ChannelState],
) -> Result<lnrpc::WalletBalanceResponse, Status> {
    super::wallet::check_account(&req.account)?;
    let confirmed = WALLET_CONFIRMED_SAT;
    let unconfirmed = 0;
    let anchor_chans = i64::try_from(channels.len()).unwrap_or(i64::MAX);
    let reserved = anchor_chans
        .saturating_mul(ANCHOR_RESERVE_PER_CHAN_SAT)
        .min(ANCHOR_RESERVE_MAX_SAT);
    Ok(lnrpc::WalletBalanceResponse {
        total_balance: confirmed + unconfirmed,
        confirmed_balance: confirmed,
        unconfirmed_balance: unconfirmed,
        locked_balance: 0,
        reserved_balance_anchor_chan: reserved,
        account_balance: HashMap::from([(
            "default".to_string(),
            lnrpc::WalletAccountBalance {
                confirmed_balance: confirmed,
                unconfirmed_balance: unconfirmed,
            },
        )]),
    })
}

/// A simulated peer's network address: a loopback port derived from the first channel with it.
fn peer_address(chan_id: u64) -> String {
    format!("127.0.0.1:{}", 10_000 + chan_id % 50_000)
}

/// ListPeers: one entry per peer we have an active channel with (an offline peer is not
/// connected, so LND does not list it), in pubkey order.
pub(crate) fn list_peers(channels: &[ChannelState]) -> lnrpc::ListPeersResponse {
    let mut peers: BTreeMap<&str, lnrpc::Peer> = BTreeMap::new();
    for c in channels.iter().filter(|c| c.active) {
        let peer = peers.entry(c.peer_pubkey.as_str()).or_insert_with(|| lnrpc::Peer {
            pub_key: c.peer_pubkey.clone(),
            address: peer_address(c.chan_id),
            // We opened every simulated channel, so the connection is outbound.
            inbound: false,
            ping_time: 1_000,
            sync_type: lnrpc::peer::SyncType::ActiveSync as i32,
            features: features_to_rpc(&NODE_FEATURE_BITS),
            ..Default::default()
        });
        // LND sums the channels' total_satoshis_sent / total_satoshis_received.
        peer.sat_recv = peer.sat_recv.saturating_add(msat_to_sat_i64(c.total_received_msat));
    }
    lnrpc::ListPeersResponse {
        peers: peers.into_values().collect(),
    }
}

/// PendingChannels: simulated channels open and close at once, so nothing is pending.
pub(crate) fn pending_channels() -> lnrpc::PendingChannelsResponse {
    lnrpc::PendingChannelsResponse {
        total_limbo_balance: 0,
        pending_open_channels: Vec::new(),
        pending_force_closing_channels: Vec::new(),
        waiting_close_channels: Vec::new(),
    }
}

/// ClosedChannels with LND's filter: no flag set lists every type, otherwise only those set.
pub(crate) fn closed_channels(
    req: &lnrpc::ClosedChannelsRequest,
    closed: &[ClosedChannelState],
) -> lnrpc::ClosedChannelsResponse {
    let filter =
        req.cooperative || req.local_force || req.remote_force || req.breach || req.funding_canceled || req.abandoned;
    let mut sorted: Vec<&ClosedChannelState> = closed.iter().collect();
    sorted.sort_by_key(|c| c.close_height);
    let channels = sorted
        .into_iter()
        .filter(|c| {
            !filter
                || match c.close_type {
                    CloseType::Cooperative => req.cooperative,
                    CloseType::LocalForce => req.local_force,
                    CloseType::RemoteForce => req.remote_force,
                }
        })
        .map(closed_channel_to_rpc)
        .collect();
    lnrpc::ClosedChannelsResponse { channels }
}

/// FeeReport: our fee schedule on every open channel (LND's defaults until UpdateChannelPolicy);
/// nothing forwarded, so no fees earned.
pub(crate) fn fee_report(channels: &[ChannelState]) -> lnrpc::FeeReportResponse {
    let channel_fees = channels
        .iter()
        .map(|c| lnrpc::ChannelFeeReport {
            chan_id: c.chan_id,
            channel_point: c.channel_point.clone(),
            base_fee_msat: i64::try_from(c.own_policy.fee_base_msat).unwrap_or(i64::MAX),
            fee_per_mil: i64::from(c.own_policy.fee_rate_ppm),
            // LND: fee_per_mil / 1e6.
            fee_rate: f64::from(c.own_policy.fee_rate_ppm) / 1_000_000.0,
            inbound_base_fee_msat: 0,
            inbound_fee_per_mil: 0,
        })
        .collect();
    lnrpc::FeeReportResponse {
        channel_fees,
        day_fee_sum: 0,
        week_fee_sum: 0,
        month_fee_sum: 0,
    }
}

/// Our node as the graph knows it.
pub(crate) struct OwnNode<'a> {
    /// Identity pubkey, hex.
    pub(crate) pubkey: &'a str,
    /// Alias.
    pub(crate) alias: &'a str,
}

/// The channel graph the simnode knows: our node, our peers and our channels (public ones
/// unless `include_unannounced`), each edge with both directions' policies.
pub(crate) struct Graph {
    /// Nodes in pubkey order (ours included).
    pub(crate) nodes: Vec<lnrpc::LightningNode>,
    /// Edges in channel-id order.
    pub(crate) edges: Vec<lnrpc::ChannelEdge>,
}

/// A directed edge policy of channel `c`.
fn policy(p: &OwnPolicy, c: &ChannelState) -> lnrpc::RoutingPolicy {
    let reserve_msat = c.reserve_sat().saturating_mul(1000);
    // LND's default max HTLC: the capacity less the channel reserve.
    let default_max_htlc_msat = c.capacity_sat.saturating_mul(1000).saturating_sub(reserve_msat);
    lnrpc::RoutingPolicy {
        time_lock_delta: p.time_lock_delta,
        min_htlc: i64::try_from(p.min_htlc_msat).unwrap_or(i64::MAX),
        fee_base_msat: i64::try_from(p.fee_base_msat).unwrap_or(i64::MAX),
        fee_rate_milli_msat: i64::from(p.fee_rate_ppm),
        // An inactive channel is disabled by both ends.
        disabled: !c.active,
        max_htlc_msat: p.max_htlc_msat.unwrap_or(default_max_htlc_msat),
        last_update: u32::try_from(c.opened_at_secs).unwrap_or(0),
        inbound_fee_base_msat: 0,
        inbound_fee_rate_milli_msat: 0,
    }
}

/// SubscribeChannelGraph's update after our policy changed on `channels`: one edge update each,
/// advertised by us towards the peer.
pub(crate) fn own_policy_updates<'a>(
    own_pubkey: &str,
    channels: impl Iterator<Item = &'a ChannelState>,
) -> lnrpc::GraphTopologyUpdate {
    lnrpc::GraphTopologyUpdate {
        channel_updates: channels
            .map(|c| lnrpc::ChannelEdgeUpdate {
                chan_id: c.chan_id,
                chan_point: Some(channel_point_to_rpc(&c.channel_point)),
                capacity: sat_i64(c.capacity_sat),
                routing_policy: Some(policy(&c.own_policy, c)),
                advertising_node: own_pubkey.to_string(),
                connecting_node: c.peer_pubkey.clone(),
            })
            .collect(),
        ..Default::default()
    }
}

fn edge(own: &OwnNode<'_>, c: &ChannelState) -> lnrpc::ChannelEdge {
    let ours = policy(&c.own_policy, c);
    let peer_policy = OwnPolicy {
        fee_base_msat: c.peer_fee_base_msat,
        fee_rate_ppm: u32::try_from(c.peer_fee_rate_ppm).unwrap_or(u32::MAX),
        time_lock_delta: PEER_TIME_LOCK_DELTA,
        min_htlc_msat: PEER_MIN_HTLC_MSAT,
        max_htlc_msat: None,
    };
    let theirs = policy(&peer_policy, c);
    // BOLT 7: node_1 is the node with the lexicographically smaller compressed pubkey (lowercase
    // hex sorts as its bytes do).
    let we_are_node1 = own.pubkey < c.peer_pubkey.as_str();
    let (node1_pub, node2_pub, node1_policy, node2_policy) = if we_are_node1 {
        (own.pubkey.to_string(), c.peer_pubkey.clone(), ours, theirs)
    } else {
        (c.peer_pubkey.clone(), own.pubkey.to_string(), theirs, ours)
    };
    lnrpc::ChannelEdge {
        channel_id: c.chan_id,
        chan_point: c.channel_point.clone(),
        node1_pub,
        node2_pub,
        capacity: sat_i64(c.capacity_sat),
        node1_policy: Some(node1_policy),
        node2_policy: Some(node2_policy),
    }
}

impl Graph {
    /// The graph around `own` with `channels`.
    pub(crate) fn build(own: &OwnNode<'_>, channels: &[ChannelState], include_unannounced: bool) -> Graph {
        let mut included: Vec<&ChannelState> = channels.iter().filter(|c| include_unannounced || !c.private).collect();
        included.sort_by_key(|c| c.chan_id);
        let mut nodes: BTreeMap<String, lnrpc::LightningNode> = BTreeMap::new();
        let node =
            |pubkey: &str, alias: &str, addresses: Vec<lnrpc::NodeAddress>, last_update: u32| lnrpc::LightningNode {
                last_update,
                pub_key: pubkey.to_string(),
                alias: alias.to_string(),
                addresses,
                color: NODE_COLOR.to_string(),
                features: features_to_rpc(&NODE_FEATURE_BITS),
            };
        let first_update = included
            .iter()
            .map(|c| u32::try_from(c.opened_at_secs).unwrap_or(0))
            .min()
            .unwrap_or(0);
        nodes.insert(
            own.pubkey.to_string(),
            node(own.pubkey, own.alias, Vec::new(), first_update),
        );
        for c in &included {
            nodes.entry(c.peer_pubkey.clone()).or_insert_with(|| {
                node(
                    &c.peer_pubkey,
                    &c.peer_alias,
                    vec![lnrpc::NodeAddress {
                        network: "tcp".to_string(),
                        addr: peer_address(c.chan_id),
                    }],
                    u32::try_from(c.opened_at_secs).unwrap_or(0),
                )
            });
        }
        Graph {
            nodes: nodes.into_values().collect(),
            edges: included.into_iter().map(|c| edge(own, c)).collect(),
        }
    }

    /// GetNodeInfo for `req.pub_key`, as LND answers it (NOT_FOUND for a node it does not know).
    pub(crate) fn node_info(&self, req: &lnrpc::NodeInfoRequest) -> Result<lnrpc::NodeInfo, Status> {
        if req.include_auth_proof && !req.include_channels {
            return Err(Status::unknown("include_auth_proof depends on include_channels"));
        }
        // route.NewVertexFromStr.
        if req.pub_key.len() != 66 {
            return Err(Status::unknown(format!(
                "invalid vertex string length of {}, want 66",
                req.pub_key.len()
            )));
        }
        hex::decode(&req.pub_key).map_err(|e| Status::unknown(format!("encoding/hex: {e}")))?;
        let wanted = req.pub_key.to_ascii_lowercase();
        let node = self
            .nodes
            .iter()
            .find(|n| n.pub_key == wanted)
            .ok_or_else(|| Status::not_found("unable to find node"))?;
        let edges: Vec<&lnrpc::ChannelEdge> = self
            .edges
            .iter()
            .filter(|e| e.node1_pub == wanted || e.node2_pub == wanted)
            .collect();
        Ok(lnrpc::NodeInfo {
            node: Some(node.clone()),
            num_channels: u32::try_from(edges.len()).unwrap_or(u32::MAX),
            total_capacity: edges.iter().map(|e| e.capacity).sum(),
            channels: if req.include_channels {
                edges.into_iter().cloned().collect()
            } else {
                Vec::new()
            },
        })
    }

    /// GetNetworkInfo over this graph, with LND's formulas.
    pub(crate) fn network_info(&self) -> lnrpc::NetworkInfo {
        let num_nodes = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        let num_channels = u32::try_from(self.edges.len()).unwrap_or(u32::MAX);
        let mut sizes: Vec<i64> = self.edges.iter().map(|e| e.capacity).collect();
        sizes.sort_unstable();
        let total: i64 = sizes.iter().sum();
        let max_out_degree = self
            .nodes
            .iter()
            .map(|n| {
                self.edges
                    .iter()
                    .filter(|e| e.node1_pub == n.pub_key || e.node2_pub == n.pub_key)
                    .count()
            })
            .max()
            .unwrap_or(0);
        // autopilot.Median: the middle value, or the mean of the two middle values.
        let median = match sizes.len() {
            0 => 0,
            n if n % 2 == 1 => sizes[n / 2],
            n => (sizes[n / 2 - 1] + sizes[n / 2]) / 2,
        };
        // A star around our node: the longest shortest path is peer-us-peer.
        let graph_diameter = match self.nodes.len() {
            0 | 1 => 0,
            2 => 1,
            _ => 2,
        };
        lnrpc::NetworkInfo {
            graph_diameter,
            avg_out_degree: if num_nodes == 0 {
                0.0
            } else {
                f64::from(2 * num_channels) / f64::from(num_nodes)
            },
            max_out_degree: u32::try_from(max_out_degree).unwrap_or(u32::MAX),
            num_nodes,
            num_channels,
            total_network_capacity: total,
            avg_channel_size: if num_channels == 0 {
                0.0
            } else {
                total as f64 / f64::from(num_channels)
            },
            min_channel_size: sizes.first().copied().unwrap_or(0),
            max_channel_size: sizes.last().copied().unwrap_or(0),
            median_channel_size_sat: median,
            num_zombie_chans: 0,
        }
    }
}

/// paymentsdb's `DefaultMaxPayments`: the page size when `max_payments` is 0.
const DEFAULT_MAX_PAYMENTS: u64 = 100;

/// ListPayments with LND's query semantics: only succeeded payments unless
/// `include_incomplete`; pages by payment index (exclusive `index_offset`, forwards or
/// `reversed`), always oldest first; creation dates in seconds, both ends inclusive.
pub(crate) fn list_payments(
    req: &lnrpc::ListPaymentsRequest,
    payments: &[StoredPayment],
) -> Result<lnrpc::ListPaymentsResponse, Status> {
    if req.creation_date_start != 0 && req.creation_date_end != 0 && req.creation_date_start >= req.creation_date_end {
        return Err(Status::unknown(format!(
            "start date({}) must be before end date({})",
            req.creation_date_start, req.creation_date_end
        )));
    }
    let max = if req.max_payments == 0 {
        DEFAULT_MAX_PAYMENTS
    } else {
        req.max_payments
    };
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let start_secs = i64::try_from(req.creation_date_start).unwrap_or(i64::MAX);
    let end_secs = i64::try_from(req.creation_date_end).unwrap_or(i64::MAX);
    let wanted = |p: &&StoredPayment| {
        let created_secs = p.creation_time_ns.div_euclid(1_000_000_000);
        (req.include_incomplete || p.status == PaymentStatus::Succeeded)
            && (req.creation_date_start == 0 || created_secs >= start_secs)
            && (req.creation_date_end == 0 || created_secs <= end_secs)
    };
    let mut page: Vec<&StoredPayment> = if req.reversed {
        let mut newest_first: Vec<&StoredPayment> = payments
            .iter()
            .rev()
            .filter(|p| req.index_offset == 0 || p.payment_index < req.index_offset)
            .filter(wanted)
            .take(max)
            .collect();
        newest_first.reverse();
        newest_first
    } else {
        payments
            .iter()
            .filter(|p| p.payment_index > req.index_offset)
            .filter(wanted)
            .take(max)
            .collect()
    };
    page.sort_by_key(|p| p.payment_index);
    let rpc_payments: Vec<lnrpc::Payment> = page
        .iter()
        .map(|p| {
            let mut rpc = payment_to_rpc(p);
            if req.omit_hops {
                for attempt in &mut rpc.htlcs {
                    if let Some(route) = attempt.route.as_mut() {
                        route.hops.clear();
                    }
                }
            }
            rpc
        })
        .collect();
    Ok(lnrpc::ListPaymentsResponse {
        first_index_offset: page.first().map_or(0, |p| p.payment_index),
        last_index_offset: page.last().map_or(0, |p| p.payment_index),
        total_num_payments: if req.count_total_payments {
            u64::try_from(payments.len()).unwrap_or(u64::MAX)
        } else {
            0
        },
        payments: rpc_payments,
    })
}
