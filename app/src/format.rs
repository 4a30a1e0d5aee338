//! Number formatting for display (integers only: amounts are never floats).

/// Formats a count of sats with thin spaces between thousands, e.g. `1 111 112 sat`.
pub fn format_sat(amount_sat: u64) -> String {
    format!("{} sat", group_thousands(amount_sat))
}

/// Groups the digits of `value` in threes separated by a narrow no-break space.
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202F}');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_threes_from_the_right() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1\u{202F}000");
        assert_eq!(group_thousands(1_111_112), "1\u{202F}111\u{202F}112");
        assert_eq!(
            group_thousands(u64::MAX),
            "18\u{202F}446\u{202F}744\u{202F}073\u{202F}709\u{202F}551\u{202F}615"
        );
    }

    #[test]
    fn sats_carry_their_unit() {
        assert_eq!(format_sat(21_000), "21\u{202F}000 sat");
    }
}
