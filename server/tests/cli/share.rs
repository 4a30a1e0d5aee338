//! `openfatture lightning invoice share ID --pdf FILE` (issue 35 §2): the courtesy copy of an
//! imported fattura, read back with an independent PDF reader; its QR decodes to the payment link
//! printed, which is the live link of the fattura (the same on every copy until replaced).

use crate::common;

use std::net::SocketAddr;
use std::path::Path;

use assert_cmd::Command;
use common::fixture_path as fixture;
use common::lightning::start_node_at;
use common::stdout_of as ok;
use simnode::{MacaroonKind, RunningNode};

const BASE: &str = "https://pay.example.it";

fn openfatture(home: &Path, node: &RunningNode) -> Command {
    let mut cmd = common::openfatture(home);
    cmd.envs(common::rates::KEYLESS_OFF)
        .env("LIGHTNING_COINGECKO_ENABLED", "false")
        .env("LIGHTNING_FALLBACK_RATE", "45000.00")
        .env("SHOP_NAME", "Studio Verdi")
        .env("LIGHTNING_HOST", node.grpc_addr().to_string())
        .env("LIGHTNING_CERT_PATH", node.tls_cert_path())
        .env("LIGHTNING_MACAROON_PATH", node.macaroon_path(MacaroonKind::Invoice));
    cmd
}

/// One test's shop: a runtime, a temporary directory with the home, and a simnode running there.
struct Shop {
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    home: std::path::PathBuf,
    node: RunningNode,
}

/// A fresh [`Shop`].
fn shop() -> Shop {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let node = rt
        .block_on(start_node_at(&dir.path().join("node"), listen))
        .expect("simnode");
    Shop { rt, dir, home, node }
}

/// The PDF's text and the text of its drawn QR code.
fn read_pdf(path: &Path) -> (String, String) {
    let bytes = std::fs::read(path).expect("the PDF was written");
    (common::pdf::text_of(&bytes), common::pdf::qr_of(&bytes))
}

#[test]
fn the_courtesy_copy_of_an_imported_fattura_carries_its_live_payment_link_every_time() {
    let Shop { rt, dir, home, node } = shop();

    ok(openfatture(&home, &node)
        .args(["invoice", "import"])
        .arg(fixture("IT07700770077_RITENUTE.xml")));
    ok(openfatture(&home, &node).args(["lightning", "invoice", "create", "--numero", "17/2025"]));
    let pdf = dir.path().join("17-2025.pdf");

    // Without the public address the QR would open nothing: refused, no file written.
    let refused = openfatture(&home, &node)
        .args(["lightning", "invoice", "share", "17/2025-LN", "--pdf"])
        .arg(&pdf)
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("openfatture config set public_base_url"), "{err}");
    assert!(!pdf.exists());

    let json = ok(openfatture(&home, &node)
        .env("PUBLIC_BASE_URL", BASE)
        .args(["--json", "lightning", "invoice", "share", "17/2025-LN", "--pdf"])
        .arg(&pdf));
    let shared: serde_json::Value = serde_json::from_str(&json).expect("json");
    let url = shared["payment_url"].as_str().expect("url").to_string();
    assert!(
        url.starts_with("https://pay.example.it/pay/") && url.len() == BASE.len() + 5 + 43,
        "{url}"
    );
    // 1268.80 total − 200.00 (RT01) − 50.00 (RT02) = 1018.80 due.
    assert_eq!(shared["due_eur"], "1018.80");

    let (text, qr) = read_pdf(&pdf);
    assert_eq!(qr, url, "the QR code opens the printed link");
    for expected in [
        "Fattura n. 17/2025",
        "Studio Verdi",
        "1.268,80 €",
        "1.018,80 €",
        url.as_str(),
    ] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }

    // A second copy in a row carries the same link (derived again from the link key), and
    // `link` shows it again.
    let again = ok(openfatture(&home, &node)
        .env("PUBLIC_BASE_URL", BASE)
        .args(["--json", "lightning", "invoice", "share", "17/2025-LN", "--pdf"])
        .arg(&pdf));
    let second: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(second["payment_url"], shared["payment_url"]);
    assert_eq!(read_pdf(&pdf).1, url);
    let shown = ok(openfatture(&home, &node).env("PUBLIC_BASE_URL", BASE).args([
        "--json",
        "lightning",
        "invoice",
        "link",
        "17/2025-LN",
    ]));
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(
        (shown["link"].as_str(), shown["payment_url"].as_str()),
        (Some("live"), Some(url.as_str()))
    );
    // The key is a private file of the data directory.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = home.join("payment_link.key");
        let meta = std::fs::metadata(&key).expect("the link key exists");
        assert_eq!((meta.len(), meta.permissions().mode() & 0o777), (32, 0o600));
    }

    // `--new` replaces it: the next copy carries the new link, not the old one.
    let replaced = ok(openfatture(&home, &node).env("PUBLIC_BASE_URL", BASE).args([
        "--json",
        "lightning",
        "invoice",
        "link",
        "17/2025-LN",
        "--new",
    ]));
    let replaced: serde_json::Value = serde_json::from_str(&replaced).expect("json");
    let new_url = replaced["payment_url"].as_str().expect("new url").to_string();
    assert_eq!(replaced["link"], "issued");
    assert_ne!(new_url, url);
    ok(openfatture(&home, &node)
        .env("PUBLIC_BASE_URL", BASE)
        .args(["lightning", "invoice", "share", "17/2025-LN", "--pdf"])
        .arg(&pdf));
    assert_eq!(read_pdf(&pdf).1, new_url);
    rt.block_on(node.shutdown());
}

