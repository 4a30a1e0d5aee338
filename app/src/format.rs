//! Display formats in the UI's language, the one place amounts, sats, rates and times become text.
//!
//! Money follows CLDR: `12.345,67 €` in Italian (every amount of four digits or more is grouped,
//! as `Intl.NumberFormat("it-IT")` does), `€12,345.67` in English; sats are grouped (`432.956 sat`
//! / `432,956 sat`); the BTC/EUR rate is money with two decimals. Amounts arrive as the gateway's
//! plain decimal strings (`"12345.67"`) and never go through floats. Pages must not `format!`
//! amounts themselves: `scripts/check_formats.py` refuses it.
//!
//! Times travel as ISO 8601 UTC (the API and exports keep it) and are shown on the shop's wall
//! clock (`shop_timezone`): `07/12/2026 11:52` in Italian, `Dec 7, 2026, 11:52 AM` in English, with
//! relative times where they help (`scade tra 14 min`, `2 min fa`). The browser converts with
//! `Intl.DateTimeFormat` and a `timeZone`: its ICU knows every IANA zone and its rules, so the wasm
//! carries no time-zone database, and relative times tick on the browser's clock corrected by the
//! gateway's. Outside the browser (tests, server rendering) times are shown in UTC, marked `UTC`.

use leptos::prelude::*;

use crate::i18n::{fill, text_in, Lang};

/// The no-break space between an Italian amount and its `€`.
const NBSP: char = '\u{00A0}';

/// The digit-group separator of `lang` (`.` Italian, `,` English).
fn group_separator(lang: Lang) -> char {
    match lang {
        Lang::It => '.',
        Lang::En => ',',
    }
}

/// The decimal separator of `lang` (`,` Italian, `.` English).
fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::It => ',',
        Lang::En => '.',
    }
}

/// Groups the digits of `value` in threes with `lang`'s separator: `1.234.567` / `1,234,567`.
pub fn integer(lang: Lang, value: u64) -> String {
    group_digits(&value.to_string(), group_separator(lang))
}

/// A count of sats, grouped, with its unit: `432.956 sat` in Italian, `432,956 sat` in English.
pub fn sats(lang: Lang, amount_sat: u64) -> String {
    format!("{} sat", integer(lang, amount_sat))
}

/// An amount in euros from a plain decimal string (`"12345.67"`, `"12,5"`, `"-3"`), rounded half
/// up to cents: `12.345,67 €` in Italian, `€12,345.67` in English. Text that is not a decimal
/// number is shown as it came (never hidden, never guessed).
pub fn money(lang: Lang, amount_eur: &str) -> String {
    match parse_cents(amount_eur) {
        Some(cents) => money_cents(lang, cents),
        None => amount_eur.to_string(),
    }
}

/// An amount in euro cents, formatted as [`money`] does.
pub fn money_cents(lang: Lang, cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let number = unsigned_cents(lang, cents.unsigned_abs());
    match lang {
        Lang::It => format!("{sign}{number}{NBSP}€"),
        Lang::En => format!("{sign}€{number}"),
    }
}

/// A number with two decimals and grouping, no currency: `45.000,00` / `45,000.00`.
pub fn decimal2(lang: Lang, value: &str) -> String {
    match parse_cents(value) {
        Some(cents) if cents < 0 => format!("-{}", unsigned_cents(lang, cents.unsigned_abs())),
        Some(cents) => unsigned_cents(lang, cents.unsigned_abs()),
        None => value.to_string(),
    }
}

/// A plain decimal (`"0.125"`, `"1234"`) in `lang` with the decimals it has: `0,125` / `0.125`,
/// the whole part grouped. Text that is not a plain decimal is shown as it came.
pub fn decimal(lang: Lang, value: &str) -> String {
    let (sign, digits) = match value.trim().strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", value.trim()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || (digits.contains('.') && fraction.is_empty())
    {
        return value.to_string();
    }
    let whole = group_digits(whole, group_separator(lang));
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}{}{fraction}", decimal_separator(lang))
    }
}

/// A BTC/EUR price exactly as a provider answered it (every decimal kept, none added), in
/// `lang`: `1 BTC = 60.000,505 €` / `1 BTC = €60,000.505`. For the rate evidence.
pub fn rate_exact(lang: Lang, eur_per_btc: &str) -> String {
    let number = decimal(lang, eur_per_btc);
    match lang {
        Lang::It => format!("1 BTC = {number}{NBSP}€"),
        Lang::En => format!("1 BTC = €{number}"),
    }
}

