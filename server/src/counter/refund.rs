//! Refunds of paid POS sales (issue 36): in EUR, to a customer's BOLT11 or Lightning address
//! (LNURL-pay), at the refund-time rate, capped so the EUR refunded for a sale never exceeds
//! what was paid (gross + tip). The refund is recorded (`sending`, with the payment hash) before
//! SendPaymentV2 and resolved from the stream, or by TrackPaymentV2 after a lost stream or a
//! restart ([`RefundService::resolve_sending`]): a refund is never paid twice.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use lnd_proto::lnrpc::{self, payment::PaymentStatus, PaymentFailureReason};
use lnd_proto::routerrpc::SendPaymentRequest;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::lnd::{LndClient, LndError};
use crate::rates::RateService;
use crate::store::{cents_to_eur, eur_to_cents, NewRefund, RefundRefusal, RefundRow, Store, StoreError};

/// How long a refund payment may look for a route (SendPaymentV2 `timeout_seconds`).
pub const REFUND_TIMEOUT_SECS: i32 = 60;
/// Deviation allowed between a BOLT11's own amount and the amount computed for the EUR asked,
/// parts per million (rate drift between the customer's wallet and ours).
pub const AMOUNT_TOLERANCE_PPM: u64 = 10_000;

/// Refusals and failures of a refund. Every refusal changes nothing and sends nothing.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    /// The amount is not a positive EUR amount in cents.
    #[error("refund amount '{0}' is not valid: give EUR with at most two decimals, like 5.00")]
    BadAmount(String),
    /// No POS sale with that id.
    #[error("there is no POS sale '{0}': give the sale's id as `pos day` or the back office shows it")]
    UnknownSale(String),
    /// The sale was never paid.
    #[error("sale '{0}' is not paid: only settled sales can be refunded")]
    NotSettled(String),
    /// Over the cap.
    #[error("refusing {asked_eur} EUR: only {left_eur} EUR of this sale can still be refunded (refunds never exceed what was paid)")]
    OverCap {
        /// What was asked.
        asked_eur: Decimal,
        /// What may still be refunded.
        left_eur: Decimal,
    },
    /// The destination is neither a BOLT11 nor a Lightning address.
    #[error("'{0}' is neither a BOLT11 invoice (lnbc…) nor a Lightning address (name@domain)")]
    BadDestination(String),
    /// The BOLT11 does not decode.
    #[error("the customer's invoice is not valid: {0}")]
    BadInvoice(String),
    /// The BOLT11's own amount does not match the EUR asked.
    #[error("the customer's invoice asks for {invoice_sat} sat but {asked_eur} EUR is {computed_sat} sat at the current rate: ask for a zero-amount invoice or one for {computed_sat} sat")]
    AmountMismatch {
        /// The invoice's amount.
        invoice_sat: u64,
        /// What was asked.
        asked_eur: Decimal,
        /// What the EUR is worth now.
        computed_sat: u64,
    },
    /// That invoice was refunded (or is being refunded) already.
    #[error(
        "this invoice was already used for a refund: ask the customer for a new one (a refund is never paid twice)"
    )]
    SameInvoice,
    /// The invoice is expired.
    #[error("the customer's invoice is expired: ask for a new one")]
    Expired,
    /// The Lightning address' server refused or answered wrongly.
    #[error("Lightning address {address}: {reason}")]
    Lnurl {
        /// The address.
        address: String,
        /// What went wrong.
        reason: String,
    },
    /// No rate.
    #[error("no BTC/EUR rate to convert the refund: {0}")]
    Rate(String),
    /// The payment failed (nothing was paid).
    #[error("the refund was not paid: {0}")]
    PaymentFailed(String),
    /// The node failed before the payment started (nothing was paid).
    #[error(transparent)]
    Lnd(#[from] LndError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the refund goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundTarget {
    /// A BOLT11 payment request.
    Bolt11(String),
    /// A Lightning address `name@domain` (LNURL-pay).
    Address {
        /// The part before `@`.
        name: String,
        /// The domain (may carry a port).
        domain: String,
    },
}

