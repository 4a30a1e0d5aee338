//! `openfatture invoice import` on a batch as found in the wild (issue 33): one file, one
//! transaction; per-file results with `--json`; `--dry-run`; document types that are not collected
//! skipped with a message; purchase invoices skipped with `shop_vat_number`; re-imports idempotent
//! and differing amounts reported; `invoice show` shows how the amount due was found.

use crate::common;

use std::path::Path;

use common::fixture_path as fixture;
use common::stdout_of as ok;
use serde_json::Value;

fn openfatture(home: &Path) -> assert_cmd::Command {
    common::openfatture(home)
}

/// Runs an import that must exit 1 (a file refused): its stdout (JSON with `--json`) and stderr.
fn refused_run(cmd: &mut assert_cmd::Command) -> (String, String) {
    let out = cmd.output().expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    (
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8(out.stderr).expect("utf8"),
    )
}

/// `(file, status, [(invoice, outcome)])`: one file of a `--json` import.
type FileOutcome = (String, String, Vec<(String, String)>);

/// The files of a `--json` import.
fn per_file(json: &str) -> Vec<FileOutcome> {
    let value: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    value["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let docs = f["documents"]
                .as_array()
                .expect("documents")
                .iter()
                .map(|d| {
                    (
                        d["invoice"].as_str().unwrap().to_string(),
                        d["outcome"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (
                f["file"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                docs,
            )
        })
        .collect()
}

fn list_numeri(home: &Path) -> Vec<String> {
    let json = ok(openfatture(home).args(["--json", "invoice", "list", "--limit", "100"]));
    let rows: Value = serde_json::from_str(&json).expect("json");
    let mut numeri: Vec<String> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| format!("{} {}", r["numero"].as_str().unwrap(), r["due_eur"].as_str().unwrap()))
        .collect();
    numeri.sort();
    numeri
}

#[test]
fn a_batch_stores_every_good_file_and_reports_each_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, b"<FatturaElettronica versione=\"FPR12\"><oops>").expect("write");
    let files = [
        fixture("IT05500550055_SPLIT_PA.xml"),
        bad.clone(),
        fixture("IT04455667701_AUTOFATTURE.xml"),
        fixture("IT01100110011_TD29.xml"),
        fixture("IT02200220022_NC_UNLINKED.xml"),
        fixture("IT06600660066_BOLLO.xml"),
    ];

    // --dry-run: the same report, nothing stored.
    let mut dry = openfatture(home);
    dry.args(["--json", "invoice", "import", "--dry-run"]).args(&files);
    let (json, _) = refused_run(&mut dry);
    let results = per_file(&json);
    assert_eq!(
        results[0].2,
        vec![
            ("PA-12/2025/2025".into(), "would_import".into()),
            ("PA-13/2025/2025".into(), "would_import".into())
        ]
    );
    assert_eq!(list_numeri(home), Vec::<String>::new(), "a dry run stores nothing");

    let mut cmd = openfatture(home);
    cmd.args(["--json", "invoice", "import"]).args(&files);
    let (json, stderr) = refused_run(&mut cmd);
    assert!(
        stderr.contains("1 file(s) refused") && stderr.contains("bad.xml: truncated XML"),
        "{stderr}"
    );
    let results = per_file(&json);
    let s = |x: &str| x.to_string();
    assert_eq!(
        results,
        vec![
            (
                s("IT05500550055_SPLIT_PA.xml"),
                s("imported"),
                vec![
                    (s("PA-12/2025/2025"), s("imported")),
                    (s("PA-13/2025/2025"), s("imported"))
                ]
            ),
            (s("bad.xml"), s("refused"), vec![]),
            (
                s("IT04455667701_AUTOFATTURE.xml"),
                s("skipped"),
                vec![
                    (s("AF-1/2025"), s("skipped")),
                    (s("AF-2/2025"), s("skipped")),
                    (s("AF-3/2025"), s("skipped")),
                    (s("AF-4/2025"), s("skipped"))
                ]
            ),
            (
                s("IT01100110011_TD29.xml"),
                s("skipped"),
                vec![(s("COM-1/2025"), s("skipped"))]
            ),
            (
                s("IT02200220022_NC_UNLINKED.xml"),
                s("skipped"),
                vec![(s("NC-9/2025"), s("skipped"))]
            ),
            (
                s("IT06600660066_BOLLO.xml"),
                s("imported"),
                vec![(s("B-1/2025"), s("imported")), (s("B-2/2025"), s("imported"))]
            ),
        ]
    );
    assert!(
        json.contains("TD17 is a self-invoice or reverse-charge integration (autofattura): nothing is collected"),
        "{json}"
    );
    assert!(
        json.contains("TD29 is the buyer's communication of an invoice its supplier omitted or got wrong"),
        "{json}"
    );
    assert!(
        json.contains("credit note (TD04) names no imported invoice in DatiFattureCollegate"),
        "{json}"
    );
    // Split payment: 1220.00 − 220.00 = 1000.00 and 709.60 − 110.00 = 599.60; bollo never added:
    // 152.00 and 200.00. Nothing of the self-invoices, TD29 or the credit note is stored.
    assert_eq!(
        list_numeri(home),
        vec!["B-1 152.00", "B-2 200.00", "PA-12/2025 1000.00", "PA-13/2025 599.60"]
    );

    // `invoice show` gives the derivation, each step with its element.
    let shown = ok(openfatture(home).args(["invoice", "show", "PA-13/2025"]));
    for line in [
        "💶 Due 599.60 EUR",
        "Computed from the document: 599.60 EUR",
        "-0.40  document rounding  (FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Arrotondamento)",
        "-110.00  − split-payment VAT (EsigibilitaIVA S, paid by the client to the Erario)  (FatturaElettronicaBody[2]/DatiBeniServizi/DatiRiepilogo[1]/Imposta)",
        "Used: the computation above",
    ] {
        assert!(shown.contains(line), "missing {line:?} in {shown}");
    }

    // Re-import: idempotent; a file whose amounts differ is reported, the stored one unchanged.
    let changed = dir.path().join("IT06600660066_BOLLO.xml");
    let text = std::fs::read_to_string(fixture("IT06600660066_BOLLO.xml")).expect("read");
    std::fs::write(
        &changed,
        text.replace("<ImportoTotaleDocumento>200.00<", "<ImportoTotaleDocumento>210.00<"),
    )
    .expect("write");
    let json = ok(openfatture(home)
        .args(["--json", "invoice", "import"])
        .arg(fixture("IT05500550055_SPLIT_PA.xml"))
        .arg(&changed));
    let results = per_file(&json);
    assert_eq!(
        results[0].2,
        vec![
            (s("PA-12/2025/2025"), s("already_present")),
            (s("PA-13/2025/2025"), s("already_present"))
        ]
    );
    assert_eq!(
        results[1].2,
        vec![
            (s("B-1/2025"), s("already_present")),
            (s("B-2/2025"), s("already_present_differs"))
        ]
    );
    assert!(json.contains("already stored with total 200.00 EUR and due 200.00 EUR; this file says total 210.00 EUR and due 210.00 EUR"), "{json}");
    assert_eq!(
        list_numeri(home),
        vec!["B-1 152.00", "B-2 200.00", "PA-12/2025 1000.00", "PA-13/2025 599.60"]
    );
}

#[test]
fn installments_and_purchase_invoices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    ok(openfatture(home).args(["config", "set", "--", "shop_vat_number", "IT08800880083"]));
    let out = ok(openfatture(home)
        .args(["invoice", "import"])
        .arg(fixture("IT08800880083_PAGAMENTI.xml"))
        .arg(fixture("IT03300330033_ACQUISTO.xml"))
        .arg(fixture("IT06363391001_FSM10.xml")));
    assert!(
        out.contains("G-77/2025 (TD01): purchase invoice: the merchant (IT08800880083, shop_vat_number) is the CessionarioCommittente"),
        "{out}"
    );
    // ImportoPagamento 120.00 against 122.00 computed: 120.00 used, both figures warned.
    assert!(
        out.contains("DatiPagamento asks 120.00 EUR but the document's figures give 122.00 EUR"),
        "{out}"
    );
    // 3 × 1220.00; 610.00 once (two IBANs); 500.00 + 2 × 360.00; 98.17 + 21.60 − 5.00; 120.00;
    // the fattura semplificata S-45: 61.00 + 10.00 = 71.00, less its TD08 credit note 10.00 = 61.00.
    assert!(
        out.contains("S-46/2025 (TD08): credit note of 10.00 EUR reduces invoice S-45/2025"),
        "{out}"
    );
    assert_eq!(
        list_numeri(home),
        vec![
            "F-101 3660.00",
            "F-102 610.00",
            "F-103 1220.00",
            "F-104 114.77",
            "F-105 120.00",
            "S-45 61.00"
        ]
    );
    let shown = ok(openfatture(home).args(["invoice", "show", "F-101"]));
    assert!(
        shown.contains("Used: DatiPagamento/DettaglioPagamento/ImportoPagamento"),
        "{shown}"
    );
    assert!(shown.contains("1220.00  TP01 due 2025-08-01, MP05"), "{shown}");
    let shown = ok(openfatture(home).args(["invoice", "show", "F-105"]));
    assert!(
        shown.contains("⚠️  invoice F-105/2025: DatiPagamento asks 120.00 EUR"),
        "{shown}"
    );
}

