//! The gateway's implementation of [`app::admin::AdminBackend`]: what the admin pages' server
//! functions call (invoices, payments, liquidity, webhooks, settings). Every operation goes through
//! the same services as the command line; nothing here returns a secret.

use std::collections::HashMap;

use app::admin::{AdminBackend, AdminHandle, ListRequest, TillEdit};
use app::backend::BackendFuture;
use app::i18n::Lang;
use app::model::{
    ChannelLiquidityView, DeliveryView, DueStepView, EndpointView, FatturaDueView, FatturaLinesView, FatturaView,
    InstallmentView, LiquidityView, ListPage, LnInvoiceInfo, LnInvoiceView, NewFatturaForm, NodeCheck, PairingCodeView,
    PaymentLinkView, PaymentView, RateEvidenceView, ReloadStatus, SettingView, SignerView, StaffView, TillAdminView,
    TillDeviceView, WebhookTestReport, LIST_PAGE_ROWS,
};
use app::{AppError, Refusal};
use rust_decimal::Decimal;

use crate::breaker::BreakerState;
use crate::config::{self, Settings};
use crate::fatturapa::DueDetail;
use crate::invoices::export;
use crate::invoices::{CreateRequest, InvoiceService, LinkOutcome, LinkService};
use crate::liquidity;
use crate::lnd::LndClient;
use crate::store::{Fattura, InvoiceState, ListOrder, LnInvoice, LnInvoiceFilter, PageCursor, Store, DEFAULT_ENDPOINT};
use crate::time::{rfc3339, rfc3339_ms};
use crate::webhooks::{self, Dispatcher};

use super::pos::parse_counter_amount;

/// Most rows a list returns.
const LIST_LIMIT: u32 = 500;
/// Deliveries looked at to judge each endpoint's health.
const HEALTH_WINDOW: u32 = 1000;

/// Admin services over the gateway's database, node and configuration.
pub(crate) struct GatewayAdmin {
    /// The database.
    pub store: Store,
    /// Lightning invoices (create, refresh, cancel).
    pub invoices: InvoiceService,
    /// The node.
    pub lnd: LndClient,
    /// Applies settings changes to the running gateway (and knows where config.toml is).
    pub reloader: std::sync::Arc<super::reload::Reloader>,
    /// The webhook endpoints' circuit breakers (this process's dispatcher).
    pub webhook_breakers: crate::webhooks::EndpointBreakers,
    /// Payment links (the same service as the payment page's).
    pub links: LinkService,
}

/// The handle admin server functions find in their context.
pub(crate) fn handle(admin: GatewayAdmin) -> AdminHandle {
    AdminHandle::new(admin)
}

/// EUR with two decimals.
fn eur(amount: Decimal) -> String {
    format!("{amount:.2}")
}

/// The page's view of an EUR invoice.
fn fattura_view(f: &Fattura) -> FatturaView {
    FatturaView {
        id: f.id,
        numero: f.numero.clone(),
        anno: f.anno,
        data: f.data.format("%Y-%m-%d").to_string(),
        client: f.client_name.clone(),
        description: f.description.clone(),
        due_eur: eur(f.due_eur),
        paid_eur: eur(f.paid_eur),
        outstanding_eur: eur(f.outstanding_eur()),
        status: f.status().as_str().to_string(),
    }
}

/// The page's view of how an imported invoice is to be paid.
/// An EUR amount with two decimals, or as many as it has beyond them (a `PrezzoUnitario` may
/// carry up to eight).
fn eur_text(amount: rust_decimal::Decimal) -> String {
    let exact = amount.normalize();
    if exact.scale() <= 2 {
        amount.round_dp(2).to_string()
    } else {
        exact.to_string()
    }
}

