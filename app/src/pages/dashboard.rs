//! The node dashboard (admin): the connected Lightning node, the BTC/EUR rate, channel liquidity,
//! the last payments and the circuit breakers (rate providers) and webhook endpoint health.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_liquidity, get_node_status, get_rate_status};
use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::format;
use crate::i18n::{lang, tr};
use crate::model::{LiquidityView, NodeStatus, RateStatus};
use crate::pages::payments::{list_payments, PaymentsTable};
use crate::pages::webhooks::list_webhook_endpoints;

/// The columns of the channel table.
const CHANNEL_COLUMNS: &[Column] = &[
    Column::text("Channel", "Canale"),
    Column::text("Peer", "Peer"),
    Column::num("Capacity", "Capacità"),
    Column::num("Local", "Locale"),
    Column::num("Remote", "Remoto"),
    Column::num("Inbound", "Entrata"),
    Column::text("State", "Stato"),
];

/// Loads the node status from the gateway and shows it, or the error it returned.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let status = LocalResource::new(get_node_status);
    let rate = LocalResource::new(get_rate_status);
    view! {
        <Title text="Node" />
        <div class="dashboard">
            <div class="dashboard-row">
                <div class="dashboard-col">
                    <section class="card">
                        <div class="card-head">
                            <h1>{move || tr("Lightning node", "Nodo Lightning")}</h1>
                            <button type="button" class="button" on:click=move |_| status.refetch()>{move || tr("Refresh", "Aggiorna")}</button>
                        </div>
                        <Transition fallback=|| view! { <p class="muted" data-testid="node-loading">{move || tr("Connecting to the node…", "Connessione al nodo…")}</p> }>
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
                <h2>{move || tr("BTC/EUR rate", "Cambio BTC/EUR")}</h2>
                <button type="button" class="button" on:click=move |_| rate.refetch()>{move || tr("Update rate", "Aggiorna cambio")}</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || tr("Asking the rate providers…", "Richiesta ai fornitori del cambio…")}</p> }>
                {move || Suspend::new(async move {
                    match rate.await {
                        Ok(rate) => view! { <RateView rate=rate /> }.into_any(),
                        Err(err) => view! {
                            <p class="banner banner-error" role="alert" data-testid="rate-error">
                                {move || format!("{} {err}", tr("No BTC/EUR rate: invoices cannot be created.", "Nessun cambio BTC/EUR: non si possono creare fatture."))}
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
                    tr("DEMO rate in use:", "Cambio DIMOSTRATIVO in uso:"),
                    format::rate(lang(), &demo_rate),
                    tr(
                        "the demo rate of the embedded simulated node, not a market price: no rate provider answers and no lightning_fallback_rate is set.",
                        "il cambio dimostrativo del nodo simulato integrato, non un prezzo di mercato: nessun fornitore del cambio risponde e lightning_fallback_rate non è impostato."
                    )
                )}
            </p>
        }
    });
    let banner = rate.is_fallback.then(|| {
        view! {
            <p class="banner banner-warning" role="alert" data-testid="rate-fallback-banner">
                {move || format!(
                    "{} {}: {}",
                    tr("FALLBACK rate in use:", "Cambio di RISERVA in uso:"),
                    format::rate(lang(), &fallback_rate),
                    tr(
                        "the configured lightning_fallback_rate, not a market price: no rate provider is enabled or answering.",
                        "il lightning_fallback_rate configurato, non un prezzo di mercato: nessun fornitore del cambio è attivo o risponde."
                    )
                )}
            </p>
        }
    });
    let warnings = rate
        .warnings
        .iter()
        .filter(|_| !rate.is_fallback && !is_demo)
        .map(|w| view! { <p class="banner banner-warning" role="alert">{w.clone()}</p> })
        .collect_view();
    let providers = rate
        .providers
        .into_iter()
        .map(|p| view! { <dt>{p.provider}</dt><dd>{p.health}</dd> })
        .collect_view();
    let notices = rate
        .notices
        .iter()
        .map(|n| view! { <p class="banner banner-warning" data-testid="rate-notice">{n.clone()}</p> })
        .collect_view();
    let sources_mark = rate.sources_mark.map(|mark| {
        view! {
            <dt>{move || tr("Agreeing sources", "Fonti concordi")}</dt>
            <dd class="error-cell" data-testid="rate-sources-mark">{mark}</dd>
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
            <dt>{move || tr("EUR per BTC", "EUR per BTC")}</dt>
            <dd data-testid="rate-value">{move || format::money(lang(), &eur_per_btc)}</dd>
            <dt>{move || tr("Source", "Fonte")}</dt>
            <dd data-testid="rate-source">{rate.source}</dd>
            {sources_mark}
            <dt>{move || tr("Rate kind", "Tipo di cambio")}</dt>
            <dd data-testid="rate-state" data-state=state.as_str()>{move || state.label(crate::i18n::lang())}</dd>
            <dt>{move || tr("Fetched", "Aggiornato")}</dt>
            <dd data-testid="rate-fetched">{move || format::when_relative(lang(), &fetched_at)}</dd>
            {providers}
        </dl>
    }
}

/// The error state: connection failed and why.
#[component]
fn NodeError(err: AppError) -> impl IntoView {
    view! {
        <p class="badge badge-error" data-testid="node-connection">{move || tr("Connection failed", "Connessione non riuscita")}</p>
        <p class="error-text" role="alert" data-testid="node-error">{err.to_string()}</p>
    }
}

/// The node's identity, chain state, channels and balances.
#[component]
fn NodeStatusView(node: NodeStatus) -> impl IntoView {
    let simulated = node.simulated;
    let host = node.host.clone();
    let kind = move || {
        let kind = if simulated {
            tr("simulated node (simnode)", "nodo simulato (simnode)")
        } else {
            "LND"
        };
        format!("{kind} {} {host}", tr("at", "su"))
    };
    let synced_to_chain = node.synced_to_chain;
    let synced = move || {
        if synced_to_chain {
            tr("yes", "sì")
        } else {
            tr("no", "no")
        }
    };
    view! {
        <p class="badge badge-ok" data-testid="node-connection">{move || tr("Connected", "Connesso")}</p>
        <dl class="facts">
            <dt>{move || tr("Alias", "Alias")}</dt>
            <dd data-testid="node-alias">{node.alias}</dd>
            <dt>{move || tr("Public key", "Chiave pubblica")}</dt>
            <dd class="mono" data-testid="node-pubkey">{node.pubkey}</dd>
            <dt>{move || tr("Circuit breaker", "Interruttore di circuito")}</dt>
            <dd data-testid="node-breaker">{node.breaker}</dd>
            <dt>{move || tr("Node", "Nodo")}</dt>
            <dd data-testid="node-kind">{kind}</dd>
            <dt>{move || tr("Version", "Versione")}</dt>
            <dd>{node.version}</dd>
            <dt>{move || tr("Network", "Rete")}</dt>
            <dd data-testid="node-network">{node.network}</dd>
            <dt>{move || tr("Synced to chain", "Sincronizzato")}</dt>
            <dd>{synced} {move || format!(" ({} {})", tr("block", "blocco"), format::integer(lang(), u64::from(node.block_height)))}</dd>
        </dl>
        <h2>{move || tr("Channels", "Canali")}</h2>
        <dl class="facts">
            <dt>{move || tr("Active", "Attivi")}</dt>
            <dd data-testid="channels-active">{node.active_channels}</dd>
            <dt>{move || tr("Inactive", "Inattivi")}</dt>
            <dd>{node.inactive_channels}</dd>
            <dt>{move || tr("Pending", "In apertura")}</dt>
            <dd>{node.pending_channels}</dd>
            <dt>{move || tr("Capacity", "Capacità")}</dt>
            <dd data-testid="capacity">{move || format::sats(lang(), node.capacity_sat)}</dd>
            <dt>{move || tr("Can send (local balance)", "Può inviare (saldo locale)")}</dt>
            <dd data-testid="local-balance">{move || format::sats(lang(), node.local_balance_sat)}</dd>
            <dt>{move || tr("Can receive (remote balance)", "Può ricevere (saldo remoto)")}</dt>
            <dd data-testid="remote-balance">{move || format::sats(lang(), node.remote_balance_sat)}</dd>
        </dl>
    }
}

/// Channel liquidity: inbound ratio, what can be received now, flagged channels, every channel.
#[component]
fn LiquidityCard() -> impl IntoView {
    let liquidity = LocalResource::new(get_liquidity);
    view! {
        <section class="card" data-testid="liquidity-card">
            <div class="card-head">
                <h2>{move || tr("Liquidity", "Liquidità")}</h2>
                <button type="button" class="button" on:click=move |_| liquidity.refetch()>{move || tr("Reload", "Ricarica")}</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match liquidity.await {
                        Ok(l) => view! { <LiquidityFacts l /> }.into_any(),
                        Err(e) => view! { <p class="error-text" role="alert" data-testid="liquidity-error">{e.to_string()}</p> }.into_any(),
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
                {move || format!("{flagged} {}", tr(
                    "channel(s) outside the inbound bounds: see `openfatture lightning liquidity status`.",
                    "canale/i fuori dai limiti di liquidità in entrata: vedi `openfatture lightning liquidity status`."))}
            </p>
        })}
        <dl class="facts">
            <dt>{move || tr("Inbound ratio (remote / capacity)", "Quota in entrata (remoto / capacità)")}</dt>
            <dd data-testid="liquidity-inbound-ratio">{move || format::decimal(lang(), &inbound_ratio)}</dd>
            <dt>{move || tr("Accepted range", "Intervallo accettato")}</dt>
            <dd>{bounds}</dd>
            <dt>{move || tr("Can receive now", "Può ricevere ora")}</dt>
            <dd data-testid="liquidity-receivable">{move || format::sats(lang(), l.receivable_now_sat)}</dd>
            <dt>{move || tr("Largest single payment", "Pagamento singolo massimo")}</dt>
            <dd>{move || format::sats(lang(), l.receivable_single_sat)}</dd>
            <dt>{move || tr("Balance score", "Punteggio di bilanciamento")}</dt>
            <dd>{format!("{} / 100", l.balance_score)}</dd>
            <dt>{move || tr("Flagged channels", "Canali segnalati")}</dt>
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
                        {move || format!("{} · {}", if active { tr("active", "attivo") } else { tr("inactive", "inattivo") }, flag)}
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// The last five payments.
#[component]
fn RecentPaymentsCard() -> impl IntoView {
    let payments = LocalResource::new(|| list_payments(5));
    view! {
        <section class="card" data-testid="recent-payments">
            <div class="card-head">
                <h2>{move || tr("Recent payments", "Pagamenti recenti")}</h2>
                <a class="button" href="/payments">{move || tr("All payments", "Tutti i pagamenti")}</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match payments.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted">{move || tr("No payments received yet.", "Nessun pagamento ricevuto finora.")}</p>
                        }.into_any(),
                        Ok(rows) => view! { <PaymentsTable rows /> }.into_any(),
                        Err(e) => view! { <p class="error-text" role="alert">{e.to_string()}</p> }.into_any(),
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
            <h2>{move || tr("Circuit breakers", "Interruttori di circuito")}</h2>
            <p class="muted">{move || tr(
                "LND (see the node card) and the rate providers are called through circuit breakers; webhook endpoints show their delivery health.",
                "LND (vedi la scheda del nodo) e i fornitori del cambio sono chiamati tramite interruttori di circuito; gli endpoint webhook mostrano lo stato delle consegne.")}</p>
            <dl class="facts">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match rate.await {
                            Ok(rate) if rate.providers.is_empty() => view! {
                                <dt>{move || tr("Rate providers", "Fornitori del cambio")}</dt>
                                <dd>{move || tr("none enabled (fallback rate)", "nessuno attivo (cambio di riserva)")}</dd>
                            }.into_any(),
                            Ok(rate) => rate.providers.into_iter().map(|p| view! {
                                <dt>{move || tr("Rate: ", "Cambio: ")}{p.provider.clone()}</dt>
                                <dd data-testid=format!("breaker-rate-{}", p.provider)>{p.health.clone()}</dd>
                            }).collect_view().into_any(),
                            Err(e) => view! {
                                <dt>{move || tr("Rate providers", "Fornitori del cambio")}</dt>
                                <dd class="error-cell">{e.to_string()}</dd>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match endpoints.await {
                            Ok(list) if list.is_empty() => view! {
                                <dt>"Webhook"</dt>
                                <dd>{move || tr("no endpoints", "nessun endpoint")}</dd>
                            }.into_any(),
                            Ok(list) => list.into_iter().map(|e| view! {
                                <dt>{format!("Webhook: {}", e.name)}</dt>
                                <dd class=if e.healthy { "" } else { "error-cell" } data-testid=format!("breaker-webhook-{}", e.name)>{e.health.clone()}</dd>
                            }).collect_view().into_any(),
                            Err(e) => view! { <dt>"Webhook"</dt><dd class="error-cell">{e.to_string()}</dd> }.into_any(),
                        }
                    })}
                </Transition>
            </dl>
        </section>
    }
}
