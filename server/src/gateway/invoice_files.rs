//! The back office's invoice files, on plain admin-only routes (server functions take at most
//! [`super::routes::MAX_REQUEST_BODY_BYTES`]): FatturaPA uploads (`POST
//! /api/admin/fatture/import?name=FILE`, the file as the raw body, one file per request, through
//! the same import service and parser as `openfatture invoice import`) and the courtesy copy PDF
//! (`GET /api/admin/invoices/{id}/courtesy.pdf`). Also the "add invoice by hand" form's checks.

use std::sync::LazyLock;

use app::auth::Role;
use app::model::{ImportedDocumentView, ImportedFileView, NewFatturaForm};
use app::{AppError, Refusal};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::NaiveDate;
use futures::StreamExt;
use rust_decimal::Decimal;

use super::guard::RequestAuth;
use super::state::GatewayState;
use crate::config::Settings;
use crate::fatturapa::{FatturaPaError, MAX_FATTURA_BYTES};
use crate::invoices::{import_named, refused, FileResult, ImportNote, ImportOptions, ManualFattura};

/// Uploads read into memory at once; more wait their turn, so uploads never hold more than
/// this many times [`MAX_FATTURA_BYTES`] (the total cap).
const CONCURRENT_UPLOADS: usize = 4;
/// Longest file name accepted, characters.
const MAX_FILE_NAME_CHARS: usize = 200;

static UPLOAD_TURNS: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(CONCURRENT_UPLOADS));

/// The query of an upload.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct UploadQuery {
    /// The file's name (`.xml`, `.xml.p7m` or `.zip` say how it is read).
    #[serde(default)]
    name: String,
}

/// The page's view of one file's import.
fn file_view(result: FileResult) -> ImportedFileView {
    ImportedFileView {
        file: result.file,
        status: result.status.to_string(),
        reason: result.why.as_ref().map(note_refusal),
        documents: result
            .documents
            .into_iter()
            .map(|d| ImportedDocumentView {
                invoice: d.invoice,
                tipo_documento: d.tipo_documento,
                outcome: d.outcome.to_string(),
                due_eur: d.due_eur.map(|v| format!("{v:.2}")).unwrap_or_default(),
                note: d.why.as_ref().map(note_refusal),
            })
            .collect(),
    }
}

/// An importer's note as a catalogue code (`import.*`) with its values; the English words
/// (`openfatture invoice import`'s) are not sent.
fn note_refusal(note: &ImportNote) -> Refusal {
    let eur = |value: &Decimal| format!("{value:.2}");
    match note {
        ImportNote::Parse(error) => parse_refusal(error),
        ImportNote::ZipNotNamedZip => Refusal::code("import.zip_name"),
        ImportNote::TooLarge => Refusal::new(
            "invoices.upload.too_large",
            &[("max", &(MAX_FATTURA_BYTES / (1024 * 1024)).to_string())],
        ),
        ImportNote::Unreadable => Refusal::code("import.unreadable"),
        ImportNote::NothingDue { invoice, tipo, due_eur } => Refusal::new(
            "import.nothing_due",
            &[("invoice", invoice), ("tipo", tipo), ("due_eur", &eur(due_eur))],
        ),
        ImportNote::PurchaseInvoice { own } => Refusal::new("import.purchase", &[("own", own)]),
        ImportNote::SelfInvoice { tipo } => Refusal::new("import.self_invoice", &[("tipo", tipo)]),
        ImportNote::BuyerCommunication { tipo } => Refusal::new("import.buyer_communication", &[("tipo", tipo)]),
        ImportNote::UnknownType { tipo } => Refusal::new("import.unknown_type", &[("tipo", tipo)]),
        ImportNote::Twice { invoice } => Refusal::new("import.twice", &[("invoice", invoice)]),
        ImportNote::Differs {
            total_eur,
            due_eur,
            new_total_eur,
            new_due_eur,
        } => Refusal::new(
            "import.differs",
            &[
                ("total_eur", &eur(total_eur)),
                ("due_eur", &eur(due_eur)),
                ("new_total_eur", &eur(new_total_eur)),
                ("new_due_eur", &eur(new_due_eur)),
            ],
        ),
        ImportNote::DueMismatch {
            asked_eur,
            computed_eur,
        } => Refusal::new(
            "import.due_mismatch",
            &[("asked_eur", &eur(asked_eur)), ("computed_eur", &eur(computed_eur))],
        ),
        ImportNote::CreditApplied {
            amount_eur,
            invoice,
            due_before_eur,
        } => Refusal::new(
            "import.credit_applied",
            &[
                ("amount_eur", &eur(amount_eur)),
                ("invoice", invoice),
                ("due_before_eur", &eur(due_before_eur)),
            ],
        ),
        ImportNote::CreditAlreadyApplied { invoice } => {
            Refusal::new("import.credit_already_applied", &[("invoice", invoice)])
        }
        ImportNote::CreditNoTarget { tipo } => Refusal::new("import.credit_no_target", &[("tipo", tipo)]),
        ImportNote::SdiMessage => Refusal::code("import.sdi_message"),
        ImportNote::NotFatturaFile => Refusal::code("import.not_fattura_file"),
    }
}

