//! Data directory layout and atomic, permission-aware file writes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::SimNodeError;

/// Where every file of a node lives inside its data directory (LND's layout where LND has one).
#[derive(Debug, Clone)]
pub(crate) struct DataPaths {
    /// The data directory itself.
    pub(crate) root: PathBuf,
}

impl DataPaths {
    /// Layout rooted at `root`.
    pub(crate) fn new(root: &Path) -> Self {
        DataPaths {
            root: root.to_path_buf(),
        }
    }

    /// `DIR/tls.cert` (PEM certificate, as LND).
    pub(crate) fn tls_cert(&self) -> PathBuf {
        self.root.join("tls.cert")
    }

    /// `DIR/tls.key` (PEM private key, mode 0600).
    pub(crate) fn tls_key(&self) -> PathBuf {
        self.root.join("tls.key")
    }

    /// `DIR/data/chain/bitcoin/regtest` where LND keeps its macaroons.
    pub(crate) fn macaroon_dir(&self) -> PathBuf {
        self.root.join("data").join("chain").join("bitcoin").join("regtest")
    }

    /// `DIR/control.json`: URL and bearer token of the control surface (mode 0600).
    pub(crate) fn control_file(&self) -> PathBuf {
        self.root.join("control.json")
    }

    /// `DIR/simnode`: simnode's own state, not part of LND's layout.
    pub(crate) fn private_dir(&self) -> PathBuf {
        self.root.join("simnode")
    }

    /// `DIR/simnode/keys.json`: node key and macaroon root key (mode 0600).
    pub(crate) fn keys_file(&self) -> PathBuf {
        self.private_dir().join("keys.json")
    }

    /// `DIR/simnode/state.json`: invoices, indexes, channels, block height (mode 0600).
    pub(crate) fn state_file(&self) -> PathBuf {
        self.private_dir().join("state.json")
    }
}

/// Creates `dir` and its parents.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), SimNodeError> {
    fs::create_dir_all(dir).map_err(|e| SimNodeError::io("create directory", dir, e))
}

/// Reads a file that may be absent: `Ok(None)` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, SimNodeError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SimNodeError::io("read", path, e)),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over the target. `private` makes the file readable by its owner only.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), SimNodeError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    ensure_dir(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if private { 0o600 } else { 0o644 });
        }
        let mut file = options.open(&tmp).map_err(|e| SimNodeError::io("create", &tmp, e))?;
        file.write_all(bytes).map_err(|e| SimNodeError::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| SimNodeError::io("flush", &tmp, e))?;
    }
    #[cfg(unix)]
    {
        // `mode` above only applies when the temporary file is new; force it in every case.
        use std::os::unix::fs::PermissionsExt;
        let mode = if private { 0o600 } else { 0o644 };
        fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
            .map_err(|e| SimNodeError::io("set permissions of", &tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| SimNodeError::io("rename into place", path, e))
}