/// A fattura's stored lines and IVA summary as the back office shows them.
fn fattura_lines_view(breakdown: &crate::store::FatturaBreakdown) -> FatturaLinesView {
    use app::model::{FatturaLineView, VatSummaryView};
    let percent = |p: rust_decimal::Decimal| p.round_dp(2).to_string();
    FatturaLinesView {
        lines: breakdown
            .lines
            .iter()
            .map(|l| FatturaLineView {
                number: l.number,
                description: l.description.clone(),
                quantity: l.quantity.map(|q| q.normalize().to_string()).unwrap_or_default(),
                unit: l.unit.clone().unwrap_or_default(),
                unit_price_eur: eur_text(l.unit_price_eur),
                vat_percent: percent(l.vat_percent),
                natura: l.natura.clone().unwrap_or_default(),
                total_eur: eur_text(l.total_eur),
            })
            .collect(),
        vat_summary: breakdown
            .vat_summary
            .iter()
            .map(|v| VatSummaryView {
                vat_percent: percent(v.vat_percent),
                natura: v.natura.clone().unwrap_or_default(),
                taxable_eur: eur_text(v.taxable_eur),
                vat_eur: eur_text(v.vat_eur),
                esigibilita: v.esigibilita.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

fn fattura_due_view(f: &Fattura, detail: &DueDetail) -> FatturaDueView {
    let mut paid_left = f.paid_eur;
    let installments = detail
        .installments
        .iter()
        .map(|i| {
            let paid = paid_left.min(i.amount_eur).max(Decimal::ZERO);
            paid_left -= paid;
            InstallmentView {
                due_date: i.scadenza.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                amount_eur: eur(i.amount_eur),
                paid_eur: eur(paid),
                condizioni: i.condizioni.clone(),
            }
        })
        .collect();
    FatturaDueView {
        from_importo_pagamento: detail.from_importo_pagamento,
        derivation: detail
            .derivation
            .iter()
            .map(|step| {
                let (kind, tipo) = step_kind(&step.what);
                DueStepView {
                    kind: kind.to_string(),
                    detail: tipo,
                    element: step.element.clone(),
                    amount_eur: eur(step.amount_eur),
                }
            })
            .collect(),
        computed_eur: eur(detail.computed_eur),
        installments,
        next_installment_eur: detail.next_installment_eur(f.due_eur, f.paid_eur).map(eur),
        bollo_eur: eur(detail.bollo_eur),
        warning: detail.warning.clone(),
        credit_notes: detail
            .credit_notes
            .iter()
            .map(|entry| credit_note_view(entry))
            .collect(),
        signer: detail.signed_by.as_ref().map(|s| SignerView {
            subject: s.subject.clone(),
            not_before: s.not_before.clone(),
            not_after: s.not_after.clone(),
        }),
    }
}

/// The kind of a derivation step from the importer's description of it, and the `TipoRitenuta`
/// of a withholding step; the page words each kind in its language.
fn step_kind(what: &str) -> (&'static str, String) {
    if let Some(rest) = what.strip_prefix("− withholding tax (ritenuta") {
        return ("withholding", rest.trim_end_matches(')').trim().to_string());
    }
    let kind = match what {
        "document total" => "total",
        "document rounding" => "rounding",
        "+ taxable amount" => "taxable",
        "+ VAT" => "vat",
        "+ amount including IVA" => "gross",
        w if w.starts_with("− split-payment VAT") => "split_vat",
        _ => "other",
    };
    (kind, String::new())
}

/// The page's view of a Lightning invoice (with its EUR invoice, if any).
fn ln_view(invoice: &LnInvoice, fattura: Option<&Fattura>) -> LnInvoiceView {
    LnInvoiceView {
        id: invoice.id.clone(),
        numero: fattura.map(|f| f.numero.clone()).unwrap_or_default(),
        client: fattura.map(|f| f.client_name.clone()).unwrap_or_default(),
        amount_eur: eur(invoice.amount_eur),
        amount_sat: invoice.amount_sat(),
        rate_eur_per_btc: invoice.rate_eur_per_btc.to_string(),
        state: invoice.state,
        created_at: rfc3339(invoice.created_at),
        expires_at: rfc3339(invoice.expires_at),
    }
}

/// Parses an optional whole number typed in a form ('' → `None`); `code` is the refusal's
/// catalogue key (which names the field).
fn optional_number<T: std::str::FromStr>(text: &str, code: &str) -> Result<Option<T>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| AppError::Invalid(Refusal::new(code, &[("text", text)])))
}

/// A stored credit-note entry (`numero/anno: −12.50 EUR`) as the page shows it.
fn credit_note_view(entry: &str) -> app::model::CreditNoteView {
    let parsed = entry.rsplit_once(": ").and_then(|(note, amount)| {
        let amount = amount.trim_start_matches(['−', '-']).trim_end_matches(" EUR");
        amount
            .parse::<Decimal>()
            .ok()
            .map(|value| (note.to_string(), format!("{value:.2}")))
    });
    match parsed {
        Some((note, amount_eur)) => app::model::CreditNoteView { note, amount_eur },
        None => app::model::CreditNoteView {
            note: entry.to_string(),
            amount_eur: String::new(),
        },
    }
}

/// Why a provider's answer was dropped or failed, as the invoice page words it. A dropped answer's
/// recorded reason ("… 5.02% from the median 60005.25 of the others (limit 2%) …") gives its
/// figures; a failure is worded plainly (its recorded detail is in the CLI and the export).
fn evidence_reason(verdict: &crate::store::EvidenceVerdict, reason: &str) -> Refusal {
    use crate::store::EvidenceVerdict;
    let number_before = |text: &str, marker: &str| -> Option<String> {
        let head = &text[..text.find(marker)?];
        let digits: String = head
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!digits.is_empty()).then(|| digits.chars().rev().collect())
    };
    let number_after = |text: &str, marker: &str| -> Option<String> {
        let tail = &text[text.find(marker)? + marker.len()..];
        let digits: String = tail.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        (!digits.is_empty()).then_some(digits)
    };
    match verdict {
        EvidenceVerdict::Dropped => {
            let figures = (
                number_before(reason, "% from the median "),
                number_after(reason, "% from the median "),
                number_after(reason, "(limit "),
            );
            match figures {
                (Some(deviation), Some(median), Some(limit)) => Refusal::new(
                    "invoices.evidence.dropped",
                    &[
                        ("deviation_pct", &deviation),
                        ("median_eur", &median),
                        ("limit_pct", &limit),
                    ],
                ),
                _ => Refusal::code("invoices.evidence.dropped_plain"),
            }
        }
        _ => Refusal::code("invoices.evidence.failed"),
    }
}

/// The page's view of one configuration entry (never a secret's value).
fn setting_view(entry: &config::Entry) -> SettingView {
    SettingView {
        key: entry.key.name.to_string(),
        value: if entry.key.secret {
            String::new()
        } else {
            entry.value.clone().unwrap_or_default()
        },
        is_set: entry.is_set,
        secret: entry.key.secret,
        source: entry.source.to_string(),
        env_var: entry.key.env_var(),
        type_name: entry.key.kind.type_name().to_string(),
        kind: super::web_error::setting_kind(&entry.key.kind),
        description: entry.key.description.to_string(),
        cli_only: entry.key.cli_only(),
        live: config::applies_live(entry.key.name),
    }
}

/// Refuses a key the web app may not change: one that decides where secrets or data go
/// ([`config::KeyDescriptor::cli_only`]). Unknown keys pass, for `config::set` to name them.
fn refuse_cli_only(key: &str) -> Result<(), AppError> {
    match config::find_key(key) {
        Some(found) if found.cli_only() => Err(AppError::Setting(app::model::SettingRefusal {
            key: found.name.to_string(),
            problem: app::model::SettingProblem::CliOnly,
        })),
        _ => Ok(()),
    }
}

impl GatewayAdmin {
    /// The configuration as it is now on disk and in the environment.
    async fn current_settings(&self) -> std::sync::Arc<Settings> {
        // The file as it is now (not as the watcher last saw it); a bad config.toml keeps the
        // previous settings in force.
        self.reloader.reload_now().await;
        self.reloader.hub().current()
    }

    /// The EUR invoice a Lightning invoice collects, if any.
    async fn fattura_of(&self, invoice: &LnInvoice) -> Result<Option<Fattura>, AppError> {
        match invoice.fattura_id {
            Some(id) => Ok(self.store.fattura(id).await?),
            None => Ok(None),
        }
    }

    /// Everything the detail card shows about one invoice.
    async fn detail(
        &self,
        invoice: LnInvoice,
        reused: bool,
        notices: &[crate::invoices::OwnerNotice],
    ) -> Result<LnInvoiceInfo, AppError> {
        let fattura = self.fattura_of(&invoice).await?;
        let payment_request = invoice.payment_request.clone().unwrap_or_default();
        let record = self.invoices.rate_record(&invoice.id).await?;
        let settle_rate = record.settle_rate.as_ref();
        let payment_url = match self.links.live_token(&invoice.id).await? {
            Some(token) => {
                let base_url = self.current_settings().await.public_base_url.clone();
                crate::invoices::payment_url(base_url.as_deref(), &token)
            }
            None => String::new(),
        };
        Ok(LnInvoiceInfo {
            rate_evidence: record
                .rate_evidence
                .iter()
                .map(|item| RateEvidenceView {
                    provider: item.provider.clone(),
                    verdict: item.verdict.as_str().to_owned(),
                    eur_per_btc: item.eur_per_btc.map(|p| p.to_string()).unwrap_or_default(),
                    answered_at: item.answered_at_ms.map(rfc3339_ms).unwrap_or_default(),
                    reason: item
                        .reason
                        .as_deref()
                        .map(|reason| evidence_reason(&item.verdict, reason)),
                })
                .collect(),
            settle_rate_eur_per_btc: settle_rate.map(|r| r.eur_per_btc.to_string()).unwrap_or_default(),
            settle_rate_source: settle_rate.map(|r| r.source.clone()).unwrap_or_default(),
            invoice: ln_view(&invoice, fattura.as_ref()),
            payment_request,
            amount_paid_sat: invoice.amt_paid_msat / 1000,
            memo: invoice.memo.clone(),
            reused,
            warnings: notices.iter().map(super::notice_words::notice_refusal).collect(),
            link_state: self.links.link_state(&invoice.id).await?.as_str().to_string(),
            payment_url,
            client_email: fattura
                .as_ref()
                .and_then(|f| f.client_email.clone())
                .unwrap_or_default(),
            emails: self.links.emails(&invoice.id).await?.iter().map(mail_view).collect(),
        })
    }

    /// Every endpoint with whether it has a secret and its delivery health.
    async fn endpoint_views(&self) -> Result<Vec<EndpointView>, AppError> {
        let default_secret_set = self.current_settings().await.lightning_webhook_secret.is_some();
        let endpoints = self.store.webhook_endpoints().await?;
        let deliveries = self.store.deliveries(false, HEALTH_WINDOW).await?;
        let breakers = self.webhook_breakers.states();
        let mut views = Vec::with_capacity(endpoints.len());
        for e in endpoints {
            let secret_set = if e.name == DEFAULT_ENDPOINT {
                default_secret_set
            } else {
                self.store.webhook_endpoint_secret(&e.name).await?.is_some()
            };
            let (mut health, mut healthy) =
                super::notice_words::endpoint_health(deliveries.iter().find(|d| d.endpoint == e.name));
            match breakers
                .iter()
                .find(|(name, _)| *name == e.name)
                .map(|(_, state)| *state)
            {
                Some(BreakerState::Open { retry_in_secs }) => {
                    health.insert(
                        0,
                        Refusal::new("webhooks.health.circuit_open", &[("secs", &retry_in_secs.to_string())]),
                    );
                    healthy = false;
                }
                Some(BreakerState::HalfOpen) => {
                    health.insert(0, Refusal::code("webhooks.health.half_open"));
                    healthy = false;
                }
                Some(BreakerState::Closed) | None => {}
            }
            views.push(EndpointView {
                name: e.name,
                url: e.url,
                events: e.events,
                enabled: e.enabled,
                secret_set,
                health,
                healthy,
            });
        }
        Ok(views)
    }
}

impl AdminBackend for GatewayAdmin {
    fn list_fatture(&self, page: ListRequest) -> BackendFuture<'_, ListPage<FatturaView>> {
        Box::pin(async move {
            let (search, order, after, limit) = list_parts(&page)?;
            let found = self.store.fattura_page(search, order, after.as_ref(), limit).await?;
            let total = match search {
                Some(_) => None,
                None => Some(self.store.list_counts().await?.fatture),
            };
            Ok(ListPage {
                rows: found.rows.iter().map(fattura_view).collect(),
                next: found.next.map(|c| c.encode()).unwrap_or_default(),
                total,
            })
        })
    }

    fn fattura_due(&self, id: i64) -> BackendFuture<'_, Option<FatturaDueView>> {
        Box::pin(async move {
            let fattura = self.store.fattura(id).await?.ok_or_else(|| {
                AppError::NotFound(Refusal::new(
                    "error.invoice.no_such_fattura",
                    &[("id", &id.to_string())],
                ))
            })?;
            Ok(fattura.due_detail.as_ref().map(|d| fattura_due_view(&fattura, d)))
        })
    }

    fn fattura_lines(&self, id: i64) -> BackendFuture<'_, FatturaLinesView> {
        Box::pin(async move {
            if self.store.fattura(id).await?.is_none() {
                return Err(AppError::NotFound(Refusal::new(
                    "error.invoice.no_such_fattura",
                    &[("id", &id.to_string())],
                )));
            }
            Ok(fattura_lines_view(&self.store.fattura_breakdown(id).await?))
        })
    }

    fn list_ln_invoices(&self, state: String, page: ListRequest) -> BackendFuture<'_, ListPage<LnInvoiceView>> {
        Box::pin(async move {
            let state = match state.trim() {
                "" => None,
                text => Some(InvoiceState::parse(text).ok_or_else(|| {
                    AppError::Invalid(Refusal::new(
                        "error.invoice.unknown_state",
                        &[("state", text), ("states", &InvoiceState::names(", ", false))],
                    ))
                })?),
            };
            let (search, order, after, limit) = list_parts(&page)?;
            let filter = LnInvoiceFilter {
                state,
                search: search.map(str::to_string),
                limit,
                order,
                after,
                ..LnInvoiceFilter::default()
            };
            let found = self.store.ln_invoice_page(&filter).await?;
            let total = match search {
                Some(_) => None,
                None => Some(self.store.list_counts().await?.ln_invoices_in(state)),
            };
            let invoices = found.rows;
            let mut fatture: HashMap<i64, Option<Fattura>> = HashMap::new();
            let mut rows = Vec::new();
            for invoice in &invoices {
                let fattura = match invoice.fattura_id {
                    Some(id) => {
                        if let std::collections::hash_map::Entry::Vacant(slot) = fatture.entry(id) {
                            slot.insert(self.store.fattura(id).await?);
                        }
                        fatture.get(&id).and_then(Option::as_ref)
                    }
                    None => None,
                };
                rows.push(ln_view(invoice, fattura));
            }
            Ok(ListPage {
                rows,
                next: found.next.map(|c| c.encode()).unwrap_or_default(),
                total,
            })
        })
    }

    fn create_ln_invoice(
        &self,
        numero: String,
        anno: String,
        amount_eur: String,
        expiry_hours: String,
    ) -> BackendFuture<'_, LnInvoiceInfo> {
        Box::pin(async move {
            let numero = numero.trim().to_string();
            if numero.is_empty() {
                return Err(AppError::Invalid(Refusal::code("error.invoice.choose_fattura")));
            }
            let amount = match amount_eur.trim() {
                "" => None,
                text => Some(parse_counter_amount(text)?),
            };
            let created = self
                .invoices
                .create(CreateRequest {
                    numero: Some(numero),
                    anno: optional_number(&anno, "error.not_whole.year")?,
                    amount_eur: amount,
                    expiry_hours: optional_number(&expiry_hours, "error.not_whole.expiry_hours")?,
                    ..CreateRequest::default()
                })
                .await?;
            let base_url = self.current_settings().await.public_base_url.clone();
            let mut info = self.detail(created.invoice, created.reused, &created.notices).await?;
            if let Some(token) = &created.payment_token {
                info.payment_url = crate::invoices::payment_url(base_url.as_deref(), token);
            }
            Ok(info)
        })
    }

    fn ln_invoice_detail(&self, invoice_id: String) -> BackendFuture<'_, LnInvoiceInfo> {
        Box::pin(async move {
            let invoice = self.invoices.refresh(invoice_id.trim()).await?;
            self.detail(invoice, false, &[]).await
        })
    }

    fn cancel_ln_invoice(&self, invoice_id: String) -> BackendFuture<'_, LnInvoiceInfo> {
        Box::pin(async move {
            let invoice = self.invoices.cancel(invoice_id.trim()).await?;
            self.detail(invoice, false, &[]).await
        })
    }

    fn add_fattura(&self, _lang: Lang, form: NewFatturaForm) -> BackendFuture<'_, FatturaView> {
        Box::pin(async move {
            let typed = super::invoice_files::manual_fattura(&form)?;
            let fattura = crate::invoices::add_manual(&self.store, typed)
                .await
                .map_err(AppError::from)?;
            Ok(fattura_view(&fattura))
        })
    }

    fn refund_sale(
        &self,
        sale_id: String,
        amount_eur: String,
        to: String,
        by: String,
    ) -> BackendFuture<'_, app::model::RefundView> {
        Box::pin(async move {
            let settings = self.current_settings().await;
            let service = crate::counter::RefundService::new(
                self.store.clone(),
                self.lnd.clone(),
                self.invoices.rates(),
                settings.pos_refund_max_fee_ppm,
                None,
            );
            let request = crate::counter::RefundRequest {
                sale_id: sale_id.trim().to_string(),
                amount_eur,
                to,
                by,
            };
            let row = service.refund(&request).await.map_err(AppError::from)?;
            Ok(app::model::RefundView {
                sale_id: row.invoice_id,
                amount_eur: eur(crate::store::cents_to_eur(row.amount_cents)),
                amount_sat: u64::try_from(row.amount_msat / 1000).unwrap_or(0),
                fee_msat: u64::try_from(row.fee_msat).unwrap_or(0),
                state: row.state,
                payment_hash: row.payment_hash,
            })
        })
    }

    fn counter_day(&self) -> BackendFuture<'_, app::model::CounterDayView> {
        Box::pin(async move {
            let settings = self.current_settings().await;
            let counter = crate::counter::CounterService::new(self.store.clone());
            let report = counter
                .day(None, &settings.shop_timezone, &crate::counter::DayFilter::default())
                .await?;
            let closings = counter.closings().await?;
            let tills = self.store.tills().await?;
            Ok(app::model::CounterDayView {
                closed_by_number: report.closing.unwrap_or(0),
                today: closing_summary_of_day(&report.date, &report.total),
                by_till: report
                    .by_till
                    .iter()
                    .map(|f| closing_summary_of_day(&report.date, f))
                    .collect(),
                by_cashier: report
                    .by_cashier
                    .iter()
                    .map(|f| closing_summary_of_day(&report.date, f))
                    .collect(),
                closings: closings.iter().map(closing_summary).collect(),
                tills: tills.into_iter().map(|t| t.name).collect(),
            })
        })
    }

    fn close_day(&self, by: String, till: String, date: String) -> BackendFuture<'_, app::model::ClosingSummary> {
        Box::pin(async move {
            let settings = self.current_settings().await;
            let counter = crate::counter::CounterService::new(self.store.clone());
            let (till, date) = (till.trim(), date.trim());
            let closing = counter
                .close_day(
                    (!date.is_empty()).then_some(date),
                    &settings.shop_timezone,
                    (!till.is_empty()).then_some(till),
                    &by,
                )
                .await
                .map_err(|e| match e {
                    // The page offers only real tills and dates; a stale list or a typed date
                    // still gets what to do.
                    crate::counter::CounterError::UnknownTill(name) => {
                        AppError::Invalid(Refusal::new("error.closing.unknown_till", &[("till", &name)]))
                    }
                    crate::counter::CounterError::BadDate(text) => {
                        AppError::Invalid(Refusal::new("error.closing.bad_date", &[("date", &text)]))
                    }
                    other => AppError::from(other),
                })?;
            tracing::info!(number = closing.number, date = %closing.date, %by, "day closed");
            Ok(closing_summary(&closing))
        })
    }

    fn new_payment_link(&self, invoice_id: String) -> BackendFuture<'_, PaymentLinkView> {
        Box::pin(async move {
            let id = invoice_id.trim();
            let settings = self.current_settings().await;
            let LinkOutcome::Issued(token) = self.links.link(id, true).await? else {
                return Err(AppError::Unavailable(Refusal::code("error.share.no_link")));
            };
            Ok(PaymentLinkView {
                invoice_id: id.to_string(),
                payment_url: crate::invoices::payment_url(settings.public_base_url.as_deref(), &token),
                link_state: "live".into(),
                emailed_to: String::new(),
                mail_state: String::new(),
                mail_error: String::new(),
            })
        })
    }

    fn email_payment_link(&self, invoice_id: String, address: String) -> BackendFuture<'_, PaymentLinkView> {
        Box::pin(async move {
            let (id, address) = (invoice_id.trim(), address.trim());
            crate::mail::check_address(address)?;
            let settings = self.current_settings().await;
            let base_url = super::invoice_files::public_base_url(&settings)?;
            // Email not set up: refused before anything is made (nothing could ever send it).
            let mailer = settings.mailer()?;
            // Queued with its new link in one transaction, then tried at once; an SMTP server
            // that cannot take it now leaves it queued for the mail worker (the page says so).
            let queued = self.links.queue_email(id, base_url, address).await?;
            let mail = self
                .links
                .deliver_mail(queued.mail_id, settings.seller(), &Ok(mailer))
                .await?;
            let sent = mail.state == crate::store::MailState::Sent;
            Ok(PaymentLinkView {
                invoice_id: id.to_string(),
                payment_url: queued.payment_url,
                link_state: "live".into(),
                emailed_to: if sent { address.to_string() } else { String::new() },
                mail_state: mail.state.as_str().to_string(),
                mail_error: mail.last_error_code.unwrap_or_default(),
            })
        })
    }

    fn list_payments(&self, page: ListRequest) -> BackendFuture<'_, ListPage<PaymentView>> {
        Box::pin(async move {
            let (search, order, after, limit) = list_parts(&page)?;
            let found = self.store.payment_page(search, order, after.as_ref(), limit).await?;
            let total = match search {
                Some(_) => None,
                None => Some(self.store.list_counts().await?.payments),
            };
            let payments = found.rows;
            let mut rows = Vec::with_capacity(payments.len());
            for payment in &payments {
                let row = export::payment_row(&self.store, payment).await?;
                rows.push(PaymentView {
                    settled_at: row.settled_at,
                    payment_hash: row.payment_hash,
                    ln_invoice_id: row.ln_invoice_id,
                    original_invoice: row.original_invoice,
                    client: row.client,
                    amount_sat: row.amount_sats,
                    amount_eur: eur(row.amount_eur),
                    rate_eur_per_btc: row.rate_eur_per_btc.to_string(),
                    rate_source: row.rate_source,
                });
            }
            Ok(ListPage {
                rows,
                next: found.next.map(|c| c.encode()).unwrap_or_default(),
                total,
            })
        })
    }

    fn payments_csv(&self) -> BackendFuture<'_, String> {
        Box::pin(async move {
            let rows = export::payments_in_period(&self.store, None, None).await?;
            Ok(export::to_csv(&rows))
        })
    }

    fn node_alerts(&self) -> BackendFuture<'_, app::model::NodeAlertsView> {
        Box::pin(async move {
            let policy = crate::node::AlertPolicy::of(&*self.current_settings().await);
            let found = crate::node::open_alerts(&self.store, &self.lnd, &policy, crate::time::now_ms()).await?;
            let alerts = found
                .alerts
                .into_iter()
                .map(|a| app::model::NodeAlertView {
                    kind: a.kind.as_str().to_string(),
                    chan_point: a.chan_point,
                    since_secs: a.since_ms / 1000,
                    closing_txid: a.closing_txid.unwrap_or_default(),
                })
                .collect();
            Ok(app::model::NodeAlertsView {
                alerts,
                last_backup_secs: found.last_backup_ms.map(|ms| ms / 1000),
            })
        })
    }

    fn liquidity(&self) -> BackendFuture<'_, LiquidityView> {
        Box::pin(async move {
            let policy = self.current_settings().await.liquidity_policy();
            let report = liquidity::fetch_report(&self.lnd, &policy).await?;
            let channels: Vec<ChannelLiquidityView> = report
                .channels
                .iter()
                .map(|c| ChannelLiquidityView {
                    chan_id: c.chan_id,
                    peer: if c.peer_alias.is_empty() {
                        c.peer_pubkey.clone()
                    } else {
                        c.peer_alias.clone()
                    },
                    active: c.active,
                    capacity_sat: c.capacity_sat,
                    local_sat: c.local_sat,
                    remote_sat: c.remote_sat,
                    inbound_ratio: c.inbound_ratio.round_dp(3).normalize().to_string(),
                    flag: c.flag.label().to_string(),
                })
                .collect();
            Ok(LiquidityView {
                inbound_ratio: report.totals.inbound_ratio.round_dp(3).normalize().to_string(),
                receivable_now_sat: report.max_receivable_multipart_sat,
                receivable_single_sat: report.max_receivable_single_sat,
                balance_score: report.balance_score.round_dp(0).to_string(),
                min_ratio: report.policy.min_ratio.normalize().to_string(),
                max_ratio: report.policy.max_ratio.normalize().to_string(),
                flagged_channels: report.totals.needs_inbound + report.totals.needs_outbound,
                channels,
            })
        })
    }

    fn webhook_endpoints(&self) -> BackendFuture<'_, Vec<EndpointView>> {
        Box::pin(async move { self.endpoint_views().await })
    }

    fn add_webhook_endpoint(
        &self,
        name: String,
        url: String,
        secret: String,
        events: String,
    ) -> BackendFuture<'_, Vec<EndpointView>> {
        Box::pin(async move {
            let name = name.trim();
            let url = url.trim();
            if name.is_empty() {
                return Err(AppError::Invalid(Refusal::code("error.webhook.missing_name")));
            }
            if name == DEFAULT_ENDPOINT {
                return Err(AppError::Invalid(Refusal::code("error.webhook.default_endpoint")));
            }
            webhooks::check_url(url)?;
            // A blank field in the form means every event.
            let events = if events.trim().is_empty() {
                "*".to_string()
            } else {
                events
            };
            let events = webhooks::check_event_filter(&events)?;
            if secret.is_empty() {
                return Err(AppError::Invalid(Refusal::code("error.webhook.empty_secret")));
            }
            self.store
                .upsert_webhook_endpoint(name, url, Some(&secret), &events, true)
                .await?;
            tracing::info!(endpoint = %name, %url, "webhook endpoint saved from the web app");
            self.endpoint_views().await
        })
    }

    fn remove_webhook_endpoint(&self, name: String) -> BackendFuture<'_, Vec<EndpointView>> {
        Box::pin(async move {
            let name = name.trim();
            if !self.store.remove_webhook_endpoint(name).await? {
                return Err(AppError::Invalid(Refusal::new(
                    "error.webhook.no_endpoint",
                    &[("name", name)],
                )));
            }
            self.endpoint_views().await
        })
    }

    fn webhook_deliveries(&self, failed_only: bool) -> BackendFuture<'_, Vec<DeliveryView>> {
        Box::pin(async move {
            let deliveries = self.store.deliveries(failed_only, LIST_LIMIT).await?;
            Ok(deliveries
                .into_iter()
                .map(|d| DeliveryView {
                    event_id: d.event_id,
                    event_type: d.event_type,
                    endpoint: d.endpoint,
                    state: d.state,
                    attempts: d.attempts,
                    last_status: d.last_status,
                    last_error: d.last_error.as_deref().map(super::notice_words::delivery_error),
                })
                .collect())
        })
    }

    fn redeliver_webhook_event(&self, event_id: String) -> BackendFuture<'_, u64> {
        Box::pin(async move {
            let event_id = event_id.trim();
            self.store
                .redeliver_event(event_id)
                .await?
                .ok_or_else(|| AppError::Invalid(Refusal::new("error.webhook.no_event", &[("id", event_id)])))
        })
    }

    fn test_webhook_endpoint(&self, endpoint: String) -> BackendFuture<'_, WebhookTestReport> {
        Box::pin(async move {
            let endpoint = endpoint.trim();
            let settings = self.current_settings().await;
            let target = self
                .store
                .webhook_endpoints()
                .await?
                .into_iter()
                .find(|e| e.name == endpoint)
                .ok_or_else(|| AppError::Invalid(Refusal::new("error.webhook.no_endpoint", &[("name", endpoint)])))?;
            let dispatcher = Dispatcher::new(
                self.store.clone(),
                settings.dispatcher_config(),
                settings.lightning_webhook_secret.clone(),
            )?;
            let result = dispatcher.send_test(&target.name, &target.url).await?;
            Ok(WebhookTestReport {
                endpoint: target.name,
                ok: result.is_success(),
                status: result.status,
                error: result.error.as_deref().map(super::notice_words::delivery_error),
                latency_ms: result.latency_ms,
            })
        })
    }

    fn settings(&self) -> BackendFuture<'_, Vec<SettingView>> {
        Box::pin(async move {
            let entries = self.reloader.hub().list()?;
            Ok(entries.iter().map(setting_view).collect())
        })
    }

    fn set_setting(&self, key: String, value: String) -> BackendFuture<'_, SettingView> {
        Box::pin(async move {
            refuse_cli_only(key.trim())?;
            let entry = self.reloader.hub().set(key.trim(), &value)?;
            tracing::info!(key = %entry.key.name, "configuration changed from the web app");
            self.reloader.apply().await;
            Ok(setting_view(&entry))
        })
    }

    fn unset_setting(&self, key: String) -> BackendFuture<'_, SettingView> {
        Box::pin(async move {
            refuse_cli_only(key.trim())?;
            let entry = self.reloader.hub().unset(key.trim())?;
            tracing::info!(key = %entry.key.name, "configuration key removed from the web app");
            self.reloader.apply().await;
            Ok(setting_view(&entry))
        })
    }

    fn settings_status(&self) -> BackendFuture<'_, ReloadStatus> {
        Box::pin(async move {
            self.reloader.reload_now().await;
            let status = self.reloader.hub().status();
            Ok(ReloadStatus {
                loaded_at_unix: status.loaded_at_unix,
                error: status.error.as_deref().map(super::web_error::reload_problem),
                restart_needed: status.restart_needed,
                node_error: status.node_error.as_ref().map(super::web_error::node_change_problem),
            })
        })
    }

    fn connect_node(&self, host: String, cert_pem: String, macaroon_hex: String) -> BackendFuture<'_, NodeCheck> {
        Box::pin(async move {
            let mut check =
                super::node_setup::connect_node(self.reloader.hub(), &host, &cert_pem, &macaroon_hex).await?;
            self.reloader.apply().await;
            let status = self.reloader.hub().status();
            check.applied =
                status.node_error.is_none() && !status.restart_needed.iter().any(|key| key == "lightning_host");
            Ok(check)
        })
    }

    fn staff(&self, actor: String) -> BackendFuture<'_, Vec<StaffView>> {
        Box::pin(async move { super::staff::list(&self.store, &actor).await })
    }

    fn add_staff(
        &self,
        actor: String,
        lang: Lang,
        username: String,
        role: String,
        password: String,
        confirm: String,
    ) -> BackendFuture<'_, Vec<StaffView>> {
        Box::pin(
            async move { super::staff::add(&self.store, &actor, lang, &username, &role, password, &confirm).await },
        )
    }

    fn remove_staff(&self, actor: String, lang: Lang, username: String) -> BackendFuture<'_, Vec<StaffView>> {
        Box::pin(async move { super::staff::remove(&self.store, &actor, lang, &username).await })
    }

    fn reset_staff_password(
        &self,
        actor: String,
        lang: Lang,
        username: String,
        password: String,
        confirm: String,
    ) -> BackendFuture<'_, Vec<StaffView>> {
        Box::pin(
            async move { super::staff::reset_password(&self.store, &actor, lang, &username, password, &confirm).await },
        )
    }

    fn end_staff_sessions(&self, actor: String, lang: Lang, username: String) -> BackendFuture<'_, Vec<StaffView>> {
        Box::pin(async move { super::staff::end_sessions(&self.store, &actor, lang, &username).await })
    }

    fn unlock_staff(&self, actor: String, lang: Lang, username: String) -> BackendFuture<'_, Vec<StaffView>> {
        Box::pin(async move { super::staff::unlock(&self.store, &actor, lang, &username).await })
    }

    fn tills_admin(&self) -> BackendFuture<'_, Vec<TillAdminView>> {
        Box::pin(async move { super::tills::list(&self.store).await })
    }

    fn add_till(
        &self,
        actor: String,
        name: String,
        printer: String,
        vat_rate: String,
    ) -> BackendFuture<'_, Vec<TillAdminView>> {
        Box::pin(async move { super::tills::add(&self.store, &actor, &name, &printer, &vat_rate).await })
    }

    fn change_till(&self, actor: String, change: TillEdit) -> BackendFuture<'_, Vec<TillAdminView>> {
        Box::pin(async move { super::tills::change(&self.store, &actor, &change).await })
    }

    fn remove_till(&self, actor: String, name: String) -> BackendFuture<'_, Vec<TillAdminView>> {
        Box::pin(async move { super::tills::remove(&self.store, &actor, &name).await })
    }

    fn pair_till(&self, actor: String, name: String) -> BackendFuture<'_, PairingCodeView> {
        Box::pin(async move { super::tills::pair(&self.store, &actor, &name).await })
    }

    fn till_devices(&self) -> BackendFuture<'_, Vec<TillDeviceView>> {
        Box::pin(async move { super::tills::devices(&self.store).await })
    }

    fn unpair_till_device(&self, actor: String, id: i64) -> BackendFuture<'_, Vec<TillDeviceView>> {
        Box::pin(async move { super::tills::unpair(&self.store, &actor, id).await })
    }
}

