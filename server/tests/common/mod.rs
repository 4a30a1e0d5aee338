//! Helpers shared by the server's integration tests.
#![allow(dead_code)]

use openfatture::store::Store;
use sqlx::Row;

/// Tables whose rows a refused command must leave untouched.
pub const INVOICE_TABLES: [&str; 4] = ["fatture", "ln_invoices", "ln_preimages", "payments"];

/// Every table a web request can change.
pub const WEB_TABLES: [&str; 8] = [
    "fatture",
    "ln_invoices",
    "ln_preimages",
    "payments",
    "users",
    "events",
    "webhook_endpoints",
    "webhook_deliveries",
];

/// Every row of the invoice tables as text, to prove a refusal wrote nothing.
pub async fn dump(store: &Store) -> Vec<String> {
    dump_tables(store, &INVOICE_TABLES).await
}

/// Every row of `tables` as text.
pub async fn dump_tables(store: &Store, tables: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY 1"))
            .fetch_all(store.pool())
            .await
            .expect("dump");
        for row in rows {
            let cols: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .map(|v| v.unwrap_or_default())
                        .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap_or_else(|_| "?".into())
                })
                .collect();
            out.push(format!("{table}: {}", cols.join("|")));
        }
    }
    out
}

pub mod lightning;
pub mod pg;
pub mod web;
