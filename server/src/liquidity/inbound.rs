//! Can this node receive a given amount right now? Asked before an invoice is shown, so a
//! customer is not handed an invoice whose payment must fail.

use std::sync::Mutex;
use std::time::{Duration, Instant};

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
        Ok(report) => classify(amount_msat, report.max_receivable_multipart_sat),
        Err(LndError::PermissionDenied { .. }) => InboundCheck::Unavailable(UNAVAILABLE_NO_OFFCHAIN_READ.to_string()),
        Err(e) => InboundCheck::Unavailable(format!("inbound check unavailable: {e}")),
    }
}

/// Whether `amount_msat` fits in `max_receivable_sat`.
fn classify(amount_msat: u64, max_receivable_sat: u64) -> InboundCheck {
    if amount_msat > max_receivable_sat.saturating_mul(1000) {
        InboundCheck::Unreceivable { max_receivable_sat }
    } else {
        InboundCheck::Receivable { max_receivable_sat }
    }
}

/// How long the gateway trusts a measured receivable capacity before listing channels again.
pub const INBOUND_CACHE_SECS: u64 = 5;

/// Remembers the node's receivable capacity for a short time, so that a busy counter does not
/// list the node's channels before every sale. Only a measured capacity is remembered (never a
/// failed check), and an amount above the remembered capacity is checked afresh, since a
/// rebalance or a new channel may have raised it.
#[derive(Debug)]
pub struct InboundCache {
    ttl: Duration,
    last: Mutex<Option<(Instant, u64)>>,
}

impl InboundCache {
    /// A cache that trusts a measurement for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        InboundCache {
            ttl,
            last: Mutex::new(None),
        }
    }

    /// [`check_inbound`], answered from a measurement younger than the cache's ttl when the
    /// amount fits in it.
    pub async fn check(&self, lnd: &LndClient, amount_msat: u64) -> InboundCheck {
        if let Some(max_receivable_sat) = self.fresh() {
            if let fits @ InboundCheck::Receivable { .. } = classify(amount_msat, max_receivable_sat) {
                return fits;
            }
        }
        let check = check_inbound(lnd, amount_msat).await;
        if let InboundCheck::Receivable { max_receivable_sat } | InboundCheck::Unreceivable { max_receivable_sat } =
            check
        {
            if let Ok(mut last) = self.last.lock() {
                *last = Some((Instant::now(), max_receivable_sat));
            }
        }
        check
    }

    fn fresh(&self) -> Option<u64> {
        let last = self.last.lock().ok()?;
        let (at, max_receivable_sat) = (*last)?;
        (at.elapsed() < self.ttl).then_some(max_receivable_sat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_compares_msat_with_whole_sats() {
        assert_eq!(classify(5_000, 5), InboundCheck::Receivable { max_receivable_sat: 5 });
        assert_eq!(classify(5_001, 5), InboundCheck::Unreceivable { max_receivable_sat: 5 });
    }

    #[test]
    fn a_measurement_is_trusted_only_for_the_ttl() {
        let cache = InboundCache::new(Duration::from_millis(50));
        assert_eq!(cache.fresh(), None);
        if let Ok(mut last) = cache.last.lock() {
            *last = Some((Instant::now(), 1_000));
        }
        assert_eq!(cache.fresh(), Some(1_000));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.fresh(), None);
    }
}