/// The BTC/EUR rate: `1 BTC = 45.000,00 €` in Italian, `1 BTC = €45,000.00` in English.
pub fn rate(lang: Lang, eur_per_btc: &str) -> String {
    format!("1 BTC = {}", money(lang, eur_per_btc))
}

/// `cents` as `1.234,56` (Italian) or `1,234.56` (English).
fn unsigned_cents(lang: Lang, cents: u128) -> String {
    let whole = group_digits(&(cents / 100).to_string(), group_separator(lang));
    format!("{whole}{}{:02}", decimal_separator(lang), cents % 100)
}

/// Parses a plain decimal (`.` or `,` as the decimal mark, no grouping, optional `-`) into cents,
/// rounding half up (away from zero) on the third decimal. `None` for anything else.
fn parse_cents(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match digits.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || whole.len() > 30 {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let mut fraction_digits = fraction.bytes().map(|b| i128::from(b - b'0'));
    let tenths = fraction_digits.next().unwrap_or(0);
    let hundredths = fraction_digits.next().unwrap_or(0);
    let round_up = fraction_digits.next().is_some_and(|d| d >= 5);
    let cents = whole * 100 + tenths * 10 + hundredths + i128::from(round_up);
    Some(if negative { -cents } else { cents })
}

/// Inserts `separator` between groups of three digits, from the right.
fn group_digits(digits: &str, separator: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(ch);
    }
    out
}

/// The shop's clock in context: its time zone and "now" (ticking every 20 s in the browser).
#[derive(Debug, Clone, Copy)]
pub struct ShopTime {
    /// The shop's IANA time zone (`Europe/Rome` until the gateway says otherwise).
    pub timezone: RwSignal<String>,
    /// Now on the gateway's clock (unix seconds).
    pub now_unix_secs: RwSignal<i64>,
    /// Gateway clock minus browser clock (seconds).
    skew_secs: RwSignal<i64>,
}

/// The time zone shown until the gateway answers (the `shop_timezone` default).
pub const DEFAULT_TIMEZONE: &str = "Europe/Rome";

/// Puts the shop's clock into context (default zone; [`ShopTime::set`] applies the gateway's).
pub fn provide_shop_time() -> ShopTime {
    let skew_secs = RwSignal::new(0);
    let shop = ShopTime {
        timezone: RwSignal::new(DEFAULT_TIMEZONE.to_string()),
        now_unix_secs: RwSignal::new(browser_now_secs()),
        skew_secs,
    };
    #[cfg(feature = "csr")]
    {
        let now = shop.now_unix_secs;
        let _ = set_interval_with_handle(
            move || now.set(browser_now_secs() + skew_secs.get_untracked()),
            std::time::Duration::from_secs(20),
        );
    }
    provide_context(shop);
    shop
}

impl ShopTime {
    /// Applies what the gateway said: its time zone and its clock.
    pub fn set(&self, clock: crate::model::ShopClock) {
        self.skew_secs.set(clock.now_unix_secs - browser_now_secs());
        self.now_unix_secs.set(clock.now_unix_secs);
        self.timezone.set(clock.timezone);
    }
}

/// The browser's clock (unix seconds); 0 outside the browser.
fn browser_now_secs() -> i64 {
    #[cfg(feature = "csr")]
    {
        (js_sys::Date::now() / 1000.0).floor() as i64
    }
    #[cfg(not(feature = "csr"))]
    {
        0
    }
}

/// The shop's time zone and now, from context (tracked); the default zone and no "now" without one.
fn shop_time() -> (String, Option<i64>) {
    match use_context::<ShopTime>() {
        Some(shop) => (shop.timezone.get(), Some(shop.now_unix_secs.get())),
        None => (DEFAULT_TIMEZONE.to_string(), None),
    }
}

/// An ISO 8601 time on the shop's wall clock, in `lang` (tracked: call it in a reactive closure).
/// Text that is not an RFC 3339 time is shown as it came; empty stays empty.
pub fn when(lang: Lang, iso_utc: &str) -> String {
    let Some(unix_secs) = parse_rfc3339_secs(iso_utc) else {
        return iso_utc.to_string();
    };
    let (timezone, _) = shop_time();
    date_time(lang, &timezone, unix_secs)
}

/// [`when`] followed by how long ago or until, when that is under a day: `07/12/2026 11:52 (tra
/// 14 min)`. Tracked: refreshes as the shop's clock ticks.
pub fn when_relative(lang: Lang, iso_utc: &str) -> String {
    match parse_rfc3339_secs(iso_utc) {
        Some(unix_secs) => when_secs_relative(lang, unix_secs),
        None => iso_utc.to_string(),
    }
}

