//! The error every server function returns, serialisable: each refusal travels as a catalogue key
//! and named values ([`Refusal`]), which the browser words in the user's language
//! (`AppError::text` in `i18n`). The gateway chooses each variant's HTTP status in one place (its
//! web error boundary); technical details (what the node or the database said) stay in its log.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub use crate::model::Refusal;

/// Why a request from the web app could not be completed. Each variant but [`AppError::Transport`]
/// carries what the page shows, as data the page words in its language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The Lightning node could not be reached or refused the request.
    #[error("{0}")]
    Lightning(Refusal),
    /// The gateway cannot serve the request in its current state (for example, not configured).
    #[error("{0}")]
    Unavailable(Refusal),
    /// The request was invalid; the text says which value was wrong and what is accepted.
    #[error("{0}")]
    Invalid(Refusal),
    /// Nobody is signed in, or the session expired.
    #[error("{0}")]
    NotSignedIn(Refusal),
    /// The signed-in user's role does not allow this.
    #[error("{0}")]
    Forbidden(Refusal),
    /// There is no such thing for this user: it does not exist, or the signed-in user's role may
    /// not see it (the same answer either way, so nothing tells which).
    #[error("{0}")]
    NotFound(Refusal),
    /// Too many attempts (for example failed sign-ins): the text says when to try again.
    #[error("{0}")]
    Throttled(Refusal),
    /// The browser could not talk to the gateway, or the reply was unreadable (made in the
    /// browser: the detail is for the console, the page shows `error.transport`).
    #[error("could not talk to the OpenFatture gateway: {0}")]
    Transport(String),
    /// A refusal at the counter, as a code the POS shows in the cashier's language
    /// (`PosError::text` in `i18n`); the technical detail stays in the gateway's log.
    #[error("POS error {}", .0.code())]
    Pos(PosError),
    /// A configuration change was refused (the page words it in the user's language); nothing
    /// was written.
    #[error("{0}")]
    Setting(crate::model::SettingRefusal),
}

impl AppError {
    /// The refusal this error carries, if it is one of the worded variants.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            AppError::Lightning(r)
            | AppError::Unavailable(r)
            | AppError::Invalid(r)
            | AppError::NotSignedIn(r)
            | AppError::Forbidden(r)
            | AppError::NotFound(r)
            | AppError::Throttled(r) => Some(r),
            AppError::Transport(_) | AppError::Pos(_) | AppError::Setting(_) => None,
        }
    }
}

/// Every error the POS can show a cashier: short, in the UI's language, saying what to do. The
/// gateway sends POS refusals as these codes ([`AppError::Pos`]); any other [`AppError`] the POS
/// meets is shown as one of them too ([`PosError::of`]), so the POS never shows a technical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PosError {
    /// No BTC/EUR rate: no provider answers and no fallback is set.
    RateUnavailable,
    /// The Lightning node cannot be reached or refused the invoice.
    NodeUnavailable,
    /// The node cannot receive this amount now (inbound capacity).
    CannotReceive,
    /// The node did not confirm the invoice; charging again recovers it.
    NotConfirmed,
    /// The typed amount is not an amount in EUR with at most two decimals.
    InvalidAmount,
    /// The amount is zero or negative.
    AmountTooSmall,
    /// The amount is above the limit for one sale.
    AmountTooLarge,
    /// The note is longer than allowed.
    NoteTooLong,
    /// The note holds an invisible control or text-direction character.
    UnsafeNote,
    /// A cashier's sale above `pos_max_amount_eur`.
    OverTillMaximum,
    /// The sale does not exist (or is not a POS sale).
    SaleNotFound,
    /// The sale is already paid.
    SaleAlreadyPaid,
    /// The sale has already ended (expired or cancelled).
    SaleEnded,
    /// The session ended: sign in again.
    SignedOut,
    /// The signed-in account may not do this.
    NotAllowed,
    /// Too many attempts in a short time.
    TooManyAttempts,
    /// The gateway cannot use its database right now.
    Busy,
    /// The browser cannot reach the gateway.
    NoConnection,
    /// Anything else.
    Unexpected,
    /// The IVA rate is not 22, 10, 5, 4 or 0 with a Natura code.
    InvalidVatRate,
    /// The tip is not an amount in EUR with at most two decimals.
    InvalidTip,
    /// The till chosen on this POS no longer exists.
    UnknownTill,
    /// The pairing code typed is not valid, used already or expired.
    BadPairingCode,
}

