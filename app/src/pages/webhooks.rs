//! The Webhooks page (admin): endpoints (secrets are never shown, only whether one is set), adding
//! and removing endpoints, the delivery log (all or failed only), redelivering an event and sending
//! a signed test event.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::i18n::{current_lang, lang, t};
use crate::model::{DeliveryView, EndpointView, WebhookTestReport};

/// Every endpoint, by name. Admin. `POST /api/admin_webhooks`.
#[server(prefix = "/api", endpoint = "admin_webhooks")]
pub async fn list_webhook_endpoints() -> Result<Vec<EndpointView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.webhook_endpoints().await
}

/// Adds (or replaces) an endpoint with its own secret and event filter (`*` or a comma list).
/// Admin. `POST /api/admin_webhook_add`.
#[server(prefix = "/api", endpoint = "admin_webhook_add")]
pub async fn add_webhook_endpoint(
    /// Endpoint name.
    name: String,
    /// Where events are POSTed.
    url: String,
    /// Secret the receiver verifies signatures with.
    secret: String,
    /// `*` or comma-separated event names ('' for all).
    events: String,
) -> Result<Vec<EndpointView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?
        .add_webhook_endpoint(name, url, secret, events)
        .await
}

/// Removes an endpoint; its pending deliveries are marked failed. Admin.
/// `POST /api/admin_webhook_remove`.
#[server(prefix = "/api", endpoint = "admin_webhook_remove")]
pub async fn remove_webhook_endpoint(
    /// Endpoint name.
    name: String,
) -> Result<Vec<EndpointView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.remove_webhook_endpoint(name).await
}

/// The delivery log, newest first (only failed ones when `failed`). Admin.
/// `POST /api/admin_webhook_deliveries`.
#[server(prefix = "/api", endpoint = "admin_webhook_deliveries")]
pub async fn list_webhook_deliveries(
    /// Only failed deliveries.
    failed: bool,
) -> Result<Vec<DeliveryView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.webhook_deliveries(failed).await
}

/// Queues an event again (same id and body) for every matching endpoint; returns how many
/// deliveries were queued. Admin. `POST /api/admin_webhook_redeliver`.
#[server(prefix = "/api", endpoint = "admin_webhook_redeliver")]
pub async fn redeliver_webhook_event(
    /// Id of the event to queue again (`evt_…`).
    event_id: String,
) -> Result<u64, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.redeliver_webhook_event(event_id).await
}

/// Sends a signed `test` event to an endpoint now. Admin. `POST /api/admin_webhook_test`.
#[server(prefix = "/api", endpoint = "admin_webhook_test")]
pub async fn test_webhook_endpoint(
    /// Name of the endpoint to test.
    endpoint: String,
) -> Result<WebhookTestReport, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.test_webhook_endpoint(endpoint).await
}

/// What the last action on the page did (rendered in the current language).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    /// An endpoint was saved.
    Saved(String),
    /// An endpoint was removed.
    Removed(String),
    /// A test event was answered with 2xx.
    TestDelivered(WebhookTestReport),
    /// A test event failed.
    TestFailed(WebhookTestReport),
    /// An event was queued again for this many deliveries.
    Redelivered(String, u64),
    /// The gateway refused or failed (its own words).
    Error(String),
}

impl Notice {
    /// The text in the current language, and whether it reports a failure.
    fn text(&self) -> (String, bool) {
        match self {
            Notice::Saved(name) => (format!("{} {name}", t("webhooks.saved_endpoint")), false),
            Notice::Removed(name) => (format!("{} {name}", t("webhooks.removed_endpoint")), false),
            Notice::TestDelivered(r) => (
                format!(
                    "{} {} · HTTP {} · {} ms",
                    t("webhooks.test_event_delivered_to"),
                    r.endpoint,
                    r.status.unwrap_or(0),
                    r.latency_ms
                ),
                false,
            ),
            Notice::TestFailed(r) => (
                format!(
                    "{} {}: {}",
                    t("webhooks.test_event_failed_for"),
                    r.endpoint,
                    r.error.as_ref().map(|e| e.text(lang())).unwrap_or_default()
                ),
                true,
            ),
            Notice::Redelivered(id, n) => (format!("{id}: {} {n}", t("webhooks.deliveries_queued")), false),
            Notice::Error(text) => (text.clone(), true),
        }
    }
}

