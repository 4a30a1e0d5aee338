//! What staff may type: the one parser of EUR amounts typed at the till and the one check of free
//! text that ends up in an invoice memo (notes, descriptions). The browser runs them to answer at
//! once; the gateway runs them again on what arrives (it never trusts the browser). The English
//! wording is each error's `Display`; the Italian one is in `i18n`.
//!
//! Amounts are plain decimal EUR: digits, then optionally one decimal separator (`,` as Italians
//! type it, or `.`) and one or two decimals. Refused: signs, exponents, `_`, spaces, a separator
//! with no digit before or after it, and thousands grouping (`1.234,56`: with two separators
//! nobody can tell which is the decimal one, so grouping is refused outright and the message
//! says to type `1234,56`). The value travels as whole cents.

/// Most digits before the decimal separator (up to 9 999 999,99 EUR; the keypad stops there too).
pub const MAX_AMOUNT_INTEGER_DIGITS: usize = 7;
/// Most decimals after the separator (whole cents).
pub const MAX_AMOUNT_DECIMALS: usize = 2;
/// Longest amount text: integer digits, one separator, decimals.
pub const MAX_AMOUNT_CHARS: usize = MAX_AMOUNT_INTEGER_DIGITS + 1 + MAX_AMOUNT_DECIMALS;

/// Why a typed amount is not a plain EUR amount. `Display` is the English message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing was typed.
    #[error("type an amount in EUR, like 12,50")]
    Empty,
    /// More than [`MAX_AMOUNT_INTEGER_DIGITS`] digits before the separator, or longer than
    /// [`MAX_AMOUNT_CHARS`] overall.
    #[error("the amount is too long: at most 7 digits before the decimal comma and 2 after (up to 9999999,99 EUR)")]
    TooLong,
    /// A leading `+` or `-`.
    #[error("amount must be greater than 0 EUR and typed without a sign (+ or -), like 12,50")]
    Sign,
    /// Zero (`0`, `0,00`).
    #[error("amount must be greater than 0 EUR")]
    Zero,
    /// A character that is neither a digit nor a separator (letters, `e`, `_`, spaces).
    #[error("this is not an amount in EUR: {} is not allowed; type only digits and at most one decimal comma, like 12,50", describe_char(.found))]
    NotADigit {
        /// The first such character.
        found: char,
    },
    /// More than one separator: thousands grouping (`1.234,56`) or a typo.
    #[error("type the amount without a thousands separator and with one decimal comma at most: 1234,56, not 1.234,56")]
    Grouping,
    /// A separator with no digit before it (`,50`).
    #[error("put a digit before the decimal comma: 0,50, not ,50")]
    NoLeadingDigit,
    /// A separator with no digit after it (`5,`).
    #[error("put the cents after the decimal comma, or leave the comma out: 5 or 5,00, not 5,")]
    NoDecimals,
    /// More than [`MAX_AMOUNT_DECIMALS`] decimals (`1,005`, or `1.000` meant as a thousand).
    #[error(
        "amount has more than 2 decimals: use whole cents, like 12,50 (and no thousands separator: 1000, not 1.000)"
    )]
    TooManyDecimals,
}

/// Parses an amount typed at the till into whole cents: see the module documentation for what
/// is accepted. Nothing is trimmed: a space is refused like any other stray character.
pub fn parse_amount_cents(text: &str) -> Result<u64, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    // Cheap refusals first: never walk (or echo) a long input.
    if text.len() > MAX_AMOUNT_CHARS.saturating_mul(4) {
        return Err(AmountError::TooLong);
    }
    if text.starts_with(['+', '-', '\u{2212}']) {
        return Err(AmountError::Sign);
    }
    if let Some(found) = text.chars().find(|c| !c.is_ascii_digit() && *c != ',' && *c != '.') {
        return Err(AmountError::NotADigit { found });
    }
    let mut parts = text.split([',', '.']);
    let integer = parts.next().unwrap_or_default();
    let decimals = parts.next();
    if parts.next().is_some() {
        return Err(AmountError::Grouping);
    }
    if integer.is_empty() {
        return Err(AmountError::NoLeadingDigit);
    }
    if integer.len() > MAX_AMOUNT_INTEGER_DIGITS {
        return Err(AmountError::TooLong);
    }
    let decimals = match decimals {
        None => "",
        Some("") => return Err(AmountError::NoDecimals),
        Some(d) if d.len() > MAX_AMOUNT_DECIMALS => return Err(AmountError::TooManyDecimals),
        Some(d) => d,
    };
    // Only ASCII digits are left, at most 7 + 2 of them: this cannot overflow.
    let digits = |s: &str| s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    let cents = digits(integer) * 100 + digits(decimals) * if decimals.len() == 1 { 10 } else { 1 };
    if cents == 0 {
        return Err(AmountError::Zero);
    }
    Ok(cents)
}

/// Which free-text field a [`TextError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    /// The note of a POS sale.
    Note,
    /// The description of a Lightning invoice.
    Description,
}

impl TextField {
    /// Its English name.
    pub fn name(self) -> &'static str {
        match self {
            TextField::Note => "note",
            TextField::Description => "description",
        }
    }
}

