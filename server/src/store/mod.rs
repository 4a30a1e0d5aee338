//! The database port: SQLite through sqlx, with embedded migrations.
//!
//! Money is stored exactly: EUR as integer cents, Lightning amounts as integer
//! msat. Times are unix seconds (UTC). Every multi-row change runs in one
//! transaction so a failure leaves the database as it was.

mod events;
mod fatture;
mod ln_invoices;
mod payments;
pub mod rebalances;
mod users;

pub use events::{
    rfc3339, webhook_body, AttemptOutcome, Delivery, DeliveryAttempt, Event, EventKind, WebhookEndpoint,
    DEFAULT_ENDPOINT,
};
pub use fatture::{Fattura, FatturaStatus, ImportOutcome, NewFattura};
pub use ln_invoices::{LnInvoice, LnInvoiceFilter, LnState, NewLnInvoice};
pub use payments::Payment;
pub use users::{ThrottleState, UserRecord};

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "openfatture.sqlite";

/// How long a writer waits for another writer before failing.
const BUSY_TIMEOUT_SECS: u64 = 10;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("cannot open the database at {path}: {source}")]
    Open {
        /// Database file.
        path: PathBuf,
        /// Cause.
        source: sqlx::Error,
    },
    /// Applying the schema migrations failed.
    #[error("cannot upgrade the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value is not what the schema promises (corrupted or edited by hand).
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file in `data_dir` and applies migrations.
    pub async fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Open {
            path: data_dir.to_path_buf(),
            source: sqlx::Error::Io(e),
        })?;
        Store::open(&data_dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating if needed) the database at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(BUSY_TIMEOUT_SECS));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store { pool })
    }

    /// The underlying pool, for modules that own their own tables.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection (waits for running queries).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// EUR cents as stored → exact decimal with two places.
pub fn cents_to_eur(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Exact decimal EUR → cents; `None` when it has more than two decimals or does not fit.
pub fn eur_to_cents(eur: Decimal) -> Option<i64> {
    let normalized = eur.normalize();
    if normalized.scale() > 2 {
        return None;
    }
    let cents = eur.checked_mul(Decimal::ONE_HUNDRED)?;
    i64::try_from(cents.mantissa() / 10i128.pow(cents.scale())).ok()
}

/// Parses a decimal stored as text.
fn parse_decimal(text: &str, what: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what} '{text}': {e}")))
}

/// Converts a stored non-negative integer to u64.
fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {value}")))
}

/// Converts a u64 amount to the i64 SQLite stores.
fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} too large: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cents_round_trip() {
        assert_eq!(eur_to_cents(dec!(500.00)), Some(50000));
        assert_eq!(eur_to_cents(dec!(0.1)), Some(10));
        assert_eq!(eur_to_cents(dec!(12.345)), None);
        assert_eq!(eur_to_cents(dec!(12.3400)), Some(1234));
        assert_eq!(cents_to_eur(1234).to_string(), "12.34");
    }
}
