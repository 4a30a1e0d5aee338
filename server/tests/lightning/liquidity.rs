//! Liquidity: the report over a known simnode topology (real TLS + gRPC), the
//! `lightning liquidity status --json` command, and the inbound check made before an
//! invoice is created (warn, refuse, or say the check is unavailable).

use crate::common;
use common::dump;
use common::lightning::{
    client, coingecko_at, node_invoice_count, openfatture_against, rates_from, TopologyNode, POLICY,
};

use openfatture::invoices::{CreateRequest, InvoiceError, InvoicePolicy, InvoiceService};
use openfatture::liquidity::{
    fetch_report, ChannelFlag, LiquidityPolicy, LiquidityReport, UNAVAILABLE_NO_OFFCHAIN_READ,
};
use openfatture::lnd::LndClient;
use openfatture::store::Store;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use simnode::{MacaroonKind, RunningNode};
use tempfile::TempDir;
use wiremock::MockServer;

/// alice: inbound 0.1 (needs inbound); bob: 0.5 (ok); carol: 0.9 (needs outbound);
/// dave: 0.5 but inactive. Reserves are 1% of capacity (simnode).
const TOPOLOGY: &str = r#"
[[channel]]
peer_alias = "alice"
capacity_sat = 2000000
local_balance_sat = 1800000
chan_id = 101

[[channel]]
peer_alias = "bob"
capacity_sat = 1000000
local_balance_sat = 500000
chan_id = 102

[[channel]]
peer_alias = "carol"
capacity_sat = 1000000
local_balance_sat = 100000
chan_id = 103

[[channel]]
peer_alias = "dave"
capacity_sat = 500000
local_balance_sat = 250000
active = false
chan_id = 104
"#;

/// Receivable now, multi-part: (200k − 20k) + (500k − 10k) + (900k − 10k); dave is inactive.
const MULTIPART_SAT: u64 = 1_560_000;

struct Harness {
    _dir: TempDir,
    node: RunningNode,
    admin: LndClient,
    store: Store,
    service: InvoiceService,
    _rates_server: MockServer,
}

/// The invoice service over the topology node, authenticated with `kind`.
async fn harness(kind: MacaroonKind, block_unreceivable: bool) -> Harness {
    let TopologyNode { dir, node, admin } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let lnd = client(&node, kind).await.expect("connect");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    let rates_server = coingecko_at("45000").await;
    let policy = InvoicePolicy {
        block_unreceivable,
        ..POLICY
    };
    let service = InvoiceService::new(store.clone(), lnd, rates_from(&rates_server), policy);
    Harness {
        _dir: dir,
        node,
        admin,
        store,
        service,
        _rates_server: rates_server,
    }
}

fn standalone(amount_eur: Decimal) -> CreateRequest {
    CreateRequest {
        amount_eur: Some(amount_eur),
        description: Some("test".into()),
        ..CreateRequest::default()
    }
}

fn check_known_topology(r: &LiquidityReport) {
    let by_id = |id: u64| r.channels.iter().find(|c| c.chan_id == id).expect("channel");
    assert_eq!(r.channels.len(), 4);
    let alice = by_id(101);
    assert_eq!(alice.peer_alias, "alice");
    assert_eq!(alice.peer_pubkey.len(), 66);
    assert_eq!(
        (alice.local_sat, alice.remote_sat, alice.capacity_sat),
        (1_800_000, 200_000, 2_000_000)
    );
    assert_eq!(alice.inbound_ratio, dec!(0.1));
    assert_eq!(alice.flag, ChannelFlag::NeedsInbound);
    assert_eq!(alice.distance_to_target, dec!(-0.4));
    assert_eq!(alice.inbound_to_target_sat, 800_000);
    assert_eq!(alice.remote_reserve_sat, 20_000);
    assert_eq!(alice.receivable_sat, 180_000);
    let bob = by_id(102);
    assert_eq!(
        (bob.inbound_ratio, bob.flag, bob.inbound_to_target_sat),
        (dec!(0.5), ChannelFlag::Ok, 0)
    );
    let carol = by_id(103);
    assert_eq!(
        (carol.inbound_ratio, carol.flag),
        (dec!(0.9), ChannelFlag::NeedsOutbound)
    );
    assert_eq!(carol.inbound_to_target_sat, -400_000);
    assert_eq!(carol.receivable_sat, 890_000);
    let dave = by_id(104);
    assert!(!dave.active);
    assert_eq!(dave.flag, ChannelFlag::Ok);

    assert_eq!(r.max_receivable_single_sat, 890_000);
    assert_eq!(r.max_receivable_multipart_sat, MULTIPART_SAT);
    // Active channels: |0.1 − 0.5|, 0, |0.9 − 0.5| → mean 0.2667 → 100 × (1 − 0.2667 / 0.5) = 46.7.
    assert_eq!(r.balance_score, dec!(46.7));
    assert_eq!(r.totals.channels, 4);
    assert_eq!(r.totals.active_channels, 3);
    assert_eq!(r.totals.capacity_sat, 4_500_000);
    assert_eq!(r.totals.local_sat, 2_650_000);
    assert_eq!(r.totals.remote_sat, 1_850_000);
    assert_eq!(r.totals.inbound_ratio, dec!(0.4111));
    assert_eq!((r.totals.needs_inbound, r.totals.needs_outbound), (1, 1));
}

