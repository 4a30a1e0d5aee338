//! Building, signing and decoding regtest BOLT11 payment requests with `lightning-invoice`.

use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use lightning_invoice::{
    Bolt11Invoice, Bolt11InvoiceDescription, Bolt11InvoiceDescriptionRef, Currency, Description, InvoiceBuilder,
    PaymentSecret, RouteHint, RouteHintHop, RoutingFees, Sha256,
};

use crate::state::StoredHopHint;

/// BOLT11 fields are at most 1023 five-bit groups: 639 bytes of description.
pub(crate) const MAX_DESCRIPTION_BYTES: usize = 639;

/// What goes into a new payment request.
pub(crate) struct InvoiceTerms<'a> {
    pub(crate) payment_hash: [u8; 32],
    pub(crate) payment_addr: [u8; 32],
    /// 0 for a zero-amount invoice (no amount in the request).
    pub(crate) amount_msat: u64,
    pub(crate) created_secs: u64,
    pub(crate) expiry_secs: u64,
    pub(crate) cltv_expiry: u64,
    /// The memo, used as description when there is no description hash.
    pub(crate) memo: &'a str,
    pub(crate) description_hash: Option<[u8; 32]>,
    pub(crate) route_hints: &'a [Vec<StoredHopHint>],
}

/// Builds and signs a payment request; returns it and the feature bits it carries.
pub(crate) fn build(terms: &InvoiceTerms<'_>, node_secret: &SecretKey) -> Result<(String, Vec<u32>), String> {
    let description = match terms.description_hash {
        Some(hash) => Bolt11InvoiceDescription::Hash(Sha256(sha256::Hash::from_byte_array(hash))),
        None => Bolt11InvoiceDescription::Direct(
            Description::new(terms.memo.to_string()).map_err(|e| format!("invalid description: {e}"))?,
        ),
    };
    let mut builder = InvoiceBuilder::new(Currency::Regtest)
        .invoice_description(description)
        .payment_hash(sha256::Hash::from_byte_array(terms.payment_hash))
        .duration_since_epoch(Duration::from_secs(terms.created_secs))
        .min_final_cltv_expiry_delta(terms.cltv_expiry)
        .payment_secret(PaymentSecret(terms.payment_addr))
        .basic_mpp()
        .expiry_time(Duration::from_secs(terms.expiry_secs));
    if terms.amount_msat > 0 {
        builder = builder.amount_milli_satoshis(terms.amount_msat);
    }
    for hint in terms.route_hints {
        let mut hops = Vec::with_capacity(hint.len());
        for hop in hint {
            let node = hex::decode(&hop.node_id)
                .ok()
                .and_then(|b| PublicKey::from_slice(&b).ok())
                .ok_or_else(|| format!("route hint node_id {:?} is not a public key", hop.node_id))?;
            hops.push(RouteHintHop {
                src_node_id: node,
                short_channel_id: hop.chan_id,
                fees: RoutingFees {
                    base_msat: hop.fee_base_msat,
                    proportional_millionths: hop.fee_proportional_millionths,
                },
                cltv_expiry_delta: u16::try_from(hop.cltv_expiry_delta)
                    .map_err(|_| format!("cltv_expiry_delta {} is too large", hop.cltv_expiry_delta))?,
                htlc_minimum_msat: None,
                htlc_maximum_msat: None,
            });
        }
        builder = builder.private_route(RouteHint(hops));
    }
    let secp = Secp256k1::signing_only();
    let invoice = builder
        .build_signed(|message| secp.sign_ecdsa_recoverable(message, node_secret))
        .map_err(|e| format!("cannot build payment request: {e}"))?;
    let bits = feature_bits(&invoice);
    Ok((invoice.to_string(), bits))
}

/// A decoded payment request, in the terms LND's `DecodePayReq` reports.
pub(crate) struct Decoded {
    pub(crate) destination: PublicKey,
    pub(crate) payment_hash: [u8; 32],
    pub(crate) amount_msat: Option<u64>,
    pub(crate) timestamp_secs: u64,
    pub(crate) expiry_secs: u64,
    pub(crate) description: String,
    pub(crate) description_hash: Option<[u8; 32]>,
    pub(crate) cltv_expiry: u64,
    pub(crate) payment_addr: [u8; 32],
    pub(crate) route_hints: Vec<Vec<StoredHopHint>>,
    pub(crate) feature_bits: Vec<u32>,
}

/// Decodes and checks a payment request for regtest; error texts follow LND's where it has one.
pub(crate) fn decode(text: &str) -> Result<Decoded, String> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let body = lower.strip_prefix("lightning:").unwrap_or(&lower);
    if body.len() < 4 {
        return Err("hrp too short".to_string());
    }
    if !body.starts_with("ln") {
        return Err("prefix should be \"ln\"".to_string());
    }
    if !body[2..].starts_with("bcrt") {
        return Err("invoice not for current active network 'regtest'".to_string());
    }
    let invoice: Bolt11Invoice = body.parse().map_err(|e| format!("invalid payment request: {e}"))?;
    let destination = invoice.get_payee_pub_key();
    let (description, description_hash) = match invoice.description() {
        Bolt11InvoiceDescriptionRef::Direct(d) => (d.as_inner().0.clone(), None),
        Bolt11InvoiceDescriptionRef::Hash(h) => (String::new(), Some(h.0.to_byte_array())),
    };
    let route_hints = invoice
        .route_hints()
        .into_iter()
        .map(|hint| {
            hint.0
                .iter()
                .map(|hop| StoredHopHint {
                    node_id: hop.src_node_id.to_string(),
                    chan_id: hop.short_channel_id,
                    fee_base_msat: hop.fees.base_msat,
                    fee_proportional_millionths: hop.fees.proportional_millionths,
                    cltv_expiry_delta: u32::from(hop.cltv_expiry_delta),
                })
                .collect()
        })
        .collect();
    Ok(Decoded {
        destination,
        payment_hash: invoice.payment_hash().to_byte_array(),
        amount_msat: invoice.amount_milli_satoshis(),
        timestamp_secs: invoice.duration_since_epoch().as_secs(),
        expiry_secs: invoice.expiry_time().as_secs(),
        description,
        description_hash,
        cltv_expiry: invoice.min_final_cltv_expiry_delta(),
        payment_addr: invoice.payment_secret().0,
        route_hints,
        feature_bits: feature_bits(&invoice),
    })
}

/// The feature bits set in an invoice.
fn feature_bits(invoice: &Bolt11Invoice) -> Vec<u32> {
    let Some(features) = invoice.features() else {
        return Vec::new();
    };
    let mut bits = Vec::new();
    for (byte_index, byte) in features.le_flags().iter().enumerate() {
        for bit in 0..8u32 {
            if byte & (1 << bit) != 0 {
                bits.push(byte_index as u32 * 8 + bit);
            }
        }
    }
    bits
}

/// LND's name for a feature bit pair, and whether LND knows it.
pub(crate) fn feature_name(bit: u32) -> (&'static str, bool) {
    match bit {
        0 | 1 => ("data-loss-protect", true),
        8 | 9 => ("tlv-onion", true),
        14 | 15 => ("payment-addr", true),
        16 | 17 => ("multi-path-payments", true),
        24 | 25 => ("route-blinding", true),
        30 | 31 => ("amp", true),
        48 | 49 => ("payment-metadata", false),
        _ => ("unknown", false),
    }
}
