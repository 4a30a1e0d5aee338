//! Webhook delivery to real local HTTP receivers that check the signatures with their own
//! HMAC code (and once with the spec's Python `verify_webhook`), plus retries, final failures,
//! redirects, ordering and redelivery; and end to end from a simnode settle.

use crate::common;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use common::stdout_of;
use hmac::{Hmac, Mac};
use openfatture::store::{EventKind, Store, DEFAULT_ENDPOINT};
use openfatture::webhooks::{Dispatcher, DispatcherConfig};
use rust_decimal::Decimal;
use secrecy::SecretString;
use sha2::Sha256;
use tempfile::TempDir;

const SECRET: &str = "your_webhook_secret";

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; 200 once exhausted.
    script: Arc<Mutex<VecDeque<u16>>>,
    redirected_hits: Arc<Mutex<usize>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    r.got.lock().expect("lock").push(Received { headers, body });
    let status = r.script.lock().expect("lock").pop_front().unwrap_or(200);
    if (300..400).contains(&status) {
        return (
            StatusCode::from_u16(status).expect("status"),
            [("location", "/elsewhere")],
        )
            .into_response();
    }
    StatusCode::from_u16(status).expect("status").into_response()
}

async fn elsewhere(State(r): State<Receiver>) -> StatusCode {
    *r.redirected_hits.lock().expect("lock") += 1;
    StatusCode::OK
}

/// Starts a receiver on 127.0.0.1 answering `script` then 200; returns it and its URL.
async fn receiver(script: &[u16]) -> (Receiver, String) {
    let r = Receiver::default();
    r.script.lock().expect("lock").extend(script.iter().copied());
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/elsewhere", post(elsewhere).get(elsewhere))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (r, format!("http://{addr}/hook"))
}

/// The receiver's own check: hex HMAC-SHA256.
fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing"))
}

/// Checks both signatures as a receiver would.
fn assert_signed(r: &Received, secret: &str) {
    assert_eq!(header(r, "x-lightning-signature"), hmac_hex(secret, &r.body));
    let v2 = header(r, "x-lightning-signature-v2");
    let (t, v1) = v2.split_once(",v1=").expect("v2 format");
    let t = t.strip_prefix("t=").expect("t=");
    assert_eq!(t, header(r, "x-lightning-timestamp"));
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&r.body);
    assert_eq!(v1, hmac_hex(secret, &signed));
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().expect("unix t");
    assert!((0..60).contains(&age), "fresh timestamp");
}

fn fast_config(schedule_ms: &[u64]) -> DispatcherConfig {
    DispatcherConfig {
        timeout: Duration::from_secs(2),
        retry_schedule: schedule_ms.iter().map(|ms| Duration::from_millis(*ms)).collect(),
        jitter_per_mille: 100,
        poll_interval: Duration::from_millis(10),
        breaker_threshold: 100,
        breaker_open: Duration::from_millis(10),
        // The receivers these tests start listen on 127.0.0.1.
        allow_private: true,
    }
}

async fn new_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_in(dir.path()).await.expect("store");
    (dir, store)
}

/// Records a Lightning invoice and confirms it, which emits `invoice_created`; returns the event id.
async fn created_event(store: &Store, n: u8) -> String {
    let invoice = store
        .insert_pending_ln_invoice(&common::new_standalone_invoice(
            hex::encode([n; 32]),
            hex::encode([n.wrapping_add(100); 32]),
            format!("Test {n}"),
        ))
        .await
        .expect("insert");
    // What the insert answers is what a read of the row gives.
    assert_eq!(
        store.ln_invoice(&invoice.id).await.expect("read"),
        Some(invoice.clone())
    );
    store
        .mark_ln_invoice_open(
            &invoice.id,
            &openfatture::store::NodeOpened {
                payment_request: "lnbcrt1test".into(),
                add_index: u64::from(n),
                created_at: 1_700_000_000,
                expires_at: 1_700_003_600,
            },
        )
        .await
        .expect("open");
    store
        .events_for_invoice(&invoice.id)
        .await
        .expect("events")
        .remove(0)
        .id
}

