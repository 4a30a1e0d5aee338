//! The Tills card's server functions over real HTTP on 127.0.0.1 (issue 36): an admin lists,
//! adds, changes and removes tills with the CLI's rules; a POS sale then goes to the till added
//! (and is refused on a removed one); bad names, taken names, bad IVA rates and printers, and
//! removing the last till are refused with their catalogue texts (English and Italian) and change
//! nothing; cashiers are refused every till function (403).

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
