//! The Staff page's operations behind [`app::admin::AdminBackend`]: list, add, remove, reset a
//! password, end sessions, unlock, through the same [`AuthService`] as `openfatture user`. The
//! guard rails the CLI does not need live here: an admin never removes themselves or ends their
//! own sessions from the web (the only admin can never be removed, which `AuthService` enforces
//! for both). Every refusal is in the page's language and changes nothing.

use app::i18n::{fill, text_in, Lang};
use app::model::{Role, StaffView};
use app::AppError;
use secrecy::SecretString;

use crate::auth::{
    check_password_policy, check_username, AuthError, AuthService, PasswordProblem, MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS, MIN_PIN_DIGITS,
};
use crate::store::{StaffRow, Store};
use crate::time::{now_secs, rfc3339};

/// The catalogue's text `key` in `lang` with its `{name}` values filled.
fn word(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    fill(text_in(lang, key), values)
}

/// The role names joined with the language's "or" (`admin or cashier`).
fn role_names(lang: Lang) -> String {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    names.join(text_in(lang, "staff.refusal.or"))
}

/// An account-management refusal in `lang` (English: the words `openfatture user` prints);
/// anything else (database, hashing) as the gateway's one error boundary words it.
fn refusal(lang: Lang, error: AuthError) -> AppError {
    let text = match &error {
        AuthError::InvalidUsername(name) => word(lang, "staff.refusal.invalid_username", &[("name", name)]),
        AuthError::WeakPassword(problem) => {
            let (max, pin, password) = (
                MAX_PASSWORD_CHARS.to_string(),
                MIN_PIN_DIGITS.to_string(),
                MIN_PASSWORD_CHARS.to_string(),
            );
            let key = match problem {
                PasswordProblem::TooLong => "staff.refusal.password_too_long",
                PasswordProblem::PinTooShort => "staff.refusal.pin_too_short",
                PasswordProblem::PasswordTooShort => "staff.refusal.password_too_short",
            };
            word(lang, key, &[("max", &max), ("pin", &pin), ("password", &password)])
        }
        AuthError::UnknownRole(role) => word(
            lang,
            "staff.refusal.unknown_role",
            &[("role", role), ("roles", &role_names(lang))],
        ),
        AuthError::UserExists(name) => word(lang, "staff.refusal.user_exists", &[("name", name)]),
        AuthError::NoSuchUser(name) => word(lang, "staff.refusal.no_such_user", &[("name", name)]),
        AuthError::LastAdmin(name) => {
            return AppError::Forbidden(word(lang, "staff.refusal.last_admin", &[("name", name)]))
        }
        _ => return error.into(),
    };
    AppError::Invalid(text)
}

/// The page's view of one account.
fn view(row: StaffRow, actor: &str, now: i64) -> StaffView {
    let locked = row.locked_until > now;
    StaffView {
        is_you: row.username == actor,
        username: row.username,
        role: row.role,
        created_at: rfc3339(row.created_at),
        active_sessions: u64::try_from(row.active_sessions).unwrap_or(0),
        locked,
        locked_until: if locked {
            rfc3339(row.locked_until)
        } else {
            String::new()
        },
    }
}

/// Account management over `store` (cookies are not made here, so `Secure` does not matter).
fn auth(store: &Store) -> AuthService {
    AuthService::new(store.clone(), false)
}

/// Every account, as `actor` sees the list.
pub(super) async fn list(store: &Store, actor: &str) -> Result<Vec<StaffView>, AppError> {
    let rows = auth(store).staff().await?;
    let now = now_secs();
    Ok(rows.into_iter().map(|row| view(row, actor, now)).collect())
}

/// Refuses two different typed passwords.
fn check_confirmation(lang: Lang, password: &str, confirm: &str) -> Result<(), AppError> {
    if password == confirm {
        return Ok(());
    }
    Err(AppError::Invalid(word(lang, "staff.refusal.passwords_differ", &[])))
}

