//! Shown for client routes that do not exist.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::t;

/// "Page not found" with a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <Title text=move || t("title.not_found") />
        <section class="card">
            <h1>{move || t("not_found.title")}</h1>
            <p>{move || t("not_found.no_page")}" "<a href="/">{move || t("not_found.go_to_start")}</a></p>
        </section>
    }
}
