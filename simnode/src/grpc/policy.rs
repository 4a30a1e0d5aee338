//! UpdateChannelPolicy's request checks, in LND 0.21's order and words (`rpcserver.go`
//! `UpdateChannelPolicy`, `validateChannelPolicyTimeLockDelta`).

use lnd_proto::lnrpc::{self, policy_update_request::Scope};
use tonic::Status;

use crate::convert::channel_point_to_rpc;
use crate::ledger::{FailedPolicyUpdate, PolicyFailure, PolicyUpdate};

/// LND's `minFeeRate`: the smallest non-zero `fee_rate`.
const MIN_FEE_RATE: f64 = 1e-6;

/// LND's `minTimeLockDelta` (routing.MinCLTVDelta).
const MIN_TIME_LOCK_DELTA: u32 = 24;

/// LND's `MaxTimeLockDelta` (routing.MaxCLTVDelta).
const MAX_TIME_LOCK_DELTA: u32 = 65_535;

/// LND's default `max-cltv-expiry`.
const MAX_OUTGOING_CLTV_EXPIRY: u32 = 2016;

/// A `ChannelPoint` as `txid:index` (txid in display order), as lnrpc.GetChanPointFundingTxid
/// reads it.
fn channel_point_string(point: &lnrpc::ChannelPoint) -> Result<String, Status> {
    use lnrpc::channel_point::FundingTxid;
    let txid = match &point.funding_txid {
        Some(FundingTxid::FundingTxidBytes(bytes)) => {
            if bytes.len() != 32 {
                return Err(Status::unknown(format!(
                    "invalid hash length of {}, want 32",
                    bytes.len()
                )));
            }
            let mut display = bytes.clone();
            display.reverse();
            hex::encode(display)
        }
        Some(FundingTxid::FundingTxidStr(text)) => {
            let bytes = hex::decode(text).map_err(|e| Status::unknown(format!("encoding/hex: {e}")))?;
            if bytes.len() != 32 {
                return Err(Status::unknown(format!(
                    "max hash string length is 64 bytes, got {}",
                    text.len()
                )));
            }
            text.to_ascii_lowercase()
        }
        None => return Err(Status::unknown("unknown chan point: funding txid missing")),
    };
    Ok(format!("{txid}:{}", point.output_index))
}

/// The target channel (`None`: all) and the update, or LND's refusal.
pub(crate) fn parse_update(req: &lnrpc::PolicyUpdateRequest) -> Result<(Option<String>, PolicyUpdate), Status> {
    let target = match &req.scope {
        Some(Scope::Global(_)) => None,
        Some(Scope::ChanPoint(point)) => Some(channel_point_string(point)?),
        None => return Err(Status::unknown("unknown scope: <nil>")),
    };
    let fee_rate_ppm = match (req.fee_rate != 0.0, req.fee_rate_ppm != 0) {
        (true, true) => {
            return Err(Status::invalid_argument(
                "cannot set both FeeRate and FeeRatePpm at the same time",
            ))
        }
        (true, false) => {
            if req.fee_rate < MIN_FEE_RATE {
                return Err(Status::unknown(format!(
                    "fee rate of {} is too small, min fee rate is 1e-06",
                    req.fee_rate
                )));
            }
            let ppm = (req.fee_rate * 1_000_000.0).round();
            if ppm > f64::from(u32::MAX) {
                return Err(Status::unknown(format!("fee rate of {} is too large", req.fee_rate)));
            }
            ppm as u32
        }
        (false, true) => req.fee_rate_ppm,
        (false, false) => 0,
    };
    let delta = req.time_lock_delta;
    if delta < MIN_TIME_LOCK_DELTA {
        return Err(Status::unknown(format!(
            "time lock delta of {delta} is too small, minimum supported is {MIN_TIME_LOCK_DELTA}"
        )));
    }
    if delta > MAX_TIME_LOCK_DELTA {
        return Err(Status::unknown(format!(
            "time lock delta of {delta} is too big, maximum supported is {MAX_TIME_LOCK_DELTA}"
        )));
    }
    if delta > MAX_OUTGOING_CLTV_EXPIRY {
        return Err(Status::unknown(format!(
            "time lock delta of {delta} exceeds max-cltv-expiry of {MAX_OUTGOING_CLTV_EXPIRY}"
        )));
    }
    if let Some(inbound) = &req.inbound_fee {
        if inbound.base_fee_msat > 0 {
            return Err(Status::unknown(format!(
                "positive values for inbound base fee msat are not supported: {}",
                inbound.base_fee_msat
            )));
        }
        if inbound.fee_rate_ppm > 0 {
            return Err(Status::unknown(format!(
                "positive values for inbound fee rate ppm are not supported: {}",
                inbound.fee_rate_ppm
            )));
        }
        if inbound.base_fee_msat != 0 || inbound.fee_rate_ppm != 0 {
            return Err(Status::unimplemented(
                "simnode: inbound fees (inbound_fee) are not simulated; leave them unset or zero",
            ));
        }
    }
    let fee_base_msat = u64::try_from(req.base_fee_msat)
        .map_err(|_| Status::unknown(format!("base_fee_msat {} must not be negative", req.base_fee_msat)))?;
    Ok((
        target,
        PolicyUpdate {
            fee_base_msat,
            fee_rate_ppm,
            time_lock_delta: delta,
            max_htlc_msat: req.max_htlc_msat,
            min_htlc_msat: req.min_htlc_msat_specified.then_some(req.min_htlc_msat),
        },
    ))
}

/// A failed channel update as LND's `FailedUpdate`.
pub(crate) fn failed_to_rpc(failed: &FailedPolicyUpdate) -> lnrpc::FailedUpdate {
    let point = channel_point_to_rpc(&failed.channel_point);
    let txid_bytes = match point.funding_txid {
        Some(lnrpc::channel_point::FundingTxid::FundingTxidBytes(bytes)) => bytes,
        _ => Vec::new(),
    };
    let txid_str = failed
        .channel_point
        .split_once(':')
        .map(|(txid, _)| txid.to_string())
        .unwrap_or_default();
    lnrpc::FailedUpdate {
        outpoint: Some(lnrpc::OutPoint {
            txid_bytes,
            txid_str,
            output_index: point.output_index,
        }),
        reason: match failed.reason {
            PolicyFailure::NotFound => lnrpc::UpdateFailure::NotFound,
            PolicyFailure::InvalidParameter => lnrpc::UpdateFailure::InvalidParameter,
        } as i32,
        update_error: failed.error.clone(),
    }
}
