//! Bad input, table-driven: every row is refused with a clear message and leaves the database
//! (every row of every table) and `config.toml` byte-for-byte as they were.
//!
//! One gateway on the embedded simnode and one home serve every row: the `openfatture` binary
//! runs with `OPENFATTURE_HOME` set to the gateway's home (so it uses the same database, config
//! file and embedded node), and server functions are called over HTTP with a signed-in admin.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::web::{error_text, Res, Web, ADMIN, ADMIN_PASSWORD};

/// Where a bad input enters.
enum Via {
    /// `openfatture ARGS...` with extra environment variables.
    Cli {
        args: Vec<String>,
        env: Vec<(&'static str, String)>,
    },
    /// A server function over HTTP, as the signed-in admin.
    Web {
        endpoint: &'static str,
        form: Vec<(&'static str, String)>,
    },
}

/// One bad input and the fragment of the error message it must produce.
struct Row {
    name: &'static str,
    via: Via,
    expect: &'static str,
}

fn cli(name: &'static str, args: Vec<&str>, expect: &'static str) -> Row {
    cli_env(name, args, &[], expect)
}

fn cli_env(name: &'static str, args: Vec<&str>, env: &[(&'static str, &str)], expect: &'static str) -> Row {
    Row {
        name,
        via: Via::Cli {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        },
        expect,
    }
}

fn cli_owned(name: &'static str, args: Vec<String>, expect: &'static str) -> Row {
    Row {
        name,
        via: Via::Cli { args, env: Vec::new() },
        expect,
    }
}

