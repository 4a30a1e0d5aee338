//! The liquidity report: per-channel inbound ratios and flags, totals, what can be received
//! now and a balance score. [`report`] is pure; [`fetch_report`] asks the node first.

use lnd_proto::lnrpc::{self, ListChannelsRequest};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::lnd::{LndClient, LndError};

/// Decimal places kept in ratios.
const RATIO_DP: u32 = 4;
/// Decimal places kept in the balance score.
const SCORE_DP: u32 = 1;

/// The ratios channels are judged against (`lightning_liquidity_*_ratio`). Every ratio is an
/// inbound ratio: remote balance / capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LiquidityPolicy {
    /// Below this a channel needs inbound capacity (`lightning_liquidity_min_ratio`).
    pub min_ratio: Decimal,
    /// The ratio rebalancing aims for (`lightning_liquidity_target_ratio`).
    pub target_ratio: Decimal,
    /// Above this a channel needs outbound capacity (`lightning_liquidity_max_ratio`).
    pub max_ratio: Decimal,
}

impl Default for LiquidityPolicy {
    /// The configuration defaults: 0.2, 0.5, 0.8.
    fn default() -> Self {
        LiquidityPolicy {
            min_ratio: Decimal::new(2, 1),
            target_ratio: Decimal::new(5, 1),
            max_ratio: Decimal::new(8, 1),
        }
    }
}

/// How a channel stands against the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelFlag {
    /// Inbound ratio below the minimum: too little room to receive.
    NeedsInbound,
    /// Inbound ratio above the maximum: too little local balance to send.
    NeedsOutbound,
    /// Within the bounds.
    Ok,
}

impl ChannelFlag {
    /// The words shown to the user.
    pub fn label(&self) -> &'static str {
        match self {
            ChannelFlag::NeedsInbound => "needs inbound",
            ChannelFlag::NeedsOutbound => "needs outbound",
            ChannelFlag::Ok => "ok",
        }
    }
}

/// One channel's liquidity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelLiquidity {
    /// Short channel id.
    pub chan_id: u64,
    /// The peer's alias (empty when the node does not know it).
    pub peer_alias: String,
    /// The peer's public key, hex.
    pub peer_pubkey: String,
    /// Our balance.
    pub local_sat: u64,
    /// The peer's balance: what we can receive through this channel, before reserve.
    pub remote_sat: u64,
    /// Channel capacity.
    pub capacity_sat: u64,
    /// remote / capacity, at most 4 decimals (0 for a zero capacity).
    pub inbound_ratio: Decimal,
    /// The reserve we must keep on our side.
    pub local_reserve_sat: u64,
    /// The reserve the peer must keep on its side.
    pub remote_reserve_sat: u64,
    /// What one payment can bring in through this channel: remote − remote reserve.
    pub receivable_sat: u64,
    /// Whether the channel is usable now.
    pub active: bool,
    /// Against the policy.
    pub flag: ChannelFlag,
    /// inbound_ratio − target_ratio: negative means below the target.
    pub distance_to_target: Decimal,
    /// Inbound sats to add to reach the target (negative: to remove).
    pub inbound_to_target_sat: i64,
}

/// Sums over all channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiquidityTotals {
    /// Number of channels.
    pub channels: usize,
    /// Of which active.
    pub active_channels: usize,
    /// Total capacity.
    pub capacity_sat: u64,
    /// Total local balance.
    pub local_sat: u64,
    /// Total remote balance.
    pub remote_sat: u64,
    /// remote / capacity over all channels, 4 decimals.
    pub inbound_ratio: Decimal,
    /// Channels flagged "needs inbound".
    pub needs_inbound: usize,
    /// Channels flagged "needs outbound".
    pub needs_outbound: usize,
}

