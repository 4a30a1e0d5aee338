//! Routing fees: our fee schedule per channel (FeeReport), changing it within bounds
//! (UpdateChannelPolicy, each channel keeping its time-lock delta), with a dry run; and the
//! forwarding summary (ForwardingHistory) with our own rebalances' success rate and fees.

use lnd_proto::lnrpc::{self, policy_update_request::Scope, ChannelPoint, PolicyUpdateRequest};
use serde::Serialize;

use crate::lnd::{LndClient, LndError};
use crate::store::{RebalanceSummary, Store, StoreError};

/// Highest base fee `lightning fees set` accepts, msat (10 sat: far above what routing nodes ask).
pub const MAX_BASE_FEE_MSAT: u64 = 10_000;
/// Highest proportional fee `lightning fees set` accepts, ppm (5%).
pub const MAX_FEE_RATE_PPM: u32 = 50_000;
/// Forwards read per ForwardingHistory page (LND's maximum is 50,000).
const FORWARDS_PAGE: u32 = 10_000;

/// Why a fee operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum FeeError {
    /// The base fee is above [`MAX_BASE_FEE_MSAT`].
    #[error("--base-msat {0} is above the limit of {MAX_BASE_FEE_MSAT} msat (10 sat); choose a lower base fee")]
    BaseTooHigh(u64),
    /// The proportional fee is above [`MAX_FEE_RATE_PPM`].
    #[error("--ppm {0} is above the limit of {MAX_FEE_RATE_PPM} ppm (5%); choose a lower rate")]
    RateTooHigh(u32),
    /// No open channel matches `--channel`.
    #[error(
        "no open channel {0}: give a channel point (txid:index) or a channel id from `openfatture lightning fees`"
    )]
    NoSuchChannel(String),
    /// The node has no open channel at all.
    #[error("the node has no open channel: there is no fee to set")]
    NoChannels,
    /// Our own policy of a channel is missing from the graph, so its time-lock delta is unknown.
    #[error("the node does not know our policy of channel {0} (its time-lock delta is needed); try again later")]
    UnknownPolicy(String),
    /// The node refused the update of some channels.
    #[error("the node did not update {0}")]
    Failed(String),
    /// The node could not be asked.
    #[error(transparent)]
    Lnd(#[from] LndError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One channel's fee schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelFee {
    /// Short channel id.
    pub chan_id: u64,
    /// Funding outpoint, `txid:index`.
    pub channel_point: String,
    /// Base fee charged per forward, msat.
    pub base_fee_msat: u64,
    /// Proportional fee, parts per million.
    pub fee_rate_ppm: u64,
}

/// `lightning fees`: the schedule and the fees earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeReport {
    /// Our fee schedule per open channel.
    pub channels: Vec<ChannelFee>,
    /// Fees earned by forwarding over the last day, sat.
    pub earned_day_sat: u64,
    /// Over the last week, sat.
    pub earned_week_sat: u64,
    /// Over the last month, sat.
    pub earned_month_sat: u64,
}

/// The new schedule asked by `lightning fees set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeChange {
    /// New base fee, msat.
    pub base_fee_msat: u64,
    /// New proportional fee, ppm.
    pub fee_rate_ppm: u32,
}

impl FeeChange {
    /// Checks the bounds; the node is not asked when they fail.
    pub fn checked(base_fee_msat: u64, fee_rate_ppm: u32) -> Result<FeeChange, FeeError> {
        if base_fee_msat > MAX_BASE_FEE_MSAT {
            return Err(FeeError::BaseTooHigh(base_fee_msat));
        }
        if fee_rate_ppm > MAX_FEE_RATE_PPM {
            return Err(FeeError::RateTooHigh(fee_rate_ppm));
        }
        Ok(FeeChange {
            base_fee_msat,
            fee_rate_ppm,
        })
    }
}

