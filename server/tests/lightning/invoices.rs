//! Lightning invoices for EUR invoices, end to end against the simulated node over real
//! TLS + gRPC, a real SQLite file and a local CoinGecko-shaped HTTP server.

use crate::common;
use common::dump;
use common::lightning::{client_with_timeout, coingecko_at, node_invoice_count, rates_from, start_node_at, POLICY};

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use lightning_invoice::Bolt11Invoice;
use lnd_proto::lnrpc::invoice::InvoiceState;
use openfatture::invoices::{payments_in_period, to_csv, CreateRequest, InvoiceError, InvoiceService};
use openfatture::lnd::LndClient;
use openfatture::rates::{RateService, RatesConfig};
use openfatture::store::{FatturaStatus, InvoiceState as LnState, NewFattura, Store};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use simnode::{FaultCommand, MacaroonKind, PayOptions, RunningNode};
use tempfile::TempDir;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Harness {
    _dir: TempDir,
    sim_dir: std::path::PathBuf,
    node: RunningNode,
    lnd: LndClient,
    store: Store,
    service: InvoiceService,
    _rates_server: MockServer,
}

async fn harness_with_timeout(timeout: Duration) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim_dir = dir.path().join("simnode");
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let node = start_node_at(&sim_dir, listen).await.expect("simnode starts");
    let lnd = client_with_timeout(&node, MacaroonKind::Invoice, timeout)
        .await
        .expect("connect");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    let rates_server = coingecko_at("45000").await;
    let service = InvoiceService::new(store.clone(), lnd.clone(), rates_from(&rates_server), POLICY);
    Harness {
        _dir: dir,
        sim_dir,
        node,
        lnd,
        store,
        service,
        _rates_server: rates_server,
    }
}

/// Another client of the harness's node, with macaroon `kind` and a 1 s deadline.
async fn node_client(h: &Harness, kind: MacaroonKind) -> LndClient {
    client_with_timeout(&h.node, kind, Duration::from_secs(1))
        .await
        .expect("connect")
}

async fn harness() -> Harness {
    harness_with_timeout(Duration::from_secs(10)).await
}

fn fattura(numero: &str, total: Decimal) -> NewFattura {
    NewFattura {
        numero: numero.into(),
        data: NaiveDate::from_ymd_opt(2025, 1, 15).expect("date"),
        cedente_piva: String::new(),
        client_name: "Acme Corp".into(),
        client_piva: Some("IT01234567890".into()),
        client_cf: None,
        description: "Consulenza gennaio".into(),
        totale_eur: total,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        due_eur: total,
        source: "manual".into(),
    }
}

fn for_numero(numero: &str) -> CreateRequest {
    CreateRequest {
        numero: Some(numero.into()),
        ..CreateRequest::default()
    }
}

#[tokio::test]
async fn create_pay_settle_records_payment_and_marks_original_paid() {
    let h = harness().await;
    h.store
        .add_fattura(&fattura("INV-001", dec!(500.00)), 1)
        .await
        .expect("add")
        .expect("new");

    let created = h.service.create(for_numero("INV-001")).await.expect("create");
    let inv = created.invoice;
    assert!(!created.reused);
    assert_eq!(inv.id, "INV-001-LN");
    assert_eq!(inv.state, LnState::Open);
    assert_eq!(inv.amount_eur, dec!(500.00));
    // 500 EUR at 45,000 EUR/BTC = 1,111,111.1 sats, rounded up.
    assert_eq!(inv.amount_msat, 1_111_112_000);
    assert_eq!(inv.rate_eur_per_btc, dec!(45000));
    assert_eq!(inv.rate_source, "coingecko");
    assert!(!inv.rate_is_fallback);
    assert_eq!(inv.expires_at - inv.created_at, 24 * 3600);
    assert_eq!(inv.memo, "Fattura INV-001 – Acme Corp – Consulenza gennaio");

    let bolt11 = inv.payment_request.clone().expect("payment request");
    assert!(bolt11.starts_with("lnbcrt11111120n1"), "{bolt11}");
    let parsed = Bolt11Invoice::from_str(&bolt11).expect("valid BOLT11");
    assert_eq!(parsed.amount_milli_satoshis(), Some(1_111_112_000));
    assert_eq!(hex::encode(parsed.payment_hash().as_ref() as &[u8]), inv.payment_hash);

    let paid = simnode::pay(&h.sim_dir, &bolt11, PayOptions::default())
        .await
        .expect("customer pays");
    assert_eq!(paid.amount_msat, 1_111_112_000);

    let status = h.service.refresh("INV-001-LN").await.expect("status");
    assert_eq!(status.state, LnState::Settled);
    assert_eq!(status.amt_paid_msat, 1_111_112_000);
    assert!(status.settled_at.is_some());

    let payments = h.store.recent_payments(10).await.expect("payments");
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].payment_hash, inv.payment_hash);
    assert_eq!(payments[0].amount_eur, dec!(500.00));
    assert_eq!(payments[0].method, "Lightning Network");

    let original = h.store.fatture_by_numero("INV-001").await.expect("fattura").remove(0);
    assert_eq!(original.status(), FatturaStatus::Paid);
    assert_eq!(original.paid_eur, dec!(500.00));

    // Refreshing again records nothing twice.
    h.service.refresh("INV-001-LN").await.expect("status again");
    assert_eq!(h.store.recent_payments(10).await.expect("payments").len(), 1);

    let rows = payments_in_period(&h.store, None, None).await.expect("export");
    let csv = to_csv(&rows);
    assert!(csv.starts_with("settled_at,payment_hash,"), "{csv}");
    assert!(
        csv.contains(",INV-001-LN,INV-001,Acme Corp,IT01234567890,1111112,500.00,45000,coingecko,Lightning Network"),
        "{csv}"
    );
    h.node.shutdown().await;
}

