//! The Staff page's operations behind [`app::admin::AdminBackend`]: list, add, remove, reset a
//! password, end sessions, unlock, through the same [`AuthService`] as `openfatture user`. The
//! guard rails the CLI does not need live here: an admin never removes themselves or ends their
//! own sessions from the web (the only admin can never be removed, which `AuthService` enforces
//! for both). Every refusal is in the page's language and changes nothing.

use app::i18n::Lang;
use app::model::{Role, StaffView};
use app::AppError;
use secrecy::SecretString;

use crate::auth::{check_password_policy, check_username, AuthError, AuthService};
use crate::store::{StaffRow, Store};
use crate::time::{now_secs, rfc3339};

/// `en` or `it`, as the page's language asks.
fn say(lang: Lang, en: String, it: String) -> String {
    match lang {
        Lang::En => en,
        Lang::It => it,
    }
}

/// An account-management refusal in `lang`; anything else (database, hashing) as the gateway's
/// one error boundary words it.
fn refusal(lang: Lang, error: AuthError) -> AppError {
    let (en, it) = match &error {
        AuthError::InvalidUsername(name) => (
            error.to_string(),
            format!("nome utente '{name}' non valido: usa da 1 a 32 lettere minuscole, cifre, '.', '_' o '-'"),
        ),
        AuthError::WeakPassword(problem) => (problem.to_string(), problem.italian()),
        AuthError::UnknownRole(role) => (
            error.to_string(),
            format!(
                "ruolo '{role}' sconosciuto: usa {}",
                Role::names().replace(" or ", " o ")
            ),
        ),
        AuthError::UserExists(name) => (
            error.to_string(),
            format!("esiste già un utente di nome '{name}': scegli un altro nome"),
        ),
        AuthError::NoSuchUser(name) => (
            format!("no staff member named '{name}': reload the list"),
            format!("nessun utente di nome '{name}': ricarica l'elenco"),
        ),
        AuthError::LastAdmin(name) => {
            return AppError::Forbidden(say(
                lang,
                error.to_string(),
                format!("'{name}' è l'unico admin e non può essere rimosso: aggiungi prima un altro admin"),
            ))
        }
        _ => return error.into(),
    };
    AppError::Invalid(say(lang, en, it))
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
    Err(AppError::Invalid(say(
        lang,
        "the two passwords differ; nothing was changed".into(),
        "le due password sono diverse: nulla è stato modificato".into(),
    )))
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
        return Err(AppError::Forbidden(say(
            lang,
            "you cannot remove your own account; another admin can".into(),
            "non puoi rimuovere il tuo account: può farlo un altro admin".into(),
        )));
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
        return Err(AppError::Forbidden(say(
            lang,
            "you cannot end your own sessions here; use Sign out".into(),
            "non puoi chiudere qui le tue sessioni: usa Esci".into(),
        )));
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
