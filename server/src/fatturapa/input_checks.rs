//! Checks on the raw bytes before any XML parsing: size limit, empty input,
//! signed `.p7m` envelopes and character encoding (the XML declaration is honoured:
//! UTF-8, with or without BOM, and the single-byte encodings such as ISO-8859-1 and
//! windows-1252 are decoded with `encoding_rs`).

use std::borrow::Cow;

use super::error::FatturaPaError;

/// Largest FatturaPA file accepted, in bytes (16 MiB). The SDI takes files up to 5 MB, but a
/// base64-encoded `.p7m` of such a file is a third larger, and files exported by invoicing software
/// before transmission may carry larger attachments (`Allegati`).
pub const MAX_FATTURA_BYTES: usize = 16 * 1024 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The XML text to parse, with the number of bytes skipped before it (a UTF-8 BOM).
#[derive(Debug, Clone)]
pub(crate) struct CheckedInput<'a> {
    /// The document text, without the byte-order mark; decoded to UTF-8 when the file declares
    /// a single-byte encoding.
    pub text: Cow<'a, str>,
    /// Offset of `text` in the original bytes (3 when a UTF-8 BOM was skipped, else 0).
    pub base_offset: usize,
}

impl CheckedInput<'_> {
    /// True when the text was decoded from another encoding (positions then count in the
    /// decoded text, not the original bytes).
    pub(crate) fn transcoded(&self) -> bool {
        matches!(self.text, Cow::Owned(_))
    }
}

/// Runs every check that does not need an XML parser, in order of cost.
pub(crate) fn check_input<'a>(bytes: &'a [u8], file: &str) -> Result<CheckedInput<'a>, FatturaPaError> {
    if bytes.len() > MAX_FATTURA_BYTES {
        return Err(FatturaPaError::TooLarge {
            file: file.to_owned(),
            size_bytes: bytes.len(),
            max_bytes: MAX_FATTURA_BYTES,
        });
    }
    // Unwrapped `.p7m` files arrive here as their content; an envelope still here is nested.
    if super::p7m::looks_signed(bytes, "") {
        return Err(FatturaPaError::SignedP7m { file: file.to_owned() });
    }
    let base_offset = if bytes.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 };
    let body = &bytes[base_offset..];
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FatturaPaError::Empty { file: file.to_owned() });
    }
    if let Some(encoding) = utf16_bom(body) {
        return Err(FatturaPaError::UnsupportedEncoding {
            file: file.to_owned(),
            encoding: encoding.to_owned(),
        });
    }
    if let Some(declared) = declared_encoding(body) {
        let is_utf8 = declared.eq_ignore_ascii_case("utf-8") || declared.eq_ignore_ascii_case("utf8");
        // An ASCII-only file reads the same in every ASCII-compatible encoding.
        if !is_utf8 && !body.is_ascii() {
            return decode_declared(body, &declared, file);
        }
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok(CheckedInput {
            text: Cow::Borrowed(text),
            base_offset,
        }),
        Err(err) => {
            let byte_offset = base_offset + err.valid_up_to();
            let (line, column) = line_col(bytes, byte_offset);
            Err(FatturaPaError::NotUtf8 {
                file: file.to_owned(),
                byte_offset,
                line,
                column,
            })
        }
    }
}

/// Decodes a file in the single-byte encoding its XML declaration names (ISO-8859-1,
/// windows-1252, ISO-8859-15...). Multi-byte encodings other than UTF-8 are refused.
fn decode_declared<'a>(body: &[u8], declared: &str, file: &str) -> Result<CheckedInput<'a>, FatturaPaError> {
    let unsupported = || FatturaPaError::UnsupportedEncoding {
        file: file.to_owned(),
        encoding: super::error::clip(declared),
    };
    let encoding = encoding_rs::Encoding::for_label(declared.trim().as_bytes()).ok_or_else(unsupported)?;
    if !encoding.is_single_byte() || !encoding.is_ascii_compatible() {
        return Err(unsupported());
    }
    let text = encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .ok_or_else(unsupported)?;
    Ok(CheckedInput {
        text: Cow::Owned(text.into_owned()),
        base_offset: 0,
    })
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn utf16_bom(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFE\xFF") {
        Some("UTF-16BE")
    } else if bytes.starts_with(b"\xFF\xFE") {
        Some("UTF-16LE")
    } else if bytes.starts_with(b"\x00<") {
        Some("UTF-16BE (no byte-order mark)")
    } else if bytes.starts_with(b"<\x00") {
        Some("UTF-16LE (no byte-order mark)")
    } else {
        None
    }
}

/// The `encoding="..."` pseudo-attribute of a leading `<?xml ...?>` declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let trimmed = trim_ascii_start(bytes);
    if !trimmed.starts_with(b"<?xml") {
        return None;
    }
    // The declaration is short; look only at its first few hundred bytes.
    let window = &trimmed[..trimmed.len().min(512)];
    let end = window.windows(2).position(|w| w == b"?>")?;
    let decl = &window[..end];
    let key = decl.windows(8).position(|w| w == b"encoding")?;
    let rest = &decl[key + 8..];
    let rest = trim_ascii_start(rest);
    let rest = rest.strip_prefix(b"=")?;
    let rest = trim_ascii_start(rest);
    let (&quote, rest) = rest.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let close = rest.iter().position(|&b| b == quote)?;
    Some(String::from_utf8_lossy(&rest[..close]).into_owned())
}

/// 1-based line and column (in bytes) of `offset` in `bytes`.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let upto = &bytes[..offset.min(bytes.len())];
    let line = 1 + upto.iter().filter(|&&b| b == b'\n').count();
    let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (line, upto.len() - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_encoding_is_read_from_prolog() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding='windows-1252'?><a/>").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a encoding=\"x\"/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab", 99), (1, 3));
    }
}
