//! The first-run guide (`/welcome`, admin), opened right after `/setup` created the first admin
//! and again from Settings at any time. Five steps, each can be skipped and redone later: shop
//! data, the Lightning node (the embedded demo node, or the shop's own LND: its address,
//! `tls.cert` and a macaroon, tested before anything is kept, with what the macaroon allows),
//! the BTC/EUR rate (asked live), a first cashier, and a test webhook.

use leptos::prelude::*;
use leptos_meta::Title;

use super::setting_labels::refusal_text;
use super::settings::{list_settings, save_setting};
use crate::api::{get_node_status, get_rate_status};
use crate::error::AppError;
use crate::i18n::{fill, lang, t, text_in, Lang};
use crate::model::NodeCheck;

/// Tests the shop's own LND and, when it works, keeps its certificate and macaroon in the data
/// directory and points the configuration at them; a failed test changes nothing. Admin.
/// `POST /api/admin_node_connect`.
#[server(prefix = "/api", endpoint = "admin_node_connect")]
pub async fn connect_node(
    /// The node's gRPC `host:port`.
    host: String,
    /// Its `tls.cert`, PEM text.
    cert_pem: String,
    /// A macaroon as hex text (admin.macaroon, or one baked with info, invoices and offchain).
    macaroon_hex: String,
) -> Result<NodeCheck, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?
        .connect_node(host, cert_pem, macaroon_hex)
        .await
}

/// A step of the guide, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Shop,
    Node,
    Rates,
    Cashier,
    Webhook,
    Done,
}

impl Step {
    const ALL: [Step; 6] = [
        Step::Shop,
        Step::Node,
        Step::Rates,
        Step::Cashier,
        Step::Webhook,
        Step::Done,
    ];

    fn id(self) -> &'static str {
        match self {
            Step::Shop => "shop",
            Step::Node => "node",
            Step::Rates => "rates",
            Step::Cashier => "cashier",
            Step::Webhook => "webhook",
            Step::Done => "done",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Step::Shop => t("welcome.your_shop"),
            Step::Node => t("common.lightning_node"),
            Step::Rates => t("common.btc_eur_rate"),
            Step::Cashier => t("welcome.first_cashier"),
            Step::Webhook => t("welcome.webhook"),
            Step::Done => t("welcome.ready"),
        }
    }

    fn next(self) -> Step {
        let at = Step::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Step::ALL.get(at + 1).copied().unwrap_or(Step::Done)
    }

    fn previous(self) -> Step {
        let at = Step::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Step::ALL[at.saturating_sub(1)]
    }
}

/// An error of a call in `lang` (refused settings by their label).
fn error_words(error: &AppError, lang: Lang) -> String {
    match error {
        AppError::Setting(refusal) => refusal_text(refusal, lang),
        other => other.text(lang),
    }
}

/// The language now, for an event handler: read it before an async task, which runs outside
/// the component (where the language is not in context).
fn lang_now(i18n: Option<crate::i18n::I18n>) -> Lang {
    i18n.map_or(Lang::En, |i| i.0.get_untracked())
}

/// The guide.
#[component]
pub fn WelcomePage() -> impl IntoView {
    let step = RwSignal::new(Step::Shop);
    let steps = Step::ALL
        .iter()
        .map(|&s| {
            view! {
                <li class:current=move || step.get() == s data-testid=format!("welcome-step-{}", s.id())>
                    <button type="button" class="link-button" on:click=move |_| step.set(s)>{move || s.title()}</button>
                </li>
            }
        })
        .collect_view();
    view! {
        <Title text=move || t("title.welcome") />
        <section class="card admin-page welcome" data-testid="welcome">
            <h1>{move || t("welcome.set_up_your_shop")}</h1>
            <p class="muted">{move || t("welcome.intro")}</p>
            <ol class="welcome-steps">{steps}</ol>
            {move || match step.get() {
                Step::Shop => view! { <ShopStep step /> }.into_any(),
                Step::Node => view! { <NodeStep step /> }.into_any(),
                Step::Rates => view! { <RatesStep step /> }.into_any(),
                Step::Cashier => view! { <CashierStep step /> }.into_any(),
                Step::Webhook => view! { <WebhookStep step /> }.into_any(),
                Step::Done => view! { <DoneStep step /> }.into_any(),
            }}
        </section>
    }
}