impl RefundTarget {
    /// Parses what the admin typed or scanned.
    pub fn parse(text: &str) -> Result<RefundTarget, RefundError> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        let body = lower.strip_prefix("lightning:").unwrap_or(&lower);
        if body.starts_with("ln") && !body.contains('@') {
            return Ok(RefundTarget::Bolt11(body.to_string()));
        }
        if let Some((name, domain)) = body.split_once('@') {
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
            let domain_ok = !domain.is_empty()
                && domain.contains(['.', ':'])
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
            if name_ok && domain_ok {
                return Ok(RefundTarget::Address {
                    name: name.to_string(),
                    domain: domain.to_string(),
                });
            }
        }
        Err(RefundError::BadDestination(trimmed.to_string()))
    }
}

/// What may still be refunded of a sale that was paid `paid_cents`, of which `refunded_cents`
/// were refunded: never negative.
pub fn refund_left_cents(paid_cents: i64, refunded_cents: i64) -> i64 {
    paid_cents.saturating_sub(refunded_cents).max(0)
}

/// Checks `asked_cents` against what is left; the refusal names both amounts.
pub fn check_cap(paid_cents: i64, refunded_cents: i64, asked_cents: i64) -> Result<(), RefundError> {
    let left = refund_left_cents(paid_cents, refunded_cents);
    if asked_cents > left {
        return Err(RefundError::OverCap {
            asked_eur: cents_to_eur(asked_cents),
            left_eur: cents_to_eur(left),
        });
    }
    Ok(())
}

/// The msat worth `amount_cents` at `eur_per_btc`, rounded DOWN to a whole sat (a refund never
/// sends more than the EUR asked).
pub fn refund_msat(amount_cents: i64, eur_per_btc: Decimal) -> Result<u64, RefundError> {
    if amount_cents <= 0 || eur_per_btc <= Decimal::ZERO {
        return Err(RefundError::BadAmount(cents_to_eur(amount_cents).to_string()));
    }
    let sats = (Decimal::from(amount_cents) * Decimal::from(1_000_000u64) / eur_per_btc).floor();
    let sats = sats
        .to_u64()
        .filter(|s| *s > 0)
        .ok_or_else(|| RefundError::BadAmount(cents_to_eur(amount_cents).to_string()))?;
    Ok(sats * 1000)
}

/// Checks a BOLT11's own amount against the computed one (within [`AMOUNT_TOLERANCE_PPM`], and
/// never above it by more than that).
pub fn check_invoice_amount(invoice_msat: u64, computed_msat: u64, asked_cents: i64) -> Result<(), RefundError> {
    let tolerance = computed_msat / 1_000_000 * AMOUNT_TOLERANCE_PPM
        + (computed_msat % 1_000_000) * AMOUNT_TOLERANCE_PPM / 1_000_000;
    if invoice_msat.abs_diff(computed_msat) > tolerance {
        return Err(RefundError::AmountMismatch {
            invoice_sat: invoice_msat / 1000,
            asked_eur: cents_to_eur(asked_cents),
            computed_sat: computed_msat / 1000,
        });
    }
    Ok(())
}

/// A decoded customer invoice.
#[derive(Debug, Clone)]
struct CustomerInvoice {
    payment_hash: [u8; 32],
    amount_msat: Option<u64>,
    description_hash: Option<[u8; 32]>,
    expired: bool,
}

fn decode_invoice(bolt11: &str) -> Result<CustomerInvoice, RefundError> {
    use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescriptionRef};
    let invoice: Bolt11Invoice = bolt11
        .trim()
        .parse()
        .map_err(|e| RefundError::BadInvoice(format!("{e}")))?;
    let description_hash = match invoice.description() {
        Bolt11InvoiceDescriptionRef::Hash(h) => Some(*h.0.as_ref()),
        Bolt11InvoiceDescriptionRef::Direct(_) => None,
    };
    let hash: &[u8; 32] = invoice.payment_hash().as_ref();
    Ok(CustomerInvoice {
        payment_hash: *hash,
        amount_msat: invoice.amount_milli_satoshis(),
        description_hash,
        expired: invoice.is_expired(),
    })
}

/// The LNURL-pay first answer.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayRequest {
    tag: Option<String>,
    callback: Option<String>,
    min_sendable: Option<u64>,
    max_sendable: Option<u64>,
    metadata: Option<String>,
    status: Option<String>,
    reason: Option<String>,
}