#[tokio::test]
async fn partial_amount_leaves_rest_due_and_next_invoice_asks_for_it() {
    let h = harness().await;
    h.store
        .add_fattura(&fattura("INV-002", dec!(500.00)), 1)
        .await
        .expect("add");
    let first = h
        .service
        .create(CreateRequest {
            amount_eur: Some(dec!(200.00)),
            ..for_numero("INV-002")
        })
        .await
        .expect("create");
    let bolt11 = first.invoice.payment_request.clone().expect("bolt11");
    simnode::pay(&h.sim_dir, &bolt11, PayOptions::default())
        .await
        .expect("pay");
    h.service.refresh(&first.invoice.id).await.expect("refresh");
    let f = h.store.fatture_by_numero("INV-002").await.expect("f").remove(0);
    assert_eq!(f.status(), FatturaStatus::PartiallyPaid);
    assert_eq!(f.outstanding_eur(), dec!(300.00));

    let second = h.service.create(for_numero("INV-002")).await.expect("second");
    assert_eq!(second.invoice.id, "INV-002-LN-2");
    assert_eq!(second.invoice.amount_eur, dec!(300.00));
    h.node.shutdown().await;
}

#[tokio::test]
async fn create_is_idempotent_and_new_replaces_the_payable_one() {
    let h = harness().await;
    h.store
        .add_fattura(&fattura("INV-003", dec!(100.00)), 1)
        .await
        .expect("add");
    let a = h.service.create(for_numero("INV-003")).await.expect("a");
    let b = h.service.create(for_numero("INV-003")).await.expect("b");
    assert!(b.reused);
    assert_eq!(a.invoice.id, b.invoice.id);
    assert_eq!(a.invoice.payment_request, b.invoice.payment_request);
    assert_eq!(node_invoice_count(&h.lnd).await, 1);

    let c = h
        .service
        .create(CreateRequest {
            force_new: true,
            ..for_numero("INV-003")
        })
        .await
        .expect("c");
    assert!(!c.reused);
    assert_eq!(c.invoice.id, "INV-003-LN-2");
    assert!(
        c.warnings.iter().any(|w| w.contains("Cancelled INV-003-LN")),
        "{:?}",
        c.warnings
    );
    let old = h.service.refresh("INV-003-LN").await.expect("old");
    assert_eq!(old.state, LnState::Canceled);
    let node_old = h
        .lnd
        .lookup_invoice(hex::decode(&old.payment_hash).expect("hex"))
        .await
        .expect("lookup");
    assert_eq!(node_old.state, InvoiceState::Canceled as i32);
    // The cancelled one can no longer be paid.
    let refused = simnode::pay(
        &h.sim_dir,
        old.payment_request.as_deref().expect("pr"),
        PayOptions::default(),
    )
    .await;
    assert!(refused.is_err());
    h.node.shutdown().await;
}