async fn dispatcher(store: &Store, url: &str, schedule_ms: &[u64]) -> Dispatcher {
    store
        .upsert_webhook_endpoint(DEFAULT_ENDPOINT, url, None, "*", true)
        .await
        .expect("endpoint");
    Dispatcher::new(
        store.clone(),
        fast_config(schedule_ms),
        Some(SecretString::from(SECRET)),
    )
    .expect("dispatcher")
}

/// Runs delivery rounds until nothing is pending (or 5 s).
async fn drain(store: &Store, d: &Dispatcher) {
    for _ in 0..500 {
        d.run_once().await.expect("round");
        let pending = store
            .deliveries(false, 1000)
            .await
            .expect("deliveries")
            .iter()
            .any(|x| x.state == "PENDING");
        if !pending {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deliveries still pending after 5 s");
}

#[tokio::test]
async fn delivers_the_spec_body_with_valid_signatures() {
    let (_dir, store) = new_store().await;
    let (r, url) = receiver(&[]).await;
    let d = dispatcher(&store, &url, &[10]).await;
    let id = created_event(&store, 1).await;
    drain(&store, &d).await;
    let got = r.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert_signed(&got[0], SECRET);
    assert_eq!(header(&got[0], "x-lightning-event-id"), id);
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).expect("json");
    let mut keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "amount_eur",
            "amount_sats",
            "description",
            "event",
            "id",
            "invoice_id",
            "metadata",
            "payment_hash",
            "timestamp"
        ]
    );
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["event"], "invoice_created");
    assert_eq!(body["amount_sats"], 27_778);
    assert_eq!(body["timestamp"], "2023-11-14T22:13:20Z");
    assert!(String::from_utf8_lossy(&got[0].body).contains("\"amount_eur\":12.50"));
    assert!(body["metadata"].get("original_invoice").is_some() && body["metadata"].get("client").is_some());
    // A wrong secret does not verify.
    assert_ne!(
        header(&got[0], "x-lightning-signature"),
        hmac_hex("other", &got[0].body)
    );
    let deliveries = store.deliveries(false, 10).await.expect("deliveries");
    assert_eq!(deliveries[0].state, "DELIVERED");
    let log = store.delivery_attempts(deliveries[0].event_seq).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].http_status, Some(200));
}

#[tokio::test]
async fn the_spec_python_verify_webhook_accepts_the_signature() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 not available: skipped");
        return;
    }
    let (dir, store) = new_store().await;
    let (r, url) = receiver(&[]).await;
    let d = dispatcher(&store, &url, &[10]).await;
    created_event(&store, 2).await;
    drain(&store, &d).await;
    let got = r.got.lock().expect("lock")[0].clone();
    let body_path = dir.path().join("body.bin");
    std::fs::write(&body_path, &got.body).expect("write body");
    let script = r#"
import hmac
import hashlib
import sys

def verify_webhook(payload, signature, secret):
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)

payload = open(sys.argv[1], 'rb').read()
ok = verify_webhook(payload, sys.argv[2], sys.argv[3])
bad = verify_webhook(payload + b' ', sys.argv[2], sys.argv[3])
sys.exit(0 if ok and not bad else 1)
"#;
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&body_path)
        .arg(header(&got, "x-lightning-signature"))
        .arg(SECRET)
        .status()
        .expect("run python3");
    assert!(status.success(), "the spec's verify_webhook rejected our signature");
}

