//! Turning the accepted provider answers into one rate: median and spread warning.

use rust_decimal::Decimal;

/// The median of `values`: the middle value, or for an even count the exact mean of the two middle values.
/// `None` for an empty slice.
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        return Some(sorted[n / 2]);
    }
    let (low, high) = (sorted[n / 2 - 1], sorted[n / 2]);
    // Halving a sum adds at most one decimal place, so this is exact for realistic rates.
    low.checked_add(high)
        .map(|sum| sum / Decimal::TWO)
        .or(Some(low + (high - low) / Decimal::TWO))
}

/// (max − min) / median × 100 (not rounded); `None` for fewer than two values or a zero median.
pub fn spread_percent(values: &[Decimal], median: Decimal) -> Option<Decimal> {
    if values.len() < 2 || median.is_zero() {
        return None;
    }
    let max = values.iter().max()?;
    let min = values.iter().min()?;
    (*max - *min).checked_div(median)?.checked_mul(Decimal::ONE_HUNDRED)
}
