//! Payment links: the client's way to the payment page `/pay/{token}`. A token is
//! HMAC-SHA256(link key, "openfatture payment-link v1" ‖ target ‖ nonce), written base64url
//! without padding (43 characters): the link key is 32 random bytes the gateway keeps in
//! `payment_link.key` in its data directory (0600, never logged nor sent), the target is the
//! fattura or standalone invoice the link opens and the nonce 32 random bytes stored with the link.
//! Only the token's SHA-256 is stored, so the database alone opens nothing; with the key the live
//! link can be derived again, so every courtesy PDF and `lightning invoice link ID` show the same
//! link until it is revoked or replaced. The target and the nonce stand for the link's row: they
//! are known before the row is written, so its hash goes in with the one INSERT. A link made
//! before tokens were derived (no nonce), or under another key (another gateway's data directory,
//! a key file moved away), still opens the page but cannot be shown again: sharing that invoice
//! replaces it once. A link belongs to a fattura (every new quote of it keeps the link) or to a
//! standalone Lightning invoice; POS sales get none. Lookups compare the stored hash in constant
//! time; a revoked link opens nothing.

use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{CreateRequest, InvoiceError, InvoiceService};
use crate::store::{
    Fattura, InvoiceOrigin, InvoiceState, LinkTarget, LnInvoice, NewLink, PaymentLink, Store, StoreError,
};
use crate::time::now_secs;

/// The link key's file in the data directory.
pub const LINK_KEY_FILE: &str = "payment_link.key";
/// Random bytes in a link's nonce.
const NONCE_BYTES: usize = 32;
/// What every derived token's MAC starts with (domain separation).
const TOKEN_DOMAIN: &[u8] = b"openfatture payment-link v1\0";

/// The secret key payment-link tokens are derived from. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct LinkKey(Arc<SecretBox<[u8; 32]>>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(hidden)")
    }
}

/// A link just derived: its token (secret), the SHA-256 to store and the nonce (hex).
pub struct DerivedLink {
    /// The token, for the URL.
    pub token: SecretString,
    /// Its SHA-256, hex, as stored.
    pub token_hash: String,
    /// The nonce it was derived from, hex, as stored.
    pub nonce_hex: String,
}

impl DerivedLink {
    /// What the store keeps of it.
    pub fn stored(&self) -> NewLink<'_> {
        NewLink {
            token_hash: &self.token_hash,
            token_nonce: &self.nonce_hex,
        }
    }
}

impl LinkKey {
    /// A key of these bytes.
    pub fn from_secret(key: SecretBox<[u8; 32]>) -> Self {
        LinkKey(Arc::new(key))
    }

    /// A key made now and kept only in memory (its links can be shown again only by this process).
    pub fn ephemeral() -> Self {
        let mut bytes = Box::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        LinkKey(Arc::new(SecretBox::new(bytes)))
    }

    /// The key in `payment_link.key` under `data_dir`, made (0600) when it does not exist.
    pub fn load_or_create(data_dir: &std::path::Path) -> std::io::Result<Self> {
        crate::config::private_files::ensure_private_dir(data_dir)?;
        let key = crate::config::private_files::read_or_create_key(&data_dir.join(LINK_KEY_FILE))?;
        Ok(LinkKey::from_secret(key))
    }

    /// The token of the link to `target` with `nonce`.
    pub fn token(&self, target: &LinkTarget, nonce: &[u8]) -> SecretString {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret()).unwrap_or_else(|_| {
            // HMAC takes keys of any length; a 32-byte key never fails.
            unreachable!("HMAC-SHA256 accepts any key length")
        });
        mac.update(TOKEN_DOMAIN);
        match target {
            LinkTarget::Fattura(id) => mac.update(format!("fattura:{id}\0").as_bytes()),
            LinkTarget::LnInvoice(id) => mac.update(format!("invoice:{id}\0").as_bytes()),
        }
        mac.update(nonce);
        let bytes = mac.finalize().into_bytes();
        SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A new link to `target`: a fresh nonce and the token derived from it.
    pub fn new_link(&self, target: &LinkTarget) -> DerivedLink {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let token = self.token(target, &nonce);
        DerivedLink {
            token_hash: token_hash(token.expose_secret()),
            token,
            nonce_hex: hex::encode(nonce),
        }
    }

