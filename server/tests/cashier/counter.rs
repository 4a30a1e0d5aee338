//! The counter over real HTTP against a gateway on the embedded simnode (issue 36): sales with an
//! IVA rate, a tip and a till, paid by the simnode, recorded with their till and cashier; bad
//! IVA rates, tips and tills refused with their POS code and nothing created; and `pos day
//! --json` over those sales by till and by cashier.

use crate::common;
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use std::time::Duration;

use openfatture::store::Store;
use serde_json::Value;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

pub(crate) async fn charge(web: &Web, cookie: &str, form: &[(&str, &str)]) -> Res<Value> {
    let mut full = vec![("note", "")];
    full.extend_from_slice(form);
    web.ok(cookie, "pos_charge", &full).await
}

/// Pays `sale` with the simnode and waits until the gateway has it settled; the sats paid.
pub(crate) async fn pay(web: &Web, cookie: &str, sale: &Value) -> Res<u64> {
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    let id = sale["invoice_id"].as_str().ok_or("id")?;
    simnode::pay(&web.simnode_dir()?, bolt11, simnode::PayOptions::default()).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let state = web.ok(cookie, "invoice_state", &[("invoice_id", id)]).await?;
        if state["state"] == "SETTLED" {
            return state["amount_paid_sat"].as_u64().ok_or_else(|| "paid sats".into());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{id} not settled: {state}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn counter_rows(web: &Web) -> Res<Vec<String>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let rows = common::dump_exact(&store, &["ln_invoices", "pos_sales", "tills"]).await;
    store.close().await;
    Ok(rows)
}

pub(crate) fn day(web: &Web, args: &[&str]) -> Res<Value> {
    let mut all = vec!["--json", "pos", "day"];
    all.extend_from_slice(args);
    let text = common::stdout_of(common::openfatture(web._dir.path()).args(&all));
    Ok(serde_json::from_str(&text)?)
}

#[tokio::test]
async fn sales_with_iva_tips_and_tills_make_the_days_figures() -> Res<()> {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    common::stdout_of(common::openfatture(web._dir.path()).args(["pos", "till", "add", "Bar", "--vat-rate", "10"]));

    // The tills as the POS lists them.
    let tills = web.ok(&cashier, "pos_tills", &[]).await?;
    assert_eq!(tills[0]["name"], "Cassa");
    assert_eq!(tills[0]["is_default"], true);
    assert_eq!(tills[1]["name"], "Bar");
    assert_eq!(tills[1]["vat_rate"], "10");

    // Refused, with their codes, and nothing created.
    let before = counter_rows(&web).await?;
    for (form, code) in [
        (vec![("amount_eur", "10"), ("vat_rate", "21")], "invalid_vat_rate"),
        (vec![("amount_eur", "10"), ("vat_rate", "0")], "invalid_vat_rate"),
        (vec![("amount_eur", "10"), ("vat_rate", "0:N9")], "invalid_vat_rate"),
        (vec![("amount_eur", "10"), ("tip_eur", "abc")], "invalid_tip"),
        (vec![("amount_eur", "10"), ("tip_eur", "-1")], "invalid_tip"),
        (vec![("amount_eur", "10"), ("tip_eur", "1,505")], "invalid_tip"),
        (vec![("amount_eur", "10"), ("till", "Nowhere")], "unknown_till"),
    ] {
        let mut full = vec![("note", "")];
        full.extend_from_slice(&form);
        let (status, body, _) = web.call("pos_charge", Some(&cashier), &full).await?;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert_eq!(body, serde_json::json!({ "Pos": code }), "{form:?}");
    }
    assert_eq!(counter_rows(&web).await?, before, "a refused sale created something");

    // As before issue 36: no IVA rate, tip or till → the default till at its 22 %.
    let plain = charge(&web, &cashier, &[("amount_eur", "12,20")]).await?;
    assert_eq!(plain["till"], "Cassa");
    assert_eq!(plain["cashier"], CASHIER);
    assert_eq!(plain["vat_rate"], "22");
    assert_eq!(plain["vat_eur"], "2.20");
    assert_eq!(plain["tip_eur"], "0.00");
    assert_eq!(plain["amount_eur"], "12.20");
    let plain_sat = pay(&web, &cashier, &plain).await?;

    // A 10 % sale with a 10 % tip: the invoice asks for gross + tip, the IVA is on the gross only.
    let tipped = charge(
        &web,
        &cashier,
        &[("amount_eur", "12,10"), ("vat_rate", "10"), ("tip_eur", "1.21")],
    )
    .await?;
    assert_eq!(tipped["gross_eur"], "12.10");
    assert_eq!(tipped["vat_eur"], "1.10");
    assert_eq!(tipped["tip_eur"], "1.21");
    assert_eq!(tipped["amount_eur"], "13.31");
    assert_eq!(tipped["amount_sat"], 29_578, "13,31 EUR at 45 000 EUR/BTC");
    let tipped_sat = pay(&web, &cashier, &tipped).await?;

    // The admin at the Bar till, with its default 10 %; and a 0 % N2 sale there.
    let bar = charge(&web, &admin, &[("amount_eur", "24,40"), ("till", "Bar")]).await?;
    assert_eq!(
        (bar["till"].as_str(), bar["vat_rate"].as_str(), bar["vat_eur"].as_str()),
        (Some("Bar"), Some("10"), Some("2.22"))
    );
    let bar_sat = pay(&web, &admin, &bar).await?;
    let exempt = charge(
        &web,
        &admin,
        &[("amount_eur", "3"), ("till", "Bar"), ("vat_rate", "0:N2")],
    )
    .await?;
    assert_eq!(exempt["vat_eur"], "0.00");
    let exempt_sat = pay(&web, &admin, &exempt).await?;

    // A cancelled attempt counts apart.
    let cancelled = charge(&web, &cashier, &[("amount_eur", "5")]).await?;
    web.ok(
        &cashier,
        "cancel_invoice",
        &[("invoice_id", cancelled["invoice_id"].as_str().ok_or("id")?)],
    )
    .await?;

    let figures = day(&web, &[])?;
    assert_eq!(figures["sales"], 4, "{figures}");
    assert_eq!(figures["gross_eur"], "51.70");
    assert_eq!(
        figures["vat_eur"],
        serde_json::json!({ "22": "2.20", "10": "3.32", "0:N2": "0.00" })
    );
    assert_eq!(figures["tips_eur"], "1.21");
    assert_eq!(figures["net_eur"], "46.18");
    assert_eq!(figures["refunds_eur"], "0.00");
    assert_eq!(figures["refund_fees_sat"], 0);
    assert_eq!(figures["sats_received"], plain_sat + tipped_sat + bar_sat + exempt_sat);
    assert_eq!(figures["cancelled"], 1);
    let by_till = figures["by_till"].as_array().ok_or("by_till")?;
    let till = |name: &str| by_till.iter().find(|t| t["name"] == name).cloned().unwrap_or_default();
    assert_eq!(till("Cassa")["sales"], 2);
    assert_eq!(till("Cassa")["gross_eur"], "24.30");
    assert_eq!(till("Cassa")["tips_eur"], "1.21");
    assert_eq!(till("Cassa")["cancelled"], 1);
    assert_eq!(till("Cassa")["sats_received"], plain_sat + tipped_sat);
    assert_eq!(till("Bar")["sales"], 2);
    assert_eq!(till("Bar")["gross_eur"], "27.40");
    let by_cashier = figures["by_cashier"].as_array().ok_or("by_cashier")?;
    let person = |name: &str| {
        by_cashier
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(person(CASHIER)["sales"], 2);
    assert_eq!(person(ADMIN)["sales"], 2);
    assert_eq!(
        person(ADMIN)["vat_eur"],
        serde_json::json!({ "10": "2.22", "0:N2": "0.00" })
    );

    // Filters.
    let only_bar = day(&web, &["--till", "Bar"])?;
    assert_eq!(only_bar["sales"], 2);
    assert_eq!(only_bar["gross_eur"], "27.40");
    let only_cashier = day(&web, &["--cashier", CASHIER])?;
    assert_eq!(only_cashier["sales"], 2);
    assert_eq!(only_cashier["tips_eur"], "1.21");
    Ok(())
}
