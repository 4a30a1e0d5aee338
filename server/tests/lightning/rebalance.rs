//! Rebalancing against a simnode topology over real TLS + gRPC: the plan, circular payments
//! with fees recorded apart, dry runs, fee caps, impossible requests, the CLI, and the
//! automatic manager's rolling daily fee budget over a simulated day and a half.

use crate::common;
use common::dump;
use common::lightning::{invoice_client, openfatture_against, start_node_with, TopologyNode};

use std::path::Path;
use std::time::Duration;

use openfatture::liquidity::{
    execute_move, fetch_report, plan, LiquidityManager, LiquidityPolicy, ManagerSettings, RebalanceError,
    RebalanceOptions,
};
use openfatture::lnd::LndClient;
use openfatture::store::RebalanceTrigger;
use openfatture::store::Store;
use simnode::{PayOptions, RunningNode};
use sqlx::Row;

/// alice (101): inbound 0.1, needs inbound; fees 1000 msat + 100 ppm.
/// bob (102): at the target. carol (103): inbound 0.95, needs outbound; fees 0 + 200 ppm.
const TOPOLOGY: &str = r#"
[[channel]]
peer_alias = "alice"
capacity_sat = 2000000
local_balance_sat = 1800000
chan_id = 101
fee_base_msat = 1000
fee_rate_ppm = 100

[[channel]]
peer_alias = "bob"
capacity_sat = 1000000
local_balance_sat = 500000
chan_id = 102

[[channel]]
peer_alias = "carol"
capacity_sat = 10000000
local_balance_sat = 500000
chan_id = 103
fee_base_msat = 0
fee_rate_ppm = 200
"#;

/// Only channels needing inbound: nowhere to move local balance to.
const ALL_LOCAL: &str = r#"
[[channel]]
peer_alias = "alice"
capacity_sat = 1000000
local_balance_sat = 950000
chan_id = 201

[[channel]]
peer_alias = "bob"
capacity_sat = 1000000
local_balance_sat = 900000
chan_id = 202
"#;

/// Fees of moving 800,000 sat out through alice and in through carol:
/// carol 800,000,000 × 200 / 1e6 = 160,000; alice 1000 + 800,160,000 × 100 / 1e6 = 81,016.
const FEE_800K_MSAT: u64 = 241_016;

fn opts(ppm: u64) -> RebalanceOptions {
    RebalanceOptions {
        amount_sat: None,
        max_fee_ppm: ppm,
        from_chan: None,
        to_chan: None,
    }
}

/// The manager's settings with the default policy, hourly checks, 1000 ppm per move and
/// `max_daily_fee_msat` of fees in any 24 hours.
fn settings(max_daily_fee_msat: u64) -> ManagerSettings {
    ManagerSettings {
        policy: LiquidityPolicy::default(),
        check_interval: Duration::from_secs(3600),
        max_daily_fee_msat,
        max_fee_ppm: 1000,
        payment_timeout_secs: 30,
    }
}

/// (local, remote) sat of a channel.
async fn balances(lnd: &LndClient, chan_id: u64) -> (u64, u64) {
    let r = fetch_report(lnd, &LiquidityPolicy::default()).await.expect("report");
    let c = r.channels.iter().find(|c| c.chan_id == chan_id).expect("channel");
    (c.local_sat, c.remote_sat)
}

