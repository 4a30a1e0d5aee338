//! The storage layer behaves the same on SQLite and on a real PostgreSQL server.

use crate::common;
use common::lightning::{invoice_client, start_node};
use common::pg::PgServer;

use openfatture::store::{Backend, EventKind, Store};

use common::TestResult;

#[tokio::test]
async fn migrations_run_on_postgres_and_sqlite() -> TestResult {
    let pg = PgServer::start()?;
    let store = Store::connect(&pg.url()).await?;
    assert_eq!(store.backend(), Backend::Postgres);
    assert_eq!(store.tracker_indexes().await?, (0, 0));
    store.close().await;
    // Connecting again finds the schema in place.
    let again = Store::connect(&pg.url()).await?;
    assert_eq!(again.tracker_indexes().await?, (0, 0));
    again.close().await;

    let dir = tempfile::tempdir()?;
    let sqlite = Store::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display())).await?;
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    assert_eq!(sqlite.tracker_indexes().await?, (0, 0));
    Ok(())
}

use std::time::Duration;

use app::auth::Role;
use chrono::NaiveDate;
use openfatture::auth::AuthService;
use openfatture::invoices::{payments_in_period, to_csv, CreateRequest};
use openfatture::store::{AttemptOutcome, FatturaStatus, InvoiceState, LnInvoiceFilter, NewFattura, ThrottleState};
use openfatture::store::{NewRebalance, RebalanceTrigger};
use openfatture::tracker::{Tracker, TrackerConfig};
use rust_decimal::Decimal;

fn fattura(numero: &str, client: &str, cents: i64) -> NewFattura {
    let total = Decimal::new(cents, 2);
    NewFattura {
        numero: numero.into(),
        data: NaiveDate::from_ymd_opt(2025, 1, 15).unwrap_or_default(),
        cedente_piva: "IT01234567890".into(),
        client_name: client.into(),
        client_piva: None,
        client_cf: None,
        description: "Consulenza".into(),
        totale_eur: total,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        due_eur: total,
        source: "manual".into(),
    }
}

