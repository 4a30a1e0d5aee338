//! `openfatture lightning watch` (the payment tracker and webhook dispatcher in the
//! foreground) and `openfatture lightning webhooks ...`.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::{CliError, Output};
use crate::context::Services;
use crate::store::{Store, DEFAULT_ENDPOINT};
use crate::tracker::TrackerConfig;
use crate::webhooks::{self, DefaultEndpointSettings, Dispatcher, DispatcherConfig};

/// Options of `lightning watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Timeout of one webhook request, in seconds (default: lightning_webhook_timeout).
    #[arg(long)]
    pub webhook_timeout_secs: Option<u64>,
    /// Seconds between reconciliation sweeps with the node.
    #[arg(long, default_value_t = 60)]
    pub sweep_interval_secs: u64,
}

/// The help of `lightning webhooks add --events`: every event name, from `EventKind::ALL`.
pub fn events_help() -> String {
    format!("Events to send: {}.", webhooks::event_filter_help())
}

/// `openfatture lightning webhooks ...`
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Add (or replace) an extra endpoint with its own secret and event filter.
    Add {
        /// Unique name, e.g. erp.
        name: String,
        /// URL events are POSTed to (http or https).
        url: String,
        /// Secret the endpoint verifies signatures with.
        #[arg(long)]
        secret: String,
        /// Events to send (see [`events_help`]).
        #[arg(long, default_value = "*", help = events_help())]
        events: String,
    },
    /// List endpoints (secrets are never shown).
    List,
    /// Remove an endpoint; its pending deliveries are marked failed.
    Remove {
        /// Endpoint name.
        name: String,
    },
    /// The delivery log, newest first.
    Deliveries {
        /// Only deliveries that failed for good.
        #[arg(long)]
        failed: bool,
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Show every attempt (time, HTTP status, error, latency) of this event instead.
        #[arg(long, value_name = "EVENT_ID")]
        event: Option<String>,
    },
    /// Queue an event again (same id and body) for every matching endpoint.
    Redeliver {
        /// The event id (evt_...).
        event_id: String,
    },
    /// Send a signed `test` event to an endpoint now.
    Test {
        /// Endpoint name.
        #[arg(long, default_value = DEFAULT_ENDPOINT)]
        endpoint: String,
    },
}

/// Runs the tracker and the webhook dispatcher until Ctrl-C.
pub(super) async fn run_watch(out: &Output, services: Services<'_>, args: WatchArgs) -> Result<(), CliError> {
    let settings = services.settings();
    webhooks::check_settings(&settings.default_endpoint())?;
    let store = services.store().await?;
    let lnd = services.lnd()?;
    let host = lnd.host().to_string();
    let tracker_cfg = TrackerConfig {
        sweep_interval: Duration::from_secs(args.sweep_interval_secs.max(1)),
        ..TrackerConfig::default()
    };
    let mut dispatcher_cfg = settings.dispatcher_config();
    if let Some(secs) = args.webhook_timeout_secs {
        dispatcher_cfg.timeout = Duration::from_secs(secs.max(1));
    }
    // This process makes no quotes, so its rate cache is empty: settlements it records carry
    // no rate in force (the gateway's tracker records one).
    let tracking = services
        .payment_tracking(store.clone(), lnd, tracker_cfg, dispatcher_cfg, None)
        .await?;
    if out.json {
        out.print_json(&serde_json::json!({ "watching": host }))?;
    } else {
        println!("👀 Watching {host} for payments; webhooks are delivered from the outbox. Ctrl-C to stop.");
    }
    let stopped = tokio::signal::ctrl_c().await;
    tracking.stop().await;
    store.close().await;
    stopped.map_err(|e| CliError::Invalid(format!("cannot wait for Ctrl-C: {e}")))
}

/// Runs one `lightning webhooks` subcommand.
pub(super) async fn run_webhooks(
    out: &Output,
    services: Services<'_>,
    command: WebhooksCommand,
) -> Result<(), CliError> {
    let store = services.store().await?;
    let settings = services.settings();
    let result = webhooks_on(
        out,
        &settings.default_endpoint(),
        settings.dispatcher_config(),
        &store,
        command,
    )
    .await;
    store.close().await;
    result
}

