//! Tablet pairing (issue 36): an admin makes a one-time code for a till (8 characters from an
//! alphabet without look-alikes, valid [`PAIRING_CODE_TTL_SECS`], single use); a POS signed in as
//! staff redeems it once for a device token (32 random bytes) that its cookie keeps. Both are
//! stored as SHA-256 hex only. A sale from a paired device goes to its till.

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::{CounterError, CounterService};
use crate::store::{Redeemed, TillDeviceRow, TillRow};

/// The pairing code's characters: no `0`/`O`, `1`/`I`/`L`.
pub const PAIRING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a pairing code.
pub const PAIRING_CODE_CHARS: usize = 8;
/// How long a pairing code is valid, seconds (10 minutes).
pub const PAIRING_CODE_TTL_SECS: i64 = 10 * 60;

/// SHA-256 hex of a code or token: what the database keeps.
fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A code as typed, normalised: upper case, without spaces and dashes; `None` when it cannot be
/// a pairing code (wrong length or a character outside the alphabet).
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == PAIRING_CODE_CHARS && code.bytes().all(|b| PAIRING_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The digest under which a device token is stored (what the session guard looks up).
pub fn device_digest(token: &str) -> String {
    digest(token)
}

/// A new pairing code.
fn new_code() -> SecretString {
    let mut rng = rand::thread_rng();
    let code: String = (0..PAIRING_CODE_CHARS)
        .map(|_| char::from(PAIRING_ALPHABET[rng.gen_range(0..PAIRING_ALPHABET.len())]))
        .collect();
    SecretString::from(code)
}

/// A new device token: 32 random bytes, hex.
fn new_device_token() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill(&mut bytes);
    SecretString::from(hex::encode(bytes))
}

impl CounterService {
    /// A new one-time pairing code for till `name`, made by `admin`.
    pub async fn pairing_code(&self, name: &str, admin: &str) -> Result<(TillRow, SecretString), CounterError> {
        let tills = self.store.tills().await?;
        let till = tills
            .into_iter()
            .find(|till| till.name == name.trim())
            .ok_or_else(|| CounterError::UnknownTill(name.trim().to_string()))?;
        let code = new_code();
        self.store
            .add_pairing_code(&digest(code.expose_secret()), till.id, admin, crate::time::now_secs())
            .await?;
        Ok((till, code))
    }

    /// Redeems a pairing code typed on a tablet where `cashier` is signed in: the till and the
    /// new device token. A code that is malformed, unknown, used or older than
    /// [`PAIRING_CODE_TTL_SECS`] is refused alike and changes nothing.
    pub async fn pair_device(&self, typed: &str, cashier: &str) -> Result<(TillRow, SecretString), CounterError> {
        let code = normalise_code(typed).ok_or(CounterError::BadPairingCode)?;
        let token = new_device_token();
        let now = crate::time::now_secs();
        let redeemed = self
            .store
            .redeem_pairing_code(
                &digest(&code),
                now - PAIRING_CODE_TTL_SECS,
                &digest(token.expose_secret()),
                cashier,
                now,
            )
            .await?;
        match redeemed {
            Redeemed::Paired(till) => Ok((till, token)),
            Redeemed::Refused => Err(CounterError::BadPairingCode),
        }
    }

    /// The till of the paired device whose cookie holds `token`; `None` when it is not (or no
    /// longer) paired.
    pub async fn device_till(&self, token: &str) -> Result<Option<TillRow>, CounterError> {
        Ok(self.store.device_till(&device_digest(token)).await?)
    }

    /// Notes that the device holding `token` rang up a sale now.
    pub async fn touch_device(&self, token: &str) -> Result<(), CounterError> {
        Ok(self
            .store
            .touch_device(&device_digest(token), crate::time::now_secs())
            .await?)
    }

    /// The paired devices, of till `name` only when given.
    pub async fn devices(&self, name: Option<&str>) -> Result<Vec<TillDeviceRow>, CounterError> {
        let till_id = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => Some(
                self.store
                    .tills()
                    .await?
                    .into_iter()
                    .find(|till| till.name == name)
                    .ok_or_else(|| CounterError::UnknownTill(name.to_string()))?
                    .id,
            ),
            None => None,
        };
        Ok(self.store.till_devices(till_id).await?)
    }

    /// Unpairs device `id`: its sales go to the default till again.
    pub async fn unpair(&self, id: i64) -> Result<TillDeviceRow, CounterError> {
        self.store
            .unpair_device(id, crate::time::now_secs())
            .await?
            .ok_or(CounterError::UnknownDevice(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_and_typing_is_forgiving() {
        for _ in 0..50 {
            let code = new_code();
            assert_eq!(
                normalise_code(code.expose_secret()).as_deref(),
                Some(code.expose_secret())
            );
        }
        assert_eq!(normalise_code(" abcd-efgh ").as_deref(), Some("ABCDEFGH"));
        for bad in ["", "ABCDEFG", "ABCDEFGHJ", "ABCDEFG0", "ABCDEFGI", "ABCDÉFGH"] {
            assert_eq!(normalise_code(bad), None, "{bad:?}");
        }
        assert_eq!(new_device_token().expose_secret().len(), 64);
    }
}