/// Back and Skip buttons under a step.
#[component]
fn StepNav(step: RwSignal<Step>) -> impl IntoView {
    view! {
        <div class="admin-actions welcome-nav">
            <button type="button" class="button" data-testid="welcome-back"
                on:click=move |_| step.update(|s| *s = s.previous())>{move || t("welcome.back")}</button>
            <button type="button" class="button" data-testid="welcome-skip"
                on:click=move |_| step.update(|s| *s = s.next())>{move || t("welcome.skip")}</button>
        </div>
    }
}

/// Shop data: name, partita IVA, address, time zone (saved as the `shop_*` settings).
#[component]
fn ShopStep(step: RwSignal<Step>) -> impl IntoView {
    const KEYS: [&str; 4] = ["shop_name", "shop_vat_number", "shop_address", "shop_timezone"];
    let values: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Prefill with what is configured.
    let current = LocalResource::new(list_settings);
    Effect::new(move |_| {
        if let Some(Ok(rows)) = current.get() {
            for (key, value) in KEYS.iter().zip(values) {
                if let Some(row) = rows.iter().find(|r| r.key == *key) {
                    value.set(row.value.clone());
                }
            }
        }
    });
    let i18n = crate::i18n::use_i18n();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        busy.set(true);
        let lang = lang_now(i18n);
        leptos::task::spawn_local(async move {
            for (key, value) in KEYS.iter().zip(values) {
                let text = value.get_untracked();
                if text.trim().is_empty() {
                    continue;
                }
                if let Err(e) = save_setting(key.to_string(), text).await {
                    error.set(Some(error_words(&e, lang)));
                    busy.set(false);
                    return;
                }
            }
            busy.set(false);
            step.set(Step::Node);
        });
    };
    let field = move |i: usize, label: fn() -> &'static str, placeholder: &'static str| {
        let value = values[i];
        let id = format!("welcome-{}", KEYS[i]);
        view! {
            <label for=id.clone()>{label}
                <input id=id.clone() data-testid=id.clone() placeholder=placeholder prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <form class="admin-form welcome-form" on:submit=save data-testid="welcome-shop">
            <h2>{move || t("welcome.your_shop")}</h2>
            <p class="muted">{move || t("welcome.shop_hint")}</p>
            {field(0, || t("welcome.business_name"), "")}
            {field(1, || t("welcome.vat_number_partita_iva"), "01234567897")}
            {field(2, || t("welcome.address"), "")}
            {field(3, || t("welcome.time_zone"), "Europe/Rome")}
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert" data-testid="welcome-error">{e}</p> })}
            <div class="admin-actions">
                <button type="submit" class="button button-primary" data-testid="welcome-shop-save" prop:disabled=move || busy.get()>
                    {move || t("welcome.save_and_continue")}
                </button>
            </div>
        </form>
        <StepNav step />
    }
}

