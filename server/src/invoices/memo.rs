//! The memo (description) put in a Lightning invoice.

/// LND refuses memos longer than this many bytes.
pub const MAX_MEMO_BYTES: usize = 639;

/// Builds `Fattura INV-001 – Acme Corp – description`, cut on a character boundary so it fits
/// LND's limit; parts that are empty are left out.
pub fn fattura_memo(numero: &str, client: &str, description: &str) -> String {
    let mut parts = vec![format!("Fattura {numero}")];
    for part in [client, description] {
        let part = part.trim();
        if !part.is_empty() {
            parts.push(part.to_string());
        }
    }
    fit(&parts.join(" – "))
}

/// Cuts `text` to at most [`MAX_MEMO_BYTES`] bytes without splitting a character; a cut memo
/// ends with an ellipsis.
pub fn fit(text: &str) -> String {
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
    fn long_memo_fits_lnd_limit_on_char_boundary() {
        let long = "è".repeat(1000);
        let memo = fattura_memo("INV-001", "Acme", &long);
        assert!(memo.len() <= MAX_MEMO_BYTES, "{} bytes", memo.len());
        assert!(memo.ends_with('…'));
        assert!(memo.starts_with("Fattura INV-001 – Acme – è"));
    }
}
