//! Password and PIN hashing (argon2id) and the strength rule.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

use super::AuthError;

/// Shortest accepted password (when it is not an all-digit PIN).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Shortest accepted PIN (all digits).
pub const MIN_PIN_DIGITS: usize = 6;
/// Longest accepted password: hashing cost must stay bounded.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A valid argon2id hash of a random, unknowable password: verified against when the user does not
/// exist, so a wrong name takes as long as a wrong password.
pub(super) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2ltdWxhdGVkc2FsdA$0MSsBtn2vV0Vd8k1xvbDmuVwK4lWq3dH4EMjF3xE0tQ";

/// A PIN is at least 6 digits; any other password at least 10 characters.
pub fn check_password_policy(password: &str) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if chars > MAX_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword(format!(
            "the password is too long: at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let is_pin = !password.is_empty() && password.chars().all(|c| c.is_ascii_digit());
    if is_pin && chars < MIN_PIN_DIGITS {
        return Err(AuthError::WeakPassword(format!(
            "the PIN is too short: use at least {MIN_PIN_DIGITS} digits (or a password of at least {MIN_PASSWORD_CHARS} characters)"
        )));
    }
    if !is_pin && chars < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword(format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters (or a PIN of at least {MIN_PIN_DIGITS} digits)"
        )));
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &SecretString) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC hash.
pub fn verify_password(password: &SecretString, stored: &str) -> Result<bool, AuthError> {
    let parsed = PasswordHash::new(stored).map_err(|e| AuthError::Hash(format!("stored hash unreadable: {e}")))?;
    Ok(Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() -> Result<(), AuthError> {
        let pw = SecretString::from("correct horse battery");
        let a = hash_password(&pw)?;
        let b = hash_password(&pw)?;
        assert_ne!(a, b);
        assert!(verify_password(&pw, &a)?);
        assert!(!verify_password(&SecretString::from("wrong horse battery"), &a)?);
        Ok(())
    }

    #[test]
    fn the_dummy_hash_parses_and_matches_nothing_usual() -> Result<(), AuthError> {
        assert!(!verify_password(&SecretString::from("password123"), DUMMY_HASH)?);
        Ok(())
    }

    #[test]
    fn pins_and_passwords_have_minimum_lengths() {
        assert!(check_password_policy("123456").is_ok());
        assert!(check_password_policy("12345").is_err());
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("long enough pw").is_ok());
        assert!(check_password_policy(&"x".repeat(300)).is_err());
    }
}
