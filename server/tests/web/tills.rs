//! The Tills card's server functions over real HTTP on 127.0.0.1 (issue 36): an admin lists,
//! adds, changes and removes tills with the CLI's rules; a POS sale then goes to the till added
//! (and is refused on a removed one); bad names, taken names, bad IVA rates and printers, and
//! removing the last till are refused with their catalogue texts (English and Italian) and change
//! nothing; cashiers are refused every till function (403). Tablet pairing: a one-time code
//! (single use, 10 minutes, stored hashed) pairs a POS to a till, whose sales then land there
//! whatever the request names, across sign-out, until it is unpaired; code attempts are limited
//! per address.

use crate::common;
use common::web::{error_text_in, Web, ADMIN, ADMIN_PASSWORD, CASHIER, CASHIER_PIN};

use app::i18n::Lang;
use openfatture::store::Store;
use serde_json::Value;

use common::TestResult;

/// The stored tills, to prove a refusal changed nothing.
async fn tills(web: &Web) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let store = Store::open_in(&web.home.data_dir).await?;
    let rows = common::dump_tables(&store, &["tills"]).await;
    store.close().await;
    Ok(rows)
}

/// The row of till `name` in a list reply.
fn row<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|r| r["name"] == name)
}

/// The names in a list reply, in order.
fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_admin_adds_changes_and_removes_tills_and_sales_follow() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;

    let list = web.ok(&admin, "admin_tills", &[]).await?;
    assert_eq!(names(&list), ["Cassa"], "{list}");
    assert_eq!(list[0]["is_default"], true);
    assert_eq!(list[0]["vat_rate"], "22");
    assert_eq!(list[0]["printer_address"], "");

    let list = web
        .ok(
            &admin,
            "admin_till_add",
            &[("name", "  Bar "), ("printer", "127.0.0.1:9100"), ("vat_rate", "10")],
        )
        .await?;
    assert_eq!(names(&list), ["Cassa", "Bar"]);
    let bar = row(&list, "Bar").ok_or("Bar listed")?;
    assert_eq!(bar["vat_rate"], "10");
    assert_eq!(bar["printer_address"], "127.0.0.1:9100");
    assert_eq!(bar["is_default"], false);
    assert_eq!(bar["auto_print"], false);
    // The POS lists it and a sale there takes its default IVA rate.
    let pos = web.ok(&cashier, "pos_tills", &[]).await?;
    assert!(pos.to_string().contains("\"Bar\""), "{pos}");
    let sale = web
        .ok(
            &cashier,
            "pos_charge",
            &[("amount_eur", "11"), ("note", ""), ("till", "Bar")],
        )
        .await?;
    assert_eq!(sale["till"], "Bar", "{sale}");

    // Rename, new IVA, no printer, auto-print on.
    let list = web
        .ok(
            &admin,
            "admin_till_set",
            &[
                ("name", "Bar"),
                ("new_name", "Terrazza"),
                ("printer", "printer.local:9100"),
                ("vat_rate", "0:N2"),
                ("auto_print", "true"),
            ],
        )
        .await?;
    assert_eq!(names(&list), ["Cassa", "Terrazza"]);
    let terrazza = row(&list, "Terrazza").ok_or("Terrazza listed")?;
    assert_eq!(terrazza["vat_rate"], "0:N2");
    assert_eq!(terrazza["printer_address"], "printer.local:9100");
    assert_eq!(terrazza["auto_print"], true);
    // An empty printer removes it; an empty new name keeps the name.
    let list = web
        .ok(
            &admin,
            "admin_till_set",
            &[
                ("name", "Terrazza"),
                ("new_name", ""),
                ("printer", ""),
                ("vat_rate", ""),
                ("auto_print", "false"),
            ],
        )
        .await?;
    let terrazza = row(&list, "Terrazza").ok_or("Terrazza kept its name")?;
    assert_eq!(terrazza["printer_address"], "");
    assert_eq!(terrazza["vat_rate"], "0:N2");
    assert_eq!(terrazza["auto_print"], false);

    // Removed: gone from the list and the POS, and a sale there is refused.
    let list = web.ok(&admin, "admin_till_remove", &[("name", "Terrazza")]).await?;
    assert_eq!(names(&list), ["Cassa"]);
    let (status, body, _) = web
        .call(
            "pos_charge",
            Some(&cashier),
            &[("amount_eur", "11"), ("note", ""), ("till", "Terrazza")],
        )
        .await?;
    assert_eq!(
        (status, error_text_in(&body, Lang::En).as_str()),
        (400, "unknown_till"),
        "{body}"
    );
    Ok(())
}

