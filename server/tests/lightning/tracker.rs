//! The payment tracker against the simulated node over real TLS + gRPC: every state change of
//! our invoices becomes exactly one event, across dropped streams, node restarts and
//! duplicate reports.

use crate::common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::lightning::{client_with_timeout, coingecko_at, rates_from, start_node_at, POLICY};
use openfatture::invoices::{CreateRequest, InvoiceService};
use openfatture::lnd::LndClient;
use openfatture::store::{InvoiceState, Store};
use openfatture::tracker::{Tracker, TrackerConfig};
use rust_decimal::Decimal;
use simnode::{FaultCommand, MacaroonKind, PayOptions, RunningNode};
use tempfile::TempDir;
use wiremock::MockServer;

struct Harness {
    _dir: TempDir,
    sim_dir: PathBuf,
    node: Option<RunningNode>,
    lnd: LndClient,
    store: Store,
    service: InvoiceService,
    _rates: MockServer,
}

async fn start_node(sim_dir: &std::path::Path, listen: SocketAddr) -> RunningNode {
    start_node_at(sim_dir, listen).await.expect("simnode starts")
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim_dir = dir.path().join("simnode");
    let node = start_node(&sim_dir, "127.0.0.1:0".parse().expect("addr")).await;
    let lnd = client_with_timeout(&node, MacaroonKind::Invoice, Duration::from_secs(5))
        .await
        .expect("connect");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    let rates = coingecko_at("45000").await;
    let service = InvoiceService::new(store.clone(), lnd.clone(), rates_from(&rates), POLICY);
    Harness {
        _dir: dir,
        sim_dir,
        node: Some(node),
        lnd,
        store,
        service,
        _rates: rates,
    }
}

fn fast() -> TrackerConfig {
    TrackerConfig {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        sweep_interval: Duration::from_secs(30),
    }
}

async fn standalone(h: &Harness, eur: i64) -> openfatture::store::LnInvoice {
    h.service
        .create(CreateRequest {
            amount_eur: Some(Decimal::from(eur)),
            ..CreateRequest::default()
        })
        .await
        .expect("create")
        .invoice
}

async fn pay(h: &Harness, invoice: &openfatture::store::LnInvoice) {
    simnode::pay(
        &h.sim_dir,
        invoice.payment_request.as_deref().expect("bolt11"),
        PayOptions::default(),
    )
    .await
    .expect("customer pays");
}

