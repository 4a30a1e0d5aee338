//! Channel backups (issue 38 §1): a running gateway stores the node's multi-channel backup at
//! start and on every channel change, keeps the newest `lightning_backup_keep`, writes the newest
//! to `lightning_backup_dir/channel.backup`; `lightning backup export|verify|list` from the CLI.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::lightning::{openfatture_against, sim_config};
use common::web::Web;
use common::{stdout_of, Res};
use openfatture::store::{ChannelBackup, Store};
use simnode::{FaultCommand, MacaroonKind};

/// The stored backups, once `ready` holds for them (polled for up to 10 s).
async fn backups_when(data_dir: &Path, ready: impl Fn(&[ChannelBackup]) -> bool) -> Res<Vec<ChannelBackup>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let store = Store::open_in(data_dir).await?;
        let backups = store.channel_backups().await?;
        store.close().await;
        if ready(&backups) {
            return Ok(backups);
        }
        if Instant::now() > deadline {
            return Err(format!("backups never got ready: {backups:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_stores_a_backup_on_every_channel_change_and_the_cli_verifies_it() -> Res<()> {
    let node_dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(node_dir.path())).await?;
    let host = node.grpc_addr().to_string();
    let cert = node.tls_cert_path().display().to_string();
    let macaroon = node.macaroon_path(MacaroonKind::Admin).display().to_string();
    let out_dir = tempfile::tempdir()?;
    let backup_dir = out_dir.path().join("scb");
    let backup_dir_text = backup_dir.display().to_string();
    let web = Web::start_with(
        false,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_HOST", &host),
            ("LIGHTNING_CERT_PATH", &cert),
            ("LIGHTNING_MACAROON_PATH", &macaroon),
            ("LIGHTNING_BACKUP_DIR", &backup_dir_text),
            ("LIGHTNING_BACKUP_KEEP", "2"),
        ],
    )
    .await?;
    let data_dir = web.home.data_dir.clone();
    let cli_home = tempfile::tempdir()?;
    let cli = || {
        let mut cmd = openfatture_against(&node, cli_home.path());
        cmd.env("OPENFATTURE_HOME", web._dir.path());
        cmd
    };

    // At start: one backup of every open channel, in the database and in the directory.
    let channels: Vec<serde_json::Value> =
        serde_json::from_str(&stdout_of(cli().args(["--json", "lightning", "channels"])))?;
    let open = channels.len();
    assert!(open >= 2, "{channels:?}");
    let first = backups_when(&data_dir, |b| !b.is_empty()).await?;
    assert_eq!(first[0].chan_points.len(), open);
    let file = backup_dir.join("channel.backup");
    assert_eq!(
        std::fs::read(&file)?,
        first[0].packed,
        "the file holds the newest backup"
    );
    assert!(
        !backup_dir.join(".channel.backup.tmp").exists(),
        "no temporary file is left"
    );

    // The file verifies with the node and covers the open channels.
    let verified: serde_json::Value = serde_json::from_str(&stdout_of(
        cli().args(["--json", "lightning", "backup", "verify"]).arg(&file),
    ))?;
    assert_eq!(verified["chan_points"].as_array().map(Vec::len), Some(open));

    // A force close: a new backup without that channel, and the file follows.
    let closed = channels[0]["chan_id"].as_u64().ok_or("chan_id")?;
    simnode::fault(
        node_dir.path(),
        FaultCommand::ForceClose {
            chan_id: closed,
            remote: false,
        },
    )
    .await?;
    let second = backups_when(&data_dir, |b| {
        b.first().is_some_and(|n| n.chan_points.len() == open - 1)
    })
    .await?;
    assert_eq!(second.len(), 2);
    assert_eq!(std::fs::read(&file)?, second[0].packed);
    assert_ne!(second[0].sha256_hex, second[1].sha256_hex);

    // A third change: only the newest two are kept (lightning_backup_keep = 2).
    let closed = channels[1]["chan_id"].as_u64().ok_or("chan_id")?;
    simnode::fault(
        node_dir.path(),
        FaultCommand::ForceClose {
            chan_id: closed,
            remote: true,
        },
    )
    .await?;
    let third = backups_when(&data_dir, |b| {
        b.first().is_some_and(|n| n.chan_points.len() == open - 2)
    })
    .await?;
    assert_eq!(third.len(), 2, "pruned to the newest two");
    assert_eq!(third[1].id, second[0].id);

    // `backup list` shows them, newest first.
    let listed: serde_json::Value =
        serde_json::from_str(&stdout_of(cli().args(["--json", "lightning", "backup", "list"])))?;
    let ids: Vec<i64> = listed
        .as_array()
        .ok_or("list")?
        .iter()
        .filter_map(|b| b["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![third[0].id, third[1].id]);

    // `backup export --out` writes the node's current backup, which verifies; a damaged copy is
    // refused with a clear message and exit status.
    let exported = out_dir.path().join("export.backup");
    stdout_of(cli().args(["lightning", "backup", "export", "--out"]).arg(&exported));
    let bytes = std::fs::read(&exported)?;
    assert_eq!(bytes, third[0].packed, "the export is the node's current backup");
    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    let damaged_path = out_dir.path().join("damaged.backup");
    std::fs::write(&damaged_path, &damaged)?;
    let refused = cli()
        .args(["lightning", "backup", "verify"])
        .arg(&damaged_path)
        .output()?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("is not a valid channel backup of this node"),
        "{stderr}"
    );

    web.gateway.shutdown().await?;
    node.shutdown().await;
    Ok(())
}
