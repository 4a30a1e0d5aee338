//! `openfatture lightning invoice …` and `lightning payments …`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use rust_decimal::Decimal;

use super::format::grouped;
use super::invoice_cmd::truncate;
use super::{CliError, Output};
use crate::context::Services;
use crate::invoices::export;
use crate::invoices::{payment_url, CreateRequest, Created, InvoiceService, LinkOutcome, LinkService, RateRecord};
use crate::store::{InvoiceState, LnInvoice, LnInvoiceFilter, MailState, OutboxMail, Store};
use crate::time::rfc3339;

/// The help of `lightning invoice list --status`: every invoice state, from [`InvoiceState::ALL`].
pub fn status_help() -> String {
    format!("Only this state: {}.", InvoiceState::names(", ", true))
}

/// `openfatture lightning invoice ...`
#[derive(Debug, Subcommand)]
pub enum LnInvoiceCommand {
    /// Create a Lightning invoice for an existing invoice (--numero) or a standalone one.
    Create(CreateArgs),
    /// List Lightning invoices, newest first.
    List {
        /// Only this state (one of `InvoiceState::ALL`, see [`status_help`]).
        #[arg(long, help = status_help())]
        status: Option<String>,
        /// Only invoices for this EUR invoice number.
        #[arg(long)]
        numero: Option<String>,
        /// Only invoices created on or after this date (YYYY-MM-DD).
        #[arg(long)]
        since: Option<NaiveDate>,
        /// Only invoices whose id or payment hash starts with this text, or whose EUR invoice's
        /// numero, client name or client P.IVA does (case-insensitive; one page of matches).
        #[arg(long)]
        search: Option<String>,
        /// Which page.
        #[command(flatten)]
        page: super::paging::PageArgs,
    },
    /// Show one Lightning invoice, refreshed from the node.
    Status {
        /// Lightning invoice id, e.g. INV-001-LN.
        id: String,
    },
    /// Cancel an unpaid Lightning invoice.
    Cancel {
        /// Lightning invoice id.
        id: String,
    },
    /// The client's payment link of a Lightning invoice (of its fattura, when it has one): the live
    /// link again, or a new link when none is live.
    Link {
        /// Lightning invoice id.
        id: String,
        /// Replace the live link with a new one (the old one stops working).
        #[arg(long, conflicts_with = "revoke")]
        new: bool,
        /// Revoke the live link: it then answers 404.
        #[arg(long)]
        revoke: bool,
    },
    /// The courtesy copy (copia di cortesia) of a Lightning invoice's fattura as a PDF, with the
    /// QR code of a new payment link (the link made before for it stops working): written to a
    /// file, emailed to the client with the link, or both. An email is queued with its link and
    /// sent at once; if the SMTP server cannot take it, `openfatture serve` tries again (30 s,
    /// 2 min, 10 min, 1 h, then it is marked failed). `--list` shows the emails and their state.
    Share {
        /// Lightning invoice id.
        id: String,
        /// Where to write the PDF.
        #[arg(long, required_unless_present_any = ["email", "list"], conflicts_with = "list")]
        pdf: Option<PathBuf>,
        /// Email the link and the PDF to this address (the `smtp_*` settings).
        #[arg(long, conflicts_with = "list")]
        email: Option<String>,
        /// List the emails of this invoice (and of its fattura): state, attempts, last error.
        #[arg(long)]
        list: bool,
    },
}

/// Options of `lightning invoice create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Number of the EUR invoice to collect.
    #[arg(long)]
    pub numero: Option<String>,
    /// Year, when several invoices share the numero.
    #[arg(long)]
    pub anno: Option<i32>,
    /// EUR amount (default: what is still due on the invoice).
    #[arg(long)]
    pub amount: Option<Decimal>,
    /// Hours until the invoice expires.
    #[arg(long)]
    pub expiry_hours: Option<u64>,
    /// Text for the invoice description.
    #[arg(long)]
    pub description: Option<String>,
    /// Make a new invoice even if a payable one exists (the old one is cancelled).
    #[arg(long)]
    pub new: bool,
    /// For an imported invoice with installments (DatiPagamento), collect the whole amount
    /// still due instead of the next unpaid installment.
    #[arg(long)]
    pub all_installments: bool,
    /// The client's name, needed at or above `lightning_identity_threshold_eur` when the
    /// fattura has none (or for a standalone invoice).
    #[arg(long)]
    pub client_name: Option<String>,
    /// The client's codice fiscale, partita IVA or foreign VAT id (with its country prefix).
    #[arg(long)]
    pub client_tax_id: Option<String>,
}

