//! Shown for client routes that do not exist.

use leptos::prelude::*;
use leptos_meta::Title;

/// "Page not found" with a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <Title text="Not found" />
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. " <a href="/">"Go to the start page."</a></p>
        </section>
    }
}
