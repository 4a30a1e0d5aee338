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
use crate::fatturapa::MAX_FATTURA_BYTES;
use crate::invoices::{import_named, refused, FileResult, ImportOptions, ManualFattura};

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
        code: String::new(),
        reason: result.reason.or(result.note).unwrap_or_default(),
        documents: result
            .documents
            .into_iter()
            .map(|d| ImportedDocumentView {
                invoice: d.invoice,
                tipo_documento: d.tipo_documento,
                outcome: d.outcome.to_string(),
                due_eur: d.due_eur.map(|v| format!("{v:.2}")).unwrap_or_default(),
                message: d.message.unwrap_or_default(),
            })
            .collect(),
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
        let mut view = file_view(refused(
            name.to_string(),
            format!("{name}: larger than the {MAX_FATTURA_BYTES} bytes a FatturaPA file may have; check that this is the right file"),
        ));
        view.code = "too_large".into();
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
