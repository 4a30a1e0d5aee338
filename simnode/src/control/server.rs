//! The control surface's HTTP server: `POST /v1/pay` and `POST /v1/fault`, bearer-token auth.

use std::sync::Arc;

use axum::extract::{Json, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use secrecy::{ExposeSecret, SecretString};

use super::{ErrorBody, FaultCommand, PayRequest};
use crate::convert::{activity_event, closed_event, closed_graph_update};
use crate::core::{now_ms, NodeCore};
use crate::ledger::customer::CustomerInvoiceRequest;
use crate::ledger::LedgerError;

/// What every handler needs.
#[derive(Clone)]
struct ControlState {
    core: Arc<NodeCore>,
    token: Arc<SecretString>,
}

/// The control routes over `core`, guarded by `token`.
pub(crate) fn router(core: Arc<NodeCore>, token: SecretString) -> Router {
    Router::new()
        .route("/v1/pay", post(pay))
        .route("/v1/fault", post(fault))
        .route("/v1/customer_invoice", post(customer_invoice))
        .route("/v1/customer_invoice_status", post(customer_invoice_status))
        .with_state(ControlState {
            core,
            token: Arc::new(token),
        })
}

fn error(status: StatusCode, kind: &str, message: String) -> Response {
    (
        status,
        Json(ErrorBody {
            error: message,
            kind: kind.to_string(),
        }),
    )
        .into_response()
}

/// Whether the request carries `Authorization: Bearer TOKEN`.
fn authorized(headers: &HeaderMap, token: &SecretString) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|p| constant_time_eq(p.as_bytes(), token.expose_secret().as_bytes()))
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing or wrong bearer token (take it from the data directory's control.json)".to_string(),
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn pay(State(state): State<ControlState>, headers: HeaderMap, Json(req): Json<PayRequest>) -> Response {
    if !authorized(&headers, &state.token) {
        return unauthorized();
    }
    let result = state.core.ledger().pay(&req.payment_request, &req.options, now_ms());
    match result {
        Ok(outcome) => {
            // A held MPP part has a timeout the watcher must know about.
            state.core.watcher.notify_one();
            (StatusCode::OK, Json(outcome)).into_response()
        }
        Err(LedgerError::Payment(message)) => error(StatusCode::UNPROCESSABLE_ENTITY, "payment_failed", message),
        Err(other) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    }
}

async fn customer_invoice(
    State(state): State<ControlState>,
    headers: HeaderMap,
    Json(req): Json<CustomerInvoiceRequest>,
) -> Response {
    if !authorized(&headers, &state.token) {
        return unauthorized();
    }
    match state.core.ledger().add_customer_invoice(&req, now_ms()) {
        Ok(created) => (StatusCode::OK, Json(created)).into_response(),
        Err(LedgerError::Persist(message)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
        Err(other) => error(StatusCode::BAD_REQUEST, "bad_request", other.to_string()),
    }
}

/// Body of `POST /v1/customer_invoice_status`.
#[derive(serde::Deserialize)]
struct StatusRequest {
    payment_request: String,
}

async fn customer_invoice_status(
    State(state): State<ControlState>,
    headers: HeaderMap,
    Json(req): Json<StatusRequest>,
) -> Response {
    if !authorized(&headers, &state.token) {
        return unauthorized();
    }
    match state.core.ledger().customer_invoice_status(&req.payment_request) {
        Ok(status) => (StatusCode::OK, Json(status)).into_response(),
        Err(other) => error(StatusCode::BAD_REQUEST, "bad_request", other.to_string()),
    }
}

async fn fault(State(state): State<ControlState>, headers: HeaderMap, Json(command): Json<FaultCommand>) -> Response {
    if !authorized(&headers, &state.token) {
        return unauthorized();
    }
    tracing::info!(?command, "simnode: fault injected");
    let core = &state.core;
    let result = match &command {
        FaultCommand::ForceClose { chan_id, remote } => {
            let closed = core.ledger().force_close(*chan_id, *remote);
            closed.map(|closed| {
                // The link goes down first, then the close is reported (LND's order).
                if closed.channel.active {
                    let mut inactive = closed.channel.clone();
                    inactive.active = false;
                    core.emit_channel_event(activity_event(&inactive));
                }
                core.emit_channel_event(closed_event(&closed));
                core.emit_graph_update(closed_graph_update(&closed));
            })
        }
        FaultCommand::PeerOffline { peer } | FaultCommand::PeerOnline { peer } => {
            let online = matches!(command, FaultCommand::PeerOnline { .. });
            let changed = core.ledger().set_peer_online(peer, online);
            changed.map(|changed| {
                for c in &changed {
                    core.emit_channel_event(activity_event(c));
                }
            })
        }
        other => {
            state.core.faults.apply(other);
            if *other == FaultCommand::DropStreams {
                state.core.ledger().drop_subscribers();
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({}))).into_response(),
        Err(LedgerError::Persist(message)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
        Err(other) => error(StatusCode::BAD_REQUEST, "bad_request", other.to_string()),
    }
}
