//! Fixture-based tests for FatturaPA import: every valid fixture gives exact fields,
//! every bad file gives the right error variant with a message naming file and element.

use crate::common;

use std::str::FromStr;

use chrono::NaiveDate;
use common::read_fixture as fixture;
use openfatture::fatturapa::{
    parse_fattura, Cliente, FatturaPaError, ImportedInvoice, TotaleSource, MAX_FATTURA_BYTES,
};
use rust_decimal::Decimal;

fn parse_fixture(name: &str) -> Result<Vec<ImportedInvoice>, FatturaPaError> {
    parse_fattura(&fixture(name), name)
}

/// The invoices without their derivation and instalments (checked by the amount-due tests) and
/// their lines and IVA summary (checked by the lines tests).
fn without_derivation(invoices: &[ImportedInvoice]) -> Vec<ImportedInvoice> {
    invoices
        .iter()
        .cloned()
        .map(|mut inv| {
            inv.derivation.clear();
            inv.installments.clear();
            inv.lines.clear();
            inv.vat_summary.clear();
            inv
        })
        .collect()
}

fn eur(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test literal")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date")
}

fn parse_err(name: &str) -> FatturaPaError {
    match parse_fixture(name) {
        Ok(invoices) => panic!("{name} should be rejected, got {invoices:?}"),
        Err(err) => err,
    }
}

