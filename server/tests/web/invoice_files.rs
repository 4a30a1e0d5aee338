//! Invoices in the back office (issue 35 §3) over real HTTP: the FatturaPA upload route (admin
//! only, the importer's refusals, the size limit, several files at once), adding an invoice by
//! hand, the courtesy-copy PDF route, a new payment link, and the share email delivered to a real
//! SMTP server the test starts.

use crate::common;

use common::smtp::SmtpSink;
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};
use common::TestResult;
use openfatture::fatturapa::MAX_FATTURA_BYTES;
use rust_decimal::Decimal;
use serde_json::Value;

/// Where the tests' payment links point (`public_base_url`).
const BASE: &str = "https://pay.example.it";

/// POSTs `bytes` as file `name` to the upload route as `cookie`: status and JSON (or text) body.
async fn upload(web: &Web, cookie: Option<&str>, name: &str, bytes: Vec<u8>) -> common::Res<(u16, Value)> {
    let mut request = web
        .http
        .post(web.url("/api/admin/fatture/import"))
        .query(&[("name", name)])
        .body(bytes);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

/// The fatture rows as the admin lists them: `numero → due_eur`.
async fn fatture(web: &Web, admin: &str) -> common::Res<Vec<(String, String)>> {
    let rows = web.ok(admin, "admin_fatture", &[("search", "")]).await?;
    Ok(rows["rows"]
        .as_array()
        .ok_or("rows")?
        .iter()
        .map(|r| {
            (
                r["numero"].as_str().unwrap_or("").to_string(),
                r["due_eur"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

#[tokio::test]
async fn uploads_are_admin_only_import_like_the_cli_and_refuse_bad_or_large_files_storing_nothing() -> TestResult {
    let web = Web::start(true).await?;
    let good = common::read_fixture("IT01234567890_FPR01.xml");
    let before = web.db_dump().await?;

    // Signed out: 401; a cashier: 403; a cross-site post: 403. Nothing stored.
    let (status, body) = upload(&web, None, "IT01234567890_FPR01.xml", good.clone()).await?;
    assert_eq!(status, 401, "{body}");
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let (status, body) = upload(&web, Some(&cashier), "IT01234567890_FPR01.xml", good.clone()).await?;
    assert_eq!(status, 403, "{body}");
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cross_site = web
        .http
        .post(web.url("/api/admin/fatture/import?name=a.xml"))
        .header("cookie", &admin)
        .header("origin", "https://evil.example")
        .body(good.clone())
        .send()
        .await?;
    assert_eq!(cross_site.status().as_u16(), 403);
    assert_eq!(web.db_dump().await?, before, "a refused upload changed the database");

    // Too large: 413 with the code the page words, nothing stored.
    let mut huge = good.clone();
    huge.resize(MAX_FATTURA_BYTES + 1, b' ');
    let (status, body) = upload(&web, Some(&admin), "huge.xml", huge).await?;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body[0]["status"], "refused", "{body}");
    let reason: app::Refusal = serde_json::from_value(body[0]["reason"].clone())?;
    assert_eq!(reason.code, "invoices.upload.too_large", "{body}");
    assert!(reason.text(app::i18n::Lang::It).contains("16 MiB"), "{body}");
    assert_eq!(web.db_dump().await?, before, "a too large upload changed the database");

    // A bad file: refused with the parser's reason, nothing stored.
    let (status, body) = upload(
        &web,
        Some(&admin),
        "bad_importo.xml",
        common::read_fixture("bad_importo.xml"),
    )
    .await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body[0]["status"], "refused", "{body}");
    // The parser's reason as a code naming the element and the line, worded in Italian by the
    // page; the parser's English words are not sent.
    let reason: app::Refusal = serde_json::from_value(body[0]["reason"].clone())?;
    assert!(reason.code.starts_with("import.parse."), "{body}");
    assert!(
        reason.value("line").is_some() && reason.value("path").is_some(),
        "{body}"
    );
    let italian = reason.text(app::i18n::Lang::It);
    assert!(italian.contains("riga") && !italian.contains('{'), "{italian}");
    assert_ne!(italian, reason.text(app::i18n::Lang::En));
    assert_eq!(web.db_dump().await?, before, "a refused file changed the database");

    // A good file: imported, listed with its amount due; again: already there.
    let (status, body) = upload(&web, Some(&admin), "IT01234567890_FPR01.xml", good.clone()).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["status"], "imported", "{body}");
    assert_eq!(body[0]["documents"][0]["outcome"], "imported", "{body}");
    assert!(fatture(&web, &admin).await?.iter().any(|(n, _)| n == "12/2024"));
    let (_, again) = upload(&web, Some(&admin), "IT01234567890_FPR01.xml", good).await?;
    assert_eq!(again[0]["documents"][0]["outcome"], "already_present", "{again}");

    // Several at once: each its own result; the bad one does not stop the others.
    let (rate, multi, bad) = tokio::join!(
        upload(
            &web,
            Some(&admin),
            "IT04567890123_RATE.xml",
            common::read_fixture("IT04567890123_RATE.xml")
        ),
        upload(
            &web,
            Some(&admin),
            "IT07654321098_MULTI.xml",
            common::read_fixture("IT07654321098_MULTI.xml")
        ),
        upload(&web, Some(&admin), "bad_date.xml", common::read_fixture("bad_date.xml")),
    );
    let (rate, multi, bad) = (rate?, multi?, bad?);
    assert_eq!(
        (rate.0, rate.1[0]["status"].clone()),
        (200, "imported".into()),
        "{}",
        rate.1
    );
    assert_eq!(
        (multi.0, multi.1[0]["status"].clone()),
        (200, "imported".into()),
        "{}",
        multi.1
    );
    assert!(
        multi.1[0]["documents"].as_array().ok_or("docs")?.len() > 1,
        "{}",
        multi.1
    );
    assert_eq!(
        (bad.0, bad.1[0]["status"].clone()),
        (422, "refused".into()),
        "{}",
        bad.1
    );
    assert!(fatture(&web, &admin).await?.iter().any(|(n, _)| n == "25/0007"));
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn an_invoice_added_by_hand_is_checked_in_the_page_language_and_stored_once() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let form = |numero: &'static str, tax: &'static str, amount: &'static str, lang: &'static str| {
        vec![
            ("numero", numero),
            ("data", "2025-05-02"),
            ("client", "Rossi SRL"),
            ("client_tax_id", tax),
            ("amount_eur", amount),
            ("description", "Consulenza"),
            ("lang", lang),
        ]
    };
    let before = web.db_dump().await?;
    let text = web
        .refused(&admin, "admin_add_fattura", &form("H-1", "123", "10", "it"), 400)
        .await?;
    assert!(text.contains("né una P.IVA"), "{text}");
    let text = web
        .refused(&admin, "admin_add_fattura", &form("H-1", "", "12,345", "en"), 400)
        .await?;
    assert!(!text.is_empty());
    let text = web
        .refused(&admin, "admin_add_fattura", &form("  ", "", "10", "en"), 400)
        .await?;
    assert!(text.contains("numero"), "{text}");
    assert_eq!(web.db_dump().await?, before, "a refused form changed the database");

    let added = web
        .ok(
            &admin,
            "admin_add_fattura",
            &form("H-1", "IT01234567890", "1250,50", "en"),
        )
        .await?;
    assert_eq!(added["numero"], "H-1", "{added}");
    assert_eq!(added["due_eur"], "1250.50", "{added}");
    let text = web
        .refused(&admin, "admin_add_fattura", &form("H-1", "", "10", "en"), 400)
        .await?;
    assert!(text.contains("already exists"), "{text}");
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    web.refused(&cashier, "admin_add_fattura", &form("H-2", "", "10", "en"), 403)
        .await?;
    web.gateway.shutdown().await?;
    Ok(())
}

/// A gateway whose `public_base_url` and `smtp_*` come from config.toml (`smtp_port` given).
async fn start_sharing(smtp_port: u16) -> common::Res<Web> {
    Web::start_with_config(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
        ],
        Some(&sharing_config(smtp_port)),
    )
    .await
}

fn sharing_config(smtp_port: u16) -> String {
    format!(
        "public_base_url = \"{BASE}\"\nshop_name = \"Studio Verdi\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\nsmtp_security = \"none\"\nsmtp_from = \"fatture@verdi.example\"\n"
    )
}

/// Adds fattura F-1 of 100 EUR and creates its Lightning invoice as the admin: the answer.
async fn invoice_for_f1(web: &Web, admin: &str) -> common::Res<Value> {
    web.add_fattura("F-1", "Rossi SRL", "Consulenza", Decimal::new(10_000, 2))
        .await?;
    web.ok(
        admin,
        "admin_create_invoice",
        &[
            ("numero", "F-1"),
            ("anno", ""),
            ("amount_eur", ""),
            ("expiry_hours", ""),
        ],
    )
    .await
}

/// The database once invoice `id`'s OPEN record (committed after the create answered) is in.
async fn settled_dump(web: &Web, admin: &str, id: &str) -> common::Res<Vec<String>> {
    for _ in 0..100 {
        let detail = web.ok(admin, "admin_ln_invoice", &[("invoice_id", id)]).await?;
        if detail["invoice"]["state"] == "OPEN" {
            let dump = web.db_dump().await?;
            if dump.iter().any(|row| row.contains("invoice_created")) {
                return Ok(dump);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err("the invoice never opened".into())
}

/// The status of GET `url`'s path on `web` (a link under [`BASE`]).
async fn open_link(web: &Web, url: &str) -> common::Res<u16> {
    let path = url.strip_prefix(BASE).ok_or("link under public_base_url")?;
    Ok(web.http.get(web.url(path)).send().await?.status().as_u16())
}

#[tokio::test]
async fn the_courtesy_pdf_is_admin_only_carries_the_numero_and_the_same_live_link_every_time() -> TestResult {
    let web = start_sharing(1).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let created = invoice_for_f1(&web, &admin).await?;
    let id = created["invoice"]["id"].as_str().ok_or("id")?.to_string();
    assert_eq!(created["link_state"], "live", "{created}");
    let first_link = created["payment_url"].as_str().ok_or("link")?.to_string();
    assert!(first_link.starts_with(&format!("{BASE}/pay/")), "{created}");
    assert_eq!(open_link(&web, &first_link).await?, 200);

    let path = format!("/api/admin/invoices/{id}/courtesy.pdf");
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    assert_eq!(web.http.get(web.url(&path)).send().await?.status().as_u16(), 401);
    let as_cashier = web.http.get(web.url(&path)).header("cookie", &cashier).send().await?;
    assert_eq!(as_cashier.status().as_u16(), 403);

    let response = web.http.get(web.url(&path)).header("cookie", &admin).send().await?;
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"fattura-F-1.pdf\""
    );
    let pdf = response.bytes().await?.to_vec();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(common::pdf::text_of(&pdf).contains("F-1"));
    let qr_link = common::pdf::qr_of(&pdf);
    assert!(qr_link.starts_with(&format!("{BASE}/pay/")), "{qr_link}");
    // The PDF carries the live link, derived again: the same link, and it opens the page.
    assert_eq!(qr_link, first_link);
    assert_eq!(open_link(&web, &qr_link).await?, 200);
    // A second PDF in a row: the same link again (an earlier printout's QR keeps working).
    let again = web.http.get(web.url(&path)).header("cookie", &admin).send().await?;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(common::pdf::qr_of(&again.bytes().await?), first_link);
    // The invoice's detail shows the live link too.
    let detail = web.ok(&admin, "admin_ln_invoice", &[("invoice_id", &id)]).await?;
    assert_eq!(detail["payment_url"], first_link.as_str(), "{detail}");

    // An unknown invoice: 404 with words.
    let missing = web
        .http
        .get(web.url("/api/admin/invoices/NOPE-LN/courtesy.pdf"))
        .header("cookie", &admin)
        .send()
        .await?;
    assert_eq!(missing.status().as_u16(), 404);

    // "New link": another link; the PDF's stops working and the next PDF carries the new one.
    let fresh = web.ok(&admin, "admin_new_payment_link", &[("invoice_id", &id)]).await?;
    let fresh_link = fresh["payment_url"].as_str().ok_or("link")?.to_string();
    assert_eq!(fresh["link_state"], "live");
    assert_ne!(fresh_link, qr_link);
    assert_eq!(open_link(&web, &fresh_link).await?, 200);
    assert_eq!(open_link(&web, &qr_link).await?, 404);
    let third = web.http.get(web.url(&path)).header("cookie", &admin).send().await?;
    assert_eq!(common::pdf::qr_of(&third.bytes().await?), fresh_link);
    web.gateway.shutdown().await?;
    Ok(())
}

/// How many `invoice_sent` events are stored.
async fn sent_events(web: &Web) -> common::Res<usize> {
    Ok(web
        .db_dump()
        .await?
        .iter()
        .filter(|row| row.contains("invoice_sent") && row.starts_with("events"))
        .count())
}

#[tokio::test]
async fn the_share_email_reaches_a_real_smtp_server_is_queued_while_it_is_down_and_retried() -> TestResult {
    let sink = SmtpSink::start(0).await;
    let web = start_sharing(sink.addr.port()).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let created = invoice_for_f1(&web, &admin).await?;
    let id = created["invoice"]["id"].as_str().ok_or("id")?.to_string();
    let first_link = created["payment_url"].as_str().ok_or("link")?.to_string();

    // Not an address: refused before anything is made.
    let before = settled_dump(&web, &admin, &id).await?;
    let text = web
        .refused(
            &admin,
            "admin_email_payment_link",
            &[("invoice_id", &id), ("address", "not-an-address")],
            400,
        )
        .await?;
    assert!(text.contains("is not an email address"), "{text}");
    assert!(sink.messages().is_empty());
    assert_eq!(web.db_dump().await?, before);

    // Sent: the email carries the live link (the same as before) and the PDF.
    let sent = web
        .ok(
            &admin,
            "admin_email_payment_link",
            &[("invoice_id", &id), ("address", "cliente@example.it")],
        )
        .await?;
    assert_eq!(sent["emailed_to"], "cliente@example.it", "{sent}");
    let link = sent["payment_url"].as_str().ok_or("link")?.to_string();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, vec!["cliente@example.it".to_string()]);
    assert!(messages[0].data.contains(&link), "{}", messages[0].data);
    assert!(messages[0].data.contains("fattura-F-1.pdf"));
    assert_eq!(link, first_link);
    assert_eq!(open_link(&web, &link).await?, 200);

    assert_eq!(sent["mail_state"], "sent", "{sent}");

    // The SMTP server unreachable: the email is queued with its new link (the answer says so,
    // as a code), the invoice page lists it with its state, and no `invoice_sent` yet.
    web.write_config(&sharing_config(1))?;
    let queued = web
        .ok(
            &admin,
            "admin_email_payment_link",
            &[("invoice_id", &id), ("address", "cliente@example.it")],
        )
        .await?;
    assert_eq!(queued["mail_state"], "queued", "{queued}");
    assert_eq!(queued["mail_error"], "unreachable", "{queued}");
    assert_eq!(queued["emailed_to"], "", "{queued}");
    let queued_link = queued["payment_url"].as_str().ok_or("link")?.to_string();
    assert_eq!(open_link(&web, &queued_link).await?, 200);
    assert_eq!(sink.messages().len(), 1);
    let detail = web.ok(&admin, "admin_ln_invoice", &[("invoice_id", &id)]).await?;
    let emails = detail["emails"].as_array().ok_or("emails")?;
    assert_eq!(emails.len(), 2, "{detail}");
    assert_eq!(emails[0]["state"], "queued", "{detail}");
    assert_eq!(emails[0]["error_code"], "unreachable", "{detail}");
    assert_eq!(emails[0]["attempts"], 1, "{detail}");
    assert!(
        !detail.to_string().contains("127.0.0.1:1"),
        "the SMTP server's words stay in the log: {detail}"
    );
    assert_eq!(emails[1]["state"], "sent", "{detail}");
    assert_eq!(sent_events(&web).await?, 1);

    // The settings fixed: the gateway's mail worker delivers the queued email with the new link,
    // and records its one `invoice_sent`.
    web.write_config(&sharing_config(sink.addr.port()))?;
    let mut delivered = false;
    for _ in 0..150 {
        if sink.messages().len() == 2 {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "the queued email was never delivered");
    assert!(sink.messages()[1].data.contains(&queued_link));
    assert!(sink.messages()[1].data.contains("fattura-F-1.pdf"));
    let mut states = Vec::new();
    for _ in 0..50 {
        let detail = web.ok(&admin, "admin_ln_invoice", &[("invoice_id", &id)]).await?;
        states = detail["emails"]
            .as_array()
            .ok_or("emails")?
            .iter()
            .map(|m| m["state"].as_str().unwrap_or("").to_string())
            .collect();
        if states == ["sent", "sent"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(states, ["sent", "sent"]);
    // Exactly once: more worker rounds send nothing more.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(sent_events(&web).await?, 2);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_clients_email_from_the_fatturapa_file_starts_the_share_form() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let xml = String::from_utf8(common::read_fixture("IT01234567890_FPR01.xml"))?.replace(
        "</CessionarioCommittente>",
        "<Contatti><Email>cliente@rossi.example</Email></Contatti></CessionarioCommittente>",
    );
    let (status, body) = upload(&web, Some(&admin), "IT01234567890_FPR01.xml", xml.into_bytes()).await?;
    assert_eq!(status, 200, "{body}");
    web.add_fattura("F-2", "Bianchi", "by hand", Decimal::new(5_000, 2))
        .await?;
    let create = |numero: &'static str| {
        [
            ("numero", numero),
            ("anno", ""),
            ("amount_eur", ""),
            ("expiry_hours", ""),
        ]
    };
    let imported = web.ok(&admin, "admin_create_invoice", &create("12/2024")).await?;
    assert_eq!(imported["client_email"], "cliente@rossi.example", "{imported}");
    let by_hand = web.ok(&admin, "admin_create_invoice", &create("F-2")).await?;
    assert_eq!(by_hand["client_email"], "", "{by_hand}");
    web.gateway.shutdown().await?;
    Ok(())
}
