//! Bringing EUR invoices into the back office: FatturaPA files (`.xml`, `.xml.p7m`, `.zip`;
//! several at once, by the file picker or drag and drop) sent one by one to the gateway's upload
//! route `POST /api/admin/fatture/import?name=FILE` (server functions take at most 2 MiB), each
//! with its result; and an invoice added by hand (the same service as `openfatture invoice add`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::format;
use crate::i18n::{current_lang, fill, lang, t};
use crate::model::{FatturaView, ImportedDocumentView, ImportedFileView, NewFatturaForm};

/// The upload route (one file per request, its name in `?name=`).
pub const UPLOAD_URL: &str = "/api/admin/fatture/import";
/// The largest file the upload route takes, MiB (the importer's `MAX_FATTURA_BYTES`).
pub const MAX_UPLOAD_MIB: u32 = 16;

/// Adds an EUR invoice typed by hand; refusals in `lang`. Admin. `POST /api/admin_add_fattura`.
#[server(prefix = "/api", endpoint = "admin_add_fattura")]
pub async fn add_fattura(
    /// Invoice number.
    numero: String,
    /// Invoice date, `YYYY-MM-DD` ('' for today).
    data: String,
    /// Client name.
    client: String,
    /// Client P.IVA or codice fiscale ('' when none).
    client_tax_id: String,
    /// Document total, EUR, as typed.
    amount_eur: String,
    /// What the invoice is for.
    description: String,
    /// The page's language (`en`, `it`): refusals are written in it.
    lang: String,
) -> Result<FatturaView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    let form = NewFatturaForm {
        numero,
        data,
        client,
        client_tax_id,
        amount_eur,
        description,
    };
    crate::admin::admin_backend()?
        .add_fattura(crate::i18n::Lang::from_tag(&lang), form)
        .await
}

/// The words of a file's status.
fn status_text(status: &str) -> &'static str {
    match status {
        "imported" => t("invoices.upload.status.imported"),
        "skipped" => t("invoices.upload.status.skipped"),
        "ignored" => t("invoices.upload.status.ignored"),
        _ => t("invoices.upload.status.refused"),
    }
}

/// The words of a document's outcome.
fn outcome_text(outcome: &str) -> &'static str {
    match outcome {
        "imported" => t("invoices.upload.outcome.imported"),
        "already_present" => t("invoices.upload.outcome.already_present"),
        "already_present_differs" => t("invoices.upload.outcome.already_present_differs"),
        "credit_applied" => t("invoices.upload.outcome.credit_applied"),
        _ => t("invoices.upload.outcome.skipped"),
    }
}

/// The upload card: picker, drop zone, and one line per file sent.
#[component]
pub fn UploadCard(
    /// Bumped after an upload so the lists reload.
    version: RwSignal<u32>,
) -> impl IntoView {
    let results = RwSignal::new(Vec::<ImportedFileView>::new());
    let busy = RwSignal::new(0u32);
    let over = RwSignal::new(false);
    let sink = Sink { results, busy, version };
    view! {
        <section class="card admin-page" data-testid="invoice-upload">
            <h2>{move || t("invoices.upload.title")}</h2>
            <p class="muted">{move || fill(t("invoices.upload.help"), &[("max", &MAX_UPLOAD_MIB.to_string())])}</p>
            <div class=move || if over.get() { "drop-zone drop-zone-over" } else { "drop-zone" }
                data-testid="invoice-drop-zone"
                on:dragover=move |ev| { ev.prevent_default(); over.set(true); }
                on:dragleave=move |_| over.set(false)
                on:drop=move |ev| { ev.prevent_default(); over.set(false); browser::upload_dropped(&ev, sink); }>
                <label class="button">
                    <span>{move || t("invoices.upload.choose")}</span>
                    <input type="file" multiple accept=".xml,.p7m,.zip" data-testid="invoice-upload-input"
                        class="visually-hidden"
                        on:change=move |ev| browser::upload_picked(&ev, sink) />
                </label>
                <span class="muted">{move || t("invoices.upload.drop_here")}</span>
            </div>
            {move || (busy.get() > 0).then(|| view! { <p class="muted" data-testid="invoice-upload-busy">{move || t("invoices.upload.sending")}</p> })}
            <ul class="upload-results" data-testid="invoice-upload-results">
                {move || results.get().into_iter().map(|file| view! { <FileLine file /> }).collect_view()}
            </ul>
        </section>
    }
}

