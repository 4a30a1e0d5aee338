//! `openfatture invoice add|list|show|import`: the registry of EUR invoices.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use rust_decimal::Decimal;

use super::{CliError, Output};
use crate::context::Services;
use crate::fatturapa::{DueDetail, MAX_ARCHIVE_BYTES, MAX_FATTURA_BYTES};
use crate::invoices::{add_manual, ManualError, ManualFattura};
use crate::invoices::{import_named, refused, FileResult, ImportNote, ImportOptions};
use crate::store::{Fattura, Store};

/// `openfatture invoice ...`
#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Add an EUR invoice to be paid.
    Add(AddArgs),
    /// List EUR invoices by date, newest first.
    List {
        /// Only invoices whose numero, client name or client P.IVA starts with this text
        /// (case-insensitive; one page of matches).
        #[arg(long)]
        search: Option<String>,
        /// Which page.
        #[command(flatten)]
        page: super::paging::PageArgs,
    },
    /// Show one EUR invoice and what has been paid.
    Show {
        /// Invoice number.
        numero: String,
        /// Year, when several invoices share the numero.
        #[arg(long)]
        anno: Option<i32>,
    },
    /// Import FatturaPA XML files (FPA12/FPR12), each file in its own transaction: every good file
    /// is stored, each bad one reported; invoices already present are left as they are.
    Import {
        /// One or more .xml, .xml.p7m or .zip files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Show what would be stored, store nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Options of `invoice add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Invoice number, e.g. INV-001.
    #[arg(long)]
    pub numero: String,
    /// Client name (denominazione).
    #[arg(long)]
    pub client: String,
    /// Document total in EUR (ImportoTotaleDocumento), e.g. 500.00.
    #[arg(long)]
    pub total: Decimal,
    /// Invoice date (YYYY-MM-DD); today if omitted.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Client VAT number (P.IVA).
    #[arg(long)]
    pub client_piva: Option<String>,
    /// Client fiscal code (codice fiscale).
    #[arg(long)]
    pub client_cf: Option<String>,
    /// What the invoice is for.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Withholding tax (ritenuta d'acconto) in EUR.
    #[arg(long, default_value = "0")]
    pub ritenuta: Decimal,
    /// Stamp duty (bollo) in EUR.
    #[arg(long, default_value = "0")]
    pub bollo: Decimal,
}

/// Runs one `invoice` subcommand.
pub(super) async fn run(out: &Output, services: Services<'_>, command: InvoiceCommand) -> Result<(), CliError> {
    let store = services.store().await?;
    let result = match command {
        InvoiceCommand::Add(args) => add(out, &store, args).await,
        InvoiceCommand::List { search, page } => list(out, &store, search, &page).await,
        InvoiceCommand::Show { numero, anno } => show(out, &store, &numero, anno).await,
        InvoiceCommand::Import { files, dry_run } => {
            let options = ImportOptions {
                dry_run,
                merchant_vat_id: services.settings().merchant_vat_id(),
            };
            import(out, &store, &files, &options).await
        }
    };
    store.close().await;
    result
}