impl PosError {
    /// Every variant, for the test that checks each has both texts.
    pub const ALL: [PosError; 23] = [
        PosError::RateUnavailable,
        PosError::NodeUnavailable,
        PosError::CannotReceive,
        PosError::NotConfirmed,
        PosError::InvalidAmount,
        PosError::AmountTooSmall,
        PosError::AmountTooLarge,
        PosError::NoteTooLong,
        PosError::UnsafeNote,
        PosError::OverTillMaximum,
        PosError::SaleNotFound,
        PosError::SaleAlreadyPaid,
        PosError::SaleEnded,
        PosError::SignedOut,
        PosError::NotAllowed,
        PosError::TooManyAttempts,
        PosError::Busy,
        PosError::NoConnection,
        PosError::Unexpected,
        PosError::InvalidVatRate,
        PosError::InvalidTip,
        PosError::UnknownTill,
        PosError::BadPairingCode,
    ];

    /// The code on the wire and in the log (`rate_unavailable`).
    pub fn code(self) -> &'static str {
        match self {
            PosError::RateUnavailable => "rate_unavailable",
            PosError::NodeUnavailable => "node_unavailable",
            PosError::CannotReceive => "cannot_receive",
            PosError::NotConfirmed => "not_confirmed",
            PosError::InvalidAmount => "invalid_amount",
            PosError::AmountTooSmall => "amount_too_small",
            PosError::AmountTooLarge => "amount_too_large",
            PosError::NoteTooLong => "note_too_long",
            PosError::UnsafeNote => "unsafe_note",
            PosError::OverTillMaximum => "over_till_maximum",
            PosError::SaleNotFound => "sale_not_found",
            PosError::SaleAlreadyPaid => "sale_already_paid",
            PosError::SaleEnded => "sale_ended",
            PosError::SignedOut => "signed_out",
            PosError::NotAllowed => "not_allowed",
            PosError::TooManyAttempts => "too_many_attempts",
            PosError::Busy => "busy",
            PosError::NoConnection => "no_connection",
            PosError::Unexpected => "unexpected",
            PosError::InvalidVatRate => "invalid_vat_rate",
            PosError::InvalidTip => "invalid_tip",
            PosError::UnknownTill => "unknown_till",
            PosError::BadPairingCode => "bad_pairing_code",
        }
    }

    /// What the POS shows for any error of a server function it called.
    pub fn of(error: &AppError) -> PosError {
        match error {
            AppError::Pos(code) => *code,
            AppError::NotSignedIn(_) => PosError::SignedOut,
            AppError::Forbidden(_) => PosError::NotAllowed,
            AppError::NotFound(_) => PosError::SaleNotFound,
            AppError::Throttled(_) => PosError::TooManyAttempts,
            AppError::Transport(_) => PosError::NoConnection,
            AppError::Lightning(_) => PosError::NodeUnavailable,
            AppError::Unavailable(_) | AppError::Invalid(_) | AppError::Setting(_) => PosError::Unexpected,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                leptos::logging::warn!("a server function's arguments were refused: {msg}");
                AppError::Invalid(Refusal::code("error.bad_request"))
            }
            ServerFnErrorErr::ServerError(msg) => {
                leptos::logging::warn!("a server function failed: {msg}");
                AppError::Unavailable(Refusal::code("error.unexpected"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_server_fn_encoding() {
        let err = AppError::Lightning(Refusal::new("error.node", &[("host", "127.0.0.1:10009")]));
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
    fn pos_codes_travel_as_their_code() {
        for code in PosError::ALL {
            let wire = serde_json::to_string(&AppError::Pos(code)).unwrap_or_default();
            assert_eq!(wire, format!(r#"{{"Pos":"{}"}}"#, code.code()));
            assert_eq!(AppError::de(AppError::Pos(code).ser()), AppError::Pos(code));
            assert_eq!(PosError::of(&AppError::Pos(code)), code);
        }
    }

    #[test]
    fn refusals_travel_as_code_and_values() {
        let err = AppError::Invalid(Refusal::new("error.invoice.unknown_numero", &[("numero", "7")]));
        let wire = serde_json::to_string(&err).unwrap_or_default();
        assert_eq!(
            wire,
            r#"{"Invalid":{"code":"error.invoice.unknown_numero","values":[["numero","7"]]}}"#
        );
        assert_eq!(AppError::de(err.ser()), err);
        let bare = serde_json::to_string(&AppError::NotSignedIn(Refusal::code("error.not_signed_in")));
        assert_eq!(
            bare.unwrap_or_default(),
            r#"{"NotSignedIn":{"code":"error.not_signed_in"}}"#
        );
        assert_eq!(err.refusal().and_then(|r| r.value("numero")), Some("7"));
    }
}