/// The LNURL-pay callback's answer.
#[derive(Debug, serde::Deserialize)]
struct PayCallback {
    pr: Option<String>,
    status: Option<String>,
    reason: Option<String>,
}

/// Asks the Lightning address `name@domain` for an invoice of `amount_msat` (LNURL-pay, LUD-06
/// and LUD-16) and checks it: its amount equals the request and its description hash is the
/// SHA-256 of the metadata. `base_url` replaces `https://domain` (tests); plain http is allowed
/// only for 127.0.0.1 and localhost.
pub async fn lnurl_invoice(
    http: &reqwest::Client,
    base_url: Option<&str>,
    name: &str,
    domain: &str,
    amount_msat: u64,
) -> Result<String, RefundError> {
    let address = format!("{name}@{domain}");
    let fail = |reason: String| RefundError::Lnurl {
        address: address.clone(),
        reason,
    };
    let host = domain.split(':').next().unwrap_or(domain);
    let base = match base_url {
        Some(b) => b.trim_end_matches('/').to_string(),
        None if host == "127.0.0.1" || host == "localhost" => format!("http://{domain}"),
        None => format!("https://{domain}"),
    };
    let url = format!("{base}/.well-known/lnurlp/{name}");
    let first: PayRequest = get_json(http, &url).await.map_err(&fail)?;
    if first.status.as_deref() == Some("ERROR") {
        return Err(fail(format!(
            "the server refused: {}",
            first.reason.unwrap_or_default()
        )));
    }
    if first.tag.as_deref() != Some("payRequest") {
        return Err(fail(
            "the server's answer is not an LNURL-pay request (tag is not payRequest)".into(),
        ));
    }
    let (Some(callback), Some(min), Some(max), Some(metadata)) =
        (first.callback, first.min_sendable, first.max_sendable, first.metadata)
    else {
        return Err(fail(
            "the server's answer lacks callback, minSendable, maxSendable or metadata".into(),
        ));
    };
    if amount_msat < min || amount_msat > max {
        return Err(fail(format!(
            "it accepts {} to {} sat, the refund is {} sat",
            min.div_ceil(1000),
            max / 1000,
            amount_msat / 1000
        )));
    }
    let check_callback = callback.starts_with("https://")
        || callback.starts_with("http://127.0.0.1")
        || callback.starts_with("http://localhost")
        || base_url.is_some_and(|b| callback.starts_with(b));
    if !check_callback {
        return Err(fail("its callback is not an https address".into()));
    }
    let sep = if callback.contains('?') { '&' } else { '?' };
    let second: PayCallback = get_json(http, &format!("{callback}{sep}amount={amount_msat}"))
        .await
        .map_err(&fail)?;
    if second.status.as_deref() == Some("ERROR") {
        return Err(fail(format!(
            "the server refused: {}",
            second.reason.unwrap_or_default()
        )));
    }
    let pr = second
        .pr
        .ok_or_else(|| fail("the server's answer has no invoice (pr)".into()))?;
    let decoded = decode_invoice(&pr).map_err(|e| fail(e.to_string()))?;
    if decoded.amount_msat != Some(amount_msat) {
        return Err(fail(format!(
            "its invoice is for {} msat, not the {amount_msat} msat asked: nothing was paid",
            decoded.amount_msat.unwrap_or(0)
        )));
    }
    let expected: [u8; 32] = Sha256::digest(metadata.as_bytes()).into();
    if decoded.description_hash != Some(expected) {
        return Err(fail(
            "its invoice's description hash does not match the metadata: nothing was paid".into(),
        ));
    }
    Ok(pr)
}

async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> Result<T, String> {
    let response = http
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered HTTP {} at {url}", status.as_u16()));
    }
    response
        .json::<T>()
        .await
        .map_err(|e| format!("the server's answer at {url} is not LNURL JSON: {e}"))
}

/// What an admin asks for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// The sale (our Lightning invoice id).
    pub sale_id: String,
    /// EUR to refund, as typed.
    pub amount_eur: String,
    /// BOLT11 or Lightning address, as typed.
    pub to: String,
    /// Who refunds.
    pub by: String,
}

/// The refund service.
#[derive(Clone)]
pub struct RefundService {
    store: Store,
    lnd: LndClient,
    rates: Arc<RateService>,
    max_fee_ppm: u64,
    lnurl_base_url: Option<String>,
    http: reqwest::Client,
}