/// `openfatture lightning payments ...`
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Received payments, newest first.
    List {
        /// Only payments whose hash starts with this text, or paying an EUR invoice whose numero,
        /// client name or client P.IVA does (case-insensitive; one page of matches).
        #[arg(long)]
        search: Option<String>,
        /// Which page.
        #[command(flatten)]
        page: super::paging::PageArgs,
    },
    /// One payment by payment hash.
    Show {
        /// Payment hash (hex).
        payment_hash: String,
    },
    /// Export payments of a period for the accountant.
    Export {
        /// First day (YYYY-MM-DD, inclusive).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day (YYYY-MM-DD, inclusive).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Export the routing fees the node paid for us (rebalances, refunds) with their EUR
        /// value instead of the payments received: a cost, booked apart from sales.
        #[arg(long)]
        routing_fees: bool,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array.
    Json,
}

/// Runs `lightning invoice ...`.
pub(super) async fn run_invoice(
    out: &Output,
    services: Services<'_>,
    command: LnInvoiceCommand,
) -> Result<(), CliError> {
    let store = services.store().await?;
    let result = async {
        match command {
            LnInvoiceCommand::List {
                status,
                numero,
                since,
                search,
                page,
            } => list(out, &store, status, numero, since, search, &page).await,
            command => {
                let base_url = services.settings().public_base_url.as_deref();
                let lnd = services.lnd()?;
                let service = services.invoices(store.clone(), lnd, services.rates()?)?;
                match command {
                    LnInvoiceCommand::Create(args) => {
                        let args = next_installment(&store, args).await?;
                        create(out, &service, base_url, args).await
                    }
                    LnInvoiceCommand::Link { id, new, revoke } => {
                        let links = LinkService::new(store.clone(), service);
                        link(out, &links, base_url, &id, new, revoke).await
                    }
                    LnInvoiceCommand::Share { id, list: true, .. } => {
                        let links = LinkService::new(store.clone(), service);
                        list_emails(out, &links, &id).await
                    }
                    LnInvoiceCommand::Share { id, pdf, email, .. } => {
                        let links = LinkService::new(store.clone(), service);
                        share(out, &links, services.settings(), &id, pdf.as_deref(), email.as_deref()).await
                    }
                    LnInvoiceCommand::Status { id } => status(out, &service, &id).await,
                    LnInvoiceCommand::Cancel { id } => cancel(out, &service, &id).await,
                    LnInvoiceCommand::List { .. } => Ok(()),
                }
            }
        }
    }
    .await;
    store.close().await;
    result
}

/// Runs `lightning payments ...`.
pub(super) async fn run_payments(
    out: &Output,
    services: Services<'_>,
    command: PaymentsCommand,
) -> Result<(), CliError> {
    let store = services.store().await?;
    let result = match command {
        PaymentsCommand::List { search, page } => payments_list(out, &store, search, &page).await,
        PaymentsCommand::Show { payment_hash } => payment_show(out, &store, &payment_hash).await,
        PaymentsCommand::Export {
            from,
            to,
            format,
            output,
            routing_fees,
        } => payments_export(&store, from, to, format, output, routing_fees).await,
    };
    store.close().await;
    result
}

/// A rate source as shown: the demo rate says it is one (`demo rate, not a market price`).
pub(super) fn rate_source_label(source: &str) -> String {
    if source == "demo" {
        "demo rate, not a market price".to_owned()
    } else {
        source.to_owned()
    }
}

