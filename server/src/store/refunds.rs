//! Refunds of POS sales (issue 36): one row per refund, written in state `sending` before the
//! payment is sent, so that a crash between sending and recording is resolved by the payment
//! hash (TrackPaymentV2) and the same invoice is never paid twice. EUR in cents, sats in msat.

use sqlx::FromRow;

use super::{Store, StoreError};

/// A refund about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// The sale (our Lightning invoice id).
    pub invoice_id: String,
    /// Payment hash of the customer's invoice, hex.
    pub payment_hash: String,
    /// The customer's BOLT11.
    pub payment_request: String,
    /// What the admin gave: the BOLT11 or the Lightning address.
    pub destination: String,
    /// EUR refunded, cents.
    pub amount_cents: i64,
    /// Sats sent (without fees), msat.
    pub amount_msat: i64,
    /// The rate used, EUR per BTC, as text.
    pub eur_per_btc: String,
    /// Where the rate came from.
    pub rate_source: String,
    /// When the rate was fetched (unix seconds).
    pub rate_at: i64,
    /// Who refunded.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
}

/// A stored refund.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RefundRow {
    /// Its id.
    pub id: i64,
    /// The sale (our Lightning invoice id).
    pub invoice_id: String,
    /// Payment hash, hex.
    pub payment_hash: String,
    /// The customer's BOLT11.
    pub payment_request: String,
    /// What the admin gave.
    pub destination: String,
    /// EUR refunded, cents.
    pub amount_cents: i64,
    /// Sats sent, msat.
    pub amount_msat: i64,
    /// Routing fees paid, msat.
    pub fee_msat: i64,
    /// Routing fees paid, EUR cents at the refund's rate.
    pub fee_cents: i64,
    /// EUR per BTC used.
    pub eur_per_btc: String,
    /// The rate's source.
    pub rate_source: String,
    /// When the rate was fetched (unix seconds).
    pub rate_at: i64,
    /// `sending`, `succeeded` or `failed`.
    pub state: String,
    /// Why it failed.
    pub failure: Option<String>,
    /// Who refunded.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
    /// When it ended (unix seconds).
    pub finished_at: Option<i64>,
}

/// Why a refund could not be recorded (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRefusal {
    /// No POS sale with that id.
    UnknownSale,
    /// The sale is not paid.
    NotSettled,
    /// A refund to this payment hash exists already.
    SameInvoice,
    /// The amount would take the refunds over what was paid; `left_cents` may still be refunded.
    OverCap {
        /// What may still be refunded, cents.
        left_cents: i64,
    },
}

/// A POS sale's paid total and what was refunded of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleRefundState {
    /// Gross + tip, cents.
    pub paid_cents: i64,
    /// Refunds sent or being sent, cents.
    pub refunded_cents: i64,
    /// Whether the sale's invoice is SETTLED.
    pub settled: bool,
}

const SELECT_REFUND: &str = "SELECT id, invoice_id, payment_hash, payment_request, destination, amount_cents, \
     amount_msat, fee_msat, fee_cents, eur_per_btc, rate_source, rate_at, state, failure, created_by, created_at, \
     finished_at FROM refunds";

impl Store {
    /// The paid total of POS sale `invoice_id` and its refunds so far; `None` when no such sale.
    pub async fn sale_refund_state(&self, invoice_id: &str) -> Result<Option<SaleRefundState>, StoreError> {
        let mut tx = self.begin_write().await?;
        let state = sale_state(&mut tx, invoice_id).await?;
        tx.commit().await?;
        Ok(state)
    }