/// The node: which one is in use, a live test, and the form to connect the shop's own LND.
#[component]
fn NodeStep(step: RwSignal<Step>) -> impl IntoView {
    let status = LocalResource::new(get_node_status);
    let host = RwSignal::new(String::new());
    let cert = RwSignal::new(String::new());
    let macaroon = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<NodeCheck, String>>);
    let busy = RwSignal::new(false);
    let i18n = crate::i18n::use_i18n();
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        result.set(None);
        let lang = lang_now(i18n);
        leptos::task::spawn_local(async move {
            let answer = connect_node(host.get_untracked(), cert.get_untracked(), macaroon.get_untracked()).await;
            result.set(Some(answer.map_err(|e| error_words(&e, lang))));
            busy.set(false);
        });
    };
    view! {
        <div class="welcome-node" data-testid="welcome-node">
            <h2>{move || t("common.lightning_node")}</h2>
            <Transition fallback=|| view! { <p class="muted">{move || t("welcome.asking_the_node")}</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(node) if node.simulated => view! {
                            <p class="banner banner-warning" data-testid="welcome-node-now">{move || t("welcome.node_demo_now")}</p>
                        }.into_any(),
                        Ok(node) => view! {
                            <p class="banner banner-ok" data-testid="welcome-node-now">
                                {move || t("welcome.connected_to")}" "{node.alias.clone()}" ("{node.network.clone()}", "{node.host.clone()}")"
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="welcome-node-now">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
            <div class="admin-actions">
                <button type="button" class="button" data-testid="welcome-node-test" on:click=move |_| status.refetch()>
                    {move || t("welcome.test_the_connection_again")}
                </button>
            </div>
            <form class="admin-form welcome-form" on:submit=connect>
                <h3>{move || t("welcome.connect_your_own_lnd")}</h3>
                <label for="welcome-node-host">{move || t("welcome.node_address")}
                    <input id="welcome-node-host" data-testid="welcome-node-host" placeholder="192.168.1.20:10009"
                        prop:value=move || host.get() on:input=move |ev| host.set(event_target_value(&ev)) />
                </label>
                <label for="welcome-node-cert" class="wide">{move || t("welcome.node_tls_cert")}
                    <textarea id="welcome-node-cert" data-testid="welcome-node-cert" rows="4" placeholder="-----BEGIN CERTIFICATE-----"
                        prop:value=move || cert.get() on:input=move |ev| cert.set(event_target_value(&ev))></textarea>
                </label>
                <label for="welcome-node-macaroon" class="wide">{move || t("welcome.node_macaroon_hex")}
                    <textarea id="welcome-node-macaroon" data-testid="welcome-node-macaroon" rows="3" autocomplete="off"
                        prop:value=move || macaroon.get() on:input=move |ev| macaroon.set(event_target_value(&ev))></textarea>
                </label>
                <div class="admin-actions">
                    <button type="submit" class="button button-primary" data-testid="welcome-node-connect" prop:disabled=move || busy.get()>
                        {move || t("welcome.test_and_connect")}
                    </button>
                </div>
            </form>
            {move || result.get().map(|r| match r {
                Ok(check) => view! { <NodeCheckView check /> }.into_any(),
                Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="welcome-error">{e}</p> }.into_any(),
            })}
            <div class="admin-actions">
                <button type="button" class="button button-primary" data-testid="welcome-next"
                    on:click=move |_| step.set(Step::Rates)>{move || t("welcome.continue")}</button>
            </div>
        </div>
        <StepNav step />
    }
}

/// What a connected node is and what its macaroon allows.
#[component]
fn NodeCheckView(check: NodeCheck) -> impl IntoView {
    let can = |yes: bool| if yes { "✓" } else { "✗" };
    let NodeCheck {
        alias,
        network,
        version,
        grants,
        can_read_channels,
        can_send,
        applied,
        ..
    } = check;
    view! {
        <div class="banner banner-ok" role="status" data-testid="welcome-node-connected">
            <p>{move || t("welcome.connected_and_saved")}" "{alias.clone()}" · "{network.clone()}" · LND "{version.clone()}</p>
            <ul class="welcome-grants">
                <li data-testid="welcome-can-take-payments">{can(true)}" "{move || t("welcome.node_can_receive")}</li>
                <li data-testid="welcome-can-read-channels">{can(can_read_channels)}" "{move || t("welcome.node_can_read")}</li>
                <li data-testid="welcome-can-send">{can(can_send)}" "{move || t("welcome.node_can_send")}</li>
            </ul>
            <p class="mono setting-key" data-testid="welcome-grants">{grants.join(" ")}</p>
            <p data-testid="welcome-node-applied">{move || if applied {
                t("welcome.sales_go_to_this_node")
            } else {
                t("welcome.node_saved_restart")
            }}</p>
        </div>
    }
}

