//! Staff accounts and browser sessions: who may use the web app, and as what.
//!
//! Passwords (or PINs) are stored as argon2id hashes. A session is a random 256-bit token in an
//! HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256, so sessions work on every
//! gateway sharing the database. Failed sign-ins are throttled per user and per client address.

mod password;

pub use password::{check_password_policy, hash_password, verify_password};

use app::model::{Role, SessionUser};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError, ThrottleState, UserRecord};
use crate::time::now_secs;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "of_session";
/// How long a session lasts after sign-in: one long shop day.
pub const SESSION_TTL_SECS: i64 = 12 * 3600;
/// Failures allowed per user before sign-ins for that user are locked for a while.
pub const USER_FREE_FAILURES: i64 = 5;
/// Failures allowed per client address before it is locked for a while.
pub const ADDRESS_FREE_FAILURES: i64 = 20;
/// The first lock lasts this long; every further failure doubles it.
pub const FIRST_LOCK_SECS: i64 = 30;
/// Locks never last longer than this.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// Longest accepted username.
pub const MAX_USERNAME_CHARS: usize = 32;

/// Errors of sign-in and account management; the text is shown to the person as is.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The username has characters or a length we do not accept.
    #[error("invalid username '{0}': use 1–32 lower-case letters, digits, '.', '_' or '-'")]
    InvalidUsername(String),
    /// The password or PIN is too weak or too long.
    #[error("{0}")]
    WeakPassword(String),
    /// The role is none of [`Role::ALL`].
    #[error("unknown role '{0}': use {roles}", roles = Role::names())]
    UnknownRole(String),
    /// A user with that name exists already.
    #[error("a user named '{0}' already exists; choose another name")]
    UserExists(String),
    /// No user with that name.
    #[error("no user named '{0}'; see `openfatture user list`")]
    NoSuchUser(String),
    /// Wrong username or password (deliberately not saying which).
    #[error("wrong username or password")]
    BadCredentials,
    /// Too many failed sign-ins; wait before trying again.
    #[error("too many failed sign-ins: try again in {retry_after_secs} s")]
    Throttled {
        /// Seconds until the lock ends.
        retry_after_secs: i64,
    },
    /// The one-time setup link is wrong or was already used.
    #[error("this setup link is not valid (it works once, until the first user exists); restart `openfatture serve` for a new one, or use `openfatture user add`")]
    BadSetupToken,
    /// Hashing failed (out of memory or a corrupt stored hash).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sign-in and sessions over the database.
#[derive(Debug, Clone)]
pub struct AuthService {
    store: Store,
    secure_cookies: bool,
}

/// Checks a username: 1–32 of `a-z 0-9 . _ -`.
pub fn check_username(name: &str) -> Result<(), AuthError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidUsername(name.chars().take(64).collect()))
    }
}

/// SHA-256 hex of a session token: what the database stores.
fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random 256-bit token, hex.
pub fn new_token() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    SecretString::from(hex::encode(bytes))
}

/// How long `key` is locked after `failures` consecutive failures, allowing `free` of them.
fn lock_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = u32::try_from((failures - free).min(20)).unwrap_or(20);
    FIRST_LOCK_SECS.saturating_mul(1i64 << doublings).min(MAX_LOCK_SECS)
}

impl AuthService {
    /// Sessions over `store`; `secure_cookies` adds `Secure` (set when the gateway serves HTTPS).
    pub fn new(store: Store, secure_cookies: bool) -> Self {
        AuthService { store, secure_cookies }
    }

    /// Adds a staff member.
    pub async fn add_user(&self, username: &str, role: Role, password: &SecretString) -> Result<(), AuthError> {
        check_username(username)?;
        check_password_policy(password.expose_secret())?;
        let password_hash = hash_password(password)?;
        let record = UserRecord {
            username: username.to_string(),
            role,
            password_hash,
            created_at: now_secs(),
        };
        if self.store.insert_user(&record).await? {
            Ok(())
        } else {
            Err(AuthError::UserExists(username.to_string()))
        }
    }

