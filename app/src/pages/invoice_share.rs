//! Sharing a Lightning invoice of a fattura with the client, on the Invoices page: its payment
//! link (shown only when made, since only a hash is stored; copy, open, a new one), the courtesy
//! copy PDF (`GET /api/admin/invoices/{id}/courtesy.pdf`, with a new link), the email form (the
//! `smtp_*` settings) and the link's state. The Invoices page lists every attempt below it.

use leptos::prelude::*;

use crate::error::AppError;
use crate::i18n::{current_lang, fill, t};
use crate::model::{MailView, PaymentLinkView};

/// A new payment link for a Lightning invoice (of its fattura, if any); the link before it stops
/// working. Admin. `POST /api/admin_new_payment_link`.
#[server(prefix = "/api", endpoint = "admin_new_payment_link")]
pub async fn new_payment_link(
    /// Our Lightning invoice id.
    invoice_id: String,
) -> Result<PaymentLinkView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.new_payment_link(invoice_id).await
}

/// Emails the courtesy copy with a new payment link to `address`: queued with the link, then
/// tried at once. A bad address or email not set up is refused and changes nothing; an SMTP
/// server that cannot take it now leaves it queued (tried again by the gateway), which the
/// answer's `mail_state` says. Admin. `POST /api/admin_email_payment_link`.
#[server(prefix = "/api", endpoint = "admin_email_payment_link")]
pub async fn email_payment_link(
    /// Our Lightning invoice id.
    invoice_id: String,
    /// The client's email address.
    address: String,
) -> Result<PaymentLinkView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?
        .email_payment_link(invoice_id, address)
        .await
}

/// The courtesy copy's download address for Lightning invoice `id`.
fn pdf_url(id: &str) -> String {
    format!("/api/admin/invoices/{id}/courtesy.pdf")
}

/// The words of a link state.
fn link_state_text(state: &str) -> &'static str {
    match state {
        "live" => t("share.link_state.live"),
        "revoked" => t("share.link_state.revoked"),
        _ => t("share.link_state.none"),
    }
}

/// The words of an email's state.
fn mail_state_text(state: &str) -> &'static str {
    match state {
        "sent" => t("share.mail_state.sent"),
        "failed" => t("share.mail_state.failed"),
        _ => t("share.mail_state.queued"),
    }
}

/// The words of an email's failure code ('' for none).
fn mail_error_text(code: &str) -> &'static str {
    match code {
        "" => "",
        "bad_address" => t("share.mail_error.bad_address"),
        "refused" => t("share.mail_error.refused"),
        "setup" => t("share.mail_error.setup"),
        "nothing_due" => t("share.mail_error.nothing_due"),
        _ => t("share.mail_error.unreachable"),
    }
}

/// What the form says after an email was queued and tried.
fn mail_outcome(link: &PaymentLinkView, address: &str) -> Result<String, String> {
    let reason = mail_error_text(&link.mail_error);
    match link.mail_state.as_str() {
        "sent" => Ok(fill(t("share.sent"), &[("address", &link.emailed_to)])),
        "failed" => Err(fill(
            t("share.mail_failed"),
            &[("address", address), ("reason", reason)],
        )),
        _ => Ok(fill(
            t("share.mail_queued"),
            &[("address", address), ("reason", reason)],
        )),
    }
}