/// The whole liquidity picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiquidityReport {
    /// The policy the channels were judged against.
    pub policy: LiquidityPolicy,
    /// Per channel, in the node's order.
    pub channels: Vec<ChannelLiquidity>,
    /// Totals.
    pub totals: LiquidityTotals,
    /// The largest payment receivable now in one part: max over active channels of
    /// (remote − remote reserve).
    pub max_receivable_single_sat: u64,
    /// The largest payment receivable now with multi-part payments: the sum of
    /// (remote − remote reserve) over active channels.
    pub max_receivable_multipart_sat: u64,
    /// 0–100, one decimal: 100 × (1 − mean |inbound ratio − target| / max(target, 1 − target))
    /// over active channels with capacity; 100 means every channel sits at the target, 0
    /// that every one is as far from it as possible (and also no active channel at all).
    pub balance_score: Decimal,
}

/// Non-negative sats from LND's signed fields.
fn sat(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// `part / whole` rounded to [`RATIO_DP`] decimals; 0 when `whole` is 0.
fn ratio(part: u64, whole: u64) -> Decimal {
    if whole == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) / Decimal::from(whole))
        .round_dp_with_strategy(RATIO_DP, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The reserve of one side: from the constraints when the node reports them, else the flat field.
fn reserve(constraints: Option<&lnrpc::ChannelConstraints>, flat_sat: i64) -> u64 {
    match constraints {
        Some(c) if c.chan_reserve_sat > 0 => c.chan_reserve_sat,
        _ => sat(flat_sat),
    }
}

/// Judges one channel.
fn channel(c: &lnrpc::Channel, policy: &LiquidityPolicy) -> ChannelLiquidity {
    let (local_sat, remote_sat, capacity_sat) = (sat(c.local_balance), sat(c.remote_balance), sat(c.capacity));
    let inbound_ratio = ratio(remote_sat, capacity_sat);
    let flag = if inbound_ratio < policy.min_ratio {
        ChannelFlag::NeedsInbound
    } else if inbound_ratio > policy.max_ratio {
        ChannelFlag::NeedsOutbound
    } else {
        ChannelFlag::Ok
    };
    let remote_reserve_sat = reserve(c.remote_constraints.as_ref(), c.remote_chan_reserve_sat);
    let target_remote = (policy.target_ratio * Decimal::from(capacity_sat))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let inbound_to_target_sat = target_remote
        .to_i64()
        .unwrap_or(i64::MAX)
        .saturating_sub(i64::try_from(remote_sat).unwrap_or(i64::MAX));
    ChannelLiquidity {
        chan_id: c.chan_id,
        peer_alias: c.peer_alias.clone(),
        peer_pubkey: c.remote_pubkey.clone(),
        local_sat,
        remote_sat,
        capacity_sat,
        inbound_ratio,
        local_reserve_sat: reserve(c.local_constraints.as_ref(), c.local_chan_reserve_sat),
        remote_reserve_sat,
        receivable_sat: remote_sat.saturating_sub(remote_reserve_sat),
        active: c.active,
        flag,
        distance_to_target: (inbound_ratio - policy.target_ratio).normalize(),
        inbound_to_target_sat,
    }
}

/// The balance score of the active channels with capacity (see [`LiquidityReport::balance_score`]).
fn balance_score(channels: &[ChannelLiquidity], target: Decimal) -> Decimal {
    let scored: Vec<&ChannelLiquidity> = channels.iter().filter(|c| c.active && c.capacity_sat > 0).collect();
    let worst = target.max(Decimal::ONE - target);
    if scored.is_empty() || worst <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let total: Decimal = scored.iter().map(|c| (c.inbound_ratio - target).abs()).sum();
    let mean = total / Decimal::from(scored.len());
    let score = Decimal::ONE_HUNDRED * (Decimal::ONE - mean / worst);
    score
        .max(Decimal::ZERO)
        .min(Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(SCORE_DP, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The liquidity report of `channels` (as `ListChannels` returns them) under `policy`.
pub fn report(channels: &[lnrpc::Channel], policy: &LiquidityPolicy) -> LiquidityReport {
    let channels: Vec<ChannelLiquidity> = channels.iter().map(|c| channel(c, policy)).collect();
    let active = || channels.iter().filter(|c| c.active);
    let capacity_sat: u64 = channels.iter().map(|c| c.capacity_sat).sum();
    let remote_sat: u64 = channels.iter().map(|c| c.remote_sat).sum();
    let totals = LiquidityTotals {
        channels: channels.len(),
        active_channels: active().count(),
        capacity_sat,
        local_sat: channels.iter().map(|c| c.local_sat).sum(),
        remote_sat,
        inbound_ratio: ratio(remote_sat, capacity_sat),
        needs_inbound: channels.iter().filter(|c| c.flag == ChannelFlag::NeedsInbound).count(),
        needs_outbound: channels.iter().filter(|c| c.flag == ChannelFlag::NeedsOutbound).count(),
    };
    LiquidityReport {
        policy: *policy,
        max_receivable_single_sat: active().map(|c| c.receivable_sat).max().unwrap_or(0),
        max_receivable_multipart_sat: active().map(|c| c.receivable_sat).sum(),
        balance_score: balance_score(&channels, policy.target_ratio),
        totals,
        channels,
    }
}

/// Lists the node's channels (with peer aliases) and reports on them. Needs `offchain:read`.
pub async fn fetch_report(lnd: &LndClient, policy: &LiquidityPolicy) -> Result<LiquidityReport, LndError> {
    let response = lnd
        .list_channels(ListChannelsRequest {
            peer_alias_lookup: true,
            ..ListChannelsRequest::default()
        })
        .await?;
    Ok(report(&response.channels, policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chan(chan_id: u64, capacity: i64, local: i64, active: bool) -> lnrpc::Channel {
        lnrpc::Channel {
            chan_id,
            capacity,
            local_balance: local,
            remote_balance: capacity - local,
            active,
            local_chan_reserve_sat: capacity / 100,
            remote_chan_reserve_sat: capacity / 100,
            ..Default::default()
        }
    }

    #[test]
    fn flags_ratios_and_receivable() {
        let r = report(
            &[
                chan(1, 2_000_000, 1_800_000, true),
                chan(2, 1_000_000, 500_000, true),
                chan(3, 1_000_000, 100_000, false),
            ],
            &LiquidityPolicy::default(),
        );
        assert_eq!(r.channels[0].inbound_ratio, Decimal::new(1, 1));
        assert_eq!(r.channels[0].flag, ChannelFlag::NeedsInbound);
        assert_eq!(r.channels[0].inbound_to_target_sat, 800_000);
        assert_eq!(r.channels[1].flag, ChannelFlag::Ok);
        assert_eq!(r.channels[2].flag, ChannelFlag::NeedsOutbound);
        assert_eq!(r.channels[0].receivable_sat, 180_000);
        assert_eq!(r.max_receivable_single_sat, 490_000);
        assert_eq!(r.max_receivable_multipart_sat, 670_000);
        // Active: |0.1 − 0.5| = 0.4 and 0 → mean 0.2 → 100 × (1 − 0.2 / 0.5) = 60.
        assert_eq!(r.balance_score, Decimal::from(60));
        assert_eq!(r.totals.needs_inbound, 1);
        assert_eq!(r.totals.needs_outbound, 1);
        assert_eq!(r.totals.active_channels, 2);
    }

    #[test]
    fn constraints_take_precedence_over_flat_reserve() {
        let mut c = chan(1, 1_000_000, 0, true);
        c.remote_constraints = Some(lnrpc::ChannelConstraints {
            chan_reserve_sat: 30_000,
            ..Default::default()
        });
        let r = report(&[c], &LiquidityPolicy::default());
        assert_eq!(r.channels[0].remote_reserve_sat, 30_000);
        assert_eq!(r.channels[0].local_reserve_sat, 10_000);
        assert_eq!(r.max_receivable_single_sat, 970_000);
    }

    #[test]
    fn no_channels_scores_zero() {
        let r = report(&[], &LiquidityPolicy::default());
        assert_eq!(r.balance_score, Decimal::ZERO);
        assert_eq!(r.max_receivable_multipart_sat, 0);
        assert_eq!(r.totals.inbound_ratio, Decimal::ZERO);
    }
}
