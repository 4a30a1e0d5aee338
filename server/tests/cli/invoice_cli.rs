//! The invoice commands of the `openfatture` binary against a simnode over real TLS: import
//! FatturaPA, create a Lightning invoice, pay it as a customer, see it settled and exported.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;

use assert_cmd::Command;
use common::fixture_path as fixture;
use common::lightning::start_node_at;
use common::stdout_of as ok;
use simnode::{MacaroonKind, RunningNode};

/// The binary with a clean environment, pointed at `node` (invoice.macaroon) and at a fixed
/// fallback rate with the rate providers off, so no network is needed.
fn openfatture(home: &Path, node: Option<&RunningNode>) -> Command {
    let mut cmd = common::openfatture(home);
    cmd.envs(common::rates::KEYLESS_OFF)
        .env("LIGHTNING_COINGECKO_ENABLED", "false")
        .env("LIGHTNING_FALLBACK_RATE", "45000.00");
    if let Some(node) = node {
        cmd.env("LIGHTNING_HOST", node.grpc_addr().to_string())
            .env("LIGHTNING_CERT_PATH", node.tls_cert_path())
            .env("LIGHTNING_MACAROON_PATH", node.macaroon_path(MacaroonKind::Invoice));
    }
    cmd
}

fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).expect("utf8")
}

fn start_node(rt: &tokio::runtime::Runtime, dir: &Path) -> RunningNode {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    rt.block_on(start_node_at(dir, listen)).expect("simnode starts")
}

/// Every row of the invoice tables as text, to prove refusals change nothing.
fn dump(rt: &tokio::runtime::Runtime, home: &Path) -> Vec<String> {
    rt.block_on(async {
        let store = openfatture::store::Store::open_in(home).await.expect("open");
        let rows = common::dump(&store).await;
        store.close().await;
        rows
    })
}

