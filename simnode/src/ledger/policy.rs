//! UpdateChannelPolicy: our forwarding policy on one channel or on all of them.

use super::{Ledger, LedgerError};
use crate::state::ChannelState;

/// A policy update, already validated as LND's rpcserver validates it.
pub(crate) struct PolicyUpdate {
    pub(crate) fee_base_msat: u64,
    pub(crate) fee_rate_ppm: u32,
    pub(crate) time_lock_delta: u32,
    /// 0: keep the current maximum.
    pub(crate) max_htlc_msat: u64,
    /// None: keep the current minimum.
    pub(crate) min_htlc_msat: Option<u64>,
}

/// Why one channel's update failed, as LND's `UpdateFailure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyFailure {
    /// No such channel.
    NotFound,
    /// The policy does not fit the channel.
    InvalidParameter,
}

/// A channel whose update failed.
#[derive(Debug, Clone)]
pub(crate) struct FailedPolicyUpdate {
    /// `txid:index`.
    pub(crate) channel_point: String,
    pub(crate) reason: PolicyFailure,
    pub(crate) error: String,
}

/// The HTLC limits a policy must stay within (LND's `getHtlcAmtLimits`): our minimum HTLC and
/// the maximum pending amount, msat.
fn htlc_limits(c: &ChannelState) -> (u64, u64) {
    (1, c.capacity_sat.saturating_mul(1000) * 99 / 100)
}

impl Ledger {
    /// Applies `update` to channel `target` (`txid:index`), or to every channel when `None`;
    /// returns the channels it could not update (the others are updated).
    pub(crate) fn update_policy(
        &mut self,
        target: Option<&str>,
        update: &PolicyUpdate,
    ) -> Result<Vec<FailedPolicyUpdate>, LedgerError> {
        let mut failed = Vec::new();
        if let Some(point) = target {
            if !self.state.channels.iter().any(|c| c.channel_point == point) {
                failed.push(FailedPolicyUpdate {
                    channel_point: point.to_string(),
                    reason: PolicyFailure::NotFound,
                    error: "not found".to_string(),
                });
                return Ok(failed);
            }
        }
        let change = self.begin();
        for c in self
            .state
            .channels
            .iter_mut()
            .filter(|c| target.is_none_or(|p| c.channel_point == p))
        {
            let (amt_min, amt_max) = htlc_limits(c);
            let mut policy = c.own_policy;
            policy.fee_base_msat = update.fee_base_msat;
            policy.fee_rate_ppm = update.fee_rate_ppm;
            policy.time_lock_delta = update.time_lock_delta;
            let current_max = policy.max_htlc_msat.unwrap_or(amt_max);
            policy.max_htlc_msat = Some(if update.max_htlc_msat != 0 {
                update.max_htlc_msat
            } else {
                current_max.min(amt_max)
            });
            if let Some(min) = update.min_htlc_msat {
                policy.min_htlc_msat = min;
            }
            let max = policy.max_htlc_msat.unwrap_or(amt_max);
            let invalid = if policy.min_htlc_msat < amt_min {
                Some(format!(
                    "min htlc amount of {} mSAT is below min htlc parameter of {amt_min} mSAT",
                    policy.min_htlc_msat
                ))
            } else if max > amt_max {
                Some(format!(
                    "max htlc size of {max} mSAT is above max pending amount of {amt_max} mSAT"
                ))
            } else if policy.min_htlc_msat > max {
                Some(format!(
                    "min_htlc {} mSAT greater than max_htlc {max} mSAT",
                    policy.min_htlc_msat
                ))
            } else {
                None
            };
            match invalid {
                Some(error) => failed.push(FailedPolicyUpdate {
                    channel_point: c.channel_point.clone(),
                    reason: PolicyFailure::InvalidParameter,
                    error,
                }),
                None => c.own_policy = policy,
            }
        }
        self.commit(change)?;
        Ok(failed)
    }
}
