//! The web layer's one error boundary: every service error becomes an [`AppError`] here (logged in
//! full when it is ours to fix), as a [`Refusal`]: a catalogue key and named values, which the
//! browser words in the user's language. Technical details (what the node, a rate provider or the
//! database said) go to the log, never to the page. Every [`AppError`] a server function returns
//! gets its HTTP status here, from its variant alone. The CLI keeps the services' English texts.
//!
//! Handlers only write `service.call().await?`; nothing else in the gateway sets a status.

use app::i18n::{text_in, Lang};
use app::model::{code_point, ReloadProblem, Role, SettingProblem, SettingRefusal, TextError};
use app::{AppError, PosError, Refusal};
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::{AuthError, PasswordProblem, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, MIN_PIN_DIGITS};
use crate::config::ConfigError;
use crate::invoices::InvoiceError;
use crate::lnd::LndError;
use crate::rates::RateError;
use crate::store::StoreError;
use crate::webhooks::{Refused, WebhookError};

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
        | PosError::InvalidVatRate
        | PosError::InvalidTip
        | PosError::UnknownTill
        | PosError::BadPairingCode
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
        // A sale at or above lightning_identity_threshold_eur: the till cannot take the client's
        // tax id; the owner invoices it from the back office with the client's data.
        InvoiceError::IdentityRequired { .. } => PosError::OverTillMaximum,
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
        if let StoreError::BadCursor(_) = error {
            return AppError::Invalid(Refusal::code("error.list.bad_cursor"));
        }
        tracing::error!("database error: {error}");
        AppError::Unavailable(Refusal::code("error.database"))
    }
}

impl From<crate::node::ChannelWatchError> for AppError {
    fn from(error: crate::node::ChannelWatchError) -> Self {
        match error {
            crate::node::ChannelWatchError::Node(e) => e.into(),
            crate::node::ChannelWatchError::Store(e) => e.into(),
        }
    }
}

impl From<LndError> for AppError {
    fn from(error: LndError) -> Self {
        // What the node said goes to the log; the page says what to do.
        tracing::warn!(%error, "Lightning node request failed");
        let code = if error.is_setup() {
            "error.node_setup"
        } else {
            "error.node"
        };
        AppError::Lightning(Refusal::code(code))
    }
}

impl From<RateError> for AppError {
    fn from(error: RateError) -> Self {
        // Which providers failed and why: in the log (and on the dashboard's provider list).
        // Cashiers get `for_cashier`'s code instead.
        tracing::warn!(%error, "no BTC/EUR rate");
        AppError::Unavailable(Refusal::code("error.rate"))
    }
}

/// A free-text refusal (`text_error.*`) with its field worded in the page's language.
pub(super) fn text_refusal(error: &TextError) -> Refusal {
    use app::model::TextField;
    let (code, field, found) = match error {
        TextError::Control { field, found } => ("text_error.control", field, found),
        TextError::Bidi { field, found } => ("text_error.bidi", field, found),
    };
    let field = match field {
        TextField::Note => "text_error.field.note",
        TextField::Description => "text_error.field.description",
    };
    Refusal::new(code, &[("field_text", field), ("code", &code_point(found))])
}

