//! Refunding a paid POS sale from the back office (issue 36): the admin gives the sale's
//! Lightning invoice id (as the Payments table shows it), the EUR to refund and the customer's
//! BOLT11 or Lightning address; the gateway's refund service (the same as `openfatture pos
//! refund`) checks the cap, records and pays it. Refusals are `error.refund.*` codes.

use leptos::prelude::*;

use crate::error::AppError;
use crate::i18n::{current_lang, fill, t};
use crate::model::RefundView;

/// Refunds `amount_eur` of paid POS sale `sale_id` to `to` (BOLT11 or Lightning address).
/// Admin. `POST /api/admin_refund_sale`.
#[server(prefix = "/api", endpoint = "admin_refund_sale")]
pub async fn refund_sale(
    /// The sale's Lightning invoice id.
    sale_id: String,
    /// EUR to refund, as typed.
    amount_eur: String,
    /// The customer's BOLT11 or Lightning address.
    to: String,
) -> Result<RefundView, AppError> {
    let user = crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?
        .refund_sale(sale_id, amount_eur, to, user.username)
        .await
}

/// The "Rimborsa" card of the Payments page.
#[component]
pub fn RefundCard() -> impl IntoView {
    let sale = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let done = refund_sale(sale.get_untracked(), amount.get_untracked(), to.get_untracked()).await;
            match done {
                Ok(r) => {
                    let key = if r.state == "succeeded" {
                        "refund.done"
                    } else {
                        "refund.in_flight"
                    };
                    message.set(Some(Ok(fill(
                        t(key),
                        &[("eur", &r.amount_eur), ("sat", &r.amount_sat.to_string())],
                    ))));
                    to.set(String::new());
                }
                Err(e) => message.set(Some(Err(e.text(current_lang())))),
            }
            busy.set(false);
        });
    };
    let field = move |key: &'static str, testid: &'static str, value: RwSignal<String>| {
        view! {
            <label>
                <span>{move || t(key)}</span>
                <input type="text" data-testid=testid
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <section class="card admin-page" data-testid="refund-card">
            <h2>{move || t("refund.title")}</h2>
            <form class="admin-form" on:submit=submit>
                {field("refund.sale", "refund-sale", sale)}
                {field("refund.amount", "refund-amount", amount)}
                {field("refund.to", "refund-to", to)}
                <div class="admin-actions">
                    <button type="submit" class="button button-primary" data-testid="refund-submit" disabled=move || busy.get()>
                        {move || t("refund.submit")}
                    </button>
                </div>
            </form>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="banner" role="status" data-testid="refund-done">{text}</p> }.into_any(),
                Err(text) => view! { <p class="banner banner-error" role="alert" data-testid="refund-error">{text}</p> }.into_any(),
            })}
        </section>
    }
}
