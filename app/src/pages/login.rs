//! Sign-in, and the one-time creation of the first admin account (`/setup?token=…`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::{login, setup_admin};
use crate::i18n::{current_lang, t};
use crate::model::SessionUser;

/// The signed-in user, shared by the shell and the pages.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    /// `None` until someone signs in.
    pub user: RwSignal<Option<SessionUser>>,
    /// Whether the gateway has been asked who is signed in.
    pub checked: RwSignal<bool>,
}

/// The [`Auth`] in context.
pub fn use_auth() -> Option<Auth> {
    use_context::<Auth>()
}

/// Username + password (or PIN) form.
#[component]
pub fn LoginPage() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let auth = use_auth();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let (name, pass) = (username.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match login(name, pass).await {
                Ok(user) => {
                    password.set(String::new());
                    if let Some(auth) = auth {
                        auth.user.set(Some(user));
                    }
                }
                Err(e) => error.set(Some(e.text(current_lang()))),
            }
            busy.set(false);
        });
    };
    view! {
        <Title text=move || t("title.sign_in") />
        <section class="card login">
            <h1>{move || t("login.sign_in")}</h1>
            <form on:submit=submit>
                <label>
                    <span>{move || t("common.username")}</span>
                    <input type="text" name="username" autocomplete="username" autocapitalize="none" required
                        data-testid="login-username"
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("login.password_or_pin")}</span>
                    <input type="password" name="password" autocomplete="current-password" required
                        data-testid="login-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert" data-testid="login-error">{e}</p> })}
                <button type="submit" class="button button-primary pos-big" data-testid="login-submit" disabled=move || busy.get()>
                    {move || t("login.sign_in")}
                </button>
            </form>
        </section>
    }
}

/// Creates the first admin with the token from the setup link printed by `openfatture serve`.
#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let username = RwSignal::new(String::from("admin"));
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let auth = use_auth();
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let token = query.with_untracked(|q| q.get("token").unwrap_or_default());
        let (name, pass) = (username.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match setup_admin(token, name, pass).await {
                Ok(user) => {
                    if let Some(auth) = auth {
                        auth.user.set(Some(user));
                    }
                    navigate("/welcome", Default::default());
                }
                Err(e) => error.set(Some(e.text(current_lang()))),
            }
        });
    };
    view! {
        <Title text=move || t("title.setup") />
        <section class="card login">
            <h1>{move || t("login.create_the_first_admin")}</h1>
            <form on:submit=submit>
                <label>
                    <span>{move || t("common.username")}</span>
                    <input type="text" required data-testid="setup-username"
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{move || t("login.new_password_or_pin")}</span>
                    <input type="password" autocomplete="new-password" required data-testid="setup-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                {move || error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
                <button type="submit" class="button button-primary pos-big" data-testid="setup-submit">{move || t("login.create")}</button>
            </form>
        </section>
    }
}
