//! The shop-counter POS: a keypad for a EUR amount, "Charge" → a full-screen QR code, and a green
//! "Paid" screen within a second of settlement, driven by the gateway's live event stream.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::qr::QrCode;
use crate::error::{AppError, PosError};
use crate::format;
use crate::i18n::{amount_error_text, current_lang, lang, t, text_error_text, text_in, use_i18n, Lang};
// `model::InvoiceState` is named with its module: the `invoice_state` server function below
// defines a struct `InvoiceState` here.
use crate::model::{self, InvoiceStatus, PosSale};

/// Creates a POS invoice for the gross `amount_eur` (IVA included; plain decimal EUR: `12,50` or
/// `12.50`, see [`model::parse_amount_cents`]) plus the tip, with an optional note. Optional:
/// `vat_rate` (`22`, `10`, `5`, `4`, `0:N2`; the till's default), `tip_eur`, `till` (the default
/// till). Cashier (a cashier's sale is capped by `pos_max_amount_eur`). Refusals are
/// [`crate::error::PosError`] codes. `POST /api/pos_charge`.
#[server(prefix = "/api", endpoint = "pos_charge")]
pub async fn pos_charge(
    /// Gross amount in EUR as typed.
    amount_eur: String,
    /// Optional note shown on the sale.
    note: String,
    /// IVA rate; the till's default when left out.
    vat_rate: Option<String>,
    /// Tip in EUR; none when left out.
    tip_eur: Option<String>,
    /// The till's name; the default till when left out.
    till: Option<String>,
) -> Result<PosSale, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    let request = model::PosChargeRequest {
        amount_eur,
        note,
        vat_rate,
        tip_eur,
        till,
    };
    crate::backend::backend()?.pos_charge(request).await
}

/// The shop's tills, the default one first, for the POS's till choice. Cashier.
/// `POST /api/pos_tills`.
#[server(prefix = "/api", endpoint = "pos_tills")]
pub async fn pos_tills() -> Result<Vec<model::TillView>, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.pos_tills().await
}

/// A new customer link to the receipt of a paid POS sale (a cashier: POS sales only), and
/// whether its till has a printer. Cashier. `POST /api/pos_receipt`.
#[server(prefix = "/api", endpoint = "pos_receipt")]
pub async fn pos_receipt(
    /// The sale's id (its Lightning invoice id).
    invoice_id: String,
) -> Result<model::ReceiptLink, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.pos_receipt(invoice_id).await
}

/// Prints the receipt of a paid POS sale on its till's ESC/POS printer. Cashier.
/// `POST /api/pos_print_receipt`.
#[server(prefix = "/api", endpoint = "pos_print_receipt")]
pub async fn pos_print_receipt(
    /// The sale's id (its Lightning invoice id).
    invoice_id: String,
) -> Result<model::ReceiptLink, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.pos_print_receipt(invoice_id).await
}

/// The receipt link as the customer's phone opens it: a bare path gets this page's address.
fn absolute_url(url: &str) -> String {
    if !url.starts_with('/') {
        return url.to_string();
    }
    #[cfg(feature = "csr")]
    {
        let origin = window().location().origin().unwrap_or_default();
        format!("{origin}{url}")
    }
    #[cfg(not(feature = "csr"))]
    {
        url.to_string()
    }
}

/// The receipt page's address that opens the print dialog by itself.
fn print_url(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}print=1")
}

/// The current state of a Lightning invoice, refreshed from the node. Cashier. `POST /api/invoice_state`.
#[server(prefix = "/api", endpoint = "invoice_state")]
pub async fn invoice_state(
    /// Our Lightning invoice id.
    invoice_id: String,
) -> Result<InvoiceStatus, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.invoice_state(invoice_id).await
}

/// Cancels an unpaid Lightning invoice (e.g. the customer left). Cashier. `POST /api/cancel_invoice`.
#[server(prefix = "/api", endpoint = "cancel_invoice")]
pub async fn cancel_invoice(
    /// Our Lightning invoice id.
    invoice_id: String,
) -> Result<InvoiceStatus, AppError> {
    crate::auth::require(crate::auth::Role::Cashier)?;
    crate::backend::backend()?.cancel_invoice(invoice_id).await
}

/// Where the sale is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// Typing the amount.
    Entry,
    /// Waiting for the gateway to create the invoice.
    Creating,
    /// QR shown, waiting for the payment.
    Waiting(PosSale),
    /// Paid.
    Paid(PosSale, u64),
    /// Ended unpaid: expired, or cancelled (by the node, another till or the back office).
    Ended(PosSale, model::InvoiceState),
}

