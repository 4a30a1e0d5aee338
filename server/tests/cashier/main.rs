//! What a cashier may reach (issue 30, item 7), over real HTTP on 127.0.0.1 against a gateway on
//! the embedded simnode: a cashier watches and cancels only POS sales (any other invoice answers
//! 404 and stays as it was); an admin keeps everything.

#[path = "../common/mod.rs"]
mod common;
use common::web::{error_text, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use std::time::Duration;

use chrono::NaiveDate;
use openfatture::store::{NewFattura, Store};
use rust_decimal::Decimal;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Client of the admin's EUR invoices: must never reach a cashier.
const CLIENT: &str = "Rossi Costruzioni SRL";
/// Note of the POS sales.
const NOTE: &str = "Caffè del banco";

/// Records an EUR invoice of `due_eur` for [`CLIENT`] straight into the gateway's database.
async fn add_fattura(web: &Web, numero: &str, due_eur: Decimal) -> TestResult {
    let store = Store::open_in(&web.home.data_dir).await?;
    let added = store
        .add_fattura(
            &NewFattura {
                numero: numero.into(),
                data: NaiveDate::from_ymd_opt(2025, 3, 1).ok_or("date")?,
                cedente_piva: String::new(),
                client_name: CLIENT.into(),
                client_piva: None,
                client_cf: None,
                description: "Consulenza riservata".into(),
                totale_eur: due_eur,
                ritenuta_eur: Decimal::ZERO,
                bollo_eur: Decimal::ZERO,
                due_eur,
                source: "manual".into(),
            },
            1_740_000_000,
        )
        .await?;
    store.close().await;
    added.ok_or("fattura already present")?;
    Ok(())
}

/// Calls `endpoint` as `cookie` and insists on 200.
async fn ok(
    web: &Web,
    cookie: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Result<Value, Box<dyn std::error::Error>> {
    let (status, body, _) = web.call(endpoint, Some(cookie), form).await?;
    if status != 200 {
        return Err(format!("{endpoint} answered {status}: {body}").into());
    }
    Ok(body)
}

/// An admin's Lightning invoice for EUR invoice `numero` (its id, `NUMERO-LN`).
async fn admin_invoice(web: &Web, admin: &str, numero: &str) -> Result<String, Box<dyn std::error::Error>> {
    let created = ok(
        web,
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
    let sale = ok(
        web,
        cashier,
        "pos_charge",
        &[("amount_eur", amount_eur), ("note", NOTE)],
    )
    .await?;
    Ok((
        sale["invoice_id"].as_str().ok_or("invoice_id")?.to_string(),
        sale["payment_request"].as_str().ok_or("payment_request")?.to_string(),
    ))
}

#[tokio::test]
async fn a_cashier_watches_and_cancels_only_pos_sales() -> TestResult {
    let web = Web::start(true).await?;
    add_fattura(&web, "2025/017", Decimal::from(100)).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let fattura_invoice = admin_invoice(&web, &admin, "2025/017").await?;
    assert_eq!(fattura_invoice, "2025/017-LN");

    // The admin's invoice for a client's fattura: not found for a cashier, and left as it was
    // (once its OPEN state, written soon after the create, is in the database).
    let mut before = web.db_dump().await?;
    for _ in 0..100 {
        if before.iter().any(|row| row.starts_with("events:")) {
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
    let state = ok(&web, &admin, "invoice_state", &[("invoice_id", &fattura_invoice)]).await?;
    assert_eq!(
        state["state"], "OPEN",
        "the cashier cancelled the admin's invoice: {state}"
    );

    // The cashier's own POS sale: watched and cancelled.
    let (sale, _) = pos_sale(&web, &cashier, "4,20").await?;
    let state = ok(&web, &cashier, "invoice_state", &[("invoice_id", &sale)]).await?;
    assert_eq!(state["state"], "OPEN", "{state}");
    let state = ok(&web, &cashier, "cancel_invoice", &[("invoice_id", &sale)]).await?;
    assert_eq!(state["state"], "CANCELED", "{state}");

    // Admins keep full access: POS sales and fattura invoices alike.
    let state = ok(&web, &admin, "invoice_state", &[("invoice_id", &sale)]).await?;
    assert_eq!(state["state"], "CANCELED", "{state}");
    let state = ok(&web, &admin, "cancel_invoice", &[("invoice_id", &fattura_invoice)]).await?;
    assert_eq!(state["state"], "CANCELED", "{state}");
    web.gateway.shutdown().await?;
    Ok(())
}
