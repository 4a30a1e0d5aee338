//! The back-office pages (node, invoices, payments, webhooks, settings, staff), loaded on demand.
//!
//! Their code sits behind one wasm split point: built with `cargo leptos build --split`, it goes
//! into a separate wasm chunk that the browser fetches the first time an admin opens one of these
//! pages, so a cashier's POS screen downloads none of it. Without `--split` (and outside the
//! browser) the pages are part of the main module and load at once; the behaviour is the same.
//! `build.rs` tells the two wasm builds apart (`cfg(wasm_split_build)`).
//!
//! A chunk that cannot be fetched (the gateway went away) shows an error with a retry button
//! instead of aborting the app; the next attempt fetches it again.

use leptos::prelude::*;
#[cfg(wasm_split_build)]
use leptos::wasm_split::wasm_split;
use leptos::wasm_split::SplitLoaderError;

use crate::i18n::t;
use crate::pages::{
    dashboard::DashboardPage, invoices::InvoicesPage, payments::PaymentsPage, settings::SettingsPage, staff::StaffPage,
    webhooks::WebhooksPage, welcome::WelcomePage,
};

/// A back-office page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackOffice {
    /// Node, rate and liquidity dashboard (`/dashboard`).
    Dashboard,
    /// EUR and Lightning invoices (`/invoices`).
    Invoices,
    /// Received payments (`/payments`).
    Payments,
    /// Webhook endpoints and deliveries (`/webhooks`).
    Webhooks,
    /// Configuration (`/settings`).
    Settings,
    /// The first-run guide (`/welcome`).
    Welcome,
    /// Staff accounts and their sessions (`/staff`).
    Staff,
}

/// Builds a back-office page.
fn build_page(page: BackOffice) -> AnyView {
    match page {
        BackOffice::Dashboard => view! { <DashboardPage /> }.into_any(),
        BackOffice::Invoices => view! { <InvoicesPage /> }.into_any(),
        BackOffice::Payments => view! { <PaymentsPage /> }.into_any(),
        BackOffice::Webhooks => view! { <WebhooksPage /> }.into_any(),
        BackOffice::Settings => view! { <SettingsPage /> }.into_any(),
        BackOffice::Welcome => view! { <WelcomePage /> }.into_any(),
        BackOffice::Staff => view! { <StaffPage /> }.into_any(),
    }
}

/// Builds a back-office page after fetching the `openfatture_back_office` wasm chunk (once).
#[cfg(wasm_split_build)]
#[wasm_split(openfatture_back_office, wasm_split_path = ::leptos::wasm_split, fallible)]
fn back_office_view(page: BackOffice) -> Result<AnyView, SplitLoaderError> {
    Ok(build_page(page))
}

/// Builds a back-office page (not a split build: the code is already loaded).
#[cfg(not(wasm_split_build))]
async fn back_office_view(page: BackOffice) -> Result<AnyView, SplitLoaderError> {
    Ok(build_page(page))
}

/// Shows a back-office page once its code has loaded ("Loading…" until then; an error with a
/// retry button if it could not be fetched).
#[component]
pub fn BackOfficePage(
    /// Which back-office page.
    page: BackOffice,
) -> impl IntoView {
    let attempt = RwSignal::new(0_u32);
    let content = move || {
        attempt.track();
        Suspend::new(async move {
            match back_office_view(page).await {
                Ok(view) => view,
                Err(_) => view! {
                    <section class="card" role="alert" data-testid="page-load-error">
                        <p class="banner banner-error">
                            {move || t("back_office.load_failed")}
                        </p>
                        <button type="button" class="button" on:click=move |_| attempt.update(|n| *n += 1)>
                            {move || t("back_office.try_again")}
                        </button>
                    </section>
                }
                .into_any(),
            }
        })
    };
    view! {
        <Suspense fallback=move || view! { <p class="muted">{move || t("common.loading")}</p> }>
            {content}
        </Suspense>
    }
}
