//! EUR ⇄ msat conversion: worked examples, errors, and properties.

use openfatture::money::{eur_to_msat, msat_to_eur, ConversionError, MAX_SUPPLY_SAT, MSAT_PER_SAT};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[test]
fn spec_example_rounds_up_to_the_whole_sat() {
    // 500 EUR / 45,000 EUR/BTC = 0.0111111… BTC = 1,111,111.1… sat → 1,111,112 sat.
    assert_eq!(eur_to_msat(dec!(500.00), dec!(45000)), Ok(1_111_112_000));
    assert_eq!(eur_to_msat(dec!(500), dec!(45000.00)), Ok(1_111_112_000));
}

#[test]
fn exact_amounts_are_not_rounded_up() {
    // 450 EUR at 45,000 is exactly 0.01 BTC = 1,000,000 sat.
    assert_eq!(eur_to_msat(dec!(450.00), dec!(45000)), Ok(1_000_000_000));
    // 1 cent at 100,000,000 EUR/BTC is 0.01 sat → rounded up to 1 sat.
    assert_eq!(eur_to_msat(dec!(0.01), dec!(100000000)), Ok(1_000));
    // Trailing zeros beyond 2 decimals are fine.
    assert_eq!(eur_to_msat(dec!(450.000), dec!(45000)), Ok(1_000_000_000));
}

#[test]
fn fractional_rates_are_exact() {
    // 100 EUR at 45,000.12 EUR/BTC = 222,221.629… sat → 222,222 sat.
    assert_eq!(eur_to_msat(dec!(100), dec!(45000.12)), Ok(222_222_000));
    // 45,000.12 EUR at 45,000.12 EUR/BTC is exactly 1 BTC.
    assert_eq!(eur_to_msat(dec!(45000.12), dec!(45000.12)), Ok(100_000_000_000));
}

#[test]
fn invalid_inputs_are_rejected_with_reasons() {
    assert!(matches!(
        eur_to_msat(dec!(0), dec!(45000)),
        Err(ConversionError::NonPositiveAmount { .. })
    ));
    assert!(matches!(
        eur_to_msat(dec!(-1.00), dec!(45000)),
        Err(ConversionError::NonPositiveAmount { .. })
    ));
    let err = eur_to_msat(dec!(1.001), dec!(45000)).unwrap_err();
    assert!(matches!(err, ConversionError::TooManyDecimals { .. }));
    assert!(err.to_string().contains("1.001"), "{err}");
    assert!(matches!(
        eur_to_msat(dec!(1), dec!(0)),
        Err(ConversionError::NonPositiveRate { .. })
    ));
    assert!(matches!(
        eur_to_msat(dec!(1), dec!(-45000)),
        Err(ConversionError::NonPositiveRate { .. })
    ));
    // Below 1e-12 EUR/BTC the rate is effectively zero.
    assert!(matches!(
        eur_to_msat(dec!(1), dec!(0.0000000000001)),
        Err(ConversionError::NonPositiveRate { .. })
    ));
}

#[test]
fn more_than_the_bitcoin_supply_is_rejected() {
    // 21,000,000 BTC at 1 EUR/BTC is exactly the supply: allowed.
    assert_eq!(eur_to_msat(dec!(21000000), dec!(1)), Ok(MAX_SUPPLY_SAT * MSAT_PER_SAT));
    assert!(matches!(
        eur_to_msat(dec!(21000000.01), dec!(1)),
        Err(ConversionError::AboveBitcoinSupply { .. })
    ));
    // Absurdly large amounts overflow or exceed the supply, never wrap.
    let err = eur_to_msat(Decimal::MAX, dec!(0.000000000001)).unwrap_err();
    assert!(
        matches!(
            err,
            ConversionError::Overflow { .. } | ConversionError::AboveBitcoinSupply { .. }
        ),
        "{err}"
    );
}

#[test]
fn msat_to_eur_rounds_half_up_to_cents() {
    assert_eq!(msat_to_eur(1_111_112_000, dec!(45000)), Ok(dec!(500.00)));
    assert_eq!(msat_to_eur(100_000_000_000, dec!(45000.12)), Ok(dec!(45000.12)));
    // 1 sat at 500,000 EUR/BTC = 0.005 EUR exactly → 0.01 (half-up).
    assert_eq!(msat_to_eur(1_000, dec!(500000)), Ok(dec!(0.01)));
    // 1 sat at 499,999 EUR/BTC = 0.00499999 EUR → 0.00.
    assert_eq!(msat_to_eur(1_000, dec!(499999)), Ok(dec!(0.00)));
    assert_eq!(msat_to_eur(0, dec!(45000)), Ok(dec!(0.00)));
    assert!(matches!(
        msat_to_eur(1, dec!(0)),
        Err(ConversionError::NonPositiveRate { .. })
    ));
    // The largest msat amount at a sane rate converts without overflow.
    assert!(msat_to_eur(u64::MAX, dec!(10000000)).is_ok());
}

fn rate_strategy() -> impl Strategy<Value = Decimal> {
    // 1,000.00000000 to 10,000,000.00000000 EUR/BTC with up to 8 decimals.
    (100_000_000_000i64..=1_000_000_000_000_000i64, 0u32..=8)
        .prop_map(|(units, decimals)| Decimal::new(units, 8).round_dp(decimals))
}

proptest! {
    #[test]
    fn sats_always_cover_the_eur_amount_and_never_by_more_than_one_sat(
        cents in 1i64..=1_000_000_000i64,
        rate in rate_strategy(),
    ) {
        let amount_eur = Decimal::new(cents, 2);
        let msat = eur_to_msat(amount_eur, rate).unwrap();
        prop_assert_eq!(msat % MSAT_PER_SAT, 0, "whole sats only");
        let sats = i128::from(msat / MSAT_PER_SAT);
        // Compare exactly in integers: sats × rate ≥ EUR × 10^8, and (sats − 1) × rate < EUR × 10^8.
        let rate = rate.normalize();
        let rate_mantissa = rate.mantissa();
        let eur_scaled = i128::from(cents) * 10i128.pow(6 + rate.scale());
        prop_assert!(sats * rate_mantissa >= eur_scaled, "{} sat × {} < {} EUR", sats, rate, amount_eur);
        prop_assert!((sats - 1) * rate_mantissa < eur_scaled, "{} sat is more than 1 sat over {} EUR", sats, amount_eur);
        // Converting back never gives less than the amount invoiced, and at most one sat's worth (rounded) more.
        let back = msat_to_eur(msat, rate).unwrap();
        prop_assert!(back >= amount_eur, "{} EUR back < {} EUR", back, amount_eur);
        let one_sat_eur = rate / Decimal::from(100_000_000u64);
        prop_assert!(back - amount_eur <= one_sat_eur + dec!(0.01));
    }
}