/// [`when_relative`] for a time in unix seconds.
pub fn when_secs_relative(lang: Lang, unix_secs: i64) -> String {
    let (timezone, now) = shop_time();
    let absolute = date_time(lang, &timezone, unix_secs);
    match now
        .filter(|now| *now > 0)
        .and_then(|now| relative(lang, unix_secs, now))
    {
        Some(rel) => format!("{absolute} ({rel})"),
        None => absolute,
    }
}

/// A moment on the wall clock of `timezone`: `07/12/2026 11:52` (Italian), `Dec 7, 2026, 11:52 AM`
/// (English, en-US's 12-hour clock). Falls back to UTC, marked ` UTC`, when the zone cannot be applied.
pub fn date_time(lang: Lang, timezone: &str, unix_secs: i64) -> String {
    let (civil, utc_mark) = match zoned(timezone, unix_secs) {
        Some(civil) => (civil, ""),
        None => (Civil::from_unix_secs(unix_secs), " UTC"),
    };
    let Civil {
        year,
        month,
        day,
        hour,
        minute,
    } = civil;
    match lang {
        Lang::It => format!("{day:02}/{month:02}/{year:04} {hour:02}:{minute:02}{utc_mark}"),
        Lang::En => {
            let name = MONTHS_EN
                .get(usize::from(month.saturating_sub(1)))
                .copied()
                .unwrap_or("?");
            // en-US: a 12-hour clock, 12 AM at midnight and 12 PM at noon.
            let (hour_12, half) = match hour {
                0 => (12, "AM"),
                1..=11 => (hour, "AM"),
                12 => (12, "PM"),
                _ => (hour - 12, "PM"),
            };
            format!("{name} {day}, {year:04}, {hour_12}:{minute:02} {half}{utc_mark}")
        }
    }
}

/// English month abbreviations.
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date (`YYYY-MM-DD`, no time and no zone: an invoice date, a due date) in `lang`:
/// `01/02/2026` in Italian, `Feb 1, 2026` in English. Other text is shown as it came.
pub fn calendar_date(lang: Lang, ymd: &str) -> String {
    let mut parts = ymd.trim().splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return ymd.to_string();
    };
    let (Ok(year), Ok(month), Ok(day)) = (year.parse::<u16>(), month.parse::<u8>(), day.parse::<u8>()) else {
        return ymd.to_string();
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return ymd.to_string();
    }
    match lang {
        Lang::It => format!("{day:02}/{month:02}/{year:04}"),
        Lang::En => format!("{} {day}, {year:04}", MONTHS_EN[usize::from(month - 1)]),
    }
}

/// How far `unix_secs` is from `now_unix_secs`, when under a day: `2 min fa` / `2 min ago`,
/// `tra 14 min` / `in 14 min`, `3 h fa` / `3 h ago`, `adesso` / `just now` under a minute.
pub fn relative(lang: Lang, unix_secs: i64, now_unix_secs: i64) -> Option<String> {
    let delta = unix_secs - now_unix_secs;
    let magnitude = delta.unsigned_abs();
    if magnitude < 60 {
        return Some(text_in(lang, "time.just_now").to_string());
    }
    let amount = if magnitude < 3_600 {
        format!("{} min", magnitude / 60)
    } else if magnitude < 86_400 {
        format!("{} h", magnitude / 3_600)
    } else {
        return None;
    };
    let key = if delta > 0 { "time.in" } else { "time.ago" };
    Some(fill(text_in(lang, key), &[("amount", &amount)]))
}

/// A wall-clock reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Civil {
    year: i64,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
}