/// A refused call: endpoint, form, HTTP status, and part of its English and Italian texts.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    u16,
    &'static str,
    &'static str,
);

#[tokio::test]
async fn till_refusals_are_worded_and_change_nothing_and_cashiers_are_refused() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    web.ok(
        &admin,
        "admin_till_add",
        &[("name", "Bar"), ("printer", ""), ("vat_rate", "")],
    )
    .await?;
    let before = tills(&web).await?;

    let add = |name: &'static str, printer: &'static str, vat: &'static str| {
        vec![("name", name), ("printer", printer), ("vat_rate", vat)]
    };
    let set = |name: &'static str, new_name: &'static str, printer: &'static str, vat: &'static str| {
        vec![
            ("name", name),
            ("new_name", new_name),
            ("printer", printer),
            ("vat_rate", vat),
            ("auto_print", "false"),
        ]
    };
    let cases: Vec<Case> = vec![
        (
            "admin_till_add",
            add("", "", ""),
            400,
            "till name '' is not valid",
            "il nome di cassa '' non è valido",
        ),
        (
            "admin_till_add",
            add("Cassa\u{202E}1", "", ""),
            400,
            "is not valid: use 1–40 visible characters",
            "usa da 1 a 40 caratteri visibili",
        ),
        (
            "admin_till_add",
            add("Bar", "", ""),
            400,
            "a till named 'Bar' already exists",
            "esiste già una cassa di nome 'Bar'",
        ),
        (
            "admin_till_add",
            add("Nuova", "", "7"),
            400,
            "IVA rate '7' is not valid",
            "l'aliquota IVA '7' non è valida",
        ),
        (
            "admin_till_add",
            add("Nuova", "192.168.1.50", ""),
            400,
            "printer address '192.168.1.50' is not valid",
            "l'indirizzo di stampante '192.168.1.50' non è valido",
        ),
        (
            "admin_till_set",
            set("Bar", "Cassa", "", ""),
            400,
            "a till named 'Cassa' already exists",
            "esiste già una cassa di nome 'Cassa'",
        ),
        (
            "admin_till_set",
            set("Bar", "", "host:0", ""),
            400,
            "printer address 'host:0' is not valid",
            "non è valido: usa HOST:PORTA",
        ),
        (
            "admin_till_set",
            set("Nessuna", "", "", ""),
            404,
            "there is no till 'Nessuna'",
            "non esiste una cassa 'Nessuna'",
        ),
        (
            "admin_till_remove",
            vec![("name", "Nessuna")],
            404,
            "there is no till 'Nessuna'",
            "non esiste una cassa 'Nessuna'",
        ),
    ];
    for (endpoint, form, status, english, italian) in &cases {
        let (got, body, _) = web.call(endpoint, Some(&admin), form).await?;
        assert_eq!(got, *status, "{endpoint} {form:?}: {body}");
        let en = error_text_in(&body, Lang::En);
        let it = error_text_in(&body, Lang::It);
        assert!(en.contains(english), "{endpoint} {form:?}: {en}");
        assert!(it.contains(italian), "{endpoint} {form:?}: {it}");
    }
    assert_eq!(tills(&web).await?, before, "a refused till change changed something");

    // The last till stays.
    web.ok(&admin, "admin_till_remove", &[("name", "Bar")]).await?;
    let last = tills(&web).await?;
    let text = web
        .refused(&admin, "admin_till_remove", &[("name", "Cassa")], 400)
        .await?;
    assert!(
        text.contains("'Cassa' is the last till and cannot be removed"),
        "{text}"
    );
    assert_eq!(tills(&web).await?, last, "removing the last till changed something");

    // A cashier is refused every till function, and nothing changes.
    for (endpoint, form) in [
        ("admin_tills", vec![]),
        ("admin_till_add", add("Nuova", "", "")),
        ("admin_till_set", set("Cassa", "Nuova", "", "")),
        ("admin_till_remove", vec![("name", "Cassa")]),
    ] {
        web.refused(&cashier, endpoint, &form, 403).await?;
    }
    assert_eq!(tills(&web).await?, last, "a cashier's call changed tills");
    Ok(())
}