#[tokio::test]
async fn receiver_down_then_up_is_delivered() {
    let (_dir, store) = new_store().await;
    // Nothing listens here at first: connection refused.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead = format!("http://{}/hook", probe.local_addr().expect("addr"));
    drop(probe);
    let d = dispatcher(&store, &dead, &[10, 10, 10, 10, 10, 10]).await;
    created_event(&store, 3).await;
    for _ in 0..2 {
        d.run_once().await.expect("round");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Then up, but answering 503 twice more.
    let (r, url) = receiver(&[503, 503]).await;
    store
        .upsert_webhook_endpoint(DEFAULT_ENDPOINT, &url, None, "*", true)
        .await
        .expect("move endpoint");
    drain(&store, &d).await;
    assert_eq!(r.got.lock().expect("lock").len(), 3);
    let delivery = store.deliveries(false, 10).await.expect("deliveries").remove(0);
    assert_eq!(delivery.state, "DELIVERED");
    let log = store.delivery_attempts(delivery.event_seq).await.expect("log");
    let statuses: Vec<Option<i64>> = log.iter().map(|a| a.http_status).collect();
    assert_eq!(statuses, vec![None, None, Some(503), Some(503), Some(200)]);
    // Only "unreachable": the network error's detail would make deliveries a port scanner.
    assert_eq!(log[0].error.as_deref(), Some("unreachable"));
}

#[tokio::test]
async fn gone_410_is_final_and_500_is_retried_until_the_schedule_ends() {
    let (_dir, store) = new_store().await;
    let (gone, gone_url) = receiver(&[410, 410, 410]).await;
    let d = dispatcher(&store, &gone_url, &[10, 10]).await;
    created_event(&store, 4).await;
    drain(&store, &d).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    d.run_once().await.expect("round");
    assert_eq!(gone.got.lock().expect("lock").len(), 1, "410 is not retried");
    assert_eq!(store.deliveries(true, 10).await.expect("failed").len(), 1);

    let (_dir2, store2) = new_store().await;
    let (broken, broken_url) = receiver(&[500, 500, 500, 500]).await;
    let d2 = dispatcher(&store2, &broken_url, &[10, 10]).await;
    created_event(&store2, 5).await;
    drain(&store2, &d2).await;
    assert_eq!(broken.got.lock().expect("lock").len(), 3, "first attempt + 2 retries");
    let failed = store2.deliveries(true, 10).await.expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_status, Some(500));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (_dir, store) = new_store().await;
    let (r, url) = receiver(&[302]).await;
    let d = dispatcher(&store, &url, &[10, 10]).await;
    created_event(&store, 6).await;
    drain(&store, &d).await;
    assert_eq!(r.got.lock().expect("lock").len(), 1);
    assert_eq!(
        *r.redirected_hits.lock().expect("lock"),
        0,
        "the redirect target was never called"
    );
    let failed = store.deliveries(true, 10).await.expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_status, Some(302));
}

#[tokio::test]
async fn first_attempts_follow_event_order_and_redelivery_reuses_the_id() {
    let (_dir, store) = new_store().await;
    let (r, url) = receiver(&[503]).await;
    // The retry waits 300 ms: long enough on a loaded machine for the two later first attempts
    // (one delivery a round) to go before it, as they must; 30 ms let the retry overtake them.
    let d = dispatcher(&store, &url, &[300, 300]).await;
    let mut ids = Vec::new();
    for n in 7..10 {
        ids.push(created_event(&store, n).await);
    }
    drain(&store, &d).await;
    let seen: Vec<String> = r
        .got
        .lock()
        .expect("lock")
        .iter()
        .map(|x| header(x, "x-lightning-event-id").to_string())
        .collect();
    // First attempts in event order; a retry does not hold later events back.
    assert_eq!(
        seen,
        vec![ids[0].clone(), ids[1].clone(), ids[2].clone(), ids[0].clone()]
    );

    let before = r.got.lock().expect("lock")[3].body.clone();
    assert_eq!(store.redeliver_event(&ids[0]).await.expect("redeliver"), Some(1));
    drain(&store, &d).await;
    let last = r.got.lock().expect("lock").last().cloned().expect("redelivered");
    assert_eq!(header(&last, "x-lightning-event-id"), ids[0]);
    assert_eq!(last.body, before, "same body, same id");
    assert_eq!(store.redeliver_event("evt_missing").await.expect("redeliver"), None);
}

#[tokio::test]
async fn extra_endpoints_have_their_own_secret_and_filter() {
    let (_dir, store) = new_store().await;
    let (all, all_url) = receiver(&[]).await;
    let (none, none_url) = receiver(&[]).await;
    store
        .upsert_webhook_endpoint("erp", &all_url, Some("erp-secret"), "invoice_created", true)
        .await
        .expect("add");
    store
        .upsert_webhook_endpoint("crm", &none_url, Some("crm-secret"), "payment_received", true)
        .await
        .expect("add");
    let d = Dispatcher::new(store.clone(), fast_config(&[10]), None).expect("dispatcher");
    created_event(&store, 11).await;
    drain(&store, &d).await;
    let got = all.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert_signed(&got[0], "erp-secret");
    assert!(none.got.lock().expect("lock").is_empty(), "filtered out");
}

