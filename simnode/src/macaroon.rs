//! LND-compatible macaroons: minting the admin/invoice/readonly files, decoding the v2 binary
//! format, verifying the HMAC chain and checking per-method permissions.
//!
//! Format facts (as LND and `gopkg.in/macaroon.v2` write them): byte 0x02, then packets of
//! (field type varint, length varint, data): location (1), identifier (2), end-of-section (0),
//! one section per caveat, end-of-section (0), signature (6, 32 bytes). The identifier is byte 3
//! followed by a protobuf `MacaroonId { nonce, storageId, ops }`.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use prost::Message;
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Which of LND's three standard macaroons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacaroonKind {
    /// `admin.macaroon`: every permission.
    Admin,
    /// `invoice.macaroon`: invoices read/write, address read/write, onchain read.
    Invoice,
    /// `readonly.macaroon`: read on every entity.
    Readonly,
}

impl MacaroonKind {
    /// The file name LND uses for this macaroon.
    pub fn file_name(self) -> &'static str {
        match self {
            MacaroonKind::Admin => "admin.macaroon",
            MacaroonKind::Invoice => "invoice.macaroon",
            MacaroonKind::Readonly => "readonly.macaroon",
        }
    }

    /// All three kinds.
    pub(crate) const ALL: [MacaroonKind; 3] = [MacaroonKind::Admin, MacaroonKind::Invoice, MacaroonKind::Readonly];

    /// The (entity, action) pairs this macaroon grants, as LND's `rpcserver.go` lists them.
    fn permissions(self) -> Vec<(&'static str, &'static str)> {
        const READ: [(&str, &str); 9] = [
            ("onchain", "read"),
            ("offchain", "read"),
            ("address", "read"),
            ("message", "read"),
            ("peers", "read"),
            ("info", "read"),
            ("invoices", "read"),
            ("signer", "read"),
            ("macaroon", "read"),
        ];
        const WRITE: [(&str, &str); 11] = [
            ("onchain", "write"),
            ("offchain", "write"),
            ("address", "write"),
            ("message", "write"),
            ("peers", "write"),
            ("info", "write"),
            ("invoices", "write"),
            ("signer", "generate"),
            ("macaroon", "generate"),
            ("macaroon", "write"),
            ("remotesigner", "generate"),
        ];
        match self {
            MacaroonKind::Admin => READ.iter().chain(WRITE.iter()).copied().collect(),
            MacaroonKind::Readonly => READ.to_vec(),
            MacaroonKind::Invoice => vec![
                ("invoices", "read"),
                ("invoices", "write"),
                ("address", "read"),
                ("address", "write"),
                ("onchain", "read"),
            ],
        }
    }
}

/// LND's root key id ("0") under which the single root key is stored.
const ROOT_KEY_ID: &[u8] = b"0";
/// Version byte of a bakery v3 identifier.
const ID_VERSION: u8 = 3;
/// The macaroon library's key-derivation constant.
const KEY_GENERATOR: &[u8] = b"macaroons-key-generator";

const FIELD_EOS: u64 = 0;
const FIELD_LOCATION: u64 = 1;
const FIELD_IDENTIFIER: u64 = 2;
const FIELD_VERIFICATION_ID: u64 = 4;
const FIELD_SIGNATURE: u64 = 6;

/// The message LND (through the macaroon library) gives for any macaroon it cannot verify.
pub(crate) const SIGNATURE_MISMATCH: &str = "verification failed: signature mismatch after caveat verification";
/// The message LND gives when a valid macaroon lacks a needed permission.
pub(crate) const PERMISSION_DENIED: &str = "permission denied";

/// Bakery's protobuf identifier.
#[derive(Clone, PartialEq, prost::Message)]
struct MacaroonIdProto {
    #[prost(bytes = "vec", tag = "1")]
    nonce: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    storage_id: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    ops: Vec<OpProto>,
}

/// One entity and the actions allowed on it.
#[derive(Clone, PartialEq, prost::Message)]
struct OpProto {
    #[prost(string, tag = "1")]
    entity: String,
    #[prost(string, repeated, tag = "2")]
    actions: Vec<String>,
}

