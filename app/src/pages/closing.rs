//! The counter's day in the back office (issue 36): today's figures, the "Chiudi giornata"
//! (close the day) button for admins, the same closing as `openfatture pos close` (the whole
//! shop's day, numbered and immutable, with its `day_closed` webhook), and the past closings.

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

/// Closes today for the whole shop. Admin. `POST /api/admin_close_day`.
#[server(prefix = "/api", endpoint = "admin_close_day")]
pub async fn close_day() -> Result<ClosingSummary, AppError> {
    let user = crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.close_day(user.username).await
}

/// One line of figures.
fn figures_line(f: &ClosingSummary) -> String {
    fill(
        t("closing.figures"),
        &[
            ("sales", &f.sales.to_string()),
            ("gross", &f.gross_eur),
            ("tips", &f.tips_eur),
            ("refunds", &f.refunds_eur),
            ("sat", &f.sats_received.to_string()),
        ],
    )
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
    let close = move |_| {
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            match close_day().await {
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
                            view! {
                                <p data-testid="closing-today"><strong>{today}</strong>" "{figures_line(&view.today)}</p>
                                {(closed > 0).then(|| view! {
                                    <p class="muted" data-testid="closing-closed">{fill(t("closing.closed"), &[("number", &closed.to_string())])}</p>
                                })}
                                <h3>{move || t("closing.past")}</h3>
                                {if list.is_empty() {
                                    view! { <p class="muted" data-testid="closing-none">{move || t("closing.none")}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul data-testid="closing-list">
                                            {list.into_iter().map(|c| {
                                                let head = format!("#{} {} {}", c.number, c.date, c.till);
                                                view! { <li><strong>{head}</strong>" "{figures_line(&c)}</li> }
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
