//! The home page: status of the connected Lightning node.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_node_status;
use crate::error::AppError;
use crate::format::{format_sat, group_thousands};
use crate::model::NodeStatus;

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