impl RefundService {
    /// The service over the store, the node and the rates; `max_fee_ppm` is
    /// `pos_refund_max_fee_ppm`; `lnurl_base_url` replaces `https://domain` (tests only).
    pub fn new(
        store: Store,
        lnd: LndClient,
        rates: Arc<RateService>,
        max_fee_ppm: u64,
        lnurl_base_url: Option<String>,
    ) -> RefundService {
        RefundService {
            store,
            lnd,
            rates,
            max_fee_ppm,
            lnurl_base_url,
            http: reqwest::Client::new(),
        }
    }

    /// Refunds `req`: checks everything, records the refund (`sending`), sends it, and records
    /// the result. A refusal changes nothing and sends nothing.
    pub async fn refund(&self, req: &RefundRequest) -> Result<RefundRow, RefundError> {
        let amount_eur: Decimal = req
            .amount_eur
            .trim()
            .parse()
            .map_err(|_| RefundError::BadAmount(req.amount_eur.clone()))?;
        let amount_cents = eur_to_cents(amount_eur)
            .filter(|c| *c > 0)
            .ok_or_else(|| RefundError::BadAmount(req.amount_eur.clone()))?;
        let target = RefundTarget::parse(&req.to)?;
        let state = self
            .store
            .sale_refund_state(&req.sale_id)
            .await?
            .ok_or_else(|| RefundError::UnknownSale(req.sale_id.clone()))?;
        if !state.settled {
            return Err(RefundError::NotSettled(req.sale_id.clone()));
        }
        check_cap(state.paid_cents, state.refunded_cents, amount_cents)?;
        let quote = self.rates.quote().await.map_err(|e| RefundError::Rate(e.to_string()))?;
        let computed_msat = refund_msat(amount_cents, quote.eur_per_btc)?;
        let (payment_request, amt_msat) = match &target {
            RefundTarget::Bolt11(bolt11) => {
                let decoded = decode_invoice(bolt11)?;
                match decoded.amount_msat {
                    Some(invoice_msat) => {
                        check_invoice_amount(invoice_msat, computed_msat, amount_cents)?;
                        (bolt11.clone(), None)
                    }
                    None => (bolt11.clone(), Some(computed_msat)),
                }
            }
            RefundTarget::Address { name, domain } => {
                let pr = lnurl_invoice(&self.http, self.lnurl_base_url.as_deref(), name, domain, computed_msat).await?;
                (pr, None)
            }
        };
        let decoded = decode_invoice(&payment_request)?;
        if decoded.expired {
            return Err(RefundError::Expired);
        }
        let sent_msat = amt_msat.or(decoded.amount_msat).unwrap_or(computed_msat);
        let now = crate::time::now_secs();
        let new = NewRefund {
            invoice_id: req.sale_id.clone(),
            payment_hash: hex::encode(decoded.payment_hash),
            payment_request: payment_request.clone(),
            destination: req.to.trim().to_string(),
            amount_cents,
            amount_msat: i64::try_from(sent_msat).unwrap_or(i64::MAX),
            eur_per_btc: quote.eur_per_btc.to_string(),
            rate_source: quote.source.clone(),
            rate_at: quote.fetched_at.timestamp(),
            created_by: req.by.clone(),
            created_at: now,
        };
        let row = match self.store.insert_refund(&new).await? {
            Ok(row) => row,
            Err(RefundRefusal::UnknownSale) => return Err(RefundError::UnknownSale(req.sale_id.clone())),
            Err(RefundRefusal::NotSettled) => return Err(RefundError::NotSettled(req.sale_id.clone())),
            Err(RefundRefusal::SameInvoice) => return Err(RefundError::SameInvoice),
            Err(RefundRefusal::OverCap { left_cents }) => {
                return Err(RefundError::OverCap {
                    asked_eur: cents_to_eur(amount_cents),
                    left_eur: cents_to_eur(left_cents),
                })
            }
        };
        let fee_limit_msat = fee_limit_msat(sent_msat, self.max_fee_ppm);
        let request = SendPaymentRequest {
            payment_request,
            amt_msat: amt_msat.and_then(|a| i64::try_from(a).ok()).unwrap_or(0),
            fee_limit_msat: i64::try_from(fee_limit_msat).unwrap_or(i64::MAX),
            timeout_seconds: REFUND_TIMEOUT_SECS,
            ..Default::default()
        };
        let outcome = match self.lnd.send_payment_v2(request).await {
            Ok(stream) => final_update(stream).await,
            Err(e) if e.is_ambiguous() => Ok(None),
            Err(e) => {
                // Refused before the stream started: nothing was sent.
                let text = e.to_string();
                self.finish(&row, None, Some(text.clone())).await?;
                return Err(RefundError::PaymentFailed(text));
            }
        };
        let payment = match outcome {
            Ok(Some(p)) => Some(p),
            // The stream broke: the payment may still complete; look it up by hash.
            Ok(None) | Err(_) => self.track(&decoded.payment_hash).await?,
        };
        let Some(payment) = payment else {
            // Still unknown: stays `sending`, resolved at the next start.
            return Ok(row);
        };
        let row = self.apply(&row, &payment, fee_limit_msat).await?;
        if row.state == "failed" {
            return Err(RefundError::PaymentFailed(row.failure.unwrap_or_default()));
        }
        Ok(row)
    }