async fn rebalance_rows(store: &Store) -> Vec<(String, i64, i64, i64)> {
    sqlx::query("SELECT status, amount_msat, fee_msat, finished_at FROM rebalances ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("rows")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[tokio::test]
async fn plan_moves_flagged_channels_toward_the_target_and_fees_are_recorded() {
    let TopologyNode { dir, node, admin: lnd } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    let before = fetch_report(&lnd, &LiquidityPolicy::default()).await.expect("report");
    let p = plan(&before, &opts(1000)).expect("plan");
    // alice needs 800,000 sat of inbound to reach 0.5; carol can take 4,500,000 before 0.5.
    assert_eq!(p.moves.len(), 1, "{p:?}");
    let mv = &p.moves[0];
    assert_eq!((mv.from_chan_id, mv.to_chan_id, mv.amount_sat), (101, 103, 800_000));
    assert_eq!(mv.fee_limit_msat, 800_000);
    let outcome = execute_move(
        &lnd,
        &store,
        None,
        mv,
        mv.fee_limit_msat,
        30,
        RebalanceTrigger::Manual,
        1_000,
        &mut |_| {},
    )
    .await
    .expect("move");
    assert!(outcome.succeeded, "{outcome:?}");
    assert_eq!(outcome.fee_msat, FEE_800K_MSAT);
    let after = fetch_report(&lnd, &LiquidityPolicy::default()).await.expect("report");
    let ratio = |r: &openfatture::liquidity::LiquidityReport, id: u64| {
        r.channels.iter().find(|c| c.chan_id == id).expect("chan").inbound_ratio
    };
    // Every flagged channel moved toward the target; alice reached it (plus the fees).
    for id in [101, 103] {
        let target = before.policy.target_ratio;
        assert!(
            (ratio(&after, id) - target).abs() < (ratio(&before, id) - target).abs(),
            "channel {id}"
        );
    }
    assert_eq!(balances(&lnd, 101).await, (1_800_000 - 800_242, 200_000 + 800_241));
    assert_eq!(balances(&lnd, 103).await, (500_000 + 800_000, 9_500_000 - 800_000));
    assert_eq!(
        rebalance_rows(&store).await,
        vec![("SUCCEEDED".to_string(), 800_000_000, FEE_800K_MSAT as i64, 1_000)]
    );
    assert_eq!(store.rebalance_fees_since_msat(0).await.expect("fees"), FEE_800K_MSAT);
    // Nothing is flagged "needs inbound" any more: the next plan is empty.
    assert!(plan(&after, &opts(1000)).expect("plan").moves.is_empty());
    node.shutdown().await;
}

#[tokio::test]
async fn impossible_rebalances_are_clear_errors() {
    let TopologyNode {
        dir: _dir,
        node,
        admin: lnd,
    } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let report = fetch_report(&lnd, &LiquidityPolicy::default()).await.expect("report");
    let e = plan(
        &report,
        &RebalanceOptions {
            from_chan: Some(999),
            to_chan: Some(103),
            ..opts(1000)
        },
    )
    .expect_err("unknown");
    assert!(matches!(e, RebalanceError::UnknownChannel { chan_id: 999, .. }), "{e}");
    assert!(e.to_string().contains("liquidity status"), "{e}");
    let e = plan(
        &report,
        &RebalanceOptions {
            from_chan: Some(101),
            to_chan: Some(103),
            amount_sat: Some(1_790_000),
            ..opts(1000)
        },
    )
    .expect_err("too much");
    assert!(e.to_string().contains("lower --amount"), "{e}");
    // bob is at the target: nothing to move from it without --amount.
    let e = plan(
        &report,
        &RebalanceOptions {
            from_chan: Some(102),
            to_chan: Some(103),
            ..opts(1000)
        },
    )
    .expect_err("nothing");
    assert!(e.to_string().contains("--amount"), "{e}");
    node.shutdown().await;

    let TopologyNode {
        dir: _dir,
        node,
        admin: lnd,
    } = TopologyNode::start(ALL_LOCAL).await.expect("simnode starts");
    let report = fetch_report(&lnd, &LiquidityPolicy::default()).await.expect("report");
    let e = plan(&report, &opts(1000)).expect_err("no destination");
    assert!(matches!(e, RebalanceError::NoDestination { .. }), "{e}");
    assert!(
        e.to_string().contains("201, 202") && e.to_string().contains("open a channel"),
        "{e}"
    );
    node.shutdown().await;
}

/// Runs the CLI against `node` with OPENFATTURE_HOME at `home`, its rates from the local Kraken
/// stand-in at `kraken_url` only.
fn cli(node: &RunningNode, home: &Path, kraken_url: &str, args: &[&str]) -> std::process::Output {
    openfatture_against(node, home)
        .envs(common::rates::KEYLESS_OFF)
        .env("LIGHTNING_COINGECKO_ENABLED", "false")
        .env("LIGHTNING_KRAKEN_ENABLED", "true")
        .env("LIGHTNING_KRAKEN_BASE_URL", kraken_url)
        .env("LIGHTNING_RATE_MIN_SOURCES", "1")
        .args(args)
        .output()
        .expect("runs")
}

/// The file's bytes once SQLite has finished writing it (the pool's last connection closes in
/// the background: wait until the WAL is gone and two reads agree).
fn settled_bytes(path: &Path) -> Vec<u8> {
    let wal = path.with_extension("sqlite-wal");
    let mut last = std::fs::read(path).expect("db");
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let now = std::fs::read(path).expect("db");
        if now == last && !wal.exists() {
            return now;
        }
        last = now;
    }
    last
}

async fn db_dump(home: &Path) -> Vec<String> {
    let store = Store::open_in(home).await.expect("store");
    let mut rows = dump(&store).await;
    for table in ["rebalances", "events", "webhook_deliveries"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .expect("count");
        rows.push(format!("{table}: {n}"));
    }
    store.close().await;
    rows
}

#[test]
fn cli_dry_run_changes_nothing_and_a_real_run_moves_and_reports() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let TopologyNode { dir, node, admin: lnd } = rt.block_on(TopologyNode::start(TOPOLOGY)).expect("simnode starts");
    let home = dir.path().join("home");
    let rate_server = rt.block_on(common::rates::kraken_server("50000"));
    let kraken = rate_server.uri();
    // The node's snapshot and its append-only change log.
    let node_files = |d: &std::path::Path| -> (Vec<u8>, Vec<u8>) {
        let read = |name: &str| std::fs::read(d.join("simnode/simnode").join(name)).expect(name);
        (read("state.json"), read("state.log"))
    };
    let db_before = rt.block_on(db_dump(&home));
    let db_file = home.join("openfatture.sqlite");
    let db_bytes = settled_bytes(&db_file);
    let state_before = node_files(dir.path());

    let out = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "liquidity", "rebalance", "--dry-run", "--json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["plan"]["moves"][0]["from_chan_id"], 101);
    assert_eq!(json["plan"]["moves"][0]["to_chan_id"], 103);
    assert_eq!(json["plan"]["moves"][0]["amount_sat"], 800_000);
    assert_eq!(json["moved_sat"], 0);
    let out = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "liquidity", "rebalance", "--dry-run"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("dry run: nothing was moved"));
    // Channel balances, node invoices and the database are exactly as before.
    assert_eq!(node_files(dir.path()), state_before);
    assert_eq!(std::fs::read(&db_file).expect("db"), db_bytes);
    assert_eq!(rt.block_on(db_dump(&home)), db_before);

    // A fee cap below the route fee: a clear error and nothing moved.
    let out = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "liquidity", "rebalance", "--max-fee-ppm", "100"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing was moved") && stderr.contains("raise --max-fee-ppm"),
        "{stderr}"
    );
    assert_eq!(rt.block_on(balances(&lnd, 101)), (1_800_000, 200_000));

    // Unknown channel: says where to find channel ids.
    let out = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "liquidity", "rebalance", "--from", "999", "--to", "103"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no channel 999"));

    // The real run: moves, reports amounts and fees, records the fee apart.
    let out = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "liquidity", "rebalance", "--json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["moved_sat"], 800_000);
    assert_eq!(json["fees_msat"], FEE_800K_MSAT);
    assert_eq!(json["results"][0]["succeeded"], true);
    assert_eq!(rt.block_on(balances(&lnd, 103)), (1_300_000, 8_700_000));
    let store = rt.block_on(Store::open_in(&home)).expect("store");
    let rows = rt.block_on(rebalance_rows(&store));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].2), ("FAILED", 0));
    assert_eq!((rows[1].0.as_str(), rows[1].2), ("SUCCEEDED", FEE_800K_MSAT as i64));
    // The fee is recorded in EUR at the rate of that time, with the rate, its source and time:
    // 241,016 msat at 50,000 EUR/BTC = 0.120508 EUR, kept as 0.1205.
    let (fee_eur, rate, source, rate_at): (Option<String>, Option<String>, Option<String>, Option<i64>) = rt
        .block_on(
            sqlx::query_as(
                "SELECT fee_eur, fee_eur_per_btc, fee_rate_source, fee_rate_at FROM rebalances WHERE status = 'SUCCEEDED'",
            )
            .fetch_one(store.pool()),
        )
        .expect("row");
    assert_eq!(fee_eur.as_deref(), Some("0.1205"));
    assert_eq!(rate.as_deref(), Some("50000"));
    assert!(source.as_deref().is_some_and(|s| s.contains("kraken")), "{source:?}");
    assert!(
        rate_at.is_some_and(|t| (t - chrono::Utc::now().timestamp()).abs() < 600),
        "{rate_at:?}"
    );
    // The failed attempt paid nothing and has no EUR value.
    let failed: Option<String> = rt
        .block_on(sqlx::query_scalar("SELECT fee_eur FROM rebalances WHERE status = 'FAILED'").fetch_one(store.pool()))
        .expect("row");
    assert_eq!(failed, None);
    rt.block_on(store.close());
    // The accounting export lists it apart: in the routing-fee export, not among the payments.
    let fees = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "payments", "export", "--routing-fees"],
    );
    assert!(fees.status.success(), "{}", String::from_utf8_lossy(&fees.stderr));
    let fees = String::from_utf8_lossy(&fees.stdout).to_string();
    let lines: Vec<&str> = fees.lines().collect();
    assert_eq!(
        lines[0],
        "kind,paid_at,payment_hash,fee_msat,fee_eur,rate_eur_per_btc,rate_source,rate_at"
    );
    assert_eq!(lines.len(), 2, "{fees}");
    assert!(lines[1].starts_with("rebalance,"), "{fees}");
    assert!(lines[1].contains(",241016,0.1205,50000,"), "{fees}");
    let json = cli(
        &node,
        &home,
        &kraken,
        &["lightning", "payments", "export", "--routing-fees", "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(json[0]["fee_eur"], "0.1205");
    assert_eq!(json[0]["fee_msat"], FEE_800K_MSAT);
    let payments = cli(&node, &home, &kraken, &["lightning", "payments", "export"]);
    assert!(payments.status.success());
    assert_eq!(
        String::from_utf8_lossy(&payments.stdout).lines().count(),
        1,
        "only the header"
    );
    rt.block_on(node.shutdown());
}

#[tokio::test]
async fn manager_never_exceeds_the_daily_fee_budget() {
    let _serial = common::LIQUIDITY_MANAGER_TESTS.lock().await;
    let TopologyNode { dir, node, admin: lnd } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    store
        .upsert_webhook_endpoint("ops", "http://127.0.0.1:9/hook", None, "liquidity_alert", true)
        .await
        .expect("ep");
    store
        .upsert_webhook_endpoint("shop", "http://127.0.0.1:9/shop", None, "payment_received", true)
        .await
        .expect("ep");
    let budget_msat = 500_000; // two 800k moves (241,016 msat each) fit, a third does not.
    let settings = settings(budget_msat);
    let start = 1_700_000_000i64;
    for hour in 0..=26 {
        let now = start + hour * 3600;
        let summary = LiquidityManager::run_once(&store, &lnd, &settings, None, now)
            .await
            .expect("run");
        assert!(
            summary.alert_event_id.is_some(),
            "hour {hour}: alice is flagged at every check"
        );
        if summary.moved_sat == 0 {
            continue;
        }
        // A customer pays the moved sats in through alice: she needs inbound again.
        let value = i64::try_from(summary.moved_sat).expect("fits");
        let inv = lnd
            .add_invoice(lnd_proto::lnrpc::Invoice {
                value,
                ..Default::default()
            })
            .await
            .expect("invoice");
        simnode::pay(
            &dir.path().join("simnode"),
            &inv.payment_request,
            PayOptions {
                via_chan_id: Some(101),
                amount_msat: None,
            },
        )
        .await
        .expect("customer pays");
    }
    let rows = rebalance_rows(&store).await;
    let succeeded: Vec<&(String, i64, i64, i64)> = rows.iter().filter(|r| r.0 == "SUCCEEDED").collect();
    // Hours 0 and 1 fit; hours 2–23 are refused by the budget; 24 and 25 fit again as
    // hours 0 and 1 leave the window; 26 is refused.
    let hours: Vec<i64> = succeeded.iter().map(|r| (r.3 - start) / 3600).collect();
    assert_eq!(hours, vec![0, 1, 24, 25], "{rows:?}");
    assert!(rows.iter().any(|r| r.0 == "FAILED"), "the budget cut some moves");
    for (_, _, _, at) in &rows {
        let window: i64 = rows
            .iter()
            .filter(|r| r.3 > at - 86_400 && r.3 <= *at)
            .map(|r| r.2)
            .sum();
        assert!(window <= budget_msat as i64, "fees of the 24 h up to {at}: {window}");
    }
    // One alert per check, naming the flagged channels.
    let alerts = store.liquidity_alerts(100).await.expect("alerts");
    assert_eq!(alerts.len(), 27);
    let first: serde_json::Value = serde_json::from_str(&alerts[26]).expect("json");
    assert_eq!(first["event"], "liquidity_alert");
    let flagged: Vec<&serde_json::Value> = first["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| &c["chan_id"])
        .collect();
    assert_eq!(flagged, ["101", "103"], "{first}");
    // The alerts went to the endpoint that asked for them only.
    let queued = |ep: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq \
                 WHERE d.endpoint = ? AND e.type = 'liquidity_alert'",
            )
            .bind(ep)
            .fetch_one(store.pool())
            .await
            .expect("count")
        }
    };
    assert_eq!(queued("ops").await, 27);
    assert_eq!(queued("shop").await, 0);
    node.shutdown().await;
}