/// Mints a new macaroon of `kind` under `root_key`, in v2 binary form.
pub(crate) fn mint(kind: MacaroonKind, root_key: &[u8; 32]) -> Vec<u8> {
    mint_ops(&kind.permissions(), ROOT_KEY_ID, root_key)
}

/// Mints a macaroon granting `permissions` under root key `root_key` stored as `storage_id`
/// (BakeMacaroon), in v2 binary form.
pub(crate) fn mint_ops(permissions: &[(&str, &str)], storage_id: &[u8], root_key: &[u8; 32]) -> Vec<u8> {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &(entity, action) in permissions {
        let actions = grouped.entry(entity).or_default();
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    let ops = grouped
        .into_iter()
        .map(|(entity, mut actions)| {
            actions.sort_unstable();
            OpProto {
                entity: entity.to_string(),
                actions: actions.into_iter().map(str::to_string).collect(),
            }
        })
        .collect();
    let mut nonce = vec![0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let id_proto = MacaroonIdProto {
        nonce,
        storage_id: storage_id.to_vec(),
        ops,
    };
    let mut id = vec![ID_VERSION];
    id.extend_from_slice(&id_proto.encode_to_vec());

    let signature = hmac(&derive_key(root_key), &id);
    let mut out = vec![2u8];
    push_packet(&mut out, FIELD_LOCATION, b"lnd");
    push_packet(&mut out, FIELD_IDENTIFIER, &id);
    push_uvarint(&mut out, FIELD_EOS);
    push_uvarint(&mut out, FIELD_EOS);
    push_packet(&mut out, FIELD_SIGNATURE, &signature);
    out
}

/// Why a call was refused; the `Display` text is exactly what LND puts in the status message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// No (or several) `macaroon` metadata entries.
    #[error("expected 1 macaroon, got {0}")]
    Count(usize),
    /// The metadata value is not hex (Go's `encoding/hex` wording).
    #[error("{0}")]
    Hex(String),
    /// Undecodable, unknown root key, or wrong signature.
    #[error("{}", SIGNATURE_MISMATCH)]
    Signature,
    /// A first-party caveat is not satisfied.
    #[error("verification failed: caveat {condition:?} not satisfied: {reason}")]
    Caveat {
        /// The caveat's condition text.
        condition: String,
        /// Why it is not satisfied.
        reason: String,
    },
    /// The macaroon is valid but does not grant the method's permissions.
    #[error("{}", PERMISSION_DENIED)]
    PermissionDenied,
}

/// A verified macaroon's grants.
#[derive(Debug)]
pub(crate) struct Grants {
    ops: Vec<OpProto>,
}

impl Grants {
    /// Whether every `(entity, action)` in `required` is granted, or the method's `uri` is.
    pub(crate) fn allows(&self, required: &[(&str, &str)], full_method: &str) -> bool {
        let has = |entity: &str, action: &str| {
            self.ops
                .iter()
                .any(|op| op.entity == entity && op.actions.iter().any(|a| a == action))
        };
        required.iter().all(|(e, a)| has(e, a)) || has("uri", full_method)
    }
}

/// Checks the `macaroon` metadata values of a call against `root_key` (root key id "0" only).
pub(crate) fn verify_metadata(values: &[&[u8]], root_key: &[u8; 32]) -> Result<Grants, AuthError> {
    verify_metadata_with(values, |id| (id == ROOT_KEY_ID).then_some(*root_key))
}

/// Checks the `macaroon` metadata values of a call, looking the root key up by its id.
pub(crate) fn verify_metadata_with(
    values: &[&[u8]],
    root_key: impl Fn(&[u8]) -> Option<[u8; 32]>,
) -> Result<Grants, AuthError> {
    let [value] = values else {
        return Err(AuthError::Count(values.len()));
    };
    let bytes = decode_hex_like_go(value)?;
    verify_binary(&bytes, root_key)
}

/// Decodes hex, reporting errors as Go's `encoding/hex` does.
fn decode_hex_like_go(text: &[u8]) -> Result<Vec<u8>, AuthError> {
    if let Some(&bad) = text.iter().find(|b| !b.is_ascii_hexdigit()) {
        let shown = char::from(bad);
        return Err(AuthError::Hex(format!(
            "encoding/hex: invalid byte: U+{:04X} {shown:?}",
            u32::from(bad)
        )));
    }
    if text.len() % 2 == 1 {
        return Err(AuthError::Hex("encoding/hex: odd length hex string".to_string()));
    }
    hex::decode(text).map_err(|e| AuthError::Hex(format!("encoding/hex: {e}")))
}

/// One parsed caveat.
struct Caveat {
    id: Vec<u8>,
    third_party: bool,
}

/// Parses and verifies a v2 binary macaroon, looking its root key up by id.
pub(crate) fn verify_binary(
    bytes: &[u8],
    root_key_for: impl Fn(&[u8]) -> Option<[u8; 32]>,
) -> Result<Grants, AuthError> {
    let (id, caveats, signature) = parse_v2(bytes).ok_or(AuthError::Signature)?;
    if id.first() != Some(&ID_VERSION) {
        return Err(AuthError::Signature);
    }
    let id_proto = MacaroonIdProto::decode(&id[1..]).map_err(|_| AuthError::Signature)?;
    let root_key = root_key_for(&id_proto.storage_id).ok_or(AuthError::Signature)?;
    let root_key = &root_key;
    // The signature chain: HMAC(derived key, id), then HMAC(previous signature, caveat id) per
    // caveat. The last link is checked with the MAC's constant-time comparison.
    let mut key = derive_key(root_key).to_vec();
    let mut message = id.clone();
    for caveat in &caveats {
        if caveat.third_party {
            // simnode has no third-party discharge support; LND would fail these too
            // without the discharge macaroon.
            return Err(AuthError::Signature);
        }
        key = hmac(&key, &message).to_vec();
        message = caveat.id.clone();
    }
    let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| AuthError::Signature)?;
    mac.update(&message);
    mac.verify_slice(&signature).map_err(|_| AuthError::Signature)?;
    for caveat in &caveats {
        check_first_party(&caveat.id)?;
    }
    Ok(Grants { ops: id_proto.ops })
}