/// Writes a zip archive of `(name, bytes)` entries, deflated.
fn write_zip(path: &Path, entries: &[(&str, Vec<u8>)]) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(bytes).expect("write entry");
    }
    zip.finish().expect("finish zip");
}

#[test]
fn zip_archives_are_unpacked_receipts_ignored_and_a_zip_bomb_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let archive = dir.path().join("fatture_2025.zip");
    let read = |name: &str| std::fs::read(fixture(name)).expect("fixture");
    write_zip(
        &archive,
        &[
            ("2025/IT06600660066_BOLLO.xml", read("IT06600660066_BOLLO.xml")),
            ("IT06600660066_BOLLO_MT_001.xml", b"<FileMetadati/>".to_vec()),
            ("IT06600660066_BOLLO_RC_001.xml", b"<RicevutaConsegna/>".to_vec()),
            ("leggimi.pdf", b"%PDF-1.4".to_vec()),
            ("IT07700770077_RITENUTE.xml", read("IT07700770077_RITENUTE.xml")),
        ],
    );
    let json = ok(openfatture(home).args(["--json", "invoice", "import"]).arg(&archive));
    let s = |x: &str| x.to_string();
    assert_eq!(
        per_file(&json),
        vec![
            (
                s("fatture_2025.zip/2025/IT06600660066_BOLLO.xml"),
                s("imported"),
                vec![(s("B-1/2025"), s("imported")), (s("B-2/2025"), s("imported"))]
            ),
            (
                s("fatture_2025.zip/IT06600660066_BOLLO_MT_001.xml"),
                s("ignored"),
                vec![]
            ),
            (
                s("fatture_2025.zip/IT06600660066_BOLLO_RC_001.xml"),
                s("ignored"),
                vec![]
            ),
            (s("fatture_2025.zip/leggimi.pdf"), s("ignored"), vec![]),
            (
                s("fatture_2025.zip/IT07700770077_RITENUTE.xml"),
                s("imported"),
                vec![(s("17/2025/2025"), s("imported"))]
            ),
        ]
    );
    assert!(
        json.contains("an SDI receipt or metadata file, not an invoice"),
        "{json}"
    );
    // 152.00, 200.00 (bollo never added), 1268.80 − 200.00 − 50.00 = 1018.80.
    assert_eq!(list_numeri(home), vec!["17/2025 1018.80", "B-1 152.00", "B-2 200.00"]);

    // A zip bomb: 5 MiB of one byte deflate to a few KiB; refused, nothing stored from it.
    let bomb = dir.path().join("bomb.zip");
    let mut huge = read("IT05500550055_SPLIT_PA.xml");
    huge.extend(std::iter::repeat_n(b' ', 5 * 1024 * 1024 - huge.len()));
    write_zip(&bomb, &[("IT05500550055_SPLIT_PA.xml", huge)]);
    assert!(std::fs::metadata(&bomb).expect("bomb").len() < 64 * 1024);
    let (_, stderr) = refused_run(openfatture(home).args(["invoice", "import"]).arg(&bomb));
    assert!(
        stderr.contains("bomb.zip: IT05500550055_SPLIT_PA.xml unpacks to more than")
            && stderr.contains("refused as a zip bomb"),
        "{stderr}"
    );
    assert_eq!(list_numeri(home), vec!["17/2025 1018.80", "B-1 152.00", "B-2 200.00"]);
}

