//! The mail outbox: each email carrying a payment link, queued in the same transaction as its
//! link, then marked sent (with its one `invoice_sent` event) or retried and at last given up.

use sqlx::FromRow;

use super::events::record;
use super::links::{ensure_link_in, LinkTarget, NewLink};
use super::{Store, StoreError};
use app::model::EventKind;

/// Where an email of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for its (next) attempt.
    Queued,
    /// The SMTP server took it.
    Sent,
    /// Given up: refused for good, or every attempt failed.
    Failed,
}

impl MailState {
    /// `queued`, `sent` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<MailState, StoreError> {
        match text {
            "queued" => Ok(MailState::Queued),
            "sent" => Ok(MailState::Sent),
            "failed" => Ok(MailState::Failed),
            other => Err(StoreError::Corrupt(format!("mail state '{other}'"))),
        }
    }
}

/// One email of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Its number.
    pub id: i64,
    /// The Lightning invoice whose link it carries.
    pub ln_invoice_id: String,
    /// Its fattura, if any.
    pub fattura_id: Option<i64>,
    /// The recipient.
    pub to_address: String,
    /// The payment link it carries (only while it waits).
    pub payment_url: Option<String>,
    /// Where it stands.
    pub state: MailState,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (unix seconds; meaningless once sent or failed).
    pub next_attempt_at: i64,
    /// The last failure as a short code (`unreachable`, `refused`, `bad_address`, `setup`).
    pub last_error_code: Option<String>,
    /// The last failure in the SMTP server's words (log and CLI only).
    pub last_error: Option<String>,
    /// When it was queued (unix seconds).
    pub created_at: i64,
    /// When the SMTP server took it (unix seconds).
    pub sent_at: Option<i64>,
}

#[derive(FromRow)]
struct MailRow {
    id: i64,
    ln_invoice_id: String,
    fattura_id: Option<i64>,
    to_address: String,
    payment_url: Option<String>,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error_code: Option<String>,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl TryFrom<MailRow> for OutboxMail {
    type Error = StoreError;
    fn try_from(row: MailRow) -> Result<Self, StoreError> {
        Ok(OutboxMail {
            id: row.id,
            ln_invoice_id: row.ln_invoice_id,
            fattura_id: row.fattura_id,
            to_address: row.to_address,
            payment_url: row.payment_url,
            state: MailState::parse(&row.state)?,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error_code: row.last_error_code,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        })
    }
}

const SELECT_MAIL: &str = "SELECT id, ln_invoice_id, fattura_id, to_address, payment_url, state, attempts, \
     next_attempt_at, last_error_code, last_error, created_at, sent_at FROM mail_outbox";

/// A failed attempt, as recorded.
#[derive(Debug, Clone)]
pub struct MailFailure<'a> {
    /// Short code for the pages.
    pub code: &'a str,
    /// The server's words.
    pub text: &'a str,
    /// When to try again (unix seconds), or `None` to give up.
    pub retry_at: Option<i64>,
}

impl Store {
    /// Makes `link` the live link of `target` (revoking the one before, unless `link` is live
    /// already) and queues the email
    /// to `to_address` that carries it (`payment_url`), due at once, in one transaction: the
    /// mail's number.
    pub async fn queue_link_mail(
        &self,
        target: &LinkTarget,
        link: NewLink<'_>,
        ln_invoice_id: &str,
        to_address: &str,
        payment_url: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let fattura_id = match target {
            LinkTarget::Fattura(id) => Some(*id),
            LinkTarget::LnInvoice(_) => None,
        };
        let mut tx = self.begin_write().await?;
        ensure_link_in(tx.tx(), target, link, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mail_outbox (ln_invoice_id, fattura_id, to_address, payment_url, state, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5) RETURNING id",
        )
        .bind(ln_invoice_id)
        .bind(fattura_id)
        .bind(to_address)
        .bind(payment_url)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Mail `id`, if it exists.
    pub async fn outbox_mail(&self, id: i64) -> Result<Option<OutboxMail>, StoreError> {
        let row: Option<MailRow> = sqlx::query_as(&format!("{SELECT_MAIL} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(OutboxMail::try_from).transpose()
    }

    /// The emails of Lightning invoice `ln_invoice_id` and of its fattura (every attempt's),
    /// newest first.
    pub async fn outbox_mails_of(
        &self,
        ln_invoice_id: &str,
        fattura_id: Option<i64>,
    ) -> Result<Vec<OutboxMail>, StoreError> {
        let rows: Vec<MailRow> = sqlx::query_as(&format!(
            "{SELECT_MAIL} WHERE ln_invoice_id = $1 OR fattura_id = $2 ORDER BY id DESC"
        ))
        .bind(ln_invoice_id)
        .bind(fattura_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(OutboxMail::try_from).collect()
    }

    /// Queued emails due at `now`, oldest first, at most `limit`.
    pub async fn due_outbox_mails(&self, now: i64, limit: u32) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM mail_outbox WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }

    /// Makes every queued email due at `now` (the SMTP settings changed); how many.
    pub async fn outbox_retry_now(&self, now: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await;
        let done =
            sqlx::query("UPDATE mail_outbox SET next_attempt_at = $1 WHERE state = 'queued' AND next_attempt_at > $1")
                .bind(now)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }

    /// Takes mail `id` for one attempt when it is queued and due at `now`: its next attempt moves
    /// to `lease_until`, so no other sender takes it meanwhile. Whether it was taken.
    pub async fn claim_outbox_mail(&self, id: i64, now: i64, lease_until: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $1 WHERE id = $2 AND state = 'queued' AND next_attempt_at <= $3",
        )
        .bind(lease_until)
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks queued mail `id` sent at `now`, forgets its link and records the one
    /// `invoice_sent` event, in one transaction. False (and nothing done) when it was not queued.
    pub async fn outbox_mail_sent(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let invoice: Option<String> = sqlx::query_scalar(
            "UPDATE mail_outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, payment_url = NULL \
             WHERE id = $2 AND state = 'queued' RETURNING ln_invoice_id",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(invoice) = invoice else {
            return Ok(false);
        };
        record(tx.tx(), EventKind::InvoiceSent, &invoice, now, None).await?;
        self.commit_and_signal(tx).await?;
        Ok(true)
    }

    /// Records a failed attempt of queued mail `id`: queued again for `failure.retry_at`, or
    /// failed for good (its link forgotten).
    pub async fn outbox_mail_failed(&self, id: i64, failure: &MailFailure<'_>) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let query = match failure.retry_at {
            Some(_) => {
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error_code = $1, last_error = $2, \
                 next_attempt_at = $3 WHERE id = $4 AND state = 'queued'"
            }
            None => {
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error_code = $1, last_error = $2, \
                 state = 'failed', payment_url = NULL, next_attempt_at = COALESCE($3, next_attempt_at) \
                 WHERE id = $4 AND state = 'queued'"
            }
        };
        sqlx::query(query)
            .bind(failure.code)
            .bind(failure.text)
            .bind(failure.retry_at)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
