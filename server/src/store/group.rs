//! Group commit for SQLite: the changes of concurrent writers (POS sales, mostly) are made in
//! one transaction and share its single COMMIT and fsync. Every writer is answered only after
//! that commit, so an answer still means "on disk".
//!
//! The changes first run one after the other with nothing between them. If one fails, that
//! transaction is rolled back and the group runs again, each change in its own savepoint, so
//! the failing change leaves nothing and the others commit. A failed COMMIT fails every change
//! of the group, and nothing of it is stored.
//!
//! A change may also be queued to be made *soon* ([`GroupCommitter::write_soon`]): its writer
//! does not wait, and it does not start a group of its own at once. It rides with the next
//! waited-for change (sharing that fsync), or is committed alone after [`SOON_WAIT`]. Nothing
//! may depend on such a change being on disk; a crash can lose it.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::BoxFuture;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use super::StoreError;

/// Most changes committed together.
const MAX_GROUP: usize = 64;
/// Changes waiting for the committer before writers wait to queue.
const QUEUE_DEPTH: usize = 1024;
/// Longest a change queued with [`GroupCommitter::write_soon`] waits for a waited-for change to
/// share its commit with.
pub(crate) const SOON_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

/// One writer's change: it runs inside the group's transaction and returns its answer. It may
/// run twice (see the module doc), each time from the same state of the database.
pub(crate) type Change<T> =
    Box<dyn for<'c> Fn(&'c mut Transaction<'static, Any>) -> BoxFuture<'c, Result<T, StoreError>> + Send>;

/// A queued change with its writer's answer channel, whatever its answer type.
trait Queued: Send {
    /// Runs the change in `tx` and keeps its outcome; says whether it succeeded.
    fn run<'a>(&'a mut self, tx: &'a mut Transaction<'static, Any>) -> BoxFuture<'a, bool>;
    /// Whether the change's last run succeeded.
    fn succeeded(&self) -> bool;
    /// Whether nobody waits for this change (queued with [`GroupCommitter::write_soon`]).
    fn is_soon(&self) -> bool;
    /// Answers the writer: its change's outcome once `committed` is `Ok`, else the reason
    /// nothing was stored.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T> {
    change: Change<T>,
    outcome: Option<Result<T, StoreError>>,
    waiter: Waiter<T>,
}

/// Who hears of a change's outcome.
enum Waiter<T> {
    /// The writer, waiting for the commit.
    Writer(oneshot::Sender<Result<T, StoreError>>),
    /// Nobody (a change queued with [`GroupCommitter::write_soon`]).
    Nobody {
        /// What the change is, for the log line when it fails.
        what: &'static str,
        /// The count of such changes not finished yet.
        unfinished: std::sync::Arc<AtomicUsize>,
    },
}

impl<T: Send + 'static> Queued for Job<T> {
    fn run<'a>(&'a mut self, tx: &'a mut Transaction<'static, Any>) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let outcome = (self.change)(tx).await;
            let succeeded = outcome.is_ok();
            self.outcome = Some(outcome);
            succeeded
        })
    }

    fn succeeded(&self) -> bool {
        matches!(self.outcome, Some(Ok(_)))
    }

    fn is_soon(&self) -> bool {
        matches!(self.waiter, Waiter::Nobody { .. })
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let reply = match (self.outcome, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(why)) => Err(StoreError::GroupCommit(why)),
            (None, Ok(())) => Err(StoreError::GroupCommit("the change was not run".into())),
        };
        match self.waiter {
            Waiter::Writer(answer) => {
                let _ = answer.send(reply);
            }
            Waiter::Nobody { what, unfinished } => {
                unfinished.fetch_sub(1, Ordering::AcqRel);
                if let Err(e) = reply {
                    tracing::warn!("{what}: not stored ({e}); it will be recovered later");
                }
            }
        }
    }
}

/// Handle to the committer (see [`run_committer`]); cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct GroupCommitter {
    queue: mpsc::Sender<Box<dyn Queued>>,
    /// Changes queued with [`GroupCommitter::write_soon`] and not finished yet.
    soon_unfinished: std::sync::Arc<AtomicUsize>,
}