impl Civil {
    /// The UTC reading of `unix_secs` (proleptic Gregorian; Howard Hinnant's `civil_from_days`).
    fn from_unix_secs(unix_secs: i64) -> Civil {
        let days = unix_secs.div_euclid(86_400);
        let secs_of_day = unix_secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let small = |v: i64| u8::try_from(v).unwrap_or(0);
        Civil {
            year,
            month: small(month),
            day: small(day),
            hour: small(secs_of_day / 3_600),
            minute: small(secs_of_day % 3_600 / 60),
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of an RFC 3339 time (`2026-12-03T22:52:54Z`, `…+01:00`, fractions ignored).
pub fn parse_rfc3339_secs(text: &str) -> Option<i64> {
    let text = text.trim();
    let b = text.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(16) != Some(&b':') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = text.get(from..to)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = fraction.get(digits..)?;
    }
    let offset_secs = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                return None;
            }
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (hours * 3_600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second - offset_secs)
}

/// The wall-clock reading of `unix_secs` in `timezone`, by the browser's `Intl.DateTimeFormat`
/// (`None` for a zone the browser does not know, and always outside the browser).
#[cfg(feature = "csr")]
fn zoned(timezone: &str, unix_secs: i64) -> Option<Civil> {
    use wasm_bindgen::{JsCast, JsValue};
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let intl = get(&js_sys::global().into(), "Intl")?;
    let constructor: js_sys::Function = get(&intl, "DateTimeFormat")?.dyn_into().ok()?;
    let options = js_sys::Object::new();
    for (key, value) in [
        ("timeZone", timezone),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "numeric"),
        ("minute", "numeric"),
        ("hourCycle", "h23"),
    ] {
        js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
    }
    let args = js_sys::Array::of2(&JsValue::from_str("en-US"), &options);
    // `Reflect.construct` returns the RangeError of an unknown zone instead of throwing.
    let formatter: js_sys::Intl::DateTimeFormat =
        js_sys::Reflect::construct(&constructor, &args).ok()?.unchecked_into();
    let date = js_sys::Date::new(&JsValue::from_f64(unix_secs as f64 * 1000.0));
    let mut civil = Civil::default();
    for part in formatter.format_to_parts(&date).iter() {
        let (Some(kind), Some(value)) = (
            get(&part, "type").and_then(|v| v.as_string()),
            get(&part, "value").and_then(|v| v.as_string()),
        ) else {
            continue;
        };
        match kind.as_str() {
            "year" => civil.year = value.parse().ok()?,
            "month" => civil.month = value.parse().ok()?,
            "day" => civil.day = value.parse().ok()?,
            "hour" => civil.hour = value.parse::<u8>().ok()? % 24,
            "minute" => civil.minute = value.parse().ok()?,
            _ => {}
        }
    }
    (civil.month > 0 && civil.day > 0).then_some(civil)
}

