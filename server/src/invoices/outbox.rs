//! Emailing a payment link through the mail outbox: the share action stores the new link and
//! queues its email in one transaction; a sender (the CLI at once, the gateway's worker later)
//! renders the courtesy copy from the stored fattura at send time and records the outcome. A
//! failure that may pass is tried again after 30 s, 2 min, 10 min and 1 h; the fifth failure, a
//! permanent refusal (5xx) or a bad address gives up (`failed`). The `invoice_sent` event is
//! recorded once, with the `sent` mark.

use rust_decimal::Decimal;

use super::links::{payment_url, target_of, LinkError, LinkService};
use super::share::{copy_of, fattura_of, share_email};
use crate::mail::{check_address, MailError, Mailer};
use crate::render::{courtesy_pdf, Party};
use crate::store::{FatturaBreakdown, MailFailure, OutboxMail};
use crate::time::now_secs;

/// The wait after the first, second, third and fourth failed attempt; the fifth gives up.
pub const MAIL_RETRY_DELAYS_SECS: [i64; 4] = [30, 120, 600, 3600];
/// How long one attempt holds its email: no other sender takes it meanwhile.
const ATTEMPT_LEASE_SECS: i64 = 300;

/// An email queued with its new payment link.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    /// Its number in the outbox.
    pub mail_id: i64,
    /// The payment link it carries.
    pub payment_url: String,
    /// The numero shown (the fattura's, or the invoice id).
    pub numero: String,
    /// What the client is asked to pay now, EUR.
    pub due_eur: Decimal,
}

impl LinkService {
    /// Queues an email to `to` with the live payment link of Lightning invoice `id` under
    /// `public_base_url` (a new one, stored in the same transaction, when none is live or the live
    /// one cannot be shown again). A bad address, an unknown
    /// invoice, a POS sale or nothing left to pay are refused and change nothing.
    pub async fn queue_email(&self, id: &str, public_base_url: &str, to: &str) -> Result<QueuedMail, LinkError> {
        check_address(to)?;
        let invoice = self.linkable(id).await?;
        let fattura = match invoice.fattura_id {
            Some(fid) => self.store().fattura(fid).await?,
            None => None,
        };
        let target = target_of(&invoice);
        let link = self.current_or_new(&target).await?;
        let url = payment_url(Some(public_base_url), &link.token);
        let copy = copy_of(
            &invoice,
            fattura.as_ref(),
            &FatturaBreakdown::default(),
            Party::default(),
            url.clone(),
        );
        if copy.due_eur <= Decimal::ZERO {
            return Err(LinkError::NothingDue);
        }
        let mail_id = self
            .store()
            .queue_link_mail(&target, link.stored(), &invoice.id, to.trim(), &url, now_secs())
            .await?;
        Ok(QueuedMail {
            mail_id,
            payment_url: url,
            numero: copy.numero,
            due_eur: copy.due_eur,
        })
    }

    /// One attempt at queued email `mail_id` when it is due: renders the courtesy copy from the
    /// stored data, sends it through `mailer` (or records why there is none) and records the
    /// outcome. The email as it stands afterwards; untouched when it was not due or is taken by
    /// another sender.
    pub async fn deliver_mail(
        &self,
        mail_id: i64,
        seller: Party,
        mailer: &Result<Mailer, MailError>,
    ) -> Result<OutboxMail, LinkError> {
        let now = now_secs();
        let store = self.store();
        if store.claim_outbox_mail(mail_id, now, now + ATTEMPT_LEASE_SECS).await? {
            let mail = store
                .outbox_mail(mail_id)
                .await?
                .ok_or(LinkError::UnknownMail(mail_id))?;
            match self.attempt(&mail, seller, mailer).await {
                Ok(()) => {
                    store.outbox_mail_sent(mail_id, now_secs()).await?;
                    tracing::info!(mail_id, invoice = %mail.ln_invoice_id, "payment link emailed");
                }
                Err((code, text, may_pass)) => {
                    let retry_at = MAIL_RETRY_DELAYS_SECS
                        .get(usize::try_from(mail.attempts).unwrap_or(usize::MAX))
                        .filter(|_| may_pass)
                        .map(|delay| now_secs() + delay);
                    tracing::warn!(mail_id, invoice = %mail.ln_invoice_id, code, error = %text, retry_at, "email not sent");
                    store
                        .outbox_mail_failed(
                            mail_id,
                            &MailFailure {
                                code,
                                text: &text,
                                retry_at,
                            },
                        )
                        .await?;
                }
            }
        }
        store.outbox_mail(mail_id).await?.ok_or(LinkError::UnknownMail(mail_id))
    }

    /// Sends `mail` once: `Err((code, words, may pass))` when it did not go.
    async fn attempt(
        &self,
        mail: &OutboxMail,
        seller: Party,
        mailer: &Result<Mailer, MailError>,
    ) -> Result<(), (&'static str, String, bool)> {
        let mailer = mailer.as_ref().map_err(|e| (e.code(), e.to_string(), true))?;
        let Some(url) = mail.payment_url.clone() else {
            return Err(("setup", "the email no longer has its link".into(), false));
        };
        let stored = |e: crate::store::StoreError| ("unreachable", e.to_string(), true);
        let invoice = self
            .store()
            .ln_invoice(&mail.ln_invoice_id)
            .await
            .map_err(stored)?
            .ok_or_else(|| ("setup", format!("no Lightning invoice {}", mail.ln_invoice_id), false))?;
        let (fattura, breakdown) = fattura_of(self.store(), &invoice).await.map_err(stored)?;
        let copy = copy_of(&invoice, fattura.as_ref(), &breakdown, seller, url.clone());
        if copy.due_eur <= Decimal::ZERO {
            return Err(("nothing_due", "nothing is left to pay: not sent".into(), false));
        }
        let pdf = courtesy_pdf(&copy).map_err(|e| ("setup", e.to_string(), false))?;
        mailer
            .send(&share_email(&mail.to_address, &copy.numero, copy.due_eur, &url, pdf))
            .await
            .map_err(|e| (e.code(), e.to_string(), e.may_pass() || e.code() == "setup"))
    }

    /// The emails of Lightning invoice `id` and of its fattura, newest first.
    pub async fn emails(&self, id: &str) -> Result<Vec<OutboxMail>, LinkError> {
        let Some(invoice) = self.store().ln_invoice(id).await? else {
            return Err(LinkError::UnknownLnInvoice(id.to_string()));
        };
        Ok(self.store().outbox_mails_of(&invoice.id, invoice.fattura_id).await?)
    }

    /// Queued emails due now, oldest first (at most `limit`).
    pub async fn due_emails(&self, limit: u32) -> Result<Vec<i64>, LinkError> {
        Ok(self.store().due_outbox_mails(now_secs(), limit).await?)
    }

    /// Makes every queued email due now (after the email settings changed); how many.
    pub async fn retry_emails_now(&self) -> Result<u64, LinkError> {
        Ok(self.store().outbox_retry_now(now_secs()).await?)
    }
}
