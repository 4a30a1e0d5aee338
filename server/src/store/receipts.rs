//! Receipt tokens of POS sales (`/r/{token}`): only the SHA-256 of each token is stored; a sale
//! may have several, each opening the same receipt.

use sqlx::FromRow;

use super::{Store, StoreError};

/// A POS sale as its receipt shows it: the counter's figures and its till's printer.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReceiptSaleRow {
    /// Our Lightning invoice id (the sale's id).
    pub invoice_id: String,
    /// The till's name (kept if the till was removed).
    pub till_name: String,
    /// Who rang it up.
    pub cashier: String,
    /// Gross (IVA included), cents.
    pub gross_cents: i64,
    /// IVA rate as stored (`22`, `0:N2`).
    pub vat_rate: String,
    /// IVA, cents.
    pub vat_cents: i64,
    /// Net, cents.
    pub net_cents: i64,
    /// Tip, cents.
    pub tip_cents: i64,
    /// When it was rung up (unix seconds).
    pub created_at: i64,
    /// The till's printer, `HOST:PORT`, if the till still exists and has one.
    pub printer_address: Option<String>,
    /// 1 when the till prints receipts by itself on settle.
    pub auto_print: i64,
}

const SELECT_SALE: &str = "SELECT s.invoice_id, s.till_name, s.cashier, s.gross_cents, s.vat_rate, s.vat_cents, \
     s.net_cents, s.tip_cents, s.created_at, t.printer_address, COALESCE(t.auto_print, 0) AS auto_print \
     FROM pos_sales s LEFT JOIN tills t ON t.id = s.till_id";

impl Store {
    /// The POS sale `invoice_id` with its till's printer, if it is a POS sale.
    pub async fn receipt_sale(&self, invoice_id: &str) -> Result<Option<ReceiptSaleRow>, StoreError> {
        Ok(
            sqlx::query_as::<_, ReceiptSaleRow>(&format!("{SELECT_SALE} WHERE s.invoice_id = $1"))
                .bind(invoice_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Stores a receipt token's hash for POS sale `invoice_id`.
    pub async fn add_receipt_token(&self, invoice_id: &str, token_hash: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO receipt_tokens (token_hash, invoice_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(invoice_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The sale whose receipt token hashes to `token_hash`, if any.
    pub async fn receipt_token_sale(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT invoice_id FROM receipt_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Claims the automatic print of sale `invoice_id`'s receipt; whether this caller got it
    /// (false when it was claimed before, by this gateway or another).
    pub async fn claim_receipt_auto_print(&self, invoice_id: &str, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO receipt_auto_prints (invoice_id, printed_at) VALUES ($1, $2) ON CONFLICT (invoice_id) DO NOTHING",
        )
        .bind(invoice_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
