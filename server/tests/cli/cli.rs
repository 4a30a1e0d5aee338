//! The `openfatture` binary: config round trip, `lightning status|channels` against a running
//! simnode, `--json` output and exit codes.

use crate::common;

use std::path::Path;

use app::model::{ChannelView, NodeStatus};
use assert_cmd::Command;
use common::lightning::sim_config;
use common::{openfatture, stdout_of};
use simnode::{MacaroonKind, RunningNode, SimNodeConfig};

#[test]
fn config_set_get_list_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path();
    stdout_of(openfatture(h).args(["config", "set", "lightning_host", "localhost:10009"]));
    stdout_of(openfatture(h).args(["config", "set", "lightning_enabled", "true"]));
    stdout_of(openfatture(h).args(["config", "set", "lightning_cmc_api_key", "cmc-SECRET-123"]));

    let got = stdout_of(openfatture(h).args(["config", "get", "lightning_host"]));
    assert_eq!(got.trim(), "lightning_host = localhost:10009  (file)");
    let got = stdout_of(
        openfatture(h)
            .args(["config", "get", "lightning_host"])
            .env("LIGHTNING_HOST", "node:10010"),
    );
    assert_eq!(got.trim(), "lightning_host = node:10010  (env)");
    let got = stdout_of(openfatture(h).args(["config", "get", "lightning_max_expiry_hours"]));
    assert_eq!(got.trim(), "lightning_max_expiry_hours = 168  (default)");
    let got = stdout_of(openfatture(h).args(["config", "get", "lightning_cmc_api_key"]));
    assert_eq!(got.trim(), "lightning_cmc_api_key = set  (file)");

    let list = stdout_of(openfatture(h).args(["config", "list"]));
    assert!(list.contains("lightning_enabled") && list.contains("true"), "{list}");
    assert!(!list.contains("cmc-SECRET-123"), "secret printed: {list}");

    let json = stdout_of(openfatture(h).args(["--json", "config", "list"]));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json list");
    let cmc = entries
        .iter()
        .find(|e| e["key"] == "lightning_cmc_api_key")
        .expect("entry");
    assert_eq!(
        (cmc["value"].clone(), cmc["set"].clone(), cmc["source"].clone()),
        (serde_json::Value::Null, true.into(), "file".into())
    );
    assert!(!json.contains("cmc-SECRET-123"));

    let one: serde_json::Value = serde_json::from_str(&stdout_of(openfatture(h).args([
        "config",
        "get",
        "lightning_host",
        "--json",
    ])))
    .expect("json");
    assert_eq!(one["value"], "localhost:10009");
}

#[test]
fn errors_exit_1_usage_exits_2_and_json_errors_go_to_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path();
    let out = openfatture(h)
        .args(["config", "set", "lightning_timeout_seconds", "abc"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("Error: invalid value `abc` for lightning_timeout_seconds"),
        "{err}"
    );
    assert!(!h.join("config.toml").exists(), "nothing written");

    let out = openfatture(h)
        .args(["--json", "config", "get", "no_such_key"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("json error");
    assert!(err["error"].as_str().expect("string").contains("no_such_key"), "{err}");
    assert!(out.stdout.is_empty());

    let out = openfatture(h).args(["config", "frobnicate"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn status_without_lightning_host_explains_how_to_configure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = openfatture(dir.path())
        .args(["lightning", "status"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("openfatture config set lightning_host localhost:10009"),
        "{stdout}"
    );
    assert!(stdout.contains("openfatture serve"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("lightning_host is not set"), "{stderr}");
}

/// Two channels: 2.0M sats capacity, 1.2M local, 800k remote (the spec's example balance).
const TOPOLOGY: &str = r#"
[[channel]]
peer_alias = "acme-peer"
capacity_sat = 1200000
local_balance_sat = 700000

[[channel]]
peer_alias = "hub"
capacity_sat = 800000
local_balance_sat = 500000
"#;

async fn start_node(dir: &Path) -> RunningNode {
    let topology = dir.join("topology.toml");
    std::fs::write(&topology, TOPOLOGY).expect("topology");
    simnode::start(SimNodeConfig {
        topology: Some(topology),
        alias: Some("cli-test".into()),
        ..sim_config(&dir.join("node"))
    })
    .await
    .expect("simnode starts")
}

/// Configures `home` for `node` through the CLI itself.
fn configure(home: &Path, node: &RunningNode) {
    let host = node.grpc_addr().to_string();
    let cert = node.tls_cert_path().display().to_string();
    let macaroon = node.macaroon_path(MacaroonKind::Admin).display().to_string();
    for (k, v) in [
        ("lightning_enabled", "true"),
        ("lightning_host", host.as_str()),
        ("lightning_cert_path", cert.as_str()),
        ("lightning_macaroon_path", macaroon.as_str()),
        ("lightning_max_retries", "0"),
        ("lightning_timeout_seconds", "5"),
    ] {
        stdout_of(openfatture(home).args(["config", "set", k, v]));
    }
}

async fn run_blocking(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread")]
async fn lightning_status_and_channels_against_simnode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(dir.path()).await;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    configure(&home, &node);

    let mut cmd = openfatture(&home);
    cmd.args(["lightning", "status"]);
    let out = run_blocking(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("✅ LND Connection: OK"), "{stdout}");
    assert!(
        stdout.contains(&format!("🔑 Node: cli-test ({})", node.node_pubkey_hex())),
        "{stdout}"
    );
    assert!(stdout.contains("🌐 Network: regtest"), "{stdout}");
    assert!(lines.contains(&"📊 Channels: 2 active, 2.0M sats capacity"), "{stdout}");
    assert!(
        lines.contains(&"💰 Balance: 1.2M sats local, 800k sats remote"),
        "{stdout}"
    );

    let mut cmd = openfatture(&home);
    cmd.args(["lightning", "status", "--json"]);
    let out = run_blocking(cmd).await;
    assert!(out.status.success());
    let status: NodeStatus = serde_json::from_slice(&out.stdout).expect("NodeStatus json");
    assert_eq!(
        (
            status.capacity_sat,
            status.local_balance_sat,
            status.remote_balance_sat,
            status.active_channels
        ),
        (2_000_000, 1_200_000, 800_000, 2)
    );
    assert_eq!(status.alias, "cli-test");

    let mut cmd = openfatture(&home);
    cmd.args(["lightning", "channels"]);
    let out = run_blocking(cmd).await;
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{table}");
    assert!(
        table.lines().next().is_some_and(|h| h.starts_with("CHANNEL ID")),
        "{table}"
    );
    let acme = table.lines().find(|l| l.contains("acme-peer")).expect("acme row");
    assert!(
        acme.contains("1,200,000") && acme.contains("700,000") && acme.contains("500,000"),
        "{acme}"
    );

    let mut cmd = openfatture(&home);
    cmd.args(["--json", "lightning", "channels"]);
    let out = run_blocking(cmd).await;
    let channels: Vec<ChannelView> = serde_json::from_slice(&out.stdout).expect("channels json");
    assert_eq!(channels.len(), 2);

    node.shutdown().await;

    // The node is gone now: status fails clearly with a non-zero exit.
    let mut cmd = openfatture(&home);
    cmd.args(["lightning", "status"]);
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("❌ LND Connection: FAILED"), "{stdout}");
    assert!(stderr.contains("Failed to connect to LND at 127.0.0.1:"), "{stderr}");

    let mut cmd = openfatture(&home);
    cmd.args(["lightning", "status", "--json"]);
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("json error");
    assert!(
        err["error"]
            .as_str()
            .expect("string")
            .starts_with("Failed to connect to LND at"),
        "{err}"
    );
}