/// A list request checked: search, order, cursor, page size.
type ListParts<'a> = (Option<&'a str>, ListOrder, Option<PageCursor>, u32);

/// The checked parts of a list request: the search (`None` when blank), the order, the cursor and
/// the page size (the default for 0, at most [`LIST_LIMIT`]).
fn list_parts(page: &ListRequest) -> Result<ListParts<'_>, AppError> {
    let search = Some(page.search.trim()).filter(|s| !s.is_empty());
    let order = ListOrder::parse(&page.order)
        .ok_or_else(|| AppError::Invalid(Refusal::new("error.list.bad_order", &[("order", page.order.trim())])))?;
    let after = match page.after.trim() {
        "" => None,
        text => Some(PageCursor::parse(text).map_err(|_| AppError::Invalid(Refusal::code("error.list.bad_cursor")))?),
    };
    let limit = match page.limit {
        0 => LIST_PAGE_ROWS,
        n => n.min(LIST_LIMIT),
    };
    Ok((search, order, after, limit))
}

/// An outbox email as the share card lists it (its error as a code only).
fn mail_view(mail: &crate::store::OutboxMail) -> app::model::MailView {
    use crate::store::MailState;
    app::model::MailView {
        id: mail.id,
        to: mail.to_address.clone(),
        state: mail.state.as_str().to_string(),
        attempts: mail.attempts,
        queued_at: crate::time::rfc3339(mail.created_at),
        at: match mail.state {
            MailState::Sent => mail.sent_at.map(crate::time::rfc3339).unwrap_or_default(),
            MailState::Queued => crate::time::rfc3339(mail.next_attempt_at),
            MailState::Failed => String::new(),
        },
        error_code: mail.last_error_code.clone().unwrap_or_default(),
    }
}

