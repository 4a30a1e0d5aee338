//! Can this node receive a given amount right now? Asked before an invoice is shown, so a
//! customer is not handed an invoice whose payment must fail.

use crate::lnd::{LndClient, LndError};

use super::report::{fetch_report, LiquidityPolicy};

/// The warning given when the macaroon cannot list channels.
pub const UNAVAILABLE_NO_OFFCHAIN_READ: &str = "inbound check unavailable: the macaroon lacks offchain:read";

/// The outcome of an inbound check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundCheck {
    /// The amount fits in the inbound capacity (multi-part).
    Receivable {
        /// What the node can receive now, multi-part.
        max_receivable_sat: u64,
    },
    /// The amount is larger than the node can receive now.
    Unreceivable {
        /// What the node can receive now, multi-part.
        max_receivable_sat: u64,
    },
    /// The check could not be made; the text says why.
    Unavailable(String),
}

impl InboundCheck {
    /// The warning to show the user for this outcome, if any.
    pub fn warning(&self) -> Option<String> {
        match self {
            InboundCheck::Receivable { .. } => None,
            InboundCheck::Unreceivable { max_receivable_sat } => Some(format!(
                "this node can receive at most {max_receivable_sat} sats now: the customer's payment will fail; \
                 open a channel or rebalance — see `openfatture lightning liquidity status`"
            )),
            InboundCheck::Unavailable(reason) => Some(reason.clone()),
        }
    }
}

/// Checks that `amount_msat` fits in what the node's active channels can receive now
/// (sum of remote − remote reserve, i.e. with multi-part payments). A macaroon without
/// `offchain:read` or a failing node makes the check [`InboundCheck::Unavailable`].
pub async fn check_inbound(lnd: &LndClient, amount_msat: u64) -> InboundCheck {
    match fetch_report(lnd, &LiquidityPolicy::default()).await {
        Ok(report) => {
            let max_receivable_sat = report.max_receivable_multipart_sat;
            if amount_msat > max_receivable_sat.saturating_mul(1000) {
                InboundCheck::Unreceivable { max_receivable_sat }
            } else {
                InboundCheck::Receivable { max_receivable_sat }
            }
        }
        Err(LndError::PermissionDenied { .. }) => InboundCheck::Unavailable(UNAVAILABLE_NO_OFFCHAIN_READ.to_string()),
        Err(e) => InboundCheck::Unavailable(format!("inbound check unavailable: {e}")),
    }
}
