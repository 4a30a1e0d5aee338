//! Receipts of paid POS sales (issue 36) against a gateway on the embedded simnode: `openfatture
//! pos receipt` (text, JSON and a new customer link), the public page `/r/{token}` (content in
//! Italian and English, strict CSP, 80 mm print stylesheet, bare 404 for any other token, 429 past
//! the per-address limit) and the ESC/POS bytes a till printer gets over TCP, recorded by a
//! listener the test starts.

use crate::common;
use common::web::{Web, CASHIER, CASHIER_PIN};

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The public pages' exact Content-Security-Policy.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const SHOP: &str = "Bar Sport Caffè";
const VAT: &str = "06363391001";
const ADDRESS: &str = "Via Roma 1, 00100 Roma";
const NOT_FISCAL_IT: &str = "Ricevuta di pagamento — non costituisce documento commerciale";

/// The shop settings, for the gateway and the CLI alike.
fn shop_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("LIGHTNING_COINGECKO_ENABLED", "false"),
        ("LIGHTNING_FALLBACK_RATE", "45000"),
        ("SHOP_NAME", SHOP),
        ("SHOP_VAT_NUMBER", VAT),
        ("SHOP_ADDRESS", ADDRESS),
    ]
}

/// Runs `openfatture ARGS` on the gateway's home with the shop settings and `public_base_url` at
/// the gateway's address.
async fn cli(web: &Web, args: &[&str]) -> Res<std::process::Output> {
    let home = web.home.data_dir.clone();
    let base = web.url("");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .envs(common::rates::KEYLESS_OFF)
            .envs(shop_env())
            .env("PUBLIC_BASE_URL", &base)
            .args(&args);
        cmd.output()
    })
    .await??;
    Ok(output)
}

/// `cli`, which must succeed: its standard output.
async fn cli_ok(web: &Web, args: &[&str]) -> Res<String> {
    let output = cli(web, args).await?;
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?)
}

