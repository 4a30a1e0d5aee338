//! The admin pages' server functions over real HTTP on 127.0.0.1, against a gateway on the
//! embedded simnode: roles (401 / 403 for every function), invoices from an EUR invoice number
//! paid by the simulated customer, payments and their CSV, liquidity, settings written to
//! config.toml (refusals leave it byte-identical, secrets never come back), and webhook
//! endpoints against a local receiver.

use crate::common;
use common::web::{error_text, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use openfatture::store::Store;
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::Sha256;

use common::TestResult;

/// Every admin server function with arguments it accepts.
const ADMIN_CALLS: &[(&str, &[(&str, &str)])] = &[
    ("admin_fatture", &[("search", "")]),
    ("admin_fattura_due", &[("id", "1")]),
    ("admin_ln_invoices", &[("state", ""), ("search", "")]),
    (
        "admin_create_invoice",
        &[
            ("numero", "F-1"),
            ("anno", ""),
            ("amount_eur", ""),
            ("expiry_hours", ""),
        ],
    ),
    ("admin_ln_invoice", &[("invoice_id", "F-1-LN")]),
    ("admin_cancel_ln_invoice", &[("invoice_id", "F-1-LN")]),
    (
        "admin_add_fattura",
        &[
            ("numero", "H-9"),
            ("data", ""),
            ("client", "Rossi"),
            ("client_tax_id", ""),
            ("amount_eur", "10"),
            ("description", ""),
            ("lang", "en"),
        ],
    ),
    ("admin_new_payment_link", &[("invoice_id", "F-1-LN")]),
    (
        "admin_email_payment_link",
        &[("invoice_id", "F-1-LN"), ("address", "cliente@example.it")],
    ),
    ("admin_payments", &[("limit", "5")]),
    ("admin_payments_csv", &[]),
    ("liquidity_status", &[]),
    ("admin_webhooks", &[]),
    (
        "admin_webhook_add",
        &[
            ("name", "erp"),
            ("url", "http://127.0.0.1:9/hook"),
            ("secret", "s"),
            ("events", "*"),
        ],
    ),
    ("admin_webhook_remove", &[("name", "erp")]),
    ("admin_webhook_deliveries", &[("failed", "false")]),
    ("admin_webhook_redeliver", &[("event_id", "evt_0")]),
    ("admin_webhook_test", &[("endpoint", "erp")]),
    ("admin_settings", &[]),
    (
        "admin_setting_set",
        &[("key", "lightning_pos_expiry_minutes"), ("value", "30")],
    ),
    ("admin_setting_unset", &[("key", "lightning_pos_expiry_minutes")]),
    ("admin_settings_status", &[]),
];

/// Polls `check` every 100 ms for up to 15 s.
async fn eventually<F, Fut>(what: &str, mut check: F) -> TestResult
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, Box<dyn std::error::Error>>>,
{
    for _ in 0..150 {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("timed out waiting for {what}").into())
}

#[tokio::test]
async fn every_admin_function_refuses_visitors_with_401_and_cashiers_with_403_and_changes_nothing() -> TestResult {
    let web = Web::start(true).await?;
    web.add_fattura("F-1", "Rossi SRL", "Consulenza", Decimal::new(10_000, 2))
        .await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let before = web.db_dump().await?;
    for (endpoint, form) in ADMIN_CALLS {
        let (status, body, _) = web.call(endpoint, None, form).await?;
        assert_eq!(status, 401, "{endpoint} signed out: {body}");
        assert!(error_text(&body).contains("not signed in"), "{endpoint}: {body}");
        let (status, body, _) = web.call(endpoint, Some(&cashier), form).await?;
        assert_eq!(status, 403, "{endpoint} as cashier: {body}");
        assert!(error_text(&body).contains("needs the admin role"), "{endpoint}: {body}");
    }
    assert_eq!(web.db_dump().await?, before, "a refused call changed the database");
    assert!(!web.home.config_file.exists(), "a refused call wrote config.toml");

    // The same calls pass the role check for the admin (the cheap, read-only ones all succeed).
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    for endpoint in [
        "admin_fatture",
        "admin_ln_invoices",
        "admin_payments",
        "admin_payments_csv",
        "admin_webhooks",
        "admin_settings",
    ] {
        let form = ADMIN_CALLS
            .iter()
            .find(|(e, _)| *e == endpoint)
            .map(|(_, f)| *f)
            .unwrap_or(&[]);
        web.ok(&admin, endpoint, form).await?;
    }
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn an_invoice_made_from_a_numero_is_paid_and_shows_in_payments_and_the_csv() -> TestResult {
    let web = Web::start(true).await?;
    web.add_fattura("2025/017", "Bianchi & Figli", "Consulenza", Decimal::new(10_000, 2))
        .await?;
    web.add_fattura("2025/018", "Verdi SpA", "Consulenza", Decimal::new(5_000, 2))
        .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;

    // Search by client finds only that invoice, unpaid, with 100 EUR still due.
    let found = web.ok(&admin, "admin_fatture", &[("search", "bianchi")]).await?;
    let rows = found["rows"].as_array().ok_or("array")?;
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["numero"], "2025/017");
    assert_eq!(rows[0]["status"], "unpaid");
    assert_eq!(rows[0]["outstanding_eur"], "100.00");

    // More than what is due is refused with the service's words; nothing is created.
    let refusal = web
        .refused(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "2025/017"),
                ("anno", ""),
                ("amount_eur", "150"),
                ("expiry_hours", ""),
            ],
            400,
        )
        .await?;
    assert!(refusal.contains("more than the 100.00 € still due"), "{refusal}");
    let refusal = web
        .refused(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "2025/017"),
                ("anno", ""),
                ("amount_eur", ""),
                ("expiry_hours", "9999"),
            ],
            400,
        )
        .await?;
    assert!(refusal.contains("outside the allowed"), "{refusal}");
    assert_eq!(
        web.ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", "")])
            .await?["rows"],
        Value::Array(vec![])
    );

    // Default amount: what is still due; 100 EUR at 45,000 EUR/BTC = 222,222.2 sats, rounded up.
    let created = web
        .ok(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "2025/017"),
                ("anno", "2025"),
                ("amount_eur", ""),
                ("expiry_hours", "2"),
            ],
        )
        .await?;
    let id = created["invoice"]["id"].as_str().ok_or("id")?.to_string();
    assert_eq!(id, "2025/017-LN");
    assert_eq!(created["invoice"]["state"], "OPEN");
    assert_eq!(created["invoice"]["amount_eur"], "100.00");
    assert_eq!(created["invoice"]["amount_sat"], 222_223);
    assert_eq!(created["invoice"]["numero"], "2025/017");
    let bolt11 = created["payment_request"].as_str().ok_or("bolt11")?.to_string();
    assert!(bolt11.starts_with("lnbcrt"), "{bolt11}");

    // A second EUR invoice's Lightning invoice is cancelled (and cannot be cancelled twice).
    let other = web
        .ok(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "2025/018"),
                ("anno", ""),
                ("amount_eur", "20,50"),
                ("expiry_hours", ""),
            ],
        )
        .await?;
    assert_eq!(other["invoice"]["amount_eur"], "20.50");
    let other_id = other["invoice"]["id"].as_str().ok_or("id")?.to_string();
    let cancelled = web
        .ok(&admin, "admin_cancel_ln_invoice", &[("invoice_id", &other_id)])
        .await?;
    assert_eq!(cancelled["invoice"]["state"], "CANCELED");
    let (status, body, _) = web
        .call("admin_cancel_ln_invoice", Some(&admin), &[("invoice_id", &other_id)])
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(error_text(&body).contains("already CANCELED"), "{body}");

    // The customer pays; the status refreshed from the node turns SETTLED, the EUR invoice paid.
    simnode::pay(&web.simnode_dir()?, &bolt11, simnode::PayOptions::default()).await?;
    eventually("the invoice to be settled", || async {
        let detail = web.ok(&admin, "admin_ln_invoice", &[("invoice_id", &id)]).await?;
        Ok(detail["invoice"]["state"] == "SETTLED")
    })
    .await?;
    let detail = web.ok(&admin, "admin_ln_invoice", &[("invoice_id", &id)]).await?;
    assert_eq!(detail["amount_paid_sat"], 222_223);
    let fattura = web.ok(&admin, "admin_fatture", &[("search", "2025/017")]).await?;
    assert_eq!(fattura["rows"][0]["status"], "paid", "{fattura}");
    assert_eq!(fattura["rows"][0]["paid_eur"], "100.00");

    // Filters: by state and by numero/client.
    let settled = web
        .ok(&admin, "admin_ln_invoices", &[("state", "SETTLED"), ("search", "")])
        .await?;
    assert_eq!(settled["rows"].as_array().map(Vec::len), Some(1), "{settled}");
    assert_eq!(settled["rows"][0]["id"], id.as_str());
    assert_eq!(settled["total"], 1, "the kept count of SETTLED invoices: {settled}");
    let by_client = web
        .ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", "VERDI")])
        .await?;
    assert_eq!(by_client["rows"].as_array().map(Vec::len), Some(1), "{by_client}");
    assert_eq!(by_client["rows"][0]["id"], other_id.as_str());
    let (status, body, _) = web
        .call("admin_ln_invoices", Some(&admin), &[("state", "PAID"), ("search", "")])
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(error_text(&body).contains("unknown state 'PAID'"), "{body}");

    // Payments: EUR, sats, rate, time and the original invoice; the CSV has the same row.
    let payments = web.ok(&admin, "admin_payments", &[("limit", "5")]).await?;
    assert_eq!(payments["total"], 1, "{payments}");
    let payments = &payments["rows"];
    assert_eq!(payments.as_array().map(Vec::len), Some(1), "{payments}");
    assert_eq!(payments[0]["ln_invoice_id"], id.as_str());
    assert_eq!(payments[0]["original_invoice"], "2025/017");
    assert_eq!(payments[0]["amount_eur"], "100.00");
    assert_eq!(payments[0]["amount_sat"], 222_223);
    assert_eq!(payments[0]["rate_eur_per_btc"], "45000");
    assert!(payments[0]["settled_at"].as_str().ok_or("time")?.ends_with('Z'));
    let csv = web.ok(&admin, "admin_payments_csv", &[]).await?;
    let csv = csv.as_str().ok_or("csv text")?;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("settled_at,payment_hash,ln_invoice_id,original_invoice,client"),
        "{csv}"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains(",2025/017-LN,2025/017,Bianchi & Figli,,222223,100.00,45000,"),
        "{csv}"
    );

    // Liquidity of the simnode's channels.
    let liquidity = web.ok(&admin, "liquidity_status", &[]).await?;
    assert!(
        !liquidity["channels"].as_array().ok_or("channels")?.is_empty(),
        "{liquidity}"
    );
    assert!(
        liquidity["receivable_now_sat"].as_u64().ok_or("receivable")? > 0,
        "{liquidity}"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

/// Every key the gateway knows has a group and a plain label on the Settings page (in English
/// and Italian).
#[test]
fn every_setting_has_a_plain_label_in_its_group() {
    use app::pages::setting_labels::{label_of, Group};
    for key in openfatture::config::KEYS {
        let label = label_of(key.name);
        assert!(label.is_some(), "{} has no label on the Settings page", key.name);
        assert!(label.is_some_and(|l| l.group != Group::Other), "{}", key.name);
    }
}

#[tokio::test]
async fn settings_are_written_like_config_set_refusals_leave_the_file_alone_and_secrets_never_come_back() -> TestResult
{
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let mut bodies = Vec::new();

    let list = web.ok(&admin, "admin_settings", &[]).await?;
    let keys: Vec<&str> = list
        .as_array()
        .ok_or("array")?
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert_eq!(keys.len(), openfatture::config::KEYS.len());
    let pos = list
        .as_array()
        .ok_or("array")?
        .iter()
        .find(|s| s["key"] == "lightning_pos_expiry_minutes")
        .ok_or("key")?;
    assert_eq!(pos["value"], "15");
    assert_eq!(pos["source"], "default");
    bodies.push(list.to_string());

    // A public key: saved to config.toml, shown with source "file".
    let saved = web
        .ok(
            &admin,
            "admin_setting_set",
            &[("key", "lightning_pos_expiry_minutes"), ("value", "30")],
        )
        .await?;
    assert_eq!(saved["value"], "30");
    assert_eq!(saved["source"], "file");
    let file = std::fs::read(&web.home.config_file)?;
    assert!(
        String::from_utf8_lossy(&file).contains("lightning_pos_expiry_minutes = 30"),
        "{}",
        String::from_utf8_lossy(&file)
    );

    // Refusals: a bad value, an unknown key, an out-of-order bound; the file stays byte-identical.
    // Each comes as data (the key and what was wrong), which the page words in the user's language.
    for (key, value, problem, detail) in [
        (
            "lightning_pos_expiry_minutes",
            "abc",
            "invalid",
            serde_json::json!({"type": "whole", "min": 1, "max": u64::MAX}),
        ),
        ("lightning_no_such_key", "1", "unknown_key", Value::Null),
        (
            "lightning_min_expiry_hours",
            "500",
            "out_of_order",
            serde_json::json!("lightning_default_expiry_hours"),
        ),
        (
            "lightning_webhook_url",
            "ftp://x",
            "invalid",
            serde_json::json!({"type": "url"}),
        ),
        (
            "shop_vat_number",
            "01234567890",
            "invalid",
            serde_json::json!({"type": "vat_number"}),
        ),
        (
            "shop_timezone",
            "Europe/Milano",
            "invalid",
            serde_json::json!({"type": "time_zone"}),
        ),
    ] {
        let (status, body, _) = web
            .call("admin_setting_set", Some(&admin), &[("key", key), ("value", value)])
            .await?;
        assert_eq!(status, 400, "{key}={value}: {body}");
        let refusal = &body["Setting"];
        assert_eq!(refusal["key"], key, "{body}");
        assert_eq!(refusal["problem"]["problem"], problem, "{key}={value}: {body}");
        match problem {
            "invalid" => assert_eq!(refusal["problem"]["kind"], detail, "{body}"),
            "out_of_order" => assert_eq!(refusal["problem"]["upper_key"], detail, "{body}"),
            _ => {}
        }
        assert_eq!(
            std::fs::read(&web.home.config_file)?,
            file,
            "a refused {key} changed config.toml"
        );
    }
    // A valid partita IVA is stored as its 11 digits; the time zone by its IANA name.
    let saved = web
        .ok(
            &admin,
            "admin_setting_set",
            &[("key", "shop_vat_number"), ("value", "IT 06363391001")],
        )
        .await?;
    assert_eq!(saved["value"], "06363391001");
    assert_eq!(saved["kind"]["type"], "vat_number");
    web.ok(&admin, "admin_setting_unset", &[("key", "shop_vat_number")])
        .await?;
    assert!(!std::fs::read_to_string(&web.home.config_file)?.contains("shop_vat_number"));

    // A secret: written, listed only as set, never returned by any function.
    let secret = "whsec-do-not-leak-8c1f0e";
    let (status, body, _) = web
        .call(
            "admin_setting_set",
            Some(&admin),
            &[("key", "lightning_webhook_secret"), ("value", secret)],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_set"], true);
    assert_eq!(body["value"], "");
    bodies.push(body.to_string());
    assert!(
        std::fs::read_to_string(&web.home.config_file)?.contains(secret),
        "the secret must be saved"
    );
    let list = web.ok(&admin, "admin_settings", &[]).await?;
    let entry = list
        .as_array()
        .ok_or("array")?
        .iter()
        .find(|s| s["key"] == "lightning_webhook_secret")
        .ok_or("key")?;
    assert_eq!(entry["is_set"], true);
    assert_eq!(entry["secret"], true);
    assert_eq!(entry["value"], "");
    bodies.push(list.to_string());
    for endpoint in ["admin_webhooks", "admin_webhook_deliveries"] {
        let form: &[(&str, &str)] = if endpoint == "admin_webhook_deliveries" {
            &[("failed", "false")]
        } else {
            &[]
        };
        bodies.push(web.ok(&admin, endpoint, form).await?.to_string());
    }
    // A refused secret does not echo it either.
    let (_, body, _) = web
        .call(
            "admin_setting_set",
            Some(&admin),
            &[("key", "lightning_webhook_secret"), ("value", " ")],
        )
        .await?;
    bodies.push(body.to_string());
    let (_, body, _) = web
        .call(
            "admin_setting_unset",
            Some(&admin),
            &[("key", "lightning_pos_expiry_minutes")],
        )
        .await?;
    assert_eq!(body["source"], "default", "{body}");
    bodies.push(body.to_string());
    for body in &bodies {
        assert!(!body.contains(secret), "a response carried the secret: {body}");
    }
    assert!(!std::fs::read_to_string(&web.home.config_file)?.contains("lightning_pos_expiry_minutes"));
    web.gateway.shutdown().await?;
    Ok(())
}

/// What the local webhook receiver saw: (event id, body, signature header) per request.
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// A webhook receiver on 127.0.0.1 answering 200 and recording every request.
async fn receiver() -> Result<(String, Seen), Box<dyn std::error::Error>> {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                if let Ok(mut seen) = record.lock() {
                    seen.push((header("x-lightning-event-id"), body, header("x-lightning-signature")));
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, seen))
}

fn seen_ids(seen: &Seen) -> Vec<String> {
    seen.lock()
        .map(|s| s.iter().map(|(id, _, _)| id.clone()).collect())
        .unwrap_or_default()
}

/// A gateway whose webhooks may go to loopback (the receivers here listen on 127.0.0.1): its
/// dispatcher from the start settings, the admin's test button from config.toml, written as
/// `openfatture config set` does (the web app cannot set this key).
async fn start_allowing_private_webhooks() -> Result<Web, Box<dyn std::error::Error>> {
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true"),
        ],
    )
    .await?;
    openfatture::config::set(
        &web.home,
        &openfatture::config::EnvVars::default(),
        "lightning_webhook_allow_private",
        "true",
    )?;
    Ok(web)
}