impl From<InvoiceError> for AppError {
    fn from(error: InvoiceError) -> Self {
        use InvoiceError as E;
        let s = |v: &dyn ToString| v.to_string();
        let refusal = match &error {
            E::Lnd(_) | E::Store(_) | E::Rate(_) => {
                return match error {
                    E::Lnd(e) => e.into(),
                    E::Store(e) => e.into(),
                    E::Rate(e) => e.into(),
                    _ => AppError::Unavailable(Refusal::code("error.unexpected")),
                }
            }
            E::UnknownNumero(numero) => Refusal::new("error.invoice.unknown_numero", &[("numero", numero)]),
            E::UnknownYear { numero, anno, years } => Refusal::new(
                "error.invoice.unknown_year",
                &[("numero", numero), ("anno", &s(anno)), ("years", years)],
            ),
            E::UnsafeText(text) => text_refusal(text),
            E::DescriptionTooLong { chars, max } => Refusal::new(
                "error.invoice.description_too_long",
                &[("chars", &s(chars)), ("max", &s(max))],
            ),
            E::AmbiguousNumero { numero, count, years } => Refusal::new(
                "error.invoice.ambiguous_numero",
                &[("numero", numero), ("count", &s(count)), ("years", years)],
            ),
            E::AlreadyPaid(numero) => Refusal::new("error.invoice.already_paid", &[("numero", numero)]),
            E::QuoteInFlight(numero) => Refusal::new("error.invoice.quote_in_flight", &[("numero", numero)]),
            E::AmountNotPositive(_) | E::MissingAmount => Refusal::code("error.invoice.amount_not_positive"),
            E::AmountTooPrecise(amount) => Refusal::new("error.invoice.amount_too_precise", &[("amount", &s(amount))]),
            E::AmountAbsurd(amount) => Refusal::new(
                "error.invoice.amount_too_large",
                &[
                    ("amount_eur", &s(amount)),
                    ("max_eur", &s(&crate::invoices::MAX_INVOICE_EUR)),
                ],
            ),
            E::AmountAboveDue { amount, due, numero } => Refusal::new(
                "error.invoice.amount_above_due",
                &[("amount_eur", &s(amount)), ("due_eur", &s(due)), ("numero", numero)],
            ),
            E::IdentityRequired { amount, threshold } => Refusal::new(
                "error.invoice.identity_required",
                &[("amount_eur", &s(amount)), ("threshold_eur", &s(threshold))],
            ),
            E::InvalidTaxId(e) => Refusal::new("error.invoice.invalid_tax_id", &[("tax_id", &e.0)]),
            E::PosExpiryOutOfBounds { minutes } => {
                Refusal::new("error.invoice.pos_expiry", &[("minutes", &s(minutes))])
            }
            E::ExpiryOutOfBounds { hours, min, max } => Refusal::new(
                "error.invoice.expiry",
                &[("hours", &s(hours)), ("min", &s(min)), ("max", &s(max))],
            ),
            E::UnknownLnInvoice(id) => {
                return AppError::NotFound(Refusal::new("error.invoice.unknown_ln_invoice", &[("id", id)]))
            }
            E::CannotCancelSettled(id) => Refusal::new("error.invoice.cannot_cancel_settled", &[("id", id)]),
            E::AlreadyFinal { id, state } => {
                Refusal::new("error.invoice.already_final", &[("id", id), ("state", state)])
            }
            E::Unreceivable {
                amount_sat,
                max_receivable_sat,
            } => Refusal::new(
                "error.invoice.unreceivable",
                &[("amount_sat", &s(amount_sat)), ("max_sat", &s(max_receivable_sat))],
            ),
            E::Unconfirmed { id, source } => {
                tracing::warn!(%id, error = %source, "the node did not confirm an invoice");
                return AppError::Lightning(Refusal::new("error.invoice.unconfirmed", &[("id", id)]));
            }
            E::Conversion(e) => {
                tracing::warn!(error = %e, "an amount could not be converted to sats");
                Refusal::code("error.invoice.conversion")
            }
        };
        AppError::Invalid(refusal)
    }
}

impl From<crate::counter::CounterError> for AppError {
    fn from(error: crate::counter::CounterError) -> Self {
        use crate::counter::CounterError;
        match error {
            CounterError::Store(e) => e.into(),
            CounterError::UnknownSale(id) => AppError::NotFound(Refusal::new("error.sale.not_found", &[("id", &id)])),
            CounterError::NotPaid(id) => AppError::Invalid(Refusal::new("error.receipt.not_paid", &[("id", &id)])),
            // The Tills card's refusals (issue 36), the CLI's rules in the page's words.
            CounterError::BadTillName(name) => {
                AppError::Invalid(Refusal::new("error.till.bad_name", &[("name", &name)]))
            }
            CounterError::UnknownTill(name) => {
                AppError::NotFound(Refusal::new("error.till.unknown", &[("name", &name)]))
            }
            CounterError::TillNameTaken(name) => {
                AppError::Invalid(Refusal::new("error.till.name_taken", &[("name", &name)]))
            }
            CounterError::LastTill(name) => AppError::Invalid(Refusal::new("error.till.last", &[("name", &name)])),
            CounterError::BadVatRate(rate) => {
                AppError::Invalid(Refusal::new("error.till.bad_vat_rate", &[("rate", &rate)]))
            }
            CounterError::BadPrinter(address) => {
                AppError::Invalid(Refusal::new("error.till.bad_printer", &[("address", &address)]))
            }
            CounterError::NoPrinter(till) => {
                AppError::Invalid(Refusal::new("error.receipt.no_printer", &[("till", &till)]))
            }
            CounterError::AlreadyClosed { number, .. } => AppError::Invalid(Refusal::new(
                "error.closing.already",
                &[("number", &number.to_string())],
            )),
            CounterError::NotBegun { date, .. } => {
                AppError::Invalid(Refusal::new("error.closing.not_begun", &[("date", &date)]))
            }
            CounterError::ShopClosed { date, number } => AppError::Invalid(Refusal::new(
                "error.closing.shop_closed",
                &[("date", &date), ("number", &number.to_string())],
            )),
            CounterError::TillsClosed { date, number } => AppError::Invalid(Refusal::new(
                "error.closing.tills_closed",
                &[("date", &date), ("number", &number.to_string())],
            )),
            CounterError::Closing(reason) => {
                tracing::warn!(%reason, "closing refused");
                AppError::Invalid(Refusal::new("error.closing.refused", &[]))
            }
            // Tablet pairing (issue 36).
            CounterError::BadPairingCode => AppError::Pos(PosError::BadPairingCode),
            CounterError::UnknownDevice(id) => {
                AppError::NotFound(Refusal::new("error.till.unknown_device", &[("id", &id.to_string())]))
            }
            CounterError::Printer(e) => {
                tracing::warn!(error = %e, "receipt not printed");
                AppError::Unavailable(Refusal::new("error.receipt.printer", &[]))
            }
            other => {
                // Counter refusals reach the POS as PosError codes; anything else is a request
                // the page should not have made.
                tracing::warn!(error = %other, "counter request refused");
                AppError::Invalid(Refusal::new("error.bad_request", &[]))
            }
        }
    }
}

