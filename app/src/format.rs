//! Display formats in the UI's language, the one place amounts, sats, rates and times become text.
//!
//! Money follows CLDR: `12.345,67 €` in Italian (every amount of four digits or more is grouped,
//! as `Intl.NumberFormat("it-IT")` does), `€12,345.67` in English; sats are grouped (`432.956 sat`
//! / `432,956 sat`); the BTC/EUR rate is money with two decimals. Amounts arrive as the gateway's
//! plain decimal strings (`"12345.67"`) and never go through floats. Pages must not `format!`
//! amounts themselves: `scripts/check_formats.py` refuses it.

use crate::i18n::Lang;

/// The no-break space between an Italian amount and its `€`.
const NBSP: char = '\u{00A0}';

/// The digit-group separator of `lang` (`.` Italian, `,` English).
fn group_separator(lang: Lang) -> char {
    match lang {
        Lang::It => '.',
        Lang::En => ',',
    }
}

/// The decimal separator of `lang` (`,` Italian, `.` English).
fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::It => ',',
        Lang::En => '.',
    }
}

/// Groups the digits of `value` in threes with `lang`'s separator: `1.234.567` / `1,234,567`.
pub fn integer(lang: Lang, value: u64) -> String {
    group_digits(&value.to_string(), group_separator(lang))
}

/// A count of sats, grouped, with its unit: `432.956 sat` in Italian, `432,956 sat` in English.
pub fn sats(lang: Lang, amount_sat: u64) -> String {
    format!("{} sat", integer(lang, amount_sat))
}

/// An amount in euros from a plain decimal string (`"12345.67"`, `"12,5"`, `"-3"`), rounded half
/// up to cents: `12.345,67 €` in Italian, `€12,345.67` in English. Text that is not a decimal
/// number is shown as it came (never hidden, never guessed).
pub fn money(lang: Lang, amount_eur: &str) -> String {
    match parse_cents(amount_eur) {
        Some(cents) => money_cents(lang, cents),
        None => amount_eur.to_string(),
    }
}

/// An amount in euro cents, formatted as [`money`] does.
pub fn money_cents(lang: Lang, cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let number = unsigned_cents(lang, cents.unsigned_abs());
    match lang {
        Lang::It => format!("{sign}{number}{NBSP}€"),
        Lang::En => format!("{sign}€{number}"),
    }
}

/// A number with two decimals and grouping, no currency: `45.000,00` / `45,000.00`.
pub fn decimal2(lang: Lang, value: &str) -> String {
    match parse_cents(value) {
        Some(cents) if cents < 0 => format!("-{}", unsigned_cents(lang, cents.unsigned_abs())),
        Some(cents) => unsigned_cents(lang, cents.unsigned_abs()),
        None => value.to_string(),
    }
}

/// The BTC/EUR rate: `1 BTC = 45.000,00 €` in Italian, `1 BTC = €45,000.00` in English.
pub fn rate(lang: Lang, eur_per_btc: &str) -> String {
    format!("1 BTC = {}", money(lang, eur_per_btc))
}

/// `cents` as `1.234,56` (Italian) or `1,234.56` (English).
fn unsigned_cents(lang: Lang, cents: u128) -> String {
    let whole = group_digits(&(cents / 100).to_string(), group_separator(lang));
    format!("{whole}{}{:02}", decimal_separator(lang), cents % 100)
}

/// Parses a plain decimal (`.` or `,` as the decimal mark, no grouping, optional `-`) into cents,
/// rounding half up (away from zero) on the third decimal. `None` for anything else.
fn parse_cents(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match digits.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || whole.len() > 30 {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let mut fraction_digits = fraction.bytes().map(|b| i128::from(b - b'0'));
    let tenths = fraction_digits.next().unwrap_or(0);
    let hundredths = fraction_digits.next().unwrap_or(0);
    let round_up = fraction_digits.next().is_some_and(|d| d >= 5);
    let cents = whole * 100 + tenths * 10 + hundredths + i128::from(round_up);
    Some(if negative { -cents } else { cents })
}

/// Inserts `separator` between groups of three digits, from the right.
fn group_digits(digits: &str, separator: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_follows_cldr_in_each_language() {
        assert_eq!(money(Lang::It, "12345.67"), "12.345,67\u{a0}€");
        assert_eq!(money(Lang::En, "12345.67"), "€12,345.67");
        assert_eq!(money(Lang::It, "12.5"), "12,50\u{a0}€");
        assert_eq!(money(Lang::En, "12,5"), "€12.50");
        assert_eq!(money(Lang::It, "0"), "0,00\u{a0}€");
        assert_eq!(money(Lang::It, "-3.1"), "-3,10\u{a0}€");
        assert_eq!(money(Lang::En, "-3.1"), "-€3.10");
        assert_eq!(money(Lang::It, "1234567.00"), "1.234.567,00\u{a0}€");
    }

    #[test]
    fn four_digit_italian_amounts_are_grouped_too() {
        // The one rule: Italian groups from four digits, as Intl.NumberFormat("it-IT") does.
        assert_eq!(money(Lang::It, "1234.00"), "1.234,00\u{a0}€");
        assert_eq!(money(Lang::En, "1234.00"), "€1,234.00");
        assert_eq!(money(Lang::It, "999.99"), "999,99\u{a0}€");
    }

    #[test]
    fn money_rounds_half_up_to_cents_without_floats() {
        assert_eq!(money(Lang::En, "0.005"), "€0.01");
        assert_eq!(money(Lang::En, "0.00499"), "€0.00");
        assert_eq!(money(Lang::En, "19.999"), "€20.00");
        assert_eq!(money(Lang::En, "-0.125"), "-€0.13");
    }

    #[test]
    fn what_is_not_a_number_is_shown_as_it_came() {
        assert_eq!(money(Lang::It, ""), "");
        assert_eq!(money(Lang::It, "n/a"), "n/a");
        assert_eq!(money(Lang::It, "1.234,56"), "1.234,56");
        assert_eq!(money(Lang::It, "1e3"), "1e3");
    }

    #[test]
    fn sats_are_grouped_with_their_unit() {
        assert_eq!(sats(Lang::It, 432_956), "432.956 sat");
        assert_eq!(sats(Lang::En, 432_956), "432,956 sat");
        assert_eq!(sats(Lang::It, 999), "999 sat");
        assert_eq!(integer(Lang::En, 0), "0");
        assert_eq!(integer(Lang::It, u64::MAX), "18.446.744.073.709.551.615");
    }

    #[test]
    fn the_rate_is_grouped_with_two_decimals() {
        assert_eq!(rate(Lang::It, "45000"), "1 BTC = 45.000,00\u{a0}€");
        assert_eq!(rate(Lang::En, "45000.123"), "1 BTC = €45,000.12");
        assert_eq!(decimal2(Lang::It, "45000.5"), "45.000,50");
        assert_eq!(decimal2(Lang::En, "45000.5"), "45,000.50");
    }
}
