//! `openfatture pos till add|set|list|remove|pair|devices|unpair` and `openfatture pos day` through the binary
//! (issue 36): tills are managed with clear refusals that change nothing, the last till stays,
//! a removed till's sales keep its name, and the day's figures follow the shop's clock
//! (Europe/Rome) across the DST changes.

use crate::common;
use common::openfatture as cli;
use common::{dump_exact, stdout_of};

use openfatture::store::{NewPosSale, Store};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

async fn counter_dump(home: &std::path::Path) -> Vec<String> {
    let store = Store::open_in(home).await.expect("store");
    let rows = dump_exact(&store, &["tills", "pos_sales"]).await;
    store.close().await;
    rows
}

fn till_list(home: &std::path::Path) -> Value {
    let text = stdout_of(cli(home).args(["--json", "pos", "till", "list"]));
    serde_json::from_str(&text).expect("json")
}

#[tokio::test]
async fn tills_are_added_changed_listed_and_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    // The migration made the default till.
    let list = till_list(home);
    assert_eq!(list[0]["name"], "Cassa");
    assert_eq!(list[0]["default"], true);
    assert_eq!(list[0]["vat_rate"], "22");
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    cli(home)
        .args([
            "pos",
            "till",
            "add",
            "Cassa 1",
            "--printer",
            "192.168.1.50:9100",
            "--vat-rate",
            "10",
        ])
        .assert()
        .success()
        .stdout(contains("Added till 'Cassa 1'"));
    let list = till_list(home);
    assert_eq!(list[1]["name"], "Cassa 1");
    assert_eq!(list[1]["printer"], "192.168.1.50:9100");
    assert_eq!(list[1]["vat_rate"], "10");
    assert_eq!(list[1]["default"], false);

    // Refusals say what to do and change nothing.
    let before = counter_dump(home).await;
    for (args, says) in [
        (vec!["pos", "till", "add", "Cassa 1"], "already exists"),
        (
            vec!["pos", "till", "add", "Bar", "--vat-rate", "21"],
            "IVA rate '21' is not valid",
        ),
        (
            vec!["pos", "till", "add", "Bar", "--vat-rate", "0"],
            "0 with its Natura code",
        ),
        (
            vec!["pos", "till", "add", "Bar", "--printer", "192.168.1.50"],
            "use HOST:PORT",
        ),
        (vec!["pos", "till", "add", "  "], "is not valid"),
        (
            vec!["pos", "till", "set", "Nowhere", "--vat-rate", "4"],
            "there is no till 'Nowhere'",
        ),
        (
            vec!["pos", "till", "set", "Cassa", "--name", "Cassa 1"],
            "already exists",
        ),
        (vec!["pos", "till", "set", "Cassa", "--vat-rate", "0:N8"], "0:N1 … 0:N7"),
        (vec!["pos", "till", "set", "Cassa"], "nothing to change"),
        (vec!["pos", "till", "remove", "Nowhere"], "there is no till"),
        (vec!["pos", "day", "--date", "2026-02-30"], "use YYYY-MM-DD"),
    ] {
        cli(home).args(&args).assert().failure().stderr(contains(says));
        assert_eq!(counter_dump(home).await, before, "{args:?} changed something");
    }

    cli(home)
        .args([
            "pos",
            "till",
            "set",
            "Cassa 1",
            "--name",
            "Bar",
            "--vat-rate",
            "0:N2",
            "--printer",
            "",
        ])
        .assert()
        .success();
    let list = till_list(home);
    assert_eq!(list[1]["name"], "Bar");
    assert_eq!(list[1]["vat_rate"], "0:N2");
    assert_eq!(list[1]["printer"], Value::Null);

    // A sale at the default till, then the till goes: the sale keeps its name; the last till stays.
    let store = Store::open_in(home).await.expect("store");
    let at = 1_790_000_000;
    let id = settled_invoice(&store, "aa", at, 12_100).await;
    sale_at(&store, &id, "Cassa", "anna", at, 1210, "10", 110, 0).await;
    store.close().await;
    cli(home).args(["pos", "till", "remove", "Cassa"]).assert().success();
    let before = counter_dump(home).await;
    cli(home)
        .args(["pos", "till", "remove", "Bar"])
        .assert()
        .failure()
        .stderr(contains("last till"));
    assert_eq!(counter_dump(home).await, before);
    let list = till_list(home);
    assert_eq!(list[0]["name"], "Bar");
    assert_eq!(list[0]["default"], true, "the first remaining till is the default one");
    let date = chrono::DateTime::from_timestamp(at, 0)
        .expect("time")
        .with_timezone(&chrono_tz::Europe::Rome)
        .format("%Y-%m-%d")
        .to_string();
    let day = day_json(home, &["--date", &date]);
    assert_eq!(day["by_till"][0]["name"], "Cassa", "{day}");
    assert_eq!(day["sales"], 1);
}

/// A settled standalone invoice made at `at` for `msat`; its id.
async fn settled_invoice(store: &Store, hash_byte: &str, at: i64, sat: u64) -> String {
    let mut new = common::new_standalone_invoice(hash_byte.repeat(32), hash_byte.repeat(32), "POS sale".into());
    new.created_at = at;
    new.amount_msat = sat * 1000;
    let invoice = store.insert_pending_ln_invoice(&new).await.expect("insert");
    store
        .settle_ln_invoice(&invoice.id, sat * 1000, None, at + 30, None)
        .await
        .expect("settle");
    invoice.id
}