    /// Resolves every refund left `sending` (a crash or a lost stream) with TrackPaymentV2; one
    /// the node never saw is marked failed (it was never sent, so it can be asked again).
    /// Returns the refunds as they are now.
    pub async fn resolve_sending(&self) -> Result<Vec<RefundRow>, RefundError> {
        let mut out = Vec::new();
        for row in self.store.refunds_sending().await? {
            let Ok(bytes) = hex::decode(&row.payment_hash) else {
                continue;
            };
            let fee_limit = fee_limit_msat(u64::try_from(row.amount_msat).unwrap_or(0), self.max_fee_ppm);
            match self.lnd.track_payment_v2(bytes).await {
                Ok(stream) => match final_update(stream).await {
                    Ok(Some(p)) => out.push(self.apply(&row, &p, fee_limit).await?),
                    _ => out.push(row),
                },
                Err(e) if e.is_not_found() => {
                    out.push(
                        self.finish(
                            &row,
                            None,
                            Some("never sent (the gateway stopped before sending it)".into()),
                        )
                        .await?,
                    );
                }
                Err(_) => out.push(row),
            }
        }
        Ok(out)
    }

    async fn track(&self, hash: &[u8; 32]) -> Result<Option<lnrpc::Payment>, RefundError> {
        match self.lnd.track_payment_v2(hash.to_vec()).await {
            Ok(stream) => Ok(final_update(stream).await.ok().flatten()),
            Err(_) => Ok(None),
        }
    }

    async fn apply(&self, row: &RefundRow, p: &lnrpc::Payment, fee_limit_msat: u64) -> Result<RefundRow, RefundError> {
        if p.status == PaymentStatus::Succeeded as i32 {
            self.finish(row, Some(u64::try_from(p.fee_msat).unwrap_or(0)), None)
                .await
        } else {
            self.finish(row, None, Some(failure_text(p.failure_reason, fee_limit_msat)))
                .await
        }
    }

    async fn finish(
        &self,
        row: &RefundRow,
        fee_msat: Option<u64>,
        failure: Option<String>,
    ) -> Result<RefundRow, RefundError> {
        let fee = fee_msat.unwrap_or(0);
        let rate: Decimal = row.eur_per_btc.parse().unwrap_or(Decimal::ZERO);
        let fee_cents = if fee > 0 && rate > Decimal::ZERO {
            crate::money::msat_to_eur(fee, rate)
                .ok()
                .and_then(eur_to_cents)
                .unwrap_or(0)
        } else {
            0
        };
        let finished = self
            .store
            .finish_refund(
                &row.payment_hash,
                fee_msat.is_some(),
                i64::try_from(fee).unwrap_or(i64::MAX),
                fee_cents,
                failure.as_deref(),
                crate::time::now_secs(),
            )
            .await?;
        Ok(finished.unwrap_or_else(|| row.clone()))
    }
}

/// The fee limit of a refund of `amount_msat` at `ppm` (rounded down).
pub fn fee_limit_msat(amount_msat: u64, ppm: u64) -> u64 {
    let limit = u128::from(amount_msat) * u128::from(ppm) / 1_000_000;
    u64::try_from(limit).unwrap_or(u64::MAX)
}

