//! Importing FatturaPA files: each file (or each file of a `.zip`) in its own transaction, with a
//! result per file and per document. Shared by `openfatture invoice import` and the back office's
//! upload; neither reads the files' bytes itself beyond the size limits.

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::fatturapa::{
    is_zip, parse_fattura_file, unpack_zip, ArchiveEntry, DocumentKind, DueDetail, FatturaPaError, ImportedInvoice,
    Signer,
};
use crate::store::{CreditNote, CreditOutcome, FatturaBreakdown, NewFattura, Store, StoreError};
use crate::time::now_secs;

/// The stored form of an imported invoice.
fn to_new_fattura(inv: &ImportedInvoice, file_name: &str) -> NewFattura {
    NewFattura {
        numero: inv.numero.clone(),
        data: inv.data,
        cedente_piva: inv.cedente_piva.clone(),
        client_name: inv.cliente.denominazione.clone(),
        client_piva: inv.cliente.piva.clone(),
        client_cf: inv.cliente.codice_fiscale.clone(),
        description: inv.descrizione.clone(),
        totale_eur: inv.totale_eur,
        ritenuta_eur: inv.ritenuta_eur,
        bollo_eur: inv.bollo_eur,
        due_eur: inv.amount_due_eur().max(Decimal::ZERO),
        source: format!("fatturapa:{file_name}"),
    }
}

/// What an import was asked besides the files.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Store nothing, report what would be stored.
    pub dry_run: bool,
    /// The merchant's VAT id (`shop_vat_number`), to recognise purchase invoices.
    pub merchant_vat_id: Option<String>,
}

/// What the importer said of a file or a document, as data a page words in its language. The same
/// note in English is in [`FileResult::reason`], [`FileResult::note`] or [`DocumentResult::message`]
/// (what the CLI prints and its JSON carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportNote {
    /// The file is not a FatturaPA invoice the parser accepts.
    Parse(FatturaPaError),
    /// A zip archive whose name does not end in `.zip`.
    ZipNotNamedZip,
    /// The upload is over the size limit (the web route's own check).
    TooLarge,
    /// The file could not be read from disk (the CLI).
    Unreadable,
    /// A document to collect with nothing (or less than nothing) due.
    NothingDue {
        /// `numero/anno`.
        invoice: String,
        /// `TipoDocumento`.
        tipo: String,
        /// The amount due, EUR.
        due_eur: Decimal,
    },
    /// A purchase invoice: the merchant (`own`, a VAT id) is the buyer.
    PurchaseInvoice {
        /// The merchant's VAT id.
        own: String,
    },
    /// A self-invoice or reverse-charge integration.
    SelfInvoice {
        /// `TipoDocumento`.
        tipo: String,
    },
    /// The buyer's communication of an omitted or wrong invoice.
    BuyerCommunication {
        /// `TipoDocumento`.
        tipo: String,
    },
    /// A document type the importer does not collect.
    UnknownType {
        /// `TipoDocumento`.
        tipo: String,
    },
    /// The same invoice twice in one file.
    Twice {
        /// `numero/anno`.
        invoice: String,
    },
    /// Already stored with other figures; left unchanged.
    Differs {
        /// The stored total, EUR.
        total_eur: Decimal,
        /// The stored amount due, EUR.
        due_eur: Decimal,
        /// The file's total, EUR.
        new_total_eur: Decimal,
        /// The file's amount due, EUR.
        new_due_eur: Decimal,
    },
    /// `DatiPagamento` asks another amount than the document's figures give; it is used.
    DueMismatch {
        /// What `DatiPagamento` asks, EUR.
        asked_eur: Decimal,
        /// What the figures give, EUR.
        computed_eur: Decimal,
    },
    /// A credit note reduced an invoice.
    CreditApplied {
        /// The credit, EUR.
        amount_eur: Decimal,
        /// The invoice reduced, `numero/anno`.
        invoice: String,
        /// Its amount due before, EUR.
        due_before_eur: Decimal,
    },
    /// A credit note applied before.
    CreditAlreadyApplied {
        /// The invoice it reduced, `numero/anno`.
        invoice: String,
    },
    /// A credit note naming no imported invoice.
    CreditNoTarget {
        /// `TipoDocumento`.
        tipo: String,
    },
    /// A file of an archive that is an SDI receipt or metadata.
    SdiMessage,
    /// A file of an archive that is not a FatturaPA file.
    NotFatturaFile,
}

