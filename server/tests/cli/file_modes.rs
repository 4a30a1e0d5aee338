//! Owner-only files (issue 30, item 11): the data directory is 0700 and the database (with its
//! -wal/-shm), `config.toml` and the embedded node's keys and macaroons are 0600 after the
//! `openfatture` binary made them under a umask of 022; an existing 0644 database and config
//! file (from an older version) are tightened when they are next opened.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `openfatture ARGS` run by `sh` after `umask 022`, with the clean test environment.
fn with_umask_022(home: &Path, args: &[&str]) -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin("openfatture");
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear()
        .env("HOME", home)
        .env("OPENFATTURE_HOME", home)
        .envs(crate::common::rates::KEYLESS_OFF)
        .env("LIGHTNING_COINGECKO_ENABLED", "false")
        .env("LIGHTNING_FALLBACK_RATE", "45000")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args);
    cmd
}

fn run_ok(home: &Path, args: &[&str]) {
    let out = with_umask_022(home, args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn assert_mode(path: &Path, want: u32) {
    assert_eq!(
        mode(path),
        want,
        "{} is {:04o}, want {want:04o}",
        path.display(),
        mode(path)
    );
}

/// The SQLite database and whichever of its -wal/-shm files exist now.
fn database_files(home: &Path) -> Vec<PathBuf> {
    let db = home.join(openfatture::store::DATABASE_FILE);
    let mut files = vec![db.clone()];
    for suffix in ["-wal", "-shm"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        let companion = PathBuf::from(name);
        if companion.exists() {
            files.push(companion);
        }
    }
    files
}

#[test]
fn files_made_by_the_cli_are_owner_only_whatever_the_umask() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    run_ok(&home, &["config", "set", "lightning_fallback_rate", "46000"]);
    assert_mode(&home, 0o700);
    assert_mode(&home.join("config.toml"), 0o600);
    run_ok(
        &home,
        &[
            "invoice", "add", "--numero", "INV-1", "--client", "Rossi", "--total", "10",
        ],
    );
    assert_mode(&home, 0o700);
    for file in database_files(&home) {
        assert_mode(&file, 0o600);
    }
}

#[test]
fn an_existing_loose_database_and_config_file_are_tightened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    run_ok(&home, &["config", "set", "lightning_fallback_rate", "46000"]);
    run_ok(&home, &["invoice", "list"]);
    // As an older version left them.
    let loose = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    loose(&home, 0o755);
    loose(&home.join("config.toml"), 0o644);
    for file in database_files(&home) {
        loose(&file, 0o644);
    }
    let out = with_umask_022(&home, &["invoice", "list"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_mode(&home, 0o700);
    assert_mode(&home.join("config.toml"), 0o600);
    for file in database_files(&home) {
        assert_mode(&file, 0o600);
    }
}

/// Stops the `serve` child this test started (by its own handle) when the test ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` in `home` and waits until its node is announced and its database exists.
fn start_serving(home: &Path) -> Serving {
    let mut cmd = with_umask_022(home, &["serve", "--listen", "127.0.0.1:0"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut serving = Serving(cmd.spawn().expect("serve starts"));
    let announced = home.join(openfatture::config::EMBEDDED_NODE_FILE);
    let db = home.join(openfatture::store::DATABASE_FILE);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(announced.exists() && db.exists()) {
        if let Some(status) = serving.0.try_wait().expect("wait") {
            panic!("serve ended early: {status}");
        }
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The store is opened (and its files tightened) right after the node is announced.
    std::thread::sleep(Duration::from_millis(500));
    serving
}

/// The embedded node's admin macaroon, as announced by `serve`.
fn announced_macaroon(home: &Path) -> PathBuf {
    let text = std::fs::read_to_string(home.join(openfatture::config::EMBEDDED_NODE_FILE)).expect("read");
    let node: openfatture::config::EmbeddedNode = serde_json::from_str(&text).expect("json");
    node.macaroon_path
}

#[test]
fn serve_makes_the_data_directory_database_and_node_keys_owner_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let node_dir = home.join(openfatture::gateway::SIMNODE_DIR);
    let serving = start_serving(&home);
    let macaroon = announced_macaroon(&home);
    assert!(macaroon.starts_with(&node_dir), "{}", macaroon.display());
    let check = || {
        assert_mode(&home, 0o700);
        for file in database_files(&home) {
            assert_mode(&file, 0o600);
        }
        assert_mode(&node_dir, 0o700);
        assert_mode(&macaroon, 0o600);
        assert_mode(&node_dir.join("tls.key"), 0o600);
    };
    check();
    drop(serving);

    // As an older version (or a careless copy) left them: readable by everyone.
    std::fs::remove_file(home.join(openfatture::config::EMBEDDED_NODE_FILE)).ok();
    for (path, loose) in [
        (home.clone(), 0o755),
        (node_dir.clone(), 0o755),
        (macaroon.clone(), 0o644),
        (node_dir.join("tls.key"), 0o644),
        (home.join(openfatture::store::DATABASE_FILE), 0o644),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).expect("chmod");
    }
    let serving = start_serving(&home);
    check();
    drop(serving);
}
