//! The Staff page (admin): every staff account with its role, creation time, signed-in sessions
//! and sign-in lock; adding cashiers and admins, removing them (after a confirmation), resetting a
//! PIN or password (their sessions end), ending someone's sessions and lifting a sign-in lock, as
//! `openfatture user` does. The gateway refuses removing yourself, ending your own sessions here
//! and removing the only admin, in the page's language; a refusal changes nothing.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::format;
use crate::i18n::{current_lang, lang, t, use_i18n, I18n, Lang};
use crate::model::{Role, StaffView};

/// The calling admin's name (the server-function side of "not yourself").
#[cfg(feature = "ssr")]
fn admin() -> Result<String, AppError> {
    Ok(crate::auth::require(crate::auth::Role::Admin)?.username)
}

/// Every staff account, by name. Admin. `POST /api/admin_staff`.
#[server(prefix = "/api", endpoint = "admin_staff")]
pub async fn list_staff() -> Result<Vec<StaffView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?.staff(actor).await
}

/// Adds a staff member; returns every account. Admin. `POST /api/admin_staff_add`.
#[server(prefix = "/api", endpoint = "admin_staff_add")]
pub async fn add_staff(
    /// Login name: lower-case letters, digits, '.', '_' or '-'.
    username: String,
    /// `admin` or `cashier`.
    role: String,
    /// Password (10+ characters) or PIN (6+ digits).
    password: String,
    /// The same again.
    confirm: String,
    /// The page's language (`en`, `it`): refusals are written in it.
    lang: String,
) -> Result<Vec<StaffView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?
        .add_staff(actor, Lang::from_tag(&lang), username, role, password, confirm)
        .await
}

/// Removes a staff member (not yourself, never the only admin); their sessions end. Admin.
/// `POST /api/admin_staff_remove`.
#[server(prefix = "/api", endpoint = "admin_staff_remove")]
pub async fn remove_staff(
    /// Login name.
    username: String,
    /// The page's language (`en`, `it`).
    lang: String,
) -> Result<Vec<StaffView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?
        .remove_staff(actor, Lang::from_tag(&lang), username)
        .await
}

/// Sets a new password or PIN for a staff member and ends their sessions. Admin.
/// `POST /api/admin_staff_passwd`.
#[server(prefix = "/api", endpoint = "admin_staff_passwd")]
pub async fn reset_staff_password(
    /// Login name.
    username: String,
    /// New password (10+ characters) or PIN (6+ digits).
    password: String,
    /// The same again.
    confirm: String,
    /// The page's language (`en`, `it`).
    lang: String,
) -> Result<Vec<StaffView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?
        .reset_staff_password(actor, Lang::from_tag(&lang), username, password, confirm)
        .await
}

/// Ends every session of a staff member other than yourself. Admin. `POST /api/admin_staff_logout`.
#[server(prefix = "/api", endpoint = "admin_staff_logout")]
pub async fn end_staff_sessions(
    /// Login name.
    username: String,
    /// The page's language (`en`, `it`).
    lang: String,
) -> Result<Vec<StaffView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?
        .end_staff_sessions(actor, Lang::from_tag(&lang), username)
        .await
}

/// Lifts every sign-in lock on a staff member. Admin. `POST /api/admin_staff_unlock`.
#[server(prefix = "/api", endpoint = "admin_staff_unlock")]
pub async fn unlock_staff(
    /// Login name.
    username: String,
    /// The page's language (`en`, `it`).
    lang: String,
) -> Result<Vec<StaffView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?
        .unlock_staff(actor, Lang::from_tag(&lang), username)
        .await
}

/// The page's language tag for a server function (`en`, `it`). Read from the [`I18n`] fetched
/// while rendering: event handlers and tasks run without context.
fn lang_tag(i18n: Option<I18n>) -> String {
    i18n.map(|i| i.0.get_untracked()).unwrap_or(Lang::En).tag().to_string()
}

/// A role's name in the current language (tracked).
fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => t("staff.admin"),
        Role::Cashier => t("staff.cashier"),
    }
}

/// What the last action on the page did (rendered in the current language).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    /// An account was added.
    Added(String),
    /// An account was removed.
    Removed(String),
    /// A password was reset (and the sessions ended).
    PasswordReset(String),
    /// Sessions were ended.
    SessionsEnded(String),
    /// Sign-in locks were lifted.
    Unlocked(String),
    /// The gateway refused or failed (its own words, in the page's language).
    Error(String),
}