/// The device cookie a `pos_pair` reply sets (`of_till_device=…`), checked for its attributes.
fn device_cookie(set_cookie: Option<String>) -> Result<String, Box<dyn std::error::Error>> {
    let set_cookie = set_cookie.ok_or("pos_pair set no cookie")?;
    assert!(set_cookie.starts_with("of_till_device="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=34560000"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing: {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "Secure over plain HTTP: {set_cookie}");
    Ok(set_cookie.split(';').next().ok_or("empty cookie")?.to_string())
}

/// A sale of 5 EUR as `cookie`, naming `till` when given; the till it landed on.
async fn sale_till(web: &Web, cookie: &str, till: Option<&str>) -> Result<String, Box<dyn std::error::Error>> {
    let mut form = vec![("amount_eur", "5"), ("note", "")];
    if let Some(till) = till {
        form.push(("till", till));
    }
    let sale = web.ok(cookie, "pos_charge", &form).await?;
    Ok(sale["till"].as_str().ok_or("till in the reply")?.to_string())
}

/// Ages every pairing code by `secs` in the gateway's database (expiry without waiting).
async fn age_codes(web: &Web, secs: i64) -> TestResult {
    let store = Store::open_in(&web.home.data_dir).await?;
    sqlx::query("UPDATE till_pairing_codes SET created_at = created_at - ?")
        .bind(secs)
        .execute(store.pool())
        .await?;
    store.close().await;
    Ok(())
}

#[tokio::test]
async fn a_paired_tablet_sells_on_its_till_across_sign_out_until_unpaired() -> TestResult {
    let web = Web::start(true).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    web.ok(
        &admin,
        "admin_till_add",
        &[("name", "Bar"), ("printer", ""), ("vat_rate", "")],
    )
    .await?;

    // Unpaired: today's behaviour (the default till, or the till named).
    assert_eq!(sale_till(&web, &cashier, None).await?, "Cassa");
    assert_eq!(sale_till(&web, &cashier, Some("Bar")).await?, "Bar");

    // A cashier cannot make codes, list or unpair tablets.
    for (endpoint, form) in [
        ("admin_till_pair", vec![("name", "Bar")]),
        ("admin_till_devices", vec![]),
        ("admin_till_unpair", vec![("id", "1")]),
    ] {
        web.refused(&cashier, endpoint, &form, 403).await?;
    }

    let code = web.ok(&admin, "admin_till_pair", &[("name", "Bar")]).await?;
    assert_eq!(code["till"], "Bar", "{code}");
    let code = code["code"].as_str().ok_or("a code")?.to_string();
    assert_eq!(code.len(), 8, "{code}");
    assert!(
        code.bytes().all(|b| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(&b)),
        "{code}"
    );
    // Stored hashed only.
    let dump = common::dump_tables(&Store::open_in(&web.home.data_dir).await?, &["till_pairing_codes"]).await;
    assert!(!dump.iter().any(|row| row.contains(&code)), "{dump:?}");

    // Typed on the tablet in lower case with a dash.
    let typed = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    let (status, body, set_cookie) = web.call("pos_pair", Some(&cashier), &[("code", &typed)]).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "Bar");
    let device = device_cookie(set_cookie)?;
    let paired = format!("{cashier}; {device}");
    // The POS learns which till it is paired to (for its header); another browser does not.
    let pos = web.ok(&paired, "pos_tills", &[]).await?;
    let marked: Vec<_> = pos
        .as_array()
        .ok_or("a list")?
        .iter()
        .filter(|t| t["paired"] == true)
        .collect();
    assert_eq!(marked.len(), 1, "{pos}");
    assert_eq!(marked[0]["name"], "Bar");
    let pos = web.ok(&cashier, "pos_tills", &[]).await?;
    assert!(!pos.to_string().contains("\"paired\":true"), "{pos}");
    // Whatever the request names, the sale lands on the paired till.
    assert_eq!(sale_till(&web, &paired, None).await?, "Bar");
    assert_eq!(sale_till(&web, &paired, Some("Cassa")).await?, "Bar");
    assert_eq!(sale_till(&web, &paired, Some("No such till")).await?, "Bar");

    // Single use: the same code again is refused with the cashier's code.
    let refusal = web.refused(&cashier, "pos_pair", &[("code", &code)], 400).await?;
    assert_eq!(refusal, "bad_pairing_code");
    // Expired: a code older than 10 minutes is refused; a 9-minute-old one is not.
    let late = web.ok(&admin, "admin_till_pair", &[("name", "Bar")]).await?;
    let young = web.ok(&admin, "admin_till_pair", &[("name", "Cassa")]).await?;
    age_codes(&web, 9 * 60).await?;
    let young_code = young["code"].as_str().ok_or("a code")?;
    let (status, body, _) = web.call("pos_pair", Some(&admin), &[("code", young_code)]).await?;
    assert_eq!((status, body), (200, serde_json::json!("Cassa")));
    age_codes(&web, 2 * 60).await?;
    let late_code = late["code"].as_str().ok_or("a code")?;
    let refusal = web.refused(&cashier, "pos_pair", &[("code", late_code)], 400).await?;
    assert_eq!(refusal, "bad_pairing_code");
    assert_eq!(
        app::i18n::text_in(Lang::It, "pos.error.bad_pairing_code"),
        "Codice di abbinamento non valido, già usato o scaduto: chiedine uno nuovo al responsabile"
    );

    // Sign-out clears the session, not the pairing.
    let (status, _, cleared) = web.call("logout", Some(&paired), &[]).await?;
    assert_eq!(status, 200);
    assert!(
        cleared.is_some_and(|c| c.starts_with("of_session=")),
        "sign-out touched the device cookie"
    );
    let again = web.sign_in(CASHIER, CASHIER_PIN).await?;
    let paired = format!("{again}; {device}");
    assert_eq!(sale_till(&web, &paired, None).await?, "Bar");

    // The back office lists both tablets; unpairing the Bar one sends its sales to the default till.
    let devices = web.ok(&admin, "admin_till_devices", &[]).await?;
    let rows = devices.as_array().ok_or("a list")?;
    assert_eq!(rows.len(), 2, "{devices}");
    let bar = rows.iter().find(|d| d["till"] == "Bar").ok_or("the Bar tablet")?;
    assert_eq!(bar["paired_by"], CASHIER);
    let id = bar["id"].to_string();
    let devices = web.ok(&admin, "admin_till_unpair", &[("id", &id)]).await?;
    assert_eq!(devices.as_array().map(Vec::len), Some(1), "{devices}");
    assert_eq!(sale_till(&web, &paired, None).await?, "Cassa");
    assert_eq!(sale_till(&web, &paired, Some("Bar")).await?, "Bar");
    // Unpairing it again is refused, in words.
    let text = web.refused(&admin, "admin_till_unpair", &[("id", &id)], 404).await?;
    assert!(text.contains(&format!("no paired device {id}")), "{text}");
    Ok(())
}

#[tokio::test]
async fn pairing_code_attempts_are_limited_per_address() -> TestResult {
    let web = Web::start(true).await?;
    let cashier = web.sign_in(CASHIER, CASHIER_PIN).await?;
    for _ in 0..10 {
        let refusal = web.refused(&cashier, "pos_pair", &[("code", "AAAA-AAAA")], 400).await?;
        assert_eq!(refusal, "bad_pairing_code");
    }
    let refusal = web.refused(&cashier, "pos_pair", &[("code", "AAAA-AAAA")], 429).await?;
    assert_eq!(refusal, "too_many_attempts");
    // Even a good code waits for the window to end.
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let code = web.ok(&admin, "admin_till_pair", &[("name", "Cassa")]).await?;
    let code = code["code"].as_str().ok_or("a code")?;
    web.refused(&cashier, "pos_pair", &[("code", code)], 429).await?;
    // Signed out, no pairing at all.
    let (status, _, _) = web.call("pos_pair", None, &[("code", code)]).await?;
    assert_eq!(status, 401);
    Ok(())
}