/// The emails of the invoice's link, newest first, with their state and last failure.
#[component]
fn MailList(
    /// The emails.
    emails: Vec<MailView>,
) -> impl IntoView {
    (!emails.is_empty()).then(|| {
        let rows = emails
            .into_iter()
            .map(|mail| {
                let at = mail.at.clone();
                view! {
                    <tr data-testid="share-mail" data-state=mail.state.clone()>
                        <td>{mail.to.clone()}</td>
                        <td><span class="badge" data-state=mail.state.clone()>{mail_state_text(&mail.state)}</span></td>
                        <td>{mail.attempts}</td>
                        <td>{move || crate::format::when_relative(current_lang(), &at)}</td>
                        <td data-testid="share-mail-error" data-code=mail.error_code.clone()>{mail_error_text(&mail.error_code)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h4>{move || t("share.emails")}</h4>
            <table class="admin-table" data-testid="share-mails">
                <thead><tr>
                    <th>{move || t("share.mail_to")}</th>
                    <th>{move || t("share.mail_state")}</th>
                    <th>{move || t("share.mail_attempts")}</th>
                    <th>{move || t("share.mail_at")}</th>
                    <th>{move || t("share.mail_error")}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    })
}

/// The share card of Lightning invoice `invoice_id` (of a fattura).
#[component]
pub fn ShareCard(
    /// Our Lightning invoice id.
    invoice_id: String,
    /// `live`, `revoked` or `none`.
    link_state: String,
    /// The link made just now ('' when none).
    payment_url: String,
    /// The client's email or PEC from the FatturaPA file ('' when unknown): the form starts from it.
    client_email: String,
    /// The emails of its link so far, newest first.
    emails: Vec<MailView>,
    /// Bumped after a change so the lists reload.
    version: RwSignal<u32>,
) -> impl IntoView {
    let state = RwSignal::new(link_state);
    let url = RwSignal::new(payment_url);
    let copied = RwSignal::new(false);
    let address = RwSignal::new(client_email);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let id = StoredValue::new(invoice_id.clone());
    let had_link = move || state.get() == "live";
    let new_link = move |_| {
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            match new_payment_link(id.get_value()).await {
                Ok(link) => {
                    url.set(link.payment_url);
                    state.set(link.link_state);
                    copied.set(false);
                }
                Err(e) => message.set(Some(Err(e.text(current_lang())))),
            }
            busy.set(false);
        });
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            match email_payment_link(id.get_value(), address.get_untracked()).await {
                Ok(link) => {
                    message.set(Some(mail_outcome(&link, &address.get_untracked())));
                    url.set(link.payment_url);
                    state.set(link.link_state);
                    version.update(|v| *v += 1);
                }
                Err(e) => message.set(Some(Err(e.text(current_lang())))),
            }
            busy.set(false);
        });
    };
    let copy = move |_| {
        crate::live::copy_to_clipboard(&url.get_untracked());
        copied.set(true);
    };
    view! {
        <div class="share" data-testid="invoice-share">
            <h3>{move || t("share.title")}</h3>
            <p>
                {move || t("share.link_state_label")}": "
                <span class="badge" data-testid="share-link-state" data-state=move || state.get()>
                    {move || link_state_text(&state.get())}
                </span>
            </p>
            {move || {
                let shown = url.get();
                if shown.is_empty() {
                    view! { <p class="muted" data-testid="share-link-hidden">{move || if had_link() { t("share.link_hidden") } else { t("share.no_link") }}</p> }.into_any()
                } else {
                    let open = shown.clone();
                    view! {
                        <div class="share-link">
                            <input type="text" readonly class="mono" data-testid="share-link" prop:value=shown />
                            <button type="button" class="button" data-testid="share-copy" on:click=copy>
                                {move || if copied.get() { t("share.copied") } else { t("share.copy") }}
                            </button>
                            <a class="button" data-testid="share-open" href=open target="_blank" rel="noopener noreferrer">{move || t("share.open")}</a>
                        </div>
                    }.into_any()
                }
            }}
            <div class="admin-actions">
                <button type="button" class="button" data-testid="share-new-link" disabled=move || busy.get() on:click=new_link>
                    {move || t("share.new_link")}
                </button>
                <a class="button" data-testid="share-pdf" href=pdf_url(&invoice_id) download>{move || t("share.pdf")}</a>
            </div>
            <p class="muted">{move || t("share.new_link_note")}</p>
            <form class="admin-form" on:submit=send>
                <label>
                    <span>{move || t("share.email_to")}</span>
                    <input type="email" required data-testid="share-email" autocomplete="off"
                        prop:value=move || address.get()
                        on:input=move |ev| address.set(event_target_value(&ev)) />
                </label>
                <div class="admin-actions">
                    <button type="submit" class="button button-primary" data-testid="share-send" disabled=move || busy.get()>
                        {move || if busy.get() { t("share.sending") } else { t("share.send") }}
                    </button>
                </div>
            </form>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="banner" role="status" data-testid="share-done">{text}</p> }.into_any(),
                Err(text) => view! { <p class="banner banner-error" role="alert" data-testid="share-error">{text}</p> }.into_any(),
            })}
            <MailList emails />
        </div>
    }
}
