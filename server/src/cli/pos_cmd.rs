//! `openfatture pos till add|set|list|remove`, `openfatture pos day`, `openfatture pos close`,
//! `openfatture pos closing show|list`, `openfatture pos receipt` and `openfatture pos refund`:
//! the shop counter's tills, the day's figures, the numbered daily closing, a paid sale's
//! receipt and refunds (issue 36).

use clap::Subcommand;
use secrecy::ExposeSecret;

use super::{CliError, Output};
use crate::context::Services;
use app::i18n::Lang;

use crate::counter::{
    closing_csv, closing_pdf, ClosingView, CounterError, DayFilter, DayReport, FiguresView, ReceiptShop, RefundError,
    RefundRequest, RefundService,
};
use crate::render::{receipt_text, LINE_CHARS};
use crate::store::TillRow;

/// `openfatture pos ...`
#[derive(Debug, Subcommand)]
pub enum PosCommand {
    /// The shop's tills: add, set, list, remove.
    Till {
        /// The till action.
        #[command(subcommand)]
        command: TillCommand,
    },
    /// The day's figures at the counter (today, or --date), by till and cashier and in total.
    Day {
        /// The day, YYYY-MM-DD on the shop's clock (shop_timezone); today when left out.
        #[arg(long)]
        date: Option<String>,
        /// Only this till's sales.
        #[arg(long)]
        till: Option<String>,
        /// Only this cashier's sales.
        #[arg(long)]
        cashier: Option<String>,
    },
    /// Close the day (today, or a past unclosed --date): a numbered, immutable closing with the
    /// day's figures; sales paid after it go to the next day. One numbering for the shop; close
    /// the whole shop, or each till with --till (not both on one day).
    Close {
        /// The day, YYYY-MM-DD on the shop's clock; today when left out.
        #[arg(long)]
        date: Option<String>,
        /// Close only this till's day.
        #[arg(long)]
        till: Option<String>,
    },
    /// The closings made: show one, or list them.
    Closing {
        /// The closing action.
        #[command(subcommand)]
        command: ClosingCommand,
    },
    /// A paid sale's receipt as text, with a new customer link (`/r/...`); --print sends it to
    /// the sale's till printer.
    Receipt {
        /// The sale's id (its Lightning invoice id, like LN-000012).
        sale_id: String,
        /// Print it on the till's ESC/POS printer too.
        #[arg(long)]
        print: bool,
        /// The receipt's language: it (default) or en.
        #[arg(long, default_value = "it", value_parser = ["it", "en"])]
        lang: String,
    },
    /// Refund a paid sale, fully or in part, to the customer's BOLT11 or Lightning address.
    Refund {
        /// The sale's id (its Lightning invoice id).
        sale_id: String,
        /// EUR to refund, like 5.00 (never more than what is left of what was paid).
        #[arg(long)]
        amount_eur: String,
        /// The customer's BOLT11 invoice (with or without amount) or Lightning address (name@domain).
        #[arg(long)]
        to: String,
        /// Base URL used instead of https://DOMAIN for a Lightning address (tests only).
        #[arg(long, hide = true)]
        lnurl_base_url: Option<String>,
    },
}

