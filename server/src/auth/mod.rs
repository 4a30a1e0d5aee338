//! Staff accounts and browser sessions: who may use the web app, and as what.
//!
//! Passwords (or PINs) are stored as argon2id hashes. A session is a random 256-bit token in an
//! HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256, so sessions work on every
//! gateway sharing the database. Failed sign-ins are throttled per user and per client address.

mod password;

pub use password::{
    check_password_policy, verify_password_async, PasswordProblem, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
    MIN_PIN_DIGITS,
};

use app::model::{Role, SessionUser};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::store::{Removal, Reservation, StaffRow, Store, StoreError, ThrottleState, UserRecord};
use crate::time::now_secs;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "of_session";
/// How long a session lasts after sign-in: one long shop day.
pub const SESSION_TTL_SECS: i64 = 12 * 3600;
/// Failures allowed per user and client address before sign-ins for that user from that address
/// are locked for a while (and, counted over all addresses, before that user's sign-ins are slowed).
pub const USER_FREE_FAILURES: i64 = 5;
/// One recorded failure is forgotten per this many seconds without attempts.
pub const FAILURE_DECAY_SECS: i64 = 10 * 60;
/// The soft per-user delay grows by this much per failure beyond [`USER_FREE_FAILURES`].
pub const SOFT_DELAY_STEP_MS: u64 = 250;
/// The soft per-user delay never exceeds this.
pub const SOFT_DELAY_MAX_MS: u64 = 2_000;
/// Failures allowed per client address (over all users) before it is locked for a while.
pub const ADDRESS_FREE_FAILURES: i64 = 20;
/// The first lock lasts this long; every further failure doubles it.
pub const FIRST_LOCK_SECS: i64 = 30;
/// Locks never last longer than this.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// Longest accepted username.
pub const MAX_USERNAME_CHARS: usize = 32;
/// Most sessions one user keeps: a sign-in beyond this ends that user's oldest session.
pub const MAX_SESSIONS_PER_USER: i64 = 20;
/// How often `serve` removes expired sessions and spent sign-in throttle rows.
pub const PURGE_EVERY_SECS: u64 = 10 * 60;

/// Errors of sign-in and account management; the text is shown to the person as is.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The username has characters or a length we do not accept.
    #[error("invalid username '{0}': use 1–32 lower-case letters, digits, '.', '_' or '-'")]
    InvalidUsername(String),
    /// The password or PIN is too weak or too long.
    #[error("{0}")]
    WeakPassword(PasswordProblem),
    /// The role is none of [`Role::ALL`].
    #[error("unknown role '{0}': use {roles}", roles = Role::names())]
    UnknownRole(String),
    /// A user with that name exists already.
    #[error("a user named '{0}' already exists; choose another name")]
    UserExists(String),
    /// No user with that name.
    #[error("no user named '{0}'; see `openfatture user list`")]
    NoSuchUser(String),
    /// The user is the only admin: removing them would leave nobody to manage the shop.
    #[error("'{0}' is the only admin and cannot be removed; add another admin first")]
    LastAdmin(String),
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

/// `failures` recorded at `last_attempt_at`, less one per [`FAILURE_DECAY_SECS`] since.
fn decayed_failures(failures: i64, last_attempt_at: i64, now: i64) -> i64 {
    let decay = (now - last_attempt_at).max(0) / FAILURE_DECAY_SECS;
    (failures - decay).max(0)
}

/// The decision of one reservation on a hard-locked key allowing `free` failures: refused while
/// locked; otherwise counted as a failure (undone on success), and when that count reaches `free`
/// the key is locked at once, so later attempts are refused even while this one is verified.
fn reserve(state: ThrottleState, last_attempt_at: i64, now: i64, free: i64) -> Option<ThrottleState> {
    if state.locked_until > now {
        return None;
    }
    let failures = decayed_failures(state.failures, last_attempt_at, now) + 1;
    let lock = lock_secs(failures, free);
    Some(ThrottleState {
        failures,
        locked_until: if lock > 0 { now + lock } else { 0 },
    })
}

