//! The `simnode` command line, as a reusable clap subcommand type (the `openfatture` CLI
//! re-exports it).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::control::{FaultCommand, PayOptions, PayStatus};
use crate::error::SimNodeError;
use crate::node::{start, SimNodeConfig};

/// simnode's subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Run a simulated LND node until Ctrl-C or SIGTERM.
    Run(RunArgs),
    /// Pay one of the running node's invoices as a simulated customer.
    Pay(PayArgs),
    /// Inject a fault into the running node's gRPC surface.
    Fault(FaultArgs),
    /// Print a BOLT11 of a simulated remote customer node that our node can pay (a refund).
    Invoice(InvoiceArgs),
    /// Say whether a customer invoice (from `simnode invoice`) was paid, and how much.
    InvoiceStatus(InvoiceStatusArgs),
}

/// Arguments of `simnode invoice`.
#[derive(Debug, Clone, clap::Args)]
pub struct InvoiceArgs {
    /// Data directory of the running node.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Amount in msat; without it, a zero-amount invoice.
    #[arg(long)]
    pub amount_msat: Option<u64>,
    /// Description of the invoice.
    #[arg(long)]
    pub memo: Option<String>,
    /// Description hash (64 hex digits) instead of the memo, as an LNURL-pay server issues it.
    #[arg(long)]
    pub description_hash: Option<String>,
}

/// Arguments of `simnode invoice-status`.
#[derive(Debug, Clone, clap::Args)]
pub struct InvoiceStatusArgs {
    /// Data directory of the running node.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The BOLT11 that `simnode invoice` printed.
    pub bolt11: String,
    /// Print `{"paid": …, "amount_msat": …}`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `simnode run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Data directory (created if missing; LND layout for tls.cert and macaroons).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// gRPC listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:10009")]
    pub listen: SocketAddr,
    /// Topology TOML file of `[[channel]]` tables (read only for a fresh data directory).
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Alias reported by GetInfo.
    #[arg(long)]
    pub alias: Option<String>,
}

/// Arguments of `simnode pay`.
#[derive(Debug, Clone, clap::Args)]
pub struct PayArgs {
    /// Data directory of the running node.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The BOLT11 payment request to pay.
    pub bolt11: String,
    /// Receive the payment on this channel (short channel id).
    #[arg(long = "via")]
    pub via_chan_id: Option<u64>,
    /// Amount in msat: required for zero-amount invoices; less than the invoice amount pays
    /// one part of a multi-part payment.
    #[arg(long)]
    pub amount_msat: Option<u64>,
}

/// Arguments of `simnode fault`.
#[derive(Debug, Clone, clap::Args)]
pub struct FaultArgs {
    /// Data directory of the running node.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The fault.
    #[command(subcommand)]
    pub kind: FaultKind,
}

/// The faults `simnode fault` can inject.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum FaultKind {
    /// Delay calls by N milliseconds.
    Latency {
        /// Delay in milliseconds.
        #[arg(long)]
        ms: u64,
        /// Only this method (e.g. GetInfo or /lnrpc.Lightning/GetInfo).
        #[arg(long)]
        method: Option<String>,
    },
    /// Answer the next N calls with UNAVAILABLE.
    Unavailable {
        /// Number of calls.
        #[arg(long)]
        count: u32,
    },
    /// End all open streams now.
    DropStreams,
    /// Make SendPaymentV2 payments take N milliseconds (past timeout_seconds they time out).
    SlowPayments {
        /// Time a payment takes, milliseconds.
        #[arg(long)]
        ms: u64,
    },
    /// Remove all faults.
    Clear,
    /// Force-close a channel: it moves to ClosedChannels (LOCAL_FORCE_CLOSE, or
    /// REMOTE_FORCE_CLOSE with --remote) with a closing txid.
    ForceClose {
        /// Short channel id of the channel (ListChannels' chan_id).
        #[arg(long)]
        chan_id: u64,
        /// The peer force-closed (REMOTE_FORCE_CLOSE) rather than us.
        #[arg(long)]
        remote: bool,
    },
    /// Take a peer offline: ListPeers loses it and its channels become inactive.
    PeerOffline {
        /// The peer's pubkey (hex) or alias.
        #[arg(long)]
        peer: String,
    },
    /// Bring a peer back online: its channels become active again.
    PeerOnline {
        /// The peer's pubkey (hex) or alias.
        #[arg(long)]
        peer: String,
    },
}

