//! Events (state changes of our Lightning invoices), the webhook outbox and endpoints, and
//! the tracker's resume position. Events and their outbox rows are written inside the
//! transaction of the state change that causes them, so a crash can never lose one.

use app::model::{EventBody, EventKind, EventMetadata};
use rand::RngCore;
use rust_decimal::Decimal;
use secrecy::SecretString;
use sqlx::{Any, FromRow, Transaction};

use super::{cents_to_eur, to_i64, to_u64, Store, StoreError};
use crate::time::rfc3339;

/// Name of the endpoint that mirrors `lightning_webhook_url` / `lightning_webhook_secret`.
pub const DEFAULT_ENDPOINT: &str = "default";

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, FromRow)]
pub struct Event {
    /// Position in event order.
    pub seq: i64,
    /// Stable id (`evt_...`), the same on every redelivery.
    pub id: String,
    /// Event name (`payment_received`, ...).
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// Our Lightning invoice id.
    pub ln_invoice_id: String,
    /// The exact webhook body (JSON).
    pub payload: String,
    /// When it happened (unix seconds).
    pub created_at: i64,
    /// Who made the event's invoice (`office`, `pos`; see [`super::InvoiceOrigin`]), empty for
    /// events about no invoice. Filled by [`Store::events_after`] (the live feed), for the
    /// cashiers' stream; never part of the payload or of listings.
    #[sqlx(default)]
    #[serde(skip)]
    pub invoice_origin: String,
}

/// A webhook endpoint (the secret is never part of this value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebhookEndpoint {
    /// Unique name (`default` mirrors the configuration).
    pub name: String,
    /// Where events are POSTed.
    pub url: String,
    /// `*` or comma-separated event names.
    pub events: String,
    /// Whether new events are queued for it.
    pub enabled: bool,
}

/// One outbox row joined with its event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, FromRow)]
pub struct Delivery {
    /// Event order.
    pub event_seq: i64,
    /// Event id.
    pub event_id: String,
    /// Event name.
    pub event_type: String,
    /// Endpoint name.
    pub endpoint: String,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (unix ms).
    pub next_attempt_ms: i64,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// The body to send.
    #[serde(skip)]
    pub payload: String,
}

/// One logged delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, FromRow)]
pub struct DeliveryAttempt {
    /// Event order.
    pub event_seq: i64,
    /// Endpoint name.
    pub endpoint: String,
    /// When (unix seconds).
    pub attempted_at: i64,
    /// HTTP status, if a response came.
    pub http_status: Option<i64>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// Time to answer, ms.
    pub latency_ms: i64,
    /// `DELIVERED`, `RETRY` or `FAILED`.
    pub outcome: String,
}

/// What an attempt concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx: done.
    Delivered,
    /// Retry at the given unix ms.
    RetryAt(i64),
    /// Final failure.
    Failed,
}

/// A fresh stable event id.
fn new_event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("evt_{}", hex::encode(bytes))
}

/// An EUR amount as the webhook body's `amount_eur`: the exact decimal rounded to two places, as
/// text (written as a JSON number by [`EventBody`]).
pub fn eur_text(amount_eur: Decimal) -> String {
    amount_eur.round_dp(2).to_string()
}

/// The webhook payload of `body` ([`EventBody::to_json`]). It fails only on an amount that is
/// not decimal text, which [`eur_text`] never makes: reported as a value the database could not
/// be given.
pub fn event_payload(body: &EventBody) -> Result<String, StoreError> {
    body.to_json()
        .map_err(|e| StoreError::Query(sqlx::Error::Encode(Box::new(e))))
}

/// What an event's payload says about its invoice.
#[derive(FromRow)]
pub(super) struct InvoiceFacts {
    payment_hash: String,
    memo: String,
    amount_cents: i64,
    amount_msat: i64,
    numero: Option<String>,
    client_name: Option<String>,
}

/// The columns of [`InvoiceFacts`] as a `RETURNING` list of a statement changing one row of
/// `ln_invoices`, so a change and its event need no separate read.
pub(super) const INVOICE_FACTS_RETURNING: &str = "payment_hash, memo, amount_cents, amount_msat, \
     (SELECT f.numero FROM fatture f WHERE f.id = ln_invoices.fattura_id) AS numero, \
     (SELECT f.client_name FROM fatture f WHERE f.id = ln_invoices.fattura_id) AS client_name";