/// Runs one business day against `store` (a fresh database) and a fresh simnode, and returns what
/// can be observed, with times and random ids left out. Both backends must give the same lines.
async fn business_day(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut seen = Vec::new();
    let dir = tempfile::tempdir()?;
    let node = start_node(dir.path()).await?;
    let lnd = invoice_client(&node).await?;
    // Three local key-less providers agreeing on 45,000 EUR/BTC: the rate evidence is stored.
    let (kraken, bitstamp, coinbase) = (
        common::rates::kraken_server("45000.00").await,
        common::rates::bitstamp_server("45000.0").await,
        common::rates::coinbase_server("45000").await,
    );
    let rates = openfatture::rates::RateService::new(common::rates::keyless_config(&kraken, &bitstamp, &coinbase))?;
    let service = openfatture::invoices::InvoiceService::new(
        store.clone(),
        lnd.clone(),
        std::sync::Arc::new(rates),
        common::lightning::POLICY,
    );

    // EUR invoices: add, duplicate refused, search.
    let now = 1_736_900_000;
    seen.push(format!(
        "add {:?}",
        store
            .add_fattura(&fattura("INV-1", "Acme Corp", 50_000), now)
            .await?
            .map(|f| f.numero)
    ));
    seen.push(format!(
        "dup {:?}",
        store
            .add_fattura(&fattura("INV-1", "Acme Corp", 50_000), now)
            .await?
            .map(|f| f.numero)
    ));
    store.add_fattura(&fattura("INV-2", "Bar Roma", 1_250), now).await?;
    let found = store
        .fattura_page(Some("bar"), openfatture::store::ListOrder::NewestFirst, None, 10)
        .await?
        .rows;
    seen.push(format!(
        "search {:?}",
        found.iter().map(|f| f.numero.clone()).collect::<Vec<_>>()
    ));

    // A webhook endpoint, so settlements queue deliveries.
    store
        .upsert_webhook_endpoint(
            "erp",
            "http://127.0.0.1:9/hook",
            Some("s3cret"),
            "payment_received",
            true,
        )
        .await?;

    // Lightning invoices: from a numero, paid; a standalone one cancelled.
    let created = service
        .create(CreateRequest {
            numero: Some("INV-1".into()),
            ..CreateRequest::default()
        })
        .await?;
    seen.push(format!(
        "created {} {} msat {}",
        created.invoice.id,
        created.invoice.amount_msat,
        created.invoice.state.as_str()
    ));
    let again = service
        .create(CreateRequest {
            numero: Some("INV-1".into()),
            ..CreateRequest::default()
        })
        .await?;
    seen.push(format!("reused {} {}", again.invoice.id, again.reused));
    // The invoice_created payload names the EUR invoice and its client (read with the OPEN change).
    for event in store.events_for_invoice(&created.invoice.id).await? {
        let payload: serde_json::Value = serde_json::from_str(&event.payload)?;
        seen.push(format!(
            "event {} for {} {}",
            event.kind, payload["metadata"]["original_invoice"], payload["metadata"]["client"]
        ));
    }
    let standalone = service
        .create(CreateRequest {
            amount_eur: Some(Decimal::new(300, 2)),
            ..CreateRequest::default()
        })
        .await?;
    seen.push(format!("standalone {}", standalone.invoice.id));
    let cancelled = service.cancel(&standalone.invoice.id).await?;
    seen.push(format!(
        "cancelled {} {} by_us={}",
        cancelled.id,
        cancelled.state.as_str(),
        cancelled.cancelled_by_us
    ));

    let bolt11 = created.invoice.payment_request.clone().ok_or("bolt11")?;
    simnode::pay(&dir.path().join("simnode"), &bolt11, simnode::PayOptions::default()).await?;
    let tracker = Tracker::new(store.clone(), lnd.clone(), TrackerConfig::default()).with_rates(service.rate_handle());
    tracker.sweep().await?;
    tracker.sweep().await?; // a second look changes nothing
    let settled = store.ln_invoice(&created.invoice.id).await?.ok_or("settled")?;
    // The rate evidence and the rate in force at settlement (the service's cache), stored alike.
    let evidence = store.rate_evidence(&created.invoice.id).await?;
    seen.push(format!(
        "evidence {:?}",
        evidence
            .iter()
            .map(|e| (
                e.provider.clone(),
                e.verdict.as_str(),
                e.eur_per_btc.map(|p| p.to_string())
            ))
            .collect::<Vec<_>>()
    ));
    let payment = store.payment(&settled.payment_hash).await?.ok_or("payment")?;
    seen.push(format!(
        "settle rate {:?}",
        payment.settle_rate.map(|r| (r.eur_per_btc.to_string(), r.source))
    ));
    seen.push(format!(
        "settled {} paid {} msat",
        settled.state.as_str(),
        settled.amt_paid_msat
    ));
    let original = store.fatture_by_numero("INV-1").await?.remove(0);
    seen.push(format!(
        "original {:?} paid {}",
        original.status() == FatturaStatus::Paid,
        original.paid_eur
    ));
    let open = store
        .list_ln_invoices(&LnInvoiceFilter {
            state: Some(InvoiceState::Settled),
            limit: 10,
            ..LnInvoiceFilter::default()
        })
        .await?;
    seen.push(format!(
        "settled list {:?}",
        open.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
    ));

    // Events, the outbox and a delivery attempt.
    let events = store.events_after(0, 100).await?;
    seen.push(format!(
        "events {:?}",
        events
            .iter()
            .map(|e| format!("{}:{}", e.kind, e.ln_invoice_id))
            .collect::<Vec<_>>()
    ));
    let due = store.due_deliveries("erp", i64::MAX, 10).await?;
    seen.push(format!(
        "due {:?}",
        due.iter().map(|d| d.event_type.clone()).collect::<Vec<_>>()
    ));
    let first = due.first().ok_or("a due delivery")?;
    store
        .record_delivery_attempt(
            first.event_seq,
            "erp",
            now,
            Some(500),
            Some("boom"),
            12,
            AttemptOutcome::Failed,
            Some("w1"),
        )
        .await?;
    seen.push(format!("failed deliveries {}", store.deliveries(true, 10).await?.len()));
    seen.push(format!("redeliver {:?}", store.redeliver_event(&first.event_id).await?));
    seen.push(format!("endpoints {:?}", store.webhook_endpoints().await?));

    // Payments and the accountant's export.
    let rows = payments_in_period(&store, None, None).await?;
    let csv = to_csv(&rows);
    // Settle time and payment hash differ per run; the rest of the row must not.
    // Up to the settlement rate's source: its time and the evidence's times differ run to run.
    let row: Option<Vec<&str>> = csv.lines().nth(1).map(|l| l.split(',').skip(2).take(15).collect());
    seen.push(format!("csv lines {} first {:?}", csv.lines().count(), row));

    // Staff, sessions and the sign-in throttle.
    let auth = AuthService::new(store.clone(), false);
    auth.add_user("anna", Role::Admin, &"a long enough password".to_string().into())
        .await?;
    let (token, user) = auth
        .login("anna", &"a long enough password".to_string().into(), "127.0.0.1")
        .await?;
    seen.push(format!("login {} {}", user.username, user.role));
    seen.push(format!(
        "session {:?}",
        auth.session(secrecy::ExposeSecret::expose_secret(&token))
            .await?
            .map(|u| u.username)
    ));
    store
        .set_throttle(
            "user:x",
            ThrottleState {
                failures: 3,
                locked_until: 7,
            },
        )
        .await?;
    seen.push(format!("throttle {:?}", store.throttle("user:x").await?));

    // Rebalance accounting.
    for (fee, ok) in [(1_500, true), (0, false)] {
        store
            .record_rebalance(&NewRebalance {
                payment_hash: "00".repeat(32),
                from_chan_id: 101,
                to_chan_id: u64::MAX >> 1,
                amount_msat: 100_000_000,
                fee_msat: fee,
                succeeded: ok,
                failure: (!ok).then(|| "no route".to_string()),
                trigger: RebalanceTrigger::Auto,
                started_at: now,
                finished_at: now + 1,
                fee_value: None,
            })
            .await?;
    }
    seen.push(format!("fees {}", store.rebalance_fees_since_msat(now).await?));
    seen.push(format!(
        "lease a={} b={} a-again={}",
        store.try_take_rebalance_lease("a", now, 900).await?,
        store.try_take_rebalance_lease("b", now + 1, 900).await?,
        store.try_take_rebalance_lease("a", now + 2, 900).await?
    ));
    store.release_rebalance_lease("a").await?;
    seen.push(format!(
        "lease after release b={}",
        store.try_take_rebalance_lease("b", now + 3, 900).await?
    ));
    store
        .record_liquidity_alert(serde_json::json!({ "needs_inbound": 1 }), now)
        .await?;
    seen.push(format!("alerts {}", store.liquidity_alerts(10).await?.len()));
    let claimed = store.claim_delivery("erp", "w1", i64::MAX - 1, 1000).await?;
    seen.push(format!("claim {:?}", claimed.map(|d| d.event_type)));
    seen.push(format!("rebalance fees {}", store.rebalance_fees_since_msat(0).await?));
    node.shutdown().await;
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn a_business_day_looks_the_same_on_sqlite_and_postgres() -> TestResult {
    let pg = PgServer::start()?;
    let on_postgres = business_day(Store::connect(&pg.new_database("day")?).await?).await?;
    let dir = tempfile::tempdir()?;
    let on_sqlite = business_day(Store::open_in(dir.path()).await?).await?;
    assert_eq!(on_sqlite, on_postgres);
    // And the day really happened (not two identical empty transcripts).
    assert!(
        on_sqlite
            .iter()
            .any(|l| l.starts_with("evidence [(\"") && l.contains("\"used\"")),
        "{on_sqlite:#?}"
    );
    assert!(
        on_sqlite.iter().any(|l| l.starts_with("settle rate Some((")),
        "{on_sqlite:#?}"
    );
    assert!(
        on_sqlite.iter().any(|l| l == "settled SETTLED paid 1111112000 msat"),
        "{on_sqlite:#?}"
    );
    assert!(
        on_sqlite
            .iter()
            .any(|l| l.starts_with("events [\"invoice_created:INV-1-LN\"")),
        "{on_sqlite:#?}"
    );
    assert!(
        on_sqlite
            .iter()
            .any(|l| l == "event invoice_created for \"INV-1\" \"Acme Corp\""),
        "{on_sqlite:#?}"
    );
    // The outbox took the settle for the endpoint that filters on it, and nothing else.
    assert!(
        on_sqlite.iter().any(|l| l == "due [\"payment_received\"]"),
        "{on_sqlite:#?}"
    );
    Ok(())
}

use common::web as web_harness;

#[tokio::test]
async fn the_gateway_and_the_cli_work_on_postgres_through_database_url() -> TestResult {
    let pg = PgServer::start()?;
    let url = pg.new_database("shop")?;
    let web = web_harness::Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("DATABASE_URL", &url),
        ],
    )
    .await?;
    let cookie = web.sign_in(web_harness::CASHIER, web_harness::CASHIER_PIN).await?;
    let (status, sale, _) = web
        .call("pos_charge", Some(&cookie), &[("amount_eur", "12,50"), ("note", "")])
        .await?;
    assert_eq!(status, 200, "{sale}");
    let id = sale["invoice_id"].as_str().ok_or("id")?.to_string();
    simnode::pay(
        &web.simnode_dir()?,
        sale["payment_request"].as_str().ok_or("bolt11")?,
        simnode::PayOptions::default(),
    )
    .await?;
    let store = Store::connect(&url).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let invoice = store.ln_invoice(&id).await?.ok_or("invoice in PostgreSQL")?;
        if invoice.state == InvoiceState::Settled {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("not settled in PostgreSQL: {:?}", invoice.state).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.recent_payments(10).await?.len(), 1);
    assert!(
        !web.home.data_dir.join(openfatture::store::DATABASE_FILE).exists(),
        "with DATABASE_URL no SQLite file is made"
    );

    // The CLI in the same setup reads the same database.
    let home = web.home.data_dir.clone();
    let cli_url = url.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .env("DATABASE_URL", &cli_url)
            .args(["--json", "lightning", "payments", "list"]);
        cmd.output()
    })
    .await??;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&id));
    // The URL (a secret: it may carry a password) is shown only as set.
    let home = web.home.data_dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .env("DATABASE_URL", "postgres://u:pw123@h/db")
            .args(["config", "get", "database_url"]);
        cmd.output()
    })
    .await??;
    let shown = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(!shown.contains("pw123"), "{shown}");
    store.close().await;
    web.gateway.shutdown().await?;
    Ok(())
}