    /// Records refund `new` in state `sending`, in one transaction with the checks: the sale is
    /// paid, no refund has this payment hash, and the refunds (failed ones excepted) stay within
    /// what was paid. A refusal writes nothing.
    pub async fn insert_refund(&self, new: &NewRefund) -> Result<Result<RefundRow, RefundRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(state) = sale_state(&mut tx, &new.invoice_id).await? else {
            return Ok(Err(RefundRefusal::UnknownSale));
        };
        if !state.settled {
            return Ok(Err(RefundRefusal::NotSettled));
        }
        let (same,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refunds WHERE payment_hash = $1")
            .bind(&new.payment_hash)
            .fetch_one(&mut *tx)
            .await?;
        if same > 0 {
            return Ok(Err(RefundRefusal::SameInvoice));
        }
        let left_cents = state.paid_cents - state.refunded_cents;
        if new.amount_cents > left_cents {
            return Ok(Err(RefundRefusal::OverCap {
                left_cents: left_cents.max(0),
            }));
        }
        sqlx::query(
            "INSERT INTO refunds (invoice_id, payment_hash, payment_request, destination, amount_cents, amount_msat, \
             eur_per_btc, rate_source, rate_at, state, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'sending', $10, $11)",
        )
        .bind(&new.invoice_id)
        .bind(&new.payment_hash)
        .bind(&new.payment_request)
        .bind(&new.destination)
        .bind(new.amount_cents)
        .bind(new.amount_msat)
        .bind(&new.eur_per_btc)
        .bind(&new.rate_source)
        .bind(new.rate_at)
        .bind(&new.created_by)
        .bind(new.created_at)
        .execute(&mut *tx)
        .await?;
        let sql = format!("{SELECT_REFUND} WHERE payment_hash = $1");
        let row = sqlx::query_as::<_, RefundRow>(&sql)
            .bind(&new.payment_hash)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(row))
    }

    /// Ends refund `payment_hash` (only while it is `sending`): succeeded with its fees, or
    /// failed with why. Returns the row as it is now; `None` when there is none.
    pub async fn finish_refund(
        &self,
        payment_hash: &str,
        succeeded: bool,
        fee_msat: i64,
        fee_cents: i64,
        failure: Option<&str>,
        now: i64,
    ) -> Result<Option<RefundRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE refunds SET state = $1, fee_msat = $2, fee_cents = $3, failure = $4, finished_at = $5 \
             WHERE payment_hash = $6 AND state = 'sending'",
        )
        .bind(if succeeded { "succeeded" } else { "failed" })
        .bind(fee_msat)
        .bind(fee_cents)
        .bind(failure)
        .bind(now)
        .bind(payment_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let sql = format!("{SELECT_REFUND} WHERE payment_hash = $1");
        let row = sqlx::query_as::<_, RefundRow>(&sql)
            .bind(payment_hash)
            .fetch_optional(&mut *tx)
            .await?;
        // The `payment_refunded` event and its webhooks, in the same transaction: never lost.
        if let (1, true, Some(r)) = (changed, succeeded, &row) {
            let fields = serde_json::json!({
                "invoice_id": r.invoice_id,
                "payment_hash": r.payment_hash,
                "amount_eur": super::cents_to_eur(r.amount_cents).to_string(),
                "amount_sats": r.amount_msat / 1000,
                "fee_msat": r.fee_msat,
                "eur_per_btc": r.eur_per_btc,
                "rate_source": r.rate_source,
                "refunded_by": r.created_by,
            });
            let kind = app::model::EventKind::PaymentRefunded;
            let (id, payload) = super::events::unattached_payload(kind, fields, now);
            super::events::insert_event(tx.tx(), &id, kind, "", &payload, now).await?;
            self.commit_and_signal(tx).await?;
            return Ok(row);
        }
        tx.commit().await?;
        Ok(row)
    }

    /// Every refund still `sending` (to resolve after a restart or a lost stream), oldest first.
    pub async fn refunds_sending(&self) -> Result<Vec<RefundRow>, StoreError> {
        let sql = format!("{SELECT_REFUND} WHERE state = 'sending' ORDER BY id");
        Ok(sqlx::query_as::<_, RefundRow>(&sql).fetch_all(&self.pool).await?)
    }

    /// The refunds of sale `invoice_id`, oldest first.
    pub async fn refunds_of(&self, invoice_id: &str) -> Result<Vec<RefundRow>, StoreError> {
        let sql = format!("{SELECT_REFUND} WHERE invoice_id = $1 ORDER BY id");
        Ok(sqlx::query_as::<_, RefundRow>(&sql)
            .bind(invoice_id)
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The sale's paid total and refunds so far, in `tx`.
async fn sale_state(tx: &mut super::WriteTx, invoice_id: &str) -> Result<Option<SaleRefundState>, StoreError> {
    let sale: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT s.gross_cents, s.tip_cents, i.state FROM pos_sales s JOIN ln_invoices i ON i.id = s.invoice_id \
         WHERE s.invoice_id = $1",
    )
    .bind(invoice_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((gross_cents, tip_cents, state)) = sale else {
        return Ok(None);
    };
    let (refunded,): (Option<i64>,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM refunds WHERE invoice_id = $1 AND state <> 'failed'",
    )
    .bind(invoice_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(SaleRefundState {
        paid_cents: gross_cents + tip_cents,
        refunded_cents: refunded.unwrap_or(0),
        settled: state == "SETTLED",
    }))
}
