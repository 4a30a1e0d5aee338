//! `openfatture user add|list|remove|passwd|logout` through the binary: accounts are created with
//! a hashed password, passwd and logout end the user's sessions, refusals say what to fix and
//! leave the database unchanged.

use crate::common;
use common::openfatture as cli;
use common::{dump_tables, WEB_TABLES};

use assert_cmd::assert::Assert;
use openfatture::store::Store;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

/// The arguments of `user add USER --role ROLE --password-stdin`.
fn add_args<'a>(user: &'a str, role: &'a str) -> Vec<&'a str> {
    vec!["user", "add", user, "--role", role, "--password-stdin"]
}

/// Runs `user add USER --role ROLE --password-stdin` with `password` and a newline on stdin.
fn add_user(home: &std::path::Path, user: &str, role: &str, password: &str) -> Assert {
    cli(home)
        .args(add_args(user, role))
        .write_stdin(format!("{password}\n"))
        .assert()
}

async fn users_dump(home: &std::path::Path) -> Vec<String> {
    let store = Store::open_in(home).await.expect("store");
    let rows = dump_tables(&store, &WEB_TABLES).await;
    store.close().await;
    rows
}

#[tokio::test]
async fn users_are_added_listed_and_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    add_user(home, "anna", "admin", "a long enough password")
        .success()
        .stdout(contains("Added admin 'anna'"));
    add_user(home, "cassa", "cashier", "135790").success();
    let output = cli(home).args(["--json", "user", "list"]).output().expect("run");
    let list: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(list[0]["username"], "anna");
    assert_eq!(list[0]["role"], "admin");
    assert_eq!(list[1]["username"], "cassa");
    assert_eq!(list[1]["role"], "cashier");
    // The password is stored as an argon2id hash, never as given.
    let rows = users_dump(home).await;
    let anna = rows.iter().find(|r| r.starts_with("users: anna|")).expect("anna row");
    assert!(anna.contains("$argon2id$"), "{anna}");
    assert!(!anna.contains("a long enough password"));

    cli(home).args(["user", "remove", "cassa"]).assert().success();
    cli(home)
        .args(["user", "list"])
        .assert()
        .success()
        .stdout(contains("anna").and(contains("cassa").not()));
}

#[tokio::test]
async fn bad_accounts_are_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    add_user(home, "anna", "admin", "a long enough password").success();
    let before = users_dump(home).await;
    let long = "a long enough password\n";
    let cases: [(Vec<&str>, &str, &str); 7] = [
        (add_args("bob", "admin"), "short\n", "password is too short"),
        (add_args("bob", "cashier"), "1234\n", "PIN is too short"),
        (add_args("bob", "boss"), long, "unknown role 'boss'"),
        (add_args("Bob Rossi", "admin"), long, "invalid username"),
        (add_args("anna", "admin"), "another long password\n", "already exists"),
        (vec!["user", "add", "bob", "--role", "admin"], long, "--password-stdin"),
        (vec!["user", "remove", "nobody"], "", "no user named 'nobody'"),
    ];
    for (args, stdin, expected) in cases {
        cli(home)
            .args(&args)
            .write_stdin(stdin)
            .assert()
            .failure()
            .stderr(contains(expected));
        assert_eq!(users_dump(home).await, before, "{args:?} changed the database");
    }
}

/// The number of unexpired sessions of `user`, straight from the database.
async fn sessions_of(home: &std::path::Path, user: &str) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let store = Store::open_in(home).await.expect("store");
    let rows = store.staff_rows(i64::try_from(now).expect("now")).await.expect("staff");
    store.close().await;
    rows.iter()
        .find(|r| r.username == user)
        .map(|r| r.active_sessions)
        .expect("user listed")
}

/// Signs `user` in through the same service the gateway uses; the session token.
async fn sign_in(home: &std::path::Path, user: &str, password: &str) -> Result<String, String> {
    use secrecy::ExposeSecret;
    let store = Store::open_in(home).await.expect("store");
    let auth = openfatture::auth::AuthService::new(store.clone(), false);
    let result = auth
        .login(user, &password.to_string().into(), "127.0.0.1")
        .await
        .map(|(token, _)| token.expose_secret().to_string())
        .map_err(|e| e.to_string());
    store.close().await;
    result
}

/// Whether the session `token` is still valid.
async fn session_valid(home: &std::path::Path, token: &str) -> bool {
    let store = Store::open_in(home).await.expect("store");
    let user = openfatture::auth::AuthService::new(store.clone(), false)
        .session(token)
        .await
        .expect("session lookup");
    store.close().await;
    user.is_some()
}

#[tokio::test]
async fn passwd_sets_a_new_pin_and_ends_sessions_and_logout_ends_sessions() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    add_user(home, "anna", "admin", "a long enough password").success();
    add_user(home, "cassa", "cashier", "135790").success();
    let old = sign_in(home, "cassa", "135790").await.expect("signed in");
    let anna = sign_in(home, "anna", "a long enough password")
        .await
        .expect("signed in");
    assert_eq!(sessions_of(home, "cassa").await, 1);

    cli(home)
        .args(["user", "passwd", "cassa", "--password-stdin"])
        .write_stdin("975311\n")
        .assert()
        .success()
        .stdout(contains("New password set for 'cassa'; 1 session(s) ended"));
    assert!(!session_valid(home, &old).await, "the old session outlived passwd");
    assert!(session_valid(home, &anna).await, "passwd ended someone else's session");
    assert!(
        sign_in(home, "cassa", "135790").await.is_err(),
        "the old PIN still signs in"
    );
    let new = sign_in(home, "cassa", "975311").await.expect("the new PIN signs in");

    let output = cli(home)
        .args(["--json", "user", "logout", "cassa"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let reply: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(reply["sessions_ended"], 1);
    assert!(!session_valid(home, &new).await, "the session outlived logout");
    assert!(session_valid(home, &anna).await, "logout ended someone else's session");
    assert_eq!(sessions_of(home, "cassa").await, 0);

    // Refusals change nothing: a weak PIN, a different PIN on stdin, an unknown user; and the
    // only admin cannot be removed.
    let before = users_dump(home).await;
    for (args, stdin, expected) in [
        (
            vec!["user", "passwd", "cassa", "--password-stdin"],
            "12\n",
            "PIN is too short",
        ),
        (
            vec!["user", "passwd", "nobody", "--password-stdin"],
            "975311\n",
            "no user named 'nobody'",
        ),
        (vec!["user", "passwd", "cassa"], "975311\n", "--password-stdin"),
        (vec!["user", "logout", "nobody"], "", "no user named 'nobody'"),
        (vec!["user", "remove", "anna"], "", "'anna' is the only admin"),
    ] {
        cli(home)
            .args(&args)
            .write_stdin(stdin)
            .assert()
            .failure()
            .stderr(contains(expected));
        assert_eq!(users_dump(home).await, before, "{args:?} changed the database");
    }
    assert!(session_valid(home, &anna).await, "a refusal ended the admin's session");
    assert!(
        sign_in(home, "cassa", "975311").await.is_ok(),
        "a refused passwd changed the PIN"
    );
}
