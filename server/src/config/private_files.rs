//! Owner-only modes for the files that hold secrets (the database with password hashes and
//! webhook secrets, `config.toml` with API keys, the embedded node's keys and macaroons):
//! directories 0700, files 0600. Set exactly when we create them, whatever the umask, and
//! tightened (with an info line) when an existing one is found looser.

use std::io;
use std::path::Path;

/// Mode of a private directory.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of a private file.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `dir` (missing parents too, each 0700) or, when it exists, removes any access of the
/// group and others from it. A directory we create gets exactly 0700 whatever the umask.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return tighten(dir, PRIVATE_DIR_MODE);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR_MODE);
    }
    builder.create(dir)?;
    set_exact(dir, PRIVATE_DIR_MODE)
}

/// Creates `path` empty with mode 0600 when it does not exist (an existing file is left as it
/// is, never truncated), then tightens it like [`tighten_file`].
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    match options.open(path) {
        Ok(_) => set_exact(path, PRIVATE_FILE_MODE),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => tighten_file(path),
        Err(e) => Err(e),
    }
}

/// Removes any access of the group and others from the file at `path` (0644 becomes 0600); a
/// missing file is fine.
pub fn tighten_file(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(_) => tighten(path, PRIVATE_FILE_MODE),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Tightens every file under `dir` (recursively, not following symbolic links) like
/// [`tighten_file`], except public certificates (`*.cert`): for a node directory whose keys and
/// macaroons an older version may have left readable by others. A missing `dir` is fine.
pub fn tighten_files_under(dir: &Path) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            tighten_files_under(&path)?;
        } else if kind.is_file() && path.extension().is_none_or(|ext| ext != "cert") {
            tighten(&path, PRIVATE_FILE_MODE)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_exact(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_exact(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Clears the group and other bits of `path` when any is set, keeping the owner's; logs it.
#[cfg(unix)]
fn tighten(path: &Path, private_mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let tightened = (mode & 0o700) | (private_mode & 0o700);
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(tightened)) {
        if e.kind() != io::ErrorKind::PermissionDenied {
            return Err(e);
        }
        // Someone else's file (a shared directory set up by hand): say so, but carry on.
        tracing::warn!(
            path = %path.display(),
            mode = %format!("{mode:04o}"),
            "others may read this file and it is not ours to change: make it owner-only ({tightened:04o})"
        );
        return Ok(());
    }
    tracing::info!(
        path = %path.display(),
        from = %format!("{mode:04o}"),
        to = %format!("{tightened:04o}"),
        "tightened permissions: only the owner may read this"
    );
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _private_mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0)
    }

    #[test]
    fn loose_files_and_directories_are_tightened_and_new_ones_are_private() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("a/b");
        ensure_private_dir(&data)?;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))?;
        ensure_private_dir(&data)?;
        assert_eq!(mode(&data), 0o700);

        let db = data.join("db");
        create_private_file(&db)?;
        assert_eq!(mode(&db), 0o600);
        std::fs::write(&db, b"kept")?;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644))?;
        create_private_file(&db)?;
        assert_eq!(mode(&db), 0o600);
        assert_eq!(std::fs::read(&db)?, b"kept", "an existing file is never truncated");
        tighten_file(&data.join("absent"))?;

        let node = data.join("node");
        std::fs::create_dir_all(node.join("data/chain"))?;
        for (name, loose) in [
            ("tls.key", 0o644),
            ("tls.cert", 0o644),
            ("data/chain/admin.macaroon", 0o640),
        ] {
            std::fs::write(node.join(name), b"x")?;
            std::fs::set_permissions(node.join(name), std::fs::Permissions::from_mode(loose))?;
        }
        tighten_files_under(&node)?;
        assert_eq!(mode(&node.join("tls.key")), 0o600);
        assert_eq!(mode(&node.join("data/chain/admin.macaroon")), 0o600);
        assert_eq!(mode(&node.join("tls.cert")), 0o644, "a certificate is public");
        tighten_files_under(&data.join("absent"))?;
        Ok(())
    }
}

/// Bytes of a key file made by [`read_or_create_key`].
pub const KEY_FILE_BYTES: usize = 32;

/// The 32-byte key in the file at `path`, made from the operating system's random source (mode
/// 0600, written whole before it appears under its name, so a second process starting at the same
/// moment reads the same key) when the file does not exist. A file of another length is refused.
pub fn read_or_create_key(path: &Path) -> io::Result<secrecy::SecretBox<[u8; KEY_FILE_BYTES]>> {
    use std::io::Write as _;
    if !path.exists() {
        let mut bytes = [0u8; KEY_FILE_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(PRIVATE_FILE_MODE);
        }
        let written = options.open(&tmp).and_then(|mut file| {
            set_exact(&tmp, PRIVATE_FILE_MODE)?;
            file.write_all(&bytes)?;
            file.sync_all()
        });
        bytes.iter_mut().for_each(|b| *b = 0);
        // Whoever links first wins; the other reads the winner's key below.
        let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    tighten_file(path)?;
    let content = std::fs::read(path)?;
    let key: [u8; KEY_FILE_BYTES] = content.as_slice().try_into().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} holds {} bytes, not a {KEY_FILE_BYTES}-byte key: move it away and a new key is made at the next start",
                path.display(),
                content.len()
            ),
        )
    })?;
    Ok(secrecy::SecretBox::new(Box::new(key)))
}

#[cfg(test)]
mod key_tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_key_file_is_made_once_owner_only_and_read_back_alike() {
        let dir = std::env::temp_dir().join(format!("of-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("payment_link.key");
        let _ = std::fs::remove_file(&path);
        let first = read_or_create_key(&path).unwrap();
        let again = read_or_create_key(&path).unwrap();
        assert_eq!(first.expose_secret(), again.expose_secret());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let refused = read_or_create_key(&path).err().unwrap();
        assert!(refused.to_string().contains("not a 32-byte key"), "{refused}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