/// One file's result.
#[component]
fn FileLine(file: ImportedFileView) -> impl IntoView {
    let status = file.status.clone();
    let status_attr = file.status.clone();
    let ok = status == "imported";
    let reason = file.reason.clone();
    view! {
        <li data-testid="upload-result" data-status=status_attr data-file=file.file.clone()>
            <strong>{file.file.clone()}</strong>" · "
            <span class=if ok { "badge badge-ok" } else { "badge" }>{move || status_text(&status)}</span>
            {reason.map(|reason| view! { <p class="muted" data-testid="upload-reason">{move || reason.text(lang())}</p> })}
            <ul>
                {file.documents.into_iter().map(|d| view! { <DocumentLine doc=d /> }).collect_view()}
            </ul>
        </li>
    }
}

/// One document's result.
#[component]
fn DocumentLine(doc: ImportedDocumentView) -> impl IntoView {
    let outcome = doc.outcome.clone();
    let outcome_attr = doc.outcome.clone();
    let due = doc.due_eur.clone();
    view! {
        <li data-testid="upload-document" data-outcome=outcome_attr>
            {format!("{} ({}) · ", doc.invoice, doc.tipo_documento)}
            {move || outcome_text(&outcome)}
            {(!due.is_empty()).then(|| {
                let due = due.clone();
                view! { " · "{move || format::money(lang(), &due)} }
            })}
            {doc.note.map(|note| view! { <small class="muted" data-testid="upload-note">" · "{move || note.text(lang())}</small> })}
        </li>
    }
}

/// Where upload results go.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "csr"), allow(dead_code))]
struct Sink {
    results: RwSignal<Vec<ImportedFileView>>,
    busy: RwSignal<u32>,
    version: RwSignal<u32>,
}

#[cfg(feature = "csr")]
mod browser {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    use super::{Sink, UPLOAD_URL};
    use crate::model::{ImportedFileView, Refusal};
    use leptos::prelude::*;

    /// The files of a file list, in order.
    fn files(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
        let Some(list) = list else {
            return Vec::new();
        };
        (0..list.length()).filter_map(|i| list.get(i)).collect()
    }

    /// Sends the files chosen in the picker, then clears it (the same file can be chosen again).
    pub(super) fn upload_picked(ev: &web_sys::Event, sink: Sink) {
        let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let chosen = files(input.files());
        input.set_value("");
        upload_all(chosen, sink);
    }

    /// Sends the files dropped on the zone.
    pub(super) fn upload_dropped(ev: &web_sys::DragEvent, sink: Sink) {
        upload_all(files(ev.data_transfer().and_then(|d| d.files())), sink);
    }

    /// Sends each file in turn; each result is shown as it comes.
    fn upload_all(chosen: Vec<web_sys::File>, sink: Sink) {
        if chosen.is_empty() {
            return;
        }
        sink.busy.update(|n| *n += 1);
        leptos::task::spawn_local(async move {
            for file in chosen {
                let name = file.name();
                let views = match upload(&file).await {
                    Ok(views) => views,
                    Err(reason) => vec![ImportedFileView {
                        file: name,
                        status: "refused".into(),
                        reason: Some(reason),
                        documents: Vec::new(),
                    }],
                };
                sink.results.update(|all| {
                    let mut views = views;
                    views.append(all);
                    *all = views;
                });
            }
            sink.busy.update(|n| *n = n.saturating_sub(1));
            sink.version.update(|v| *v += 1);
        });
    }

