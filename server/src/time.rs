//! The program's one clock and its one way of writing a moment (RFC 3339, UTC, whole seconds).
//! Every module reads the time here; nothing below imports anything above.

use chrono::{DateTime, SecondsFormat, Utc};

/// Current unix time, seconds.
pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Current unix time, milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Unix seconds as RFC 3339 UTC (`2025-01-15T10:30:00Z`). A moment outside chrono's range (far
/// beyond any real date) is written as the plain number rather than as a wrong date.
pub fn rfc3339(unix_secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix_secs, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| unix_secs.to_string())
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds (`2025-01-15T10:30:00.250Z`), or the
/// plain number for a moment outside chrono's range.
pub fn rfc3339_ms(unix_ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(unix_ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| unix_ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_written_in_utc_with_whole_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_736_937_000), "2025-01-15T10:30:00Z");
    }

    #[test]
    fn an_impossible_moment_is_never_written_as_1970() {
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
        assert_eq!(rfc3339(i64::MIN), i64::MIN.to_string());
    }

    #[test]
    fn the_clocks_agree() {
        let (secs, ms) = (now_secs(), now_ms());
        assert!((ms / 1000 - secs).abs() <= 1, "{secs} s vs {ms} ms");
        assert!(secs > 1_700_000_000);
    }
}