/// The ids `store` chooses for new invoices: standalone ones after the last attempt was 0, 1,
/// 999_998, 999_999 and 12_345_677, then two for one debt.
async fn ids_chosen(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut ids = Vec::new();
    let new = |n: u32, fattura: Option<(i64, &str)>| openfatture::store::NewLnInvoice {
        fattura_id: fattura.map(|(id, _)| id),
        numero: fattura.map(|(_, numero)| numero.to_string()),
        payment_hash: format!("{n:064x}"),
        preimage: format!("{:064x}", n + 1000),
        memo: "m".into(),
        amount_eur: Decimal::new(100, 2),
        amount_msat: 2_222_223,
        rate_eur_per_btc: Decimal::new(45_000, 0),
        rate_source: "fallback".into(),
        rate_at: 1,
        rate_is_fallback: true,
        expiry_secs: 60,
        created_at: 1,
        rate_evidence: Vec::new(),
        identity: None,
    };
    // A standalone row with attempt `attempt`, as if that many had been made.
    let seed = |attempt: i64| {
        format!(
            "INSERT INTO ln_invoices (id, attempt, payment_hash, memo, amount_cents, amount_msat, rate_eur_per_btc, \
             rate_source, rate_at, expiry_secs, created_at, expires_at, state) \
             VALUES ('seed-{attempt}', {attempt}, 'seed-{attempt}', 'm', 100, 1000, '45000', 'x', 1, 60, 1, 61, 'CANCELED')"
        )
    };
    for n in 1..=2 {
        ids.push(store.insert_pending_ln_invoice(&new(n, None)).await?.id);
    }
    sqlx::query(&seed(999_998)).execute(store.pool()).await?;
    for n in 3..=4 {
        ids.push(store.insert_pending_ln_invoice(&new(n, None)).await?.id);
    }
    sqlx::query(&seed(12_345_677)).execute(store.pool()).await?;
    ids.push(store.insert_pending_ln_invoice(&new(5, None)).await?.id);
    let fattura = store
        .add_fattura(&fattura("INV-9", "Acme Corp", 100), 1)
        .await?
        .ok_or("INV-9 added")?;
    for n in 6..=7 {
        let id = store
            .insert_pending_ln_invoice(&new(n, Some((fattura.id, "INV-9"))))
            .await?
            .id;
        // One payable attempt per fattura: the next is made once this one has ended.
        store.set_ln_state(&id, InvoiceState::Canceled, true).await?;
        ids.push(id);
    }
    // Each answer is the row's id as stored.
    for id in &ids {
        store.ln_invoice(id).await?.ok_or(format!("{id} stored"))?;
    }
    Ok(ids)
}

#[tokio::test]
async fn invoice_ids_are_chosen_alike_on_sqlite_and_postgres() -> TestResult {
    let expected = [
        "LN-000001",
        "LN-000002",
        "LN-999999",
        "LN-1000000",
        "LN-12345678",
        "INV-9-LN",
        "INV-9-LN-2",
    ];
    let dir = tempfile::tempdir()?;
    assert_eq!(ids_chosen(Store::open_in(dir.path()).await?).await?, expected);
    let pg = PgServer::start()?;
    assert_eq!(
        ids_chosen(Store::connect(&pg.new_database("ids")?).await?).await?,
        expected
    );
    Ok(())
}

/// Event names come from the `event_types` table, which the store fills from `EventKind::ALL` at
/// open: a name added there is accepted by `events` without a migration, an unknown name is
/// refused, and whether an event names an invoice follows the table's `about_invoice`.
async fn event_types_decide(url: &str) -> TestResult {
    let store = Store::connect(url).await?;
    let known: Vec<(String, i64)> = sqlx::query_as("SELECT name, about_invoice FROM event_types")
        .fetch_all(store.pool())
        .await?;
    for kind in EventKind::ALL {
        let row = (kind.as_str().to_string(), i64::from(kind.about_invoice()));
        assert!(known.contains(&row), "{row:?} missing from {known:?}");
    }
    let insert = |id: &'static str, kind: &'static str, ln_invoice_id: &'static str| {
        sqlx::query("INSERT INTO events (id, type, ln_invoice_id, payload, created_at) VALUES ($1, $2, $3, '{}', 1)")
            .bind(id)
            .bind(kind)
            .bind(ln_invoice_id)
    };
    assert!(
        insert("evt_1", "till_closed", "").execute(store.pool()).await.is_err(),
        "unknown name"
    );
    sqlx::query("INSERT INTO event_types (name, about_invoice) VALUES ('till_closed', 0)")
        .execute(store.pool())
        .await?;
    insert("evt_2", "till_closed", "").execute(store.pool()).await?;
    // About no invoice: it must not name one; about an invoice: it must.
    assert!(insert("evt_3", "invoice_created", "")
        .execute(store.pool())
        .await
        .is_err());
    insert("evt_4", "liquidity_alert", "").execute(store.pool()).await?;
    store.close().await;
    // Opening again keeps the added name and adds nothing twice.
    let again = Store::connect(url).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_types")
        .fetch_one(again.pool())
        .await?;
    assert_eq!(count, i64::try_from(EventKind::ALL.len())? + 1);
    let kinds: Vec<String> = sqlx::query_scalar("SELECT type FROM events ORDER BY seq")
        .fetch_all(again.pool())
        .await?;
    assert_eq!(kinds, ["till_closed", "liquidity_alert"]);
    again.close().await;
    Ok(())
}

#[tokio::test]
async fn a_new_event_name_needs_a_row_not_a_migration_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    event_types_decide(&format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display())).await?;
    let pg = PgServer::start()?;
    event_types_decide(&pg.url()).await
}

