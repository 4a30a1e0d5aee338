//! The web layer's one error boundary: every service error becomes an [`AppError`] here (logged in
//! full when it is ours to fix, shown as plain words), and every [`AppError`] a server function
//! returns gets its HTTP status here, from its variant alone.
//!
//! Handlers only write `service.call().await?`; nothing else in the gateway sets a status or
//! words for a failure.

use app::model::{SettingProblem, SettingRefusal};
use app::{AppError, PosError};
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::invoices::InvoiceError;
use crate::lnd::LndError;
use crate::rates::RateError;
use crate::store::StoreError;
use crate::webhooks::WebhookError;

/// What the user reads when the database fails (the cause goes to the log).
const DATABASE_UNAVAILABLE: &str = "the gateway cannot use its database right now; try again";

/// Largest error body the boundary reads back to choose its status, bytes.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The HTTP status of a failed server function, chosen by the error's variant.
pub(crate) fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::NotSignedIn(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Lightning(_) | AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Pos(code) => pos_status_of(*code),
        AppError::Setting(refusal) => match refusal.problem {
            SettingProblem::CliOnly => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        },
    }
}

/// The HTTP status of a refusal at the counter, by its code.
fn pos_status_of(code: PosError) -> StatusCode {
    match code {
        PosError::InvalidAmount
        | PosError::AmountTooSmall
        | PosError::AmountTooLarge
        | PosError::NoteTooLong
        | PosError::UnsafeNote
        | PosError::SaleAlreadyPaid
        | PosError::SaleEnded => StatusCode::BAD_REQUEST,
        PosError::SignedOut => StatusCode::UNAUTHORIZED,
        PosError::NotAllowed | PosError::OverTillMaximum => StatusCode::FORBIDDEN,
        PosError::SaleNotFound => StatusCode::NOT_FOUND,
        PosError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        PosError::RateUnavailable
        | PosError::NodeUnavailable
        | PosError::CannotReceive
        | PosError::NotConfirmed
        | PosError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        PosError::NoConnection | PosError::Unexpected => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a cashier is told when a sale fails: a [`PosError`] code the POS shows in the cashier's
/// language. The technical detail (which provider failed and why, what the node said) goes to
/// the log, and to admins through their own pages, never to the till.
pub(crate) fn for_cashier(error: InvoiceError) -> AppError {
    let code = match &error {
        InvoiceError::Rate(_) => PosError::RateUnavailable,
        InvoiceError::Lnd(_) => PosError::NodeUnavailable,
        InvoiceError::Unreceivable { .. } => PosError::CannotReceive,
        InvoiceError::Unconfirmed { .. } => PosError::NotConfirmed,
        InvoiceError::AmountNotPositive(_) | InvoiceError::MissingAmount => PosError::AmountTooSmall,
        InvoiceError::AmountTooPrecise(_) => PosError::InvalidAmount,
        InvoiceError::AmountAbsurd(_) | InvoiceError::Conversion(_) => PosError::AmountTooLarge,
        InvoiceError::DescriptionTooLong { .. } => PosError::NoteTooLong,
        InvoiceError::UnsafeText(_) => PosError::UnsafeNote,
        InvoiceError::UnknownLnInvoice(_) => PosError::SaleNotFound,
        InvoiceError::CannotCancelSettled(_) => PosError::SaleAlreadyPaid,
        InvoiceError::AlreadyFinal { .. } => PosError::SaleEnded,
        InvoiceError::Store(_) => PosError::Busy,
        _ => PosError::Unexpected,
    };
    tracing::warn!(code = code.code(), error = %error, "POS sale refused");
    AppError::Pos(code)
}

/// Gives a server function's error response the status of its [`AppError`]. Server functions
/// answer every error with 500 and the serialised error as the body (marked by the
/// `serverfnerror` header); any other response passes through untouched.
pub(crate) async fn with_error_status(response: Response) -> Response {
    if !response
        .headers()
        .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ERROR_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "could not read a server function's error body");
            parts.status = StatusCode::INTERNAL_SERVER_ERROR;
            return Response::from_parts(parts, Body::empty());
        }
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(error) => parts.status = status_of(&error),
        Err(error) => tracing::error!(%error, "a server function's error body is not an AppError"),
    }
    Response::from_parts(parts, Body::from(bytes))
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        tracing::error!("database error: {error}");
        AppError::Unavailable(DATABASE_UNAVAILABLE.into())
    }
}

