//! Signed FatturaPA files (`*.xml.p7m`, CAdES), DER and base64, signed by a certificate the test
//! makes: unwrapped, the content digest checked, the signer reported; a file changed after
//! signing, a broken envelope or a content that is not FatturaPA is a clear error.

use crate::common;

use std::str::FromStr;

use common::p7m::{cades_base64, cades_der, cades_der_signed, Signing, SIGNER_SUBJECT};
use common::read_fixture as fixture;
use openfatture::fatturapa::{parse_fattura_file, FatturaPaError};
use rust_decimal::Decimal;

#[test]
fn der_and_base64_p7m_are_unwrapped_with_the_signer() {
    let xml = fixture("IT07700770077_RITENUTE.xml");
    for (name, bytes) in [
        ("IT07700770077_17.xml.p7m", cades_der(&xml, &xml)),
        ("IT07700770077_17_b64.xml.p7m", cades_base64(&xml)),
    ] {
        let parsed = parse_fattura_file(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        // 1268.80 − 200.00 − 50.00 = 1018.80, as from the plain XML.
        assert_eq!(
            parsed.invoices[0].amount_due_eur(),
            Decimal::from_str("1018.80").expect("literal")
        );
        let signer = parsed.signer.expect("a signer");
        assert_eq!(signer.subject, SIGNER_SUBJECT, "{name}");
        assert!(signer.not_before < signer.not_after, "{signer:?}");
    }
    // Recognised by content too, whatever the name.
    let parsed = parse_fattura_file(&cades_der(&xml, &xml), "download.bin").expect("DER by content");
    assert!(parsed.signer.is_some());
}

#[test]
fn a_file_changed_after_signing_is_refused() {
    let xml = fixture("IT07700770077_RITENUTE.xml");
    let changed = String::from_utf8(xml.clone())
        .expect("utf8")
        .replace("1268.80", "1368.80");
    let err = parse_fattura_file(&cades_der(changed.as_bytes(), &xml), "changed.xml.p7m").expect_err("refused");
    assert!(matches!(err, FatturaPaError::BadSignature { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("changed.xml.p7m: bad signed (.p7m) file: the content's digest does not match"),
        "{err}"
    );
}

#[test]
fn the_signature_value_is_verified_with_the_signers_key() {
    let xml = fixture("IT07700770077_RITENUTE.xml");
    // ECDSA P-384 with SHA-384 verifies like P-256 (RSA: the openssl-made files below).
    let parsed = parse_fattura_file(&cades_der_signed(&xml, &xml, Signing::P384), "p384.xml.p7m")
        .unwrap_or_else(|e| panic!("P-384: {e}"));
    assert_eq!(parsed.signer.expect("signer").subject, SIGNER_SUBJECT);

    // Content and signed digest intact, one byte of the signature value changed: refused.
    let err = parse_fattura_file(&cades_der_signed(&xml, &xml, Signing::BrokenValue), "forged.xml.p7m")
        .expect_err("a broken signature value is refused");
    assert!(matches!(err, FatturaPaError::BadSignature { .. }), "{err:?}");
    assert!(
        err.to_string().contains(
            "forged.xml.p7m: bad signed (.p7m) file: the signature value does not verify with the signer's certificate"
        ),
        "{err}"
    );
}

#[test]
fn an_rsa_signature_made_by_openssl_with_one_byte_changed_is_refused() {
    // The RSA signature value sits at the end of the openssl-made DER envelope (no unsigned
    // attributes): flip a byte inside it, leaving content and signed attributes as signed.
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/fatturapa_parse");
    let mut bytes = std::fs::read(seeds.join("signed_der.p7m")).expect("seed");
    let at = bytes.len() - 10;
    bytes[at] ^= 0x40;
    let err = parse_fattura_file(&bytes, "rsa_forged.xml.p7m").expect_err("refused");
    assert!(err.to_string().contains("the signature value does not verify"), "{err}");
}

#[test]
fn broken_envelopes_and_non_fatturapa_content_are_refused() {
    let xml = fixture("IT07700770077_RITENUTE.xml");
    let mut truncated = cades_der(&xml, &xml);
    truncated.truncate(truncated.len() / 2);
    let err = parse_fattura_file(&truncated, "cut.xml.p7m").expect_err("refused");
    assert!(
        err.to_string()
            .contains("cut.xml.p7m: bad signed (.p7m) file: not a CMS/CAdES envelope"),
        "{err}"
    );

    // A plain XML named .p7m is neither DER nor base64.
    let err = parse_fattura_file(&xml, "plain.xml.p7m").expect_err("refused");
    assert!(matches!(err, FatturaPaError::BadSignature { .. }), "{err:?}");

    let other = b"<?xml version=\"1.0\"?><Ordine><Numero>1</Numero></Ordine>";
    let err = parse_fattura_file(&cades_der(other, other), "order.xml.p7m").expect_err("refused");
    assert!(matches!(err, FatturaPaError::NotFatturaPa { .. }), "{err:?}");
}

#[test]
fn a_p7m_made_by_openssl_cms_is_read_too() {
    // The fuzz seeds were signed with `openssl cms -sign -binary -nodetach -outform DER` (a
    // different CMS writer from the tests' own), the second is the same in base64.
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/fatturapa_parse");
    for name in ["signed_der.p7m", "signed_base64.p7m"] {
        let bytes = std::fs::read(seeds.join(name)).expect("seed");
        let parsed = parse_fattura_file(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        // B-1 152.00 and B-2 200.00: the bollo is never added.
        let due: Vec<String> = parsed.invoices.iter().map(|i| i.amount_due_eur().to_string()).collect();
        assert_eq!(due, vec!["152.00", "200.00"], "{name}");
        assert_eq!(
            parsed.signer.expect("signer").subject,
            "CN=Seed Signer,O=Fuzz Seed,C=IT",
            "{name}"
        );
    }
}

#[test]
fn a_ber_p7m_with_indefinite_lengths_and_chunked_content_is_read() {
    // Made with `openssl cms -sign -binary -nodetach -stream -outform DER`: BER, indefinite
    // lengths (30 80 ...) and the content as a constructed OCTET STRING, as streaming signers write.
    let name = "IT06600660066_BOLLO_BER.xml.p7m";
    let bytes = fixture(name);
    assert_eq!(
        &bytes[..2],
        &[0x30, 0x80],
        "the fixture is BER with an indefinite length"
    );
    let parsed = parse_fattura_file(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let due: Vec<String> = parsed.invoices.iter().map(|i| i.amount_due_eur().to_string()).collect();
    // B-1 152.00 (bollo as a line), B-2 200.00 (bollo never added).
    assert_eq!(due, vec!["152.00", "200.00"]);
    assert_eq!(
        parsed.signer.expect("signer").subject,
        "CN=Seed Signer,O=Fuzz Seed,C=IT"
    );
}