/// Event names of one invoice, in order.
async fn kinds(store: &Store, id: &str) -> Vec<String> {
    store
        .events_for_invoice(id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// Waits until the invoice has `want` events (up to 10 s), then a little longer to catch extras.
async fn wait_for_events(store: &Store, id: &str, want: usize) -> Vec<String> {
    for _ in 0..200 {
        if kinds(store, id).await.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    kinds(store, id).await
}

#[tokio::test]
async fn a_settle_is_exactly_one_payment_received_even_when_seen_twice() {
    let h = harness().await;
    let tracker = Tracker::new(h.store.clone(), h.lnd.clone(), fast());
    let running = tracker.clone().spawn();
    let inv = standalone(&h, 500).await;
    assert_eq!(kinds(&h.store, &inv.id).await, vec!["invoice_created"]);
    pay(&h, &inv).await;
    let got = wait_for_events(&h.store, &inv.id, 2).await;
    assert_eq!(got, vec!["invoice_created", "payment_received"]);

    // The same settle again: the node's record applied directly, and a full sweep.
    let node = h
        .lnd
        .lookup_invoice(hex::decode(&inv.payment_hash).expect("hex"))
        .await
        .expect("lookup");
    assert!(
        !tracker.apply(&node).await.expect("apply"),
        "a second report changes nothing"
    );
    assert_eq!(tracker.sweep().await.expect("sweep"), 0);
    // And through the invoice service's refresh path.
    assert_eq!(
        h.service.refresh(&inv.id).await.expect("refresh").state,
        InvoiceState::Settled
    );
    assert_eq!(
        kinds(&h.store, &inv.id).await,
        vec!["invoice_created", "payment_received"]
    );

    let events = h.store.events_for_invoice(&inv.id).await.expect("events");
    let body: serde_json::Value = serde_json::from_str(&events[1].payload).expect("json body");
    assert_eq!(body["id"], events[1].id.as_str());
    assert_eq!(body["event"], "payment_received");
    assert_eq!(body["invoice_id"], inv.id.as_str());
    assert_eq!(body["payment_hash"], inv.payment_hash.as_str());
    // 500 EUR at 45,000 EUR/BTC = 1,111,111.1 sats, invoiced rounded up.
    assert_eq!(body["amount_sats"], 1_111_112);
    assert!(
        events[1].payload.contains("\"amount_eur\":500.00"),
        "{}",
        events[1].payload
    );
    assert!(body["timestamp"].as_str().expect("timestamp").ends_with('Z'));
    let (_, settle_index) = h.store.tracker_indexes().await.expect("indexes");
    assert!(settle_index >= 1, "settle index persisted");
    running.stop().await;
}

#[tokio::test]
async fn dropped_streams_between_settles_lose_and_duplicate_nothing() {
    let h = harness().await;
    let running = Tracker::new(h.store.clone(), h.lnd.clone(), fast()).spawn();
    let mut invoices = Vec::new();
    for eur in [10, 20, 30] {
        invoices.push(standalone(&h, eur).await);
    }
    for inv in &invoices {
        pay(&h, inv).await;
        simnode::fault(&h.sim_dir, FaultCommand::DropStreams)
            .await
            .expect("drop streams");
    }
    for inv in &invoices {
        assert_eq!(
            wait_for_events(&h.store, &inv.id, 2).await,
            vec!["invoice_created", "payment_received"]
        );
    }
    running.stop().await;
}

#[tokio::test]
async fn settles_while_the_tracker_is_down_or_the_node_restarts_are_caught_up() {
    let mut h = harness().await;
    let a = standalone(&h, 11).await;
    let b = standalone(&h, 12).await;
    // Paid before any tracker runs: found by the start-up replay/sweep.
    pay(&h, &a).await;
    let running = Tracker::new(h.store.clone(), h.lnd.clone(), fast()).spawn();
    assert_eq!(
        wait_for_events(&h.store, &a.id, 2).await,
        vec!["invoice_created", "payment_received"]
    );

    // Node restart on the same address while the tracker runs.
    let node = h.node.take().expect("node");
    let addr = node.grpc_addr();
    node.shutdown().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.node = Some(start_node(&h.sim_dir, addr).await);
    pay(&h, &b).await;
    assert_eq!(
        wait_for_events(&h.store, &b.id, 2).await,
        vec!["invoice_created", "payment_received"]
    );
    assert_eq!(
        kinds(&h.store, &a.id).await,
        vec!["invoice_created", "payment_received"]
    );
    running.stop().await;
}

#[tokio::test]
async fn cancellations_become_failed_or_cancelled_events_once() {
    let h = harness().await;
    let tracker = Tracker::new(h.store.clone(), h.lnd.clone(), fast());
    let by_node = standalone(&h, 5).await;
    let by_us = standalone(&h, 6).await;
    // Cancelled on the node behind our back: SubscribeInvoices does not stream it, the sweep sees it.
    h.lnd
        .cancel_invoice(hex::decode(&by_node.payment_hash).expect("hex"))
        .await
        .expect("cancel on node");
    h.service.cancel(&by_us.id).await.expect("cancel by us");
    assert_eq!(tracker.sweep().await.expect("sweep"), 1);
    assert_eq!(tracker.sweep().await.expect("sweep again"), 0);
    assert_eq!(
        kinds(&h.store, &by_node.id).await,
        vec!["invoice_created", "payment_failed"]
    );
    assert_eq!(
        kinds(&h.store, &by_us.id).await,
        vec!["invoice_created", "invoice_cancelled"]
    );
}

/// A local webhook receiver that records bodies and signature headers.
async fn webhook_receiver() -> (
    Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, axum::body::Bytes)>>>,
    String,
) {
    use axum::routing::post;
    let got: Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, axum::body::Bytes)>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (got, format!("http://{addr}/hook"))
}

#[tokio::test]
async fn a_settle_on_the_node_is_one_signed_payment_received_webhook() {
    use hmac::Mac;
    let h = harness().await;
    let (got, url) = webhook_receiver().await;
    h.store
        .upsert_webhook_endpoint("shop", &url, Some("s3cret"), "payment_received", true)
        .await
        .expect("endpoint");
    let tracker = Tracker::new(h.store.clone(), h.lnd.clone(), fast()).spawn();
    let cfg = openfatture::webhooks::DispatcherConfig {
        poll_interval: Duration::from_millis(20),
        retry_schedule: vec![Duration::from_millis(20); 3],
        allow_private: true,
        ..Default::default()
    };
    let dispatcher = openfatture::webhooks::Dispatcher::new(h.store.clone(), cfg, None)
        .expect("dispatcher")
        .spawn();
    let inv = standalone(&h, 500).await;
    pay(&h, &inv).await;
    simnode::fault(&h.sim_dir, FaultCommand::DropStreams)
        .await
        .expect("drop streams");
    for _ in 0..200 {
        if !got.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "exactly one webhook");
    let (headers, body) = &got[0];
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").expect("key");
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    assert_eq!(
        headers.get("x-lightning-signature").and_then(|v| v.to_str().ok()),
        Some(expected.as_str())
    );
    let json: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!(json["event"], "payment_received");
    assert_eq!(json["invoice_id"], inv.id.as_str());
    assert_eq!(json["amount_sats"], 1_111_112);
    dispatcher.stop().await;
    tracker.stop().await;
}

#[tokio::test]
async fn the_event_feed_publishes_new_events_in_order() {
    let h = harness().await;
    let old = standalone(&h, 1).await;
    let feed = openfatture::gateway::EventFeed::spawn(h.store.clone(), Duration::from_millis(20))
        .await
        .expect("feed");
    let mut rx = feed.subscribe();
    let running = Tracker::new(h.store.clone(), h.lnd.clone(), fast()).spawn();
    let inv = standalone(&h, 2).await;
    pay(&h, &inv).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no event in 10 s; seen {seen:?}"))
            .expect("event");
        seen.push((event.ln_invoice_id, event.kind));
    }
    assert_eq!(
        seen,
        vec![
            (inv.id.clone(), "invoice_created".to_string()),
            (inv.id.clone(), "payment_received".to_string())
        ]
    );
    assert_ne!(old.id, inv.id, "events from before the feed started are not replayed");
    running.stop().await;
    feed.stop().await;
}