/// Evaluates a first-party caveat condition. Supports LND's `time-before`; others are refused.
fn check_first_party(id: &[u8]) -> Result<(), AuthError> {
    let condition = String::from_utf8_lossy(id).into_owned();
    let (name, arg) = condition.split_once(' ').unwrap_or((condition.as_str(), ""));
    match name {
        "time-before" => {
            let deadline = chrono::DateTime::parse_from_rfc3339(arg.trim()).map_err(|e| AuthError::Caveat {
                condition: condition.clone(),
                reason: format!("cannot parse time: {e}"),
            })?;
            if chrono::Utc::now() >= deadline {
                return Err(AuthError::Caveat {
                    condition,
                    reason: "macaroon has expired".to_string(),
                });
            }
            Ok(())
        }
        _ => Err(AuthError::Caveat {
            condition,
            reason: "caveat not recognized".to_string(),
        }),
    }
}

/// Splits a v2 binary macaroon into identifier, caveats and signature.
fn parse_v2(bytes: &[u8]) -> Option<(Vec<u8>, Vec<Caveat>, Vec<u8>)> {
    let mut reader = PacketReader { bytes, pos: 0 };
    if reader.byte()? != 2 {
        return None;
    }
    let mut field = reader.packet()?;
    if field.0 == FIELD_LOCATION {
        field = reader.packet()?;
    }
    if field.0 != FIELD_IDENTIFIER {
        return None;
    }
    let id = field.1.to_vec();
    if reader.packet()?.0 != FIELD_EOS {
        return None;
    }
    let mut caveats = Vec::new();
    loop {
        let mut field = reader.packet()?;
        if field.0 == FIELD_EOS {
            break;
        }
        if field.0 == FIELD_LOCATION {
            field = reader.packet()?;
        }
        if field.0 != FIELD_IDENTIFIER {
            return None;
        }
        let caveat_id = field.1.to_vec();
        let mut third_party = false;
        let mut next = reader.packet()?;
        if next.0 == FIELD_VERIFICATION_ID {
            third_party = true;
            next = reader.packet()?;
        }
        if next.0 != FIELD_EOS {
            return None;
        }
        caveats.push(Caveat {
            id: caveat_id,
            third_party,
        });
    }
    let (kind, signature) = reader.packet()?;
    if kind != FIELD_SIGNATURE || signature.len() != 32 || reader.pos != bytes.len() {
        return None;
    }
    Some((id, caveats, signature.to_vec()))
}