impl Notice {
    /// The text in the current language, and whether it reports a failure.
    fn text(&self) -> (String, bool) {
        match self {
            Notice::Added(name) => (format!("{} {name}", t("staff.added")), false),
            Notice::Removed(name) => (format!("{} {name}", t("staff.removed_sessions_ended")), false),
            Notice::PasswordReset(name) => (format!("{} {name}", t("staff.password_set_sessions_ended")), false),
            Notice::SessionsEnded(name) => (format!("{} {name}", t("staff.sessions_ended_for")), false),
            Notice::Unlocked(name) => (format!("{} {name}", t("staff.sign_in_unlocked_for")), false),
            Notice::Error(text) => (text.clone(), true),
        }
    }
}

/// An action on one account from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowAction {
    /// Ask to confirm the removal.
    AskRemove,
    /// Show the new-password form.
    AskReset,
    /// End the account's sessions.
    EndSessions,
    /// Lift the sign-in locks.
    Unlock,
}

/// The columns of the staff table (no "last sign-in": sign-ins are not recorded by time).
const STAFF_COLUMNS: &[Column] = &[
    Column::text("common.column.username"),
    Column::text("staff.column.role"),
    Column::text("staff.column.created"),
    Column::num("staff.column.sessions"),
    Column::text("staff.column.sign_in"),
    Column::untitled(),
];

/// The Staff page.
#[component]
pub fn StaffPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let message = RwSignal::new(None::<Notice>);
    let staff = LocalResource::new(move || {
        let _ = version.get();
        list_staff()
    });
    // The account whose removal awaits confirmation, and the one whose password is being reset.
    let confirming = RwSignal::new(None::<String>);
    let resetting = RwSignal::new(None::<String>);
    let i18n = use_i18n();

    let finish = move |result: Result<Vec<StaffView>, AppError>, done: Notice| {
        match result {
            Ok(_) => message.set(Some(done)),
            Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
        }
        version.update(|v| *v += 1);
    };

    let on_action = move |action: RowAction, username: String| {
        message.set(None);
        match action {
            RowAction::AskRemove => {
                resetting.set(None);
                confirming.set(Some(username));
            }
            RowAction::AskReset => {
                confirming.set(None);
                resetting.set(Some(username));
            }
            RowAction::EndSessions => leptos::task::spawn_local(async move {
                let result = end_staff_sessions(username.clone(), lang_tag(i18n)).await;
                finish(result, Notice::SessionsEnded(username));
            }),
            RowAction::Unlock => leptos::task::spawn_local(async move {
                let result = unlock_staff(username.clone(), lang_tag(i18n)).await;
                finish(result, Notice::Unlocked(username));
            }),
        }
    };
    let confirm_remove = move |_| {
        let Some(username) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        leptos::task::spawn_local(async move {
            let result = remove_staff(username.clone(), lang_tag(i18n)).await;
            finish(result, Notice::Removed(username));
        });
    };

    view! {
        <Title text=move || t("title.staff") />
        <section class="card admin-page">
            <div class="card-head">
                <h1>{move || t("common.staff")}</h1>
                <button type="button" class="button" data-testid="staff-reload" on:click=move |_| version.update(|v| *v += 1)>{move || t("common.reload")}</button>
            </div>
            {move || message.get().map(|m| match m.text() {
                (text, false) => view! { <p class="banner banner-ok" role="status" data-testid="staff-message">{text}</p> }.into_any(),
                (text, true) => view! { <p class="banner banner-error" role="alert" data-testid="staff-error">{text}</p> }.into_any(),
            })}
            {move || confirming.get().map(|name| view! {
                <div class="banner banner-warning" role="alertdialog" data-testid="staff-confirm-remove">
                    <p>{move || t("staff.confirm_remove")} " " <strong>{name.clone()}</strong></p>
                    <div class="admin-actions">
                        <button type="button" class="button button-primary" data-testid="staff-confirm-remove-yes" on:click=confirm_remove>
                            {move || t("common.remove")}
                        </button>
                        <button type="button" class="button" data-testid="staff-confirm-remove-no" on:click=move |_| confirming.set(None)>
                            {move || t("common.cancel")}
                        </button>
                    </div>
                </div>
            })}
            {move || resetting.get().map(|name| view! { <ResetForm username=name resetting message version /> })}
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match staff.await {
                        Ok(rows) => view! { <StaffTable rows on_action /> }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="staff-load-error">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <AddForm message version />
        <crate::pages::tills::TillsCard />
    }
}