/// The tracker holds back the add index of bare add notifications (no write per new invoice)
/// but stores it within about a second, so a restart resumes after the burst.
#[tokio::test]
async fn a_burst_of_new_invoices_is_stored_as_the_resume_add_index_soon_after() {
    let h = harness().await;
    let running = Tracker::new(h.store.clone(), h.lnd.clone(), fast()).spawn();
    // Let the first subscribe and sweep finish.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Invoices another application made on the node: for the tracker they are bare adds.
    let mut last_add = 0;
    for sat in 1..=6 {
        let added = h
            .lnd
            .add_invoice(lnd_proto::lnrpc::Invoice {
                value: 1000 * sat,
                ..Default::default()
            })
            .await
            .expect("add invoice");
        last_add = added.add_index;
    }
    let mut stored = 0;
    for _ in 0..100 {
        stored = h.store.tracker_indexes().await.expect("indexes").0;
        if stored >= last_add {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored, last_add, "the add index of the last new invoice is stored");
    // A settle right after the burst is recorded (and its settle index stored) as usual.
    let paid = standalone(&h, 7).await;
    pay(&h, &paid).await;
    assert_eq!(
        wait_for_events(&h.store, &paid.id, 2).await,
        ["invoice_created", "payment_received"]
    );
    assert!(h.store.tracker_indexes().await.expect("indexes").1 >= 1);
    running.stop().await;
}

/// An invoice recorded PENDING (with `preimage`) that the node has made: a create whose OPEN
/// record never came. Returns our record and the node's answer.
async fn pending_on_node(
    h: &Harness,
    preimage: [u8; 32],
    memo: String,
) -> (openfatture::store::LnInvoice, lnd_proto::lnrpc::AddInvoiceResponse) {
    use sha2::{Digest, Sha256};
    let ours = h
        .store
        .insert_pending_ln_invoice(&common::new_standalone_invoice(
            hex::encode(Sha256::digest(preimage)),
            hex::encode(preimage),
            memo,
        ))
        .await
        .expect("pending");
    let added = h
        .lnd
        .add_invoice(lnd_proto::lnrpc::Invoice {
            memo: ours.memo.clone(),
            r_preimage: preimage.to_vec(),
            value_msat: 27_778_000,
            expiry: 3600,
            ..Default::default()
        })
        .await
        .expect("node makes it");
    (ours, added)
}

/// A run of stream updates is applied in order with its new invoices looked up in one query:
/// invoices recorded PENDING (creates whose answer was lost) become OPEN once each, another
/// application's invoice is ignored, a settle among them is recorded; the same run again
/// changes nothing.
#[tokio::test]
async fn a_run_of_stream_updates_resolves_pending_invoices_and_settles_once() {
    let h = harness().await;
    let mut pending = Vec::new();
    for n in 1..=3u8 {
        let (ours, _) = pending_on_node(&h, [n; 32], format!("lost answer {n}")).await;
        pending.push(ours);
    }
    let foreign = h
        .lnd
        .add_invoice(lnd_proto::lnrpc::Invoice {
            value: 5_000,
            ..Default::default()
        })
        .await
        .expect("foreign");
    let settled = standalone(&h, 3).await;
    pay(&h, &settled).await;

    let lookup = |hash: String| {
        let lnd = h.lnd.clone();
        async move {
            lnd.lookup_invoice(hex::decode(hash).expect("hex"))
                .await
                .expect("lookup")
        }
    };
    let batch = vec![
        lookup(pending[0].payment_hash.clone()).await,
        lookup(hex::encode(&foreign.r_hash)).await,
        lookup(pending[1].payment_hash.clone()).await,
        lookup(settled.payment_hash.clone()).await,
        lookup(pending[2].payment_hash.clone()).await,
    ];
    let tracker = Tracker::new(h.store.clone(), h.lnd.clone(), fast());
    for _ in 0..2 {
        tracker.apply_batch(&batch).await;
        // New invoices' OPEN records ride with the store's next commit.
        h.store.flush().await.expect("flush");
        for (ours, node) in pending.iter().zip([&batch[0], &batch[2], &batch[4]]) {
            let now = h.store.ln_invoice(&ours.id).await.expect("read").expect("row");
            assert_eq!(now.state, InvoiceState::Open, "{}", ours.id);
            assert_eq!(now.payment_request.as_deref(), Some(node.payment_request.as_str()));
            assert_eq!(kinds(&h.store, &ours.id).await, ["invoice_created"]);
        }
        assert_eq!(
            kinds(&h.store, &settled.id).await,
            ["invoice_created", "payment_received"]
        );
        assert!(h
            .store
            .ln_invoice_by_hash(&hex::encode(&foreign.r_hash))
            .await
            .expect("read")
            .is_none());
    }
}

/// A create whose OPEN record was lost (a crash right after the sale was answered) leaves a
/// PENDING record of an invoice the node made. The tracker's sweep completes it, even when the
/// stored add index had already passed that invoice (its add was seen before the record was).
#[tokio::test]
async fn a_sweep_completes_an_invoice_left_pending() {
    let h = harness().await;
    let (ours, added) = pending_on_node(&h, [42; 32], "answered, then crashed".into()).await;
    h.store
        .advance_tracker_indexes(Some(added.add_index), None)
        .await
        .expect("indexes");
    let tracker = Tracker::new(h.store.clone(), h.lnd.clone(), fast());
    assert_eq!(tracker.sweep().await.expect("sweep"), 1);
    let now = h.store.ln_invoice(&ours.id).await.expect("read").expect("row");
    assert_eq!(now.state, InvoiceState::Open);
    assert_eq!(now.payment_request.as_deref(), Some(added.payment_request.as_str()));
    assert_eq!(kinds(&h.store, &ours.id).await, ["invoice_created"]);
    assert_eq!(tracker.sweep().await.expect("second sweep"), 0);
}