#[test]
fn share_by_email_delivers_the_link_and_the_pdf_to_a_real_smtp_server() {
    let Shop {
        rt,
        dir: _dir,
        home,
        node,
    } = shop();
    // The sink turns the first connection away with 421: the send is tried again.
    let sink = rt.block_on(common::smtp::SmtpSink::start(1));
    let smtp = |cmd: &mut Command| {
        cmd.env("PUBLIC_BASE_URL", BASE)
            .env("SMTP_HOST", "127.0.0.1")
            .env("SMTP_PORT", sink.addr.port().to_string())
            .env("SMTP_SECURITY", "none")
            .env("SMTP_USERNAME", "studio")
            .env("SMTP_PASSWORD", "smtp-secret-1")
            .env("SMTP_FROM", "Studio Verdi <fatture@verdi.example>");
    };
    ok(openfatture(&home, &node)
        .args(["invoice", "import"])
        .arg(fixture("IT07700770077_RITENUTE.xml")));
    ok(openfatture(&home, &node).args(["lightning", "invoice", "create", "--numero", "17/2025"]));

    // Not an address: refused before anything is made or sent.
    let mut bad = openfatture(&home, &node);
    smtp(&mut bad);
    let out = bad
        .args([
            "lightning",
            "invoice",
            "share",
            "17/2025-LN",
            "--email",
            "mario at example",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an email address"));
    assert!(sink.messages().is_empty());

    let mut cmd = openfatture(&home, &node);
    smtp(&mut cmd);
    let out = ok(cmd.args([
        "--json",
        "lightning",
        "invoice",
        "share",
        "17/2025-LN",
        "--email",
        "cliente@example.it",
    ]));
    let shared: serde_json::Value = serde_json::from_str(&out).expect("json");
    let url = shared["payment_url"].as_str().expect("url");
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "one email");
    assert!(
        *sink.connections.lock().expect("lock") >= 2,
        "tried again after the 421"
    );
    let mail = &messages[0];
    assert_eq!(mail.from, "fatture@verdi.example");
    assert_eq!(mail.to, vec!["cliente@example.it".to_string()]);
    assert_eq!(mail.auth.as_deref(), Some("\0studio\0smtp-secret-1"));
    assert!(mail.data.contains("Subject: Fattura 17/2025"), "{}", mail.data);
    assert!(mail.data.contains(url), "the link is in the body");
    assert!(mail.data.contains("application/pdf"), "the PDF is attached");
    assert!(mail.data.contains("fattura-17-2025.pdf"));
    // The sending is an `invoice_sent` event (and its webhooks).
    let kinds: Vec<String> = rt.block_on(async {
        let store = openfatture::store::Store::open_in(&home).await.expect("store");
        let events = store.events_for_invoice("17/2025-LN").await.expect("events");
        store.close().await;
        events.iter().map(|e| e.kind.clone()).collect()
    });
    assert_eq!(kinds.iter().filter(|k| *k == "invoice_sent").count(), 1, "{kinds:?}");

    // SMTP down: the email stays queued in the outbox with the server's words (for `serve` to
    // retry), the command says so; nothing is lost and no second `invoice_sent`.
    let mut down = openfatture(&home, &node);
    smtp(&mut down);
    let out = ok(down.env("SMTP_PORT", "1").args([
        "lightning",
        "invoice",
        "share",
        "17/2025-LN",
        "--email",
        "cliente@example.it",
    ]));
    assert!(out.contains("The email to cliente@example.it is queued"), "{out}");
    assert!(
        out.contains("the SMTP server 127.0.0.1:1 did not take the email after 3 attempt(s)"),
        "{out}"
    );
    let listed =
        ok(openfatture(&home, &node).args(["--json", "lightning", "invoice", "share", "17/2025-LN", "--list"]));
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let mails = listed.as_array().expect("array");
    assert_eq!(mails.len(), 2, "{listed}");
    assert_eq!(mails[0]["state"], "queued", "{listed}");
    assert_eq!(mails[0]["attempts"], 1, "{listed}");
    assert_eq!(mails[0]["last_error_code"], "unreachable", "{listed}");
    assert!(
        mails[0]["last_error"].as_str().unwrap_or("").contains("127.0.0.1:1"),
        "{listed}"
    );
    assert!(mails[0]["next_attempt_at"].is_string(), "{listed}");
    assert_eq!(mails[1]["state"], "sent", "{listed}");
    assert_eq!(mails[1]["to"], "cliente@example.it", "{listed}");
    let text = ok(openfatture(&home, &node).args(["lightning", "invoice", "share", "17/2025-LN", "--list"]));
    assert!(text.contains("queued after 1 attempt(s), next attempt"), "{text}");
    assert!(
        text.contains("last error (unreachable): the SMTP server 127.0.0.1:1"),
        "{text}"
    );
    assert!(text.contains("sent after 1 attempt(s), sent "), "{text}");
    let sent_events = rt.block_on(async {
        let store = openfatture::store::Store::open_in(&home).await.expect("store");
        let events = store.events_for_invoice("17/2025-LN").await.expect("events");
        store.close().await;
        events.iter().filter(|e| e.kind == "invoice_sent").count()
    });
    assert_eq!(sent_events, 1, "a queued email is no `invoice_sent`");
    rt.block_on(node.shutdown());
}

#[test]
fn smtp_security_starttls_and_tls_deliver_with_the_shops_ca_and_none_is_refused_by_a_tls_only_server() {
    use common::smtp::{SinkTls, SmtpSink};
    let Shop { rt, dir, home, node } = shop();
    // A CA of the test's own and a `localhost` certificate it signed, as a shop's own mail server has.
    let cert = common::web::TestCertificate::for_localhost(dir.path()).expect("certificate");
    let ca_file = dir.path().join("smtp-ca.pem");
    std::fs::write(&ca_file, &cert.ca_pem).expect("ca");
    let acceptor = SinkTls::acceptor(&cert);
    let starttls = rt.block_on(SmtpSink::start_with(0, SinkTls::StartTls(acceptor.clone())));
    let implicit = rt.block_on(SmtpSink::start_with(0, SinkTls::Implicit(acceptor)));
    ok(openfatture(&home, &node)
        .args(["invoice", "import"])
        .arg(fixture("IT07700770077_RITENUTE.xml")));
    ok(openfatture(&home, &node).args(["lightning", "invoice", "create", "--numero", "17/2025"]));
    let share = |security: &str, port: u16, ca: Option<&Path>| {
        let mut cmd = openfatture(&home, &node);
        cmd.env("PUBLIC_BASE_URL", BASE)
            .env("SMTP_HOST", "localhost")
            .env("SMTP_PORT", port.to_string())
            .env("SMTP_SECURITY", security)
            .env("SMTP_USERNAME", "studio")
            .env("SMTP_PASSWORD", "smtp-secret-2")
            .env("SMTP_FROM", "fatture@verdi.example")
            .args([
                "lightning",
                "invoice",
                "share",
                "17/2025-LN",
                "--email",
                "cliente@example.it",
            ]);
        if let Some(ca) = ca {
            cmd.env("SMTP_CA_FILE", ca);
        }
        cmd.output().expect("runs")
    };
    let text = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };

    // STARTTLS with the shop's CA: delivered over TLS, the password only after the upgrade.
    let out = share("starttls", starttls.addr.port(), Some(&ca_file));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sent to cliente@example.it"), "{}", text(&out));
    let got = starttls.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].over_tls, "the message came in clear");
    assert_eq!(got[0].auth.as_deref(), Some("\0studio\0smtp-secret-2"));

    // The same server's certificate without its CA: not trusted, nothing sent (queued for later).
    let out = share("starttls", starttls.addr.port(), None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("is queued"), "{}", text(&out));
    assert_eq!(starttls.messages().len(), 1, "sent to an untrusted server");

    // Implicit TLS (port 465 style) with the shop's CA: delivered over TLS.
    let out = share("tls", implicit.addr.port(), Some(&ca_file));
    assert!(out.status.success(), "{}", text(&out));
    let got = implicit.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].over_tls);

    // `none` against a server that requires TLS: refused for good, with the server's words.
    let out = share("none", starttls.addr.port(), None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("was refused for good (refused)"), "{said}");
    assert!(said.contains("Must issue a STARTTLS command first"), "{said}");
    assert_eq!(starttls.messages().len(), 1);
    let listed =
        ok(openfatture(&home, &node).args(["--json", "lightning", "invoice", "share", "17/2025-LN", "--list"]));
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let states: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["failed", "sent", "queued", "sent"], "{listed}");
    rt.block_on(node.shutdown());
}

