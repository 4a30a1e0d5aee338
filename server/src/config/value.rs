//! Parsing and validation of one configuration value according to its [`ValueKind`].

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use secrecy::SecretString;

use super::keys::{KeyDescriptor, ValueKind};

/// A validated configuration value.
#[derive(Debug, Clone)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// Plain text (also `host:port` and URLs).
    Text(String),
    /// A secret; never printed.
    Secret(SecretString),
    /// A path with `~` already expanded.
    Path(PathBuf),
    /// A 32-bit whole number.
    U32(u32),
    /// A 64-bit whole number.
    U64(u64),
    /// A decimal number (rates and ratios).
    Decimal(Decimal),
}

impl Value {
    /// The value rendered for people; secrets render as `set`.
    pub fn display(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Text(s) => s.clone(),
            Value::Secret(_) => "set".to_string(),
            Value::Path(p) => p.display().to_string(),
            Value::U32(n) => n.to_string(),
            Value::U64(n) => n.to_string(),
            Value::Decimal(d) => d.normalize().to_string(),
        }
    }

    /// The value as a decimal, for ordering checks between keys.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::U32(n) => Some(Decimal::from(*n)),
            Value::U64(n) => Some(Decimal::from(*n)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

/// Why a raw value was refused; the caller adds the key and where the value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What a valid value looks like.
    pub expected: String,
}

/// Parses `raw` as a value of `key`, expanding `~` with `home_dir` for paths.
pub fn parse(key: &KeyDescriptor, raw: &str, home_dir: Option<&Path>) -> Result<Value, Refusal> {
    let refuse = || Refusal {
        expected: key.kind.expected(),
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(refuse());
    }
    match key.kind {
        ValueKind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(refuse()),
        },
        ValueKind::Text if key.secret => Ok(Value::Secret(SecretString::from(raw))),
        ValueKind::Text => Ok(Value::Text(raw.to_string())),
        ValueKind::Path => expand_tilde(raw, home_dir).map(Value::Path).ok_or_else(|| Refusal {
            expected: "a file path; `~` needs a home directory (set HOME)".to_string(),
        }),
        ValueKind::HostPort => {
            if is_host_port(raw) {
                Ok(Value::Text(raw.to_string()))
            } else {
                Err(refuse())
            }
        }
        ValueKind::U32 { min } => match raw.parse::<u32>() {
            Ok(n) if n >= min => Ok(Value::U32(n)),
            _ => Err(refuse()),
        },
        ValueKind::U64 { min } => match raw.parse::<u64>() {
            Ok(n) if n >= min => Ok(Value::U64(n)),
            _ => Err(refuse()),
        },
        ValueKind::PositiveDecimal => match Decimal::from_str(raw) {
            Ok(d) if d > Decimal::ZERO => Ok(Value::Decimal(d)),
            _ => Err(refuse()),
        },
        ValueKind::Ratio => match Decimal::from_str(raw) {
            Ok(d) if d >= Decimal::ZERO && d <= Decimal::ONE => Ok(Value::Decimal(d)),
            _ => Err(refuse()),
        },
        ValueKind::Url => {
            if is_http_url(raw) {
                Ok(Value::Text(raw.to_string()))
            } else {
                Err(refuse())
            }
        }
        ValueKind::BaseUrl => {
            if is_http_url(raw) && !raw.contains(['?', '#']) {
                Ok(Value::Text(raw.trim_end_matches('/').to_string()))
            } else {
                Err(refuse())
            }
        }
        ValueKind::VatNumber => vat_number(raw).map(Value::Text).ok_or_else(refuse),
        ValueKind::SmtpSecurity => match raw.trim().to_ascii_lowercase().as_str() {
            word @ ("none" | "starttls" | "tls") => Ok(Value::Text(word.to_string())),
            _ => Err(refuse()),
        },
        ValueKind::TimeZone => match raw.parse::<chrono_tz::Tz>() {
            Ok(zone) => Ok(Value::Text(zone.name().to_string())),
            Err(_) => Err(refuse()),
        },
    }
}

/// The 11 digits of an Italian VAT number (partita IVA) when `raw` is one: an optional `IT`
/// prefix, spaces ignored, and a valid check digit (the Luhn-style rule of the Agenzia delle
/// Entrate: odd positions summed, even positions doubled with 9 subtracted above 9).
pub fn vat_number(raw: &str) -> Option<String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact
        .strip_prefix("IT")
        .or_else(|| compact.strip_prefix("it"))
        .unwrap_or(&compact);
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits == "00000000000" {
        return None;
    }
    let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = values[..10]
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    ((10 - sum % 10) % 10 == values[10]).then(|| digits.to_string())
}

/// Expands a leading `~` or `~/` with `home_dir`; other paths are returned unchanged.
pub fn expand_tilde(raw: &str, home_dir: Option<&Path>) -> Option<PathBuf> {
    if raw == "~" {
        return home_dir.map(Path::to_path_buf);
    }
    if let Some(rest) = raw.strip_prefix("~/") {
        return home_dir.map(|h| h.join(rest));
    }
    Some(PathBuf::from(raw))
}

