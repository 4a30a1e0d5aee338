//! The router: the application shell (header, navigation by role, language switch) and which
//! page each path shows. Pages that need a role are wrapped in [`RequireRole`]: signed-out
//! visitors get the sign-in form, a cashier gets "not allowed" on admin pages. The gateway checks
//! the role again on every call. The only module that imports pages.

pub mod back_office;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::auth::{logout, whoami};
use crate::i18n::{lang, provide_i18n, set_lang, t, use_i18n, Lang};
use crate::model::Role;
use crate::pages::login::{Auth, LoginPage, SetupPage};
use crate::pages::{not_found::NotFoundPage, pos::PosPage};
use back_office::{BackOffice, BackOfficePage};

/// Root component of the single-page app.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_i18n();
    let auth = Auth {
        user: RwSignal::new(None),
        checked: RwSignal::new(false),
    };
    provide_context(auth);
    let shop_time = crate::format::provide_shop_time();
    leptos::task::spawn_local(async move {
        if let Ok(user) = whoami().await {
            auth.user.set(user);
        }
        auth.checked.set(true);
    });
    // Once someone is signed in, times follow the shop's time zone and the gateway's clock.
    Effect::new(move |_| {
        if auth.user.get().is_some() {
            leptos::task::spawn_local(async move {
                if let Ok(clock) = crate::api::get_shop_clock().await {
                    shop_time.set(clock);
                }
            });
        }
    });
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "OpenFatture Lightning".to_string() } else { format!("{page} · OpenFatture Lightning") }
        } />
        <Router>
            <crate::components::offline::OfflineBanner />
            <header class="app-header">
                <a class="brand" href="/">"OpenFatture Lightning"</a>
                <NavBar />
                <LangSwitch />
                <UserBox />
            </header>
            <main class="app-main">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=|| view! { <RequireRole role=Role::Cashier><PosPage /></RequireRole> } />
                    <Route path=path!("/dashboard") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Dashboard /></RequireRole> } />
                    <Route path=path!("/invoices") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Invoices /></RequireRole> } />
                    <Route path=path!("/payments") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Payments /></RequireRole> } />
                    <Route path=path!("/webhooks") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Webhooks /></RequireRole> } />
                    <Route path=path!("/settings") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Settings /></RequireRole> } />
                    <Route path=path!("/welcome") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Welcome /></RequireRole> } />
                    <Route path=path!("/staff") view=|| view! { <RequireRole role=Role::Admin><BackOfficePage page=BackOffice::Staff /></RequireRole> } />
                    <Route path=path!("/setup") view=SetupPage />
                </Routes>
            </main>
            <footer class="app-footer">{move || t("nav.footer")}</footer>
        </Router>
    }
}

/// Shows `children` to users with `role`; the sign-in form to visitors; "not allowed" otherwise.
#[component]
pub fn RequireRole(
    /// The role the page needs.
    role: Role,
    /// The page.
    children: ChildrenFn,
) -> impl IntoView {
    let auth = use_context::<Auth>();
    move || {
        let Some(auth) = auth else {
            return view! { <LoginPage /> }.into_any();
        };
        if !auth.checked.get() {
            return view! { <p class="muted">{move || t("common.loading")}</p> }.into_any();
        }
        match auth.user.get() {
            None => view! { <LoginPage /> }.into_any(),
            Some(user) if user.role.allows(role) => children().into_any(),
            Some(_) => view! {
                <section class="card" data-testid="not-allowed">
                    <h1>{move || t("nav.not_allowed")}</h1>
                    <p>{move || t("nav.admin_only")}</p>
                </section>
            }
            .into_any(),
        }
    }
}

/// Main navigation: the pages the signed-in role may open.
#[component]
fn NavBar() -> impl IntoView {
    let auth = use_context::<Auth>();
    let is_admin = move || auth.and_then(|a| a.user.get()).is_some_and(|u| u.role == Role::Admin);
    let signed_in = move || auth.and_then(|a| a.user.get()).is_some();
    view! {
        <nav class="app-nav" aria-label=move || t("nav.main_label")>
            <Show when=signed_in>
                <A href="/" exact=true>{move || t("nav.pos")}</A>
            </Show>
            <Show when=is_admin>
                <A href="/dashboard">{move || t("common.node")}</A>
                <A href="/invoices">{move || t("common.invoices")}</A>
                <A href="/payments">{move || t("common.payments")}</A>
                <A href="/webhooks">{move || t("common.webhooks")}</A>
                <A href="/settings">{move || t("common.settings")}</A>
                <A href="/staff">{move || t("common.staff")}</A>
            </Show>
        </nav>
    }
}

/// IT / EN switch.
#[component]
fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="lang-switch" role="group" aria-label=move || t("nav.language_label")>
            <button type="button" class="button" aria-pressed=move || (lang() == Lang::It).to_string()
                data-testid="lang-it" on:click=move |_| set_lang(i18n, Lang::It)>"IT"</button>
            <button type="button" class="button" aria-pressed=move || (lang() == Lang::En).to_string()
                data-testid="lang-en" on:click=move |_| set_lang(i18n, Lang::En)>"EN"</button>
        </div>
    }
}

/// Who is signed in, and Sign out.
#[component]
fn UserBox() -> impl IntoView {
    let auth = use_context::<Auth>();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = logout().await;
            if let Some(auth) = auth {
                auth.user.set(None);
            }
        });
    };
    move || {
        auth.and_then(|a| a.user.get()).map(|user| {
            view! {
                <div class="user-box">
                    <span data-testid="signed-in-as">{format!("{} ({})", user.username, user.role)}</span>
                    <button type="button" class="button" data-testid="sign-out" on:click=sign_out>
                        {move || t("nav.sign_out")}
                    </button>
                </div>
            }
        })
    }
}
