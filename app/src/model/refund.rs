//! A refund of a POS sale as the back office shows it (issue 36).

use serde::{Deserialize, Serialize};

/// A refund as the page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    /// The sale (our Lightning invoice id).
    pub sale_id: String,
    /// EUR refunded, two decimals.
    pub amount_eur: String,
    /// Sats sent (fees apart).
    pub amount_sat: u64,
    /// Routing fees paid, msat.
    pub fee_msat: u64,
    /// `succeeded`, or `sending` while the node has no final answer yet.
    pub state: String,
    /// Payment hash, hex.
    pub payment_hash: String,
}
