//! Refunds of paid POS sales (issue 36) over a real gateway on the embedded simnode: a partial
//! refund with `openfatture pos refund` to a `simnode invoice` BOLT11 is paid (the customer's
//! invoice says so, with the right amount) and shows in `pos day`; refunds over the cap, to a
//! used invoice or with a mismatched amount are refused and send nothing; LNURL-pay against an
//! HTTP server this test starts (good path, wrong description hash, amount out of range, HTTP
//! 500); and a refund left `sending` is resolved by TrackPaymentV2, never paid twice.

use crate::common;
use common::web::{Web, CASHIER, CASHIER_PIN};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use openfatture::store::Store;
use serde_json::Value;
use sha2::{Digest, Sha256};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// 5.00 EUR at the test's 45,000 EUR/BTC: 11,111.1 sat, rounded down.
const FIVE_EUR_MSAT: u64 = 11_111_000;

pub(crate) fn cli(web: &Web, args: &[&str]) -> std::process::Output {
    common::openfatture(web._dir.path())
        .env("LIGHTNING_COINGECKO_ENABLED", "false")
        .env("LIGHTNING_FALLBACK_RATE", "45000")
        .args(args)
        .output()
        .expect("runs")
}

pub(crate) fn refund(web: &Web, sale: &str, eur: &str, to: &str, more: &[&str]) -> Res<Value> {
    let mut args = vec!["--json", "pos", "refund", sale, "--amount-eur", eur, "--to", to];
    args.extend_from_slice(more);
    let out = cli(web, &args);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

async fn refund_rows(web: &Web) -> Res<Vec<String>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let rows = common::dump_exact(&store, &["refunds"]).await;
    store.close().await;
    Ok(rows)
}