async fn add(out: &Output, store: &Store, args: AddArgs) -> Result<(), CliError> {
    let typed = ManualFattura {
        numero: args.numero,
        data: args.date.unwrap_or_else(|| Utc::now().date_naive()),
        client: args.client,
        client_piva: args.client_piva,
        client_cf: args.client_cf,
        description: args.description,
        total_eur: args.total,
        ritenuta_eur: args.ritenuta,
        bollo_eur: args.bollo,
    };
    let fattura = match add_manual(store, typed).await {
        Ok(fattura) => fattura,
        Err(ManualError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(CliError::Invalid(e.to_string())),
    };
    if out.json {
        return out.print_json(&fattura);
    }
    println!(
        "📄 Invoice {} added: {} EUR due from {}",
        fattura.numero, fattura.due_eur, fattura.client_name
    );
    Ok(())
}

async fn list(
    out: &Output,
    store: &Store,
    search: Option<String>,
    paging: &super::paging::PageArgs,
) -> Result<(), CliError> {
    let (order, _, limit) = paging.parts()?;
    let search = search.as_deref();
    let page = paging
        .walk(|after| async move { store.fattura_page(search, order, after.as_ref(), limit).await })
        .await?;
    let rows = page.rows;
    if out.json {
        super::paging::print_next(true, page.next.as_ref());
        return out.print_json(&rows);
    }
    if rows.is_empty() {
        println!("No invoices. Add one with `openfatture invoice add` or `openfatture invoice import FILE.xml`.");
        return Ok(());
    }
    println!(
        "{:<16} {:>4} {:<10} {:<28} {:>12} {:>12}  STATUS",
        "NUMERO", "ANNO", "DATE", "CLIENT", "DUE EUR", "PAID EUR"
    );
    for f in &rows {
        println!(
            "{:<16} {:>4} {:<10} {:<28} {:>12} {:>12}  {}",
            f.numero,
            f.anno,
            f.data,
            truncate(&f.client_name, 28),
            f.due_eur,
            f.paid_eur,
            f.status().as_str()
        );
    }
    super::paging::print_next(false, page.next.as_ref());
    Ok(())
}

async fn show(out: &Output, store: &Store, numero: &str, anno: Option<i32>) -> Result<(), CliError> {
    let mut found = store.fatture_by_numero(numero).await?;
    if let Some(anno) = anno {
        found.retain(|f| f.anno == anno);
    }
    if found.is_empty() {
        return Err(crate::invoices::InvoiceError::UnknownNumero(numero.to_string()).into());
    }
    let mut shown = Vec::with_capacity(found.len());
    for f in found {
        let breakdown = store.fattura_breakdown(f.id).await?;
        shown.push((f, breakdown));
    }
    if out.json {
        let mut items = Vec::with_capacity(shown.len());
        for (f, breakdown) in &shown {
            let mut item = serde_json::to_value(f)?;
            if let Some(map) = item.as_object_mut() {
                let lines = serde_json::to_value(&breakdown.lines)?;
                let summary = serde_json::to_value(&breakdown.vat_summary)?;
                map.insert("lines".into(), lines);
                map.insert("vat_summary".into(), summary);
            }
            items.push(item);
        }
        return out.print_json(&items);
    }
    for (f, breakdown) in &shown {
        print_fattura(f);
        print_breakdown(breakdown);
    }
    Ok(())
}

/// The fattura's lines (`DettaglioLinee`) and IVA summary (`DatiRiepilogo`), when known (not for
/// invoices added by hand or imported before lines were kept).
fn print_breakdown(breakdown: &crate::store::FatturaBreakdown) {
    if breakdown.lines.is_empty() && breakdown.vat_summary.is_empty() {
        println!("🧾 Lines: not known (added by hand, or imported before lines were kept)");
        return;
    }
    if !breakdown.lines.is_empty() {
        println!("🧾 Lines:");
        for line in &breakdown.lines {
            let quantity = match (&line.quantity, &line.unit) {
                (Some(q), Some(u)) => format!("{q} {u} × "),
                (Some(q), None) => format!("{q} × "),
                _ => String::new(),
            };
            let vat = match &line.natura {
                Some(natura) => format!("IVA {}% {natura}", line.vat_percent),
                None => format!("IVA {}%", line.vat_percent),
            };
            println!(
                "   {:>3}  {}  {quantity}{} EUR = {} EUR  ({vat})",
                line.number, line.description, line.unit_price_eur, line.total_eur
            );
        }
    }
    if !breakdown.vat_summary.is_empty() {
        println!("🧮 IVA summary:");
        for row in &breakdown.vat_summary {
            let rate = match &row.natura {
                Some(natura) => format!("{}% {natura}", row.vat_percent),
                None => format!("{}%", row.vat_percent),
            };
            println!(
                "   {rate:>8}  taxable {} EUR, IVA {} EUR{}",
                row.taxable_eur,
                row.vat_eur,
                row.esigibilita
                    .as_deref()
                    .map(|e| format!(", esigibilità {e}"))
                    .unwrap_or_default()
            );
        }
    }
}

fn print_fattura(f: &Fattura) {
    println!("📄 Invoice {} of {} ({})", f.numero, f.data, f.source);
    let mut client = f.client_name.clone();
    if let Some(piva) = &f.client_piva {
        client.push_str(&format!(", P.IVA {piva}"));
    }
    if let Some(cf) = &f.client_cf {
        client.push_str(&format!(", CF {cf}"));
    }
    println!("👤 Client: {client}");
    if !f.description.is_empty() {
        println!("📝 {}", f.description);
    }
    match &f.due_detail {
        Some(detail) => print_due_detail(f, detail),
        None => println!(
            "💶 Total {} EUR, ritenuta {} EUR, bollo {} EUR → due {} EUR",
            f.totale_eur, f.ritenuta_eur, f.bollo_eur, f.due_eur
        ),
    }
    println!(
        "✅ Paid {} EUR, outstanding {} EUR: {}",
        f.paid_eur,
        f.outstanding_eur(),
        f.status().as_str()
    );
}

/// How an imported invoice's amount due was found: each step with its source element.
fn print_due_detail(f: &Fattura, detail: &DueDetail) {
    println!("💶 Due {} EUR", f.due_eur);
    println!("   Computed from the document: {} EUR", detail.computed_eur);
    for step in &detail.derivation {
        println!("     {:>12}  {}  ({})", step.amount_eur, step.what, step.element);
    }
    if detail.from_importo_pagamento {
        println!("   Used: DatiPagamento/DettaglioPagamento/ImportoPagamento (the seller's own statement)");
    } else {
        println!("   Used: the computation above");
    }
    if !detail.installments.is_empty() {
        println!("   Installments:");
        for i in &detail.installments {
            let scadenza = i.scadenza.map_or_else(|| "no due date".to_string(), |d| d.to_string());
            println!(
                "     {:>12}  {} due {}{}  ({})",
                i.amount_eur,
                i.condizioni,
                scadenza,
                i.modalita.as_deref().map(|m| format!(", {m}")).unwrap_or_default(),
                i.element
            );
        }
    }
    if !detail.bollo_eur.is_zero() {
        println!(
            "   Bollo {} EUR (DatiBollo/ImportoBollo): paid by the seller, information only, not added",
            detail.bollo_eur
        );
    }
    for note in &detail.credit_notes {
        println!("   Credit note {note}");
    }
    if let Some(signer) = &detail.signed_by {
        println!(
            "🔏 Signed by {} (certificate valid {} to {}); content digest checked",
            signer.subject, signer.not_before, signer.not_after
        );
    }
    if let Some(warning) = &detail.warning {
        println!("⚠️  {warning}");
    }
}

/// Imports each file in its own transaction: a bad file is reported and never stops the others.
/// Credit notes linked to an imported invoice reduce its amount due; self-invoices, TD29 and
/// purchase invoices are skipped with a message. Fails (after importing the good files) when
/// any file was refused.
async fn import(out: &Output, store: &Store, files: &[PathBuf], options: &ImportOptions) -> Result<(), CliError> {
    let mut results = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let limit = if name.to_ascii_lowercase().ends_with(".zip") {
            MAX_ARCHIVE_BYTES
        } else {
            MAX_FATTURA_BYTES
        };
        match read_limited(path, limit) {
            Ok(bytes) => results.extend(import_named(store, &name, &bytes, options).await?),
            Err(reason) => results.push(refused(name, reason, ImportNote::Unreadable)),
        }
    }
    let refusals: Vec<String> = results.iter().filter_map(|r| r.reason.clone()).collect();
    if out.json {
        out.print_json(&serde_json::json!({ "dry_run": options.dry_run, "files": results }))?;
    } else {
        print_results(&results, options.dry_run);
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "{} file(s) refused, nothing of them imported; fix them and run the import again:\n  {}",
            refusals.len(),
            refusals.join("\n  ")
        )))
    }
}

