//! Signed FatturaPA files (`*.xml.p7m`): CAdES, a CMS `SignedData` in DER (or BER, re-encoded)
//! or in base64. The signed content is unwrapped with the RustCrypto `cms`/`der` crates, its digest is
//! checked against the `messageDigest` signed attribute, and the signer's certificate subject and
//! validity are reported, and the signature value is verified with the public key of that
//! certificate over the signed attributes (RSA PKCS#1 v1.5 or PSS, ECDSA P-256/P-384; SHA-256/384/512).
//! The certificate's chain to a qualified trust service is not checked: that needs the EU trusted
//! lists, which an offline gateway does not have; the subject and validity are shown instead.

use base64::Engine as _;
use cms::cert::x509::Certificate;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::error::{clip, FatturaPaError};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const CURVE_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const CURVE_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// The digest a signer used, by its algorithm identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigestKind {
    Sha256,
    Sha384,
    Sha512,
}

/// Who signed a `.p7m` file, from the certificate that the signature names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// The certificate subject, RFC 4514 (e.g. `CN=Mario Rossi,O=Esempio S.r.l.,C=IT`).
    pub subject: String,
    /// Start of the certificate's validity, RFC 3339.
    pub not_before: String,
    /// End of the certificate's validity, RFC 3339.
    pub not_after: String,
}

/// True when the name ends in `.p7m` or the bytes start like a DER PKCS#7 structure (a SEQUENCE
/// with a long or indefinite length), raw or base64-encoded.
pub(crate) fn looks_signed(bytes: &[u8], file: &str) -> bool {
    if file.to_ascii_lowercase().ends_with(".p7m") {
        return true;
    }
    if matches!(bytes, [0x30, 0x80..=0x84, ..]) {
        return true;
    }
    // Base64 of 0x30 0x80 / 0x30 0x82 / 0x30 0x83 starts with "MIA", "MII", "MIM".
    let trimmed = trim_ascii_start(bytes);
    trimmed.starts_with(b"MII") || trimmed.starts_with(b"MIA") || trimmed.starts_with(b"MIM")
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The signed content of a CAdES envelope and its signer; a broken envelope or a digest that
/// does not match is a [`FatturaPaError::BadSignature`].
pub(crate) fn unwrap_signed(bytes: &[u8], file: &str) -> Result<(Vec<u8>, Signer), FatturaPaError> {
    let bad = |reason: String| FatturaPaError::BadSignature {
        file: file.to_owned(),
        reason,
    };
    let der_bytes: std::borrow::Cow<'_, [u8]> = if trim_ascii_start(bytes).first() == Some(&0x30) {
        std::borrow::Cow::Borrowed(bytes)
    } else {
        let compact: Vec<u8> = bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|e| bad(format!("neither DER nor base64-encoded DER ({e})")))?;
        std::borrow::Cow::Owned(decoded)
    };
    // Strict DER first; BER (indefinite lengths, chunked content) re-encoded in DER otherwise.
    let info = match ContentInfo::from_der(&der_bytes) {
        Ok(info) => info,
        Err(der_error) => {
            let reencoded = super::ber::ber_to_der(&der_bytes).map_err(|_| {
                bad(format!(
                    "not a CMS/CAdES envelope in DER or BER ({})",
                    clip(&der_error.to_string())
                ))
            })?;
            ContentInfo::from_der(&reencoded).map_err(|e| {
                bad(format!(
                    "not a CMS/CAdES envelope in DER or BER ({})",
                    clip(&e.to_string())
                ))
            })?
        }
    };
    if info.content_type != ID_SIGNED_DATA {
        return Err(bad(format!(
            "the envelope holds {} instead of signed data",
            info.content_type
        )));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| bad(format!("unreadable signed data ({})", clip(&e.to_string()))))?;
    let content: OctetString = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("the signature is detached: the file does not hold the invoice".into()))?
        .decode_as()
        .map_err(|e| bad(format!("unreadable signed content ({})", clip(&e.to_string()))))?;
    let content = content.into_bytes();
    let signer_info = signed
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| bad("no signer in the envelope".into()))?;
    let digest_kind = match signer_info.digest_alg.oid {
        oid if oid == ID_SHA256 => DigestKind::Sha256,
        oid if oid == ID_SHA384 => DigestKind::Sha384,
        oid if oid == ID_SHA512 => DigestKind::Sha512,
        oid => {
            return Err(bad(format!(
                "unsupported digest algorithm {oid} (SHA-256, -384, -512 are)"
            )))
        }
    };
    let digest = match digest_kind {
        DigestKind::Sha256 => sha2::Sha256::digest(&content).to_vec(),
        DigestKind::Sha384 => sha2::Sha384::digest(&content).to_vec(),
        DigestKind::Sha512 => sha2::Sha512::digest(&content).to_vec(),
    };
    let attrs = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad("no signed attributes: not a CAdES signature".into()))?;
    let declared: OctetString = attrs
        .iter()
        .find(|a| a.oid == ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .ok_or_else(|| bad("no messageDigest among the signed attributes".into()))?
        .decode_as()
        .map_err(|e| bad(format!("unreadable messageDigest ({})", clip(&e.to_string()))))?;
    if declared.as_bytes() != digest.as_slice() {
        return Err(bad(
            "the content's digest does not match the signed messageDigest: the invoice was changed after signing"
                .into(),
        ));
    }
    let certificate = signer_certificate(&signed, &signer_info.sid)
        .ok_or_else(|| bad("the signer's certificate is not in the envelope".into()))?;
    let signed_bytes = attrs
        .to_der()
        .map_err(|e| bad(format!("unreadable signed attributes ({})", clip(&e.to_string()))))?;
    verify_signature(
        certificate,
        &signer_info.signature_algorithm.oid,
        digest_kind,
        &signed_bytes,
        signer_info.signature.as_bytes(),
    )
    .map_err(bad)?;
    let validity = &certificate.tbs_certificate.validity;
    let signer = Signer {
        subject: certificate.tbs_certificate.subject.to_string(),
        not_before: validity.not_before.to_date_time().to_string(),
        not_after: validity.not_after.to_date_time().to_string(),
    };
    Ok((content, signer))
}

