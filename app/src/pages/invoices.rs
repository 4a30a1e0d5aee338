//! The Invoices page (admin): EUR invoices with what is still due, Lightning invoices with their
//! state, creating a Lightning invoice for an EUR invoice, its BOLT11 + QR code, refresh and cancel.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::pager::{OrderSelect, Pager, PagerState};
use crate::components::qr::QrCode;
use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::format;
use crate::i18n::{current_lang, lang, t};
use crate::model::{FatturaView, InvoiceState, ListPage, LnInvoiceInfo, LnInvoiceView, RateEvidenceView};

/// A page of EUR invoices by date (`order` `newest`/'' or `oldest`, after the cursor `after`,
/// '' for the first page, `limit` rows, 0 for the default); with a `search`, those whose numero,
/// client name or P.IVA starts with it. Admin. `POST /api/admin_fatture`.
#[server(prefix = "/api", endpoint = "admin_fatture")]
pub async fn list_fatture(
    /// Prefix of the numero, client name or P.IVA ('' for all).
    search: String,
    /// `newest` ('' too) or `oldest`.
    #[server(default)]
    order: String,
    /// The cursor of the page before ('' for the first page).
    #[server(default)]
    after: String,
    /// Rows per page (0 for the default).
    #[server(default)]
    limit: u32,
) -> Result<ListPage<FatturaView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    let page = crate::admin::ListRequest {
        search,
        order,
        after,
        limit,
    };
    crate::admin::admin_backend()?.list_fatture(page).await
}

/// A page of Lightning invoices in `state` (`OPEN`, … or '' for all), as [`list_fatture`]; a
/// search matches the id or payment hash prefix, or the fattura's numero, client or P.IVA.
/// Admin. `POST /api/admin_ln_invoices`.
#[server(prefix = "/api", endpoint = "admin_ln_invoices")]
pub async fn list_ln_invoices(
    /// Only invoices in this state ('' for all).
    state: String,
    /// Prefix of the id, payment hash, numero, client or P.IVA ('' for all).
    search: String,
    /// `newest` ('' too) or `oldest`.
    #[server(default)]
    order: String,
    /// The cursor of the page before ('' for the first page).
    #[server(default)]
    after: String,
    /// Rows per page (0 for the default).
    #[server(default)]
    limit: u32,
) -> Result<ListPage<LnInvoiceView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    let page = crate::admin::ListRequest {
        search,
        order,
        after,
        limit,
    };
    crate::admin::admin_backend()?.list_ln_invoices(state, page).await
}

/// Creates (or reuses) a Lightning invoice for the EUR invoice `numero` (`anno` '' unless several
/// years share it): `amount_eur` '' means what is still due, `expiry_hours` '' the configured
/// default. Admin. `POST /api/admin_create_invoice`.
#[server(prefix = "/api", endpoint = "admin_create_invoice")]
pub async fn create_ln_invoice(
    /// Numero of the EUR invoice to collect.
    numero: String,
    /// Its year ('' when the numero is unique).
    anno: String,
    /// Amount in EUR as typed ('' for what is still due).
    amount_eur: String,
    /// Hours the invoice stays payable ('' for the default).
    expiry_hours: String,
) -> Result<LnInvoiceInfo, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?
        .create_ln_invoice(numero, anno, amount_eur, expiry_hours)
        .await
}

/// One Lightning invoice, refreshed from the node, with its BOLT11 and QR code. Admin.
/// `POST /api/admin_ln_invoice`.
#[server(prefix = "/api", endpoint = "admin_ln_invoice")]
pub async fn ln_invoice_detail(
    /// Our Lightning invoice id.
    invoice_id: String,
) -> Result<LnInvoiceInfo, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.ln_invoice_detail(invoice_id).await
}

/// Cancels an unpaid Lightning invoice on the node and in our records. Admin.
/// `POST /api/admin_cancel_ln_invoice`.
#[server(prefix = "/api", endpoint = "admin_cancel_ln_invoice")]
pub async fn cancel_ln_invoice(
    /// Our Lightning invoice id.
    invoice_id: String,
) -> Result<LnInvoiceInfo, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.cancel_ln_invoice(invoice_id).await
}