/// Crash safety: `openfatture lightning watch` is SIGKILLed at a random moment right after a
/// settle, then restarted; every payment_received webhook arrives at least once, never zero
/// times. Iterations: `WEBHOOK_CRASH_LOOPS` (default 20, a few seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_watch_right_after_a_settle_never_loses_the_webhook() {
    use common::lightning::{client_with_timeout, coingecko_at, rates_from, start_node_at, POLICY};
    use openfatture::invoices::{CreateRequest, InvoiceService};
    use rand::Rng;
    use simnode::{MacaroonKind, PayOptions};

    let loops: usize = std::env::var("WEBHOOK_CRASH_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let sim_dir = dir.path().join("simnode");
    let node = start_node_at(&sim_dir, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simnode");
    let lnd = client_with_timeout(&node, MacaroonKind::Invoice, Duration::from_secs(5))
        .await
        .expect("connect");
    let store = Store::open_in(&home).await.expect("store");
    let rates = coingecko_at("45000").await;
    let service = InvoiceService::new(store.clone(), lnd, rates_from(&rates), POLICY);
    let (r, url) = receiver(&[]).await;
    let watch = || {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_openfatture"));
        cmd.args(["lightning", "watch"])
            .env_clear()
            .env("HOME", &home)
            .env("OPENFATTURE_HOME", &home)
            .env("LIGHTNING_HOST", node.grpc_addr().to_string())
            .env("LIGHTNING_CERT_PATH", node.tls_cert_path())
            .env("LIGHTNING_MACAROON_PATH", node.macaroon_path(MacaroonKind::Invoice))
            .env("LIGHTNING_WEBHOOK_ENABLED", "true")
            .env("LIGHTNING_WEBHOOK_URL", &url)
            .env("LIGHTNING_WEBHOOK_SECRET", SECRET)
            .env("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        cmd.spawn().expect("spawn openfatture lightning watch")
    };
    let payment_ids = |r: &Receiver| -> Vec<String> {
        r.got
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|x| serde_json::from_slice::<serde_json::Value>(&x.body).ok())
            .filter(|b| b["event"] == "payment_received")
            .filter_map(|b| b["invoice_id"].as_str().map(String::from))
            .collect()
    };
    let mut child = watch();
    for i in 0..loops {
        let inv = service
            .create(CreateRequest {
                amount_eur: Some(Decimal::from(10 + i as i64)),
                ..CreateRequest::default()
            })
            .await
            .expect("create")
            .invoice;
        simnode::pay(
            &sim_dir,
            inv.payment_request.as_deref().expect("bolt11"),
            PayOptions::default(),
        )
        .await
        .expect("pay");
        let delay_ms = rand::thread_rng().gen_range(0..150);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        child = watch();
        let mut delivered = 0;
        for _ in 0..300 {
            delivered = payment_ids(&r).iter().filter(|id| **id == inv.id).count();
            if delivered >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            delivered >= 1,
            "iteration {i} (killed after {delay_ms} ms): webhook for {} never arrived",
            inv.id
        );
        let events = store.events_for_invoice(&inv.id).await.expect("events");
        let received: Vec<_> = events.iter().filter(|e| e.kind == "payment_received").collect();
        assert_eq!(received.len(), 1, "one event per settle");
    }
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
}

fn cli(home: &std::path::Path, url: &str) -> assert_cmd::Command {
    let mut cmd = common::openfatture(home);
    cmd.env("LIGHTNING_WEBHOOK_ENABLED", "true")
        .env("LIGHTNING_WEBHOOK_URL", url)
        .env("LIGHTNING_WEBHOOK_SECRET", SECRET)
        .env("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_commands_add_list_test_deliveries_redeliver_remove() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_path_buf();
    let (r, url) = receiver(&[]).await;
    let (extra, extra_url) = receiver(&[]).await;

    let h = home.clone();
    let u = url.clone();
    let eu = extra_url.clone();
    let listed = tokio::task::spawn_blocking(move || {
        stdout_of(cli(&h, &u).args([
            "lightning",
            "webhooks",
            "add",
            "erp",
            &eu,
            "--secret",
            "erp-secret",
            "--events",
            "payment_received",
        ]));
        let bad = cli(&h, &u)
            .args([
                "lightning",
                "webhooks",
                "add",
                "x",
                &eu,
                "--secret",
                "s",
                "--events",
                "paid",
            ])
            .output()
            .expect("runs");
        assert_eq!(bad.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown event 'paid'"));
        stdout_of(cli(&h, &u).args(["lightning", "webhooks", "test"]));
        stdout_of(cli(&h, &u).args(["lightning", "webhooks", "test", "--endpoint", "erp"]));
        stdout_of(cli(&h, &u).args(["--json", "lightning", "webhooks", "list"]))
    })
    .await
    .expect("cli");
    assert!(
        !listed.contains("erp-secret") && !listed.contains(SECRET),
        "secrets never listed: {listed}"
    );
    let endpoints: serde_json::Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(endpoints.as_array().expect("array").len(), 2);
    let test_default = r.got.lock().expect("lock")[0].clone();
    assert_signed(&test_default, SECRET);
    assert_signed(&extra.got.lock().expect("lock")[0], "erp-secret");

    // An event in the outbox, delivered by a dispatcher, then redelivered through the CLI.
    let store = Store::open_in(&home).await.expect("store");
    let id = created_event(&store, 20).await;
    let d = Dispatcher::new(store.clone(), fast_config(&[10]), Some(SecretString::from(SECRET))).expect("dispatcher");
    drain(&store, &d).await;
    let h = home.clone();
    let u = url.clone();
    let event_id = id.clone();
    let deliveries = tokio::task::spawn_blocking(move || {
        let out = stdout_of(cli(&h, &u).args(["lightning", "webhooks", "redeliver", &event_id]));
        assert!(out.contains("Queued"), "{out}");
        let missing = cli(&h, &u)
            .args(["lightning", "webhooks", "redeliver", "evt_nope"])
            .output()
            .expect("runs");
        assert_eq!(missing.status.code(), Some(1));
        let log = stdout_of(cli(&h, &u).args(["lightning", "webhooks", "deliveries", "--event", &event_id]));
        assert!(
            log.contains("status=200") && log.contains("DELIVERED") && log.contains(" ms "),
            "{log}"
        );
        stdout_of(cli(&h, &u).args(["lightning", "webhooks", "deliveries"]))
    })
    .await
    .expect("cli");
    assert!(
        deliveries.contains(&id) && deliveries.contains("PENDING"),
        "{deliveries}"
    );
    drain(&store, &d).await;
    let ids: Vec<String> = r
        .got
        .lock()
        .expect("lock")
        .iter()
        .map(|x| header(x, "x-lightning-event-id").to_string())
        .collect();
    assert_eq!(
        ids.iter().filter(|x| **x == id).count(),
        2,
        "delivered, then redelivered with the same id"
    );

    let h = home.clone();
    let u = url.clone();
    tokio::task::spawn_blocking(move || {
        stdout_of(cli(&h, &u).args(["lightning", "webhooks", "remove", "erp"]));
        let again = cli(&h, &u)
            .args(["lightning", "webhooks", "remove", "erp"])
            .output()
            .expect("runs");
        assert_eq!(again.status.code(), Some(1));
        let failed = stdout_of(cli(&h, &u).args(["lightning", "webhooks", "deliveries", "--failed"]));
        assert!(failed.contains("No deliveries"), "{failed}");
    })
    .await
    .expect("cli");
}

#[tokio::test]
async fn an_open_circuit_breaker_stops_attempts_to_a_failing_endpoint() {
    let (_dir, store) = new_store().await;
    let (r, url) = receiver(&[503; 20]).await;
    store
        .upsert_webhook_endpoint(DEFAULT_ENDPOINT, &url, None, "*", true)
        .await
        .expect("endpoint");
    let cfg = DispatcherConfig {
        breaker_threshold: 2,
        breaker_open: Duration::from_secs(30),
        ..fast_config(&[1; 10])
    };
    let d = Dispatcher::new(store.clone(), cfg, Some(SecretString::from(SECRET))).expect("dispatcher");
    created_event(&store, 30).await;
    for _ in 0..20 {
        d.run_once().await.expect("round");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        r.got.lock().expect("lock").len(),
        2,
        "no attempts while the breaker is open"
    );
    let pending = store.deliveries(false, 10).await.expect("deliveries");
    assert_eq!(pending[0].state, "PENDING", "still queued, not lost");
}

#[test]
fn watch_refuses_webhooks_enabled_without_a_url_or_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("tls.cert");
    let macaroon = dir.path().join("invoice.macaroon");
    std::fs::write(&cert, "not used").expect("cert");
    std::fs::write(&macaroon, [2u8, 1, 3]).expect("macaroon");
    let run = |url: Option<&str>, secret: Option<&str>| {
        let mut cmd = common::openfatture(dir.path());
        cmd.args(["lightning", "watch"])
            .env("LIGHTNING_HOST", "127.0.0.1:1")
            .env("LIGHTNING_CERT_PATH", &cert)
            .env("LIGHTNING_MACAROON_PATH", &macaroon)
            .env("LIGHTNING_WEBHOOK_ENABLED", "true")
            .timeout(Duration::from_secs(20));
        if let Some(url) = url {
            cmd.env("LIGHTNING_WEBHOOK_URL", url);
        }
        if let Some(secret) = secret {
            cmd.env("LIGHTNING_WEBHOOK_SECRET", secret);
        }
        let out = cmd.output().expect("runs");
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).expect("utf8")
    };
    assert!(run(None, Some("s")).contains("lightning_webhook_url is not set"));
    assert!(run(Some("https://example.invalid/hook"), None).contains("lightning_webhook_secret"));
    assert!(run(Some("ftp://example.invalid/hook"), Some("s")).contains("http:// or https://"));
}

/// `lightning webhooks add --events`: the help names every event kind (written by hand, it lacked
/// `liquidity_alert`), every one of them is accepted as a filter, and a refusal names them all.
#[test]
fn webhooks_add_names_every_event_in_its_help_and_accepts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = "http://127.0.0.1:9/hook";
    let help = stdout_of(cli(dir.path(), url).args(["lightning", "webhooks", "add", "--help"]));
    assert!(help.contains("liquidity_alert"), "{help}");
    for kind in EventKind::ALL {
        assert!(help.contains(kind.as_str()), "{kind} missing from: {help}");
    }
    let every = EventKind::ALL.map(|k| k.as_str()).join(",");
    stdout_of(cli(dir.path(), url).args([
        "lightning",
        "webhooks",
        "add",
        "ops",
        url,
        "--secret",
        "s",
        "--events",
        &every,
    ]));
    let listed = stdout_of(cli(dir.path(), url).args(["--json", "lightning", "webhooks", "list"]));
    assert!(listed.contains(&every), "{listed}");
    let bad = cli(dir.path(), url)
        .args([
            "lightning",
            "webhooks",
            "add",
            "x",
            url,
            "--secret",
            "s",
            "--events",
            "paid",
        ])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    let refusal = String::from_utf8_lossy(&bad.stderr);
    for kind in EventKind::ALL {
        assert!(refusal.contains(kind.as_str()), "{kind} missing from: {refusal}");
    }
}