#[test]
fn import_create_pay_settle_and_export() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let node = start_node(&rt, &dir.path().join("node"));

    // Import a FatturaPA file (ritenuta + bollo) and a multi-body one; a second import is a no-op.
    let out = ok(openfatture(&home, None)
        .args(["invoice", "import"])
        .arg(fixture("IT01234567890_FPR01.xml"))
        .arg(fixture("IT07654321098_MULTI.xml")));
    assert!(
        out.contains("Imported 3 invoice(s): 12/2024/2024, 2024/001/2024, 2024/002/2024"),
        "{out}"
    );
    // The credit note names 2024/002 in DatiFattureCollegate: it lowers its amount due.
    assert!(
        out.contains(
            "2024/NC1/2024 (TD04): credit note of 61.00 EUR reduces invoice 2024/002/2024 (due 610.00 EUR before)"
        ),
        "{out}"
    );
    let again = ok(openfatture(&home, None)
        .args(["invoice", "import"])
        .arg(fixture("IT01234567890_FPR01.xml")));
    assert!(
        again.contains("Imported 0 invoice(s)") && again.contains("Already present, left unchanged: 12/2024/2024"),
        "{again}"
    );
    let shown = ok(openfatture(&home, None).args(["invoice", "show", "12/2024"]));
    // 1000.00 − 200.00 ritenuta; the 2.00 bollo is shown, never added.
    assert!(shown.contains("💶 Due 800.00 EUR"), "{shown}");
    assert!(shown.contains("-200.00  − withholding tax (ritenuta RT01)"), "{shown}");
    assert!(
        shown.contains("Bollo 2.00 EUR (DatiBollo/ImportoBollo): paid by the seller, information only, not added"),
        "{shown}"
    );
    // The lines (DettaglioLinee) and the IVA summary (DatiRiepilogo), in text and JSON.
    assert!(shown.contains("🧾 Lines:"), "{shown}");
    let line = shown
        .lines()
        .find(|l| l.contains("Colloqui psicologici individuali"))
        .unwrap_or_else(|| panic!("no line in {shown}"));
    assert!(line.contains("ore ×") && line.contains("N4"), "{line}");
    assert!(shown.contains("🧮 IVA summary:"), "{shown}");
    let summary = shown
        .lines()
        .skip_while(|l| !l.contains("IVA summary"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        summary.contains("N4") && summary.contains("taxable 1000.00 EUR, IVA 0.00 EUR"),
        "{summary}"
    );
    let json = ok(openfatture(&home, None).args(["--json", "invoice", "show", "12/2024"]));
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let number = |v: &serde_json::Value| -> rust_decimal::Decimal {
        v.as_str()
            .unwrap_or_else(|| panic!("EUR as a string: {v}"))
            .parse()
            .expect("decimal")
    };
    let lines = json[0]["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 1, "{json}");
    assert_eq!(lines[0]["description"], "Colloqui psicologici individuali");
    assert_eq!(lines[0]["natura"], "N4");
    assert_eq!(number(&lines[0]["unit_price_eur"]), rust_decimal::Decimal::from(100));
    assert_eq!(number(&lines[0]["total_eur"]), rust_decimal::Decimal::from(1000));
    let vat = json[0]["vat_summary"].as_array().expect("vat_summary");
    assert_eq!(vat.len(), 1, "{json}");
    assert_eq!(vat[0]["natura"], "N4");
    assert_eq!(vat[0]["taxable_eur"], "1000.00");
    assert_eq!(number(&vat[0]["vat_eur"]), rust_decimal::Decimal::ZERO);
    let credited = ok(openfatture(&home, None).args(["invoice", "show", "2024/002"]));
    assert!(
        credited.contains("💶 Due 549.00 EUR") && credited.contains("Credit note 2024/NC1/2024: −61.00 EUR"),
        "{credited}"
    );
    let again = ok(openfatture(&home, None)
        .args(["invoice", "import"])
        .arg(fixture("IT07654321098_MULTI.xml")));
    assert!(
        again.contains("credit note already applied to invoice 2024/002/2024"),
        "{again}"
    );
    let credited = ok(openfatture(&home, None).args(["invoice", "show", "2024/002"]));
    assert!(
        credited.contains("💶 Due 549.00 EUR"),
        "a credit note is applied once: {credited}"
    );

    // Manual invoice, then the spec's create command.
    ok(openfatture(&home, None).args([
        "invoice",
        "add",
        "--numero",
        "INV-001",
        "--client",
        "Acme Corp",
        "--total",
        "500.00",
        "--client-piva",
        "IT01234567890",
    ]));
    let out = ok(openfatture(&home, Some(&node)).args([
        "lightning",
        "invoice",
        "create",
        "--numero",
        "INV-001",
        "--amount",
        "500.00",
    ]));
    assert!(out.contains("⚡ Lightning Invoice Created"), "{out}");
    assert!(out.contains("📄 Invoice: INV-001-LN"), "{out}");
    assert!(
        out.contains("💰 Amount: 500.00 EUR (1,111,112 sats @ 45,000 EUR/BTC, fallback)"),
        "{out}"
    );
    let bolt11 = out
        .lines()
        .find_map(|l| l.strip_prefix("🔗 Payment Request: "))
        .expect("payment request line")
        .to_string();
    assert!(bolt11.starts_with("lnbcrt11111120n1"), "{bolt11}");

    // Same command again: the open invoice comes back, not a second one.
    let again = ok(openfatture(&home, Some(&node)).args([
        "lightning",
        "invoice",
        "create",
        "--numero",
        "INV-001",
        "--amount",
        "500.00",
    ]));
    assert!(again.contains("reused") && again.contains(&bolt11), "{again}");

    // The customer pays through the simnode's control surface.
    let node_dir = dir.path().join("node");
    ok(openfatture(&home, None)
        .args(["simnode", "pay", "--data-dir"])
        .arg(&node_dir)
        .arg(&bolt11));

    let status = ok(openfatture(&home, Some(&node)).args(["lightning", "invoice", "status", "INV-001-LN"]));
    assert!(
        status.contains("📌 Status: SETTLED") && status.contains("✅ Paid: 1,111,112 sats"),
        "{status}"
    );
    let list = ok(openfatture(&home, None).args(["lightning", "payments", "list"]));
    assert!(
        list.contains("INV-001-LN")
            && list.contains("1,111,112")
            && list.contains("500.00")
            && list.contains("Acme Corp"),
        "{list}"
    );
    let shown = ok(openfatture(&home, None).args(["invoice", "show", "INV-001"]));
    assert!(shown.contains("Paid 500.00 EUR, outstanding 0.00 EUR: paid"), "{shown}");
    let listed = ok(openfatture(&home, None).args(["lightning", "invoice", "list", "--status", "settled"]));
    assert!(listed.contains("INV-001-LN") && listed.contains("SETTLED"), "{listed}");

    let today = chrono::Utc::now().date_naive().to_string();
    let csv = ok(openfatture(&home, None).args(["lightning", "payments", "export", "--from", &today, "--to", &today]));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("settled_at,payment_hash,ln_invoice_id,original_invoice,client,client_piva,amount_sats,amount_eur,rate_eur_per_btc,rate_source,method,settle_rate_eur_per_btc,settle_rate_source,settle_rate_at,rate_evidence"));
    let row = lines.next().expect("one row");
    // Settled by a CLI command, whose rate cache is empty (the fallback rate is not a cached
    // market rate): no rate in force is recorded, and the export says so.
    assert!(
        row.ends_with(",INV-001-LN,INV-001,Acme Corp,IT01234567890,1111112,500.00,45000.00,fallback,Lightning Network,,none: no rate cached at settlement,,"),
        "{row}"
    );
    let json = ok(openfatture(&home, None).args(["lightning", "payments", "export", "--format", "json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["amount_sats"], 1_111_112);
    let hash = rows[0]["payment_hash"].as_str().expect("hash").to_string();
    let one = ok(openfatture(&home, None).args(["lightning", "payments", "show", &hash]));
    assert!(one.contains("Original invoice: INV-001 — Acme Corp"), "{one}");

    // A period without payments exports only the header.
    let empty = ok(openfatture(&home, None).args([
        "lightning",
        "payments",
        "export",
        "--from",
        "2001-01-01",
        "--to",
        "2001-12-31",
    ]));
    assert_eq!(empty.lines().count(), 1);

    // Cancelling the settled one is refused.
    let err = fails(openfatture(&home, Some(&node)).args(["lightning", "invoice", "cancel", "INV-001-LN"]));
    assert!(err.contains("already paid (SETTLED) and cannot be cancelled"), "{err}");
    rt.block_on(node.shutdown());
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let node = start_node(&rt, &dir.path().join("node"));
    ok(openfatture(&home, None).args([
        "invoice", "add", "--numero", "INV-100", "--client", "Acme", "--total", "100.00",
    ]));
    let before = dump(&rt, &home);

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "invoice", "add", "--numero", "INV-100", "--client", "Acme", "--total", "100.00",
            ],
            "already exists",
        ),
        (
            vec!["invoice", "add", "--numero", "X", "--client", "Acme", "--total", "0"],
            "greater than 0",
        ),
        (
            vec![
                "invoice", "add", "--numero", "X", "--client", "Acme", "--total", "1.005",
            ],
            "more than 2 decimals",
        ),
        (
            vec![
                "invoice",
                "add",
                "--numero",
                "X",
                "--client",
                "Acme",
                "--total",
                "10",
                "--ritenuta",
                "20",
            ],
            "larger than the total",
        ),
        (
            vec!["invoice", "add", "--numero", " ", "--client", "Acme", "--total", "10"],
            "--numero must not be empty",
        ),
        (
            vec!["lightning", "invoice", "create", "--numero", "NOPE"],
            "no invoice with numero NOPE",
        ),
        (
            vec![
                "lightning",
                "invoice",
                "create",
                "--numero",
                "INV-100",
                "--amount",
                "100.01",
            ],
            "more than the 100.00 EUR still due",
        ),
        (
            vec!["lightning", "invoice", "create", "--numero", "INV-100", "--amount=-1"],
            "greater than 0",
        ),
        (
            vec![
                "lightning",
                "invoice",
                "create",
                "--numero",
                "INV-100",
                "--expiry-hours",
                "500",
            ],
            "outside the allowed 1–168 hours",
        ),
        (
            vec!["lightning", "invoice", "create", "--amount", "99999999999"],
            "above the limit",
        ),
        (
            vec!["lightning", "invoice", "status", "INV-999-LN"],
            "no Lightning invoice INV-999-LN",
        ),
        (
            vec!["lightning", "invoice", "list", "--status", "paid-ish"],
            "unknown status 'paid-ish'",
        ),
        (
            vec!["lightning", "invoice", "list", "--limit", "0"],
            "--limit must be between 1 and 1000",
        ),
        (
            vec!["lightning", "payments", "show", "zz"],
            "expected 64 hex characters",
        ),
        (
            vec![
                "lightning",
                "payments",
                "export",
                "--from",
                "2025-02-01",
                "--to",
                "2025-01-01",
            ],
            "is after --to",
        ),
    ];
    for (args, expected) in &cases {
        let err = fails(openfatture(&home, Some(&node)).args(args));
        assert!(err.contains(expected), "{args:?}: got '{err}', want '{expected}'");
        assert_eq!(dump(&rt, &home), before, "{args:?} changed the database");
    }

    // Bad FatturaPA files: each named with its element; nothing of the bad file imported.
    for (bad, expected) in [
        (
            "bad_missing_numero_body2.xml",
            "bad_missing_numero_body2.xml: missing FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero",
        ),
        ("bad_billion_laughs.xml", "bad_billion_laughs.xml"),
        ("bad_xxe.xml", "bad_xxe.xml"),
        ("bad_malformed.xml", "bad_malformed.xml"),
        ("bad_usd.xml", "only EUR"),
    ] {
        let err = fails(openfatture(&home, None).args(["invoice", "import"]).arg(fixture(bad)));
        assert!(
            err.contains("1 file(s) refused, nothing of them imported") && err.contains(expected),
            "{bad}: {err}"
        );
        assert_eq!(dump(&rt, &home), before, "{bad} changed the database");
    }
    let big = dir.path().join("huge.xml");
    std::fs::write(&big, vec![b' '; 17 * 1024 * 1024]).expect("write");
    let err = fails(openfatture(&home, None).args(["invoice", "import"]).arg(&big));
    assert!(err.contains("huge.xml") && err.contains("larger than"), "{err}");
    assert_eq!(dump(&rt, &home), before);
    rt.block_on(node.shutdown());
}

