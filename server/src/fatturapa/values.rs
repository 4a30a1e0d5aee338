//! Parsing of FatturaPA scalar values: dates and decimals. No floating point anywhere.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Most digits accepted before the decimal point (the schema allows 11; a few more are tolerated).
const MAX_INTEGER_DIGITS: usize = 15;
/// Most digits accepted after the decimal point (FatturaPA `Amount8DecimalType`).
const MAX_FRACTION_DIGITS: usize = 8;
/// Decimal places of a euro amount (`Amount2DecimalType`).
pub(crate) const CENT_DECIMALS: u32 = 2;

/// Parses a FatturaPA decimal: `-?digits(.digits)?` with '.' as separator, at most
/// [`MAX_FRACTION_DIGITS`] decimals. Returns the reason on failure.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    if text.contains(',') {
        return Err("use '.' as the decimal separator, without thousands separators (e.g. 1234.50)".into());
    }
    if integer.is_empty() || !integer.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected digits with an optional '-' sign and '.' decimal point (e.g. 1234.50)".into());
    }
    if integer.len() > MAX_INTEGER_DIGITS {
        return Err(format!(
            "more than {MAX_INTEGER_DIGITS} digits before the decimal point"
        ));
    }
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err("expected digits after the decimal point (e.g. 1234.50)".into());
        }
        if fraction.len() > MAX_FRACTION_DIGITS {
            return Err(format!(
                "more than {MAX_FRACTION_DIGITS} digits after the decimal point"
            ));
        }
    }
    Decimal::from_str(text).map_err(|err| format!("not a decimal number: {err}"))
}

/// Parses a euro amount: a [`parse_decimal`] value that must be whole cents
/// (e.g. `12.50` or `12.50000000`, not `12.505`). The result has scale 2.
pub(crate) fn parse_amount_eur(text: &str) -> Result<Decimal, String> {
    let mut value = parse_decimal(text)?;
    if value.round_dp(CENT_DECIMALS) != value {
        return Err("a euro amount must be in whole cents (at most 2 significant decimals)".into());
    }
    value.rescale(CENT_DECIMALS);
    Ok(value)
}

/// Parses an `xs:date` as FatturaPA uses it: exactly `YYYY-MM-DD`, not before 1970-01-01.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err("expected a date as YYYY-MM-DD (e.g. 2024-03-15)".into());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, String> {
        text.get(range)
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| "expected a date as YYYY-MM-DD (e.g. 2024-03-15)".to_string())
    };
    let year = i32::try_from(number(0..4)?).map_err(|_| "year out of range".to_string())?;
    let month = number(5..7)?;
    let day = number(8..10)?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{year:04}-{month:02}-{day:02} is not a calendar date"))?;
    if year < 1970 {
        return Err("FatturaPA dates start at 1970-01-01".into());
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    #[test]
    fn decimals_follow_fatturapa_syntax() {
        assert_eq!(parse_decimal("1234.56"), Ok(dec("1234.56")));
        assert_eq!(parse_decimal("-0.12345678"), Ok(dec("-0.12345678")));
        assert_eq!(parse_decimal("7"), Ok(dec("7")));
        for bad in [
            "",
            "-",
            ".5",
            "5.",
            "1,50",
            "1e3",
            "+1.00",
            "1_000.00",
            " 1.00",
            "0.123456789",
            "١٢",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_decimal(&"9".repeat(16)).is_err());
    }

    #[test]
    fn amounts_must_be_whole_cents() {
        assert_eq!(parse_amount_eur("10.5").map(|d| d.to_string()), Ok("10.50".into()));
        assert_eq!(
            parse_amount_eur("10.50000000").map(|d| d.to_string()),
            Ok("10.50".into())
        );
        assert!(parse_amount_eur("10.505").is_err());
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            parse_date("2024-02-29"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29).expect("date"))
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-05",
            "05/01/2024",
            "1969-12-31",
            "2024-01-05Z",
            "+024-01-05",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
