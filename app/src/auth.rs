//! Staff sign-in: who the current request's user is, the role check, and the server functions to
//! sign in and out. Roles and the signed-in user themselves are wire types in [`crate::model`].
//!
//! The gateway checks the session cookie of every `/api` request and provides the result as a
//! [`CurrentUser`] in the server function's context; server functions call [`require`] with the
//! role they need. Roles are checked on the server, never only hidden in the UI.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Refusal;
/// Re-exported from [`crate::model`]: the gateway and the server functions name them from here,
/// next to [`require`].
pub use crate::model::{Role, SessionUser};

/// The user of the current request, as established by the gateway from the session cookie.
#[derive(Debug, Clone, Default)]
pub struct CurrentUser(pub Option<SessionUser>);

/// The signed-in user if they have at least `needed`; otherwise an error that says what to do
/// (the gateway answers it with HTTP 401 / 403).
#[cfg(feature = "ssr")]
pub fn require(needed: Role) -> Result<SessionUser, AppError> {
    let current = use_context::<CurrentUser>().unwrap_or_default();
    match current.0 {
        None => Err(AppError::NotSignedIn(Refusal::code("error.not_signed_in"))),
        Some(user) if user.role.allows(needed) => Ok(user),
        Some(user) => Err(AppError::Forbidden(Refusal::new(
            "error.forbidden",
            &[
                ("user", &user.username),
                ("role_text", user.role.label_key()),
                ("needed_text", needed.label_key()),
            ],
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
pub async fn login(
    /// Login name.
    username: String,
    /// Password or PIN, as typed.
    password: String,
) -> Result<SessionUser, AppError> {
    let backend = crate::backend::backend()?;
    let signed_in = backend.login(username, password).await?;
    set_cookie(&signed_in.set_cookie)?;
    Ok(signed_in.user)
}

/// Creates the first admin account with the one-time setup token and signs in. `POST /api/setup_admin`.
#[server(prefix = "/api", endpoint = "setup_admin")]
pub async fn setup_admin(
    /// The one-time setup token from the link `serve` printed.
    token: String,
    /// Login name.
    username: String,
    /// Password or PIN, as typed.
    password: String,
) -> Result<SessionUser, AppError> {
    let backend = crate::backend::backend()?;
    let signed_in = backend.setup_admin(token, username, password).await?;
    set_cookie(&signed_in.set_cookie)?;
    Ok(signed_in.user)
}

/// Pairs this tablet to a till with the one-time code an admin made in the back office (issue 36);
/// the device cookie it sets outlives sign-out. Returns the till's name. Staff (a cashier or an
/// admin). `POST /api/pos_pair`.
#[server(prefix = "/api", endpoint = "pos_pair")]
pub async fn pos_pair(
    /// The 8-character code, as typed (case, spaces and dashes do not matter).
    code: String,
) -> Result<String, AppError> {
    require(Role::Cashier)?;
    let backend = crate::backend::backend()?;
    let paired = backend.pos_pair(code).await?;
    set_cookie(&paired.set_cookie)?;
    Ok(paired.till)
}

/// Adds a `Set-Cookie` header to the current server-function response.
#[cfg(feature = "ssr")]
fn set_cookie(value: &str) -> Result<(), AppError> {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let value =
            http::HeaderValue::from_str(value).map_err(|_| AppError::Unavailable(Refusal::code("error.unexpected")))?;
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
