//! The back office's view of how an imported invoice is to be paid (issue 33): the derivation,
//! the instalments with what is paid of each, and the next instalment the create form starts from.

use crate::common;

use common::web::{Web, ADMIN, ADMIN_PASSWORD};
use common::TestResult;
use openfatture::invoices::{import_named, ImportOptions};
use openfatture::store::Store;
use rust_decimal::Decimal;

#[tokio::test]
async fn an_imported_invoice_shows_its_installments_and_the_next_one_to_collect() -> TestResult {
    // A rate at which 1220.00 EUR (1,355,556 sat) fits the demo node's inbound capacity.
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "90000"),
        ],
    )
    .await?;
    let store = Store::open_in(&web.home.data_dir).await?;
    let options = ImportOptions {
        dry_run: false,
        merchant_vat_id: None,
    };
    let name = "IT04567890123_RATE.xml";
    let results = import_named(&store, name, &common::read_fixture(name), &options).await?;
    assert_eq!(results[0].status, "imported", "{:?}", results[0].reason);
    let id = store.fatture_by_numero("25/0007").await?.first().ok_or("imported")?.id;
    store.close().await;
    web.add_fattura("F-HAND", "Rossi", "by hand", Decimal::new(1000, 2))
        .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;

    let due = web.ok(&admin, "admin_fattura_due", &[("id", &id.to_string())]).await?;
    // Two TP01 instalments of 1220.00 (5 March and 4 April 2025): nothing paid, the next is the first.
    let installments = due["installments"].as_array().ok_or("installments")?;
    assert_eq!(installments.len(), 2, "{due}");
    assert_eq!(installments[0]["due_date"], "2025-03-05");
    assert_eq!(installments[1]["due_date"], "2025-04-04");
    assert_eq!(installments[0]["amount_eur"], "1220.00");
    assert_eq!(installments[0]["paid_eur"], "0.00");
    assert_eq!(installments[0]["condizioni"], "TP01");
    assert_eq!(due["next_installment_eur"], "1220.00");
    assert_eq!(due["from_importo_pagamento"], true);
    // The derivation starts from ImportoTotaleDocumento 2440.00, worded by kind.
    let steps = due["derivation"].as_array().ok_or("derivation")?;
    assert_eq!(steps[0]["kind"], "total", "{due}");
    assert!(
        steps[0]["element"]
            .as_str()
            .unwrap_or("")
            .ends_with("ImportoTotaleDocumento"),
        "{due}"
    );
    assert_eq!(due["computed_eur"], "2440.00");

    // Creating the next instalment's Lightning invoice and paying it moves "next" to the second.
    let created = web
        .ok(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "25/0007"),
                ("anno", ""),
                ("amount_eur", "1220.00"),
                ("expiry_hours", ""),
            ],
        )
        .await?;
    assert_eq!(created["invoice"]["amount_eur"], "1220.00", "{created}");
    let bolt11 = created["payment_request"].as_str().ok_or("bolt11")?.to_string();
    simnode::pay(&web.simnode_dir()?, &bolt11, simnode::PayOptions::default()).await?;
    let mut next = serde_json::Value::Null;
    for _ in 0..100 {
        let due = web.ok(&admin, "admin_fattura_due", &[("id", &id.to_string())]).await?;
        if due["installments"][0]["paid_eur"] == "1220.00" {
            assert_eq!(due["installments"][1]["paid_eur"], "0.00", "{due}");
            next = due["next_installment_eur"].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(next, "1220.00", "after the first instalment is paid the second is next");

    // An invoice added by hand has no derivation to show.
    let hand = store_id(&web, "F-HAND").await?;
    let none = web
        .ok(&admin, "admin_fattura_due", &[("id", &hand.to_string())])
        .await?;
    assert!(none.is_null(), "{none}");
    // An unknown id is a clear refusal.
    let missing = web
        .refused(&admin, "admin_fattura_due", &[("id", "999999")], 404)
        .await?;
    assert!(missing.contains("no EUR invoice with id 999999"), "{missing}");
    web.gateway.shutdown().await?;
    Ok(())
}

async fn store_id(web: &Web, numero: &str) -> Result<i64, Box<dyn std::error::Error>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let id = store.fatture_by_numero(numero).await?.first().ok_or("stored")?.id;
    store.close().await;
    Ok(id)
}

/// The back office shows an imported fattura's lines and IVA summary (issue 35), and none for one
/// added by hand (the page says "lines not known").
#[tokio::test]
async fn an_imported_invoice_shows_its_lines_and_iva_summary() -> TestResult {
    let web = Web::start(true).await?;
    let store = Store::open_in(&web.home.data_dir).await?;
    let options = ImportOptions {
        dry_run: false,
        merchant_vat_id: None,
    };
    let name = "IT04567890123_RATE.xml";
    let results = import_named(&store, name, &common::read_fixture(name), &options).await?;
    assert_eq!(results[0].status, "imported", "{:?}", results[0].reason);
    let id = store.fatture_by_numero("25/0007").await?.first().ok_or("imported")?.id;
    store.close().await;
    web.add_fattura("F-HAND", "Rossi", "by hand", Decimal::new(1000, 2))
        .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;

    let shown = web
        .ok(&admin, "admin_fattura_lines", &[("id", &id.to_string())])
        .await?;
    let lines = shown["lines"].as_array().ok_or("lines")?;
    assert_eq!(lines.len(), 1, "{shown}");
    assert_eq!(lines[0]["number"], 1);
    assert_eq!(lines[0]["description"], "Progettazione e sviluppo sito web");
    assert_eq!(lines[0]["quantity"], "", "no Quantita in the document");
    assert_eq!(lines[0]["unit_price_eur"], "2000.00");
    assert_eq!(lines[0]["vat_percent"], "22.00");
    assert_eq!(lines[0]["natura"], "");
    assert_eq!(lines[0]["total_eur"], "2000.00");
    let summary = shown["vat_summary"].as_array().ok_or("vat_summary")?;
    assert_eq!(summary.len(), 1, "{shown}");
    assert_eq!(summary[0]["vat_percent"], "22.00");
    assert_eq!(summary[0]["taxable_eur"], "2000.00");
    assert_eq!(summary[0]["vat_eur"], "440.00");
    assert_eq!(summary[0]["esigibilita"], "I");

    // Added by hand: nothing stored, so the page says the lines are not known.
    let hand = store_id(&web, "F-HAND").await?;
    let none = web
        .ok(&admin, "admin_fattura_lines", &[("id", &hand.to_string())])
        .await?;
    assert_eq!(none["lines"].as_array().map(Vec::len), Some(0), "{none}");
    assert_eq!(none["vat_summary"].as_array().map(Vec::len), Some(0), "{none}");
    // An unknown id is a clear refusal.
    let missing = web
        .refused(&admin, "admin_fattura_lines", &[("id", "999999")], 404)
        .await?;
    assert!(missing.contains("no EUR invoice with id 999999"), "{missing}");
    web.gateway.shutdown().await?;
    Ok(())
}
