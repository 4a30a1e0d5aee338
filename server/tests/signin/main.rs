//! Sign-in throttling (issue 30, items 4 and 5), on SQLite and PostgreSQL: parallel guesses are
//! reserved before they are verified, so no more than the allowed number are ever evaluated; a
//! stranger's wrong guesses lock only their own address, not the cashier everywhere; and
//! `openfatture user unlock NAME` lifts a lock.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

use app::model::Role;
use common::pg::PgServer;
use common::web::{error_text, Web, CASHIER, CASHIER_PIN};
use openfatture::auth::{AuthError, AuthService, USER_FREE_FAILURES};
use openfatture::store::Store;
use secrecy::SecretString;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NAME: &str = "cassa1";
const PIN: &str = "246810";

async fn service_with_cashier(store: Store) -> Result<AuthService, AuthError> {
    let auth = AuthService::new(store, false);
    auth.add_user(NAME, Role::Cashier, &SecretString::from(PIN)).await?;
    Ok(auth)
}

/// 50 wrong guesses at once from one address: at most [`USER_FREE_FAILURES`] are verified (the
/// others are refused as throttled before any hashing), and the right PIN arriving after them is
/// refused too. Today's read-verify-write let every one of them be evaluated (and the count,
/// overwritten by each, stayed low enough for the right PIN to get in).
async fn parallel_guesses_are_capped(store: Store) -> TestResult {
    let auth = service_with_cashier(store.clone()).await?;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let auth = auth.clone();
        let password = format!("{:06}", 100_000 + i);
        tasks.push(tokio::spawn(async move {
            auth.login(NAME, &SecretString::from(password), "10.0.0.1").await
        }));
    }
    let (mut evaluated, mut throttled) = (0, 0);
    for task in tasks {
        match task.await? {
            Err(AuthError::BadCredentials) => evaluated += 1,
            Ok(_) => return Err("a wrong PIN signed in".into()),
            Err(AuthError::Throttled { retry_after_secs }) => {
                assert!(retry_after_secs > 0);
                throttled += 1;
            }
            Err(other) => return Err(other.into()),
        }
    }
    assert!(
        evaluated <= USER_FREE_FAILURES,
        "{evaluated} of 50 parallel wrong sign-ins were evaluated (allowed: {USER_FREE_FAILURES})"
    );
    assert_eq!(evaluated + throttled, 50);
    let after = auth.login(NAME, &SecretString::from(PIN), "10.0.0.1").await;
    assert!(matches!(after, Err(AuthError::Throttled { .. })), "{after:?}");
    store.close().await;
    Ok(())
}

/// Wrong guesses from address A lock A, but the cashier at address B still signs in with the
/// right PIN (after at most a short delay). Today the lock was per user, for every address.
async fn a_stranger_cannot_lock_the_cashier_out(store: Store) -> TestResult {
    let auth = service_with_cashier(store.clone()).await?;
    for i in 0..USER_FREE_FAILURES + 3 {
        let result = auth.login(NAME, &SecretString::from("000000"), "10.0.0.66").await;
        if i < USER_FREE_FAILURES {
            assert!(matches!(result, Err(AuthError::BadCredentials)), "try {i}: {result:?}");
        } else {
            assert!(
                matches!(result, Err(AuthError::Throttled { .. })),
                "try {i}: {result:?}"
            );
        }
    }
    // The stranger's address stays locked, even with the right PIN.
    let stranger = auth.login(NAME, &SecretString::from(PIN), "10.0.0.66").await;
    assert!(matches!(stranger, Err(AuthError::Throttled { .. })), "{stranger:?}");
    // The till signs in from its own address.
    let started = std::time::Instant::now();
    let (_, user) = auth.login(NAME, &SecretString::from(PIN), "10.0.0.2").await?;
    assert_eq!(user.username, NAME);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    store.close().await;
    Ok(())
}