impl From<FaultKind> for FaultCommand {
    fn from(kind: FaultKind) -> Self {
        match kind {
            FaultKind::Latency { ms, method } => FaultCommand::Latency { ms, method },
            FaultKind::Unavailable { count } => FaultCommand::Unavailable { count },
            FaultKind::DropStreams => FaultCommand::DropStreams,
            FaultKind::SlowPayments { ms } => FaultCommand::SlowPayments { ms },
            FaultKind::Clear => FaultCommand::Clear,
            FaultKind::ForceClose { chan_id, remote } => FaultCommand::ForceClose { chan_id, remote },
            FaultKind::PeerOffline { peer } => FaultCommand::PeerOffline { peer },
            FaultKind::PeerOnline { peer } => FaultCommand::PeerOnline { peer },
        }
    }
}

/// Runs one subcommand, printing its result on stdout.
pub async fn run(cmd: Command) -> Result<(), SimNodeError> {
    match cmd {
        Command::Run(args) => run_node(args).await,
        Command::Pay(args) => {
            let opts = PayOptions {
                via_chan_id: args.via_chan_id,
                amount_msat: args.amount_msat,
            };
            let outcome = crate::control::client::pay(&args.data_dir, &args.bolt11, opts).await?;
            let what = match outcome.status {
                PayStatus::Settled => "settled".to_string(),
                PayStatus::HoldAccepted => {
                    "accepted: hold invoice, HTLC held until the invoice is settled or canceled".to_string()
                }
                PayStatus::PartAccepted => format!(
                    "part accepted: {} msat received so far, the invoice stays open until the parts add up",
                    outcome.invoice_received_msat
                ),
            };
            println!(
                "payment {what}: {} msat on channel {} (payment hash {})",
                outcome.amount_msat, outcome.chan_id, outcome.payment_hash_hex
            );
            if let Some(preimage) = outcome.preimage_hex {
                println!("preimage {preimage}");
            }
            Ok(())
        }
        Command::Invoice(args) => {
            let req = crate::ledger::customer::CustomerInvoiceRequest {
                amount_msat: args.amount_msat.filter(|a| *a > 0),
                memo: args.memo,
                description_hash_hex: args.description_hash,
            };
            let created = crate::control::client::customer_invoice(&args.data_dir, &req).await?;
            println!("{}", created.payment_request);
            Ok(())
        }
        Command::InvoiceStatus(args) => {
            let status = crate::control::client::customer_invoice_status(&args.data_dir, &args.bolt11).await?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "paid": status.paid,
                        "amount_msat": status.amount_msat,
                        "invoice_amount_msat": status.invoice_amount_msat,
                        "payment_hash": status.payment_hash_hex,
                    })
                );
            } else if status.paid {
                println!(
                    "paid: {} msat (payment hash {})",
                    status.amount_msat, status.payment_hash_hex
                );
            } else {
                println!("not paid (payment hash {})", status.payment_hash_hex);
            }
            Ok(())
        }
        Command::Fault(args) => {
            crate::control::client::fault(&args.data_dir, args.kind.into()).await?;
            println!("fault applied");
            Ok(())
        }
    }
}

async fn run_node(args: RunArgs) -> Result<(), SimNodeError> {
    let node = start(SimNodeConfig {
        data_dir: args.data_dir,
        listen: args.listen,
        topology: args.topology,
        alias: args.alias,
    })
    .await?;
    println!("simnode listening on {}", node.grpc_addr());
    println!("tls cert: {}", node.tls_cert_path().display());
    println!(
        "admin macaroon: {}",
        node.macaroon_path(crate::MacaroonKind::Admin).display()
    );
    println!("node pubkey: {}", node.node_pubkey_hex());
    println!("control: {}", node.control_url());
    wait_for_termination().await;
    node.shutdown().await;
    println!("simnode stopped");
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn wait_for_termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
