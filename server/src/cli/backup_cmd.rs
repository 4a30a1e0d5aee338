//! `openfatture lightning backup export|verify|list`: the node's static channel backups.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use super::{CliError, Output};
use crate::context::Services;
use crate::node::{chan_point_text, write_backup_file, BACKUP_FILE_NAME};

/// `openfatture lightning backup ...`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Export the multi-channel backup of every open channel from the node (ExportAllChannelBackups).
    Export {
        /// Write the packed backup to this file (LND's channel.backup format); without it, print
        /// the channel points and the backup as hex.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check a channel.backup file with the node (VerifyChanBackup): whose channels it covers.
    Verify {
        /// The packed multi-channel backup file.
        file: PathBuf,
    },
    /// The backups the gateway stored, newest first.
    List,
}

/// Runs one `lightning backup` subcommand.
pub(super) async fn run_backup(out: &Output, services: Services<'_>, command: BackupCommand) -> Result<(), CliError> {
    match command {
        BackupCommand::Export { out: file } => export(out, services, file).await,
        BackupCommand::Verify { file } => verify(out, services, file).await,
        BackupCommand::List => list(out, services).await,
    }
}

/// What `backup export --json` prints.
#[derive(Debug, Serialize)]
struct Exported {
    chan_points: Vec<String>,
    file: Option<PathBuf>,
    multi_chan_backup_hex: Option<String>,
}

async fn export(out: &Output, services: Services<'_>, file: Option<PathBuf>) -> Result<(), CliError> {
    let client = services.lnd()?;
    let snapshot = client.export_all_channel_backups().await?;
    let multi = snapshot
        .multi_chan_backup
        .ok_or_else(|| CliError::Invalid("the node sent no multi-channel backup".to_string()))?;
    let chan_points: Vec<String> = multi.chan_points.iter().map(chan_point_text).collect();
    let written = match &file {
        None => None,
        Some(path) => Some(write_to(path, &multi.multi_chan_backup)?),
    };
    if out.json {
        return out.print_json(&Exported {
            chan_points,
            multi_chan_backup_hex: written.is_none().then(|| hex::encode(&multi.multi_chan_backup)),
            file: written,
        });
    }
    println!("💾 Channel backup of {} channel(s):", chan_points.len());
    for point in &chan_points {
        println!("   {point}");
    }
    match written {
        Some(path) => println!(
            "Written to {} ({} bytes)",
            path.display(),
            multi.multi_chan_backup.len()
        ),
        None => println!("{}", hex::encode(&multi.multi_chan_backup)),
    }
    Ok(())
}

/// Writes `packed` to `path` atomically (a directory gets LND's file name inside it).
fn write_to(path: &std::path::Path, packed: &[u8]) -> Result<PathBuf, CliError> {
    let invalid = |e: crate::node::BackupError| CliError::Invalid(e.to_string());
    if path.is_dir() {
        return write_backup_file(path, packed).map_err(invalid);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let written = write_backup_file(&dir, packed).map_err(invalid)?;
    if path.file_name().is_some_and(|name| name != BACKUP_FILE_NAME) {
        std::fs::rename(&written, path)
            .map_err(|e| CliError::Invalid(format!("cannot write the channel backup to {}: {e}", path.display())))?;
    }
    Ok(path.to_path_buf())
}

async fn verify(out: &Output, services: Services<'_>, file: PathBuf) -> Result<(), CliError> {
    let packed = std::fs::read(&file)
        .map_err(|e| CliError::Invalid(format!("cannot read the backup file {}: {e}", file.display())))?;
    if packed.is_empty() {
        return Err(CliError::Invalid(format!(
            "the backup file {} is empty",
            file.display()
        )));
    }
    let client = services.lnd()?;
    let covered = client.verify_multi_chan_backup(packed).await.map_err(|e| {
        CliError::Invalid(format!(
            "{} is not a valid channel backup of this node: {e}",
            file.display()
        ))
    })?;
    if out.json {
        return out.print_json(&serde_json::json!({ "valid": true, "chan_points": covered }));
    }
    println!(
        "✅ {} is a valid backup of {} channel(s):",
        file.display(),
        covered.len()
    );
    for point in &covered {
        println!("   {point}");
    }
    Ok(())
}

/// One stored backup as `backup list --json` prints it.
#[derive(Debug, Serialize)]
struct Listed {
    id: i64,
    taken_at_ms: i64,
    channels: usize,
    chan_points: Vec<String>,
    bytes: usize,
    sha256: String,
}

async fn list(out: &Output, services: Services<'_>) -> Result<(), CliError> {
    let store = services.store().await?;
    let backups = store.channel_backups().await?;
    let listed: Vec<Listed> = backups
        .into_iter()
        .map(|b| Listed {
            id: b.id,
            taken_at_ms: b.taken_at_ms,
            channels: b.chan_points.len(),
            bytes: b.packed.len(),
            chan_points: b.chan_points,
            sha256: b.sha256_hex,
        })
        .collect();
    if out.json {
        return out.print_json(&listed);
    }
    if listed.is_empty() {
        println!("No channel backup stored yet: `openfatture serve` stores one at start and on every channel change.");
        return Ok(());
    }
    println!(
        "{:>6}  {:<25}  {:>8}  {:>6}  sha256",
        "id", "taken (UTC)", "channels", "bytes"
    );
    for b in &listed {
        let when = chrono::DateTime::from_timestamp_millis(b.taken_at_ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        println!(
            "{:>6}  {:<25}  {:>8}  {:>6}  {}",
            b.id,
            when,
            b.channels,
            b.bytes,
            &b.sha256[..16.min(b.sha256.len())]
        );
    }
    Ok(())
}