/// The delay before verifying a sign-in of a user with `failures` recent failures from all
/// addresses together: none for the first [`USER_FREE_FAILURES`], then [`SOFT_DELAY_STEP_MS`] more
/// per failure up to [`SOFT_DELAY_MAX_MS`]. Never a lock: the right password still signs in.
pub fn soft_delay_ms(failures: i64) -> u64 {
    if failures < USER_FREE_FAILURES {
        return 0;
    }
    let steps = u64::try_from(failures - USER_FREE_FAILURES + 1).unwrap_or(u64::MAX);
    steps.saturating_mul(SOFT_DELAY_STEP_MS).min(SOFT_DELAY_MAX_MS)
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

    /// Whether cookies get `Secure` (the gateway serves HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// Adds a staff member.
    pub async fn add_user(&self, username: &str, role: Role, password: &SecretString) -> Result<(), AuthError> {
        check_username(username)?;
        check_password_policy(password.expose_secret())?;
        let password_hash = password::hash_password_async(password).await?;
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

    /// Checks the credentials and starts a session. Returns the token for the cookie and the user.
    ///
    /// Throttling: every attempt is first reserved atomically on its (user, `client` address) key
    /// and on its address key, so parallel guesses cannot all be evaluated; a key is locked for a
    /// while after [`USER_FREE_FAILURES`] (per user and address) or [`ADDRESS_FREE_FAILURES`] (per
    /// address) failures. A user's failures from all addresses together only slow that user's
    /// sign-ins a little ([`soft_delay_ms`]), so no stranger can lock a cashier out everywhere.
    /// Failures decay by one every [`FAILURE_DECAY_SECS`].
    pub async fn login(
        &self,
        username: &str,
        password: &SecretString,
        client: &str,
    ) -> Result<(SecretString, SessionUser), AuthError> {
        let now = now_secs();
        let shown_user: String = username.chars().take(MAX_USERNAME_CHARS * 2).collect();
        let user_key = format!("user:{shown_user}");
        let pair_key = format!("pair:{shown_user}@{client}");
        let address_key = format!("ip:{client}");
        for (key, row_user, free) in [
            (&address_key, "", ADDRESS_FREE_FAILURES),
            (&pair_key, shown_user.as_str(), USER_FREE_FAILURES),
        ] {
            let reservation = self
                .store
                .reserve_attempt(key, row_user, now, |state, last_attempt_at| {
                    reserve(state, last_attempt_at, now, free)
                })
                .await?;
            if let Reservation::Refused(state) = reservation {
                let retry_after_secs = (state.locked_until - now).max(1);
                tracing::warn!(user = %shown_user, client, retry_after_secs, "throttled staff sign-in");
                return Err(AuthError::Throttled { retry_after_secs });
            }
        }
        let user_state = self.store.throttle(&user_key).await?;
        let delay_ms = soft_delay_ms(user_state.failures);
        if delay_ms > 0 {
            tracing::warn!(user = %shown_user, client, delay_ms, "slowed staff sign-in after failures");
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        }
        let record = self.store.user(username).await?;
        // Verify even for unknown users, so timing does not tell which names exist.
        let stored_hash = record
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| password::DUMMY_HASH.to_string());
        let verified = verify_password_async(password, &stored_hash).await?;
        match record {
            Some(user) if verified => {
                for key in [&user_key, &pair_key, &address_key] {
                    self.store.clear_throttle(key).await?;
                }
                let token = new_token();
                let evicted = self
                    .store
                    .insert_session(
                        &token_digest(token.expose_secret()),
                        &user.username,
                        now,
                        now + SESSION_TTL_SECS,
                        MAX_SESSIONS_PER_USER,
                    )
                    .await?;
                if evicted > 0 {
                    tracing::info!(
                        user = %user.username,
                        evicted,
                        max = MAX_SESSIONS_PER_USER,
                        "ended the oldest sessions beyond the per-user cap"
                    );
                }
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
                // The pair and address keys counted this attempt when it was reserved; the
                // per-user count (the soft delay) is raised now.
                self.store
                    .reserve_attempt(&user_key, &shown_user, now, |state, last_attempt_at| {
                        Some(ThrottleState {
                            failures: decayed_failures(state.failures, last_attempt_at, now) + 1,
                            locked_until: 0,
                        })
                    })
                    .await?;
                tracing::warn!(user = %shown_user, client, "failed staff sign-in");
                Err(AuthError::BadCredentials)
            }
        }
    }

    /// Clears every sign-in throttle of `username` (`openfatture user unlock`); returns how many
    /// throttle rows there were.
    pub async fn unlock_user(&self, username: &str) -> Result<u64, AuthError> {
        if self.store.user(username).await?.is_none() {
            return Err(AuthError::NoSuchUser(username.to_string()));
        }
        let cleared = self.store.clear_user_throttle(username).await?;
        tracing::info!(user = %username, cleared, "sign-in throttle cleared");
        Ok(cleared)
    }

    /// Every staff account with its active session count and latest sign-in lock, by name.
    pub async fn staff(&self) -> Result<Vec<StaffRow>, AuthError> {
        Ok(self.store.staff_rows(now_secs()).await?)
    }

    /// Removes a staff member and ends their sessions; never the only admin.
    pub async fn remove_user(&self, username: &str) -> Result<(), AuthError> {
        match self.store.delete_user_keeping_an_admin(username).await? {
            Removal::Removed => {
                tracing::info!(user = %username, "staff account removed");
                Ok(())
            }
            Removal::NoSuchUser => Err(AuthError::NoSuchUser(username.to_string())),
            Removal::LastAdmin => Err(AuthError::LastAdmin(username.to_string())),
        }
    }

    /// Sets a new password (or PIN) for `username` and ends all their sessions; returns how many
    /// sessions ended. A refused password changes nothing.
    pub async fn set_password(&self, username: &str, password: &SecretString) -> Result<u64, AuthError> {
        check_password_policy(password.expose_secret())?;
        if self.store.user(username).await?.is_none() {
            return Err(AuthError::NoSuchUser(username.to_string()));
        }
        let password_hash = password::hash_password_async(password).await?;
        let ended = self
            .store
            .set_password_hash(username, &password_hash)
            .await?
            .ok_or_else(|| AuthError::NoSuchUser(username.to_string()))?;
        tracing::info!(user = %username, sessions_ended = ended, "staff password reset");
        Ok(ended)
    }

    /// Ends every session of `username` (they must sign in again); returns how many ended.
    pub async fn end_sessions(&self, username: &str) -> Result<u64, AuthError> {
        if self.store.user(username).await?.is_none() {
            return Err(AuthError::NoSuchUser(username.to_string()));
        }
        let ended = self.store.delete_user_sessions(username).await?;
        tracing::info!(user = %username, sessions_ended = ended, "staff sessions ended");
        Ok(ended)
    }

    /// Removes the sessions expired by now and the throttle rows whose failures have all decayed
    /// and which lock nothing; returns (sessions, throttle rows) removed. `serve` runs this every
    /// [`PURGE_EVERY_SECS`] ([`spawn_purge`]).
    pub async fn purge(&self) -> Result<(u64, u64), AuthError> {
        Ok(self.store.purge_sign_in_rows(now_secs(), FAILURE_DECAY_SECS).await?)
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

/// Starts the periodic purge of expired sessions and spent throttle rows on `store` (at once,
/// then every [`PURGE_EVERY_SECS`]); it ends by itself once the store is closed. A failed purge is
/// logged and tried again at the next tick.
pub fn spawn_purge(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let auth = AuthService::new(store.clone(), false);
        let mut ticks = tokio::time::interval(std::time::Duration::from_secs(PURGE_EVERY_SECS));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if store.pool().is_closed() {
                break;
            }
            match auth.purge().await {
                Ok((0, 0)) => {}
                Ok((sessions, throttle_rows)) => {
                    tracing::debug!(
                        sessions,
                        throttle_rows,
                        "purged expired sessions and sign-in throttle rows"
                    )
                }
                Err(e) if store.pool().is_closed() => {
                    tracing::debug!("session purge stopped: {e}");
                    break;
                }
                Err(e) => tracing::warn!("cannot purge expired sessions: {e}"),
            }
        }
    })
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
    fn failures_decay_and_reservations_lock_at_the_limit() {
        assert_eq!(decayed_failures(5, 0, FAILURE_DECAY_SECS * 2), 3);
        assert_eq!(decayed_failures(1, 0, FAILURE_DECAY_SECS * 9), 0);
        let fifth = reserve(
            ThrottleState {
                failures: 4,
                locked_until: 0,
            },
            100,
            100,
            5,
        );
        assert_eq!(
            fifth,
            Some(ThrottleState {
                failures: 5,
                locked_until: 130
            })
        );
        assert_eq!(
            reserve(
                ThrottleState {
                    failures: 5,
                    locked_until: 130
                },
                100,
                101,
                5
            ),
            None
        );
        assert_eq!(soft_delay_ms(4), 0);
        assert_eq!(soft_delay_ms(5), SOFT_DELAY_STEP_MS);
        assert_eq!(soft_delay_ms(500), SOFT_DELAY_MAX_MS);
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
