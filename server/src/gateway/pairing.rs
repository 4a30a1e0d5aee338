//! Tablet pairing on the web (issue 36): the device cookie that keeps a tablet paired to its till
//! (it outlives sign-out: only unpairing ends it) and the per-address limit on pairing-code
//! attempts ([`MAX_PAIRING_ATTEMPTS`] per [`PAIRING_WINDOW_SECS`]).

use std::collections::HashMap;
use std::sync::Mutex;

use app::{AppError, PosError};
use secrecy::{ExposeSecret, SecretString};

/// The cookie holding a paired tablet's device token.
pub(crate) const DEVICE_COOKIE: &str = "of_till_device";
/// How long the device cookie lives, seconds (400 days, the most browsers keep a cookie).
pub(crate) const DEVICE_COOKIE_MAX_AGE_SECS: i64 = 400 * 24 * 3600;
/// Pairing-code attempts allowed from one address per window.
pub(crate) const MAX_PAIRING_ATTEMPTS: u32 = 10;
/// The window of the pairing-code limit, seconds.
pub(crate) const PAIRING_WINDOW_SECS: i64 = 60;

/// The device token in a `Cookie` header, if any.
pub(crate) fn device_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == DEVICE_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// The `Set-Cookie` value carrying a new device token: HttpOnly, SameSite=Strict, Secure over HTTPS.
pub(crate) fn device_cookie(token: &SecretString, secure: bool) -> String {
    format!(
        "{DEVICE_COOKIE}={}; Path=/; Max-Age={DEVICE_COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Strict{}",
        token.expose_secret(),
        if secure { "; Secure" } else { "" }
    )
}

/// Pairing-code attempts per client address in the current window, in memory (a restart forgets
/// them; a code has 31⁸ ≈ 8.5 × 10¹¹ values and lives 10 minutes).
#[derive(Debug, Default)]
pub(crate) struct PairingThrottle {
    attempts: Mutex<HashMap<String, (i64, u32)>>,
}

impl PairingThrottle {
    /// Counts an attempt from `client` at `now`; refuses it (too many attempts) past the limit.
    pub(crate) fn attempt(&self, client: &str, now: i64) -> Result<(), AppError> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        attempts.retain(|_, (start, _)| now - *start < PAIRING_WINDOW_SECS);
        let entry = attempts.entry(client.to_string()).or_insert((now, 0));
        entry.1 += 1;
        if entry.1 > MAX_PAIRING_ATTEMPTS {
            tracing::warn!(%client, "pairing code attempts refused: over the limit");
            return Err(AppError::Pos(PosError::TooManyAttempts));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_address_and_the_window_ends() {
        let throttle = PairingThrottle::default();
        for _ in 0..MAX_PAIRING_ATTEMPTS {
            assert!(throttle.attempt("10.0.0.1", 1_000).is_ok());
        }
        assert!(throttle.attempt("10.0.0.1", 1_059).is_err());
        assert!(throttle.attempt("10.0.0.2", 1_059).is_ok());
        assert!(throttle.attempt("10.0.0.1", 1_060).is_ok());
        assert_eq!(device_from_cookie_header("of_session=a; of_till_device=b"), Some("b"));
    }
}
