//! Property tests: EUR → msat conversion (monotonic in amount and rate, tight rounding over a
//! wide range of rates) and webhook signatures (checked by an independent HMAC-SHA256; any
//! tampering with body, secret or timestamp fails). The rounding bound at market-like rates is
//! in `tests/rates/money.rs`.

use hmac::{Hmac, Mac};
use openfatture::money::{eur_to_msat, ConversionError, MSAT_PER_SAT};
use proptest::prelude::*;
use rust_decimal::Decimal;
use sha2::Sha256;

/// 0.01 EUR to 100,000.00 EUR.
fn cents() -> impl Strategy<Value = i64> {
    1i64..=10_000_000i64
}

/// Rates from 0.01 to 10,000,000 EUR/BTC with up to 12 decimals.
fn rate() -> impl Strategy<Value = Decimal> {
    (1i64..=1_000_000_000i64, 0u32..=10).prop_map(|(units, extra)| {
        let base = Decimal::new(units, 2);
        // add up to 10 more decimals of noise, still ≤ 12 decimals in all
        let noise = Decimal::new(i64::from(extra) * 7, 2 + extra);
        base + noise
    })
}

fn msat(cents: i64, rate: Decimal) -> Result<u64, ConversionError> {
    eur_to_msat(Decimal::new(cents, 2), rate)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn more_euros_never_give_fewer_sats(a in cents(), b in cents(), rate in rate()) {
        let (low, high) = (a.min(b), a.max(b));
        match (msat(low, rate), msat(high, rate)) {
            (Ok(l), Ok(h)) => prop_assert!(l <= h, "{low} c → {l} msat but {high} c → {h} msat at {rate}"),
            // A larger amount may exceed the bitcoin supply where a smaller one does not; never the reverse.
            (Ok(_), Err(ConversionError::AboveBitcoinSupply { .. })) => {}
            (Err(ConversionError::AboveBitcoinSupply { .. }), Err(ConversionError::AboveBitcoinSupply { .. })) => {}
            other => prop_assert!(false, "unexpected results {other:?}"),
        }
    }

    #[test]
    fn a_higher_rate_never_gives_more_sats(c in cents(), r1 in rate(), r2 in rate()) {
        let (low, high) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
        match (msat(c, low), msat(c, high)) {
            (Ok(at_low), Ok(at_high)) => prop_assert!(at_high <= at_low, "{c} c: {at_low} msat at {low}, {at_high} msat at {high}"),
            (Err(ConversionError::AboveBitcoinSupply { .. }), _) => {}
            other => prop_assert!(false, "unexpected results {other:?}"),
        }
    }

    /// Exact integer check, at every rate shape: sats × rate ≥ EUR × 10^8 > (sats − 1) × rate.
    #[test]
    fn sats_cover_the_amount_by_less_than_one_sat_at_any_rate(c in cents(), rate in rate()) {
        match msat(c, rate) {
            Ok(amount_msat) => {
                prop_assert_eq!(amount_msat % MSAT_PER_SAT, 0);
                let sats = i128::from(amount_msat / MSAT_PER_SAT);
                let rate = rate.normalize();
                let m = rate.mantissa();
                let eur_scaled = i128::from(c) * 10i128.pow(6 + rate.scale());
                prop_assert!(sats * m >= eur_scaled, "{} sat below {} c at {}", sats, c, rate);
                prop_assert!((sats - 1) * m < eur_scaled, "{} sat is 1 sat or more above {} c at {}", sats, c, rate);
            }
            Err(ConversionError::AboveBitcoinSupply { .. }) => {
                // Only when the amount really is more than 21,000,000 BTC.
                let rate = rate.normalize();
                let eur_scaled = i128::from(c) * 10i128.pow(6 + rate.scale());
                let supply_sats = 2_100_000_000_000_000i128;
                prop_assert!(eur_scaled > supply_sats * rate.mantissa());
            }
            Err(e) => prop_assert!(false, "{c} c at {rate}: {e}"),
        }
    }

    #[test]
    fn amounts_with_fractions_of_a_cent_are_refused(mills in 1i64..=100_000_000i64, rate in rate()) {
        prop_assume!(mills % 10 != 0);
        let amount = Decimal::new(mills, 3);
        let refused = matches!(eur_to_msat(amount, rate), Err(ConversionError::TooManyDecimals { .. }));
        prop_assert!(refused, "{} EUR was not refused", amount);
    }
}

