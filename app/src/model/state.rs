//! The lifecycle of one of our Lightning invoices: one enum for the store, the CLI, the gateway and
//! the browser. Its names (`PENDING`, `OPEN`, …) are what the database stores, what JSON carries
//! and what the CLI's `--status` and the admin page's filter accept.

use serde::{Deserialize, Serialize};

/// Lifecycle state of one of our Lightning invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InvoiceState {
    /// Recorded, the node has not confirmed it yet (a create that may have timed out).
    Pending,
    /// Payable.
    Open,
    /// A hold invoice's payment is held, not yet settled.
    Accepted,
    /// Paid.
    Settled,
    /// Cancelled (by us, or by the node).
    Canceled,
    /// Expired unpaid.
    Expired,
}

impl InvoiceState {
    /// Every state, in lifecycle order (the order lists and filters show them in).
    pub const ALL: [InvoiceState; 6] = [
        InvoiceState::Pending,
        InvoiceState::Open,
        InvoiceState::Accepted,
        InvoiceState::Settled,
        InvoiceState::Canceled,
        InvoiceState::Expired,
    ];

    /// The stored and displayed name (`OPEN`, `SETTLED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceState::Pending => "PENDING",
            InvoiceState::Open => "OPEN",
            InvoiceState::Accepted => "ACCEPTED",
            InvoiceState::Settled => "SETTLED",
            InvoiceState::Canceled => "CANCELED",
            InvoiceState::Expired => "EXPIRED",
        }
    }

    /// Parses a stored or user-given name, case-insensitively; `CANCELLED` is accepted too.
    pub fn parse(text: &str) -> Option<InvoiceState> {
        let upper = text.to_ascii_uppercase();
        if upper == "CANCELLED" {
            return Some(InvoiceState::Canceled);
        }
        InvoiceState::ALL.into_iter().find(|state| state.as_str() == upper)
    }

    /// Whether the invoice can no longer change.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            InvoiceState::Settled | InvoiceState::Canceled | InvoiceState::Expired
        )
    }

    /// Whether it can still be paid (the QR code and BOLT11 are worth showing).
    pub fn is_payable(self) -> bool {
        !self.is_final()
    }

    /// Every name joined by `separator`, lower-case when `lower` (for help texts and messages).
    pub fn names(separator: &str, lower: bool) -> String {
        let names: Vec<String> = InvoiceState::ALL
            .iter()
            .map(|s| {
                if lower {
                    s.as_str().to_ascii_lowercase()
                } else {
                    s.as_str().to_string()
                }
            })
            .collect();
        names.join(separator)
    }
}

impl std::fmt::Display for InvoiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_parse_is_lenient() {
        for state in InvoiceState::ALL {
            assert_eq!(InvoiceState::parse(state.as_str()), Some(state));
            assert_eq!(InvoiceState::parse(&state.as_str().to_ascii_lowercase()), Some(state));
            let json = serde_json::to_string(&state).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(InvoiceState::parse("Cancelled"), Some(InvoiceState::Canceled));
        assert_eq!(InvoiceState::parse("PAID"), None);
        assert_eq!(
            InvoiceState::names(", ", true),
            "pending, open, accepted, settled, canceled, expired"
        );
    }

    #[test]
    fn only_settled_canceled_and_expired_are_final() {
        let finals: Vec<_> = InvoiceState::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [InvoiceState::Settled, InvoiceState::Canceled, InvoiceState::Expired]
        );
    }
}