/// Writes the courtesy copy of Lightning invoice `id` to a PDF and returns its text.
fn shared_pdf_text(home: &Path, node: &RunningNode, id: &str, pdf: &Path) -> String {
    ok(openfatture(home, node)
        .env("PUBLIC_BASE_URL", BASE)
        .args(["lightning", "invoice", "share", id, "--pdf"])
        .arg(pdf));
    read_pdf(pdf).0
}

#[test]
fn the_courtesy_copy_prints_the_imported_lines_the_iva_summary_and_the_totals() {
    let Shop { rt, dir, home, node } = shop();

    // Three lines at 22 %, 10 % and 0 % (N1), a RT01 ritenuta.
    ok(openfatture(&home, &node)
        .args(["invoice", "import"])
        .arg(fixture("IT05678901234_LINEE.xml")));
    ok(openfatture(&home, &node).args(["lightning", "invoice", "create", "--numero", "2026/118"]));
    let text = shared_pdf_text(&home, &node, "2026/118-LN", &dir.path().join("118.pdf"));
    for expected in [
        // The lines: description (the long one wrapped over rows), quantity and unit, unit
        // price, rate, line total.
        "Sviluppo del sito web aziendale con",
        "gestionale di magazzino",
        "40 ore",
        "45,00 €",
        "1.800,00 €",
        "22%",
        "Manuale d'uso stampato",
        "3 pz",
        "12,50 €",
        "37,50 €",
        "10%",
        "Spese anticipate in nome e per conto",
        "16,00 €",
        "0% N1",
        // The IVA summary: rate, imponibile, imposta.
        "Riepilogo IVA / VAT summary",
        "396,00 €",
        "3,75 €",
        // Totals: 1800 + 396 + 37.50 + 3.75 + 16 = 2253.25; − 360.00 RT01 = 1893.25 due.
        "2.253,25 €",
        "Ritenuta RT01",
        "-360,00 €",
        "Da pagare con Lightning / To pay with Lightning: 1.893,25 €",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    // The lines replace the Causale shown when the lines are not known.
    assert!(!text.contains("Sito web e catalogo prodotti, ottobre 2026"), "{text}");
    let summary_rows: Vec<&str> = text.lines().filter(|l| l.contains("imponibile")).collect();
    assert_eq!(summary_rows.len(), 3, "one summary row per rate: {summary_rows:?}");
    assert!(
        summary_rows[0].contains("22%")
            && summary_rows[0].contains("1.800,00 €")
            && summary_rows[0].contains("396,00 €")
    );
    assert!(
        summary_rows[1].contains("10%") && summary_rows[1].contains("37,50 €") && summary_rows[1].contains("3,75 €")
    );
    assert!(
        summary_rows[2].contains("0% N1") && summary_rows[2].contains("16,00 €") && summary_rows[2].contains("0,00 €")
    );
    rt.block_on(node.shutdown());
}

#[test]
fn the_courtesy_copy_of_an_invoice_added_by_hand_prints_its_one_line() {
    let Shop { rt, dir, home, node } = shop();

    ok(openfatture(&home, &node).args([
        "invoice",
        "add",
        "--numero",
        "M-7",
        "--client",
        "Bar Centrale",
        "--description",
        "Consulenza fiscale, novembre 2026",
        "--total",
        "610.00",
    ]));
    ok(openfatture(&home, &node).args(["lightning", "invoice", "create", "--numero", "M-7"]));
    let text = shared_pdf_text(&home, &node, "M-7-LN", &dir.path().join("m7.pdf"));
    let line = text
        .lines()
        .find(|l| l.contains("Consulenza fiscale, novembre 2026"))
        .unwrap_or_else(|| panic!("the line is missing in:\n{text}"));
    assert!(line.trim_start().starts_with('1'), "line number 1: {line:?}");
    assert!(line.contains("610,00 €"), "its total: {line:?}");
    assert!(!line.contains('%'), "its IVA rate is not known, shown blank: {line:?}");
    assert!(
        !text.contains("Riepilogo IVA"),
        "no IVA summary for a hand-added invoice: {text}"
    );
    rt.block_on(node.shutdown());
}