impl From<crate::counter::RefundError> for AppError {
    fn from(error: crate::counter::RefundError) -> Self {
        use crate::counter::RefundError as E;
        let invalid = |key: &str, values: &[(&str, &str)]| AppError::Invalid(Refusal::new(key, values));
        match error {
            E::Store(e) => e.into(),
            E::Lnd(e) => e.into(),
            E::BadAmount(_) => invalid("error.refund.bad_amount", &[]),
            E::UnknownSale(id) => AppError::NotFound(Refusal::new("error.refund.unknown_sale", &[("id", &id)])),
            E::NotSettled(id) => invalid("error.refund.not_settled", &[("id", &id)]),
            E::OverCap { left_eur, .. } => invalid("error.refund.over_cap", &[("left", &format!("{left_eur:.2}"))]),
            E::BadDestination(_) => invalid("error.refund.bad_destination", &[]),
            E::BadInvoice(_) => invalid("error.refund.bad_invoice", &[]),
            E::AmountMismatch {
                invoice_sat,
                computed_sat,
                ..
            } => invalid(
                "error.refund.amount_mismatch",
                &[
                    ("invoice_sat", &invoice_sat.to_string()),
                    ("sat", &computed_sat.to_string()),
                ],
            ),
            E::SameInvoice => invalid("error.refund.same_invoice", &[]),
            E::Expired => invalid("error.refund.expired", &[]),
            E::Lnurl { address, reason } => {
                tracing::warn!(%address, %reason, "refund to a Lightning address refused");
                invalid("error.refund.address", &[("address", &address)])
            }
            E::Rate(reason) => {
                tracing::warn!(%reason, "refund without a rate");
                AppError::Unavailable(Refusal::code("error.refund.failed"))
            }
            E::PaymentFailed(reason) => {
                tracing::warn!(%reason, "refund not paid");
                AppError::Lightning(Refusal::code("error.refund.failed"))
            }
        }
    }
}

/// An account refusal (`staff.refusal.*`): the role names joined with `lang`'s "or".
pub(super) fn account_refusal(lang: Lang, error: AuthError) -> AppError {
    let code = |key: &str, values: &[(&str, &str)]| Refusal::new(key, values);
    let refusal = match &error {
        AuthError::InvalidUsername(name) => code("staff.refusal.invalid_username", &[("name", name)]),
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
            code(key, &[("max", &max), ("pin", &pin), ("password", &password)])
        }
        AuthError::UnknownRole(role) => {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            let roles = names.join(text_in(lang, "staff.refusal.or"));
            code("staff.refusal.unknown_role", &[("role", role), ("roles", &roles)])
        }
        AuthError::UserExists(name) => code("staff.refusal.user_exists", &[("name", name)]),
        AuthError::NoSuchUser(name) => code("staff.refusal.no_such_user", &[("name", name)]),
        AuthError::LastAdmin(name) => {
            return AppError::Forbidden(code("staff.refusal.last_admin", &[("name", name)]));
        }
        _ => return error.into(),
    };
    AppError::Invalid(refusal)
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(e) => e.into(),
            AuthError::Hash(e) => {
                tracing::error!("password hashing failed: {e}");
                AppError::Unavailable(Refusal::code("error.sign_in.unavailable"))
            }
            AuthError::Throttled { retry_after_secs } => AppError::Throttled(Refusal::new(
                "error.sign_in.throttled",
                &[("secs", &retry_after_secs.to_string())],
            )),
            AuthError::BadCredentials => AppError::NotSignedIn(Refusal::code("error.sign_in.wrong")),
            // A wrong or used setup link: the request is understood and refused (403).
            AuthError::BadSetupToken => AppError::Forbidden(Refusal::code("error.sign_in.setup_link")),
            other => account_refusal(Lang::En, other),
        }
    }
}