#[tokio::test]
async fn webhook_endpoints_are_added_tested_redelivered_and_removed_without_showing_secrets() -> TestResult {
    let web = start_allowing_private_webhooks().await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (url, seen) = receiver().await?;
    let secret = "erp-signing-secret-51d2";

    // Refusals name the problem.
    for (form, words) in [
        (
            [
                ("name", "erp"),
                ("url", "ftp://nope"),
                ("secret", secret),
                ("events", "*"),
            ],
            "not a valid http:// or https:// URL",
        ),
        (
            [
                ("name", "erp"),
                ("url", url.as_str()),
                ("secret", secret),
                ("events", "paid"),
            ],
            "unknown event 'paid'",
        ),
        (
            [("name", "erp"), ("url", url.as_str()), ("secret", ""), ("events", "*")],
            "secret must not be empty",
        ),
        (
            [
                ("name", "default"),
                ("url", url.as_str()),
                ("secret", secret),
                ("events", "*"),
            ],
            "lightning_webhook_url",
        ),
    ] {
        let (status, body, _) = web.call("admin_webhook_add", Some(&admin), &form).await?;
        assert_eq!(status, 400, "{body}");
        assert!(error_text(&body).contains(words), "{body}");
    }
    assert_eq!(web.ok(&admin, "admin_webhooks", &[]).await?, Value::Array(vec![]));

    let added = web
        .ok(
            &admin,
            "admin_webhook_add",
            &[("name", "erp"), ("url", &url), ("secret", secret), ("events", "*")],
        )
        .await?;
    assert_eq!(added[0]["name"], "erp");
    assert_eq!(added[0]["url"], url.as_str());
    assert_eq!(added[0]["enabled"], true);
    assert_eq!(added[0]["secret_set"], true);
    assert_eq!(
        added[0]["health"],
        serde_json::json!([{"code": "webhooks.health.none"}])
    );
    assert!(!added.to_string().contains(secret));

    // A signed test event reaches the receiver, verifiable with the secret.
    let tested = web.ok(&admin, "admin_webhook_test", &[("endpoint", "erp")]).await?;
    assert_eq!(tested["ok"], true, "{tested}");
    assert_eq!(tested["status"], 200);
    let (test_id, body, signature) = seen
        .lock()
        .map_err(|_| "lock")?
        .first()
        .cloned()
        .ok_or("no test request")?;
    assert!(test_id.starts_with("evt_test_"), "{test_id}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(body.as_bytes());
    assert_eq!(signature, hex::encode(mac.finalize().into_bytes()));

    // A real event (an invoice created) is delivered by the gateway's dispatcher…
    web.add_fattura("W-1", "Webhook SRL", "Consulenza", Decimal::new(1_000, 2))
        .await?;
    let created = web
        .ok(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "W-1"),
                ("anno", ""),
                ("amount_eur", ""),
                ("expiry_hours", ""),
            ],
        )
        .await?;
    assert_eq!(created["invoice"]["id"], "W-1-LN");
    let mut event_id = None;
    for _ in 0..150 {
        let deliveries = web
            .ok(&admin, "admin_webhook_deliveries", &[("failed", "false")])
            .await?;
        event_id = deliveries
            .as_array()
            .ok_or("array")?
            .iter()
            .find(|d| d["endpoint"] == "erp" && d["event_type"] == "invoice_created" && d["state"] == "DELIVERED")
            .and_then(|d| d["event_id"].as_str().map(str::to_owned));
        if event_id.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event_id = event_id.ok_or("the invoice_created event was not delivered to erp")?;
    assert!(seen_ids(&seen).contains(&event_id));
    assert_eq!(
        web.ok(&admin, "admin_webhook_deliveries", &[("failed", "true")])
            .await?,
        Value::Array(vec![])
    );
    let health = web.ok(&admin, "admin_webhooks", &[]).await?;
    assert_eq!(health[0]["health"], serde_json::json!([{"code": "webhooks.health.ok"}]));

    // …and redelivered on request with the same id.
    let queued = web
        .ok(&admin, "admin_webhook_redeliver", &[("event_id", &event_id)])
        .await?;
    assert_eq!(queued, 1);
    eventually("the redelivery", || async {
        Ok(seen_ids(&seen).iter().filter(|id| **id == event_id).count() == 2)
    })
    .await?;
    let (status, body, _) = web
        .call("admin_webhook_redeliver", Some(&admin), &[("event_id", "evt_nope")])
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(error_text(&body).contains("no event evt_nope"), "{body}");

    // Removing it; a second remove says there is no such endpoint.
    assert_eq!(
        web.ok(&admin, "admin_webhook_remove", &[("name", "erp")]).await?,
        Value::Array(vec![])
    );
    let (status, body, _) = web
        .call("admin_webhook_remove", Some(&admin), &[("name", "erp")])
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(error_text(&body).contains("no webhook endpoint erp"), "{body}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn invoice_search_finds_matches_older_than_the_newest_page() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    web.add_fattura("OLD-1", "Zanzibar Srl", "Consulenza", Decimal::new(10_000, 2))
        .await?;
    let created = web
        .ok(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "OLD-1"),
                ("anno", ""),
                ("amount_eur", ""),
                ("expiry_hours", ""),
            ],
        )
        .await?;
    assert_eq!(created["invoice"]["id"], "OLD-1-LN", "{created}");
    // 500 newer POS-like invoices: a full page of the list without the one searched for.
    let store = Store::open_in(&web.home.data_dir).await?;
    let later = chrono::Utc::now().timestamp() + 60;
    for i in 0..500_i64 {
        let mut new =
            common::new_standalone_invoice(format!("{i:064x}"), format!("{:064x}", i + 1_000), format!("sale {i}"));
        new.created_at = later + i;
        store.insert_pending_ln_invoice(&new).await?;
    }
    store.close().await;

    let all = web
        .ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", "")])
        .await?;
    assert_eq!(all["rows"].as_array().map(Vec::len), Some(50), "one page of the newest");
    assert_eq!(all["total"], 501, "{}", all["total"]);
    assert!(all["rows"]
        .as_array()
        .is_some_and(|rows| rows.iter().all(|r| r["id"] != "OLD-1-LN")));
    // Issue 37: the next page starts after the cursor, without repeats, newest to oldest; oldest
    // first starts with the invoice made before the 500; a cursor not handed out is refused.
    let ids = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let next = all["next"].as_str().ok_or("a next cursor")?.to_string();
    let second = web
        .ok(
            &admin,
            "admin_ln_invoices",
            &[("state", ""), ("search", ""), ("after", &next)],
        )
        .await?;
    let (first_ids, second_ids) = (ids(&all), ids(&second));
    assert_eq!(second_ids.len(), 50);
    assert!(second_ids.iter().all(|id| !first_ids.contains(id)), "{second}");
    let created = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["created_at"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut times = created(&all);
    times.extend(created(&second));
    let mut sorted = times.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(times, sorted, "newest first across the two pages");
    let oldest = web
        .ok(
            &admin,
            "admin_ln_invoices",
            &[("state", ""), ("search", ""), ("order", "oldest"), ("limit", "3")],
        )
        .await?;
    assert_eq!(ids(&oldest).first().map(String::as_str), Some("OLD-1-LN"), "{oldest}");
    let (status, body, _) = web
        .call(
            "admin_ln_invoices",
            Some(&admin),
            &[("state", ""), ("search", ""), ("after", "not-a-cursor")],
        )
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(error_text(&body).contains("page link is not valid"), "{body}");
    // A well-formed cursor whose key is not a fattura's row id ("x", hex 78) is refused as well.
    let (status, body, _) = web
        .call("admin_fatture", Some(&admin), &[("search", ""), ("after", "739000.78")])
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(error_text(&body).contains("page link is not valid"), "{body}");
    for needle in ["zanzibar", "OLD-1", "old-1-ln"] {
        let found = web
            .ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", needle)])
            .await?;
        let ids: Vec<&str> = found["rows"]
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["id"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(ids, ["OLD-1-LN"], "search {needle}: {found}");
    }
    // LIKE's wildcards are searched for literally.
    let none = web
        .ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", "%")])
        .await?;
    assert_eq!(none["rows"].as_array().map(Vec::len), Some(0), "{none}");
    Ok(())
}

/// Issue 30 item 10: keys that decide where secrets or data go are CLI-only. An admin web session
/// can neither set nor reset them (403 with the way to do it; config.toml unchanged), the settings
/// list marks them read-only, and `openfatture config set` still sets them.
#[tokio::test]
async fn keys_that_repoint_secrets_are_refused_from_the_web_and_set_by_the_cli() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    // Something in config.toml already, so "unchanged" compares real bytes.
    web.ok(
        &admin,
        "admin_setting_set",
        &[("key", "lightning_pos_expiry_minutes"), ("value", "20")],
    )
    .await?;
    let before = std::fs::read(&web.home.config_file)?;
    let cli_only = [
        ("lightning_coingecko_base_url", "https://attacker.example/api"),
        ("lightning_cmc_base_url", "https://attacker.example/cmc"),
        ("lightning_kraken_base_url", "https://attacker.example/kraken"),
        ("lightning_bitstamp_base_url", "https://attacker.example/bitstamp"),
        ("lightning_coinbase_base_url", "https://attacker.example/coinbase"),
        ("lightning_host", "attacker.example:10009"),
        ("lightning_cert_path", "/tmp/attacker.cert"),
        ("lightning_macaroon_path", "/tmp/attacker.macaroon"),
        ("gateway_tls_cert_path", "/tmp/attacker.crt"),
        ("gateway_tls_key_path", "/tmp/attacker.key"),
        ("database_url", "postgres://attacker.example/db"),
        ("lightning_webhook_allow_private", "true"),
        // Payment links would send clients to another site (issue 35).
        ("public_base_url", "https://attacker.example"),
        // The gateway would write the channel backup wherever a web session says (issue 38).
        ("lightning_backup_dir", "/tmp/attacker-backups"),
        // The gateway would trust whatever CA a web session names for its email (issue 35).
        ("smtp_ca_file", "/tmp/attacker-ca.pem"),
    ];
    for (key, value) in cli_only {
        for (function, form) in [
            ("admin_setting_set", vec![("key", key), ("value", value)]),
            ("admin_setting_unset", vec![("key", key)]),
        ] {
            let (status, body, _) = web.call(function, Some(&admin), &form).await?;
            assert_eq!(status, 403, "{function} {key}: {body}");
            assert_eq!(
                body["Setting"]["problem"]["problem"], "cli_only",
                "{function} {key}: {body}"
            );
            assert_eq!(body["Setting"]["key"], key, "{function} {key}: {body}");
        }
        // Also in another spelling of the key.
        let (status, _, _) = web
            .call(
                "admin_setting_set",
                Some(&admin),
                &[("key", &key.to_ascii_uppercase()), ("value", value)],
            )
            .await?;
        assert_eq!(status, 403, "{key} upper case");
        assert_eq!(
            std::fs::read(&web.home.config_file)?,
            before,
            "a refused {key} changed config.toml"
        );
    }
    let list = web.ok(&admin, "admin_settings", &[]).await?;
    for row in list.as_array().ok_or("array")? {
        let key = row["key"].as_str().ok_or("key")?;
        let expected = cli_only.iter().any(|(k, _)| *k == key);
        assert_eq!(row["cli_only"], expected, "{row}");
    }

    // The command line on the gateway's machine still sets them.
    let home = web.home.data_dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        common::openfatture(&home)
            .args([
                "config",
                "set",
                "lightning_coingecko_base_url",
                "https://api.coingecko.example/api/v3",
            ])
            .output()
    })
    .await??;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&web.home.config_file)?
        .contains("lightning_coingecko_base_url = \"https://api.coingecko.example/api/v3\""));
    web.gateway.shutdown().await?;
    Ok(())
}

