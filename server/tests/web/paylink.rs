//! The client's payment page (issue 35 §1): payment links made with every office invoice (only
//! their hash stored), the public page `/pay/{token}` with its strict headers, QR and amounts,
//! its live status turning Paid when the simnode pays, revocation and unknown tokens answering
//! like any unknown path, new quotes after a partial payment and a cancellation, and the limits.

use crate::common;
use common::web::Web;
use common::TestResult;

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The payment page's exact Content-Security-Policy.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A gateway with a shop name and the 45,000 EUR/BTC fallback rate.
async fn start() -> common::Res<Web> {
    Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("SHOP_NAME", "Bottega Rossi"),
        ],
    )
    .await
}

/// Runs `openfatture ARGS` against the running gateway's home with `public_base_url` set to its
/// address; its output.
async fn cli(web: &Web, args: &[&str]) -> common::Res<std::process::Output> {
    let home = web.home.data_dir.clone();
    let base = web.url("");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .envs(common::rates::KEYLESS_OFF)
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .env("LIGHTNING_FALLBACK_RATE", "45000")
            .env("PUBLIC_BASE_URL", &base)
            .args(&args);
        cmd.output()
    })
    .await??;
    Ok(output)
}

/// `lightning invoice create ARGS --json`, which must succeed: the answer.
async fn create(web: &Web, args: &[&str]) -> common::Res<Value> {
    let mut all = vec!["--json", "lightning", "invoice", "create"];
    all.extend_from_slice(args);
    let output = cli(web, &all).await?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// The token of a payment URL of `web`, checked: 43 base64url characters, 32 random bytes.
fn token_of(web: &Web, url: &str) -> String {
    let prefix = web.url("/pay/");
    let token = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} is not under {prefix}"));
    assert_eq!(token.len(), 43, "{token}");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .expect("base64url");
    assert_eq!(bytes.len(), 32);
    token.to_string()
}

/// GET `path`: status, headers and body.
async fn get(web: &Web, path: &str, accept_language: &str) -> common::Res<(u16, reqwest::header::HeaderMap, String)> {
    let response = web
        .http
        .get(web.url(path))
        .header("accept-language", accept_language)
        .send()
        .await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Ok((status, headers, response.text().await?))
}

/// The QR code of a page (its inline SVG of horizontal runs) decoded.
fn decode_qr(html: &str) -> String {
    let start = html.find("<svg").expect("an inline SVG QR code");
    let svg = &html[start..start + html[start..].find("</svg>").expect("svg end")];
    let view_box = svg.split("viewBox=\"0 0 ").nth(1).expect("viewBox");
    let side: usize = view_box.split(' ').next().unwrap().parse().unwrap();
    let path = svg.split(" d=\"").nth(1).expect("path").split('"').next().unwrap();
    let mut dark = vec![false; side * side];
    for run in path.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = run.split_once('h').unwrap();
        let (x, y) = xy.split_once(',').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        let len: usize = rest.split('v').next().unwrap().parse().unwrap();
        for dx in 0..len {
            dark[y * side + x + dx] = true;
        }
    }
    const PX: usize = 4;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side * PX, side * PX, |x, y| {
        if dark[(y / PX) * side + x / PX] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("decodes").1
}

/// Reads an SSE response until a `state` message about `event` arrives or `within` passes;
/// whether it did.
async fn wait_for(stream: &mut reqwest::Response, event: &str, within: Duration) -> bool {
    let mut buffer = String::new();
    let wanted = format!("data: {{\"event\":\"{event}\"}}");
    let found = tokio::time::timeout(within, async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            if buffer.contains("event: state") && buffer.contains(&wanted) {
                return true;
            }
        }
        false
    })
    .await;
    matches!(found, Ok(true))
}