/// Whether `raw` is `host:port` with a non-empty host and a port from 1 to 65535.
fn is_host_port(raw: &str) -> bool {
    if raw.contains("://") || raw.chars().any(char::is_whitespace) || raw.contains('/') {
        return false;
    }
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        // [ipv6]:port
        match rest.split_once("]:") {
            Some((h, p)) => (h, p),
            None => return false,
        }
    } else {
        match raw.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, p),
            _ => return false,
        }
    };
    !host.is_empty() && matches!(port.parse::<u16>(), Ok(p) if p > 0)
}

/// Whether `raw` is an absolute `http` or `https` URL with a host and no `user:password@`.
fn is_http_url(raw: &str) -> bool {
    match raw.parse::<http::Uri>() {
        Ok(uri) => {
            matches!(uri.scheme_str(), Some("http") | Some("https"))
                && uri.host().is_some_and(|h| !h.is_empty())
                && !uri.authority().is_some_and(|a| a.as_str().contains('@'))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::find_key;

    fn ok(key: &str, raw: &str) -> bool {
        let desc = find_key(key).expect("known key");
        parse(desc, raw, Some(Path::new("/home/u"))).is_ok()
    }

    #[test]
    fn public_base_url_is_an_http_address_without_query_or_fragment() {
        assert!(ok("public_base_url", "https://pay.example.com"));
        assert!(ok("public_base_url", "http://192.168.1.5:3000/shop/"));
        for bad in [
            "ftp://x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
            "https://u:p@x.example",
            "x.example",
        ] {
            assert!(!ok("public_base_url", bad), "{bad}");
        }
    }

    #[test]
    fn host_port_shapes() {
        assert!(ok("lightning_host", "localhost:10009"));
        assert!(ok("lightning_host", "10.0.0.1:10009"));
        assert!(ok("lightning_host", "[::1]:10009"));
        assert!(!ok("lightning_host", "localhost"));
        assert!(!ok("lightning_host", "https://localhost:10009"));
        assert!(!ok("lightning_host", "localhost:0"));
        assert!(!ok("lightning_host", "localhost:99999"));
        assert!(!ok("lightning_host", ":10009"));
    }

    #[test]
    fn urls_ratios_numbers_bools() {
        assert!(ok("lightning_webhook_url", "https://example.com/hook"));
        assert!(ok("lightning_webhook_url", "http://127.0.0.1:8080/x"));
        assert!(!ok("lightning_webhook_url", "ftp://example.com"));
        assert!(!ok("lightning_webhook_url", "example.com"));
        assert!(!ok("lightning_webhook_url", "https://user:pass@example.com/hook"));
        assert!(!ok("lightning_webhook_url", "https://user@example.com/hook"));
        assert!(ok("lightning_liquidity_min_ratio", "0"));
        assert!(ok("lightning_liquidity_min_ratio", "1"));
        assert!(!ok("lightning_liquidity_min_ratio", "1.01"));
        assert!(!ok("lightning_liquidity_min_ratio", "-0.1"));
        assert!(ok("lightning_max_retries", "0"));
        assert!(!ok("lightning_timeout_seconds", "0"));
        assert!(!ok("lightning_timeout_seconds", "-3"));
        assert!(!ok("lightning_timeout_seconds", "1.5"));
        assert!(ok("lightning_enabled", "TRUE"));
        assert!(!ok("lightning_enabled", "yes"));
        assert!(ok("lightning_fallback_rate", "45000.00"));
        assert!(!ok("lightning_fallback_rate", "0"));
        assert!(!ok("lightning_fallback_rate", "abc"));
    }

    #[test]
    fn vat_numbers_need_their_check_digit() {
        // Agenzia delle Entrate's own: 06363391001; a widely published example: 01234567897.
        assert_eq!(vat_number("06363391001").as_deref(), Some("06363391001"));
        assert_eq!(vat_number("IT 01234567897").as_deref(), Some("01234567897"));
        assert_eq!(vat_number("01234567890"), None, "wrong check digit");
        assert_eq!(vat_number("0636339100"), None, "10 digits");
        assert_eq!(vat_number("0636339100A"), None);
        assert_eq!(vat_number("00000000000"), None);
        assert!(ok("shop_vat_number", "IT06363391001"));
        assert!(!ok("shop_vat_number", "06363391002"));
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert!(ok("shop_timezone", "Europe/Rome"));
        assert!(ok("shop_timezone", "UTC"));
        assert!(!ok("shop_timezone", "Europe/Milano"));
        assert!(!ok("shop_timezone", "+01:00"));
    }

    #[test]
    fn tilde_expands_only_at_start() {
        let home = Some(Path::new("/home/u"));
        assert_eq!(
            expand_tilde("~/.lnd/tls.cert", home),
            Some(PathBuf::from("/home/u/.lnd/tls.cert"))
        );
        assert_eq!(expand_tilde("~", home), Some(PathBuf::from("/home/u")));
        assert_eq!(expand_tilde("/a/~/b", home), Some(PathBuf::from("/a/~/b")));
        assert_eq!(expand_tilde("~/x", None), None);
    }
}