/// Runs `cmd` on a thread and fails the test when it does not end within `limit`: an import that
/// reads an endless source to its end would never end.
fn fails_within(mut cmd: Command, limit: std::time::Duration) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(fails(&mut cmd));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the import did not end within {limit:?}"))
}

#[test]
fn import_of_dev_zero_stops_at_the_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let mut cmd = openfatture(&home, None);
    cmd.args(["invoice", "import", "/dev/zero"]);
    let err = fails_within(cmd, std::time::Duration::from_secs(20));
    assert!(
        err.contains("/dev/zero: larger than the 16777216 bytes a FatturaPA file may have"),
        "{err}"
    );
}

#[test]
fn import_of_a_fifo_stops_at_the_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let fifo = dir.path().join("feed.xml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    // A writer with more than the limit to give (24 MiB); it stops when the reader goes away.
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(&writer_path)
            .expect("open fifo");
        let chunk = vec![b' '; 64 * 1024];
        let mut written = 0usize;
        while written < 24 * 1024 * 1024 {
            match pipe.write(&chunk) {
                Ok(n) => written += n,
                Err(_) => break, // the reader closed the pipe (EPIPE)
            }
        }
        written
    });
    let mut cmd = openfatture(&home, None);
    cmd.args(["invoice", "import"]).arg(&fifo);
    let err = fails_within(cmd, std::time::Duration::from_secs(20));
    assert!(
        err.contains("feed.xml: larger than the 16777216 bytes a FatturaPA file may have"),
        "{err}"
    );
    let written = writer.join().expect("writer");
    assert!(written < 24 * 1024 * 1024, "the import read all {written} bytes");
}

