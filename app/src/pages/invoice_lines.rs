//! A fattura's lines (`DettaglioLinee`) and IVA summary (`DatiRiepilogo`) on the Invoices page
//! (issue 35): numero linea, descrizione, quantità, prezzo unitario, aliquota IVA or natura and
//! total of each line; aliquota, imponibile, imposta, natura and esigibilità of each summary row;
//! "lines not known" when none are stored (an invoice added by hand, or imported before).

use leptos::prelude::*;

use crate::error::AppError;
use crate::format;
use crate::i18n::{lang, t};
use crate::model::{FatturaLineView, FatturaLinesView, VatSummaryView};

/// The lines and IVA summary of the EUR invoice with row id `id`. Admin.
/// `POST /api/admin_fattura_lines`.
#[server(prefix = "/api", endpoint = "admin_fattura_lines")]
pub async fn fattura_lines(
    /// Row id of the EUR invoice.
    id: i64,
) -> Result<FatturaLinesView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.fattura_lines(id).await
}

/// The words of `EsigibilitaIVA` in the current language.
fn esigibilita_text(code: &str) -> String {
    match code {
        "I" => t("invoice_lines.esigibilita.i").to_string(),
        "D" => t("invoice_lines.esigibilita.d").to_string(),
        "S" => t("invoice_lines.esigibilita.s").to_string(),
        other => other.to_string(),
    }
}

/// The IVA column of a line or summary row: its natura when it has one, else the rate.
fn vat_text(vat_percent: &str, natura: &str) -> String {
    if natura.is_empty() {
        format!("{} %", format::decimal2(lang(), vat_percent))
    } else {
        natura.to_string()
    }
}

/// The card with the fattura's lines and IVA summary.
#[component]
pub fn FatturaLinesCard(
    /// Row id of the EUR invoice.
    id: i64,
) -> impl IntoView {
    let lines = LocalResource::new(move || fattura_lines(id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match lines.await {
                    Ok(view) if view.lines.is_empty() && view.vat_summary.is_empty() => view! {
                        <p class="muted" data-testid="fattura-lines-unknown">{move || t("invoice_lines.unknown")}</p>
                    }.into_any(),
                    Ok(view) => view! { <LinesDetail view /> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LinesDetail(view: FatturaLinesView) -> impl IntoView {
    let FatturaLinesView { lines, vat_summary } = view;
    view! {
        <div class="due-detail" data-testid="fattura-lines">
            <h3>{move || t("invoice_lines.title")}</h3>
            <div class="table-wrap">
                <table class="admin-table" data-testid="fattura-lines-table">
                    <thead>
                        <tr>
                            <th class="num">{move || t("invoice_lines.col.number")}</th>
                            <th>{move || t("invoice_lines.col.description")}</th>
                            <th class="num">{move || t("invoice_lines.col.quantity")}</th>
                            <th class="num">{move || t("invoice_lines.col.unit_price")}</th>
                            <th>{move || t("invoice_lines.col.vat")}</th>
                            <th class="num">{move || t("invoice_lines.col.total")}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {lines.into_iter().map(|line| {
                            let FatturaLineView { number, description, quantity, unit, unit_price_eur, vat_percent, natura, total_eur } = line;
                            let quantity = if unit.is_empty() { quantity } else { format!("{quantity} {unit}") };
                            view! {
                                <tr>
                                    <td class="num">{number}</td>
                                    <td>{description}</td>
                                    <td class="num">{quantity}</td>
                                    <td class="num">{move || format::money(lang(), &unit_price_eur)}</td>
                                    <td>{move || vat_text(&vat_percent, &natura)}</td>
                                    <td class="num">{move || format::money(lang(), &total_eur)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(!vat_summary.is_empty()).then(|| view! { <VatSummary rows=vat_summary /> })}
        </div>
    }
}

#[component]
fn VatSummary(rows: Vec<VatSummaryView>) -> impl IntoView {
    view! {
        <h3>{move || t("invoice_lines.summary_title")}</h3>
        <div class="table-wrap">
            <table class="admin-table" data-testid="fattura-vat-summary">
                <thead>
                    <tr>
                        <th>{move || t("invoice_lines.col.vat")}</th>
                        <th class="num">{move || t("invoice_lines.col.taxable")}</th>
                        <th class="num">{move || t("invoice_lines.col.tax")}</th>
                        <th>{move || t("invoice_lines.col.esigibilita")}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let VatSummaryView { vat_percent, natura, taxable_eur, vat_eur, esigibilita } = row;
                        view! {
                            <tr>
                                <td>{move || vat_text(&vat_percent, &natura)}</td>
                                <td class="num">{move || format::money(lang(), &taxable_eur)}</td>
                                <td class="num">{move || format::money(lang(), &vat_eur)}</td>
                                <td>{move || esigibilita_text(&esigibilita)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