/// `openfatture pos closing ...`
#[derive(Debug, Subcommand)]
pub enum ClosingCommand {
    /// One closing, as text, JSON, CSV (one row per figure line: totals, per till, per cashier)
    /// or PDF (written to --out).
    Show {
        /// Its number.
        number: i64,
        /// text (default), json, csv or pdf; --json means json.
        #[arg(long, default_value = "text", value_parser = ["text", "json", "csv", "pdf"])]
        format: String,
        /// Write the export to this file instead of the terminal (needed for pdf).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Every closing, the newest first.
    List,
}

/// `openfatture pos till ...`
#[derive(Debug, Subcommand)]
pub enum TillCommand {
    /// Add a till.
    Add {
        /// Its name, like "Cassa 1".
        name: String,
        /// Its ESC/POS receipt printer, HOST:PORT.
        #[arg(long)]
        printer: Option<String>,
        /// Its default IVA rate: 22, 10, 5, 4, or 0 with its Natura code (0:N2). Default 22.
        #[arg(long)]
        vat_rate: Option<String>,
    },
    /// Change a till's name, printer (empty removes it) or default IVA rate.
    Set {
        /// The till's name now.
        name: String,
        /// A new name.
        #[arg(long = "name", id = "new_name")]
        new_name: Option<String>,
        /// Its ESC/POS receipt printer, HOST:PORT ("" removes it).
        #[arg(long)]
        printer: Option<String>,
        /// Its default IVA rate: 22, 10, 5, 4, or 0:N1 … 0:N7.
        #[arg(long)]
        vat_rate: Option<String>,
        /// Print each paid sale's receipt on its printer by itself: on or off.
        #[arg(long, value_parser = ["on", "off"])]
        auto_print: Option<String>,
    },
    /// List the tills (the first is the default one).
    List,
    /// Remove a till (never the last one); its sales keep its name.
    Remove {
        /// The till's name.
        name: String,
    },
    /// Print a one-time code that pairs a tablet to a till (8 characters, valid 10 minutes):
    /// type it in the POS's "Pair this tablet" form.
    Pair {
        /// The till's name.
        name: String,
    },
    /// List the tablets paired to tills (to one till with NAME).
    Devices {
        /// Only this till's tablets.
        name: Option<String>,
    },
    /// Unpair a tablet: its sales go to the default till again.
    Unpair {
        /// The device's id, from `pos till devices`.
        device_id: i64,
    },
}

impl From<CounterError> for CliError {
    fn from(error: CounterError) -> Self {
        match error {
            CounterError::Store(e) => CliError::Store(e),
            other => CliError::Invalid(other.to_string()),
        }
    }
}

/// A till as `till list --json` prints it.
fn till_json(till: &TillRow, is_default: bool) -> serde_json::Value {
    serde_json::json!({
        "name": till.name,
        "printer": till.printer_address,
        "vat_rate": till.vat_rate,
        "auto_print": till.auto_print != 0,
        "default": is_default,
    })
}

/// Runs one `pos` subcommand.
pub(super) async fn run(out: &Output, services: Services<'_>, command: PosCommand) -> Result<(), CliError> {
    let store = services.store().await?;
    let counter = crate::counter::CounterService::new(store.clone());
    let result = match command {
        PosCommand::Till { command } => till(out, &counter, command).await,
        PosCommand::Day { date, till, cashier } => {
            let filter = DayFilter { till, cashier };
            match counter
                .day(date.as_deref(), &services.settings().shop_timezone, &filter)
                .await
            {
                Ok(report) if out.json => out.print_json(&report),
                Ok(report) => {
                    print_day(&report);
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
        PosCommand::Close { date, till } => {
            match counter
                .close_day(
                    date.as_deref(),
                    &services.settings().shop_timezone,
                    till.as_deref(),
                    "cli",
                )
                .await
            {
                Ok(view) if out.json => out.print_json(&view),
                Ok(view) => {
                    println!("✅ Closing no. {} made.", view.number);
                    print_closing(&view);
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
        PosCommand::Closing { command } => closing(out, &counter, &services.settings().receipt_shop(), command).await,
        PosCommand::Receipt { sale_id, print, lang } => {
            receipt(
                out,
                &counter,
                &services.settings().receipt_shop(),
                &sale_id,
                print,
                &lang,
            )
            .await
        }
        PosCommand::Refund {
            sale_id,
            amount_eur,
            to,
            lnurl_base_url,
        } => refund(out, &services, store.clone(), sale_id, amount_eur, to, lnurl_base_url).await,
    };
    store.close().await;
    result
}

/// `pos refund`: first resolves refunds left `sending`, then sends this one.
async fn refund(
    out: &Output,
    services: &Services<'_>,
    store: crate::store::Store,
    sale_id: String,
    amount_eur: String,
    to: String,
    lnurl_base_url: Option<String>,
) -> Result<(), CliError> {
    let service = RefundService::new(
        store,
        services.lnd()?,
        services.rates()?,
        services.settings().pos_refund_max_fee_ppm,
        lnurl_base_url,
    );
    service.resolve_sending().await.map_err(refund_error)?;
    let request = RefundRequest {
        sale_id,
        amount_eur,
        to,
        by: "cli".to_string(),
    };
    let row = service.refund(&request).await.map_err(refund_error)?;
    if out.json {
        return out.print_json(&row);
    }
    if row.state == "sending" {
        println!(
            "⏳ Refund of {} EUR is still in flight (payment hash {}); it is resolved at the next start or `pos refund`.",
            crate::store::cents_to_eur(row.amount_cents),
            row.payment_hash
        );
        return Ok(());
    }
    println!(
        "✅ Refunded {} EUR: {} sat at {} EUR/BTC ({}), fees {} msat (payment hash {}).",
        crate::store::cents_to_eur(row.amount_cents),
        row.amount_msat / 1000,
        row.eur_per_btc,
        row.rate_source,
        row.fee_msat,
        row.payment_hash
    );
    Ok(())
}

fn refund_error(error: RefundError) -> CliError {
    match error {
        RefundError::Store(e) => CliError::Store(e),
        RefundError::Lnd(e) => CliError::Lnd(e),
        other => CliError::Invalid(other.to_string()),
    }
}

async fn till(out: &Output, counter: &crate::counter::CounterService, command: TillCommand) -> Result<(), CliError> {
    match command {
        TillCommand::Add {
            name,
            printer,
            vat_rate,
        } => {
            let till = counter.add_till(&name, printer.as_deref(), vat_rate.as_deref()).await?;
            if out.json {
                return out.print_json(&till_json(&till, false));
            }
            println!("✅ Added till '{}' (IVA {}).", till.name, till.vat_rate);
            Ok(())
        }
        TillCommand::Set {
            name,
            new_name,
            printer,
            vat_rate,
            auto_print,
        } => {
            if new_name.is_none() && printer.is_none() && vat_rate.is_none() && auto_print.is_none() {
                return Err(CliError::Invalid(
                    "nothing to change: give --name, --printer, --vat-rate or --auto-print".into(),
                ));
            }
            let auto_print = auto_print.map(|value| value == "on");
            let till = counter
                .change_till(
                    &name,
                    new_name.as_deref(),
                    printer.as_deref(),
                    vat_rate.as_deref(),
                    auto_print,
                )
                .await?;
            if out.json {
                return out.print_json(&till_json(&till, false));
            }
            println!(
                "✅ Till '{}': IVA {}, printer {}, auto-print {}.",
                till.name,
                till.vat_rate,
                till.printer_address.as_deref().unwrap_or("none"),
                if till.auto_print != 0 { "on" } else { "off" }
            );
            Ok(())
        }
        TillCommand::List => {
            let tills = counter.tills().await?;
            if out.json {
                let list: Vec<_> = tills.iter().enumerate().map(|(i, t)| till_json(t, i == 0)).collect();
                return out.print_json(&list);
            }
            for (i, till) in tills.iter().enumerate() {
                println!(
                    "{:<24} IVA {:<6} printer {:<24}{}",
                    till.name,
                    till.vat_rate,
                    till.printer_address.as_deref().unwrap_or("none"),
                    if i == 0 { " (default)" } else { "" }
                );
            }
            Ok(())
        }
        TillCommand::Remove { name } => {
            let till = counter.remove_till(&name).await?;
            if out.json {
                return out.print_json(&serde_json::json!({ "removed": till.name }));
            }
            println!("✅ Removed till '{}'; its sales keep its name.", till.name);
            Ok(())
        }
        TillCommand::Pair { name } => {
            let (till, code) = counter.pairing_code(&name, "cli").await?;
            let minutes = crate::counter::PAIRING_CODE_TTL_SECS / 60;
            if out.json {
                return out.print_json(&serde_json::json!({
                    "till": till.name,
                    "code": code.expose_secret(),
                    "valid_minutes": minutes,
                }));
            }
            println!(
                "🔑 Pairing code for till '{}': {}\n   Type it once in the POS's \"Pair this tablet\" form; valid {minutes} minutes, single use.",
                till.name,
                code.expose_secret()
            );
            Ok(())
        }
        TillCommand::Devices { name } => {
            let devices = counter.devices(name.as_deref()).await?;
            if out.json {
                let list: Vec<_> = devices
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "id": d.id,
                            "till": d.till_name,
                            "paired_by": d.paired_by,
                            "paired_at": d.created_at,
                            "last_seen_at": d.last_seen_at,
                        })
                    })
                    .collect();
                return out.print_json(&list);
            }
            if devices.is_empty() {
                println!("No paired tablets: make a code with `openfatture pos till pair NAME`.");
            }
            for d in &devices {
                println!(
                    "{:>4}  {:<20}  paired by {} at {}",
                    d.id,
                    d.till_name,
                    d.paired_by,
                    crate::time::rfc3339(d.created_at)
                );
            }
            Ok(())
        }
        TillCommand::Unpair { device_id } => {
            let device = counter.unpair(device_id).await?;
            if out.json {
                return out.print_json(&serde_json::json!({ "unpaired": device.id, "till": device.till_name }));
            }
            println!(
                "✅ Unpaired tablet {} from till '{}'; its sales go to the default till.",
                device.id, device.till_name
            );
            Ok(())
        }
    }
}

/// `pos receipt`: the receipt's text and a new customer link; with `print`, on the till printer.
async fn receipt(
    out: &Output,
    counter: &crate::counter::CounterService,
    shop: &ReceiptShop,
    sale_id: &str,
    print: bool,
    lang: &str,
) -> Result<(), CliError> {
    let lang = if lang == "en" { Lang::En } else { Lang::It };
    let (sale, url) = counter.receipt_link(sale_id, shop).await?;
    let printed = if print {
        Some(counter.print_receipt(sale_id, shop, lang).await?)
    } else {
        None
    };
    if out.json {
        let r = &sale.receipt;
        return out.print_json(&serde_json::json!({
            "sale_id": r.sale_id,
            "url": url,
            "shop_name": r.shop_name,
            "shop_vat_number": r.shop_vat_number,
            "till": r.till,
            "cashier": r.cashier,
            "paid_at": r.paid_at_secs,
            "note": r.note,
            "gross_eur": format!("{:.2}", r.gross_eur),
            "vat_eur": r.vat.iter().map(|v| (v.rate_label.clone(), format!("{:.2}", v.vat_eur))).collect::<std::collections::BTreeMap<_, _>>(),
            "tip_eur": format!("{:.2}", r.tip_eur),
            "total_eur": format!("{:.2}", r.total_eur),
            "sats": r.paid_sat,
            "rate_eur_per_btc": r.rate_eur_per_btc.to_string(),
            "rate_source": r.rate_source,
            "payment_hash": r.payment_hash,
            "printed_to": printed,
        }));
    }
    print!("{}", receipt_text(&sale.receipt, lang, LINE_CHARS));
    println!();
    println!("Receipt link: {url}");
    if let Some(address) = printed {
        println!("✅ Printed on {address}.");
    }
    Ok(())
}

/// `pos closing show|list`.
async fn closing(
    out: &Output,
    counter: &crate::counter::CounterService,
    shop: &ReceiptShop,
    command: ClosingCommand,
) -> Result<(), CliError> {
    match command {
        ClosingCommand::Show {
            number,
            format,
            out: file,
        } => {
            if format == "pdf" && file.is_none() {
                return Err(CliError::Invalid(
                    "a PDF is written to a file: add --out FILE (like --out chiusura-1.pdf)".into(),
                ));
            }
            let view = counter.closing(number).await?;
            if let Some(path) = file {
                let bytes = match (out.json, format.as_str()) {
                    (_, "pdf") => closing_pdf(&view, shop),
                    (true, _) | (_, "json") => serde_json::to_vec_pretty(&view)
                        .map_err(|e| CliError::Invalid(format!("cannot write the closing as JSON: {e}")))?,
                    (_, "csv") => closing_csv(&view).into_bytes(),
                    _ => {
                        return Err(CliError::Invalid(
                            "--out writes a file: choose --format pdf, csv or json".into(),
                        ))
                    }
                };
                std::fs::write(&path, &bytes)
                    .map_err(|e| CliError::Invalid(format!("{}: cannot write the closing: {e}", path.display())))?;
                println!(
                    "✅ Closing no. {number} written to {} ({} bytes).",
                    path.display(),
                    bytes.len()
                );
                return Ok(());
            }
            match (out.json, format.as_str()) {
                (true, _) | (_, "json") => out.print_json(&view),
                (_, "csv") => {
                    print!("{}", closing_csv(&view));
                    Ok(())
                }
                _ => {
                    print_closing(&view);
                    Ok(())
                }
            }
        }
        ClosingCommand::List => {
            let list = counter.closings().await?;
            if out.json {
                return out.print_json(&list);
            }
            if list.is_empty() {
                println!("No closing yet: close a day with `openfatture pos close`.");
            }
            for view in &list {
                let figures = &view.figures;
                println!(
                    "No. {} {} {} closed {} by {}: {} sales, gross {} EUR, tips {} EUR, {} sats received",
                    view.number,
                    view.date,
                    view.till.as_deref().unwrap_or("(whole shop)"),
                    view.closed_at,
                    view.closed_by,
                    figures["sales"],
                    figures["gross_eur"].as_str().unwrap_or(""),
                    figures["tips_eur"].as_str().unwrap_or(""),
                    figures["sats_received"]
                );
            }
            Ok(())
        }
    }
}

/// A closing as text.
fn print_closing(view: &ClosingView) {
    println!(
        "Closing no. {} of {} ({}), closed {} by {}",
        view.number,
        view.date,
        view.till.as_deref().unwrap_or("whole shop"),
        view.closed_at,
        view.closed_by
    );
    match serde_json::from_value::<DayReport>(view.figures.clone()) {
        Ok(report) => print_day(&report),
        Err(_) => println!("{}", view.figures),
    }
}

/// The day's figures as text.
fn print_day(report: &DayReport) {
    println!("Day {} ({})", report.date, report.timezone);
    if let Some(number) = report.closing {
        println!("  Closed: closing no. {number}");
    }
    print_figures("Total", &report.total);
    for figures in &report.by_till {
        print_figures(&format!("Till {}", figures.name.as_deref().unwrap_or("")), figures);
    }
    for figures in &report.by_cashier {
        print_figures(&format!("Cashier {}", figures.name.as_deref().unwrap_or("")), figures);
    }
}

fn print_figures(title: &str, f: &FiguresView) {
    let vat: Vec<String> = f.vat_eur.iter().map(|(rate, eur)| format!("{rate}%: {eur}")).collect();
    println!(
        "  {title}: {} sales, gross {} EUR, IVA {:.2} EUR [{}], net {} EUR, tips {} EUR, refunds {} EUR \
         ({} sat, fees {} sat), {} sats received; {} expired, {} cancelled, {} open",
        f.sales,
        f.gross_eur,
        f.vat_eur
            .values()
            .filter_map(|v| v.parse::<rust_decimal::Decimal>().ok())
            .sum::<rust_decimal::Decimal>(),
        vat.join(", "),
        f.net_eur,
        f.tips_eur,
        f.refunds_eur,
        f.refunds_sat,
        f.refund_fees_sat,
        f.sats_received,
        f.expired,
        f.cancelled,
        f.open
    );
}
