//! The database port: SQLite through sqlx, with embedded migrations.
//!
//! Money is stored exactly: EUR as integer cents, Lightning amounts as integer
//! msat. Times are unix seconds (UTC). Every multi-row change runs in one
//! transaction so a failure leaves the database as it was.

mod backups;
mod channel_events;
mod closings;
mod counter;
mod events;
mod fattura_lines;
mod fatture;
mod group;
mod leader;
mod links;
mod ln_invoices;
mod mail_outbox;
mod pages;
mod payments;
mod plans;
mod rate_evidence;
mod rebalances;
mod receipts;
mod refunds;
mod till_devices;
mod users;

pub use app::model::{EventKind, InvoiceState};
pub use backups::ChannelBackup;
pub use channel_events::{ChannelClosed, ChannelEventRow, ChannelOpened};
pub use closings::{ClosingRefusal, ClosingRow, NewClosing};
pub use counter::{NewPosSale, PosRefundLine, PosSaleRow, TillChange, TillOutcome, TillRow};
pub use events::{
    eur_text, event_payload, AttemptOutcome, Delivery, DeliveryAttempt, Event, WebhookEndpoint, DEFAULT_ENDPOINT,
    EVENTS_CHANNEL,
};
pub use fattura_lines::FatturaBreakdown;
pub use fatture::{CreditNote, CreditOutcome, Fattura, FatturaStatus, FileImport, ImportOutcome, NewFattura};
pub use leader::Leadership;
pub use links::{LinkTarget, NewLink, PaymentLink};
pub use ln_invoices::{ClientIdentity, InvoiceOrigin, LnInvoice, LnInvoiceFilter, NewLnInvoice, NodeOpened};
pub use mail_outbox::{MailFailure, MailState, OutboxMail};
pub use pages::{page_rows, BadCursor, ListCounts, ListOrder, ListQuery, Page, PageCursor, MAX_PAGE_ROWS};
pub use payments::{Payment, SettleRate};
pub use rate_evidence::{EvidenceVerdict, RateEvidence};
pub use rebalances::{FeeValue, NewRebalance, RebalanceSummary, RebalanceTrigger, RoutingFee, RoutingFeeKind};
pub use receipts::ReceiptSaleRow;
pub use refunds::{NewRefund, RefundRefusal, RefundRow, SaleRefundState};
pub use till_devices::{Redeemed, TillDeviceRow};
pub use users::{Removal, Reservation, StaffRow, ThrottleState, UserRecord};

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::{Any, Executor, Transaction};

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
    /// The database URL is neither `postgres://` nor `sqlite:`.
    #[error("database_url '{0}' is not supported: use postgres://USER:PASSWORD@HOST/DB or sqlite://PATH")]
    BadUrl(String),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value is not what the schema promises (corrupted or edited by hand).
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// A page cursor that this program did not hand out.
    #[error(transparent)]
    BadCursor(#[from] BadCursor),
    /// The shared transaction of a group of changes could not be committed (nothing was stored).
    #[error("database commit failed: {0}")]
    GroupCommit(String),
    /// Another Lightning invoice of fattura {0} is being made right now (one payable at a time).
    #[error("another Lightning invoice for {0} is being made right now: try again in a moment")]
    PayableExists(String),
}

/// Which database engine a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (the default, embedded).
    Sqlite,
    /// PostgreSQL, which several gateways can share.
    Postgres,
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// PostgreSQL only: the URL, for the LISTEN connection of the live event feed.
    listen_url: Option<std::sync::Arc<secrecy::SecretString>>,
    /// Ticks after this process commits a change that may have recorded events.
    events_tick: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// SQLite only: this process's writers queue here, in order, instead of polling SQLite's
    /// write lock with its busy handler (which sleeps 1, 2, 5… ms between tries).
    write_turn: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// SQLite only: commits concurrent hot-path changes together ([`Store::write_grouped`]).
    committer: Option<group::GroupCommitter>,
}

