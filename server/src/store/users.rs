//! Staff accounts, sessions and the sign-in throttle (tables from `0003_auth.sql`).

use app::model::Role;

use super::{Store, StoreError};

/// A stored staff account.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A staff account as the back office lists it: no password hash, with live counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
    /// Sessions not yet expired.
    pub active_sessions: i64,
    /// The latest sign-in lock on this user (any address), unix seconds; 0 when never locked.
    pub locked_until: i64,
}

/// The answer of [`Store::delete_user_keeping_an_admin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The user and their sessions are gone.
    Removed,
    /// There is no such user; nothing changed.
    NoSuchUser,
    /// The user is the only admin; nothing changed.
    LastAdmin,
}

/// The throttle state of one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleState {
    /// Consecutive failures.
    pub failures: i64,
    /// Unix seconds until which sign-ins for the key are refused.
    pub locked_until: i64,
}

/// The answer of [`Store::reserve_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may go ahead; this state (counting it) is stored.
    Granted(ThrottleState),
    /// The attempt is refused; the state as it is.
    Refused(ThrottleState),
}

fn parse_role(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("user role '{text}'")))
}

impl Store {
    /// Adds a user; `Ok(false)` when the name is taken (nothing changes then).
    pub async fn insert_user(&self, user: &UserRecord) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let result = sqlx::query(
            "INSERT INTO users (username, role, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(&user.username)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(user.created_at)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// One user by name.
    pub async fn user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<(String, String, String, i64)> =
            sqlx::query_as("SELECT username, role, password_hash, created_at FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(self.pool())
                .await?;
        row.map(|(username, role, password_hash, created_at)| {
            Ok(UserRecord {
                username,
                role: parse_role(&role)?,
                password_hash,
                created_at,
            })
        })
        .transpose()
    }

    /// All users, by name.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<(String, String, String, i64)> =
            sqlx::query_as("SELECT username, role, password_hash, created_at FROM users ORDER BY username")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|(username, role, password_hash, created_at)| {
                Ok(UserRecord {
                    username,
                    role: parse_role(&role)?,
                    password_hash,
                    created_at,
                })
            })
            .collect()
    }

    /// Number of users.
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?)
    }

    /// Removes a user and their sessions; `Ok(false)` when there was no such user.
    pub async fn delete_user(&self, username: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let result = sqlx::query("DELETE FROM users WHERE username = $1")
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Every user with their unexpired session count at `now` and their latest sign-in lock, by
    /// name.
    pub async fn staff_rows(&self, now: i64) -> Result<Vec<StaffRow>, StoreError> {
        let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT u.username, u.role, u.created_at, \
             (SELECT COUNT(*) FROM sessions s WHERE s.username = u.username AND s.expires_at > $1), \
             (SELECT COALESCE(MAX(t.locked_until), 0) FROM login_throttle t WHERE t.username = u.username) \
             FROM users u ORDER BY u.username",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(username, role, created_at, active_sessions, locked_until)| {
                Ok(StaffRow {
                    username,
                    role: parse_role(&role)?,
                    created_at,
                    active_sessions,
                    locked_until,
                })
            })
            .collect()
    }

    /// Removes a user and their sessions unless they are the only admin, in one write
    /// transaction (the admins' rows locked on PostgreSQL), so two removals at once cannot leave
    /// no admin.
    pub async fn delete_user_keeping_an_admin(&self, username: &str) -> Result<Removal, StoreError> {
        let mut tx = self.begin_write().await?;
        let admins_query = if self.backend() == super::Backend::Postgres {
            "SELECT username FROM users WHERE role = 'admin' FOR UPDATE"
        } else {
            "SELECT username FROM users WHERE role = 'admin'"
        };
        let admins: Vec<(String,)> = sqlx::query_as(admins_query).fetch_all(&mut *tx).await?;
        let role: Option<(String,)> = sqlx::query_as("SELECT role FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = match role {
            None => Removal::NoSuchUser,
            Some((role,)) if role == Role::Admin.as_str() && admins.len() <= 1 => Removal::LastAdmin,
            Some(_) => {
                sqlx::query("DELETE FROM sessions WHERE username = $1")
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM users WHERE username = $1")
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                Removal::Removed
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Replaces a user's password hash and ends all their sessions in one transaction; the
    /// number of sessions ended, or `None` when there is no such user (nothing changes then).
    pub async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<Option<u64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query("UPDATE users SET password_hash = $2 WHERE username = $1")
            .bind(username)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated != 1 {
            // Dropping the transaction rolls it back.
            drop(tx);
            return Ok(None);
        }
        let ended = sqlx::query("DELETE FROM sessions WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Some(ended))
    }

    /// Ends every session of `username`; how many there were.
    pub async fn delete_user_sessions(&self, username: &str) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await;
        let result = sqlx::query("DELETE FROM sessions WHERE username = $1")
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }

    /// Records a session (by the token's SHA-256 hex) and keeps at most `max_per_user` unexpired
    /// sessions of `username`: the oldest ones beyond that (and the user's expired ones) are
    /// removed in the same transaction. Returns how many sessions were removed.
    pub async fn insert_session(
        &self,
        token_sha256: &str,
        username: &str,
        created_at: i64,
        expires_at: i64,
        max_per_user: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        if self.backend() == super::Backend::Postgres {
            // Concurrent sign-ins of one user take turns, so each gets its own `seq`.
            sqlx::query("SELECT username FROM users WHERE username = $1 FOR UPDATE")
                .bind(username)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO sessions (token_sha256, username, created_at, expires_at, seq) VALUES ($1, $2, $3, $4, \
             (SELECT COALESCE(MAX(seq), 0) + 1 FROM sessions WHERE username = $2))",
        )
        .bind(token_sha256)
        .bind(username)
        .bind(created_at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let evicted = sqlx::query(
            "DELETE FROM sessions WHERE username = $1 AND token_sha256 NOT IN \
             (SELECT token_sha256 FROM sessions WHERE username = $1 AND expires_at > $2 \
              ORDER BY seq DESC LIMIT $3)",
        )
        .bind(username)
        .bind(created_at)
        .bind(max_per_user.max(1))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(evicted)
    }

    /// Removes the sessions expired at `now` and the sign-in throttle rows that no longer hold
    /// anything back: not locked at `now`, and every failure decayed (one per `decay_secs` since
    /// the last attempt). Returns (sessions, throttle rows) removed.
    pub async fn purge_sign_in_rows(&self, now: i64, decay_secs: i64) -> Result<(u64, u64), StoreError> {
        let mut tx = self.begin_write().await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let throttle =
            sqlx::query("DELETE FROM login_throttle WHERE locked_until <= $1 AND updated_at + failures * $2 <= $1")
                .bind(now)
                .bind(decay_secs.max(1))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok((sessions, throttle))
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_sha256: &str, now: i64) -> Result<Option<(String, Role)>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username \
             WHERE s.token_sha256 = $1 AND s.expires_at > $2",
        )
        .bind(token_sha256)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|(name, role)| Ok((name, parse_role(&role)?))).transpose()
    }

    /// Ends a session (and clears expired ones).
    pub async fn delete_session(&self, token_sha256: &str, now: i64) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1 OR expires_at <= $2")
            .bind(token_sha256)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The throttle state of `key` (zero when never failed).
    pub async fn throttle(&self, key: &str) -> Result<ThrottleState, StoreError> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, locked_until FROM login_throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        Ok(row
            .map(|(failures, locked_until)| ThrottleState { failures, locked_until })
            .unwrap_or_default())
    }

    /// Stores the throttle state of `key`.
    pub async fn set_throttle(&self, key: &str, state: ThrottleState) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, locked_until) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
        )
        .bind(key)
        .bind(state.failures)
        .bind(state.locked_until)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Reserves one sign-in attempt on `key` atomically: in one write transaction (the row locked
    /// on PostgreSQL, the write lock held on SQLite) the current state and the unix second of the
    /// last attempt are given to `decide`, which answers the state to store (the attempt is
    /// granted and counted) or `None` (refused; nothing changes). Concurrent reservations of one
    /// key therefore see each other's counts: none is lost, however many run at once.
    /// `username` is recorded with the row ('' for rows not about one user).
    pub async fn reserve_attempt(
        &self,
        key: &str,
        username: &str,
        now: i64,
        decide: impl FnOnce(ThrottleState, i64) -> Option<ThrottleState>,
    ) -> Result<Reservation, StoreError> {
        let mut tx = self.begin_write().await?;
        let (failures, locked_until, last_attempt_at): (i64, i64, i64) = sqlx::query_as(
            "INSERT INTO login_throttle (key, failures, locked_until, username, updated_at) \
             VALUES ($1, 0, 0, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures \
             RETURNING failures, locked_until, updated_at",
        )
        .bind(key)
        .bind(username)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let current = ThrottleState { failures, locked_until };
        let reservation = match decide(current, last_attempt_at) {
            Some(next) => {
                sqlx::query(
                    "UPDATE login_throttle SET failures = $2, locked_until = $3, updated_at = $4 WHERE key = $1",
                )
                .bind(key)
                .bind(next.failures)
                .bind(next.locked_until)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Reservation::Granted(next)
            }
            None => Reservation::Refused(current),
        };
        tx.commit().await?;
        Ok(reservation)
    }

    /// Forgets every throttle row about `username` (per-user and per user-and-address); returns
    /// how many there were.
    pub async fn clear_user_throttle(&self, username: &str) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await;
        let result = sqlx::query("DELETE FROM login_throttle WHERE username = $1")
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub async fn clear_throttle(&self, key: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