fn assert_message(err: &FatturaPaError, parts: &[&str]) {
    let message = err.to_string();
    for part in parts {
        assert!(message.contains(part), "message {message:?} should contain {part:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Valid fixtures
// ---------------------------------------------------------------------------------------------

#[test]
fn fpr12_with_ritenuta_and_bollo_virtuale() {
    let invoices = parse_fixture("IT01234567890_FPR01.xml").expect("valid");
    let expected = ImportedInvoice {
        numero: "12/2024".into(),
        data: date(2024, 3, 15),
        anno: 2024,
        tipo_documento: "TD06".into(),
        divisa: "EUR".into(),
        cedente_piva: "IT01234567890".into(),
        cedente_denominazione: "Laura Bianchi".into(),
        cliente: Cliente {
            denominazione: "Officine Meccaniche Tiburtine S.p.A.".into(),
            piva: Some("IT09876543210".into()),
            codice_fiscale: None,
            email: None,
        },
        descrizione: "Sportello di ascolto psicologico per i dipendenti - febbraio 2024".into(),
        totale_eur: eur("1000.00"),
        totale_source: TotaleSource::ImportoTotaleDocumento,
        ritenuta_eur: eur("200.00"),
        bollo_eur: eur("2.00"),
        importo_pagamento_eur: None,
        split_payment_iva_eur: Decimal::ZERO,
        installments: Vec::new(),
        derivation: Vec::new(),
        collegate: Vec::new(),
        lines: Vec::new(),
        vat_summary: Vec::new(),
    };
    assert_eq!(without_derivation(&invoices), vec![expected]);
    // 1000.00 total − 200.00 ritenuta = 800.00; the 2.00 bollo is never added on top.
    assert_eq!(invoices[0].amount_due_eur(), eur("800.00"));
    assert_eq!(invoices[0].totale_eur.to_string(), "1000.00");
}

#[test]
fn fpa12_to_public_administration_with_split_payment() {
    // ns2: prefix, UTF-8 BOM, CRLF line ends, a processing instruction, &amp; in a name.
    let invoices = parse_fixture("IT04455667788_FPA07.xml").expect("valid");
    let expected = ImportedInvoice {
        numero: "FPA 7/24".into(),
        data: date(2024, 6, 30),
        anno: 2024,
        tipo_documento: "TD01".into(),
        divisa: "EUR".into(),
        cedente_piva: "IT04455667788".into(),
        cedente_denominazione: "Idraulica Verdi S.n.c. di Verdi Mario & C.".into(),
        cliente: Cliente {
            denominazione: "Comune di Vimercate".into(),
            piva: None,
            codice_fiscale: Some("80012345678".into()),
            email: None,
        },
        descrizione: "Manutenzione straordinaria impianto idrico scuola primaria \"Don Milani\"".into(),
        totale_eur: eur("1220.00"),
        totale_source: TotaleSource::ImportoTotaleDocumento,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        importo_pagamento_eur: Some(eur("1000.00")),
        split_payment_iva_eur: eur("220.00"),
        installments: Vec::new(),
        derivation: Vec::new(),
        collegate: Vec::new(),
        lines: Vec::new(),
        vat_summary: Vec::new(),
    };
    assert_eq!(without_derivation(&invoices), vec![expected]);
    // Split payment: the PA pays only the taxable amount, as DatiPagamento says, and the
    // computation agrees: 1220.00 − 220.00 VAT with EsigibilitaIVA S = 1000.00.
    assert_eq!(invoices[0].amount_due_eur(), eur("1000.00"));
    assert_eq!(invoices[0].computed_due_eur(), eur("1000.00"));
    assert_eq!(invoices[0].due_warning(), None);
}

#[test]
fn multi_body_file_gives_one_invoice_per_body_sharing_the_header() {
    let invoices = parse_fixture("IT07654321098_MULTI.xml").expect("valid");
    let cliente = Cliente {
        denominazione: "Libreria Il Gabbiano di Rossi Anna".into(),
        piva: Some("IT01122334455".into()),
        codice_fiscale: Some("RSSNNA70A41F839U".into()),
        // DatiTrasmissione/PECDestinatario: where to write to the client.
        email: Some("libreriailgabbiano@pec.it".into()),
    };
    let invoice = |numero: &str, data: NaiveDate, tipo: &str, descrizione: &str, totale: &str| ImportedInvoice {
        numero: numero.into(),
        data,
        anno: 2024,
        tipo_documento: tipo.into(),
        divisa: "EUR".into(),
        cedente_piva: "IT07654321098".into(),
        cedente_denominazione: "Tipografia Esposito S.r.l.".into(),
        cliente: cliente.clone(),
        descrizione: descrizione.into(),
        totale_eur: eur(totale),
        totale_source: TotaleSource::ImportoTotaleDocumento,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        importo_pagamento_eur: None,
        split_payment_iva_eur: Decimal::ZERO,
        installments: Vec::new(),
        derivation: Vec::new(),
        collegate: Vec::new(),
        lines: Vec::new(),
        vat_summary: Vec::new(),
    };
    assert_eq!(
        without_derivation(&invoices),
        vec![
            invoice(
                "2024/001",
                date(2024, 1, 31),
                "TD01",
                "Stampa 500 volantini A5 fronte/retro",
                "244.00"
            ),
            invoice(
                "2024/002",
                date(2024, 2, 29),
                "TD01",
                "Ordine n. 88 del 12/02/2024",
                "610.00"
            ),
            ImportedInvoice {
                collegate: vec!["2024/002".into()],
                lines: Vec::new(),
                vat_summary: Vec::new(),
                ..invoice(
                    "2024/NC1",
                    date(2024, 3, 5),
                    "TD04",
                    "Storno parziale fattura 2024/002 - 10 cataloghi difettosi",
                    "61.00"
                )
            },
        ]
    );
    let due: Vec<Decimal> = invoices.iter().map(ImportedInvoice::amount_due_eur).collect();
    assert_eq!(due, vec![eur("244.00"), eur("610.00"), eur("61.00")]);
}

#[test]
fn persona_fisica_cliente_with_codice_fiscale_only() {
    let invoices = parse_fixture("IT02345678901_PRIVATO.xml").expect("valid");
    let expected = ImportedInvoice {
        numero: "389".into(),
        data: date(2024, 12, 20),
        anno: 2024,
        tipo_documento: "TD01".into(),
        divisa: "EUR".into(),
        cedente_piva: "IT02345678901".into(),
        cedente_denominazione: "Pasticceria Dolce Vita di Niccolò Ferri".into(),
        cliente: Cliente {
            denominazione: "Giuseppe Verdi".into(),
            piva: None,
            codice_fiscale: Some("VRDGPP85M01D612K".into()),
            email: None,
        },
        descrizione: "Torta millefoglie 1,5 kg (€ 20,00/kg)".into(),
        totale_eur: eur("36.60"),
        totale_source: TotaleSource::ImportoTotaleDocumento,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        importo_pagamento_eur: None,
        split_payment_iva_eur: Decimal::ZERO,
        installments: Vec::new(),
        derivation: Vec::new(),
        collegate: Vec::new(),
        lines: Vec::new(),
        vat_summary: Vec::new(),
    };
    assert_eq!(without_derivation(&invoices), vec![expected]);
    assert_eq!(invoices[0].amount_due_eur(), eur("36.60"));
}

#[test]
fn missing_importo_totale_is_summed_from_dati_riepilogo() {
    let invoices = parse_fixture("IT03456789012_NOTOTALE.xml").expect("valid");
    let expected = ImportedInvoice {
        numero: "FD-2025-0031".into(),
        data: date(2025, 1, 31),
        anno: 2025,
        tipo_documento: "TD24".into(),
        divisa: "EUR".into(),
        cedente_piva: "IT03456789012".into(),
        cedente_denominazione: "Alimentari Gallo S.a.s.".into(),
        cliente: Cliente {
            denominazione: "Trattoria Da Beppe S.r.l.".into(),
            piva: Some("IT05566778899".into()),
            codice_fiscale: Some("05566778899".into()),
            email: None,
        },
        descrizione: "Olio extravergine di oliva 5 l".into(),
        totale_eur: eur("177.00"),
        totale_source: TotaleSource::DatiRiepilogo,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        importo_pagamento_eur: None,
        split_payment_iva_eur: Decimal::ZERO,
        installments: Vec::new(),
        derivation: Vec::new(),
        collegate: Vec::new(),
        lines: Vec::new(),
        vat_summary: Vec::new(),
    };
    assert_eq!(without_derivation(&invoices), vec![expected]);
    assert_eq!(invoices[0].amount_due_eur(), eur("177.00"));
}

#[test]
fn dati_pagamento_with_two_instalments_is_summed() {
    let invoices = parse_fixture("IT04567890123_RATE.xml").expect("valid");
    let expected = ImportedInvoice {
        numero: "25/0007".into(),
        data: date(2025, 2, 3),
        anno: 2025,
        tipo_documento: "TD01".into(),
        divisa: "EUR".into(),
        cedente_piva: "IT04567890123".into(),
        cedente_denominazione: "Pixel Lab S.r.l.s.".into(),
        cliente: Cliente {
            denominazione: "Hotel Bellavista S.r.l.".into(),
            piva: Some("IT06677889900".into()),
            codice_fiscale: None,
            email: None,
        },
        descrizione: "Realizzazione sito web e-commerce".into(),
        totale_eur: eur("2440.00"),
        totale_source: TotaleSource::ImportoTotaleDocumento,
        ritenuta_eur: Decimal::ZERO,
        bollo_eur: Decimal::ZERO,
        importo_pagamento_eur: Some(eur("2440.00")),
        split_payment_iva_eur: Decimal::ZERO,
        installments: Vec::new(),
        derivation: Vec::new(),
        collegate: Vec::new(),
        lines: Vec::new(),
        vat_summary: Vec::new(),
    };
    assert_eq!(without_derivation(&invoices), vec![expected]);
    assert_eq!(invoices[0].amount_due_eur(), eur("2440.00"));
}

#[test]
fn amount_due_prefers_payment_instalments_over_the_formula() {
    let mut invoice = parse_fixture("IT01234567890_FPR01.xml").expect("valid").remove(0);
    assert_eq!(
        invoice.amount_due_eur(),
        eur("800.00"),
        "1000.00 − 200.00, bollo not added"
    );
    assert_eq!(invoice.due_warning(), None);
    invoice.importo_pagamento_eur = Some(eur("790.00"));
    assert_eq!(invoice.amount_due_eur(), eur("790.00"));
    let warning = invoice.due_warning().expect("a disagreement is warned");
    assert!(warning.contains("790.00") && warning.contains("800.00"), "{warning}");
}

#[test]
fn invoices_round_trip_through_serde_with_decimal_strings() {
    let invoices = parse_fixture("IT04455667788_FPA07.xml").expect("valid");
    let json = serde_json::to_string(&invoices[0]).expect("serialize");
    assert!(json.contains(r#""totale_eur":"1220.00""#), "{json}");
    assert!(json.contains(r#""data":"2024-06-30""#), "{json}");
    let back: ImportedInvoice = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, invoices[0]);
}

// ---------------------------------------------------------------------------------------------
// Bad files
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_xml_reports_line_and_column() {
    let err = parse_err("bad_malformed.xml");
    assert!(
        matches!(
            err,
            FatturaPaError::Malformed {
                line: 55,
                column: 20,
                ..
            }
        ),
        "{err:?}"
    );
    assert_message(
        &err,
        &["bad_malformed.xml: malformed XML at line 55, column 20", "Nummero"],
    );
}

#[test]
fn missing_numero_in_second_body_names_the_body() {
    let err = parse_err("bad_missing_numero_body2.xml");
    assert_eq!(
        err,
        FatturaPaError::Missing {
            file: "bad_missing_numero_body2.xml".into(),
            path: "FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "bad_missing_numero_body2.xml: missing FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero"
    );
}

#[test]
fn billion_laughs_doctype_is_rejected_before_expansion() {
    let err = parse_err("bad_billion_laughs.xml");
    assert_eq!(
        err,
        FatturaPaError::DoctypeRejected {
            file: "bad_billion_laughs.xml".into(),
            line: 2,
            column: 1
        }
    );
    assert_message(
        &err,
        &["bad_billion_laughs.xml: DOCTYPE/ENTITY declarations are not allowed"],
    );
}

#[test]
fn external_entity_doctype_is_rejected() {
    let err = parse_err("bad_xxe.xml");
    assert_eq!(
        err,
        FatturaPaError::DoctypeRejected {
            file: "bad_xxe.xml".into(),
            line: 2,
            column: 1
        }
    );
    assert!(
        !err.to_string().contains("root:"),
        "no file content may leak into the message"
    );
}

#[test]
fn entity_reference_without_doctype_is_malformed() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace("<Numero>389</Numero>", "<Numero>&xxe;</Numero>");
    let err = parse_fattura(xml.as_bytes(), "ref.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::Malformed { .. }), "{err:?}");
    assert_message(&err, &["ref.xml", "undefined entity &xxe;"]);
}

#[test]
fn usd_divisa_is_rejected() {
    let err = parse_err("bad_usd.xml");
    assert!(
        matches!(&err, FatturaPaError::UnsupportedCurrency { divisa, .. } if divisa == "USD"),
        "{err:?}"
    );
    assert_message(
        &err,
        &[
            "bad_usd.xml: FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/Divisa is \"USD\"",
            "only EUR invoices are supported",
        ],
    );
}

#[test]
fn wrong_versione_is_rejected() {
    let err = parse_err("bad_versione.xml");
    assert_eq!(
        err,
        FatturaPaError::UnsupportedVersione {
            file: "bad_versione.xml".into(),
            found: "1.1".into()
        }
    );
    assert_message(
        &err,
        &[
            "bad_versione.xml: FatturaElettronica/@versione is \"1.1\"",
            "FPA12 or FPR12",
        ],
    );
}

#[test]
fn missing_versione_is_rejected() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace(" versione=\"FPR12\"", "");
    let err = parse_fattura(xml.as_bytes(), "nov.xml").expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::UnsupportedVersione {
            file: "nov.xml".into(),
            found: "(missing)".into()
        }
    );
}

#[test]
fn bad_date_is_rejected() {
    let err = parse_err("bad_date.xml");
    assert!(
        matches!(&err, FatturaPaError::InvalidDate { value, line: 54, .. } if value == "2024-02-30"),
        "{err:?}"
    );
    assert_message(
        &err,
        &["bad_date.xml: bad date \"2024-02-30\" in FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/Data", "not a calendar date"],
    );
}

#[test]
fn importo_totale_must_be_whole_cents() {
    let err = parse_err("bad_importo.xml");
    assert!(
        matches!(&err, FatturaPaError::InvalidDecimal { value, .. } if value == "36.605"),
        "{err:?}"
    );
    assert_message(
        &err,
        &["bad_importo.xml: bad decimal \"36.605\" in FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento", "whole cents"],
    );
}

#[test]
fn comma_decimal_separator_is_rejected_with_a_hint() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace("<ImportoTotaleDocumento>36.60<", "<ImportoTotaleDocumento>36,60<");
    let err = parse_fattura(xml.as_bytes(), "comma.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::InvalidDecimal { .. }), "{err:?}");
    assert_message(
        &err,
        &[
            "comma.xml",
            "ImportoTotaleDocumento",
            "use '.' as the decimal separator",
        ],
    );
}

#[test]
fn truncated_file_is_reported_as_truncated() {
    let err = parse_err("bad_truncated.xml");
    assert!(matches!(err, FatturaPaError::Truncated { .. }), "{err:?}");
    assert_message(&err, &["bad_truncated.xml: truncated XML", "<DatiBollo>"]);
}

#[test]
fn truncation_anywhere_never_yields_invoices() {
    let full = fixture("IT07654321098_MULTI.xml");
    let end_of_last_body = String::from_utf8_lossy(&full)
        .rfind("</FatturaElettronicaBody>")
        .expect("body");
    for cut in (0..end_of_last_body).step_by(7) {
        let result = parse_fattura(&full[..cut], "cut.xml");
        assert!(result.is_err(), "cut at {cut} was accepted");
    }
    // Cut inside a tag: the XML parser itself notices.
    let err = parse_fattura(&full[..end_of_last_body + 5], "cut.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::Truncated { .. }), "{err:?}");
}

#[test]
fn empty_file_is_rejected() {
    let err = parse_err("empty.xml");
    assert_eq!(
        err,
        FatturaPaError::Empty {
            file: "empty.xml".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "empty.xml: file is empty; expected a FatturaPA XML invoice"
    );
    assert_eq!(
        parse_fattura(b" \r\n\t", "blank.xml"),
        Err(FatturaPaError::Empty {
            file: "blank.xml".into()
        })
    );
}

#[test]
fn oversized_file_is_rejected_without_parsing() {
    // A valid fixture padded with a huge comment: well-formed, but over the limit.
    let mut bytes = fixture("IT02345678901_PRIVATO.xml");
    bytes.extend_from_slice(b"<!--");
    bytes.resize(MAX_FATTURA_BYTES + 1 - 3, b'x');
    bytes.extend_from_slice(b"-->");
    assert_eq!(bytes.len(), MAX_FATTURA_BYTES + 1);
    let err = parse_fattura(&bytes, "huge.xml").expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::TooLarge {
            file: "huge.xml".into(),
            size_bytes: MAX_FATTURA_BYTES + 1,
            max_bytes: MAX_FATTURA_BYTES
        }
    );
    assert_message(&err, &["huge.xml", "16777216-byte limit"]);

    // Exactly at the limit is accepted.
    bytes.truncate(MAX_FATTURA_BYTES - 3);
    bytes.extend_from_slice(b"-->");
    assert_eq!(parse_fattura(&bytes, "limit.xml").map(|v| v.len()), Ok(1));
}

#[test]
fn p7m_envelopes_are_not_read_as_xml() {
    // `parse_fattura` reads XML: an envelope there is refused with a hint; `parse_fattura_file`
    // unwraps signed files (tests in `signed.rs`).
    let der = [
        0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
    ];
    let err = parse_fattura(&der, "IT01234567890_00001.xml").expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::SignedP7m {
            file: "IT01234567890_00001.xml".into()
        }
    );
    assert_message(
        &err,
        &["a signed (CAdES/PKCS#7) envelope where the invoice XML was expected; name the file *.xml.p7m"],
    );

    // Base64-encoded envelope.
    let err = parse_fattura(b"MIAGCSqGSIb3DQEHAqCAMIACAQEx", "b64.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::SignedP7m { .. }), "{err:?}");
}

#[test]
fn non_utf8_content_is_rejected() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml")).expect("utf-8");
    // Latin-1 "ò" (0xF2) as written by a Windows tool that forgot the declaration.
    let bytes = xml.replace("Niccolò", "Niccol\u{1}").into_bytes();
    let at = bytes.iter().position(|&b| b == 1).expect("marker");
    let mut latin1 = bytes.clone();
    latin1[at] = 0xF2;
    let err = parse_fattura(&latin1, "latin1.xml").expect_err("must fail");
    assert!(
        matches!(err, FatturaPaError::NotUtf8 { byte_offset, line: 20, .. } if byte_offset == at),
        "{err:?}"
    );

    let declared = String::from_utf8_lossy(&latin1).replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    let mut declared = declared.into_bytes();
    // from_utf8_lossy turned 0xF2 into U+FFFD; put the raw byte back.
    let replacement = "\u{FFFD}".as_bytes();
    let pos = declared.windows(3).position(|w| w == replacement).expect("marker");
    declared.splice(pos..pos + 3, [0xF2]);
    // Declared, it is decoded: the name comes through exactly.
    let invoices = parse_fattura(&declared, "latin1decl.xml").expect("ISO-8859-1 is decoded");
    assert!(format!("{invoices:?}").contains("Niccolò"), "{invoices:?}");
}

#[test]
fn ascii_file_declaring_another_encoding_is_accepted() {
    let xml = String::from_utf8(fixture("IT04567890123_RATE.xml"))
        .expect("utf-8")
        .replace("encoding=\"UTF-8\"", "encoding=\"windows-1252\"");
    assert!(xml.is_ascii());
    assert_eq!(parse_fattura(xml.as_bytes(), "ascii.xml").map(|v| v.len()), Ok(1));
}

#[test]
fn missing_cessionario_identity_is_reported() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace("<CodiceFiscale>VRDGPP85M01D612K</CodiceFiscale>", "");
    let err = parse_fattura(xml.as_bytes(), "noid.xml").expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "noid.xml: missing FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici/IdFiscaleIVA (or CodiceFiscale)"
    );
}

#[test]
fn missing_cliente_cognome_is_reported() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace("<Cognome>Verdi</Cognome>", "");
    let err = parse_fattura(xml.as_bytes(), "nocognome.xml").expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::Missing {
            file: "nocognome.xml".into(),
            path: "FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici/Anagrafica/Cognome".into(),
        }
    );
}

#[test]
fn missing_cedente_id_fiscale_iva_is_reported() {
    let xml = String::from_utf8(fixture("IT04567890123_RATE.xml")).expect("utf-8");
    let start = xml.find("<IdFiscaleIVA>").expect("cedente id");
    let end = xml[start..].find("</IdFiscaleIVA>").expect("end") + start + "</IdFiscaleIVA>".len();
    let xml = format!("{}{}", &xml[..start], &xml[end..]);
    let err = parse_fattura(xml.as_bytes(), "nocedente.xml").expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "nocedente.xml: missing FatturaElettronicaHeader/CedentePrestatore/DatiAnagrafici/IdFiscaleIVA"
    );
}