/// Checks `signature` over `signed_bytes` (the DER of the signed attributes) with the public key of
/// `certificate`; the reason in words when it does not verify or the algorithm is not supported.
fn verify_signature(
    certificate: &Certificate,
    signature_alg: &ObjectIdentifier,
    digest: DigestKind,
    signed_bytes: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    use ring::signature as sig;
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let key_bytes = spki.subject_public_key.raw_bytes();
    let key_alg = spki.algorithm.oid;
    let algorithm: &'static dyn sig::VerificationAlgorithm = if key_alg == RSA_ENCRYPTION {
        let hash = match *signature_alg {
            oid if oid == SHA256_WITH_RSA => DigestKind::Sha256,
            oid if oid == SHA384_WITH_RSA => DigestKind::Sha384,
            oid if oid == SHA512_WITH_RSA => DigestKind::Sha512,
            oid if oid == RSA_ENCRYPTION || oid == RSA_PSS => digest,
            oid => return Err(format!("unsupported signature algorithm {oid} for an RSA key")),
        };
        match (*signature_alg == RSA_PSS, hash) {
            (false, DigestKind::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (false, DigestKind::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (false, DigestKind::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (true, DigestKind::Sha256) => &sig::RSA_PSS_2048_8192_SHA256,
            (true, DigestKind::Sha384) => &sig::RSA_PSS_2048_8192_SHA384,
            (true, DigestKind::Sha512) => &sig::RSA_PSS_2048_8192_SHA512,
        }
    } else if key_alg == EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as().ok())
            .ok_or_else(|| "the signer's EC key names no curve".to_string())?;
        let hash = match *signature_alg {
            oid if oid == ECDSA_WITH_SHA256 => DigestKind::Sha256,
            oid if oid == ECDSA_WITH_SHA384 => DigestKind::Sha384,
            oid if oid == ECDSA_WITH_SHA512 => DigestKind::Sha512,
            oid if oid == EC_PUBLIC_KEY => digest,
            oid => return Err(format!("unsupported signature algorithm {oid} for an EC key")),
        };
        match (curve, hash) {
            (c, DigestKind::Sha256) if c == CURVE_P256 => &sig::ECDSA_P256_SHA256_ASN1,
            (c, DigestKind::Sha384) if c == CURVE_P256 => &sig::ECDSA_P256_SHA384_ASN1,
            (c, DigestKind::Sha256) if c == CURVE_P384 => &sig::ECDSA_P384_SHA256_ASN1,
            (c, DigestKind::Sha384) if c == CURVE_P384 => &sig::ECDSA_P384_SHA384_ASN1,
            (c, h) => return Err(format!("unsupported EC signature: curve {c} with {h:?}")),
        }
    } else {
        return Err(format!(
            "unsupported signer key algorithm {key_alg} (RSA and ECDSA P-256/P-384 are)"
        ));
    };
    sig::UnparsedPublicKey::new(algorithm, key_bytes)
        .verify(signed_bytes, signature)
        .map_err(|_| {
            "the signature value does not verify with the signer's certificate: the file was altered or badly signed"
                .to_string()
        })
}

/// The certificate the signer identifier names, or the only one when it names none found.
fn signer_certificate<'a>(signed: &'a SignedData, sid: &SignerIdentifier) -> Option<&'a Certificate> {
    let certificates: Vec<&Certificate> = signed
        .certificates
        .as_ref()?
        .0
        .iter()
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let named = certificates.iter().copied().find(|cert| match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            cert.tbs_certificate.serial_number == id.serial_number
                && cert.tbs_certificate.issuer.to_der().ok() == id.issuer.to_der().ok()
        }
        SignerIdentifier::SubjectKeyIdentifier(_) => false,
    });
    named.or_else(|| (certificates.len() == 1).then(|| certificates[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_base64_envelopes_are_detected() {
        assert!(looks_signed(b"\x30\x80\x06\x09", "a.xml"));
        assert!(looks_signed(b"\x30\x82\x01\x00", "a.xml"));
        assert!(looks_signed(b"MIIGxQYJKoZIhvcNAQcCoIIGtjCCBrICAQEx", "a.xml"));
        assert!(looks_signed(b"<?xml version=\"1.0\"?>", "IT01_1.xml.P7M"));
        assert!(!looks_signed(b"<?xml version=\"1.0\"?>", "IT01_1.xml"));
    }
}
