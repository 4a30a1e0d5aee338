//! Group commit for SQLite: the changes of concurrent writers (POS sales, mostly) are made in
//! one transaction and share its single COMMIT and fsync. Every writer is answered only after
//! that commit, so an answer still means "on disk".
//!
//! The changes first run one after the other with nothing between them. If one fails, that
//! transaction is rolled back and the group runs again, each change in its own savepoint, so
//! the failing change leaves nothing and the others commit. A failed COMMIT fails every change
//! of the group, and nothing of it is stored.

use futures::future::BoxFuture;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use super::StoreError;

/// Most changes committed together.
const MAX_GROUP: usize = 64;
/// Changes waiting for the committer before writers wait to queue.
const QUEUE_DEPTH: usize = 1024;

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
    /// Answers the writer: its change's outcome once `committed` is `Ok`, else the reason
    /// nothing was stored.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T> {
    change: Change<T>,
    outcome: Option<Result<T, StoreError>>,
    answer: oneshot::Sender<Result<T, StoreError>>,
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

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let reply = match (self.outcome, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(why)) => Err(StoreError::GroupCommit(why)),
            (None, Ok(())) => Err(StoreError::GroupCommit("the change was not run".into())),
        };
        let _ = self.answer.send(reply);
    }
}

/// Handle to the committer task; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct GroupCommitter {
    queue: mpsc::Sender<Box<dyn Queued>>,
}

impl GroupCommitter {
    /// Starts the committer on the current runtime. It takes `write_turn` for each group, so
    /// the store's other writers and the groups take turns.
    pub(crate) fn start(
        pool: AnyPool,
        write_turn: std::sync::Arc<Mutex<()>>,
        events_tick: std::sync::Arc<watch::Sender<u64>>,
    ) -> GroupCommitter {
        let (queue, mut jobs) = mpsc::channel::<Box<dyn Queued>>(QUEUE_DEPTH);
        tokio::spawn(async move {
            while let Some(first) = jobs.recv().await {
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match jobs.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                let _turn = write_turn.lock().await;
                if commit_group(&pool, group).await {
                    events_tick.send_modify(|tick| *tick = tick.wrapping_add(1));
                }
            }
        });
        GroupCommitter { queue }
    }

    /// Queues `change` and waits until the group it joined has committed.
    pub(crate) async fn write<T: Send + 'static>(&self, change: Change<T>) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job: Box<dyn Queued> = Box::new(Job {
            change,
            outcome: None,
            answer,
        });
        if self.queue.send(job).await.is_err() {
            return Err(StoreError::GroupCommit("the database writer has stopped".into()));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(StoreError::GroupCommit("the database writer has stopped".into())))
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
}