/// Issue 30 item 9: the admin's test button refuses loopback by default (nothing is sent) and,
/// where it sends, reports only the HTTP status or "unreachable", never the network error.
#[tokio::test]
async fn the_webhook_test_button_refuses_loopback_by_default_and_shows_no_network_detail() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (url, seen) = receiver().await?;
    web.ok(
        &admin,
        "admin_webhook_add",
        &[("name", "erp"), ("url", &url), ("secret", "s3cret"), ("events", "*")],
    )
    .await?;
    let tested = web.ok(&admin, "admin_webhook_test", &[("endpoint", "erp")]).await?;
    assert_eq!(tested["ok"], false, "{tested}");
    // Refused before any connection: worded by the page; which rule refused it is in the log.
    assert_eq!(tested["error"]["code"], "webhooks.error.refused", "{tested}");
    assert!(seen_ids(&seen).is_empty(), "nothing was sent");

    // Allowed on the gateway's machine: a closed port is only "unreachable".
    openfatture::config::set(
        &web.home,
        &openfatture::config::EnvVars::default(),
        "lightning_webhook_allow_private",
        "true",
    )?;
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let closed = format!("http://{}/hook", probe.local_addr()?);
    drop(probe);
    web.ok(
        &admin,
        "admin_webhook_add",
        &[
            ("name", "closed"),
            ("url", &closed),
            ("secret", "s3cret"),
            ("events", "*"),
        ],
    )
    .await?;
    let tested = web.ok(&admin, "admin_webhook_test", &[("endpoint", "closed")]).await?;
    assert_eq!(tested["ok"], false, "{tested}");
    assert_eq!(tested["error"]["code"], "webhooks.error.unreachable", "{tested}");
    assert_eq!(tested["status"], Value::Null, "{tested}");
    let tested = web.ok(&admin, "admin_webhook_test", &[("endpoint", "erp")]).await?;
    assert_eq!(tested["ok"], true, "{tested}");
    assert_eq!(seen_ids(&seen).len(), 1);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_invoice_form_takes_a_comma_or_a_dot_and_refuses_grouped_amounts_creating_nothing() -> TestResult {
    let web = Web::start(true).await?;
    web.add_fattura("2025/031", "Neri SRL", "Consulenza", Decimal::new(10_000, 2))
        .await?;
    web.add_fattura("2025/032", "Blu SNC", "Consulenza", Decimal::new(500_000, 2))
        .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let form = |numero: &'static str, amount: &'static str| {
        [
            ("numero", numero),
            ("anno", ""),
            ("amount_eur", amount),
            ("expiry_hours", ""),
        ]
    };
    // A grouped amount is refused in words a person can act on, and nothing is made.
    let refusal = web
        .refused(&admin, "admin_create_invoice", &form("2025/032", "1.234,56"), 400)
        .await?;
    assert!(refusal.contains("thousands"), "{refusal}");
    assert_eq!(
        web.ok(&admin, "admin_ln_invoices", &[("state", ""), ("search", "")])
            .await?["rows"],
        Value::Array(vec![])
    );
    let comma = web
        .ok(&admin, "admin_create_invoice", &form("2025/031", "12,50"))
        .await?;
    assert_eq!(comma["invoice"]["amount_eur"], "12.50", "{comma}");
    let dot = web
        .ok(&admin, "admin_create_invoice", &form("2025/032", "1234.5"))
        .await?;
    assert_eq!(dot["invoice"]["amount_eur"], "1234.50", "{dot}");
    web.gateway.shutdown().await?;
    Ok(())
}