impl From<LndError> for AppError {
    fn from(error: LndError) -> Self {
        // LND errors never contain secrets: the user sees what the node said.
        tracing::warn!(%error, "Lightning node request failed");
        AppError::Lightning(error.to_string())
    }
}

impl From<RateError> for AppError {
    fn from(error: RateError) -> Self {
        // For admins (the dashboard): the full reason and how to fix it. Cashiers get
        // `for_cashier`'s code instead.
        tracing::warn!(%error, "no BTC/EUR rate");
        AppError::Unavailable(error.to_string())
    }
}

impl From<InvoiceError> for AppError {
    fn from(error: InvoiceError) -> Self {
        match error {
            InvoiceError::Lnd(e) => e.into(),
            InvoiceError::Store(e) => e.into(),
            InvoiceError::Rate(e) => e.into(),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(e) => e.into(),
            AuthError::Hash(e) => {
                tracing::error!("password hashing failed: {e}");
                AppError::Unavailable("sign-in is unavailable right now; try again".into())
            }
            AuthError::Throttled { .. } => AppError::Throttled(error.to_string()),
            AuthError::BadCredentials => AppError::NotSignedIn(error.to_string()),
            // A wrong or used setup link: the request is understood and refused (403).
            AuthError::BadSetupToken => AppError::Forbidden(error.to_string()),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

impl From<ConfigError> for AppError {
    fn from(error: ConfigError) -> Self {
        // In `openfatture config`'s words; secret values are never part of them.
        match error {
            ConfigError::UnknownKey { key, .. } => AppError::Setting(SettingRefusal {
                key,
                problem: SettingProblem::UnknownKey,
            }),
            ConfigError::InvalidValue { ref key, .. } => match crate::config::find_key(key) {
                Some(found) => AppError::Setting(SettingRefusal {
                    key: found.name.to_string(),
                    problem: SettingProblem::Invalid {
                        kind: setting_kind(&found.kind),
                    },
                }),
                None => AppError::Invalid(error.to_string()),
            },
            ConfigError::OutOfOrder {
                lower_key,
                lower_value,
                upper_key,
                upper_value,
            } => AppError::Setting(SettingRefusal {
                key: lower_key.clone(),
                problem: SettingProblem::OutOfOrder {
                    lower_key,
                    lower_value,
                    upper_key,
                    upper_value,
                },
            }),
            other => {
                tracing::error!("configuration error: {other}");
                AppError::Unavailable(other.to_string())
            }
        }
    }
}

/// What a valid value of a key of `kind` is, for the page.
pub(super) fn setting_kind(kind: &crate::config::ValueKind) -> app::model::SettingKind {
    use crate::config::ValueKind as V;
    use app::model::SettingKind as K;
    match *kind {
        V::Bool => K::Bool,
        V::Text => K::Text,
        V::Path => K::Path,
        V::HostPort => K::HostPort,
        V::U32 { min } => K::Whole {
            min: u64::from(min),
            max: u64::from(u32::MAX),
        },
        V::U64 { min } => K::Whole { min, max: u64::MAX },
        V::PositiveDecimal => K::PositiveDecimal,
        V::Url | V::BaseUrl => K::Url,
        V::Ratio => K::Ratio,
        V::VatNumber => K::VatNumber,
        V::TimeZone => K::TimeZone,
        V::SmtpSecurity => K::Text,
    }
}

impl From<WebhookError> for AppError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Store(e) => e.into(),
            WebhookError::Client(e) => AppError::Unavailable(format!("cannot send webhooks: {e}")),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

impl From<crate::invoices::ManualError> for AppError {
    fn from(error: crate::invoices::ManualError) -> Self {
        match error {
            crate::invoices::ManualError::Store(e) => e.into(),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

impl From<crate::invoices::LinkError> for AppError {
    fn from(error: crate::invoices::LinkError) -> Self {
        match error {
            crate::invoices::LinkError::Invoice(e) => e.into(),
            crate::invoices::LinkError::Store(e) => e.into(),
            crate::invoices::LinkError::Mail(e) => e.into(),
            crate::invoices::LinkError::UnknownLnInvoice(_) => AppError::NotFound(error.to_string()),
            crate::invoices::LinkError::Courtesy(e) => {
                tracing::error!("courtesy copy not drawn: {e}");
                AppError::Unavailable(format!("the courtesy copy could not be drawn: {e}"))
            }
            other => AppError::Invalid(other.to_string()),
        }
    }
}

impl From<crate::mail::MailError> for AppError {
    fn from(error: crate::mail::MailError) -> Self {
        use crate::mail::MailError;
        match error {
            MailError::BadAddress { .. } => AppError::Invalid(error.to_string()),
            other => {
                tracing::warn!("email not sent: {other}");
                AppError::Unavailable(other.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server function's error response as server_fn builds it.
    fn error_response(error: &AppError) -> Response {
        let body = serde_json::to_vec(error).unwrap_or_default();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response.headers_mut().insert(
            leptos::server_fn::error::SERVER_FN_ERROR_HEADER,
            axum::http::HeaderValue::from_static("/api/x"),
        );
        response
    }

    #[tokio::test]
    async fn each_variant_gets_its_status_and_keeps_its_words() {
        let cases = [
            (AppError::Invalid("bad".into()), 400),
            (AppError::NotSignedIn("sign in".into()), 401),
            (AppError::Forbidden("admin only".into()), 403),
            (AppError::NotFound("no such sale".into()), 404),
            (AppError::Throttled("wait".into()), 429),
            (AppError::Unavailable("later".into()), 503),
            (AppError::Lightning("node down".into()), 503),
            (AppError::Pos(PosError::RateUnavailable), 503),
            (AppError::Pos(PosError::InvalidAmount), 400),
            (AppError::Pos(PosError::SignedOut), 401),
            (
                AppError::Setting(SettingRefusal {
                    key: "lightning_host".into(),
                    problem: SettingProblem::CliOnly,
                }),
                403,
            ),
            (
                AppError::Setting(SettingRefusal {
                    key: "lightning_pos_expiry_minutes".into(),
                    problem: SettingProblem::Invalid {
                        kind: app::model::SettingKind::Whole { min: 1, max: 1440 },
                    },
                }),
                400,
            ),
        ];
        for (error, status) in cases {
            let response = with_error_status(error_response(&error)).await;
            assert_eq!(response.status().as_u16(), status, "{error:?}");
            let bytes = axum::body::to_bytes(response.into_body(), MAX_ERROR_BODY_BYTES)
                .await
                .unwrap_or_default();
            assert_eq!(serde_json::from_slice::<AppError>(&bytes).ok(), Some(error));
        }
    }

    #[tokio::test]
    async fn other_responses_pass_untouched() {
        let mut response = Response::new(Body::from("ok"));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        assert_eq!(
            with_error_status(response).await.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn a_throttled_sign_in_is_told_apart_from_a_wrong_password() {
        let throttled = AppError::from(AuthError::Throttled { retry_after_secs: 30 });
        assert_eq!(status_of(&throttled), StatusCode::TOO_MANY_REQUESTS);
        assert!(throttled.to_string().contains("30 s"), "{throttled}");
        assert_eq!(
            status_of(&AppError::from(AuthError::BadCredentials)),
            StatusCode::UNAUTHORIZED
        );
    }
}
