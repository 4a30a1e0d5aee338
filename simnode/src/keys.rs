//! The node's secp256k1 identity key and the macaroon root key, created once and persisted.

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};

use crate::error::SimNodeError;
use crate::files::{read_optional, write_atomic, DataPaths};

/// The node's long-lived secrets. Never logged: `Debug` prints only the public key.
pub(crate) struct NodeKeys {
    /// Signs invoices; its public key is the node's identity.
    node_secret: SecretBox<[u8; 32]>,
    /// Root key all macaroons are derived from (storage id "0", as LND).
    macaroon_root_key: SecretBox<[u8; 32]>,
    /// The node's public key, cached.
    node_public: PublicKey,
}

impl std::fmt::Debug for NodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKeys")
            .field("node_public", &self.node_public)
            .finish_non_exhaustive()
    }
}

/// On-disk form of `keys.json`.
#[derive(Serialize, Deserialize)]
struct KeysFile {
    node_secret_key_hex: String,
    macaroon_root_key_hex: String,
}

impl NodeKeys {
    /// Loads `keys.json`, creating fresh random keys when it does not exist yet.
    pub(crate) fn load_or_create(paths: &DataPaths) -> Result<Self, SimNodeError> {
        let path = paths.keys_file();
        if let Some(bytes) = read_optional(&path)? {
            let file: KeysFile = serde_json::from_slice(&bytes)
                .map_err(|e| SimNodeError::corrupt(&path, format!("not valid JSON: {e}")))?;
            let node_secret = decode_key(&file.node_secret_key_hex)
                .ok_or_else(|| SimNodeError::corrupt(&path, "node_secret_key_hex is not 32 hex bytes"))?;
            let root = decode_key(&file.macaroon_root_key_hex)
                .ok_or_else(|| SimNodeError::corrupt(&path, "macaroon_root_key_hex is not 32 hex bytes"))?;
            return Self::from_parts(node_secret, root).map_err(|reason| SimNodeError::corrupt(&path, reason));
        }
        let node_secret = loop {
            let candidate = random_32();
            if SecretKey::from_slice(&candidate).is_ok() {
                break candidate;
            }
        };
        let root = random_32();
        let file = KeysFile {
            node_secret_key_hex: hex::encode(node_secret),
            macaroon_root_key_hex: hex::encode(root),
        };
        let json =
            serde_json::to_vec_pretty(&file).map_err(|e| SimNodeError::Keys(format!("cannot encode keys: {e}")))?;
        write_atomic(&path, &json, true)?;
        Self::from_parts(node_secret, root).map_err(SimNodeError::Keys)
    }

    fn from_parts(node_secret: [u8; 32], root: [u8; 32]) -> Result<Self, String> {
        let secret = SecretKey::from_slice(&node_secret)
            .map_err(|e| format!("node secret key is not a valid secp256k1 key: {e}"))?;
        let node_public = PublicKey::from_secret_key(&Secp256k1::signing_only(), &secret);
        Ok(NodeKeys {
            node_secret: SecretBox::new(Box::new(node_secret)),
            macaroon_root_key: SecretBox::new(Box::new(root)),
            node_public,
        })
    }

    /// The node's identity public key.
    pub(crate) fn node_public(&self) -> PublicKey {
        self.node_public
    }

    /// The node's secret key, for signing invoices.
    pub(crate) fn node_secret(&self) -> Result<SecretKey, String> {
        SecretKey::from_slice(self.node_secret.expose_secret()).map_err(|e| format!("node secret key is invalid: {e}"))
    }

    /// The key of the simulated remote customer node, derived from the node's own key (so it
    /// stays the same across restarts without a file of its own).
    pub(crate) fn customer_secret(&self) -> Result<SecretKey, String> {
        use bitcoin::hashes::{sha256, Hash};
        let mut engine = sha256::Hash::engine();
        bitcoin::hashes::HashEngine::input(&mut engine, b"simnode-customer:");
        bitcoin::hashes::HashEngine::input(&mut engine, self.node_secret.expose_secret());
        let digest = sha256::Hash::from_engine(engine).to_byte_array();
        SecretKey::from_slice(&digest).map_err(|e| format!("customer key is invalid: {e}"))
    }

    /// The simulated remote customer node's public key.
    pub(crate) fn customer_public(&self) -> Result<PublicKey, String> {
        Ok(PublicKey::from_secret_key(
            &Secp256k1::signing_only(),
            &self.customer_secret()?,
        ))
    }

    /// The macaroon root key.
    pub(crate) fn macaroon_root_key(&self) -> &[u8; 32] {
        self.macaroon_root_key.expose_secret()
    }
}

/// 32 random bytes from the operating system's generator.
pub(crate) fn random_32() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}
