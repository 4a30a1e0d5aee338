//! Received payments for the accountant: rows joined with the original EUR invoice,
//! written as CSV or JSON.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::store::{EvidenceVerdict, Payment, RateEvidence, Store, StoreError};
use crate::time::{rfc3339, rfc3339_ms};

/// Page size used when walking all payments of a period.
const EXPORT_PAGE: u32 = 1000;

/// One received payment with what the accountant needs next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRow {
    /// Settle time, RFC 3339 UTC.
    pub settled_at: String,
    /// Payment hash, hex.
    pub payment_hash: String,
    /// Our Lightning invoice id.
    pub ln_invoice_id: String,
    /// Numero of the EUR invoice paid ('' for standalone).
    pub original_invoice: String,
    /// Client name: the fattura's, else the one recorded with the invoice at or above the
    /// identity threshold ('' when none).
    pub client: String,
    /// Client VAT id: the fattura's, else the tax id recorded with the invoice (partita IVA,
    /// codice fiscale or foreign VAT id; '' when none).
    pub client_piva: String,
    /// Sats received.
    pub amount_sats: u64,
    /// EUR at the locked rate.
    pub amount_eur: Decimal,
    /// The locked EUR per BTC.
    pub rate_eur_per_btc: Decimal,
    /// Where the rate came from.
    pub rate_source: String,
    /// Payment method.
    pub method: String,
    /// The rate in force when it settled (the rate cache's then), EUR per BTC; `None` when the
    /// cache held none (see `settle_rate_source`).
    pub settle_rate_eur_per_btc: Option<Decimal>,
    /// Where that rate came from, or [`NO_SETTLE_RATE`] when none was cached.
    pub settle_rate_source: String,
    /// When that rate's provider answers arrived, RFC 3339 UTC ('' when none).
    pub settle_rate_at: String,
    /// The provider answers the locked rate came from, those dropped and those failed.
    pub rate_evidence: Vec<RateEvidence>,
}

/// `settle_rate_source` of a payment whose settlement found no rate in the cache.
pub const NO_SETTLE_RATE: &str = "none: no rate cached at settlement";

/// Unix seconds at 00:00 UTC of a date.
pub fn day_start(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0)
}

/// Joins a payment with its EUR invoice.
pub async fn payment_row(store: &Store, payment: &Payment) -> Result<PaymentRow, StoreError> {
    let fattura = match payment.fattura_id {
        Some(id) => store.fattura(id).await?,
        None => None,
    };
    let identity = store.ln_invoice_identity(&payment.ln_invoice_id).await?;
    let client = fattura
        .as_ref()
        .map(|f| f.client_name.clone())
        .filter(|name| !name.is_empty())
        .or_else(|| identity.as_ref().map(|i| i.client_name.clone()))
        .unwrap_or_default();
    let client_piva = fattura
        .as_ref()
        .and_then(|f| f.client_piva.clone())
        .or_else(|| identity.as_ref().map(|i| i.client_tax_id.clone()))
        .unwrap_or_default();
    Ok(PaymentRow {
        settled_at: rfc3339(payment.settled_at),
        payment_hash: payment.payment_hash.clone(),
        ln_invoice_id: payment.ln_invoice_id.clone(),
        original_invoice: fattura.as_ref().map(|f| f.numero.clone()).unwrap_or_default(),
        client,
        client_piva,
        amount_sats: payment.amount_msat / 1000,
        amount_eur: payment.amount_eur,
        rate_eur_per_btc: payment.rate_eur_per_btc,
        rate_source: payment.rate_source.clone(),
        method: payment.method.clone(),
        settle_rate_eur_per_btc: payment.settle_rate.as_ref().map(|r| r.eur_per_btc),
        settle_rate_source: payment
            .settle_rate
            .as_ref()
            .map_or_else(|| NO_SETTLE_RATE.to_owned(), |r| r.source.clone()),
        settle_rate_at: payment
            .settle_rate
            .as_ref()
            .map(|r| rfc3339(r.at_secs))
            .unwrap_or_default(),
        rate_evidence: store.rate_evidence(&payment.ln_invoice_id).await?,
    })
}

/// Every payment settled from `from` (inclusive) to `to` (inclusive, whole day), oldest first.
pub async fn payments_in_period(
    store: &Store,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<PaymentRow>, StoreError> {
    let from_secs = from.map(day_start);
    let to_secs = to.and_then(|d| d.succ_opt()).map(day_start);
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.payments_between(from_secs, to_secs, EXPORT_PAGE, offset).await?;
        for payment in &page {
            rows.push(payment_row(store, payment).await?);
        }
        if page.len() < EXPORT_PAGE as usize {
            break;
        }
        offset += EXPORT_PAGE;
    }
    Ok(rows)
}

/// The CSV header line's columns.
pub const CSV_COLUMNS: [&str; 15] = [
    "settled_at",
    "payment_hash",
    "ln_invoice_id",
    "original_invoice",
    "client",
    "client_piva",
    "amount_sats",
    "amount_eur",
    "rate_eur_per_btc",
    "rate_source",
    "method",
    "settle_rate_eur_per_btc",
    "settle_rate_source",
    "settle_rate_at",
    "rate_evidence",
];

