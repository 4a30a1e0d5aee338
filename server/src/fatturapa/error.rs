//! Errors returned when a FatturaPA file cannot be imported.
//!
//! Every message starts with the file name and, where it applies, names the
//! element path (e.g. `FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero`)
//! and the line, so the user can open the file and fix it.

use thiserror::Error;

/// Why a FatturaPA file was rejected. A file is imported entirely or not at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FatturaPaError {
    /// The file is larger than [`super::MAX_FATTURA_BYTES`].
    #[error(
        "{file}: file is {size_bytes} bytes, larger than the {max_bytes}-byte limit for a FatturaPA invoice; \
         check that this is a single invoice file"
    )]
    TooLarge {
        /// File name as given by the caller.
        file: String,
        /// Size of the rejected input.
        size_bytes: usize,
        /// The limit that was exceeded.
        max_bytes: usize,
    },

    /// The file is empty or holds only whitespace.
    #[error("{file}: file is empty; expected a FatturaPA XML invoice")]
    Empty {
        /// File name as given by the caller.
        file: String,
    },

    /// The content of a signed file is itself a signed envelope (or a `.xml` file holds one).
    #[error(
        "{file}: a signed (CAdES/PKCS#7) envelope where the invoice XML was expected; \
         name the file *.xml.p7m, or extract the XML (`openssl cms -verify -noverify -inform DER -in FILE.xml.p7m -out FILE.xml`)"
    )]
    SignedP7m {
        /// File name as given by the caller.
        file: String,
    },

    /// A signed `.p7m` file whose envelope is broken or whose content does not match its signature.
    #[error("{file}: bad signed (.p7m) file: {reason}")]
    BadSignature {
        /// File name as given by the caller.
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A `.zip` archive that cannot be read or is over the limits (a zip bomb).
    #[error("{file}: {reason}")]
    BadArchive {
        /// File name as given by the caller.
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The file declares (or is in) a character encoding other than UTF-8.
    #[error("{file}: unsupported character encoding {encoding}; re-save the invoice as UTF-8")]
    UnsupportedEncoding {
        /// File name as given by the caller.
        file: String,
        /// Encoding as declared in the XML prolog or detected from a byte-order mark.
        encoding: String,
    },

    /// The bytes are not valid UTF-8.
    #[error(
        "{file}: not valid UTF-8 at byte {byte_offset} (line {line}, column {column}); \
         re-save the invoice as UTF-8"
    )]
    NotUtf8 {
        /// File name as given by the caller.
        file: String,
        /// Offset of the first invalid byte.
        byte_offset: usize,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in bytes) of the first invalid byte.
        column: usize,
    },

    /// The file contains a DOCTYPE (DTD) or entity declaration, refused to prevent XXE and
    /// entity-expansion ("billion laughs") attacks.
    #[error(
        "{file}: DOCTYPE/ENTITY declarations are not allowed in a FatturaPA invoice \
         (line {line}, column {column}); the file was rejected without expanding anything"
    )]
    DoctypeRejected {
        /// File name as given by the caller.
        file: String,
        /// 1-based line of the `<!DOCTYPE`.
        line: usize,
        /// 1-based column (in bytes) of the `<!DOCTYPE`.
        column: usize,
    },

    /// The XML is not well-formed.
    #[error("{file}: malformed XML at line {line}, column {column} (byte {byte_offset}): {detail}")]
    Malformed {
        /// File name as given by the caller.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in bytes) of the error.
        column: usize,
        /// Byte offset of the error.
        byte_offset: usize,
        /// What the XML parser found wrong.
        detail: String,
    },

    /// The XML ends before every element is closed (the file was cut short).
    #[error(
        "{file}: truncated XML at line {line}, column {column} (byte {byte_offset}): {detail}; \
         the file seems incomplete, download it again"
    )]
    Truncated {
        /// File name as given by the caller.
        file: String,
        /// 1-based line where the input ended or the unfinished markup started.
        line: usize,
        /// 1-based column (in bytes).
        column: usize,
        /// Byte offset.
        byte_offset: usize,
        /// Which element or markup was left open.
        detail: String,
    },

    /// Elements are nested deeper than any FatturaPA document needs.
    #[error("{file}: elements nested deeper than {max_depth} levels at line {line}; not a FatturaPA invoice")]
    TooDeep {
        /// File name as given by the caller.
        file: String,
        /// Depth limit.
        max_depth: usize,
        /// 1-based line of the element that went too deep.
        line: usize,
    },

    /// The document has more elements than any real FatturaPA file of the size limit.
    #[error("{file}: more than {max_elements} XML elements (line {line}); not a FatturaPA invoice")]
    TooManyElements {
        /// File name as given by the caller.
        file: String,
        /// Element count limit.
        max_elements: usize,
        /// 1-based line of the element over the limit.
        line: usize,
    },

    /// The root element is not `FatturaElettronica`.
    #[error("{file}: root element is <{root}>, expected <FatturaElettronica>; not a FatturaPA invoice")]
    NotFatturaPa {
        /// File name as given by the caller.
        file: String,
        /// Local name of the root element found.
        root: String,
    },

    /// The `versione` attribute of the root is missing or not FPA12/FPR12.
    #[error(
        "{file}: FatturaElettronica/@versione is {found:?}; only FatturaPA 1.2 invoices \
         with versione FPA12 or FPR12 are supported"
    )]
    UnsupportedVersione {
        /// File name as given by the caller.
        file: String,
        /// The attribute value found, or "(missing)".
        found: String,
    },

    /// A required element is absent.
    #[error("{file}: missing {path}")]
    Missing {
        /// File name as given by the caller.
        file: String,
        /// Element path, e.g. `FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero`.
        path: String,
    },

    /// An element that may appear at most once appears several times.
    #[error("{file}: {path} appears {count} times (line {line}); it must appear at most once")]
    Duplicate {
        /// File name as given by the caller.
        file: String,
        /// Element path.
        path: String,
        /// How many times it appears.
        count: usize,
        /// 1-based line of the second occurrence.
        line: usize,
    },

    /// A date is not a valid `YYYY-MM-DD` date from 1970 on.
    #[error("{file}: bad date {value:?} in {path} (line {line}): {reason}")]
    InvalidDate {
        /// File name as given by the caller.
        file: String,
        /// Element path.
        path: String,
        /// The text found.
        value: String,
        /// 1-based line of the element.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// A number is not a valid FatturaPA decimal (or an amount is not in whole cents).
    #[error("{file}: bad decimal {value:?} in {path} (line {line}): {reason}")]
    InvalidDecimal {
        /// File name as given by the caller.
        file: String,
        /// Element path.
        path: String,
        /// The text found.
        value: String,
        /// 1-based line of the element.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// The invoice currency (`Divisa`) is not EUR.
    #[error("{file}: {path} is {divisa:?} (line {line}): only EUR invoices are supported")]
    UnsupportedCurrency {
        /// File name as given by the caller.
        file: String,
        /// Element path of `Divisa`.
        path: String,
        /// The currency found.
        divisa: String,
        /// 1-based line of the element.
        line: usize,
    },

    /// Any other element value that breaks a FatturaPA rule (empty, too long, wrong format).
    #[error("{file}: bad value {value:?} in {path} (line {line}): {reason}")]
    InvalidValue {
        /// File name as given by the caller.
        file: String,
        /// Element path.
        path: String,
        /// The text found.
        value: String,
        /// 1-based line of the element.
        line: usize,
        /// What is wrong with it and what is expected.
        reason: String,
    },
}

/// Longest element value quoted in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 80;
/// Longest parser detail (which may quote tag names) in an error message, in characters.
const MAX_DETAIL_CHARS: usize = 300;

/// Shortens an element value quoted in an error, so a hostile file cannot produce a huge message.
pub(crate) fn clip(text: &str) -> String {
    clip_to(text, MAX_QUOTED_CHARS)
}

/// Shortens a parser detail message for the same reason as [`clip`].
pub(crate) fn clip_detail(text: &str) -> String {
    clip_to(text, MAX_DETAIL_CHARS)
}

fn clip_to(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_a_char_boundary() {
        assert_eq!(clip("EUR"), "EUR");
        let long = "è".repeat(200);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }
}
