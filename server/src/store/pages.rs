//! Keyset pages for the lists (Lightning invoices, fatture, payments), prefix search and the
//! maintained row counts (issue 37): what a page costs never depends on how deep it is or how
//! many rows are stored.
//!
//! A page is one range of one index read in that index's order: `(sort key, primary key)`
//! after the cursor, `LIMIT n`. The cursor is the last row's pair, handed out as an opaque string.
//! A search is a prefix range over one lower-cased, indexed text (`>= prefix AND < prefix ||
//! U+10FFFF`): a B-tree range answers it at any size, where SQLite FTS5 with the trigram tokenizer
//! would match inside words too but adds a second copy of every text and a write per change; a
//! shop looks a customer or a numero up by how it starts.

use std::collections::HashMap;

use sqlx::{Any, Row};

use super::{Backend, Store, StoreError};

/// Most rows one page may hold; larger requests are cut to it.
pub const MAX_PAGE_ROWS: u32 = 1000;

/// Which way a list runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

impl ListOrder {
    /// Parses `newest` or `oldest` (the CLI's and the web's names).
    pub fn parse(text: &str) -> Option<ListOrder> {
        match text.trim() {
            "" | "newest" => Some(ListOrder::NewestFirst),
            "oldest" => Some(ListOrder::OldestFirst),
            _ => None,
        }
    }

    /// `DESC` or `ASC`.
    fn sql(self) -> &'static str {
        match self {
            ListOrder::NewestFirst => "DESC",
            ListOrder::OldestFirst => "ASC",
        }
    }

    /// The comparison that keeps the rows after a cursor.
    fn after(self) -> &'static str {
        match self {
            ListOrder::NewestFirst => "<",
            ListOrder::OldestFirst => ">",
        }
    }
}

/// Where a page ends: the last row's sort key and primary key. Shown to users only as the opaque
/// text of [`PageCursor::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    /// The sort key: creation or settle time (unix seconds), or a fattura's date as days.
    pub at: i64,
    /// The primary key, as text.
    pub key: String,
}

/// A page cursor that is not one this program handed out.
#[derive(Debug, thiserror::Error)]
#[error(
    "'{0}' is not a page cursor: use the cursor a previous page printed (`next:`), or leave it out for the first page"
)]
pub struct BadCursor(pub String);

impl PageCursor {
    /// The opaque text form: `AT.HEXKEY`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, hex::encode(self.key.as_bytes()))
    }

    /// Parses [`PageCursor::encode`]'s text.
    pub fn parse(text: &str) -> Result<PageCursor, BadCursor> {
        let bad = || BadCursor(text.chars().take(80).collect());
        let (at, key) = text.trim().split_once('.').ok_or_else(bad)?;
        let at = at.parse::<i64>().map_err(|_| bad())?;
        let key = hex::decode(key)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        if key.is_empty() {
            return Err(bad());
        }
        Ok(PageCursor { at, key })
    }
}

/// One page of a list and the cursor of the next one (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub rows: Vec<T>,
    /// Where the next page starts.
    pub next: Option<PageCursor>,
}

/// A value bound to a list query.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

/// A list query as the store runs it, and the indexes that should answer it.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// What it is, for messages (`ln_invoices state=OPEN newest after`).
    pub name: String,
    /// The statement.
    pub(crate) sql: String,
    /// Its values.
    pub(crate) binds: Vec<Bind>,
    /// The indexes any of which may answer it.
    pub indexes: Vec<&'static str>,
}