/// The columns of the endpoint table.
const ENDPOINT_COLUMNS: &[Column] = &[
    Column::text("webhooks.column.name"),
    Column::text("webhooks.column.url"),
    Column::text("webhooks.column.events"),
    Column::text("webhooks.column.enabled"),
    Column::text("webhooks.column.secret"),
    Column::text("webhooks.column.health"),
    Column::untitled(),
];

/// The columns of the delivery table.
const DELIVERY_COLUMNS: &[Column] = &[
    Column::text("webhooks.column.event"),
    Column::text("webhooks.column.type"),
    Column::text("webhooks.column.endpoint"),
    Column::text("common.column.state"),
    Column::num("webhooks.column.attempts"),
    Column::text("webhooks.column.last_answer"),
    Column::untitled(),
];

/// The Webhooks page.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let failed_only = RwSignal::new(false);
    let message = RwSignal::new(None::<Notice>);
    let endpoints = LocalResource::new(move || {
        let _ = version.get();
        list_webhook_endpoints()
    });
    let deliveries = LocalResource::new(move || {
        let _ = version.get();
        list_webhook_deliveries(failed_only.get())
    });

    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let events = RwSignal::new("*".to_string());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        leptos::task::spawn_local(async move {
            let added = name.get_untracked();
            match add_webhook_endpoint(
                added.clone(),
                url.get_untracked(),
                secret.get_untracked(),
                events.get_untracked(),
            )
            .await
            {
                Ok(_) => {
                    message.set(Some(Notice::Saved(added)));
                    name.set(String::new());
                    url.set(String::new());
                    secret.set(String::new());
                    events.set("*".to_string());
                }
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    let on_remove = move |endpoint: String| {
        message.set(None);
        leptos::task::spawn_local(async move {
            match remove_webhook_endpoint(endpoint.clone()).await {
                Ok(_) => message.set(Some(Notice::Removed(endpoint))),
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    let on_test = move |endpoint: String| {
        message.set(None);
        leptos::task::spawn_local(async move {
            match test_webhook_endpoint(endpoint).await {
                Ok(r) if r.ok => message.set(Some(Notice::TestDelivered(r))),
                Ok(r) => message.set(Some(Notice::TestFailed(r))),
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    let on_redeliver = move |event_id: String| {
        message.set(None);
        leptos::task::spawn_local(async move {
            match redeliver_webhook_event(event_id.clone()).await {
                Ok(n) => message.set(Some(Notice::Redelivered(event_id, n))),
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };

    view! {
        <Title text=move || t("title.webhooks") />
        <section class="card admin-page">
            <h1>{move || t("common.webhooks")}</h1>
            {move || message.get().map(|m| match m.text() {
                (text, false) => view! { <p class="banner banner-ok" role="status" data-testid="webhook-message">{text}</p> }.into_any(),
                (text, true) => view! { <p class="banner banner-error" role="alert" data-testid="webhook-error">{text}</p> }.into_any(),
            })}
            <h2>{move || t("webhooks.endpoints")}</h2>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted" data-testid="webhooks-empty">{move || t("webhooks.no_endpoints_yet")}</p>
                        }.into_any(),
                        Ok(rows) => view! { <EndpointsTable rows on_remove on_test /> }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
            <h2>{move || t("webhooks.add_an_endpoint")}</h2>
            <form class="admin-form" on:submit=add>
                <label>
                    <span>{move || t("webhooks.name")}</span>
                    <input type="text" required data-testid="webhook-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>"URL"</span>
                    <input type="url" required placeholder="https://erp.example.com/hook" data-testid="webhook-url"
                        prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("webhooks.secret_input")}</span>
                    <input type="password" required autocomplete="new-password" data-testid="webhook-secret"
                        prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("webhooks.events_input")}</span>
                    <input type="text" data-testid="webhook-events"
                        prop:value=move || events.get() on:input=move |ev| events.set(event_target_value(&ev)) />
                </label>
                <div class="admin-actions">
                    <button type="submit" class="button button-primary" data-testid="webhook-add">
                        {move || t("webhooks.save_endpoint")}
                    </button>
                </div>
            </form>
        </section>
        <section class="card admin-page">
            <div class="card-head">
                <h2>{move || t("webhooks.deliveries")}</h2>
                <label class="admin-check">
                    <input type="checkbox" data-testid="deliveries-failed"
                        prop:checked=move || failed_only.get()
                        on:change=move |ev| failed_only.set(event_target_checked(&ev)) />
                    <span>{move || t("webhooks.failed_only")}</span>
                </label>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted" data-testid="deliveries-empty">{move || t("webhooks.no_deliveries")}</p>
                        }.into_any(),
                        Ok(rows) => view! { <DeliveriesTable rows on_redeliver /> }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Endpoints with Test and Remove buttons.
#[component]
fn EndpointsTable<R, T>(rows: Vec<EndpointView>, on_remove: R, on_test: T) -> impl IntoView
where
    R: Fn(String) + Copy + 'static,
    T: Fn(String) + Copy + 'static,
{
    view! {
        <AdminTable columns=ENDPOINT_COLUMNS rows={rows.into_iter().map(|e| {
            let (remove_name, test_name) = (e.name.clone(), e.name.clone());
            let is_default = e.name == "default";
            let remove_testid = format!("webhook-remove-{}", e.name);
            let enabled = e.enabled;
            let secret_set = e.secret_set;
            view! {
                <tr data-testid=format!("webhook-row-{}", e.name)>
                    <td>{e.name.clone()}</td>
                    <td class="mono">{e.url.clone()}</td>
                    <td>{e.events.clone()}</td>
                    <td>{move || if enabled { t("common.yes") } else { t("common.no") }}</td>
                    <td data-testid=format!("webhook-secret-{}", e.name)>
                        {move || if secret_set { t("common.set") } else { t("common.not_set") }}
                    </td>
                    <td class=if e.healthy { "" } else { "error-cell" } data-testid=format!("webhook-health-{}", e.name)>{health_text(&e.health)}</td>
                    <td class="admin-actions">
                        <button type="button" class="button" data-testid=format!("webhook-test-{}", e.name)
                            on:click=move |_| on_test(test_name.clone())>
                            {move || t("webhooks.send_test")}
                        </button>
                        {(!is_default).then(|| view! {
                            <button type="button" class="button" data-testid=remove_testid.clone()
                                on:click=move |_| on_remove(remove_name.clone())>
                                {move || t("common.remove")}
                            </button>
                        })}
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// Deliveries with a Redeliver button per event.
#[component]
fn DeliveriesTable<F>(rows: Vec<DeliveryView>, on_redeliver: F) -> impl IntoView
where
    F: Fn(String) + Copy + 'static,
{
    view! {
        <AdminTable columns=DELIVERY_COLUMNS rows={rows.into_iter().map(|d| {
            let id = d.event_id.clone();
            let last = d.last_error.clone();
            let last = move || match &last {
                Some(error) => error.text(lang()),
                None => d.last_status.map(|status| format!("HTTP {status}")).unwrap_or_default(),
            };
            view! {
                <tr data-testid=format!("delivery-row-{}-{}", d.event_id, d.endpoint)>
                    <td class="mono">{d.event_id.clone()}</td>
                    <td>{d.event_type.clone()}</td>
                    <td>{d.endpoint.clone()}</td>
                    <td>{d.state.clone()}</td>
                    <td class="num">{d.attempts}</td>
                    <td>{last}</td>
                    <td>
                        <button type="button" class="button" data-testid=format!("redeliver-{}", d.event_id)
                            on:click=move |_| on_redeliver(id.clone())>
                            {move || t("webhooks.redeliver")}
                        </button>
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// An endpoint's health in the page's language: the breaker's state, the delivery state, the last
/// error, joined.
pub(super) fn health_text(health: &[crate::model::Refusal]) -> impl Fn() -> String + use<> {
    let health = health.to_vec();
    move || {
        let lang = lang();
        health
            .iter()
            .map(|part| part.text(lang))
            .collect::<Vec<_>>()
            .join(" — ")
    }
}