/// A TCP listener on 127.0.0.1 that only counts the connections it is offered; its port.
async fn counting_listener() -> (Arc<std::sync::atomic::AtomicUsize>, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    (count, port)
}

fn connections(count: &std::sync::atomic::AtomicUsize) -> usize {
    count.load(std::sync::atomic::Ordering::SeqCst)
}

/// Delivers one event to `url` with `allow_private`; the failed delivery's last error (the
/// delivery must have failed after exactly one attempt: a refusal is final).
async fn refused_delivery(url: &str, allow_private: bool) -> String {
    let (_dir, store) = new_store().await;
    store
        .upsert_webhook_endpoint(DEFAULT_ENDPOINT, url, None, "*", true)
        .await
        .expect("endpoint");
    let cfg = DispatcherConfig {
        allow_private,
        ..fast_config(&[10, 10, 10])
    };
    let d = Dispatcher::new(store.clone(), cfg, Some(SecretString::from(SECRET))).expect("dispatcher");
    created_event(&store, 40).await;
    drain(&store, &d).await;
    let failed = store.deliveries(true, 10).await.expect("failed");
    assert_eq!(failed.len(), 1, "{url}: the delivery is marked failed");
    assert_eq!(failed[0].attempts, 1, "{url}: a refusal is not retried");
    assert_eq!(failed[0].last_status, None);
    failed[0].last_error.clone().unwrap_or_default()
}