    /// The token of stored `link` derived again, when it was derived with this key (its hash
    /// matches, compared in constant time); `None` for a link with no nonce or of another key.
    pub fn reshow(&self, link: &PaymentLink) -> Option<SecretString> {
        let nonce = hex::decode(link.token_nonce.as_deref()?).ok()?;
        let token = self.token(&link.target, &nonce);
        let hash = token_hash(token.expose_secret());
        let same: bool = hash.as_bytes().ct_eq(link.token_hash.as_bytes()).into();
        same.then_some(token)
    }
}

/// Random bytes in a token (256 bits).
pub const TOKEN_BYTES: usize = 32;
/// Characters of a token: 32 bytes in base64url without padding.
pub const TOKEN_CHARS: usize = 43;
/// The path of the payment page under the public address.
pub const PAY_PATH: &str = "/pay/";

/// Refusals of link operations.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No Lightning invoice with that id.
    #[error("no Lightning invoice {0}: see `openfatture lightning invoice list`")]
    UnknownLnInvoice(String),
    /// POS sales are paid at the counter and have no payment link.
    #[error("{0} is a POS sale, paid at the counter: POS sales have no payment link")]
    PosSale(String),
    /// A new quote was asked while the current invoice can still be paid.
    #[error("the current Lightning invoice can still be paid: no new quote needed")]
    StillPayable,
    /// Nothing is due any more, or the link is not for a fattura.
    #[error("nothing is left to pay on this link")]
    NothingDue,
    /// The merchant does not allow new quotes from the payment page.
    #[error("new quotes from the payment page are turned off (lightning_pay_page_requote)")]
    RequoteOff,
    /// Making the new invoice failed.
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The courtesy copy could not be drawn.
    #[error(transparent)]
    Courtesy(#[from] crate::render::CourtesyError),
    /// The email with the link could not be sent (nothing was changed).
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    /// No email with that number in the outbox.
    #[error("no email {0} in the outbox")]
    UnknownMail(i64),
}

/// A new token: its text (to show once) and the hex SHA-256 that is stored.
pub fn new_token() -> (SecretString, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (SecretString::from(token), hash)
}

