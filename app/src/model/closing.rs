//! The counter's day and its numbered closings as the back office shows them (issue 36).

use serde::{Deserialize, Serialize};

/// One closing in the back office's list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingSummary {
    /// Its number.
    pub number: i64,
    /// The business day (`YYYY-MM-DD`).
    pub date: String,
    /// The till closed; empty for the whole shop.
    pub till: String,
    /// When it was made (RFC 3339, UTC).
    pub closed_at: String,
    /// Who made it.
    pub closed_by: String,
    /// Paid sales.
    pub sales: u64,
    /// Gross EUR, two decimals.
    pub gross_eur: String,
    /// IVA EUR (all rates), two decimals.
    #[serde(default)]
    pub vat_eur: String,
    /// Tips EUR, two decimals.
    pub tips_eur: String,
    /// Refunds EUR, two decimals.
    pub refunds_eur: String,
    /// Sats received.
    pub sats_received: u64,
}

/// Today's figures at the counter and the past closings, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterDayView {
    /// Today's figures, as a closing would store them (number 0 while the day is open).
    pub today: ClosingSummary,
    /// Today's closing number, when today is closed (0 when not).
    pub closed_by_number: i64,
    /// The closings made, newest first.
    pub closings: Vec<ClosingSummary>,
    /// Today's figures by till (each line's `till` is the till's name), live on the dashboard.
    #[serde(default)]
    pub by_till: Vec<ClosingSummary>,
    /// Today's figures by cashier (each line's `till` is the cashier's name).
    #[serde(default)]
    pub by_cashier: Vec<ClosingSummary>,
    /// The tills' names, to close one apart.
    #[serde(default)]
    pub tills: Vec<String>,
}
