//! Static channel backups (SCB) as opaque blobs the node can verify: the channel points, then an
//! HMAC-SHA256 over them under a key derived from the node's secret key. Like LND's encrypted
//! backups, only the node that made one accepts it, and any changed byte is refused.

use hmac::{Hmac, Mac};
use lnd_proto::lnrpc;
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::convert::channel_point_to_rpc;
use crate::keys::NodeKeys;
use crate::state::ChannelState;

/// First byte of every blob: the format version.
const VERSION: u8 = 1;

/// Bytes of one channel point in a blob: txid (wire order) and output index (big endian).
const POINT_LEN: usize = 36;

/// Bytes of the MAC at the end of a blob.
const MAC_LEN: usize = 32;

/// The error text of a blob that does not verify: what LND's chacha20poly1305 open says.
const AUTH_FAILED: &str = "chacha20poly1305: message authentication failed";

/// The MAC key: SHA-256 over a label and the node's secret key.
fn mac_key(keys: &NodeKeys) -> Result<[u8; 32], Status> {
    let secret = keys.node_secret().map_err(Status::internal)?;
    let mut hasher = Sha256::new();
    hasher.update(b"simnode-channel-backup");
    hasher.update(secret.secret_bytes());
    Ok(hasher.finalize().into())
}

fn mac(keys: &NodeKeys, body: &[u8]) -> Result<Hmac<Sha256>, Status> {
    let key = mac_key(keys)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|e| Status::internal(e.to_string()))?;
    mac.update(body);
    Ok(mac)
}

/// `txid:index` (txid in display order) as the 36 bytes of a blob.
fn point_bytes(point: &str) -> Result<[u8; POINT_LEN], Status> {
    let bad = || Status::internal(format!("simnode: channel point {point:?} is not txid:index"));
    let (txid_hex, index) = point.split_once(':').ok_or_else(bad)?;
    let mut txid = hex::decode(txid_hex).map_err(|_| bad())?;
    if txid.len() != 32 {
        return Err(bad());
    }
    txid.reverse();
    let index: u32 = index.parse().map_err(|_| bad())?;
    let mut out = [0u8; POINT_LEN];
    out[..32].copy_from_slice(&txid);
    out[32..].copy_from_slice(&index.to_be_bytes());
    Ok(out)
}

/// A blob covering `points`.
fn pack(keys: &NodeKeys, points: &[&str]) -> Result<Vec<u8>, Status> {
    let count = u16::try_from(points.len()).map_err(|_| Status::internal("simnode: too many channels for a backup"))?;
    let mut body = vec![VERSION];
    body.extend_from_slice(&count.to_be_bytes());
    for point in points {
        body.extend_from_slice(&point_bytes(point)?);
    }
    let tag = mac(keys, &body)?.finalize().into_bytes();
    body.extend_from_slice(&tag);
    Ok(body)
}

/// The channel points (`txid:index`) a blob covers, if it verifies.
fn unpack(keys: &NodeKeys, blob: &[u8]) -> Result<Vec<String>, String> {
    if blob.len() < 3 + MAC_LEN {
        return Err(AUTH_FAILED.to_string());
    }
    let (body, tag) = blob.split_at(blob.len() - MAC_LEN);
    mac(keys, body)
        .map_err(|e| e.message().to_string())?
        .verify_slice(tag)
        .map_err(|_| AUTH_FAILED.to_string())?;
    let count = usize::from(u16::from_be_bytes([body[1], body[2]]));
    if body[0] != VERSION || body.len() != 3 + count * POINT_LEN {
        return Err(format!("unknown backup version {} or length {}", body[0], body.len()));
    }
    Ok(body[3..]
        .chunks_exact(POINT_LEN)
        .map(|chunk| {
            let mut txid = chunk[..32].to_vec();
            txid.reverse();
            let index = u32::from_be_bytes([chunk[32], chunk[33], chunk[34], chunk[35]]);
            format!("{}:{index}", hex::encode(txid))
        })
        .collect())
}

/// ExportAllChannelBackups: one single-channel backup per open channel and a multi-channel
/// backup of them all.
pub(crate) fn export_all(keys: &NodeKeys, channels: &[ChannelState]) -> Result<lnrpc::ChanBackupSnapshot, Status> {
    let points: Vec<&str> = channels.iter().map(|c| c.channel_point.as_str()).collect();
    let chan_backups = points
        .iter()
        .map(|point| {
            Ok(lnrpc::ChannelBackup {
                chan_point: Some(channel_point_to_rpc(point)),
                chan_backup: pack(keys, &[point])?,
            })
        })
        .collect::<Result<Vec<_>, Status>>()?;
    Ok(lnrpc::ChanBackupSnapshot {
        single_chan_backups: Some(lnrpc::ChannelBackups { chan_backups }),
        multi_chan_backup: Some(lnrpc::MultiChanBackup {
            chan_points: points.iter().map(|p| channel_point_to_rpc(p)).collect(),
            multi_chan_backup: pack(keys, &points)?,
        }),
    })
}

/// VerifyChanBackup, with LND's checks and wording: exactly one of a single (one backup) or a
/// multi backup; the channel points it covers when it verifies.
pub(crate) fn verify(keys: &NodeKeys, snapshot: &lnrpc::ChanBackupSnapshot) -> Result<Vec<String>, Status> {
    match (&snapshot.single_chan_backups, &snapshot.multi_chan_backup) {
        (None, None) => Err(Status::unknown(
            "either a Single or Multi channel backup must be specified",
        )),
        (Some(_), Some(_)) => Err(Status::unknown(
            "either a Single or Multi channel backup must be specified, but not both",
        )),
        (Some(singles), None) => {
            let [single] = singles.chan_backups.as_slice() else {
                return Err(Status::unknown("only one Single is accepted at a time"));
            };
            unpack(keys, &single.chan_backup)
                .map_err(|e| Status::unknown(format!("invalid single channel backup: {e}")))
        }
        (None, Some(multi)) => unpack(keys, &multi.multi_chan_backup)
            .map_err(|e| Status::unknown(format!("invalid multi channel backup: {e}"))),
    }
}