#[tokio::test]
async fn a_payment_link_shows_the_invoice_and_turns_paid_live_with_the_proof() -> TestResult {
    let web = start().await?;
    web.add_fattura(
        "2025/7",
        "Cliente Srl",
        "Consulenza",
        rust_decimal::Decimal::new(12345, 2),
    )
    .await?;
    let created = create(&web, &["--numero", "2025/7"]).await?;
    let url = created["payment_url"].as_str().ok_or("payment_url")?;
    let token = token_of(&web, url);
    let bolt11 = created["invoice"]["payment_request"]
        .as_str()
        .ok_or("bolt11")?
        .to_string();
    let payment_hash = created["invoice"]["payment_hash"].as_str().ok_or("hash")?.to_string();
    let ln_id = created["invoice"]["id"].as_str().ok_or("id")?.to_string();

    // Only the token's SHA-256 is stored; the token itself nowhere.
    let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM payment_links")
        .fetch_all(store.pool())
        .await?;
    assert_eq!(hashes, vec![hex::encode(Sha256::digest(token.as_bytes()))]);
    let dump = common::dump_exact(&store, &["payment_links", "ln_invoices", "events"])
        .await
        .join("\n");
    assert!(!dump.contains(&token), "the token is stored in clear");
    store.close().await;

    // A standalone invoice gets its own link, whose event stream must hear nothing of this one.
    let other = create(&web, &["--amount", "5"]).await?;
    let other_token = token_of(&web, other["payment_url"].as_str().ok_or("other url")?);
    assert_ne!(other_token, token);

    // The page, in Italian from Accept-Language.
    let (status, headers, page) = get(&web, &format!("/pay/{token}"), "it-IT,it;q=0.9,en;q=0.5").await?;
    assert_eq!(status, 200, "{page}");
    assert_eq!(headers["content-security-policy"], CSP);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-robots-tag"], "noindex");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(page.contains("Bottega Rossi"));
    assert!(page.contains("Fattura 2025/7 del 01/03/2025"), "{page}");
    // 123.45 EUR at 45,000 EUR/BTC: 274,333.3 sats, rounded up.
    assert!(page.contains("123,45\u{a0}€"), "{page}");
    assert!(page.contains("274.334 sat"), "{page}");
    assert!(page.contains("45.000,00"), "the locked rate: {page}");
    assert!(page.contains(&format!("href=\"lightning:{bolt11}\"")));
    assert_eq!(decode_qr(&page), format!("LIGHTNING:{}", bolt11.to_ascii_uppercase()));
    assert!(
        page.contains("/pay-assets/pay.js") && !page.contains("<script>"),
        "one same-origin script, nothing inline"
    );
    // No admin data: not our invoice id, nor the client's data.
    for secret in [ln_id.as_str(), "Cliente Srl", "Consulenza", &payment_hash] {
        assert!(!page.contains(secret), "the page shows {secret}");
    }
    assert!(page.len() < 100 * 1024, "first load {} bytes", page.len());
    // In English, by choice.
    let (_, _, english) = get(&web, &format!("/pay/{token}?lang=en"), "it").await?;
    assert!(
        english.contains("€123.45") && english.contains("274,334 sat"),
        "{english}"
    );
    assert!(english.contains("Invoice 2025/7 of Mar 1, 2025"));

    // Live: both streams open, the simnode pays the fattura's invoice.
    let mut stream = web.http.get(web.url(&format!("/pay/{token}/events"))).send().await?;
    assert_eq!(stream.status().as_u16(), 200);
    let mut other_stream = web
        .http
        .get(web.url(&format!("/pay/{other_token}/events")))
        .send()
        .await?;
    assert_eq!(other_stream.status().as_u16(), 200);
    simnode::pay(&web.simnode_dir()?, &bolt11, simnode::PayOptions::default()).await?;
    let paid_at = Instant::now();
    assert!(
        wait_for(&mut stream, "payment_received", Duration::from_secs(5)).await,
        "no state change on the stream"
    );
    assert!(
        paid_at.elapsed() < Duration::from_secs(2),
        "took {:?}",
        paid_at.elapsed()
    );
    assert!(
        !wait_for(&mut other_stream, "payment_received", Duration::from_millis(500)).await,
        "another link's stream heard of this payment"
    );

    let (status, _, paid) = get(&web, &format!("/pay/{token}"), "en").await?;
    assert_eq!(status, 200);
    assert!(paid.contains("Paid"), "{paid}");
    let preimage = paid
        .split("id=\"preimage\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .ok_or("no preimage")?;
    assert_eq!(
        hex::encode(Sha256::digest(hex::decode(preimage)?)),
        payment_hash,
        "the preimage proves the payment"
    );
    assert!(paid.contains(&payment_hash));
    assert!(!paid.contains("id=\"requote\""), "nothing is due any more");
    let (status, headers, receipt) = get(&web, &format!("/pay/{token}/receipt"), "en").await?;
    assert_eq!(status, 200);
    assert_eq!(headers["content-security-policy"], CSP);
    assert!(receipt.contains(preimage) && receipt.contains("Bottega Rossi"));
    Ok(())
}

#[tokio::test]
async fn unknown_and_revoked_links_answer_exactly_like_an_unknown_path() -> TestResult {
    let web = start().await?;
    web.add_fattura("A-1", "Cliente", "Lavori", rust_decimal::Decimal::new(5000, 2))
        .await?;
    let output = cli(&web, &["lightning", "invoice", "create", "--numero", "A-1"]).await?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout)?;
    let line = text.lines().find(|l| l.contains("Payment link:")).ok_or(text.clone())?;
    let url = line.split("Payment link: ").nth(1).ok_or("url")?.trim();
    let token = token_of(&web, url);
    assert_eq!(get(&web, &format!("/pay/{token}"), "it").await?.0, 200);

    let (status, headers, unknown_path) = get(&web, "/no-such-file.txt", "it").await?;
    assert_eq!(status, 404);
    let content_type = headers["content-type"].clone();
    let random = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]);
    for path in [
        format!("/pay/{random}"),
        "/pay/short".to_string(),
        format!("/pay/{random}/events"),
        format!("/pay/{random}/receipt"),
    ] {
        let (status, headers, body) = get(&web, &path, "it").await?;
        assert_eq!((status, body.as_str()), (404, unknown_path.as_str()), "{path}");
        assert_eq!(headers["content-type"], content_type, "{path}");
    }

    // The live link is shown again (derived from the link key); revoking makes it a bare 404; a
    // new one works.
    let id = "A-1-LN";
    let shown = cli(&web, &["--json", "lightning", "invoice", "link", id]).await?;
    let shown: Value = serde_json::from_slice(&shown.stdout)?;
    assert_eq!(shown["link"], "live", "{shown}");
    assert_eq!(token_of(&web, shown["payment_url"].as_str().ok_or("shown url")?), token);
    let revoked = cli(&web, &["lightning", "invoice", "link", id, "--revoke"]).await?;
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    let (status, _, body) = get(&web, &format!("/pay/{token}"), "it").await?;
    assert_eq!((status, body.as_str()), (404, unknown_path.as_str()));
    let fresh = cli(&web, &["--json", "lightning", "invoice", "link", id]).await?;
    let fresh: Value = serde_json::from_slice(&fresh.stdout)?;
    let fresh_token = token_of(&web, fresh["payment_url"].as_str().ok_or("fresh url")?);
    assert_eq!(get(&web, &format!("/pay/{fresh_token}"), "it").await?.0, 200);
    assert_eq!(
        get(&web, &format!("/pay/{token}"), "it").await?.0,
        404,
        "the revoked link came back"
    );

    // A POS sale gets no payment link, and none can be made for it.
    let cashier = web.sign_in(common::web::CASHIER, common::web::CASHIER_PIN).await?;
    let sale = web
        .ok(&cashier, "pos_charge", &[("amount_eur", "3,50"), ("note", "")])
        .await?;
    let sale_id = sale["invoice_id"].as_str().ok_or("sale id")?.to_string();
    let refused = cli(&web, &["lightning", "invoice", "link", &sale_id]).await?;
    assert!(!refused.status.success());
    assert!(String::from_utf8(refused.stderr)?.contains("POS sales have no payment link"));
    let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
    let pos_links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_links WHERE ln_invoice_id = $1")
        .bind(&sale_id)
        .fetch_one(store.pool())
        .await?;
    store.close().await;
    assert_eq!(pos_links, 0);

    // Page loads are limited per address: 60 a minute.
    let mut limited_after = None;
    for n in 0..70 {
        if get(&web, &format!("/pay/{fresh_token}"), "it").await?.0 == 429 {
            limited_after = Some(n);
            break;
        }
    }
    let n = limited_after.ok_or("never limited")?;
    assert!(
        (40..=60).contains(&n),
        "limited after {n} more loads (60 a minute in all)"
    );
    Ok(())
}

