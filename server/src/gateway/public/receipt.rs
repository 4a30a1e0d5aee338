//! A POS sale's receipt for the customer, `/r/{token}` (issue 36): server-rendered from the same
//! lines as the printed receipt, in Italian or English by the browser's language, with the public
//! pages' strict CSP and per-address page limit, its own 80 mm print stylesheet, and nothing of
//! the staff side. A token that opens no paid sale answers exactly what any unknown path answers.

use std::collections::HashMap;

use app::i18n::{text_in, Lang};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{escape, other};
use super::{asset, client_ip, html, not_found, page_lang, too_many, PublicState};
use crate::gateway::listener::ClientAddr;
use crate::render::{receipt_lines, Receipt, ReceiptLine};

/// The receipt's stylesheet (screen and 80 mm print).
const RECEIPT_CSS: &str = include_str!("receipt.css");

/// `GET /r/{token}`.
pub(super) async fn receipt_page(
    State(state): State<PublicState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let lang = page_lang(&query, request.headers());
    let ip = client_ip(request.extensions().get::<ConnectInfo<ClientAddr>>());
    if !state.limits.page(ip) {
        return too_many(lang);
    }
    let shop = state.settings.current().receipt_shop();
    match state.counter.receipt_for_token(&token, &shop).await {
        Ok(Some(receipt)) => {
            let print_now = query.get("print").is_some_and(|v| v == "1");
            html(StatusCode::OK, render(&receipt, lang, &token, print_now))
        }
        Ok(None) => not_found(),
        Err(error) => {
            tracing::warn!("receipt page: {error}");
            let mut response = html(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "<!doctype html><meta charset=\"utf-8\"><p>{}</p>",
                    escape(text_in(lang, "receipt.unavailable"))
                ),
            );
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("60"),
            );
            response
        }
    }
}

/// `GET /pay-assets/receipt.css`.
pub(super) async fn style() -> Response {
    asset("text/css; charset=utf-8", RECEIPT_CSS)
}

/// A label and its value on one row.
fn row(class: &str, label: &str, value: &str) -> String {
    format!(
        "<p class=\"row{class}\"><span>{}</span><span>{}</span></p>",
        escape(label),
        escape(value)
    )
}

/// The receipt page's HTML.
fn render(receipt: &Receipt, lang: Lang, token: &str, print_now: bool) -> String {
    let switch = other(lang);
    let mut body = format!(
        "<nav aria-label=\"{}\"><a href=\"/r/{}?lang={}\" hreflang=\"{}\" lang=\"{}\">{}</a></nav><main id=\"receipt\">",
        escape(text_in(lang, "pay.language")),
        escape(token),
        switch.tag(),
        switch.tag(),
        switch.tag(),
        if switch == Lang::It { "Italiano" } else { "English" }
    );
    for line in receipt_lines(receipt, lang) {
        body.push_str(&match line {
            ReceiptLine::Title(text) => format!("<h1 id=\"shop\">{}</h1>", escape(&text)),
            ReceiptLine::Centered(text) => format!("<p class=\"center\">{}</p>", escape(&text)),
            ReceiptLine::Field(label, value) => row("", &label, &value),
            ReceiptLine::Total(label, value) => row(" total\" id=\"total", &label, &value),
            ReceiptLine::Wrapped(text) => format!("<p class=\"mono\">{}</p>", escape(&text)),
            ReceiptLine::Rule => "<hr>".to_string(),
        });
    }
    body.push_str(&format!(
        "</main><p class=\"actions\"><button type=\"button\" data-print=\"1\">{}</button></p>",
        escape(text_in(lang, "receipt.print"))
    ));
    let title = escape(text_in(lang, "receipt.title"));
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/pay-assets/receipt.css\"><script src=\"/pay-assets/pay.js\" defer></script>\
         </head><body class=\"receipt\"{}>{body}</body></html>",
        lang.tag(),
        if print_now { " data-autoprint=\"1\"" } else { "" }
    )
}
