//! Several `openfatture serve` processes on one real PostgreSQL and one node: exactly one runs the
//! tracker and another takes over when it is SIGKILLed (every settle still one event), live
//! events reach browsers on any instance, and webhook deliveries are shared by all instances,
//! each received once.

use crate::common;
use common::lightning::{invoice_service, start_node};
use common::pg::PgServer;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::auth::Role;
use axum::http::HeaderMap;
use axum::routing::post;
use openfatture::auth::AuthService;
use openfatture::invoices::CreateRequest;
use openfatture::store::{InvoiceOrigin, InvoiceState, Store};
use rust_decimal::Decimal;
use simnode::{MacaroonKind, RunningNode};

use common::Res;
use common::TestResult;

const LEADER_LINE: &str = "this gateway now runs the payment tracker";

/// One `openfatture serve` process; killed (SIGKILL) when dropped.
struct Gateway {
    child: Child,
    log: PathBuf,
    addr: String,
    _home: tempfile::TempDir,
}

impl Gateway {
    fn start(database_url: &str, node: &RunningNode) -> Res<Gateway> {
        let home = tempfile::tempdir()?;
        let log = home.path().join("serve.log");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("openfatture"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_clear()
            .env("OPENFATTURE_HOME", home.path())
            .env("DATABASE_URL", database_url)
            .env("LIGHTNING_HOST", node.grpc_addr().to_string())
            .env("LIGHTNING_CERT_PATH", node.tls_cert_path())
            .env("LIGHTNING_MACAROON_PATH", node.macaroon_path(MacaroonKind::Admin))
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .env("LIGHTNING_FALLBACK_RATE", "45000")
            // The test's webhook receiver listens on 127.0.0.1.
            .env("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("OpenFatture Lightning on http://") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "serve did not start within 60 s")?;
        Ok(Gateway {
            child,
            log,
            addr,
            _home: home,
        })
    }

    fn leads(&self) -> bool {
        std::fs::read_to_string(&self.log)
            .map(|l| l.contains(LEADER_LINE))
            .unwrap_or(false)
    }

    fn wait_leading(&self, within: Duration) -> Res<()> {
        let deadline = Instant::now() + within;
        while !self.leads() {
            if Instant::now() > deadline {
                return Err(format!(
                    "gateway at {} did not take the tracker over within {within:?}",
                    self.addr
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn count(store: &Store, sql: &str) -> Res<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(store.pool()).await?)
}

#[tokio::test]
async fn the_tracker_moves_to_another_gateway_when_its_gateway_is_killed() -> TestResult {
    let pg = PgServer::start()?;
    let url = pg.url();
    let dir = tempfile::tempdir()?;
    let node = start_node(dir.path()).await?;
    let store = Store::connect(&url).await?;
    let service = invoice_service(&store, &node).await?;
    AuthService::new(store.clone(), false)
        .add_user("cassa", Role::Cashier, &"135790".to_string().into())
        .await?;

    let mut first = Gateway::start(&url, &node)?;
    first.wait_leading(Duration::from_secs(15))?;
    let second = Gateway::start(&url, &node)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!second.leads(), "two gateways run the tracker at once");

    // A browser on the second gateway (not the tracker) waits for events.
    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{}/api/login", second.addr))
        .form(&[("username", "cassa"), ("password", "135790")])
        .send()
        .await?;
    let cookie = login
        .headers()
        .get("set-cookie")
        .ok_or("cookie")?
        .to_str()?
        .split(';')
        .next()
        .ok_or("c")?
        .to_string();
    // The session made on one gateway is good on the other.
    let who: serde_json::Value = http
        .post(format!("http://{}/api/whoami", first.addr))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(who["username"], "cassa", "{who}");
    let mut stream = http
        .get(format!("http://{}/api/events", second.addr))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(stream.status().as_u16(), 200);

    // POS sales: a cashier's stream carries only those (issue 30, item 8).
    let mut invoices = Vec::new();
    for i in 0..10 {
        let created = service
            .create_from(
                CreateRequest {
                    amount_eur: Some(Decimal::from(5 + i)),
                    ..CreateRequest::default()
                },
                InvoiceOrigin::Pos,
            )
            .await?;
        invoices.push(created.invoice);
    }
    let pay = |bolt11: String| {
        let sim = dir.path().join("simnode");
        async move { simnode::pay(&sim, &bolt11, simnode::PayOptions::default()).await }
    };
    for invoice in &invoices[..5] {
        pay(invoice.payment_request.clone().ok_or("bolt11")?).await?;
    }
    // The settle of the first reaches the browser on the other gateway.
    let mut seen = String::new();
    let arrived = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: payment_received") && seen.contains(&invoices[0].id) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(arrived, Ok(true)),
        "the browser on the second gateway saw:\n{seen}"
    );

    // Kill the tracker's gateway in the middle of the payments.
    pay(invoices[5].payment_request.clone().ok_or("bolt11")?).await?;
    first.kill();
    for invoice in &invoices[6..] {
        pay(invoice.payment_request.clone().ok_or("bolt11")?).await?;
    }
    second.wait_leading(Duration::from_secs(10))?;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let settled = count(&store, "SELECT COUNT(*) FROM ln_invoices WHERE state = 'SETTLED'").await?;
        if settled == 10 {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {settled} of 10 settles recorded after the takeover").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for invoice in &invoices {
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE ln_invoice_id = $1 AND type = 'payment_received'")
                .bind(&invoice.id)
                .fetch_one(store.pool())
                .await?;
        assert_eq!(events, 1, "{} has {events} payment_received events", invoice.id);
        assert_eq!(
            store.ln_invoice(&invoice.id).await?.ok_or("stored")?.state,
            InvoiceState::Settled
        );
    }
    assert_eq!(count(&store, "SELECT COUNT(*) FROM payments").await?, 10);
    store.close().await;
    node.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn three_gateways_share_a_thousand_webhook_deliveries_each_received_once() -> TestResult {
    let pg = PgServer::start()?;
    let url = pg.url();
    let dir = tempfile::tempdir()?;
    let node = start_node(dir.path()).await?;
    let store = Store::connect(&url).await?;

    // The receiver counts deliveries per event id.
    let received: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap| {
            let counter = counter.clone();
            async move {
                if let Some(id) = headers.get("x-lightning-event-id").and_then(|v| v.to_str().ok()) {
                    if let Ok(mut map) = counter.lock() {
                        *map.entry(id.to_string()).or_default() += 1;
                    }
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    store
        .upsert_webhook_endpoint("erp", &hook, Some("s3cret"), "*", true)
        .await?;

    let gateways = [
        Gateway::start(&url, &node)?,
        Gateway::start(&url, &node)?,
        Gateway::start(&url, &node)?,
    ];
    const EVENTS: usize = 1000;
    let now = chrono::Utc::now().timestamp();
    for n in 0..EVENTS {
        store.record_liquidity_alert(serde_json::json!({ "n": n }), now).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = received.lock().map(|m| m.len()).unwrap_or_default();
        if got == EVENTS {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {got} of {EVENTS} events received").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // any duplicate would show up by now
    let twice: Vec<(String, u32)> = received
        .lock()
        .map(|m| {
            m.iter()
                .filter(|(_, n)| **n != 1)
                .map(|(k, n)| (k.clone(), *n))
                .collect()
        })
        .unwrap_or_default();
    assert!(twice.is_empty(), "received more than once: {twice:?}");
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM webhook_attempts WHERE outcome = 'DELIVERED'"
        )
        .await?,
        EVENTS as i64
    );
    let workers = count(&store, "SELECT COUNT(DISTINCT worker) FROM webhook_attempts").await?;
    assert_eq!(workers, 3, "all three gateways should have delivered some events");
    drop(gateways);
    store.close().await;
    node.shutdown().await;
    Ok(())
}