fn print_results(results: &[FileResult], dry_run: bool) {
    let verb = if dry_run { "Would import" } else { "Imported" };
    let mut added = Vec::new();
    let mut present = Vec::new();
    for result in results {
        for d in &result.documents {
            match d.outcome {
                "imported" | "would_import" => added.push(d.invoice.clone()),
                "already_present" => present.push(d.invoice.clone()),
                _ => {}
            }
        }
    }
    println!("📥 {verb} {} invoice(s): {}", added.len(), added.join(", "));
    if !present.is_empty() {
        println!("↩️  Already present, left unchanged: {}", present.join(", "));
    }
    for result in results {
        for d in &result.documents {
            let Some(message) = &d.message else { continue };
            let icon = match d.outcome {
                "skipped" => "⏭️ ",
                "credit_applied" => "🧾",
                _ => "⚠️ ",
            };
            println!(
                "{icon} {}: {} ({}): {message}",
                result.file, d.invoice, d.tipo_documento
            );
        }
        if let Some(reason) = &result.reason {
            println!("❌ refused: {reason}");
        }
        if let Some(signer) = &result.signer {
            println!(
                "🔏 {}: signed by {} (certificate valid {} to {}); content digest checked",
                result.file, signer.subject, signer.not_before, signer.not_after
            );
        }
        if let Some(note) = &result.note {
            println!("🗂️  {}: ignored, {note}", result.file);
        }
    }
}

/// Reads a file, refusing one larger than the FatturaPA limit. At most the limit plus one byte is
/// read whatever the file is (a regular file, `/dev/zero`, a FIFO), so the size is never taken on
/// trust from metadata and an endless source cannot fill the memory.
fn read_limited(path: &std::path::Path, limit_bytes: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let limit = limit_bytes as u64;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(format!(
            "{}: cannot read: it is a directory, not a FatturaPA XML file",
            path.display()
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{}: larger than the {limit} bytes a FatturaPA file may have (reading stopped there); check that this is the right file",
            path.display()
        ));
    }
    Ok(bytes)
}

/// Cuts text to `max` characters for table columns.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}
