//! The page flags every list command shares (`--limit`, `--page`, `--after`, `--order`) and the
//! walk from a cursor to the page asked for.

use std::future::Future;

use crate::store::{ListOrder, Page, PageCursor, StoreError};

use super::CliError;

/// Rows per page when `--limit` is not given.
const DEFAULT_PAGE: u32 = 50;

/// How many rows and which page of a list.
#[derive(Debug, Clone, clap::Args)]
pub struct PageArgs {
    /// Rows per page (1 to 1000).
    #[arg(long, default_value_t = DEFAULT_PAGE)]
    pub limit: u32,
    /// Page number, from 1 (counted from `--after` when given).
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    /// Start after this cursor (printed as `next page: --after CURSOR` under a full page).
    #[arg(long)]
    pub after: Option<String>,
    /// `newest` (default) or `oldest` first.
    #[arg(long, default_value = "newest")]
    pub order: String,
}

impl PageArgs {
    /// The checked order, cursor and limit.
    pub(crate) fn parts(&self) -> Result<(ListOrder, Option<PageCursor>, u32), CliError> {
        let (limit, _) = super::paging(self.limit, self.page)?;
        let order = ListOrder::parse(&self.order)
            .ok_or_else(|| CliError::Invalid(format!("--order must be newest or oldest (got '{}')", self.order)))?;
        let after = match self.after.as_deref() {
            Some(text) => Some(PageCursor::parse(text).map_err(|e| CliError::Invalid(format!("--after: {e}")))?),
            None => None,
        };
        Ok((order, after, limit))
    }

    /// The page asked for: `fetch` from the cursor, then from each next cursor until `--page`.
    /// Each hop is one index range, so `--page 20` costs twenty small reads, never a scan.
    pub(crate) async fn walk<T, F, Fut>(&self, mut fetch: F) -> Result<Page<T>, CliError>
    where
        F: FnMut(Option<PageCursor>) -> Fut,
        Fut: Future<Output = Result<Page<T>, StoreError>>,
    {
        let (_, mut after, _) = self.parts()?;
        let mut page = fetch(after.clone()).await?;
        for _ in 1..self.page {
            after = match page.next.take() {
                Some(next) => Some(next),
                None => {
                    return Ok(Page {
                        rows: Vec::new(),
                        next: None,
                    })
                }
            };
            page = fetch(after.clone()).await?;
        }
        Ok(page)
    }
}

/// Tells where the next page starts, if there is one: under the table, or on stderr with `--json`
/// (whose stdout stays one JSON array).
pub(crate) fn print_next(json: bool, next: Option<&PageCursor>) {
    if let Some(next) = next {
        if json {
            eprintln!("next page: --after {}", next.encode());
        } else {
            println!("next page: --after {}", next.encode());
        }
    }
}