/// The accounts with their actions (none that the gateway would refuse for yourself).
#[component]
fn StaffTable<F>(rows: Vec<StaffView>, on_action: F) -> impl IntoView
where
    F: Fn(RowAction, String) + Copy + 'static,
{
    view! {
        <AdminTable columns=STAFF_COLUMNS testid="staff-table" rows={rows.into_iter().map(|s| {
            let name = s.username.clone();
            let button = move |action: RowAction, testid: &str, key: &'static str| {
                let name = name.clone();
                view! {
                    <button type="button" class="button" data-testid=format!("{testid}-{name}")
                        on:click=move |_| on_action(action, name.clone())>
                        {move || t(key)}
                    </button>
                }
            };
            let role = s.role;
            let locked = s.locked;
            let locked_until = s.locked_until.clone();
            let created_at = s.created_at.clone();
            view! {
                <tr data-testid=format!("staff-row-{}", s.username)>
                    <td>
                        {s.username.clone()}
                        {s.is_you.then(|| view! { <span class="muted">{move || t("staff.you")}</span> })}
                    </td>
                    <td data-testid=format!("staff-role-{}", s.username)>{move || role_label(role)}</td>
                    <td>{move || format::when(lang(), &created_at)}</td>
                    <td class="num" data-testid=format!("staff-sessions-{}", s.username)>{s.active_sessions}</td>
                    <td data-testid=format!("staff-locked-{}", s.username) class=locked.then_some("error-cell")>
                        {move || if locked {
                            format!("{} {}", t("staff.locked_until"), format::when_relative(lang(), &locked_until))
                        } else {
                            t("staff.ok").to_string()
                        }}
                    </td>
                    <td class="admin-actions">
                        {button(RowAction::AskReset, "staff-reset", "staff.new_pin_or_password")}
                        {(!s.is_you).then(|| button(RowAction::EndSessions, "staff-logout", "staff.end_sessions"))}
                        {locked.then(|| button(RowAction::Unlock, "staff-unlock", "staff.unlock"))}
                        {(!s.is_you).then(|| button(RowAction::AskRemove, "staff-remove", "common.remove"))}
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// The new password (twice) for one account; saving ends that account's sessions.
#[component]
fn ResetForm(
    username: String,
    resetting: RwSignal<Option<String>>,
    message: RwSignal<Option<Notice>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let i18n = use_i18n();
    let shown = username.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        let username = username.clone();
        leptos::task::spawn_local(async move {
            let result = reset_staff_password(
                username.clone(),
                password.get_untracked(),
                confirm.get_untracked(),
                lang_tag(i18n),
            )
            .await;
            match result {
                Ok(_) => {
                    resetting.set(None);
                    message.set(Some(Notice::PasswordReset(username)));
                }
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <form class="admin-form" data-testid="staff-reset-form" on:submit=save>
            <h2>{move || t("staff.new_pin_or_password_for")} " " {shown}</h2>
            <label>
                <span>{move || t("staff.new_pin_or_password_input")}</span>
                <input type="password" required autocomplete="new-password" data-testid="staff-reset-password"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{move || t("staff.again")}</span>
                <input type="password" required autocomplete="new-password" data-testid="staff-reset-confirm"
                    prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
            </label>
            <div class="admin-actions">
                <button type="submit" class="button button-primary" data-testid="staff-reset-save">
                    {move || t("staff.set_and_end_their_sessions")}
                </button>
                <button type="button" class="button" on:click=move |_| resetting.set(None)>
                    {move || t("common.cancel")}
                </button>
            </div>
        </form>
    }
}

/// Adds a staff member: name, role, password twice.
#[component]
fn AddForm(message: RwSignal<Option<Notice>>, version: RwSignal<u32>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Cashier.as_str().to_string());
    let i18n = use_i18n();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        leptos::task::spawn_local(async move {
            let name = username.get_untracked();
            let result = add_staff(
                name.clone(),
                role.get_untracked(),
                password.get_untracked(),
                confirm.get_untracked(),
                lang_tag(i18n),
            )
            .await;
            match result {
                Ok(_) => {
                    message.set(Some(Notice::Added(name.trim().to_string())));
                    username.set(String::new());
                    password.set(String::new());
                    confirm.set(String::new());
                }
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section class="card admin-page">
            <h2>{move || t("staff.add_a_staff_member")}</h2>
            <form class="admin-form" on:submit=add>
                <label>
                    <span>{move || t("staff.username_input")}</span>
                    <input type="text" required autocapitalize="none" autocomplete="off" data-testid="staff-add-username"
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("staff.role")}</span>
                    <select data-testid="staff-add-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=move || role.get() == r.as_str()>{move || role_label(r)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    <span>{move || t("staff.new_pin_or_password_input")}</span>
                    <input type="password" required autocomplete="new-password" data-testid="staff-add-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("staff.again")}</span>
                    <input type="password" required autocomplete="new-password" data-testid="staff-add-confirm"
                        prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
                </label>
                <div class="admin-actions">
                    <button type="submit" class="button button-primary" data-testid="staff-add-submit">
                        {move || t("staff.add")}
                    </button>
                </div>
            </form>
        </section>
    }
}
