//! The client's identity for large Lightning invoices (`lightning_identity_threshold_eur`):
//! the codice fiscale and partita IVA checks, and which identity an invoice records.

use rust_decimal::Decimal;

use crate::config::vat_number;
use crate::store::{ClientIdentity, Fattura};

/// Values of the characters in odd positions (1st, 3rd, …) of a codice fiscale, digits and
/// letters alike (`0`/`A` = 1, `1`/`B` = 0, …), by the Ministero delle Finanze's table.
const CF_ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Letters that stand for digits in a codice fiscale changed for omocodia (`L` = 0 … `V` = 9).
const OMOCODIA: &str = "LMNPQRSTUV";

/// The codice fiscale of a person when `raw` is one: 16 characters (letters where letters go,
/// digits or their omocodia letters where digits go) with a valid check character; upper-cased,
/// spaces ignored.
pub fn codice_fiscale(raw: &str) -> Option<String> {
    let cf: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = cf.as_bytes();
    if bytes.len() != 16 {
        return None;
    }
    let letter_at = [0, 1, 2, 3, 4, 5, 8, 11, 15];
    for (i, &b) in bytes.iter().enumerate() {
        let ok = if letter_at.contains(&i) {
            b.is_ascii_uppercase()
        } else {
            b.is_ascii_digit() || OMOCODIA.as_bytes().contains(&b)
        };
        if !ok {
            return None;
        }
    }
    let value = |b: u8| -> usize {
        if b.is_ascii_digit() {
            usize::from(b - b'0')
        } else {
            usize::from(b - b'A')
        }
    };
    let sum: u32 = bytes[..15]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if i % 2 == 0 {
                CF_ODD[value(b)]
            } else {
                u32::try_from(value(b)).unwrap_or(0)
            }
        })
        .sum();
    let check = b'A' + u8::try_from(sum % 26).unwrap_or(0);
    (bytes[15] == check).then_some(cf)
}

/// Why a tax id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid codice fiscale or partita IVA: give the 16-character codice fiscale, the 11-digit partita IVA (or company codice fiscale) with its check digit, or a foreign VAT id with its country prefix (e.g. DE123456789)")]
pub struct TaxIdError(pub String);

/// The client tax id as recorded: a person's codice fiscale (16 characters, checked), an Italian
/// partita IVA or company codice fiscale (11 digits, `IT` optional, checked), or a foreign VAT
/// id (two-letter country prefix other than `IT`, then 2–13 letters or digits) as given.
pub fn tax_id(raw: &str) -> Result<String, TaxIdError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if let Some(cf) = codice_fiscale(&compact) {
        return Ok(cf);
    }
    if let Some(piva) = vat_number(&compact) {
        return Ok(piva);
    }
    let (prefix, rest) = compact.split_at(compact.len().min(2));
    let foreign = prefix.len() == 2
        && prefix != "IT"
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (2..=13).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        && rest.bytes().any(|b| b.is_ascii_digit());
    if foreign {
        return Ok(compact);
    }
    Err(TaxIdError(raw.trim().to_string()))
}

/// What an invoice of `amount_eur` needs: `Ok(None)` below the threshold (or with none set) and
/// nothing entered; the identity to record otherwise, from `fattura` (its CessionarioCommittente)
/// when it has a name and a tax id, else from what was entered. `Err(Some(e))` for an entered
/// tax id that is not valid; `Err(None)` when the identity is required but missing.
pub fn required_identity(
    threshold_eur: Option<Decimal>,
    amount_eur: Decimal,
    fattura: Option<&Fattura>,
    entered_name: Option<&str>,
    entered_tax_id: Option<&str>,
) -> Result<Option<ClientIdentity>, Option<TaxIdError>> {
    let entered_name = entered_name.map(str::trim).filter(|n| !n.is_empty());
    let entered_tax_id = entered_tax_id.map(str::trim).filter(|t| !t.is_empty());
    let entered_tax_id = entered_tax_id.map(tax_id).transpose().map_err(Some)?;
    let required = threshold_eur.is_some_and(|t| amount_eur >= t);
    if let Some(f) = fattura {
        let tax = f
            .client_piva
            .clone()
            .or_else(|| f.client_cf.clone())
            .filter(|t| !t.trim().is_empty());
        if let (false, Some(tax)) = (f.client_name.trim().is_empty(), tax) {
            return Ok(required.then(|| ClientIdentity {
                client_name: f.client_name.clone(),
                client_tax_id: tax,
                from_fattura: true,
            }));
        }
    }
    match (entered_name, entered_tax_id) {
        (Some(name), Some(tax)) => Ok(Some(ClientIdentity {
            client_name: name.to_string(),
            client_tax_id: tax,
            from_fattura: false,
        })),
        _ if required => Err(None),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codici_fiscali_need_their_check_character() {
        assert_eq!(codice_fiscale("RSSMRA85T10A562S").as_deref(), Some("RSSMRA85T10A562S"));
        assert_eq!(codice_fiscale("mrtmtt91d08f205j").as_deref(), Some("MRTMTT91D08F205J"));
        // Wrong check character (the right one is S / J).
        assert_eq!(codice_fiscale("RSSMRA85T10A562T"), None);
        assert_eq!(codice_fiscale("BNCGVN80A01H501U"), None);
        // Omocodia: the last digit 2 written as its letter N, check character recomputed.
        assert_eq!(codice_fiscale("RSSMRA85T10A56NH").as_deref(), Some("RSSMRA85T10A56NH"));
        // A letter where a digit goes, too short, too long.
        assert_eq!(codice_fiscale("RSSMRA8AT10A562S"), None);
        assert_eq!(codice_fiscale("RSSMRA85T10A562"), None);
        assert_eq!(codice_fiscale("RSSMRA85T10A562SX"), None);
    }

    #[test]
    fn tax_ids_are_checked_or_taken_as_given_when_foreign() {
        assert_eq!(tax_id("RSSMRA85T10A562S"), Ok("RSSMRA85T10A562S".into()));
        // Partita IVA 01234567897 (check digit 7), with or without IT.
        assert_eq!(tax_id("01234567897"), Ok("01234567897".into()));
        assert_eq!(tax_id("IT 01234567897"), Ok("01234567897".into()));
        assert!(tax_id("01234567890").is_err());
        assert!(tax_id("IT01234567890").is_err());
        assert_eq!(tax_id("DE123456789"), Ok("DE123456789".into()));
        assert_eq!(tax_id("fr12345678901"), Ok("FR12345678901".into()));
        assert!(tax_id("Mario Rossi").is_err());
        assert!(tax_id("").is_err());
    }
}
