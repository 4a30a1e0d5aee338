//! The lines (`DettaglioLinee`) and IVA summary (`DatiRiepilogo`) of a fattura, written in the
//! same transaction as the fattura itself and read back for its courtesy copy.

use std::str::FromStr;

use rust_decimal::Decimal;
use sqlx::{Any, FromRow, Transaction};

use super::{cents_to_eur, eur_to_cents, Store, StoreError};
use crate::fatturapa::{InvoiceLine, VatSummaryRow};

/// What a fattura is made of: its lines and its IVA summary, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FatturaBreakdown {
    /// The lines (`DettaglioLinee`); empty when not known.
    pub lines: Vec<InvoiceLine>,
    /// The IVA summary (`DatiRiepilogo`); empty when not known.
    pub vat_summary: Vec<VatSummaryRow>,
}

#[derive(FromRow)]
struct LineRow {
    line_no: i64,
    description: String,
    quantity: Option<String>,
    unit: Option<String>,
    unit_price_eur: String,
    total_eur: String,
    vat_percent: String,
    natura: Option<String>,
}

#[derive(FromRow)]
struct SummaryRow {
    vat_percent: String,
    natura: Option<String>,
    taxable_cents: i64,
    vat_cents: i64,
    esigibilita: Option<String>,
}

/// A stored decimal text back to a `Decimal`.
fn decimal(text: &str, what: &str, fattura_id: i64) -> Result<Decimal, StoreError> {
    Decimal::from_str(text).map_err(|e| StoreError::Corrupt(format!("fattura {fattura_id} {what} '{text}': {e}")))
}

/// Writes the lines and summary of fattura `fattura_id` inside the caller's transaction.
pub(super) async fn insert_breakdown(
    tx: &mut Transaction<'_, Any>,
    fattura_id: i64,
    breakdown: &FatturaBreakdown,
) -> Result<(), StoreError> {
    for (position, line) in breakdown.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO fattura_lines (fattura_id, line_no, position, description, quantity, unit, \
             unit_price_eur, total_eur, vat_percent, natura) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(fattura_id)
        .bind(i64::from(line.number))
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&line.description)
        .bind(line.quantity.map(|q| q.to_string()))
        .bind(&line.unit)
        .bind(line.unit_price_eur.to_string())
        .bind(line.total_eur.to_string())
        .bind(line.vat_percent.to_string())
        .bind(&line.natura)
        .execute(&mut **tx)
        .await?;
    }
    for (position, row) in breakdown.vat_summary.iter().enumerate() {
        let cents = |eur: Decimal, what: &str| {
            eur_to_cents(eur).ok_or_else(|| StoreError::Corrupt(format!("{what} {eur} is not whole cents")))
        };
        sqlx::query(
            "INSERT INTO fattura_vat_summary (fattura_id, position, vat_percent, natura, taxable_cents, \
             vat_cents, esigibilita) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(fattura_id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(row.vat_percent.to_string())
        .bind(&row.natura)
        .bind(cents(row.taxable_eur, "ImponibileImporto")?)
        .bind(cents(row.vat_eur, "Imposta")?)
        .bind(&row.esigibilita)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The lines and IVA summary of fattura `fattura_id`, in document order (both empty when
    /// not known, e.g. imported before they were stored).
    pub async fn fattura_breakdown(&self, fattura_id: i64) -> Result<FatturaBreakdown, StoreError> {
        let lines: Vec<LineRow> = sqlx::query_as(
            "SELECT line_no, description, quantity, unit, unit_price_eur, total_eur, vat_percent, natura \
             FROM fattura_lines WHERE fattura_id = $1 ORDER BY position",
        )
        .bind(fattura_id)
        .fetch_all(self.pool())
        .await?;
        let summary: Vec<SummaryRow> = sqlx::query_as(
            "SELECT vat_percent, natura, taxable_cents, vat_cents, esigibilita \
             FROM fattura_vat_summary WHERE fattura_id = $1 ORDER BY position",
        )
        .bind(fattura_id)
        .fetch_all(self.pool())
        .await?;
        let id = fattura_id;
        let lines = lines
            .into_iter()
            .map(|row| {
                Ok(InvoiceLine {
                    number: u32::try_from(row.line_no)
                        .map_err(|_| StoreError::Corrupt(format!("fattura {id} line number {}", row.line_no)))?,
                    description: row.description,
                    quantity: row.quantity.map(|q| decimal(&q, "quantity", id)).transpose()?,
                    unit: row.unit,
                    unit_price_eur: decimal(&row.unit_price_eur, "unit price", id)?,
                    total_eur: decimal(&row.total_eur, "line total", id)?,
                    vat_percent: decimal(&row.vat_percent, "IVA rate", id)?,
                    natura: row.natura,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let vat_summary = summary
            .into_iter()
            .map(|row| {
                Ok(VatSummaryRow {
                    vat_percent: decimal(&row.vat_percent, "IVA rate", id)?,
                    natura: row.natura,
                    taxable_eur: cents_to_eur(row.taxable_cents),
                    vat_eur: cents_to_eur(row.vat_cents),
                    esigibilita: row.esigibilita,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(FatturaBreakdown { lines, vat_summary })
    }
}