#[test]
fn duplicate_importo_totale_is_rejected() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace(
        "<ImportoTotaleDocumento>36.60</ImportoTotaleDocumento>",
        "<ImportoTotaleDocumento>36.60</ImportoTotaleDocumento><ImportoTotaleDocumento>3.66</ImportoTotaleDocumento>",
    );
    let err = parse_fattura(xml.as_bytes(), "dup.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::Duplicate { count: 2, .. }), "{err:?}");
    assert_message(
        &err,
        &[
            "dup.xml",
            "DatiGeneraliDocumento/ImportoTotaleDocumento appears 2 times",
        ],
    );
}

#[test]
fn formato_trasmissione_must_match_versione() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace("<FormatoTrasmissione>FPR12<", "<FormatoTrasmissione>FPA12<");
    let err = parse_fattura(xml.as_bytes(), "fmt.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::InvalidValue { .. }), "{err:?}");
    assert_message(
        &err,
        &[
            "fmt.xml",
            "FatturaElettronicaHeader/DatiTrasmissione/FormatoTrasmissione",
            "FPR12",
        ],
    );
}

#[test]
fn a_different_root_element_is_not_fatturapa() {
    let err = parse_fattura(b"<?xml version=\"1.0\"?><Invoice/>", "ubl.xml").expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::NotFatturaPa {
            file: "ubl.xml".into(),
            root: "Invoice".into()
        }
    );
}