impl From<ConfigError> for AppError {
    fn from(error: ConfigError) -> Self {
        let refusal = config_refusal(&error);
        if matches!(refusal, AppError::Unavailable(_)) {
            tracing::error!("configuration error: {error}");
        }
        refusal
    }
}

/// A configuration error as the page words it (in `openfatture config`'s terms; secret values
/// are never part of it). The English account stays with the caller, for the log.
pub(super) fn config_refusal(error: &ConfigError) -> AppError {
    match error {
        ConfigError::UnknownKey { key, .. } => AppError::Setting(SettingRefusal {
            key: key.clone(),
            problem: SettingProblem::UnknownKey,
        }),
        ConfigError::InvalidValue { key, .. } => match crate::config::find_key(key) {
            Some(found) => AppError::Setting(SettingRefusal {
                key: found.name.to_string(),
                problem: SettingProblem::Invalid {
                    kind: setting_kind(&found.kind),
                },
            }),
            None => AppError::Invalid(Refusal::code("error.unexpected")),
        },
        ConfigError::OutOfOrder {
            lower_key,
            lower_value,
            upper_key,
            upper_value,
        } => AppError::Setting(SettingRefusal {
            key: lower_key.clone(),
            problem: SettingProblem::OutOfOrder {
                lower_key: lower_key.clone(),
                lower_value: lower_value.clone(),
                upper_key: upper_key.clone(),
                upper_value: upper_value.clone(),
            },
        }),
        ConfigError::ParseFile { line, .. } => {
            AppError::Invalid(Refusal::new("error.config_not_toml", &[("line", &line.to_string())]))
        }
        _ => AppError::Unavailable(Refusal::code("error.config")),
    }
}

/// Why config.toml was not applied, as the Settings page words it (the details are in the log).
pub(super) fn reload_problem(error: &ConfigError) -> ReloadProblem {
    match config_refusal(error) {
        AppError::Setting(refusal) => ReloadProblem::Setting(refusal),
        other => ReloadProblem::Refusal(
            other
                .refusal()
                .cloned()
                .unwrap_or_else(|| Refusal::code("error.config")),
        ),
    }
}

/// Why a node change was not applied, as the Settings page words it (the details are in the log).
pub(super) fn node_change_problem(error: &crate::config::NodeChangeError) -> ReloadProblem {
    use crate::config::NodeChangeKind;
    ReloadProblem::Refusal(match &error.kind {
        NodeChangeKind::Settings => Refusal::code("error.node_setup"),
        NodeChangeKind::Refused { host } => Refusal::new("error.node_connect.refused", &[("host", host)]),
        NodeChangeKind::Timeout { host, secs } => Refusal::new(
            "error.node_connect.timeout",
            &[("host", host), ("secs", &secs.to_string())],
        ),
    })
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
            WebhookError::Client(e) => {
                tracing::error!("cannot build the webhook HTTP client: {e}");
                AppError::Unavailable(Refusal::code("error.webhook.client"))
            }
            WebhookError::MissingUrl => AppError::Invalid(Refusal::code("error.webhook.missing_url")),
            WebhookError::MissingSecret(name) => {
                AppError::Invalid(Refusal::new("error.webhook.missing_secret", &[("name", &name)]))
            }
            WebhookError::BadUrl(url) => AppError::Invalid(Refusal::new("error.webhook.bad_url", &[("url", &url)])),
            WebhookError::Refused(Refused::Credentials) => {
                AppError::Invalid(Refusal::code("error.webhook.url_credentials"))
            }
            WebhookError::Refused(Refused::Forbidden { addr, .. }) => AppError::Invalid(Refusal::new(
                "error.webhook.url_forbidden",
                &[("addr", &addr.to_string())],
            )),
            WebhookError::Refused(Refused::Private { addr, .. }) => AppError::Invalid(Refusal::new(
                "error.webhook.url_private",
                &[("addr", &addr.to_string())],
            )),
            WebhookError::EmptyFilter => AppError::Invalid(Refusal::code("error.webhook.empty_filter")),
            WebhookError::MissingName => AppError::Invalid(Refusal::code("error.webhook.missing_name")),
            WebhookError::UnknownEvent(event) => AppError::Invalid(Refusal::new(
                "error.webhook.unknown_event",
                &[("event", &event), ("events", &app::model::EventKind::names(", "))],
            )),
        }
    }
}