/// Why the parser refused a file, as a catalogue code (`import.parse.*`) naming the place (element
/// path, line) and the value; the parser's own English detail is not sent.
fn parse_refusal(error: &FatturaPaError) -> Refusal {
    use FatturaPaError as E;
    let n = |value: &usize| value.to_string();
    match error {
        E::TooLarge { .. } => Refusal::new(
            "invoices.upload.too_large",
            &[("max", &(MAX_FATTURA_BYTES / (1024 * 1024)).to_string())],
        ),
        E::Empty { .. } => Refusal::code("import.parse.empty"),
        E::SignedP7m { .. } => Refusal::code("import.parse.signed_as_xml"),
        E::BadSignature { .. } => Refusal::code("import.parse.bad_signature"),
        E::BadArchive { .. } => Refusal::code("import.parse.bad_archive"),
        E::UnsupportedEncoding { encoding, .. } => Refusal::new("import.parse.encoding", &[("encoding", encoding)]),
        E::NotUtf8 { line, column, .. } => {
            Refusal::new("import.parse.not_utf8", &[("line", &n(line)), ("column", &n(column))])
        }
        E::DoctypeRejected { line, .. } => Refusal::new("import.parse.doctype", &[("line", &n(line))]),
        E::Malformed { line, column, .. } => {
            Refusal::new("import.parse.malformed", &[("line", &n(line)), ("column", &n(column))])
        }
        E::Truncated { line, .. } => Refusal::new("import.parse.truncated", &[("line", &n(line))]),
        E::TooDeep { line, .. } | E::TooManyElements { line, .. } => {
            Refusal::new("import.parse.not_an_invoice_shape", &[("line", &n(line))])
        }
        E::NotFatturaPa { root, .. } => Refusal::new("import.parse.not_fatturapa", &[("root", root)]),
        E::UnsupportedVersione { found, .. } => Refusal::new("import.parse.versione", &[("found", found)]),
        E::Missing { path, .. } => Refusal::new("import.parse.missing", &[("path", path)]),
        E::Duplicate { path, count, line, .. } => Refusal::new(
            "import.parse.duplicate",
            &[("path", path), ("count", &n(count)), ("line", &n(line))],
        ),
        E::InvalidDate { path, value, line, .. } => Refusal::new(
            "import.parse.date",
            &[("path", path), ("value", value), ("line", &n(line))],
        ),
        E::InvalidDecimal { path, value, line, .. } => Refusal::new(
            "import.parse.decimal",
            &[("path", path), ("value", value), ("line", &n(line))],
        ),
        E::UnsupportedCurrency { path, divisa, line, .. } => Refusal::new(
            "import.parse.currency",
            &[("path", path), ("divisa", divisa), ("line", &n(line))],
        ),
        E::InvalidValue { path, value, line, .. } => Refusal::new(
            "import.parse.value",
            &[("path", path), ("value", value), ("line", &n(line))],
        ),
    }
}

