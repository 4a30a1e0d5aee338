//! The `openfatture` command line: `config`, `invoice`, `lightning`, `pos`, `serve`, `user` and `simnode`.
//!
//! Every command accepts `--json` for machine-readable output; errors then go to stderr as
//! `{"error": "..."}`. Exit codes: 0 success, 1 failure, 2 usage error.

mod alerts_cmd;
mod backup_cmd;
mod config_cmd;
mod fees_cmd;
mod format;
mod invoice_cmd;
mod lightning_cmd;
mod liquidity_cmd;
mod ln_invoice_cmd;
mod macaroon_cmd;
mod paging;
mod pos_cmd;
mod tracking_cmd;
mod user_cmd;

pub use backup_cmd::BackupCommand;
pub use fees_cmd::FeesCommand;
pub use invoice_cmd::{AddArgs, InvoiceCommand};
pub use liquidity_cmd::LiquidityCommand;
pub use ln_invoice_cmd::{CreateArgs, ExportFormat, LnInvoiceCommand, PaymentsCommand};
pub use macaroon_cmd::MacaroonCommand;
pub use pos_cmd::{PosCommand, TillCommand};
pub use tracking_cmd::{WatchArgs, WebhooksCommand};
pub use user_cmd::UserCommand;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, EnvVars, Home, Settings};
use crate::context::Services;
use crate::gateway::{self, ServeArgs};
use crate::lnd::LndError;

/// OpenFatture Lightning: get paid in bitcoin over Lightning for EUR invoices.
#[derive(Debug, Parser)]
#[command(name = "openfatture", version, about)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and change settings (config.toml; environment variables override it).
    Config {
        /// The config action.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The EUR invoices to be paid: add, list, show, import FatturaPA XML.
    Invoice {
        /// The invoice action.
        #[command(subcommand)]
        command: InvoiceCommand,
    },
    /// Talk to the LND node.
    Lightning {
        /// The lightning action.
        #[command(subcommand)]
        command: LightningCommand,
    },
    /// The shop counter: tills and the day's figures.
    Pos {
        /// The counter action.
        #[command(subcommand)]
        command: PosCommand,
    },
    /// Run the web gateway (with an embedded simulated node when no LND is configured).
    Serve(ServeOpts),
    /// Staff accounts for the web app: add, list, remove.
    User {
        /// The user action.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Run or drive a simulated LND node.
    Simnode {
        /// The simnode action.
        #[command(subcommand)]
        command: simnode::cli::Command,
    },
}

/// `openfatture config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a value and save it to config.toml.
    Set {
        /// Setting name, e.g. lightning_host.
        key: String,
        /// New value.
        value: String,
    },
    /// Show a setting's effective value and where it comes from (env, file or default).
    Get {
        /// Setting name.
        key: String,
    },
    /// Show every setting (secrets only as set / not set).
    List,
    /// Remove a setting from config.toml, so its default applies again.
    Unset {
        /// Setting name.
        key: String,
    },
    /// Print the config file and data directory locations.
    Path,
}

