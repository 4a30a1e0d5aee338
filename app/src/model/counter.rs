//! The shop counter's closed lists, named by the keypad and the gateway alike: the IVA rates a
//! sale may have (22, 10, 5, 4 %, or 0 % with its Natura code N1–N7), the tip percentages, and
//! a till as the POS sees it.

use serde::{Deserialize, Serialize};

/// The tip percentages offered after the amount (0 is "no tip").
pub const TIP_PERCENTS: [u8; 4] = [0, 5, 10, 15];

/// A sale's IVA rate: 22, 10, 5 or 4 %, or 0 % with its Natura code (`N1`–`N7`). Written `22`,
/// `10`, `5`, `4`, `0:N2` on the wire and in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VatRate {
    percent: u8,
    /// The Natura code's number (1–7) for 0 %, 0 otherwise.
    natura: u8,
}

impl VatRate {
    /// The standard rate, 22 %.
    pub const STANDARD: VatRate = VatRate { percent: 22, natura: 0 };

    /// The rates the keypad offers in one tap: 22, 10, 5, 4 and `0:N2` (not subject).
    pub const CHOICES: [VatRate; 5] = [
        VatRate { percent: 22, natura: 0 },
        VatRate { percent: 10, natura: 0 },
        VatRate { percent: 5, natura: 0 },
        VatRate { percent: 4, natura: 0 },
        VatRate { percent: 0, natura: 2 },
    ];

    /// Parses `22`, `10`, `5`, `4` or `0:N1`…`0:N7` (also `22%`; spaces around are ignored);
    /// `None` for anything else (0 without a Natura code included).
    pub fn parse(text: &str) -> Option<VatRate> {
        let text = text.trim();
        if let Some(code) = text.strip_prefix("0:") {
            let number = code.trim().strip_prefix('N')?;
            let natura: u8 = match number {
                "1" | "2" | "3" | "4" | "5" | "6" | "7" => number.parse().ok()?,
                _ => return None,
            };
            return Some(VatRate { percent: 0, natura });
        }
        let number = text.strip_suffix('%').unwrap_or(text);
        match number {
            "22" | "10" | "5" | "4" => Some(VatRate {
                percent: number.parse().ok()?,
                natura: 0,
            }),
            _ => None,
        }
    }

    /// The rate in percent.
    pub fn percent(self) -> u8 {
        self.percent
    }

    /// The Natura code (`N2`) of a 0 % rate.
    pub fn natura(self) -> Option<String> {
        (self.natura > 0).then(|| format!("N{}", self.natura))
    }

    /// The text stored and sent: `22`, `0:N2`.
    pub fn code(self) -> String {
        match self.natura() {
            Some(natura) => format!("0:{natura}"),
            None => self.percent.to_string(),
        }
    }

    /// What the keypad's button shows: `22%`, `0% N2`.
    pub fn label(self) -> String {
        match self.natura() {
            Some(natura) => format!("0% {natura}"),
            None => format!("{}%", self.percent),
        }
    }
}

/// The tip for `percent` % of a gross amount, in cents, rounded half-up to the cent.
pub fn tip_cents_for_percent(gross_cents: u64, percent: u8) -> u64 {
    (gross_cents.saturating_mul(u64::from(percent)) + 50) / 100
}

/// A paid sale's receipt link, for the POS's paid screen (issue 36).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLink {
    /// The sale's id (its Lightning invoice id).
    pub invoice_id: String,
    /// A new customer link to the receipt page: `{public_base_url}/r/{token}`, or `/r/{token}`
    /// alone when no public address is set (the POS then puts its own address in front).
    pub url: String,
    /// Whether the sale's till has a receipt printer.
    pub has_printer: bool,
}

/// A till as the POS lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillView {
    /// Its name (`Cassa 1`).
    pub name: String,
    /// Its default IVA rate (`22`, `0:N2`).
    pub vat_rate: String,
    /// Whether it is the default till (sales from a POS that chose none go there).
    pub is_default: bool,
    /// Whether this browser is a tablet paired to it: every sale from here goes to it.
    #[serde(default)]
    pub paired: bool,
}

/// A till as the back office's Tills card lists it (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillAdminView {
    /// Its name (`Cassa 1`).
    pub name: String,
    /// Its default IVA rate (`22`, `0:N2`).
    pub vat_rate: String,
    /// `HOST:PORT` of its ESC/POS receipt printer; empty when it has none.
    pub printer_address: String,
    /// Whether it prints each paid sale's receipt by itself (only with a printer).
    pub auto_print: bool,
    /// Whether it is the default till (sales from a POS that chose none go there).
    pub is_default: bool,
}

/// A tablet paired to a till, as the Tills card lists it (admin; issue 36).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillDeviceView {
    /// Its id (what unpairing takes).
    pub id: i64,
    /// Its till's name.
    pub till: String,
    /// The staff member signed in on it when it was paired.
    pub paired_by: String,
    /// When it was paired (unix seconds).
    pub paired_at: i64,
    /// When it last rang up a sale (unix seconds).
    pub last_seen_at: i64,
}

/// A one-time pairing code for a till, shown once in the back office (admin; issue 36).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingCodeView {
    /// The till it pairs a tablet to.
    pub till: String,
    /// The code to type on the tablet (8 characters).
    pub code: String,
    /// When it stops being valid (unix seconds).
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print_their_code() {
        for (text, code) in [
            ("22", "22"),
            ("10", "10"),
            ("5", "5"),
            ("4", "4"),
            ("0:N2", "0:N2"),
            (" 22% ", "22"),
            ("0:N7", "0:N7"),
        ] {
            assert_eq!(VatRate::parse(text).map(VatRate::code).as_deref(), Some(code), "{text}");
        }
        for bad in ["0", "21", "0:N8", "0:N0", "0:X2", "", "22.0", "-22", "0:n2", "100"] {
            assert_eq!(VatRate::parse(bad), None, "{bad}");
        }
        assert_eq!(VatRate::parse("0:N2").and_then(VatRate::natura).as_deref(), Some("N2"));
        assert_eq!(VatRate::STANDARD.label(), "22%");
    }

    #[test]
    fn tips_round_half_up_to_the_cent() {
        assert_eq!(tip_cents_for_percent(1000, 10), 100);
        assert_eq!(tip_cents_for_percent(1250, 15), 188); // 187.5 → 188
        assert_eq!(tip_cents_for_percent(1230, 5), 62); // 61.5 → 62
        assert_eq!(tip_cents_for_percent(1229, 5), 61); // 61.45 → 61
        assert_eq!(tip_cents_for_percent(1229, 0), 0);
    }
}