/// A JSON answer with `status`.
fn json(status: StatusCode, files: &[ImportedFileView]) -> Response {
    (status, axum::Json(files)).into_response()
}

/// `POST /api/admin/fatture/import?name=FILE`: imports one FatturaPA file (the raw body) like
/// `openfatture invoice import` and answers its per-file results as JSON: 200 when nothing was
/// refused, 422 when the file was refused (nothing of it stored), 413 over [`MAX_FATTURA_BYTES`]
/// (nothing stored). Admin only (401 signed out, 403 another role); the same-origin guard
/// refuses cross-site posts.
pub(crate) async fn import_upload(
    State(state): State<GatewayState>,
    Extension(auth): Extension<RequestAuth>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Response {
    if let Some(refusal) = auth.refusal(Role::Admin) {
        return refusal;
    }
    let name = query.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_FILE_NAME_CHARS || name.contains(['/', '\\']) {
        return (
            StatusCode::BAD_REQUEST,
            format!("name the file in ?name=, e.g. ?name=IT01234567890_00001.xml (at most {MAX_FILE_NAME_CHARS} characters, no folders)\n"),
        )
            .into_response();
    }
    let too_large = |name: &str| {
        let view = file_view(refused(
            name.to_string(),
            format!("{name}: larger than the {MAX_FATTURA_BYTES} bytes a FatturaPA file may have; check that this is the right file"),
            ImportNote::TooLarge,
        ));
        json(StatusCode::PAYLOAD_TOO_LARGE, &[view])
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_FATTURA_BYTES as u64) {
        return too_large(&name);
    }
    let Ok(_turn) = UPLOAD_TURNS.acquire().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the gateway is shutting down\n").into_response();
    };
    let mut chunks = request.into_body().into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let Ok(chunk) = chunk else {
            return (StatusCode::BAD_REQUEST, "the upload broke off: send the file again\n").into_response();
        };
        if bytes.len() + chunk.len() > MAX_FATTURA_BYTES {
            return too_large(&name);
        }
        bytes.extend_from_slice(&chunk);
    }
    let options = ImportOptions {
        dry_run: false,
        merchant_vat_id: state.settings.current().merchant_vat_id(),
    };
    match import_named(&state.store, &name, &bytes, &options).await {
        Ok(results) => {
            let views: Vec<ImportedFileView> = results.into_iter().map(file_view).collect();
            let status = if views.iter().any(|v| v.status == "refused") {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            json(status, &views)
        }
        Err(e) => {
            tracing::error!("import of an uploaded file failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the gateway cannot write its database; nothing was imported, try again\n",
            )
                .into_response()
        }
    }
}

/// `public_base_url`, or the refusal saying to set it (the link must open for the client).
pub(crate) fn public_base_url(settings: &Settings) -> Result<&str, AppError> {
    settings
        .public_base_url
        .as_deref()
        .ok_or_else(|| AppError::Unavailable(Refusal::code("error.share.no_public_base_url")))
}

/// `GET /api/admin/invoices/{id}/courtesy.pdf`: the courtesy copy of Lightning invoice `id` as a
/// PDF download. Its QR code and link are a new payment link: the link before it stops working.
/// Admin only.
pub(crate) async fn courtesy_pdf(
    State(state): State<GatewayState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = auth.refusal(Role::Admin) {
        return refusal;
    }
    let settings = state.settings.current();
    let base_url = match public_base_url(&settings) {
        Ok(base_url) => base_url,
        Err(e) => return (StatusCode::CONFLICT, format!("{e}\n")).into_response(),
    };
    let copy = match state
        .public
        .links
        .courtesy_copy(id.trim(), settings.seller(), base_url)
        .await
    {
        Ok(copy) => copy,
        Err(e) => {
            let error = AppError::from(e);
            let status = super::web_error::status_of(&error);
            return (status, format!("{error}\n")).into_response();
        }
    };
    let file = format!("fattura-{}.pdf", safe_file_part(&copy.numero));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=\"fattura.pdf\""));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        copy.pdf,
    )
        .into_response()
}

