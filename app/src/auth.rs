//! Staff sign-in: roles, the signed-in user, and the server functions to sign in and out.
//!
//! The gateway checks the session cookie of every `/api` request and provides the result as a
//! [`CurrentUser`] in the server function's context; server functions call [`require`] with the
//! role they need. Roles are checked on the server, never only hidden in the UI.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Takes payments at the counter (POS) and looks up invoice status.
    Cashier,
    /// Everything: node, invoices, payments, webhooks, settings.
    Admin,
}

impl Role {
    /// The name used in the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Admin => "admin",
        }
    }

    /// Parses `admin` or `cashier`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "cashier" => Some(Role::Cashier),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role includes everything `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// Login name.
    pub username: String,
    /// Their role.
    pub role: Role,
}

/// The user of the current request, as established by the gateway from the session cookie.
#[derive(Debug, Clone, Default)]
pub struct CurrentUser(pub Option<SessionUser>);

/// The signed-in user if they have at least `needed`; otherwise an error that says what to do
/// (the gateway answers it with HTTP 401 / 403).
#[cfg(feature = "ssr")]
pub fn require(needed: Role) -> Result<SessionUser, AppError> {
    let current = use_context::<CurrentUser>().unwrap_or_default();
    match current.0 {
        None => Err(AppError::NotSignedIn(
            "you are not signed in (or your session expired): sign in again".into(),
        )),
        Some(user) if user.role.allows(needed) => Ok(user),
        Some(user) => Err(AppError::Forbidden(format!(
            "{} is signed in as {}; this needs the {} role (ask an admin)",
            user.username, user.role, needed
        ))),
    }
}

/// Who is signed in (`None` when nobody is). `POST /api/whoami`.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SessionUser>, AppError> {
    Ok(use_context::<CurrentUser>().unwrap_or_default().0)
}

/// Signs in with a username and password (or PIN); sets the session cookie. `POST /api/login`.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<SessionUser, AppError> {
    let backend = crate::backend::backend()?;
    let signed_in = backend.login(username, password).await?;
    set_cookie(&signed_in.set_cookie)?;
    Ok(signed_in.user)
}

/// Creates the first admin account with the one-time setup token and signs in. `POST /api/setup_admin`.
#[server(prefix = "/api", endpoint = "setup_admin")]
pub async fn setup_admin(token: String, username: String, password: String) -> Result<SessionUser, AppError> {
    let backend = crate::backend::backend()?;
    let signed_in = backend.setup_admin(token, username, password).await?;
    set_cookie(&signed_in.set_cookie)?;
    Ok(signed_in.user)
}

/// Adds a `Set-Cookie` header to the current server-function response.
#[cfg(feature = "ssr")]
fn set_cookie(value: &str) -> Result<(), AppError> {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| AppError::Unavailable("the session cookie could not be set".into()))?;
        response.insert_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// Signs out: ends the session and clears the cookie. `POST /api/logout`.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let backend = crate::backend::backend()?;
    let clear = backend.logout().await?;
    set_cookie(&clear)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_includes_cashier_but_not_the_reverse() {
        assert!(Role::Admin.allows(Role::Cashier));
        assert!(Role::Admin.allows(Role::Admin));
        assert!(Role::Cashier.allows(Role::Cashier));
        assert!(!Role::Cashier.allows(Role::Admin));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("Admin"), None);
    }
}