#[test]
fn an_invoice_with_installments_is_collected_one_installment_at_a_time() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let node = start_node(&rt, &dir.path().join("node"));
    ok(openfatture(&home, None)
        .args(["invoice", "import"])
        .arg(fixture("IT08800880083_PAGAMENTI.xml")));
    // F-101: three TP01 installments of 1220.00: the next unpaid one is asked by default.
    let out = ok(openfatture(&home, Some(&node)).args(["lightning", "invoice", "create", "--numero", "F-101"]));
    assert!(out.contains("💰 Amount: 1220.00 EUR"), "{out}");
    // --all-installments asks the whole 3660.00 (a new invoice replaces the payable one).
    let out = ok(openfatture(&home, Some(&node)).args([
        "lightning",
        "invoice",
        "create",
        "--numero",
        "F-101",
        "--all-installments",
        "--new",
    ]));
    assert!(out.contains("💰 Amount: 3660.00 EUR"), "{out}");
    // F-102 has one payment (two IBANs for the same 610.00): the whole amount.
    let out = ok(openfatture(&home, Some(&node)).args(["lightning", "invoice", "create", "--numero", "F-102"]));
    assert!(out.contains("💰 Amount: 610.00 EUR"), "{out}");
    let shown = ok(openfatture(&home, None).args(["invoice", "show", "F-101"]));
    assert!(
        shown.contains("💶 Due 3660.00 EUR") && shown.contains("Installments:"),
        "{shown}"
    );
    rt.block_on(node.shutdown());
}