#[tokio::test]
async fn started_manager_checks_at_once_and_stops() {
    let _serial = common::LIQUIDITY_MANAGER_TESTS.lock().await;
    let TopologyNode { dir, node, admin: lnd } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    let settings = settings(1_000_000);
    let manager = LiquidityManager::start(store.clone(), lnd.clone(), settings, None);
    let mut moved = false;
    for _ in 0..100 {
        if !rebalance_rows(&store).await.is_empty() {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    manager.stop().await;
    assert!(moved, "the first check rebalanced");
    assert_eq!(balances(&lnd, 103).await, (1_300_000, 8_700_000));
    node.shutdown().await;
}

/// A database made before 0004 keeps its events, outbox and attempts, its event numbering and
/// its foreign keys; afterwards it takes liquidity alerts.
#[tokio::test]
async fn migration_0004_keeps_existing_events_and_outbox() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join(openfatture::store::DATABASE_FILE);
    let options = SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("pool");
    let mut migrator = sqlx::migrate::Migrator::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .await
        .expect("migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator.run(&pool).await.expect("0001-0003");
    for sql in [
        "INSERT INTO ln_invoices (id, attempt, payment_hash, memo, amount_cents, amount_msat, rate_eur_per_btc, rate_source, \
         rate_at, expiry_secs, created_at, expires_at, state) VALUES ('LN-000001', 1, 'aa', 'm', 100, 1000, '45000', 'x', 1, 60, 1, 61, 'OPEN')",
        "INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ('evt_1', 'invoice_created', 'LN-000001', '{}', 1)",
        "INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ('evt_2', 'payment_received', 'LN-000001', '{}', 2)",
        "INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ('evt_3', 'payment_failed', 'LN-000001', '{}', 3)",
        "DELETE FROM events WHERE seq = 3",
        "INSERT INTO webhook_endpoints (name, url, events, created_at) VALUES ('ops', 'http://127.0.0.1:9/', '*', 1)",
        "INSERT INTO webhook_deliveries (event_seq, endpoint, state, next_attempt_ms) VALUES (2, 'ops', 'FAILED', 0)",
        "INSERT INTO webhook_attempts (event_seq, endpoint, attempted_at, latency_ms, outcome) VALUES (2, 'ops', 5, 7, 'FAILED')",
    ] {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    pool.close().await;

    let store = Store::open(&db).await.expect("0004 applies");
    let events: Vec<(i64, String)> = sqlx::query_as("SELECT seq, id FROM events ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .expect("events");
    assert_eq!(events, vec![(1, "evt_1".to_string()), (2, "evt_2".to_string())]);
    let kept: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM webhook_deliveries WHERE event_seq = 2), (SELECT COUNT(*) FROM webhook_attempts WHERE event_seq = 2)",
    )
    .fetch_one(store.pool())
    .await
    .expect("outbox");
    assert_eq!(kept, (1, 1));
    // Numbering continues after the deleted event 3; the alert is queued for the '*' endpoint.
    store
        .record_liquidity_alert(serde_json::json!({"needs_inbound": 1}), 10)
        .await
        .expect("alert");
    let seq: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM events")
        .fetch_one(store.pool())
        .await
        .expect("seq");
    assert_eq!(seq, 4);
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE event_seq = 4")
        .fetch_one(store.pool())
        .await
        .expect("queued");
    assert_eq!(queued, 1);
    // Foreign keys still hold: to events, and (by trigger) to ln_invoices.
    assert!(sqlx::query(
        "INSERT INTO webhook_deliveries (event_seq, endpoint, state, next_attempt_ms) VALUES (99, 'ops', 'PENDING', 0)"
    )
    .execute(store.pool())
    .await
    .is_err());
    assert!(sqlx::query("INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ('evt_x', 'invoice_created', 'NOPE', '{}', 1)")
        .execute(store.pool())
        .await
        .is_err());
    // An invoice event without an invoice, or an alert with one, is refused.
    assert!(sqlx::query("INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ('evt_y', 'invoice_created', '', '{}', 1)")
        .execute(store.pool())
        .await
        .is_err());
    store.close().await;
}

/// A payment that outlasts its timeout_seconds fails with a timeout; nothing moves.
#[tokio::test]
async fn payment_timeout_is_a_clear_failure() {
    let TopologyNode { dir, node, admin: lnd } = TopologyNode::start(TOPOLOGY).await.expect("simnode starts");
    let store = Store::open_in(&dir.path().join("data")).await.expect("store");
    simnode::fault(
        &dir.path().join("simnode"),
        simnode::FaultCommand::SlowPayments { ms: 1500 },
    )
    .await
    .expect("fault");
    let report = fetch_report(&lnd, &LiquidityPolicy::default()).await.expect("report");
    let p = plan(&report, &opts(1000)).expect("plan");
    let mut steps = Vec::new();
    let outcome = execute_move(
        &lnd,
        &store,
        None,
        &p.moves[0],
        800_000,
        1,
        RebalanceTrigger::Manual,
        5,
        &mut |s: &str| steps.push(s.to_string()),
    )
    .await
    .expect("move ran");
    assert!(!outcome.succeeded);
    assert!(
        outcome.failure.as_deref().unwrap_or("").contains("timed out"),
        "{outcome:?}"
    );
    assert_eq!(steps.first().map(String::as_str), Some("sending"));
    assert_eq!(balances(&lnd, 101).await, (1_800_000, 200_000));
    assert_eq!(
        rebalance_rows(&store).await,
        vec![("FAILED".to_string(), 800_000_000, 0, 5)]
    );
    node.shutdown().await;
}

/// SendPaymentV2 needs offchain:write: invoice.macaroon is refused with a clear hint.
#[tokio::test]
async fn send_payment_needs_admin_macaroon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node_with(dir.path(), TOPOLOGY).await.expect("simnode starts");
    let lnd = invoice_client(&node).await.expect("connect");
    let inv = lnd
        .add_invoice(lnd_proto::lnrpc::Invoice {
            value: 1000,
            ..Default::default()
        })
        .await
        .expect("invoice");
    let err = match lnd
        .send_payment_v2(lnd_proto::routerrpc::SendPaymentRequest {
            payment_request: inv.payment_request,
            allow_self_payment: true,
            ..Default::default()
        })
        .await
    {
        Ok(_) => panic!("invoice.macaroon must not send payments"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(
        text.starts_with("Permission denied for SendPaymentV2") && text.contains("offchain:write"),
        "{text}"
    );
    let err = match lnd.track_payment_v2(vec![1; 32]).await {
        Ok(_) => panic!("invoice.macaroon must not track payments"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("lacks offchain:read"), "{err}");
    node.shutdown().await;
}

/// A rebalance held by another process (a lease in the database) blocks the CLI and the
/// manager until it is released or expires.
#[test]
fn a_rebalance_in_another_process_blocks_until_released_or_expired() {
    let _serial = common::LIQUIDITY_MANAGER_TESTS.blocking_lock();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let TopologyNode { dir, node, admin: lnd } = rt.block_on(TopologyNode::start(TOPOLOGY)).expect("simnode starts");
    let home = dir.path().join("home");
    let store = rt.block_on(Store::open_in(&home)).expect("store");
    let now = chrono::Utc::now().timestamp();
    assert!(rt
        .block_on(store.try_take_rebalance_lease("other process", now, 900))
        .expect("lease"));
    let out = cli(
        &node,
        &home,
        "http://127.0.0.1:9",
        &["lightning", "liquidity", "rebalance"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another rebalance is running"), "{stderr}");
    let settings = settings(1_000_000);
    let summary = rt
        .block_on(LiquidityManager::run_once(&store, &lnd, &settings, None, now))
        .expect("run");
    assert!(summary.skipped_busy && summary.attempted == 0, "{summary:?}");
    assert!(rt.block_on(rebalance_rows(&store)).is_empty());
    // Expired: the manager takes over, rebalances, and frees the lease for the CLI.
    let summary = rt
        .block_on(LiquidityManager::run_once(&store, &lnd, &settings, None, now + 900))
        .expect("run");
    assert_eq!((summary.skipped_busy, summary.succeeded), (false, 1), "{summary:?}");
    let out = cli(
        &node,
        &home,
        "http://127.0.0.1:9",
        &[
            "lightning",
            "liquidity",
            "rebalance",
            "--from",
            "101",
            "--to",
            "103",
            "--amount",
            "100000",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["moved_sat"], 100_000);
    rt.block_on(node.shutdown());
}