/// `text` with only letters, digits, `-`, `_` and `.` (others become `-`), for a file name.
fn safe_file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The catalogue's text `key` in `lang` with its `{name}` values filled.
fn word(key: &str, values: &[(&str, &str)]) -> Refusal {
    Refusal::new(key, values)
}

/// The back office's "add invoice" form as the shared service takes it, or the refusal in
/// `lang`: the date `YYYY-MM-DD` ('' today), the amount read by the app's one amount parser,
/// the tax id as a P.IVA (11 digits, `IT` optional) or a codice fiscale (16 letters and digits).
pub(crate) fn manual_fattura(form: &NewFatturaForm) -> Result<ManualFattura, AppError> {
    let date = form.data.trim();
    let data = if date.is_empty() {
        chrono::Utc::now().date_naive()
    } else {
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| AppError::Invalid(word("invoices.add.refusal.bad_date", &[("date", date)])))?
    };
    let cents = app::model::parse_amount_cents(form.amount_eur.trim())
        .map_err(|e| AppError::Invalid(app::i18n::amount_refusal(&e)))?;
    let tax_id = form.client_tax_id.trim().to_ascii_uppercase();
    let (client_piva, client_cf) = if tax_id.is_empty() {
        (None, None)
    } else {
        let digits = tax_id.strip_prefix("IT").unwrap_or(&tax_id);
        if digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()) {
            (Some(digits.to_string()), None)
        } else if tax_id.len() == 16 && tax_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            (None, Some(tax_id.clone()))
        } else {
            return Err(AppError::Invalid(word(
                "invoices.add.refusal.bad_tax_id",
                &[("value", form.client_tax_id.trim())],
            )));
        }
    };
    for text in [&form.numero, &form.client, &form.description] {
        app::model::check_free_text(app::model::TextField::Description, text)
            .map_err(|e| AppError::Invalid(super::web_error::text_refusal(&e)))?;
    }
    Ok(ManualFattura {
        numero: form.numero.clone(),
        data,
        client: form.client.clone(),
        client_piva,
        client_cf,
        description: form.description.clone(),
        total_eur: Decimal::from(cents) / Decimal::ONE_HUNDRED,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use app::i18n::Lang;

    use super::*;

    /// One note of every kind, with the parser's refusals among them.
    fn every_note() -> Vec<ImportNote> {
        let file = || "f.xml".to_string();
        let path = || "FatturaElettronicaBody/DatiGenerali/DatiGeneraliDocumento/Data".to_string();
        let parse = [
            FatturaPaError::TooLarge {
                file: file(),
                size_bytes: 20_000_000,
                max_bytes: MAX_FATTURA_BYTES,
            },
            FatturaPaError::Empty { file: file() },
            FatturaPaError::SignedP7m { file: file() },
            FatturaPaError::BadSignature {
                file: file(),
                reason: "bad DER".into(),
            },
            FatturaPaError::BadArchive {
                file: file(),
                reason: "zip bomb".into(),
            },
            FatturaPaError::UnsupportedEncoding {
                file: file(),
                encoding: "ISO-8859-1".into(),
            },
            FatturaPaError::NotUtf8 {
                file: file(),
                byte_offset: 9,
                line: 2,
                column: 3,
            },
            FatturaPaError::DoctypeRejected {
                file: file(),
                line: 2,
                column: 1,
            },
            FatturaPaError::Malformed {
                file: file(),
                line: 4,
                column: 5,
                byte_offset: 80,
                detail: "unexpected </a>".into(),
            },
            FatturaPaError::Truncated {
                file: file(),
                line: 9,
                column: 1,
                byte_offset: 200,
                detail: "eof".into(),
            },
            FatturaPaError::TooDeep {
                file: file(),
                max_depth: 64,
                line: 70,
            },
            FatturaPaError::TooManyElements {
                file: file(),
                max_elements: 100_000,
                line: 9000,
            },
            FatturaPaError::NotFatturaPa {
                file: file(),
                root: "html".into(),
            },
            FatturaPaError::UnsupportedVersione {
                file: file(),
                found: "FPA11".into(),
            },
            FatturaPaError::Missing {
                file: file(),
                path: path(),
            },
            FatturaPaError::Duplicate {
                file: file(),
                path: path(),
                count: 2,
                line: 12,
            },
            FatturaPaError::InvalidDate {
                file: file(),
                path: path(),
                value: "2026-13-01".into(),
                line: 12,
                reason: "month".into(),
            },
            FatturaPaError::InvalidDecimal {
                file: file(),
                path: path(),
                value: "1,5".into(),
                line: 12,
                reason: "comma".into(),
            },
            FatturaPaError::UnsupportedCurrency {
                file: file(),
                path: path(),
                divisa: "USD".into(),
                line: 12,
            },
            FatturaPaError::InvalidValue {
                file: file(),
                path: path(),
                value: "TD99".into(),
                line: 12,
                reason: "code".into(),
            },
        ];
        let eur = |cents: i64| Decimal::new(cents, 2);
        let mut notes: Vec<ImportNote> = parse.into_iter().map(ImportNote::Parse).collect();
        notes.extend([
            ImportNote::ZipNotNamedZip,
            ImportNote::TooLarge,
            ImportNote::Unreadable,
            ImportNote::NothingDue {
                invoice: "1/2026".into(),
                tipo: "TD01".into(),
                due_eur: eur(0),
            },
            ImportNote::PurchaseInvoice {
                own: "IT01234567897".into(),
            },
            ImportNote::SelfInvoice { tipo: "TD17".into() },
            ImportNote::BuyerCommunication { tipo: "TD29".into() },
            ImportNote::UnknownType { tipo: "TD99".into() },
            ImportNote::Twice {
                invoice: "1/2026".into(),
            },
            ImportNote::Differs {
                total_eur: eur(12_200),
                due_eur: eur(12_200),
                new_total_eur: eur(12_300),
                new_due_eur: eur(12_300),
            },
            ImportNote::DueMismatch {
                asked_eur: eur(100_000),
                computed_eur: eur(80_000),
            },
            ImportNote::CreditApplied {
                amount_eur: eur(2_000),
                invoice: "1/2026".into(),
                due_before_eur: eur(12_200),
            },
            ImportNote::CreditAlreadyApplied {
                invoice: "1/2026".into(),
            },
            ImportNote::CreditNoTarget { tipo: "TD04".into() },
            ImportNote::SdiMessage,
            ImportNote::NotFatturaFile,
        ]);
        notes
    }

    #[test]
    fn every_importer_note_reaches_the_page_as_a_code_worded_in_both_languages() {
        let notes = every_note();
        let mut codes = std::collections::BTreeSet::new();
        for note in &notes {
            let refusal = note_refusal(note);
            let (it, en) = (refusal.text(Lang::It), refusal.text(Lang::En));
            // A missing key words as the key itself; an unfilled value leaves its brace.
            assert_ne!(it, refusal.code, "{note:?}: no Italian text");
            assert_ne!(en, refusal.code, "{note:?}: no English text");
            assert_ne!(it, en, "{note:?}: the Italian page would read English");
            assert!(!it.contains('{') && !en.contains('{'), "{note:?}: {it} / {en}");
            // The parser's own English detail never travels.
            for detail in ["bad DER", "zip bomb", "unexpected </a>", "month", "comma"] {
                assert!(!it.contains(detail) && !en.contains(detail), "{note:?}: {it}");
            }
            codes.insert(refusal.code);
        }
        // Amounts read the Italian way.
        let credit = note_refusal(&notes[notes.len() - 5]).text(Lang::It);
        assert!(credit.contains("20,00") && credit.contains("122,00"), "{credit}");
        // Distinct kinds stay distinct (only the two size refusals and the two shape refusals share).
        assert_eq!(codes.len(), notes.len() - 2, "{codes:?}");
    }
}