/// Issue 30 item 9: loopback is refused by default (the local listener sees no connection) and
/// reached with `allow_private`.
#[tokio::test]
async fn a_loopback_webhook_is_refused_by_default_and_sent_with_allow_private() {
    let (count, port) = counting_listener().await;
    let error = refused_delivery(&format!("http://127.0.0.1:{port}/hook"), false).await;
    assert!(
        error.starts_with("refused: 127.0.0.1 is a loopback address")
            && error.contains("lightning_webhook_allow_private"),
        "{error}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(connections(&count), 0, "nothing was sent");

    let (_dir, store) = new_store().await;
    let (r, url) = receiver(&[]).await;
    let d = dispatcher(&store, &url, &[10]).await; // allow_private: true
    created_event(&store, 41).await;
    drain(&store, &d).await;
    assert_eq!(r.got.lock().expect("lock").len(), 1, "delivered with allow_private");
}

/// A name is resolved, then every address checked: `localhost` (127.0.0.1 / ::1) is refused by
/// default although the URL holds no address.
#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_by_default() {
    let (count, port) = counting_listener().await;
    let error = refused_delivery(&format!("http://localhost:{port}/hook"), false).await;
    assert!(
        error.starts_with("refused: ") && error.contains("is a loopback address"),
        "{error}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(connections(&count), 0, "nothing was sent");
}

/// Link-local (cloud metadata) addresses are refused even with `allow_private`, in every form.
#[tokio::test]
async fn the_metadata_address_is_refused_even_with_allow_private() {
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://0.0.0.0:9/hook",
        "http://224.0.0.1/hook",
    ] {
        let error = refused_delivery(url, true).await;
        assert!(
            error.starts_with("refused: ") && error.contains("webhooks never go there"),
            "{url}: {error}"
        );
        // And they cannot be configured in the first place.
        assert!(openfatture::webhooks::check_url(url).is_err(), "{url}");
    }
}

