//! Issue 37, targets 1 and 2: the back-office lists and searches on a store of years of sales.
//!
//! [`fill`] writes realistic rows straight into the gateway's SQLite file (one transaction,
//! multi-row prepared inserts; the gateway must be stopped): fatture with clients and P.IVA,
//! Lightning invoices over three years in every final state, payments for the settled ones.
//! [`run`] then times the gateway's real endpoints: the first page and a page 10,000 rows deep
//! of each list, newest and oldest first, the state filters, and the prefix searches.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rand::{Rng, SeedableRng};
use sqlx::Connection;

use crate::load::Stats;

/// Rows one insert statement carries (SQLite takes at most 32,766 values per statement).
const BATCH_ROWS: usize = 500;
/// Lightning invoices per fattura (the others are POS sales without one).
const INVOICES_PER_FATTURA: u64 = 4;
/// Rows per timed page (the back office's page size).
const PAGE_ROWS: &str = "50";
/// How deep the deep page starts.
pub const DEEP_ROWS: u64 = 10_000;

const CLIENTS: [&str; 12] = [
    "Rossi", "Bianchi", "Verdi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti",
];
const FORMS: [&str; 4] = ["Srl", "SpA", "Snc", "& Figli"];

/// What [`fill`] stored and how long it took.
#[derive(Debug, Clone)]
pub struct Filled {
    /// Lightning invoices.
    pub invoices: u64,
    /// Fatture.
    pub fatture: u64,
    /// Payments (one per settled invoice).
    pub payments: u64,
    /// Wall time of the inserts and the commit.
    pub took: Duration,
}

/// The state of generated invoice `n`: 70 % SETTLED, 15 % EXPIRED, 10 % CANCELED, 4 % OPEN,
/// 1 % PENDING, so 1.43 M invoices give about 1 M payments.
fn state_of(n: u64) -> &'static str {
    match n % 100 {
        0..=69 => "SETTLED",
        70..=84 => "EXPIRED",
        85..=94 => "CANCELED",
        95..=98 => "OPEN",
        _ => "PENDING",
    }
}

/// The client of fattura `f`: `Rossi Srl 17`, with P.IVA `IT` + 11 digits.
fn client_of(f: u64) -> (String, String) {
    let name = CLIENTS[(f % 12) as usize];
    let form = FORMS[((f / 12) % 4) as usize];
    (
        format!("{name} {form} {}", f % 997),
        format!("IT{:011}", 10_000_000_000 + f % 50_000),
    )
}

