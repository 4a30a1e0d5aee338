//! The mail worker of `openfatture serve`: every few seconds it sends the queued emails that are
//! due (the mail outbox, `invoices::outbox`), each taken by one gateway only; a change of the
//! settings (the `smtp_*` keys fixed on the Settings page or in config.toml) makes every waiting
//! email due at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Settings;
use crate::invoices::LinkService;

/// How often the outbox is looked at.
const POLL: Duration = Duration::from_secs(2);
/// Emails sent per look, at most.
const BATCH: u32 = 20;

/// Starts the worker; it stops when `closing` changes.
pub(super) fn spawn(
    links: LinkService,
    mut settings: watch::Receiver<Arc<Settings>>,
    mut closing: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let current = settings.borrow_and_update().clone();
            deliver_due(&links, &current).await;
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    match links.retry_emails_now().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(emails = n, "settings changed: the queued emails are tried now"),
                        Err(e) => tracing::warn!(error = %e, "mail outbox: cannot reschedule the queued emails"),
                    }
                }
                _ = closing.changed() => return,
            }
        }
    })
}

/// One attempt at each queued email that is due.
async fn deliver_due(links: &LinkService, settings: &Settings) {
    let due = match links.due_emails(BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "mail outbox: cannot read the queued emails");
            return;
        }
    };
    if due.is_empty() {
        return;
    }
    let mailer = settings.mailer();
    for id in due {
        if let Err(e) = links.deliver_mail(id, settings.seller(), &mailer).await {
            tracing::warn!(mail_id = id, error = %e, "mail outbox: the attempt could not be recorded");
        }
    }
}
