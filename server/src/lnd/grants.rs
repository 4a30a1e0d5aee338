//! What a macaroon allows, read from the macaroon itself (no call to the node): LND's macaroons
//! are `gopkg.in/macaroon.v2` binary macaroons whose identifier is byte 3 followed by a protobuf
//! `MacaroonId { nonce, storageId, ops }`, each op an entity (`invoices`, `offchain`, …) with its
//! actions (`read`, `write`, …). Caveats may narrow a macaroon further; they are not evaluated.

use prost::Message;

/// Version byte of LND's macaroon identifiers.
const ID_VERSION: u8 = 3;
/// Field type of the identifier packet in the v2 binary format.
const FIELD_IDENTIFIER: u64 = 2;
/// Field type of the location packet.
const FIELD_LOCATION: u64 = 1;

/// Why a macaroon could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacaroonReadError {
    /// Not hex text, and not a binary macaroon either.
    #[error("the macaroon is neither hex text nor an LND binary macaroon")]
    NotMacaroon,
    /// A binary macaroon, but not one LND baked (its identifier is not LND's).
    #[error("the macaroon was not made by LND (its identifier is not LND's)")]
    NotLnd,
}

/// LND's protobuf identifier.
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

/// The binary macaroon in `text_or_bytes`: hex text (spaces and newlines ignored) or the binary
/// file LND writes.
pub fn macaroon_bytes(text_or_bytes: &[u8]) -> Result<Vec<u8>, MacaroonReadError> {
    let compact: Vec<u8> = text_or_bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.first() == Some(&2) {
        return Ok(text_or_bytes.to_vec());
    }
    if !compact.is_empty() && compact.iter().all(u8::is_ascii_hexdigit) {
        let bytes = hex::decode(&compact).map_err(|_| MacaroonReadError::NotMacaroon)?;
        if bytes.first() == Some(&2) {
            return Ok(bytes);
        }
    }
    Err(MacaroonReadError::NotMacaroon)
}

/// Every `entity:action` a binary LND macaroon grants, sorted.
pub fn macaroon_grants(macaroon: &[u8]) -> Result<Vec<String>, MacaroonReadError> {
    let identifier = identifier_of(macaroon).ok_or(MacaroonReadError::NotMacaroon)?;
    let (&version, proto) = identifier.split_first().ok_or(MacaroonReadError::NotLnd)?;
    if version != ID_VERSION {
        return Err(MacaroonReadError::NotLnd);
    }
    let id = MacaroonIdProto::decode(proto).map_err(|_| MacaroonReadError::NotLnd)?;
    let mut grants: Vec<String> = id
        .ops
        .iter()
        .flat_map(|op| op.actions.iter().map(move |action| format!("{}:{action}", op.entity)))
        .collect();
    grants.sort();
    grants.dedup();
    Ok(grants)
}

/// The root key id a binary LND macaroon was baked under (`"0"`: the node's default key, that of
/// `admin.macaroon`, `invoice.macaroon` and `readonly.macaroon`).
pub fn macaroon_root_key_id(macaroon: &[u8]) -> Result<String, MacaroonReadError> {
    let identifier = identifier_of(macaroon).ok_or(MacaroonReadError::NotMacaroon)?;
    let (&version, proto) = identifier.split_first().ok_or(MacaroonReadError::NotLnd)?;
    if version != ID_VERSION {
        return Err(MacaroonReadError::NotLnd);
    }
    let id = MacaroonIdProto::decode(proto).map_err(|_| MacaroonReadError::NotLnd)?;
    String::from_utf8(id.storage_id).map_err(|_| MacaroonReadError::NotLnd)
}

/// The identifier packet of a v2 binary macaroon: version byte 2, an optional location packet,
/// then the identifier packet.
fn identifier_of(macaroon: &[u8]) -> Option<&[u8]> {
    let mut rest = macaroon.strip_prefix(&[2u8])?;
    loop {
        let (field, after_field) = uvarint(rest)?;
        let (len, after_len) = uvarint(after_field)?;
        let len = usize::try_from(len).ok()?;
        let data = after_len.get(..len)?;
        match field {
            FIELD_IDENTIFIER => return Some(data),
            FIELD_LOCATION => rest = after_len.get(len..)?,
            _ => return None,
        }
    }
}

/// An unsigned LEB128 varint and what follows it.
fn uvarint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_macaroon() {
        assert_eq!(macaroon_bytes(b"hello"), Err(MacaroonReadError::NotMacaroon));
        assert_eq!(macaroon_bytes(b"0a0b"), Err(MacaroonReadError::NotMacaroon));
        assert_eq!(macaroon_grants(&[2, 2, 3, 9, 9, 9]), Err(MacaroonReadError::NotLnd));
        assert_eq!(macaroon_grants(&[2, 2, 200]), Err(MacaroonReadError::NotMacaroon));
    }
}