/// Adds an account: the name, role and password are all checked before anything is written.
pub(super) async fn add(
    store: &Store,
    actor: &str,
    lang: Lang,
    username: &str,
    role: &str,
    password: String,
    confirm: &str,
) -> Result<Vec<StaffView>, AppError> {
    let username = username.trim();
    check_username(username).map_err(|e| refusal(lang, e))?;
    let role = Role::parse(role.trim()).ok_or_else(|| refusal(lang, AuthError::UnknownRole(role.to_string())))?;
    check_password_policy(&password).map_err(|e| refusal(lang, e))?;
    check_confirmation(lang, &password, confirm)?;
    auth(store)
        .add_user(username, role, &SecretString::from(password))
        .await
        .map_err(|e| refusal(lang, e))?;
    tracing::info!(user = %username, %role, by = %actor, "staff account added from the web app");
    list(store, actor).await
}

/// Removes an account other than `actor`'s; never the only admin.
pub(super) async fn remove(store: &Store, actor: &str, lang: Lang, username: &str) -> Result<Vec<StaffView>, AppError> {
    if username == actor {
        return Err(AppError::Forbidden(word(lang, "staff.refusal.remove_self", &[])));
    }
    auth(store).remove_user(username).await.map_err(|e| refusal(lang, e))?;
    tracing::info!(user = %username, by = %actor, "staff account removed from the web app");
    list(store, actor).await
}

/// Sets a new password for `username` and ends their sessions (the actor's own included).
pub(super) async fn reset_password(
    store: &Store,
    actor: &str,
    lang: Lang,
    username: &str,
    password: String,
    confirm: &str,
) -> Result<Vec<StaffView>, AppError> {
    check_password_policy(&password).map_err(|e| refusal(lang, e))?;
    check_confirmation(lang, &password, confirm)?;
    auth(store)
        .set_password(username, &SecretString::from(password))
        .await
        .map_err(|e| refusal(lang, e))?;
    tracing::info!(user = %username, by = %actor, "staff password reset from the web app");
    list(store, actor).await
}

/// Ends every session of `username`, who is not `actor` (their own: Sign out).
pub(super) async fn end_sessions(
    store: &Store,
    actor: &str,
    lang: Lang,
    username: &str,
) -> Result<Vec<StaffView>, AppError> {
    if username == actor {
        return Err(AppError::Forbidden(word(lang, "staff.refusal.end_own_sessions", &[])));
    }
    auth(store).end_sessions(username).await.map_err(|e| refusal(lang, e))?;
    tracing::info!(user = %username, by = %actor, "staff sessions ended from the web app");
    list(store, actor).await
}

/// Lifts every sign-in lock on `username`.
pub(super) async fn unlock(store: &Store, actor: &str, lang: Lang, username: &str) -> Result<Vec<StaffView>, AppError> {
    auth(store).unlock_user(username).await.map_err(|e| refusal(lang, e))?;
    tracing::info!(user = %username, by = %actor, "staff sign-in locks lifted from the web app");
    list(store, actor).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's English refusals are the words `openfatture user` prints, and Italian differs.
    #[test]
    fn english_refusals_are_the_clis_words_and_italian_is_written() {
        let cases: [fn() -> AuthError; 7] = [
            || AuthError::InvalidUsername("Bad Name".into()),
            || AuthError::WeakPassword(PasswordProblem::TooLong),
            || AuthError::WeakPassword(PasswordProblem::PinTooShort),
            || AuthError::WeakPassword(PasswordProblem::PasswordTooShort),
            || AuthError::UnknownRole("boss".into()),
            || AuthError::UserExists("mario".into()),
            || AuthError::LastAdmin("admin".into()),
        ];
        for case in cases {
            let cli = case().to_string();
            assert_eq!(refusal(Lang::En, case()).to_string(), cli);
            assert_ne!(refusal(Lang::It, case()).to_string(), cli, "{cli} has no Italian text");
        }
        assert_eq!(
            refusal(Lang::It, AuthError::UnknownRole("boss".into())).to_string(),
            "ruolo 'boss' sconosciuto: usa admin o cashier"
        );
    }
}
