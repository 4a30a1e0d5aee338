//! `GET /api/events`: the live event stream (Server-Sent Events) the POS screen waits on.
//!
//! Every stored event (`invoice_created`, `payment_received`, …) is sent as an SSE message whose
//! `event:` is the event name, `id:` its sequence number and `data:` the webhook body. A browser
//! that reconnects sends `Last-Event-ID` and first gets what it missed, from the database.
//!
//! Admins get every event in full. Cashiers get only the events of POS sales
//! ([`InvoiceOrigin::Pos`]; once tills exist, only their own till's), with only what the POS screen
//! reads ([`PosEventBody`]: no client, numero, description or payment hash), and a replay of
//! only the last `lightning_pos_expiry_minutes` (a sale older than that cannot be paid any more).

use std::convert::Infallible;
use std::time::Duration;

use app::auth::Role;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use app::model::EventBody;

use super::guard::RequestAuth;
use super::state::GatewayState;
use crate::store::{Event, InvoiceOrigin};

/// Most missed events replayed to a reconnecting browser.
const REPLAY_LIMIT: u32 = 500;
/// Comment lines sent this often keep proxies from closing an idle stream.
const KEEP_ALIVE_SECS: u64 = 15;

/// What a cashier's stream carries of an event: exactly the fields the POS screen reads
/// (`app::live::heard_from_event` decodes it as an [`EventBody`], whose other fields default).
#[derive(Debug, serde::Serialize)]
struct PosEventBody<'a> {
    /// The event name.
    event: &'a str,
    /// The POS sale's invoice id.
    invoice_id: &'a str,
    /// Whole sats (paid, for payments; else the invoice's amount).
    amount_sats: u64,
}

/// Who a stream is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Every event, in full.
    Admin,
    /// POS sales' events, cut to [`PosEventBody`].
    Cashier,
}

/// The SSE message of `event` for `audience`; `None` when the audience does not get it.
fn to_sse(event: &Event, audience: Audience) -> Option<SseEvent> {
    let data = match audience {
        Audience::Admin => event.payload.clone(),
        Audience::Cashier => {
            if event.invoice_origin != InvoiceOrigin::Pos.as_str() {
                return None;
            }
            let body = match EventBody::from_json(&event.payload) {
                Ok(body) => body,
                Err(e) => {
                    tracing::warn!(event = %event.id, "a POS sale's event body is unreadable: {e}");
                    return None;
                }
            };
            let pos = PosEventBody {
                event: &body.event,
                invoice_id: &body.invoice_id,
                amount_sats: body.amount_sats,
            };
            match serde_json::to_string(&pos) {
                Ok(data) => data,
                Err(e) => {
                    tracing::warn!(event = %event.id, "could not write a POS event: {e}");
                    return None;
                }
            }
        }
    };
    Some(
        SseEvent::default()
            .event(event.kind.clone())
            .id(event.seq.to_string())
            .data(data),
    )
}

/// The `Last-Event-ID` header as an event sequence number.
fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    headers.get("last-event-id")?.to_str().ok()?.trim().parse().ok()
}

/// The SSE handler (cashier or admin).
pub(crate) async fn events(
    State(state): State<GatewayState>,
    Extension(request_auth): Extension<RequestAuth>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = request_auth.refusal(Role::Cashier) {
        return refused;
    }
    // Subscribe before reading the backlog, so nothing falls between the two.
    let live = state.feed.subscribe();
    let audience = match &request_auth.user {
        Some(user) if user.role == Role::Admin => Audience::Admin,
        _ => Audience::Cashier,
    };
    let replay_since_secs = crate::time::now_secs().saturating_sub(
        i64::try_from(state.settings.current().lightning_pos_expiry_minutes.saturating_mul(60)).unwrap_or(i64::MAX),
    );
    let backlog = match last_event_id(&headers) {
        Some(seq) => {
            let replayed = match audience {
                Audience::Admin => state.store.events_after(seq, REPLAY_LIMIT).await,
                Audience::Cashier => state.store.pos_events_after(seq, replay_since_secs, REPLAY_LIMIT).await,
            };
            replayed.unwrap_or_else(|e| {
                tracing::warn!("event replay failed: {e}");
                Vec::new()
            })
        }
        None => Vec::new(),
    };
    let mut last_sent = backlog.last().map(|e| e.seq).unwrap_or(i64::MIN);
    let replay = stream::iter(backlog.into_iter().filter_map(move |e| to_sse(&e, audience)));
    let live = BroadcastStream::new(live).filter_map(move |item| {
        let out = match item {
            // Skip what the replay already sent.
            Ok(event) if event.seq > last_sent => {
                last_sent = event.seq;
                to_sse(&event, audience)
            }
            Ok(_) => None,
            // A slow browser missed events: tell it to reconnect (it then replays from its last id).
            Err(_lagged) => Some(SseEvent::default().event("resync").data("{}")),
        };
        futures::future::ready(out)
    });
    // End the stream when the gateway shuts down, so a graceful shutdown does not wait for browsers.
    let mut closing = state.closing.clone();
    let closed = async move {
        while !*closing.borrow() {
            if closing.changed().await.is_err() {
                return;
            }
        }
    };
    let all: std::pin::Pin<Box<dyn Stream<Item = Result<SseEvent, Infallible>> + Send>> =
        Box::pin(replay.chain(live).map(Ok).take_until(closed));
    Sse::new(all)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(KEEP_ALIVE_SECS)))
        .into_response()
}
