//! `openfatture user add|list|remove` through the binary: accounts are created with a hashed
//! password, refusals say what to fix and leave the database unchanged.

mod common;
use common::{dump_tables, WEB_TABLES};

use assert_cmd::Command;
use openfatture::store::Store;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

fn cli(home: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("openfatture").expect("binary");
    cmd.env_clear().env("OPENFATTURE_HOME", home);
    cmd
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
    cli(home)
        .args(["user", "add", "anna", "--role", "admin", "--password-stdin"])
        .write_stdin("a long enough password\n")
        .assert()
        .success()
        .stdout(contains("Added admin 'anna'"));
    cli(home)
        .args(["user", "add", "cassa", "--role", "cashier", "--password-stdin"])
        .write_stdin("135790\n")
        .assert()
        .success();
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
    cli(home)
        .args(["user", "add", "anna", "--role", "admin", "--password-stdin"])
        .write_stdin("a long enough password\n")
        .assert()
        .success();
    let before = users_dump(home).await;
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["user", "add", "bob", "--role", "admin", "--password-stdin"],
            "short\n",
            "password is too short",
        ),
        (
            &["user", "add", "bob", "--role", "cashier", "--password-stdin"],
            "1234\n",
            "PIN is too short",
        ),
        (
            &["user", "add", "bob", "--role", "boss", "--password-stdin"],
            "a long enough password\n",
            "unknown role 'boss'",
        ),
        (
            &["user", "add", "Bob Rossi", "--role", "admin", "--password-stdin"],
            "a long enough password\n",
            "invalid username",
        ),
        (
            &["user", "add", "anna", "--role", "admin", "--password-stdin"],
            "another long password\n",
            "already exists",
        ),
        (
            &["user", "add", "bob", "--role", "admin"],
            "a long enough password\n",
            "--password-stdin",
        ),
        (&["user", "remove", "nobody"], "", "no user named 'nobody'"),
    ];
    for (args, stdin, expected) in cases {
        cli(home)
            .args(*args)
            .write_stdin(*stdin)
            .assert()
            .failure()
            .stderr(contains(*expected));
        assert_eq!(users_dump(home).await, before, "{args:?} changed the database");
    }
}
