//! A small, bounded load test on loopback: many POS clients at once create and pay invoices; every
//! settle reaches every browser stream once and the webhook receiver once.

use crate::common;
use common::web::{Web, CASHIER, CASHIER_PIN};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Concurrent POS clients (kept small: this runs in the normal test suite on 2 cores).
const CLIENTS: usize = 12;

/// Reads an SSE response until `wanted` payment_received events for these invoice ids arrived;
/// returns how often each id was announced.
async fn collect(mut stream: reqwest::Response, ids: Vec<String>) -> Result<HashMap<String, u32>, String> {
    let mut buffer = String::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let result = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let message: String = buffer.drain(..end + 2).collect();
                if !message.contains("event: payment_received") {
                    continue;
                }
                let data = message
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap_or_default();
                let body: Value = serde_json::from_str(data).unwrap_or_default();
                if let Some(id) = body["invoice_id"].as_str() {
                    *seen.entry(id.to_string()).or_default() += 1;
                }
            }
            if ids.iter().all(|id| seen.contains_key(id)) {
                // Linger briefly so a duplicate would be counted.
                let _ = tokio::time::timeout(Duration::from_millis(300), async {
                    while let Ok(Some(chunk)) = stream.chunk().await {
                        let text = String::from_utf8_lossy(&chunk).to_string();
                        for id in &ids {
                            if text.contains("event: payment_received") && text.contains(id.as_str()) {
                                *seen.entry(id.clone()).or_default() += 1;
                            }
                        }
                    }
                })
                .await;
                return;
            }
        }
    })
    .await;
    result.map_err(|_| format!("not every settle arrived on a stream; saw {seen:?}"))?;
    Ok(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pos_sales_each_reach_every_stream_and_the_webhook_once() -> TestResult {
    // The webhook receiver below listens on 127.0.0.1.
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    )
    .await
    .map_err(|e| e.to_string())?;
    // A webhook receiver counting event ids.
    let received: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let counter = counter.clone();
            async move {
                let event = headers
                    .get("x-lightning-event-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let json: Value = serde_json::from_str(&body).unwrap_or_default();
                if json["event"] == "payment_received" {
                    if let Ok(mut map) = counter.lock() {
                        *map.entry(format!("{}:{event}", json["invoice_id"].as_str().unwrap_or("")))
                            .or_default() += 1;
                    }
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let store = openfatture::store::Store::open_in(&web.home.data_dir)
        .await
        .map_err(|e| e.to_string())?;
    store
        .upsert_webhook_endpoint("erp", &hook, Some("s3cret"), "payment_received", true)
        .await?;

    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await.map_err(|e| e.to_string())?;
    // Every POS screen opens its stream before the sales start.
    let mut streams = Vec::new();
    for _ in 0..CLIENTS {
        let response = web
            .http
            .get(web.url("/api/events"))
            .header("cookie", &cookie)
            .send()
            .await?;
        assert_eq!(response.status().as_u16(), 200);
        streams.push(response);
    }
    let sim = web.simnode_dir().map_err(|e| e.to_string())?;
    let web = Arc::new(web);
    let mut sales = Vec::new();
    for n in 0..CLIENTS {
        let web = web.clone();
        let cookie = cookie.clone();
        let sim = sim.clone();
        sales.push(tokio::spawn(async move {
            let amount = format!("{},{:02}", 1 + n, n);
            let (status, sale, _) = web
                .call(
                    "pos_charge",
                    Some(&cookie),
                    &[("amount_eur", amount.as_str()), ("note", "")],
                )
                .await
                .map_err(|e| e.to_string())?;
            if status != 200 {
                return Err(format!("sale {n} refused: {sale}"));
            }
            let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?.to_string();
            simnode::pay(&sim, &bolt11, simnode::PayOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            Ok::<String, String>(sale["invoice_id"].as_str().ok_or("id")?.to_string())
        }));
    }
    let mut ids = Vec::new();
    for sale in sales {
        ids.push(sale.await??);
    }
    // Every stream saw every settle exactly once.
    let mut readers = Vec::new();
    for stream in streams {
        readers.push(tokio::spawn(collect(stream, ids.clone())));
    }
    for reader in readers {
        let seen = reader.await??;
        for id in &ids {
            assert_eq!(seen.get(id), Some(&1), "{id} on a stream: {seen:?}");
        }
    }
    // The webhook received each settle once (one stable event id per settle).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = received.lock().map(|m| m.len()).unwrap_or_default();
        if got >= CLIENTS || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let map = received.lock().map(|m| m.clone()).unwrap_or_default();
    assert_eq!(map.len(), CLIENTS, "webhook deliveries: {map:?}");
    for id in &ids {
        let hits: u32 = map
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{id}:")))
            .map(|(_, n)| *n)
            .sum();
        assert_eq!(hits, 1, "{id} delivered {hits} times");
    }
    store.close().await;
    Ok(())
}
