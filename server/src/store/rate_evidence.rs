//! The rate evidence of each Lightning invoice: the provider answers its locked rate came from,
//! the answers dropped and the providers that failed, kept as they were when the rate was locked.

use rust_decimal::Decimal;
use sqlx::{Any, FromRow, Transaction};

use super::{parse_decimal, Store, StoreError};

/// What became of one provider's answer when a rate was locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceVerdict {
    /// The rate was computed from this answer.
    Used,
    /// The answer was left out as an outlier (see the reason).
    Dropped,
    /// The provider gave no usable answer (see the reason).
    Failed,
}

impl EvidenceVerdict {
    /// The stored name (`used`, `dropped`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceVerdict::Used => "used",
            EvidenceVerdict::Dropped => "dropped",
            EvidenceVerdict::Failed => "failed",
        }
    }

    /// Parses a stored name (exactly).
    pub fn parse(text: &str) -> Option<EvidenceVerdict> {
        [EvidenceVerdict::Used, EvidenceVerdict::Dropped, EvidenceVerdict::Failed]
            .into_iter()
            .find(|verdict| verdict.as_str() == text)
    }
}

/// One provider's part in a locked rate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RateEvidence {
    /// Provider name ("kraken", "bitstamp", …).
    pub provider: String,
    /// Used, dropped or failed.
    pub verdict: EvidenceVerdict,
    /// The price it answered, EUR per BTC, exact (`None` when it failed).
    pub eur_per_btc: Option<Decimal>,
    /// When its answer arrived, unix milliseconds (`None` when it failed).
    pub answered_at_ms: Option<i64>,
    /// Why it was dropped or failed, one line (`None` when used).
    pub reason: Option<String>,
}

#[derive(FromRow)]
struct EvidenceRow {
    provider: String,
    verdict: String,
    eur_per_btc: Option<String>,
    answered_at_ms: Option<i64>,
    reason: Option<String>,
}

impl TryFrom<EvidenceRow> for RateEvidence {
    type Error = StoreError;

    fn try_from(row: EvidenceRow) -> Result<Self, Self::Error> {
        Ok(RateEvidence {
            verdict: EvidenceVerdict::parse(&row.verdict)
                .ok_or_else(|| StoreError::Corrupt(format!("rate evidence verdict '{}'", row.verdict)))?,
            eur_per_btc: row
                .eur_per_btc
                .as_deref()
                .map(|text| parse_decimal(text, "evidence price"))
                .transpose()?,
            provider: row.provider,
            answered_at_ms: row.answered_at_ms,
            reason: row.reason,
        })
    }
}

/// Stores the evidence of invoice `ln_invoice_id` inside the caller's transaction, in order.
pub(super) async fn insert(
    tx: &mut Transaction<'_, Any>,
    ln_invoice_id: &str,
    evidence: &[RateEvidence],
) -> Result<(), StoreError> {
    for (position, item) in (0_i64..).zip(evidence) {
        sqlx::query(
            "INSERT INTO rate_evidence (ln_invoice_id, position, provider, verdict, eur_per_btc, \
             answered_at_ms, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ln_invoice_id)
        .bind(position)
        .bind(&item.provider)
        .bind(item.verdict.as_str())
        .bind(item.eur_per_btc.map(|p| p.to_string()))
        .bind(item.answered_at_ms)
        .bind(item.reason.as_deref())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Removes the evidence of a PENDING invoice being deleted, inside the caller's transaction.
pub(super) async fn delete(tx: &mut Transaction<'_, Any>, ln_invoice_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM rate_evidence WHERE ln_invoice_id = $1")
        .bind(ln_invoice_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The rate evidence of Lightning invoice `ln_invoice_id`, in the order it was recorded
    /// (empty for invoices made before evidence was kept).
    pub async fn rate_evidence(&self, ln_invoice_id: &str) -> Result<Vec<RateEvidence>, StoreError> {
        let rows: Vec<EvidenceRow> = sqlx::query_as(
            "SELECT provider, verdict, eur_per_btc, answered_at_ms, reason FROM rate_evidence \
             WHERE ln_invoice_id = $1 ORDER BY position",
        )
        .bind(ln_invoice_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(RateEvidence::try_from).collect()
    }
}