/// A write transaction that, on SQLite, also holds this process's write turn until it ends.
/// Dereferences to the connection, so `&mut *tx` runs statements in it.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits, then gives the write turn to the next writer.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// The transaction, for helpers that take one.
    pub(crate) fn tx(&mut self) -> &mut Transaction<'static, Any> {
        &mut self.tx
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

/// Characters that cannot appear as such in the path part of a `sqlite://` URL.
const PATH_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%').add(b'?').add(b'#').add(b' ');

/// Most connections per process.
const MAX_CONNECTIONS: u32 = 8;

impl Store {
    /// Opens (creating if needed) the database file in `data_dir` and applies migrations. The
    /// data directory is made (or tightened to) 0700, since it holds the database and the
    /// embedded node's keys.
    pub async fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        crate::config::private_files::ensure_private_dir(data_dir).map_err(|e| StoreError::Open {
            path: data_dir.to_path_buf(),
            source: sqlx::Error::Io(e),
        })?;
        Store::open(&data_dir.join(DATABASE_FILE)).await
    }

    /// Opens (creating if needed) the SQLite database at `path` and applies migrations. The file
    /// and its `-wal` and `-shm` companions are owner-only (0600): created so, tightened if looser
    /// (they hold password hashes and webhook secrets).
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let io_error = |e| StoreError::Open {
            path: path.to_path_buf(),
            source: sqlx::Error::Io(e),
        };
        // SQLite gives the -wal and -shm files the database file's mode, so that goes first.
        crate::config::private_files::create_private_file(path).map_err(io_error)?;
        let encoded = percent_encoding::utf8_percent_encode(&path.to_string_lossy(), PATH_ESCAPES).to_string();
        let url = format!("sqlite://{encoded}?mode=rwc");
        let store = Store::connect_url(&url, Backend::Sqlite, &path.display().to_string()).await?;
        tighten_sqlite_files(path).map_err(io_error)?;
        Ok(store)
    }

    /// Connects to `database_url`: `postgres://…` (or `postgresql://…`) or `sqlite://PATH`, and
    /// applies migrations.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let backend = if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            Backend::Postgres
        } else if database_url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::BadUrl(redact_url(database_url)));
        };
        let store = Store::connect_url(database_url, backend, &redact_url(database_url)).await?;
        if let Some(path) = sqlite_url_path(database_url) {
            tighten_sqlite_files(&path).map_err(|e| StoreError::Open {
                path,
                source: sqlx::Error::Io(e),
            })?;
        }
        Ok(store)
    }

    async fn connect_url(url: &str, backend: Backend, shown: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let options = AnyPoolOptions::new().max_connections(MAX_CONNECTIONS);
        let options = match backend {
            // WAL lets readers work while one writer writes; writers wait for each other. A
            // connection to a local file does not go away, so it is not pinged before each use
            // (a round trip to its worker thread per query).
            Backend::Sqlite => options.test_before_acquire(false).after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        format!(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}",
                            BUSY_TIMEOUT_SECS * 1000
                        )
                        .as_str(),
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await.map_err(|source| StoreError::Open {
            path: PathBuf::from(shown),
            source,
        })?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        register_event_kinds(&pool).await?;
        let listen_url =
            (backend == Backend::Postgres).then(|| std::sync::Arc::new(secrecy::SecretString::from(url.to_string())));
        let events_tick = std::sync::Arc::new(tokio::sync::watch::channel(0).0);
        let write_turn = (backend == Backend::Sqlite).then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        let committer = write_turn
            .as_ref()
            .map(|turn| group::GroupCommitter::start(pool.clone(), turn.clone(), events_tick.clone()));
        Ok(Store {
            pool,
            backend,
            listen_url,
            events_tick,
            write_turn,
            committer,
        })
    }

    /// PostgreSQL: the URL to LISTEN on for new events ([`EVENTS_CHANNEL`]); `None` on SQLite.
    pub fn listen_url(&self) -> Option<&secrecy::SecretString> {
        self.listen_url.as_deref()
    }

    /// Changes after every commit of this process that may have recorded events, so the live
    /// feed and the webhook dispatcher act at once (other processes are seen by polling, or by
    /// NOTIFY on PostgreSQL).
    pub fn watch_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events_tick.subscribe()
    }

    /// Commits `tx` and tells the watchers of [`Store::watch_events`].
    pub(crate) async fn commit_and_signal(&self, tx: WriteTx) -> Result<(), StoreError> {
        tx.commit().await?;
        self.events_tick.send_modify(|tick| *tick = tick.wrapping_add(1));
        Ok(())
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. SQLite takes its write lock at once (`BEGIN IMMEDIATE`), so two
    /// writers never deadlock on a lock upgrade.
    /// On SQLite this first waits for this process's write turn (see [`Store::write_turn`]).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn().await;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn })
    }

    /// Makes `change` in a write transaction and returns its answer once committed. On SQLite
    /// the changes of concurrent callers share one transaction and one fsync (group commit),
    /// each in its own savepoint, so a failing change leaves the others intact. Watchers of
    /// [`Store::watch_events`] are told after the commit.
    pub(crate) async fn write_grouped<T: Send + 'static>(&self, change: group::Change<T>) -> Result<T, StoreError> {
        if let Some(committer) = &self.committer {
            return committer.write(change).await;
        }
        let mut tx = self.begin_write().await?;
        let value = change(tx.tx()).await?;
        self.commit_and_signal(tx).await?;
        Ok(value)
    }

    /// Makes `change` soon without waiting for it: on SQLite it is committed with the next
    /// waited-for change, or alone within [`group::SOON_WAIT`]; a failure is only logged (as
    /// `what`). For changes that something else recovers if they are lost in a crash. On
    /// PostgreSQL it is made at once.
    pub(crate) async fn write_soon(&self, what: &'static str, change: group::Change<()>) -> Result<(), StoreError> {
        match &self.committer {
            Some(committer) => committer.write_soon(what, change).await,
            None => self.write_grouped(change).await,
        }
    }

    /// Commits every change queued with [`Store::write_soon`] before this call.
    pub async fn flush(&self) -> Result<(), StoreError> {
        match &self.committer {
            Some(committer) => committer.flush().await,
            None => Ok(()),
        }
    }

    /// SQLite: waits for this process's turn to write and holds it until the guard drops. A
    /// single-statement write outside [`Store::begin_write`] takes it too. `None` on PostgreSQL,
    /// whose writers do not exclude each other.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turn {
            Some(turn) => Some(turn.clone().lock_owned().await),
            None => None,
        }
    }

    /// The underlying pool, for modules that own their own tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Commits what [`Store::write_soon`] queued, then closes every connection (waits for
    /// running queries).
    pub async fn close(&self) {
        if let Err(e) = self.flush().await {
            tracing::warn!("{e}");
        }
        self.pool.close().await;
    }
}

/// Makes sure every name of [`EventKind::ALL`] is in the `event_types` table that `events.type`
/// refers to (migrations `sqlite/0007_event_types`, `postgres/0004_event_types`), so a new event
/// kind needs no migration: one statement at open, which leaves existing rows as they are.
async fn register_event_kinds(pool: &AnyPool) -> Result<(), StoreError> {
    let rows: Vec<String> = (0..EventKind::ALL.len())
        .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
        .collect();
    let sql = format!(
        "INSERT INTO event_types (name, about_invoice) VALUES {} ON CONFLICT (name) DO NOTHING",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for kind in EventKind::ALL {
        query = query.bind(kind.as_str()).bind(i64::from(kind.about_invoice()));
    }
    query.execute(pool).await?;
    Ok(())
}

/// Tightens the SQLite database at `path` and its `-wal` and `-shm` files to 0600.
fn tighten_sqlite_files(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        crate::config::private_files::tighten_file(Path::new(&companion))?;
    }
    Ok(())
}

/// The file of a `sqlite://PATH[?…]` URL (percent-decoded); `None` for other URLs and in-memory
/// databases.
fn sqlite_url_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    Some(PathBuf::from(decoded.into_owned()))
}

/// A database URL with its password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
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