impl GroupCommitter {
    /// Starts the committer (see [`run_committer`]). It takes `write_turn` for each group, so
    /// the store's other writers and the groups take turns.
    pub(crate) fn start(
        pool: AnyPool,
        write_turn: std::sync::Arc<Mutex<()>>,
        events_tick: std::sync::Arc<watch::Sender<u64>>,
    ) -> GroupCommitter {
        GroupCommitter::start_waiting(pool, write_turn, events_tick, SOON_WAIT)
    }

    /// [`GroupCommitter::start`] with `soon_wait` instead of [`SOON_WAIT`].
    fn start_waiting(
        pool: AnyPool,
        write_turn: std::sync::Arc<Mutex<()>>,
        events_tick: std::sync::Arc<watch::Sender<u64>>,
        soon_wait: std::time::Duration,
    ) -> GroupCommitter {
        let (queue, mut jobs) = mpsc::channel::<Box<dyn Queued>>(QUEUE_DEPTH);
        let committer = async move {
            while let Some(first) = jobs.recv().await {
                let mut group = vec![first];
                take_queued(&mut jobs, &mut group);
                if group.iter().all(|job| job.is_soon()) {
                    // Nobody waits yet: give a waited-for change a moment to share this commit.
                    let deadline = tokio::time::sleep(soon_wait);
                    tokio::pin!(deadline);
                    while group.len() < MAX_GROUP && group.iter().all(|job| job.is_soon()) {
                        tokio::select! {
                            job = jobs.recv() => match job {
                                Some(job) => {
                                    group.push(job);
                                    take_queued(&mut jobs, &mut group);
                                }
                                None => break,
                            },
                            () = &mut deadline => break,
                        }
                    }
                }
                let _turn = write_turn.lock().await;
                if commit_group(&pool, group).await {
                    events_tick.send_modify(|tick| *tick = tick.wrapping_add(1));
                }
            }
        };
        run_committer(committer);
        GroupCommitter {
            queue,
            soon_unfinished: std::sync::Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Queues `change` and waits until the group it joined has committed.
    pub(crate) async fn write<T: Send + 'static>(&self, change: Change<T>) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.enqueue(Job {
            change,
            outcome: None,
            waiter: Waiter::Writer(answer),
        })
        .await?;
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Queues `change` to be committed soon (see the module doc) and returns at once; a failure
    /// is logged with `what`.
    pub(crate) async fn write_soon(&self, what: &'static str, change: Change<()>) -> Result<(), StoreError> {
        self.soon_unfinished.fetch_add(1, Ordering::AcqRel);
        let queued = self
            .enqueue(Job {
                change,
                outcome: None,
                waiter: Waiter::Nobody {
                    what,
                    unfinished: self.soon_unfinished.clone(),
                },
            })
            .await;
        if queued.is_err() {
            self.soon_unfinished.fetch_sub(1, Ordering::AcqRel);
        }
        queued
    }

    /// Waits until every change queued with [`GroupCommitter::write_soon`] before this call has
    /// been committed (or has failed); returns at once when there is none.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        if self.soon_unfinished.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        self.write(Box::new(|_tx| Box::pin(async { Ok(()) }))).await
    }

    async fn enqueue<T: Send + 'static>(&self, job: Job<T>) -> Result<(), StoreError> {
        self.queue.send(Box::new(job)).await.map_err(|_| stopped())
    }
}

/// Runs the committer on a thread of its own with a single-threaded runtime. Each group waits
/// for SQLite several times (one hand-off to its connection's thread per statement); on the
/// shared runtime every such wake-up queued behind the HTTP and gRPC tasks of the moment, and
/// all writers wait for the committer. Measured with the quick bench, alternating builds: 64
/// clients 1,241-1,538 sales/s (969-1,006 before); p50 at 1 client 1.29-1.69 ms over six runs
/// (1.50-1.71 ms before).
fn run_committer(committer: impl std::future::Future<Output = ()> + Send + 'static) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::warn!("database committer: no runtime of its own ({e}); it shares the main one");
            tokio::spawn(committer);
            return;
        }
    };
    let started = std::thread::Builder::new()
        .name("db-committer".into())
        .spawn(move || runtime.block_on(committer));
    if let Err(e) = started {
        // Every write then fails with "the database writer has stopped".
        tracing::error!("database committer: cannot start its thread: {e}");
    }
}

