//! `GET /metrics`: Prometheus text for monitoring: the circuit breakers of LND, of each rate
//! provider and of each webhook endpoint, and the event and webhook outbox counts. With
//! `gateway_metrics_token` set, shown to whoever sends `Authorization: Bearer <token>` (from any
//! address, loopback included: behind a reverse proxy every client looks loopback); without it,
//! to loopback clients (a local Prometheus or an SSH tunnel) and signed-in admins. No secrets, no
//! amounts.

use app::auth::Role;
use axum::extract::{ConnectInfo, Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::guard::RequestAuth;
use super::listener::ClientAddr;
use super::state::GatewayState;
use crate::breaker::BreakerState;
use crate::rates::ProviderHealth;

/// Prometheus value of a breaker state: 0 closed, 1 half-open, 2 open.
pub(crate) fn breaker_value(state: BreakerState) -> u8 {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open { .. } => 2,
    }
}

/// The breaker value behind a rate provider's health; `None` when it is disabled.
fn provider_value(health: &ProviderHealth) -> Option<u8> {
    match health {
        ProviderHealth::Disabled | ProviderHealth::KeyMissing { .. } => None,
        ProviderHealth::NotQueried | ProviderHealth::Ok | ProviderHealth::Failing { .. } => Some(0),
        ProviderHealth::HalfOpen { .. } => Some(1),
        ProviderHealth::CircuitOpen { .. } => Some(2),
    }
}

/// Escapes a Prometheus label value (backslash, double quote, newline).
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Whether `headers` carry `Authorization: Bearer <token>`, compared in constant time (over
/// SHA-256 digests, so neither the token's content nor its length shows in the timing).
fn bearer_matches(headers: &HeaderMap, token: &SecretString) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let given = Sha256::digest(given.trim().as_bytes());
    let expected = Sha256::digest(token.expose_secret().as_bytes());
    given.iter().zip(expected.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The handler.
pub(crate) async fn metrics(
    State(state): State<GatewayState>,
    ConnectInfo(ClientAddr(client)): ConnectInfo<ClientAddr>,
    Extension(request_auth): Extension<RequestAuth>,
    headers: HeaderMap,
) -> Response {
    match &state.settings.current().gateway_metrics_token {
        Some(token) => {
            if !bearer_matches(&headers, token) {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                    "send Authorization: Bearer <gateway_metrics_token>\n",
                )
                    .into_response();
            }
        }
        None => {
            if !client.ip().is_loopback() {
                if let Some(refused) = request_auth.refusal(Role::Admin) {
                    return refused;
                }
            }
        }
    }
    let mut out = String::new();
    out.push_str(
        "# HELP openfatture_circuit_breaker_state Circuit breaker per dependency: 0 closed, 1 half-open, 2 open.\n",
    );
    out.push_str("# TYPE openfatture_circuit_breaker_state gauge\n");
    out.push_str(&format!(
        "openfatture_circuit_breaker_state{{dependency=\"lnd\"}} {}\n",
        breaker_value(state.lnd.breaker_state())
    ));
    for provider in state.invoices.rates().status().providers {
        if let Some(value) = provider_value(&provider.health) {
            out.push_str(&format!(
                "openfatture_circuit_breaker_state{{dependency=\"rate:{}\"}} {value}\n",
                provider.provider
            ));
        }
    }
    for (endpoint, breaker) in state.webhook_breakers.states() {
        out.push_str(&format!(
            "openfatture_circuit_breaker_state{{dependency=\"webhook:{}\"}} {}\n",
            label_value(&endpoint),
            breaker_value(breaker)
        ));
    }
    match state.store.outbox_counts().await {
        Ok((events, pending, failed)) => {
            out.push_str("# HELP openfatture_events_total Events recorded (invoice and liquidity state changes).\n");
            out.push_str("# TYPE openfatture_events_total counter\n");
            out.push_str(&format!("openfatture_events_total {events}\n"));
            out.push_str("# HELP openfatture_webhook_deliveries Webhook outbox rows by state.\n");
            out.push_str("# TYPE openfatture_webhook_deliveries gauge\n");
            out.push_str(&format!(
                "openfatture_webhook_deliveries{{state=\"pending\"}} {pending}\n"
            ));
            out.push_str(&format!(
                "openfatture_webhook_deliveries{{state=\"failed\"}} {failed}\n"
            ));
        }
        Err(e) => {
            tracing::warn!("metrics: {e}");
            return (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer\n").into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_states_map_to_numbers() {
        assert_eq!(breaker_value(BreakerState::Closed), 0);
        assert_eq!(breaker_value(BreakerState::HalfOpen), 1);
        assert_eq!(breaker_value(BreakerState::Open { retry_in_secs: 3 }), 2);
        assert_eq!(provider_value(&ProviderHealth::Disabled), None);
    }

    #[test]
    fn only_the_right_bearer_token_matches() {
        let token = SecretString::from("metrics-token-1");
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().expect("header"));
            headers
        };
        assert!(bearer_matches(&with("Bearer metrics-token-1"), &token));
        assert!(!bearer_matches(&with("Bearer metrics-token-2"), &token));
        assert!(!bearer_matches(&with("Bearer metrics-token-11"), &token));
        assert!(!bearer_matches(&with("Basic metrics-token-1"), &token));
        assert!(!bearer_matches(&HeaderMap::new(), &token));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("shop"), "shop");
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
