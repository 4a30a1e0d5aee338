//! `cargo run --release -p bench`: measures the gateway against raw gRPC on the same simnode,
//! settle → SSE / webhook latency, gateway memory and the wasm bundle size, prints a table and
//! writes `bench/RESULTS.md`.
//!
//! Options: `--secs N` (seconds per load cell, default 4), `--settles N` (payments timed,
//! default 100), `--stored N` (invoices stored for the list-page run, default 1,000,000; 0 skips
//! it), `--resume N` (settles replayed at the restart-resume run, default 100,000; 0 skips it),
//! `--wasm FILE` (measure this wasm instead of `target/site/pkg/openfatture.wasm`),
//! `--no-build` (use the existing `target/release/openfatture`), `--no-write` (print only),
//! `--signins N` (sequential sign-ins before the RSS reading of (7), default 100; 0 skips it),
//! `--signin-only` (run only (7) and print it; fast), `--bin FILE` (measure this gateway binary,
//! e.g. a debug build, instead of building the release one), `--quotes N` (rate quotes timed per
//! scenario of (8), default 200; 0 skips it), `--rates-only` (run only (8) and print it; needs
//! no gateway build).

mod gateway;
mod listing;
mod lists;
mod load;
mod rates;
mod report;
mod resume;
mod settle;
mod signin;
mod wasm;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use openfatture::config::{EmbeddedNode, EnvVars, Home, Settings};
use openfatture::lnd::LndClient;

use crate::gateway::GatewayProcess;
use crate::load::Stats;

/// The heading of `bench/RESULTS.md`'s part measured by hand; a run keeps it, below its own.
const KEPT_HEADING: &str = "## Measured by hand";

/// Quotes timed per rate scenario that waits on a dead provider (each takes up to the 2.5 s budget).
const RATES_SLOW_QUOTES: usize = 8;

/// Concurrent clients of the invoice-creation comparison.
const CONCURRENCY: [usize; 3] = [1, 8, 64];
/// EUR amount of a load-test sale, and the same amount in sat at the 45,000 EUR/BTC fallback rate
/// (12.50 / 45,000 BTC = 27,777.8 sat, rounded up).
const LOAD_AMOUNT_EUR: &str = "12,50";
const LOAD_AMOUNT_SAT: i64 = 27_778;

/// Command-line options.
struct Options {
    secs_per_cell: u64,
    settles: usize,
    stored: u64,
    resume: u64,
    build: bool,
    write: bool,
    wasm: Option<PathBuf>,
    signins: usize,
    signin_only: bool,
    bin: Option<PathBuf>,
    quotes: usize,
    rates_only: bool,
    lists: u64,
    list_rounds: usize,
    lists_only: bool,
}

fn parse_options() -> Result<Options> {
    let mut options = Options {
        secs_per_cell: 4,
        settles: 100,
        stored: 1_000_000,
        resume: 100_000,
        build: true,
        write: true,
        wasm: None,
        signins: 100,
        signin_only: false,
        bin: None,
        quotes: 200,
        rates_only: false,
        // 70 % of them settled: about 1 M payments.
        lists: 1_430_000,
        list_rounds: 100,
        lists_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow!("{name} needs a whole number"))
        };
        match arg.as_str() {
            "--secs" => options.secs_per_cell = number("--secs")?.max(1),
            "--settles" => options.settles = usize::try_from(number("--settles")?.max(1))?,
            "--stored" => options.stored = number("--stored")?,
            "--resume" => options.resume = number("--resume")?,
            "--no-build" => options.build = false,
            "--no-write" => options.write = false,
            "--signins" => options.signins = usize::try_from(number("--signins")?)?,
            "--signin-only" => options.signin_only = true,
            "--quotes" => options.quotes = usize::try_from(number("--quotes")?)?,
            "--rates-only" => options.rates_only = true,
            "--lists" => options.lists = number("--lists")?,
            "--list-rounds" => options.list_rounds = usize::try_from(number("--list-rounds")?.max(1))?,
            "--lists-only" => options.lists_only = true,
            // Every scenario small: a few minutes on a laptop, for a developer (the test command
            // does not run it).
            "--quick" => {
                options.secs_per_cell = 1;
                options.settles = 20;
                options.stored = 20_000;
                options.resume = 2_000;
                options.signins = 10;
                options.quotes = 20;
                options.lists = 20_000;
                options.list_rounds = 20;
            }
            "--bin" => {
                options.bin = Some(PathBuf::from(
                    args.next().ok_or_else(|| anyhow!("--bin needs a file"))?,
                ));
            }
            "--wasm" => {
                options.wasm = Some(PathBuf::from(
                    args.next().ok_or_else(|| anyhow!("--wasm needs a file"))?,
                ));
            }
            other => bail!(
                "unknown option {other}; use --secs N, --settles N, --stored N, --resume N, --wasm FILE, --no-build, --no-write, --signins N, --signin-only, --bin FILE, --quotes N, --rates-only, --lists N, --list-rounds N, --lists-only, --quick"
            ),
        }
    }
    Ok(options)
}

