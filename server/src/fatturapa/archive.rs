//! `.zip` archives of FatturaPA files as downloaded in bulk (SDI, the Agenzia delle Entrate
//! portal, invoicing software): every invoice file inside, SDI receipts and metadata left out,
//! with limits on entries, sizes and the compression ratio so a zip bomb is refused.

use std::io::Read;

use super::error::{clip, FatturaPaError};
use super::input_checks::MAX_FATTURA_BYTES;

/// Largest `.zip` archive accepted, in bytes (64 MiB).
pub const MAX_ARCHIVE_BYTES: usize = 64 * 1024 * 1024;
/// Most entries an archive may have.
pub const MAX_ARCHIVE_ENTRIES: usize = 2_000;
/// Most bytes all the entries of an archive may unpack to (256 MiB).
pub const MAX_ARCHIVE_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Highest ratio between an entry's unpacked and packed size; XML compresses about 10:1, a
/// zip bomb by thousands.
pub const MAX_COMPRESSION_RATIO: u64 = 200;

/// SDI receipts and metadata files (`IT01234567890_12345_MT_001.xml`...): not invoices.
const SDI_MESSAGE_KINDS: [&str; 10] = [
    "_MT_", "_RC_", "_NS_", "_MC_", "_NE_", "_EC_", "_SE_", "_DT_", "_AT_", "_SF_",
];

/// One file of an archive: its name and content, or why it was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveEntry {
    /// A FatturaPA file (`.xml` or `.xml.p7m`) to import.
    Invoice {
        /// Name inside the archive.
        name: String,
        /// Its bytes (at most [`MAX_FATTURA_BYTES`]).
        bytes: Vec<u8>,
    },
    /// A file left out: an SDI receipt, metadata, a directory or another kind of file.
    Ignored {
        /// Name inside the archive.
        name: String,
        /// Why it was left out.
        reason: String,
        /// True for an SDI receipt or metadata file, false for another kind of file.
        sdi_message: bool,
    },
}

/// True when the bytes are a zip archive (local file header or empty archive).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// The files of a `.zip` archive, invoices and ignored ones, in archive order. Refuses an
/// archive over the limits (entries, unpacked size, compression ratio) without unpacking it all.
pub fn unpack_zip(bytes: &[u8], file: &str) -> Result<Vec<ArchiveEntry>, FatturaPaError> {
    let bad = |reason: String| FatturaPaError::BadArchive {
        file: file.to_owned(),
        reason,
    };
    if bytes.len() > MAX_ARCHIVE_BYTES {
        return Err(bad(format!(
            "the archive is {} bytes, more than the {MAX_ARCHIVE_BYTES}-byte limit; split it",
            bytes.len()
        )));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip archive: {e}")))?;
    if archive.len() > MAX_ARCHIVE_ENTRIES {
        return Err(bad(format!(
            "{} entries, more than the {MAX_ARCHIVE_ENTRIES} accepted; split the archive",
            archive.len()
        )));
    }
    let mut entries = Vec::new();
    let mut unpacked_total: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| bad(format!("entry {}: {e}", index + 1)))?;
        let name = entry.name().to_owned();
        let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
        let lower = base.to_ascii_lowercase();
        if entry.is_dir() {
            continue;
        }
        let ignored = |reason: &str, sdi_message: bool| ArchiveEntry::Ignored {
            name: clip(&name),
            reason: reason.to_owned(),
            sdi_message,
        };
        if SDI_MESSAGE_KINDS
            .iter()
            .any(|kind| base.to_ascii_uppercase().contains(kind))
        {
            entries.push(ignored("an SDI receipt or metadata file, not an invoice", true));
            continue;
        }
        if !(lower.ends_with(".xml") || lower.ends_with(".xml.p7m") || lower.ends_with(".p7m")) {
            entries.push(ignored("not a FatturaPA file (.xml or .xml.p7m)", false));
            continue;
        }
        // Never trust the sizes the archive declares: read at most the limit plus one byte.
        let mut content = Vec::new();
        (&mut entry)
            .take(MAX_FATTURA_BYTES as u64 + 1)
            .read_to_end(&mut content)
            .map_err(|e| bad(format!("{}: cannot unpack: {e}", clip(&name))))?;
        let packed = entry.compressed_size().max(1);
        let unpacked = content.len() as u64;
        if content.len() > MAX_FATTURA_BYTES || unpacked / packed > MAX_COMPRESSION_RATIO {
            return Err(bad(format!(
                "{} unpacks to more than {} bytes from {packed} (ratio over {MAX_COMPRESSION_RATIO}:1): \
                 refused as a zip bomb",
                clip(&name),
                unpacked.min(MAX_FATTURA_BYTES as u64)
            )));
        }
        unpacked_total += unpacked;
        if unpacked_total > MAX_ARCHIVE_UNPACKED_BYTES {
            return Err(bad(format!(
                "the entries unpack to more than {MAX_ARCHIVE_UNPACKED_BYTES} bytes: refused as a zip bomb"
            )));
        }
        entries.push(ArchiveEntry::Invoice { name, bytes: content });
    }
    Ok(entries)
}