/// The rate evidence as one CSV field: `used kraken 61000.5 at 2026-…Z; dropped coinbase 64000
/// at 2026-…Z (reason); failed bitstamp (reason)`.
pub fn evidence_text(evidence: &[RateEvidence]) -> String {
    evidence
        .iter()
        .map(|item| {
            let mut text = format!(
                "{} {}",
                match item.verdict {
                    EvidenceVerdict::Used => "used",
                    EvidenceVerdict::Dropped => "dropped",
                    EvidenceVerdict::Failed => "failed",
                },
                item.provider
            );
            if let Some(price) = item.eur_per_btc {
                text.push_str(&format!(" {price}"));
            }
            if let Some(at_ms) = item.answered_at_ms {
                text.push_str(&format!(" at {}", rfc3339_ms(at_ms)));
            }
            if let Some(reason) = &item.reason {
                text.push_str(&format!(" ({reason})"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Quotes a CSV field when it holds a separator, quote or line break (RFC 4180); a leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not run it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Writes rows as CSV with a header line.
pub fn to_csv(rows: &[PaymentRow]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    for row in rows {
        let fields = [
            row.settled_at.clone(),
            row.payment_hash.clone(),
            row.ln_invoice_id.clone(),
            row.original_invoice.clone(),
            row.client.clone(),
            row.client_piva.clone(),
            row.amount_sats.to_string(),
            row.amount_eur.to_string(),
            row.rate_eur_per_btc.to_string(),
            row.rate_source.clone(),
            row.method.clone(),
            row.settle_rate_eur_per_btc.map(|r| r.to_string()).unwrap_or_default(),
            row.settle_rate_source.clone(),
            row.settle_rate_at.clone(),
            evidence_text(&row.rate_evidence),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The routing-fee CSV's columns: fees the node paid for us (rebalances, refunds), a cost kept
/// apart from the payments received.
pub const FEE_CSV_COLUMNS: [&str; 8] = [
    "kind",
    "paid_at",
    "payment_hash",
    "fee_msat",
    "fee_eur",
    "rate_eur_per_btc",
    "rate_source",
    "rate_at",
];

/// One routing fee for the accountant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingFeeRow {
    /// `rebalance` or `refund`.
    pub kind: String,
    /// When the payment finished, RFC 3339 UTC.
    pub paid_at: String,
    /// The payment's hash, hex.
    pub payment_hash: String,
    /// The fee, msat.
    pub fee_msat: u64,
    /// Its EUR value at the rate of that time (4 decimals for rebalances, whole cents for
    /// refunds); `None` when no rate was available.
    pub fee_eur: Option<Decimal>,
    /// That rate, EUR per BTC.
    pub rate_eur_per_btc: Option<Decimal>,
    /// Where the rate came from ('' when none).
    pub rate_source: String,
    /// When the rate was fetched, RFC 3339 UTC ('' when none).
    pub rate_at: String,
}

/// Every routing fee paid from `from` (inclusive) to `to` (inclusive, whole day), oldest first.
pub async fn routing_fees_in_period(
    store: &Store,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<RoutingFeeRow>, StoreError> {
    let from_secs = from.map(day_start);
    let to_secs = to.and_then(|d| d.succ_opt()).map(day_start);
    Ok(store
        .routing_fees_between(from_secs, to_secs)
        .await?
        .into_iter()
        .map(|fee| RoutingFeeRow {
            kind: fee.kind.as_str().to_owned(),
            paid_at: rfc3339(fee.paid_at_secs),
            payment_hash: fee.payment_hash,
            fee_msat: fee.fee_msat,
            fee_eur: fee.value.as_ref().map(|v| v.fee_eur),
            rate_eur_per_btc: fee.value.as_ref().map(|v| v.eur_per_btc),
            rate_source: fee.value.as_ref().map(|v| v.rate_source.clone()).unwrap_or_default(),
            rate_at: fee.value.as_ref().map(|v| rfc3339(v.rate_at_secs)).unwrap_or_default(),
        })
        .collect())
}

/// Writes routing fees as CSV with a header line.
pub fn fees_to_csv(rows: &[RoutingFeeRow]) -> String {
    let mut out = FEE_CSV_COLUMNS.join(",");
    out.push('\n');
    for row in rows {
        let fields = [
            row.kind.clone(),
            row.paid_at.clone(),
            row.payment_hash.clone(),
            row.fee_msat.to_string(),
            row.fee_eur.map(|v| v.to_string()).unwrap_or_default(),
            row.rate_eur_per_btc.map(|v| v.to_string()).unwrap_or_default(),
            row.rate_source.clone(),
            row.rate_at.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("Acme, S.p.A."), "\"Acme, S.p.A.\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn day_start_is_midnight_utc() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap_or_default();
        assert_eq!(rfc3339(day_start(d)), "2025-01-15T00:00:00Z");
    }
}
