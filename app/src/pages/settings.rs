//! The Settings page (admin): every configuration key, grouped by purpose (shop data, node, rates,
//! invoices, POS, webhooks, liquidity, email, web server), with a plain label in the user's language,
//! the key itself shown small, its effective value and where it comes from (environment,
//! config.toml, default). Saving writes config.toml exactly as `openfatture config set` does.
//! Secrets can be written but never read back: no server function returns them. Keys that decide
//! where secrets or data go (paths, the node, base URLs, the database) are shown read-only: only
//! `openfatture config set` on the gateway's machine changes them.

use leptos::prelude::*;
use leptos_meta::Title;

use super::setting_labels::{label_of, page_order, refusal_text, Group};
use crate::error::AppError;
use crate::i18n::{lang, t, text_in, Lang};
use crate::model::{ReloadProblem, ReloadStatus, SettingKind, SettingView};

/// Every configuration key in table order. Admin. `POST /api/admin_settings`.
#[server(prefix = "/api", endpoint = "admin_settings")]
pub async fn list_settings() -> Result<Vec<SettingView>, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.settings().await
}

/// Whether the running gateway has config.toml's settings in force: when they were loaded, why
/// the file was not applied, which changed keys need a restart, why a node change failed. Admin.
/// `POST /api/admin_settings_status`.
#[server(prefix = "/api", endpoint = "admin_settings_status")]
pub async fn settings_status() -> Result<ReloadStatus, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.settings_status().await
}

/// Validates `value` for `key` and writes it to config.toml (atomically; on a refusal the file is
/// left as it was). Admin. `POST /api/admin_setting_set`.
#[server(prefix = "/api", endpoint = "admin_setting_set")]
pub async fn save_setting(
    /// Configuration key, e.g. `lightning_pos_expiry_minutes`.
    key: String,
    /// Its new value, as text.
    value: String,
) -> Result<SettingView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.set_setting(key, value).await
}

/// Removes `key` from config.toml so the environment or the default applies again. Admin.
/// `POST /api/admin_setting_unset`.
#[server(prefix = "/api", endpoint = "admin_setting_unset")]
pub async fn unset_setting(
    /// Configuration key, e.g. `lightning_pos_expiry_minutes`.
    key: String,
) -> Result<SettingView, AppError> {
    crate::auth::require(crate::auth::Role::Admin)?;
    crate::admin::admin_backend()?.unset_setting(key).await
}

/// The words for a value's source in the current language.
fn source_label(source: &str) -> &'static str {
    match source {
        "env" => t("settings.environment"),
        "file" => t("settings.config_toml"),
        "default" => t("settings.default"),
        _ => t("common.not_set"),
    }
}

/// An error of a settings call in `lang`: a refused change by its label, anything else as the
/// gateway said it.
fn error_text(error: &AppError, lang: Lang) -> String {
    match error {
        AppError::Setting(refusal) => refusal_text(refusal, lang),
        other => other.text(lang),
    }
}

/// What the last save or reset did (rendered in the current language).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    /// A key was saved; the entry as it is now.
    Saved(SettingView),
    /// A key was removed from config.toml.
    Removed(String),
    /// The gateway refused or failed.
    Error(AppError),
}

impl Notice {
    /// The text in `lang`, and whether it reports a failure.
    fn text(&self, lang: Lang) -> (String, bool) {
        let name = |key: &str| super::setting_labels::name_in(key, lang);
        match self {
            Notice::Saved(saved) => {
                let shown = if saved.secret {
                    text_in(lang, "settings.notice.secret_saved").to_string()
                } else {
                    saved.value.clone()
                };
                let mut text = format!(
                    "{}: {} = {shown}",
                    text_in(lang, "settings.notice.saved"),
                    name(&saved.key)
                );
                text.push_str(if saved.live {
                    text_in(lang, "settings.notice.applied_now")
                } else {
                    text_in(lang, "settings.notice.applies_after_restart")
                });
                if saved.source == "env" {
                    text.push_str(&format!(
                        " — {} {}",
                        saved.env_var,
                        text_in(lang, "settings.notice.env_overrides_file")
                    ));
                }
                (text, false)
            }
            Notice::Removed(key) => (
                format!(
                    "{}: {}",
                    name(key),
                    text_in(lang, "settings.notice.removed_from_config")
                ),
                false,
            ),
            Notice::Error(error) => (error_text(error, lang), true),
        }
    }
}