/// `45000` → `45,000`; keeps decimals: `45000.5` → `45,000.5`.
pub(super) fn format_rate(rate: Decimal) -> String {
    let text = rate.normalize().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let int = int.parse::<u64>().map(grouped).unwrap_or_else(|_| int.to_string());
    if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    }
}

fn print_created(invoice: &LnInvoice, reused: bool) {
    if reused {
        println!("⚡ Lightning Invoice already open (reused; pass --new for a new one)");
    } else {
        println!("⚡ Lightning Invoice Created");
    }
    println!("📄 Invoice: {}", invoice.id);
    println!(
        "💰 Amount: {} EUR ({} sats @ {} EUR/BTC, {})",
        invoice.amount_eur,
        grouped(invoice.amount_sat()),
        format_rate(invoice.rate_eur_per_btc),
        rate_source_label(&invoice.rate_source)
    );
    println!("⏰ Expires: {}", local_time(invoice.expires_at));
    println!(
        "🔗 Payment Request: {}",
        invoice.payment_request.as_deref().unwrap_or("(pending)")
    );
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` UTC.
fn local_time(secs: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// Without `--amount` or `--all-installments`, an imported invoice with installments is
/// collected one installment at a time: the amount becomes the next unpaid installment.
async fn next_installment(store: &Store, mut args: CreateArgs) -> Result<CreateArgs, CliError> {
    if args.amount.is_some() || args.all_installments {
        return Ok(args);
    }
    let Some(numero) = args.numero.as_deref() else {
        return Ok(args);
    };
    let mut found = store.fatture_by_numero(numero).await?;
    if let Some(anno) = args.anno {
        found.retain(|f| f.anno == anno);
    }
    if let [fattura] = found.as_slice() {
        if let Some(detail) = &fattura.due_detail {
            if let Some(next) = detail.next_installment_eur(fattura.due_eur, fattura.paid_eur) {
                eprintln!(
                    "ℹ️  Invoice {}/{} has {} installments: collecting the next one, {next} EUR (--all-installments for the whole {} EUR)",
                    fattura.numero,
                    fattura.anno,
                    detail.installments.len(),
                    fattura.outstanding_eur()
                );
                args.amount = Some(next);
            }
        }
    }
    Ok(args)
}

/// `lightning invoice create --json`: the create's fields and the payment link made with it.
#[derive(serde::Serialize)]
struct CreatedJson<'a> {
    #[serde(flatten)]
    created: &'a Created,
    /// The client's payment link, when one was made now (`null` when the fattura's live link
    /// was made before: see `lightning invoice link`).
    payment_url: Option<String>,
}

/// Prints a payment link, noting when it is only a path for want of `public_base_url`.
fn print_link(base_url: Option<&str>, url: &str) {
    println!("🌐 Payment link: {url}");
    if base_url.is_none() {
        println!("   (public_base_url is not set: put the address clients reach the gateway at before it, or set it with `openfatture config set public_base_url https://…`)");
    }
}

