//! The home page: status of the connected Lightning node.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_node_status, get_rate_status};
use crate::error::AppError;
use crate::format::{format_sat, group_thousands};
use crate::model::{NodeStatus, RateStatus};

/// Loads the node status from the gateway and shows it, or the error it returned.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let status = LocalResource::new(get_node_status);
    view! {
        <Title text="Node" />
        <section class="card">
            <div class="card-head">
                <h1>"Lightning node"</h1>
                <button type="button" class="button" on:click=move |_| status.refetch()>"Refresh"</button>
            </div>
            <Transition fallback=|| view! { <p class="muted" data-testid="node-loading">"Connecting to the node…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(node) => view! { <NodeStatusView node=node /> }.into_any(),
                        Err(err) => view! { <NodeError err=err /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <RateCard />
    }
}

/// The BTC/EUR rate invoices would use now; a fallback or missing rate is shown as a banner.
#[component]
fn RateCard() -> impl IntoView {
    let rate = LocalResource::new(get_rate_status);
    view! {
        <section class="card">
            <div class="card-head">
                <h2>"BTC/EUR rate"</h2>
                <button type="button" class="button" on:click=move |_| rate.refetch()>"Update rate"</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Asking the rate providers…"</p> }>
                {move || Suspend::new(async move {
                    match rate.await {
                        Ok(rate) => view! { <RateView rate=rate /> }.into_any(),
                        Err(err) => view! {
                            <p class="banner banner-error" role="alert" data-testid="rate-error">
                                {format!("No BTC/EUR rate: invoices cannot be created. {err}")}
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
    let banner = rate.is_fallback.then(|| {
        view! {
            <p class="banner banner-warning" role="alert" data-testid="rate-fallback-banner">
                {format!(
                    "FALLBACK rate in use: {} EUR/BTC is the configured lightning_fallback_rate, not a market price: no rate provider is enabled or answering.",
                    rate.eur_per_btc
                )}
            </p>
        }
    });
    let warnings = rate
        .warnings
        .iter()
        .filter(|_| !rate.is_fallback)
        .map(|w| view! { <p class="banner banner-warning" role="alert">{w.clone()}</p> })
        .collect_view();
    let providers = rate
        .providers
        .into_iter()
        .map(|p| view! { <dt>{p.provider}</dt><dd>{p.health}</dd> })
        .collect_view();
    view! {
        {banner}
        {warnings}
        <dl class="facts">
            <dt>"EUR per BTC"</dt>
            <dd data-testid="rate-value">{rate.eur_per_btc}</dd>
            <dt>"Source"</dt>
            <dd data-testid="rate-source">{rate.source}</dd>
            <dt>"Fetched"</dt>
            <dd>{rate.fetched_at}</dd>
            {providers}
        </dl>
    }
}

/// The error state: connection failed and why.
#[component]
fn NodeError(err: AppError) -> impl IntoView {
    view! {
        <p class="badge badge-error" data-testid="node-connection">"Connection failed"</p>
        <p class="error-text" role="alert" data-testid="node-error">{err.to_string()}</p>
    }
}

/// The node's identity, chain state, channels and balances.
#[component]
fn NodeStatusView(node: NodeStatus) -> impl IntoView {
    let kind = if node.simulated {
        "simulated node (simnode)"
    } else {
        "LND"
    };
    let synced = if node.synced_to_chain { "yes" } else { "no" };
    view! {
        <p class="badge badge-ok" data-testid="node-connection">"Connected"</p>
        <dl class="facts">
            <dt>"Alias"</dt>
            <dd data-testid="node-alias">{node.alias}</dd>
            <dt>"Public key"</dt>
            <dd class="mono" data-testid="node-pubkey">{node.pubkey}</dd>
            <dt>"Node"</dt>
            <dd data-testid="node-kind">{format!("{kind} at {}", node.host)}</dd>
            <dt>"Version"</dt>
            <dd>{node.version}</dd>
            <dt>"Network"</dt>
            <dd data-testid="node-network">{node.network}</dd>
            <dt>"Synced to chain"</dt>
            <dd>{synced} {format!(" (block {})", group_thousands(u64::from(node.block_height)))}</dd>
        </dl>
        <h2>"Channels"</h2>
        <dl class="facts">
            <dt>"Active"</dt>
            <dd data-testid="channels-active">{node.active_channels}</dd>
            <dt>"Inactive"</dt>
            <dd>{node.inactive_channels}</dd>
            <dt>"Pending"</dt>
            <dd>{node.pending_channels}</dd>
            <dt>"Capacity"</dt>
            <dd data-testid="capacity">{format_sat(node.capacity_sat)}</dd>
            <dt>"Can send (local balance)"</dt>
            <dd data-testid="local-balance">{format_sat(node.local_balance_sat)}</dd>
            <dt>"Can receive (remote balance)"</dt>
            <dd data-testid="remote-balance">{format_sat(node.remote_balance_sat)}</dd>
        </dl>
    }
}