    /// Whether any staff account exists.
    pub async fn has_users(&self) -> Result<bool, AuthError> {
        Ok(self.store.user_count().await? > 0)
    }

    /// Checks the credentials (throttled per user and per `client` address) and starts a session.
    /// Returns the token for the cookie and the user.
    pub async fn login(
        &self,
        username: &str,
        password: &SecretString,
        client: &str,
    ) -> Result<(SecretString, SessionUser), AuthError> {
        let now = now_secs();
        let user_key = format!(
            "user:{}",
            username.chars().take(MAX_USERNAME_CHARS * 2).collect::<String>()
        );
        let address_key = format!("ip:{client}");
        for key in [&user_key, &address_key] {
            let state = self.store.throttle(key).await?;
            if state.locked_until > now {
                return Err(AuthError::Throttled {
                    retry_after_secs: state.locked_until - now,
                });
            }
        }
        let record = self.store.user(username).await?;
        // Verify even for unknown users, so timing does not tell which names exist.
        let stored_hash = record
            .as_ref()
            .map(|u| u.password_hash.as_str())
            .unwrap_or(password::DUMMY_HASH);
        let verified = verify_password(password, stored_hash)?;
        match record {
            Some(user) if verified => {
                self.store.clear_throttle(&user_key).await?;
                self.store.clear_throttle(&address_key).await?;
                let token = new_token();
                self.store
                    .insert_session(
                        &token_digest(token.expose_secret()),
                        &user.username,
                        now,
                        now + SESSION_TTL_SECS,
                    )
                    .await?;
                tracing::info!(user = %user.username, role = %user.role, "staff signed in");
                Ok((
                    token,
                    SessionUser {
                        username: user.username,
                        role: user.role,
                    },
                ))
            }
            _ => {
                self.record_failure(&user_key, USER_FREE_FAILURES, now).await?;
                self.record_failure(&address_key, ADDRESS_FREE_FAILURES, now).await?;
                tracing::warn!(client, "failed staff sign-in");
                Err(AuthError::BadCredentials)
            }
        }
    }

    async fn record_failure(&self, key: &str, free: i64, now: i64) -> Result<(), AuthError> {
        let before = self.store.throttle(key).await?;
        let failures = before.failures + 1;
        let lock = lock_secs(failures, free);
        let locked_until = if lock > 0 { now + lock } else { 0 };
        self.store
            .set_throttle(key, ThrottleState { failures, locked_until })
            .await?;
        Ok(())
    }

    /// The user of a session token, if the session is valid.
    pub async fn session(&self, token: &str) -> Result<Option<SessionUser>, AuthError> {
        let found = self.store.session_user(&token_digest(token), now_secs()).await?;
        Ok(found.map(|(username, role)| SessionUser { username, role }))
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        self.store.delete_session(&token_digest(token), now_secs()).await?;
        Ok(())
    }

    /// The `Set-Cookie` value carrying a new session token.
    pub fn session_cookie(&self, token: &SecretString) -> String {
        format!(
            "{SESSION_COOKIE}={}; Path=/; Max-Age={SESSION_TTL_SECS}; HttpOnly; SameSite=Strict{}",
            token.expose_secret(),
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clearing_cookie(&self) -> String {
        format!(
            "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_from_thirty_seconds_and_are_capped() {
        assert_eq!(lock_secs(4, 5), 0);
        assert_eq!(lock_secs(5, 5), 30);
        assert_eq!(lock_secs(6, 5), 60);
        assert_eq!(lock_secs(100, 5), MAX_LOCK_SECS);
    }

    #[test]
    fn usernames_are_plain_lower_case() {
        assert!(check_username("anna.rossi").is_ok());
        assert!(check_username("Anna").is_err());
        assert!(check_username("").is_err());
        assert!(check_username("a b").is_err());
        assert!(check_username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        assert_eq!(token_from_cookie_header("a=1; of_session=abc; b=2"), Some("abc"));
        assert_eq!(token_from_cookie_header("of_session="), None);
        assert_eq!(token_from_cookie_header("x_of_session=abc"), None);
    }
}
