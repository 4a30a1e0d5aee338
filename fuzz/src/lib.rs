//! Bodies of the fuzz targets.
//!
//! Each function feeds one input to a real parser of the product and checks that it either
//! accepts it (with sane results) or refuses it with a non-empty message — never a panic.
//! The `cargo fuzz` targets in `fuzz_targets/` call them, and so does the server's normal test
//! suite (`server/tests/properties/fuzz_corpus.rs` includes this file), over the seed corpus in
//! `corpus/<target>/` plus deterministic mutations, so every CI run exercises them briefly.

use std::path::Path;
use std::str::FromStr;

use openfatture::config::{EnvVars, Home, Settings, KEYS};
use openfatture::money::{eur_to_msat, msat_to_eur, MSAT_PER_SAT};
use rust_decimal::Decimal;

/// Rates (EUR per BTC) every parsed amount is converted at: tiny, typical and huge.
const RATES: [&str; 5] = ["0.000000000001", "1", "45000", "45000.123456789", "99999999999999"];

/// FatturaPA files as the import reads them → invoices: plain XML, signed `.p7m` (DER or base64)
/// and `.zip` archives of them; invoices with sane amounts or a clear error. Returns whether
/// something was accepted.
pub fn fatturapa_parse(data: &[u8]) -> bool {
    if openfatture::fatturapa::is_zip(data) {
        return match openfatture::fatturapa::unpack_zip(data, "fuzz.zip") {
            Ok(entries) => {
                let mut accepted = false;
                for entry in entries {
                    if let openfatture::fatturapa::ArchiveEntry::Invoice { name, bytes } = entry {
                        accepted |= fatturapa_file(&bytes, &name);
                    }
                }
                accepted
            }
            Err(error) => {
                assert!(!error.to_string().is_empty(), "empty error message");
                false
            }
        };
    }
    fatturapa_file(data, "fuzz.xml")
}

/// One FatturaPA file, XML or signed: `parse_fattura_file` returns invoices with sane amounts
/// or a clear error.
fn fatturapa_file(data: &[u8], name: &str) -> bool {
    match openfatture::fatturapa::parse_fattura_file(data, name) {
        Ok(parsed) => {
            let invoices = parsed.invoices;
            assert!(!invoices.is_empty(), "an accepted file has at least one invoice");
            for invoice in invoices {
                assert!(
                    !invoice.numero.trim().is_empty(),
                    "accepted an invoice without a numero"
                );
                assert_eq!(invoice.divisa, "EUR", "accepted a non-EUR invoice");
                for amount in [invoice.totale_eur, invoice.ritenuta_eur, invoice.bollo_eur] {
                    assert!(amount.normalize().scale() <= 2, "amount {amount} is not in whole cents");
                }
                // Must not overflow or panic, and the derivation adds up to the computation.
                let _ = invoice.amount_due_eur();
                let _ = invoice.due_warning();
                let steps: Decimal = invoice.derivation.iter().map(|s| s.amount_eur).sum();
                assert_eq!(steps, invoice.computed_due_eur(), "the derivation does not add up");
            }
            true
        }
        Err(error) => {
            assert!(!error.to_string().is_empty(), "empty error message");
            false
        }
    }
}

/// A typed EUR amount (`12,50`, `12.50`, optionally `AMOUNT@RATE`) → msat and back.
///
/// Parses like the POS counter does (`gateway::pos::parse_counter_amount`, which is private:
/// trim, `,` → `.`, `Decimal::from_str`), then converts with the public
/// `money::eur_to_msat` / `money::msat_to_eur` at the given rate or at each of [`RATES`].
/// Returns whether at least one conversion succeeded.
pub fn amount_parse(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let (amount_text, rate_text) = match text.split_once('@') {
        Some((amount, rate)) => (amount, Some(rate)),
        None => (text.as_ref(), None),
    };
    let Some(amount_eur) = counter_amount(amount_text) else {
        return false;
    };
    let rates: Vec<Decimal> = match rate_text {
        Some(rate) => counter_amount(rate).into_iter().collect(),
        None => RATES.iter().filter_map(|r| Decimal::from_str(r).ok()).collect(),
    };
    let mut converted = false;
    for eur_per_btc in rates {
        match eur_to_msat(amount_eur, eur_per_btc) {
            Ok(amount_msat) => {
                converted = true;
                assert!(amount_eur > Decimal::ZERO, "accepted {amount_eur} EUR");
                assert!(amount_msat > 0, "{amount_eur} EUR became 0 msat");
                assert_eq!(amount_msat % MSAT_PER_SAT, 0, "msat not in whole sats");
                match msat_to_eur(amount_msat, eur_per_btc) {
                    Ok(back_eur) => assert!(
                        back_eur >= amount_eur,
                        "{amount_eur} EUR → {amount_msat} msat → {back_eur} EUR at {eur_per_btc}"
                    ),
                    Err(error) => assert!(!error.to_string().is_empty(), "empty error message"),
                }
            }
            Err(error) => assert!(!error.to_string().is_empty(), "empty error message"),
        }
    }
    converted
}

/// The POS counter's reading of a typed amount, `None` when it is not a number.
fn counter_amount(text: &str) -> Option<Decimal> {
    Decimal::from_str(&text.trim().replace(',', ".")).ok()
}

/// A configuration value for every key (as its environment variable), and the same bytes as a
/// whole `config.toml` in `scratch_dir`: settings load, or the error names what is wrong.
/// Returns how many of the loads succeeded.
pub fn config_value_parse(data: &[u8], scratch_dir: &Path) -> usize {
    let mut loaded = 0;
    let value = String::from_utf8_lossy(data);
    let empty_home = Home::at(scratch_dir.join("no-config-here"));
    for key in KEYS.iter() {
        let env = EnvVars::from_pairs([(key.env_var(), value.to_string())]);
        match Settings::load_with(&empty_home, &env) {
            Ok(_) => loaded += 1,
            Err(error) => {
                let message = error.to_string();
                assert!(!message.is_empty(), "empty error message for {}", key.name);
                if key.secret && value.trim().len() >= 8 {
                    assert!(
                        !message.contains(value.trim()),
                        "the error for secret {} repeats its value",
                        key.name
                    );
                }
            }
        }
    }
    let home = Home::at(scratch_dir);
    if std::fs::write(&home.config_file, data).is_ok() {
        match Settings::load_with(&home, &EnvVars::from_pairs(Vec::<(String, String)>::new())) {
            Ok(_) => loaded += 1,
            Err(error) => assert!(!error.to_string().is_empty(), "empty error message for a config.toml"),
        }
    }
    loaded
}