/// A refusal of the shared "add invoice" service (the back office's form), as a code the page
/// words.
impl From<crate::invoices::ManualError> for AppError {
    fn from(error: crate::invoices::ManualError) -> Self {
        let refusal = match error {
            crate::invoices::ManualError::EmptyNumero => Refusal::new("invoices.add.refusal.empty_numero", &[]),
            crate::invoices::ManualError::EmptyClient => Refusal::new("invoices.add.refusal.empty_client", &[]),
            crate::invoices::ManualError::Exists { numero, anno } => Refusal::new(
                "invoices.add.refusal.exists",
                &[("numero", &numero), ("anno", &anno.to_string())],
            ),
            crate::invoices::ManualError::Total(crate::invoices::InvoiceError::AmountAbsurd(_)) => Refusal::new(
                "invoices.add.refusal.too_large",
                &[("max", &crate::invoices::MAX_INVOICE_EUR.to_string())],
            ),
            crate::invoices::ManualError::Total(e) => return AppError::from(e),
            crate::invoices::ManualError::Store(e) => return AppError::from(e),
            other => {
                // Withholding and stamp duty are not on the back-office form.
                tracing::warn!(error = %other, "invoice refused");
                Refusal::new("error.bad_request", &[])
            }
        };
        AppError::Invalid(refusal)
    }
}

impl From<crate::invoices::LinkError> for AppError {
    fn from(error: crate::invoices::LinkError) -> Self {
        match error {
            crate::invoices::LinkError::Invoice(e) => e.into(),
            crate::invoices::LinkError::Store(e) => e.into(),
            crate::invoices::LinkError::Mail(e) => e.into(),
            crate::invoices::LinkError::UnknownLnInvoice(id) => {
                AppError::NotFound(Refusal::new("error.invoice.unknown_ln_invoice", &[("id", &id)]))
            }
            crate::invoices::LinkError::Courtesy(e) => {
                tracing::error!("courtesy copy not drawn: {e}");
                AppError::Unavailable(Refusal::code("error.share.courtesy"))
            }
            crate::invoices::LinkError::PosSale(id) => {
                AppError::Invalid(Refusal::new("error.share.pos_sale", &[("id", &id)]))
            }
            other => {
                tracing::warn!(error = %other, "payment link request refused");
                AppError::Invalid(Refusal::code("error.share.no_link"))
            }
        }
    }
}

impl From<crate::mail::MailError> for AppError {
    fn from(error: crate::mail::MailError) -> Self {
        use crate::mail::MailError;
        match error {
            MailError::BadAddress { address, .. } => {
                AppError::Invalid(Refusal::new("error.share.bad_address", &[("address", &address)]))
            }
            MailError::Smtp {
                ref server, attempts, ..
            } => {
                tracing::warn!("email not sent: {error}");
                AppError::Unavailable(Refusal::new(
                    "error.share.smtp",
                    &[("server", server), ("attempts", &attempts.to_string())],
                ))
            }
            other => {
                tracing::warn!("email not sent: {other}");
                AppError::Unavailable(Refusal::code("error.share.mail"))
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
            (AppError::Invalid(Refusal::code("error.bad_request")), 400),
            (AppError::NotSignedIn(Refusal::code("error.not_signed_in")), 401),
            (
                AppError::Forbidden(Refusal::new("error.forbidden", &[("user", "cassa1")])),
                403,
            ),
            (
                AppError::NotFound(Refusal::new("error.invoice.unknown_ln_invoice", &[("id", "x")])),
                404,
            ),
            (
                AppError::Throttled(Refusal::new("error.sign_in.throttled", &[("secs", "30")])),
                429,
            ),
            (AppError::Unavailable(Refusal::code("error.database")), 503),
            (AppError::Lightning(Refusal::code("error.node")), 503),
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

    #[test]
    fn technical_details_stay_in_the_log() {
        let node = AppError::from(LndError::Connect {
            host: "127.0.0.1:10009".into(),
            cause: "tcp connect error: connection refused".into(),
        });
        assert_eq!(node, AppError::Lightning(Refusal::code("error.node")));
        for lang in [Lang::En, Lang::It] {
            assert!(!node.text(lang).contains("10009"), "{}", node.text(lang));
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
        assert_eq!(throttled.text(Lang::It), "troppi accessi falliti: riprova tra 30 s");
        assert_eq!(
            status_of(&AppError::from(AuthError::BadCredentials)),
            StatusCode::UNAUTHORIZED
        );
    }
}