/// One channel's schedule before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFee {
    /// Short channel id.
    pub chan_id: u64,
    /// Funding outpoint.
    pub channel_point: String,
    /// Base fee now, msat.
    pub base_fee_msat_before: u64,
    /// Proportional fee now, ppm.
    pub fee_rate_ppm_before: u64,
    /// Base fee after, msat.
    pub base_fee_msat_after: u64,
    /// Proportional fee after, ppm.
    pub fee_rate_ppm_after: u64,
    /// The channel's time-lock delta, kept as it is.
    pub time_lock_delta: u32,
}

/// Reads our fee schedule and the fees earned.
pub async fn fee_report(client: &LndClient) -> Result<FeeReport, FeeError> {
    let report = client.fee_report().await?;
    let channels = report
        .channel_fees
        .iter()
        .map(|c| ChannelFee {
            chan_id: c.chan_id,
            channel_point: c.channel_point.clone(),
            base_fee_msat: u64::try_from(c.base_fee_msat).unwrap_or(0),
            fee_rate_ppm: u64::try_from(c.fee_per_mil).unwrap_or(0),
        })
        .collect();
    Ok(FeeReport {
        channels,
        earned_day_sat: report.day_fee_sum,
        earned_week_sat: report.week_fee_sum,
        earned_month_sat: report.month_fee_sum,
    })
}

/// What `change` would do on `channel` (a channel point or id; `None`: every open channel),
/// without changing anything.
pub async fn plan_fee_change(
    client: &LndClient,
    channel: Option<&str>,
    change: FeeChange,
) -> Result<Vec<PlannedFee>, FeeError> {
    let report = fee_report(client).await?;
    let targets: Vec<&ChannelFee> = match channel {
        None => report.channels.iter().collect(),
        Some(wanted) => {
            let wanted = wanted.trim();
            let found: Vec<&ChannelFee> = report
                .channels
                .iter()
                .filter(|c| c.channel_point == wanted || c.chan_id.to_string() == wanted)
                .collect();
            if found.is_empty() {
                return Err(FeeError::NoSuchChannel(wanted.to_string()));
            }
            found
        }
    };
    if targets.is_empty() {
        return Err(FeeError::NoChannels);
    }
    let deltas = own_time_lock_deltas(client).await?;
    targets
        .into_iter()
        .map(|c| {
            let time_lock_delta = deltas
                .iter()
                .find(|(id, _)| *id == c.chan_id)
                .map(|(_, delta)| *delta)
                .ok_or_else(|| FeeError::UnknownPolicy(c.channel_point.clone()))?;
            Ok(PlannedFee {
                chan_id: c.chan_id,
                channel_point: c.channel_point.clone(),
                base_fee_msat_before: c.base_fee_msat,
                fee_rate_ppm_before: c.fee_rate_ppm,
                base_fee_msat_after: change.base_fee_msat,
                fee_rate_ppm_after: u64::from(change.fee_rate_ppm),
                time_lock_delta,
            })
        })
        .collect()
}

