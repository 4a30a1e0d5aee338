//! Events: what happened to one of our Lightning invoices (or to the node's liquidity), with the
//! webhook body every event about an invoice carries. The store writes [`EventBody`] as the exact
//! webhook payload; the live event stream sends the same bytes to the browser, which reads them
//! back with the same type.

use serde::{Deserialize, Serialize};

use super::state::InvoiceState;

/// What happened. The names (`payment_received`, …) are those of webhooks, of the live event
/// stream and of the `event_types` table, which the store fills from [`EventKind::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The node confirmed a new invoice (PENDING → OPEN).
    InvoiceCreated,
    /// The invoice was paid (SETTLED).
    PaymentReceived,
    /// The invoice ended unpaid: it expired, or the node cancelled it.
    PaymentFailed,
    /// We cancelled the invoice.
    InvoiceCancelled,
    /// Its payment link went out to the client by email (the invoice's state is unchanged).
    InvoiceSent,
    /// The liquidity manager found channels outside the liquidity bounds (about no invoice:
    /// its `ln_invoice_id` is empty and its body is not an [`EventBody`]).
    LiquidityAlert,
    /// A paid POS sale was refunded, fully or in part (issue 36; like liquidity alerts, its
    /// body is its own, not an [`EventBody`], and it names the sale in the body).
    PaymentRefunded,
    /// A channel of the node opened (issue 38; about no invoice, its body is its own).
    ChannelOpened,
    /// A channel of the node closed, cooperatively or by force (`force_close`, the closing txid).
    ChannelClosed,
    /// A channel stayed inactive longer than `lightning_alert_inactive_minutes`.
    ChannelInactive,
    /// A day at the counter was closed (issue 36: the numbered closing, its date, till and
    /// figures are in its own body; about no invoice).
    DayClosed,
}

impl EventKind {
    /// Every event kind, in the order help texts list them.
    pub const ALL: [EventKind; 11] = [
        EventKind::InvoiceCreated,
        EventKind::PaymentReceived,
        EventKind::PaymentFailed,
        EventKind::InvoiceCancelled,
        EventKind::InvoiceSent,
        EventKind::LiquidityAlert,
        EventKind::PaymentRefunded,
        EventKind::ChannelOpened,
        EventKind::ChannelClosed,
        EventKind::ChannelInactive,
        EventKind::DayClosed,
    ];

    /// The event name used in webhooks, the live stream and the database (`payment_received`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::InvoiceCreated => "invoice_created",
            EventKind::PaymentReceived => "payment_received",
            EventKind::PaymentFailed => "payment_failed",
            EventKind::InvoiceCancelled => "invoice_cancelled",
            EventKind::InvoiceSent => "invoice_sent",
            EventKind::LiquidityAlert => "liquidity_alert",
            EventKind::PaymentRefunded => "payment_refunded",
            EventKind::ChannelOpened => "channel_opened",
            EventKind::ChannelClosed => "channel_closed",
            EventKind::ChannelInactive => "channel_inactive",
            EventKind::DayClosed => "day_closed",
        }
    }

    /// Parses an event name (exactly, as stored).
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Whether the event is about one of our invoices (it names it, and its body is an
    /// [`EventBody`]); only liquidity alerts are not.
    pub fn about_invoice(self) -> bool {
        !matches!(
            self,
            EventKind::LiquidityAlert
                | EventKind::PaymentRefunded
                | EventKind::ChannelOpened
                | EventKind::ChannelClosed
                | EventKind::ChannelInactive
                | EventKind::DayClosed
        )
    }

    /// The states the invoice can be in once this event happened: one for most events; two for
    /// `payment_failed`, which the node's expiry and the node's cancelling both raise (only the
    /// gateway knows which); none for events about no invoice.
    pub fn invoice_states(self) -> &'static [InvoiceState] {
        match self {
            EventKind::InvoiceCreated => &[InvoiceState::Open],
            EventKind::PaymentReceived => &[InvoiceState::Settled],
            EventKind::PaymentFailed => &[InvoiceState::Expired, InvoiceState::Canceled],
            EventKind::InvoiceCancelled => &[InvoiceState::Canceled],
            EventKind::InvoiceSent => &[
                InvoiceState::Open,
                InvoiceState::Expired,
                InvoiceState::Canceled,
                InvoiceState::Settled,
            ],
            EventKind::LiquidityAlert
            | EventKind::PaymentRefunded
            | EventKind::ChannelOpened
            | EventKind::ChannelClosed
            | EventKind::ChannelInactive
            | EventKind::DayClosed => &[],
        }
    }

    /// Whether the event ends its invoice (every state it can leave is final).
    pub fn ends_invoice(self) -> bool {
        let states = self.invoice_states();
        !states.is_empty() && states.iter().all(|s| s.is_final())
    }

    /// Every name joined by `separator` (for help texts and messages).
    pub fn names(separator: &str) -> String {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.join(separator)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The webhook body of an event about an invoice: exactly the spec's fields, in this order, plus
/// `id`. Its serialisation is the payload byte for byte (webhook receivers verify signatures over
/// it, and redeliveries resend the stored bytes), so fields are never added, removed or reordered.
///
/// `amount_eur` is carried as the decimal's exact text (`500.00`) and written as a JSON *number*
/// with that text (never through an `f64`, which could round it): the app has no decimal type
/// (the browser only reads the field), so the gateway formats the decimal and this type checks
/// and copies the digits.
///
/// Reading, only `event`, `invoice_id` and `amount_sats` are required: a cashier's live stream
/// carries just those (the POS screen reads nothing else; no client, numero or description), and
/// the other fields are then empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBody {
    /// Stable event id (`evt_…`), the same on every redelivery.
    #[serde(default)]
    pub id: String,
    /// The event name: an [`EventKind`]'s, or `test` for a test delivery (see [`EventBody::kind`]).
    pub event: String,
    /// Our Lightning invoice id.
    pub invoice_id: String,
    /// Payment hash, hex.
    #[serde(default)]
    pub payment_hash: String,
    /// Whole sats (paid, for payments; else the invoice's amount).
    pub amount_sats: u64,
    /// EUR as exact decimal text with at most two decimals, written as a JSON number.
    #[serde(
        default,
        serialize_with = "decimal_text::serialize",
        deserialize_with = "decimal_text::deserialize"
    )]
    pub amount_eur: String,
    /// When it happened, RFC 3339 UTC.
    #[serde(default)]
    pub timestamp: String,
    /// The invoice's memo.
    #[serde(default)]
    pub description: String,
    /// The EUR invoice the Lightning invoice collects, if any.
    #[serde(default)]
    pub metadata: EventMetadata,
}