    /// One file to the upload route: its results, or why there are none (as the gateway said it,
    /// worded by the page).
    async fn upload(file: &web_sys::File) -> Result<Vec<ImportedFileView>, Refusal> {
        let failed = |_| Refusal::code("invoices.upload.failed");
        let window = web_sys::window().ok_or_else(|| Refusal::code("invoices.upload.failed"))?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(file);
        let name = String::from(js_sys::encode_uri_component(&file.name()));
        let url = format!("{UPLOAD_URL}?name={name}");
        let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(failed)?;
        let response: web_sys::Response = response.dyn_into().map_err(failed)?;
        let text = JsFuture::from(response.text().map_err(failed)?)
            .await
            .map_err(failed)?
            .as_string()
            .unwrap_or_default();
        if let Ok(views) = serde_json::from_str::<Vec<ImportedFileView>>(&text) {
            return Ok(views);
        }
        // A refusal of the whole request (signed out, wrong role): the gateway's error as data.
        leptos::logging::warn!("upload refused: HTTP {}: {}", response.status(), text.trim());
        Err(serde_json::from_str::<crate::error::AppError>(&text)
            .ok()
            .and_then(|error| error.refusal().cloned())
            .unwrap_or_else(|| Refusal::code("invoices.upload.failed")))
    }
}

#[cfg(not(feature = "csr"))]
mod browser {
    use super::Sink;

    /// Nothing outside the browser.
    pub(super) fn upload_picked(_ev: &leptos::ev::Event, _sink: Sink) {}
    /// Nothing outside the browser.
    pub(super) fn upload_dropped(_ev: &leptos::ev::DragEvent, _sink: Sink) {}
}

/// The "add an invoice by hand" card.
#[component]
pub fn AddFatturaCard(
    /// Bumped after an add so the lists reload.
    version: RwSignal<u32>,
) -> impl IntoView {
    let form = RwSignal::new(NewFatturaForm::default());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let f = form.get_untracked();
            let added = add_fattura(
                f.numero,
                f.data,
                f.client,
                f.client_tax_id,
                f.amount_eur,
                f.description,
                lang().tag().to_string(),
            );
            match added.await {
                Ok(added) => {
                    message.set(Some(Ok(fill(t("invoices.add.added"), &[("numero", &added.numero)]))));
                    form.set(NewFatturaForm::default());
                    version.update(|v| *v += 1);
                }
                Err(e) => message.set(Some(Err(e.text(current_lang())))),
            }
            busy.set(false);
        });
    };
    let field = move |key: &'static str,
                      testid: &'static str,
                      kind: &'static str,
                      get: fn(&NewFatturaForm) -> String,
                      set: fn(&mut NewFatturaForm, String)| {
        view! {
            <label>
                <span>{move || t(key)}</span>
                <input type=kind data-testid=testid
                    prop:value=move || form.with(get)
                    on:input=move |ev| { let value = event_target_value(&ev); form.update(|f| set(f, value)); } />
            </label>
        }
    };
    view! {
        <section class="card admin-page" data-testid="invoice-add">
            <h2>{move || t("invoices.add.title")}</h2>
            <form class="admin-form" on:submit=submit>
                {field("invoices.add.numero", "add-numero", "text", |f| f.numero.clone(), |f, v| f.numero = v)}
                {field("invoices.add.date", "add-date", "date", |f| f.data.clone(), |f, v| f.data = v)}
                {field("invoices.add.client", "add-client", "text", |f| f.client.clone(), |f, v| f.client = v)}
                {field("invoices.add.tax_id", "add-tax-id", "text", |f| f.client_tax_id.clone(), |f, v| f.client_tax_id = v)}
                {field("invoices.add.amount", "add-amount", "text", |f| f.amount_eur.clone(), |f, v| f.amount_eur = v)}
                {field("invoices.add.description", "add-description", "text", |f| f.description.clone(), |f, v| f.description = v)}
                <div class="admin-actions">
                    <button type="submit" class="button button-primary" data-testid="add-submit" disabled=move || busy.get()>
                        {move || t("invoices.add.submit")}
                    </button>
                </div>
            </form>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="banner" role="status" data-testid="add-done">{text}</p> }.into_any(),
                Err(text) => view! { <p class="banner banner-error" role="alert" data-testid="add-error">{text}</p> }.into_any(),
            })}
        </section>
    }
}
