//! The public pages, outside the staff session: a POS sale's receipt `/r/{token}` (`receipt`),
//! the client's payment page `/pay/{token}`, its
//! live status (`/pay/{token}/events`, SSE carrying only that link's invoices' state changes),
//! its receipt and new quotes (`POST /pay/{token}/quote`, same-origin only by the gateway's
//! Origin/`Sec-Fetch-Site` guard), with their own strict CSP and per-address limits. A token that
//! is not a live link answers exactly what any unknown path answers.

mod limits;
mod page;
mod receipt;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use app::i18n::{text_in, Lang};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use futures::stream::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

pub(crate) use limits::PublicLimits;

use super::listener::ClientAddr;
use crate::invoices::{LinkError, PayTarget};
use crate::store::LinkTarget;

/// The payment page's Content-Security-Policy: its own script, style and images only.
pub(crate) const PAY_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The page's script.
const PAY_JS: &str = include_str!("pay.js");
/// The page's stylesheet.
const PAY_CSS: &str = include_str!("pay.css");
/// Comment lines sent this often keep proxies from closing an idle stream.
const KEEP_ALIVE_SECS: u64 = 15;

/// What the public pages use; nothing of the staff side.
#[derive(Clone)]
pub(crate) struct PublicState {
    /// Payment links: lookups and new quotes.
    pub links: crate::invoices::LinkService,
    /// The counter: POS sales' receipts.
    pub counter: crate::counter::CounterService,
    /// The per-address limits.
    pub limits: std::sync::Arc<PublicLimits>,
    /// The database (which invoice an event is about).
    pub store: crate::store::Store,
    /// New events as they are recorded.
    pub feed: std::sync::Arc<super::feed::EventFeed>,
    /// The settings in force (shop, time zone, `lightning_pay_page_requote`).
    pub settings: crate::config::SettingsHub,
    /// Becomes true when the gateway shuts down: event streams end then.
    pub closing: tokio::sync::watch::Receiver<bool>,
}

/// The public routes over their own state.
pub(crate) fn router<S: Clone + Send + Sync + 'static>(state: PublicState) -> Router<S> {
    Router::new()
        .route("/pay/{token}", get(pay_page))
        .route("/pay/{token}/receipt", get(receipt_page))
        .route("/pay/{token}/events", get(pay_events))
        .route("/pay/{token}/quote", post(new_quote))
        .route("/pay-assets/pay.js", get(script))
        .route("/pay-assets/pay.css", get(style))
        .route("/r/{token}", get(receipt::receipt_page))
        .route("/pay-assets/receipt.css", get(receipt::style))
        .with_state(state)
}

/// The answer to any path nothing serves, and to a token that is not a live link.
pub(crate) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "Not found\n",
    )
        .into_response()
}

/// The address a request came from.
pub(super) fn client_ip(request_ip: Option<&ConnectInfo<ClientAddr>>) -> IpAddr {
    request_ip
        .map(|ConnectInfo(ClientAddr(addr))| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// 429 in the page's language.
pub(super) fn too_many(lang: Lang) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, HeaderValue::from_static("60")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        format!("{}\n", text_in(lang, "pay.error.too_many")),
    )
        .into_response()
}

/// The page's language: `?lang=it|en`, else the first Italian or English tag of
/// `Accept-Language`, else Italian.
pub(super) fn page_lang(query: &HashMap<String, String>, headers: &HeaderMap) -> Lang {
    match query.get("lang").map(String::as_str) {
        Some("it") => return Lang::It,
        Some("en") => return Lang::En,
        _ => {}
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for tag in accept.split(',') {
        let tag = tag.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if tag.starts_with("it") {
            return Lang::It;
        }
        if tag.starts_with("en") {
            return Lang::En;
        }
    }
    Lang::It
}

/// An HTML answer with the page's headers: strict CSP, never cached, never indexed.
pub(super) fn html(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAY_CSP)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (
                header::HeaderName::from_static("x-robots-tag"),
                HeaderValue::from_static("noindex"),
            ),
        ],
        html,
    )
        .into_response()
}

