//! Group commit for SQLite: the changes of concurrent writers (POS sales, mostly) are made in
//! one transaction, each in its own savepoint, and share its single COMMIT and fsync. Every
//! writer is answered only after that commit, so an answer still means "on disk".
//!
//! One change failing rolls back its own savepoint only; the others commit. A failed COMMIT
//! fails every change of the group, and nothing of it is stored.

use futures::future::BoxFuture;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use super::StoreError;

/// Most changes committed together.
const MAX_GROUP: usize = 64;
/// Changes waiting for the committer before writers wait to queue.
const QUEUE_DEPTH: usize = 1024;

/// One writer's change: it runs inside the group's transaction and returns its answer.
pub(crate) type Change<T> =
    Box<dyn for<'c> FnOnce(&'c mut Transaction<'static, Any>) -> BoxFuture<'c, Result<T, StoreError>> + Send>;

/// Answers a writer once the group's outcome is known: `Err` carries the COMMIT's failure.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A queued change with its writer's answer channel, whatever its answer type.
trait Queued: Send {
    /// Runs the change in `tx`; says whether it succeeded and how to answer its writer.
    fn run<'c>(self: Box<Self>, tx: &'c mut Transaction<'static, Any>) -> BoxFuture<'c, (bool, Finish)>;
    /// Answers the writer with a failure without running the change.
    fn fail(self: Box<Self>, why: String);
}

struct Job<T> {
    change: Change<T>,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T: Send + 'static> Queued for Job<T> {
    fn run<'c>(self: Box<Self>, tx: &'c mut Transaction<'static, Any>) -> BoxFuture<'c, (bool, Finish)> {
        let Job { change, answer } = *self;
        Box::pin(async move {
            let outcome = change(tx).await;
            let succeeded = outcome.is_ok();
            let finish: Finish = Box::new(move |committed| {
                let reply = match (outcome, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(why)) => Err(StoreError::GroupCommit(why)),
                };
                let _ = answer.send(reply);
            });
            (succeeded, finish)
        })
    }

    fn fail(self: Box<Self>, why: String) {
        let _ = self.answer.send(Err(StoreError::GroupCommit(why)));
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
        let job: Box<dyn Queued> = Box::new(Job { change, answer });
        if self.queue.send(job).await.is_err() {
            return Err(StoreError::GroupCommit("the database writer has stopped".into()));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(StoreError::GroupCommit("the database writer has stopped".into())))
    }
}

/// Runs one group in one transaction; returns whether anything was committed.
async fn commit_group(pool: &AnyPool, group: Vec<Box<dyn Queued>>) -> bool {
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => {
            let why = e.to_string();
            for job in group {
                job.fail(why.clone());
            }
            return false;
        }
    };
    let alone = group.len() == 1;
    let mut finishes: Vec<Finish> = Vec::with_capacity(group.len());
    let mut any_succeeded = false;
    let mut jobs = group.into_iter();
    while let Some(job) = jobs.next() {
        if alone {
            let (succeeded, finish) = job.run(&mut tx).await;
            if !succeeded {
                // Nothing of a failed change may be committed: roll the whole transaction back.
                drop(tx);
                finish(Ok(()));
                return false;
            }
            finishes.push(finish);
            any_succeeded = true;
            break;
        }
        if let Err(e) = sqlx::query("SAVEPOINT group_change").execute(&mut *tx).await {
            return abandon(e.to_string(), finishes, Some(job), jobs);
        }
        let (succeeded, finish) = job.run(&mut tx).await;
        finishes.push(finish);
        if !succeeded {
            if let Err(e) = sqlx::query("ROLLBACK TO group_change").execute(&mut *tx).await {
                return abandon(e.to_string(), finishes, None, jobs);
            }
        }
        if let Err(e) = sqlx::query("RELEASE group_change").execute(&mut *tx).await {
            return abandon(e.to_string(), finishes, None, jobs);
        }
        any_succeeded |= succeeded;
    }
    let committed = tx.commit().await.map_err(|e| e.to_string());
    let stored = committed.is_ok() && any_succeeded;
    for finish in finishes {
        finish(committed.clone());
    }
    stored
}

/// A savepoint statement failed: the transaction (dropped by the caller's return) rolls back
/// and every change of the group fails with `why`.
fn abandon(
    why: String,
    finishes: Vec<Finish>,
    current: Option<Box<dyn Queued>>,
    rest: impl Iterator<Item = Box<dyn Queued>>,
) -> bool {
    for finish in finishes {
        finish(Err(why.clone()));
    }
    for job in current.into_iter().chain(rest) {
        job.fail(why.clone());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreError};

    /// A change that adds user `name`, then fails when `fail` is set.
    fn add_user(name: String, fail: bool) -> super::Change<String> {
        Box::new(move |tx| {
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