/// `lightning invoice share ID [--pdf FILE] [--email ADDRESS]`: the courtesy copy with a new
/// payment link, written to a file and/or emailed. An email is checked before anything is made;
/// it is queued with its link in one transaction and sent at once. When the SMTP server cannot
/// take it now, it stays queued for `openfatture serve` (the command still succeeds and says so);
/// a refusal for good is an error.
async fn share(
    out: &Output,
    links: &LinkService,
    settings: &crate::config::Settings,
    id: &str,
    pdf: Option<&std::path::Path>,
    email: Option<&str>,
) -> Result<(), CliError> {
    let base_url = settings.public_base_url.as_deref().ok_or_else(|| {
        CliError::Invalid(
            "set the address clients open payment links at first, e.g. `openfatture config set public_base_url https://pay.example.it`: the PDF's QR code must open a page the client can reach"
                .into(),
        )
    })?;
    let (copy, mail) = match email {
        Some(address) => {
            crate::mail::check_address(address)?;
            let mailer = settings.mailer()?;
            let queued = links.queue_email(id, base_url, address).await?;
            let mail = links
                .deliver_mail(queued.mail_id, settings.seller(), &Ok(mailer))
                .await?;
            let copy = match pdf {
                Some(_) => Some(
                    links
                        .courtesy_copy_with(id, settings.seller(), queued.payment_url.clone())
                        .await?,
                ),
                None => None,
            };
            (copy.ok_or(queued), Some(mail))
        }
        None => (Ok(links.courtesy_copy(id, settings.seller(), base_url).await?), None),
    };
    if let (Some(path), Ok(copy)) = (pdf, &copy) {
        std::fs::write(path, &copy.pdf)
            .map_err(|e| CliError::Invalid(format!("{}: cannot write the PDF: {e}", path.display())))?;
    }
    let (payment_url, due_eur, bytes) = match &copy {
        Ok(copy) => (copy.payment_url.clone(), copy.due_eur, Some(copy.pdf.len())),
        Err(queued) => (queued.payment_url.clone(), queued.due_eur, None),
    };
    if let Some(mail) = mail.as_ref().filter(|m| m.state == MailState::Failed) {
        return Err(CliError::Invalid(format!(
            "the email to {} was refused for good ({}): {}. The new payment link is live: {payment_url}",
            mail.to_address,
            mail.last_error_code.as_deref().unwrap_or(""),
            mail.last_error.as_deref().unwrap_or("")
        )));
    }
    if out.json {
        return out.print_json(&serde_json::json!({
            "invoice_id": id,
            "pdf": pdf.map(|p| p.display().to_string()),
            "emailed_to": mail.as_ref().filter(|m| m.state == MailState::Sent).map(|m| m.to_address.clone()),
            "email": mail.as_ref().map(mail_json),
            "bytes": bytes,
            "due_eur": due_eur.to_string(),
            "payment_url": payment_url,
        }));
    }
    if let (Some(path), Some(bytes)) = (pdf, bytes) {
        println!(
            "📄 Courtesy copy of {id} written to {} ({bytes} bytes): {due_eur} EUR to pay with Lightning",
            path.display(),
        );
    }
    if let Some(mail) = &mail {
        match mail.state {
            MailState::Sent => println!("✉️  Payment link and courtesy copy of {id} sent to {}", mail.to_address),
            _ => println!(
                "⏳ The email to {} is queued: the SMTP server did not take it ({}). `openfatture serve` tries again at {} (then after 2 min, 10 min, 1 h); see `openfatture lightning invoice share {id} --list`.",
                mail.to_address,
                mail.last_error.as_deref().unwrap_or(""),
                rfc3339(mail.next_attempt_at)
            ),
        }
    }
    println!("🌐 Payment link: {payment_url}");
    println!("   A new link was made for this copy: a link given out before for this invoice stops working.");
    Ok(())
}

/// An outbox email as JSON (the raw SMTP error included: the CLI is the merchant's own tool).
fn mail_json(mail: &OutboxMail) -> serde_json::Value {
    serde_json::json!({
        "id": mail.id,
        "invoice_id": mail.ln_invoice_id,
        "to": mail.to_address,
        "state": mail.state.as_str(),
        "attempts": mail.attempts,
        "next_attempt_at": (mail.state == MailState::Queued).then(|| rfc3339(mail.next_attempt_at)),
        "last_error_code": mail.last_error_code,
        "last_error": mail.last_error,
        "queued_at": rfc3339(mail.created_at),
        "sent_at": mail.sent_at.map(rfc3339),
    })
}

