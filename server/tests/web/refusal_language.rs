//! Refusals the gateway words itself reach an Italian page in Italian (issue 34). The gateway
//! sends each refusal as a catalogue key with named values; the page words it in its own language
//! (the one the browser chose and remembers: it never travels to the gateway) with the app's code,
//! `AppError::text`, which these tests call on the real replies. Technical details stay in the
//! gateway's log.

use std::time::Duration;

use crate::common;

use app::i18n::Lang;
use app::AppError;
use common::log::CapturedLog;
use common::web::{Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};
use common::TestResult;
use rust_decimal::Decimal;
use serde_json::Value;

/// The refusal in `body` as the Italian and the English page show it.
fn worded(body: &Value) -> Result<(String, String), String> {
    let error: AppError = serde_json::from_value(body.clone()).map_err(|e| format!("not an AppError ({e}): {body}"))?;
    Ok((error.text(Lang::It), error.text(Lang::En)))
}

/// Calls `endpoint` as `cookie`, insists on `status`, and returns the refusal in Italian (checked
/// to differ from the English words, and to hold no `{placeholder}` left unfilled).
async fn italian(
    web: &Web,
    cookie: Option<&str>,
    endpoint: &str,
    form: &[(&str, &str)],
    status: u16,
) -> common::Res<String> {
    let (got, body, _) = web.call(endpoint, cookie, form).await?;
    assert_eq!(got, status, "{endpoint}: {body}");
    let (it, en) = worded(&body)?;
    assert_ne!(it, en, "{endpoint}: the Italian page shows English: {body}");
    assert!(!it.contains('{') && !it.contains('?'), "{endpoint}: {it}");
    Ok(it)
}

