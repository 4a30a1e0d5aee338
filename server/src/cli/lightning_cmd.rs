//! `openfatture lightning status|channels|rates`, routing the other `lightning` subcommands.

use super::alerts_cmd;
use super::backup_cmd;
use super::fees_cmd;
use super::format::{compact_sats, grouped};
use super::liquidity_cmd;
use super::ln_invoice_cmd;
use super::macaroon_cmd;
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
        LightningCommand::Rates => return run_rates(out, services).await,
        LightningCommand::Liquidity { command } => return liquidity_cmd::run_liquidity(out, services, command).await,
        LightningCommand::Watch(args) => return tracking_cmd::run_watch(out, services, args).await,
        LightningCommand::Webhooks { command } => return tracking_cmd::run_webhooks(out, services, command).await,
        LightningCommand::Backup { command } => return backup_cmd::run_backup(out, services, command).await,
        LightningCommand::Alerts => return alerts_cmd::run_alerts(out, services).await,
        LightningCommand::Fees { command } => return fees_cmd::run_fees(out, services, command).await,
        LightningCommand::Forwards { since } => return fees_cmd::run_forwards(out, services, since).await,
        LightningCommand::Macaroon { command } => return macaroon_cmd::run_macaroon(out, services, command).await,
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

/// `openfatture lightning rates`: asks every provider once (unless the cached rate is fresh), then
/// lists each provider (enabled, key needed/set, last price, its deviation from the rate, latency,
/// breaker, whether it is in the rate), the answers dropped and the rate with its mark.
async fn run_rates(out: &Output, services: Services<'_>) -> Result<(), CliError> {
    let service = services.rates()?;
    let quote = service.quote().await;
    let status = service.status();
    if out.json {
        let quote_json = match &quote {
            Ok(q) => serde_json::to_value(q)?,
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        };
        return out.print_json(&serde_json::json!({
            "quote": quote_json,
            "providers": status.providers,
            "notices": status.notices,
            "min_sources": status.min_sources,
            "max_deviation_percent": status.max_deviation_percent,
        }));
    }
    for p in &status.providers {
        println!("• {:<14} {}", p.provider, provider_line(p));
    }
    for notice in &status.notices {
        println!("ℹ️  {notice}");
    }
    match quote {
        Ok(q) => {
            for d in &q.dropped {
                println!("✂️  {}", d.reason);
            }
            let mark = q.sources_mark.as_deref().map(|m| format!("; {m}")).unwrap_or_default();
            println!(
                "💱 Rate: {} EUR/BTC (source: {}{mark})",
                ln_invoice_cmd::format_rate(q.eur_per_btc),
                ln_invoice_cmd::rate_source_label(&q.source)
            );
            for w in crate::invoices::quote_warnings(&q) {
                println!("⚠️  {w}");
            }
            Ok(())
        }
        Err(e) => Err(crate::invoices::InvoiceError::from(e).into()),
    }
}

/// One provider's facts on one line.
fn provider_line(p: &crate::rates::ProviderStatus) -> String {
    if !p.enabled {
        return "disabled".to_owned();
    }
    let mut parts = Vec::new();
    parts.push(match (p.key_needed, p.key_set) {
        (false, _) => "no key needed".to_owned(),
        (true, true) => "key set".to_owned(),
        (true, false) => "key needed, not set".to_owned(),
    });
    if let Some(q) = &p.last_quote {
        let age = p
            .last_quote_age_secs
            .map(|a| format!(" ({a} s old)"))
            .unwrap_or_default();
        parts.push(format!("{} EUR/BTC{age}", ln_invoice_cmd::format_rate(q.eur_per_btc)));
    }
    if let Some(d) = p.deviation_percent {
        parts.push(format!("{d}% from the rate"));
    }
    if let Some(ms) = p.latency_ms {
        parts.push(format!("{ms} ms"));
    }
    if let Some(breaker) = p.breaker {
        parts.push(format!("breaker {breaker}"));
    }
    if p.in_rate {
        parts.push("in the rate".to_owned());
    }
    format!("{} — {}", parts.join(", "), p.health)
}

async fn status(out: &Output, settings: &Settings, cfg: LndConfig) -> Result<(), CliError> {
    let host = cfg.host.clone();
    let macaroon_path = cfg.macaroon_path.clone();
    let client = LndClient::connect_lazy(cfg);
    let result = match &client {
        Ok(client) => node::node_status(client, &host, false).await,
        Err(e) => Err(e.clone()),
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
    let permissions = match &client {
        Ok(client) => Some(macaroon_cmd::check_permissions(client, &macaroon_path).await?),
        Err(_) => None,
    };
    if out.json {
        let mut value = serde_json::to_value(&status)?;
        if let (Some(map), Some(p)) = (value.as_object_mut(), &permissions) {
            map.insert("macaroon_permissions".to_string(), serde_json::to_value(p)?);
        }
        return out.print_json(&value);
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
    if let Some(p) = &permissions {
        if p.lacks.is_empty() {
            println!(
                "🔐 Macaroon: has every permission the gateway uses ({})",
                p.has.join(", ")
            );
        } else {
            println!(
                "⚠️  Macaroon lacks {} (has {}); bake one with: openfatture lightning macaroon bake --out FILE",
                p.lacks.join(", "),
                p.has.join(", ")
            );
        }
    }
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