#[test]
fn signed_p7m_files_are_imported_with_their_signer_also_inside_a_zip() {
    use common::p7m::{cades_base64, cades_der, SIGNER_SUBJECT};
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let read = |name: &str| std::fs::read(fixture(name)).expect("fixture");
    let signed = dir.path().join("IT07700770077_17.xml.p7m");
    let ritenute = read("IT07700770077_RITENUTE.xml");
    std::fs::write(&signed, cades_base64(&ritenute)).expect("write");
    let archive = dir.path().join("firmate.zip");
    let bollo = read("IT06600660066_BOLLO.xml");
    write_zip(&archive, &[("IT06600660066_B.xml.p7m", cades_der(&bollo, &bollo))]);
    let tampered = dir.path().join("IT05500550055_PA.xml.p7m");
    let split = read("IT05500550055_SPLIT_PA.xml");
    let changed = String::from_utf8(split.clone())
        .expect("utf8")
        .replace("1220.00", "1320.00");
    std::fs::write(&tampered, cades_der(changed.as_bytes(), &split)).expect("write");

    let (out, stderr) = refused_run(
        openfatture(home)
            .args(["invoice", "import"])
            .arg(&signed)
            .arg(&archive)
            .arg(&tampered),
    );
    assert!(
        out.contains(&format!("🔏 IT07700770077_17.xml.p7m: signed by {SIGNER_SUBJECT}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "🔏 firmate.zip/IT06600660066_B.xml.p7m: signed by {SIGNER_SUBJECT}"
        )),
        "{out}"
    );
    assert!(
        stderr.contains("IT05500550055_PA.xml.p7m: bad signed (.p7m) file: the content's digest does not match"),
        "{stderr}"
    );
    let shown = ok(openfatture(home).args(["invoice", "show", "17/2025"]));
    assert!(shown.contains(&format!("🔏 Signed by {SIGNER_SUBJECT}")), "{shown}");
    // 1018.80 from the signed parcella, 152.00 and 200.00 from the nested signed file; nothing
    // from the file changed after signing.
    assert_eq!(list_numeri(home), vec!["17/2025 1018.80", "B-1 152.00", "B-2 200.00"]);
}