/// What happened to one document of a file.
#[derive(Debug, serde::Serialize)]
pub struct DocumentResult {
    /// `numero/anno`.
    pub invoice: String,
    /// `TipoDocumento`.
    pub tipo_documento: String,
    /// `imported`, `would_import`, `already_present`, `already_present_differs`, `skipped`,
    /// `credit_applied`.
    pub outcome: &'static str,
    /// The amount due, for invoices to collect.
    pub due_eur: Option<Decimal>,
    /// Why it was skipped, or what differs, or a warning.
    pub message: Option<String>,
    /// The same, as data.
    #[serde(skip)]
    pub why: Option<ImportNote>,
}

/// What happened to one file.
#[derive(Debug, serde::Serialize)]
pub struct FileResult {
    /// The file name.
    pub file: String,
    /// `imported` (stored or already present), `skipped` (nothing to collect), `refused`,
    /// `ignored` (an SDI receipt or another file of an archive).
    pub status: &'static str,
    /// Why the file was refused.
    pub reason: Option<String>,
    /// Why a file of an archive was ignored.
    pub note: Option<String>,
    /// Who signed a `.p7m` file (its content digest checked).
    pub signer: Option<Signer>,
    /// One entry per document.
    pub documents: Vec<DocumentResult>,
    /// Why it was refused or ignored, as data.
    #[serde(skip)]
    pub why: Option<ImportNote>,
}

/// A file refused whole, with the reason in English and as data.
pub fn refused(file: String, reason: String, why: ImportNote) -> FileResult {
    FileResult {
        file,
        status: "refused",
        reason: Some(reason),
        note: None,
        signer: None,
        documents: Vec::new(),
        why: Some(why),
    }
}

