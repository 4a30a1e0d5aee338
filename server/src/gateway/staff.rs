//! The Staff page's operations behind [`app::admin::AdminBackend`]: list, add, remove, reset a
//! password, end sessions, unlock, through the same [`AuthService`] as `openfatture user`. The
//! guard rails the CLI does not need live here: an admin never removes themselves or ends their
//! own sessions from the web (the only admin can never be removed, which `AuthService` enforces
//! for both). Every refusal is in the page's language and changes nothing.

use app::i18n::Lang;
use app::model::{Role, StaffView};
use app::{AppError, Refusal};
use secrecy::SecretString;

use crate::auth::{check_password_policy, check_username, AuthError, AuthService};
use crate::store::{StaffRow, Store};
use crate::time::{now_secs, rfc3339};

/// A staff refusal: the catalogue key and its `{name}` values, which the page words.
fn word(key: &str, values: &[(&str, &str)]) -> Refusal {
    Refusal::new(key, values)
}

/// An account-management refusal (the page words it in `lang`; the role names are joined with
/// `lang`'s "or"); anything else (database, hashing) as the gateway's one error boundary words it.
fn refusal(lang: Lang, error: AuthError) -> AppError {
    super::web_error::account_refusal(lang, error)
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
fn check_confirmation(password: &str, confirm: &str) -> Result<(), AppError> {
    if password == confirm {
        return Ok(());
    }
    Err(AppError::Invalid(word("staff.refusal.passwords_differ", &[])))
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
    check_confirmation(&password, confirm)?;
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
        return Err(AppError::Forbidden(word("staff.refusal.remove_self", &[])));
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
    check_confirmation(&password, confirm)?;
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
        return Err(AppError::Forbidden(word("staff.refusal.end_own_sessions", &[])));
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
    use crate::auth::PasswordProblem;

    /// What the page shows for `error` in `lang`.
    fn shown(lang: Lang, error: AuthError) -> String {
        refusal(lang, error).text(lang)
    }

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
            assert_eq!(shown(Lang::En, case()), cli);
            assert_ne!(shown(Lang::It, case()), cli, "{cli} has no Italian text");
        }
        assert_eq!(
            shown(Lang::It, AuthError::UnknownRole("boss".into())),
            "ruolo 'boss' sconosciuto: usa admin o cashier"
        );
    }
}