/// Independent hex HMAC-SHA256, written against the `hmac` and `sha2` crates.
fn reference_hmac(secret: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// What a receiver does with `X-Lightning-Signature`: recompute and compare in constant time.
fn verify_v1(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Ok(expected) = hex::decode(header) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// What a receiver does with `X-Lightning-Signature-V2`: parse `t=...,v1=...`, require `t` within
/// `tolerance_secs` of `now`, and check the HMAC of `"<t>.<body>"`.
fn verify_v2(secret: &[u8], body: &[u8], header: &str, now: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => return false,
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn v1_signature_is_the_hex_hmac_of_the_raw_body(secret in bytes(80), body in bytes(600)) {
        let header = openfatture::webhooks::signature(&secret, &body);
        prop_assert_eq!(header.len(), 64);
        prop_assert!(header.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        prop_assert_eq!(&header, &reference_hmac(&secret, &body));
        prop_assert!(verify_v1(&secret, &body, &header));
    }

    #[test]
    fn v1_tampering_fails(secret in bytes(80), body in bytes(600), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let header = openfatture::webhooks::signature(&secret, &body);
        if !body.is_empty() {
            let mut tampered = body.clone();
            tampered[flip.index(body.len())] ^= 1 << bit;
            prop_assert!(!verify_v1(&secret, &tampered, &header), "tampered body verified");
        }
        let mut longer = body.clone();
        longer.push(b' ');
        prop_assert!(!verify_v1(&secret, &longer, &header), "extended body verified");
        let mut other_secret = secret.clone();
        other_secret.push(b'x');
        prop_assert!(!verify_v1(&other_secret, &body, &header), "wrong secret verified");
    }

    #[test]
    fn v2_signature_verifies_and_binds_the_timestamp(
        secret in bytes(80),
        body in bytes(600),
        t in 0i64..=4_102_444_800i64,
        shift in 1i64..=1_000_000i64,
    ) {
        let header = openfatture::webhooks::signature_v2(&secret, t, &body);
        prop_assert!(header.starts_with(&format!("t={t},v1=")), "{}", header);
        let v1 = header.rsplit_once("v1=").map(|(_, v)| v.to_string()).unwrap_or_default();
        let mut message = format!("{t}.").into_bytes();
        message.extend_from_slice(&body);
        prop_assert_eq!(v1, reference_hmac(&secret, &message));
        prop_assert!(verify_v2(&secret, &body, &header, t, 300));
        // Replayed later than the tolerance: refused.
        prop_assert!(!verify_v2(&secret, &body, &header, t + 301 + shift, 300));
        // Timestamp rewritten to look fresh: the HMAC no longer matches.
        let forged = header.replacen(&format!("t={t}"), &format!("t={}", t + shift), 1);
        prop_assert!(!verify_v2(&secret, &body, &forged, t + shift, 300), "forged timestamp verified");
        // Other secret or body: refused.
        // (Not a trailing zero byte: HMAC pads short keys with zeros, so `k` and `k\0` are the same key.)
        let mut other_secret = secret.clone();
        other_secret.push(b'x');
        prop_assert!(!verify_v2(&other_secret, &body, &header, t, 300));
        let mut other_body = body.clone();
        other_body.push(b'}');
        prop_assert!(!verify_v2(&secret, &other_body, &header, t, 300));
        // The V1 header of the same body is not a valid V2 signature and vice versa.
        prop_assert_ne!(openfatture::webhooks::signature(&secret, &body), openfatture::webhooks::signature_v2(&secret, t, &body));
    }
}
