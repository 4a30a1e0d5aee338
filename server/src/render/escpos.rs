//! A receipt as ESC/POS bytes for an 80 mm network thermal printer (issue 36), written here rather
//! than with a crate: the handful of commands needed (ESC @ init, ESC t code page PC858 for the
//! accented letters and €, ESC a alignment, ESC E bold, GS ! size, GS ( k the QR code model 2
//! stored then printed, GS V the cut) are a few bytes each, and the ESC/POS crates pull in image
//! and USB stacks this gateway does not need.

use app::i18n::Lang;

use super::receipt::{centered, pair, receipt_lines, wrap, Receipt, ReceiptLine};

/// Characters a line of font A on 80 mm paper holds, with a margin (48 fit on most printers).
pub const LINE_CHARS: usize = 42;
/// ESC @: initialise the printer.
pub const INIT: [u8; 2] = [0x1B, 0x40];
/// ESC t 19: code page PC858 (Latin-1 with €).
const CODE_PAGE_PC858: [u8; 3] = [0x1B, 0x74, 19];
/// GS V 66 3: feed 3 lines and cut.
pub const CUT: [u8; 4] = [0x1D, 0x56, 66, 3];
/// The longest text a QR code holds here (model 2 at level M holds more; a receipt URL is short).
const MAX_QR_BYTES: usize = 700;

/// Bytes that select the alignment: 0 left, 1 centre.
fn align(center: bool) -> [u8; 3] {
    [0x1B, 0x61, u8::from(center)]
}

/// Bytes that turn bold on or off.
fn bold(on: bool) -> [u8; 3] {
    [0x1B, 0x45, u8::from(on)]
}

/// Bytes that set the character size: 1 normal, 2 double width and height.
fn size(double: bool) -> [u8; 3] {
    [0x1D, 0x21, if double { 0x11 } else { 0x00 }]
}

/// `text` in code page PC858: ASCII as is, Italian letters and € at their places, other
/// characters as the nearest plain one or `?`; control characters dropped.
pub fn encode_pc858(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let byte = match c {
            ' '..='~' => c as u8,
            'à' => 0x85,
            'è' => 0x8A,
            'é' => 0x82,
            'ì' => 0x8D,
            'ò' => 0x95,
            'ù' => 0x97,
            'À' => 0xB7,
            'È' => 0xD4,
            'É' => 0x90,
            'Ì' => 0xDE,
            'Ò' => 0xE3,
            'Ù' => 0xEB,
            'ç' => 0x87,
            'ä' => 0x84,
            'ö' => 0x94,
            'ü' => 0x81,
            'ñ' => 0xA4,
            '€' => 0xD5,
            '°' => 0xF8,
            '·' => 0xFA,
            '—' | '–' | '‐' => b'-',
            '\u{a0}' | '\u{202f}' | '\u{2009}' => b' ',
            '’' | '‘' => b'\'',
            '“' | '”' => b'"',
            '…' => b'.',
            c if c.is_control() => continue,
            _ => b'?',
        };
        out.push(byte);
    }
    out
}

/// GS ( k: the QR code of `data` (model 2, module 6 dots, error correction M), stored then printed.
pub fn qr_commands(data: &str) -> Vec<u8> {
    let data = &data.as_bytes()[..data.len().min(MAX_QR_BYTES)];
    let mut out = Vec::with_capacity(data.len() + 32);
    // Model 2.
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0]);
    // Module size 6.
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6]);
    // Error correction M.
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49]);
    // Store the data: pL pH count the 3 bytes `49 80 48` and the data.
    let stored = data.len() + 3;
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, (stored % 256) as u8, (stored / 256) as u8, 49, 80, 48]);
    out.extend_from_slice(data);
    // Print it.
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48]);
    out
}

/// The receipt as ESC/POS bytes: init, code page, the lines (the title large and bold, the
/// total bold), the QR of `url` (the receipt page) when given, and the cut.
pub fn receipt_escpos(receipt: &Receipt, lang: Lang, url: Option<&str>, scan_hint: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(&INIT);
    out.extend_from_slice(&CODE_PAGE_PC858);
    let text = |out: &mut Vec<u8>, pieces: Vec<String>| {
        for piece in pieces {
            out.extend_from_slice(&encode_pc858(piece.trim_end()));
            out.push(b'\n');
        }
    };
    for line in receipt_lines(receipt, lang) {
        match line {
            ReceiptLine::Title(title) => {
                out.extend_from_slice(&align(true));
                out.extend_from_slice(&bold(true));
                out.extend_from_slice(&size(true));
                text(&mut out, wrap(&title, LINE_CHARS / 2));
                out.extend_from_slice(&size(false));
                out.extend_from_slice(&bold(false));
                out.extend_from_slice(&align(false));
            }
            ReceiptLine::Centered(line) => text(&mut out, centered(&line, LINE_CHARS)),
            ReceiptLine::Field(label, value) => text(&mut out, pair(&label, &value, LINE_CHARS)),
            ReceiptLine::Total(label, value) => {
                out.extend_from_slice(&bold(true));
                text(&mut out, pair(&label, &value, LINE_CHARS));
                out.extend_from_slice(&bold(false));
            }
            ReceiptLine::Wrapped(value) => text(&mut out, wrap(&value, LINE_CHARS)),
            ReceiptLine::Rule => text(&mut out, vec!["-".repeat(LINE_CHARS)]),
        }
    }
    if let Some(url) = url {
        out.push(b'\n');
        out.extend_from_slice(&align(true));
        text(&mut out, centered(scan_hint, LINE_CHARS));
        out.extend_from_slice(&qr_commands(url));
        out.push(b'\n');
        out.extend_from_slice(&align(false));
    }
    out.extend_from_slice(&CUT);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_letters_and_the_euro_sign_use_code_page_858() {
        assert_eq!(encode_pc858("Caffè 1,50 €"), b"Caff\x8a 1,50 \xd5".to_vec());
        assert_eq!(encode_pc858("a\u{1b}b—c"), b"ab-c".to_vec());
        assert_eq!(encode_pc858("漢"), b"?".to_vec());
    }

    #[test]
    fn the_qr_store_command_counts_its_data() {
        let url = "https://pay.example.com/r/abc";
        let bytes = qr_commands(url);
        let store = [0x1D, 0x28, 0x6B, (url.len() + 3) as u8, 0, 49, 80, 48];
        let at = bytes
            .windows(store.len())
            .position(|w| w == store)
            .expect("store command");
        assert_eq!(&bytes[at + store.len()..at + store.len() + url.len()], url.as_bytes());
        assert!(bytes.ends_with(&[0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48]));
    }
}
