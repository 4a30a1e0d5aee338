//! The numbered daily closing (issue 36) over a real gateway on the embedded simnode: a day of
//! sales on two tills (a tip, a 10 % sale, a refund) paid by the simnode is closed with `pos
//! close`; the closing's figures are `pos day`'s, its sats are what the node settled for those
//! sales, a second closing of the day is refused and changes nothing, a sale paid after the
//! closing goes to the next day, the `day_closed` webhook reaches a local HTTP receiver signed
//! like the others, and `pos closing show` exports JSON and CSV. A refund counts on the day it
//! is made, with its sale's till and cashier.

use crate::common;
use crate::counter::{charge, day};
use crate::refunds::{cli, customer_invoice, refund, webhook_receiver, HOOK_SECRET};
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use std::time::Duration;

use openfatture::store::Store;
use serde_json::Value;
use sha2::Sha256;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Pays `sale` from the simnode and waits until the gateway has it settled; the sats the node
/// says the invoice received.
async fn pay_on_node(web: &Web, cookie: &str, sale: &Value) -> Res<u64> {
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    let id = sale["invoice_id"].as_str().ok_or("id")?;
    let outcome = simnode::pay(&web.simnode_dir()?, bolt11, simnode::PayOptions::default()).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let state = web.ok(cookie, "invoice_state", &[("invoice_id", id)]).await?;
        if state["state"] == "SETTLED" {
            return Ok(outcome.invoice_received_msat / 1000);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{id} not settled: {state}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `openfatture ARGS`; its stdout, or its stderr as the error.
fn run(web: &Web, args: &[&str]) -> Res<String> {
    let out = cli(web, args);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

async fn closing_rows(web: &Web) -> Res<Vec<String>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let rows = common::dump_exact(&store, &["closings", "events"]).await;
    store.close().await;
    Ok(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_sales_is_closed_numbered_reconciled_and_exported() -> Res<()> {
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
            ("SHOP_NAME", "Bar Centrale"),
            ("SHOP_VAT_NUMBER", "01234567897"),
            ("SHOP_ADDRESS", "Via Roma 1, 00100 Roma"),
        ],
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    run(&web, &["pos", "till", "add", "Bar", "--vat-rate", "10"])?;

    // Nothing closed yet: no closing to show.
    let err = run(&web, &["pos", "closing", "show", "1"]).unwrap_err().to_string();
    assert!(err.contains("no closing no. 1"), "{err}");

    // The day: two tills, a tip, a 10 % sale, a refund.
    let plain = charge(&web, &cashier, &[("amount_eur", "12,20")]).await?;
    let tipped = charge(
        &web,
        &cashier,
        &[("amount_eur", "12,10"), ("vat_rate", "10"), ("tip_eur", "1.21")],
    )
    .await?;
    let bar = charge(&web, &admin, &[("amount_eur", "24,40"), ("till", "Bar")]).await?;
    let mut node_sats = 0;
    for (cookie, sale) in [(&cashier, &plain), (&cashier, &tipped), (&admin, &bar)] {
        node_sats += pay_on_node(&web, cookie, sale).await?;
    }
    let customer = customer_invoice(&web, None).await?;
    let refunded = refund(&web, plain["invoice_id"].as_str().ok_or("id")?, "5.00", &customer, &[])?;
    assert_eq!(refunded["state"], "succeeded", "{refunded}");

    let before = day(&web, &[])?;
    assert_eq!(before["sales"], 3, "{before}");
    assert_eq!(before["refunds_eur"], "5.00", "{before}");
    assert!(before.get("closing").is_none(), "{before}");

    // The closing: number 1, the same figures as `pos day`, the node's sats.
    let closing: Value = serde_json::from_str(&run(&web, &["--json", "pos", "close"])?)?;
    assert_eq!(closing["number"], 1, "{closing}");
    assert_eq!(closing["date"], before["date"]);
    assert_eq!(closing["till"], Value::Null);
    assert_eq!(closing["closed_by"], "cli");
    assert_eq!(closing["figures"], before, "the closing's figures are not pos day's");
    let figures = &closing["figures"];
    assert_eq!(figures["gross_eur"], "48.70");
    assert_eq!(figures["tips_eur"], "1.21");
    assert_eq!(figures["vat_eur"], serde_json::json!({ "22": "2.20", "10": "3.32" }));
    assert_eq!(
        figures["sats_received"], node_sats,
        "the closing's sats are not the node's"
    );
    let by_till = figures["by_till"].as_array().ok_or("by_till")?;
    assert_eq!(by_till.len(), 2, "{figures}");

    // A second closing of the day is refused, with what to do, and writes nothing.
    let rows = closing_rows(&web).await?;
    let err = run(&web, &["pos", "close"]).unwrap_err().to_string();
    assert!(err.contains("closed already (closing no. 1)"), "{err}");
    let err = run(&web, &["pos", "close", "--till", "Bar"]).unwrap_err().to_string();
    assert!(err.contains("a till cannot be closed apart"), "{err}");
    let err = run(&web, &["pos", "close", "--date", "2999-01-01"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("has not begun"), "{err}");
    assert_eq!(closing_rows(&web).await?, rows, "a refused closing wrote something");

    // The database itself refuses to change a closing.
    let store = Store::open_in(&web.home.data_dir).await?;
    let changed = sqlx::query("UPDATE closings SET figures = '{}' WHERE number = 1")
        .execute(store.pool())
        .await;
    assert!(changed.is_err(), "a closing was changed");
    let deleted = sqlx::query("DELETE FROM closings").execute(store.pool()).await;
    assert!(deleted.is_err(), "a closing was deleted");
    store.close().await;

    // A sale paid after the closing goes to the next day; the closed day stays as closed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = charge(&web, &cashier, &[("amount_eur", "3")]).await?;
    let late_sats = pay_on_node(&web, &cashier, &late).await?;
    // So is a refund made after the closing of a sale of the closed day (the Z-report's rule).
    let customer = customer_invoice(&web, None).await?;
    let late_refund = refund(&web, bar["invoice_id"].as_str().ok_or("id")?, "1.00", &customer, &[])?;
    assert_eq!(late_refund["state"], "succeeded", "{late_refund}");
    let closed_day = day(&web, &[])?;
    assert_eq!(closed_day["closing"], 1, "{closed_day}");
    let mut without_number = closed_day.clone();
    without_number.as_object_mut().ok_or("object")?.remove("closing");
    assert_eq!(
        without_number, before,
        "a sale after the closing changed the closed day"
    );
    let date = chrono::NaiveDate::parse_from_str(before["date"].as_str().ok_or("date")?, "%Y-%m-%d")?;
    let next = (date + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let next_day = day(&web, &["--date", &next])?;
    assert_eq!(next_day["sales"], 1, "{next_day}");
    assert_eq!(next_day["gross_eur"], "3.00");
    assert_eq!(next_day["sats_received"], late_sats);
    assert_eq!(next_day["refunds_eur"], "1.00", "{next_day}");
    let next_bar = next_day["by_till"].as_array().ok_or("by_till")?;
    assert!(
        next_bar
            .iter()
            .any(|t| t["name"] == "Bar" && t["refunds_eur"] == "1.00" && t["sales"] == 0),
        "{next_day}"
    );

    // The `day_closed` webhook, signed like every other webhook.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (sig, raw) = loop {
        let found = hooks.lock().unwrap().iter().find_map(|(sig, body)| {
            let json: Value = serde_json::from_slice(body).ok()?;
            (json["event"] == "day_closed").then(|| (sig.clone(), body.clone()))
        });
        if let Some(found) = found {
            break found;
        }
        if tokio::time::Instant::now() > deadline {
            return Err("no day_closed webhook".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let body: Value = serde_json::from_slice(&raw)?;
    assert_eq!(body["closing_number"], 1, "{body}");
    assert_eq!(body["date"], before["date"]);
    assert_eq!(body["till"], Value::Null);
    assert_eq!(body["figures"], before);
    let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(HOOK_SECRET.as_bytes())?;
    hmac::Mac::update(&mut mac, &raw);
    assert_eq!(sig, hex::encode(hmac::Mac::finalize(mac).into_bytes()));

    // Exports: JSON as `pos close` printed it, CSV with one row per figure line.
    let shown: Value = serde_json::from_str(&run(&web, &["pos", "closing", "show", "1", "--format", "json"])?)?;
    assert_eq!(shown, closing);
    let csv = run(&web, &["pos", "closing", "show", "1", "--format", "csv"])?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "closing,date,till,line,name,sales,gross_eur,net_eur,tips_eur,total_eur,refunds_eur,refunds_sat,\
         refund_fees_sat,sats_received,expired,cancelled,vat_10_eur,vat_22_eur"
    );
    let d = before["date"].as_str().ok_or("date")?;
    assert_eq!(lines.len(), 1 + 1 + 2 + 2, "{csv}");
    assert!(
        lines[1].starts_with(&format!("1,{d},,total,,3,48.70,43.18,1.21,49.91,5.00,")),
        "{csv}"
    );
    assert!(lines[1].ends_with(",3.32,2.20"), "{csv}");
    assert!(lines[1].contains(&format!(",{node_sats},0,0,")), "{csv}");
    assert!(lines[2].starts_with(&format!("1,{d},,till,Bar,1,24.40,")), "{csv}");
    assert!(lines[3].starts_with(&format!("1,{d},,till,Cassa,2,24.30,")), "{csv}");
    assert!(
        lines.iter().any(|l| l.contains(&format!(",cashier,{CASHIER},2,"))),
        "{csv}"
    );
    assert!(
        lines.iter().any(|l| l.contains(&format!(",cashier,{ADMIN},1,"))),
        "{csv}"
    );
    // The PDF: a file only (--out), holding the number, the day, the shop and the totals.
    let err = run(&web, &["pos", "closing", "show", "1", "--format", "pdf"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("--out FILE"), "{err}");
    let pdf_path = web.home.data_dir.join("chiusura-1.pdf");
    let pdf_arg = pdf_path.to_str().ok_or("path")?;
    run(
        &web,
        &["pos", "closing", "show", "1", "--format", "pdf", "--out", pdf_arg],
    )?;
    let pdf = std::fs::read(&pdf_path)?;
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let text = common::pdf::text_of(&pdf);
    let (y, m, dd) = (&d[0..4], &d[5..7], &d[8..10]);
    for wanted in [
        format!("Chiusura giornaliera n. 1 del {dd}/{m}/{y}"),
        "48,70".to_string(),
        "49,91".to_string(),
        "1,21".to_string(),
        "5,00".to_string(),
        "3,32".to_string(),
        "2,20".to_string(),
        node_sats.to_string(),
        "Bar".to_string(),
        "Cassa".to_string(),
        CASHIER.to_string(),
    ] {
        assert!(text.contains(&wanted), "the PDF lacks {wanted:?}:\n{text}");
    }
    // The back office's download is the same PDF, with the shop as the gateway's settings name it.
    let download = web
        .http
        .get(web.url("/api/admin/closings/1/pdf"))
        .header("cookie", &admin)
        .send()
        .await?;
    assert_eq!(download.status().as_u16(), 200);
    let text = common::pdf::text_of(&download.bytes().await?);
    for wanted in [
        "Chiusura giornaliera n. 1",
        "Bar Centrale",
        "IT01234567897",
        "Via Roma 1, 00100 Roma",
        "48,70",
    ] {
        assert!(text.contains(wanted), "the downloaded PDF lacks {wanted:?}:\n{text}");
    }
    let list: Value = serde_json::from_str(&run(&web, &["--json", "pos", "closing", "list"])?)?;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["number"], 1);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn an_admin_closes_the_day_from_the_back_office_and_a_cashier_cannot() -> Res<()> {
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = charge(&web, &cashier, &[("amount_eur", "12,20")]).await?;
    let sats = pay_on_node(&web, &cashier, &sale).await?;

    // Today's figures, as `pos day` has them; no closing yet.
    let open = web.ok(&admin, "admin_counter_day", &[]).await?;
    let cli_day = day(&web, &[])?;
    assert_eq!(open["today"]["date"], cli_day["date"], "{open}");
    assert_eq!(open["today"]["sales"], 1);
    assert_eq!(open["today"]["gross_eur"], "12.20");
    assert_eq!(open["today"]["sats_received"], sats);
    // The dashboard's live day view: IVA, and the figures by till and by cashier.
    assert_eq!(open["today"]["vat_eur"], "2.20", "{open}");
    assert_eq!(open["by_till"][0]["till"], "Cassa", "{open}");
    assert_eq!(open["by_till"][0]["gross_eur"], "12.20", "{open}");
    assert_eq!(open["by_cashier"][0]["till"], CASHIER, "{open}");
    assert_eq!(open["by_cashier"][0]["sats_received"], sats, "{open}");
    assert_eq!(open["closed_by_number"], 0);
    assert_eq!(open["closings"], serde_json::json!([]));

    // Signed out or a cashier: refused, nothing written.
    let rows = closing_rows(&web).await?;
    for (cookie, status) in [(None, 401), (Some(cashier.as_str()), 403)] {
        for endpoint in ["admin_close_day", "admin_counter_day"] {
            let (got, body, _) = web.call(endpoint, cookie, &[]).await?;
            assert_eq!(got, status, "{endpoint}: {body}");
        }
    }
    assert_eq!(closing_rows(&web).await?, rows, "a refused closing wrote something");

    // The admin's button: closing no. 1 by the admin, the same one the CLI shows.
    let closed = web.ok(&admin, "admin_close_day", &[]).await?;
    assert_eq!(closed["number"], 1, "{closed}");
    assert_eq!(closed["closed_by"], ADMIN);
    assert_eq!(closed["gross_eur"], "12.20");
    assert_eq!(closed["sats_received"], sats);
    let shown: Value = serde_json::from_str(&run(&web, &["--json", "pos", "closing", "show", "1"])?)?;
    assert_eq!(shown["closed_by"], ADMIN);
    assert_eq!(shown["figures"]["gross_eur"], "12.20");

    // A second press is refused with its catalogue code and writes nothing.
    let rows = closing_rows(&web).await?;
    let (status, body, _) = web.call("admin_close_day", Some(&admin), &[]).await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["Invalid"]["code"], "error.closing.already", "{body}");
    assert!(common::web::error_text(&body).contains("closing no. 1"), "{body}");
    assert_eq!(closing_rows(&web).await?, rows);
    let after = web.ok(&admin, "admin_counter_day", &[]).await?;
    assert_eq!(after["closed_by_number"], 1, "{after}");
    assert_eq!(after["closings"][0]["number"], 1, "{after}");

    // Its downloads: admin only, as attachments, the same files as the CLI's.
    let path = "/api/admin/closings/1/pdf";
    assert_eq!(web.http.get(web.url(path)).send().await?.status().as_u16(), 401);
    let as_cashier = web.http.get(web.url(path)).header("cookie", &cashier).send().await?;
    assert_eq!(as_cashier.status().as_u16(), 403);
    for (format, kind) in [
        ("pdf", "application/pdf"),
        ("csv", "text/csv"),
        ("json", "application/json"),
    ] {
        let response = web
            .http
            .get(web.url(&format!("/api/admin/closings/1/{format}")))
            .header("cookie", &admin)
            .send()
            .await?;
        assert_eq!(response.status().as_u16(), 200, "{format}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert!(header("content-type").starts_with(kind), "{format}");
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename=\"chiusura-1.{format}\"")
        );
        let body = response.bytes().await?;
        match format {
            "pdf" => {
                let text = common::pdf::text_of(&body);
                assert!(text.contains("Chiusura giornaliera n. 1"), "{text}");
                assert!(text.contains("12,20"), "{text}");
                assert!(text.contains(&sats.to_string()), "{text}");
            }
            "csv" => assert!(String::from_utf8(body.to_vec())?.contains(",total,,1,12.20,")),
            _ => assert_eq!(serde_json::from_slice::<Value>(&body)?, shown),
        }
    }
    for missing in [
        "/api/admin/closings/2/pdf",
        "/api/admin/closings/1/xls",
        "/api/admin/closings/x/pdf",
    ] {
        let response = web.http.get(web.url(missing)).header("cookie", &admin).send().await?;
        assert!(matches!(response.status().as_u16(), 400 | 404), "{missing}");
    }
    web.gateway.shutdown().await?;
    Ok(())
}

/// A refused `admin_close_day` with `form`: its catalogue code, English and Italian texts; it
/// must write nothing.
async fn refused_close(web: &Web, admin: &str, form: &[(&str, &str)]) -> Res<(String, String, String)> {
    let rows = closing_rows(web).await?;
    let (status, body, _) = web.call("admin_close_day", Some(admin), form).await?;
    assert_eq!(status, 400, "{form:?}: {body}");
    assert_eq!(
        closing_rows(web).await?,
        rows,
        "{form:?}: a refused closing wrote something"
    );
    let code = body["Invalid"]["code"].as_str().ok_or("code")?.to_string();
    Ok((
        code,
        common::web::error_text(&body),
        common::web::error_text_in(&body, app::i18n::Lang::It),
    ))
}

#[tokio::test]
async fn the_back_office_closes_a_till_or_a_past_day_with_the_clis_rules() -> Res<()> {
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    run(&web, &["pos", "till", "add", "Bar"])?;
    let open = web.ok(&admin, "admin_counter_day", &[]).await?;
    assert_eq!(open["tills"], serde_json::json!(["Cassa", "Bar"]), "{open}");
    let today = open["today"]["date"].as_str().ok_or("date")?.to_string();
    let day = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")?;
    let yesterday = (day - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let tomorrow = (day + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();

    // A past day, for the whole shop; the same closing the CLI shows.
    let past = web.ok(&admin, "admin_close_day", &[("date", &yesterday)]).await?;
    assert_eq!(
        (past["number"].as_i64(), past["date"].as_str()),
        (Some(1), Some(yesterday.as_str())),
        "{past}"
    );
    assert_eq!(past["till"], "");
    let shown: Value = serde_json::from_str(&run(&web, &["--json", "pos", "closing", "show", "1"])?)?;
    assert_eq!(shown["date"], yesterday.as_str());
    assert_eq!(shown["closed_by"], ADMIN);

    // Refusals, each with its code and what to do in both languages, writing nothing.
    let (code, en, it) = refused_close(&web, &admin, &[("date", &yesterday)]).await?;
    assert_eq!(code, "error.closing.already");
    assert!(
        en.contains("closing no. 1") && it.contains("chiusura n. 1"),
        "{en} / {it}"
    );
    let (code, en, it) = refused_close(&web, &admin, &[("date", &yesterday), ("till", "Bar")]).await?;
    assert_eq!(code, "error.closing.shop_closed");
    assert!(en.contains(&yesterday) && en.contains("closing no. 1"), "{en}");
    assert!(it.contains("una cassa non si chiude a parte"), "{it}");
    let (code, en, it) = refused_close(&web, &admin, &[("date", &tomorrow)]).await?;
    assert_eq!(code, "error.closing.not_begun");
    assert!(
        en.contains(&tomorrow) && it.contains("non è ancora iniziato"),
        "{en} / {it}"
    );
    let (code, en, _) = refused_close(&web, &admin, &[("date", "2026-13-40")]).await?;
    assert_eq!(code, "error.closing.bad_date");
    assert!(en.contains("YYYY-MM-DD"), "{en}");
    let (code, en, it) = refused_close(&web, &admin, &[("till", "Nessuna")]).await?;
    assert_eq!(code, "error.closing.unknown_till");
    assert!(en.contains("'Nessuna'") && it.contains("'Nessuna'"), "{en} / {it}");

    // Today, till by till: the Bar first; then the whole shop is refused, and a second Bar.
    let bar = web.ok(&admin, "admin_close_day", &[("till", "Bar")]).await?;
    assert_eq!(
        (bar["number"].as_i64(), bar["till"].as_str()),
        (Some(2), Some("Bar")),
        "{bar}"
    );
    assert_eq!(bar["date"], today.as_str());
    let (code, en, _) = refused_close(&web, &admin, &[]).await?;
    assert_eq!(code, "error.closing.tills_closed");
    assert!(en.contains("closing no. 2"), "{en}");
    let (code, _, _) = refused_close(&web, &admin, &[("till", "Bar"), ("date", &today)]).await?;
    assert_eq!(code, "error.closing.already");
    // The other till closes on its own.
    let cassa = web
        .ok(&admin, "admin_close_day", &[("till", "Cassa"), ("date", "")])
        .await?;
    assert_eq!(
        (cassa["number"].as_i64(), cassa["till"].as_str()),
        (Some(3), Some("Cassa")),
        "{cassa}"
    );
    let after = web.ok(&admin, "admin_counter_day", &[]).await?;
    let numbers: Vec<i64> = after["closings"]
        .as_array()
        .ok_or("closings")?
        .iter()
        .filter_map(|c| c["number"].as_i64())
        .collect();
    assert_eq!(numbers, [3, 2, 1], "{after}");
    web.gateway.shutdown().await?;
    Ok(())
}