/// Why a free text cannot go into an invoice memo. `Display` is the English message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// An invisible control character (ASCII or C1 controls, tabs and line breaks included).
    #[error("the {} contains an invisible control character ({}): retype it without it", .field.name(), code_point(.found))]
    Control {
        /// The field.
        field: TextField,
        /// The first such character.
        found: char,
    },
    /// A Unicode bidirectional control, which can make a text read differently from what it is.
    #[error("the {} contains a text-direction character ({}), which can make it read differently from what it says: remove it", .field.name(), code_point(.found))]
    Bidi {
        /// The field.
        field: TextField,
        /// The first such character.
        found: char,
    },
}

/// Unicode bidirectional formatting characters: embeddings and overrides (U+202A–U+202E),
/// isolates (U+2066–U+2069), and the marks LRM, RLM and ALM.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A character free text may not carry: a control character (Unicode `Cc`: ASCII controls,
/// DEL and C1, with no exception) or a bidirectional control ([`is_bidi_control`]).
pub fn is_unsafe_text_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The one check of free text that goes into an invoice memo (a POS note, a description):
/// refuses control characters and bidirectional controls, naming the first one found.
pub fn check_free_text(field: TextField, text: &str) -> Result<(), TextError> {
    match text.chars().find(|c| is_unsafe_text_char(*c)) {
        None => Ok(()),
        Some(found) if is_bidi_control(found) => Err(TextError::Bidi { field, found }),
        Some(found) => Err(TextError::Control { field, found }),
    }
}

/// `U+202E` for a character.
pub fn code_point(c: &char) -> String {
    format!("U+{:04X}", u32::from(*c))
}

/// A character as a message shows it: `'e'` when visible, `a space`, or its code point.
pub fn describe_char(c: &char) -> String {
    let c = *c;
    if c == ' ' {
        "a space".to_string()
    } else if c.is_whitespace() || is_unsafe_text_char(c) {
        code_point(&c)
    } else {
        format!("'{c}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_amounts_parse_to_cents() {
        for (text, cents) in [
            ("5", 500),
            ("12,50", 1250),
            ("12.50", 1250),
            ("12,5", 1250),
            ("0,01", 1),
            ("0.5", 50),
            ("1000", 100_000),
            ("007", 700),
            ("9999999,99", 999_999_999),
        ] {
            assert_eq!(parse_amount_cents(text), Ok(cents), "{text:?}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        use AmountError::*;
        let long = "1".repeat(10_000);
        for (text, error) in [
            ("", Empty),
            ("1e3", NotADigit { found: 'e' }),
            ("1_000", NotADigit { found: '_' }),
            ("+5", Sign),
            ("-5", Sign),
            ("\u{2212}5", Sign),
            (".5", NoLeadingDigit),
            (",50", NoLeadingDigit),
            ("5.", NoDecimals),
            ("5,", NoDecimals),
            (" 5", NotADigit { found: ' ' }),
            ("5 ", NotADigit { found: ' ' }),
            ("0", Zero),
            ("0,00", Zero),
            ("00.0", Zero),
            ("1.234,56", Grouping),
            ("1,234.56", Grouping),
            ("1.000.000", Grouping),
            ("12,5,0", Grouping),
            ("1.000", TooManyDecimals),
            ("1,005", TooManyDecimals),
            ("12345678", TooLong),
            ("99999999,9", TooLong),
            (long.as_str(), TooLong),
            ("NaN", NotADigit { found: 'N' }),
            ("inf", NotADigit { found: 'i' }),
            ("0x10", NotADigit { found: 'x' }),
            ("١٢", NotADigit { found: '١' }),
            ("1\u{202E}2", NotADigit { found: '\u{202E}' }),
            ("12€", NotADigit { found: '€' }),
        ] {
            assert_eq!(parse_amount_cents(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn refusals_name_the_character() {
        assert!(AmountError::NotADigit { found: ' ' }.to_string().contains("a space"));
        assert!(AmountError::NotADigit { found: 'e' }.to_string().contains("'e'"));
        assert!(AmountError::NotADigit { found: '\u{7}' }.to_string().contains("U+0007"));
    }

    #[test]
    fn free_text_refuses_controls_and_bidi_characters() {
        assert_eq!(check_free_text(TextField::Note, "Caffè e cornetto – 2× €"), Ok(()));
        assert_eq!(check_free_text(TextField::Note, "مرحبا שלום"), Ok(()));
        for c in [
            '\u{0}', '\u{7}', '\t', '\n', '\r', '\u{1B}', '\u{7F}', '\u{85}', '\u{9F}',
        ] {
            let text = format!("a{c}b");
            assert_eq!(
                check_free_text(TextField::Note, &text),
                Err(TextError::Control {
                    field: TextField::Note,
                    found: c
                }),
                "{c:?}"
            );
        }
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let text = format!("Fattura {c}1202");
            assert_eq!(
                check_free_text(TextField::Description, &text),
                Err(TextError::Bidi {
                    field: TextField::Description,
                    found: c
                }),
                "{c:?}"
            );
        }
        let message = check_free_text(TextField::Description, "x\u{202E}y")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("description") && message.contains("U+202E"),
            "{message}"
        );
    }
}