/// The hex SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `text` has a token's shape (43 base64url characters).
pub fn is_token_shaped(text: &str) -> bool {
    text.len() == TOKEN_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The link of `token`: `{base}/pay/{token}`, or the bare path when no public address is set.
pub fn payment_url(public_base_url: Option<&str>, token: &SecretString) -> String {
    let base = public_base_url.unwrap_or("").trim_end_matches('/');
    format!("{base}{PAY_PATH}{}", token.expose_secret())
}

/// What a link's target is for an invoice: its fattura, or the invoice itself if standalone.
pub(super) fn target_of(invoice: &LnInvoice) -> LinkTarget {
    match invoice.fattura_id {
        Some(id) => LinkTarget::Fattura(id),
        None => LinkTarget::LnInvoice(invoice.id.clone()),
    }
}

/// Makes a link for a newly created (or reused) invoice unless its target has a live one; the
/// new token. POS sales get none.
pub(crate) async fn issue_if_none(
    store: &Store,
    key: &LinkKey,
    invoice: &LnInvoice,
) -> Result<Option<SecretString>, StoreError> {
    if invoice.origin == InvoiceOrigin::Pos {
        return Ok(None);
    }
    let target = target_of(invoice);
    let link = key.new_link(&target);
    let added = store
        .add_payment_link_if_none(&target, link.stored(), now_secs())
        .await?;
    Ok(added.then_some(link.token))
}

/// What `lightning invoice link ID` found or did.
#[derive(Debug)]
pub enum LinkOutcome {
    /// A new link (none was live, or the live one was replaced): its token.
    Issued(SecretString),
    /// The live link, derived again: its token.
    Live(SecretString),
    /// A link is live but was made before tokens were derived (or under another link key), so it
    /// cannot be shown again.
    LiveHidden,
    /// The live link was revoked.
    Revoked,
    /// There was no live link to revoke.
    NoneLive,
}

/// Everything the payment page shows about a link, read from our records.
#[derive(Debug, Clone)]
pub struct PayTarget {
    /// The Lightning invoice shown (the newest attempt for a fattura).
    pub invoice: LnInvoice,
    /// The fattura, if the link is for one.
    pub fattura: Option<Fattura>,
    /// The preimage (hex), once the invoice is paid: the client's proof of payment.
    pub preimage: Option<String>,
}

impl PayTarget {
    /// Whether a new quote could be made now: the invoice cannot be paid any more (expired,
    /// cancelled, or paid) and the fattura still has something due.
    pub fn can_requote(&self, now: i64) -> bool {
        let over = match self.invoice.state {
            InvoiceState::Expired | InvoiceState::Canceled | InvoiceState::Settled => true,
            InvoiceState::Open => now >= self.invoice.expires_at,
            _ => false,
        };
        over && self
            .fattura
            .as_ref()
            .is_some_and(|f| f.outstanding_eur() > rust_decimal::Decimal::ZERO)
    }
}

/// Payment links over the store and the invoice service.
#[derive(Clone)]
pub struct LinkService {
    store: Store,
    invoices: InvoiceService,
    key: LinkKey,
    /// New quotes one at a time in this gateway (the database refuses a second payable invoice
    /// across gateways: see `store::ln_invoices`); this spares the node a quote made for nothing.
    requoting: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl LinkService {
    /// The service.
    pub fn new(store: Store, invoices: InvoiceService) -> Self {
        LinkService {
            store,
            key: invoices.link_key().clone(),
            invoices,
            requoting: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The link of Lightning invoice `id`: the live one derived again, or a new one if none is
    /// live or `replace` is asked (the old one then stops working); `LiveHidden` when the live one
    /// cannot be derived again and may not be replaced.
    pub async fn link(&self, id: &str, replace: bool) -> Result<LinkOutcome, LinkError> {
        let invoice = self.linkable(id).await?;
        let target = target_of(&invoice);
        let link = self.key.new_link(&target);
        if replace {
            self.store
                .replace_payment_link(&target, link.stored(), now_secs())
                .await?;
            return Ok(LinkOutcome::Issued(link.token));
        }
        if self
            .store
            .add_payment_link_if_none(&target, link.stored(), now_secs())
            .await?
        {
            return Ok(LinkOutcome::Issued(link.token));
        }
        Ok(match self.reshown(&target).await? {
            Some(token) => LinkOutcome::Live(token),
            None => LinkOutcome::LiveHidden,
        })
    }

    /// The token of the live link of `target` derived again, if there is one made with our key.
    async fn reshown(&self, target: &LinkTarget) -> Result<Option<SecretString>, StoreError> {
        Ok(self
            .store
            .live_payment_link(target)
            .await?
            .and_then(|link| self.key.reshow(&link)))
    }

    /// The live link of Lightning invoice `id` (of its fattura, if it has one) derived again;
    /// `None` when none is live, it cannot be shown again, or the invoice is a POS sale.
    pub async fn live_token(&self, id: &str) -> Result<Option<SecretString>, LinkError> {
        let Some(invoice) = self.store.ln_invoice(id).await? else {
            return Err(LinkError::UnknownLnInvoice(id.to_string()));
        };
        if invoice.origin == InvoiceOrigin::Pos {
            return Ok(None);
        }
        Ok(self.reshown(&target_of(&invoice)).await?)
    }

    /// The link to put on a courtesy copy or an email of `target`: the live one derived again, or
    /// else a new one. Store it with `ensure_payment_link` (nothing changes when it is the live
    /// one; a live link that cannot be shown again is replaced).
    pub(super) async fn current_or_new(&self, target: &LinkTarget) -> Result<DerivedLink, StoreError> {
        if let Some(live) = self.store.live_payment_link(target).await? {
            if let (Some(token), Some(nonce_hex)) = (self.key.reshow(&live), live.token_nonce.clone()) {
                return Ok(DerivedLink {
                    token,
                    token_hash: live.token_hash,
                    nonce_hex,
                });
            }
        }
        Ok(self.key.new_link(target))
    }

    /// Revokes the live link of Lightning invoice `id` (of its fattura, if it has one).
    pub async fn revoke(&self, id: &str) -> Result<LinkOutcome, LinkError> {
        let invoice = self.linkable(id).await?;
        if self.store.revoke_payment_link(&target_of(&invoice), now_secs()).await? {
            Ok(LinkOutcome::Revoked)
        } else {
            Ok(LinkOutcome::NoneLive)
        }
    }

    /// The store this service reads.
    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    pub(super) async fn linkable(&self, id: &str) -> Result<LnInvoice, LinkError> {
        let invoice = self
            .store
            .ln_invoice(id)
            .await?
            .ok_or_else(|| LinkError::UnknownLnInvoice(id.to_string()))?;
        if invoice.origin == InvoiceOrigin::Pos {
            return Err(LinkError::PosSale(invoice.id));
        }
        Ok(invoice)
    }

    /// What the live link `token` opens, refreshed from the node; `None` for a token that is not
    /// a live link (malformed, unknown or revoked: all alike to the caller).
    pub async fn open(&self, token: &str) -> Result<Option<PayTarget>, LinkError> {
        let Some(target) = self.live_target(token).await? else {
            return Ok(None);
        };
        let (invoice_id, fattura) = match target {
            LinkTarget::Fattura(fattura_id) => match self.store.latest_office_ln_invoice_for(fattura_id).await? {
                Some(invoice) => (invoice.id, self.store.fattura(fattura_id).await?),
                None => return Ok(None),
            },
            LinkTarget::LnInvoice(id) => (id, None),
        };
        let invoice = match self.invoices.refresh(&invoice_id).await {
            Ok(invoice) => invoice,
            // The node unreachable: show what we know.
            Err(InvoiceError::Lnd(e)) => {
                tracing::warn!("payment page: the node did not answer: {e}");
                match self.store.ln_invoice(&invoice_id).await? {
                    Some(invoice) => invoice,
                    None => return Ok(None),
                }
            }
            Err(e) => return Err(e.into()),
        };
        // The fattura as it stands after the refresh (a settlement adds to what was paid).
        let fattura = match fattura {
            Some(f) => self.store.fattura(f.id).await?,
            None => None,
        };
        let preimage = if invoice.state == InvoiceState::Settled {
            self.store.ln_preimage(&invoice.payment_hash).await?
        } else {
            None
        };
        Ok(Some(PayTarget {
            invoice,
            fattura,
            preimage,
        }))
    }

    /// The target of live link `token`, compared in constant time; `None` otherwise.
    pub async fn live_target(&self, token: &str) -> Result<Option<LinkTarget>, LinkError> {
        // A malformed token is hashed and looked up like any other, so it takes as long.
        let hash = token_hash(token);
        let found = self.store.payment_link_by_hash(&hash).await?;
        let Some(link) = found else {
            return Ok(None);
        };
        let same: bool = link.token_hash.as_bytes().ct_eq(hash.as_bytes()).into();
        if !same || link.revoked_at.is_some() || !is_token_shaped(token) {
            return Ok(None);
        }
        Ok(Some(link.target))
    }

    /// A new quote on link `token` for what is still due on its fattura, at the current rate:
    /// only when its current invoice cannot be paid any more. The new invoice replaces the old on
    /// the same link. `None` when the token is not a live link.
    pub async fn requote(&self, token: &str, allowed: bool) -> Result<Option<LnInvoice>, LinkError> {
        let _one_at_a_time = self.requoting.lock().await;
        let Some(current) = self.open(token).await? else {
            return Ok(None);
        };
        if !allowed {
            return Err(LinkError::RequoteOff);
        }
        let Some(fattura) = current.fattura.clone() else {
            return Err(LinkError::NothingDue);
        };
        if !current.can_requote(now_secs()) {
            return Err(if fattura.outstanding_eur() > rust_decimal::Decimal::ZERO {
                LinkError::StillPayable
            } else {
                LinkError::NothingDue
            });
        }
        // The client's identity entered for the invoice it replaces carries over (at or above
        // lightning_identity_threshold_eur the new quote needs it too).
        let identity = self.store.ln_invoice_identity(&current.invoice.id).await?;
        let created = self
            .invoices
            .create(CreateRequest {
                numero: Some(fattura.numero.clone()),
                anno: Some(fattura.anno),
                amount_eur: None,
                client_name: identity.as_ref().map(|i| i.client_name.clone()),
                client_tax_id: identity.map(|i| i.client_tax_id),
                ..CreateRequest::default()
            })
            .await;
        match created {
            Ok(created) => Ok(Some(created.invoice)),
            // Another gateway is making the new quote right now: the page shows it.
            Err(InvoiceError::QuoteInFlight(_)) => Err(LinkError::StillPayable),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_of_32_random_bytes_and_only_their_hash_is_kept() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let (token, hash) = new_token();
            let text = token.expose_secret();
            assert!(is_token_shaped(text), "{text}");
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).unwrap();
            assert_eq!(bytes.len(), TOKEN_BYTES);
            assert_eq!(hash, token_hash(text));
            assert_eq!(hash.len(), 64);
            assert!(!hash.contains(text));
            assert!(seen.insert(text.to_string()), "a token repeated");
        }
        assert!(!is_token_shaped("short"));
        assert!(!is_token_shaped(&"a".repeat(42)));
        assert!(!is_token_shaped(&format!("{}/", "a".repeat(42))));
    }

    fn stored(link: &DerivedLink, target: LinkTarget) -> PaymentLink {
        PaymentLink {
            token_hash: link.token_hash.clone(),
            target,
            token_nonce: Some(link.nonce_hex.clone()),
            created_at: 0,
            revoked_at: None,
        }
    }

    #[test]
    fn derived_tokens_change_with_the_key_the_nonce_and_the_target_and_a_wrong_key_matches_nothing() {
        let key = LinkKey::from_secret(SecretBox::new(Box::new([1u8; 32])));
        let other_key = LinkKey::from_secret(SecretBox::new(Box::new([2u8; 32])));
        let fattura = LinkTarget::Fattura(7);
        let nonce = [9u8; 32];
        let token = key.token(&fattura, &nonce);
        assert!(is_token_shaped(token.expose_secret()));
        // The same inputs give the same token: the link can be shown again.
        assert_eq!(key.token(&fattura, &nonce).expose_secret(), token.expose_secret());
        // Another key, another nonce or another target: another token.
        assert_ne!(other_key.token(&fattura, &nonce).expose_secret(), token.expose_secret());
        assert_ne!(key.token(&fattura, &[8u8; 32]).expose_secret(), token.expose_secret());
        assert_ne!(
            key.token(&LinkTarget::Fattura(8), &nonce).expose_secret(),
            token.expose_secret()
        );
        assert_ne!(
            key.token(&LinkTarget::LnInvoice("7".into()), &nonce).expose_secret(),
            token.expose_secret()
        );

        // A new link is stored as hash and nonce, and shown again only with its key.
        let link = key.new_link(&fattura);
        assert_eq!(link.token_hash, token_hash(link.token.expose_secret()));
        assert!(!link.token_hash.contains(link.token.expose_secret()));
        let row = stored(&link, fattura.clone());
        assert_eq!(
            key.reshow(&row).map(|t| t.expose_secret().to_string()),
            Some(link.token.expose_secret().to_string())
        );
        assert!(other_key.reshow(&row).is_none(), "a wrong key matched");
        // A row of another target, a changed nonce or none (a link made before) gives nothing.
        assert!(key.reshow(&stored(&link, LinkTarget::Fattura(8))).is_none());
        let mut changed = row.clone();
        changed.token_nonce = Some(hex::encode([0u8; 32]));
        assert!(key.reshow(&changed).is_none());
        changed.token_nonce = None;
        assert!(key.reshow(&changed).is_none());
        // Two new links of one target differ (a fresh nonce each).
        assert_ne!(key.new_link(&fattura).token_hash, link.token_hash);
        // The key never shows in debug output.
        assert_eq!(format!("{key:?}"), "LinkKey(hidden)");
    }

    #[test]
    fn the_link_is_the_base_and_the_path() {
        let token = SecretString::from("t".repeat(43));
        assert_eq!(
            payment_url(Some("https://pay.example.com/"), &token),
            format!("https://pay.example.com/pay/{}", "t".repeat(43))
        );
        assert_eq!(payment_url(None, &token), format!("/pay/{}", "t".repeat(43)));
    }
}