/// Records an event for `ln_invoice_id` inside the caller's transaction (the database queues it
/// for every enabled endpoint whose filter accepts it, see [`insert_event`]). `paid` overrides
/// the amounts (msat, EUR) for payments. Returns the event id.
pub(super) async fn record(
    tx: &mut Transaction<'_, Any>,
    kind: EventKind,
    ln_invoice_id: &str,
    at: i64,
    paid: Option<(u64, Decimal)>,
) -> Result<String, StoreError> {
    let facts: InvoiceFacts = sqlx::query_as(
        "SELECT l.payment_hash, l.memo, l.amount_cents, l.amount_msat, f.numero, f.client_name \
         FROM ln_invoices l LEFT JOIN fatture f ON f.id = l.fattura_id WHERE l.id = $1",
    )
    .bind(ln_invoice_id)
    .fetch_one(&mut **tx)
    .await?;
    record_with_facts(tx, kind, ln_invoice_id, at, paid, facts).await
}

/// [`record`] with the invoice's facts already read (see [`INVOICE_FACTS_RETURNING`]).
pub(super) async fn record_with_facts(
    tx: &mut Transaction<'_, Any>,
    kind: EventKind,
    ln_invoice_id: &str,
    at: i64,
    paid: Option<(u64, Decimal)>,
    facts: InvoiceFacts,
) -> Result<String, StoreError> {
    let (amount_msat, amount_eur) = match paid {
        Some(paid) => paid,
        None => (
            to_u64(facts.amount_msat, "amount_msat")?,
            cents_to_eur(facts.amount_cents),
        ),
    };
    let id = new_event_id();
    let payload = event_payload(&EventBody {
        id: id.clone(),
        event: kind.as_str().to_string(),
        invoice_id: ln_invoice_id.to_string(),
        payment_hash: facts.payment_hash,
        amount_sats: amount_msat / 1000,
        amount_eur: eur_text(amount_eur),
        timestamp: rfc3339(at),
        description: facts.memo,
        metadata: EventMetadata {
            original_invoice: facts.numero,
            client: facts.client_name,
        },
    })?;
    insert_event(tx, &id, kind, ln_invoice_id, &payload, at).await?;
    Ok(id)
}

/// A new event id and the body of an event about no invoice: `fields` (a JSON object) plus
/// `id`, `event` and `timestamp`.
pub(super) fn unattached_payload(kind: EventKind, fields: serde_json::Value, at: i64) -> (String, String) {
    let id = new_event_id();
    let mut body = serde_json::Map::new();
    body.insert("id".into(), serde_json::Value::String(id.clone()));
    body.insert("event".into(), serde_json::Value::String(kind.as_str().into()));
    body.insert("timestamp".into(), serde_json::Value::String(rfc3339(at)));
    if let serde_json::Value::Object(extra) = fields {
        for (k, v) in extra {
            body.entry(k).or_insert(v);
        }
    }
    (id, serde_json::Value::Object(body).to_string())
}

/// PostgreSQL channel on which gateways hear about new events (see [`Store::listen_url`]); the
/// trigger of migration `0003_outbox_trigger` notifies it.
pub const EVENTS_CHANNEL: &str = "openfatture_events";