/// The error when the committer task is gone.
fn stopped() -> StoreError {
    StoreError::GroupCommit("the database writer has stopped".into())
}

/// Moves changes already queued into `group`, up to [`MAX_GROUP`].
fn take_queued(jobs: &mut mpsc::Receiver<Box<dyn Queued>>, group: &mut Vec<Box<dyn Queued>>) {
    while group.len() < MAX_GROUP {
        match jobs.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

/// How one run of a group ended.
enum Pass {
    /// The transaction committed (or its COMMIT failed: the reason).
    Ended(Result<(), String>),
    /// A change failed (without savepoints): the transaction was rolled back.
    ChangeFailed,
}

/// Runs one group; answers every writer; returns whether anything was committed.
async fn commit_group(pool: &AnyPool, mut group: Vec<Box<dyn Queued>>) -> bool {
    let mut pass = run_group(pool, &mut group, false).await;
    if matches!(pass, Pass::ChangeFailed) && group.len() > 1 {
        pass = run_group(pool, &mut group, true).await;
    }
    let (committed, ended) = match pass {
        Pass::Ended(committed) => (committed, true),
        // A lone failing change: nothing was committed and its own error is its answer.
        Pass::ChangeFailed => (Ok(()), false),
    };
    let stored = ended && committed.is_ok() && group.iter().any(|job| job.succeeded());
    for job in group {
        job.finish(committed.clone());
    }
    stored
}

/// Runs every change of `group` in one transaction and commits it. Without `savepoints` it
/// stops at the first failing change and rolls everything back; with them, a failing change
/// is rolled back to its savepoint and the others go on.
async fn run_group(pool: &AnyPool, group: &mut [Box<dyn Queued>], savepoints: bool) -> Pass {
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return Pass::Ended(Err(e.to_string())),
    };
    let mut any_succeeded = false;
    for job in group.iter_mut() {
        if savepoints {
            if let Err(e) = sqlx::query("SAVEPOINT group_change").execute(&mut *tx).await {
                return Pass::Ended(Err(e.to_string()));
            }
        }
        let succeeded = job.run(&mut tx).await;
        if !succeeded && !savepoints {
            // Dropping the transaction rolls it back.
            return Pass::ChangeFailed;
        }
        if savepoints {
            if !succeeded {
                if let Err(e) = sqlx::query("ROLLBACK TO group_change").execute(&mut *tx).await {
                    return Pass::Ended(Err(e.to_string()));
                }
            }
            if let Err(e) = sqlx::query("RELEASE group_change").execute(&mut *tx).await {
                return Pass::Ended(Err(e.to_string()));
            }
        }
        any_succeeded |= succeeded;
    }
    if !any_succeeded {
        return Pass::Ended(Ok(()));
    }
    Pass::Ended(tx.commit().await.map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreError};

    /// A change that adds user `name`, then fails when `fail` is set.
    fn add_user(name: String, fail: bool) -> super::Change<String> {
        Box::new(move |tx| {
            let name = name.clone();
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO users (username, role, password_hash, created_at) VALUES ($1, 'cashier', 'x', 0)",
                )
                .bind(&name)
                .execute(&mut **tx)
                .await?;
                if fail {
                    return Err(StoreError::Corrupt(format!("{name} refused after its insert")));
                }
                Ok(name)
            })
        })
    }

    #[tokio::test]
    async fn concurrent_changes_share_commits_and_a_failing_one_leaves_nothing(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open_in(dir.path()).await?;
        let ticks = store.watch_events();
        let first_tick = *ticks.borrow();
        // Hold the write turn so that every change queues before the first group starts.
        let turn = store.write_turn().await;
        let mut writers = Vec::new();
        for i in 0..20 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                store.write_grouped(add_user(format!("user-{i:02}"), i % 7 == 3)).await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(turn);
        let mut failed = Vec::new();
        for (i, writer) in writers.into_iter().enumerate() {
            match writer.await? {
                Ok(name) => assert_eq!(name, format!("user-{i:02}")),
                Err(StoreError::Corrupt(why)) => failed.push((i, why)),
                Err(other) => return Err(format!("unexpected failure: {other}").into()),
            }
        }
        assert_eq!(failed.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![3, 10, 17]);
        let names: Vec<String> = store.users().await?.into_iter().map(|u| u.username).collect();
        let expected: Vec<String> = (0..20).filter(|i| i % 7 != 3).map(|i| format!("user-{i:02}")).collect();
        assert_eq!(
            names, expected,
            "the failed changes' inserts were rolled back, the others kept"
        );
        // One tick per committed group: far fewer than one per change.
        let groups = ticks.borrow().wrapping_sub(first_tick);
        assert!((1..=2).contains(&groups), "{groups} commits for 20 queued changes");
        Ok(())
    }

    #[tokio::test]
    async fn a_lone_failing_change_is_rolled_back() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open_in(dir.path()).await?;
        let refused = store.write_grouped(add_user("alone".into(), true)).await;
        assert!(matches!(refused, Err(StoreError::Corrupt(_))), "{refused:?}");
        assert!(store.users().await?.is_empty());
        assert_eq!(store.write_grouped(add_user("next".into(), false)).await?, "next");
        assert_eq!(store.user_count().await?, 1);
        Ok(())
    }

    /// [`add_user`] for [`GroupCommitter::write_soon`], which takes changes without an answer.
    fn add_user_soon(name: &str, fail: bool) -> super::Change<()> {
        let change = add_user(name.to_string(), fail);
        Box::new(move |tx| {
            let run = change(tx);
            Box::pin(async move { run.await.map(|_| ()) })
        })
    }

    #[tokio::test]
    async fn a_change_nobody_waits_for_rides_with_the_next_waited_for_one() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open_in(dir.path()).await?;
        // A committer of its own that waits long, so the test does not race the wait.
        let ticks = std::sync::Arc::new(tokio::sync::watch::channel(0u64).0);
        let committer = super::GroupCommitter::start_waiting(
            store.pool().clone(),
            std::sync::Arc::new(tokio::sync::Mutex::new(())),
            ticks.clone(),
            std::time::Duration::from_secs(60),
        );
        committer
            .write_soon("adding a user", add_user_soon("soon", false))
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(store.user_count().await?, 0, "not committed on its own at once");
        assert_eq!(committer.write(add_user("waited".into(), false)).await?, "waited");
        let names: Vec<String> = store.users().await?.into_iter().map(|u| u.username).collect();
        assert_eq!(names, ["soon", "waited"]);
        // The committer answers the writer before it signals the commit: wait for the signal.
        let mut signals = ticks.subscribe();
        tokio::time::timeout(std::time::Duration::from_secs(5), signals.wait_for(|tick| *tick > 0)).await??;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(*ticks.borrow(), 1, "one commit for both");
        Ok(())
    }

    #[tokio::test]
    async fn a_change_nobody_waits_for_is_committed_alone_soon_or_at_a_flush() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let store = Store::open_in(dir.path()).await?;
        // With nothing queued, a flush (as at every close) writes nothing.
        let ticks = store.watch_events();
        let first_tick = *ticks.borrow();
        store.flush().await?;
        assert_eq!(*ticks.borrow(), first_tick);
        store.write_soon("adding a user", add_user_soon("alone", false)).await?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while store.user_count().await? == 0 {
            assert!(tokio::time::Instant::now() < deadline, "never committed");
            tokio::time::sleep(super::SOON_WAIT / 4).await;
        }
        // A flush commits what is queued at once; a failing queued change is only logged and
        // leaves nothing.
        store
            .write_soon("adding a user", add_user_soon("flushed", false))
            .await?;
        store
            .write_soon("adding a user", add_user_soon("refused", true))
            .await?;
        store.flush().await?;
        let names: Vec<String> = store.users().await?.into_iter().map(|u| u.username).collect();
        assert_eq!(names, ["alone", "flushed"]);
        Ok(())
    }
}
