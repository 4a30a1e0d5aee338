//! Signed FatturaPA files for the tests: a CAdES `SignedData` (DER) around a content, signed by a
//! certificate the test makes with rcgen (ECDSA P-256 or P-384): a real signature over the signed
//! attributes, which the importer verifies with the certificate's key.

use cms::cert::x509::attr::Attribute;
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::cert::x509::Certificate;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use rcgen::SigningKey as _;
use sha2::Digest;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

/// How the test envelope is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// ECDSA on P-256 with SHA-256 (the default of rcgen).
    P256,
    /// ECDSA on P-384 with SHA-384.
    P384,
    /// P-256, with one byte of the signature value changed after signing.
    BrokenValue,
}

/// The subject of the test signer's certificate, as the importer reports it (RFC 4514).
pub const SIGNER_SUBJECT: &str = "CN=Mario Rossi,O=Esempio S.r.l.,C=IT";

/// A DER CAdES envelope holding `content`, whose signed digest is that of `signed_content`
/// (pass the same bytes for a good signature, different ones for a file changed after signing).
pub fn cades_der(content: &[u8], signed_content: &[u8]) -> Vec<u8> {
    cades_der_signed(content, signed_content, Signing::P256)
}

/// [`cades_der`] signed as `signing` says.
pub fn cades_der_signed(content: &[u8], signed_content: &[u8], signing: Signing) -> Vec<u8> {
    let (key, signature_oid) = match signing {
        Signing::P256 | Signing::BrokenValue => (rcgen::KeyPair::generate().expect("key"), ECDSA_WITH_SHA256),
        Signing::P384 => (
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("key"),
            ECDSA_WITH_SHA384,
        ),
    };
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CountryName, "IT");
    name.push(rcgen::DnType::OrganizationName, "Esempio S.r.l.");
    name.push(rcgen::DnType::CommonName, "Mario Rossi");
    params.distinguished_name = name;
    let cert = params.self_signed(&key).expect("certificate");
    let certificate = Certificate::from_der(cert.der()).expect("parse certificate");

    let digest = sha2::Sha256::digest(signed_content).to_vec();
    let message_digest = Attribute {
        oid: ID_MESSAGE_DIGEST,
        values: SetOfVec::try_from(vec![
            Any::encode_from(&OctetString::new(digest).expect("octets")).expect("any")
        ])
        .expect("set"),
    };
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    };
    let signed_attrs = SetOfVec::try_from(vec![message_digest]).expect("attrs");
    let mut signature = key.sign(&signed_attrs.to_der().expect("attrs der")).expect("sign");
    if signing == Signing::BrokenValue {
        let last = signature.len() - 3;
        signature[last] ^= 0x01;
    }
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate.issuer.clone(),
            serial_number: certificate.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: signature_oid,
            parameters: None,
        },
        signature: OctetString::new(signature).expect("signature"),
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256]).expect("digests"),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: Some(Any::encode_from(&OctetString::new(content.to_vec()).expect("content")).expect("any")),
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(vec![CertificateChoices::Certificate(certificate)]).expect("certs"),
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).expect("signers")),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).expect("signed data"),
    }
    .to_der()
    .expect("envelope")
}

/// The same envelope in base64 with line breaks every 76 characters, as some tools save it.
pub fn cades_base64(content: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(cades_der(content, content));
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!("{}\r\n", lines.join("\r\n")).into_bytes()
}
