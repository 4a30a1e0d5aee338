//! The Lightning node as the dashboard and `lightning status` show it: identity, chain, channels
//! and their liquidity.

use serde::{Deserialize, Serialize};

/// What `lightning status` and the dashboard show about the connected node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// `host:port` of the LND gRPC endpoint.
    pub host: String,
    /// Node alias as LND reports it.
    pub alias: String,
    /// Node identity public key, hex.
    pub pubkey: String,
    /// LND version string.
    pub version: String,
    /// Bitcoin network (mainnet, testnet, regtest, ...).
    pub network: String,
    /// Whether this is the embedded simulated node.
    pub simulated: bool,
    /// Whether the node is synced to chain.
    pub synced_to_chain: bool,
    /// Best block height.
    pub block_height: u32,
    /// Active channels.
    pub active_channels: u32,
    /// Inactive channels.
    pub inactive_channels: u32,
    /// Pending channels.
    pub pending_channels: u32,
    /// Total capacity of all open channels, in sats.
    pub capacity_sat: u64,
    /// Our side of all channels, in sats.
    pub local_balance_sat: u64,
    /// The peers' side of all channels (our inbound), in sats.
    pub remote_balance_sat: u64,
    /// The LND circuit breaker: `closed`, `half-open` or `open, retry in N s`.
    pub breaker: String,
}

/// One channel row of `lightning channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    /// Short channel id as a decimal u64, as LND shows it.
    pub chan_id: u64,
    /// Peer public key, hex.
    pub remote_pubkey: String,
    /// Peer alias when known, else empty.
    pub peer_alias: String,
    /// Whether the channel is active.
    pub active: bool,
    /// Channel capacity in sats.
    pub capacity_sat: u64,
    /// Our balance in sats.
    pub local_balance_sat: u64,
    /// The peer's balance (our inbound) in sats.
    pub remote_balance_sat: u64,
}

/// Channel liquidity for the dashboard (from the same report as `lightning liquidity status`).
/// Ratios are exact decimal text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidityView {
    /// Inbound (remote / capacity) ratio over all channels.
    pub inbound_ratio: String,
    /// What the node can receive now over all active channels (multi-part), sats.
    pub receivable_now_sat: u64,
    /// The largest single-part payment the node can receive now, sats.
    pub receivable_single_sat: u64,
    /// 0–100: how close the active channels are to the target inbound ratio.
    pub balance_score: String,
    /// Lowest acceptable inbound ratio (`lightning_liquidity_min_ratio`).
    pub min_ratio: String,
    /// Highest acceptable inbound ratio (`lightning_liquidity_max_ratio`).
    pub max_ratio: String,
    /// Channels outside the bounds.
    pub flagged_channels: usize,
    /// Every channel.
    pub channels: Vec<ChannelLiquidityView>,
}

/// One channel's liquidity on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelLiquidityView {
    /// Short channel id (decimal).
    pub chan_id: u64,
    /// Peer alias, else its public key.
    pub peer: String,
    /// Whether the channel is active.
    pub active: bool,
    /// Capacity, sats.
    pub capacity_sat: u64,
    /// Our side, sats.
    pub local_sat: u64,
    /// The peer's side (our inbound), sats.
    pub remote_sat: u64,
    /// remote / capacity, exact decimal text.
    pub inbound_ratio: String,
    /// `ok`, `needs inbound` or `needs outbound`.
    pub flag: String,
}

/// One open node alert for the dashboard (issue 38): the same as `openfatture lightning alerts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAlertView {
    /// `force_close`, `channel_inactive` or `uncovered_channel`.
    pub kind: String,
    /// The channel point, `txid:index`.
    pub chan_point: String,
    /// Since when, unix seconds (0: no backup at all, for an uncovered channel).
    pub since_secs: i64,
    /// The closing txid, for force closes; else empty.
    pub closing_txid: String,
}

/// The node's open alerts and the time of the newest stored channel backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAlertsView {
    /// Open alerts: force closes (last 7 days), inactive channels, channels no backup covers.
    pub alerts: Vec<NodeAlertView>,
    /// When the newest channel backup was stored, unix seconds; `None` when there is none.
    pub last_backup_secs: Option<i64>,
}