#[tokio::test]
async fn report_of_a_known_topology() {
    let TopologyNode { dir: _dir, node, admin } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let report = fetch_report(&admin, &LiquidityPolicy::default()).await.expect("report");
    check_known_topology(&report);
    node.shutdown().await;
}

#[tokio::test]
async fn report_needs_offchain_read() {
    let TopologyNode { dir: _dir, node, .. } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let invoice_only = client(&node, MacaroonKind::Invoice).await.expect("connect");
    let err = fetch_report(&invoice_only, &LiquidityPolicy::default())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("offchain:read"), "{err}");
    node.shutdown().await;
}

#[test]
fn cli_status_json_matches_the_report() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let TopologyNode { dir, node, .. } = rt.block_on(TopologyNode::start(TOPOLOGY)).expect("simnode starts");
    let home = dir.path().join("home");
    let run = |json: bool| {
        let mut cmd = openfatture_against(&node, &home);
        cmd.args(["lightning", "liquidity", "status"]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf8")
    };
    let json: serde_json::Value = serde_json::from_str(&run(true)).expect("valid JSON");
    assert_eq!(json["max_receivable_single_sat"], 890_000);
    assert_eq!(json["max_receivable_multipart_sat"], MULTIPART_SAT);
    assert_eq!(json["balance_score"], "46.7");
    assert_eq!(json["policy"]["target_ratio"], "0.5");
    assert_eq!(json["totals"]["needs_inbound"], 1);
    let channels = json["channels"].as_array().expect("channels");
    assert_eq!(channels.len(), 4);
    assert_eq!(channels[0]["chan_id"], 101);
    assert_eq!(channels[0]["peer_alias"], "alice");
    assert_eq!(channels[0]["inbound_ratio"], "0.1");
    assert_eq!(channels[0]["flag"], "needs_inbound");
    assert_eq!(channels[2]["flag"], "needs_outbound");
    assert_eq!(channels[3]["active"], false);

    let text = run(false);
    assert!(text.contains("890,000 sats in one payment"), "{text}");
    assert!(text.contains("1,560,000 sats with multi-part"), "{text}");
    assert!(text.contains("Balance score: 46.7/100"), "{text}");
    assert!(
        text.contains("needs inbound") && text.contains("needs outbound"),
        "{text}"
    );
    assert!(text.contains("alice"), "{text}");
    rt.block_on(node.shutdown());
}

#[tokio::test]
async fn invoice_within_receivable_has_no_inbound_warning() {
    let h = harness(MacaroonKind::Admin, true).await;
    // 500 EUR = 1,111,112 sats: more than one channel takes, less than all of them.
    let created = h.service.create(standalone(dec!(500))).await.expect("created");
    assert!(
        created.warnings.iter().all(|w| !w.contains("receive")),
        "{:?}",
        created.warnings
    );
    assert_eq!(node_invoice_count(&h.admin).await, 1);
    h.node.shutdown().await;
}

#[tokio::test]
async fn invoice_above_receivable_is_warned() {
    let h = harness(MacaroonKind::Admin, false).await;
    // 800 EUR = 1,777,778 sats > 1,560,000 receivable.
    let created = h.service.create(standalone(dec!(800))).await.expect("created anyway");
    let warning = created
        .warnings
        .iter()
        .find(|w| w.contains("can receive at most"))
        .expect("inbound warning");
    assert!(warning.contains("1560000 sats"), "{warning}");
    assert!(warning.contains("openfatture lightning liquidity status"), "{warning}");
    assert_eq!(node_invoice_count(&h.admin).await, 1);
    h.node.shutdown().await;
}

#[tokio::test]
async fn invoice_above_receivable_is_refused_when_blocking() {
    let h = harness(MacaroonKind::Admin, true).await;
    let before = dump(&h.store).await;
    let err = h.service.create(standalone(dec!(800))).await.expect_err("refused");
    match &err {
        InvoiceError::Unreceivable {
            amount_sat,
            max_receivable_sat,
        } => {
            assert_eq!((*amount_sat, *max_receivable_sat), (1_777_778, MULTIPART_SAT));
        }
        other => panic!("expected Unreceivable, got {other:?}"),
    }
    assert!(err.to_string().contains("liquidity status"), "{err}");
    assert_eq!(dump(&h.store).await, before);
    assert_eq!(node_invoice_count(&h.admin).await, 0);
    h.node.shutdown().await;
}

#[tokio::test]
async fn invoice_macaroon_skips_the_check_with_a_warning() {
    let h = harness(MacaroonKind::Invoice, true).await;
    let created = h.service.create(standalone(dec!(800))).await.expect("created");
    assert!(
        created.warnings.iter().any(|w| w == UNAVAILABLE_NO_OFFCHAIN_READ),
        "{:?}",
        created.warnings
    );
    assert_eq!(node_invoice_count(&h.admin).await, 1);
    h.node.shutdown().await;
}