#[test]
fn a_file_carrying_the_same_invoice_twice_stores_it_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let xml = std::fs::read_to_string(fixture("IT07700770077_RITENUTE.xml")).expect("fixture");
    let start = xml.find("<FatturaElettronicaBody>").expect("body");
    let end = xml.find("</FatturaElettronicaBody>").expect("body end") + "</FatturaElettronicaBody>".len();
    let twice = format!("{}{}{}", &xml[..end], &xml[start..end], &xml[end..]);
    let file = dir.path().join("twice.xml");
    std::fs::write(&file, twice).expect("write");
    let out = ok(openfatture(home).args(["invoice", "import"]).arg(&file));
    assert!(
        out.contains("the file carries invoice 17/2025/2025 twice: stored once"),
        "{out}"
    );
    assert_eq!(list_numeri(home), vec!["17/2025 1018.80"]);
}

#[test]
fn a_credit_note_in_the_same_file_as_its_invoice_is_applied_in_the_files_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    // The fattura semplificata S-45 (61.00 + 10.00 = 71.00) and its TD08 S-46 (10.00) in one file:
    // a dry run runs the file's whole transaction and rolls it back, so it already sees S-45 when
    // the credit note looks for it, and stores nothing.
    let dry = ok(openfatture(home)
        .args(["invoice", "import", "--dry-run"])
        .arg(fixture("IT06363391001_FSM10.xml")));
    assert!(
        dry.contains("S-46/2025 (TD08): credit note of 10.00 EUR reduces invoice S-45/2025 (due 71.00 EUR before)"),
        "{dry}"
    );
    assert_eq!(list_numeri(home), Vec::<String>::new(), "a dry run stores nothing");
    let out = ok(openfatture(home)
        .args(["invoice", "import"])
        .arg(fixture("IT06363391001_FSM10.xml")));
    assert!(
        out.contains("credit note of 10.00 EUR reduces invoice S-45/2025"),
        "{out}"
    );
    assert_eq!(list_numeri(home), vec!["S-45 61.00"]);
}
