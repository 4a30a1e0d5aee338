//! Payment links (`/pay/{token}`): only the SHA-256 of each token is stored, never the token,
//! with the random nonce the token was derived from (see `invoices::links`); a link belongs to a fattura or to a standalone Lightning invoice, and at most one per target is
//! live (unrevoked) at a time (a partial unique index in both engines).

use sqlx::{Any, FromRow, Transaction};

use super::{Store, StoreError};

/// What a payment link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// An EUR invoice: the page shows its latest Lightning invoice (a new quote keeps the link).
    Fattura(i64),
    /// A standalone Lightning invoice (our id).
    LnInvoice(String),
}

/// A stored payment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLink {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// What it opens.
    pub target: LinkTarget,
    /// The nonce (hex) its token was derived from with the link key; `None` for links made before
    /// tokens were derived (they cannot be shown again).
    pub token_nonce: Option<String>,
    /// When it was made (unix seconds).
    pub created_at: i64,
    /// When it was revoked (unix seconds), if it was.
    pub revoked_at: Option<i64>,
}

#[derive(FromRow)]
struct LinkRow {
    token_hash: String,
    fattura_id: Option<i64>,
    ln_invoice_id: Option<String>,
    token_nonce: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<LinkRow> for PaymentLink {
    type Error = StoreError;
    fn try_from(row: LinkRow) -> Result<Self, StoreError> {
        let target = match (row.fattura_id, row.ln_invoice_id) {
            (Some(id), None) => LinkTarget::Fattura(id),
            (None, Some(id)) => LinkTarget::LnInvoice(id),
            _ => return Err(StoreError::Corrupt("payment link with no single target".into())),
        };
        Ok(PaymentLink {
            token_hash: row.token_hash,
            target,
            token_nonce: row.token_nonce,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}

const SELECT_LINK: &str =
    "SELECT token_hash, fattura_id, ln_invoice_id, token_nonce, created_at, revoked_at FROM payment_links";

/// The columns and value of a target, for queries.
fn target_binds(target: &LinkTarget) -> (Option<i64>, Option<String>) {
    match target {
        LinkTarget::Fattura(id) => (Some(*id), None),
        LinkTarget::LnInvoice(id) => (None, Some(id.clone())),
    }
}

/// A link to store: the SHA-256 of its token (hex) and the nonce (hex) it was derived from.
#[derive(Debug, Clone, Copy)]
pub struct NewLink<'a> {
    /// SHA-256 of the token, hex.
    pub token_hash: &'a str,
    /// The nonce the token was derived from, hex.
    pub token_nonce: &'a str,
}

/// Adds a live link row for `target` inside `tx`.
async fn insert_link(
    tx: &mut Transaction<'_, Any>,
    link: NewLink<'_>,
    target: &LinkTarget,
    now: i64,
) -> Result<(), StoreError> {
    let (fattura_id, ln_invoice_id) = target_binds(target);
    sqlx::query(
        "INSERT INTO payment_links (token_hash, fattura_id, ln_invoice_id, token_nonce, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(link.token_hash)
    .bind(fattura_id)
    .bind(ln_invoice_id)
    .bind(link.token_nonce)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes `link` the live link of `target` inside `tx`: nothing changes when it is the live one
/// already; otherwise the live one is revoked and `link` added. Whether it added `link`.
pub(super) async fn ensure_link_in(
    tx: &mut Transaction<'_, Any>,
    target: &LinkTarget,
    link: NewLink<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let (fattura_id, ln_invoice_id) = target_binds(target);
    let live: Option<String> = sqlx::query_scalar(
        "SELECT token_hash FROM payment_links WHERE revoked_at IS NULL AND (fattura_id = $1 OR ln_invoice_id = $2)",
    )
    .bind(fattura_id)
    .bind(ln_invoice_id)
    .fetch_optional(&mut **tx)
    .await?;
    if live.as_deref() == Some(link.token_hash) {
        return Ok(false);
    }
    replace_link_in(tx, target, link, now).await?;
    Ok(true)
}

/// Revokes the live link of `target` and adds `link` as its live link, inside `tx`.
async fn replace_link_in(
    tx: &mut Transaction<'_, Any>,
    target: &LinkTarget,
    link: NewLink<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let (fattura_id, ln_invoice_id) = target_binds(target);
    sqlx::query(
        "UPDATE payment_links SET revoked_at = $1 WHERE revoked_at IS NULL \
         AND (fattura_id = $2 OR ln_invoice_id = $3)",
    )
    .bind(now)
    .bind(fattura_id)
    .bind(ln_invoice_id)
    .execute(&mut **tx)
    .await?;
    insert_link(tx, link, target, now).await
}

impl Store {
    /// Stores `link` as the new live link of `target`, revoking the live one it replaces, in one
    /// transaction.
    pub async fn replace_payment_link(
        &self,
        target: &LinkTarget,
        link: NewLink<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        replace_link_in(tx.tx(), target, link, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes `link` the live link of `target` unless it is already (then nothing changes),
    /// revoking the live one it replaces, in one transaction; whether it added `link`.
    pub async fn ensure_payment_link(
        &self,
        target: &LinkTarget,
        link: NewLink<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let added = ensure_link_in(tx.tx(), target, link, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Stores a new live link for `target` unless one is live already; whether it stored it.
    pub async fn add_payment_link_if_none(
        &self,
        target: &LinkTarget,
        link: NewLink<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (fattura_id, ln_invoice_id) = target_binds(target);
        let mut tx = self.begin_write().await?;
        let live: Option<String> = sqlx::query_scalar(
            "SELECT token_hash FROM payment_links WHERE revoked_at IS NULL AND (fattura_id = $1 OR ln_invoice_id = $2)",
        )
        .bind(fattura_id)
        .bind(ln_invoice_id)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_some() {
            return Ok(false);
        }
        insert_link(tx.tx(), link, target, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The live link of `target`, if there is one.
    pub async fn live_payment_link(&self, target: &LinkTarget) -> Result<Option<PaymentLink>, StoreError> {
        let (fattura_id, ln_invoice_id) = target_binds(target);
        let row: Option<LinkRow> = sqlx::query_as(&format!(
            "{SELECT_LINK} WHERE revoked_at IS NULL AND (fattura_id = $1 OR ln_invoice_id = $2)"
        ))
        .bind(fattura_id)
        .bind(ln_invoice_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(PaymentLink::try_from).transpose()
    }

    /// The newest link of `target`, live or revoked, if it ever had one.
    pub async fn latest_payment_link(&self, target: &LinkTarget) -> Result<Option<PaymentLink>, StoreError> {
        let (fattura_id, ln_invoice_id) = target_binds(target);
        let row: Option<LinkRow> = sqlx::query_as(&format!(
            "{SELECT_LINK} WHERE (fattura_id = $1 OR ln_invoice_id = $2) ORDER BY created_at DESC, revoked_at IS NULL DESC LIMIT 1"
        ))
        .bind(fattura_id)
        .bind(ln_invoice_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(PaymentLink::try_from).transpose()
    }

    /// The link whose token hashes to `token_hash` (revoked or not), if any.
    pub async fn payment_link_by_hash(&self, token_hash: &str) -> Result<Option<PaymentLink>, StoreError> {
        let row: Option<LinkRow> = sqlx::query_as(&format!("{SELECT_LINK} WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(PaymentLink::try_from).transpose()
    }

    /// Revokes the live link of `target`; whether there was one.
    pub async fn revoke_payment_link(&self, target: &LinkTarget, now: i64) -> Result<bool, StoreError> {
        let (fattura_id, ln_invoice_id) = target_binds(target);
        let _turn = self.write_turn().await;
        let done = sqlx::query(
            "UPDATE payment_links SET revoked_at = $1 WHERE revoked_at IS NULL \
             AND (fattura_id = $2 OR ln_invoice_id = $3)",
        )
        .bind(now)
        .bind(fattura_id)
        .bind(ln_invoice_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