/// Words for LND's failure reason.
fn failure_text(reason: i32, fee_limit_msat: u64) -> String {
    match PaymentFailureReason::try_from(reason) {
        Ok(PaymentFailureReason::FailureReasonNoRoute) => format!(
            "no route within the fee limit of {fee_limit_msat} msat (pos_refund_max_fee_ppm): raise it or ask for another invoice"
        ),
        Ok(PaymentFailureReason::FailureReasonInsufficientBalance) => {
            "not enough outgoing balance in the node's channels".to_string()
        }
        Ok(PaymentFailureReason::FailureReasonTimeout) => "timed out before a route succeeded: try again later".to_string(),
        Ok(PaymentFailureReason::FailureReasonIncorrectPaymentDetails) => {
            "the customer's node refused the invoice (expired or already paid): ask for a new one".to_string()
        }
        Ok(other) => format!("payment failed ({})", other.as_str_name()),
        Err(_) => format!("payment failed (reason {reason})"),
    }
}

/// Reads a payment stream to its final update (`None` when the stream ended without one).
async fn final_update(mut stream: crate::lnd::PaymentStream) -> Result<Option<lnrpc::Payment>, LndError> {
    while let Some(item) = stream.next().await {
        let p = item?;
        if p.status == PaymentStatus::Succeeded as i32 || p.status == PaymentStatus::Failed as i32 {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn partial_refunds_never_exceed_what_was_paid() {
        // 12.00 gross + 1.20 tip = 13.20 paid.
        let paid = 1_320;
        let mut refunded = 0;
        for asked in [500, 500, 320] {
            check_cap(paid, refunded, asked).expect("within the cap");
            refunded += asked;
        }
        assert_eq!(refunded, paid);
        let err = check_cap(paid, refunded, 1).unwrap_err();
        assert!(err.to_string().contains("only 0.00 EUR"), "{err}");
        let err = check_cap(paid, 1_000, 400).unwrap_err();
        assert!(err.to_string().contains("refusing 4.00 EUR: only 3.20 EUR"), "{err}");
        assert_eq!(refund_left_cents(100, 250), 0);
    }

    #[test]
    fn sats_round_down_so_a_refund_never_sends_more_than_the_eur() {
        // 5.00 EUR at 45,000 EUR/BTC = 11,111.11 sat → 11,111 sat.
        assert_eq!(refund_msat(500, dec!(45000)).unwrap(), 11_111_000);
        // 0.01 EUR at 100,000 = 10 sat exactly.
        assert_eq!(refund_msat(1, dec!(100000)).unwrap(), 10_000);
        // Less than a sat is refused.
        assert!(refund_msat(1, dec!(100000000000)).is_err());
        assert!(refund_msat(0, dec!(45000)).is_err());
        let up = crate::money::eur_to_msat(dec!(5.00), dec!(45000)).unwrap();
        assert!(refund_msat(500, dec!(45000)).unwrap() <= up);
    }

    #[test]
    fn invoice_amounts_must_match_within_one_percent() {
        check_invoice_amount(11_111_000, 11_111_000, 500).unwrap();
        check_invoice_amount(11_200_000, 11_111_000, 500).unwrap();
        let err = check_invoice_amount(12_000_000, 11_111_000, 500).unwrap_err();
        assert!(err.to_string().contains("12000 sat"), "{err}");
    }

    #[test]
    fn destinations_parse() {
        assert!(matches!(
            RefundTarget::parse("lnbcrt1abc").unwrap(),
            RefundTarget::Bolt11(_)
        ));
        assert!(matches!(
            RefundTarget::parse("lightning:LNBCRT1ABC").unwrap(),
            RefundTarget::Bolt11(_)
        ));
        assert_eq!(
            RefundTarget::parse("Alice@127.0.0.1:8080").unwrap(),
            RefundTarget::Address {
                name: "alice".into(),
                domain: "127.0.0.1:8080".into()
            }
        );
        assert!(RefundTarget::parse("nobody").is_err());
        assert!(RefundTarget::parse("a@b").is_err());
    }

    #[test]
    fn fee_limits_round_down() {
        assert_eq!(fee_limit_msat(11_111_000, 5_000), 55_555);
    }
}