/// `lightning invoice share ID --list`: the emails of the invoice and of its fattura.
async fn list_emails(out: &Output, links: &LinkService, id: &str) -> Result<(), CliError> {
    let mails = links.emails(id).await?;
    if out.json {
        return out.print_json(&serde_json::Value::Array(mails.iter().map(mail_json).collect()));
    }
    if mails.is_empty() {
        println!("No email was sent or queued for {id}: send one with `openfatture lightning invoice share {id} --email ADDRESS`.");
        return Ok(());
    }
    for mail in &mails {
        let when = match mail.state {
            MailState::Sent => format!("sent {}", mail.sent_at.map(rfc3339).unwrap_or_default()),
            MailState::Queued => format!("next attempt {}", rfc3339(mail.next_attempt_at)),
            MailState::Failed => "given up".to_string(),
        };
        println!(
            "#{} {} → {}: {} after {} attempt(s), {when} (queued {}){}",
            mail.id,
            mail.ln_invoice_id,
            mail.to_address,
            mail.state.as_str(),
            mail.attempts,
            rfc3339(mail.created_at),
            mail.last_error
                .as_deref()
                .filter(|_| mail.state != MailState::Sent)
                .map(|e| format!(
                    "\n    last error ({}): {e}",
                    mail.last_error_code.as_deref().unwrap_or("")
                ))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// `lightning invoice link ID [--new|--revoke]`.
async fn link(
    out: &Output,
    links: &LinkService,
    base_url: Option<&str>,
    id: &str,
    new: bool,
    revoke: bool,
) -> Result<(), CliError> {
    let outcome = if revoke {
        links.revoke(id).await?
    } else {
        links.link(id, new).await?
    };
    let (state, url) = match &outcome {
        LinkOutcome::Issued(token) => ("issued", Some(payment_url(base_url, token))),
        LinkOutcome::Live(token) => ("live", Some(payment_url(base_url, token))),
        LinkOutcome::LiveHidden => ("live", None),
        LinkOutcome::Revoked => ("revoked", None),
        LinkOutcome::NoneLive => ("none", None),
    };
    if out.json {
        return out.print_json(&serde_json::json!({ "invoice_id": id, "link": state, "payment_url": url }));
    }
    match outcome {
        LinkOutcome::Issued(_) => {
            if let Some(url) = &url {
                print_link(base_url, url);
            }
            println!("   A new link: the same one is shown again (and printed on every courtesy PDF) until `--new` replaces it or `--revoke` ends it.");
        }
        LinkOutcome::Live(_) => {
            if let Some(url) = &url {
                print_link(base_url, url);
            }
            println!("   The live link (the same on every courtesy PDF): `--new` replaces it (the old one then stops working), `--revoke` ends it.");
        }
        LinkOutcome::LiveHidden => println!(
            "🌐 {id} has a live payment link made before links could be shown again: `openfatture lightning invoice link {id} --new` makes a new one (the old one then stops working); sharing the invoice does so too."
        ),
        LinkOutcome::Revoked => println!("🚫 Payment link of {id} revoked: it now answers 404."),
        LinkOutcome::NoneLive => println!("ℹ️  {id} has no live payment link: nothing to revoke."),
    }
    Ok(())
}

async fn create(
    out: &Output,
    service: &InvoiceService,
    base_url: Option<&str>,
    args: CreateArgs,
) -> Result<(), CliError> {
    let created = service
        .create(CreateRequest {
            numero: args.numero,
            anno: args.anno,
            amount_eur: args.amount,
            expiry_hours: args.expiry_hours,
            expiry_minutes: None,
            description: args.description,
            force_new: args.new,
            client_name: args.client_name,
            client_tax_id: args.client_tax_id,
        })
        .await?;
    for warning in &created.warnings {
        eprintln!("⚠️  WARNING: {warning}");
    }
    let url = created.payment_token.as_ref().map(|token| payment_url(base_url, token));
    if out.json {
        return out.print_json(&CreatedJson {
            created: &created,
            payment_url: url,
        });
    }
    print_created(&created.invoice, created.reused);
    match &url {
        Some(url) => print_link(base_url, url),
        None if created.invoice.origin == crate::store::InvoiceOrigin::Office => println!(
            "🌐 Payment link: already sent for this invoice (the same link shows the new quote); `openfatture lightning invoice link {} --new` makes a new one",
            created.invoice.id
        ),
        None => {}
    }
    Ok(())
}

fn print_status(invoice: &LnInvoice) {
    println!("📄 Invoice: {}", invoice.id);
    println!("📌 Status: {}", invoice.state.as_str());
    println!(
        "💰 Amount: {} EUR ({} sats @ {} EUR/BTC, {})",
        invoice.amount_eur,
        grouped(invoice.amount_sat()),
        format_rate(invoice.rate_eur_per_btc),
        rate_source_label(&invoice.rate_source)
    );
    if invoice.amt_paid_msat > 0 {
        println!("✅ Paid: {} sats", grouped(invoice.amt_paid_msat / 1000));
    }
    if let Some(at) = invoice.settled_at {
        println!("🕒 Settled: {}", local_time(at));
    }
    println!("⏰ Expires: {}", local_time(invoice.expires_at));
    println!("🔑 Payment hash: {}", invoice.payment_hash);
    if let Some(pr) = &invoice.payment_request {
        println!("🔗 Payment Request: {pr}");
    }
}

/// `lightning invoice status --json`: the invoice's fields, its rate evidence and settlement rate.
#[derive(serde::Serialize)]
struct StatusJson<'a> {
    #[serde(flatten)]
    invoice: &'a LnInvoice,
    #[serde(flatten)]
    record: &'a RateRecord,
}

/// The rate evidence and the settlement rate, for people.
fn print_rate_record(invoice: &LnInvoice, record: &RateRecord) {
    if record.rate_evidence.is_empty() {
        println!("🧾 Rate evidence: none recorded (invoice made before evidence was kept)");
    } else {
        println!("🧾 Rate evidence:");
        for line in export::evidence_text(&record.rate_evidence).split("; ") {
            println!("   {line}");
        }
    }
    if invoice.state == InvoiceState::Settled {
        match &record.settle_rate {
            Some(rate) => println!(
                "📈 Rate at settlement: {} EUR/BTC ({}, {})",
                format_rate(rate.eur_per_btc),
                rate_source_label(&rate.source),
                rfc3339(rate.at_secs)
            ),
            None => println!("📈 Rate at settlement: {}", export::NO_SETTLE_RATE),
        }
    }
}

async fn status(out: &Output, service: &InvoiceService, id: &str) -> Result<(), CliError> {
    let invoice = service.refresh(id).await?;
    let record = service.rate_record(&invoice.id).await?;
    if out.json {
        return out.print_json(&StatusJson {
            invoice: &invoice,
            record: &record,
        });
    }
    print_status(&invoice);
    print_rate_record(&invoice, &record);
    Ok(())
}

async fn cancel(out: &Output, service: &InvoiceService, id: &str) -> Result<(), CliError> {
    let invoice = service.cancel(id).await?;
    if out.json {
        return out.print_json(&invoice);
    }
    println!("🚫 Lightning invoice {} cancelled", invoice.id);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn list(
    out: &Output,
    store: &Store,
    status: Option<String>,
    numero: Option<String>,
    since: Option<NaiveDate>,
    search: Option<String>,
    paging: &super::paging::PageArgs,
) -> Result<(), CliError> {
    let (order, _, limit) = paging.parts()?;
    let state = match status {
        Some(s) => Some(InvoiceState::parse(&s).ok_or_else(|| {
            CliError::Invalid(format!("unknown status '{s}': use {}", InvoiceState::names(", ", true)))
        })?),
        None => None,
    };
    let fattura_id = match numero {
        Some(numero) => {
            let found = store.fatture_by_numero(&numero).await?;
            match found.first() {
                Some(f) => Some(f.id),
                None => return Err(crate::invoices::InvoiceError::UnknownNumero(numero).into()),
            }
        }
        None => None,
    };
    let filter = LnInvoiceFilter {
        state,
        fattura_id,
        since: since.map(export::day_start),
        search,
        limit,
        order,
        after: None,
    };
    let page = paging
        .walk(|after| {
            let filter = LnInvoiceFilter {
                after,
                ..filter.clone()
            };
            async move { store.ln_invoice_page(&filter).await }
        })
        .await?;
    let rows = page.rows;
    if out.json {
        super::paging::print_next(true, page.next.as_ref());
        return out.print_json(&rows);
    }
    if rows.is_empty() {
        println!("No Lightning invoices match.");
        return Ok(());
    }
    println!(
        "{:<18} {:<9} {:>12} {:>14}  {:<20}  MEMO",
        "ID", "STATUS", "EUR", "SATS", "CREATED"
    );
    for inv in &rows {
        println!(
            "{:<18} {:<9} {:>12} {:>14}  {:<20}  {}",
            inv.id,
            inv.state.as_str(),
            inv.amount_eur,
            grouped(inv.amount_sat()),
            rfc3339(inv.created_at),
            truncate(&inv.memo, 40)
        );
    }
    super::paging::print_next(false, page.next.as_ref());
    Ok(())
}

async fn payments_list(
    out: &Output,
    store: &Store,
    search: Option<String>,
    paging: &super::paging::PageArgs,
) -> Result<(), CliError> {
    let (order, _, limit) = paging.parts()?;
    let page = paging
        .walk(|after| {
            let search = search.clone();
            async move {
                store
                    .payment_page(search.as_deref(), order, after.as_ref(), limit)
                    .await
            }
        })
        .await?;
    let mut rows = Vec::new();
    for p in &page.rows {
        rows.push(export::payment_row(store, p).await?);
    }
    if out.json {
        super::paging::print_next(true, page.next.as_ref());
        return out.print_json(&rows);
    }
    if rows.is_empty() {
        println!("No payments received yet.");
        return Ok(());
    }
    println!(
        "{:<20}  {:<18} {:>14} {:>12}  {:<14} {:<24} HASH",
        "SETTLED", "INVOICE", "SATS", "EUR", "ORIGINAL", "CLIENT"
    );
    for r in &rows {
        println!(
            "{:<20}  {:<18} {:>14} {:>12}  {:<14} {:<24} {}",
            r.settled_at,
            r.ln_invoice_id,
            grouped(r.amount_sats),
            r.amount_eur,
            r.original_invoice,
            truncate(&r.client, 24),
            r.payment_hash
        );
    }
    super::paging::print_next(false, page.next.as_ref());
    Ok(())
}

async fn payment_show(out: &Output, store: &Store, payment_hash: &str) -> Result<(), CliError> {
    let hash = payment_hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::Invalid(format!(
            "'{payment_hash}' is not a payment hash: expected 64 hex characters"
        )));
    }
    let Some(payment) = store.payment(&hash).await? else {
        return Err(CliError::Invalid(format!(
            "no payment with hash {hash}: see `openfatture lightning payments list`"
        )));
    };
    let row = export::payment_row(store, &payment).await?;
    if out.json {
        return out.print_json(&row);
    }
    println!("✅ Payment {}", row.payment_hash);
    println!("📄 Lightning invoice: {}", row.ln_invoice_id);
    if !row.original_invoice.is_empty() {
        println!("🧾 Original invoice: {} — {}", row.original_invoice, row.client);
    }
    println!(
        "💰 {} sats = {} EUR @ {} EUR/BTC ({})",
        grouped(row.amount_sats),
        row.amount_eur,
        format_rate(row.rate_eur_per_btc),
        rate_source_label(&row.rate_source)
    );
    println!("🕒 Settled: {}", row.settled_at);
    println!("💳 Method: {}", row.method);
    Ok(())
}

async fn payments_export(
    store: &Store,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: ExportFormat,
    output: Option<PathBuf>,
    routing_fees: bool,
) -> Result<(), CliError> {
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(CliError::Invalid(format!("--from {from} is after --to {to}")));
        }
    }
    let text = if routing_fees {
        let rows = export::routing_fees_in_period(store, from, to).await?;
        match format {
            ExportFormat::Csv => export::fees_to_csv(&rows),
            ExportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&rows)?),
        }
    } else {
        let rows = export::payments_in_period(store, from, to).await?;
        match format {
            ExportFormat::Csv => export::to_csv(&rows),
            ExportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&rows)?),
        }
    };
    match output {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| CliError::Invalid(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rates_are_grouped() {
        assert_eq!(format_rate(dec!(45000)), "45,000");
        assert_eq!(format_rate(dec!(45000.00)), "45,000");
        assert_eq!(format_rate(dec!(1234567.5)), "1,234,567.5");
    }
}
