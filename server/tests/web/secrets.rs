//! Nothing secret reaches the browser: every registered server function is called (signed out,
//! as cashier, as admin; with no and with plausible arguments) and every reply — status line,
//! headers and body — is scanned for the macaroons, the node's TLS key, the rate-provider API
//! keys, the webhook secrets and the staff passwords. (Served assets are scanned by the browser
//! test `end2end/tests/secrets.spec.ts`.)

use crate::common;
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use common::lightning::coingecko_at;
use common::TestResult;

const COINGECKO_KEY: &str = "CG-secret-key-0123456789abcdef";
const CMC_KEY: &str = "cmc-secret-key-fedcba9876543210";
const WEBHOOK_SECRET: &str = "whsec-default-0123456789";

/// Arguments tried for every server function, besides none at all.
const PLAUSIBLE: &[(&str, &str)] = &[
    ("amount_eur", "1"),
    ("note", "test"),
    ("invoice_id", "LN-000001"),
    ("numero", "INV-1"),
    ("key", "lightning_webhook_secret"),
    ("name", "default"),
    ("event_id", "evt_0"),
];

#[tokio::test]
async fn no_server_function_reply_contains_a_secret() -> TestResult {
    let coingecko = coingecko_at("45000.00").await;
    let base = coingecko.uri();
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "true"),
            ("LIGHTNING_COINGECKO_BASE_URL", &base),
            ("LIGHTNING_COINGECKO_API_KEY", COINGECKO_KEY),
            ("LIGHTNING_CMC_API_KEY", CMC_KEY),
            ("LIGHTNING_WEBHOOK_ENABLED", "true"),
            ("LIGHTNING_WEBHOOK_URL", "http://127.0.0.1:9/hook"),
            ("LIGHTNING_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ],
    )
    .await?;

    // The secrets: configuration, the node's macaroons (as the hex sent to LND) and TLS key, passwords.
    let node_dir = web.simnode_dir()?;
    let mut secrets: Vec<(String, String)> = vec![
        ("CoinGecko API key".into(), COINGECKO_KEY.into()),
        ("CoinMarketCap API key".into(), CMC_KEY.into()),
        ("webhook secret".into(), WEBHOOK_SECRET.into()),
        ("admin password".into(), ADMIN_PASSWORD.into()),
        ("cashier PIN".into(), CASHIER_PIN.into()),
    ];
    for name in ["admin", "invoice", "readonly"] {
        let bytes = std::fs::read(node_dir.join(format!("data/chain/bitcoin/regtest/{name}.macaroon")))?;
        let hex = hex::encode(&bytes);
        // Any 40-hex-digit window of the macaroon would be a leak; check its middle.
        secrets.push((
            format!("{name}.macaroon"),
            hex[hex.len() / 2 - 20..hex.len() / 2 + 20].to_string(),
        ));
    }
    let key_pem = std::fs::read_to_string(node_dir.join("tls.key"))?;
    let key_body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    secrets.push(("node TLS key".into(), key_body[..key_body.len().min(40)].to_string()));

    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let endpoints: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    assert!(
        endpoints.len() >= 8,
        "expected the app's server functions to be registered, got {endpoints:?}"
    );
    assert!(endpoints.iter().any(|p| p == "/api/pos_charge"), "{endpoints:?}");

    let mut calls = 0;
    for endpoint in &endpoints {
        let name = endpoint.trim_start_matches("/api/");
        // Signing out would end the sessions used for the other calls: it goes last.
        if name == "logout" {
            continue;
        }
        for cookie in [None, Some(cashier.as_str()), Some(admin.as_str())] {
            for form in [&[][..], PLAUSIBLE] {
                let mut request = web.http.post(web.url(endpoint)).form(form);
                if let Some(cookie) = cookie {
                    request = request.header("cookie", cookie);
                }
                let response = request.send().await?;
                let mut text = format!("{} ", response.status());
                for (header, value) in response.headers() {
                    // Our own new session token is expected in Set-Cookie after signing in.
                    if header == "set-cookie" {
                        continue;
                    }
                    text.push_str(&format!("{header}: {} ", value.to_str().unwrap_or("?")));
                }
                text.push_str(&response.text().await?);
                for (what, secret) in &secrets {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{endpoint} (cookie: {}) leaked the {what}: {text}",
                        cookie.is_some()
                    );
                }
                calls += 1;
            }
        }
    }
    assert!(calls >= 40, "only {calls} calls made");
    let (status, _, _) = web.call("logout", Some(&admin), &[]).await?;
    assert_eq!(status, 200);
    web.gateway.shutdown().await?;
    Ok(())
}
