//! Rate evidence kept with each Lightning invoice, and the rate in force at settlement read from
//! the rate cache alone: against the simulated node and local Kraken-, Bitstamp- and
//! Coinbase-shaped HTTP servers that count their requests.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::lightning::{client_with_timeout, start_node_at, POLICY};
use common::rates::{bitstamp_server, coinbase_server, hits, keyless_config, kraken_server};
use openfatture::invoices::{payments_in_period, to_csv, CreateRequest, InvoiceService, NO_SETTLE_RATE};
use openfatture::rates::{RateHandle, RateService};
use openfatture::store::{EvidenceVerdict, InvoiceState, Store};
use openfatture::tracker::{Tracker, TrackerConfig};
use rust_decimal_macros::dec;
use simnode::{MacaroonKind, PayOptions};

#[tokio::test]
async fn an_invoice_keeps_the_answers_used_and_the_dropped_one_and_a_settlement_with_an_empty_cache_asks_no_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim_dir = dir.path().join("simnode");
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let node = start_node_at(&sim_dir, listen).await.expect("simnode starts");
    let lnd = client_with_timeout(&node, MacaroonKind::Invoice, Duration::from_secs(5))
        .await
        .expect("connect");
    let data = dir.path().join("data");
    let store = Store::open_in(&data).await.expect("store");
    // Coinbase lies by 5 %: dropped, named, with its reason; the rate is the others' median.
    let (kraken, bitstamp, coinbase) = (
        kraken_server("60000.50").await,
        bitstamp_server("60010.00").await,
        coinbase_server("63000.0").await,
    );
    let config = keyless_config(&kraken, &bitstamp, &coinbase);
    let quoting = Arc::new(RateService::new(config.clone()).expect("rates"));
    let service = InvoiceService::new(store.clone(), lnd.clone(), quoting, POLICY);
    let invoice = service
        .create(CreateRequest {
            amount_eur: Some(dec!(12.50)),
            ..CreateRequest::default()
        })
        .await
        .expect("create")
        .invoice;
    assert_eq!(invoice.rate_eur_per_btc, dec!(60005.25));
    let asked = [hits(&kraken).await, hits(&bitstamp).await, hits(&coinbase).await];
    assert_eq!(asked, [1, 1, 1]);

    // Stored exactly: the two answers used, as answered (exact decimal text), then the dropped one.
    let evidence = store.rate_evidence(&invoice.id).await.expect("evidence");
    let summary: Vec<(String, EvidenceVerdict, String)> = evidence
        .iter()
        .map(|e| {
            (
                e.provider.clone(),
                e.verdict,
                e.eur_per_btc.map(|p| p.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("kraken".to_owned(), EvidenceVerdict::Used, "60000.50".to_owned()),
            ("bitstamp".to_owned(), EvidenceVerdict::Used, "60010.00".to_owned()),
            ("coinbase".to_owned(), EvidenceVerdict::Dropped, "63000.0".to_owned()),
        ]
    );
    let now_ms = chrono::Utc::now().timestamp_millis();
    for e in &evidence {
        let at = e.answered_at_ms.expect("answer time");
        assert!((now_ms - 60_000..=now_ms).contains(&at), "{e:?}");
    }
    assert_eq!(evidence[0].reason, None);
    let reason = evidence[2].reason.as_deref().expect("reason");
    assert!(
        reason.contains("coinbase answered 63000.0 EUR/BTC") && reason.contains("dropped"),
        "{reason}"
    );

    // Settlement by a tracker whose rate service has never quoted (empty cache): none recorded,
    // and no provider is asked on the settlement path.
    let cold = Arc::new(RateService::new(config).expect("rates"));
    let tracker = Tracker::new(store.clone(), lnd.clone(), TrackerConfig::default()).with_rates(RateHandle::new(cold));
    simnode::pay(
        &sim_dir,
        invoice.payment_request.as_deref().expect("bolt11"),
        PayOptions::default(),
    )
    .await
    .expect("customer pays");
    tracker.sweep().await.expect("sweep");
    let settled = store.ln_invoice(&invoice.id).await.expect("read").expect("stored");
    assert_eq!(settled.state, InvoiceState::Settled);
    let payment = store
        .payment(&invoice.payment_hash)
        .await
        .expect("read")
        .expect("payment");
    assert_eq!(payment.settle_rate, None);
    assert_eq!(
        [hits(&kraken).await, hits(&bitstamp).await, hits(&coinbase).await],
        asked,
        "a settlement asked a provider"
    );
    let rows = payments_in_period(&store, None, None).await.expect("export");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].rate_eur_per_btc, dec!(60005.25));
    assert_eq!(rows[0].settle_rate_eur_per_btc, None);
    assert_eq!(rows[0].settle_rate_source, NO_SETTLE_RATE);
    assert_eq!(rows[0].rate_evidence, evidence);
    let csv = to_csv(&rows);
    assert!(
        csv.contains(&format!(
            ",60005.25,\"median(kraken,bitstamp)\",Lightning Network,,{NO_SETTLE_RATE},,"
        )),
        "{csv}"
    );

    // The evidence is still there when the database is opened again (nothing asks the network).
    store.close().await;
    let reopened = Store::open_in(&data).await.expect("store again");
    assert_eq!(reopened.rate_evidence(&invoice.id).await.expect("evidence"), evidence);
    reopened.close().await;
}
