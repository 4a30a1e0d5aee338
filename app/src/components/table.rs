//! The admin pages' data table: a scrollable wrapper, a header row of translated column titles,
//! and the rows the page renders.

use leptos::prelude::*;

use crate::i18n::t;

/// One column of an [`AdminTable`]: the catalogue key of its title (empty: no title), and whether
/// it holds numbers (right-aligned, `class="num"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Catalogue key of the title (`dashboard.column.channel`); empty for no title.
    pub key: &'static str,
    /// Whether the column holds numbers.
    pub numeric: bool,
}

impl Column {
    /// A text column titled by the catalogue text of `key`.
    pub const fn text(key: &'static str) -> Column {
        Column { key, numeric: false }
    }

    /// A numeric column titled by the catalogue text of `key`.
    pub const fn num(key: &'static str) -> Column {
        Column { key, numeric: true }
    }

    /// A column without a title (e.g. the row's buttons).
    pub const fn untitled() -> Column {
        Column {
            key: "",
            numeric: false,
        }
    }
}

/// `<div class="table-wrap"><table class="admin-table">` with a header row for `columns` and
/// `rows` (`<tr>`s) as its body.
#[component]
pub fn AdminTable(
    /// The columns, left to right.
    columns: &'static [Column],
    /// `data-testid` of the `<table>`, if any.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// The body rows.
    rows: impl IntoView + 'static,
) -> impl IntoView {
    let headings = columns
        .iter()
        .map(|column| {
            let Column { key, numeric } = *column;
            view! { <th class=numeric.then_some("num")>{move || if key.is_empty() { "" } else { t(key) }}</th> }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="admin-table" data-testid=testid>
                <thead><tr>{headings}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
