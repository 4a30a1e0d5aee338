//! The POS screen's data: a sale waiting to be paid and the state of its invoice.

use serde::{Deserialize, Serialize};

use super::rates::RateState;
use super::state::InvoiceState;

/// A POS sale waiting to be paid: what the QR screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosSale {
    /// Our Lightning invoice id (`LN-000042`).
    pub invoice_id: String,
    /// BOLT11 payment request (the screen draws its QR code itself).
    pub payment_request: String,
    /// EUR amount the invoice asks for, two decimals (`12.50`): the gross plus the tip.
    pub amount_eur: String,
    /// The sale's gross (IVA included, tip not), two decimals.
    pub gross_eur: String,
    /// The IVA inside the gross, two decimals.
    pub vat_eur: String,
    /// The IVA rate (`22`, `0:N2`).
    pub vat_rate: String,
    /// The tip, two decimals (`0.00` without one).
    pub tip_eur: String,
    /// The till it was rung up at.
    pub till: String,
    /// Who rang it up.
    pub cashier: String,
    /// Amount in whole sats.
    pub amount_sat: u64,
    /// The locked rate, EUR per BTC.
    pub eur_per_btc: String,
    /// Where the rate came from (`coingecko`, `fallback`, `demo`, …).
    pub rate_source: String,
    /// Whether the rate is the configured fallback, not a market price.
    pub rate_is_fallback: bool,
    /// What kind of rate it is (live, fallback, demo), for its label on the QR screen.
    pub rate_state: RateState,
    /// When the invoice stops being payable (unix seconds).
    pub expires_at: i64,
    /// The gateway's clock when it answered (unix seconds), to count down without clock skew.
    pub server_now: i64,
    /// The owner-facing warnings the gateway kept for a cashier (low inbound capacity), in English
    /// for the log and the API: the customer-facing screens never show them.
    pub warnings: Vec<String>,
    /// The node may not be able to receive this payment now (low or unknown inbound capacity):
    /// shown only as the POS's small staff indicator; the detail is on the dashboard.
    pub low_inbound: bool,
}

/// A sale as the POS sends it: the gross amount typed, the note and, all optional, the IVA rate
/// (the till's default when empty), the tip and the till (the default till when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosChargeRequest {
    /// Gross EUR amount as typed (IVA included).
    pub amount_eur: String,
    /// Optional note.
    pub note: String,
    /// IVA rate (`22`, `0:N2`); the till's default when `None` or empty.
    pub vat_rate: Option<String>,
    /// Tip in EUR as typed; none when `None` or empty.
    pub tip_eur: Option<String>,
    /// The till's name; the default till when `None` or empty.
    pub till: Option<String>,
}

/// The state of one Lightning invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceStatus {
    /// Our Lightning invoice id.
    pub invoice_id: String,
    /// Its state now.
    pub state: InvoiceState,
    /// What was paid, whole sats.
    pub amount_paid_sat: u64,
}
