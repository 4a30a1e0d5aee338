//! The application shell: header, navigation and the routed page area.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::pages::{dashboard::DashboardPage, not_found::NotFoundPage};

/// Root component of the single-page app. New pages (POS, invoices, payments, settings) get a
/// `<Route>` here and a link in [`NavBar`].
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "OpenFatture Lightning".to_string() } else { format!("{page} · OpenFatture Lightning") }
        } />
        <Router>
            <header class="app-header">
                <a class="brand" href="/">"OpenFatture Lightning"</a>
                <NavBar />
            </header>
            <main class="app-main">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=DashboardPage />
                </Routes>
            </main>
            <footer class="app-footer">"Paid in bitcoin over Lightning, invoiced in euro."</footer>
        </Router>
    }
}

/// Main navigation. Links are highlighted (`aria-current="page"`) by the router.
#[component]
fn NavBar() -> impl IntoView {
    view! {
        <nav class="app-nav" aria-label="Main">
            <A href="/" exact=true>"Node"</A>
        </nav>
    }
}