/// Today's figures as the back office's closing card shows them (number 0: not a closing).
fn closing_summary_of_day(date: &str, f: &crate::counter::FiguresView) -> app::model::ClosingSummary {
    app::model::ClosingSummary {
        number: 0,
        date: date.to_string(),
        till: f.name.clone().unwrap_or_default(),
        closed_at: String::new(),
        closed_by: String::new(),
        sales: f.sales,
        gross_eur: f.gross_eur.clone(),
        vat_eur: vat_total(f.vat_eur.values().map(String::as_str)),
        tips_eur: f.tips_eur.clone(),
        refunds_eur: f.refunds_eur.clone(),
        sats_received: f.sats_received,
    }
}

/// The sum of IVA amounts by rate (`"2.20"`…), two decimals.
fn vat_total<'a>(amounts: impl Iterator<Item = &'a str>) -> String {
    let total: rust_decimal::Decimal = amounts.filter_map(|v| v.parse::<rust_decimal::Decimal>().ok()).sum();
    format!("{total:.2}")
}

/// A closing as the back office lists it.
fn closing_summary(closing: &crate::counter::ClosingView) -> app::model::ClosingSummary {
    let f = &closing.figures;
    let text = |key: &str| f[key].as_str().unwrap_or("0.00").to_string();
    app::model::ClosingSummary {
        number: closing.number,
        date: closing.date.clone(),
        till: closing.till.clone().unwrap_or_default(),
        closed_at: closing.closed_at.clone(),
        closed_by: closing.closed_by.clone(),
        sales: f["sales"].as_u64().unwrap_or(0),
        gross_eur: text("gross_eur"),
        vat_eur: vat_total(
            f["vat_eur"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, v)| v.as_str()),
        ),
        tips_eur: text("tips_eur"),
        refunds_eur: text("refunds_eur"),
        sats_received: f["sats_received"].as_u64().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_numbers_are_empty_or_whole() -> Result<(), AppError> {
        assert_eq!(optional_number::<u64>(" ", "x")?, None);
        assert_eq!(optional_number::<u64>("24", "x")?, Some(24));
        assert!(optional_number::<u64>("1.5", "x").is_err());
        Ok(())
    }

    #[test]
    fn every_derivation_step_of_the_importer_has_a_kind() {
        assert_eq!(step_kind("document total"), ("total", String::new()));
        assert_eq!(step_kind("document rounding"), ("rounding", String::new()));
        assert_eq!(step_kind("+ taxable amount"), ("taxable", String::new()));
        assert_eq!(step_kind("+ VAT"), ("vat", String::new()));
        assert_eq!(step_kind("+ amount including IVA"), ("gross", String::new()));
        assert_eq!(
            step_kind("− withholding tax (ritenuta RT02)"),
            ("withholding", "RT02".to_string())
        );
        assert_eq!(
            step_kind("− withholding tax (ritenuta)"),
            ("withholding", String::new())
        );
        assert_eq!(
            step_kind("− split-payment VAT (EsigibilitaIVA S, paid by the client to the Erario)").0,
            "split_vat"
        );
        assert_eq!(step_kind("something new").0, "other");
    }
}