/// The words for a fattura status in the current language.
fn status_label(status: &str) -> &'static str {
    match status {
        "paid" => t("invoices.paid"),
        "partially paid" => t("invoices.partially_paid"),
        _ => t("invoices.unpaid"),
    }
}

/// The words for a Lightning invoice state in the current language (tracked).
pub fn state_label(state: InvoiceState) -> &'static str {
    t(state_key(state))
}

/// The catalogue key of a Lightning invoice state's words (English: the state's own name).
fn state_key(state: InvoiceState) -> &'static str {
    match state {
        InvoiceState::Open => "invoices.state.open",
        InvoiceState::Settled => "invoices.state.settled",
        InvoiceState::Canceled => "invoices.state.canceled",
        InvoiceState::Expired => "invoices.state.expired",
        InvoiceState::Accepted => "invoices.state.accepted",
        InvoiceState::Pending => "invoices.state.pending",
    }
}

/// The columns of the fatture table.
const FATTURE_COLUMNS: &[Column] = &[
    Column::text("invoices.column.numero"),
    Column::text("invoices.column.date"),
    Column::text("invoices.column.client"),
    Column::num("invoices.column.due_eur"),
    Column::num("invoices.column.paid_eur"),
    Column::text("invoices.column.status"),
    Column::untitled(),
];

/// The columns of the ln invoice table.
const LN_INVOICE_COLUMNS: &[Column] = &[
    Column::text("invoices.column.id"),
    Column::text("common.column.original_invoice"),
    Column::num("common.column.eur"),
    Column::num("common.column.sat"),
    Column::text("invoices.column.status"),
    Column::text("invoices.column.created"),
    Column::untitled(),
];

