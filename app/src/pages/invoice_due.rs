//! How an imported EUR invoice is to be paid, on the Invoices page: the amount due's derivation
//! (each step with its source element), the instalments with their due dates and what is paid of
//! each, the bollo as information, credit notes and the signer. With several instalments the
//! create form starts from the next one, as `lightning invoice create` does, and two buttons
//! switch between the next instalment and everything still due.

use leptos::prelude::*;

use crate::error::AppError;
use crate::format;
use crate::i18n::{fill, lang, t};
use crate::model::{DueStepView, FatturaDueView, InstallmentView};

/// How the EUR invoice with row id `id` is to be paid (`None` for one added by hand). Admin.
/// `POST /api/admin_fattura_due`.
#[server(prefix = "/api", endpoint = "admin_fattura_due")]
pub async fn fattura_due(
    /// Row id of the EUR invoice.
    id: i64,
) -> Result<Option<FatturaDueView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.fattura_due(id).await
}

/// The words of a derivation step in the current language.
fn step_text(step: &DueStepView) -> String {
    let key = match step.kind.as_str() {
        "total" => "invoice_due.step.total",
        "rounding" => "invoice_due.step.rounding",
        "taxable" => "invoice_due.step.taxable",
        "vat" => "invoice_due.step.vat",
        "withholding" => "invoice_due.step.withholding",
        "split_vat" => "invoice_due.step.split_vat",
        "gross" => "invoice_due.step.gross",
        _ => "invoice_due.step.other",
    };
    fill(t(key), &[("tipo", step.detail.as_str())]).trim().to_string()
}

/// The words of `CondizioniPagamento`.
fn terms_text(condizioni: &str) -> String {
    match condizioni {
        "TP01" => t("invoice_due.terms.tp01").to_string(),
        "TP02" => t("invoice_due.terms.tp02").to_string(),
        "TP03" => t("invoice_due.terms.tp03").to_string(),
        other => other.to_string(),
    }
}

/// The card under the create form; `amount` is the form's amount, `outstanding_eur` what is still
/// due in all.
#[component]
pub fn FatturaDueCard(
    /// Row id of the EUR invoice.
    id: i64,
    /// What is still due in all, EUR.
    outstanding_eur: String,
    /// The create form's amount.
    amount: RwSignal<String>,
) -> impl IntoView {
    let due = LocalResource::new(move || fattura_due(id));
    let whole = outstanding_eur.clone();
    // Start from the next instalment, once, unless the amount was already changed by hand.
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(Ok(Some(view))) = due.get() {
            if !started.get_value() {
                started.set_value(true);
                if let Some(next) = view.next_installment_eur {
                    if amount.get_untracked() == whole {
                        amount.set(next);
                    }
                }
            }
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || {
                let outstanding_eur = outstanding_eur.clone();
                Suspend::new(async move {
                    match due.await {
                        Ok(Some(view)) => Some(view! { <DueDetail view outstanding_eur amount /> }.into_any()),
                        Ok(None) => None,
                        Err(e) => Some(view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any()),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn DueDetail(view: FatturaDueView, outstanding_eur: String, amount: RwSignal<String>) -> impl IntoView {
    let FatturaDueView {
        from_importo_pagamento,
        derivation,
        computed_eur,
        installments,
        next_installment_eur,
        bollo_eur,
        warning,
        credit_notes,
        signer,
    } = view;
    let has_bollo = bollo_eur.chars().any(|c| c.is_ascii_digit() && c != '0');
    let choices = next_installment_eur.map(|next| {
        let (next_text, all_text) = (next.clone(), outstanding_eur.clone());
        view! {
            <div class="admin-actions" data-testid="installment-choice">
                <button type="button" class="button" data-testid="collect-next-installment"
                    on:click=move |_| amount.set(next.clone())>
                    {move || fill(t("invoice_due.collect_next"), &[("amount", &format::money(lang(), &next_text))])}
                </button>
                <button type="button" class="button" data-testid="collect-all-installments"
                    on:click=move |_| amount.set(outstanding_eur.clone())>
                    {move || fill(t("invoice_due.collect_all"), &[("amount", &format::money(lang(), &all_text))])}
                </button>
            </div>
        }
    });
    view! {
        <div class="due-detail" data-testid="fattura-due">
            {(!installments.is_empty()).then(|| view! { <Installments rows=installments.clone() /> })}
            {choices}
            <h3>{move || t("invoice_due.title")}</h3>
            <p class="muted">{move || if from_importo_pagamento { t("invoice_due.from_payment") } else { t("invoice_due.computed") }}</p>
            <table class="admin-table" data-testid="due-derivation">
                <tbody>
                    {derivation.into_iter().map(|step| {
                        let (words, amount_eur) = (step.clone(), step.amount_eur.clone());
                        view! {
                            <tr>
                                <td>{move || step_text(&words)}</td>
                                <td class="muted"><small>{step.element.clone()}</small></td>
                                <td class="num">{move || format::money(lang(), &amount_eur)}</td>
                            </tr>
                        }
                    }).collect_view()}
                    <tr>
                        <th>{move || t("invoice_due.result")}</th>
                        <td></td>
                        <th class="num">{move || format::money(lang(), &computed_eur)}</th>
                    </tr>
                </tbody>
            </table>
            {warning.map(|_| view! { <p class="banner" data-testid="due-warning">{move || t("invoice_due.disagree")}</p> })}
            {has_bollo.then(|| view! {
                <p class="muted" data-testid="due-bollo">{move || fill(t("invoice_due.bollo"), &[("amount", &format::money(lang(), &bollo_eur))])}</p>
            })}
            {(!credit_notes.is_empty()).then(|| view! {
                <p class="muted" data-testid="due-credit-notes">{move || {
                    let notes: Vec<String> = credit_notes
                        .iter()
                        .map(|c| if c.amount_eur.is_empty() {
                            c.note.clone()
                        } else {
                            format!("{}: −{}", c.note, format::money(lang(), &c.amount_eur))
                        })
                        .collect();
                    format!("{} {}", t("invoice_due.credit_notes"), notes.join("; "))
                }}</p>
            })}
            {signer.map(|s| view! {
                <p class="muted" data-testid="due-signer">{move || fill(t("invoice_due.signed"), &[
                    ("subject", &s.subject),
                    ("from", &format::when(lang(), &s.not_before)),
                    ("to", &format::when(lang(), &s.not_after)),
                ])}</p>
            })}
        </div>
    }
}

#[component]
fn Installments(rows: Vec<InstallmentView>) -> impl IntoView {
    view! {
        <h3>{move || t("invoice_due.installments")}</h3>
        <div class="table-wrap">
            <table class="admin-table" data-testid="installments">
                <thead>
                    <tr>
                        <th>{move || t("invoice_due.col.due_date")}</th>
                        <th>{move || t("invoice_due.col.terms")}</th>
                        <th class="num">{move || t("invoice_due.col.amount")}</th>
                        <th class="num">{move || t("invoice_due.col.paid")}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let InstallmentView { due_date, amount_eur, paid_eur, condizioni } = row;
                        view! {
                            <tr>
                                <td>{move || if due_date.is_empty() { t("invoice_due.no_date").to_string() } else { format::calendar_date(lang(), &due_date) }}</td>
                                <td>{move || terms_text(&condizioni)}</td>
                                <td class="num">{move || format::money(lang(), &amount_eur)}</td>
                                <td class="num">{move || format::money(lang(), &paid_eur)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
