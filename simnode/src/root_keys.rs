//! Macaroon root keys by root key id, as LND's `RootKeyStorage`: id "0" is the node's default
//! key (keys.json); BakeMacaroon creates a random key for a new id, DeleteMacaroonID removes it
//! (so every macaroon baked under it stops verifying, even if the id is baked again later).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretBox};

use crate::error::SimNodeError;
use crate::files::{read_optional, write_atomic, DataPaths};
use crate::keys::{random_32, NodeKeys};

/// LND's `DefaultRootKeyID`.
pub(crate) const DEFAULT_ROOT_KEY_ID: &str = "0";

/// Every root key of the node.
pub(crate) struct RootKeys {
    keys: Arc<NodeKeys>,
    /// `DIR/simnode/macaroon_root_keys.json` (mode 0600): id → hex key.
    path: PathBuf,
    extra: Mutex<BTreeMap<String, SecretBox<[u8; 32]>>>,
}

impl RootKeys {
    /// Loads the extra root keys (none when the file does not exist yet).
    pub(crate) fn load(paths: &DataPaths, keys: Arc<NodeKeys>) -> Result<Self, SimNodeError> {
        let path = paths.private_dir().join("macaroon_root_keys.json");
        let mut extra = BTreeMap::new();
        if let Some(bytes) = read_optional(&path)? {
            let file: BTreeMap<String, String> = serde_json::from_slice(&bytes)
                .map_err(|e| SimNodeError::corrupt(&path, format!("not valid JSON: {e}")))?;
            for (id, key_hex) in file {
                let key: [u8; 32] = hex::decode(&key_hex)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| SimNodeError::corrupt(&path, format!("root key {id} is not 32 hex bytes")))?;
                extra.insert(id, SecretBox::new(Box::new(key)));
            }
        }
        Ok(RootKeys {
            keys,
            path,
            extra: Mutex::new(extra),
        })
    }

    fn extra(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SecretBox<[u8; 32]>>> {
        self.extra.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, extra: &BTreeMap<String, SecretBox<[u8; 32]>>) -> Result<(), SimNodeError> {
        let file: BTreeMap<&str, String> = extra
            .iter()
            .map(|(id, key)| (id.as_str(), hex::encode(key.expose_secret())))
            .collect();
        let json = serde_json::to_vec_pretty(&file)
            .map_err(|e| SimNodeError::Keys(format!("cannot encode root keys: {e}")))?;
        write_atomic(&self.path, &json, true)
    }

    /// The root key stored under `id`, if any.
    pub(crate) fn get(&self, id: &[u8]) -> Option<[u8; 32]> {
        if id == DEFAULT_ROOT_KEY_ID.as_bytes() {
            return Some(*self.keys.macaroon_root_key());
        }
        let id = std::str::from_utf8(id).ok()?;
        self.extra().get(id).map(|key| *key.expose_secret())
    }

    /// The root key under `id`, created (and persisted) when missing.
    pub(crate) fn get_or_create(&self, id: &str) -> Result<[u8; 32], SimNodeError> {
        if let Some(key) = self.get(id.as_bytes()) {
            return Ok(key);
        }
        let mut extra = self.extra();
        let key = random_32();
        extra.insert(id.to_string(), SecretBox::new(Box::new(key)));
        if let Err(e) = self.save(&extra) {
            extra.remove(id);
            return Err(e);
        }
        Ok(key)
    }

    /// Deletes the root key `id`: `Ok(false)` when there was none; the default id is refused.
    pub(crate) fn delete(&self, id: &str) -> Result<bool, String> {
        if id == DEFAULT_ROOT_KEY_ID {
            return Err("the specified ID cannot be deleted".to_string());
        }
        let mut extra = self.extra();
        let Some(removed) = extra.remove(id) else {
            return Ok(false);
        };
        if let Err(e) = self.save(&extra) {
            extra.insert(id.to_string(), removed);
            return Err(e.to_string());
        }
        Ok(true)
    }
}