/// Everything one run measured.
pub struct Run {
    /// Per concurrency: (clients, gateway, raw gRPC).
    pub creation: Vec<(usize, Stats, Stats)>,
    /// Diagnostic: raw `GetInfo` (a call that writes nothing) with one client, after (1).
    pub raw_get_info: Stats,
    /// Invoices the simnode held after (1) (its whole state is rewritten on every AddInvoice).
    pub node_invoices_after_load: usize,
    /// Settle → SSE / webhook.
    pub settle: Option<settle::SettleResults>,
    /// Why the settle run failed, if it did.
    pub settle_error: Option<String>,
    /// Gateway RSS (KiB): idle after start, peak under load, idle after load.
    pub rss_idle_kib: u64,
    /// See `rss_idle_kib`.
    pub rss_load_peak_kib: u64,
    /// See `rss_idle_kib`.
    pub rss_after_load_kib: u64,
    /// The wasm bundle, or why it could not be measured.
    pub wasm: Result<wasm::WasmSize, String>,
    /// Seconds per load cell.
    pub secs_per_cell: u64,
    /// The list page with many stored invoices, or why it was not measured.
    pub listing: Result<Listing, String>,
    /// (6) restart resume, or why it was not measured.
    pub resume: Result<resume::Resume, String>,
}

/// (5): the admin list page with many stored invoices.
pub struct Listing {
    /// Invoices stored.
    pub stored: u64,
    /// How long the bulk insert took.
    pub fill: Duration,
    /// How long the gateway took from spawn to listening on that store.
    pub restart: Duration,
    /// First page, all states.
    pub all_states: Stats,
    /// First page, state OPEN.
    pub open_only: Stats,
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Builds the release gateway binary (when run through cargo) and returns its path.
fn gateway_binary(workspace: &Path, build: bool) -> Result<PathBuf> {
    if build {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        eprintln!("building the release gateway: cargo build --release -p server --bin openfatture");
        let status = std::process::Command::new(cargo)
            .args(["build", "--release", "-p", "server", "--bin", "openfatture"])
            .current_dir(workspace)
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("building the release gateway failed");
        }
    }
    let bin = workspace.join("target/release/openfatture");
    if !bin.exists() {
        bail!("{} is missing: run without --no-build", bin.display());
    }
    Ok(bin)
}

/// Samples a process's RSS every 50 ms and keeps the highest value until stopped.
struct RssSampler {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak, stopped) = (peak_kib.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(kib) = read_rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        RssSampler { peak_kib, stop, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak_kib.load(Ordering::Relaxed)
    }
}

fn read_rss_kib(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS for {pid}"))
}

async fn raw_client(home: &Path) -> Result<LndClient> {
    if EmbeddedNode::read(home).is_none() {
        bail!("the gateway wrote no embedded-node.json");
    }
    // The same settings a CLI command in this home would use: the embedded node, admin macaroon.
    let env = EnvVars::from_pairs([("LIGHTNING_COINGECKO_ENABLED", "false")]);
    let settings = Settings::load_with(&Home::at(home), &env)?;
    let mut config = settings.lnd_config()?;
    config.max_retries = 0;
    Ok(LndClient::connect(config).await?)
}

async fn gateway_cell(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    clients: usize,
    run_for: Duration,
) -> Stats {
    let (http, base_url, cookie) = (http.clone(), base_url.to_string(), cookie.to_string());
    load::closed_loop(clients, run_for, move || {
        let (http, base_url, cookie) = (http.clone(), base_url.clone(), cookie.clone());
        async move {
            gateway::pos_charge(&http, &base_url, &cookie, LOAD_AMOUNT_EUR).await?;
            Ok(())
        }
    })
    .await
}

async fn raw_cell(client: &LndClient, clients: usize, run_for: Duration) -> Stats {
    let client = client.clone();
    load::closed_loop(clients, run_for, move || {
        let client = client.clone();
        async move {
            let invoice = lnd_proto::lnrpc::Invoice {
                memo: "POS sale".to_string(),
                value: LOAD_AMOUNT_SAT,
                expiry: 15 * 60,
                ..Default::default()
            };
            client.add_invoice(invoice).await?;
            Ok(())
        }
    })
    .await
}