#[test]
fn hostile_values_are_clipped_in_messages() {
    let huge = "X".repeat(100_000);
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace("<Divisa>EUR</Divisa>", &format!("<Divisa>{huge}</Divisa>"));
    let err = parse_fattura(xml.as_bytes(), "huge_value.xml").expect_err("must fail");
    assert!(matches!(err, FatturaPaError::UnsupportedCurrency { .. }), "{err:?}");
    assert!(
        err.to_string().len() < 400,
        "message not clipped: {} bytes",
        err.to_string().len()
    );

    let xml = format!("<{huge}>");
    let err = parse_fattura(xml.as_bytes(), "huge_tag.xml").expect_err("must fail");
    assert!(
        err.to_string().len() < 600,
        "message not clipped: {} bytes",
        err.to_string().len()
    );
}

#[test]
fn doctype_after_the_root_start_is_still_refused() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml"))
        .expect("utf-8")
        .replace(
            "<FatturaElettronicaHeader>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]><FatturaElettronicaHeader>",
        );
    let err = parse_fattura(xml.as_bytes(), "late_doctype.xml").expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::DoctypeRejected {
            file: "late_doctype.xml".into(),
            line: 3,
            column: 3
        }
    );

    let err = parse_fattura(
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">",
        "unclosed.xml",
    )
    .expect_err("must fail");
    assert_eq!(
        err,
        FatturaPaError::DoctypeRejected {
            file: "unclosed.xml".into(),
            line: 2,
            column: 1
        }
    );
}