#[tokio::test]
async fn an_italian_page_reads_the_gateways_refusals_in_italian() -> TestResult {
    let (log, _guard) = CapturedLog::start();
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_MAX_RETRIES", "0"),
        ],
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    web.add_fattura("2025/041", "Rossi Arredamenti", "Arredo", Decimal::new(100, 0))
        .await?;
    let before = web.db_dump().await?;

    // A bad amount on an admin server function: the amount parser's words, and the service's
    // refusal with its money written the Italian way.
    let create = |amount: &'static str| {
        [
            ("numero", "2025/041"),
            ("anno", ""),
            ("amount_eur", amount),
            ("expiry_hours", ""),
        ]
    };
    let text = italian(&web, Some(&admin), "admin_create_invoice", &create("1.234,56"), 400).await?;
    assert!(text.contains("separatore delle migliaia"), "{text}");
    let text = italian(&web, Some(&admin), "admin_create_invoice", &create("150"), 400).await?;
    assert_eq!(
        text,
        "l'importo 150,00 € supera i 100,00 € ancora da pagare sulla fattura 2025/041"
    );

    // A missing invoice (404).
    let text = italian(&web, Some(&admin), "admin_fattura_due", &[("id", "987654")], 404).await?;
    assert_eq!(text, "nessuna fattura in EUR con id 987654: ricarica l'elenco");

    // Signed out, and the wrong role.
    let text = italian(&web, None, "admin_fattura_due", &[("id", "1")], 401).await?;
    assert!(text.starts_with("non hai effettuato l'accesso"), "{text}");
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let text = italian(&web, Some(&cashier), "admin_fattura_due", &[("id", "1")], 403).await?;
    assert_eq!(
        text,
        "cassa1 ha effettuato l'accesso come cassiere; serve il ruolo admin (chiedi a un admin)"
    );
    assert_eq!(web.db_dump().await?, before, "a refused call changed the database");

    // A node error: the node refuses every call for a while; the page reads what to do, and what
    // the node said is in the gateway's log only.
    simnode::fault(&web.simnode_dir()?, simnode::FaultCommand::Unavailable { count: 1_000 }).await?;
    let text = italian(&web, Some(&admin), "node_status", &[], 503).await?;
    assert!(text.starts_with("il nodo Lightning non ha risposto"), "{text}");
    let (_, body, _) = web.call("node_status", Some(&admin), &[]).await?;
    assert_eq!(body["Lightning"]["code"], "error.node", "{body}");
    assert!(!body.to_string().to_lowercase().contains("unavailable"), "{body}");
    assert!(
        log.text().contains("Lightning node request failed"),
        "the node's words are logged:\n{}",
        log.text()
    );
    simnode::fault(&web.simnode_dir()?, simnode::FaultCommand::Clear).await?;

    // Sign-in throttling.
    let mut throttled = None;
    for _ in 0..=openfatture::auth::USER_FREE_FAILURES {
        let (status, body, _) = web
            .call("login", None, &[("username", CASHIER), ("password", "000000")])
            .await?;
        if status == 429 {
            throttled = Some(body);
            break;
        }
        assert_eq!(status, 401, "{body}");
        assert_eq!(worded(&body)?.0, "nome utente o password errati");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let body = match throttled {
        Some(body) => body,
        None => {
            let (status, body, _) = web
                .call("login", None, &[("username", CASHIER), ("password", CASHIER_PIN)])
                .await?;
            assert_eq!(status, 429, "{body}");
            body
        }
    };
    let (it, en) = worded(&body)?;
    assert!(it.starts_with("troppi accessi falliti: riprova tra "), "{it}");
    assert!(en.starts_with("too many failed sign-ins: try again in "), "{en}");
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_settings_pages_reload_problems_reach_an_italian_page_in_italian() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let problem = |status: &Value, field: &str| -> common::Res<Option<app::model::ReloadProblem>> {
        Ok(serde_json::from_value(status[field].clone())?)
    };

    // A syntax error on line 2: the line, in Italian; the parser's English stays in the log.
    web.write_config("lightning_pos_expiry_minutes = 5\nshop_name = = \"Bar\"\n")?;
    let mut found = None;
    for _ in 0..50 {
        let status = web.ok(&admin, "admin_settings_status", &[]).await?;
        if let Some(app::model::ReloadProblem::Refusal(refusal)) = problem(&status, "error")? {
            found = Some(refusal);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refusal = found.ok_or("no reload problem reported")?;
    assert_eq!(
        refusal.text(Lang::It),
        "config.toml non è TOML valido verso la riga 2: correggi quella riga nel file"
    );
    assert_eq!(
        refusal.text(Lang::En),
        "config.toml is not valid TOML near line 2: fix that line in the file"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_owners_rate_notices_and_invoice_warnings_reach_an_italian_page_in_italian() -> TestResult {
    // CoinGecko on without its key; the key-less providers cannot be reached here: the fallback
    // rate is in use, and the dashboard says so and why, in the page's language.
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "true"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_MAX_RETRIES", "0"),
        ],
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let status: app::model::RateStatus = serde_json::from_value(web.ok(&admin, "rate_status", &[]).await?)?;
    let warnings: Vec<String> = status.warnings.iter().map(|w| w.text(Lang::It)).collect();
    assert_eq!(
        warnings,
        [
            "Le vendite usano il cambio di riserva configurato, 45.000,00 € per BTC, non un prezzo di mercato: \
          nessun fornitore del cambio risponde"
        ],
        "{status:?}"
    );
    let notices: Vec<String> = status.notices.iter().map(|n| n.text(Lang::It)).collect();
    assert!(
        notices.len() == 1 && notices[0].starts_with("CoinGecko richiede una chiave API dal 2026"),
        "{notices:?}"
    );
    let coingecko = status
        .providers
        .iter()
        .find(|p| p.provider == "coingecko")
        .ok_or("no coingecko line")?;
    assert_eq!(
        coingecko.health.text(Lang::It),
        "non interrogato: CoinGecko richiede una chiave API dal 2026 (basta una chiave demo gratuita)"
    );
    for provider in &status.providers {
        let it = provider.health.text(Lang::It);
        assert!(!it.contains('{') && it != provider.health.code, "{provider:?}");
    }

    // An invoice larger than the node can receive: the warning in Italian, sats grouped.
    web.add_fattura("2026/900", "Rossi Arredamenti", "Arredo", Decimal::new(5_000_000, 0))
        .await?;
    let created: app::model::LnInvoiceInfo = serde_json::from_value(
        web.ok(
            &admin,
            "admin_create_invoice",
            &[
                ("numero", "2026/900"),
                ("anno", ""),
                ("amount_eur", ""),
                ("expiry_hours", ""),
            ],
        )
        .await?,
    )?;
    let texts: Vec<String> = created.warnings.iter().map(|w| w.text(Lang::It)).collect();
    let low = texts
        .iter()
        .find(|t| t.starts_with("Questo nodo ora può ricevere al massimo "))
        .ok_or_else(|| format!("no low-inbound warning in {texts:?}"))?;
    assert!(low.contains(" sat:") && low.contains('.'), "{low}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Le vendite usano il cambio di riserva")),
        "{texts:?}"
    );
    assert!(
        texts.iter().all(|t| !t.contains("WARNING") && !t.contains("FALLBACK")),
        "{texts:?}"
    );
    web.gateway.shutdown().await?;
    Ok(())
}

/// The identity threshold (issue 38 §5): a back-office invoice at or above it for a fattura
/// without the client's tax id is refused with its catalogue code, worded in Italian, and
/// nothing is created.
#[tokio::test]
async fn the_identity_threshold_refusal_reads_in_italian() -> TestResult {
    let web = Web::start_with(
        true,
        &[
            ("LIGHTNING_COINGECKO_ENABLED", "false"),
            ("LIGHTNING_FALLBACK_RATE", "45000"),
            ("LIGHTNING_IDENTITY_THRESHOLD_EUR", "100"),
        ],
    )
    .await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    web.add_fattura("2025/050", "Rossi Arredamenti", "Arredo", Decimal::new(250, 0))
        .await?;
    let before = web.db_dump().await?;
    let create = |amount: &'static str| {
        [
            ("numero", "2025/050"),
            ("anno", ""),
            ("amount_eur", amount),
            ("expiry_hours", ""),
        ]
    };
    let (status, body, _) = web.call("admin_create_invoice", Some(&admin), &create("100")).await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["Invalid"]["code"], "error.invoice.identity_required", "{body}");
    let text = italian(&web, Some(&admin), "admin_create_invoice", &create("100"), 400).await?;
    assert_eq!(
        text,
        "una fattura di 100,00 € raggiunge la soglia di identificazione di 100,00 €: inserisci nome e codice fiscale o partita IVA del cliente, oppure aggiungili alla fattura"
    );
    assert_eq!(web.db_dump().await?, before, "a refused invoice changed the database");
    // Below the threshold it is created.
    web.ok(&admin, "admin_create_invoice", &create("99.99")).await?;
    Ok(())
}