/// Outside the browser there is no time-zone database: times are shown in UTC.
#[cfg(not(feature = "csr"))]
fn zoned(_timezone: &str, _unix_secs: i64) -> Option<Civil> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_follows_cldr_in_each_language() {
        assert_eq!(money(Lang::It, "12345.67"), "12.345,67\u{a0}€");
        assert_eq!(money(Lang::En, "12345.67"), "€12,345.67");
        assert_eq!(money(Lang::It, "12.5"), "12,50\u{a0}€");
        assert_eq!(money(Lang::En, "12,5"), "€12.50");
        assert_eq!(money(Lang::It, "0"), "0,00\u{a0}€");
        assert_eq!(money(Lang::It, "-3.1"), "-3,10\u{a0}€");
        assert_eq!(money(Lang::En, "-3.1"), "-€3.10");
        assert_eq!(money(Lang::It, "1234567.00"), "1.234.567,00\u{a0}€");
    }

    #[test]
    fn four_digit_italian_amounts_are_grouped_too() {
        // The one rule: Italian groups from four digits, as Intl.NumberFormat("it-IT") does.
        assert_eq!(money(Lang::It, "1234.00"), "1.234,00\u{a0}€");
        assert_eq!(money(Lang::En, "1234.00"), "€1,234.00");
        assert_eq!(money(Lang::It, "999.99"), "999,99\u{a0}€");
    }

    #[test]
    fn money_rounds_half_up_to_cents_without_floats() {
        assert_eq!(money(Lang::En, "0.005"), "€0.01");
        assert_eq!(money(Lang::En, "0.00499"), "€0.00");
        assert_eq!(money(Lang::En, "19.999"), "€20.00");
        assert_eq!(money(Lang::En, "-0.125"), "-€0.13");
    }

    #[test]
    fn what_is_not_a_number_is_shown_as_it_came() {
        assert_eq!(money(Lang::It, ""), "");
        assert_eq!(money(Lang::It, "n/a"), "n/a");
        assert_eq!(money(Lang::It, "1.234,56"), "1.234,56");
        assert_eq!(money(Lang::It, "1e3"), "1e3");
    }

    #[test]
    fn sats_are_grouped_with_their_unit() {
        assert_eq!(sats(Lang::It, 432_956), "432.956 sat");
        assert_eq!(sats(Lang::En, 432_956), "432,956 sat");
        assert_eq!(sats(Lang::It, 999), "999 sat");
        assert_eq!(integer(Lang::En, 0), "0");
        assert_eq!(integer(Lang::It, u64::MAX), "18.446.744.073.709.551.615");
    }

    #[test]
    fn plain_decimals_keep_their_decimals_in_each_language() {
        assert_eq!(decimal(Lang::It, "0.125"), "0,125");
        assert_eq!(decimal(Lang::En, "0.125"), "0.125");
        assert_eq!(decimal(Lang::It, "1234"), "1.234");
        assert_eq!(decimal(Lang::It, "-1234.5"), "-1.234,5");
        assert_eq!(decimal(Lang::It, "1."), "1.");
        assert_eq!(decimal(Lang::It, "n/a"), "n/a");
    }

    #[test]
    fn the_rate_is_grouped_with_two_decimals() {
        assert_eq!(rate(Lang::It, "45000"), "1 BTC = 45.000,00\u{a0}€");
        assert_eq!(rate(Lang::En, "45000.123"), "1 BTC = €45,000.12");
        assert_eq!(decimal2(Lang::It, "45000.5"), "45.000,50");
        assert_eq!(decimal2(Lang::En, "45000.5"), "45,000.50");
    }

    #[test]
    fn rfc3339_times_parse_to_unix_seconds() {
        assert_eq!(parse_rfc3339_secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_secs("2026-12-03T22:52:54Z"), Some(1_796_338_374));
        assert_eq!(parse_rfc3339_secs("2026-12-03T23:52:54+01:00"), Some(1_796_338_374));
        assert_eq!(parse_rfc3339_secs("2026-12-03T22:52:54.123456Z"), Some(1_796_338_374));
        assert_eq!(parse_rfc3339_secs("2026-12-03"), None);
        assert_eq!(parse_rfc3339_secs("2026-13-03T22:52:54Z"), None);
        assert_eq!(parse_rfc3339_secs("2026-12-03T22:52:54"), None);
        assert_eq!(parse_rfc3339_secs(""), None);
    }

    #[test]
    fn outside_the_browser_times_show_in_utc_with_the_mark() {
        // 2024-02-29T09:05:00Z: a leap day.
        let secs = parse_rfc3339_secs("2024-02-29T09:05:00Z").unwrap_or_default();
        assert_eq!(date_time(Lang::It, "Europe/Rome", secs), "29/02/2024 09:05 UTC");
        assert_eq!(date_time(Lang::En, "Europe/Rome", secs), "Feb 29, 2024, 9:05 AM UTC");
        assert_eq!(date_time(Lang::En, "UTC", 0), "Jan 1, 1970, 12:00 AM UTC");
        // 2026-12-07T12:01:00Z (noon) and 23:59.
        assert_eq!(date_time(Lang::En, "UTC", 1_796_644_860), "Dec 7, 2026, 12:01 PM UTC");
        assert_eq!(date_time(Lang::It, "UTC", 1_796_644_860), "07/12/2026 12:01 UTC");
        assert_eq!(
            date_time(Lang::En, "UTC", 1_796_644_860 + 11 * 3_600 + 58 * 60),
            "Dec 7, 2026, 11:59 PM UTC"
        );
        assert_eq!(date_time(Lang::It, "UTC", 0), "01/01/1970 00:00 UTC");
        assert_eq!(when(Lang::It, "not a time"), "not a time");
        assert_eq!(when(Lang::It, "2026-12-03T22:52:54Z"), "03/12/2026 22:52 UTC");
    }

    #[test]
    fn relative_times_say_how_long_ago_or_until() {
        let now = 1_796_338_374;
        assert_eq!(
            relative(Lang::It, now + 14 * 60 + 30, now).as_deref(),
            Some("tra 14 min")
        );
        assert_eq!(
            relative(Lang::En, now + 14 * 60 + 30, now).as_deref(),
            Some("in 14 min")
        );
        assert_eq!(relative(Lang::It, now - 120, now).as_deref(), Some("2 min fa"));
        assert_eq!(relative(Lang::En, now - 120, now).as_deref(), Some("2 min ago"));
        assert_eq!(relative(Lang::It, now - 3 * 3_600, now).as_deref(), Some("3 h fa"));
        assert_eq!(relative(Lang::It, now + 10, now).as_deref(), Some("adesso"));
        assert_eq!(relative(Lang::It, now - 2 * 86_400, now), None);
    }

    #[test]
    fn calendar_dates_follow_the_language() {
        assert_eq!(calendar_date(Lang::It, "2026-02-01"), "01/02/2026");
        assert_eq!(calendar_date(Lang::En, "2026-02-01"), "Feb 1, 2026");
        assert_eq!(calendar_date(Lang::En, "2025-12-31"), "Dec 31, 2025");
        assert_eq!(calendar_date(Lang::It, ""), "");
        assert_eq!(calendar_date(Lang::It, "2026-13-01"), "2026-13-01");
    }
}