fn web(name: &'static str, endpoint: &'static str, form: &[(&'static str, &str)], expect: &'static str) -> Row {
    Row {
        name,
        via: Via::Web {
            endpoint,
            form: form.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        },
        expect,
    }
}

fn web_owned(
    name: &'static str,
    endpoint: &'static str,
    form: Vec<(&'static str, String)>,
    expect: &'static str,
) -> Row {
    Row {
        name,
        via: Via::Web { endpoint, form },
        expect,
    }
}

fn fixture(name: &str) -> String {
    common::fixture_path(name).display().to_string()
}

/// A valid FatturaPA fixture with `from` replaced by `to`, written to `dir/name`.
fn fattura_variant(dir: &Path, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(fixture("IT02345678901_PRIVATO.xml")).expect("fixture");
    assert!(text.contains(from), "fixture lacks {from}");
    write(dir, name, text.replace(from, to).as_bytes())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input file");
    path.display().to_string()
}

/// Hostile or malformed FatturaPA files written for the import rows.
struct Files {
    not_xml: String,
    oversized: String,
    deep: String,
    nan_total: String,
    huge_total: String,
    precise_total: String,
    negative_total: String,
    exp_total: String,
    no_numero: String,
    external_dtd: String,
    utf16_garbage: String,
    directory: String,
    missing: String,
}

fn make_files(dir: &Path) -> Files {
    let numero = "<Numero>389</Numero>";
    let total = "<ImportoTotaleDocumento>36.60</ImportoTotaleDocumento>";
    let deep = format!(
        "<?xml version=\"1.0\"?>{}{}",
        "<a>".repeat(200_000),
        "</a>".repeat(200_000)
    );
    let sub = dir.join("a-directory.xml");
    std::fs::create_dir_all(&sub).expect("mkdir");
    Files {
        not_xml: write(dir, "not_xml.xml", &[0xff, 0xfe, 0x00, 0x01, 0x02, b'<', 0x80, 0x81]),
        oversized: write(
            dir,
            "oversized.xml",
            format!("<?xml version=\"1.0\"?><x>{}</x>", "A".repeat(openfatture::fatturapa::MAX_FATTURA_BYTES + 16)).as_bytes(),
        ),
        deep: write(dir, "deep.xml", deep.as_bytes()),
        nan_total: fattura_variant(dir, "nan.xml", total, "<ImportoTotaleDocumento>NaN</ImportoTotaleDocumento>"),
        huge_total: fattura_variant(
            dir,
            "huge.xml",
            total,
            "<ImportoTotaleDocumento>99999999999999999999999999999.99</ImportoTotaleDocumento>",
        ),
        precise_total: fattura_variant(
            dir,
            "precise.xml",
            total,
            "<ImportoTotaleDocumento>36.60000001</ImportoTotaleDocumento>",
        ),
        exp_total: fattura_variant(dir, "exp.xml", total, "<ImportoTotaleDocumento>3.66e1</ImportoTotaleDocumento>"),
        negative_total: fattura_variant(dir, "negative.xml", total, "<ImportoTotaleDocumento>-36.60</ImportoTotaleDocumento>"),
        no_numero: fattura_variant(dir, "no_numero.xml", numero, "<Numero></Numero>"),
        external_dtd: fattura_variant(
            dir,
            "external_dtd.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!DOCTYPE p:FatturaElettronica SYSTEM \"http://127.0.0.1:9/evil.dtd\">",
        ),
        utf16_garbage: write(dir, "utf16.xml", &[0xfe, 0xff, 0x00, b'<', 0x00, b'x', 0x00, b'>', 0xd8, 0x00]),
        directory: sub.display().to_string(),
        missing: dir.join("does-not-exist.xml").display().to_string(),
    }
}

#[rustfmt::skip]
fn rows(files: &Files, dir: &Path, node_host: &str, node_cert: &str) -> Vec<Row> {
    let long_numero = "N".repeat(300);
    let long_note = "m".repeat(5_000);
    let missing_cert = dir.join("no-such-tls.cert").display().to_string();
    let missing_macaroon = dir.join("no-such.macaroon").display().to_string();
    let add = |total: &'static str| -> Vec<&'static str> { vec!["invoice", "add", "--numero", "B-1", "--client", "Acme", "--total", total] };
    let with = |mut base: Vec<&'static str>, more: &[&'static str]| -> Vec<&'static str> { base.extend_from_slice(more); base };
    let create = |more: &[&'static str]| -> Vec<&'static str> { with(vec!["lightning", "invoice", "create"], more) };
    let set = |key: &'static str, value: &'static str| -> Vec<&'static str> { vec!["config", "set", "--", key, value] };
    let import = |file: &str| -> Vec<String> { vec!["invoice".into(), "import".into(), file.to_string()] };
    let hook = |more: &[&'static str]| -> Vec<&'static str> { with(vec!["lightning", "webhooks", "add"], more) };
    let inv = |numero: &str, anno: &str, amount: &str, expiry: &str| -> Vec<(&'static str, String)> {
        vec![("numero", numero.into()), ("anno", anno.into()), ("amount_eur", amount.into()), ("expiry_hours", expiry.into())]
    };
    let fx = |name: &str| fixture(name);
    vec![
        // ---- CLI: EUR invoices (`invoice add`, `invoice show`) ----
        cli("invoice add: zero total", add("0"), "amount must be greater than 0 EUR (got 0)"),
        cli("invoice add: negative total", vec!["invoice", "add", "--numero", "B-1", "--client", "Acme", "--total=-5"], "amount must be greater than 0 EUR (got -5)"),
        cli("invoice add: too precise total", add("12.345"), "amount 12.345 EUR has more than 2 decimals"),
        cli("invoice add: NaN total", add("NaN"), "invalid value 'NaN' for '--total <TOTAL>'"),
        cli("invoice add: huge total", add("99999999999999999999999999999"), "invalid value '99999999999999999999999999999' for '--total <TOTAL>'"),
        cli("invoice add: exponent total", add("1e30"), "invalid value '1e30' for '--total <TOTAL>'"),
        cli("invoice add: comma total", add("1,5"), "invalid value '1,5' for '--total <TOTAL>'"),
        cli("invoice add: empty total", add(""), "invalid value '' for '--total <TOTAL>'"),
        cli("invoice add: ritenuta above total", with(add("10"), &["--ritenuta", "20"]), "--ritenuta 20 is larger than the total 10"),
        cli("invoice add: negative ritenuta", with(add("10"), &["--ritenuta=-2"]), "--ritenuta must not be negative (got -2)"),
        cli("invoice add: negative bollo", with(add("10"), &["--bollo=-2"]), "--bollo must not be negative (got -2)"),
        cli("invoice add: too precise bollo", with(add("10"), &["--bollo", "1.234"]), "--bollo 1.234 has more than 2 decimals"),
        cli("invoice add: impossible date", with(add("10"), &["--date", "2024-13-45"]), "invalid value '2024-13-45' for '--date <DATE>'"),
        cli("invoice add: empty numero", vec!["invoice", "add", "--numero", "", "--client", "Acme", "--total", "10"], "--numero must not be empty"),
        cli("invoice add: empty client", vec!["invoice", "add", "--numero", "B-1", "--client", "", "--total", "10"], "--client must not be empty"),
        cli("invoice add: duplicate numero", vec!["invoice", "add", "--numero", "OK-1", "--client", "Acme", "--total", "10"], "invoice OK-1 of 2026 already exists"),
        cli("invoice show: unknown numero", vec!["invoice", "show", "NOPE-404"], "no invoice with numero NOPE-404"),
        // ---- CLI: Lightning invoices ----
        cli("ln create: unknown numero", create(&["--numero", "NOPE-404"]), "no invoice with numero NOPE-404"),
        cli("ln create: zero expiry", create(&["--numero", "OK-1", "--expiry-hours", "0"]), "expiry of 0 hours is outside the allowed 1–168 hours"),
        cli("ln create: expiry above max", create(&["--numero", "OK-1", "--expiry-hours", "100000"]), "expiry of 100000 hours is outside the allowed 1–168 hours"),
        cli("ln create: negative expiry", create(&["--numero", "OK-1", "--expiry-hours=-1"]), "invalid value '-1' for '--expiry-hours <EXPIRY_HOURS>'"),
        cli("ln create: zero amount", create(&["--numero", "OK-1", "--amount", "0"]), "amount must be greater than 0 EUR (got 0)"),
        cli("ln create: too precise amount", create(&["--numero", "OK-1", "--amount", "1.001"]), "amount 1.001 EUR has more than 2 decimals"),
        cli("ln create: amount above what is due", create(&["--numero", "OK-1", "--amount", "600"]), "amount 600 EUR is more than the 500.00 EUR still due on invoice OK-1"),
        cli("ln create: negative standalone amount", create(&["--amount=-1"]), "amount must be greater than 0 EUR (got -1)"),
        cli("ln status: unknown id", vec!["lightning", "invoice", "status", "LN-NOPE"], "no Lightning invoice LN-NOPE"),
        cli("ln cancel: unknown id", vec!["lightning", "invoice", "cancel", "LN-NOPE"], "no Lightning invoice LN-NOPE"),
        cli_env("ln create: unreadable cert path", create(&["--numero", "OK-1"]),
            &[("LIGHTNING_HOST", node_host), ("LIGHTNING_CERT_PATH", &missing_cert), ("LIGHTNING_MACAROON_PATH", &missing_macaroon)],
            "cannot read the TLS certificate at"),
        cli_env("ln create: cert that is not PEM", create(&["--numero", "OK-1"]),
            &[("LIGHTNING_HOST", node_host), ("LIGHTNING_CERT_PATH", &fx("IT02345678901_PRIVATO.xml")), ("LIGHTNING_MACAROON_PATH", &missing_macaroon)],
            "is not a PEM certificate"),
        cli_env("ln create: unreadable macaroon path", create(&["--numero", "OK-1"]),
            &[("LIGHTNING_HOST", node_host), ("LIGHTNING_CERT_PATH", node_cert), ("LIGHTNING_MACAROON_PATH", &missing_macaroon)],
            "no-such.macaroon"),
        // ---- CLI: users ----
        cli("user add: bad name", vec!["user", "add", "Bad Name", "--role", "admin", "--password-stdin"], "invalid username 'Bad Name'"),
        cli("user add: unknown role", vec!["user", "add", "bob", "--role", "superuser", "--password-stdin"], "unknown role 'superuser'"),
        // ---- CLI: config values ----
        cli("config: unknown key", set("lightning_nope", "1"), "unknown configuration key `lightning_nope`"),
        cli("config: bool", set("lightning_enabled", "yes"), "invalid value `yes` for lightning_enabled"),
        cli("config: zero timeout", set("lightning_timeout_seconds", "0"), "invalid value `0` for lightning_timeout_seconds"),
        cli("config: negative timeout", set("lightning_timeout_seconds", "-3"), "invalid value `-3` for lightning_timeout_seconds"),
        cli("config: fractional retries", set("lightning_max_retries", "1.5"), "invalid value `1.5` for lightning_max_retries"),
        cli("config: huge number", set("lightning_rate_cache_ttl", "99999999999999999999999"), "invalid value `99999999999999999999999` for lightning_rate_cache_ttl"),
        cli("config: NaN rate", set("lightning_fallback_rate", "NaN"), "invalid value `NaN` for lightning_fallback_rate"),
        cli("config: zero rate", set("lightning_fallback_rate", "0"), "invalid value `0` for lightning_fallback_rate"),
        cli("config: ratio above 1", set("lightning_liquidity_min_ratio", "1.01"), "invalid value `1.01` for lightning_liquidity_min_ratio"),
        cli("config: ratio order", set("lightning_liquidity_min_ratio", "0.9"), "lightning_liquidity_min_ratio (0.9) must not be greater than lightning_liquidity_target_ratio"),
        cli("config: expiry order", set("lightning_min_expiry_hours", "500"), "lightning_min_expiry_hours (500) must not be greater than"),
        cli("config: host without port", set("lightning_host", "localhost"), "invalid value `localhost` for lightning_host"),
        cli("config: host with scheme", set("lightning_host", "https://localhost:10009"), "invalid value `https://localhost:10009` for lightning_host"),
        cli("config: port out of range", set("lightning_host", "localhost:99999"), "invalid value `localhost:99999` for lightning_host"),
        cli("config: ftp webhook url", set("lightning_webhook_url", "ftp://example.com/x"), "invalid value `ftp://example.com/x` for lightning_webhook_url"),
        cli("config: url without scheme", set("lightning_webhook_url", "example.com"), "invalid value `example.com` for lightning_webhook_url"),
        cli("config: javascript url", set("lightning_coingecko_base_url", "javascript:alert(1)"), "invalid value `javascript:alert(1)` for lightning_coingecko_base_url"),
        cli("config: empty value", set("lightning_default_expiry_hours", ""), "invalid value `` for lightning_default_expiry_hours"),
        // ---- CLI: FatturaPA files ----
        cli_owned("import: billion laughs", import(&fx("bad_billion_laughs.xml")), "bad_billion_laughs.xml: DOCTYPE/ENTITY declarations are not allowed"),
        cli_owned("import: XXE", import(&fx("bad_xxe.xml")), "bad_xxe.xml: DOCTYPE/ENTITY declarations are not allowed"),
        cli_owned("import: malformed", import(&fx("bad_malformed.xml")), "bad_malformed.xml: malformed XML at line 55"),
        cli_owned("import: truncated", import(&fx("bad_truncated.xml")), "bad_truncated.xml: truncated XML"),
        cli_owned("import: empty file", import(&fx("empty.xml")), "empty.xml: file is empty"),
        cli_owned("import: too precise importo", import(&fx("bad_importo.xml")), "a euro amount must be in whole cents"),
        cli_owned("import: impossible date", import(&fx("bad_date.xml")), "2024-02-30 is not a calendar date"),
        cli_owned("import: USD", import(&fx("bad_usd.xml")), "only EUR invoices are supported"),
        cli_owned("import: unknown versione", import(&fx("bad_versione.xml")), "only FatturaPA 1.2 invoices"),
        cli_owned("import: second body without numero", import(&fx("bad_missing_numero_body2.xml")), "missing FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero"),
        cli_owned("import: binary garbage", import(&files.not_xml), "not_xml.xml: unsupported character encoding"),
        cli_owned("import: oversized", import(&files.oversized), "larger than the 16777216 bytes a FatturaPA file may have"),
        cli_owned("import: deep nesting", import(&files.deep), "deep.xml: elements nested deeper than 32 levels"),
        cli_owned("import: NaN total", import(&files.nan_total), "nan.xml: bad decimal \"NaN\""),
        cli_owned("import: huge total", import(&files.huge_total), "more than 15 digits before the decimal point"),
        cli_owned("import: too precise total", import(&files.precise_total), "precise.xml: bad decimal \"36.60000001\""),
        cli_owned("import: negative total", import(&files.negative_total), "a document total cannot be negative"),
        cli_owned("import: exponent total", import(&files.exp_total), "exp.xml: bad decimal \"3.66e1\""),
        cli_owned("import: empty numero", import(&files.no_numero), "the element is empty; a value is required"),
        cli_owned("import: external DTD", import(&files.external_dtd), "external_dtd.xml: DOCTYPE/ENTITY declarations are not allowed"),
        cli_owned("import: UTF-16 garbage", import(&files.utf16_garbage), "utf16.xml: unsupported character encoding"),
        cli_owned("import: a directory", import(&files.directory), "a-directory.xml: cannot read"),
        cli_owned("import: missing file", import(&files.missing), "does-not-exist.xml: cannot read: No such file"),
        cli_owned("import: two bad files", vec!["invoice".into(), "import".into(), files.nan_total.clone(), files.precise_total.clone()], "2 file(s) refused, nothing of them imported"),
        // ---- CLI: webhook endpoint settings ----
        cli("webhooks add: empty event filter", hook(&["erp2", "http://127.0.0.1:9/h", "--secret", "s3cret", "--events", ""]), "the event filter is empty: use * for all events"),
        cli("webhooks add: empty name", hook(&["", "http://127.0.0.1:9/h", "--secret", "s3cret"]), "give the endpoint a name"),
        cli("ln create: unknown year of a known numero", create(&["--numero", "OK-1", "--anno", "1800"]), "no invoice OK-1 of 1800: OK-1 exists for"),
        cli("ln create: description with a text-direction character", create(&["--amount", "10", "--description", "Fattura \u{202E}1202"]), "the description contains a text-direction character (U+202E)"),
        cli("ln create: description with a control character", create(&["--amount", "10", "--description", "riga\u{7}"]), "the description contains an invisible control character (U+0007)"),
        web("pos_charge: grouping", "pos_charge", &[("amount_eur", "1.234,56"), ("note", "")], "400 invalid_amount"),
        web("pos_charge: exponent", "pos_charge", &[("amount_eur", "1e3"), ("note", "")], "400 invalid_amount"),
        web("pos_charge: bidi note", "pos_charge", &[("amount_eur", "5"), ("note", "x\u{202E}y")], "400 unsafe_note"),
        cli_owned("ln create: oversized description", ["lightning", "invoice", "create", "--amount", "10", "--description"].iter().map(|s| s.to_string()).chain([long_note.clone()]).collect(), "the description is too long (5000 characters): at most 300 characters"),
        cli("webhooks add: ftp url", hook(&["erp2", "ftp://example.com/x", "--secret", "s3cret"]), "webhook URL 'ftp://example.com/x' is not a valid http:// or https:// URL"),
        cli("webhooks add: relative url", hook(&["erp2", "/hook", "--secret", "s3cret"]), "webhook URL '/hook' is not a valid"),
        cli("webhooks add: url with spaces", hook(&["erp2", "http://exa mple.com/", "--secret", "s3cret"]), "webhook URL 'http://exa mple.com/' is not a valid"),
        cli("webhooks add: unknown event", hook(&["erp2", "http://127.0.0.1:9/h", "--secret", "s3cret", "--events", "payment_received,nope"]), "unknown event 'nope' in the event filter"),
        cli("webhooks add: empty secret", hook(&["erp2", "http://127.0.0.1:9/h", "--secret", ""]), "--secret must not be empty"),
        cli("webhooks remove: unknown", vec!["lightning", "webhooks", "remove", "nope-hook"], "no webhook endpoint nope-hook"),
        // ---- server functions over HTTP ----
        // A cashier gets a short code the POS shows in its language (issue 31 §2); the detail is logged.
        web("pos_charge: zero", "pos_charge", &[("amount_eur", "0"), ("note", "")], "400 amount_too_small"),
        web("pos_charge: negative", "pos_charge", &[("amount_eur", "-3,50"), ("note", "")], "400 amount_too_small"),
        web("pos_charge: too precise", "pos_charge", &[("amount_eur", "1,005"), ("note", "")], "400 invalid_amount"),
        web("pos_charge: NaN", "pos_charge", &[("amount_eur", "NaN"), ("note", "")], "400 invalid_amount"),
        web("pos_charge: text", "pos_charge", &[("amount_eur", "dieci"), ("note", "")], "400 invalid_amount"),
        web("pos_charge: empty", "pos_charge", &[("amount_eur", ""), ("note", "")], "400 invalid_amount"),
        web("pos_charge: huge", "pos_charge", &[("amount_eur", "999999999999999999"), ("note", "")], "400 amount_too_large"),
        web("pos_charge: oversized note", "pos_charge", &[("amount_eur", "5"), ("note", &long_note)], "400 note_too_long"),
        web("pos_charge: missing argument", "pos_charge", &[("note", "x")], "the request was not understood"),
        web_owned("create_invoice: unknown numero", "admin_create_invoice", inv("NOPE-404", "", "", ""), "no invoice with numero NOPE-404"),
        web_owned("create_invoice: unknown year", "admin_create_invoice", inv("OK-1", "1800", "", ""), "no invoice OK-1 of 1800: OK-1 exists for"),
        web_owned("create_invoice: zero expiry", "admin_create_invoice", inv("OK-1", "", "", "0"), "expiry of 0 hours is outside the allowed 1–168 hours"),
        web_owned("create_invoice: huge expiry", "admin_create_invoice", inv("OK-1", "", "", "99999999999"), "expiry of 99999999999 hours is outside the allowed"),
        web_owned("create_invoice: text expiry", "admin_create_invoice", inv("OK-1", "", "", "soon"), "expiry in hours 'soon' is not a whole number"),
        web_owned("create_invoice: text anno", "admin_create_invoice", inv("OK-1", "duemila", "", ""), "year 'duemila' is not a whole number"),
        web_owned("create_invoice: negative amount", "admin_create_invoice", inv("OK-1", "", "-1", ""), "amount must be greater than 0 EUR and typed without a sign"),
        web_owned("create_invoice: too precise amount", "admin_create_invoice", inv("OK-1", "", "1.001", ""), "amount has more than 2 decimals"),
        web_owned("create_invoice: NaN amount", "admin_create_invoice", inv("OK-1", "", "NaN", ""), "this is not an amount in EUR: 'N' is not allowed"),
        web_owned("create_invoice: above due", "admin_create_invoice", inv("OK-1", "", "600", ""), "amount 600.00 € is more than the 500.00 € still due on invoice OK-1"),
        web_owned("create_invoice: oversized numero", "admin_create_invoice", inv(&long_numero, "", "", ""), "no invoice with numero NNNN"),
        web("setting_set: unknown key", "admin_setting_set", &[("key", "lightning_nope"), ("value", "1")], r#""key":"lightning_nope","problem":{"problem":"unknown_key"}"#),
        web("setting_set: bad bool", "admin_setting_set", &[("key", "lightning_enabled"), ("value", "maybe")], r#""key":"lightning_enabled","problem":{"kind":{"type":"bool"},"problem":"invalid"}"#),
        web("setting_set: NaN rate", "admin_setting_set", &[("key", "lightning_fallback_rate"), ("value", "NaN")], r#""key":"lightning_fallback_rate","problem":{"kind":{"type":"positive_decimal"},"problem":"invalid"}"#),
        web("setting_set: bad url", "admin_setting_set", &[("key", "lightning_webhook_url"), ("value", "not a url")], r#""key":"lightning_webhook_url","problem":{"kind":{"type":"url"},"problem":"invalid"}"#),
        web("setting_set: order", "admin_setting_set", &[("key", "lightning_max_expiry_hours"), ("value", "5")], r#""problem":"out_of_order","upper_key":"lightning_max_expiry_hours","upper_value":"5""#),
        web("webhook_add: bad url", "admin_webhook_add", &[("name", "erp3"), ("url", "gopher://x"), ("secret", "s"), ("events", "*")], "webhook URL 'gopher://x' is not a valid"),
        web("webhook_add: unknown event", "admin_webhook_add", &[("name", "erp3"), ("url", "http://127.0.0.1:9/h"), ("secret", "s"), ("events", "everything")], "unknown event 'everything' in the event filter"),
        web("webhook_add: empty name", "admin_webhook_add", &[("name", ""), ("url", "http://127.0.0.1:9/h"), ("secret", "s"), ("events", "*")], "give the endpoint a name"),
        web("webhook_add: missing arguments", "admin_webhook_add", &[("name", "erp3")], "the request was not understood"),
    ]
}

/// A full logical dump of every table plus the bytes of `config.toml`.
async fn snapshot(web: &Web) -> Res<(Vec<String>, Option<Vec<u8>>)> {
    let store = openfatture::store::Store::open_in(&web.home.data_dir).await?;
    let rows = common::dump_exact(&store, &common::ALL_TABLES).await;
    store.close().await;
    let config = std::fs::read(&web.home.config_file).ok();
    Ok((rows, config))
}

/// Runs the binary in the gateway's home; returns (exit code, stdout, stderr).
async fn run_cli(
    home: &Path,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> Res<(Option<i32>, String, String)> {
    let home = home.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = common::openfatture(&home);
        cmd.envs(common::rates::KEYLESS_OFF)
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .env("LIGHTNING_FALLBACK_RATE", "45000")
            .args(&args)
            .write_stdin("")
            .timeout(Duration::from_secs(30));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output()
    })
    .await??;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

async fn ok_cli(home: &Path, args: &[&str]) -> Res<()> {
    let (code, stdout, stderr) = run_cli(home, args.iter().map(|a| a.to_string()).collect(), Vec::new()).await?;
    if code != Some(0) {
        return Err(format!("setup `{}` failed: {stdout}{stderr}", args.join(" ")).into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_clearly_and_change_nothing() -> Res<()> {
    let web = Web::start(true).await?;
    let home = web.home.data_dir.clone();
    let node = openfatture::config::EmbeddedNode::read(&home).ok_or("no embedded-node.json")?;
    let node_cert = node.tls_cert_path.display().to_string();
    let work = tempfile::tempdir()?;
    let files = make_files(work.path());

    // Some state for the rows to bump into: an invoice, a Lightning invoice on it, a setting, an
    // imported FatturaPA and a webhook endpoint.
    ok_cli(
        &home,
        &[
            "invoice", "add", "--numero", "OK-1", "--client", "Acme", "--total", "500.00",
        ],
    )
    .await?;
    ok_cli(&home, &["config", "set", "lightning_default_expiry_hours", "12"]).await?;
    ok_cli(&home, &["invoice", "import", &fixture("IT02345678901_PRIVATO.xml")]).await?;
    let cookie = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let (status, body, _) = web
        .call(
            "admin_create_invoice",
            Some(&cookie),
            &[
                ("numero", "OK-1"),
                ("anno", ""),
                ("amount_eur", "100"),
                ("expiry_hours", ""),
            ],
        )
        .await?;
    assert_eq!(status, 200, "setup Lightning invoice: {body}");
    ok_cli(
        &home,
        &[
            "lightning",
            "webhooks",
            "add",
            "erp",
            "http://127.0.0.1:9/hook",
            "--secret",
            "s3cret",
            "--events",
            "payment_received",
        ],
    )
    .await?;

    // Let background work (tracker catching up with the new invoice) settle, and prove it has.
    let mut before = snapshot(&web).await?;
    let mut settled = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let again = snapshot(&web).await?;
        settled = again == before;
        before = again;
        if settled {
            break;
        }
    }
    assert!(
        settled,
        "the database kept changing on its own for 10 s; the rows could not be judged"
    );
    assert!(before.1.is_some(), "config.toml exists before the rows");

    let table = rows(&files, work.path(), &node.host, &node_cert);
    let total = table.len();
    let verbose = std::env::var_os("BAD_INPUT_VERBOSE").is_some();
    let mut failures = Vec::new();
    for row in table {
        let message = match row.via {
            Via::Cli { args, env } => {
                let (code, stdout, stderr) = run_cli(&home, args, env).await?;
                if code == Some(0) || code.is_none() {
                    failures.push(format!(
                        "[{}] accepted or killed (exit {code:?}): {stdout}{stderr}",
                        row.name
                    ));
                }
                if stderr.contains("panicked") {
                    failures.push(format!("[{}] panicked: {stderr}", row.name));
                }
                stderr
            }
            Via::Web { endpoint, form } => {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, body, _) = web.call(endpoint, Some(&cookie), &form).await?;
                if status == 200 {
                    failures.push(format!("[{}] accepted: {body}", row.name));
                }
                // The words a page shows, then the reply itself (codes and values).
                format!("{status} {} {body}", error_text(&body))
            }
        };
        if verbose {
            println!("[{}] {}", row.name, message.trim());
        }
        if !message.contains(row.expect) {
            failures.push(format!(
                "[{}] expected `{}` in: {}",
                row.name,
                row.expect,
                message.trim()
            ));
        }
        let after = snapshot(&web).await?;
        if after.0 != before.0 {
            let added: Vec<_> = after.0.iter().filter(|r| !before.0.contains(r)).collect();
            let removed: Vec<_> = before.0.iter().filter(|r| !after.0.contains(r)).collect();
            failures.push(format!("[{}] changed the database: +{added:?} -{removed:?}", row.name));
            before = after;
        } else if after.1 != before.1 {
            failures.push(format!("[{}] changed config.toml", row.name));
            before = after;
        }
    }
    println!("bad input: {total} rows run, {} failed", failures.len());
    assert!(total >= 50, "at least 50 rows");
    assert!(
        failures.is_empty(),
        "{} of {total} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
