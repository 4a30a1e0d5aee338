//! What a cashier may reach (issue 30, items 7 and 8), over real HTTP on 127.0.0.1 against a
//! gateway on the embedded simnode: a cashier watches and cancels only POS sales (any other
//! invoice answers 404 and stays as it was), and the live event stream gives a cashier only POS
//! sales' events, cut to what the POS screen reads, replayed only within the POS expiry window;
//! an admin keeps everything. And what a cashier may type (item 14): amounts only as plain
//! decimal EUR, at most `pos_max_amount_eur` (admins are not capped by it), notes without control
//! or text-direction characters; every refusal is a short code the till shows in its language
//! (the reason goes to the log) and creates nothing.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod closing;
#[path = "../common/mod.rs"]
mod common;
mod counter;
mod day_plans;
mod receipts;
mod refunds;
use common::log::CapturedLog;
use common::web::{error_text, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use std::time::Duration;

use app::model::InvoiceState;
use openfatture::store::Store;
use rust_decimal::Decimal;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Client of the admin's EUR invoices: must never reach a cashier.
const CLIENT: &str = "Rossi Costruzioni SRL";
/// Note of the POS sales: must never reach a cashier's event stream.
const NOTE: &str = "Caffè del banco";

/// An admin's Lightning invoice for EUR invoice `numero` (its id, `NUMERO-LN`).
async fn admin_invoice(web: &Web, admin: &str, numero: &str) -> Result<String, Box<dyn std::error::Error>> {
    let created = web
        .ok(
            admin,
            "admin_create_invoice",
            &[
                ("numero", numero),
                ("anno", ""),
                ("amount_eur", ""),
                ("expiry_hours", ""),
            ],
        )
        .await?;
    assert_eq!(created["invoice"]["state"], "OPEN", "{created}");
    Ok(created["invoice"]["id"].as_str().ok_or("id")?.to_string())
}

/// A POS sale rung up by `cashier`: its invoice id and BOLT11.
async fn pos_sale(web: &Web, cashier: &str, amount_eur: &str) -> Result<(String, String), Box<dyn std::error::Error>> {
    let sale = web
        .ok(cashier, "pos_charge", &[("amount_eur", amount_eur), ("note", NOTE)])
        .await?;
    Ok((
        sale["invoice_id"].as_str().ok_or("invoice_id")?.to_string(),
        sale["payment_request"].as_str().ok_or("payment_request")?.to_string(),
    ))
}

/// Opens `/api/events` as `cookie`, with `Last-Event-ID` when given.
async fn open_stream(
    web: &Web,
    cookie: &str,
    last_event_id: Option<&str>,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let mut request = web.http.get(web.url("/api/events")).header("cookie", cookie);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await?;
    assert_eq!(response.status().as_u16(), 200);
    Ok(response)
}

/// Reads `stream` until its text contains `until` or `wait` passes; answers the text read.
async fn read_until(stream: &mut reqwest::Response, until: &str, wait: Duration) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(wait, async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains(until) {
                break;
            }
        }
    })
    .await;
    text
}

/// The `(event, data)` of every message in an SSE text.
fn messages(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter_map(|message| {
            let field = |name: &str| {
                message
                    .lines()
                    .find_map(|line| line.strip_prefix(name).map(|v| v.trim_start().to_string()))
            };
            Some((field("event:")?, field("data:")?))
        })
        .collect()
}

/// Asserts that a cashier's stream text shows nothing of the admin's invoices or of any memo.
fn assert_nothing_private(text: &str, admin_ids: &[&str]) {
    for secret in [
        CLIENT,
        "Consulenza",
        NOTE,
        "Caff",
        "description",
        "metadata",
        "payment_hash",
        "client",
    ]
    .iter()
    .chain(admin_ids)
    {
        assert!(!text.contains(secret), "a cashier's stream shows '{secret}':\n{text}");
    }
}

