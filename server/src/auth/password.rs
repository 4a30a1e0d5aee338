//! Password and PIN hashing (argon2id) and the strength rule.

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Why a password or PIN is refused; `Display` is the English text the CLI prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Longer than [`MAX_PASSWORD_CHARS`].
    #[error("the password is too long: at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    /// All digits, but fewer than [`MIN_PIN_DIGITS`].
    #[error("the PIN is too short: use at least {MIN_PIN_DIGITS} digits (or a password of at least {MIN_PASSWORD_CHARS} characters)")]
    PinTooShort,
    /// Not all digits, and fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters (or a PIN of at least {MIN_PIN_DIGITS} digits)")]
    PasswordTooShort,
}

/// A PIN is at least 6 digits; any other password at least 10 characters.
pub fn check_password_policy(password: &str) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if chars > MAX_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword(PasswordProblem::TooLong));
    }
    let is_pin = !password.is_empty() && password.chars().all(|c| c.is_ascii_digit());
    if is_pin && chars < MIN_PIN_DIGITS {
        return Err(AuthError::WeakPassword(PasswordProblem::PinTooShort));
    }
    if !is_pin && chars < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword(PasswordProblem::PasswordTooShort));
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt (PHC string); tests only (the service uses
/// [`hash_password_async`]).
#[cfg(test)]
fn hash_password(password: &SecretString) -> Result<String, AuthError> {
    use argon2::password_hash::PasswordHasher;
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC hash; tests only (the service uses
/// [`verify_password_async`]).
#[cfg(test)]
fn verify_password(password: &SecretString, stored: &str) -> Result<bool, AuthError> {
    use argon2::password_hash::PasswordVerifier;
    let parsed = PasswordHash::new(stored).map_err(|e| AuthError::Hash(format!("stored hash unreadable: {e}")))?;
    Ok(Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok())
}

/// Password hashes computed at once by the async functions. Each holds one argon2 memory buffer
/// (19 MiB with the default parameters, kept for reuse), so this bounds both the memory hashing
/// uses and the blocking threads it occupies; further sign-ins wait their turn.
pub const CONCURRENT_HASHES: usize = 2;

/// The hashing turns and the memory buffers that go with them.
struct HashingPool {
    turns: tokio::sync::Semaphore,
    /// Buffers not in use; at most [`CONCURRENT_HASHES`] are ever made.
    buffers: Mutex<Vec<Vec<Block>>>,
}

static HASHING: LazyLock<HashingPool> = LazyLock::new(|| HashingPool {
    turns: tokio::sync::Semaphore::new(CONCURRENT_HASHES),
    buffers: Mutex::new(Vec::new()),
});

/// Runs `work` with a reused argon2 memory buffer on a blocking thread, at most
/// [`CONCURRENT_HASHES`] at once: the tokio workers never hash, and the allocator never sees the
/// buffers come and go (glibc kept them per thread arena: RSS grew by ~19 MiB per worker thread).
async fn with_hashing_buffer<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> Result<T, AuthError> + Send + 'static,
) -> Result<T, AuthError> {
    let _turn = HASHING
        .turns
        .acquire()
        .await
        .map_err(|e| AuthError::Hash(format!("hashing closed: {e}")))?;
    let mut buffer = HASHING
        .buffers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop()
        .unwrap_or_default();
    let (answer, buffer) = tokio::task::spawn_blocking(move || {
        let answer = work(&mut buffer);
        (answer, buffer)
    })
    .await
    .map_err(|e| AuthError::Hash(format!("hashing task failed: {e}")))?;
    HASHING
        .buffers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(buffer);
    answer
}

/// argon2 over `buffer` (grown to the parameters' size when smaller).
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    buffer: &mut Vec<Block>,
) -> Result<(), AuthError> {
    if buffer.len() < params.block_count() {
        buffer.resize(params.block_count(), Block::default());
    }
    argon2
        .hash_password_into_with_memory(password, salt, out, &mut buffer[..params.block_count()])
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC hash, computed on a blocking thread with a reused
/// buffer (see [`CONCURRENT_HASHES`]).
pub async fn verify_password_async(password: &SecretString, stored: &str) -> Result<bool, AuthError> {
    let password = password.clone();
    let stored = stored.to_string();
    with_hashing_buffer(move |buffer| verify_with_buffer(&password, &stored, buffer)).await
}

/// Hashes a password with argon2id and a random salt (PHC string) on a blocking thread with a
/// reused buffer (see [`CONCURRENT_HASHES`]).
pub async fn hash_password_async(password: &SecretString) -> Result<String, AuthError> {
    let password = password.clone();
    with_hashing_buffer(move |buffer| hash_with_buffer(&password, buffer)).await
}

/// Whether `password` matches the stored PHC hash, computed in `buffer`.
fn verify_with_buffer(password: &SecretString, stored: &str, buffer: &mut Vec<Block>) -> Result<bool, AuthError> {
    let unreadable = |e: argon2::password_hash::Error| AuthError::Hash(format!("stored hash unreadable: {e}"));
    let parsed = PasswordHash::new(stored).map_err(unreadable)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(unreadable)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| AuthError::Hash(format!("stored hash unreadable: {e}")))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(unreadable)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(AuthError::Hash("stored hash unreadable: no salt or hash".into()));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(unreadable)?;
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(
        &argon2,
        &params,
        password.expose_secret().as_bytes(),
        salt_bytes,
        &mut out,
        buffer,
    )?;
    // `Output` compares in constant time.
    Ok(Output::new(&out).map_err(unreadable)? == expected)
}

/// A new argon2id PHC hash of `password` (default parameters, random salt), computed in `buffer`.
fn hash_with_buffer(password: &SecretString, buffer: &mut Vec<Block>) -> Result<String, AuthError> {
    let failed = |e: argon2::password_hash::Error| AuthError::Hash(e.to_string());
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(failed)?;
    let params = Params::default();
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2_into(
        &argon2,
        &params,
        password.expose_secret().as_bytes(),
        salt_bytes,
        &mut out,
        buffer,
    )?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(hash.to_string())
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

    #[tokio::test]
    async fn pooled_hashing_matches_the_library() -> Result<(), AuthError> {
        let pw = SecretString::from("correct horse battery");
        let library = hash_password(&pw)?;
        assert!(verify_password_async(&pw, &library).await?);
        assert!(!verify_password_async(&SecretString::from("wrong horse battery"), &library).await?);
        let pooled = hash_password_async(&pw).await?;
        assert!(pooled.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{pooled}");
        assert!(verify_password(&pw, &pooled)?);
        assert!(!verify_password_async(&pw, DUMMY_HASH).await?);
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
