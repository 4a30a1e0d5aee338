//! The web app's server side over real HTTP on 127.0.0.1 with the embedded simnode (TLS + gRPC):
//! staff sign-in and roles, cookies, sign-in throttling, the Origin guard, the first-admin setup
//! link, the POS server functions, and the live event stream (SSE) a POS screen waits on.

use crate::common;
use common::web::{error_text, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use std::time::Duration;

use serde_json::Value;

use common::TestResult;

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_roles_are_enforced_on_the_server() -> TestResult {
    let web = Web::start(true).await?;
    // Nobody signed in: admin and cashier functions refuse with 401.
    let (status, body, _) = web.call("node_status", None, &[]).await?;
    assert_eq!(status, 401, "{body}");
    assert!(error_text(&body).contains("not signed in"), "{body}");
    let (status, _, _) = web
        .call("pos_charge", None, &[("amount_eur", "1"), ("note", "")])
        .await?;
    assert_eq!(status, 401);
    let (_, body, _) = web.call("whoami", None, &[]).await?;
    assert_eq!(body, Value::Null);

    // Wrong password: 401 and no cookie, without saying which part was wrong.
    let (status, body, cookie) = web
        .call("login", None, &[("username", ADMIN), ("password", "nope-nope-nope")])
        .await?;
    assert_eq!(status, 401);
    assert!(cookie.is_none());
    assert_eq!(error_text(&body), "wrong username or password");

    let (status, _, set_cookie) = web
        .call("login", None, &[("username", CASHIER), ("password", CASHIER_PIN)])
        .await?;
    assert_eq!(status, 200);
    let set_cookie = set_cookie.ok_or("cookie")?;
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie} lacks {flag}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain-HTTP gateway must not mark the cookie Secure"
    );
    let cashier = set_cookie.split(';').next().ok_or("cookie")?.to_string();

    // The cashier may use the POS and rates but not the node page: 403 naming the role.
    let (status, body, _) = web.call("node_status", Some(&cashier), &[]).await?;
    assert_eq!(status, 403, "{body}");
    assert!(error_text(&body).contains("needs the admin role"), "{body}");
    let (status, body, _) = web.call("rate_status", Some(&cashier), &[]).await?;
    assert_eq!(status, 200, "{body}");
    let (_, body, _) = web.call("whoami", Some(&cashier), &[]).await?;
    assert_eq!(body["username"], CASHIER);
    assert_eq!(body["role"], "cashier");

    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (status, body, _) = web.call("node_status", Some(&admin), &[]).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alias"], "simnode");

    // Sign-out ends the session on the server: the old cookie no longer works.
    let (status, _, clear) = web.call("logout", Some(&admin), &[]).await?;
    assert_eq!(status, 200);
    assert!(clear.ok_or("clearing cookie")?.contains("Max-Age=0"));
    let (status, _, _) = web.call("node_status", Some(&admin), &[]).await?;
    assert_eq!(status, 401);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_user_for_a_while() -> TestResult {
    let web = Web::start(true).await?;
    for _ in 0..5 {
        let (status, _, _) = web
            .call("login", None, &[("username", CASHIER), ("password", "000000")])
            .await?;
        assert_eq!(status, 401);
    }
    // Now even the right PIN is refused until the lock ends, and the reply says how long.
    let (status, body, cookie) = web
        .call("login", None, &[("username", CASHIER), ("password", CASHIER_PIN)])
        .await?;
    assert_eq!(status, 429, "{body}");
    assert!(cookie.is_none());
    assert!(
        error_text(&body).starts_with("too many failed sign-ins: try again in "),
        "{body}"
    );
    // Another user is not locked by the cashier's failures.
    web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn state_changing_calls_from_a_foreign_origin_are_refused() -> TestResult {
    let web = Web::start(true).await?;
    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let before = web.db_dump().await?;
    let response = web
        .http
        .post(web.url("/api/pos_charge"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .form(&[("amount_eur", "5"), ("note", "")])
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 403);
    assert!(response.text().await?.contains("cross-site request refused"));
    assert_eq!(web.db_dump().await?, before, "a refused call changed the database");
    // The same call from our own origin works.
    let own = format!("http://{}", web.gateway.local_addr());
    let response = web
        .http
        .post(web.url("/api/pos_charge"))
        .header("cookie", &cookie)
        .header("origin", own)
        .form(&[("amount_eur", "5"), ("note", "")])
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_first_admin_is_created_once_through_the_setup_link() -> TestResult {
    let web = Web::start(false).await?;
    let url = web.gateway.setup_url().ok_or("no setup link without users")?;
    let token = url.split("token=").nth(1).ok_or("token")?.to_string();
    let before = web.db_dump().await?;
    let (status, body, _) = web
        .call(
            "setup_admin",
            None,
            &[
                ("token", "wrong"),
                ("username", "boss"),
                ("password", "boss-password-1"),
            ],
        )
        .await?;
    assert_ne!(status, 200);
    assert!(error_text(&body).contains("setup link is not valid"), "{body}");
    let (status, body, _) = web
        .call(
            "setup_admin",
            None,
            &[("token", &token), ("username", "boss"), ("password", "short")],
        )
        .await?;
    assert_ne!(status, 200);
    assert!(error_text(&body).contains("too short"), "{body}");
    assert_eq!(web.db_dump().await?, before, "refused setups changed the database");

    let (status, body, set_cookie) = web
        .call(
            "setup_admin",
            None,
            &[("token", &token), ("username", "boss"), ("password", "boss-password-1")],
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "admin");
    let cookie = set_cookie
        .ok_or("signed in after setup")?
        .split(';')
        .next()
        .ok_or("c")?
        .to_string();
    let (status, _, _) = web.call("node_status", Some(&cookie), &[]).await?;
    assert_eq!(status, 200);
    // The link works once.
    let (status, body, _) = web
        .call(
            "setup_admin",
            None,
            &[
                ("token", &token),
                ("username", "boss2"),
                ("password", "boss-password-2"),
            ],
        )
        .await?;
    assert_ne!(status, 200);
    assert!(error_text(&body).contains("setup link is not valid"), "{body}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_pos_sale_is_shown_as_a_qr_and_its_settlement_arrives_on_the_event_stream() -> TestResult {
    let web = Web::start(true).await?;
    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await?;

    // The stream needs a session.
    let response = web.http.get(web.url("/api/events")).send().await?;
    assert_eq!(response.status().as_u16(), 401);

    // Bad amounts change nothing.
    let before = web.db_dump().await?;
    for (amount, expected) in [
        // Short codes the POS shows in the cashier's language (issue 31 §2).
        ("abc", "invalid_amount"),
        ("0", "amount_too_small"),
        ("-3", "amount_too_small"),
        ("1,234", "invalid_amount"),
        ("NaN", "invalid_amount"),
    ] {
        let (status, body, _) = web
            .call("pos_charge", Some(&cookie), &[("amount_eur", amount), ("note", "")])
            .await?;
        assert_eq!(status, 400, "{amount}: a refused amount is a bad request");
        assert!(error_text(&body).contains(expected), "{amount}: {body}");
    }
    let long_note = "x".repeat(121);
    let (status, body, _) = web
        .call(
            "pos_charge",
            Some(&cookie),
            &[("amount_eur", "1"), ("note", &long_note)],
        )
        .await?;
    assert_ne!(status, 200);
    assert_eq!(error_text(&body), "note_too_long", "{body}");
    assert_eq!(web.db_dump().await?, before, "refused sales changed the database");

    let events = web
        .http
        .get(web.url("/api/events"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(events.status().as_u16(), 200);
    assert_eq!(
        events.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut stream = events;

    let (status, sale, _) = web
        .call(
            "pos_charge",
            Some(&cookie),
            &[("amount_eur", "12,50"), ("note", "Caffè e cornetto")],
        )
        .await?;
    assert_eq!(status, 200, "{sale}");
    // 12.50 EUR at 45,000 EUR/BTC = 27,777.7… sats, rounded up.
    assert_eq!(sale["amount_sat"], 27_778);
    assert_eq!(sale["amount_eur"], "12.50");
    assert_eq!(sale["eur_per_btc"], "45000");
    assert_eq!(sale["rate_source"], "fallback");
    assert_eq!(sale["rate_is_fallback"], true);
    let expires_in = sale["expires_at"].as_i64().ok_or("expires_at")? - sale["server_now"].as_i64().ok_or("now")?;
    assert!(
        (14 * 60..=15 * 60).contains(&expires_in),
        "POS invoices expire after 15 minutes, got {expires_in} s"
    );
    let invoice_id = sale["invoice_id"].as_str().ok_or("id")?.to_string();
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?.to_string();
    let (_, state, _) = web
        .call("invoice_state", Some(&cookie), &[("invoice_id", &invoice_id)])
        .await?;
    assert_eq!(state["state"], "OPEN");

    simnode::pay(&web.simnode_dir()?, &bolt11, simnode::PayOptions::default()).await?;

    // Read the stream until the settle of this invoice arrives.
    let mut buffer = String::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await? {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            if buffer.contains("event: payment_received") && buffer.contains(&invoice_id) {
                return Ok::<bool, reqwest::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    assert!(
        matches!(found, Ok(Ok(true))),
        "no payment_received on the stream; got:\n{buffer}"
    );
    let data_line = buffer
        .lines()
        .skip_while(|l| *l != "event: payment_received")
        .find(|l| l.starts_with("data: "))
        .ok_or("data line")?;
    let payload: Value = serde_json::from_str(data_line.trim_start_matches("data: "))?;
    assert_eq!(payload["invoice_id"], Value::String(invoice_id.clone()));
    assert_eq!(payload["amount_sats"], 27_778);
    let id_line = buffer
        .lines()
        .skip_while(|l| *l != "event: payment_received")
        .find(|l| l.starts_with("id: "))
        .ok_or("id line")?;
    let seq: i64 = id_line.trim_start_matches("id: ").parse()?;

    let (_, state, _) = web
        .call("invoice_state", Some(&cookie), &[("invoice_id", &invoice_id)])
        .await?;
    assert_eq!(state["state"], "SETTLED");
    assert_eq!(state["amount_paid_sat"], 27_778);
    // A paid sale cannot be cancelled.
    let (status, body, _) = web
        .call("cancel_invoice", Some(&cookie), &[("invoice_id", &invoice_id)])
        .await?;
    assert_ne!(status, 200);
    assert!(
        error_text(&body).to_lowercase().contains("settled") || error_text(&body).contains("paid"),
        "{body}"
    );

    // A browser reconnecting with Last-Event-ID gets what came after it from the database.
    let mut replay = web
        .http
        .get(web.url("/api/events"))
        .header("cookie", &cookie)
        .header("last-event-id", (seq - 1).to_string())
        .send()
        .await?;
    let mut replayed = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while let Ok(Some(chunk)) = replay.chunk().await {
            replayed.push_str(&String::from_utf8_lossy(&chunk));
            if replayed.contains("event: payment_received") {
                break;
            }
        }
    })
    .await;
    assert!(
        replayed.contains(&format!("id: {seq}")),
        "replay after {} lacks event {seq}:\n{replayed}",
        seq - 1
    );
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn an_unpaid_pos_sale_can_be_cancelled() -> TestResult {
    let web = Web::start(true).await?;
    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let (_, sale, _) = web
        .call("pos_charge", Some(&cookie), &[("amount_eur", "3"), ("note", "")])
        .await?;
    let invoice_id = sale["invoice_id"].as_str().ok_or("id")?.to_string();
    let (status, state, _) = web
        .call("cancel_invoice", Some(&cookie), &[("invoice_id", &invoice_id)])
        .await?;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["state"], "CANCELED");
    let bolt11 = sale["payment_request"].as_str().ok_or("bolt11")?;
    assert!(
        simnode::pay(&web.simnode_dir()?, bolt11, simnode::PayOptions::default())
            .await
            .is_err(),
        "a cancelled invoice must not be payable"
    );
    let (status, body, _) = web
        .call("invoice_state", Some(&cookie), &[("invoice_id", "LN-999999")])
        .await?;
    assert_ne!(status, 200);
    assert!(error_text(&body).contains("LN-999999"), "{body}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn cli_commands_use_the_embedded_node_while_serve_runs() -> TestResult {
    let web = Web::start(true).await?;
    let home = web.home.data_dir.clone();
    let run = move |args: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .envs(common::rates::KEYLESS_OFF)
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .env("LIGHTNING_FALLBACK_RATE", "45000")
            .args(args);
        cmd.output()
    };
    let args = ["--json", "lightning", "invoice", "create", "--amount", "5"];
    let output = tokio::task::spawn_blocking(move || run(&args)).await??;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout)?;
    let id = created["invoice"]["id"]
        .as_str()
        .or_else(|| created["id"].as_str())
        .ok_or("id")?
        .to_string();
    // The gateway sees the invoice the CLI made on the same node (an admin: a cashier may only
    // watch POS sales, issue 30 item 7).
    let cookie = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (status, state, _) = web.call("invoice_state", Some(&cookie), &[("invoice_id", &id)]).await?;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["state"], "OPEN");

    let data_dir = web.home.data_dir.clone();
    assert!(data_dir.join(openfatture::config::EMBEDDED_NODE_FILE).is_file());
    web.gateway.shutdown().await?;
    assert!(
        !data_dir.join(openfatture::config::EMBEDDED_NODE_FILE).exists(),
        "announcement left behind"
    );
    let home = data_dir.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::cargo_bin("openfatture").expect("binary");
        cmd.env_clear()
            .env("OPENFATTURE_HOME", &home)
            .args(["lightning", "status"]);
        cmd.output()
    })
    .await??;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("lightning_host is not set"));
    Ok(())
}

#[tokio::test]
async fn serve_runs_the_liquidity_manager_when_enabled() -> TestResult {
    // The manager takes the process-wide rebalance lock: no other manager test may run meanwhile.
    let _serial = common::LIQUIDITY_MANAGER_TESTS.lock().await;
    // The embedded node's default channels: alice has 10 % inbound (needs inbound), carol 90 %.
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_LIQUIDITY_ENABLED", "true"),
            ("LIGHTNING_LIQUIDITY_CHECK_INTERVAL", "1"),
        ],
    )
    .await?;
    let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (alerts, rebalanced) = loop {
        let alerts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE type = 'liquidity_alert'")
            .fetch_one(store.pool())
            .await?;
        let rebalanced: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM rebalances WHERE status = 'SUCCEEDED' AND trigger = 'auto'")
                .fetch_one(store.pool())
                .await?;
        if (alerts > 0 && rebalanced > 0) || tokio::time::Instant::now() > deadline {
            break (alerts, rebalanced);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(alerts > 0, "no liquidity alert was raised");
    assert!(rebalanced > 0, "the manager did not rebalance");
    let fees_msat: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(fee_msat), 0) FROM rebalances")
        .fetch_one(store.pool())
        .await?;
    assert!(
        fees_msat <= 1_000_000,
        "fees {fees_msat} msat exceed the default daily budget of 1000 sats"
    );
    store.close().await;
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn metrics_show_the_breakers_and_the_outbox_to_loopback() -> TestResult {
    let web = Web::start(true).await?;
    let response = web.http.get(web.url("/metrics")).send().await?;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .starts_with("text/plain"));
    let text = response.text().await?;
    assert!(
        text.contains("openfatture_circuit_breaker_state{dependency=\"lnd\"} 0"),
        "{text}"
    );
    assert!(text.contains("openfatture_events_total 0"), "{text}");
    assert!(
        text.contains("openfatture_webhook_deliveries{state=\"pending\"} 0"),
        "{text}"
    );
    // A sale shows up in the counters.
    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let (status, _, _) = web
        .call("pos_charge", Some(&cookie), &[("amount_eur", "2"), ("note", "")])
        .await?;
    assert_eq!(status, 200);
    // Its `invoice_created` event is committed just after the sale is answered.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let text = loop {
        let text = web.http.get(web.url("/metrics")).send().await?.text().await?;
        if text.contains("openfatture_events_total 1") || tokio::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(text.contains("openfatture_events_total 1"), "{text}");
    web.gateway.shutdown().await?;
    Ok(())
}

/// A webhook endpoint that refuses every delivery trips its circuit breaker after
/// `lightning_circuit_breaker_failures` failures; `/metrics` and the dashboard's endpoint list show it.
#[tokio::test]
async fn a_failing_webhook_endpoints_open_breaker_shows_in_metrics_and_on_the_dashboard() -> TestResult {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", listener.local_addr()?);
    let refusals = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = refusals.clone();
    let refusing = axum::Router::new().route(
        "/hook",
        post(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                axum::http::StatusCode::BAD_REQUEST
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, refusing).await });
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_WEBHOOK_ENABLED", "true"),
            ("LIGHTNING_WEBHOOK_URL", &hook_url),
            ("LIGHTNING_WEBHOOK_SECRET", "whsec-breaker-0123456789"),
            ("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("LIGHTNING_CIRCUIT_BREAKER_FAILURES", "2"),
            ("LIGHTNING_CIRCUIT_BREAKER_TIMEOUT", "300"),
        ],
    )
    .await?;
    let text = web.http.get(web.url("/metrics")).send().await?.text().await?;
    assert!(!text.contains("webhook:default\"} 2"), "{text}");

    let cookie = web.sign_in(CASHIER, CASHIER_PIN).await?;
    for _ in 0..3 {
        let (status, _, _) = web
            .call("pos_charge", Some(&cookie), &[("amount_eur", "1"), ("note", "")])
            .await?;
        assert_eq!(status, 200);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let text = loop {
        let text = web.http.get(web.url("/metrics")).send().await?.text().await?;
        if text.contains("openfatture_circuit_breaker_state{dependency=\"webhook:default\"} 2")
            || std::time::Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        text.contains("openfatture_circuit_breaker_state{dependency=\"webhook:default\"} 2"),
        "{text}"
    );
    // Open after exactly two refusals: the third delivery was not sent.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(refusals.load(std::sync::atomic::Ordering::SeqCst), 2);

    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (status, endpoints, _) = web.call("admin_webhooks", Some(&admin), &[]).await?;
    assert_eq!(status, 200, "{endpoints}");
    let default = endpoints
        .as_array()
        .and_then(|all| all.iter().find(|e| e["name"] == "default"))
        .ok_or("no default endpoint")?;
    assert_eq!(
        default["health"][0]["code"], "webhooks.health.circuit_open",
        "{default}"
    );
    assert_eq!(default["healthy"], false);
    web.gateway.shutdown().await?;
    Ok(())
}
