//! Webhook signatures.
//!
//! - `X-Lightning-Signature`: hex HMAC-SHA256(secret, raw body) — what the spec's Python
//!   `verify_webhook(payload, signature, secret)` checks.
//! - `X-Lightning-Signature-V2`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
//!   receivers that check `t` is recent (e.g. within 5 minutes) are protected against replays.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Hex HMAC-SHA256 of `message` under `secret`.
pub fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(message);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The `X-Lightning-Signature` value for `body`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    hmac_hex(secret, body)
}

/// The `X-Lightning-Signature-V2` value for `body` sent at `unix_secs`.
pub fn signature_v2(secret: &[u8], unix_secs: i64, body: &[u8]) -> String {
    let mut message = format!("{unix_secs}.").into_bytes();
    message.extend_from_slice(body);
    format!("t={unix_secs},v1={}", hmac_hex(secret, &message))
}
