//! The day's figures at the counter (`pos day`): the shop's calendar day in `shop_timezone`
//! (DST days are 23 or 25 hours long), its sales by till and by cashier and in total.

use std::collections::BTreeMap;

use app::model::InvoiceState;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::store::{cents_to_eur, PosRefundLine, PosSaleRow};

/// The unix-second bounds `[start, end)` of `date` on the shop's clock in `tz`.
pub fn day_bounds(date: NaiveDate, tz: Tz) -> Option<(i64, i64)> {
    let start = local_midnight(date, tz)?;
    let end = local_midnight(date.succ_opt()?, tz)?;
    Some((start, end))
}

/// The first instant of `date` in `tz` (midnight, or the first time after a skipped midnight).
fn local_midnight(date: NaiveDate, tz: Tz) -> Option<i64> {
    (0..24).find_map(|hour| {
        let time = date.and_hms_opt(hour, 0, 0)?;
        tz.from_local_datetime(&time).earliest().map(|t| t.timestamp())
    })
}

/// The shop's calendar date at unix second `at` in `tz`.
pub fn date_at(at: i64, tz: Tz) -> Option<NaiveDate> {
    tz.timestamp_opt(at, 0).single().map(|t| t.date_naive())
}

/// Figures of a set of sales.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Figures {
    sales: u64,
    gross_eur: Decimal,
    vat_eur: BTreeMap<String, Decimal>,
    tips_eur: Decimal,
    net_eur: Decimal,
    sats_received: u64,
    refunds_eur: Decimal,
    refunds_msat: u64,
    refund_fees_msat: u64,
    expired: u64,
    cancelled: u64,
    open: u64,
}

impl Figures {
    fn add(&mut self, row: &PosSaleRow) {
        match InvoiceState::parse(&row.state) {
            Some(InvoiceState::Settled) => {
                self.sales += 1;
                self.gross_eur += cents_to_eur(row.gross_cents);
                *self.vat_eur.entry(row.vat_rate.clone()).or_default() += cents_to_eur(row.vat_cents);
                self.tips_eur += cents_to_eur(row.tip_cents);
                self.net_eur += cents_to_eur(row.net_cents);
                self.sats_received += u64::try_from(row.amt_paid_msat).unwrap_or(0) / 1000;
            }
            Some(InvoiceState::Expired) => self.expired += 1,
            Some(InvoiceState::Canceled) => self.cancelled += 1,
            _ => self.open += 1,
        }
    }

    fn add_refund(&mut self, refund: &PosRefundLine) {
        self.refunds_eur += cents_to_eur(refund.amount_cents);
        self.refunds_msat += u64::try_from(refund.amount_msat).unwrap_or(0);
        self.refund_fees_msat += u64::try_from(refund.fee_msat).unwrap_or(0);
    }

    fn view(&self, name: Option<String>) -> FiguresView {
        FiguresView {
            name,
            sales: self.sales,
            gross_eur: eur(self.gross_eur),
            vat_eur: self
                .vat_eur
                .iter()
                .map(|(rate, vat)| (rate.clone(), eur(*vat)))
                .collect(),
            tips_eur: eur(self.tips_eur),
            net_eur: eur(self.net_eur),
            total_eur: eur(self.gross_eur + self.tips_eur),
            refunds_eur: eur(self.refunds_eur),
            refunds_sat: self.refunds_msat / 1000,
            refund_fees_sat: self.refund_fees_msat.div_ceil(1000),
            sats_received: self.sats_received,
            expired: self.expired,
            cancelled: self.cancelled,
            open: self.open,
        }
    }
}

/// EUR as text with two decimals.
fn eur(value: Decimal) -> String {
    format!("{:.2}", value.round_dp(2))
}