#[tokio::test]
async fn a_create_that_times_out_is_recovered_not_duplicated() {
    let h = harness_with_timeout(Duration::from_secs(1)).await;
    h.store
        .add_fattura(&fattura("INV-004", dec!(80.00)), 1)
        .await
        .expect("add");
    simnode::fault(
        &h.sim_dir,
        FaultCommand::Latency {
            ms: 3_000,
            method: Some("AddInvoice".into()),
        },
    )
    .await
    .expect("fault");
    let first = h.service.create(for_numero("INV-004")).await;
    assert!(matches!(first, Err(InvoiceError::Unconfirmed { .. })), "{first:?}");
    let pending = h.store.ln_invoice("INV-004-LN").await.expect("get").expect("recorded");
    assert_eq!(pending.state, LnState::Pending);

    simnode::fault(&h.sim_dir, FaultCommand::Clear).await.expect("clear");
    let again = h.service.create(for_numero("INV-004")).await.expect("recovered");
    assert_eq!(again.invoice.id, "INV-004-LN");
    assert_eq!(again.invoice.payment_hash, pending.payment_hash);
    assert_eq!(again.invoice.state, LnState::Open);
    assert_eq!(
        node_invoice_count(&h.lnd).await,
        1,
        "exactly one payable invoice on the node"
    );
    let third = h.service.create(for_numero("INV-004")).await.expect("third");
    assert!(third.reused);
    assert_eq!(node_invoice_count(&h.lnd).await, 1);
    h.node.shutdown().await;
}

#[tokio::test]
async fn standalone_invoices_are_numbered() {
    let h = harness().await;
    let req = CreateRequest {
        amount_eur: Some(dec!(100.00)),
        description: Some("Consulting".into()),
        ..CreateRequest::default()
    };
    let a = h.service.create(req.clone()).await.expect("a");
    let b = h.service.create(req).await.expect("b");
    assert_eq!(a.invoice.id, "LN-000001");
    assert_eq!(b.invoice.id, "LN-000002");
    assert_eq!(a.invoice.memo, "Consulting");
    assert_eq!(a.invoice.fattura_id, None);
    h.node.shutdown().await;
}

#[tokio::test]
async fn cancel_open_invoice_and_refuse_to_cancel_a_settled_one() {
    let h = harness().await;
    h.store
        .add_fattura(&fattura("INV-005", dec!(10.00)), 1)
        .await
        .expect("add");
    h.store
        .add_fattura(&fattura("INV-006", dec!(12.50)), 1)
        .await
        .expect("add");
    let open = h.service.create(for_numero("INV-005")).await.expect("create");
    let cancelled = h.service.cancel(&open.invoice.id).await.expect("cancel");
    assert_eq!(cancelled.state, LnState::Canceled);
    assert!(cancelled.cancelled_by_us);
    assert!(matches!(
        h.service.cancel(&open.invoice.id).await,
        Err(InvoiceError::AlreadyFinal { .. })
    ));

    let paid = h.service.create(for_numero("INV-006")).await.expect("create");
    simnode::pay(
        &h.sim_dir,
        paid.invoice.payment_request.as_deref().expect("pr"),
        PayOptions::default(),
    )
    .await
    .expect("pay");
    let before = dump(&h.store).await;
    let err = h.service.cancel(&paid.invoice.id).await.expect_err("settled");
    assert!(matches!(err, InvoiceError::CannotCancelSettled(_)), "{err:?}");
    assert!(err.to_string().contains("already paid"));
    // The refresh inside cancel recorded the settlement; nothing else changed after that.
    let after = dump(&h.store).await;
    assert_ne!(before, after, "settlement recorded on refresh");
    assert!(h.service.cancel(&paid.invoice.id).await.is_err());
    assert_eq!(after, dump(&h.store).await);
    h.node.shutdown().await;
}

