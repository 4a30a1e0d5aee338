//! Exact EUR ⇄ millisatoshi conversion at a BTC/EUR rate.
//!
//! All arithmetic is done on integers (cents, the rate's decimal mantissa, sats); no floating point.
//! 1 BTC = 100,000,000 sat = 100,000,000,000 msat.

use rust_decimal::{Decimal, RoundingStrategy};

/// Satoshis in one bitcoin.
pub const SAT_PER_BTC: u64 = 100_000_000;
/// Millisatoshis in one satoshi.
pub const MSAT_PER_SAT: u64 = 1_000;
/// Bitcoin's total supply cap, in BTC.
pub const MAX_SUPPLY_BTC: u64 = 21_000_000;
/// Bitcoin's total supply cap, in sat.
pub const MAX_SUPPLY_SAT: u64 = MAX_SUPPLY_BTC * SAT_PER_BTC;

/// Decimal places of the rate kept in the integer arithmetic (more than any provider reports).
const RATE_MAX_DECIMALS: u32 = 12;

/// Why an amount could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    /// The EUR amount is zero or negative.
    #[error("amount must be greater than 0 EUR (got {amount_eur} EUR)")]
    NonPositiveAmount {
        /// The amount given.
        amount_eur: Decimal,
    },
    /// The EUR amount has fractions of a cent.
    #[error("amount {amount_eur} EUR has more than 2 decimal places; give it in whole cents, e.g. 12.34")]
    TooManyDecimals {
        /// The amount given.
        amount_eur: Decimal,
    },
    /// The rate is zero, negative, or below 0.000000000001 EUR/BTC.
    #[error("BTC/EUR rate must be greater than 0 (got {eur_per_btc} EUR/BTC)")]
    NonPositiveRate {
        /// The rate given.
        eur_per_btc: Decimal,
    },
    /// The result does not fit the integer types used (absurd amount or rate).
    #[error("converting {amount} at {eur_per_btc} EUR/BTC overflows; check the amount and the rate")]
    Overflow {
        /// The amount given, with its unit.
        amount: String,
        /// The rate given.
        eur_per_btc: Decimal,
    },
    /// The result is more bitcoin than will ever exist (21,000,000 BTC).
    #[error("{amount_eur} EUR at {eur_per_btc} EUR/BTC is more than 21,000,000 BTC; check the amount and the rate")]
    AboveBitcoinSupply {
        /// The amount given.
        amount_eur: Decimal,
        /// The rate given.
        eur_per_btc: Decimal,
    },
}

/// `10^exp` as u128, if it fits.
fn pow10(exp: u32) -> Option<u128> {
    10u128.checked_pow(exp)
}

/// Split a positive rate into (mantissa, scale) with at most `RATE_MAX_DECIMALS` decimals, rounded by `strategy`.
fn rate_parts(eur_per_btc: Decimal, strategy: RoundingStrategy) -> Result<(u128, u32), ConversionError> {
    let err = || ConversionError::NonPositiveRate { eur_per_btc };
    if eur_per_btc <= Decimal::ZERO {
        return Err(err());
    }
    let rate = eur_per_btc
        .round_dp_with_strategy(RATE_MAX_DECIMALS, strategy)
        .normalize();
    let mantissa = u128::try_from(rate.mantissa()).map_err(|_| err())?;
    if mantissa == 0 {
        return Err(err());
    }
    Ok((mantissa, rate.scale()))
}

