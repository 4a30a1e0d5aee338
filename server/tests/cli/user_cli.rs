//! `openfatture user add|list|remove` through the binary: accounts are created with a hashed
//! password, refusals say what to fix and leave the database unchanged.

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