#[test]
fn large_realistic_invoice_near_the_limit_parses_quickly() {
    let xml = String::from_utf8(fixture("IT04567890123_RATE.xml")).expect("utf-8");
    let line = "      <DettaglioLinee>\n        <NumeroLinea>2</NumeroLinea>\n        <Descrizione>Ora di assistenza</Descrizione>\n        <PrezzoUnitario>0.00</PrezzoUnitario>\n        <PrezzoTotale>0.00</PrezzoTotale>\n        <AliquotaIVA>22.00</AliquotaIVA>\n      </DettaglioLinee>\n";
    let room = MAX_FATTURA_BYTES - xml.len();
    let lines = line.repeat(room / line.len());
    let anchor = "      <DatiRiepilogo>";
    let big = xml.replacen(anchor, &format!("{lines}{anchor}"), 1);
    assert!(
        big.len() > MAX_FATTURA_BYTES - line.len() && big.len() <= MAX_FATTURA_BYTES,
        "{}",
        big.len()
    );
    let started = std::time::Instant::now();
    let invoices = parse_fattura(big.as_bytes(), "big.xml").expect("valid");
    assert_eq!(invoices[0].totale_eur, eur("2440.00"));
    // Linear work: well under a second in release, a few in debug on a busy machine.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn lines_and_iva_summary_are_read_with_their_exact_decimals() {
    use openfatture::fatturapa::{InvoiceLine, VatSummaryRow};
    let invoices = parse_fixture("IT05678901234_LINEE.xml").expect("valid");
    let [invoice] = invoices.as_slice() else {
        panic!("one invoice: {invoices:?}");
    };
    let line = |number: u32,
                description: &str,
                quantity: Option<&str>,
                unit: Option<&str>,
                price: &str,
                total: &str,
                rate: &str,
                natura: Option<&str>| InvoiceLine {
        number,
        description: description.into(),
        quantity: quantity.map(eur),
        unit: unit.map(Into::into),
        unit_price_eur: eur(price),
        total_eur: eur(total),
        vat_percent: eur(rate),
        natura: natura.map(Into::into),
    };
    assert_eq!(
        invoice.lines,
        vec![
            line(1, "Sviluppo del sito web aziendale con catalogo prodotti, area riservata per i clienti e integrazione con il gestionale di magazzino", Some("40.00"), Some("ore"), "45.00000000", "1800.00000000", "22.00", None),
            line(2, "Manuale d'uso stampato", Some("3.00"), Some("pz"), "12.50000000", "37.50000000", "10.00", None),
            line(3, "Spese anticipate in nome e per conto del cliente (art. 15 DPR 633/72)", None, None, "16.00000000", "16.00000000", "0.00", Some("N1")),
        ]
    );
    let row = |rate: &str, natura: Option<&str>, taxable: &str, vat: &str, esigibilita: Option<&str>| VatSummaryRow {
        vat_percent: eur(rate),
        natura: natura.map(Into::into),
        taxable_eur: eur(taxable),
        vat_eur: eur(vat),
        esigibilita: esigibilita.map(Into::into),
    };
    assert_eq!(
        invoice.vat_summary,
        vec![
            row("22.00", None, "1800.00", "396.00", Some("I")),
            row("10.00", None, "37.50", "3.75", Some("I")),
            row("0.00", Some("N1"), "16.00", "0.00", None),
        ]
    );
    assert_eq!(invoice.amount_due_eur(), eur("1893.25"));
}

#[test]
fn a_bad_line_price_or_rate_rejects_the_file_naming_the_element() {
    let good = String::from_utf8(fixture("IT05678901234_LINEE.xml")).expect("utf-8");
    for (from, to, element) in [
        (
            "<PrezzoUnitario>12.50000000",
            "<PrezzoUnitario>12,50",
            "DettaglioLinee[2]/PrezzoUnitario",
        ),
        ("<Quantita>40.00", "<Quantita>quaranta", "DettaglioLinee[1]/Quantita"),
        (
            "<AliquotaIVA>10.00</AliquotaIVA>\n      </DettaglioLinee>",
            "<AliquotaIVA>110.00</AliquotaIVA>\n      </DettaglioLinee>",
            "DettaglioLinee[2]/AliquotaIVA",
        ),
        ("<NumeroLinea>3", "<NumeroLinea>0", "DettaglioLinee[3]/NumeroLinea"),
        ("<Imposta>3.75", "<Imposta>3.755", "DatiRiepilogo[2]/Imposta"),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from} is in the fixture");
        let err = parse_fattura(bad.as_bytes(), "bad.xml").expect_err("refused");
        assert_message(&err, &["bad.xml", element]);
    }
}
