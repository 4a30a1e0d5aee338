//! The error every server function returns: plain words a person can act on, serialisable so the
//! browser receives exactly what the gateway said. The gateway chooses each variant's HTTP status
//! in one place (its web error boundary).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a request from the web app could not be completed. The text is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The Lightning node could not be reached or refused the request.
    #[error("{0}")]
    Lightning(String),
    /// The gateway cannot serve the request in its current state (for example, not configured).
    #[error("{0}")]
    Unavailable(String),
    /// The request was invalid; the text says which value was wrong and what is accepted.
    #[error("{0}")]
    Invalid(String),
    /// Nobody is signed in, or the session expired.
    #[error("{0}")]
    NotSignedIn(String),
    /// The signed-in user's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// There is no such thing for this user: it does not exist, or the signed-in user's role may
    /// not see it (the same answer either way, so nothing tells which).
    #[error("{0}")]
    NotFound(String),
    /// Too many attempts (for example failed sign-ins): the text says when to try again.
    #[error("{0}")]
    Throttled(String),
    /// The browser could not talk to the gateway, or the reply was unreadable.
    #[error("could not talk to the OpenFatture gateway: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::Invalid(format!("invalid request: {msg}"))
            }
            ServerFnErrorErr::ServerError(msg) => AppError::Unavailable(msg),
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_server_fn_encoding() {
        let err = AppError::Lightning("node at 127.0.0.1:10009 is unreachable".into());
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }

    #[test]
    fn transport_errors_say_who_could_not_be_reached() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Request("connection refused".into()));
        assert_eq!(
            err.to_string(),
            "could not talk to the OpenFatture gateway: error reaching server to call server function: connection refused"
        );
    }

    #[test]
    fn display_is_the_plain_message() {
        assert_eq!(
            AppError::Unavailable("not configured".into()).to_string(),
            "not configured"
        );
    }
}
