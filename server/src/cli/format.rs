//! Number formatting for terminal output.

/// Sats in compact form, as the spec shows them: `8.0M`, `1.2M`, `800k`, `1.5k`, `950`.
/// Millions always keep one decimal; thousands drop a trailing `.0`. Rounds half up.
pub fn compact_sats(sat: u64) -> String {
    // Tenths of a thousand, rounded half up.
    let tenths_k = (u128::from(sat) + 50) / 100;
    if sat < 1_000 {
        sat.to_string()
    } else if tenths_k < 10_000 {
        let (whole, tenth) = (tenths_k / 10, tenths_k % 10);
        if tenth == 0 {
            format!("{whole}k")
        } else {
            format!("{whole}.{tenth}k")
        }
    } else {
        let tenths_m = (u128::from(sat) + 50_000) / 100_000;
        format!("{}.{}M", tenths_m / 10, tenths_m % 10)
    }
}

/// A whole number with `,` between groups of three digits: `1,111,112`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_matches_the_spec_examples() {
        assert_eq!(compact_sats(8_000_000), "8.0M");
        assert_eq!(compact_sats(2_500_000), "2.5M");
        assert_eq!(compact_sats(1_200_000), "1.2M");
        assert_eq!(compact_sats(800_000), "800k");
    }

    #[test]
    fn compact_edges() {
        assert_eq!(compact_sats(0), "0");
        assert_eq!(compact_sats(999), "999");
        assert_eq!(compact_sats(1_000), "1k");
        assert_eq!(compact_sats(1_500), "1.5k");
        assert_eq!(compact_sats(12_345), "12.3k");
        assert_eq!(compact_sats(999_949), "999.9k");
        assert_eq!(compact_sats(999_950), "1.0M");
        assert_eq!(compact_sats(1_949_999), "1.9M");
        assert_eq!(compact_sats(1_950_000), "2.0M");
        assert_eq!(compact_sats(2_100_000_000_000_000), "2100000000.0M");
        assert_eq!(compact_sats(u64::MAX), "18446744073709.6M");
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_111_112), "1,111,112");
        assert_eq!(grouped(100_000_000), "100,000,000");
    }
}