#[tokio::test]
async fn a_cashier_watches_and_cancels_only_pos_sales() -> TestResult {
    let web = Web::start(true).await?;
    web.add_fattura("2025/017", CLIENT, "Consulenza riservata", Decimal::from(100))
        .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let fattura_invoice = admin_invoice(&web, &admin, "2025/017").await?;
    assert_eq!(fattura_invoice, "2025/017-LN");

    // The admin's invoice for a client's fattura: not found for a cashier, and left as it was
    // (once its OPEN state, written soon after the create, is in the database).
    let mut before = web.db_dump().await?;
    let is_open = |rows: &[String]| {
        rows.iter().any(|row| {
            row.starts_with("ln_invoices: ") && row.contains(fattura_invoice.as_str()) && row.contains("|OPEN|")
        })
    };
    for _ in 0..100 {
        if is_open(&before) && before.iter().any(|row| row.starts_with("events:")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        before = web.db_dump().await?;
    }
    let mut refusals = Vec::new();
    for endpoint in ["invoice_state", "cancel_invoice"] {
        for id in [fattura_invoice.as_str(), " 2025/017-LN ", "LN-999999"] {
            let (status, body, _) = web.call(endpoint, Some(&cashier), &[("invoice_id", id)]).await?;
            assert_eq!(status, 404, "{endpoint} {id:?} as a cashier: {body}");
            assert!(body.get("NotFound").is_some(), "{endpoint} {id:?}: {body}");
            assert!(!error_text(&body).contains(CLIENT), "{body}");
            refusals.push(error_text(&body).replace(id.trim(), "ID"));
        }
    }
    refusals.dedup();
    assert_eq!(
        refusals.len(),
        1,
        "an admin's invoice must read like no invoice: {refusals:?}"
    );
    assert_eq!(
        web.db_dump().await?,
        before,
        "a cashier's refused calls changed the database"
    );
    let state = web
        .ok(&admin, "invoice_state", &[("invoice_id", &fattura_invoice)])
        .await?;
    assert_eq!(
        state["state"], "OPEN",
        "the cashier cancelled the admin's invoice: {state}"
    );

    // The cashier's own POS sale: watched and cancelled.
    let (sale, _) = pos_sale(&web, &cashier, "4,20").await?;
    let state = web.ok(&cashier, "invoice_state", &[("invoice_id", &sale)]).await?;
    assert_eq!(state["state"], "OPEN", "{state}");
    let state = web.ok(&cashier, "cancel_invoice", &[("invoice_id", &sale)]).await?;
    assert_eq!(state["state"], "CANCELED", "{state}");

    // Admins keep full access: POS sales and fattura invoices alike.
    let state = web.ok(&admin, "invoice_state", &[("invoice_id", &sale)]).await?;
    assert_eq!(state["state"], "CANCELED", "{state}");
    let state = web
        .ok(&admin, "cancel_invoice", &[("invoice_id", &fattura_invoice)])
        .await?;
    assert_eq!(state["state"], "CANCELED", "{state}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_cashiers_event_stream_carries_only_pos_sales_and_only_what_the_pos_reads() -> TestResult {
    let web = Web::start(true).await?;
    web.add_fattura("2025/017", CLIENT, "Consulenza riservata", Decimal::from(100))
        .await?;
    web.add_fattura("2025/018", CLIENT, "Consulenza riservata", Decimal::from(80))
        .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;

    // Live: a cashier's stream open while an admin invoices a client and a sale is rung up.
    let mut live = open_stream(&web, &cashier, None).await?;
    let fattura_invoice = admin_invoice(&web, &admin, "2025/017").await?;
    let (sale, bolt11) = pos_sale(&web, &cashier, "12,50").await?;
    simnode::pay(&web.simnode_dir()?, &bolt11, simnode::PayOptions::default()).await?;
    let live_text = read_until(&mut live, "event: payment_received", Duration::from_secs(15)).await;
    let live_messages = messages(&live_text);
    assert_eq!(
        live_messages
            .iter()
            .map(|(event, _)| event.as_str())
            .collect::<Vec<_>>(),
        ["invoice_created", "payment_received"],
        "{live_text}"
    );
    assert_nothing_private(&live_text, &["2025/017"]);

    // Replay from the start: only the sale's events, each only the name, the invoice and its sats.
    let second_fattura_invoice = admin_invoice(&web, &admin, "2025/018").await?;
    let mut replay = open_stream(&web, &cashier, Some("0")).await?;
    let replay_text = read_until(&mut replay, "event: payment_received", Duration::from_secs(5)).await;
    // Anything else would have come with the backlog, before the live part.
    let replay_text = replay_text + &read_until(&mut replay, "never", Duration::from_millis(500)).await;
    let replayed = messages(&replay_text);
    assert_eq!(
        replayed.iter().map(|(event, _)| event.as_str()).collect::<Vec<_>>(),
        ["invoice_created", "payment_received"],
        "{replay_text}"
    );
    assert_nothing_private(&replay_text, &["2025/017", "2025/018"]);
    for (event, data) in &replayed {
        let body: Value = serde_json::from_str(data)?;
        let mut fields: Vec<&str> = body.as_object().ok_or("object")?.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["amount_sats", "event", "invoice_id"], "{data}");
        assert_eq!(body["event"], event.as_str());
        assert_eq!(body["invoice_id"], sale.as_str());
        assert_eq!(body["amount_sats"], 27_778);
    }
    // The POS screen still turns green on it.
    let (event, data) = &replayed[1];
    match app::live::heard_from_event(event, data) {
        Some(app::live::Heard::State(state)) => {
            assert_eq!(state.invoice_id, sale);
            assert_eq!(state.state, InvoiceState::Settled);
            assert_eq!(state.amount_paid_sat, 27_778);
        }
        other => return Err(format!("the POS does not read a paid sale from {data}: {other:?}").into()),
    }

    // An admin's replay still has everything, in full.
    let mut full = open_stream(&web, &admin, Some("0")).await?;
    let full_text = read_until(&mut full, &second_fattura_invoice, Duration::from_secs(5)).await;
    for expected in [
        fattura_invoice.as_str(),
        &second_fattura_invoice,
        &sale,
        CLIENT,
        NOTE,
        "\"metadata\"",
    ] {
        assert!(
            full_text.contains(expected),
            "an admin's replay lacks {expected}:\n{full_text}"
        );
    }
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_cashier_replays_only_within_the_pos_expiry_window() -> TestResult {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (old_sale, _) = pos_sale(&web, &cashier, "3").await?;
    web.ok(&cashier, "cancel_invoice", &[("invoice_id", &old_sale)]).await?;
    // The first sale's events happened 16 minutes ago: past the 15-minute POS expiry.
    let store = Store::open_in(&web.home.data_dir).await?;
    sqlx::query("UPDATE events SET created_at = created_at - 960 WHERE ln_invoice_id = $1")
        .bind(&old_sale)
        .execute(store.pool())
        .await?;
    store.close().await;
    let (new_sale, _) = pos_sale(&web, &cashier, "5").await?;

    let mut replay = open_stream(&web, &cashier, Some("0")).await?;
    let text = read_until(&mut replay, &new_sale, Duration::from_secs(5)).await;
    let text = text + &read_until(&mut replay, "never", Duration::from_millis(500)).await;
    assert!(text.contains(&new_sale), "the recent sale is missing:\n{text}");
    assert!(
        !text.contains(&old_sale),
        "a sale older than the POS expiry was replayed:\n{text}"
    );

    // An admin's replay is not cut.
    let mut full = open_stream(&web, &admin, Some("0")).await?;
    let text = read_until(&mut full, &new_sale, Duration::from_secs(5)).await;
    assert!(
        text.contains(&old_sale),
        "an admin's replay lacks the old sale:\n{text}"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

/// How many Lightning invoices the gateway's database holds.
async fn invoice_count(web: &Web) -> Result<i64, Box<dyn std::error::Error>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ln_invoices")
        .fetch_one(store.pool())
        .await?;
    store.close().await;
    Ok(count)
}

/// Rings up a sale as `cookie`; status and body.
async fn try_sale(
    web: &Web,
    cookie: &str,
    amount_eur: &str,
    note: &str,
) -> Result<(u16, Value), Box<dyn std::error::Error>> {
    let (status, body, _) = web
        .call(
            "pos_charge",
            Some(cookie),
            &[("amount_eur", amount_eur), ("note", note)],
        )
        .await?;
    Ok((status, body))
}

/// A POS refusal's body: its code (`PosError`), which the POS shows in the cashier's language.
fn pos_code(code: &str) -> Value {
    serde_json::json!({ "Pos": code })
}

#[tokio::test]
async fn a_pos_amount_that_is_not_plain_decimal_eur_is_refused_with_a_code_logs_its_reason_and_creates_nothing(
) -> TestResult {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let long = "1".repeat(5000);
    let (log, _guard) = CapturedLog::start();
    // The amount, the code the till gets, and the reason the log gets.
    let cases: Vec<(&str, &str, &str)> = vec![
        ("1e3", "invalid_amount", "'e' is not allowed"),
        ("1_000", "invalid_amount", "'_' is not allowed"),
        ("+5", "amount_too_small", "without a sign"),
        ("-5", "amount_too_small", "without a sign"),
        (".5", "invalid_amount", "put a digit before the decimal comma"),
        (",50", "invalid_amount", "put a digit before the decimal comma"),
        ("5.", "invalid_amount", "put the cents after the decimal comma"),
        (" 5", "invalid_amount", "a space is not allowed"),
        ("5 ", "invalid_amount", "a space is not allowed"),
        ("0", "amount_too_small", "greater than 0"),
        ("0,00", "amount_too_small", "greater than 0"),
        ("1.234,56", "invalid_amount", "without a thousands separator"),
        ("1,234.56", "invalid_amount", "without a thousands separator"),
        ("1.000", "invalid_amount", "more than 2 decimals"),
        ("1,005", "invalid_amount", "more than 2 decimals"),
        ("12345678", "amount_too_large", "too long"),
        (long.as_str(), "amount_too_large", "too long"),
        ("", "invalid_amount", "type an amount in EUR"),
        ("NaN", "invalid_amount", "'N' is not allowed"),
        ("12\u{202E}", "invalid_amount", "U+202E is not allowed"),
    ];
    let before = web.db_dump().await?;
    let count = invoice_count(&web).await?;
    for cookie in [&cashier, &admin] {
        for (amount, code, reason) in &cases {
            let shown: String = amount.chars().take(20).collect();
            let logged_before = log.text().len();
            let (status, body) = try_sale(&web, cookie, amount, "").await?;
            assert_eq!(status, 400, "{shown:?}: {body}");
            assert_eq!(body, pos_code(code), "{shown:?}");
            let logged = log.text()[logged_before..].to_string();
            assert!(
                logged.contains(reason),
                "{shown:?}: expected '{reason}' in the log: {logged}"
            );
            assert!(logged.len() < 1000, "{shown:?}: the log echoes the input: {logged}");
        }
    }
    assert_eq!(invoice_count(&web).await?, count, "a refused amount created an invoice");
    assert_eq!(web.db_dump().await?, before, "refused amounts changed the database");

    // Both separators are accepted, with one or two decimals.
    for (amount, eur) in [("12,5", "12.50"), ("12.50", "12.50"), ("0,01", "0.01")] {
        let sale = web
            .ok(&cashier, "pos_charge", &[("amount_eur", amount), ("note", "")])
            .await?;
        assert_eq!(sale["amount_eur"], eur, "{amount}: {sale}");
    }
    assert_eq!(invoice_count(&web).await?, count + 3);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_cashiers_sale_above_pos_max_amount_eur_is_refused_and_an_admins_is_not() -> TestResult {
    // The default maximum: 1000 EUR.
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let before = web.db_dump().await?;
    for amount in ["1000,01", "2500"] {
        let (status, body) = try_sale(&web, &cashier, amount, "").await?;
        assert_eq!((status, body), (403, pos_code("over_till_maximum")), "{amount}");
    }
    assert_eq!(web.db_dump().await?, before, "a refused sale changed the database");
    let count = invoice_count(&web).await?;
    // Up to the maximum a cashier charges; an admin is not capped by it.
    let sale = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "1000"), ("note", "")])
        .await?;
    assert_eq!(sale["amount_eur"], "1000.00");
    let sale = web
        .ok(&admin, "pos_charge", &[("amount_eur", "2500,00"), ("note", "")])
        .await?;
    assert_eq!(sale["amount_eur"], "2500.00");
    assert_eq!(invoice_count(&web).await?, count + 2);
    web.gateway.shutdown().await?;

    // The setting moves the cap.
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("POS_MAX_AMOUNT_EUR", "20.5"),
        ],
    )
    .await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let (status, body) = try_sale(&web, &cashier, "20,51", "").await?;
    assert_eq!((status, body), (403, pos_code("over_till_maximum")));
    web.ok(&cashier, "pos_charge", &[("amount_eur", "20,50"), ("note", "")])
        .await?;
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_note_with_a_control_or_text_direction_character_is_refused_and_creates_nothing() -> TestResult {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let before = web.db_dump().await?;
    let count = invoice_count(&web).await?;
    for cookie in [&cashier, &admin] {
        for note in [
            "Caffè \u{202E}onrotir",
            "\u{2066}tavolo 4\u{2069}",
            "tavolo\u{200F} 4",
            "riga 1\nriga 2",
            "beep\u{7}",
            "\u{1B}[31mrosso",
        ] {
            let (status, body) = try_sale(&web, cookie, "5", note).await?;
            assert_eq!((status, body), (400, pos_code("unsafe_note")), "{note:?}");
        }
    }
    assert_eq!(invoice_count(&web).await?, count, "a refused note created an invoice");
    assert_eq!(web.db_dump().await?, before, "refused notes changed the database");

    // Accents, symbols and right-to-left letters themselves are fine.
    let sale = web
        .ok(
            &cashier,
            "pos_charge",
            &[("amount_eur", "5"), ("note", "Caffè – 2× € שלום")],
        )
        .await?;
    assert!(sale["invoice_id"].is_string(), "{sale}");
    web.gateway.shutdown().await?;
    Ok(())
}

