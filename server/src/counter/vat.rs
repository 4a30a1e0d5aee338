//! IVA inside a gross (IVA-included) counter amount, as Italian receipts compute it: IVA =
//! gross − gross / (1 + rate), rounded half-up to the cent; net = gross − IVA.

use app::model::VatRate;
use rust_decimal::{Decimal, RoundingStrategy};

/// A gross amount split into net and IVA, EUR with two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatSplit {
    /// The amount paid, IVA included.
    pub gross_eur: Decimal,
    /// The IVA inside it.
    pub vat_eur: Decimal,
    /// Gross − IVA.
    pub net_eur: Decimal,
}

/// Splits `gross_eur` (whole cents) at `rate`. A 0 % rate (with its Natura) has no IVA.
pub fn split_gross(gross_eur: Decimal, rate: VatRate) -> VatSplit {
    let percent = Decimal::from(rate.percent());
    // gross − gross / (1 + r/100) = gross · r / (100 + r), exact before the one rounding.
    let vat_eur = (gross_eur * percent / (Decimal::ONE_HUNDRED + percent))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let gross_eur = gross_eur.round_dp(2);
    VatSplit {
        gross_eur,
        vat_eur,
        net_eur: gross_eur - vat_eur,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rate(text: &str) -> VatRate {
        VatRate::parse(text).unwrap_or(VatRate::STANDARD)
    }

    fn split(gross: Decimal, text: &str) -> (Decimal, Decimal) {
        let s = split_gross(gross, rate(text));
        assert_eq!(s.net_eur + s.vat_eur, s.gross_eur, "net + IVA is the gross");
        (s.vat_eur, s.net_eur)
    }

    #[test]
    fn each_rate_splits_the_gross() {
        assert_eq!(split(dec!(12.20), "22"), (dec!(2.20), dec!(10.00)));
        assert_eq!(split(dec!(11.00), "10"), (dec!(1.00), dec!(10.00)));
        assert_eq!(split(dec!(10.50), "5"), (dec!(0.50), dec!(10.00)));
        assert_eq!(split(dec!(10.40), "4"), (dec!(0.40), dec!(10.00)));
        assert_eq!(split(dec!(10.00), "0:N2"), (dec!(0.00), dec!(10.00)));
        // 1,00 at 22 %: 0,18032… → 0,18.
        assert_eq!(split(dec!(1.00), "22"), (dec!(0.18), dec!(0.82)));
        // 12,10 at 10 %: 1,1 exactly.
        assert_eq!(split(dec!(12.10), "10"), (dec!(1.10), dec!(11.00)));
    }

    #[test]
    fn iva_rounds_half_up_on_the_boundary() {
        // At 4 % the IVA of 0,13 is exactly 0,005: half-up gives 0,01 (banker's rounding 0,00).
        assert_eq!(split(dec!(0.13), "4"), (dec!(0.01), dec!(0.12)));
        // 0,39 → 0,015 → 0,02 (banker's: 0,02 too); 0,65 → 0,025 → 0,03 (banker's: 0,02).
        assert_eq!(split(dec!(0.39), "4"), (dec!(0.02), dec!(0.37)));
        assert_eq!(split(dec!(0.65), "4"), (dec!(0.03), dec!(0.62)));
        // Just below and above a boundary: 0,12 → 0,0046 → 0,00; 0,14 → 0,0054 → 0,01.
        assert_eq!(split(dec!(0.12), "4"), (dec!(0.00), dec!(0.12)));
        assert_eq!(split(dec!(0.14), "4"), (dec!(0.01), dec!(0.13)));
        // 22 %: 0,03 → 0,00541 → 0,01; 0,02 → 0,0036 → 0,00.
        assert_eq!(split(dec!(0.03), "22"), (dec!(0.01), dec!(0.02)));
        assert_eq!(split(dec!(0.02), "22"), (dec!(0.00), dec!(0.02)));
    }

    #[test]
    fn zero_rates_keep_their_natura_and_no_iva() {
        for natura in 1..=7 {
            let text = format!("0:N{natura}");
            assert_eq!(split(dec!(99.99), &text), (dec!(0.00), dec!(99.99)));
            assert_eq!(rate(&text).natura(), Some(format!("N{natura}")));
        }
    }
}
