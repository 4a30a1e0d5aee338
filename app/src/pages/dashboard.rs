//! The node dashboard (admin): the connected Lightning node, the BTC/EUR rate, channel liquidity,
//! the last payments and the circuit breakers (rate providers) and webhook endpoint health.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_liquidity, get_node_alerts, get_node_status, get_rate_status};
use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::format;
use crate::i18n::{fill, lang, t};
use crate::model::{LiquidityView, NodeAlertsView, NodeStatus, RateStatus};
use crate::pages::payments::{list_payments, PaymentsTable};
use crate::pages::webhooks::list_webhook_endpoints;

/// The columns of the channel table.
const CHANNEL_COLUMNS: &[Column] = &[
    Column::text("dashboard.column.channel"),
    Column::text("dashboard.column.peer"),
    Column::num("dashboard.column.capacity"),
    Column::num("dashboard.column.local"),
    Column::num("dashboard.column.remote"),
    Column::num("dashboard.column.inbound"),
    Column::text("common.column.state"),
];

/// Loads the node status from the gateway and shows it, or the error it returned.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let status = LocalResource::new(get_node_status);
    let rate = LocalResource::new(get_rate_status);
    view! {
        <Title text=move || t("title.node") />
        <div class="dashboard">
            <div class="dashboard-row">
                <div class="dashboard-col">
                    <section class="card">
                        <div class="card-head">
                            <h1>{move || t("common.lightning_node")}</h1>
                            <button type="button" class="button" data-testid="node-refresh" on:click=move |_| status.refetch()>{move || t("common.refresh")}</button>
                        </div>
                        <Transition fallback=|| view! { <p class="muted" data-testid="node-loading">{move || t("dashboard.connecting_to_the_node")}</p> }>
                            {move || Suspend::new(async move {
                                match status.await {
                                    Ok(node) => view! { <NodeStatusView node=node /> }.into_any(),
                                    Err(err) => view! { <NodeError err=err /> }.into_any(),
                                }
                            })}
                        </Transition>
                    </section>
                </div>
                <div class="dashboard-col">
                    <RateCard rate />
                    <BreakersCard rate />
                </div>
            </div>
            <crate::pages::closing::DayCard />
            <AlertsCard />
            <LiquidityCard />
            <RecentPaymentsCard />
        </div>
    }
}

