//! (6) Restart resume: while the gateway is stopped, its node settles many of its invoices; how
//! long does the restarted gateway take to record every one of them (payment, EUR record, event)?
//!
//! Set-up: the gateway runs once (database, embedded simnode and its files), then stops. The same
//! simnode is started in this process; the invoices are added on it with raw gRPC AddInvoice
//! (our preimages) and recorded as OPEN in the gateway's SQLite file, as the gateway would record
//! its own sales; one invoice is paid and tracked first so the tracker's settle index is not 0
//! (LND replays settles only after a non-zero index). Then all the others are paid, the simnode
//! stops, and the gateway is started again and timed.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use lnd_proto::lnrpc;
use openfatture::lnd::{LndClient, LndConfig};
use simnode::{MacaroonKind, PayOptions, SimNodeConfig};
use sqlx::Connection;
use tokio::sync::Semaphore;

use crate::gateway::GatewayProcess;

/// Concurrent gRPC / pay calls while setting up.
pub const SETUP_CONCURRENCY: usize = 32;
/// Amount of each invoice: 1 sat, so 100,000 payments fit in the default channels' inbound room.
const INVOICE_MSAT: i64 = 1_000;
/// How long the restarted gateway may take before the run is called failed.
const RESUME_TIMEOUT: Duration = Duration::from_secs(1_800);

/// What (6) measured.
pub struct Resume {
    /// Settles that happened while the gateway was stopped.
    pub settles: u64,
    /// Setting up: adding the invoices on the node (and in SQLite), then paying them.
    pub setup_add: Duration,
    /// See `setup_add`.
    pub setup_pay: Duration,
    /// From spawning `openfatture serve` to its HTTP listener answering.
    pub to_listening: Duration,
    /// From spawning to every settle recorded as a payment with its event.
    pub to_all_recorded: Duration,
    /// Peak RSS of the gateway during the replay (KiB).
    pub peak_rss_kib: u64,
}

/// One invoice made on the node for the run.
struct Made {
    payment_hash: String,
    preimage: String,
    payment_request: String,
    add_index: u64,
    created_at: i64,
}

