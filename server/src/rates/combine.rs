//! Turning the accepted provider answers into one rate: outliers dropped, median and spread warning.

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

/// |value − reference| / reference × 100 (not rounded); `None` for a zero reference.
pub fn deviation_percent(value: Decimal, reference: Decimal) -> Option<Decimal> {
    if reference.is_zero() {
        return None;
    }
    (value - reference)
        .abs()
        .checked_div(reference)?
        .checked_mul(Decimal::ONE_HUNDRED)
}

/// Which answers are outliers: for each of `values`, `Some((deviation %, median of the others))`
/// when it was dropped, else `None`. One answer at a time is dropped: of the answers still kept,
/// the one furthest from the median of the other kept answers, while that distance is above
/// `max_deviation_percent` and at least three answers are kept (so one liar among three cannot
/// drag the honest answers' "others" away and get them dropped; two answers that disagree cannot
/// say which one lies, so both stay).
pub fn outliers(values: &[Decimal], max_deviation_percent: Decimal) -> Vec<Option<(Decimal, Decimal)>> {
    let mut verdicts: Vec<Option<(Decimal, Decimal)>> = vec![None; values.len()];
    loop {
        let kept: Vec<usize> = (0..values.len()).filter(|i| verdicts[*i].is_none()).collect();
        if kept.len() < 3 {
            break;
        }
        let worst = kept
            .iter()
            .filter_map(|&i| {
                let others: Vec<Decimal> = kept.iter().filter(|j| **j != i).map(|j| values[*j]).collect();
                let reference = median(&others)?;
                let deviation = deviation_percent(values[i], reference)?;
                Some((i, deviation, reference))
            })
            .max_by(|a, b| a.1.cmp(&b.1));
        match worst {
            Some((i, deviation, reference)) if deviation > max_deviation_percent => {
                verdicts[i] = Some((deviation, reference));
            }
            _ => break,
        }
    }
    verdicts
}