/// The tip chosen on the keypad screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TipChoice {
    /// A percentage of the gross (0 is no tip).
    Percent(u8),
    /// An amount typed by the cashier.
    Custom(String),
}

/// The tip to send for the typed gross `amount` (`12,50`): `None` for no tip, else its EUR text
/// (`1.25` for a percentage, rounded half-up to the cent; a custom tip as typed).
pub fn tip_text(amount: &str, choice: &TipChoice) -> Option<String> {
    match choice {
        TipChoice::Percent(0) => None,
        TipChoice::Percent(percent) => {
            let gross_cents = model::parse_amount_cents(amount).ok()?;
            let tip = model::tip_cents_for_percent(gross_cents, *percent);
            (tip > 0).then(|| format!("{}.{:02}", tip / 100, tip % 100))
        }
        TipChoice::Custom(text) => {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_string())
        }
    }
}

/// Key under which this POS remembers its till in `localStorage`.
const TILL_STORAGE_KEY: &str = "openfatture.pos.till";

/// The till this POS chose before (remembered in the browser), if any.
fn stored_till() -> Option<String> {
    #[cfg(feature = "csr")]
    {
        window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(TILL_STORAGE_KEY).ok().flatten())
            .filter(|name| !name.is_empty())
    }
    #[cfg(not(feature = "csr"))]
    {
        let _ = TILL_STORAGE_KEY;
        None
    }
}

/// Remembers this POS's till in the browser.
fn store_till(name: &str) {
    #[cfg(feature = "csr")]
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(TILL_STORAGE_KEY, name);
    }
    #[cfg(not(feature = "csr"))]
    let _ = name;
}

/// Most digits before the decimal separator (up to 9 999 999 EUR).
const MAX_INTEGER_DIGITS: usize = 7;

/// Applies one keypad key to the amount being typed (`,` is the decimal separator).
pub fn press_key(amount: &str, key: char) -> String {
    let mut out = amount.to_string();
    match key {
        '⌫' => {
            out.pop();
        }
        'C' => out.clear(),
        ',' if !out.contains(',') => {
            if out.is_empty() {
                out.push('0');
            }
            out.push(',');
        }
        d if d.is_ascii_digit() => {
            let (int_part, decimals) = match out.split_once(',') {
                Some((i, d)) => (i.len(), Some(d.len())),
                None => (out.len(), None),
            };
            let fits = match decimals {
                Some(n) => n < 2,
                None => int_part < MAX_INTEGER_DIGITS,
            };
            if fits {
                if out == "0" {
                    out.clear();
                }
                out.push(d);
            }
        }
        _ => {}
    }
    out
}

/// What the gateway would refuse in a sale, checked in the browser first with the same parser
/// and text check (the gateway checks again): the refusal in `lang`.
pub fn check_sale(amount: &str, note: &str, lang: Lang) -> Result<(), String> {
    model::parse_amount_cents(amount).map_err(|e| amount_error_text(&e, lang))?;
    model::check_free_text(model::TextField::Note, note).map_err(|e| text_error_text(&e, lang))?;
    Ok(())
}

/// The typed amount for display in `lang`, what Charge will ask for: `12,5` → `12,50 €` (Italian)
/// or `€12.50` (English); empty → zero.
pub fn display_amount(amount: &str, lang: Lang) -> String {
    let amount = if amount.is_empty() { "0" } else { amount };
    format::money(lang, amount)
}

/// The title of the screen of a sale that ended unpaid, in the current language (tracked).
fn ended_title(state: model::InvoiceState) -> &'static str {
    match state {
        model::InvoiceState::Canceled => t("pos.cancelled"),
        _ => t("pos.expired"),
    }
}

/// The "create it again" button of a sale that ended unpaid, in the current language (tracked).
fn ended_again(state: model::InvoiceState) -> &'static str {
    match state {
        model::InvoiceState::Canceled => t("pos.cancelled_create_again"),
        _ => t("pos.expired_create_again"),
    }
}