async fn measure(options: &Options, workspace: &Path, bin: &Path) -> Result<Run> {
    let mut home_dir = tempfile::Builder::new().prefix("openfatture-bench-").tempdir()?;
    // BENCH_KEEP_HOME keeps the gateway's home (its log and databases) for a look afterwards.
    home_dir.disable_cleanup(std::env::var_os("BENCH_KEEP_HOME").is_some());
    let home = home_dir.path();
    let hooks = settle::WebhookReceiver::start().await?;
    hooks.register(home).await?;
    let gw = GatewayProcess::spawn(bin, home, &workspace.join("target/site")).await?;
    eprintln!(
        "gateway pid {} on {} (home {})",
        gw.pid(),
        gw.base_url,
        gw.home.display()
    );

    // (4) idle memory: started, nothing asked yet.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle_kib = gw.rss_kib()?;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()?;
    let cookie = gateway::sign_in(&http, &gw.base_url).await?;
    let raw = raw_client(home).await?;

    // Warm both paths up (connections, caches, the SQLite file).
    let warm = Duration::from_secs(1);
    let _ = gateway_cell(&http, &gw.base_url, &cookie, 8, warm).await;
    let _ = raw_cell(&raw, 8, warm).await;

    // (1) invoice creation, side by side.
    let run_for = Duration::from_secs(options.secs_per_cell);
    let mut creation = Vec::new();
    let mut rss_load_peak_kib = 0;
    for clients in CONCURRENCY {
        eprintln!("invoice creation with {clients} client(s)…");
        let sampler = RssSampler::start(gw.pid());
        let via_gateway = gateway_cell(&http, &gw.base_url, &cookie, clients, run_for).await;
        rss_load_peak_kib = rss_load_peak_kib.max(sampler.finish().await);
        let via_raw = raw_cell(&raw, clients, run_for).await;
        creation.push((clients, via_gateway, via_raw));
    }
    rss_load_peak_kib = rss_load_peak_kib.max(gw.peak_rss_kib().unwrap_or(0));
    let raw_get_info = {
        let client = raw.clone();
        load::closed_loop(1, Duration::from_secs(1), move || {
            let client = client.clone();
            async move {
                client.get_info().await?;
                Ok(())
            }
        })
        .await
    };
    let node_invoices_after_load: usize = creation.iter().map(|(_, g, r)| g.ok + r.ok).sum();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_load_kib = gw.rss_kib()?;

    // (2) settle → SSE / webhook.
    eprintln!("settle → SSE / webhook with {} payments…", options.settles);
    let (settle, settle_error) = match settle::run(
        &http,
        &gw.base_url,
        &cookie,
        settle::simnode_dir(home),
        &hooks,
        options.settles,
        Duration::from_millis(37),
    )
    .await
    .and_then(|r| settle::check(&r).map(|()| r))
    {
        Ok(results) => (Some(results), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };

    if let Err(e) = gw.stop().await {
        eprintln!("stopping the gateway: {e:#}");
    }
    // (5) list page with many stored invoices.
    let listing = if options.stored == 0 {
        Err("skipped (--stored 0)".to_string())
    } else {
        eprintln!("list page with {} stored invoices…", options.stored);
        measure_listing(&http, bin, home, workspace, options.stored)
            .await
            .map_err(|e| format!("{e:#}"))
    };
    // (6) restart resume.
    let resume = if options.resume == 0 {
        Err("skipped (--resume 0)".to_string())
    } else {
        eprintln!("restart resume with {} settles to replay…", options.resume);
        resume::run(bin, &workspace.join("target/site"), options.resume)
            .await
            .map_err(|e| format!("{e:#}"))
    };
    // (3) wasm bundle.
    let wasm_path = options.wasm.clone().unwrap_or_else(|| wasm::default_path(workspace));
    let wasm = wasm::measure(&wasm_path).map_err(|e| format!("{e:#}"));
    Ok(Run {
        creation,
        raw_get_info,
        node_invoices_after_load,
        settle,
        settle_error,
        rss_idle_kib,
        rss_load_peak_kib,
        rss_after_load_kib,
        wasm,
        secs_per_cell: options.secs_per_cell,
        listing,
        resume,
    })
}

async fn measure_listing(
    http: &reqwest::Client,
    bin: &Path,
    home: &Path,
    workspace: &Path,
    stored: u64,
) -> Result<Listing> {
    let fill = listing::fill(home, stored).await?;
    let spawned = std::time::Instant::now();
    let gw = GatewayProcess::spawn(bin, home, &workspace.join("target/site")).await?;
    let restart = spawned.elapsed();
    let result = async {
        let cookie = gateway::sign_in(http, &gw.base_url).await?;
        // One untimed call warms the page cache.
        listing::time_list(http, &gw.base_url, &cookie, "", 1).await?;
        let all_states = listing::time_list(http, &gw.base_url, &cookie, "", 10).await?;
        let open_only = listing::time_list(http, &gw.base_url, &cookie, "OPEN", 10).await?;
        Ok::<_, anyhow::Error>((all_states, open_only))
    }
    .await;
    if let Err(e) = gw.stop().await {
        eprintln!("stopping the gateway: {e:#}");
    }
    let (all_states, open_only) = result?;
    Ok(Listing {
        stored,
        fill,
        restart,
        all_states,
        open_only,
    })
}

/// Issue 37's lists scenario in a home of its own: the gateway makes its database, stops, the
/// generator fills it, the gateway starts again on it and the lists are timed.
async fn measure_lists(bin: &Path, site_root: &Path, count: u64, rounds: usize) -> String {
    let result = async {
        let home_dir = tempfile::Builder::new().prefix("openfatture-bench-lists-").tempdir()?;
        let home = home_dir.path();
        let gw = GatewayProcess::spawn(bin, home, site_root).await?;
        gw.stop().await?;
        let filled = lists::fill(&home.join(openfatture::store::DATABASE_FILE), count).await?;
        eprintln!("stored {filled:?}");
        let http = reqwest::Client::new();
        let gw = GatewayProcess::spawn(bin, home, site_root).await?;
        let measured = async {
            let cookie = gateway::sign_in(&http, &gw.base_url).await?;
            lists::run(&http, &gw.base_url, &cookie, rounds).await
        }
        .await
        .map_err(|e| format!("{e:#}"));
        if let Err(e) = gw.stop().await {
            eprintln!("stopping the gateway: {e:#}");
        }
        Ok::<_, anyhow::Error>(lists::markdown(&filled, &measured, rounds))
    }
    .await;
    result.unwrap_or_else(|e| format!("## Lists and search on a full store (issue 37)\n\nnot measured: {e:#}\n"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = parse_options()?;
    let workspace = workspace_root();
    openfatture::lnd::install_crypto_provider();
    let rates_section = if options.quotes == 0 {
        String::new()
    } else {
        eprintln!("rate quote latency: {} quotes per scenario…", options.quotes);
        match rates::run(options.quotes, RATES_SLOW_QUOTES).await {
            Ok(run) => rates::markdown(&run),
            Err(e) => format!("## (8) Rate quote latency\n\nnot measured: {e:#}\n"),
        }
    };
    if options.rates_only {
        println!("{rates_section}");
        return Ok(());
    }
    let bin = match &options.bin {
        Some(bin) => bin.clone(),
        None => gateway_binary(&workspace, options.build)?,
    };
    let site_root = workspace.join("target/site");
    let sign_in_section = if options.signins == 0 {
        String::new()
    } else {
        eprintln!("sign-in cost: {} sign-ins, then a flood…", options.signins);
        match signin::run(
            &bin,
            &site_root,
            options.signins,
            Duration::from_secs(options.secs_per_cell),
        )
        .await
        {
            Ok(run) => signin::markdown(&run),
            Err(e) => format!("## Sign-in cost\n\nnot measured: {e:#}\n"),
        }
    };
    if options.signin_only {
        println!("{sign_in_section}");
        return Ok(());
    }
    let lists_section = if options.lists == 0 {
        String::new()
    } else {
        eprintln!("lists and search with {} stored invoices…", options.lists);
        measure_lists(&bin, &site_root, options.lists, options.list_rounds).await
    };
    if options.lists_only {
        println!("{lists_section}");
        return Ok(());
    }
    let run = measure(&options, &workspace, &bin).await?;
    let markdown = format!(
        "{}\n{sign_in_section}\n{rates_section}\n{lists_section}",
        report::markdown(&run, &report::Machine::detect())
    );
    println!("{markdown}");
    if options.write {
        let path = workspace.join("bench/RESULTS.md");
        // Figures measured by hand (each with its date and command) stay below the new run's.
        let kept = std::fs::read_to_string(&path)
            .ok()
            .and_then(|old| old.find(KEPT_HEADING).map(|at| old[at..].to_string()))
            .unwrap_or_default();
        let markdown = if kept.is_empty() {
            markdown
        } else {
            format!("{markdown}\n{kept}")
        };
        std::fs::write(&path, &markdown).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
