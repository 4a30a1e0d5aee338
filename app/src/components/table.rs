//! The admin pages' data table: a scrollable wrapper, a header row of translated column titles,
//! and the rows the page renders.

use leptos::prelude::*;

use crate::i18n::tr;

/// One column of an [`AdminTable`]: its title in English and Italian, and whether it holds numbers
/// (right-aligned, `class="num"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Title in English.
    pub en: &'static str,
    /// Title in Italian.
    pub it: &'static str,
    /// Whether the column holds numbers.
    pub numeric: bool,
}

impl Column {
    /// A text column.
    pub const fn text(en: &'static str, it: &'static str) -> Column {
        Column { en, it, numeric: false }
    }

    /// A numeric column.
    pub const fn num(en: &'static str, it: &'static str) -> Column {
        Column { en, it, numeric: true }
    }

    /// A column without a title (e.g. the row's buttons).
    pub const fn untitled() -> Column {
        Column::text("", "")
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
            let Column { en, it, numeric } = *column;
            view! { <th class=numeric.then_some("num")>{move || tr(en, it)}</th> }
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
