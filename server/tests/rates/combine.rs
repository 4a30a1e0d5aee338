//! Pure combination and parsing rules.

use openfatture::rates::{decimal_from_json_number, median, spread_percent, ProviderError, SanityBand};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::value::RawValue;

fn raw(text: &str) -> Box<RawValue> {
    serde_json::from_str(text).unwrap()
}

#[test]
fn median_of_odd_and_even_counts() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[dec!(45000)]), Some(dec!(45000)));
    assert_eq!(median(&[dec!(47000), dec!(45000), dec!(46000)]), Some(dec!(46000)));
    // Even count: exact mean of the two middle values, no rounding.
    assert_eq!(median(&[dec!(45000.01), dec!(45000.02)]), Some(dec!(45000.015)));
    assert_eq!(median(&[dec!(1), dec!(100), dec!(3), dec!(2)]), Some(dec!(2.5)));
}

#[test]
fn spread_is_relative_to_the_median() {
    assert_eq!(spread_percent(&[dec!(45000)], dec!(45000)), None);
    assert_eq!(
        spread_percent(&[dec!(45000), dec!(47000)], dec!(46000)).map(|s| s.round_dp(4)),
        Some(dec!(4.3478))
    );
    assert_eq!(
        spread_percent(&[dec!(45000), dec!(45000)], dec!(45000)),
        Some(Decimal::ZERO)
    );
}

#[test]
fn sanity_band_rejects_zero_negative_and_absurd_values() {
    let band = SanityBand {
        min_eur: dec!(1000),
        max_eur: dec!(10000000),
    };
    assert_eq!(band.check(dec!(45000)), Ok(dec!(45000)));
    assert_eq!(band.check(dec!(1000)), Ok(dec!(1000)));
    assert_eq!(band.check(dec!(10000000)), Ok(dec!(10000000)));
    for absurd in [
        dec!(0),
        dec!(-45000),
        dec!(999.99),
        dec!(10000000.01),
        dec!(1000000000000),
    ] {
        assert!(
            matches!(band.check(absurd), Err(ProviderError::OutOfRange { .. })),
            "{absurd}"
        );
    }
}

#[test]
fn json_numbers_parse_from_their_text() {
    assert_eq!(decimal_from_json_number(&raw("45000.12")), Ok(dec!(45000.12)));
    assert_eq!(decimal_from_json_number(&raw("-3")), Ok(dec!(-3)));
    assert_eq!(decimal_from_json_number(&raw("1e12")), Ok(dec!(1000000000000)));
    assert_eq!(decimal_from_json_number(&raw("4.5E+4")), Ok(dec!(45000)));
    assert_eq!(decimal_from_json_number(&raw("4.5e-1")), Ok(dec!(0.45)));
    // 0.1 + 0.2 style values stay exact.
    assert_eq!(
        decimal_from_json_number(&raw("0.30000000000000004")).map(|d| d.to_string()),
        Ok("0.30000000000000004".to_owned())
    );
    for bad in [r#""45000""#, "null", "true", "{}", "[]", "1e400"] {
        assert!(
            matches!(
                decimal_from_json_number(&raw(bad)),
                Err(ProviderError::Malformed { .. })
            ),
            "{bad}"
        );
    }
}
