//! Pure combination and parsing rules.

use openfatture::rates::{
    decimal_from_json_number, decimal_from_json_price, median, outliers, spread_percent, ProviderError, SanityBand,
};
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

#[test]
fn one_liar_is_the_only_outlier_and_is_measured_against_the_others() {
    // The liar drags the honest answers' "others" away too; only the furthest goes.
    let verdicts = outliers(&[dec!(45000), dec!(47250), dec!(45100)], dec!(1));
    assert_eq!(verdicts[0], None);
    assert_eq!(verdicts[2], None);
    let (deviation, others) = verdicts[1].unwrap();
    assert_eq!(others, dec!(45050));
    assert_eq!(deviation.round_dp(2), dec!(4.88));
    // Two liars among five, on either side.
    let verdicts = outliers(
        &[dec!(45000), dec!(40000), dec!(45050), dec!(50000), dec!(45020)],
        dec!(1),
    );
    let dropped: Vec<usize> = (0..5).filter(|i| verdicts[*i].is_some()).collect();
    assert_eq!(dropped, vec![1, 3]);
    // Within the limit, and with fewer than three answers, nothing is dropped.
    assert!(outliers(&[dec!(45000), dec!(45400), dec!(45100)], dec!(1))
        .iter()
        .all(Option::is_none));
    assert!(outliers(&[dec!(45000), dec!(90000)], dec!(1))
        .iter()
        .all(Option::is_none));
}

#[test]
fn prices_sent_as_strings_parse_from_their_text() {
    assert_eq!(
        decimal_from_json_price(&raw(r#""45000.123456789012345678""#))
            .unwrap()
            .to_string(),
        "45000.123456789012345678"
    );
    assert_eq!(decimal_from_json_price(&raw("45000.5")).unwrap(), dec!(45000.5));
    assert_eq!(decimal_from_json_price(&raw(r#""4.5e4""#)).unwrap(), dec!(45000));
    for bad in [r#""""#, r#""NaN""#, r#""45,000.00""#, r#""abc""#, "null", r#"" ""#] {
        assert!(
            matches!(decimal_from_json_price(&raw(bad)), Err(ProviderError::Malformed { .. })),
            "{bad}"
        );
    }
}