#[tokio::test]
async fn every_refusal_is_clear_and_changes_nothing() {
    let h = harness().await;
    h.store
        .add_fattura(&fattura("INV-010", dec!(500.00)), 1)
        .await
        .expect("add");
    let mut paid = fattura("INV-011", dec!(20.00));
    paid.numero = "INV-011".into();
    h.store.add_fattura(&paid, 1).await.expect("add");
    let settled = h.service.create(for_numero("INV-011")).await.expect("create");
    simnode::pay(
        &h.sim_dir,
        settled.invoice.payment_request.as_deref().expect("pr"),
        PayOptions::default(),
    )
    .await
    .expect("pay");
    h.service.refresh(&settled.invoice.id).await.expect("refresh");
    let nodes_before = node_invoice_count(&h.lnd).await;
    let before = dump(&h.store).await;

    let cases: Vec<(CreateRequest, &str)> = vec![
        (for_numero("NOPE-1"), "no invoice with numero NOPE-1"),
        (for_numero("INV-011"), "already paid"),
        (
            CreateRequest {
                amount_eur: Some(dec!(0)),
                ..for_numero("INV-010")
            },
            "greater than 0",
        ),
        (
            CreateRequest {
                amount_eur: Some(dec!(-5)),
                ..for_numero("INV-010")
            },
            "greater than 0",
        ),
        (
            CreateRequest {
                amount_eur: Some(dec!(10.001)),
                ..for_numero("INV-010")
            },
            "more than 2 decimals",
        ),
        (
            CreateRequest {
                amount_eur: Some(dec!(500.01)),
                ..for_numero("INV-010")
            },
            "more than the 500.00 EUR still due",
        ),
        (
            CreateRequest {
                amount_eur: Some(dec!(2_100_000_000_000_000)),
                ..CreateRequest::default()
            },
            "above the limit",
        ),
        (
            CreateRequest {
                expiry_hours: Some(0),
                ..for_numero("INV-010")
            },
            "outside the allowed 1–168 hours",
        ),
        (
            CreateRequest {
                expiry_hours: Some(169),
                ..for_numero("INV-010")
            },
            "outside the allowed 1–168 hours",
        ),
        (CreateRequest::default(), "needs --amount"),
    ];
    for (req, expected) in cases {
        let err = h.service.create(req.clone()).await.expect_err("refused");
        assert!(
            err.to_string().contains(expected),
            "{req:?}: got '{err}', want '{expected}'"
        );
        assert_eq!(dump(&h.store).await, before, "{req:?} changed the database");
    }
    assert_eq!(
        node_invoice_count(&h.lnd).await,
        nodes_before,
        "no invoice reached the node"
    );
    h.node.shutdown().await;
}

#[tokio::test]
async fn no_rate_means_no_invoice() {
    let h = harness().await;
    h.store
        .add_fattura(&fattura("INV-020", dec!(50.00)), 1)
        .await
        .expect("add");
    let down = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&down)
        .await;
    let rates = RateService::new(RatesConfig {
        coingecko_base_url: Some(down.uri()),
        coingecko_api_key: Some(common::rates::CG_KEY.to_string().into()),
        max_retries: 0,
        ..common::rates::defaults_offline()
    })
    .expect("rates");
    let service = InvoiceService::new(h.store.clone(), h.lnd.clone(), Arc::new(rates), POLICY);
    let before = dump(&h.store).await;
    let err = service.create(for_numero("INV-020")).await.expect_err("no rate");
    assert!(err.to_string().contains("lightning_fallback_rate"), "{err}");
    assert_eq!(dump(&h.store).await, before);

    // With a fallback rate the invoice is made, and the record says so.
    let fallback = RateService::new(RatesConfig {
        coingecko_base_url: Some(down.uri()),
        coingecko_api_key: Some(common::rates::CG_KEY.to_string().into()),
        max_retries: 0,
        fallback_rate: Some(dec!(40000)),
        ..common::rates::defaults_offline()
    })
    .expect("rates");
    let service = InvoiceService::new(h.store.clone(), h.lnd.clone(), Arc::new(fallback), POLICY);
    let created = service.create(for_numero("INV-020")).await.expect("fallback create");
    assert!(created.invoice.rate_is_fallback);
    assert_eq!(created.invoice.rate_source, "fallback");
    assert_eq!(created.invoice.amount_msat, 125_000_000); // 50 EUR / 40,000 = 0.00125 BTC
    assert!(!created.warnings.is_empty());
    h.node.shutdown().await;
}

/// The sale path records the invoice from AddInvoice's own answer: a LookupInvoice that would
/// time out does not slow or fail it, and what is stored is exactly what the node holds.
#[tokio::test]
async fn a_create_needs_no_lookup_and_records_what_the_node_holds() {
    let h = harness_with_timeout(Duration::from_secs(1)).await;
    simnode::fault(
        &h.sim_dir,
        FaultCommand::Latency {
            ms: 3_000,
            method: Some("LookupInvoice".into()),
        },
    )
    .await
    .expect("fault");
    let created = h
        .service
        .create(CreateRequest {
            amount_eur: Some(dec!(12.50)),
            description: Some("caffè".into()),
            ..Default::default()
        })
        .await
        .expect("created without LookupInvoice");
    let ours = created.invoice;
    assert_eq!(ours.state, LnState::Open);
    simnode::fault(&h.sim_dir, FaultCommand::Clear).await.expect("clear");

    let hash = hex::decode(&ours.payment_hash).expect("hex");
    let node = h.lnd.lookup_invoice(hash).await.expect("lookup");
    assert_eq!(ours.payment_request.as_deref(), Some(node.payment_request.as_str()));
    assert_eq!(ours.created_at, node.creation_date);
    assert_eq!(ours.expires_at, node.creation_date + node.expiry);
    assert_eq!(ours.add_index, Some(node.add_index));
    assert_eq!(ours.amount_msat, u64::try_from(node.value_msat).expect("msat"));
    // The answer (built without reading the row back) is the stored row.
    assert_eq!(h.store.ln_invoice(&ours.id).await.expect("read"), Some(ours));
    h.node.shutdown().await;
}