/// Millisatoshis to invoice for `amount_eur` at `eur_per_btc`, rounded UP to a whole satoshi so the payer never
/// pays less than the EUR amount (and at most 1 sat more).
///
/// Example: 500.00 EUR at 45,000 EUR/BTC = 1,111,111.1… sat → 1,111,112 sat = 1,111,112,000 msat.
///
/// The amount must be > 0 with at most 2 decimals. The rate must be > 0; decimals beyond the 12th are
/// truncated (towards a lower rate, i.e. never fewer sats).
pub fn eur_to_msat(amount_eur: Decimal, eur_per_btc: Decimal) -> Result<u64, ConversionError> {
    if amount_eur <= Decimal::ZERO {
        return Err(ConversionError::NonPositiveAmount { amount_eur });
    }
    let amount = amount_eur.normalize();
    if amount.scale() > 2 {
        return Err(ConversionError::TooManyDecimals { amount_eur });
    }
    let (rate_mantissa, rate_scale) = rate_parts(eur_per_btc, RoundingStrategy::ToZero)?;
    let overflow = || ConversionError::Overflow {
        amount: format!("{amount_eur} EUR"),
        eur_per_btc,
    };

    // cents = amount × 100, exact because amount has ≤ 2 decimals.
    let amount_mantissa = u128::try_from(amount.mantissa()).map_err(|_| overflow())?;
    let cents = amount_mantissa
        .checked_mul(pow10(2 - amount.scale()).ok_or_else(overflow)?)
        .ok_or_else(overflow)?;
    // sat = EUR × 10^8 / rate = (cents / 10^2) × 10^8 / (m / 10^s) = cents × 10^(6+s) / m.
    let numerator = cents
        .checked_mul(pow10(6 + rate_scale).ok_or_else(overflow)?)
        .ok_or_else(overflow)?;
    let sats = numerator.div_ceil(rate_mantissa);
    if sats > u128::from(MAX_SUPPLY_SAT) {
        return Err(ConversionError::AboveBitcoinSupply {
            amount_eur,
            eur_per_btc,
        });
    }
    // sats ≤ 2.1e15, so × 1000 ≤ 2.1e18 < u64::MAX.
    let sats = u64::try_from(sats).map_err(|_| overflow())?;
    sats.checked_mul(MSAT_PER_SAT).ok_or_else(overflow)
}

/// EUR value of `amount_msat` at `eur_per_btc`, rounded to whole cents with half-up rounding (a value exactly
/// half a cent rounds away from zero: 0.005 → 0.01). The rate's decimals beyond the 12th are rounded half-up.
pub fn msat_to_eur(amount_msat: u64, eur_per_btc: Decimal) -> Result<Decimal, ConversionError> {
    let (rate_mantissa, rate_scale) = rate_parts(eur_per_btc, RoundingStrategy::MidpointAwayFromZero)?;
    let overflow = || ConversionError::Overflow {
        amount: format!("{amount_msat} msat"),
        eur_per_btc,
    };

    // cents = msat / 10^11 × (m / 10^s) × 100 = msat × m / 10^(9+s).
    let product = u128::from(amount_msat)
        .checked_mul(rate_mantissa)
        .ok_or_else(overflow)?;
    let divisor = pow10(9 + rate_scale).ok_or_else(overflow)?;
    let mut cents = product / divisor;
    let remainder = product % divisor;
    // remainder < divisor ≤ 10^21, so doubling cannot overflow.
    if remainder * 2 >= divisor {
        cents += 1;
    }
    let cents = i128::try_from(cents).map_err(|_| overflow())?;
    Decimal::try_from_i128_with_scale(cents, 2).map_err(|_| overflow())
}

/// EUR value of a routing fee of `fee_msat` at `eur_per_btc`, kept with 4 decimals, half-up
/// (fees are often fractions of a cent, which whole cents would lose; 0.00005 → 0.0001).
pub fn fee_msat_to_eur(fee_msat: u64, eur_per_btc: Decimal) -> Result<Decimal, ConversionError> {
    let overflow = || ConversionError::Overflow {
        amount: format!("{fee_msat} msat"),
        eur_per_btc,
    };
    Decimal::from(fee_msat)
        .checked_mul(eur_per_btc)
        .and_then(|v| v.checked_div(Decimal::from(SAT_PER_BTC * MSAT_PER_SAT)))
        .map(|v| v.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero))
        .ok_or_else(overflow)
}

#[cfg(test)]
mod fee_tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn fees_keep_four_decimals_half_up() {
        // 241,016 msat at 50,000 EUR/BTC = 0.120508 EUR.
        assert_eq!(fee_msat_to_eur(241_016, dec!(50000)), Ok(dec!(0.1205)));
        // 1,000 msat at 50,000 = 0.0005 exactly: kept, not rounded to 0.00.
        assert_eq!(fee_msat_to_eur(1_000, dec!(50000)), Ok(dec!(0.0005)));
        // 100 msat at 50,000 = 0.00005: half rounds up.
        assert_eq!(fee_msat_to_eur(100, dec!(50000)), Ok(dec!(0.0001)));
        assert_eq!(fee_msat_to_eur(0, dec!(50000)), Ok(dec!(0)));
    }
}