#[allow(clippy::too_many_arguments)]
async fn sale_at(
    store: &Store,
    id: &str,
    till: &str,
    cashier: &str,
    at: i64,
    gross_cents: i64,
    rate: &str,
    vat_cents: i64,
    tip_cents: i64,
) {
    let till_id = store
        .tills()
        .await
        .expect("tills")
        .into_iter()
        .find(|t| t.name == till)
        .map_or(1, |t| t.id);
    store
        .insert_pos_sale(&NewPosSale {
            invoice_id: id.to_string(),
            till_id,
            till_name: till.into(),
            cashier: cashier.into(),
            gross_cents,
            vat_rate: rate.into(),
            vat_cents,
            net_cents: gross_cents - vat_cents,
            tip_cents,
            created_at: at,
        })
        .await
        .expect("sale");
}

fn day_json(home: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json", "pos", "day"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout_of(cli(home).args(&all))).expect("json")
}

#[tokio::test]
async fn sales_land_on_the_shop_date_across_dst_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    let store = Store::open_in(home).await.expect("store");
    // 2026-03-29 00:30 in Rome (CET, UTC+1) is 2026-03-28 23:30 UTC: the 29th, not the 28th.
    let first = 1_774_740_600;
    // 2026-03-29 23:30 in Rome (CEST since 03:00, UTC+2) is 21:30 UTC: still the 29th.
    let last = 1_774_819_800;
    // 2026-03-30 00:30 in Rome is 2026-03-29 22:30 UTC: the 30th (with a fixed UTC+1 it would be
    // the 29th).
    let next = 1_774_823_400;
    // 2026-10-25 02:30 in Rome happens twice; the second (CET, UTC+1) is 01:30 UTC: the 25th.
    let fall = 1_792_891_800;
    // 2026-10-25 23:30 in Rome (CET) is 22:30 UTC: still the 25th, a 25-hour day.
    let fall_late = 1_792_967_400;
    for (byte, at) in [
        ("a1", first),
        ("a2", last),
        ("a3", next),
        ("a4", fall),
        ("a5", fall_late),
    ] {
        let id = settled_invoice(&store, byte, at, 1000).await;
        sale_at(&store, &id, "Cassa", "anna", at, 500, "22", 90, 50).await;
    }
    store.close().await;

    let count = |date: &str| day_json(home, &["--date", date])["sales"].as_u64();
    assert_eq!(count("2026-03-28"), Some(0));
    assert_eq!(count("2026-03-29"), Some(2));
    assert_eq!(count("2026-03-30"), Some(1));
    assert_eq!(count("2026-10-24"), Some(0));
    assert_eq!(count("2026-10-25"), Some(2));
    assert_eq!(count("2026-10-26"), Some(0));
    let day = day_json(home, &["--date", "2026-03-29"]);
    assert_eq!(day["gross_eur"], "10.00");
    assert_eq!(day["vat_eur"]["22"], "1.80");
    assert_eq!(day["tips_eur"], "1.00");
    assert_eq!(day["net_eur"], "8.20");
    assert_eq!(day["sats_received"], 2000);
    assert_eq!(day["timezone"], "Europe/Rome");
}

#[tokio::test]
async fn a_tablet_is_paired_listed_and_unpaired_from_the_cli() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    cli(home).args(["pos", "till", "add", "Bar"]).assert().success();
    cli(home)
        .args(["pos", "till", "pair", "Nope"])
        .assert()
        .failure()
        .stderr(contains("there is no till 'Nope'"));
    let text = stdout_of(cli(home).args(["--json", "pos", "till", "pair", "Bar"]));
    let made: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(made["till"], "Bar");
    assert_eq!(made["valid_minutes"], 10);
    let code = made["code"].as_str().expect("a code").to_string();
    assert_eq!(code.len(), 8);
    cli(home)
        .args(["pos", "till", "pair", "Bar"])
        .assert()
        .success()
        .stdout(contains("Pairing code for till 'Bar'"));

    // The tablet redeems it (as the gateway does), once.
    let store = Store::open_in(home).await.expect("store");
    let counter = openfatture::counter::CounterService::new(store.clone());
    let (till, _token) = counter.pair_device(&code, "mario").await.expect("paired");
    assert_eq!(till.name, "Bar");
    assert!(counter.pair_device(&code, "mario").await.is_err(), "a code works once");
    store.close().await;

    let text = stdout_of(cli(home).args(["--json", "pos", "till", "devices", "Bar"]));
    let devices: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(devices.as_array().map(Vec::len), Some(1), "{devices}");
    assert_eq!(devices[0]["till"], "Bar");
    assert_eq!(devices[0]["paired_by"], "mario");
    let id = devices[0]["id"].to_string();
    let text = stdout_of(cli(home).args(["--json", "pos", "till", "devices", "Cassa"]));
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json"),
        serde_json::json!([])
    );
    cli(home)
        .args(["pos", "till", "devices"])
        .assert()
        .success()
        .stdout(contains("Bar").and(contains("mario")));

    cli(home)
        .args(["pos", "till", "unpair", &id])
        .assert()
        .success()
        .stdout(contains(format!("Unpaired tablet {id} from till 'Bar'")));
    cli(home)
        .args(["pos", "till", "unpair", &id])
        .assert()
        .failure()
        .stderr(contains(format!("there is no paired device {id}")));
    let text = stdout_of(cli(home).args(["--json", "pos", "till", "devices"]));
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json"),
        serde_json::json!([])
    );
}