/// The settings of one group, in page order.
fn grouped(mut rows: Vec<SettingView>) -> Vec<(Group, Vec<SettingView>)> {
    rows.sort_by_key(|row| page_order(&row.key));
    let mut groups: Vec<(Group, Vec<SettingView>)> = Vec::new();
    for row in rows {
        let group = label_of(&row.key).map_or(Group::Other, |l| l.group);
        match groups.last_mut() {
            Some((last, members)) if *last == group => members.push(row),
            _ => groups.push((group, vec![row])),
        }
    }
    groups
}

/// The Settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = LocalResource::new(list_settings);
    let status = LocalResource::new(settings_status);
    let message = RwSignal::new(None::<Notice>);
    // After each save or reset, ask again whether the gateway has the file in force.
    Effect::new(move |_| {
        if message.get().is_some() {
            status.refetch();
        }
    });
    view! {
        <Title text=move || t("title.settings") />
        <section class="card admin-page">
            <div class="card-head">
                <h1>{move || t("common.settings")}</h1>
                <button type="button" class="button" on:click=move |_| settings.refetch()>{move || t("common.reload")}</button>
            </div>
            <p class="muted">{move || t("settings.intro")}
                " "<a href="/welcome" data-testid="settings-welcome">{move || t("settings.first_run_guide")}</a>
            </p>
            <ReloadBanner status />
            {move || match status.get() {
                Some(Ok(s)) => Some(view! {
                    <p class="muted" data-testid="settings-loaded-at">
                        {move || format!("{} {}", t("settings.in_force_since"), crate::format::when_secs_relative(lang(), s.loaded_at_unix))}
                    </p>
                }),
                _ => None,
            }}
            {move || message.get().map(|m| match m.text(lang()) {
                (text, false) => view! { <p class="banner banner-ok" role="status" data-testid="settings-message">{text}</p> }.into_any(),
                (text, true) => view! { <p class="banner banner-error" role="alert" data-testid="settings-error">{text}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(rows) => {
                            let groups = grouped(rows);
                            let index = groups.iter().map(|(group, _)| {
                                let group = *group;
                                view! { <a href=format!("#settings-{}", group.id()) class="chip">{move || group.title(lang())}</a> }
                            }).collect_view();
                            view! {
                                <nav class="settings-index" aria-label=move || t("settings.groups_label")>{index}</nav>
                                {groups.into_iter().map(|(group, rows)| view! {
                                    <section class="settings-group" id=format!("settings-{}", group.id())
                                        data-testid=format!("settings-group-{}", group.id())>
                                        <h2>{move || group.title(lang())}</h2>
                                        <div class="settings-list">
                                            {rows.into_iter().map(|s| view! { <SettingRow setting=s message /> }).collect_view()}
                                        </div>
                                    </section>
                                }).collect_view()}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="banner banner-error" role="alert" data-testid="settings-load-error">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Whether the gateway has config.toml in force: a file it could not apply (the previous
/// settings stay), a node change that failed, or changed keys that wait for a restart.
#[component]
fn ReloadBanner(status: LocalResource<Result<ReloadStatus, AppError>>) -> impl IntoView {
    move || {
        let Some(Ok(status)) = status.get() else {
            return None;
        };
        let lang = lang();
        let mut lines = Vec::new();
        if let Some(problem) = &status.error {
            lines.push((
                format!(
                    "{} {}",
                    text_in(lang, "settings.reload.config_not_applied"),
                    problem_text(problem, lang)
                ),
                "settings-reload-error",
            ));
        }
        if let Some(problem) = &status.node_error {
            lines.push((
                format!(
                    "{} {}",
                    text_in(lang, "settings.reload.node_not_applied"),
                    problem_text(problem, lang)
                ),
                "settings-node-error",
            ));
        }
        if !status.restart_needed.is_empty() {
            let names: Vec<String> = status
                .restart_needed
                .iter()
                .map(|key| super::setting_labels::name_in(key, lang))
                .collect();
            lines.push((
                format!(
                    "{} {}",
                    text_in(lang, "settings.reload.restart_to_apply"),
                    names.join(", ")
                ),
                "settings-restart-needed",
            ));
        }
        Some(
            lines
                .into_iter()
                .map(|(text, id)| view! { <p class="banner banner-error" role="alert" data-testid=id>{text}</p> })
                .collect_view(),
        )
    }
}

/// A reload problem in `lang`'s words.
fn problem_text(problem: &ReloadProblem, lang: Lang) -> String {
    match problem {
        ReloadProblem::Setting(refusal) => refusal_text(refusal, lang),
        ReloadProblem::Refusal(refusal) => refusal.text(lang),
    }
}

/// The input for a value of `kind`: a yes/no choice for booleans, a number field for whole
/// numbers, a password field for secrets, text otherwise.
fn value_input(setting: &SettingView, input: RwSignal<String>) -> impl IntoView {
    let key = setting.key.clone();
    let id = format!("setting-{key}");
    if setting.kind == SettingKind::Bool && !setting.secret {
        return view! {
            <select id=id.clone() data-testid=id prop:value=move || input.get()
                on:change=move |ev| input.set(event_target_value(&ev))>
                <option value="true">{move || t("settings.yes")}</option>
                <option value="false">{move || t("settings.no")}</option>
            </select>
        }
        .into_any();
    }
    let secret = setting.secret;
    let (input_type, inputmode) = match setting.kind {
        _ if secret => ("password", "text"),
        SettingKind::Whole { .. } => ("text", "numeric"),
        SettingKind::PositiveDecimal | SettingKind::Ratio => ("text", "decimal"),
        SettingKind::Url => ("url", "url"),
        _ => ("text", "text"),
    };
    let placeholder = match setting.kind {
        _ if secret => "••••••",
        SettingKind::TimeZone => "Europe/Rome",
        SettingKind::VatNumber => "01234567897",
        _ => "",
    };
    view! {
        <input id=id.clone() type=input_type inputmode=inputmode data-testid=id
            autocomplete=if secret { "new-password" } else { "off" }
            placeholder=placeholder
            prop:value=move || input.get()
            on:input=move |ev| input.set(event_target_value(&ev)) />
    }
    .into_any()
}

/// One key: its plain label with the key small under it, its value (or set/not set for a
/// secret), source, an input and Save / Reset.
#[component]
fn SettingRow(setting: SettingView, message: RwSignal<Option<Notice>>) -> impl IntoView {
    let current = RwSignal::new(setting.clone());
    let input = RwSignal::new(if setting.secret {
        String::new()
    } else {
        setting.value.clone()
    });
    let key = setting.key.clone();
    let save = {
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let key = key.clone();
            message.set(None);
            leptos::task::spawn_local(async move {
                match save_setting(key.clone(), input.get_untracked()).await {
                    Ok(saved) => {
                        if saved.secret {
                            input.set(String::new());
                        }
                        current.set(saved.clone());
                        message.set(Some(Notice::Saved(saved)));
                    }
                    Err(e) => message.set(Some(Notice::Error(e))),
                }
            });
        }
    };
    let reset = {
        let key = key.clone();
        move |_| {
            let key = key.clone();
            message.set(None);
            leptos::task::spawn_local(async move {
                match unset_setting(key.clone()).await {
                    Ok(now) => {
                        if !now.secret {
                            input.set(now.value.clone());
                        }
                        message.set(Some(Notice::Removed(key)));
                        current.set(now);
                    }
                    Err(e) => message.set(Some(Notice::Error(e))),
                }
            });
        }
    };
    let edit = if setting.cli_only {
        view! {
            <div class="setting-edit">
                <span class="muted" data-testid=format!("setting-cli-only-{key}")>{move || t("settings.cli_only_hint")}</span>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="setting-edit">
                {value_input(&setting, input)}
                <button type="submit" class="button button-primary" data-testid=format!("setting-save-{key}")>
                    {move || t("settings.save")}
                </button>
                <button type="button" class="button" data-testid=format!("setting-unset-{key}") on:click=reset>
                    {move || t("settings.reset")}
                </button>
            </div>
        }
        .into_any()
    };
    let label = label_of(&key);
    let description = setting.description.clone();
    let shown_name = {
        let key = key.clone();
        move || label.map_or_else(|| key.clone(), |l| l.text(lang()).to_string())
    };
    view! {
        <form class="setting-row" data-testid=format!("setting-row-{key}") on:submit=save>
            <div class="setting-name">
                <label for=format!("setting-{key}") data-testid=format!("setting-label-{key}")>{shown_name}</label>
                <span class="mono setting-key" data-testid=format!("setting-description-{key}") title=move || label.map_or_else(|| description.clone(), |l| l.description(lang()).to_string())>{key.clone()}</span>
            </div>
            <div class="setting-now">
                <span data-testid=format!("setting-value-{key}")>
                    {move || {
                        let s = current.get();
                        if s.secret {
                            if s.is_set { t("common.set").to_string() } else { t("common.not_set").to_string() }
                        } else if s.kind == SettingKind::Bool && s.is_set {
                            if s.value == "true" { t("common.yes").to_string() } else { t("common.no").to_string() }
                        } else if s.is_set {
                            s.value
                        } else {
                            t("common.not_set").to_string()
                        }
                    }}
                </span>
                <span class="muted" data-testid=format!("setting-source-{key}")>
                    {move || format!("({})", source_label(&current.get().source))}
                </span>
            </div>
            {edit}
        </form>
    }
}