async fn sqlite_store() -> Result<(tempfile::TempDir, Store), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = Store::open_in(dir.path()).await?;
    Ok((dir, store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_are_capped_on_sqlite() -> TestResult {
    let (_dir, store) = sqlite_store().await?;
    parallel_guesses_are_capped(store).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stranger_cannot_lock_the_cashier_out_on_sqlite() -> TestResult {
    let (_dir, store) = sqlite_store().await?;
    a_stranger_cannot_lock_the_cashier_out(store).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttling_on_postgres() -> TestResult {
    let pg = PgServer::start()?;
    parallel_guesses_are_capped(Store::connect(&pg.new_database("parallel")?).await?).await?;
    a_stranger_cannot_lock_the_cashier_out(Store::connect(&pg.new_database("stranger")?).await?).await?;
    Ok(())
}

/// Runs `openfatture user unlock NAME` on the gateway's home; returns success and stderr.
async fn unlock(home: std::path::PathBuf, name: &'static str) -> Result<(bool, String), Box<dyn std::error::Error>> {
    let output = tokio::task::spawn_blocking(move || -> Result<std::process::Output, String> {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").map_err(|e| e.to_string())?;
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .args(["user", "unlock", name]);
        cmd.output().map_err(|e| e.to_string())
    })
    .await??;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// A locked cashier (429 over HTTP) signs in again after `openfatture user unlock`; an unknown
/// name is refused with a clear message.
#[tokio::test]
async fn user_unlock_lifts_the_lock() -> TestResult {
    let web = Web::start(true).await?;
    for _ in 0..USER_FREE_FAILURES {
        let (status, _, _) = web
            .call("login", None, &[("username", CASHIER), ("password", "000000")])
            .await?;
        assert_eq!(status, 401);
    }
    let (status, body, _) = web
        .call("login", None, &[("username", CASHIER), ("password", CASHIER_PIN)])
        .await?;
    assert_eq!(status, 429, "{body}");
    assert!(error_text(&body).starts_with("too many failed sign-ins"), "{body}");

    let (ok, stderr) = unlock(web.home.data_dir.clone(), "nobody").await?;
    assert!(!ok);
    assert!(stderr.contains("no user named 'nobody'"), "{stderr}");

    let (ok, stderr) = unlock(web.home.data_dir.clone(), CASHIER).await?;
    assert!(ok, "{stderr}");
    web.sign_in(CASHIER, CASHIER_PIN).await?;
    web.gateway.shutdown().await?;
    Ok(())
}

/// Rows of `table` (on either backend).
/// Now, unix seconds (the store's clock).
fn now_secs() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}

async fn count(store: &Store, table: &str) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await?)
}

/// A purge removes expired sessions and throttle rows whose failures have all decayed, and
/// keeps live sessions, recent failures and running locks.
async fn purge_removes_only_spent_rows(store: Store) -> TestResult {
    use openfatture::auth::MAX_SESSIONS_PER_USER;
    use openfatture::store::ThrottleState;
    let auth = service_with_cashier(store.clone()).await?;
    let now = now_secs();
    let cap = MAX_SESSIONS_PER_USER;
    // (A sign-in also ends the user's own expired sessions, so the live one comes first here.)
    store.insert_session("live", NAME, now, now + 3600, cap).await?;
    store
        .insert_session("expired", NAME, now - 100_000, now - 1, cap)
        .await?;
    let failed =
        |failures, locked_until| move |_: ThrottleState, _: i64| Some(ThrottleState { failures, locked_until });
    // Two failures two hours ago: decayed long since (one per FAILURE_DECAY_SECS, 10 minutes).
    store
        .reserve_attempt("pair:old@10.0.0.1", NAME, now - 7200, failed(2, 0))
        .await?;
    // One failure a minute ago: still counts.
    store
        .reserve_attempt("pair:recent@10.0.0.2", NAME, now - 60, failed(1, 0))
        .await?;
    // An old row that is still locked.
    store
        .reserve_attempt("ip:10.0.0.3", "", now - 7200, failed(1, now + 600))
        .await?;
    assert_eq!(count(&store, "sessions").await?, 2);
    assert_eq!(count(&store, "login_throttle").await?, 3);

    let (sessions, throttle) = auth.purge().await?;
    assert_eq!((sessions, throttle), (1, 1));
    let kept: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM sessions")
        .fetch_all(store.pool())
        .await?;
    assert_eq!(kept, ["live"]);
    let mut keys: Vec<String> = sqlx::query_scalar("SELECT key FROM login_throttle")
        .fetch_all(store.pool())
        .await?;
    keys.sort();
    assert_eq!(keys, ["ip:10.0.0.3", "pair:recent@10.0.0.2"]);
    assert_eq!(auth.purge().await?, (0, 0), "nothing left to purge");
    Ok(())
}

/// Signing in beyond [`MAX_SESSIONS_PER_USER`] ends the user's oldest session, also when every
/// sign-in falls in the same second.
async fn sessions_are_capped_per_user(store: Store) -> TestResult {
    use openfatture::auth::MAX_SESSIONS_PER_USER;
    let auth = service_with_cashier(store.clone()).await?;
    let now = now_secs();
    for i in 0..MAX_SESSIONS_PER_USER {
        let evicted = store
            .insert_session(&format!("s{i:02}"), NAME, now, now + 3600, MAX_SESSIONS_PER_USER)
            .await?;
        assert_eq!(evicted, 0);
    }
    let evicted = store
        .insert_session("newest", NAME, now, now + 3600, MAX_SESSIONS_PER_USER)
        .await?;
    assert_eq!(evicted, 1);
    assert_eq!(count(&store, "sessions").await?, MAX_SESSIONS_PER_USER);
    let oldest: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_sha256 = 's00'")
        .fetch_one(store.pool())
        .await?;
    assert_eq!(oldest, 0, "the oldest session is the one ended");
    drop(auth);
    Ok(())
}

#[tokio::test]
async fn purge_removes_only_spent_rows_on_sqlite() -> TestResult {
    let (_dir, store) = sqlite_store().await?;
    purge_removes_only_spent_rows(store).await
}

#[tokio::test]
async fn sessions_are_capped_per_user_on_sqlite() -> TestResult {
    let (_dir, store) = sqlite_store().await?;
    sessions_are_capped_per_user(store).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_and_session_cap_on_postgres() -> TestResult {
    let pg = PgServer::start()?;
    purge_removes_only_spent_rows(Store::connect(&pg.new_database("purge")?).await?).await?;
    sessions_are_capped_per_user(Store::connect(&pg.new_database("cap")?).await?).await?;
    Ok(())
}

/// Over HTTP: the 21st sign-in of the cashier ends the first session (its cookie no longer
/// works); the second one still does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_beyond_the_cap_ends_the_oldest_session() -> TestResult {
    use openfatture::auth::MAX_SESSIONS_PER_USER;
    let web = Web::start(true).await?;
    let mut cookies = Vec::new();
    for _ in 0..MAX_SESSIONS_PER_USER {
        cookies.push(web.sign_in(CASHIER, CASHIER_PIN).await?);
    }
    let (_, me, _) = web.call("whoami", Some(&cookies[0]), &[]).await?;
    assert_ne!(
        me,
        serde_json::Value::Null,
        "the first session works before the cap is passed"
    );
    let newest = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let (_, me, _) = web.call("whoami", Some(&cookies[0]), &[]).await?;
    assert_eq!(me, serde_json::Value::Null, "the oldest session still works: {me}");
    let (status, _, _) = web
        .call("pos_charge", Some(&cookies[0]), &[("amount_eur", "1"), ("note", "")])
        .await?;
    assert_eq!(status, 401);
    for cookie in [&cookies[1], &newest] {
        let (_, me, _) = web.call("whoami", Some(cookie), &[]).await?;
        assert_ne!(me, serde_json::Value::Null);
    }
    web.gateway.shutdown().await?;
    Ok(())
}

/// `serve` purges by itself: an expired session and a spent throttle row left in the database
/// are gone soon after the gateway starts (the purge runs at once, then every 10 minutes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_purges_expired_sessions_by_itself() -> TestResult {
    use openfatture::auth::MAX_SESSIONS_PER_USER;
    use openfatture::store::ThrottleState;
    let dir = tempfile::tempdir()?;
    let home = openfatture::config::Home::at(dir.path());
    let store = Store::open_in(&home.data_dir).await?;
    service_with_cashier(store.clone()).await?;
    let now = now_secs();
    store
        .insert_session("expired", NAME, now - 100_000, now - 10, MAX_SESSIONS_PER_USER)
        .await?;
    store
        .reserve_attempt("pair:x@10.9.9.9", NAME, now - 86_400, |_, _| {
            Some(ThrottleState {
                failures: 3,
                locked_until: 0,
            })
        })
        .await?;
    store.close().await;

    let settings = common::web::settings_with(
        &home,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
    )?;
    let args = openfatture::gateway::ServeArgs {
        listen: common::web::any_port(),
        simnode_data_dir: None,
        first_admin: None,
    };
    let gateway = openfatture::gateway::start(&settings, &home, args, dir.path().join("site")).await?;
    let store = Store::open_in(&home.data_dir).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = count(&store, "sessions").await? + count(&store, "login_throttle").await?;
        if left == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{left} spent rows still there");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.close().await;
    gateway.shutdown().await?;
    Ok(())
}