/// Imports one uploaded or read file by its name and bytes: a `.zip` archive file by file, any
/// other as one FatturaPA file (`.xml` or `.xml.p7m`). The caller has already kept the bytes within
/// [`crate::fatturapa::MAX_ARCHIVE_BYTES`] for archives and [`crate::fatturapa::MAX_FATTURA_BYTES`]
/// for other files.
pub async fn import_named(
    store: &Store,
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Vec<FileResult>, StoreError> {
    if name.to_ascii_lowercase().ends_with(".zip") {
        return import_archive(store, name, bytes, options).await;
    }
    if is_zip(bytes) {
        return Ok(vec![refused(
            name.to_string(),
            format!("{name}: a zip archive must be named *.zip to be unpacked"),
            ImportNote::ZipNotNamedZip,
        )]);
    }
    Ok(vec![import_file(store, bytes, name, options).await?])
}

/// Imports every FatturaPA file of a `.zip` archive, each as its own file (`archive.zip/name`);
/// SDI receipts and metadata are listed as ignored. An archive over the limits is refused whole.
async fn import_archive(
    store: &Store,
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Vec<FileResult>, StoreError> {
    let entries = match unpack_zip(bytes, name) {
        Ok(entries) => entries,
        Err(e) => return Ok(vec![refused(name.to_string(), e.to_string(), ImportNote::Parse(e))]),
    };
    let mut results = Vec::new();
    for entry in entries {
        match entry {
            ArchiveEntry::Invoice { name: inner, bytes } => {
                let full = format!("{name}/{inner}");
                results.push(import_file(store, &bytes, &full, options).await?);
            }
            ArchiveEntry::Ignored {
                name: inner,
                reason,
                sdi_message,
            } => results.push(FileResult {
                file: format!("{name}/{inner}"),
                status: "ignored",
                reason: None,
                note: Some(reason),
                signer: None,
                documents: Vec::new(),
                why: Some(if sdi_message {
                    ImportNote::SdiMessage
                } else {
                    ImportNote::NotFatturaFile
                }),
            }),
        }
    }
    Ok(results)
}

fn skipped(inv: &ImportedInvoice, (message, why): (String, ImportNote)) -> DocumentResult {
    DocumentResult {
        invoice: format!("{}/{}", inv.numero, inv.anno),
        tipo_documento: inv.tipo_documento.clone(),
        outcome: "skipped",
        due_eur: None,
        message: Some(message),
        why: Some(why),
    }
}

/// Why a document is not collected, or `None` for an invoice to collect.
fn skip_reason(inv: &ImportedInvoice, merchant_vat_id: Option<&str>) -> Option<(String, ImportNote)> {
    let tipo = &inv.tipo_documento;
    if let Some(own) = merchant_vat_id {
        if inv.cliente.piva.as_deref() == Some(own) && inv.cedente_piva != own {
            return Some((
                format!(
                    "purchase invoice: the merchant ({own}, shop_vat_number) is the CessionarioCommittente; \
                     only the merchant's own invoices are collected"
                ),
                ImportNote::PurchaseInvoice { own: own.to_string() },
            ));
        }
    }
    let tipo_owned = tipo.clone();
    match inv.kind() {
        DocumentKind::Collectible | DocumentKind::CreditNote => None,
        DocumentKind::SelfInvoice => Some((
            format!(
                "{tipo} is a self-invoice or reverse-charge integration (autofattura): nothing is collected from a client"
            ),
            ImportNote::SelfInvoice { tipo: tipo_owned },
        )),
        DocumentKind::BuyerCommunication => Some((
            format!(
                "{tipo} is the buyer's communication of an invoice its supplier omitted or got wrong: nothing is collected"
            ),
            ImportNote::BuyerCommunication { tipo: tipo_owned },
        )),
        DocumentKind::Unknown => Some((
            format!("{tipo} is not a document type this importer collects"),
            ImportNote::UnknownType { tipo: tipo_owned },
        )),
    }
}

/// Parses one file and stores its invoices in one transaction (or, with `--dry-run`, says what
/// would be stored).
async fn import_file(
    store: &Store,
    bytes: &[u8],
    name: &str,
    options: &ImportOptions,
) -> Result<FileResult, StoreError> {
    let (invoices, signer) = match parse_fattura_file(bytes, name) {
        Ok(parsed) => (parsed.invoices, parsed.signer),
        Err(e) => return Ok(refused(name.to_string(), e.to_string(), ImportNote::Parse(e))),
    };
    let mut documents = Vec::new();
    let mut batch: Vec<(NewFattura, DueDetail, FatturaBreakdown)> = Vec::new();
    let mut credit_notes = Vec::new();
    for inv in &invoices {
        if let Some(reason) = skip_reason(inv, options.merchant_vat_id.as_deref()) {
            documents.push(skipped(inv, reason));
            continue;
        }
        if inv.kind() == DocumentKind::CreditNote {
            credit_notes.push(inv);
            continue;
        }
        let due = inv.amount_due_eur();
        if due <= Decimal::ZERO {
            return Ok(refused(
                name.to_string(),
                format!(
                    "{name}: invoice {}/{} ({}) has an amount due of {due} EUR: a document total cannot be negative \
                     or zero for an invoice to collect (a credit note is TD04/TD08)",
                    inv.numero, inv.anno, inv.tipo_documento
                ),
                ImportNote::NothingDue {
                    invoice: format!("{}/{}", inv.numero, inv.anno),
                    tipo: inv.tipo_documento.clone(),
                    due_eur: due,
                },
            ));
        }
        let new = to_new_fattura(inv, name);
        if batch.iter().any(|(b, _, _)| {
            b.numero == new.numero && b.data.year() == new.data.year() && b.cedente_piva == new.cedente_piva
        }) {
            documents.push(skipped(
                inv,
                (
                    format!(
                        "the file carries invoice {}/{} twice: stored once",
                        inv.numero, inv.anno
                    ),
                    ImportNote::Twice {
                        invoice: format!("{}/{}", inv.numero, inv.anno),
                    },
                ),
            ));
            continue;
        }
        let mut detail = inv.due_detail();
        detail.signed_by = signer.clone();
        let breakdown = FatturaBreakdown {
            lines: inv.lines.clone(),
            vat_summary: inv.vat_summary.clone(),
        };
        batch.push((new, detail, breakdown));
    }
    let mut stored = Vec::new();
    for (new, _, _) in &batch {
        stored.push(
            store
                .fattura_by_key(&new.numero, new.data.year(), &new.cedente_piva)
                .await?,
        );
    }
    let notes: Vec<CreditNote> = credit_notes
        .iter()
        .map(|note| CreditNote {
            label: format!("{}/{}", note.numero, note.anno),
            cedente_piva: note.cedente_piva.clone(),
            collegate: note.collegate.clone(),
            amount_eur: note.amount_due_eur().abs(),
        })
        .collect();
    let done = store
        .import_file_documents(&batch, &notes, now_secs(), options.dry_run)
        .await?;
    let ids = done.ids;
    for ((new, _, _), id) in batch.iter().zip(&ids) {
        let email = invoices
            .iter()
            .find(|i| i.numero == new.numero && i.anno == new.data.year())
            .and_then(|i| i.cliente.email.as_deref());
        if let (false, Some(id), Some(email)) = (options.dry_run, id, email) {
            store.set_fattura_client_email(*id, email).await?;
        }
    }
    for (index, ((new, detail, _), existing)) in batch.iter().zip(stored).enumerate() {
        let label = format!("{}/{}", new.numero, new.data.year());
        let source = invoices
            .iter()
            .find(|i| i.numero == new.numero && i.anno == new.data.year());
        let tipo = source.map(|i| i.tipo_documento.clone()).unwrap_or_default();
        // The warning of a `DatiPagamento` that disagrees with the figures, as data.
        let mismatch = source.and_then(|i| {
            let asked_eur = i.importo_pagamento_eur?;
            let computed_eur = i.computed_due_eur();
            (asked_eur != computed_eur).then_some(ImportNote::DueMismatch {
                asked_eur,
                computed_eur,
            })
        });
        let warned = || (detail.warning.clone(), detail.warning.as_ref().and(mismatch.clone()));
        let (outcome, (message, why)) = match existing {
            Some(old) if old.totale_eur != new.totale_eur || old.due_eur != new.due_eur && old.due_detail.as_ref().is_none_or(|d| d.credit_notes.is_empty()) => (
                "already_present_differs",
                (
                    Some(format!(
                        "already stored with total {} EUR and due {} EUR; this file says total {} EUR and due {} EUR: left unchanged, check which is right",
                        old.totale_eur, old.due_eur, new.totale_eur, new.due_eur
                    )),
                    Some(ImportNote::Differs {
                        total_eur: old.totale_eur,
                        due_eur: old.due_eur,
                        new_total_eur: new.totale_eur,
                        new_due_eur: new.due_eur,
                    }),
                ),
            ),
            Some(_) => ("already_present", (None, None)),
            None if options.dry_run => ("would_import", warned()),
            None => match ids.get(index) {
                Some(Some(_)) => ("imported", warned()),
                _ => ("already_present", (None, None)),
            },
        };
        documents.push(DocumentResult {
            invoice: label,
            tipo_documento: tipo,
            outcome,
            due_eur: Some(new.due_eur),
            message,
            why,
        });
    }
    for ((note, applied), credit) in credit_notes.iter().zip(&notes).zip(done.credits) {
        documents.push(credit_result(note, applied, credit));
    }
    let status = if documents.iter().any(|d| {
        matches!(
            d.outcome,
            "imported" | "would_import" | "already_present" | "already_present_differs" | "credit_applied"
        )
    }) {
        "imported"
    } else {
        "skipped"
    };
    Ok(FileResult {
        file: name.to_string(),
        status,
        reason: None,
        note: None,
        signer,
        documents,
        why: None,
    })
}

/// What a credit note (TD04/TD08) did: reduced the invoice it names in `DatiFattureCollegate`
/// (same seller), or nothing.
fn credit_result(note: &ImportedInvoice, applied: &CreditNote, outcome: CreditOutcome) -> DocumentResult {
    match outcome {
        CreditOutcome::Applied {
            numero,
            anno,
            due_before_eur,
        } => DocumentResult {
            invoice: applied.label.clone(),
            tipo_documento: note.tipo_documento.clone(),
            outcome: "credit_applied",
            due_eur: None,
            message: Some(format!(
                "credit note of {} EUR reduces invoice {numero}/{anno} (due {due_before_eur} EUR before)",
                applied.amount_eur
            )),
            why: Some(ImportNote::CreditApplied {
                amount_eur: applied.amount_eur,
                invoice: format!("{numero}/{anno}"),
                due_before_eur,
            }),
        },
        CreditOutcome::AlreadyApplied { numero, anno } => skipped(
            note,
            (
                format!("credit note already applied to invoice {numero}/{anno}"),
                ImportNote::CreditAlreadyApplied {
                    invoice: format!("{numero}/{anno}"),
                },
            ),
        ),
        CreditOutcome::NoTarget => skipped(
            note,
            (
                format!(
                    "credit note ({}) names no imported invoice in DatiFattureCollegate: nothing to collect",
                    note.tipo_documento
                ),
                ImportNote::CreditNoTarget {
                    tipo: note.tipo_documento.clone(),
                },
            ),
        ),
    }
}
