//! The counter's day in the back office (issue 36): today's figures, the "Chiudi giornata"
//! (close the day) button for admins, the same closing as `openfatture pos close [--till]
//! [--date]` (the whole shop's or one till's day, today or a past unclosed day, numbered and
//! immutable, with its `day_closed` webhook), and the past closings with their PDF, CSV and JSON.

use leptos::prelude::*;

use crate::error::AppError;
use crate::i18n::{current_lang, fill, t};
use crate::model::{ClosingSummary, CounterDayView};

/// Today's figures and the closings made. Admin. `POST /api/admin_counter_day`.
#[server(prefix = "/api", endpoint = "admin_counter_day")]
pub async fn counter_day() -> Result<CounterDayView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.counter_day().await
}

/// Closes a day (`date`, `YYYY-MM-DD`; today when left out) for one till (`till`; the whole
/// shop when left out), as `openfatture pos close [--till] [--date]` does. Admin.
/// `POST /api/admin_close_day`.
#[server(prefix = "/api", endpoint = "admin_close_day")]
pub async fn close_day(
    /// The till to close apart; the whole shop when left out or empty.
    till: Option<String>,
    /// The day, `YYYY-MM-DD` on the shop's clock; today when left out or empty.
    date: Option<String>,
) -> Result<ClosingSummary, AppError> {
    let user = crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?
        .close_day(user.username, till.unwrap_or_default(), date.unwrap_or_default())
        .await
}

/// The downloads of closing `number`: PDF, CSV and JSON, from the admin-only
/// `GET /api/admin/closings/{number}/{format}`.
fn downloads(number: i64) -> impl IntoView {
    view! {
        <span class="closing-downloads">
            " "{move || t("closing.download")}
            {["pdf", "csv", "json"].into_iter().map(|format| {
                let href = format!("/api/admin/closings/{number}/{format}");
                let test_id = format!("closing-{number}-{format}");
                view! { " "<a href=href download data-testid=test_id>{format.to_uppercase()}</a> }
            }).collect_view()}
        </span>
    }
}

/// The events after which the day's figures change: a sale paid, a refund made, a closing.
pub const DAY_EVENTS: [crate::model::EventKind; 3] = [
    crate::model::EventKind::PaymentReceived,
    crate::model::EventKind::PaymentRefunded,
    crate::model::EventKind::DayClosed,
];

/// One line of figures.
pub(crate) fn figures_line(f: &ClosingSummary) -> String {
    fill(
        t("closing.figures"),
        &[
            ("sales", &f.sales.to_string()),
            ("gross", &f.gross_eur),
            ("vat", &f.vat_eur),
            ("tips", &f.tips_eur),
            ("refunds", &f.refunds_eur),
            ("sat", &f.sats_received.to_string()),
        ],
    )
}

/// The day's lines by till or by cashier under `title`, when there are any.
fn day_lines(
    title: impl Fn() -> &'static str + Send + Sync + 'static,
    list: Vec<ClosingSummary>,
    test_id: &'static str,
) -> impl IntoView {
    (!list.is_empty()).then(|| {
        view! {
            <h3>{title}</h3>
            <ul data-testid=test_id>
                {list.into_iter().map(|f| view! { <li><strong>{f.till.clone()}</strong>" "{figures_line(&f)}</li> }).collect_view()}
            </ul>
        }
    })
}

/// Today at the counter on the dashboard (admins): the day's figures in total, by till and by
/// cashier, fetched again from the gateway whenever a sale is paid, a refund made or the day
/// closed (the live event stream), never computed in the browser.
#[component]
pub fn DayCard() -> impl IntoView {
    let day = LocalResource::new(counter_day);
    crate::live::on_events(&DAY_EVENTS, move || day.refetch());
    view! {
        <section class="card" data-testid="day-card">
            <div class="card-head">
                <h2>{move || t("dashboard.day.title")}</h2>
                <button type="button" class="button" on:click=move |_| day.refetch()>{move || t("common.refresh")}</button>
            </div>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(view) => {
                            let today = fill(t("closing.today"), &[("date", &view.today.date)]);
                            view! {
                                <p data-testid="day-total"><strong>{today}</strong>" "{figures_line(&view.today)}</p>
                                {day_lines(|| t("dashboard.day.by_till"), view.by_till, "day-by-till")}
                                {day_lines(|| t("dashboard.day.by_cashier"), view.by_cashier, "day-by-cashier")}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="banner banner-error" role="alert">{e.text(current_lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The "Chiusura di cassa" card of the Payments page.
#[component]
pub fn ClosingCard() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let day = LocalResource::new(move || {
        reload.get();
        counter_day()
    });
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let till = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let close = move |_| {
        busy.set(true);
        message.set(None);
        let chosen = |text: String| (!text.trim().is_empty()).then_some(text);
        let (till, date) = (chosen(till.get_untracked()), chosen(date.get_untracked()));
        leptos::task::spawn_local(async move {
            match close_day(till, date).await {
                Ok(c) => message.set(Some(Ok(fill(t("closing.done"), &[("number", &c.number.to_string())])))),
                Err(e) => message.set(Some(Err(e.text(current_lang())))),
            }
            busy.set(false);
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <section class="card admin-page" data-testid="closing-card">
            <h2>{move || t("closing.title")}</h2>
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(view) => {
                            let closed = view.closed_by_number;
                            let today = fill(t("closing.today"), &[("date", &view.today.date)]);
                            let list = view.closings.clone();
                            let tills = view.tills.clone();
                            let today_date = view.today.date.clone();
                            view! {
                                <p data-testid="closing-today"><strong>{today}</strong>" "{figures_line(&view.today)}</p>
                                {(closed > 0).then(|| view! {
                                    <p class="muted" data-testid="closing-closed">{fill(t("closing.closed"), &[("number", &closed.to_string())])}</p>
                                })}
                                <div class="admin-form">
                                    <label>{move || t("closing.till_label")}
                                        <select data-testid="closing-till" on:change=move |ev| till.set(event_target_value(&ev))>
                                            <option value="" selected=move || till.get().is_empty()>{move || t("closing.till_all")}</option>
                                            {tills.into_iter().map(|name| {
                                                let value = name.clone();
                                                let chosen = name.clone();
                                                view! { <option value=value selected=move || till.get() == chosen>{name}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{move || t("closing.date_label")}
                                        <input type="date" data-testid="closing-date" max=today_date.clone()
                                            prop:value=move || date.get()
                                            on:input=move |ev| date.set(event_target_value(&ev)) />
                                    </label>
                                </div>
                                <h3>{move || t("closing.past")}</h3>
                                {if list.is_empty() {
                                    view! { <p class="muted" data-testid="closing-none">{move || t("closing.none")}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul data-testid="closing-list">
                                            {list.into_iter().map(|c| {
                                                let head = format!("#{} {} {}", c.number, c.date, c.till);
                                                let test_id = format!("closing-{}", c.number);
                                                view! { <li data-testid=test_id><strong>{head}</strong>" "{figures_line(&c)}{downloads(c.number)}</li> }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="banner banner-error" role="alert">{e.text(current_lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
            <div class="admin-actions">
                <button type="button" class="button button-primary" data-testid="closing-submit"
                    disabled=move || busy.get() on:click=close>
                    {move || t("closing.submit")}
                </button>
            </div>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <p class="banner" role="status" data-testid="closing-done">{text}</p> }.into_any(),
                Err(text) => view! { <p class="banner banner-error" role="alert" data-testid="closing-error">{text}</p> }.into_any(),
            })}
        </section>
    }
}