/// Rings up and pays a sale; the sale as `pos_charge` answered.
async fn paid_sale(web: &Web, cookie: &str, form: &[(&str, &str)]) -> Res<Value> {
    let sale = web.ok(cookie, "pos_charge", form).await?;
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    let id = sale["invoice_id"].as_str().ok_or("id")?;
    simnode::pay(&web.simnode_dir()?, bolt11, simnode::PayOptions::default()).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let state = web.ok(cookie, "invoice_state", &[("invoice_id", id)]).await?;
        if state["state"] == "SETTLED" {
            return Ok(sale);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{id} not settled: {state}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A GET of `path` with `Accept-Language`: status, CSP header and body.
async fn get(web: &Web, path: &str, accept_language: &str) -> Res<(u16, Option<String>, String)> {
    let response = web
        .http
        .get(web.url(path))
        .header("accept-language", accept_language)
        .send()
        .await?;
    let status = response.status().as_u16();
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((status, csp, response.text().await?))
}

/// A TCP "printer" on 127.0.0.1 that records what one connection sends until it closes.
async fn recording_printer() -> Res<(SocketAddr, tokio::task::JoinHandle<Vec<u8>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("the gateway connects");
        let mut bytes = Vec::new();
        socket.read_to_end(&mut bytes).await.expect("read");
        bytes
    });
    Ok((address, task))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_paid_sale_has_a_receipt_on_the_cli_the_public_page_and_the_till_printer() -> Res<()> {
    let web = Web::start_with(true, &shop_env()).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let sale = paid_sale(
        &web,
        &cashier,
        &[
            ("amount_eur", "12,10"),
            ("note", "Due caffè"),
            ("vat_rate", "10"),
            ("tip_eur", "1.21"),
        ],
    )
    .await?;
    let id = sale["invoice_id"].as_str().ok_or("id")?;

    // The CLI's JSON: every figure, and a new link at the public address.
    let json: Value = serde_json::from_str(&cli_ok(&web, &["--json", "pos", "receipt", id]).await?)?;
    assert_eq!(json["sale_id"], id);
    assert_eq!(json["shop_name"], SHOP);
    assert_eq!(json["till"], "Cassa");
    assert_eq!(json["cashier"], CASHIER);
    assert_eq!(json["note"], "Due caffè");
    assert_eq!(json["gross_eur"], "12.10");
    assert_eq!(json["vat_eur"], serde_json::json!({ "10%": "1.10" }));
    assert_eq!(json["tip_eur"], "1.21");
    assert_eq!(json["total_eur"], "13.31");
    assert_eq!(json["sats"], 29_578);
    assert_eq!(json["rate_eur_per_btc"], "45000");
    let url = json["url"].as_str().ok_or("url")?.to_string();
    let base = web.url("/r/");
    let token = url.strip_prefix(&base).ok_or(format!("{url} is not under {base}"))?;
    assert_eq!(token.len(), 43, "{token}");
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));

    // Only the token's hash is stored.
    let dump = web.db_dump().await?;
    assert!(!dump.iter().any(|row| row.contains(token)), "the token is stored");

    // The CLI's text, in Italian by default.
    let text = cli_ok(&web, &["pos", "receipt", id]).await?;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        SHOP,
        ADDRESS,
        "P.IVA 06363391001",
        "Totale pagato",
        "13,31",
        NOT_FISCAL_IT,
        "Receipt link: ",
    ] {
        assert!(flat.contains(expected), "'{expected}' missing:\n{text}");
    }
    assert!(!flat.contains(" UTC"), "the time is on the shop's clock:\n{text}");
    let english = cli_ok(&web, &["pos", "receipt", id, "--lang", "en"]).await?;
    let flat_english = english.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat_english.contains("Total paid") && flat_english.contains("not a commercial document"),
        "{english}"
    );

    // The public page, in the browser's language, with the strict CSP and the print stylesheet.
    let path = format!("/r/{token}");
    let (status, csp, page) = get(&web, &path, "it-IT,it;q=0.9").await?;
    assert_eq!(status, 200, "{page}");
    assert_eq!(csp.as_deref(), Some(CSP));
    let payment_hash = {
        let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
        let invoice = store.ln_invoice(id).await?.ok_or("invoice")?;
        store.close().await;
        invoice.payment_hash
    };
    for expected in [
        "Bar Sport Caff",
        "P.IVA 06363391001",
        "Via Roma 1",
        "Cassa",
        CASHIER,
        "Due caff",
        "Importo (IVA inclusa)",
        "IVA 10%",
        "1,10",
        "Mancia",
        "1,21",
        "Totale pagato",
        "13,31",
        "29.578",
        "45.000",
        &payment_hash,
        NOT_FISCAL_IT,
        "/pay-assets/receipt.css",
    ] {
        assert!(page.contains(expected), "'{expected}' missing from the page:\n{page}");
    }
    // Nothing of the staff side or of the Lightning invoice beyond its hash.
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    for private in [bolt11, "preimage", "msat", "admin"] {
        assert!(!page.contains(private), "the page shows '{private}'");
    }
    let (_, _, english_page) = get(&web, &path, "en-GB,en;q=0.8").await?;
    assert!(
        english_page.contains("Total paid") && english_page.contains("13.31"),
        "{english_page}"
    );
    let (status, _, css) = get(&web, "/pay-assets/receipt.css", "it").await?;
    assert_eq!(status, 200);
    assert!(
        css.contains("@page{size:80mm auto") && css.contains("@media print"),
        "{css}"
    );

    // Any other token, well-shaped or not, answers what an unknown payment link answers.
    let (_, _, unknown_path) = get(&web, &format!("/pay/{}", "A".repeat(43)), "it").await?;
    for other in [
        format!("/r/{}", "A".repeat(43)),
        format!("/r/{}", &token[..42]),
        "/r/x".to_string(),
    ] {
        let (status, _, body) = get(&web, &other, "it").await?;
        assert_eq!((status, body.as_str()), (404, "Not found\n"), "{other}");
        assert_eq!(body, unknown_path);
    }

    // An unpaid sale has no receipt.
    let unpaid = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "2"), ("note", "")])
        .await?;
    let output = cli(&web, &["pos", "receipt", unpaid["invoice_id"].as_str().ok_or("id")?]).await?;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is not paid"),
        "{output:?}"
    );
    let output = cli(&web, &["pos", "receipt", "LN-999999"]).await?;
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("there is no POS sale"),
        "{output:?}"
    );

    // Printing without a printer says how to set one.
    let output = cli(&web, &["pos", "receipt", id, "--print"]).await?;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("has no receipt printer"),
        "{output:?}"
    );

    // The till's printer: ESC @, the code page, the lines, the QR of a receipt link, the cut.
    let (printer, recorded) = recording_printer().await?;
    cli_ok(
        &web,
        &["pos", "till", "set", "Cassa", "--printer", &printer.to_string()],
    )
    .await?;
    let printed = cli_ok(&web, &["--json", "pos", "receipt", id, "--print"]).await?;
    let printed: Value = serde_json::from_str(&printed)?;
    assert_eq!(printed["printed_to"], printer.to_string());
    let bytes = tokio::time::timeout(Duration::from_secs(10), recorded).await??;
    assert!(
        bytes.starts_with(&[0x1B, 0x40]),
        "{:02x?}",
        &bytes[..8.min(bytes.len())]
    );
    assert!(contains(&bytes, &[0x1B, 0x74, 19]), "code page PC858");
    assert!(contains(&bytes, b"Bar Sport Caff\x8a"), "the shop's name in PC858");
    assert!(contains(&bytes, b"Totale pagato"));
    assert!(contains(&bytes, b"13,31 \xd5"), "the total with the euro sign");
    assert!(contains(&bytes, &payment_hash.as_bytes()[..40]));
    assert!(contains(&bytes, b"non costituisce") && contains(&bytes, b"documento commerciale"));
    // GS ( k: store the QR data (a receipt link that opens this receipt), then print it.
    let store_cmd = [0x1D, 0x28, 0x6B];
    let at = bytes
        .windows(8)
        .position(|w| w[..3] == store_cmd && w[5..8] == [49, 80, 48])
        .ok_or("no QR store command")?;
    let length = usize::from(bytes[at + 3]) + 256 * usize::from(bytes[at + 4]) - 3;
    let qr_url = std::str::from_utf8(&bytes[at + 8..at + 8 + length])?;
    assert!(qr_url.starts_with(&base), "{qr_url}");
    assert_ne!(qr_url, url, "each receipt link is new");
    assert!(
        contains(&bytes, &[0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48]),
        "QR print command"
    );
    assert!(bytes.ends_with(&[0x1D, 0x56, 66, 3]), "ends with the cut");
    let printed_path = qr_url.strip_prefix(&web.url("")).ok_or("path")?;
    let (status, _, page) = get(&web, printed_path, "it").await?;
    assert_eq!(status, 200);
    assert!(page.contains("13,31"), "{page}");

    // A printer that is off: a clear message, quickly.
    let closed = TcpListener::bind("127.0.0.1:0").await?;
    let closed_address = closed.local_addr()?.to_string();
    drop(closed);
    cli_ok(&web, &["pos", "till", "set", "Cassa", "--printer", &closed_address]).await?;
    let started = std::time::Instant::now();
    let output = cli(&web, &["pos", "receipt", id, "--print"]).await?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("the receipt printer at {closed_address} is unreachable")),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    // Auto-print is a till setting.
    let till: Value =
        serde_json::from_str(&cli_ok(&web, &["--json", "pos", "till", "set", "Cassa", "--auto-print", "on"]).await?)?;
    assert_eq!(till["auto_print"], true, "{till}");

    // Page loads per address are limited: 429 within the minute's 60.
    let mut limited = false;
    for _ in 0..61 {
        let (status, _, _) = get(&web, &path, "it").await?;
        if status == 429 {
            limited = true;
            break;
        }
        assert_eq!(status, 200);
    }
    assert!(limited, "no 429 after 61 loads");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_pos_gets_a_receipt_link_prints_on_the_till_printer_and_prints_by_itself_on_settle() -> Res<()> {
    let web = Web::start_with(true, &shop_env()).await?;
    web.add_fattura(
        "2025/017",
        "Rossi Costruzioni SRL",
        "Consulenza",
        rust_decimal::Decimal::from(100),
    )
    .await?;
    let admin = web.sign_in(common::web::ADMIN, common::web::ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let fattura_invoice = super::admin_invoice(&web, &admin, "2025/017").await?;
    let sale = paid_sale(&web, &cashier, &[("amount_eur", "5"), ("note", "")]).await?;
    let id = sale["invoice_id"].as_str().ok_or("id")?;

    // The paid screen's link: the receipt page, opened as the customer's phone would.
    let link = web.ok(&cashier, "pos_receipt", &[("invoice_id", id)]).await?;
    assert_eq!(link["invoice_id"], id);
    assert_eq!(link["has_printer"], false);
    let url = link["url"].as_str().ok_or("url")?;
    assert!(url.starts_with("/r/") && url.len() == 46, "{url}");
    let (status, _, page) = get(&web, url, "it").await?;
    assert_eq!(status, 200);
    assert!(page.contains("5,00") && page.contains(SHOP), "{page}");
    let again = web.ok(&cashier, "pos_receipt", &[("invoice_id", id)]).await?;
    assert_ne!(again["url"], link["url"], "every link is new");

    // Not a POS sale, or none: the same 404 for a cashier; not paid yet, or no printer: refused.
    for other in [fattura_invoice.as_str(), "LN-999999"] {
        let (status, body, _) = web
            .call("pos_receipt", Some(&cashier), &[("invoice_id", other)])
            .await?;
        assert_eq!(status, 404, "{other}: {body}");
        assert_eq!(body["NotFound"]["code"], "error.sale.not_found", "{body}");
    }
    let unpaid = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "2"), ("note", "")])
        .await?;
    let unpaid_id = unpaid["invoice_id"].as_str().ok_or("id")?;
    let (status, body, _) = web
        .call("pos_receipt", Some(&cashier), &[("invoice_id", unpaid_id)])
        .await?;
    assert_eq!(
        (status, &body["Invalid"]["code"]),
        (400, &Value::from("error.receipt.not_paid")),
        "{body}"
    );
    let (status, body, _) = web
        .call("pos_print_receipt", Some(&cashier), &[("invoice_id", id)])
        .await?;
    assert_eq!(
        (status, &body["Invalid"]["code"]),
        (400, &Value::from("error.receipt.no_printer")),
        "{body}"
    );
    let (status, _, _) = web.call("pos_receipt", None, &[("invoice_id", id)]).await?;
    assert_eq!(status, 401, "signed out");

    // "Print on till printer".
    let (printer, recorded) = recording_printer().await?;
    cli_ok(
        &web,
        &["pos", "till", "set", "Cassa", "--printer", &printer.to_string()],
    )
    .await?;
    let link = web.ok(&cashier, "pos_receipt", &[("invoice_id", id)]).await?;
    assert_eq!(link["has_printer"], true);
    web.ok(&cashier, "pos_print_receipt", &[("invoice_id", id)]).await?;
    let bytes = tokio::time::timeout(Duration::from_secs(10), recorded).await??;
    assert!(bytes.starts_with(&[0x1B, 0x40]) && bytes.ends_with(&[0x1D, 0x56, 66, 3]));
    assert!(contains(&bytes, b"5,00 \xd5"));

    // A printer that is off: a refusal the till words, quickly.
    let closed = TcpListener::bind("127.0.0.1:0").await?;
    let closed_address = closed.local_addr()?.to_string();
    drop(closed);
    cli_ok(&web, &["pos", "till", "set", "Cassa", "--printer", &closed_address]).await?;
    let started = std::time::Instant::now();
    let (status, body, _) = web
        .call("pos_print_receipt", Some(&cashier), &[("invoice_id", id)])
        .await?;
    assert_eq!(
        (status, &body["Unavailable"]["code"]),
        (503, &Value::from("error.receipt.printer")),
        "{body}"
    );
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Auto-print: the next paid sale prints by itself, once.
    let (printer, recorded) = recording_printer().await?;
    cli_ok(
        &web,
        &[
            "pos",
            "till",
            "set",
            "Cassa",
            "--printer",
            &printer.to_string(),
            "--auto-print",
            "on",
        ],
    )
    .await?;
    paid_sale(&web, &cashier, &[("amount_eur", "7,70"), ("note", "")]).await?;
    let bytes = tokio::time::timeout(Duration::from_secs(15), recorded).await??;
    assert!(contains(&bytes, b"7,70 \xd5"), "the paid sale printed by itself");
    let claims: i64 = {
        let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM receipt_auto_prints")
            .fetch_one(store.pool())
            .await?;
        store.close().await;
        n
    };
    assert_eq!(claims, 1);
    web.gateway.shutdown().await?;
    Ok(())
}
