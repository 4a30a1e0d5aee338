//! Fees, forwards and least-privilege macaroons (issue 38 §3–§4) against the simnode over TLS,
//! through the `openfatture` binary.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::lightning::{lnd_config, openfatture_against, sim_config};
use common::{stdout_of, Res};
use openfatture::lnd::{LndClient, LndError};
use openfatture::store::{NewRebalance, RebalanceTrigger, Store};
use serde_json::Value;
use simnode::MacaroonKind;

fn json_of(cmd: &mut assert_cmd::Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).expect("json")
}

/// (channel point, base msat, ppm) of every channel in `lightning fees --json`.
fn schedule(report: &Value) -> Vec<(String, u64, u64)> {
    report["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| {
            (
                c["channel_point"].as_str().expect("point").to_string(),
                c["base_fee_msat"].as_u64().expect("base"),
                c["fee_rate_ppm"].as_u64().expect("ppm"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fees_set_reads_back_dry_run_changes_nothing_and_out_of_bounds_is_refused() -> Res<()> {
    let dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(&dir.path().join("simnode"))).await?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let cli = || openfatture_against(&node, &home);

    let before = schedule(&json_of(cli().args(["--json", "lightning", "fees"])));
    assert!(before.len() >= 2, "{before:?}");
    let (point, base, ppm) = before[0].clone();
    assert_ne!((base, ppm), (1500, 250), "the test needs a change");

    // Dry run: says what would change, changes nothing.
    let dry = json_of(cli().args([
        "--json",
        "lightning",
        "fees",
        "set",
        "--channel",
        &point,
        "--base-msat",
        "1500",
        "--ppm",
        "250",
        "--dry-run",
    ]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["channels"][0]["base_fee_msat_after"], 1500);
    assert_eq!(dry["channels"][0]["base_fee_msat_before"], base);
    assert_eq!(schedule(&json_of(cli().args(["--json", "lightning", "fees"]))), before);

    // Out of bounds: refused before the node is asked, nothing changed.
    for args in [
        ["--base-msat", "10001", "--ppm", "1"],
        ["--base-msat", "1", "--ppm", "50001"],
    ] {
        let out = cli()
            .args(["lightning", "fees", "set", "--channel", &point])
            .args(args)
            .output()?;
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("above the limit"), "{err}");
    }
    assert_eq!(schedule(&json_of(cli().args(["--json", "lightning", "fees"]))), before);

    // The real change, on that channel only, read back.
    stdout_of(cli().args([
        "lightning",
        "fees",
        "set",
        "--channel",
        &point,
        "--base-msat",
        "1500",
        "--ppm",
        "250",
    ]));
    let after = schedule(&json_of(cli().args(["--json", "lightning", "fees"])));
    assert_eq!(after[0], (point.clone(), 1500, 250));
    assert_eq!(after[1..], before[1..], "the other channels are unchanged");

    // Global: every channel.
    stdout_of(cli().args(["lightning", "fees", "set", "--base-msat", "0", "--ppm", "10"]));
    let global = schedule(&json_of(cli().args(["--json", "lightning", "fees"])));
    assert!(global.iter().all(|(_, b, p)| (*b, *p) == (0, 10)), "{global:?}");

    // An unknown channel is named.
    let out = cli()
        .args([
            "lightning",
            "fees",
            "set",
            "--channel",
            "42",
            "--base-msat",
            "1",
            "--ppm",
            "1",
        ])
        .output()?;
    assert!(String::from_utf8_lossy(&out.stderr).contains("no open channel 42"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_summarise_the_node_and_our_rebalances() -> Res<()> {
    let dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(&dir.path().join("simnode"))).await?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    let store = Store::open_in(&home).await?;
    for (succeeded, fee_msat) in [(true, 1200), (false, 0), (true, 800)] {
        store
            .record_rebalance(&NewRebalance {
                payment_hash: format!("{:064x}", fee_msat + u64::from(succeeded)),
                from_chan_id: 1,
                to_chan_id: 2,
                amount_msat: 100_000_000,
                fee_msat,
                succeeded,
                failure: (!succeeded).then(|| "no route".to_string()),
                trigger: RebalanceTrigger::Manual,
                started_at: now - 60,
                finished_at: now - 30,
                fee_value: None,
            })
            .await?;
    }
    // One before the period: not counted.
    store
        .record_rebalance(&NewRebalance {
            payment_hash: format!("{:064x}", 7),
            from_chan_id: 1,
            to_chan_id: 2,
            amount_msat: 1,
            fee_msat: 5000,
            succeeded: true,
            failure: None,
            trigger: RebalanceTrigger::Auto,
            started_at: now - 10 * 86_400,
            finished_at: now - 10 * 86_400,
            fee_value: None,
        })
        .await?;
    store.close().await;

    let summary = json_of(openfatture_against(&node, &home).args(["--json", "lightning", "forwards", "--since", "7d"]));
    // The simulated peers never route through the node: its forwarding log is empty.
    assert_eq!(summary["count"], 0);
    assert_eq!(summary["fees_earned_msat"], 0);
    assert_eq!(summary["rebalances"]["attempts"], 3);
    assert_eq!(summary["rebalances"]["succeeded"], 2);
    assert_eq!(summary["rebalances"]["fees_paid_msat"], 2000);
    assert_eq!(summary["rebalance_success_percent"], 66);

    let out = openfatture_against(&node, &home)
        .args(["lightning", "forwards", "--since", "tomorrow"])
        .output()?;
    assert!(!out.status.success());
    Ok(())
}

/// A client of `node` with the macaroon file at `path`.
async fn client_with(node: &simnode::RunningNode, path: &Path) -> Res<LndClient> {
    let mut cfg = lnd_config(node, MacaroonKind::Admin, Duration::from_secs(10));
    cfg.macaroon_path = path.to_path_buf();
    Ok(LndClient::connect(cfg).await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baked_macaroon_serves_the_gateway_and_nothing_else_and_status_names_what_is_missing() -> Res<()> {
    let dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(&dir.path().join("simnode"))).await?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let baked_path = dir.path().join("gateway.macaroon");
    let baked = json_of(openfatture_against(&node, &home).args([
        "--json",
        "lightning",
        "macaroon",
        "bake",
        "--out",
        baked_path.to_str().expect("utf8"),
    ]));
    assert!(baked["root_key_id"].as_u64().expect("id") > 0);

    // The gateway's calls work with it.
    let gateway = client_with(&node, &baked_path).await?;
    gateway.get_info().await?;
    gateway.list_channels(Default::default()).await?;
    gateway.fee_report().await?;
    // A call outside the list (BakeMacaroon needs macaroon:generate) is refused by the node.
    match gateway.bake_macaroon(99, &[("info", "read")]).await {
        Err(LndError::PermissionDenied { .. }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Status over the baked macaroon: nothing missing.
    let status = json_of(
        openfatture_against(&node, &home)
            .env("LIGHTNING_MACAROON_PATH", &baked_path)
            .args(["--json", "lightning", "status"]),
    );
    assert_eq!(status["macaroon_permissions"]["lacks"], serde_json::json!([]));
    assert_eq!(status["macaroon_permissions"]["checked_by"], "node");

    // readonly.macaroon lacks the writes, and status names them.
    let text = stdout_of(
        openfatture_against(&node, &home)
            .env("LIGHTNING_MACAROON_PATH", node.macaroon_path(MacaroonKind::Readonly))
            .args(["lightning", "status"]),
    );
    assert!(text.contains("Macaroon lacks offchain:write, invoices:write"), "{text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_leaves_one_valid_root_key_and_a_failed_rotation_changes_nothing() -> Res<()> {
    let dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(&dir.path().join("simnode"))).await?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let admin = node.macaroon_path(MacaroonKind::Admin);
    let admin_text = admin.to_str().expect("utf8").to_string();
    // The node's address and certificate from the environment; the macaroon from config.toml.
    let cli = || {
        let mut cmd = common::openfatture(&home);
        cmd.env("LIGHTNING_HOST", node.grpc_addr().to_string())
            .env("LIGHTNING_CERT_PATH", node.tls_cert_path());
        cmd
    };
    stdout_of(cli().args(["config", "set", "lightning_macaroon_path", &admin_text]));
    let first = dir.path().join("first.macaroon");
    let first_text = first.to_str().expect("utf8").to_string();
    stdout_of(cli().args(["lightning", "macaroon", "bake", "--out", &first_text]));
    stdout_of(cli().args(["config", "set", "lightning_macaroon_path", &first_text]));

    // The default root key (admin.macaroon's) is never rotated away.
    let out = common::openfatture(&home)
        .env("LIGHTNING_HOST", node.grpc_addr().to_string())
        .env("LIGHTNING_CERT_PATH", node.tls_cert_path())
        .env("LIGHTNING_MACAROON_PATH", &admin)
        .args(["lightning", "macaroon", "rotate"])
        .output()?;
    assert!(String::from_utf8_lossy(&out.stderr).contains("default root key"));

    // A rotation that cannot write its file: the config and the old macaroon are as they were.
    let out = cli()
        .args([
            "lightning",
            "macaroon",
            "rotate",
            "--admin-macaroon",
            &admin_text,
            "--out",
        ])
        .arg(dir.path().join("missing/dir/new.macaroon"))
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the macaroon"));
    let configured = stdout_of(cli().args(["config", "get", "lightning_macaroon_path"]));
    assert!(configured.contains(&format!("= {first_text} ")), "{configured}");
    client_with(&node, &first).await?.get_info().await?;

    // The real rotation: the new one configured and working, the old root key id revoked.
    let second = dir.path().join("second.macaroon");
    let rotated = json_of(cli().args([
        "--json",
        "lightning",
        "macaroon",
        "rotate",
        "--admin-macaroon",
        &admin_text,
        "--out",
        second.to_str().expect("utf8"),
    ]));
    assert!(rotated["revoked_root_key_id"].as_u64().is_some(), "{rotated}");
    let configured = stdout_of(cli().args(["config", "get", "lightning_macaroon_path"]));
    assert!(configured.contains(&format!("= {} ", second.display())), "{configured}");
    client_with(&node, &second).await?.get_info().await?;
    match client_with(&node, &first).await?.get_info().await {
        Err(LndError::Macaroon { .. }) => {}
        other => panic!("the old macaroon must be refused, got {other:?}"),
    }
    stdout_of(cli().args(["lightning", "status"]));
    Ok(())
}