/// `user:password@` is refused when an endpoint is added, when the URL is configured, and at
/// delivery (for a row written by an older version).
#[tokio::test]
async fn credentials_in_a_webhook_url_are_refused_everywhere() {
    let (count, port) = counting_listener().await;
    let url = format!("http://user:pass@127.0.0.1:{port}/hook");
    let error = refused_delivery(&url, true).await;
    assert!(error.contains("user:password@"), "{error}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(connections(&count), 0, "nothing was sent");

    let err = openfatture::webhooks::check_url(&url).expect_err("refused");
    assert!(err.to_string().contains("user:password@"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let (home, u) = (dir.path().to_path_buf(), url.clone());
    tokio::task::spawn_blocking(move || {
        let add = cli(&home, "https://example.invalid/hook")
            .args(["lightning", "webhooks", "add", "erp", &u, "--secret", "s"])
            .output()
            .expect("runs");
        assert_eq!(add.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&add.stderr).contains("user:password@"));
        let set = common::openfatture(&home)
            .args(["config", "set", "lightning_webhook_url", &u])
            .output()
            .expect("runs");
        assert_eq!(set.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&set.stderr);
        assert!(stderr.contains("without user:password@"), "{stderr}");
        assert!(
            !home.join("config.toml").exists()
                || !std::fs::read_to_string(home.join("config.toml"))
                    .expect("read")
                    .contains("pass")
        );
    })
    .await
    .expect("cli");
}

/// `webhooks test` to a closed port says only "unreachable": no connection error detail that
/// would tell a closed port from a filtered one or name the peer's answer.
#[tokio::test]
async fn a_test_delivery_to_a_closed_port_says_only_unreachable() {
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead = format!("http://{}/hook", probe.local_addr().expect("addr"));
    drop(probe);
    let (_dir, store) = new_store().await;
    let d = dispatcher(&store, &dead, &[10]).await;
    let result = d.send_test(DEFAULT_ENDPOINT, &dead).await.expect("test");
    assert_eq!(result.error.as_deref(), Some("unreachable"), "{result:?}");
    assert_eq!(result.status, None);

    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        cli(&home, &dead)
            .args(["lightning", "webhooks", "test"])
            .output()
            .expect("runs")
    })
    .await
    .expect("cli");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(": unreachable"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("connection refused"), "{stderr}");
}
