//! `openfatture lightning liquidity status`.

use clap::Subcommand;
use rust_decimal::Decimal;

use super::format::{compact_sats, grouped};
use super::{CliError, Output};
use crate::config::Settings;
use crate::liquidity::{fetch_report, LiquidityPolicy, LiquidityReport};
use crate::lnd::{LndClient, LndConfig};

/// `openfatture lightning liquidity ...`
#[derive(Debug, Subcommand)]
pub enum LiquidityCommand {
    /// Inbound/outbound balance per channel, what can be received now, and a balance score.
    Status,
}

/// Runs one `lightning liquidity` subcommand.
pub(super) async fn run_liquidity(out: &Output, settings: &Settings, command: LiquidityCommand) -> Result<(), CliError> {
    match command {
        LiquidityCommand::Status => status(out, settings).await,
    }
}

async fn status(out: &Output, settings: &Settings) -> Result<(), CliError> {
    let client = LndClient::connect_lazy(LndConfig::from_settings(settings)?)?;
    let report = fetch_report(&client, &LiquidityPolicy::from_settings(settings)).await?;
    if out.json {
        return out.print_json(&report);
    }
    print_report(&report);
    Ok(())
}

/// A ratio as a percentage with one decimal: `0.1234` → `12.3%`.
fn percent(ratio: Decimal) -> String {
    format!("{}%", (ratio * Decimal::ONE_HUNDRED).round_dp(1).normalize())
}

fn print_report(report: &LiquidityReport) {
    let p = &report.policy;
    let t = &report.totals;
    if report.channels.is_empty() {
        println!("❌ No channels: this node cannot receive payments. Open a channel to a well-connected peer.");
        return;
    }
    println!(
        "📊 Channels: {} ({} active), {} sats capacity",
        t.channels,
        t.active_channels,
        compact_sats(t.capacity_sat)
    );
    println!(
        "💰 Balance: {} sats local, {} sats remote (inbound {})",
        compact_sats(t.local_sat),
        compact_sats(t.remote_sat),
        percent(t.inbound_ratio)
    );
    println!(
        "📥 Receivable now: {} sats in one payment, {} sats with multi-part",
        grouped(report.max_receivable_single_sat),
        grouped(report.max_receivable_multipart_sat)
    );
    println!(
        "⚖️  Balance score: {}/100 (inbound ratio target {}, bounds {}–{})",
        report.balance_score,
        percent(p.target_ratio),
        percent(p.min_ratio),
        percent(p.max_ratio)
    );
    if t.needs_inbound > 0 {
        println!("⚠️  {} channel(s) need inbound capacity (inbound below {})", t.needs_inbound, percent(p.min_ratio));
    }
    if t.needs_outbound > 0 {
        println!("⚠️  {} channel(s) need outbound capacity (inbound above {})", t.needs_outbound, percent(p.max_ratio));
    }
    if t.needs_inbound == 0 && t.needs_outbound == 0 {
        println!("✅ Every channel is within the bounds");
    }
    println!();
    let header = ["CHANNEL ID", "PEER", "ACTIVE", "STATUS", "CAPACITY", "LOCAL", "REMOTE", "INBOUND", "TO TARGET", "RESERVE"]
        .map(String::from);
    let rows: Vec<[String; 10]> = report
        .channels
        .iter()
        .map(|c| {
            let peer = if c.peer_alias.is_empty() { c.peer_pubkey.clone() } else { c.peer_alias.clone() };
            let to_target = match c.inbound_to_target_sat {
                n if n > 0 => format!("+{}", grouped(n.unsigned_abs())),
                n if n < 0 => format!("-{}", grouped(n.unsigned_abs())),
                _ => "0".to_string(),
            };
            [
                c.chan_id.to_string(),
                peer,
                if c.active { "yes" } else { "no" }.to_string(),
                c.flag.label().to_string(),
                grouped(c.capacity_sat),
                grouped(c.local_sat),
                grouped(c.remote_sat),
                percent(c.inbound_ratio),
                to_target,
                grouped(c.remote_reserve_sat),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    print_row(&header, &widths);
    for row in &rows {
        print_row(row, &widths);
    }
    println!("(sats; INBOUND = remote/capacity; TO TARGET = inbound sats to add; RESERVE = the peer's reserve)");
}

/// Text columns (the first four) left-aligned, numbers right-aligned.
fn print_row(cells: &[String; 10], widths: &[usize; 10]) {
    let line: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (cell, w))| {
            let pad = w.saturating_sub(cell.chars().count());
            if i >= 4 {
                format!("{}{cell}", " ".repeat(pad))
            } else {
                format!("{cell}{}", " ".repeat(pad))
            }
        })
        .collect();
    println!("{}", line.join("  ").trim_end());
}
