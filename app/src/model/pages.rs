//! One page of a back-office list: its rows, where the next page starts, and how many rows the
//! whole list holds (issue 37: keyset pages, counts kept by the database).

use serde::{Deserialize, Serialize};

/// Rows per page of a back-office list when the page does not say.
pub const LIST_PAGE_ROWS: u32 = 50;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    /// The rows, in the list's order.
    pub rows: Vec<T>,
    /// The opaque cursor of the next page ('' on the last page and for searches).
    pub next: String,
    /// Rows in the whole list with its state filter, from the counts the database keeps;
    /// `None` for a search (one page of matches, not counted).
    pub total: Option<u64>,
}
