//! Previous / next buttons and the order choice of a back-office list paged by cursor (issue 37):
//! the next page starts after the cursor the server handed out; "previous" goes back along the
//! cursors already seen, so no page is ever counted from the start.

use leptos::prelude::*;

use crate::format;
use crate::i18n::{fill, lang, t};

/// Where a list is: the cursor of the page shown ('' for the first) and those before it.
#[derive(Debug, Clone, Copy)]
pub struct PagerState {
    /// The cursor the page shown starts after ('' for the first page).
    pub after: RwSignal<String>,
    /// The cursors of the pages before, oldest first.
    history: RwSignal<Vec<String>>,
}

impl PagerState {
    /// A list on its first page.
    pub fn new() -> PagerState {
        PagerState {
            after: RwSignal::new(String::new()),
            history: RwSignal::new(Vec::new()),
        }
    }

    /// Back to the first page (a new search, filter or order).
    pub fn reset(&self) {
        self.history.set(Vec::new());
        self.after.set(String::new());
    }

    /// Whether the first page is shown (not tracked).
    pub fn at_start(&self) -> bool {
        self.after.with_untracked(String::is_empty)
    }
}

impl Default for PagerState {
    fn default() -> Self {
        PagerState::new()
    }
}

/// The buttons under a list: previous, next (when `next` is a cursor) and how many rows the list
/// holds (when the server counted them).
#[component]
pub fn Pager(
    /// The list's place.
    state: PagerState,
    /// The next page's cursor ('' on the last page).
    next: String,
    /// Rows in the whole list, if counted.
    total: Option<u64>,
    /// `data-testid` of the bar.
    testid: &'static str,
) -> impl IntoView {
    let has_next = !next.is_empty();
    let go_next = move |_| {
        let current = state.after.get_untracked();
        state.history.update(|h| h.push(current));
        state.after.set(next.clone());
    };
    let go_back = move |_| {
        let before = state.history.try_update(|h| h.pop()).flatten().unwrap_or_default();
        state.after.set(before);
    };
    view! {
        <div class="admin-actions pager" data-testid=testid>
            <button type="button" class="button" data-testid=format!("{testid}-previous")
                disabled=move || state.history.with(Vec::is_empty) on:click=go_back>
                {move || t("lists.previous")}
            </button>
            <button type="button" class="button" data-testid=format!("{testid}-next")
                disabled=!has_next on:click=go_next>
                {move || t("lists.next")}
            </button>
            {total.map(|n| view! {
                <span class="muted" data-testid=format!("{testid}-total")>
                    {move || fill(t("lists.total"), &[("count", &format::integer(lang(), n))])}
                </span>
            })}
        </div>
    }
}

/// The newest / oldest first choice of a list.
#[component]
pub fn OrderSelect(
    /// `''` (newest first) or `oldest`.
    order: RwSignal<String>,
    /// `data-testid` of the select.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <label>
            <span>{move || t("lists.order")}</span>
            <select data-testid=testid on:change=move |ev| order.set(event_target_value(&ev))>
                <option value="">{move || t("lists.newest_first")}</option>
                <option value="oldest">{move || t("lists.oldest_first")}</option>
            </select>
        </label>
    }
}
