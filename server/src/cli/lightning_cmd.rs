//! `openfatture lightning status|channels`, routing the other `lightning` subcommands.

use super::format::{compact_sats, grouped};
use super::liquidity_cmd;
use super::ln_invoice_cmd;
use super::tracking_cmd;
use super::{CliError, LightningCommand, Output};
use crate::config::Settings;
use crate::context::Services;
use crate::lnd::{LndClient, LndConfig};
use crate::node;

/// The commands that configure LND, as in the spec's Quick Start.
const HOW_TO_CONFIGURE: &str = "\
Configure your LND node:
  openfatture config set lightning_enabled true
  openfatture config set lightning_host localhost:10009
  openfatture config set lightning_cert_path ~/.lnd/tls.cert
  openfatture config set lightning_macaroon_path ~/.lnd/data/chain/bitcoin/mainnet/admin.macaroon
Or try it with the simulated node that `openfatture serve` embeds.";

/// Runs one `lightning` subcommand.
pub(super) async fn run(out: &Output, services: Services<'_>, command: LightningCommand) -> Result<(), CliError> {
    let node_command = match command {
        LightningCommand::Invoice { command } => return ln_invoice_cmd::run_invoice(out, services, command).await,
        LightningCommand::Payments { command } => return ln_invoice_cmd::run_payments(out, services, command).await,
        LightningCommand::Rates => return ln_invoice_cmd::run_rates(out, services).await,
        LightningCommand::Liquidity { command } => return liquidity_cmd::run_liquidity(out, services, command).await,
        LightningCommand::Watch(args) => return tracking_cmd::run_watch(out, services, args).await,
        LightningCommand::Webhooks { command } => return tracking_cmd::run_webhooks(out, services, command).await,
        node_command => node_command,
    };
    let cfg = match services.settings().lnd_config() {
        Ok(cfg) => cfg,
        Err(e) => {
            if !out.json {
                println!("❌ LND Connection: NOT CONFIGURED");
                println!("{HOW_TO_CONFIGURE}");
            }
            return Err(e.into());
        }
    };
    match node_command {
        LightningCommand::Channels => channels(out, cfg).await,
        _ => status(out, services.settings(), cfg).await,
    }
}

async fn status(out: &Output, settings: &Settings, cfg: LndConfig) -> Result<(), CliError> {
    let host = cfg.host.clone();
    let result = match LndClient::connect_lazy(cfg) {
        Ok(client) => node::node_status(&client, &host, false).await,
        Err(e) => Err(e),
    };
    let status = match result {
        Ok(status) => status,
        Err(e) => {
            if !out.json {
                println!("❌ LND Connection: FAILED");
            }
            return Err(e.into());
        }
    };
    if out.json {
        return out.print_json(&status);
    }
    println!("✅ LND Connection: OK ({})", status.host);
    println!("🔑 Node: {} ({})", status.alias, status.pubkey);
    println!("🔌 Circuit breaker: {}", status.breaker);
    println!(
        "🌐 Network: {}, block {}, LND {}",
        status.network, status.block_height, status.version
    );
    if !status.synced_to_chain {
        println!("⚠️  Not synced to chain yet");
    }
    let mut channels = format!("{} active", status.active_channels);
    if status.inactive_channels > 0 {
        channels.push_str(&format!(", {} inactive", status.inactive_channels));
    }
    if status.pending_channels > 0 {
        channels.push_str(&format!(", {} pending", status.pending_channels));
    }
    println!(
        "📊 Channels: {channels}, {} sats capacity",
        compact_sats(status.capacity_sat)
    );
    println!(
        "💰 Balance: {} sats local, {} sats remote",
        compact_sats(status.local_balance_sat),
        compact_sats(status.remote_balance_sat)
    );
    if !settings.lightning_enabled {
        println!("⚠️  Lightning is disabled; enable it with: openfatture config set lightning_enabled true");
    }
    Ok(())
}

async fn channels(out: &Output, cfg: LndConfig) -> Result<(), CliError> {
    let client = LndClient::connect_lazy(cfg)?;
    let channels = node::channels(&client).await.map_err(CliError::from)?;
    if out.json {
        return out.print_json(&channels);
    }
    if channels.is_empty() {
        println!(
            "No open channels. Receiving payments needs inbound capacity: open a channel to a well-connected peer."
        );
        return Ok(());
    }
    let rows: Vec<[String; 6]> = channels
        .iter()
        .map(|c| {
            let peer = if c.peer_alias.is_empty() {
                short_key(&c.remote_pubkey)
            } else {
                c.peer_alias.clone()
            };
            [
                c.chan_id.to_string(),
                peer,
                if c.active { "yes" } else { "no" }.to_string(),
                grouped(c.capacity_sat),
                grouped(c.local_balance_sat),
                grouped(c.remote_balance_sat),
            ]
        })
        .collect();
    let header = [
        "CHANNEL ID",
        "PEER",
        "ACTIVE",
        "CAPACITY (sat)",
        "LOCAL (sat)",
        "REMOTE (sat)",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    print_row(&header.map(String::from), &widths);
    for row in &rows {
        print_row(row, &widths);
    }
    let local: u64 = channels.iter().map(|c| c.local_balance_sat).sum();
    let remote: u64 = channels.iter().map(|c| c.remote_balance_sat).sum();
    println!(
        "{} channels: {} sats local, {} sats remote (inbound)",
        channels.len(),
        compact_sats(local),
        compact_sats(remote)
    );
    Ok(())
}

/// Text columns left-aligned, number columns (from the fourth) right-aligned.
fn print_row(cells: &[String; 6], widths: &[usize; 6]) {
    let line: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (cell, w))| {
            if i >= 3 {
                format!("{cell:>w$}")
            } else {
                format!("{cell:<w$}")
            }
        })
        .collect();
    println!("{}", line.join("  ").trim_end());
}

/// The first and last characters of a public key.
fn short_key(key: &str) -> String {
    match (key.get(..8), key.get(key.len().saturating_sub(6)..)) {
        (Some(head), Some(tail)) if key.len() > 16 => format!("{head}…{tail}"),
        _ => key.to_string(),
    }
}
