//! Received payments as the Payments page and the dashboard list them.

use serde::{Deserialize, Serialize};

/// One received payment as listed. Decimals are exact text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// Settle time, RFC 3339 UTC.
    pub settled_at: String,
    /// Payment hash, hex.
    pub payment_hash: String,
    /// Our Lightning invoice id.
    pub ln_invoice_id: String,
    /// Numero of the EUR invoice paid ('' for POS/standalone payments).
    pub original_invoice: String,
    /// Client name ('' when none).
    pub client: String,
    /// Whole sats received.
    pub amount_sat: u64,
    /// EUR at the locked rate.
    pub amount_eur: String,
    /// The locked EUR per BTC.
    pub rate_eur_per_btc: String,
    /// Where the rate came from.
    pub rate_source: String,
}