/// Sequential reader of v2 packets.
struct PacketReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> PacketReader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn uvarint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// One packet; an end-of-section packet has no length or data.
    fn packet(&mut self) -> Option<(u64, &'a [u8])> {
        let kind = self.uvarint()?;
        if kind == FIELD_EOS {
            return Some((FIELD_EOS, &[]));
        }
        let len = usize::try_from(self.uvarint()?).ok()?;
        let end = self.pos.checked_add(len)?;
        let data = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some((kind, data))
    }
}

fn push_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn push_packet(out: &mut Vec<u8>, kind: u64, data: &[u8]) {
    push_uvarint(out, kind);
    push_uvarint(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// The macaroon library's root-key derivation: HMAC-SHA256(key = generator, msg = root key).
fn derive_key(root_key: &[u8; 32]) -> [u8; 32] {
    hmac(KEY_GENERATOR, root_key)
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0u8; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_macaroons_verify_and_carry_their_permissions() {
        let root = [7u8; 32];
        let admin = hex::encode(mint(MacaroonKind::Admin, &root));
        let grants = verify_metadata(&[admin.as_bytes()], &root).unwrap();
        assert!(grants.allows(&[("offchain", "write")], "/x/Y"));
        let invoice = hex::encode(mint(MacaroonKind::Invoice, &root));
        let grants = verify_metadata(&[invoice.as_bytes()], &root).unwrap();
        assert!(grants.allows(&[("invoices", "write")], "/x/Y"));
        assert!(!grants.allows(&[("offchain", "read")], "/x/Y"));
        let readonly = hex::encode(mint(MacaroonKind::Readonly, &root));
        let grants = verify_metadata(&[readonly.as_bytes()], &root).unwrap();
        assert!(grants.allows(&[("info", "read")], "/x/Y"));
        assert!(!grants.allows(&[("invoices", "write")], "/x/Y"));
    }

    #[test]
    fn wrong_root_key_and_garbage_are_refused_like_lnd() {
        let mac = hex::encode(mint(MacaroonKind::Admin, &[1u8; 32]));
        let err = verify_metadata(&[mac.as_bytes()], &[2u8; 32]).unwrap_err();
        assert_eq!(err.to_string(), SIGNATURE_MISMATCH);
        let err = verify_metadata(&[b"0201"], &[2u8; 32]).unwrap_err();
        assert_eq!(err.to_string(), SIGNATURE_MISMATCH);
        let err = verify_metadata(&[], &[2u8; 32]).unwrap_err();
        assert_eq!(err.to_string(), "expected 1 macaroon, got 0");
        let err = verify_metadata(&[b"zz"], &[2u8; 32]).unwrap_err();
        assert_eq!(err.to_string(), "encoding/hex: invalid byte: U+007A 'z'");
    }

    #[test]
    fn first_party_caveats_chain_the_signature() {
        let root = [3u8; 32];
        let base = mint(MacaroonKind::Admin, &root);
        let (id, _, sig) = parse_v2(&base).unwrap();
        let add = |condition: &str| {
            let caveat_sig = hmac(&sig, condition.as_bytes());
            let mut out = vec![2u8];
            push_packet(&mut out, FIELD_LOCATION, b"lnd");
            push_packet(&mut out, FIELD_IDENTIFIER, &id);
            push_uvarint(&mut out, FIELD_EOS);
            push_packet(&mut out, FIELD_IDENTIFIER, condition.as_bytes());
            push_uvarint(&mut out, FIELD_EOS);
            push_uvarint(&mut out, FIELD_EOS);
            push_packet(&mut out, FIELD_SIGNATURE, &caveat_sig);
            hex::encode(out)
        };
        let future = add("time-before 2999-01-01T00:00:00Z");
        assert!(verify_metadata(&[future.as_bytes()], &root).is_ok());
        let past = add("time-before 2001-01-01T00:00:00Z");
        let err = verify_metadata(&[past.as_bytes()], &root).unwrap_err();
        assert!(err.to_string().contains("macaroon has expired"), "{err}");
    }
}
