//! Files as real exporters write them (issue 33): the XML declaration's encoding honoured
//! (windows-1252, ISO-8859-1: accents and `€` exact), no namespace prefix, CDATA, comments and
//! processing instructions before the root, amounts with spaces around, one line, a XAdES
//! signature inside the document.

use crate::common;

use std::str::FromStr;

use common::read_fixture as fixture;
use openfatture::fatturapa::{parse_fattura, FatturaPaError};
use rust_decimal::Decimal;

fn eur(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test literal")
}

#[test]
fn windows_1252_accents_and_the_euro_sign_come_through_exactly() {
    let bytes = fixture("IT04455667704_CP1252.xml");
    assert!(bytes.contains(&0x80), "the fixture holds the windows-1252 euro byte");
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is not UTF-8");
    let invoices = parse_fattura(&bytes, "cp1252.xml").expect("valid");
    assert_eq!(invoices[0].cedente_denominazione, "Caffè Società Cooperativa");
    assert_eq!(invoices[0].cliente.denominazione, "Pizzeria Nicolò & Figli");
    assert_eq!(invoices[0].descrizione, "Fornitura caffè – luglio, 146,40 €");
    // 120.00 + 26.40 = 146.40.
    assert_eq!(invoices[0].amount_due_eur(), eur("146.40"));
}

#[test]
fn iso_8859_1_is_decoded() {
    let invoices = parse_fattura(&fixture("IT04455667705_LATIN1.xml"), "latin1.xml").expect("valid");
    assert_eq!(invoices[0].cedente_denominazione, "Università Popolare di Forlì");
    assert_eq!(invoices[0].cliente.denominazione, "Libreria Città Vecchia");
    assert_eq!(invoices[0].amount_due_eur(), eur("300.00"));
}

#[test]
fn an_encoding_that_is_not_single_byte_or_unknown_is_refused_by_name() {
    let xml = String::from_utf8(fixture("IT02345678901_PRIVATO.xml")).expect("utf-8");
    for (label, expected) in [("Shift_JIS", "Shift_JIS"), ("x-klingon", "x-klingon")] {
        let bytes = xml.replace("encoding=\"UTF-8\"", &format!("encoding=\"{label}\""));
        let err = parse_fattura(bytes.as_bytes(), "other.xml").expect_err("refused");
        assert!(
            matches!(&err, FatturaPaError::UnsupportedEncoding { encoding, .. } if encoding == expected),
            "{err:?}"
        );
    }
}

#[test]
fn what_real_exporters_write_is_read() {
    let bytes = fixture("IT04455667706_WILD.xml");
    assert_eq!(
        bytes.iter().filter(|&&b| b == b'\n').count(),
        1,
        "the document is on one line"
    );
    let invoices = parse_fattura(&bytes, "wild.xml").expect("valid");
    assert_eq!(invoices.len(), 1);
    assert_eq!(
        invoices[0].descrizione, "Revisione <freni> & pastiglie",
        "CDATA is text"
    );
    // ImportoPagamento " 244.00 " = 200.00 + 44.00 computed: no warning.
    assert_eq!(invoices[0].amount_due_eur(), eur("244.00"));
    assert_eq!(invoices[0].due_warning(), None);
}

#[test]
fn an_invoice_with_several_megabytes_of_attachments_is_imported_and_its_base64_p7m_too() {
    use base64::Engine as _;
    let xml = String::from_utf8(fixture("IT07700770077_RITENUTE.xml")).expect("utf8");
    // A 5 MB PDF as `Allegati` (base64: 6.7 MB of text), after DatiPagamento as the schema orders it.
    let pdf = vec![0x25u8; 5_000_000];
    let attachment = format!(
        "<Allegati><NomeAttachment>contratto.pdf</NomeAttachment><FormatoAttachment>PDF</FormatoAttachment>\
         <Attachment>{}</Attachment></Allegati>",
        base64::engine::general_purpose::STANDARD.encode(&pdf)
    );
    let end = xml.rfind("</FatturaElettronicaBody>").expect("body end");
    let big = format!("{}{attachment}{}", &xml[..end], &xml[end..]);
    assert!(big.len() > 6_500_000, "{}", big.len());
    let invoices = parse_fattura(big.as_bytes(), "allegati.xml").expect("a file with attachments is valid");
    // 1268.80 − 200.00 − 50.00 = 1018.80, as without the attachment.
    assert_eq!(invoices[0].amount_due_eur(), eur("1018.80"));
    // Signed and base64-encoded as some tools save it: 9 MB, still within the limit.
    let signed = common::p7m::cades_base64(big.as_bytes());
    assert!(signed.len() > 8_500_000, "{}", signed.len());
    let parsed = openfatture::fatturapa::parse_fattura_file(&signed, "allegati.xml.p7m").expect("signed");
    assert_eq!(parsed.invoices[0].amount_due_eur(), eur("1018.80"));
}