/// The Invoices page.
#[component]
pub fn InvoicesPage() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let state_filter = RwSignal::new(String::new());
    // Bumped after every change so both lists reload.
    let version = RwSignal::new(0u32);
    let selected = RwSignal::new(None::<FatturaView>);
    let detail = RwSignal::new(None::<LnInvoiceInfo>);
    let error = RwSignal::new(None::<String>);

    let order = RwSignal::new(String::new());
    let fatture_pager = PagerState::new();
    let ln_pager = PagerState::new();
    // A new search, filter or order starts both lists again from their first page.
    Effect::new(move |_| {
        let _ = (search.get(), state_filter.get(), order.get());
        fatture_pager.reset();
        ln_pager.reset();
    });
    let fatture = LocalResource::new(move || {
        let _ = version.get();
        list_fatture(search.get(), order.get(), fatture_pager.after.get(), 0)
    });
    let ln_invoices = LocalResource::new(move || {
        let _ = version.get();
        list_ln_invoices(state_filter.get(), search.get(), order.get(), ln_pager.after.get(), 0)
    });

    let show = move |id: String| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match ln_invoice_detail(id).await {
                Ok(d) => detail.set(Some(d)),
                Err(e) => error.set(Some(e.text(current_lang()))),
            }
            version.update(|v| *v += 1);
        });
    };

    view! {
        <Title text=move || t("title.invoices") />
        <section class="card admin-page">
            <h1>{move || t("common.invoices")}</h1>
            <div class="admin-filters">
                <label>
                    <span>{move || t("invoices.search_numero_or_client")}</span>
                    <input type="search" data-testid="invoice-search"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("invoices.lightning_status")}</span>
                    <select data-testid="invoice-status-filter"
                        on:change=move |ev| state_filter.set(event_target_value(&ev))>
                        <option value="">{move || t("invoices.all")}</option>
                        {InvoiceState::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{move || state_label(s)}</option> }).collect_view()}
                    </select>
                </label>
                <OrderSelect order testid="invoice-order" />
            </div>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert" data-testid="invoice-error">{e}</p> })}
        </section>

        {move || detail.get().map(|d| view! { <InvoiceDetailCard detail=d set_detail=detail version error /> })}

        <super::invoice_upload::UploadCard version />
        <super::invoice_upload::AddFatturaCard version />

        {move || selected.get().map(|f| view! { <CreateCard fattura=f selected detail version error /> })}

        <section class="card admin-page">
            <h2>{move || t("invoices.eur_invoices")}</h2>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match fatture.await {
                        Ok(page) if page.rows.is_empty() && fatture_pager.at_start() => view! {
                            <p class="muted" data-testid="fatture-empty">{move || t("invoices.eur_empty")}</p>
                        }.into_any(),
                        Ok(ListPage { rows, next, total }) => view! {
                            <FattureTable rows selected />
                            <Pager state=fatture_pager next total testid="fatture-pager" />
                        }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>

        <section class="card admin-page">
            <h2>{move || t("invoices.lightning_invoices")}</h2>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match ln_invoices.await {
                        Ok(page) if page.rows.is_empty() && ln_pager.at_start() => view! {
                            <p class="muted" data-testid="ln-invoices-empty">{move || t("invoices.no_lightning_invoices_match")}</p>
                        }.into_any(),
                        Ok(ListPage { rows, next, total }) => view! {
                            <LnInvoicesTable rows on_show=show />
                            <Pager state=ln_pager next total testid="ln-invoices-pager" />
                        }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The EUR invoices table; "Lightning invoice" selects a row for the create form.
#[component]
fn FattureTable(rows: Vec<FatturaView>, selected: RwSignal<Option<FatturaView>>) -> impl IntoView {
    view! {
        <AdminTable columns=FATTURE_COLUMNS rows={rows.into_iter().map(|f| {
            let paid = f.status == "paid";
            let status = f.status.clone();
            let status_attr = f.status.clone();
            let pick = f.clone();
            let (due_eur, paid_eur, data) = (f.due_eur.clone(), f.paid_eur.clone(), f.data.clone());
            view! {
                <tr data-testid=format!("fattura-row-{}", f.numero)>
                    <td>{f.numero.clone()}</td>
                    <td>{move || format::calendar_date(lang(), &data)}</td>
                    <td>{f.client.clone()}</td>
                    <td class="num">{move || format::decimal2(lang(), &due_eur)}</td>
                    <td class="num">{move || format::decimal2(lang(), &paid_eur)}</td>
                    <td>
                        <span class=if paid { "badge badge-ok" } else { "badge" }
                            data-testid=format!("fattura-status-{}", f.numero) data-status=status_attr>
                            {move || status_label(&status)}
                        </span>
                    </td>
                    <td>
                        <button type="button" class="button" disabled=paid
                            data-testid=format!("fattura-select-{}", f.numero)
                            on:click=move |_| selected.set(Some(pick.clone()))>
                            {move || t("invoices.lightning_invoice")}
                        </button>
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// The create form for one EUR invoice: amount (default: what is still due) and expiry hours.
#[component]
fn CreateCard(
    fattura: FatturaView,
    selected: RwSignal<Option<FatturaView>>,
    detail: RwSignal<Option<LnInvoiceInfo>>,
    version: RwSignal<u32>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let amount = RwSignal::new(fattura.outstanding_eur.clone());
    let expiry = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let numero = fattura.numero.clone();
    let anno = fattura.anno.to_string();
    let create = move |_| {
        let (numero, anno) = (numero.clone(), anno.clone());
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match create_ln_invoice(numero, anno, amount.get_untracked(), expiry.get_untracked()).await {
                Ok(created) => {
                    detail.set(Some(created));
                    selected.set(None);
                }
                Err(e) => error.set(Some(e.text(current_lang()))),
            }
            busy.set(false);
            version.update(|v| *v += 1);
        });
    };
    let (client, outstanding_eur) = (fattura.client.clone(), fattura.outstanding_eur.clone());
    let due_eur = fattura.outstanding_eur.clone();
    // What Create will ask for, as the parser reads it (`12,50` and `12.50` alike), or why not.
    let charge_preview = move || {
        let typed = amount.get();
        let typed = typed.trim();
        let typed = if typed.is_empty() { due_eur.as_str() } else { typed };
        match crate::model::parse_amount_cents(typed) {
            Ok(cents) => format!(
                "{} {}",
                t("invoices.will_charge"),
                format::money_cents(lang(), i128::from(cents))
            ),
            Err(e) => crate::i18n::amount_error_text(&e, lang()),
        }
    };
    view! {
        <section class="card admin-page" data-testid="invoice-create-form">
            <h2>{move || t("invoices.new_lightning_invoice_for")}{fattura.numero.clone()}</h2>
            <p class="muted">{move || format!("{} · {} {}", client, format::money(lang(), &outstanding_eur), t("invoices.still_due"))}</p>
            <div class="admin-form">
                <label>
                    <span>{move || t("invoices.amount_eur")}</span>
                    <input type="text" inputmode="decimal" data-testid="invoice-amount"
                        prop:value=move || amount.get()
                        on:input=move |ev| amount.set(event_target_value(&ev)) />
                    <small class="muted" data-testid="invoice-amount-preview">{charge_preview}</small>
                </label>
                <label>
                    <span>{move || t("invoices.expiry_hours")}</span>
                    <input type="number" min="1" data-testid="invoice-expiry"
                        prop:value=move || expiry.get()
                        on:input=move |ev| expiry.set(event_target_value(&ev)) />
                </label>
            </div>
            <super::invoice_due::FatturaDueCard id=fattura.id outstanding_eur=fattura.outstanding_eur.clone() amount />
            <super::invoice_lines::FatturaLinesCard id=fattura.id />
            <div class="admin-actions">
                <button type="button" class="button button-primary" data-testid="invoice-create"
                    disabled=move || busy.get() on:click=create>
                    {move || if busy.get() { t("common.creating") } else { t("invoices.create_lightning_invoice") }}
                </button>
                <button type="button" class="button" on:click=move |_| selected.set(None)>
                    {move || t("invoices.close")}
                </button>
            </div>
        </section>
    }
}

/// One Lightning invoice: state, amounts, BOLT11 + QR, refresh and cancel. Follows the live event
/// stream so a payment shows up without pressing Refresh.
#[component]
fn InvoiceDetailCard(
    detail: LnInvoiceInfo,
    set_detail: RwSignal<Option<LnInvoiceInfo>>,
    version: RwSignal<u32>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = detail.invoice.id.clone();
    let reload = {
        let id = id.clone();
        move || {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match ln_invoice_detail(id).await {
                    Ok(d) => set_detail.set(Some(d)),
                    Err(e) => error.set(Some(e.text(current_lang()))),
                }
                version.update(|v| *v += 1);
            });
        }
    };
    if !detail.invoice.state.is_final() {
        let reload = reload.clone();
        let watched = id.clone();
        crate::live::watch_invoice(
            id.clone(),
            move |state| {
                if state.invoice_id == watched && state.state.is_final() {
                    reload();
                }
            },
            |id| async move { ln_invoice_detail(id).await.map(|d| d.status()) },
        );
    }
    let cancel = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            error.set(None);
            leptos::task::spawn_local(async move {
                match cancel_ln_invoice(id).await {
                    Ok(d) => set_detail.set(Some(d)),
                    Err(e) => error.set(Some(e.text(current_lang()))),
                }
                version.update(|v| *v += 1);
            });
        }
    };
    let refresh = {
        let reload = reload.clone();
        move |_| reload()
    };
    let payable = detail.invoice.state.is_payable();
    let state = detail.invoice.state;
    let state_attr = detail.invoice.state.as_str();
    let warnings = detail
        .warnings
        .iter()
        .map(|w| {
            let w = w.clone();
            view! { <p class="banner banner-warning" role="alert" data-testid="invoice-warning">{move || w.text(lang())}</p> }
        })
        .collect_view();
    let inv = detail.invoice.clone();
    let (amount_eur, amount_sat, rate_eur_per_btc) =
        (inv.amount_eur.clone(), inv.amount_sat, inv.rate_eur_per_btc.clone());
    let expires_at = inv.expires_at.clone();
    let evidence = rate_evidence_view(&detail);
    view! {
        <section class="card admin-page" data-testid="invoice-detail">
            <div class="card-head">
                <h2>{inv.id.clone()}</h2>
                <button type="button" class="button" on:click=move |_| set_detail.set(None)>{move || t("invoices.close")}</button>
            </div>
            {detail.reused.then(|| view! {
                <p class="banner banner-warning" data-testid="invoice-reused">{move || t("invoices.existing_invoice_shown")}</p>
            })}
            {warnings}
            <div class="invoice-detail">
                {(!detail.payment_request.is_empty() && payable).then(|| view! {
                    <QrCode payment_request=detail.payment_request.clone() class="invoice-qr" testid="invoice-qr"/>
                })}
                <dl class="facts">
                    <dt>{move || t("invoices.status")}</dt>
                    <dd><span class="badge" data-testid="invoice-state" data-state=state_attr>{move || state_label(state)}</span></dd>
                    <dt>{move || t("common.original_invoice")}</dt>
                    <dd>{format!("{} {}", inv.numero, inv.client)}</dd>
                    <dt>{move || t("invoices.amount")}</dt>
                    <dd data-testid="invoice-amount-shown">{move || format!("{} · {}", format::money(lang(), &amount_eur), format::sats(lang(), amount_sat))}</dd>
                    <dt>{move || t("invoices.rate")}</dt>
                    <dd data-testid="invoice-rate">{move || format::rate(lang(), &rate_eur_per_btc)}</dd>
                    <dt>{move || t("common.paid")}</dt>
                    <dd data-testid="invoice-paid-sat">{move || format::sats(lang(), detail.amount_paid_sat)}</dd>
                    <dt>{move || t("invoices.expires")}</dt>
                    <dd data-testid="invoice-expires">{move || format::when_relative(lang(), &expires_at)}</dd>
                    <dt>{move || t("invoices.memo")}</dt>
                    <dd>{detail.memo.clone()}</dd>
                </dl>
            </div>
            {evidence}
            {(!inv.numero.is_empty()).then(|| view! {
                <super::invoice_share::ShareCard invoice_id=inv.id.clone()
                    link_state=detail.link_state.clone() payment_url=detail.payment_url.clone()
                    client_email=detail.client_email.clone() emails=detail.emails.clone() version />
                <Attempts numero=inv.numero.clone() version />
            })}
            {(payable && !detail.payment_request.is_empty()).then(|| view! {
                <label class="admin-bolt11">
                    <span>"BOLT11"</span>
                    <textarea readonly rows="3" class="mono" data-testid="invoice-bolt11">{detail.payment_request.clone()}</textarea>
                </label>
            })}
            <div class="admin-actions">
                <button type="button" class="button" data-testid="invoice-refresh" on:click=refresh>
                    {move || t("invoices.refresh_from_node")}
                </button>
                {payable.then(|| view! {
                    <button type="button" class="button" data-testid="invoice-cancel" on:click=cancel>
                        {move || t("invoices.cancel_invoice")}
                    </button>
                })}
            </div>
        </section>
    }
}

/// Every Lightning invoice made for fattura `numero`, newest first.
#[component]
fn Attempts(numero: String, version: RwSignal<u32>) -> impl IntoView {
    let wanted = numero.clone();
    let attempts = LocalResource::new(move || {
        let _ = version.get();
        list_ln_invoices(String::new(), wanted.clone(), String::new(), String::new(), 0)
    });
    view! {
        <h3>{move || t("share.attempts")}</h3>
        <Transition fallback=|| ()>
            {move || {
                let numero = numero.clone();
                Suspend::new(async move {
                    match attempts.await {
                        Ok(page) => {
                            let rows: Vec<LnInvoiceView> = page.rows.into_iter().filter(|r| r.numero == numero).collect();
                            view! {
                                <ul data-testid="share-attempts">
                                    {rows.into_iter().map(|r| {
                                        let (amount_eur, rate, created) = (r.amount_eur.clone(), r.rate_eur_per_btc.clone(), r.created_at.clone());
                                        let state = r.state;
                                        view! {
                                            <li data-testid="share-attempt" data-state=r.state.as_str()>
                                                <span class="mono">{r.id.clone()}</span>" · "
                                                {move || state_label(state)}" · "
                                                {move || format!("{} · {} · {}", format::money(lang(), &amount_eur), format::sats(lang(), r.amount_sat), format::rate(lang(), &rate))}" · "
                                                {move || format::when(lang(), &created)}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// What a provider's verdict is called on screen.
fn verdict_label(verdict: &str) -> String {
    match verdict {
        "used" => t("invoices.used").to_owned(),
        "dropped" => t("invoices.dropped").to_owned(),
        _ => t("invoices.failed").to_owned(),
    }
}

/// One line of the rate evidence in `lang`: provider, verdict, price as answered, time, reason.
fn evidence_line(item: &RateEvidenceView, lang: crate::i18n::Lang) -> String {
    let mut line = format!("{} · {}", item.provider, verdict_label(&item.verdict));
    if !item.eur_per_btc.is_empty() {
        line.push_str(" · ");
        line.push_str(&format::rate_exact(lang, &item.eur_per_btc));
    }
    if !item.answered_at.is_empty() {
        line.push_str(" · ");
        line.push_str(&format::when(lang, &item.answered_at));
    }
    if let Some(reason) = &item.reason {
        line.push_str(" · ");
        line.push_str(&reason.text(lang));
    }
    line
}

/// The rate evidence and, once paid, the rate in force at settlement.
fn rate_evidence_view(detail: &LnInvoiceInfo) -> impl IntoView {
    let items = detail.rate_evidence.clone();
    let settled = detail.invoice.state == InvoiceState::Settled;
    let settle_rate = (
        detail.settle_rate_eur_per_btc.clone(),
        detail.settle_rate_source.clone(),
    );
    view! {
        <div class="rate-evidence" data-testid="invoice-rate-evidence">
            <h3>{move || t("invoices.where_the_rate_came_from")}</h3>
            {if items.is_empty() {
                view! { <p>{move || t("invoices.evidence_none")}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {items.iter().map(|item| {
                            let item = item.clone();
                            let verdict = item.verdict.clone();
                            view! { <li data-testid="rate-evidence-item" data-verdict=verdict>{move || evidence_line(&item, lang())}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {settled.then(|| {
                let (rate, source) = settle_rate.clone();
                view! {
                    <p data-testid="invoice-settle-rate">{move || if rate.is_empty() {
                        t("invoices.settlement_rate_none").to_owned()
                    } else {
                        format!("{}: {} ({})", t("invoices.rate_at_settlement"), format::rate(lang(), &rate), source)
                    }}</p>
                }
            })}
        </div>
    }
}

/// The Lightning invoices table; "Show" opens one with its QR code.
#[component]
fn LnInvoicesTable<F>(rows: Vec<LnInvoiceView>, on_show: F) -> impl IntoView
where
    F: Fn(String) + Copy + 'static,
{
    view! {
        <AdminTable columns=LN_INVOICE_COLUMNS rows={rows.into_iter().map(|r| {
            let id = r.id.clone();
            let state = r.state;
            let state_attr = r.state.as_str();
            let amount_eur = r.amount_eur.clone();
            let created_at = r.created_at.clone();
            view! {
                <tr data-testid=format!("invoice-row-{}", r.id)>
                    <td class="mono">{r.id.clone()}</td>
                    <td>{format!("{} {}", r.numero, r.client)}</td>
                    <td class="num">{move || format::decimal2(lang(), &amount_eur)}</td>
                    <td class="num">{move || format::sats(lang(), r.amount_sat)}</td>
                    <td data-testid=format!("invoice-row-state-{}", r.id) data-state=state_attr>{move || state_label(state)}</td>
                    <td data-testid=format!("invoice-row-created-{}", r.id)>{move || format::when(lang(), &created_at)}</td>
                    <td>
                        <button type="button" class="button" data-testid=format!("invoice-show-{}", r.id)
                            on:click=move |_| on_show(id.clone())>
                            {move || t("invoices.show")}
                        </button>
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{text_in, Lang};

    #[test]
    fn english_states_read_as_their_names_and_italian_differs() {
        for state in InvoiceState::ALL {
            assert_eq!(text_in(Lang::En, state_key(state)), state.as_str());
            assert_ne!(text_in(Lang::It, state_key(state)), state.as_str(), "{state:?}");
        }
    }
}