/// The `metadata` object of an [`EventBody`]: the EUR invoice collected, if any (`null`s otherwise).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// Numero of the EUR invoice.
    pub original_invoice: Option<String>,
    /// Its client's name.
    pub client: Option<String>,
}

impl EventBody {
    /// The event kind, when the name is one (`None` for `test`).
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.event)
    }

    /// The webhook payload: compact JSON, fields in declaration order. Fails only when
    /// `amount_eur` is not decimal text.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads a payload back (the live event stream's `data`).
    pub fn from_json(text: &str) -> Result<EventBody, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A decimal's exact text as a JSON number (and back).
mod decimal_text {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    /// Whether `text` is a plain decimal: an optional `-`, digits, optionally `.` and digits.
    pub(super) fn is_decimal(text: &str) -> bool {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (digits, None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        all_digits(whole) && fraction.is_none_or(all_digits)
    }

    /// Writes `text` as a JSON number, digit for digit.
    pub(super) fn serialize<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
        if !is_decimal(text) {
            return Err(S::Error::custom(format!("amount '{text}' is not a decimal number")));
        }
        RawValue::from_string(text.to_string())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }

    /// Reads a JSON number as its exact text.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        if !is_decimal(text) {
            return Err(D::Error::custom(format!("amount {text} is not a decimal number")));
        }
        Ok(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> EventBody {
        EventBody {
            id: "evt_1".into(),
            event: EventKind::PaymentReceived.as_str().into(),
            invoice_id: "INV-001-LN".into(),
            payment_hash: "ab".into(),
            amount_sats: 27_778,
            amount_eur: "500.00".into(),
            timestamp: "2026-01-02T03:04:05Z".into(),
            description: "Fattura \"1\"\n".into(),
            metadata: EventMetadata {
                original_invoice: Some("INV-001".into()),
                client: None,
            },
        }
    }

    #[test]
    fn the_body_is_the_webhook_payload_byte_for_byte() -> Result<(), serde_json::Error> {
        let json = body().to_json()?;
        assert_eq!(
            json,
            "{\"id\":\"evt_1\",\"event\":\"payment_received\",\"invoice_id\":\"INV-001-LN\",\"payment_hash\":\"ab\",\
             \"amount_sats\":27778,\"amount_eur\":500.00,\"timestamp\":\"2026-01-02T03:04:05Z\",\
             \"description\":\"Fattura \\\"1\\\"\\n\",\"metadata\":{\"original_invoice\":\"INV-001\",\"client\":null}}"
        );
        assert_eq!(EventBody::from_json(&json)?, body());
        Ok(())
    }

    #[test]
    fn amounts_must_be_decimal_text() {
        for bad in ["", "1e3", "NaN", "12.", ".5", "1,5", "\"1\"", "-"] {
            let mut b = body();
            b.amount_eur = bad.into();
            assert!(b.to_json().is_err(), "{bad:?}");
        }
        for good in ["0", "-3.5", "12345678901234567890.12"] {
            let mut b = body();
            b.amount_eur = good.into();
            let json = b.to_json().unwrap_or_default();
            assert!(json.contains(&format!("\"amount_eur\":{good},")), "{json}");
        }
        assert!(EventBody::from_json(&body().to_json().unwrap_or_default().replace("500.00", "\"500.00\"")).is_err());
    }

    #[test]
    fn event_names_round_trip_and_only_alerts_are_about_no_invoice() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.about_invoice(), !kind.invoice_states().is_empty(), "{kind}");
        }
        assert_eq!(EventKind::parse("test"), None);
        assert_eq!(
            EventKind::names(", "),
            "invoice_created, payment_received, payment_failed, invoice_cancelled, invoice_sent, liquidity_alert, \
             payment_refunded, channel_opened, channel_closed, channel_inactive, day_closed"
        );
        let ending: Vec<_> = EventKind::ALL.into_iter().filter(|k| k.ends_invoice()).collect();
        assert_eq!(
            ending,
            [
                EventKind::PaymentReceived,
                EventKind::PaymentFailed,
                EventKind::InvoiceCancelled
            ]
        );
    }
}
