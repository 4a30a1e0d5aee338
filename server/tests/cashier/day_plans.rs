//! The day's figures and the daily closing (issue 36) find the counter's sales by the time they
//! were paid and the refunds by the time they finished through indexes (`ln_invoices_settled`,
//! `pos_sales_created`, `refunds_invoice`, `refunds_finished`), never by reading a whole table,
//! on SQLite and PostgreSQL; dropping an index is seen.

use crate::common;
use common::pg::PgServer;

use openfatture::store::{ListQuery, Store};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// What is wrong with a SQLite plan of `query`: a table read whole, or one of its indexes unused.
fn sqlite_fault(query: &ListQuery, plan: &[String]) -> Option<String> {
    // `SCAN t` reads the whole table; `SCAN t USING INDEX i` would walk an index (also whole).
    if let Some(line) = plan.iter().find(|line| line.trim_start().starts_with("SCAN ")) {
        return Some(format!("{}: reads a whole table ({line}): {plan:?}", query.name));
    }
    let unused: Vec<&str> = query
        .indexes
        .iter()
        .copied()
        .filter(|index| !plan.iter().any(|line| line.contains(&format!("INDEX {index} "))))
        .collect();
    (!unused.is_empty()).then(|| format!("{}: does not use {unused:?}: {plan:?}", query.name))
}

/// What is wrong with a PostgreSQL plan of `query`: a sequential scan, or one of its indexes unused.
fn postgres_fault(query: &ListQuery, plan: &[String]) -> Option<String> {
    let text = plan.join("\n");
    if text.contains("Seq Scan") {
        return Some(format!("{}: sequential scan:\n{text}", query.name));
    }
    let unused: Vec<&str> = query
        .indexes
        .iter()
        .copied()
        .filter(|index| !text.contains(&format!("using {index} on ")) && !text.contains(&format!("Scan on {index}")))
        .collect();
    (!unused.is_empty()).then(|| format!("{}: does not use {unused:?}:\n{text}", query.name))
}

async fn faults(store: &Store, postgres: bool) -> Res<Vec<String>> {
    let mut faults = Vec::new();
    let queries = store.day_queries();
    assert_eq!(queries.len(), 2, "the sales and the refunds of a day");
    for query in queries {
        let plan = store.explain(&query).await?;
        faults.extend(if postgres {
            postgres_fault(&query, &plan)
        } else {
            sqlite_fault(&query, &plan)
        });
    }
    Ok(faults)
}

const INDEXES: [&str; 4] = [
    "ln_invoices_settled",
    "pos_sales_created",
    "refunds_invoice",
    "refunds_finished",
];

#[tokio::test]
async fn the_days_sales_and_refunds_are_found_through_indexes_on_sqlite() -> Res<()> {
    let dir = tempfile::tempdir()?;
    let url = |dir: &tempfile::TempDir| format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display());
    let store = Store::connect(&url(&dir)).await?;
    let found = faults(&store, false).await?;
    assert!(found.is_empty(), "{}", found.join("\n"));
    store.close().await;
    // Without each index, some plan shows it (dropped while the store is closed, so every
    // connection of the store plans without it).
    for index in INDEXES {
        let dir = tempfile::tempdir()?;
        Store::connect(&url(&dir)).await?.close().await;
        {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&url(&dir)).await?;
            sqlx::query(&format!("DROP INDEX {index}")).execute(&mut conn).await?;
            conn.close().await?;
        }
        let store = Store::connect(&url(&dir)).await?;
        let found = faults(&store, false).await?;
        assert!(!found.is_empty(), "dropping {index} went unnoticed");
        store.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn the_days_sales_and_refunds_are_found_through_indexes_on_postgres() -> Res<()> {
    let pg = PgServer::start()?;
    let store = Store::connect(&pg.url()).await?;
    // An empty table is cheapest to read whole: forbid that, so the plan shows what the indexes
    // allow (as on a table of a million rows).
    sqlx::query("ALTER DATABASE test SET enable_seqscan = off")
        .execute(store.pool())
        .await?;
    store.close().await;
    let store = Store::connect(&pg.url()).await?;
    let found = faults(&store, true).await?;
    assert!(found.is_empty(), "{}", found.join("\n"));
    for index in ["ln_invoices_settled", "refunds_invoice", "refunds_finished"] {
        sqlx::query(&format!("DROP INDEX {index}"))
            .execute(store.pool())
            .await?;
        let found = faults(&store, true).await?;
        assert!(!found.is_empty(), "dropping {index} went unnoticed");
    }
    store.close().await;
    Ok(())
}