/// The rate sales would use now, asked live, with each source's state.
#[component]
fn RatesStep(step: RwSignal<Step>) -> impl IntoView {
    let rate = LocalResource::new(get_rate_status);
    view! {
        <div data-testid="welcome-rates">
            <h2>{move || t("common.btc_eur_rate")}</h2>
            <Transition fallback=|| view! { <p class="muted">{move || t("welcome.asking_the_sources")}</p> }>
                {move || Suspend::new(async move {
                    match rate.await {
                        Ok(rate) => {
                            let lang = crate::i18n::lang();
                            let kind = rate.state.label(lang);
                            view! {
                                <p class="banner banner-ok" data-testid="welcome-rate">
                                    {format!("{} · {} · {kind}", crate::format::rate(lang, &rate.eur_per_btc), rate.source)}
                                </p>
                                <ul data-testid="welcome-rate-providers">
                                    {rate.providers.into_iter().map(|p| view! { <li>{format!("{}: {}", p.provider, p.health.text(lang))}</li> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="welcome-rate">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
            <p class="muted">{move || t("welcome.rates_hint")}</p>
            <div class="admin-actions">
                <button type="button" class="button" data-testid="welcome-rates-test" on:click=move |_| rate.refetch()>{move || t("welcome.ask_again")}</button>
                <button type="button" class="button button-primary" data-testid="welcome-next" on:click=move |_| step.set(Step::Cashier)>{move || t("welcome.continue")}</button>
            </div>
        </div>
        <StepNav step />
    }
}

/// A first cashier account (name and PIN, as on the Staff page).
#[component]
fn CashierStep(step: RwSignal<Step>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let i18n = crate::i18n::use_i18n();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        outcome.set(None);
        // The language is read here: the async task below runs outside the reactive owner.
        let lang = lang_now(i18n);
        leptos::task::spawn_local(async move {
            let username = name.get_untracked().trim().to_string();
            let answer = super::staff::add_staff(
                username.clone(),
                "cashier".to_string(),
                pin.get_untracked(),
                confirm.get_untracked(),
                lang.tag().to_string(),
            )
            .await;
            outcome.set(Some(match answer {
                Ok(_) => Ok(fill(
                    text_in(lang, "welcome.cashier_can_sign_in"),
                    &[("username", &username)],
                )),
                Err(AppError::Setting(refusal)) => Err(refusal_text(&refusal, lang)),
                Err(e) => Err(error_words(&e, lang)),
            }));
            if matches!(outcome.get_untracked(), Some(Ok(_))) {
                pin.set(String::new());
                confirm.set(String::new());
            }
            busy.set(false);
        });
    };
    view! {
        <form class="admin-form welcome-form" on:submit=add data-testid="welcome-cashier">
            <h2>{move || t("welcome.first_cashier")}</h2>
            <p class="muted">{move || t("welcome.cashier_hint")}</p>
            <label for="welcome-cashier-name">{move || t("welcome.cashier_name")}
                <input id="welcome-cashier-name" data-testid="welcome-cashier-name" autocapitalize="none" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label for="welcome-cashier-pin">{move || t("welcome.pin_6_digits")}
                <input id="welcome-cashier-pin" data-testid="welcome-cashier-pin" type="password" inputmode="numeric" autocomplete="new-password"
                    prop:value=move || pin.get() on:input=move |ev| pin.set(event_target_value(&ev)) />
            </label>
            <label for="welcome-cashier-confirm">{move || t("welcome.pin_again")}
                <input id="welcome-cashier-confirm" data-testid="welcome-cashier-confirm" type="password" inputmode="numeric" autocomplete="new-password"
                    prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
            </label>
            <div class="admin-actions">
                <button type="submit" class="button button-primary" data-testid="welcome-cashier-add" prop:disabled=move || busy.get()>
                    {move || t("welcome.add_the_cashier")}
                </button>
            </div>
            {move || outcome.get().map(|o| match o {
                Ok(text) => view! { <p class="banner banner-ok" role="status" data-testid="welcome-cashier-result">{text}</p> }.into_any(),
                Err(text) => view! { <p class="banner banner-error" role="alert" data-testid="welcome-cashier-result">{text}</p> }.into_any(),
            })}
            <div class="admin-actions">
                <button type="button" class="button" data-testid="welcome-next" on:click=move |_| step.set(Step::Webhook)>{move || t("welcome.continue")}</button>
            </div>
        </form>
        <StepNav step />
    }
}

/// A webhook endpoint for the shop's own systems, added and sent a test event.
#[component]
fn WebhookStep(step: RwSignal<Step>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let i18n = crate::i18n::use_i18n();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        outcome.set(None);
        let lang = lang_now(i18n);
        leptos::task::spawn_local(async move {
            let added = super::webhooks::add_webhook_endpoint(
                "shop".to_string(),
                url.get_untracked(),
                secret.get_untracked(),
                "*".to_string(),
            )
            .await;
            let answer = match added {
                Err(e) => Err(error_words(&e, lang)),
                Ok(_) => match super::webhooks::test_webhook_endpoint("shop".to_string()).await {
                    Ok(report) if report.ok => Ok(format!(
                        "{} (HTTP {}, {} ms)",
                        text_in(lang, "welcome.test_event_arrived"),
                        report.status.unwrap_or_default(),
                        report.latency_ms
                    )),
                    Ok(report) => Err(format!(
                        "{}: {}",
                        text_in(lang, "welcome.webhook_test_failed"),
                        report.error.as_ref().map(|e| e.text(lang)).unwrap_or_default()
                    )),
                    Err(e) => Err(error_words(&e, lang)),
                },
            };
            outcome.set(Some(answer));
            busy.set(false);
        });
    };
    view! {
        <form class="admin-form welcome-form" on:submit=send data-testid="welcome-webhook">
            <h2>{move || t("welcome.webhook")}</h2>
            <p class="muted">{move || t("welcome.webhook_hint")}</p>
            <label for="welcome-webhook-url">{move || t("welcome.address")}
                <input id="welcome-webhook-url" data-testid="welcome-webhook-url" type="url" placeholder="https://erp.example.it/hook"
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
            </label>
            <label for="welcome-webhook-secret">{move || t("welcome.webhook_secret")}
                <input id="welcome-webhook-secret" data-testid="welcome-webhook-secret" type="password" autocomplete="new-password"
                    prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
            </label>
            <div class="admin-actions">
                <button type="submit" class="button button-primary" data-testid="welcome-webhook-send" prop:disabled=move || busy.get()>
                    {move || t("welcome.save_and_send_a_test")}
                </button>
            </div>
            {move || outcome.get().map(|o| match o {
                Ok(text) => view! { <p class="banner banner-ok" role="status" data-testid="welcome-webhook-result">{text}</p> }.into_any(),
                Err(text) => view! { <p class="banner banner-error" role="alert" data-testid="welcome-webhook-result">{text}</p> }.into_any(),
            })}
            <div class="admin-actions">
                <button type="button" class="button" data-testid="welcome-next" on:click=move |_| step.set(Step::Done)>{move || t("welcome.continue")}</button>
            </div>
        </form>
        <StepNav step />
    }
}

/// The end: where to go next.
#[component]
fn DoneStep(step: RwSignal<Step>) -> impl IntoView {
    view! {
        <div data-testid="welcome-done">
            <h2>{move || t("welcome.ready_for_the_first_sale")}</h2>
            <div class="admin-actions">
                <a class="button button-primary" href="/" data-testid="welcome-to-pos">{move || t("welcome.open_the_counter_pos")}</a>
                <a class="button" href="/dashboard">{move || t("welcome.dashboard")}</a>
                <button type="button" class="button" on:click=move |_| step.set(Step::Shop)>{move || t("welcome.start_again")}</button>
            </div>
        </div>
    }
}
