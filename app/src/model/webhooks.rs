//! Webhook endpoints, the delivery log and test deliveries as the Webhooks page shows them.

use serde::{Deserialize, Serialize};

/// A webhook endpoint as shown. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    /// Unique name (`default` mirrors `lightning_webhook_url`).
    pub name: String,
    /// Where events are POSTed.
    pub url: String,
    /// `*` or comma-separated event names.
    pub events: String,
    /// Whether new events are queued for it.
    pub enabled: bool,
    /// Whether it has a secret to sign with (its own, or `lightning_webhook_secret` for `default`).
    pub secret_set: bool,
    /// Delivery health from the outbox (`webhooks.health.*` texts), with the circuit breaker's
    /// state first when it is not closed.
    pub health: Vec<super::Refusal>,
    /// Whether deliveries are currently succeeding (or none were tried).
    pub healthy: bool,
}

/// One outbox row (an event for an endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Event id (`evt_…`).
    pub event_id: String,
    /// Event name.
    pub event_type: String,
    /// Endpoint name.
    pub endpoint: String,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// HTTP status of the last attempt, if a response came.
    pub last_status: Option<i64>,
    /// Error of the last attempt (`webhooks.error.*`), if any.
    pub last_error: Option<super::Refusal>,
}

/// What a test event got back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTestReport {
    /// Endpoint name.
    pub endpoint: String,
    /// Whether the endpoint answered 2xx.
    pub ok: bool,
    /// HTTP status, if a response came.
    pub status: Option<u16>,
    /// What went wrong (`webhooks.error.*`), if anything.
    pub error: Option<super::Refusal>,
    /// Time to the answer, ms.
    pub latency_ms: i64,
}
