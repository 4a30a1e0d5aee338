//! Helpers shared by the server's integration tests: each test binary (`tests/<area>/main.rs`)
//! includes this directory as its `common` module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use openfatture::store::Store;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Test result with any error.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A test's own result.
pub type TestResult = Res<()>;

/// Tables whose rows a refused command must leave untouched.
pub const INVOICE_TABLES: [&str; 6] = [
    "fatture",
    "fattura_lines",
    "fattura_vat_summary",
    "ln_invoices",
    "ln_preimages",
    "payments",
];

/// Every table a web request can change.
pub const WEB_TABLES: [&str; 11] = [
    "fatture",
    "fattura_lines",
    "fattura_vat_summary",
    "ln_invoices",
    "ln_preimages",
    "payments",
    "users",
    "events",
    "webhook_endpoints",
    "webhook_deliveries",
    "mail_outbox",
];

/// Every row of the invoice tables as text, to prove a refusal wrote nothing.
pub async fn dump(store: &Store) -> Vec<String> {
    dump_tables(store, &INVOICE_TABLES).await
}

/// Every row of `tables` as text.
pub async fn dump_tables(store: &Store, tables: &[&str]) -> Vec<String> {
    dump_rendered(store, tables, |row, i, _table| {
        row.try_get::<Option<String>, _>(i)
            .map(|v| v.unwrap_or_default())
            .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
            .unwrap_or_else(|_| "?".into())
    })
    .await
}

/// Every row of `tables` (in primary-key order) as `table: col|col|…`, each column rendered by
/// `column(row, index, table)`.
async fn dump_rendered(store: &Store, tables: &[&str], column: fn(&AnyRow, usize, &str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY 1"))
            .fetch_all(store.pool())
            .await
            .expect("dump");
        for row in rows {
            let cols: Vec<String> = (0..row.len()).map(|i| column(&row, i, table)).collect();
            out.push(format!("{table}: {}", cols.join("|")));
        }
    }
    out
}

/// A standalone Lightning invoice of 12.50 EUR at 45,000 EUR/BTC (27,778 sat, one hour), to
/// record straight into a store.
pub fn new_standalone_invoice(
    payment_hash: String,
    preimage: String,
    memo: String,
) -> openfatture::store::NewLnInvoice {
    openfatture::store::NewLnInvoice {
        fattura_id: None,
        numero: None,
        payment_hash,
        preimage,
        memo,
        amount_eur: rust_decimal::Decimal::new(1250, 2),
        amount_msat: 27_778_000,
        rate_eur_per_btc: rust_decimal::Decimal::from(45000),
        rate_source: "test".into(),
        rate_at: 1_700_000_000,
        rate_is_fallback: false,
        expiry_secs: 3600,
        created_at: 1_700_000_000,
        rate_evidence: Vec::new(),
        identity: None,
    }
}

/// Taken by every test that runs the liquidity manager in its process (directly, or inside a
/// gateway started with `lightning_liquidity_enabled`): the manager needs the library's
/// process-wide rebalance lock (`openfatture::liquidity::REBALANCE_LOCK`), so such tests run one
/// at a time, whichever module of a test binary they are in.
pub static LIQUIDITY_MANAGER_TESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub mod lightning;
pub mod log;
pub mod p7m;
pub mod pdf;
pub mod pg;
pub mod rates;
pub mod smtp;
pub mod web;

/// Every table of the schema, for byte-for-byte "nothing changed" checks.
pub const ALL_TABLES: [&str; 14] = [
    "fatture",
    "ln_invoices",
    "ln_preimages",
    "payments",
    "events",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "users",
    "sessions",
    "login_throttle",
    "tracker_state",
    "rebalances",
    "rebalance_lease",
];

/// Every row of `tables` with every column rendered exactly (text, integer, real, blob or NULL).
pub async fn dump_exact(store: &Store, tables: &[&str]) -> Vec<String> {
    dump_rendered(store, tables, |row, i, table| {
        if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            return format!("i:{v:?}");
        }
        if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            return format!("f:{v:?}");
        }
        if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            return format!("t:{v:?}");
        }
        match row.try_get::<Option<Vec<u8>>, _>(i) {
            Ok(v) => format!("b:{v:?}"),
            Err(e) => panic!("{table} column {i} cannot be read: {e}"),
        }
    })
    .await
}

/// A FatturaPA file of `tests/fixtures/fatturapa/`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fatturapa")
        .join(name)
}

/// The bytes of a FatturaPA file of `tests/fixtures/fatturapa/`.
pub fn read_fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// The `openfatture` binary with a clean environment: only `HOME` and `OPENFATTURE_HOME`, both
/// `home`.
pub fn openfatture(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("openfatture").expect("binary built");
    cmd.env_clear().env("HOME", home).env("OPENFATTURE_HOME", home);
    cmd
}

/// Runs `cmd`, which must succeed; returns its standard output.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}