async fn paid_sale(web: &Web, cookie: &str, eur: &str) -> Res<String> {
    let sale = web
        .ok(cookie, "pos_charge", &[("note", ""), ("amount_eur", eur)])
        .await?;
    let id = sale["invoice_id"].as_str().ok_or("id")?.to_string();
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    simnode::pay(&web.simnode_dir()?, bolt11, simnode::PayOptions::default()).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let state = web.ok(cookie, "invoice_state", &[("invoice_id", &id)]).await?;
        if state["state"] == "SETTLED" {
            return Ok(id);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{id} not settled: {state}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn customer_invoice(web: &Web, amount_msat: Option<u64>) -> Res<String> {
    let req = simnode::CustomerInvoiceRequest {
        amount_msat,
        memo: Some("refund".into()),
        description_hash_hex: None,
    };
    Ok(simnode::customer_invoice(&web.simnode_dir()?, &req)
        .await?
        .payment_request)
}

async fn status(web: &Web, bolt11: &str) -> Res<simnode::CustomerInvoiceStatus> {
    Ok(simnode::customer_invoice_status(&web.simnode_dir()?, bolt11).await?)
}

/// What the webhook receiver got: (`X-Lightning-Signature`, body) pairs.
pub(crate) type Hooks = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver on 127.0.0.1: the bodies and `X-Lightning-Signature` headers it got.
pub(crate) async fn webhook_receiver() -> Res<(Hooks, String)> {
    use axum::extract::State;
    use axum::routing::post;
    let got: Hooks = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |State(got): State<Hooks>, headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                    let sig = headers
                        .get("x-lightning-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    got.lock().unwrap().push((sig, body.to_vec()));
                    axum::http::StatusCode::OK
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((got, url))
}

pub(crate) const HOOK_SECRET: &str = "refund-hook-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_refunds_are_paid_capped_and_never_twice() -> Res<()> {
    let (hooks, url) = webhook_receiver().await?;
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_WEBHOOK_ENABLED", "true"),
            ("LIGHTNING_WEBHOOK_URL", &url),
            ("LIGHTNING_WEBHOOK_SECRET", HOOK_SECRET),
            ("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    )
    .await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    // 12.20 EUR paid.
    let sale = paid_sale(&web, &cashier, "12,20").await?;

    // A partial refund to a zero-amount customer invoice.
    let first = customer_invoice(&web, None).await?;
    let row = refund(&web, &sale, "5.00", &first, &[])?;
    assert_eq!(row["state"], "succeeded", "{row}");
    assert_eq!(row["amount_cents"], 500);
    assert_eq!(row["amount_msat"], FIVE_EUR_MSAT);
    assert_eq!(row["eur_per_btc"], "45000");
    let fee_msat = row["fee_msat"].as_u64().ok_or("fee")?;
    assert!(
        fee_msat <= FIVE_EUR_MSAT * 5_000 / 1_000_000,
        "fee {fee_msat} over pos_refund_max_fee_ppm"
    );
    let paid = status(&web, &first).await?;
    assert!(paid.paid);
    assert_eq!(paid.amount_msat, FIVE_EUR_MSAT);
    // The `payment_refunded` webhook reaches the receiver, signed like every other webhook.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (sig, body) = loop {
        let found = hooks.lock().unwrap().iter().find_map(|(sig, body)| {
            let json: Value = serde_json::from_slice(body).ok()?;
            (json["event"] == "payment_refunded").then(|| (sig.clone(), json))
        });
        if let Some(found) = found {
            break found;
        }
        if tokio::time::Instant::now() > deadline {
            return Err("no payment_refunded webhook".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["invoice_id"], sale.as_str());
    assert_eq!(body["amount_eur"], "5.00");
    assert_eq!(body["amount_sats"], FIVE_EUR_MSAT / 1000);
    assert_eq!(body["payment_hash"], row["payment_hash"]);
    let raw = hooks
        .lock()
        .unwrap()
        .iter()
        .find(|(s, _)| *s == sig)
        .map(|(_, b)| b.clone())
        .ok_or("raw body")?;
    let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(HOOK_SECRET.as_bytes())?;
    hmac::Mac::update(&mut mac, &raw);
    assert_eq!(sig, hex::encode(hmac::Mac::finalize(mac).into_bytes()));

    // The same invoice again: refused, nothing sent or written.
    let before = refund_rows(&web).await?;
    let err = refund(&web, &sale, "1.00", &first, &[]).unwrap_err().to_string();
    assert!(err.contains("already used for a refund"), "{err}");
    // Over the cap: 7.20 EUR is left.
    let second = customer_invoice(&web, None).await?;
    let err = refund(&web, &sale, "8.00", &second, &[]).unwrap_err().to_string();
    assert!(err.contains("only 7.20 EUR"), "{err}");
    // An invoice whose own amount does not match the EUR asked.
    let wrong = customer_invoice(&web, Some(50_000_000)).await?;
    let err = refund(&web, &sale, "1.00", &wrong, &[]).unwrap_err().to_string();
    assert!(err.contains("asks for 50000 sat"), "{err}");
    assert!(!status(&web, &second).await?.paid);
    assert!(!status(&web, &wrong).await?.paid);
    assert_eq!(refund_rows(&web).await?, before, "a refused refund wrote something");

    // The rest, to an invoice with its amount: 7.20 EUR = 16,000 sat.
    let rest = customer_invoice(&web, Some(16_000_000)).await?;
    let row = refund(&web, &sale, "7.20", &rest, &[])?;
    assert_eq!(row["state"], "succeeded", "{row}");
    assert_eq!(status(&web, &rest).await?.amount_msat, 16_000_000);
    let err = refund(&web, &sale, "0.01", &second, &[]).unwrap_err().to_string();
    assert!(err.contains("only 0.00 EUR"), "{err}");

    // The day's figures.
    let out = cli(&web, &["--json", "pos", "day"]);
    assert!(out.status.success());
    let day: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(day["refunds_eur"], "12.20");
    assert_eq!(day["refunds_sat"], 11_111 + 16_000);
    assert!(day["refund_fees_sat"].as_u64().ok_or("fees")? > 0);
    Ok(())
}

/// What the LNURL-pay server does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Good,
    WrongHash,
    Fail500,
}

struct Lnurl {
    base: String,
    mode: Arc<Mutex<Mode>>,
    invoices: Arc<Mutex<Vec<String>>>,
}

async fn lnurl_server(simnode_dir: std::path::PathBuf, max_sendable: u64) -> Res<Lnurl> {
    use axum::extract::{Query, State};
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mode = Arc::new(Mutex::new(Mode::Good));
    let invoices = Arc::new(Mutex::new(Vec::new()));
    let metadata = r#"[["text/plain","Rimborso"]]"#.to_string();
    #[derive(Clone)]
    struct S {
        base: String,
        dir: std::path::PathBuf,
        mode: Arc<Mutex<Mode>>,
        invoices: Arc<Mutex<Vec<String>>>,
        metadata: String,
        max: u64,
    }
    let state = S {
        base: base.clone(),
        dir: simnode_dir,
        mode: mode.clone(),
        invoices: invoices.clone(),
        metadata,
        max: max_sendable,
    };
    let app = axum::Router::new()
        .route(
            "/.well-known/lnurlp/alice",
            get(|State(s): State<S>| async move {
                if *s.mode.lock().unwrap() == Mode::Fail500 {
                    return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom".to_string());
                }
                let body = serde_json::json!({
                    "tag": "payRequest",
                    "callback": format!("{}/cb", s.base),
                    "minSendable": 1000,
                    "maxSendable": s.max,
                    "metadata": s.metadata,
                });
                (axum::http::StatusCode::OK, body.to_string())
            }),
        )
        .route(
            "/cb",
            get(
                |State(s): State<S>, Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    let amount: u64 = q.get("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
                    let hashed = if *s.mode.lock().unwrap() == Mode::WrongHash {
                        format!("{}x", s.metadata)
                    } else {
                        s.metadata.clone()
                    };
                    let req = simnode::CustomerInvoiceRequest {
                        amount_msat: Some(amount),
                        memo: None,
                        description_hash_hex: Some(hex::encode(Sha256::digest(hashed.as_bytes()))),
                    };
                    let pr = simnode::customer_invoice(&s.dir, &req).await.unwrap().payment_request;
                    s.invoices.lock().unwrap().push(pr.clone());
                    serde_json::json!({ "pr": pr, "routes": [] }).to_string()
                },
            ),
        )
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Lnurl { base, mode, invoices })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lightning_address_refunds_check_the_lnurl_answers() -> Res<()> {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = paid_sale(&web, &cashier, "20").await?;
    // At most 20,000 sat (about 9 EUR at 45,000 EUR/BTC).
    let server = lnurl_server(web.simnode_dir()?, 20_000_000).await?;
    let address = format!("alice@{}", server.base.trim_start_matches("http://"));

    // The good path.
    let row = refund(&web, &sale, "5.00", &address, &[])?;
    assert_eq!(row["state"], "succeeded", "{row}");
    assert_eq!(row["destination"], address.as_str());
    let pr = server.invoices.lock().unwrap().last().cloned().ok_or("invoice")?;
    assert_eq!(status(&web, &pr).await?.amount_msat, FIVE_EUR_MSAT);

    let before = refund_rows(&web).await?;
    // Out of range: 10 EUR is more than 20,000 sat.
    let err = refund(&web, &sale, "10.00", &address, &[]).unwrap_err().to_string();
    assert!(err.contains("accepts 1 to 20000 sat"), "{err}");
    // A description hash that is not the metadata's.
    *server.mode.lock().unwrap() = Mode::WrongHash;
    let err = refund(&web, &sale, "1.00", &address, &[]).unwrap_err().to_string();
    assert!(err.contains("description hash does not match"), "{err}");
    let bad = server.invoices.lock().unwrap().last().cloned().ok_or("invoice")?;
    assert!(!status(&web, &bad).await?.paid);
    // HTTP 500.
    *server.mode.lock().unwrap() = Mode::Fail500;
    let err = refund(&web, &sale, "1.00", &address, &[]).unwrap_err().to_string();
    assert!(err.contains("HTTP 500"), "{err}");
    assert_eq!(refund_rows(&web).await?, before, "a refused refund wrote something");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_left_sending_is_resolved_by_its_hash_and_never_paid_twice() -> Res<()> {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = paid_sale(&web, &cashier, "12,20").await?;
    let sent = customer_invoice(&web, None).await?;
    let row = refund(&web, &sale, "5.00", &sent, &[])?;
    assert_eq!(row["state"], "succeeded");
    let fee = row["fee_msat"].clone();
    let hash = row["payment_hash"].as_str().ok_or("hash")?.to_string();

    // A crash after SendPaymentV2 but before the result was recorded: the row is `sending`.
    // And one before SendPaymentV2: a `sending` row the node never saw.
    let never = customer_invoice(&web, Some(1_000_000)).await?;
    let never_hash = simnode::customer_invoice_status(&web.simnode_dir()?, &never)
        .await?
        .payment_hash_hex;
    let store = Store::open_in(&web.home.data_dir).await?;
    sqlx::query("UPDATE refunds SET state = 'sending', fee_msat = 0, finished_at = NULL WHERE payment_hash = $1")
        .bind(&hash)
        .execute(store.pool())
        .await?;
    sqlx::query(
        "INSERT INTO refunds (invoice_id, payment_hash, payment_request, destination, amount_cents, amount_msat, \
         eur_per_btc, rate_source, rate_at, state, created_by, created_at) \
         VALUES ($1, $2, $3, $3, 45, 1000000, '45000', 'fallback', 0, 'sending', 'cli', 0)",
    )
    .bind(&sale)
    .bind(&never_hash)
    .bind(&never)
    .execute(store.pool())
    .await?;
    store.close().await;

    // The next refund first resolves both by TrackPaymentV2: nothing is sent again.
    let third = customer_invoice(&web, None).await?;
    let row = refund(&web, &sale, "1.00", &third, &[])?;
    assert_eq!(row["state"], "succeeded");
    let store = Store::open_in(&web.home.data_dir).await?;
    let rows = store.refunds_of(&sale).await?;
    store.close().await;
    let resolved = rows.iter().find(|r| r.payment_hash == hash).ok_or("row")?;
    assert_eq!(resolved.state, "succeeded");
    assert_eq!(Value::from(resolved.fee_msat), fee);
    let dropped = rows.iter().find(|r| r.payment_hash == never_hash).ok_or("row")?;
    assert_eq!(dropped.state, "failed");
    assert!(dropped.failure.as_deref().unwrap_or("").contains("never sent"));
    // The customer got the first refund once, and never the one that was not sent.
    assert_eq!(status(&web, &sent).await?.amount_msat, FIVE_EUR_MSAT);
    assert!(!status(&web, &never).await?.paid);
    // Paying the first invoice again is refused.
    let err = refund(&web, &sale, "1.00", &sent, &[]).unwrap_err().to_string();
    assert!(err.contains("already used"), "{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_refunds_for_admins_only_with_refusal_codes() -> Res<()> {
    let web = Web::start(true).await?;
    let admin = web.sign_in(common::web::ADMIN, common::web::ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = paid_sale(&web, &cashier, "12,20").await?;
    let bolt11 = customer_invoice(&web, None).await?;
    let form = [
        ("sale_id", sale.as_str()),
        ("amount_eur", "5.00"),
        ("to", bolt11.as_str()),
    ];

    // Signed out and cashier: refused, nothing written or sent.
    let (status, _, _) = web.call("admin_refund_sale", None, &form).await?;
    assert_eq!(status, 401);
    let (status, _, _) = web.call("admin_refund_sale", Some(&cashier), &form).await?;
    assert_eq!(status, 403);
    // Over the cap: a catalogue code with the amount left.
    let over = [
        ("sale_id", sale.as_str()),
        ("amount_eur", "20"),
        ("to", bolt11.as_str()),
    ];
    let (status, body, _) = web.call("admin_refund_sale", Some(&admin), &over).await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["Invalid"]["code"], "error.refund.over_cap", "{body}");
    assert!(body.to_string().contains("12.20"), "{body}");
    let (status, body, _) = web
        .call(
            "admin_refund_sale",
            Some(&admin),
            &[("sale_id", "LN-NOPE"), ("amount_eur", "1"), ("to", bolt11.as_str())],
        )
        .await?;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["NotFound"]["code"], "error.refund.unknown_sale", "{body}");
    assert!(refund_rows(&web).await?.is_empty());
    assert!(!status_of_customer(&web, &bolt11).await?);

    // The admin's refund is paid.
    let done = web.ok(&admin, "admin_refund_sale", &form).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["amount_eur"], "5.00");
    assert_eq!(done["amount_sat"], FIVE_EUR_MSAT / 1000);
    assert!(status_of_customer(&web, &bolt11).await?);
    Ok(())
}

async fn status_of_customer(web: &Web, bolt11: &str) -> Res<bool> {
    Ok(status(web, bolt11).await?.paid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_gateway_resolves_refunds_left_sending() -> Res<()> {
    use openfatture::gateway::{self, ServeArgs};
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = paid_sale(&web, &cashier, "12,20").await?;
    let sent = customer_invoice(&web, None).await?;
    let row = refund(&web, &sale, "5.00", &sent, &[])?;
    assert_eq!(row["state"], "succeeded");
    let hash = row["payment_hash"].as_str().ok_or("hash")?.to_string();
    let fee = row["fee_msat"].clone();
    let simnode_dir = web.simnode_dir()?;

    // The gateway stops with the refund sent but its result not recorded (a crash).
    let store = Store::open_in(&web.home.data_dir).await?;
    sqlx::query("UPDATE refunds SET state = 'sending', fee_msat = 0, finished_at = NULL WHERE payment_hash = $1")
        .bind(&hash)
        .execute(store.pool())
        .await?;
    store.close().await;
    web.gateway.shutdown().await?;

    // On start, it asks the node by payment hash (TrackPaymentV2) and records the result.
    let settings = common::web::settings_with(
        &web.home,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
    )?;
    let args = ServeArgs {
        listen: common::web::any_port(),
        simnode_data_dir: None,
        first_admin: None,
    };
    let again = gateway::start(&settings, &web.home, args, web._dir.path().join("site")).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let resolved = loop {
        let store = Store::open_in(&web.home.data_dir).await?;
        let rows = store.refunds_of(&sale).await?;
        store.close().await;
        let row = rows.into_iter().find(|r| r.payment_hash == hash).ok_or("row")?;
        if row.state != "sending" {
            break row;
        }
        if tokio::time::Instant::now() > deadline {
            return Err("the refund stayed sending after the restart".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(resolved.state, "succeeded");
    assert_eq!(Value::from(resolved.fee_msat), fee);
    // Paid once: the customer has exactly the refund.
    let status = simnode::customer_invoice_status(&simnode_dir, &sent).await?;
    assert_eq!(status.amount_msat, FIVE_EUR_MSAT);
    again.shutdown().await?;
    Ok(())
}