/// Inserts an event in the caller's transaction. The database's trigger on `events` (migrations
/// `sqlite/0006_outbox_trigger`, `postgres/0003_outbox_trigger`) queues it, in the same statement,
/// for every enabled endpoint whose filter takes `kind` and, on PostgreSQL, notifies
/// [`EVENTS_CHANNEL`] when the transaction commits.
pub(super) async fn insert_event(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    kind: EventKind,
    ln_invoice_id: &str,
    payload: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(kind.as_str())
        .bind(ln_invoice_id)
        .bind(payload)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves the tracker's resume indexes forward (never back) inside the caller's transaction.
pub(super) async fn advance_indexes(
    tx: &mut Transaction<'_, Any>,
    add_index: Option<u64>,
    settle_index: Option<u64>,
) -> Result<(), StoreError> {
    let add = add_index.map(|v| to_i64(v, "add_index")).transpose()?.unwrap_or(0);
    let settle = settle_index
        .map(|v| to_i64(v, "settle_index"))
        .transpose()?
        .unwrap_or(0);
    sqlx::query(
        "UPDATE tracker_state SET add_index = CASE WHEN $1 > add_index THEN $1 ELSE add_index END, settle_index = CASE WHEN $2 > settle_index THEN $2 ELSE settle_index END WHERE id = 1",
    )
    .bind(add)
    .bind(settle)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const SELECT_DELIVERY: &str = "SELECT d.event_seq, e.id AS event_id, e.type AS event_type, d.endpoint, d.state, \
     d.attempts, d.next_attempt_ms, d.last_status, d.last_error, e.payload \
     FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq";

impl Store {
    /// Records a `liquidity_alert` event whose webhook body is `fields` (a JSON object) plus
    /// `id`, `event` and `timestamp`, and queues it for every enabled webhook endpoint whose
    /// filter accepts it, in one transaction. Returns the event id.
    pub async fn record_liquidity_alert(&self, fields: serde_json::Value, at: i64) -> Result<String, StoreError> {
        self.record_unattached(EventKind::LiquidityAlert, fields, at).await
    }

    /// Records an event about no invoice (its body is `fields` plus `id`, `event`, `timestamp`).
    async fn record_unattached(
        &self,
        kind: EventKind,
        fields: serde_json::Value,
        at: i64,
    ) -> Result<String, StoreError> {
        let (id, payload) = unattached_payload(kind, fields, at);
        let mut tx = self.begin_write().await?;
        insert_event(tx.tx(), &id, kind, "", &payload, at).await?;
        self.commit_and_signal(tx).await?;
        Ok(id)
    }

    /// Liquidity alert webhook bodies (JSON), newest first, at most `limit`.
    pub async fn liquidity_alerts(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT payload FROM events WHERE type = $1 ORDER BY seq DESC LIMIT $2")
                .bind(EventKind::LiquidityAlert.as_str())
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// For monitoring: events recorded, and outbox rows PENDING and FAILED.
    pub async fn outbox_counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(self.pool())
            .await?;
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'PENDING'")
            .fetch_one(self.pool())
            .await?;
        let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'FAILED'")
            .fetch_one(self.pool())
            .await?;
        Ok((events, pending, failed))
    }

    /// The tracker's resume position: (add_index, settle_index).
    pub async fn tracker_indexes(&self) -> Result<(u64, u64), StoreError> {
        let (add, settle): (i64, i64) =
            sqlx::query_as("SELECT add_index, settle_index FROM tracker_state WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
        Ok((to_u64(add, "add_index")?, to_u64(settle, "settle_index")?))
    }

    /// Moves the tracker's resume position forward (after an update that changed nothing).
    pub async fn advance_tracker_indexes(
        &self,
        add_index: Option<u64>,
        settle_index: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        advance_indexes(tx.tx(), add_index, settle_index).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest event's position (0 when there is none).
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(self.pool())
            .await?)
    }

    /// Events in order, after `after_seq`, at most `limit`, each with its invoice's origin.
    pub async fn events_after(&self, after_seq: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.seq, e.id, e.type, e.ln_invoice_id, e.payload, e.created_at, \
             COALESCE(i.origin, '') AS invoice_origin \
             FROM events e LEFT JOIN ln_invoices i ON i.id = e.ln_invoice_id \
             WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }

    /// The events of POS sales ([`super::InvoiceOrigin::Pos`]) in order, after `after_seq` and
    /// recorded at or after `since` (unix seconds), at most `limit`: a cashier's replay.
    pub async fn pos_events_after(&self, after_seq: i64, since: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.seq, e.id, e.type, e.ln_invoice_id, e.payload, e.created_at, i.origin AS invoice_origin \
             FROM events e JOIN ln_invoices i ON i.id = e.ln_invoice_id \
             WHERE e.seq > $1 AND e.created_at >= $2 AND i.origin = 'pos' ORDER BY e.seq LIMIT $3",
        )
        .bind(after_seq)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }

    /// One event by its id.
    pub async fn event_by_id(&self, event_id: &str) -> Result<Option<Event>, StoreError> {
        Ok(
            sqlx::query_as("SELECT seq, id, type, ln_invoice_id, payload, created_at FROM events WHERE id = $1")
                .bind(event_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Events of one Lightning invoice, in order.
    pub async fn events_for_invoice(&self, ln_invoice_id: &str) -> Result<Vec<Event>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, id, type, ln_invoice_id, payload, created_at FROM events WHERE ln_invoice_id = $1 ORDER BY seq",
        )
        .bind(ln_invoice_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds or replaces a webhook endpoint; `secret` `None` means "use lightning_webhook_secret".
    pub async fn upsert_webhook_endpoint(
        &self,
        name: &str,
        url: &str,
        secret: Option<&str>,
        events: &str,
        enabled: bool,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO webhook_endpoints (name, url, secret, events, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (name) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
             events = excluded.events, enabled = excluded.enabled",
        )
        .bind(name)
        .bind(url)
        .bind(secret)
        .bind(events)
        .bind(i64::from(enabled))
        .bind(crate::time::now_secs())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Disables the endpoint `name` (nothing new is queued for it); returns whether it existed.
    pub async fn disable_webhook_endpoint(&self, name: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = sqlx::query("UPDATE webhook_endpoints SET enabled = 0 WHERE name = $1")
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes an endpoint and its pending deliveries; returns whether it existed.
    pub async fn remove_webhook_endpoint(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'FAILED', last_error = 'endpoint removed' \
                     WHERE endpoint = $1 AND state = 'PENDING'",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every endpoint, by name.
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows: Vec<(String, String, String, i64)> =
            sqlx::query_as("SELECT name, url, events, enabled FROM webhook_endpoints ORDER BY name")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, url, events, enabled)| WebhookEndpoint {
                name,
                url,
                events,
                enabled: enabled != 0,
            })
            .collect())
    }

    /// The endpoint's own secret (`None`: it uses lightning_webhook_secret).
    pub async fn webhook_endpoint_secret(&self, name: &str) -> Result<Option<SecretString>, StoreError> {
        let secret: Option<Option<String>> = sqlx::query_scalar("SELECT secret FROM webhook_endpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(secret.flatten().map(SecretString::from))
    }

    /// PENDING deliveries of one endpoint due at `now_ms`, in event order.
    pub async fn due_deliveries(&self, endpoint: &str, now_ms: i64, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_DELIVERY} WHERE d.endpoint = $1 AND d.state = 'PENDING' AND d.next_attempt_ms <= $2 \
             ORDER BY d.event_seq LIMIT $3"
        ))
        .bind(endpoint)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }

    /// Claims the next delivery of `endpoint` for `holder` until `now_ms + lease_ms`: the oldest
    /// PENDING row that is due and unclaimed, and only when no row of the endpoint is claimed by
    /// anyone (one delivery in flight per endpoint, so first attempts keep event order across
    /// gateways). On PostgreSQL, rows another gateway is claiming are skipped (`FOR UPDATE SKIP
    /// LOCKED`); SQLite's write lock serialises claims. `None` when there is nothing to send now.
    pub async fn claim_delivery(
        &self,
        endpoint: &str,
        holder: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<Delivery>, StoreError> {
        let lock = match self.backend() {
            super::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            super::Backend::Sqlite => "",
        };
        let mut tx = self.begin_write().await?;
        if self.backend() == super::Backend::Postgres {
            // One claimer per endpoint at a time, or a later row could be claimed while an
            // earlier claim is still uncommitted.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(endpoint)
                .execute(&mut *tx)
                .await?;
        }
        let claimed: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until_ms = $2 \
             WHERE endpoint = $3 AND event_seq = ( \
                 SELECT d.event_seq FROM webhook_deliveries d \
                 WHERE d.endpoint = $3 AND d.state = 'PENDING' AND d.next_attempt_ms <= $4 \
                 AND d.claimed_until_ms <= $4 ORDER BY d.event_seq LIMIT 1 {lock}) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x \
                             WHERE x.endpoint = $3 AND x.state = 'PENDING' AND x.claimed_until_ms > $4) \
             RETURNING event_seq"
        ))
        .bind(holder)
        .bind(now_ms.saturating_add(lease_ms))
        .bind(endpoint)
        .bind(now_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let delivery = match claimed {
            Some(seq) => Some(
                sqlx::query_as(&format!("{SELECT_DELIVERY} WHERE d.event_seq = $1 AND d.endpoint = $2"))
                    .bind(seq)
                    .bind(endpoint)
                    .fetch_one(&mut *tx)
                    .await?,
            ),
            None => None,
        };
        tx.commit().await?;
        Ok(delivery)
    }

    /// Deliveries, newest first; only FAILED ones when `failed_only`.
    pub async fn deliveries(&self, failed_only: bool, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_DELIVERY} WHERE ($1 = 0 OR d.state = 'FAILED') ORDER BY d.event_seq DESC, d.endpoint LIMIT $2"
        ))
        .bind(i64::from(failed_only))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?)
    }

    /// The attempt log of one event, oldest first.
    pub async fn delivery_attempts(&self, event_seq: i64) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT event_seq, endpoint, attempted_at, http_status, error, latency_ms, outcome \
             FROM webhook_attempts WHERE event_seq = $1 ORDER BY id",
        )
        .bind(event_seq)
        .fetch_all(self.pool())
        .await?)
    }

    /// Logs one attempt and updates its outbox row, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_delivery_attempt(
        &self,
        event_seq: i64,
        endpoint: &str,
        attempted_at: i64,
        http_status: Option<u16>,
        error: Option<&str>,
        latency_ms: i64,
        outcome: AttemptOutcome,
        worker: Option<&str>,
    ) -> Result<(), StoreError> {
        let (state, next_ms, label) = match outcome {
            AttemptOutcome::Delivered => ("DELIVERED", 0, "DELIVERED"),
            AttemptOutcome::RetryAt(ms) => ("PENDING", ms, "RETRY"),
            AttemptOutcome::Failed => ("FAILED", 0, "FAILED"),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (event_seq, endpoint, attempted_at, http_status, error, latency_ms, outcome, worker) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(event_seq)
        .bind(endpoint)
        .bind(attempted_at)
        .bind(http_status.map(i64::from))
        .bind(error)
        .bind(latency_ms)
        .bind(label)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_attempt_ms = $2, \
             last_status = $3, last_error = $4, claimed_until_ms = 0, claimed_by = NULL \
             WHERE event_seq = $5 AND endpoint = $6",
        )
        .bind(state)
        .bind(next_ms)
        .bind(http_status.map(i64::from))
        .bind(error)
        .bind(event_seq)
        .bind(endpoint)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues an event again (same id, same body) for every enabled endpoint whose filter
    /// accepts it; returns how many deliveries were queued, `None` when no such event exists.
    pub async fn redeliver_event(&self, event_id: &str) -> Result<Option<u64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let event: Option<(i64, String)> = sqlx::query_as("SELECT seq, type FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((seq, kind)) = event else {
            return Ok(None);
        };
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (event_seq, endpoint, state, next_attempt_ms) \
             SELECT $1, name, 'PENDING', 0 FROM webhook_endpoints WHERE enabled = 1 \
             AND (events = '*' OR (',' || REPLACE(events, ' ', '') || ',') LIKE ('%,' || $2 || ',%')) \
             ON CONFLICT (event_seq, endpoint) DO UPDATE SET state = 'PENDING', attempts = 0, next_attempt_ms = 0",
        )
        .bind(seq)
        .bind(kind)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(done.rows_affected()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// The hand-written body the store wrote before [`EventBody`], kept as the reference: the
    /// payload is a contract with webhook receivers and must not change by a byte.
    #[allow(clippy::too_many_arguments)]
    fn body_as_before(
        id: &str,
        event: &str,
        invoice_id: &str,
        payment_hash: &str,
        amount_sats: u64,
        amount_eur: Decimal,
        timestamp_secs: i64,
        description: &str,
        original_invoice: Option<&str>,
        client: Option<&str>,
    ) -> String {
        let json_str = |text: &str| serde_json::Value::String(text.to_string()).to_string();
        let opt = |v: Option<&str>| v.map(json_str).unwrap_or_else(|| "null".into());
        format!(
            "{{\"id\":{},\"event\":{},\"invoice_id\":{},\"payment_hash\":{},\"amount_sats\":{},\"amount_eur\":{},\
             \"timestamp\":{},\"description\":{},\"metadata\":{{\"original_invoice\":{},\"client\":{}}}}}",
            json_str(id),
            json_str(event),
            json_str(invoice_id),
            json_str(payment_hash),
            amount_sats,
            amount_eur.round_dp(2),
            json_str(&rfc3339(timestamp_secs)),
            json_str(description),
            opt(original_invoice),
            opt(client),
        )
    }

    #[test]
    fn event_bodies_are_byte_for_byte_the_former_payloads() -> Result<(), StoreError> {
        let cases = [
            (
                EventKind::PaymentReceived.as_str(),
                dec!(500.00),
                Some("INV-001"),
                Some("Rossi \"&\" Figli"),
            ),
            (EventKind::InvoiceCreated.as_str(), dec!(12.345), None, None),
            (EventKind::PaymentFailed.as_str(), dec!(7), Some("2026/7"), None),
            (
                EventKind::InvoiceCancelled.as_str(),
                dec!(0.1),
                None,
                Some("Café ☕\n\t"),
            ),
            ("test", Decimal::ZERO, None, None),
        ];
        for (event, amount_eur, original_invoice, client) in cases {
            let expected = body_as_before(
                "evt_00ff",
                event,
                "INV-001-LN",
                "ab12",
                27_778,
                amount_eur,
                1_767_323_045,
                "Fattura \"1\" / pagamento\u{7f}\u{1}",
                original_invoice,
                client,
            );
            let body = EventBody {
                id: "evt_00ff".into(),
                event: event.into(),
                invoice_id: "INV-001-LN".into(),
                payment_hash: "ab12".into(),
                amount_sats: 27_778,
                amount_eur: eur_text(amount_eur),
                timestamp: rfc3339(1_767_323_045),
                description: "Fattura \"1\" / pagamento\u{7f}\u{1}".into(),
                metadata: EventMetadata {
                    original_invoice: original_invoice.map(str::to_string),
                    client: client.map(str::to_string),
                },
            };
            assert_eq!(event_payload(&body)?, expected);
        }
        Ok(())
    }
}
