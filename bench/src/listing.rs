//! List page latency with a large store: stored invoices are added straight into the gateway's
//! SQLite file (one `INSERT … SELECT` over a generated series), then the admin list page's server
//! function is timed.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sqlx::Connection;

use crate::load::Stats;

/// Adds `count` standalone invoices (mixed states, one second apart) to the database in
/// `data_dir`; the gateway must not be running. Returns how long the insert took.
pub async fn fill(data_dir: &Path, count: u64) -> Result<Duration> {
    let db = data_dir.join(openfatture::store::DATABASE_FILE);
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let started = Instant::now();
    let base_secs = chrono::Utc::now().timestamp() - i64::try_from(count)? - 3600;
    sqlx::query(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?1) \
         INSERT INTO ln_invoices (id, fattura_id, attempt, payment_hash, payment_request, memo, amount_cents, \
           amount_msat, rate_eur_per_btc, rate_source, rate_at, rate_is_fallback, expiry_secs, created_at, \
           expires_at, state, amt_paid_msat) \
         SELECT printf('BENCH-%08d', x), NULL, 1000000000 + x, printf('%064x', x), 'lnbcrt-bench', 'POS sale', \
           1250, 27778000, '45000', 'fallback', ?2 + x, 1, 900, ?2 + x, ?2 + x + 900, \
           CASE x % 4 WHEN 0 THEN 'OPEN' WHEN 1 THEN 'SETTLED' WHEN 2 THEN 'EXPIRED' ELSE 'CANCELED' END, \
           CASE x % 4 WHEN 1 THEN 27778000 ELSE 0 END \
         FROM n",
    )
    .bind(i64::try_from(count)?)
    .bind(base_secs)
    .execute(&mut conn)
    .await
    .context("inserting the bench invoices")?;
    let took = started.elapsed();
    conn.close().await?;
    Ok(took)
}

/// Times `POST /api/admin_ln_invoices` (first page, 500 rows) `rounds` times with `state`.
pub async fn time_list(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    state: &str,
    rounds: usize,
) -> Result<Stats> {
    let mut samples = Vec::with_capacity(rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        let sent = Instant::now();
        let response = http
            .post(format!("{base_url}/api/admin_ln_invoices"))
            .header("cookie", cookie)
            .form(&[("state", state), ("search", ""), ("limit", "500")])
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("admin_ln_invoices failed: {status} {}", String::from_utf8_lossy(&body));
        }
        samples.push(sent.elapsed());
    }
    Ok(Stats::from_samples(samples, 0, started.elapsed()))
}
