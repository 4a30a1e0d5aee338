//! The memo (description) put in a Lightning invoice. Text typed for it is checked when it is
//! typed (`app::model::check_free_text`, refused with a clear error); text from elsewhere (a
//! fattura's client and description, imported from XML) is cleaned here, so no memo ever carries
//! a control or text-direction character.

use app::model::{is_bidi_control, is_unsafe_text_char};

/// LND refuses memos longer than this many bytes.
pub const MAX_MEMO_BYTES: usize = 639;

/// Builds `Fattura INV-001 – Acme Corp – description`, cut on a character boundary so it fits
/// LND's limit; parts that are empty are left out.
pub fn fattura_memo(numero: &str, client: &str, description: &str) -> String {
    let mut parts = vec![format!("Fattura {numero}")];
    for part in [client, description] {
        let part = clean(part);
        let part = part.trim();
        if !part.is_empty() {
            parts.push(part.to_string());
        }
    }
    fit(&parts.join(" – "))
}

/// `text` without text-direction characters and with every control character (a line break,
/// a tab) turned into a space.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| if is_unsafe_text_char(c) { ' ' } else { c })
        .collect()
}

/// [`clean`]s `text` and cuts it to at most [`MAX_MEMO_BYTES`] bytes without splitting a
/// character; a cut memo ends with an ellipsis.
pub fn fit(text: &str) -> String {
    let text = clean(text);
    let text = text.trim();
    if text.len() <= MAX_MEMO_BYTES {
        return text.to_string();
    }
    let ellipsis = "…";
    let mut end = MAX_MEMO_BYTES - ellipsis.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ellipsis}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_names_invoice_client_and_description() {
        assert_eq!(
            fattura_memo("INV-001", "Acme Corp", "Consulenza"),
            "Fattura INV-001 – Acme Corp – Consulenza"
        );
        assert_eq!(
            fattura_memo("INV-001", "Acme Corp", "  "),
            "Fattura INV-001 – Acme Corp"
        );
    }

    #[test]
    fn memos_carry_no_control_or_direction_characters() {
        assert_eq!(
            fattura_memo("INV-1", "Acme\u{202E}moc.evil", "riga 1\nriga 2\t\u{2066}x\u{2069}"),
            "Fattura INV-1 – Acmemoc.evil – riga 1 riga 2 x"
        );
        assert_eq!(fit("\u{7}ok\u{200F}"), "ok");
        assert_eq!(fattura_memo("INV-1", "Acme", "\u{202E}"), "Fattura INV-1 – Acme");
    }

    #[test]
    fn long_memo_fits_lnd_limit_on_char_boundary() {
        let long = "è".repeat(1000);
        let memo = fattura_memo("INV-001", "Acme", &long);
        assert!(memo.len() <= MAX_MEMO_BYTES, "{} bytes", memo.len());
        assert!(memo.ends_with('…'));
        assert!(memo.starts_with("Fattura INV-001 – Acme – è"));
    }
}