/// A failure behind the page (database, node): 503 without details.
fn unavailable(lang: Lang, error: &LinkError) -> Response {
    tracing::warn!("payment page: {error}");
    let mut response = html(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "<!doctype html><meta charset=\"utf-8\"><p>{}</p>",
            page::escape(text_in(lang, "pay.error.quote"))
        ),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

/// The payee as the page names it: the shop settings, else the fattura's seller.
fn merchant(state: &PublicState, target: &PayTarget) -> page::Merchant {
    let settings = state.settings.current();
    let fattura_vat = target
        .fattura
        .as_ref()
        .map(|f| f.cedente_piva.clone())
        .filter(|v| !v.is_empty());
    page::Merchant {
        name: settings.shop_name.clone(),
        vat_number: settings.shop_vat_number.clone().or(fattura_vat),
        address: settings.shop_address.clone(),
    }
}

/// Renders the page (or the receipt) of live link `token`.
async fn render(state: &PublicState, token: &str, lang: Lang, receipt: bool) -> Result<Option<String>, LinkError> {
    let Some(target) = state.links.open(token).await? else {
        return Ok(None);
    };
    let settings = state.settings.current();
    let merchant = merchant(state, &target);
    let cx = page::PageContext {
        lang,
        token,
        merchant: &merchant,
        timezone: &settings.shop_timezone,
        now_secs: crate::time::now_secs(),
        requote_allowed: settings.lightning_pay_page_requote,
    };
    if receipt {
        if target.invoice.state != crate::store::InvoiceState::Settled {
            return Ok(None);
        }
        return Ok(Some(page::receipt(&target, &cx)));
    }
    Ok(Some(page::render(&target, &cx)))
}

/// `GET /pay/{token}`.
async fn pay_page(
    State(state): State<PublicState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    page_or_receipt(state, token, query, request, false).await
}

/// `GET /pay/{token}/receipt`.
async fn receipt_page(
    State(state): State<PublicState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    page_or_receipt(state, token, query, request, true).await
}

async fn page_or_receipt(
    state: PublicState,
    token: String,
    query: HashMap<String, String>,
    request: Request,
    receipt: bool,
) -> Response {
    let lang = page_lang(&query, request.headers());
    let ip = client_ip(request.extensions().get::<ConnectInfo<ClientAddr>>());
    if !state.limits.page(ip) {
        return too_many(lang);
    }
    match render(&state, &token, lang, receipt).await {
        Ok(Some(body)) => html(StatusCode::OK, body),
        Ok(None) => not_found(),
        Err(e) => unavailable(lang, &e),
    }
}

/// `POST /pay/{token}/quote`: a new invoice for what is still due, then back to the page.
async fn new_quote(
    State(state): State<PublicState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let lang = page_lang(&query, request.headers());
    let ip = client_ip(request.extensions().get::<ConnectInfo<ClientAddr>>());
    if !state.limits.quote(ip) {
        return too_many(lang);
    }
    let allowed = state.settings.current().lightning_pay_page_requote;
    let back = || Redirect::to(&format!("/pay/{token}?lang={}", lang.tag())).into_response();
    match state.links.requote(&token, allowed).await {
        Ok(Some(_)) => back(),
        Ok(None) => not_found(),
        // Nothing to do: the page shows why.
        Err(LinkError::StillPayable | LinkError::NothingDue | LinkError::RequoteOff) => back(),
        Err(e) => unavailable(lang, &e),
    }
}

/// Whether an event about Lightning invoice `ln_invoice_id` concerns `target`, remembering answers.
async fn concerns(
    state: &PublicState,
    target: &LinkTarget,
    ln_invoice_id: &str,
    known: &mut HashMap<String, bool>,
) -> bool {
    match target {
        LinkTarget::LnInvoice(id) => id == ln_invoice_id,
        LinkTarget::Fattura(fattura_id) => {
            if let Some(answer) = known.get(ln_invoice_id) {
                return *answer;
            }
            let answer = match state.store.ln_invoice(ln_invoice_id).await {
                Ok(Some(invoice)) => invoice.fattura_id == Some(*fattura_id),
                _ => false,
            };
            if known.len() < 10_000 {
                known.insert(ln_invoice_id.to_string(), answer);
            }
            answer
        }
    }
}

/// `GET /pay/{token}/events`: one `state` message (naming only the event) whenever an invoice of
/// this link changes; the page then reloads.
async fn pay_events(State(state): State<PublicState>, Path(token): Path<String>, request: Request) -> Response {
    let ip = client_ip(request.extensions().get::<ConnectInfo<ClientAddr>>());
    let lang = page_lang(&HashMap::new(), request.headers());
    let Some(slot) = state.limits.stream(ip) else {
        return too_many(lang);
    };
    // Subscribe first, so a change between the lookup and the subscription is not missed.
    let live = state.feed.subscribe();
    let target = match state.links.live_target(&token).await {
        Ok(Some(target)) => target,
        Ok(None) => return not_found(),
        Err(e) => return unavailable(lang, &e),
    };
    let mut closing = state.closing.clone();
    let closed = async move {
        while !*closing.borrow() {
            if closing.changed().await.is_err() {
                return;
            }
        }
    };
    let cache = std::sync::Arc::new(tokio::sync::Mutex::new(HashMap::new()));
    let events = BroadcastStream::new(live).filter_map(move |item| {
        let (state, target, cache) = (state.clone(), target.clone(), cache.clone());
        async move {
            match item {
                Ok(event) => {
                    let mut known = cache.lock().await;
                    concerns(&state, &target, &event.ln_invoice_id, &mut known)
                        .await
                        .then(|| {
                            SseEvent::default()
                                .event("state")
                                .data(format!("{{\"event\":\"{}\"}}", event.kind))
                        })
                }
                // Missed events: let the page reload and see.
                Err(_lagged) => Some(SseEvent::default().event("state").data("{}")),
            }
        }
    });
    // The slot is held as long as the stream is open.
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<SseEvent, Infallible>> + Send>> = Box::pin(
        events
            .map(move |event| {
                let _open = &slot;
                Ok(event)
            })
            .take_until(closed),
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(KEEP_ALIVE_SECS)))
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /pay-assets/pay.js`.
async fn script() -> Response {
    asset("text/javascript; charset=utf-8", PAY_JS)
}

/// `GET /pay-assets/pay.css`.
async fn style() -> Response {
    asset("text/css; charset=utf-8", PAY_CSS)
}

pub(super) fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        ],
        body,
    )
        .into_response()
}