/// Payment links (issue 35 §1) on `store`: one live link per target, replaced and revoked the same
/// way; what was observed, as lines.
async fn payment_links(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::LinkTarget;
    let mut seen = Vec::new();
    let fattura_id = store
        .add_fattura(&fattura("L-1", "Acme Corp", 10_000), 1_736_900_000)
        .await?
        .ok_or("added")?
        .id;
    let standalone = store
        .insert_pending_ln_invoice(&common::new_standalone_invoice(
            "aa".repeat(32),
            "bb".repeat(32),
            "memo".into(),
        ))
        .await?;
    let debt = LinkTarget::Fattura(fattura_id);
    let own = LinkTarget::LnInvoice(standalone.id.clone());
    seen.push(format!(
        "first {}",
        store.add_payment_link_if_none(&debt, nl("h1"), 10).await?
    ));
    seen.push(format!(
        "second {}",
        store.add_payment_link_if_none(&debt, nl("h2"), 11).await?
    ));
    seen.push(format!(
        "own {}",
        store.add_payment_link_if_none(&own, nl("h4"), 12).await?
    ));
    let live = store.live_payment_link(&debt).await?.ok_or("live")?;
    seen.push(format!("live {} {:?}", live.token_hash, live.target == debt));
    store.replace_payment_link(&debt, nl("h3"), 13).await?;
    let old = store.payment_link_by_hash("h1").await?.ok_or("old")?;
    seen.push(format!("replaced old revoked at {:?}", old.revoked_at));
    seen.push(format!(
        "live now {:?}",
        store.live_payment_link(&debt).await?.map(|l| l.token_hash)
    ));
    // Making the live link live again changes nothing; its nonce is kept with it.
    seen.push(format!(
        "ensure live {} {:?}",
        store.ensure_payment_link(&debt, nl("h3"), 14).await?,
        store
            .live_payment_link(&debt)
            .await?
            .map(|l| (l.token_hash, l.token_nonce))
    ));
    // The schema itself refuses a second live link for one fattura.
    let second_live = sqlx::query(
        "INSERT INTO payment_links (token_hash, fattura_id, ln_invoice_id, created_at) VALUES ('h5', $1, NULL, 14)",
    )
    .bind(fattura_id)
    .execute(store.pool())
    .await;
    seen.push(format!("second live refused {}", second_live.is_err()));
    seen.push(format!("revoke {}", store.revoke_payment_link(&debt, 15).await?));
    seen.push(format!("revoke again {}", store.revoke_payment_link(&debt, 16).await?));
    seen.push(format!("live after {:?}", store.live_payment_link(&debt).await?));
    seen.push(format!(
        "own still {:?}",
        store.live_payment_link(&own).await?.map(|l| l.token_hash)
    ));
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn payment_links_behave_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = payment_links(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "first true",
            "second false",
            "own true",
            "live h1 true",
            "replaced old revoked at Some(13)",
            "live now Some(\"h3\")",
            "ensure live false Some((\"h3\", Some(\"00\")))",
            "second live refused true",
            "revoke true",
            "revoke again false",
            "live after None",
            "own still Some(\"h4\")",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = payment_links(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// Tills and POS sales (issue 36) on `store`: what each step answers.
async fn counter_tables(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::{NewPosSale, TillChange, TillOutcome};
    let mut seen = Vec::new();
    let names = |tills: Vec<openfatture::store::TillRow>| {
        tills
            .into_iter()
            .map(|t| format!("{}/{}/{:?}", t.name, t.vat_rate, t.printer_address))
            .collect::<Vec<_>>()
    };
    seen.push(format!("start {:?}", names(store.tills().await?)));
    let bar = store
        .add_till("Bar", Some("10.0.0.5:9100"), "10", 100)
        .await?
        .ok_or("added")?;
    seen.push(format!(
        "again {:?}",
        store.add_till("Bar", None, "22", 101).await?.is_some()
    ));
    let taken = store
        .change_till(
            "Cassa",
            &TillChange {
                name: Some("Bar".into()),
                ..TillChange::default()
            },
        )
        .await?;
    seen.push(format!("rename onto Bar {}", taken == TillOutcome::NameTaken));
    let changed = store
        .change_till(
            "Bar",
            &TillChange {
                name: Some("Banco".into()),
                printer_address: Some(None),
                vat_rate: Some("0:N2".into()),
                auto_print: Some(true),
            },
        )
        .await?;
    seen.push(format!(
        "changed {}",
        matches!(changed, TillOutcome::Done(ref t) if t.id == bar.id && t.auto_print == 1)
    ));
    let invoice = store
        .insert_pending_ln_invoice(&common::new_standalone_invoice(
            "cc".repeat(32),
            "dd".repeat(32),
            "POS".into(),
        ))
        .await?;
    store
        .insert_pos_sale(&NewPosSale {
            invoice_id: invoice.id.clone(),
            till_id: bar.id,
            till_name: "Banco".into(),
            cashier: "anna".into(),
            gross_cents: 1210,
            vat_rate: "10".into(),
            vat_cents: 110,
            net_cents: 1100,
            tip_cents: 121,
            created_at: 1_700_000_100,
        })
        .await?;
    store
        .settle_ln_invoice(&invoice.id, 29_578_000, None, 1_700_000_130, None)
        .await?;
    // Receipts: tokens by hash, the sale with its till's printer, one auto-print claim.
    store
        .add_receipt_token(&invoice.id, &"ab".repeat(32), 1_700_000_140)
        .await?;
    store
        .add_receipt_token(&invoice.id, &"cd".repeat(32), 1_700_000_141)
        .await?;
    seen.push(format!(
        "receipt tokens {:?} {:?}",
        store.receipt_token_sale(&"cd".repeat(32)).await?.as_deref() == Some(invoice.id.as_str()),
        store.receipt_token_sale(&"ef".repeat(32)).await?
    ));
    let receipt = store.receipt_sale(&invoice.id).await?.ok_or("receipt sale")?;
    seen.push(format!(
        "receipt sale {} {} {:?} {}",
        receipt.till_name, receipt.gross_cents, receipt.printer_address, receipt.auto_print
    ));
    seen.push(format!(
        "auto-print claims {} {}",
        store.claim_receipt_auto_print(&invoice.id, 1_700_000_150).await?,
        store.claim_receipt_auto_print(&invoice.id, 1_700_000_151).await?
    ));
    // Refunds (issue 36): capped at gross + tip (13.31), one per payment hash, the event with
    // the result.
    let refund = |hash: &str, cents: i64| openfatture::store::NewRefund {
        invoice_id: invoice.id.clone(),
        payment_hash: hash.repeat(32),
        payment_request: format!("lnbcrt-{hash}"),
        destination: format!("lnbcrt-{hash}"),
        amount_cents: cents,
        amount_msat: cents * 22_222,
        eur_per_btc: "45000".into(),
        rate_source: "fallback".into(),
        rate_at: 1_700_000_140,
        created_by: "admin".into(),
        created_at: 1_700_000_140,
    };
    let first = store.insert_refund(&refund("e1", 500)).await?;
    seen.push(format!("refund {:?}", first.map(|r| r.state)));
    seen.push(format!(
        "same {:?}",
        store.insert_refund(&refund("e1", 100)).await?.err()
    ));
    seen.push(format!(
        "over {:?}",
        store.insert_refund(&refund("e2", 900)).await?.err()
    ));
    let done = store
        .finish_refund(&"e1".repeat(32), true, 1_500, 1, None, 1_700_000_150)
        .await?
        .map(|r| (r.state, r.fee_msat, r.fee_cents));
    seen.push(format!("finished {done:?}"));
    let again = store
        .finish_refund(&"e1".repeat(32), false, 0, 0, Some("late"), 1_700_000_160)
        .await?
        .map(|r| r.state);
    seen.push(format!("final stays {again:?}"));
    seen.push(format!("sending {}", store.refunds_sending().await?.len()));
    let refunded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE type = 'payment_refunded'")
        .fetch_one(store.pool())
        .await?;
    seen.push(format!("events {refunded}"));
    seen.push(format!(
        "removed {}",
        matches!(store.remove_till("Banco").await?, TillOutcome::Done(_))
    ));
    seen.push(format!(
        "last {}",
        store.remove_till("Cassa").await? == TillOutcome::LastTill
    ));
    seen.push(format!("left {:?}", names(store.tills().await?)));
    for row in store.pos_sales_between(1_700_000_000, 1_700_000_200).await? {
        seen.push(format!(
            "sale {} {} {} {} {} {} {} {} {} refunded {} {} {}",
            row.till_name,
            row.cashier,
            row.gross_cents,
            row.vat_rate,
            row.vat_cents,
            row.net_cents,
            row.tip_cents,
            row.state,
            row.amt_paid_msat,
            row.refunded_cents,
            row.refunded_msat,
            row.refund_fee_msat
        ));
    }
    // Refunds by the day they were made, with their sale's till and cashier.
    for line in store.pos_refunds_between(0, i64::MAX).await? {
        seen.push(format!(
            "refund line {} {} {} {} {}",
            line.till_name, line.cashier, line.amount_cents, line.amount_msat, line.fee_msat
        ));
    }
    seen.push(format!(
        "refund lines before {}",
        store.pos_refunds_between(0, 1).await?.len()
    ));
    // A paid sale counts when it was paid (130), not when it was rung up (100).
    seen.push(format!(
        "outside {} {}",
        store.pos_sales_between(1_700_000_000, 1_700_000_130).await?.len(),
        store.pos_sales_between(1_700_000_131, 1_700_000_200).await?.len()
    ));
    seen.push(format!(
        "paid moment {}",
        store.pos_sales_between(1_700_000_101, 1_700_000_131).await?.len()
    ));
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn tills_and_pos_sales_behave_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = counter_tables(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "start [\"Cassa/22/None\"]",
            "again false",
            "rename onto Bar true",
            "changed true",
            "receipt tokens true None",
            "receipt sale Banco 1210 None 1",
            "auto-print claims true false",
            "refund Ok(\"sending\")",
            "same Some(SameInvoice)",
            "over Some(OverCap { left_cents: 831 })",
            "finished Some((\"succeeded\", 1500, 1))",
            "final stays Some(\"succeeded\")",
            "sending 0",
            "events 1",
            "removed true",
            "last true",
            "left [\"Cassa/22/None\"]",
            "sale Banco anna 1210 10 110 1100 121 SETTLED 29578000 refunded 500 11111000 1500",
            "refund line Banco anna 500 11111000 1500",
            "refund lines before 0",
            "outside 0 0",
            "paid moment 1",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = counter_tables(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// Channel backups through `store`: duplicates skipped, pruned to the newest two, newest first.
async fn channel_backups(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let points = |n: usize| (0..n).map(|i| format!("{}:{i}", "ab".repeat(32))).collect::<Vec<_>>();
    let mut seen = Vec::new();
    for (at, packed, n) in [
        (1, b"one".as_slice(), 3),
        (2, b"one", 3),
        (3, b"two", 2),
        (4, b"three", 1),
    ] {
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(packed));
        let stored = store.add_channel_backup(at, &points(n), packed, &digest, 2).await?;
        seen.push(format!("{at} stored {stored}"));
    }
    for b in store.channel_backups().await? {
        seen.push(format!(
            "kept at {} {} channels {}",
            b.taken_at_ms,
            b.chan_points.len(),
            String::from_utf8_lossy(&b.packed)
        ));
    }
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn channel_backups_behave_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = channel_backups(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "1 stored true",
            "2 stored false",
            "3 stored true",
            "4 stored true",
            "kept at 4 1 channels three",
            "kept at 3 2 channels two",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = channel_backups(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// The mail outbox (issue 35) on `store`: queued with its link in one transaction, taken by one
/// sender at a time, sent once (one `invoice_sent`), retried, given up; what was observed.
async fn mail_outbox(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::{LinkTarget, MailFailure};
    let mut seen = Vec::new();
    let invoice = store
        .insert_pending_ln_invoice(&common::new_standalone_invoice(
            "cc".repeat(32),
            "dd".repeat(32),
            "memo".into(),
        ))
        .await?;
    let own = LinkTarget::LnInvoice(invoice.id.clone());
    let first = store
        .queue_link_mail(&own, nl("m1"), &invoice.id, "a@example.it", "https://x/pay/1", 100)
        .await?;
    let second = store
        .queue_link_mail(&own, nl("m2"), &invoice.id, "b@example.it", "https://x/pay/2", 100)
        .await?;
    seen.push(format!(
        "live {:?}, first revoked {:?}",
        store.live_payment_link(&own).await?.map(|l| l.token_hash),
        store.payment_link_by_hash("m1").await?.and_then(|l| l.revoked_at)
    ));
    seen.push(format!("claim {}", store.claim_outbox_mail(first, 100, 400).await?));
    seen.push(format!(
        "claim again {}",
        store.claim_outbox_mail(first, 100, 400).await?
    ));
    seen.push(format!(
        "due {:?}",
        store.due_outbox_mails(100, 10).await? == vec![second]
    ));
    let unreachable = MailFailure {
        code: "unreachable",
        text: "421 busy",
        retry_at: Some(130),
    };
    store.outbox_mail_failed(first, &unreachable).await?;
    seen.push(format!(
        "due later {:?}",
        store.due_outbox_mails(130, 10).await? == vec![first, second]
    ));
    seen.push(format!("sent {}", store.outbox_mail_sent(second, 131).await?));
    seen.push(format!("sent again {}", store.outbox_mail_sent(second, 132).await?));
    let refused = MailFailure {
        code: "refused",
        text: "550 no such user",
        retry_at: None,
    };
    store.outbox_mail_failed(first, &refused).await?;
    for mail in store.outbox_mails_of(&invoice.id, None).await? {
        seen.push(format!(
            "{} {} {} attempts {} code {:?} url {:?} sent {:?}",
            mail.id == first,
            mail.to_address,
            mail.state.as_str(),
            mail.attempts,
            mail.last_error_code,
            mail.payment_url,
            mail.sent_at
        ));
    }
    let events = store.events_for_invoice(&invoice.id).await?;
    seen.push(format!(
        "invoice_sent {}",
        events.iter().filter(|e| e.kind == "invoice_sent").count()
    ));
    seen.push(format!("retry now {}", store.outbox_retry_now(200).await?));
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn the_mail_outbox_behaves_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = mail_outbox(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "live Some(\"m2\"), first revoked Some(100)",
            "claim true",
            "claim again false",
            "due true",
            "due later true",
            "sent true",
            "sent again false",
            "false b@example.it sent attempts 1 code None url None sent Some(131)",
            "true a@example.it failed attempts 2 code Some(\"refused\") url None sent None",
            "invoice_sent 1",
            "retry now 0",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = mail_outbox(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// Closings through `store`: numbered for the shop, a day closed once (whole shop or till by
/// till, not both), the `day_closed` event in the same transaction, immutable rows.
async fn closing_tables(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::NewClosing;
    let mut seen = Vec::new();
    let closing = |date: &str, till: &str, at: i64| NewClosing {
        business_date: date.into(),
        till_name: till.into(),
        timezone: "Europe/Rome".into(),
        covers_from: at - 86_400,
        covers_until: at,
        closed_at: at,
        closed_by: "cli".into(),
        figures: r#"{"sales":0}"#.into(),
    };
    let fields = |n: i64| serde_json::json!({ "closing_number": n });
    let first = store
        .insert_closing(&closing("2026-03-28", "", 1_774_700_000), fields)
        .await?;
    seen.push(format!("first {:?}", first.map(|r| (r.number, r.till_name))));
    for (date, till) in [("2026-03-28", ""), ("2026-03-28", "Bar")] {
        let again = store
            .insert_closing(&closing(date, till, 1_774_700_001), fields)
            .await?;
        seen.push(format!("again {date} {till:?} {:?}", again.map(|r| r.number)));
    }
    let bar = store
        .insert_closing(&closing("2026-03-29", "Bar", 1_774_780_000), fields)
        .await?;
    seen.push(format!("bar {:?}", bar.map(|r| r.number)));
    let cassa = store
        .insert_closing(&closing("2026-03-29", "Cassa", 1_774_780_001), fields)
        .await?;
    seen.push(format!("cassa {:?}", cassa.map(|r| r.number)));
    let shop = store
        .insert_closing(&closing("2026-03-29", "", 1_774_780_002), fields)
        .await?;
    seen.push(format!("shop {:?}", shop.map(|r| r.number)));
    seen.push(format!(
        "of day bar {:?} shop {:?} other {:?}",
        store.closing_of_day("2026-03-29", "Bar").await?.map(|r| r.number),
        store.closing_of_day("2026-03-29", "").await?.map(|r| r.number),
        store.closing_of_day("2026-03-28", "Bar").await?.map(|r| r.number),
    ));
    seen.push(format!(
        "list {:?}",
        store.closings().await?.iter().map(|r| r.number).collect::<Vec<_>>()
    ));
    let events: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM events WHERE type = 'day_closed' ORDER BY created_at")
            .fetch_all(store.pool())
            .await?;
    for payload in events {
        let body: serde_json::Value = serde_json::from_str(&payload)?;
        seen.push(format!("event {}", body["closing_number"]));
    }
    let update = sqlx::query("UPDATE closings SET closed_by = 'x'")
        .execute(store.pool())
        .await;
    let delete = sqlx::query("DELETE FROM closings WHERE number = 1")
        .execute(store.pool())
        .await;
    seen.push(format!("immutable {} {}", update.is_err(), delete.is_err()));
    seen.push(format!("one {:?}", store.closing(1).await?.map(|r| r.closed_by)));
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn closings_behave_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = closing_tables(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "first Ok((1, \"\"))",
            "again 2026-03-28 \"\" Err(AlreadyClosed(1))",
            "again 2026-03-28 \"Bar\" Err(ShopClosed(1))",
            "bar Ok(2)",
            "cassa Ok(3)",
            "shop Err(TillsClosed(2))",
            "of day bar Some(2) shop None other Some(1)",
            "list [3, 2, 1]",
            "event 1",
            "event 2",
            "event 3",
            "immutable true true",
            "one Some(\"cli\")",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = closing_tables(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// The lines and IVA summary of an imported fattura (issue 35) on `store`: a dry run stores
/// none, the import stores them with the fattura, importing the file again adds no second copy,
/// and an invoice added by hand has one line; what was read back.
async fn fattura_lines(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::invoices::{add_manual, import_named, ImportOptions, ManualFattura};
    let name = "IT05678901234_LINEE.xml";
    let bytes = common::read_fixture(name);
    let mut options = ImportOptions {
        dry_run: true,
        merchant_vat_id: None,
    };
    import_named(&store, name, &bytes, &options).await?;
    let mut seen = Vec::new();
    seen.push(format!(
        "after the dry run: {}",
        store.fattura_by_key("2026/118", 2026, "IT05678901234").await?.is_some()
    ));
    options.dry_run = false;
    import_named(&store, name, &bytes, &options).await?;
    import_named(&store, name, &bytes, &options).await?;
    let fattura = store
        .fattura_by_key("2026/118", 2026, "IT05678901234")
        .await?
        .ok_or("imported")?;
    let breakdown = store.fattura_breakdown(fattura.id).await?;
    for line in &breakdown.lines {
        seen.push(format!(
            "line {} {:?} {:?} {:?} {} {} {} {:?}",
            line.number,
            line.description,
            line.quantity.map(|q| q.to_string()),
            line.unit,
            line.unit_price_eur,
            line.total_eur,
            line.vat_percent,
            line.natura
        ));
    }
    for row in &breakdown.vat_summary {
        seen.push(format!(
            "summary {} {:?} {} {} {:?}",
            row.vat_percent, row.natura, row.taxable_eur, row.vat_eur, row.esigibilita
        ));
    }
    let manual = add_manual(
        &store,
        ManualFattura {
            numero: "M-1".into(),
            data: NaiveDate::from_ymd_opt(2026, 11, 2).ok_or("date")?,
            client: "Bar Centrale".into(),
            client_piva: None,
            client_cf: None,
            description: "Consulenza fiscale".into(),
            total_eur: Decimal::new(61000, 2),
            ritenuta_eur: Decimal::ZERO,
            bollo_eur: Decimal::ZERO,
        },
    )
    .await?;
    let breakdown = store.fattura_breakdown(manual.id).await?;
    for line in &breakdown.lines {
        seen.push(format!(
            "manual line {} {:?} {} {}",
            line.number, line.description, line.unit_price_eur, line.total_eur
        ));
    }
    seen.push(format!("manual summary rows {}", breakdown.vat_summary.len()));
    store.close().await;
    Ok(seen)
}

#[tokio::test]
async fn fattura_lines_and_iva_summary_round_trip_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = fattura_lines(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "after the dry run: false",
            "line 1 \"Sviluppo del sito web aziendale con catalogo prodotti, area riservata per i clienti e integrazione con il gestionale di magazzino\" Some(\"40.00\") Some(\"ore\") 45.00000000 1800.00000000 22.00 None",
            "line 2 \"Manuale d'uso stampato\" Some(\"3.00\") Some(\"pz\") 12.50000000 37.50000000 10.00 None",
            "line 3 \"Spese anticipate in nome e per conto del cliente (art. 15 DPR 633/72)\" None None 16.00000000 16.00000000 0.00 Some(\"N1\")",
            "summary 22.00 None 1800.00 396.00 Some(\"I\")",
            "summary 10.00 None 37.50 3.75 Some(\"I\")",
            "summary 0.00 Some(\"N1\") 16.00 0.00 None",
            "manual line 1 \"Consulenza fiscale\" 610.00 610.00",
            "manual summary rows 0",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = fattura_lines(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// Channel events (issue 38 §2) on `store`: opened and closed once each with one webhook event,
/// activity recorded only on change, `channel_inactive` raised once per spell; what was observed.
async fn channel_events(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::{ChannelClosed, ChannelOpened};
    let mut seen = Vec::new();
    let opened = ChannelOpened {
        chan_point: format!("{}:0", "ab".repeat(32)),
        chan_id: 123,
        remote_pubkey: "02".repeat(33),
        capacity_sat: 1_000_000,
    };
    let other = format!("{}:1", "cd".repeat(32));
    seen.push(format!("opened {}", store.record_channel_opened(&opened, 1_000).await?));
    seen.push(format!(
        "opened again {}",
        store.record_channel_opened(&opened, 2_000).await?
    ));
    seen.push(format!("known {}", store.record_channel_known(&opened, 2_000).await?));
    seen.push(format!(
        "active first {}",
        store.record_channel_activity(&other, true, 3_000).await?
    ));
    seen.push(format!(
        "inactive {}",
        store.record_channel_activity(&other, false, 4_000).await?
    ));
    seen.push(format!(
        "inactive again {}",
        store.record_channel_activity(&other, false, 5_000).await?
    ));
    seen.push(format!(
        "too early {:?}",
        store.alert_inactive_channels(3_999, 6_000).await?.len()
    ));
    seen.push(format!(
        "alerted {:?}",
        store.alert_inactive_channels(4_000, 7_000).await?.len()
    ));
    seen.push(format!(
        "alerted again {:?}",
        store.alert_inactive_channels(9_000, 9_000).await?.len()
    ));
    let closed = ChannelClosed {
        chan_point: opened.chan_point.clone(),
        chan_id: 123,
        remote_pubkey: opened.remote_pubkey.clone(),
        capacity_sat: 1_000_000,
        force_close: true,
        close_type: "REMOTE_FORCE_CLOSE".into(),
        closing_txid: "ef".repeat(32),
    };
    seen.push(format!(
        "closed {}",
        store.record_channel_closed(&closed, 10_000).await?
    ));
    seen.push(format!(
        "closed again {}",
        store.record_channel_closed(&closed, 11_000).await?
    ));
    seen.push(format!(
        "force closes {}",
        store.force_closes_since(10_000).await?.len()
    ));
    seen.push(format!(
        "force closes later {}",
        store.force_closes_since(10_001).await?.len()
    ));
    let mut events = Vec::new();
    for e in store.events_after(0, 100).await? {
        let body: serde_json::Value = serde_json::from_str(&e.payload)?;
        events.push(format!("{} {} {}", e.kind, body["channel_point"], body["force_close"]));
    }
    seen.push(events.join("; "));
    Ok(seen)
}

#[tokio::test]
async fn channel_events_behave_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = channel_events(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    let point = format!("\"{}:0\"", "ab".repeat(32));
    let other = format!("\"{}:1\"", "cd".repeat(32));
    assert_eq!(
        sqlite,
        vec![
            "opened true".to_string(),
            "opened again false".into(),
            "known false".into(),
            "active first false".into(),
            "inactive true".into(),
            "inactive again false".into(),
            "too early 0".into(),
            "alerted 1".into(),
            "alerted again 0".into(),
            "closed true".into(),
            "closed again false".into(),
            "force closes 1".into(),
            "force closes later 0".into(),
            format!("channel_opened {point} null; channel_inactive {other} null; channel_closed {point} true"),
        ]
    );
    let pg = PgServer::start()?;
    let postgres = channel_events(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// A link to store with hash `hash` (and a nonce named after it).
fn nl(hash: &'static str) -> openfatture::store::NewLink<'static> {
    openfatture::store::NewLink {
        token_hash: hash,
        token_nonce: "00",
    }
}

/// Tablet pairing (issue 36): a code is redeemed once and only while young, the device then has
/// its till, the list names it, and unpairing ends it; the same on both databases.
async fn till_pairing(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::Redeemed;
    let mut seen = Vec::new();
    let bar = store.add_till("Bar", None, "10", 1_000).await?.ok_or("Bar added")?;
    store.add_pairing_code("code-1", bar.id, "admin", 2_000).await?;
    store.add_pairing_code("code-old", bar.id, "admin", 1_000).await?;
    let redeemed = store
        .redeem_pairing_code("code-1", 1_500, "dev-1", "cashier", 2_100)
        .await?;
    seen.push(match redeemed {
        Redeemed::Paired(till) => format!("paired {}", till.name),
        Redeemed::Refused => "refused".into(),
    });
    let again = store
        .redeem_pairing_code("code-1", 1_500, "dev-2", "cashier", 2_200)
        .await?;
    seen.push(format!("again {again:?}"));
    let old = store
        .redeem_pairing_code("code-old", 1_500, "dev-3", "cashier", 2_200)
        .await?;
    seen.push(format!("old {old:?}"));
    let unknown = store.redeem_pairing_code("nope", 0, "dev-4", "cashier", 2_200).await?;
    seen.push(format!("unknown {unknown:?}"));
    seen.push(format!(
        "device {:?} other {:?}",
        store.device_till("dev-1").await?.map(|t| t.name),
        store.device_till("dev-2").await?.map(|t| t.name)
    ));
    store.touch_device("dev-1", 3_000).await?;
    let devices = store.till_devices(Some(bar.id)).await?;
    seen.push(
        devices
            .iter()
            .map(|d| format!("{} {} {} {}", d.till_name, d.paired_by, d.created_at, d.last_seen_at))
            .collect::<Vec<_>>()
            .join("; "),
    );
    seen.push(format!("all {} default {}", store.till_devices(None).await?.len(), {
        let default_id = store.tills().await?.first().ok_or("a till")?.id;
        store.till_devices(Some(default_id)).await?.len()
    }));
    let id = devices.first().ok_or("a device")?.id;
    seen.push(format!(
        "unpaired {:?}",
        store.unpair_device(id, 4_000).await?.map(|d| d.till_name)
    ));
    seen.push(format!(
        "unpaired again {:?}",
        store.unpair_device(id, 4_001).await?.is_some()
    ));
    seen.push(format!(
        "after {:?} listed {}",
        store.device_till("dev-1").await?.map(|t| t.name),
        store.till_devices(None).await?.len()
    ));
    Ok(seen)
}

#[tokio::test]
async fn till_pairing_behaves_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = till_pairing(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "paired Bar".to_string(),
            "again Refused".into(),
            "old Refused".into(),
            "unknown Refused".into(),
            "device Some(\"Bar\") other None".into(),
            "Bar cashier 2100 3000".into(),
            "all 1 default 0".into(),
            "unpaired Some(\"Bar\")".into(),
            "unpaired again false".into(),
            "after None listed 0".into(),
        ]
    );
    let pg = PgServer::start()?;
    let postgres = till_pairing(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// Routing fees with their EUR value (issue 38 §3): recorded with a rebalance, listed by period.
async fn routing_fees(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::FeeValue;
    let mut out = Vec::new();
    let rebalance = |hash: u8, fee_msat: u64, ok: bool, at: i64, value: Option<FeeValue>| NewRebalance {
        payment_hash: format!("{hash:02x}").repeat(32),
        from_chan_id: 101,
        to_chan_id: 103,
        amount_msat: 800_000_000,
        fee_msat,
        succeeded: ok,
        failure: (!ok).then(|| "no route".to_string()),
        trigger: RebalanceTrigger::Auto,
        started_at: at,
        finished_at: at,
        fee_value: value,
    };
    let valued = FeeValue {
        fee_eur: "0.1205".parse()?,
        eur_per_btc: "50000.25".parse()?,
        rate_source: "kraken".into(),
        rate_at_secs: 1_700_000_000,
    };
    store
        .record_rebalance(&rebalance(1, 241_016, true, 1_700_000_010, Some(valued)))
        .await?;
    // No rate then: kept in msat only.
    store
        .record_rebalance(&rebalance(2, 5_000, true, 1_700_000_020, None))
        .await?;
    // Failed, or free: no fee paid, not listed.
    store
        .record_rebalance(&rebalance(3, 0, false, 1_700_000_030, None))
        .await?;
    store
        .record_rebalance(&rebalance(4, 0, true, 1_700_000_040, None))
        .await?;
    for (from, to) in [(None, None), (Some(1_700_000_015), None), (None, Some(1_700_000_015))] {
        let fees = store.routing_fees_between(from, to).await?;
        out.push(
            fees.iter()
                .map(|f| {
                    format!(
                        "{} {} {} {} {:?}",
                        f.kind.as_str(),
                        &f.payment_hash[..2],
                        f.paid_at_secs,
                        f.fee_msat,
                        f.value.as_ref().map(|v| (
                            v.fee_eur.to_string(),
                            v.eur_per_btc.to_string(),
                            v.rate_source.clone(),
                            v.rate_at_secs
                        ))
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    store.close().await;
    Ok(out)
}

#[tokio::test]
async fn routing_fees_in_eur_behave_alike_on_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = routing_fees(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    let first = "rebalance 01 1700000010 241016 Some((\"0.1205\", \"50000.25\", \"kraken\", 1700000000))";
    let second = "rebalance 02 1700000020 5000 None";
    assert_eq!(
        sqlite,
        vec![format!("{first}; {second}"), second.to_string(), first.to_string()]
    );
    let pg = PgServer::start()?;
    let postgres = routing_fees(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// One payable Lightning invoice per fattura, held by the database (issue 35), on `store`: what
/// was observed, alike on both backends.
async fn one_payable(store: Store) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use openfatture::store::{InvoiceOrigin, StoreError};
    let mut seen = Vec::new();
    let fattura = store
        .add_fattura(&fattura("INV-7", "Acme Corp", 10_000), 1)
        .await?
        .ok_or("INV-7 added")?;
    let new = |n: u32| openfatture::store::NewLnInvoice {
        fattura_id: Some(fattura.id),
        numero: Some("INV-7".into()),
        payment_hash: format!("{n:064x}"),
        preimage: format!("{:064x}", n + 1000),
        memo: "m".into(),
        amount_eur: Decimal::new(4_000, 2),
        amount_msat: 88_888_889,
        rate_eur_per_btc: Decimal::new(45_000, 0),
        rate_source: "fallback".into(),
        rate_at: 1,
        rate_is_fallback: true,
        expiry_secs: 3600,
        created_at: 1,
        rate_evidence: Vec::new(),
        identity: None,
    };
    let payable = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM ln_invoices WHERE fattura_id = $1 AND state IN ('PENDING', 'OPEN')",
        )
        .bind(fattura.id)
        .fetch_one(store.pool())
        .await
    };
    let first = store.insert_pending_ln_invoice(&new(1)).await?;
    // A second attempt while the first is being made (PENDING) is refused, and writes nothing.
    match store
        .insert_pending_ln_invoice_retiring(&new(2), InvoiceOrigin::Office)
        .await
    {
        Err(StoreError::PayableExists(numero)) => seen.push(format!("while pending: refused for {numero}")),
        other => seen.push(format!("while pending: {:?}", other.map(|(i, _)| i.id))),
    }
    seen.push(format!("payable {}", payable().await?));
    sqlx::query("UPDATE ln_invoices SET state = 'OPEN' WHERE id = $1")
        .bind(&first.id)
        .execute(store.pool())
        .await?;
    // The database itself refuses a second payable row, whoever writes it.
    let raw = sqlx::query(
        "INSERT INTO ln_invoices (id, fattura_id, attempt, payment_hash, memo, amount_cents, amount_msat, \
         rate_eur_per_btc, rate_source, rate_at, expiry_secs, created_at, expires_at, state) \
         VALUES ('INV-7-LN-9', $1, 9, 'raw', 'm', 100, 1000, '45000', 'x', 1, 60, 1, 61, 'OPEN')",
    )
    .bind(fattura.id)
    .execute(store.pool())
    .await;
    seen.push(format!("raw second OPEN refused: {}", raw.is_err()));
    // A new attempt retires the OPEN one in the same transaction.
    let (second, retired) = store
        .insert_pending_ln_invoice_retiring(&new(3), InvoiceOrigin::Office)
        .await?;
    let retired: Vec<String> = retired.into_iter().map(|r| r.id).collect();
    seen.push(format!("{} retired {retired:?}", second.id));
    let old = store.ln_invoice(&first.id).await?.ok_or("first kept")?;
    seen.push(format!(
        "{} {} by us {}",
        old.id,
        old.state.as_str(),
        old.cancelled_by_us
    ));
    seen.push(format!("payable {}", payable().await?));
    let cancelled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE ln_invoice_id = $1 AND type = $2")
        .bind(&first.id)
        .bind(EventKind::InvoiceCancelled.as_str())
        .fetch_one(store.pool())
        .await?;
    seen.push(format!("invoice_cancelled events {cancelled}"));
    // A payment that still lands on the retired attempt is credited.
    let paid = store.settle_ln_invoice(&first.id, 88_888_889, Some(1), 2, None).await?;
    seen.push(format!("credited {:?}", paid.map(|p| p.amount_eur.to_string())));
    let after = store.fattura(fattura.id).await?.ok_or("fattura kept")?;
    seen.push(format!("outstanding {}", after.outstanding_eur()));
    Ok(seen)
}

#[tokio::test]
async fn a_second_payable_invoice_for_one_fattura_is_refused_by_sqlite_and_postgres() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sqlite = one_payable(Store::open(&dir.path().join("db.sqlite")).await?).await?;
    assert_eq!(
        sqlite,
        vec![
            "while pending: refused for INV-7",
            "payable 1",
            "raw second OPEN refused: true",
            "INV-7-LN-2 retired [\"INV-7-LN\"]",
            "INV-7-LN CANCELED by us true",
            "payable 1",
            "invoice_cancelled events 1",
            "credited Some(\"40.00\")",
            "outstanding 60.00",
        ]
    );
    let pg = PgServer::start()?;
    let postgres = one_payable(Store::connect(&pg.url()).await?).await?;
    assert_eq!(postgres, sqlite);
    Ok(())
}

/// Two gateways on one PostgreSQL database, each with its own services over the same node: two
/// `--force-new` creates at once, then two new quotes at once on the same link, leave exactly one
/// payable invoice for the fattura, in the database and on the node.
#[tokio::test]
async fn two_gateways_making_new_quotes_at_once_leave_one_payable_invoice() -> TestResult {
    use openfatture::invoices::LinkService;
    use secrecy::ExposeSecret;
    let pg = PgServer::start()?;
    let url = pg.new_database("quotes")?;
    let dir = tempfile::tempdir()?;
    let node = start_node(dir.path()).await?;
    let (one, two) = (Store::connect(&url).await?, Store::connect(&url).await?);
    let fattura = one
        .add_fattura(&fattura("INV-8", "Acme Corp", 10_000), 1)
        .await?
        .ok_or("INV-8 added")?;
    let (svc_one, svc_two) = (
        common::lightning::invoice_service(&one, &node).await?,
        common::lightning::invoice_service(&two, &node).await?,
    );
    let request = || CreateRequest {
        numero: Some("INV-8".into()),
        force_new: true,
        ..CreateRequest::default()
    };
    let lnd = invoice_client(&node).await?;
    let check = |what: &'static str| {
        let (one, lnd) = (one.clone(), lnd.clone());
        async move {
            let payable: Vec<String> = sqlx::query_scalar(
                "SELECT payment_hash FROM ln_invoices WHERE fattura_id = $1 AND state IN ('PENDING', 'OPEN')",
            )
            .bind(fattura.id)
            .fetch_all(one.pool())
            .await?;
            assert_eq!(payable.len(), 1, "{what}: one payable invoice in the database");
            let open_on_node = lnd
                .list_invoices(lnd_proto::lnrpc::ListInvoiceRequest {
                    num_max_invoices: 1000,
                    ..Default::default()
                })
                .await?
                .invoices
                .into_iter()
                .filter(|i| i.state == lnd_proto::lnrpc::invoice::InvoiceState::Open as i32)
                .map(|i| hex::encode(i.r_hash))
                .collect::<Vec<_>>();
            assert_eq!(open_on_node, payable, "{what}: the same one payable on the node");
            Ok::<_, Box<dyn std::error::Error>>(())
        }
    };
    let first = svc_one.create(request()).await?;
    let token = first.payment_token.ok_or("a link made with the first invoice")?;
    for round in 0..3 {
        let (a, b) = tokio::join!(svc_one.create(request()), svc_two.create(request()));
        assert!(
            a.is_ok() || b.is_ok(),
            "round {round}: one of them made it: {a:?} {b:?}"
        );
        check("two --force-new at once").await?;
    }
    // The live invoice ends; two gateways' payment pages ask for a new quote at once.
    let live = one
        .live_ln_invoices_for(fattura.id)
        .await?
        .pop()
        .ok_or("one live invoice")?;
    svc_one.cancel(&live.id).await?;
    let (links_one, links_two) = (
        LinkService::new(one.clone(), svc_one.clone()),
        LinkService::new(two.clone(), svc_two.clone()),
    );
    let (a, b) = tokio::join!(
        links_one.requote(token.expose_secret(), true),
        links_two.requote(token.expose_secret(), true)
    );
    assert!(
        matches!(a, Ok(Some(_))) || matches!(b, Ok(Some(_))),
        "one new quote made: {a:?} {b:?}"
    );
    check("two new quotes at once").await?;
    Ok(())
}