#[tokio::test]
async fn a_new_quote_asks_only_what_is_still_due_after_partial_payment_and_cancellation() -> TestResult {
    let web = start().await?;
    web.add_fattura("Q-9", "Cliente", "Lavori", rust_decimal::Decimal::new(10000, 2))
        .await?;
    // A first attempt for 40 of the 100 EUR due, paid.
    let first = create(&web, &["--numero", "Q-9", "--amount", "40"]).await?;
    let token = token_of(&web, first["payment_url"].as_str().ok_or("url")?);
    let bolt11 = first["invoice"]["payment_request"].as_str().ok_or("bolt11")?;
    let mut stream = web.http.get(web.url(&format!("/pay/{token}/events"))).send().await?;
    simnode::pay(&web.simnode_dir()?, bolt11, simnode::PayOptions::default()).await?;
    assert!(wait_for(&mut stream, "payment_received", Duration::from_secs(5)).await);
    drop(stream);
    let (_, _, page) = get(&web, &format!("/pay/{token}"), "it").await?;
    assert!(page.contains("Pagato") && page.contains("id=\"requote\""), "{page}");
    assert!(page.contains("Restano da pagare 60,00\u{a0}€"), "{page}");

    let quote = |origin: &'static str| {
        web.http
            .post(web.url(&format!("/pay/{token}/quote")))
            .header("origin", origin)
            .send()
    };
    // From another site: refused, nothing made.
    let foreign = quote("https://evil.example").await?;
    assert_eq!(foreign.status().as_u16(), 403);
    let origin: &'static str = Box::leak(web.url("").into_boxed_str());
    let made = quote(origin).await?;
    assert_eq!(made.status().as_u16(), 303);
    let (_, _, page) = get(&web, &format!("/pay/{token}"), "en").await?;
    // 60 EUR at 45,000 EUR/BTC: 133,333.3 sats, rounded up, on the same link.
    assert!(page.contains("€60.00") && page.contains("133,334 sat"), "{page}");
    assert!(!page.contains("id=\"requote\""), "the new quote is payable");
    // While it is payable, another request makes nothing.
    assert_eq!(quote(origin).await?.status().as_u16(), 303);
    let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
    let count = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ln_invoices")
            .fetch_one(store.pool())
            .await
            .unwrap();
        n
    };
    assert_eq!(count().await, 2);

    // Cancelled: the page says so and a new quote is again for 60 EUR.
    let cancelled = cli(&web, &["lightning", "invoice", "cancel", "Q-9-LN-2"]).await?;
    assert!(
        cancelled.status.success(),
        "{}",
        String::from_utf8_lossy(&cancelled.stderr)
    );
    let (_, _, page) = get(&web, &format!("/pay/{token}"), "en").await?;
    assert!(
        page.contains("was cancelled") && page.contains("id=\"requote\""),
        "{page}"
    );
    assert_eq!(quote(origin).await?.status().as_u16(), 303);
    assert_eq!(count().await, 3);
    let (_, _, page) = get(&web, &format!("/pay/{token}"), "en").await?;
    assert!(page.contains("€60.00") && page.contains("id=\"qr\""), "{page}");
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ln_invoices WHERE state IN ('OPEN', 'PENDING', 'ACCEPTED')")
            .fetch_one(store.pool())
            .await?;
    assert_eq!(live, 1, "never two payable invoices for one fattura");
    store.close().await;

    // Four new quotes a minute per address: the fifth is refused.
    assert_eq!(quote(origin).await?.status().as_u16(), 303);
    assert_eq!(quote(origin).await?.status().as_u16(), 429);
    Ok(())
}