/// `lightning_identity_threshold_eur` (issue 38 §5): at or above it a Lightning invoice needs the
/// client's name and codice fiscale or partita IVA, from the fattura or entered; refused
/// otherwise with nothing created; recorded with the invoice and shown in the export.
#[test]
fn identity_threshold_refuses_then_accepts_with_the_client_data() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let node = start_node(&rt, &dir.path().join("node"));
    let cli = |args: &[&str]| {
        let mut cmd = openfatture(&home, Some(&node));
        cmd.env("LIGHTNING_IDENTITY_THRESHOLD_EUR", "100").args(args);
        cmd
    };
    let create = ["lightning", "invoice", "create", "--amount", "100.00"];
    // Standalone, at the threshold, no client data: refused, nothing created.
    let before = dump(&rt, &home);
    let err = fails(&mut cli(&create));
    assert!(
        err.contains("identity threshold of 100 EUR") && err.contains("--client-name NAME --client-tax-id ID"),
        "{err}"
    );
    // A name alone is not enough; a codice fiscale with a wrong check character is refused.
    let err = fails(cli(&create).args(["--client-name", "Mario Rossi"]));
    assert!(err.contains("identity threshold"), "{err}");
    let err = fails(cli(&create).args(["--client-name", "Mario Rossi", "--client-tax-id", "RSSMRA85T10A562T"]));
    assert!(
        err.contains("'RSSMRA85T10A562T' is not a valid codice fiscale or partita IVA"),
        "{err}"
    );
    assert_eq!(dump(&rt, &home), before, "refusals create nothing");
    // Below the threshold nothing is asked.
    let out = ok(&mut cli(&["lightning", "invoice", "create", "--amount", "99.99"]));
    assert!(out.contains("⚡ Lightning Invoice Created"), "{out}");
    // With a valid codice fiscale (lower case is accepted and recorded upper case).
    let out = ok(cli(&create).args(["--client-name", "Mario Rossi", "--client-tax-id", "rssmra85t10a562s"]));
    assert!(out.contains("⚡ Lightning Invoice Created"), "{out}");
    let bolt11 = out
        .lines()
        .find_map(|l| l.strip_prefix("🔗 Payment Request: "))
        .expect("payment request line")
        .to_string();
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("📄 Invoice: "))
        .expect("invoice line")
        .trim()
        .to_string();
    // A fattura whose CessionarioCommittente has name and P.IVA needs nothing entered.
    ok(openfatture(&home, None).args([
        "invoice",
        "add",
        "--numero",
        "BIG-1",
        "--client",
        "Acme Corp",
        "--total",
        "500.00",
        "--client-piva",
        "IT01234567897",
    ]));
    let out = ok(&mut cli(&["lightning", "invoice", "create", "--numero", "BIG-1"]));
    assert!(out.contains("📄 Invoice: BIG-1-LN"), "{out}");
    let recorded = rt.block_on(async {
        let store = openfatture::store::Store::open_in(&home).await.expect("open");
        let a = store.ln_invoice_identity(&id).await.expect("identity");
        let b = store.ln_invoice_identity("BIG-1-LN").await.expect("identity");
        store.close().await;
        (a, b)
    });
    let (entered, from_fattura) = recorded;
    let entered = entered.expect("recorded with the invoice");
    assert_eq!(
        (
            entered.client_name.as_str(),
            entered.client_tax_id.as_str(),
            entered.from_fattura
        ),
        ("Mario Rossi", "RSSMRA85T10A562S", false)
    );
    let from_fattura = from_fattura.expect("recorded from the fattura");
    assert_eq!(
        (from_fattura.client_name.as_str(), from_fattura.from_fattura),
        ("Acme Corp", true)
    );
    // Paid, it appears in the export with the client's name and tax id.
    let node_dir = dir.path().join("node");
    ok(openfatture(&home, None)
        .args(["simnode", "pay", "--data-dir"])
        .arg(&node_dir)
        .arg(&bolt11));
    let status = ok(&mut cli(&["lightning", "invoice", "status", &id]));
    assert!(status.contains("📌 Status: SETTLED"), "{status}");
    let csv = ok(openfatture(&home, None).args(["lightning", "payments", "export"]));
    assert!(csv.contains(&format!(",{id},,Mario Rossi,RSSMRA85T10A562S,")), "{csv}");
}
