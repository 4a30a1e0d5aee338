//! `GET /api/events`: the live event stream (Server-Sent Events) the POS screen waits on.
//!
//! Every stored event (`invoice_created`, `payment_received`, …) is sent as an SSE message whose
//! `event:` is the event name, `id:` its sequence number and `data:` the webhook body. A browser
//! that reconnects sends `Last-Event-ID` and first gets what it missed, from the database.

use std::convert::Infallible;
use std::time::Duration;

use app::auth::Role;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::guard::RequestAuth;
use super::state::GatewayState;
use crate::store::Event;

/// Most missed events replayed to a reconnecting browser.
const REPLAY_LIMIT: u32 = 500;
/// Comment lines sent this often keep proxies from closing an idle stream.
const KEEP_ALIVE_SECS: u64 = 15;

fn to_sse(event: &Event) -> SseEvent {
    SseEvent::default()
        .event(event.kind.clone())
        .id(event.seq.to_string())
        .data(event.payload.clone())
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
    let backlog = match last_event_id(&headers) {
        Some(seq) => match state.store.events_after(seq, REPLAY_LIMIT).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!("event replay failed: {e}");
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let mut last_sent = backlog.last().map(|e| e.seq).unwrap_or(i64::MIN);
    let replay = stream::iter(backlog.into_iter().map(|e| to_sse(&e)));
    let live = BroadcastStream::new(live).filter_map(move |item| {
        let out = match item {
            // Skip what the replay already sent.
            Ok(event) if event.seq > last_sent => {
                last_sent = event.seq;
                Some(to_sse(&event))
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
