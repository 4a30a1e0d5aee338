//! The Payments page (admin): received payments with EUR, sats, the locked rate, the time and the
//! original invoice, and the accountant's CSV export as a download.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::pager::{OrderSelect, Pager, PagerState};
use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::format;
use crate::i18n::{lang, t};
use crate::model::{ListPage, PaymentView};

/// Most payments one page lists.
pub const MAX_LISTED: u32 = 500;

/// A page of payments by settle time (`order` `newest`/'' or `oldest`, after the cursor `after`,
/// '' for the first page, `limit` rows 1–500, 0 for the default); with a `search`, those whose
/// payment hash starts with it or whose fattura's numero, client or P.IVA does. Admin.
/// `POST /api/admin_payments`.
#[server(prefix = "/api", endpoint = "admin_payments")]
pub async fn list_payments(
    /// Most rows to return (0 for the default).
    limit: u32,
    /// Prefix of the payment hash, numero, client or P.IVA ('' for all).
    #[server(default)]
    search: String,
    /// `newest` ('' too) or `oldest`.
    #[server(default)]
    order: String,
    /// The cursor of the page before ('' for the first page).
    #[server(default)]
    after: String,
) -> Result<ListPage<PaymentView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    let page = crate::admin::ListRequest {
        search,
        order,
        after,
        limit: limit.min(MAX_LISTED),
    };
    crate::admin::admin_backend()?.list_payments(page).await
}

/// Every payment as the accountant's CSV (the same file as `openfatture lightning payments export
/// --format csv`). Admin. `POST /api/admin_payments_csv`.
#[server(prefix = "/api", endpoint = "admin_payments_csv")]
pub async fn payments_csv() -> Result<String, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.payments_csv().await
}

/// A `data:` URL of a CSV text, for a download link (no server round trip on click).
pub fn csv_data_url(csv: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,");
    for byte in csv.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The columns of the payment table.
const PAYMENT_COLUMNS: &[Column] = &[
    Column::text("payments.column.time"),
    Column::text("common.column.original_invoice"),
    Column::num("common.column.eur"),
    Column::num("common.column.sat"),
    Column::num("payments.column.rate_eur_btc"),
    Column::text("payments.column.lightning_invoice"),
];

/// The Payments page.
#[component]
pub fn PaymentsPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let order = RwSignal::new(String::new());
    let pager = PagerState::new();
    Effect::new(move |_| {
        let _ = (search.get(), order.get());
        pager.reset();
    });
    let payments = LocalResource::new(move || list_payments(0, search.get(), order.get(), pager.after.get()));
    let csv = LocalResource::new(payments_csv);
    let reload = move |_| {
        payments.refetch();
        csv.refetch();
    };
    view! {
        <Title text=move || t("title.payments") />
        <section class="card admin-page">
            <div class="card-head">
                <h1>{move || t("common.payments")}</h1>
                <div class="admin-actions">
                    <button type="button" class="button" data-testid="payments-refresh" on:click=reload>
                        {move || t("common.refresh")}
                    </button>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match csv.await {
                                Ok(text) => view! {
                                    <a class="button button-primary" data-testid="payments-csv" download="payments.csv"
                                        href=csv_data_url(&text)>
                                        {move || t("payments.download_csv")}
                                    </a>
                                }.into_any(),
                                Err(e) => view! { <span class="error-text">{move || e.text(lang())}</span> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
            </div>
            <div class="admin-filters">
                <label>
                    <span>{move || t("lists.search_payments")}</span>
                    <input type="search" data-testid="payment-search"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev)) />
                </label>
                <OrderSelect order testid="payment-order" />
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match payments.await {
                        Ok(page) if page.rows.is_empty() && pager.at_start() && search.get_untracked().is_empty() => view! {
                            <p class="muted" data-testid="payments-empty">{move || t("common.no_payments_received_yet")}</p>
                        }.into_any(),
                        Ok(ListPage { rows, next, total }) => view! {
                            <PaymentsTable rows />
                            <Pager state=pager next total testid="payments-pager" />
                        }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="payments-error">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <crate::pages::refund::RefundCard />
        <crate::pages::closing::ClosingCard />
    }
}

/// The payments table (also used by the dashboard's "recent payments").
#[component]
pub fn PaymentsTable(
    /// The payments to show.
    rows: Vec<PaymentView>,
) -> impl IntoView {
    view! {
        <AdminTable columns=PAYMENT_COLUMNS rows={rows.into_iter().map(|p| {
            let original = if p.original_invoice.is_empty() {
                "—".to_string()
            } else {
                format!("{} {}", p.original_invoice, p.client)
            };
            let (amount_eur, rate_eur_per_btc) = (p.amount_eur.clone(), p.rate_eur_per_btc.clone());
            let settled_at = p.settled_at.clone();
            view! {
                <tr data-testid=format!("payment-row-{}", p.ln_invoice_id)>
                    <td data-testid=format!("payment-time-{}", p.ln_invoice_id)>{move || format::when(lang(), &settled_at)}</td>
                    <td>{original}</td>
                    <td class="num">{move || format::decimal2(lang(), &amount_eur)}</td>
                    <td class="num">{move || format::sats(lang(), p.amount_sat)}</td>
                    <td class="num" title=p.rate_source.clone()>{move || format::decimal2(lang(), &rate_eur_per_btc)}</td>
                    <td class="mono">{p.ln_invoice_id.clone()}</td>
                </tr>
            }
        }).collect_view()} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_data_urls_escape_everything_but_unreserved_characters() {
        assert_eq!(
            csv_data_url("a,b\n1 €"),
            "data:text/csv;charset=utf-8,a%2Cb%0A1%20%E2%82%AC"
        );
    }
}
