//! Property tests: the FatturaPA parser never panics, on arbitrary bytes or on
//! mutated valid invoices, and an accepted mutation still yields sane invoices.

use crate::common;

use common::read_fixture as fixture;
use openfatture::fatturapa::{parse_fattura, ImportedInvoice};
use proptest::prelude::*;

const VALID_FIXTURES: [&str; 6] = [
    "IT01234567890_FPR01.xml",
    "IT04455667788_FPA07.xml",
    "IT07654321098_MULTI.xml",
    "IT02345678901_PRIVATO.xml",
    "IT03456789012_NOTOTALE.xml",
    "IT04567890123_RATE.xml",
];

/// One edit to apply to a valid document.
#[derive(Debug, Clone)]
enum Mutation {
    /// Overwrite the byte at (position % len).
    Set(usize, u8),
    /// Insert bytes at (position % len).
    Insert(usize, Vec<u8>),
    /// Delete up to `n` bytes from (position % len).
    Delete(usize, usize),
    /// Duplicate a slice of the document somewhere else.
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes biased towards XML syntax so mutations hit the interesting paths.
    let xml_byte = prop_oneof![
        Just(b'<'),
        Just(b'>'),
        Just(b'/'),
        Just(b'&'),
        Just(b';'),
        Just(b'"'),
        Just(b'.'),
        Just(b'-'),
        Just(b'!'),
        Just(b'?'),
        Just(b'0'),
        Just(b'9'),
        Just(0xC3),
        Just(0x80),
        any::<u8>(),
    ];
    let snippet = prop_oneof![
        Just(b"<!DOCTYPE x [<!ENTITY a \"b\">]>".to_vec()),
        Just(b"&amp;".to_vec()),
        Just(b"&x;".to_vec()),
        Just(b"&#0;".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just(b"</FatturaElettronicaBody>".to_vec()),
        Just(b"<FatturaElettronicaBody>".to_vec()),
        Just(b"<ImportoPagamento>99999999999999.99</ImportoPagamento>".to_vec()),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), xml_byte).prop_map(|(p, b)| Mutation::Set(p, b)),
        (any::<usize>(), snippet).prop_map(|(p, s)| Mutation::Insert(p, s)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), 1usize..200, any::<usize>()).prop_map(|(f, n, t)| Mutation::Splice(f, n, t)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match mutation {
        Mutation::Set(p, b) => {
            let at = p % bytes.len();
            bytes[at] = *b;
        }
        Mutation::Insert(p, s) => {
            let at = p % bytes.len();
            bytes.splice(at..at, s.iter().copied());
        }
        Mutation::Delete(p, n) => {
            let at = p % bytes.len();
            let end = (at + n).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Splice(from, n, to) => {
            let from = from % bytes.len();
            let end = (from + n).min(bytes.len());
            let piece = bytes[from..end].to_vec();
            let to = to % bytes.len();
            bytes.splice(to..to, piece);
        }
    }
}

/// Invariants every accepted invoice must satisfy, whatever the input.
fn check_invoice(invoice: &ImportedInvoice) {
    assert_eq!(invoice.divisa, "EUR");
    assert!(!invoice.numero.is_empty());
    assert_eq!(invoice.numero, invoice.numero.trim());
    assert_eq!(invoice.anno, chrono::Datelike::year(&invoice.data));
    assert!(
        invoice.totale_eur.scale() == 2,
        "amounts keep cents: {}",
        invoice.totale_eur
    );
    assert!(invoice.ritenuta_eur.scale() == 2 || invoice.ritenuta_eur.is_zero());
    assert!(!invoice.cedente_piva.is_empty());
    assert!(invoice.cliente.piva.is_some() || invoice.cliente.codice_fiscale.is_some());
    let _ = invoice.amount_due_eur();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), name in "[a-zA-Z0-9_.]{0,20}") {
        if let Ok(invoices) = parse_fattura(&bytes, &name) {
            invoices.iter().for_each(check_invoice);
        }
    }

    #[test]
    fn arbitrary_text_with_xml_shape_never_panics(text in "(<[/!?]?[A-Za-z:]{0,12}( [a-z]{1,4}=\"[^\"]{0,4}\")?/?>|[^<]{0,10}|&[a-z#0-9]{0,5};){0,40}") {
        let _ = parse_fattura(text.as_bytes(), "shape.xml");
    }

    #[test]
    fn mutated_valid_fixtures_never_panic(
        which in 0..VALID_FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = fixture(VALID_FIXTURES[which]);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Ok(invoices) = parse_fattura(&bytes, VALID_FIXTURES[which]) {
            prop_assert!(!invoices.is_empty());
            invoices.iter().for_each(check_invoice);
        }
    }
}

#[test]
fn deeply_nested_input_is_refused_without_stack_overflow() {
    let mut xml = b"<FatturaElettronica versione=\"FPR12\">".to_vec();
    for _ in 0..200_000 {
        xml.extend_from_slice(b"<a>");
    }
    let err = parse_fattura(&xml, "deep.xml").expect_err("must fail");
    assert!(
        matches!(err, openfatture::fatturapa::FatturaPaError::TooDeep { .. }),
        "{err:?}"
    );
}
