//! The list queries of the store and their plans, for the test that proves every list, filter,
//! order and search is answered by its index (issue 37).

use sqlx::Row;

use super::{Backend, ListQuery, Store, StoreError};

impl Store {
    /// Every query the lists run (each list, state filter, order, with and without a cursor, and
    /// each search), as [`Store::explain`] takes them: for the test that proves their plans.
    pub fn list_queries(&self) -> Vec<ListQuery> {
        let mut all = super::ln_invoices::list_queries(self.backend);
        all.extend(super::fatture::list_queries(self.backend));
        all.extend(super::payments::list_queries(self.backend));
        all
    }

    /// The plan the database chooses for `query`, one line per node (`EXPLAIN QUERY PLAN` on
    /// SQLite, `EXPLAIN` on PostgreSQL).
    pub async fn explain(&self, query: &ListQuery) -> Result<Vec<String>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => format!("EXPLAIN QUERY PLAN {}", query.sql),
            Backend::Postgres => format!("EXPLAIN {}", query.sql),
        };
        let explained = ListQuery { sql, ..query.clone() };
        let rows = explained.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| match self.backend {
                Backend::Sqlite => row.try_get::<String, _>(3).map_err(StoreError::from),
                Backend::Postgres => row.try_get::<String, _>(0).map_err(StoreError::from),
            })
            .collect()
    }
}