async fn webhooks_on(
    out: &Output,
    default_endpoint: &DefaultEndpointSettings,
    dispatcher_cfg: DispatcherConfig,
    store: &Store,
    command: WebhooksCommand,
) -> Result<(), CliError> {
    match command {
        WebhooksCommand::Add {
            name,
            url,
            secret,
            events,
        } => {
            if name.trim().is_empty() {
                return Err(webhooks::WebhookError::MissingName.into());
            }
            if name == DEFAULT_ENDPOINT {
                return Err(CliError::Invalid(
                    "'default' is lightning_webhook_url: change it with `openfatture config set lightning_webhook_url ...`".into(),
                ));
            }
            webhooks::check_url(&url)?;
            let events = webhooks::check_event_filter(&events)?;
            if secret.is_empty() {
                return Err(CliError::Invalid("--secret must not be empty".into()));
            }
            store
                .upsert_webhook_endpoint(&name, &url, Some(&secret), &events, true)
                .await?;
            if out.json {
                return out.print_json(&serde_json::json!({ "added": name }));
            }
            println!("✅ Endpoint {name} → {url} ({events})");
            Ok(())
        }
        WebhooksCommand::List => {
            webhooks::sync_default_endpoint(store, default_endpoint).await?;
            let endpoints = store.webhook_endpoints().await?;
            if out.json {
                return out.print_json(&endpoints);
            }
            if endpoints.is_empty() {
                println!(
                    "No webhook endpoints. Add one with `openfatture lightning webhooks add NAME URL --secret S`."
                );
            }
            for e in endpoints {
                let on = if e.enabled { "enabled" } else { "disabled" };
                println!("{}  {}  events={}  {on}", e.name, e.url, e.events);
            }
            Ok(())
        }
        WebhooksCommand::Remove { name } => {
            if !store.remove_webhook_endpoint(&name).await? {
                return Err(CliError::Invalid(format!(
                    "no webhook endpoint {name}: see `openfatture lightning webhooks list`"
                )));
            }
            if out.json {
                return out.print_json(&serde_json::json!({ "removed": name }));
            }
            println!("Removed endpoint {name}");
            Ok(())
        }
        WebhooksCommand::Deliveries {
            event: Some(event_id), ..
        } => {
            let Some(event) = store.event_by_id(&event_id).await? else {
                return Err(CliError::Invalid(format!(
                    "no event {event_id}: see `openfatture lightning webhooks deliveries`"
                )));
            };
            let attempts = store.delivery_attempts(event.seq).await?;
            if out.json {
                return out.print_json(&attempts);
            }
            println!("{} {} ({})", event.id, event.kind, event.ln_invoice_id);
            if attempts.is_empty() {
                println!("No attempts yet.");
            }
            for a in attempts {
                let status = a.http_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                println!(
                    "{}  {}  status={status}  {} ms  {}  {}",
                    crate::time::rfc3339(a.attempted_at),
                    a.endpoint,
                    a.latency_ms,
                    a.outcome,
                    a.error.unwrap_or_default()
                );
            }
            Ok(())
        }
        WebhooksCommand::Deliveries {
            failed,
            limit,
            event: None,
        } => {
            let deliveries = store.deliveries(failed, limit.clamp(1, 1000)).await?;
            if out.json {
                return out.print_json(&deliveries);
            }
            if deliveries.is_empty() {
                println!("No deliveries.");
            }
            for d in deliveries {
                let status = d.last_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
                let error = d.last_error.unwrap_or_default();
                println!(
                    "{}  {}  {}  {}  attempts={}  status={status}  {error}",
                    d.event_id, d.event_type, d.endpoint, d.state, d.attempts
                );
            }
            Ok(())
        }
        WebhooksCommand::Redeliver { event_id } => {
            match store.redeliver_event(&event_id).await? {
                None => Err(CliError::Invalid(format!(
                    "no event {event_id}: see `openfatture lightning webhooks deliveries`"
                ))),
                Some(queued) => {
                    if out.json {
                        return out.print_json(&serde_json::json!({ "event_id": event_id, "queued": queued }));
                    }
                    println!("Queued {event_id} for {queued} endpoint(s); `openfatture lightning watch` (or serve) delivers it.");
                    Ok(())
                }
            }
        }
        WebhooksCommand::Test { endpoint } => {
            webhooks::sync_default_endpoint(store, default_endpoint).await?;
            let Some(target) = store
                .webhook_endpoints()
                .await?
                .into_iter()
                .find(|e| e.name == endpoint)
            else {
                return Err(CliError::Invalid(format!(
                    "no webhook endpoint {endpoint}: see `openfatture lightning webhooks list`"
                )));
            };
            let dispatcher = Dispatcher::new(store.clone(), dispatcher_cfg, default_endpoint.secret.clone())?;
            let result = dispatcher.send_test(&target.name, &target.url).await?;
            if out.json {
                return out.print_json(&serde_json::json!({
                    "endpoint": target.name, "status": result.status, "error": result.error, "latency_ms": result.latency_ms,
                }));
            }
            if result.is_success() {
                println!(
                    "✅ {} answered {} in {} ms",
                    target.url,
                    result.status.unwrap_or(0),
                    result.latency_ms
                );
                Ok(())
            } else {
                Err(CliError::Invalid(format!(
                    "test event to {} failed: {}",
                    target.url,
                    result.error.unwrap_or_default()
                )))
            }
        }
    }
}