impl ListQuery {
    /// A query named `name`, answered by one of `indexes`.
    pub(crate) fn new(name: String, sql: String, binds: Vec<Bind>, indexes: &[&'static str]) -> ListQuery {
        ListQuery {
            name,
            sql,
            binds,
            indexes: indexes.to_vec(),
        }
    }

    /// The statement with its values bound.
    pub(crate) fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for bind in &self.binds {
            query = match bind {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }
}

/// The page size asked for, within `1..=MAX_PAGE_ROWS`.
pub fn page_rows(limit: u32) -> u32 {
    limit.clamp(1, MAX_PAGE_ROWS)
}

/// ` COLLATE "C"` on PostgreSQL (byte order whatever the locale, as the indexes are built);
/// nothing on SQLite, whose default collation already is.
pub(crate) fn c_collate(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " COLLATE \"C\"",
    }
}

/// The keyset part of a list query: the condition after `cursor` (or none) and the order, for sort
/// column `at` and key column `key` (`key_collate` after the key). Numbers placeholders from
/// `first`.
pub(crate) fn keyset(
    at: &str,
    key: &str,
    key_collate: &str,
    order: ListOrder,
    cursor: Option<&PageCursor>,
    first: usize,
    binds: &mut Vec<Bind>,
) -> (Option<String>, String) {
    let condition = match cursor {
        Some(cursor) => {
            binds.push(Bind::Int(cursor.at));
            binds.push(Bind::Text(cursor.key.clone()));
            Some(format!(
                "({at}, {key}{key_collate}) {} (${first}, ${})",
                order.after(),
                first + 1
            ))
        }
        None => None,
    };
    let dir = order.sql();
    (condition, format!("ORDER BY {at} {dir}, {key}{key_collate} {dir}"))
}

/// The bounds of a prefix range: `[prefix, prefix || U+10FFFF)`. `None` for an empty prefix.
pub(crate) fn prefix_range(prefix: &str) -> Option<(String, String)> {
    if prefix.is_empty() {
        return None;
    }
    Some((prefix.to_string(), format!("{prefix}{}", char::MAX)))
}

/// A search text lower-cased as the database's `lower()` does it: ASCII only on SQLite.
pub(crate) fn lower_for(backend: Backend, text: &str) -> String {
    match backend {
        Backend::Sqlite => text.to_ascii_lowercase(),
        Backend::Postgres => text.to_lowercase(),
    }
}

/// Row counts of the lists, kept by the database in the transaction of each change (migrations
/// `sqlite/0020_list_indexes`, `postgres/0017_list_indexes`), read without counting rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCounts {
    /// Lightning invoices by state name.
    pub ln_invoices: HashMap<String, u64>,
    /// EUR invoices.
    pub fatture: u64,
    /// Received payments.
    pub payments: u64,
}

impl ListCounts {
    /// Lightning invoices in `state`, or all of them.
    pub fn ln_invoices_in(&self, state: Option<app::model::InvoiceState>) -> u64 {
        match state {
            Some(state) => self.ln_invoices.get(state.as_str()).copied().unwrap_or(0),
            None => self.ln_invoices.values().sum(),
        }
    }
}

impl Store {
    /// The maintained row counts of the lists (eight rows read, whatever is stored).
    pub async fn list_counts(&self) -> Result<ListCounts, StoreError> {
        let rows = sqlx::query("SELECT list, state, n FROM list_counts")
            .fetch_all(self.pool())
            .await?;
        let mut counts = ListCounts::default();
        for row in rows {
            let list: String = row.try_get(0)?;
            let state: String = row.try_get(1)?;
            let n = super::to_u64(row.try_get::<i64, _>(2)?, "list count")?;
            match list.as_str() {
                "ln_invoices" => {
                    counts.ln_invoices.insert(state, n);
                }
                "fatture" => counts.fatture = n,
                "payments" => counts.payments = n,
                _ => {}
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let cursor = PageCursor {
            at: 1_700_000_000,
            key: "INV-001-LN-2".into(),
        };
        assert_eq!(PageCursor::parse(&cursor.encode()).ok(), Some(cursor));
        for junk in ["", "12", "x.41", "12.zz", "12."] {
            assert!(PageCursor::parse(junk).is_err(), "{junk}");
        }
    }
}