/// Settings with CoinGecko (with a key, so it is asked) at a local port that refuses
/// connections, one attempt, no fallback; the key-less providers are off (`Web` turns them off).
fn unreachable_provider() -> [(&'static str, String); 3] {
    [
        ("LIGHTNING_COINGECKO_BASE_URL", common::rates::refused_url()),
        ("LIGHTNING_COINGECKO_API_KEY", common::rates::CG_KEY.to_string()),
        ("LIGHTNING_MAX_RETRIES", "0".to_string()),
    ]
}

#[tokio::test]
async fn the_embedded_demo_sells_at_the_labelled_demo_rate_when_no_provider_answers() -> TestResult {
    let env = unreachable_provider();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let web = Web::start_with(true, &env).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;

    let sale = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "12,50"), ("note", "")])
        .await?;
    assert_eq!(sale["rate_source"], "demo", "{sale}");
    assert_eq!(sale["rate_state"], "demo", "{sale}");
    assert_eq!(sale["eur_per_btc"], "50000", "{sale}");
    assert_eq!(sale["rate_is_fallback"], false, "{sale}");
    assert_eq!(sale["amount_sat"], 25_000, "{sale}");
    // The label says "demo rate"; which provider failed and why is not the cashier's to read.
    assert!(!sale.to_string().contains("coingecko"), "{sale}");
    let id = sale["invoice_id"].as_str().ok_or("invoice_id")?;

    let store = Store::open_in(&web.home.data_dir).await?;
    let recorded = store.ln_invoice(id).await?.ok_or("no invoice")?;
    store.close().await;
    assert_eq!(recorded.rate_source, "demo");
    assert_eq!(recorded.rate_eur_per_btc, Decimal::from(50_000));

    // The POS rate label: "demo", with nothing technical for a cashier; the admin sees the providers.
    let status = web.ok(&cashier, "rate_status", &[]).await?;
    assert_eq!(status["state"], "demo", "{status}");
    assert_eq!(status["providers"], serde_json::json!([]), "{status}");
    assert_eq!(status["warnings"], serde_json::json!([]), "{status}");
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let status = web.ok(&admin, "rate_status", &[]).await?;
    assert_eq!(status["state"], "demo", "{status}");
    assert!(status["providers"].to_string().contains("coingecko"), "{status}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn with_a_real_node_and_no_rate_the_cashier_gets_a_short_code_and_the_log_the_detail() -> TestResult {
    let (log, _guard) = CapturedLog::start();

    // The simnode started as a separate node, configured like a real LND.
    let node_dir = tempfile::tempdir()?;
    let node = common::lightning::start_node(node_dir.path()).await?;
    let host = node.grpc_addr().to_string();
    let cert = node.tls_cert_path().to_string_lossy().into_owned();
    let macaroon = node
        .macaroon_path(simnode::MacaroonKind::Admin)
        .to_string_lossy()
        .into_owned();
    let provider = unreachable_provider();
    let mut env: Vec<(&str, &str)> = provider.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([
        ("LIGHTNING_HOST", host.as_str()),
        ("LIGHTNING_CERT_PATH", cert.as_str()),
        ("LIGHTNING_MACAROON_PATH", macaroon.as_str()),
    ]);
    let web = Web::start_with(true, &env).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let before = web.db_dump().await?;

    for _ in 0..3 {
        let started = std::time::Instant::now();
        let (status, body, _) = web
            .call("pos_charge", Some(&cashier), &[("amount_eur", "12,50"), ("note", "")])
            .await?;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body, serde_json::json!({ "Pos": "rate_unavailable" }));
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    }
    assert_eq!(web.db_dump().await?, before, "a refused sale writes nothing");

    // The POS rate label reads "unavailable" from the same short code.
    let (status, body, _) = web.call("rate_status", Some(&cashier), &[]).await?;
    assert_eq!((status, body), (503, serde_json::json!({ "Pos": "rate_unavailable" })));

    // The technical detail is in the log, never in a reply: admins read what to do.
    let logged = log.text();
    assert!(
        logged.contains("POS sale refused") && logged.contains("rate_unavailable"),
        "{logged}"
    );
    assert!(logged.contains("coingecko:"), "the reason is logged:\n{logged}");
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (status, body, _) = web.call("rate_status", Some(&admin), &[]).await?;
    assert_eq!(status, 503);
    assert_eq!(body["Unavailable"]["code"], "error.rate", "{body}");
    assert!(error_text(&body).contains("lightning_fallback_rate"), "{body}");
    assert!(!body.to_string().contains("coingecko"), "{body}");
    web.gateway.shutdown().await?;
    node.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_sale_above_what_the_node_can_receive_raises_only_the_staff_flag() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let small = web
        .ok(&admin, "pos_charge", &[("amount_eur", "1"), ("note", "")])
        .await?;
    assert_eq!(small["low_inbound"], false, "{small}");
    assert_eq!(small["warnings"], serde_json::json!([]), "{small}");
    // Far above any channel of the simulated node: the sale is made (blocking is off by default)
    // and carries the flag the POS shows to staff, not text for the customer's screen.
    let huge = web
        .ok(&admin, "pos_charge", &[("amount_eur", "9999999"), ("note", "")])
        .await?;
    assert_eq!(huge["low_inbound"], true, "{huge}");
    assert!(huge["warnings"].to_string().contains("can receive at most"), "{huge}");
    web.gateway.shutdown().await?;
    Ok(())
}

/// `lightning_identity_threshold_eur` (issue 38 §5) at the till: the till cannot take the
/// client's tax id, so a sale at or above it is refused with the till's "ask the owner" code
/// (for admins too) and creates nothing; below it the sale goes through.
#[tokio::test]
async fn a_sale_at_the_identity_threshold_is_refused_at_the_till() -> TestResult {
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_IDENTITY_THRESHOLD_EUR", "50"),
        ],
    )
    .await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let before = web.db_dump().await?;
    for (who, amount) in [(&cashier, "50"), (&cashier, "120,00"), (&admin, "50,00")] {
        let (status, body) = try_sale(&web, who, amount, "").await?;
        assert_eq!((status, body), (403, pos_code("over_till_maximum")), "{amount}");
    }
    assert_eq!(web.db_dump().await?, before, "a refused sale changed the database");
    let sale = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "49,99"), ("note", "")])
        .await?;
    assert_eq!(sale["amount_eur"], "49.99");
    web.gateway.shutdown().await?;
    Ok(())
}