/// Adds `invoices` Lightning invoices (and their fatture and payments) to the SQLite database
/// `db`, created over the three years before now, in one transaction.
pub async fn fill(db: &Path, invoices: u64) -> Result<Filled> {
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(37);
    let now = chrono::Utc::now().timestamp();
    let span_secs: i64 = 3 * 365 * 86_400;
    let start = now - span_secs - 3_600;
    let step = (span_secs / i64::try_from(invoices.max(1))?).max(1);
    let fatture = invoices / INVOICES_PER_FATTURA;
    let mut tx = conn.begin().await?;

    // Fatture, dated over the same three years.
    let mut n = 0;
    while n < fatture {
        let rows = (fatture - n).min(BATCH_ROWS as u64);
        let values = (0..rows)
            .map(|i| {
                let b = i * 8;
                format!(
                    "(${}, ${}, ${}, '', ${}, ${}, ${}, ${}, ${}, 'bench', ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 7,
                    b + 8
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO fatture (id, numero, anno, cedente_piva, data, client_name, client_piva, totale_cents, \
             due_cents, source, created_at) VALUES {values}"
        );
        let mut query = sqlx::query(&sql);
        for f in n..n + rows {
            let created = start + i64::try_from(f * INVOICES_PER_FATTURA)? * step;
            let date = chrono::DateTime::from_timestamp(created, 0)
                .unwrap_or_default()
                .date_naive();
            let (client, piva) = client_of(f);
            let cents: i64 = rng.gen_range(1_000..500_000);
            query = query
                .bind(i64::try_from(f + 1)?)
                .bind(format!("F{:07}/{}", f + 1, date.format("%Y")))
                .bind(date.format("%Y").to_string().parse::<i64>()?)
                .bind(date.format("%Y-%m-%d").to_string())
                .bind(client)
                .bind(piva)
                .bind(cents)
                .bind(created);
        }
        query.execute(&mut *tx).await.context("inserting fatture")?;
        n += rows;
    }

    // Lightning invoices; every fourth pays a fattura, the rest are POS sales.
    let mut payments = 0;
    let mut n = 0;
    while n < invoices {
        let rows = (invoices - n).min(BATCH_ROWS as u64);
        let values = (0..rows)
            .map(|i| {
                let b = i * 11;
                format!(
                    "(${}, ${}, ${}, ${}, 'lnbcrt-bench', 'bench sale', ${}, ${}, '45000', 'fallback', ${}, 0, 900, ${}, ${}, ${}, ${}, ${})",
                    b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 7, b + 8, b + 9, b + 10, b + 11
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO ln_invoices (id, fattura_id, attempt, payment_hash, payment_request, memo, amount_cents, \
             amount_msat, rate_eur_per_btc, rate_source, rate_at, rate_is_fallback, expiry_secs, created_at, \
             expires_at, state, amt_paid_msat, settled_at) VALUES {values}"
        );
        let mut query = sqlx::query(&sql);
        let mut paid = Vec::new();
        for x in n..n + rows {
            let created = start + i64::try_from(x)? * step + rng.gen_range(0..step);
            let fattura = (x % INVOICES_PER_FATTURA == 0 && x / INVOICES_PER_FATTURA < fatture)
                .then(|| i64::try_from(x / INVOICES_PER_FATTURA + 1))
                .transpose()?;
            let state = state_of(x);
            let cents: i64 = rng.gen_range(100..20_000);
            let msat = cents * 22_223; // 45,000 EUR/BTC: 1 cent = 22.2 sat.
            let id = match fattura {
                Some(f) => format!("{}/{:06}-LN", "B", f),
                None => format!("LN-{:07}", x + 1),
            };
            let hash = format!("{:016x}{:048x}", rng.r#gen::<u64>(), x);
            let settled = (state == "SETTLED").then_some(created + rng.gen_range(5..600));
            query = query
                .bind(id.clone())
                .bind(fattura)
                .bind(i64::try_from(1_000_000_000 + x)?)
                .bind(hash.clone())
                .bind(cents)
                .bind(msat)
                .bind(created)
                .bind(created + 900)
                .bind(state)
                .bind(if settled.is_some() { msat } else { 0 })
                .bind(settled);
            if let Some(at) = settled {
                paid.push((hash, id, fattura, msat, cents, at));
            }
        }
        query.execute(&mut *tx).await.context("inserting Lightning invoices")?;
        if !paid.is_empty() {
            let values = (0..paid.len())
                .map(|i| {
                    let b = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, '45000', 'fallback', ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO payments (payment_hash, ln_invoice_id, fattura_id, amount_msat, amount_cents, \
                 rate_eur_per_btc, rate_source, settled_at) VALUES {values}"
            );
            let mut query = sqlx::query(&sql);
            for (hash, id, fattura, msat, cents, at) in &paid {
                query = query
                    .bind(hash)
                    .bind(id)
                    .bind(*fattura)
                    .bind(*msat)
                    .bind(*cents)
                    .bind(*at);
            }
            query.execute(&mut *tx).await.context("inserting payments")?;
            payments += paid.len() as u64;
        }
        n += rows;
    }
    tx.commit().await?;
    let took = started.elapsed();
    conn.close().await?;
    Ok(Filled {
        invoices,
        fatture,
        payments,
        took,
    })
}

/// A list to time: its label, endpoint and form.
type Listed<'a, L> = (L, &'static str, Vec<(&'a str, &'a str)>);

/// One timed list request: its label, endpoint and form.
#[derive(Debug, Clone)]
struct Probe {
    label: String,
    endpoint: &'static str,
    form: Vec<(String, String)>,
}

/// One measured row of the results.
#[derive(Debug, Clone)]
pub struct Measured {
    /// What was asked (`Lightning invoices, all, newest, first page`).
    pub label: String,
    /// Rows the page held.
    pub rows: usize,
    /// Round-trip latency on loopback.
    pub stats: Stats,
    /// The target p99 (10 ms for pages, 20 ms for searches).
    pub target: Duration,
}

/// Posts `form` to `/api/{endpoint}` and answers the JSON page.
async fn call(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    endpoint: &str,
    form: &[(String, String)],
) -> Result<serde_json::Value> {
    let response = http
        .post(format!("{base_url}/api/{endpoint}"))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() {
        bail!("{endpoint} failed: {status} {}", String::from_utf8_lossy(&body));
    }
    Ok(serde_json::from_slice(&body)?)
}

/// The cursor after `DEEP_ROWS` rows of a list, walked 500 rows a page.
async fn deep_cursor(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    endpoint: &'static str,
    form: &[(String, String)],
) -> Result<Option<String>> {
    let mut after = String::new();
    let mut walked = 0;
    while walked < DEEP_ROWS {
        let mut asked = form.to_vec();
        asked.retain(|(k, _)| k != "limit" && k != "after");
        asked.push(("limit".into(), "500".into()));
        asked.push(("after".into(), after.clone()));
        let page = call(http, base_url, cookie, endpoint, &asked).await?;
        walked += page["rows"].as_array().map_or(0, |r| r.len() as u64);
        match page["next"].as_str() {
            Some(next) if !next.is_empty() => after = next.to_string(),
            _ => return Ok(None),
        }
    }
    Ok(Some(after))
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Times every list page and search `rounds` times (after one untimed call each).
pub async fn run(http: &reqwest::Client, base_url: &str, cookie: &str, rounds: usize) -> Result<Vec<Measured>> {
    let page_target = Duration::from_millis(10);
    let search_target = Duration::from_millis(20);
    let mut probes: Vec<(Probe, bool, Duration)> = Vec::new();
    let lists: [Listed<&str>; 5] = [
        (
            "Lightning invoices, all states",
            "admin_ln_invoices",
            vec![("state", ""), ("search", "")],
        ),
        (
            "Lightning invoices, SETTLED",
            "admin_ln_invoices",
            vec![("state", "SETTLED"), ("search", "")],
        ),
        (
            "Lightning invoices, OPEN",
            "admin_ln_invoices",
            vec![("state", "OPEN"), ("search", "")],
        ),
        ("EUR invoices (fatture)", "admin_fatture", vec![("search", "")]),
        ("payments", "admin_payments", vec![("search", "")]),
    ];
    for (name, endpoint, base) in &lists {
        for order in ["newest", "oldest"] {
            for deep in [false, true] {
                let mut f = form(base);
                f.push(("order".into(), order.into()));
                f.push(("limit".into(), PAGE_ROWS.into()));
                let label = format!(
                    "{name}, {order} first, {}",
                    if deep { "10,000 rows deep" } else { "first page" }
                );
                probes.push((
                    Probe {
                        label,
                        endpoint,
                        form: f,
                    },
                    deep,
                    page_target,
                ));
            }
        }
    }
    let (_, sample_piva) = client_of(5);
    // A hash prefix that exists: six hex digits of the newest payment's hash.
    let newest = call(http, base_url, cookie, "admin_payments", &form(&[("limit", "1")])).await?;
    let hash = newest["rows"][0]["payment_hash"]
        .as_str()
        .unwrap_or("abcdef")
        .to_string();
    let hash_prefix = hash.get(..6).unwrap_or("abcdef").to_string();
    let searches: [Listed<String>; 6] = [
        (
            "search fatture by numero prefix `F00001`".into(),
            "admin_fatture",
            vec![("search", "F00001")],
        ),
        (
            "search fatture by client prefix `ross`".into(),
            "admin_fatture",
            vec![("search", "ross")],
        ),
        (
            "search fatture by P.IVA prefix `IT1000000`".into(),
            "admin_fatture",
            vec![("search", &sample_piva[..9])],
        ),
        (
            "search Lightning invoices by payment hash prefix (6 hex digits)".into(),
            "admin_ln_invoices",
            vec![("state", ""), ("search", &hash_prefix)],
        ),
        (
            "search Lightning invoices by client prefix `verdi`".into(),
            "admin_ln_invoices",
            vec![("state", ""), ("search", "verdi")],
        ),
        (
            "search payments by payment hash prefix (6 hex digits)".into(),
            "admin_payments",
            vec![("search", &hash_prefix)],
        ),
    ];
    for (label, endpoint, f) in &searches {
        let mut f = form(f);
        f.push(("limit".into(), PAGE_ROWS.into()));
        probes.push((
            Probe {
                label: label.clone(),
                endpoint,
                form: f,
            },
            false,
            search_target,
        ));
    }
    let mut measured = Vec::new();
    for (mut probe, deep, target) in probes {
        if deep {
            match deep_cursor(http, base_url, cookie, probe.endpoint, &probe.form).await? {
                Some(after) => probe.form.push(("after".into(), after)),
                None => continue,
            }
        }
        let first = call(http, base_url, cookie, probe.endpoint, &probe.form).await?;
        let rows = first["rows"].as_array().map_or(0, Vec::len);
        let mut samples = Vec::with_capacity(rounds);
        let started = Instant::now();
        for _ in 0..rounds {
            let sent = Instant::now();
            call(http, base_url, cookie, probe.endpoint, &probe.form).await?;
            samples.push(sent.elapsed());
        }
        measured.push(Measured {
            label: probe.label,
            rows,
            stats: Stats::from_samples(samples, 0, started.elapsed()),
            target,
        });
    }
    Ok(measured)
}

/// The results as a `bench/RESULTS.md` section.
pub fn markdown(filled: &Filled, measured: &Result<Vec<Measured>, String>, rounds: usize) -> String {
    let mut out = format!(
        "## Lists and search on a full store (issue 37)\n\n{} Lightning invoices over three years \
         (70 % SETTLED, 15 % EXPIRED, 10 % CANCELED, 4 % OPEN, 1 % PENDING), {} fatture, {} payments, \
         written straight into the SQLite file in {:.1} s (one transaction, {BATCH_ROWS}-row prepared \
         inserts). Each row: {rounds} calls after one untimed call, round trip over loopback HTTP with a \
         signed-in session (an upper bound of the server time); pages of {PAGE_ROWS} rows; the deep page \
         starts after the cursor reached by walking {DEEP_ROWS} rows.\n\n\
         | request | rows | p50 | p99 | target p99 | verdict |\n|---|---:|---:|---:|---:|---|\n",
        filled.invoices,
        filled.fatture,
        filled.payments,
        filled.took.as_secs_f64()
    );
    match measured {
        Ok(rows) => {
            for m in rows {
                let verdict = if m.stats.p99 <= m.target { "met" } else { "**missed**" };
                out.push_str(&format!(
                    "| {} | {} | {:.2} ms | {:.2} ms | {} ms | {verdict} |\n",
                    m.label,
                    m.rows,
                    m.stats.p50.as_secs_f64() * 1e3,
                    m.stats.p99.as_secs_f64() * 1e3,
                    m.target.as_millis()
                ));
            }
        }
        Err(e) => out.push_str(&format!("\nnot measured: {e}\n")),
    }
    out
}