/// Runs (6) in its own gateway home with `settles` invoices paid while the gateway is down.
pub async fn run(bin: &Path, site_root: &Path, settles: u64) -> Result<Resume> {
    let home_dir = tempfile::Builder::new().prefix("openfatture-resume-").tempdir()?;
    let home = home_dir.path();
    // First start: creates the database, the embedded simnode and its files.
    GatewayProcess::spawn(bin, home, site_root).await?.stop().await?;
    let db = home.join(openfatture::store::DATABASE_FILE);
    if !db.exists() {
        bail!("the gateway wrote no database under {}", home.display());
    }

    let node = simnode::start(SimNodeConfig {
        data_dir: crate::settle::simnode_dir(home),
        listen: "127.0.0.1:0".parse()?,
        topology: None,
        alias: None,
    })
    .await?;
    let lnd = LndClient::connect(LndConfig {
        host: node.grpc_addr().to_string(),
        tls_cert_path: node.tls_cert_path(),
        macaroon_path: node.macaroon_path(MacaroonKind::Admin),
        timeout: Duration::from_secs(30),
        max_retries: 0,
        breaker_failures: openfatture::lnd::DEFAULT_BREAKER_FAILURES,
        breaker_open: openfatture::lnd::DEFAULT_BREAKER_OPEN,
    })
    .await?;

    // One tracked settle first (the warm-up invoice), then `settles` more while stopped.
    let started = Instant::now();
    let made = add_invoices(&lnd, settles + 1).await?;
    record_open(&db, &made).await?;
    let setup_add = started.elapsed();
    let sim_dir = crate::settle::simnode_dir(home);
    let (warm_up, rest) = made.split_first().ok_or_else(|| anyhow!("no invoices made"))?;
    simnode::pay(&sim_dir, &warm_up.payment_request, PayOptions::default()).await?;
    node.shutdown().await;
    // The gateway tracks the warm-up settle, so its stored settle index becomes 1.
    let gw = GatewayProcess::spawn(bin, home, site_root).await?;
    wait_recorded(&db, 1, Duration::from_secs(60)).await?;
    gw.stop().await?;

    let node = simnode::start(SimNodeConfig {
        data_dir: sim_dir.clone(),
        listen: "127.0.0.1:0".parse()?,
        topology: None,
        alias: None,
    })
    .await?;
    let started = Instant::now();
    pay_all(&sim_dir, rest).await?;
    let setup_pay = started.elapsed();
    node.shutdown().await;

    // The timed restart.
    let spawned = Instant::now();
    let gw = GatewayProcess::spawn(bin, home, site_root).await?;
    let to_listening = spawned.elapsed();
    let mut peak_rss_kib = 0;
    let deadline = spawned + RESUME_TIMEOUT;
    let total = settles + 1;
    loop {
        peak_rss_kib = peak_rss_kib.max(gw.rss_kib().unwrap_or(0));
        if recorded(&db).await? >= total {
            break;
        }
        if Instant::now() > deadline {
            bail!("the gateway recorded fewer than {total} settles within {RESUME_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let to_all_recorded = spawned.elapsed();
    peak_rss_kib = peak_rss_kib.max(gw.peak_rss_kib().unwrap_or(0));
    gw.stop().await?;
    Ok(Resume {
        settles,
        setup_add,
        setup_pay,
        to_listening,
        to_all_recorded,
        peak_rss_kib,
    })
}

/// Adds `count` 1-sat invoices with our own preimages.
async fn add_invoices(lnd: &LndClient, count: u64) -> Result<Vec<Made>> {
    let gate = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let mut tasks = Vec::new();
    for n in 0..count {
        let (lnd, gate) = (lnd.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let mut preimage = [0u8; 32];
            preimage[..8].copy_from_slice(&n.to_be_bytes());
            preimage[8..].copy_from_slice(&rand::random::<[u8; 24]>());
            let added = lnd
                .add_invoice(lnrpc::Invoice {
                    memo: "POS sale".into(),
                    r_preimage: preimage.to_vec(),
                    value_msat: INVOICE_MSAT,
                    expiry: 24 * 3600,
                    ..Default::default()
                })
                .await?;
            Ok::<_, anyhow::Error>(Made {
                payment_hash: hex::encode(&added.r_hash),
                preimage: hex::encode(preimage),
                payment_request: added.payment_request,
                add_index: added.add_index,
                created_at: chrono::Utc::now().timestamp(),
            })
        }));
    }
    let mut made = Vec::with_capacity(tasks.len());
    for task in tasks {
        made.push(task.await??);
    }
    made.sort_by_key(|m| m.add_index);
    Ok(made)
}

/// Records the invoices as OPEN standalone sales in the gateway's database, and the tracker as
/// having seen them added.
async fn record_open(db: &Path, made: &[Made]) -> Result<()> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let mut tx = conn.begin().await?;
    for (n, m) in made.iter().enumerate() {
        let n = i64::try_from(n)?;
        sqlx::query(
            "INSERT INTO ln_invoices (id, fattura_id, attempt, payment_hash, payment_request, memo, amount_cents, \
               amount_msat, rate_eur_per_btc, rate_source, rate_at, rate_is_fallback, expiry_secs, created_at, \
               expires_at, state, add_index) \
             VALUES (printf('RESUME-%08d', ?1), NULL, 2000000000 + ?1, ?2, ?3, 'POS sale', 1, ?4, '45000', \
               'fallback', ?5, 1, 86400, ?5, ?5 + 86400, 'OPEN', ?6)",
        )
        .bind(n)
        .bind(&m.payment_hash)
        .bind(&m.payment_request)
        .bind(INVOICE_MSAT)
        .bind(m.created_at)
        .bind(i64::try_from(m.add_index)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO ln_preimages (payment_hash, preimage) VALUES (?1, ?2)")
            .bind(&m.payment_hash)
            .bind(&m.preimage)
            .execute(&mut *tx)
            .await?;
    }
    let last_add = made.iter().map(|m| m.add_index).max().unwrap_or(0);
    sqlx::query("UPDATE tracker_state SET add_index = ?1 WHERE id = 1")
        .bind(i64::try_from(last_add)?)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

/// Pays every invoice through the simnode's control surface, as customers would.
async fn pay_all(sim_dir: &Path, made: &[Made]) -> Result<()> {
    let gate = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let mut tasks = Vec::new();
    for m in made {
        let (gate, dir, bolt11) = (gate.clone(), sim_dir.to_path_buf(), m.payment_request.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let outcome = simnode::pay(&dir, &bolt11, PayOptions::default()).await?;
            if outcome.status != simnode::PayStatus::Settled {
                bail!("a payment ended {:?}, not Settled", outcome.status);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Settled invoices that have their payment and `payment_received` event recorded.
async fn recorded(db: &Path) -> Result<u64> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display())).await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payments p JOIN events e ON e.ln_invoice_id = p.ln_invoice_id \
         AND e.type = 'payment_received'",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(u64::try_from(count)?)
}

/// Waits until `count` settles are recorded.
async fn wait_recorded(db: &Path, count: u64, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    while recorded(db).await? < count {
        if Instant::now() > deadline {
            bail!("the gateway did not record {count} settle(s) within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