/// The gateway's service remembers the inbound capacity for a few seconds: a second sale right
/// after the first does not list channels again (a ListChannels that would time out leaves no
/// "inbound check unavailable" warning), while a fresh service does list them.
#[tokio::test]
async fn the_gateway_remembers_inbound_capacity_between_sales() {
    let h = harness_with_timeout(Duration::from_secs(1)).await;
    let admin = node_client(&h, MacaroonKind::Admin).await;
    let rates_server = coingecko_at("45000").await;
    let rates = rates_from(&rates_server);
    let sale = || CreateRequest {
        amount_eur: Some(dec!(3.20)),
        ..Default::default()
    };
    let cached = InvoiceService::new(h.store.clone(), admin.clone(), rates.clone(), POLICY)
        .with_inbound_cache(Duration::from_secs(60));
    let first = cached.create(sale()).await.expect("first sale");
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);

    simnode::fault(
        &h.sim_dir,
        FaultCommand::Latency {
            ms: 3_000,
            method: Some("ListChannels".into()),
        },
    )
    .await
    .expect("fault");
    let second = cached.create(sale()).await.expect("second sale");
    assert!(second.warnings.is_empty(), "{:?}", second.warnings);

    let uncached = InvoiceService::new(h.store.clone(), admin, rates, POLICY);
    let third = uncached.create(sale()).await.expect("third sale");
    assert!(
        third.warnings.iter().any(|w| w.contains("inbound check unavailable")),
        "{:?}",
        third.warnings
    );
    h.node.shutdown().await;
}

/// The gateway's service answers a sale once the PENDING record (with its preimage) is stored
/// and the node has made the invoice; the OPEN record and its one `invoice_created` event follow
/// with the store's next commit, and match what the node holds.
#[tokio::test]
async fn the_gateway_answers_once_the_record_is_stored_and_opens_it_with_the_next_commit() {
    let h = harness().await;
    let gateway = h.service.clone().record_open_soon();
    let created = gateway
        .create(CreateRequest {
            amount_eur: Some(dec!(12.50)),
            description: Some("banco".into()),
            ..Default::default()
        })
        .await
        .expect("created");
    let answered = created.invoice;
    assert_eq!(answered.state, LnState::Open);
    // Durable before the answer: the row (PENDING or already OPEN) and its preimage.
    let stored = h.store.ln_invoice(&answered.id).await.expect("read").expect("row");
    assert!(matches!(stored.state, LnState::Pending | LnState::Open), "{stored:?}");
    assert!(h
        .store
        .ln_preimage(&answered.payment_hash)
        .await
        .expect("read")
        .is_some());
    // A second sale's commit carries the first one's OPEN record.
    let second = gateway
        .create(CreateRequest {
            amount_eur: Some(dec!(3)),
            ..Default::default()
        })
        .await
        .expect("second")
        .invoice;
    h.store.flush().await.expect("flush");
    for ours in [&answered, &second] {
        assert_eq!(h.store.ln_invoice(&ours.id).await.expect("read").as_ref(), Some(ours));
        let events = h.store.events_for_invoice(&ours.id).await.expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["invoice_created"], "{}", ours.id);
        let node = h
            .lnd
            .lookup_invoice(hex::decode(&ours.payment_hash).expect("hex"))
            .await
            .expect("lookup");
        assert_eq!(ours.payment_request.as_deref(), Some(node.payment_request.as_str()));
    }
    h.node.shutdown().await;
}

/// A create the node refuses outright (here: a macaroon without invoice rights) leaves no
/// record behind, although the record was stored while the node was being asked.
#[tokio::test]
async fn a_refused_create_leaves_no_record() {
    let h = harness().await;
    let readonly = node_client(&h, MacaroonKind::Readonly).await;
    let rates_server = coingecko_at("45000").await;
    let gateway = InvoiceService::new(h.store.clone(), readonly, rates_from(&rates_server), POLICY).record_open_soon();
    let before = dump(&h.store).await;
    let refused = gateway
        .create(CreateRequest {
            amount_eur: Some(dec!(5)),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(&refused, Err(InvoiceError::Lnd(e)) if !e.is_ambiguous()),
        "{refused:?}"
    );
    h.store.flush().await.expect("flush");
    assert_eq!(dump(&h.store).await, before, "the database is as it was");
    h.node.shutdown().await;
}
