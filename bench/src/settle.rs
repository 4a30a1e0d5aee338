//! Settle → notification latency: invoices made over the POS API are paid one by one with the
//! simnode, and the arrival of their `payment_received` on the SSE stream and at a webhook
//! receiver is timed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use tokio::net::TcpListener;

use crate::gateway;
use crate::load::percentile;

/// Arrivals: (body, when).
type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

/// Name of the bench's webhook endpoint.
const ENDPOINT_NAME: &str = "bench";
/// Its signing secret (a throw-away value for a loopback receiver).
const ENDPOINT_SECRET: &str = "bench-webhook-secret-0123456789abcdef";
/// How long to wait for late notifications after the last payment.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A loopback HTTP server that records every POST it receives.
pub struct WebhookReceiver {
    /// The URL to register.
    pub url: String,
    arrivals: Arrivals,
}

impl WebhookReceiver {
    /// Listens on 127.0.0.1 with a free port.
    pub async fn start() -> Result<WebhookReceiver> {
        let arrivals: Arrivals = Arc::default();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new().route("/hook", post(receive)).with_state(arrivals.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("webhook receiver stopped: {e}");
            }
        });
        Ok(WebhookReceiver {
            url: format!("http://{addr}/hook"),
            arrivals,
        })
    }

    /// Registers the receiver for `payment_received` in the gateway's database (before the
    /// gateway starts).
    pub async fn register(&self, data_dir: &Path) -> Result<()> {
        let store = openfatture::store::Store::open_in(data_dir).await?;
        let result = store
            .upsert_webhook_endpoint(
                ENDPOINT_NAME,
                &self.url,
                Some(ENDPOINT_SECRET),
                "payment_received",
                true,
            )
            .await;
        store.close().await;
        result.context("registering the bench webhook endpoint")
    }
}

async fn receive(State(arrivals): State<Arrivals>, body: String) -> StatusCode {
    let now = Instant::now();
    push(&arrivals, body, now);
    StatusCode::OK
}

fn push(arrivals: &Arrivals, body: String, at: Instant) {
    let mut list = match arrivals.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    list.push((body, at));
}

fn first_arrival(arrivals: &Arrivals, needle: &str) -> Option<Instant> {
    let list = match arrivals.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    list.iter().find(|(body, _)| body.contains(needle)).map(|(_, at)| *at)
}

/// Opens `GET /api/events` and records every `payment_received` message's data.
async fn listen_sse(http: &reqwest::Client, base_url: &str, cookie: &str) -> Result<Arrivals> {
    let mut response = http
        .get(format!("{base_url}/api/events"))
        .header("cookie", cookie)
        .header("accept", "text/event-stream")
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("GET /api/events answered {}", response.status());
    }
    let arrivals: Arrivals = Arc::default();
    let out = arrivals.clone();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let now = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let message: String = buffer.drain(..end + 2).collect();
                let mut kind = "";
                let mut data = String::new();
                for line in message.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        kind = v.trim();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if kind == "payment_received" {
                    push(&out, data, now);
                }
            }
        }
    });
    Ok(arrivals)
}

/// Latencies of one notification channel.
#[derive(Debug, Clone, Default)]
pub struct Channel {
    /// Notifications matched to a payment.
    pub received: usize,
    /// p50 / p99 from `simnode pay` returning (the invoice is settled then).
    pub p50_after_pay: Duration,
    /// See `p50_after_pay`.
    pub p99_after_pay: Duration,
    /// p50 / p99 from the start of the `simnode pay` call (an upper bound).
    pub p50_from_pay_start: Duration,
    /// See `p50_from_pay_start`.
    pub p99_from_pay_start: Duration,
}

/// Results of the settle run.
#[derive(Debug, Clone, Default)]
pub struct SettleResults {
    /// Payments made.
    pub payments: usize,
    /// Median duration of the `simnode pay` call itself.
    pub pay_call_p50: Duration,
    /// `payment_received` on the SSE stream.
    pub sse: Channel,
    /// `payment_received` at the webhook receiver.
    pub webhook: Channel,
}

/// Makes `count` invoices of `amount_eur`, pays them one by one `gap` apart and times the
/// notifications.
pub async fn run(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    simnode_dir: PathBuf,
    hooks: &WebhookReceiver,
    count: usize,
    gap: Duration,
) -> Result<SettleResults> {
    let sse = listen_sse(http, base_url, cookie).await?;
    let mut sales = Vec::with_capacity(count);
    for _ in 0..count {
        sales.push(gateway::pos_charge(http, base_url, cookie, "0,10").await?);
    }
    // Let the SSE stream and the dispatcher go quiet (invoice_created events) first.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut paid = Vec::with_capacity(count);
    let mut pay_calls = Vec::with_capacity(count);
    for sale in &sales {
        tokio::time::sleep(gap).await;
        let started = Instant::now();
        let outcome = simnode::pay(&simnode_dir, &sale.payment_request, simnode::PayOptions::default())
            .await
            .with_context(|| format!("paying {}", sale.invoice_id))?;
        let returned = Instant::now();
        if outcome.status != simnode::PayStatus::Settled {
            bail!("paying {} ended {:?}, not Settled", sale.invoice_id, outcome.status);
        }
        pay_calls.push(returned - started);
        paid.push((sale.invoice_id.clone(), started, returned));
    }
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    let all_in = |arrivals: &Arrivals| paid.iter().all(|(id, _, _)| first_arrival(arrivals, id).is_some());
    while !(all_in(&sse) && all_in(&hooks.arrivals)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pay_calls.sort_unstable();
    Ok(SettleResults {
        payments: paid.len(),
        pay_call_p50: percentile(&pay_calls, 50),
        sse: channel(&paid, &sse),
        webhook: channel(&paid, &hooks.arrivals),
    })
}

fn channel(paid: &[(String, Instant, Instant)], arrivals: &Arrivals) -> Channel {
    let mut after_pay = Vec::new();
    let mut from_start = Vec::new();
    for (id, started, returned) in paid {
        if let Some(at) = first_arrival(arrivals, id) {
            after_pay.push(at.saturating_duration_since(*returned));
            if std::env::var_os("BENCH_DEBUG_SETTLES").is_some() {
                eprintln!("settle {id}: {:?} after pay", at.saturating_duration_since(*returned));
            }
            from_start.push(at.saturating_duration_since(*started));
        }
    }
    after_pay.sort_unstable();
    from_start.sort_unstable();
    Channel {
        received: after_pay.len(),
        p50_after_pay: percentile(&after_pay, 50),
        p99_after_pay: percentile(&after_pay, 99),
        p50_from_pay_start: percentile(&from_start, 50),
        p99_from_pay_start: percentile(&from_start, 99),
    }
}

/// The embedded simnode's data directory in a gateway home.
pub fn simnode_dir(home: &Path) -> PathBuf {
    home.join(openfatture::gateway::SIMNODE_DIR)
}

/// Fails when the settle run matched nothing on a channel (a broken setup, not a slow one).
pub fn check(results: &SettleResults) -> Result<()> {
    if results.payments > 0 && results.sse.received == 0 && results.webhook.received == 0 {
        return Err(anyhow!(
            "no payment_received arrived on SSE or the webhook: check gateway.log in the bench home"
        ));
    }
    Ok(())
}