/// The figures of a set of sales as `pos day` prints them (EUR as text with two decimals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiguresView {
    /// The till's or cashier's name (none for the day's total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Paid sales.
    pub sales: u64,
    /// Their gross, IVA included, tips not.
    pub gross_eur: String,
    /// IVA by rate (`{"22": "2.20", "0:N2": "0.00"}`).
    pub vat_eur: BTreeMap<String, String>,
    /// Tips (no IVA on them).
    pub tips_eur: String,
    /// Gross − IVA.
    pub net_eur: String,
    /// Gross + tips: what the customers paid.
    pub total_eur: String,
    /// Refunds made that day (succeeded then), of sales of this till or cashier, EUR.
    pub refunds_eur: String,
    /// Sats sent for those refunds (fees apart).
    pub refunds_sat: u64,
    /// Routing fees paid for refunds, sats.
    pub refund_fees_sat: u64,
    /// What the node received for the paid sales, sats.
    pub sats_received: u64,
    /// Attempts that expired unpaid.
    pub expired: u64,
    /// Attempts cancelled.
    pub cancelled: u64,
    /// Attempts still waiting to be paid.
    pub open: u64,
}

/// One day at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// The day (`YYYY-MM-DD`) on the shop's clock.
    pub date: String,
    /// The shop's time zone (`Europe/Rome`).
    pub timezone: String,
    /// Only this till's sales, when asked.
    pub till: Option<String>,
    /// Only this cashier's sales, when asked.
    pub cashier: Option<String>,
    /// The number of the closing of this day (and till), when it is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closing: Option<i64>,
    /// The totals.
    #[serde(flatten)]
    pub total: FiguresView,
    /// By till, by name.
    pub by_till: Vec<FiguresView>,
    /// By cashier, by name.
    pub by_cashier: Vec<FiguresView>,
}

/// Which sales of the day count.
#[derive(Debug, Clone, Default)]
pub struct DayFilter {
    /// Only this till's (by name, as recorded with the sale).
    pub till: Option<String>,
    /// Only this cashier's.
    pub cashier: Option<String>,
}

/// The day's report from its sales and the refunds made that day (a refund is reported with
/// its sale's till and cashier, on the day it was made: the Z-report's rule).
pub fn report(
    date: NaiveDate,
    tz: Tz,
    filter: &DayFilter,
    rows: &[PosSaleRow],
    refunds: &[PosRefundLine],
) -> DayReport {
    let mut total = Figures::default();
    let mut by_till: BTreeMap<&str, Figures> = BTreeMap::new();
    let mut by_cashier: BTreeMap<&str, Figures> = BTreeMap::new();
    let wanted = |till: &str, cashier: &str| {
        filter.till.as_deref().is_none_or(|t| t == till) && filter.cashier.as_deref().is_none_or(|c| c == cashier)
    };
    for row in rows.iter().filter(|row| wanted(&row.till_name, &row.cashier)) {
        total.add(row);
        by_till.entry(&row.till_name).or_default().add(row);
        by_cashier.entry(&row.cashier).or_default().add(row);
    }
    for refund in refunds.iter().filter(|r| wanted(&r.till_name, &r.cashier)) {
        total.add_refund(refund);
        by_till.entry(&refund.till_name).or_default().add_refund(refund);
        by_cashier.entry(&refund.cashier).or_default().add_refund(refund);
    }
    let list = |map: BTreeMap<&str, Figures>| {
        map.into_iter()
            .map(|(name, figures)| figures.view(Some(name.to_string())))
            .collect()
    };
    DayReport {
        date: date.format("%Y-%m-%d").to_string(),
        timezone: tz.name().to_string(),
        till: filter.till.clone(),
        cashier: filter.cashier.clone(),
        closing: None,
        total: total.view(None),
        by_till: list(by_till),
        by_cashier: list(by_cashier),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn dst_days_have_their_length_in_rome() {
        let rome = chrono_tz::Europe::Rome;
        let length = |d| day_bounds(d, rome).map(|(start, end)| end - start);
        assert_eq!(length(date(2026, 3, 29)), Some(23 * 3600), "spring forward");
        assert_eq!(length(date(2026, 10, 25)), Some(25 * 3600), "fall back");
        assert_eq!(length(date(2026, 6, 1)), Some(24 * 3600));
        // 2026-03-29 00:00 in Rome is 2026-03-28 23:00 UTC.
        assert_eq!(day_bounds(date(2026, 3, 29), rome).map(|b| b.0), Some(1_774_738_800));
        // 23:30 on 25 October (after the fall back, UTC+1) is 22:30 UTC: still the 25th.
        assert_eq!(date_at(1_792_967_400, rome), Some(date(2026, 10, 25)));
    }
}