/// `mm:ss` for a number of seconds (never negative).
pub fn countdown(secs: i64) -> String {
    let secs = secs.max(0);
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

/// The POS page.
#[component]
pub fn PosPage() -> impl IntoView {
    let amount = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let stage = RwSignal::new(Stage::Entry);
    let error = RwSignal::new(None::<String>);
    let i18n = use_i18n();
    let auth = crate::pages::login::use_auth();
    // Whether the last sale came back with low inbound capacity: the staff flag stays on the
    // keypad screen too, until a sale comes back without it.
    let low_inbound = RwSignal::new(false);
    // The counter: the till (remembered in this browser), the IVA rate (the till's default until
    // one is tapped) and the tip.
    let tills = LocalResource::new(pos_tills);
    let chosen_till = RwSignal::new(stored_till());
    let vat_choice = RwSignal::new(None::<model::VatRate>);
    let tip = RwSignal::new(TipChoice::Percent(0));
    // The till in use: the chosen one while it exists, else the default (first) one.
    let till = Signal::derive(move || {
        let list = match tills.get() {
            Some(Ok(list)) => list,
            _ => return None,
        };
        let chosen = chosen_till.get();
        // A tablet paired to a till sells there (the gateway insists on it too).
        list.iter()
            .find(|t| t.paired)
            .or_else(|| list.iter().find(|t| Some(&t.name) == chosen.as_ref()))
            .or_else(|| list.first())
            .cloned()
    });
    let vat_rate = Signal::derive(move || {
        vat_choice
            .get()
            .or_else(|| till.get().and_then(|t| model::VatRate::parse(&t.vat_rate)))
            .unwrap_or(model::VatRate::STANDARD)
    });

    let charge = move || {
        let typed = amount.get_untracked();
        let note_text = note.get_untracked();
        let tip_eur = tip_text(&typed, &tip.get_untracked());
        let rate = Some(vat_rate.get_untracked().code());
        let till_name = till.get_untracked().filter(|t| !t.is_default).map(|t| t.name);
        let lang = i18n.map(|i| i.0.get_untracked()).unwrap_or(Lang::En);
        if let Err(refusal) = check_sale(&typed, &note_text, lang) {
            error.set(Some(refusal));
            stage.set(Stage::Entry);
            return;
        }
        error.set(None);
        stage.set(Stage::Creating);
        leptos::task::spawn_local(async move {
            match pos_charge(typed, note_text, rate, tip_eur, till_name).await {
                Ok(created) => {
                    low_inbound.set(created.low_inbound);
                    stage.set(Stage::Waiting(created));
                }
                Err(e) => {
                    // A short text in the cashier's language; the detail is in the gateway's log.
                    let lang = i18n.map(|i| i.0.get_untracked()).unwrap_or(Lang::En);
                    let code = PosError::of(&e);
                    error.set(Some(code.text(lang).to_string()));
                    stage.set(Stage::Entry);
                    if code == PosError::SignedOut {
                        // The session ended (signed out elsewhere, or by an admin): sign in again.
                        if let Some(auth) = auth {
                            auth.user.set(None);
                        }
                    }
                }
            }
        });
    };
    let new_sale = move || {
        amount.set(String::new());
        note.set(String::new());
        tip.set(TipChoice::Percent(0));
        vat_choice.set(None);
        error.set(None);
        stage.set(Stage::Entry);
    };

    view! {
        <Title text=move || t("title.pos") />
        <section class="pos" data-testid="pos">
            {move || match stage.get() {
                Stage::Entry | Stage::Creating => {
                    let busy = matches!(stage.get_untracked(), Stage::Creating);
                    view! {
                        <CounterHeader tills till chosen_till />
                        <RateLabel low_inbound />
                        <Keypad amount note error busy on_charge=charge />
                        <SaleChoices vat_choice vat_rate tip />
                    }.into_any()
                }
                Stage::Waiting(sale) => view! { <QrScreen sale stage /> }.into_any(),
                Stage::Paid(sale, paid_sat) => view! {
                    <PaidScreen sale paid_sat on_new=new_sale />
                }.into_any(),
                Stage::Ended(sale, state) => view! {
                    <div class="pos-expired" data-testid="pos-expired" data-state=state.as_str() role="alert">
                        <h1>{move || ended_title(state)}</h1>
                        <p>{move || format!("{} · {}", format::money(lang(), &sale.amount_eur), format::sats(lang(), sale.amount_sat))}</p>
                        <button type="button" class="button button-primary pos-big" data-testid="pos-recreate"
                            on:click=move |_| charge()>
                            {move || ended_again(state)}
                        </button>
                        <button type="button" class="button pos-big" on:click=move |_| new_sale()>
                            {move || t("pos.new_sale")}
                        </button>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// The till and cashier of this POS; a till choice when the shop has more than one (remembered
/// in this browser).
#[component]
fn CounterHeader(
    tills: LocalResource<Result<Vec<model::TillView>, AppError>>,
    till: Signal<Option<model::TillView>>,
    chosen_till: RwSignal<Option<String>>,
) -> impl IntoView {
    let auth = crate::pages::login::use_auth();
    let cashier = move || auth.and_then(|a| a.user.get()).map(|u| u.username).unwrap_or_default();
    let paired = move || till.get().is_some_and(|t| t.paired);
    let names = move || match tills.get() {
        Some(Ok(list)) => list.into_iter().map(|t| t.name).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let choose = move |ev| {
        let name = event_target_value(&ev);
        store_till(&name);
        chosen_till.set(Some(name));
    };
    view! {
        <p class="pos-counter muted" data-testid="pos-counter">
            <span>{move || t("pos.counter.till")}": "</span>
            {move || {
                let list = names();
                let current = till.get().map(|t| t.name).unwrap_or_default();
                if list.len() > 1 && !paired() {
                    view! {
                        <select data-testid="pos-till" aria-label=move || t("pos.counter.till") on:change=choose>
                            {list.into_iter().map(|name| {
                                let selected = name == current;
                                view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    }.into_any()
                } else {
                    view! { <strong data-testid="pos-till-name">{current}</strong> }.into_any()
                }
            }}
            {move || paired().then(|| view! { " " <span class="muted" data-testid="pos-paired">{move || t("pos.counter.paired")}</span> })}
            " · "<span>{move || t("pos.counter.cashier")}": "</span>
            <strong data-testid="pos-cashier">{cashier}</strong>
        </p>
        {move || (!paired() && tills.get().is_some_and(|r| r.is_ok())).then(|| view! { <PairForm tills /> })}
    }
}

/// "Pair this tablet": the one-time code an admin made in the back office, typed once; the
/// gateway keeps the pairing in a cookie that outlives sign-out (issue 36).
#[component]
fn PairForm(tills: LocalResource<Result<Vec<model::TillView>, AppError>>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match crate::auth::pos_pair(typed).await {
                Ok(_) => {
                    error.set(None);
                    code.set(String::new());
                    tills.refetch();
                }
                Err(e) => error.set(Some(PosError::of(&e).text(current_lang()).to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <details class="pos-pair" data-testid="pos-pair">
            <summary>{move || t("pos.pair.title")}</summary>
            <form on:submit=submit>
                <input type="text" autocomplete="off" autocapitalize="characters" maxlength="12"
                    data-testid="pos-pair-code" aria-label=move || t("pos.pair.code_input")
                    placeholder=move || t("pos.pair.code_input")
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                <button type="submit" class="button" data-testid="pos-pair-submit" disabled=move || busy.get()>
                    {move || t("pos.pair.submit")}
                </button>
            </form>
            {move || error.get().map(|text| view! { <p class="banner banner-error" role="alert" data-testid="pos-pair-error">{text}</p> })}
        </details>
    }
}

/// The sale's IVA rate (one tap; the till's default until tapped) and the tip (none, 5, 10,
/// 15 % or another amount).
#[component]
fn SaleChoices(
    vat_choice: RwSignal<Option<model::VatRate>>,
    vat_rate: Signal<model::VatRate>,
    tip: RwSignal<TipChoice>,
) -> impl IntoView {
    let custom = RwSignal::new(String::new());
    view! {
        <div class="pos-choices" role="group" aria-label=move || t("pos.counter.vat")>
            <span class="pos-choice-label">{move || t("pos.counter.vat")}</span>
            {model::VatRate::CHOICES.into_iter().map(|rate| {
                view! {
                    <button type="button" class="button pos-choice" data-testid="pos-vat" data-rate=rate.code()
                        aria-pressed=move || (vat_rate.get() == rate).to_string()
                        on:click=move |_| vat_choice.set(Some(rate))>
                        {rate.label()}
                    </button>
                }
            }).collect_view()}
        </div>
        <div class="pos-choices" role="group" aria-label=move || t("pos.counter.tip")>
            <span class="pos-choice-label">{move || t("pos.counter.tip")}</span>
            {model::TIP_PERCENTS.into_iter().map(|percent| {
                let label = move || if percent == 0 { t("pos.counter.no_tip").to_string() } else { format!("{percent}%") };
                view! {
                    <button type="button" class="button pos-choice" data-testid="pos-tip" data-percent=percent.to_string()
                        aria-pressed=move || (tip.get() == TipChoice::Percent(percent)).to_string()
                        on:click=move |_| tip.set(TipChoice::Percent(percent))>
                        {label}
                    </button>
                }
            }).collect_view()}
            <input type="text" inputmode="decimal" class="pos-custom-tip" data-testid="pos-tip-custom"
                placeholder=move || t("pos.counter.custom_tip") aria-label=move || t("pos.counter.custom_tip")
                prop:value=move || custom.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    custom.set(text.clone());
                    tip.set(if text.trim().is_empty() { TipChoice::Percent(0) } else { TipChoice::Custom(text) });
                } />
        </div>
    }
}

/// The small label of the rate sales use now (live, fallback, demo, unavailable), above the amount,
/// and the staff flag when the last sale reported low inbound capacity.
#[component]
fn RateLabel(low_inbound: RwSignal<bool>) -> impl IntoView {
    let rate = LocalResource::new(crate::api::get_rate_status);
    let state = move || match rate.get() {
        Some(Ok(status)) => Some((status.state, status.sources_mark)),
        Some(Err(_)) => Some((model::RateState::Unavailable, None)),
        None => None,
    };
    let flag = move || {
        low_inbound.get().then(|| {
            let text = move || text_in(lang(), "pos.staff_flag.low_inbound");
            view! {
                " "
                <span class="pos-staff-flag" data-testid="pos-keypad-flag" data-low-inbound="true"
                    title=text aria-label=text>"⚑"</span>
            }
        })
    };
    move || {
        state().map(|(state, mark)| {
            let mark = mark.map(|m| format!(" · {}", m.text(lang()))).unwrap_or_default();
            view! {
                <p class="pos-rate-state muted" data-testid="pos-rate-state" data-state=state.as_str()>
                    {move || state.label(lang())}{mark}{flag}
                </p>
            }
        })
    }
}

/// Amount display, keypad, note and the Charge button.
#[component]
fn Keypad(
    amount: RwSignal<String>,
    note: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: bool,
    on_charge: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', ',', '0', '⌫'];
    let is_zero = move || amount.with(|a| a.chars().all(|c| c == '0' || c == ','));
    view! {
        <div class="pos-entry">
            <output class="pos-amount" data-testid="pos-amount" aria-live="polite">
                {move || display_amount(&amount.get(), lang())}
            </output>
            <div class="pos-keypad" role="group" aria-label=move || t("pos.keypad.label")>
                {keys.into_iter().map(|key| {
                    // `data-key` names the key whatever the language; the decimal key shows the
                    // language's decimal mark (`,` / `.`), and types a comma either way.
                    let data_key = key.to_string();
                    let label = move || key_label(key, lang());
                    view! {
                        <button type="button" class="pos-key" data-key=data_key
                            aria-label=move || if key == '⌫' { t("pos.keypad.backspace").to_string() } else { label() }
                            on:click=move |_| amount.update(|a| *a = press_key(a, key))>
                            {label}
                        </button>
                    }
                }).collect_view()}
            </div>
            <label class="pos-note">
                <span>{move || t("pos.note_optional")}</span>
                <input type="text" maxlength="120" data-testid="pos-note"
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev)) />
            </label>
            {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert" data-testid="pos-error">{e}</p> })}
            <div class="pos-actions">
                <button type="button" class="button pos-big" on:click=move |_| amount.set(String::new())>
                    "C"
                </button>
                <button type="button" class="button button-primary pos-big pos-charge" data-testid="pos-charge"
                    disabled=move || busy || is_zero()
                    on:click=move |_| on_charge()>
                    {move || if busy { t("common.creating") } else { t("pos.charge") }}
                </button>
            </div>
        </div>
    }
}

/// The QR code, amounts, rate, countdown and copy button; listens for the payment.
#[component]
fn QrScreen(sale: PosSale, stage: RwSignal<Stage>) -> impl IntoView {
    let skew = sale.server_now - crate::live::now_secs();
    let remaining = RwSignal::new(sale.expires_at - sale.server_now);
    let copied = RwSignal::new(false);
    let invoice_id = sale.invoice_id.clone();

    // Settle/expiry/cancel events for this invoice move the screen on.
    let on_state = {
        let sale = sale.clone();
        move |state: InvoiceStatus| {
            if state.invoice_id != sale.invoice_id {
                return;
            }
            match state.state {
                model::InvoiceState::Settled => {
                    crate::live::play_paid_sound();
                    stage.set(Stage::Paid(sale.clone(), state.amount_paid_sat));
                }
                model::InvoiceState::Expired | model::InvoiceState::Canceled => {
                    stage.set(Stage::Ended(sale.clone(), state.state))
                }
                model::InvoiceState::Pending | model::InvoiceState::Open | model::InvoiceState::Accepted => {}
            }
        }
    };
    crate::live::watch_invoice(invoice_id.clone(), on_state.clone(), invoice_state);
    crate::live::keep_screen_awake();

    // Countdown; at zero ask the gateway (the node decides when an invoice has expired).
    let check_id = invoice_id.clone();
    let on_expiry = on_state.clone();
    let asked = StoredValue::new(false);
    let expires_at = sale.expires_at;
    crate::live::every_second(move || {
        let left = expires_at - (crate::live::now_secs() + skew);
        remaining.set(left);
        if left <= 0 && !asked.get_value() {
            asked.set_value(true);
            let id = check_id.clone();
            let apply = on_expiry.clone();
            leptos::task::spawn_local(async move {
                if let Ok(state) = invoice_state(id).await {
                    apply(state);
                }
            });
        }
    });

    let cancel_id = invoice_id.clone();
    let cancel = move |_| {
        let id = cancel_id.clone();
        leptos::task::spawn_local(async move {
            let _ = cancel_invoice(id).await;
        });
        stage.set(Stage::Entry);
    };
    let request = sale.payment_request.clone();
    let copy = move |_| {
        crate::live::copy_to_clipboard(&request);
        copied.set(true);
    };
    // The customer reads this screen: the rate as a plain fact, and owner matters (a rate that is
    // not live, low inbound capacity) only as a small flag whose words are in its tooltip.
    let (eur_per_btc, rate_state) = (sale.eur_per_btc.clone(), sale.rate_state);
    let rate_line = move || format::rate(lang(), &eur_per_btc);
    let low_inbound = sale.low_inbound;
    let staff_flag = staff_flag_text(rate_state, low_inbound).map(|text| {
        view! {
            <span class="pos-staff-flag" data-testid="pos-staff-flag" data-state=rate_state.as_str()
                data-low-inbound=low_inbound.to_string()
                title=move || text(lang()) aria-label=move || text(lang())>"⚑"</span>
        }
    });
    let (amount_eur, amount_sat) = (sale.amount_eur.clone(), sale.amount_sat);
    let has_tip = sale.tip_eur != "0.00";
    let (gross_eur, tip_eur, vat_eur) = (sale.gross_eur.clone(), sale.tip_eur.clone(), sale.vat_eur.clone());
    let vat_label = model::VatRate::parse(&sale.vat_rate)
        .map(|r| r.label())
        .unwrap_or_else(|| sale.vat_rate.clone());
    let breakdown = move || {
        let mut line = format!(
            "{} {} ({} {})",
            format::money(lang(), &gross_eur),
            t("pos.counter.vat"),
            vat_label,
            format::money(lang(), &vat_eur)
        );
        if has_tip {
            line.push_str(&format!(
                " + {} {}",
                t("pos.counter.tip"),
                format::money(lang(), &tip_eur)
            ));
        }
        line
    };
    let tip_shown = sale.tip_eur.clone();
    view! {
        <div class="pos-qr-screen" data-testid="pos-qr-screen">
            <QrCode payment_request=sale.payment_request.clone() class="pos-qr" testid="pos-qr"/>
            <div class="pos-qr-info">
                <p class="pos-qr-eur" data-testid="pos-qr-eur">{move || format::money(lang(), &amount_eur)}</p>
                <p class="muted" data-testid="pos-qr-breakdown" data-tip=tip_shown data-vat-rate=sale.vat_rate.clone()>{breakdown}</p>
                <p class="pos-qr-sat" data-testid="pos-qr-sat">{move || format::sats(lang(), amount_sat)}</p>
                <p class="muted" data-testid="pos-rate" data-state=rate_state.as_str()>{rate_line}" "{staff_flag}</p>
                <p class="pos-countdown" data-testid="pos-countdown">
                    {move || t("pos.expires_in")}{move || countdown(remaining.get())}
                </p>
                <textarea class="pos-invoice" readonly rows="3" data-testid="pos-invoice">{sale.payment_request.clone()}</textarea>
                <div class="pos-actions">
                    <button type="button" class="button pos-big" data-testid="pos-copy" on:click=copy>
                        {move || if copied.get() { t("pos.copied") } else { t("pos.copy") }}
                    </button>
                    <button type="button" class="button pos-big" data-testid="pos-cancel" on:click=cancel>
                        {move || t("common.cancel")}
                    </button>
                </div>
                <p class="muted">{sale.invoice_id.clone()}</p>
            </div>
        </div>
    }
}

/// What the staff flag on the QR screen says (its tooltip) in a language; `None` when all is
/// well (a live rate, enough inbound capacity).
fn staff_flag_text(rate_state: model::RateState, low_inbound: bool) -> Option<impl Fn(Lang) -> String + Copy> {
    let rate_flagged = rate_state != model::RateState::Live;
    (rate_flagged || low_inbound).then_some(move |lang: Lang| {
        let mut parts: Vec<&str> = Vec::new();
        if rate_flagged {
            parts.push(rate_state.label(lang));
        }
        if low_inbound {
            parts.push(text_in(lang, "pos.staff_flag.low_inbound"));
        }
        parts.join(" · ")
    })
}

/// What a keypad key shows in `lang`: the decimal key (`,`) shows the language's decimal mark.
fn key_label(key: char, lang: Lang) -> String {
    match (key, lang) {
        (',', Lang::En) => ".".to_string(),
        _ => key.to_string(),
    }
}

/// The paid sale's receipt: a QR the customer scans, Print (the receipt page with the print
/// dialog), and "Print on till printer" when the till has one.
#[component]
fn PaidReceipt(invoice_id: String) -> impl IntoView {
    let id = invoice_id.clone();
    let link = LocalResource::new(move || pos_receipt(id.clone()));
    // The till printer's answer: None until asked, then the text to show.
    let printed = RwSignal::new(None::<Result<(), String>>);
    let stored_id = StoredValue::new(invoice_id);
    let print_on_till = move |_| {
        let id = stored_id.get_value();
        printed.set(None);
        leptos::task::spawn_local(async move {
            let answer = pos_print_receipt(id).await.map(|_| ()).map_err(|e| e.text(lang()));
            printed.set(Some(answer));
        });
    };
    view! {
        <section class="pos-receipt" data-testid="pos-receipt">
            {move || match link.get() {
                Some(Ok(receipt)) => {
                    let url = absolute_url(&receipt.url);
                    let print = print_url(&url);
                    let has_printer = receipt.has_printer;
                    view! {
                        <p>{move || t("receipt.scan")}</p>
                        <QrCode payment_request=url.clone() class="pos-receipt-qr" testid="pos-receipt-qr"/>
                        <p class="pos-receipt-url" data-testid="pos-receipt-url" hidden=true>{url.clone()}</p>
                        <div class="pos-receipt-actions">
                            <a class="button" href=print target="_blank" rel="noopener" data-testid="pos-receipt-print">
                                {move || t("receipt.print")}
                            </a>
                            <Show when=move || has_printer>
                                <button type="button" class="button" data-testid="pos-receipt-till-print"
                                    on:click=print_on_till>
                                    {move || t("receipt.print_till")}
                                </button>
                            </Show>
                        </div>
                        {move || printed.get().map(|answer| match answer {
                            Ok(()) => view! { <p role="status" data-testid="pos-receipt-printed">{move || t("receipt.printed")}</p> }.into_any(),
                            Err(text) => view! { <p class="banner banner-warning" role="alert" data-testid="pos-receipt-printed">{text}</p> }.into_any(),
                        })}
                    }
                    .into_any()
                }
                Some(Err(e)) => view! { <p class="banner banner-warning" role="alert">{e.text(lang())}</p> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

/// The green "Paid" screen.
#[component]
fn PaidScreen(sale: PosSale, paid_sat: u64, on_new: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <div class="pos-paid" data-testid="pos-paid" role="status">
            <div class="pos-paid-mark" aria-hidden="true">"✓"</div>
            <h1>{move || t("common.paid")}</h1>
            <p class="pos-qr-eur" data-testid="pos-paid-eur">{move || format::money(lang(), &sale.amount_eur)}</p>
            <p data-testid="pos-paid-sat">{move || format::sats(lang(), paid_sat)}</p>
            <PaidReceipt invoice_id=sale.invoice_id.clone() />
            <button type="button" class="button button-primary pos-big" data-testid="pos-new-sale"
                on:click=move |_| on_new()>
                {move || t("pos.new_sale")}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_decimal_key_shows_the_languages_mark() {
        assert_eq!(key_label(',', Lang::It), ",");
        assert_eq!(key_label(',', Lang::En), ".");
        assert_eq!(key_label('7', Lang::En), "7");
        assert_eq!(
            press_key("12", ','),
            "12,",
            "the decimal key types the same mark in both languages"
        );
    }

    use super::*;

    #[test]
    fn tips_are_a_share_of_the_gross_or_typed() {
        assert_eq!(tip_text("12,50", &TipChoice::Percent(0)), None);
        assert_eq!(tip_text("10", &TipChoice::Percent(10)), Some("1.00".to_string()));
        assert_eq!(tip_text("12,50", &TipChoice::Percent(15)), Some("1.88".to_string()));
        assert_eq!(
            tip_text("0,05", &TipChoice::Percent(5)),
            None,
            "a tip that rounds to nothing"
        );
        assert_eq!(
            tip_text("10", &TipChoice::Custom(" 2,50 ".into())),
            Some("2,50".to_string())
        );
        assert_eq!(tip_text("10", &TipChoice::Custom(" ".into())), None);
    }

    fn typed(keys: &str) -> String {
        keys.chars().fold(String::new(), |a, k| press_key(&a, k))
    }

    #[test]
    fn the_keypad_builds_amounts_with_at_most_two_decimals() {
        assert_eq!(typed("12,50"), "12,50");
        assert_eq!(typed("12,505"), "12,50");
        assert_eq!(typed(",5"), "0,5");
        assert_eq!(typed("007"), "7");
        assert_eq!(typed("1,,2"), "1,2");
        assert_eq!(typed("12⌫3"), "13");
        assert_eq!(typed("99999999"), "9999999");
        assert_eq!(typed("12C4"), "4");
    }

    #[test]
    fn amounts_display_with_two_decimals() {
        assert_eq!(display_amount("", Lang::It), "0,00\u{a0}€");
        assert_eq!(display_amount("12,5", Lang::It), "12,50\u{a0}€");
        assert_eq!(display_amount("7", Lang::It), "7,00\u{a0}€");
        assert_eq!(display_amount("1234,5", Lang::It), "1.234,50\u{a0}€");
        assert_eq!(display_amount("1234,5", Lang::En), "€1,234.50");
    }

    #[test]
    fn the_keypad_only_builds_amounts_the_parser_accepts() {
        for keys in [
            "12,50",
            "12,505",
            ",5",
            "007",
            "1,,2",
            "99999999",
            "1,",
            "0,01",
            "9999999,99",
        ] {
            let amount = typed(keys);
            if amount.ends_with(',') {
                continue; // still typing: Charge sends it only once it parses
            }
            assert!(model::parse_amount_cents(&amount).is_ok(), "{keys:?} → {amount:?}");
        }
    }

    #[test]
    fn a_sale_is_checked_before_it_is_sent() {
        assert_eq!(check_sale("12,50", " Caffè ", Lang::It), Ok(()));
        let refusal = check_sale("1.234,56", "", Lang::It).err().unwrap_or_default();
        assert!(refusal.contains("separatore delle migliaia"), "{refusal}");
        let refusal = check_sale("5", "tavolo \u{202E}7", Lang::En).err().unwrap_or_default();
        assert!(
            refusal.contains("text-direction") && refusal.contains("U+202E"),
            "{refusal}"
        );
        assert!(check_sale("0", "", Lang::En).is_err());
    }

    #[test]
    fn the_staff_flag_is_translated_and_only_there_when_something_needs_the_owner() {
        use model::RateState as S;
        assert!(staff_flag_text(S::Live, false).is_none());
        let text = staff_flag_text(S::Fallback, true).map(|t| (t(Lang::It), t(Lang::En)));
        assert_eq!(
            text,
            Some((
                "cambio di riserva · poca capacità in entrata: vedi il cruscotto".to_string(),
                "fallback rate · low inbound capacity: see the dashboard".to_string()
            ))
        );
        assert_eq!(
            staff_flag_text(S::Live, true).map(|t| t(Lang::It)).as_deref(),
            Some("poca capacità in entrata: vedi il cruscotto")
        );
    }

    #[test]
    fn countdown_is_minutes_and_seconds() {
        assert_eq!(countdown(905), "15:05");
        assert_eq!(countdown(-3), "00:00");
    }
}