/// `openfatture lightning ...`
#[derive(Debug, Subcommand)]
pub enum LightningCommand {
    /// Test the LND connection and show channels and balances.
    Status,
    /// List the node's channels.
    Channels,
    /// Lightning invoices: create, list, status, cancel.
    Invoice {
        /// The Lightning invoice action.
        #[command(subcommand)]
        command: LnInvoiceCommand,
    },
    /// Received payments: list, show, export.
    Payments {
        /// The payments action.
        #[command(subcommand)]
        command: PaymentsCommand,
    },
    /// BTC/EUR rate providers, their state and the rate in use.
    Rates,
    /// Channel liquidity: inbound/outbound balance, what can be received now.
    Liquidity {
        /// The liquidity action.
        #[command(subcommand)]
        command: LiquidityCommand,
    },
    /// Track payments and deliver webhooks in the foreground (Ctrl-C to stop).
    Watch(WatchArgs),
    /// Webhook endpoints and deliveries: add, list, remove, deliveries, redeliver, test.
    Webhooks {
        /// The webhooks action.
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Static channel backups: export from the node, verify a file, list the stored ones.
    Backup {
        /// The backup action.
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Open node alerts: force closes in the last 7 days, channels inactive too long, open
    /// channels no stored backup covers; and the time of the last backup.
    Alerts,
    /// Our routing fees per channel and the fees earned (FeeReport); `fees set` changes them.
    Fees {
        /// `set`; without it, the report.
        #[command(subcommand)]
        command: Option<FeesCommand>,
    },
    /// What the node forwarded (ForwardingHistory) and our own rebalances' success rate and fees.
    Forwards {
        /// Since a date (YYYY-MM-DD, UTC) or a duration back from now (7d, 24h); default 30d.
        #[arg(long, value_name = "YYYY-MM-DD|DURATION")]
        since: Option<String>,
    },
    /// Least-privilege macaroons: bake one with exactly the gateway's permissions, rotate it.
    Macaroon {
        /// The macaroon action.
        #[command(subcommand)]
        command: MacaroonCommand,
    },
}

/// Options of `openfatture serve`.
#[derive(Debug, clap::Args)]
pub struct ServeOpts {
    /// Address the web UI listens on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Data directory of the embedded simulated node.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Everything a command can fail with; `Display` is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A configuration problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A problem talking to LND.
    #[error(transparent)]
    Lnd(#[from] LndError),
    /// The gateway could not start, or stopped with an error.
    #[error(transparent)]
    Gateway(#[from] gateway::GatewayError),
    /// A simnode command failed.
    #[error("{0}")]
    Simnode(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A value given on the command line is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The services could not be set up.
    #[error(transparent)]
    Context(#[from] crate::context::ContextError),
    /// The rate settings do not fit together.
    #[error(transparent)]
    Rates(#[from] crate::rates::RatesConfigError),
    /// An invoice operation was refused or failed.
    #[error(transparent)]
    Invoice(#[from] crate::invoices::InvoiceError),
    /// A payment link operation failed.
    #[error(transparent)]
    Link(#[from] crate::invoices::LinkError),
    /// An email could not be sent.
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A webhook setting or delivery problem.
    #[error(transparent)]
    Webhook(#[from] crate::webhooks::WebhookError),
    /// Channel events or alerts could not be read.
    #[error(transparent)]
    ChannelWatch(#[from] crate::node::ChannelWatchError),
    /// Output could not be encoded as JSON.
    #[error("cannot encode the output as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parses the command line, runs it and returns the process exit code.
pub fn main() -> ExitCode {
    // clap prints help/version (exit 0) and usage errors (exit 2) itself.
    let cli = Cli::parse();
    init_tracing();
    crate::lnd::install_crypto_provider();
    let json = cli.json;
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report_error(&error, json);
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings), coloured only when stderr is a
/// terminal (no escape codes in log files or journald).
fn init_tracing() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn report_error(error: &CliError, json: bool) {
    if json {
        eprintln!("{}", serde_json::json!({ "error": error.to_string() }));
    } else {
        eprintln!("Error: {error}");
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let env = EnvVars::from_process();
    let out = Output { json: cli.json };
    match cli.command {
        Command::Config { command } => {
            let home = Home::from_vars(&env)?;
            config_cmd::run(&out, &home, &env, command)
        }
        Command::Invoice { command } => {
            let home = Home::from_vars(&env)?;
            let settings = Settings::load_with(&home, &env)?;
            invoice_cmd::run(&out, Services::new(&home, &settings), command).await
        }
        Command::Lightning { command } => {
            let home = Home::from_vars(&env)?;
            let settings = Settings::load_with(&home, &env)?;
            lightning_cmd::run(&out, Services::new(&home, &settings), command).await
        }
        Command::Pos { command } => {
            let home = Home::from_vars(&env)?;
            let settings = Settings::load_with(&home, &env)?;
            pos_cmd::run(&out, Services::new(&home, &settings), command).await
        }
        Command::Serve(opts) => {
            let home = Home::from_vars(&env)?;
            let settings = Settings::load_with(&home, &env)?;
            let args = ServeArgs {
                listen: opts.listen,
                simnode_data_dir: opts.data_dir,
                first_admin: gateway::FirstAdmin::from_env(&env),
            };
            Ok(gateway::serve(settings, home, args).await?)
        }
        Command::User { command } => {
            let home = Home::from_vars(&env)?;
            let settings = Settings::load_with(&home, &env)?;
            user_cmd::run(&out, Services::new(&home, &settings), command).await
        }
        Command::Simnode { command } => simnode::cli::run(command)
            .await
            .map_err(|e| CliError::Simnode(e.to_string())),
    }
}

/// Turns `--limit`/`--page` (from 1) into a limit and an offset.
pub(crate) fn paging(limit: u32, page: u32) -> Result<(u32, u32), CliError> {
    const MAX_LIMIT: u32 = 1000;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(CliError::Invalid(format!(
            "--limit must be between 1 and {MAX_LIMIT} (got {limit})"
        )));
    }
    if page == 0 {
        return Err(CliError::Invalid("--page starts at 1".into()));
    }
    let offset = (page - 1)
        .checked_mul(limit)
        .ok_or_else(|| CliError::Invalid(format!("--page {page} is too large")))?;
    Ok((limit, offset))
}

/// Where and how command output is printed.
pub(crate) struct Output {
    /// JSON instead of text.
    pub json: bool,
}

impl Output {
    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<(), CliError> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }
}