/// The BTC/EUR rate invoices would use now; a fallback or missing rate is shown as a banner.
#[component]
fn RateCard(rate: LocalResource<Result<RateStatus, AppError>>) -> impl IntoView {
    view! {
        <section class="card">
            <div class="card-head">
                <h2>{move || t("common.btc_eur_rate")}</h2>
                <button type="button" class="button" on:click=move |_| rate.refetch()>{move || t("dashboard.update_rate")}</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("dashboard.asking_the_rate_providers")}</p> }>
                {move || Suspend::new(async move {
                    match rate.await {
                        Ok(rate) => view! { <RateView rate=rate /> }.into_any(),
                        Err(err) => view! {
                            <p class="banner banner-error" role="alert" data-testid="rate-error">
                                {move || format!("{} {}", t("dashboard.rate_none"), err.text(lang()))}
                            </p>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The rate, its source and time, the providers, and any loud warning.
#[component]
fn RateView(rate: RateStatus) -> impl IntoView {
    let fallback_rate = rate.eur_per_btc.clone();
    let demo_rate = rate.eur_per_btc.clone();
    let is_demo = rate.state == crate::model::RateState::Demo;
    let demo_banner = is_demo.then(|| {
        view! {
            <p class="banner banner-warning" role="alert" data-testid="rate-demo-banner">
                {move || format!(
                    "{} {}: {}",
                    t("dashboard.demo_rate_in_use"),
                    format::rate(lang(), &demo_rate),
                    t("dashboard.demo_rate_explained")
                )}
            </p>
        }
    });
    let banner = rate.is_fallback.then(|| {
        view! {
            <p class="banner banner-warning" role="alert" data-testid="rate-fallback-banner">
                {move || format!(
                    "{} {}: {}",
                    t("dashboard.fallback_rate_in_use"),
                    format::rate(lang(), &fallback_rate),
                    t("dashboard.fallback_rate_explained")
                )}
            </p>
        }
    });
    let warnings = rate
        .warnings
        .iter()
        .filter(|_| !rate.is_fallback && !is_demo)
        .map(|w| {
            let w = w.clone();
            view! { <p class="banner banner-warning" role="alert" data-testid="rate-warning">{move || w.text(lang())}</p> }
        })
        .collect_view();
    let providers = rate
        .providers
        .into_iter()
        .map(|p| {
            let health = p.health;
            view! { <dt>{p.provider}</dt><dd>{move || health.text(lang())}</dd> }
        })
        .collect_view();
    let notices = rate
        .notices
        .iter()
        .map(|n| {
            let n = n.clone();
            view! { <p class="banner banner-warning" data-testid="rate-notice">{move || n.text(lang())}</p> }
        })
        .collect_view();
    let sources_mark = rate.sources_mark.map(|mark| {
        view! {
            <dt>{move || t("dashboard.agreeing_sources")}</dt>
            <dd class="error-cell" data-testid="rate-sources-mark">{move || mark.text(lang())}</dd>
        }
    });
    let state = rate.state;
    let eur_per_btc = rate.eur_per_btc;
    let fetched_at = rate.fetched_at;
    view! {
        {demo_banner}
        {banner}
        {warnings}
        {notices}
        <dl class="facts">
            <dt>{move || t("dashboard.eur_per_btc")}</dt>
            <dd data-testid="rate-value">{move || format::money(lang(), &eur_per_btc)}</dd>
            <dt>{move || t("dashboard.source")}</dt>
            <dd data-testid="rate-source">{rate.source}</dd>
            {sources_mark}
            <dt>{move || t("dashboard.rate_kind")}</dt>
            <dd data-testid="rate-state" data-state=state.as_str()>{move || state.label(crate::i18n::lang())}</dd>
            <dt>{move || t("dashboard.fetched")}</dt>
            <dd data-testid="rate-fetched">{move || format::when_relative(lang(), &fetched_at)}</dd>
            {providers}
        </dl>
    }
}

/// The error state: connection failed and why.
#[component]
fn NodeError(err: AppError) -> impl IntoView {
    view! {
        <p class="badge badge-error" data-testid="node-connection">{move || t("dashboard.connection_failed")}</p>
        <p class="error-text" role="alert" data-testid="node-error">{move || err.text(lang())}</p>
    }
}

/// The node's identity, chain state, channels and balances.
#[component]
fn NodeStatusView(node: NodeStatus) -> impl IntoView {
    let simulated = node.simulated;
    let host = node.host.clone();
    let kind = move || {
        let kind = if simulated {
            t("dashboard.simulated_node_simnode")
        } else {
            "LND"
        };
        format!("{kind} {} {host}", t("dashboard.node.at_host"))
    };
    let synced_to_chain = node.synced_to_chain;
    let synced = move || {
        if synced_to_chain {
            t("common.yes")
        } else {
            t("common.no")
        }
    };
    view! {
        <p class="badge badge-ok" data-testid="node-connection">{move || t("dashboard.connected")}</p>
        <dl class="facts">
            <dt>{move || t("dashboard.alias")}</dt>
            <dd data-testid="node-alias">{node.alias}</dd>
            <dt>{move || t("dashboard.public_key")}</dt>
            <dd class="mono" data-testid="node-pubkey">{node.pubkey}</dd>
            <dt>{move || t("dashboard.circuit_breaker")}</dt>
            <dd data-testid="node-breaker">{node.breaker}</dd>
            <dt>{move || t("common.node")}</dt>
            <dd data-testid="node-kind">{kind}</dd>
            <dt>{move || t("dashboard.version")}</dt>
            <dd>{node.version}</dd>
            <dt>{move || t("dashboard.network")}</dt>
            <dd data-testid="node-network">{node.network}</dd>
            <dt>{move || t("dashboard.synced_to_chain")}</dt>
            <dd>{synced} {move || format!(" ({} {})", t("dashboard.block"), format::integer(lang(), u64::from(node.block_height)))}</dd>
        </dl>
        <h2>{move || t("dashboard.channels")}</h2>
        <dl class="facts">
            <dt>{move || t("dashboard.active")}</dt>
            <dd data-testid="channels-active">{node.active_channels}</dd>
            <dt>{move || t("dashboard.inactive")}</dt>
            <dd>{node.inactive_channels}</dd>
            <dt>{move || t("dashboard.pending")}</dt>
            <dd>{node.pending_channels}</dd>
            <dt>{move || t("dashboard.capacity")}</dt>
            <dd data-testid="capacity">{move || format::sats(lang(), node.capacity_sat)}</dd>
            <dt>{move || t("dashboard.can_send_local_balance")}</dt>
            <dd data-testid="local-balance">{move || format::sats(lang(), node.local_balance_sat)}</dd>
            <dt>{move || t("dashboard.can_receive_remote_balance")}</dt>
            <dd data-testid="remote-balance">{move || format::sats(lang(), node.remote_balance_sat)}</dd>
        </dl>
    }
}

/// The node's open alerts (force closes, inactive channels, channels no backup covers) and the
/// last channel backup's time.
#[component]
fn AlertsCard() -> impl IntoView {
    let alerts = LocalResource::new(get_node_alerts);
    view! {
        <section class="card" data-testid="alerts-card">
            <div class="card-head">
                <h2>{move || t("dashboard.alerts")}</h2>
                <button type="button" class="button" on:click=move |_| alerts.refetch()>{move || t("common.reload")}</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match alerts.await {
                        Ok(a) => view! { <AlertList a /> }.into_any(),
                        Err(e) => view! { <p class="error-text" role="alert" data-testid="alerts-error">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The alert lines and the last backup.
#[component]
fn AlertList(a: NodeAlertsView) -> impl IntoView {
    let last_backup = a.last_backup_secs;
    let backup_line = move || match last_backup {
        Some(secs) => fill(
            t("dashboard.alerts.last_backup"),
            &[("when", &format::when_secs_relative(lang(), secs))],
        ),
        None => t("dashboard.alerts.no_backup").to_string(),
    };
    let empty = a.alerts.is_empty();
    let lines = a
        .alerts
        .into_iter()
        .map(|alert| {
            let text = move || {
                let when = format::when_secs_relative(lang(), alert.since_secs);
                let template = match alert.kind.as_str() {
                    "force_close" => t("dashboard.alerts.force_close"),
                    "channel_inactive" => t("dashboard.alerts.channel_inactive"),
                    _ => t("dashboard.alerts.uncovered_channel"),
                };
                fill(
                    template,
                    &[
                        ("channel", &alert.chan_point),
                        ("when", &when),
                        ("txid", &alert.closing_txid),
                    ],
                )
            };
            view! { <li class="banner banner-warning" role="alert" data-testid="node-alert">{text}</li> }
        })
        .collect_view();
    view! {
        <p data-testid="last-backup">{backup_line}</p>
        {empty.then(|| view! { <p class="muted" data-testid="alerts-none">{move || t("dashboard.alerts.none")}</p> })}
        <ul class="alerts">{lines}</ul>
    }
}

/// Channel liquidity: inbound ratio, what can be received now, flagged channels, every channel.
#[component]
fn LiquidityCard() -> impl IntoView {
    let liquidity = LocalResource::new(get_liquidity);
    view! {
        <section class="card" data-testid="liquidity-card">
            <div class="card-head">
                <h2>{move || t("dashboard.liquidity")}</h2>
                <button type="button" class="button" on:click=move |_| liquidity.refetch()>{move || t("common.reload")}</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match liquidity.await {
                        Ok(l) => view! { <LiquidityFacts l /> }.into_any(),
                        Err(e) => view! { <p class="error-text" role="alert" data-testid="liquidity-error">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The liquidity numbers and the channels table.
#[component]
fn LiquidityFacts(l: LiquidityView) -> impl IntoView {
    let flagged = l.flagged_channels;
    let (min_ratio, max_ratio, inbound_ratio) = (l.min_ratio.clone(), l.max_ratio.clone(), l.inbound_ratio.clone());
    let bounds = move || {
        format!(
            "{} – {}",
            format::decimal(lang(), &min_ratio),
            format::decimal(lang(), &max_ratio)
        )
    };
    view! {
        {(flagged > 0).then(|| view! {
            <p class="banner banner-warning" role="alert" data-testid="liquidity-flagged-banner">
                {move || format!("{flagged} {}", t("dashboard.liquidity.flagged_banner"))}
            </p>
        })}
        <dl class="facts">
            <dt>{move || t("dashboard.inbound_ratio")}</dt>
            <dd data-testid="liquidity-inbound-ratio">{move || format::decimal(lang(), &inbound_ratio)}</dd>
            <dt>{move || t("dashboard.accepted_range")}</dt>
            <dd>{bounds}</dd>
            <dt>{move || t("dashboard.can_receive_now")}</dt>
            <dd data-testid="liquidity-receivable">{move || format::sats(lang(), l.receivable_now_sat)}</dd>
            <dt>{move || t("dashboard.largest_single_payment")}</dt>
            <dd>{move || format::sats(lang(), l.receivable_single_sat)}</dd>
            <dt>{move || t("dashboard.balance_score")}</dt>
            <dd>{format!("{} / 100", l.balance_score)}</dd>
            <dt>{move || t("dashboard.flagged_channels")}</dt>
            <dd data-testid="liquidity-flagged">{flagged}</dd>
        </dl>
        <AdminTable columns=CHANNEL_COLUMNS testid="channels-table" rows={l.channels.into_iter().map(|c| {
            let ok = c.flag == "ok";
            let active = c.active;
            let flag = c.flag.clone();
            let channel_ratio = c.inbound_ratio.clone();
            view! {
                <tr data-testid=format!("channel-row-{}", c.chan_id)>
                    <td class="mono">{c.chan_id}</td>
                    <td>{c.peer.clone()}</td>
                    <td class="num">{move || format::sats(lang(), c.capacity_sat)}</td>
                    <td class="num">{move || format::sats(lang(), c.local_sat)}</td>
                    <td class="num">{move || format::sats(lang(), c.remote_sat)}</td>
                    <td class="num">{move || format::decimal(lang(), &channel_ratio)}</td>
                    <td class=if ok { "" } else { "error-cell" }>
                        {move || format!("{} · {}", if active { t("dashboard.channel.active") } else { t("dashboard.channel.inactive") }, flag)}
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// The last five payments.
#[component]
fn RecentPaymentsCard() -> impl IntoView {
    let payments = LocalResource::new(|| list_payments(5, String::new(), String::new(), String::new()));
    view! {
        <section class="card" data-testid="recent-payments">
            <div class="card-head">
                <h2>{move || t("dashboard.recent_payments")}</h2>
                <a class="button" href="/payments">{move || t("dashboard.all_payments")}</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match payments.await {
                        Ok(page) if page.rows.is_empty() => view! {
                            <p class="muted">{move || t("common.no_payments_received_yet")}</p>
                        }.into_any(),
                        Ok(page) => view! { <PaymentsTable rows=page.rows /> }.into_any(),
                        Err(e) => view! { <p class="error-text" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Circuit breakers: each rate provider's breaker, and each webhook endpoint's delivery health
/// (the LND breaker is shown on the node card).
#[component]
fn BreakersCard(rate: LocalResource<Result<RateStatus, AppError>>) -> impl IntoView {
    let endpoints = LocalResource::new(list_webhook_endpoints);
    view! {
        <section class="card" data-testid="breakers">
            <h2>{move || t("dashboard.circuit_breakers")}</h2>
            <p class="muted">{move || t("dashboard.breakers.intro")}</p>
            <dl class="facts">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match rate.await {
                            Ok(rate) if rate.providers.is_empty() => view! {
                                <dt>{move || t("dashboard.rate_providers")}</dt>
                                <dd>{move || t("dashboard.no_rate_provider_enabled")}</dd>
                            }.into_any(),
                            Ok(rate) => rate.providers.into_iter().map(|p| view! {
                                <dt>{move || t("dashboard.breakers.rate_label")}{p.provider.clone()}</dt>
                                <dd data-testid=format!("breaker-rate-{}", p.provider)>{let health = p.health.clone(); move || health.text(lang())}</dd>
                            }).collect_view().into_any(),
                            Err(e) => view! {
                                <dt>{move || t("dashboard.rate_providers")}</dt>
                                <dd class="error-cell">{move || e.text(lang())}</dd>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match endpoints.await {
                            Ok(list) if list.is_empty() => view! {
                                <dt>{move || t("dashboard.breaker.webhook")}</dt>
                                <dd>{move || t("dashboard.no_endpoints")}</dd>
                            }.into_any(),
                            Ok(list) => list.into_iter().map(|e| {
                                let name = e.name.clone();
                                view! {
                                <dt>{move || fill(t("dashboard.breaker.webhook_named"), &[("name", &name)])}</dt>
                                <dd class=if e.healthy { "" } else { "error-cell" } data-testid=format!("breaker-webhook-{}", e.name)>{super::webhooks::health_text(&e.health)}</dd>
                                }
                            }).collect_view().into_any(),
                            Err(e) => view! { <dt>{move || t("dashboard.breaker.webhook")}</dt><dd class="error-cell">{move || e.text(lang())}</dd> }.into_any(),
                        }
                    })}
                </Transition>
            </dl>
        </section>
    }
}