/// Applies a plan: one UpdateChannelPolicy per channel, so each keeps its time-lock delta.
pub async fn apply_fee_change(client: &LndClient, plan: &[PlannedFee]) -> Result<(), FeeError> {
    let mut failures = Vec::new();
    for p in plan {
        let (txid, index) = p
            .channel_point
            .split_once(':')
            .and_then(|(txid, index)| index.parse::<u32>().ok().map(|i| (txid, i)))
            .ok_or_else(|| FeeError::NoSuchChannel(p.channel_point.clone()))?;
        let request = PolicyUpdateRequest {
            base_fee_msat: i64::try_from(p.base_fee_msat_after).unwrap_or(i64::MAX),
            fee_rate_ppm: u32::try_from(p.fee_rate_ppm_after).unwrap_or(MAX_FEE_RATE_PPM),
            time_lock_delta: p.time_lock_delta,
            scope: Some(Scope::ChanPoint(ChannelPoint {
                funding_txid: Some(lnrpc::channel_point::FundingTxid::FundingTxidStr(txid.to_string())),
                output_index: index,
            })),
            ..PolicyUpdateRequest::default()
        };
        let answer = client.update_channel_policy(request).await?;
        for failed in answer.failed_updates {
            failures.push(format!("{}: {}", p.channel_point, failed.update_error));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(FeeError::Failed(failures.join("; ")))
    }
}

/// Our side's time-lock delta of each of our channels, from the graph.
async fn own_time_lock_deltas(client: &LndClient) -> Result<Vec<(u64, u32)>, FeeError> {
    let own = client.get_info().await?.identity_pubkey;
    let node = client.node_info_with_channels(own.clone()).await?;
    Ok(node
        .channels
        .iter()
        .filter_map(|edge| {
            let policy = if edge.node1_pub == own {
                edge.node1_policy.as_ref()
            } else if edge.node2_pub == own {
                edge.node2_policy.as_ref()
            } else {
                None
            }?;
            Some((edge.channel_id, policy.time_lock_delta))
        })
        .collect())
}

/// `lightning forwards`: what the node forwarded since a time, and our own rebalances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForwardsSummary {
    /// Start of the period, unix seconds.
    pub since_secs: i64,
    /// Forwards in the period.
    pub count: u64,
    /// Total received on incoming channels, msat.
    pub amount_in_msat: u64,
    /// Total sent on outgoing channels, msat.
    pub amount_out_msat: u64,
    /// Fees earned, msat.
    pub fees_earned_msat: u64,
    /// Our rebalances finished in the period.
    pub rebalances: RebalanceSummary,
    /// Share of the rebalances that succeeded, percent (`None` without rebalances).
    pub rebalance_success_percent: Option<u64>,
}

/// Sums the node's forwards from `since_secs` to `now_secs` and our rebalances over that time.
pub async fn forwards_summary(
    client: &LndClient,
    store: &Store,
    since_secs: i64,
    now_secs: i64,
) -> Result<ForwardsSummary, FeeError> {
    let mut summary = ForwardsSummary {
        since_secs,
        count: 0,
        amount_in_msat: 0,
        amount_out_msat: 0,
        fees_earned_msat: 0,
        rebalances: store.rebalance_summary_since(since_secs).await?,
        rebalance_success_percent: None,
    };
    let mut offset = 0u32;
    loop {
        let page = client
            .forwarding_history(lnrpc::ForwardingHistoryRequest {
                start_time: u64::try_from(since_secs).unwrap_or(0),
                end_time: u64::try_from(now_secs).unwrap_or(0),
                index_offset: offset,
                num_max_events: FORWARDS_PAGE,
                ..lnrpc::ForwardingHistoryRequest::default()
            })
            .await?;
        for f in &page.forwarding_events {
            summary.count += 1;
            summary.amount_in_msat = summary.amount_in_msat.saturating_add(f.amt_in_msat);
            summary.amount_out_msat = summary.amount_out_msat.saturating_add(f.amt_out_msat);
            summary.fees_earned_msat = summary.fees_earned_msat.saturating_add(f.fee_msat);
        }
        let full = page.forwarding_events.len() >= FORWARDS_PAGE as usize;
        if !full || page.last_offset_index <= offset {
            break;
        }
        offset = page.last_offset_index;
    }
    let r = &summary.rebalances;
    summary.rebalance_success_percent = r.succeeded.saturating_mul(100).checked_div(r.attempts);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked() {
        assert!(FeeChange::checked(MAX_BASE_FEE_MSAT, MAX_FEE_RATE_PPM).is_ok());
        assert!(matches!(
            FeeChange::checked(10_001, 1),
            Err(FeeError::BaseTooHigh(10_001))
        ));
        assert!(matches!(
            FeeChange::checked(0, 50_001),
            Err(FeeError::RateTooHigh(50_001))
        ));
    }
}
